"""axios_python: an axios-style HTTP client on httpx, with streaming you can trust.

import axios_python
r = axios_python.get(url)                          # buffered
with axios_python.get(url, stream=True) as r:      # streamed, sync
    for chunk in r.iter_bytes(65536): ...
async with axios_python.async_get(url, stream=True) as r:   # streamed, async
    async for line in r.aiter_lines(): ...
"""

from __future__ import annotations

from httpx import codes

from . import auth, exceptions
from ._api import (
    async_delete,
    async_download,
    async_get,
    async_head,
    async_options,
    async_patch,
    async_post,
    async_put,
    async_request,
    create,
    default_instance,
    defaults,
    delete,
    download,
    get,
    head,
    interceptors,
    options,
    patch,
    post,
    put,
    request,
    use,
)
from ._cancel import AbortController, AbortSignal, CancelToken
from ._client import Axios, AxiosPython, RequestContext
from ._compat import (
    BaseTransport,
    HttpxTransport,
    PreparedRequest,
    RequestConfig,
    merge_config,
)
from ._config import DEFAULT_MAX_LINE_LENGTH, RequestOptions, Timeout
from ._download import DownloadResult
from ._events import ServerSentEvent
from ._exceptions import (
    AxiosError,
    AxiosPythonError,
    CancelError,
    ConnectError,
    ConnectTimeout,
    ContentTooLarge,
    DeadlineExceeded,
    DecodingError,
    HTTPStatusError,
    IntegrityError,
    InterceptorError,
    InvalidOptionError,
    InvalidURL,
    JSONDecodeError,
    LineTooLong,
    LocalProtocolError,
    NetworkError,
    PoolTimeout,
    ProxyError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    ResponseNotRead,
    RetryError,
    SSLError,
    StreamClosed,
    StreamConsumed,
    StreamError,
    TimeoutError,
    TooManyRedirects,
    WriteError,
    WriteTimeout,
    is_axios_error,
)
from ._helpers import all, spread
from ._interceptors import Context, InterceptorManager
from ._plugins import AuthPlugin, CachePlugin, LoggerPlugin, Plugin
from ._progress import ProgressEvent
from ._response import Response
from ._retry import ExponentialBackoff, FixedDelay, LinearBackoff, RetryStrategy
from ._session import Session, session
from ._version import __version__
from .exceptions import ConnectionError, HTTPError, RequestException  # requests' top-level names

__all__ = [
    "BaseTransport",
    "ServerSentEvent",
    "DownloadResult",
    "ProgressEvent",
    "IntegrityError",
    "async_download",
    "download",
    "HttpxTransport",
    "PreparedRequest",
    "RequestConfig",
    "merge_config",
    "DEFAULT_MAX_LINE_LENGTH",
    "AuthPlugin",
    "CachePlugin",
    "LoggerPlugin",
    "Plugin",
    "all",
    "spread",
    "AbortController",
    "AbortSignal",
    "CancelToken",
    "Context",
    "ExponentialBackoff",
    "FixedDelay",
    "InterceptorError",
    "InterceptorManager",
    "LinearBackoff",
    "RetryError",
    "RetryStrategy",
    "Axios",
    "AxiosError",
    "AxiosPython",
    "AxiosPythonError",
    "CancelError",
    "ConnectError",
    "ConnectTimeout",
    "ContentTooLarge",
    "DeadlineExceeded",
    "DecodingError",
    "HTTPStatusError",
    "InvalidOptionError",
    "InvalidURL",
    "JSONDecodeError",
    "LineTooLong",
    "LocalProtocolError",
    "NetworkError",
    "PoolTimeout",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "RequestContext",
    "RequestOptions",
    "Response",
    "RequestException",
    "HTTPError",
    "ConnectionError",
    "SSLError",
    "Session",
    "session",
    "codes",
    "auth",
    "ResponseNotRead",
    "StreamClosed",
    "StreamConsumed",
    "StreamError",
    "Timeout",
    "TimeoutError",
    "TooManyRedirects",
    "WriteError",
    "WriteTimeout",
    "__version__",
    "async_delete",
    "async_get",
    "async_head",
    "async_options",
    "async_patch",
    "async_post",
    "async_put",
    "async_request",
    "create",
    "default_instance",
    "defaults",
    "delete",
    "exceptions",
    "get",
    "head",
    "interceptors",
    "is_axios_error",
    "options",
    "patch",
    "post",
    "put",
    "request",
    "use",
]
