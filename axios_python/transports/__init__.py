"""Transports for httpx built by axios_python: HTTP/1.1 over TCP and TLS, spoken here.

``HTTPTransport`` (sync, ``_sync``) and ``AsyncHTTPTransport`` (asyncio, ``_async``) are
httpx transports with the constructor arguments of httpx's transports of the same names.
They share the framing (``_framing``), the pool bookkeeping (``_pool``), the request-side
decisions (``_common``), the ``trace`` extension (``_trace``) and the check for mocking
libraries (``_mocking``). axios_python's clients use them by default (``transport="httpx"``
or ``AXIOS_PYTHON_TRANSPORT=httpx`` keeps httpx's); plain httpx code can use them too:
``httpx.Client(transport=HTTPTransport())``.
"""

from ._async import AsyncHTTPTransport
from ._sync import HTTPTransport

__all__ = ["AsyncHTTPTransport", "HTTPTransport"]
