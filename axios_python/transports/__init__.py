"""Transports for httpx built by axios_python.

``HTTPTransport`` (sync) speaks HTTP/1.1 itself over TCP and TLS and streams response bodies
with one copy per byte; see ``axios_python.transports._sync``. It is not the package default
yet: pass it explicitly, ``httpx.Client(transport=HTTPTransport())`` or
``axios_python.get(url, transport=HTTPTransport())``. ``AsyncHTTPTransport`` is its asyncio
twin (``_async``), for ``httpx.AsyncClient(transport=AsyncHTTPTransport())`` or
``await axios_python.async_get(url, transport=AsyncHTTPTransport())``.
"""

from ._async import AsyncHTTPTransport
from ._sync import HTTPTransport

__all__ = ["AsyncHTTPTransport", "HTTPTransport"]
