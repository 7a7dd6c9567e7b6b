"""Is a mocking library intercepting httpx? Then our transports step aside.

respx patches ``handle_request`` on httpcore's pools (its default) and pytest-httpx patches
it on httpx's transports. Requests sent through our transports would pass both by, so code
that mocks httpx would suddenly hit the network. Each request therefore asks here first
(two identity checks) and, while a patch is in place, goes through httpx's own transport,
where the mock sees it.
"""

from __future__ import annotations

from httpcore import AsyncConnectionPool, ConnectionPool
from httpx import AsyncHTTPTransport, HTTPTransport

__all__ = ["async_mocked", "sync_mocked"]

# The classes are bound here, once: the patches replace methods on these class objects.
_SYNC_POOL = ConnectionPool.handle_request
_SYNC_TRANSPORT = HTTPTransport.handle_request
_ASYNC_POOL = AsyncConnectionPool.handle_async_request
_ASYNC_TRANSPORT = AsyncHTTPTransport.handle_async_request


def sync_mocked() -> bool:
    """True while something has replaced the sync request entry points of httpcore/httpx."""
    return (
        ConnectionPool.handle_request is not _SYNC_POOL
        or HTTPTransport.handle_request is not _SYNC_TRANSPORT
    )


def async_mocked() -> bool:
    """True while something has replaced the async request entry points of httpcore/httpx."""
    return (
        AsyncConnectionPool.handle_async_request is not _ASYNC_POOL
        or AsyncHTTPTransport.handle_async_request is not _ASYNC_TRANSPORT
    )
