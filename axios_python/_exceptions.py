"""The one error tree of axios_python.

Every failure a caller can see is an ``AxiosError``; nothing from httpx, httpcore,
h11 or the socket layer escapes. The original error is chained as ``__cause__``.

    AxiosError  (alias AxiosPythonError)           .code, .config, .request, .response
    ├── InvalidOptionError  (also ValueError)       ERR_BAD_OPTION_VALUE
    ├── InvalidURL  (also ValueError)               ERR_INVALID_URL
    ├── NetworkError                                ERR_NETWORK
    │   ├── ConnectError
    │   │   └── SSLError                            TLS handshake or certificate check failed
    │   ├── ReadError
    │   ├── WriteError
    │   ├── ProxyError
    │   └── RemoteProtocolError                     ECONNABORTED (truncated body, bad
    │                                               framing, garbage status line, huge head)
    ├── TimeoutError  (also builtins.TimeoutError)  ETIMEDOUT
    │   ├── ConnectTimeout  (also a ConnectError, as requests' ConnectTimeout)
    │   ├── ReadTimeout
    │   ├── WriteTimeout
    │   ├── PoolTimeout
    │   └── DeadlineExceeded                        the ``total`` budget ran out
    ├── HTTPStatusError                             ERR_BAD_REQUEST (4xx), ERR_BAD_RESPONSE (5xx)
    ├── TooManyRedirects                            ERR_FR_TOO_MANY_REDIRECTS
    ├── LocalProtocolError                          ERR_BAD_REQUEST (we could not send it)
    ├── DecodingError                               ERR_BAD_RESPONSE (bad gzip, bad charset)
    │   └── JSONDecodeError  (also ValueError)      ``json()`` on a body that is not JSON
    ├── ContentTooLarge                             ERR_CONTENT_TOO_LARGE
    │   └── LineTooLong                             a line over ``max_line_length``
    ├── StreamError                                 ERR_STREAM
    │   ├── ResponseNotRead
    │   ├── StreamConsumed
    │   └── StreamClosed
    ├── CancelError                                 ERR_CANCELED
    ├── RetryError                                  ERR_RETRY_EXHAUSTED (.last_exception, .attempts)
    ├── IntegrityError                              ERR_INTEGRITY (a download's length or digest)
    └── InterceptorError                            ERR_INTERCEPTOR (interceptor/transform failed)

``map_exception`` is the single place where errors of the layer below become ours.
"""

from __future__ import annotations

import asyncio
import builtins
import math
import ssl
from typing import TYPE_CHECKING, Any

import h11
import httpx

if TYPE_CHECKING:
    from ._response import Response

__all__ = [
    "AxiosError",
    "AxiosPythonError",
    "CancelError",
    "ConnectError",
    "ConnectTimeout",
    "ContentTooLarge",
    "DeadlineExceeded",
    "DecodingError",
    "HTTPStatusError",
    "IntegrityError",
    "InterceptorError",
    "InvalidOptionError",
    "JSONDecodeError",
    "InvalidURL",
    "LineTooLong",
    "LocalProtocolError",
    "NetworkError",
    "PoolTimeout",
    "ProxyError",
    "SSLError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "RetryError",
    "ResponseNotRead",
    "StreamClosed",
    "StreamConsumed",
    "StreamError",
    "TimeoutError",
    "TooManyRedirects",
    "WriteError",
    "WriteTimeout",
    "is_axios_error",
]


class AxiosError(Exception):
    """Base of every error raised by axios_python."""

    default_code = "ERR_UNKNOWN"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        config: dict[str, Any] | None = None,
        request: httpx.Request | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code: str = code or self.default_code
        self.config = config
        self.request = request
        self.response = response

    @property
    def is_axios_error(self) -> bool:
        """Always True, as axios's ``error.isAxiosError``."""
        return True

    def __reduce__(self) -> Any:  # keep pickling (multiprocessing) working
        return (_rebuild, (type(self), self.message, self.code))


def _rebuild(cls: type[AxiosError], message: str, code: str) -> AxiosError:
    error = cls.__new__(cls)
    AxiosError.__init__(error, message, code=code)
    return error


AxiosPythonError = AxiosError


class InvalidOptionError(AxiosError, ValueError):
    """A request option has a value we refuse; raised before any I/O."""

    default_code = "ERR_BAD_OPTION_VALUE"


class InvalidURL(AxiosError, ValueError):
    """The URL cannot be requested: malformed, no host, or an unsupported scheme."""

    default_code = "ERR_INVALID_URL"


class NetworkError(AxiosError):
    """The connection failed: could not connect, read, write, or the peer broke HTTP."""

    default_code = "ERR_NETWORK"


class ConnectError(NetworkError):
    """The connection could not be made: refused, DNS failure, TLS failure."""


class ReadError(NetworkError):
    """The connection failed while receiving."""


class WriteError(NetworkError):
    """The connection failed while sending."""


class ProxyError(NetworkError):
    """The proxy refused or failed."""


class SSLError(ConnectError):
    """The TLS handshake failed, e.g. the certificate could not be verified (requests' name)."""


class RemoteProtocolError(NetworkError):
    """The server broke HTTP/1.1: truncated body, bad chunked framing, bad status line..."""

    default_code = "ECONNABORTED"


class TimeoutError(AxiosError, builtins.TimeoutError):
    """A timeout fired. Also a builtin ``TimeoutError`` so generic handlers catch it."""

    default_code = "ETIMEDOUT"


class ConnectTimeout(TimeoutError, ConnectError):
    """Connecting timed out: a ``TimeoutError`` and, as in requests, a ``ConnectError`` too."""


class ReadTimeout(TimeoutError):
    """A wait for data (the response head or a piece of the body) passed ``read``."""


class WriteTimeout(TimeoutError):
    """A wait to send a piece of the request passed ``write``."""


class PoolTimeout(TimeoutError):
    """No pooled connection became free within ``pool``."""


class DeadlineExceeded(TimeoutError):
    """The ``total`` timeout, a deadline over the whole exchange, ran out."""


class HTTPStatusError(AxiosError):
    """``validate_status`` (or ``raise_for_status()``) rejected the response status."""

    default_code = "ERR_BAD_RESPONSE"

    def __init__(
        self, message: str, response: Response | None = None, **kwargs: Any
    ) -> None:  # ``response`` positional too, as in axios-python 0.2.0
        super().__init__(message, response=response, **kwargs)


class TooManyRedirects(AxiosError):
    """More redirects than ``max_redirects`` allows."""

    default_code = "ERR_FR_TOO_MANY_REDIRECTS"


class LocalProtocolError(AxiosError):
    """The request could not be sent as HTTP (for instance a body longer than declared)."""

    default_code = "ERR_BAD_REQUEST"


class DecodingError(AxiosError):
    """The body could not be decoded: broken compression, bad charset, invalid JSON."""

    default_code = "ERR_BAD_RESPONSE"


class JSONDecodeError(DecodingError, ValueError):
    """``json()`` met a body that is not valid JSON (a ValueError, as in requests)."""


class ContentTooLarge(AxiosError):
    """The body is larger than ``max_content_length`` allows."""

    default_code = "ERR_CONTENT_TOO_LARGE"


class LineTooLong(ContentTooLarge):
    """``iter_lines`` met a line longer than ``max_line_length``."""


class StreamError(AxiosError):
    """A streamed body was used the wrong way; the message says what to do instead."""

    default_code = "ERR_STREAM"


class ResponseNotRead(StreamError):
    """``content``, ``text``, ``data`` or ``json()`` on a streamed, unread body."""


class StreamConsumed(StreamError):
    """A streamed body was read twice: it comes off the network once."""


class StreamClosed(StreamError):
    """The body was read after the response was closed."""


class CancelError(AxiosError):
    """The call's ``cancel_token`` was cancelled or its ``signal`` aborted."""

    default_code = "ERR_CANCELED"


class RetryError(AxiosError):
    """Every attempt failed; ``last_exception`` is the final failure, ``attempts`` the count."""

    default_code = "ERR_RETRY_EXHAUSTED"

    def __init__(
        self,
        message: str,
        last_exception: BaseException | None = None,
        *,
        attempts: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.last_exception = last_exception
        self.attempts = attempts


class IntegrityError(AxiosError):
    """A download arrived but is not the resource: wrong length or wrong digest."""

    default_code = "ERR_INTEGRITY"


class InterceptorError(AxiosError):
    """An interceptor or transform raised an error that is not ours (chained as ``__cause__``),
    a request interceptor returned no config, or an async handler met a sync call."""

    default_code = "ERR_INTERCEPTOR"


def is_axios_error(value: object) -> bool:
    """True for any error raised by axios_python (as axios's ``isAxiosError``)."""
    return isinstance(value, AxiosError)


_HTTPX_TO_OURS: tuple[tuple[type[BaseException], type[AxiosError]], ...] = (
    (httpx.ConnectTimeout, ConnectTimeout),
    (httpx.ReadTimeout, ReadTimeout),
    (httpx.WriteTimeout, WriteTimeout),
    (httpx.PoolTimeout, PoolTimeout),
    (httpx.TimeoutException, TimeoutError),
    (httpx.ConnectError, ConnectError),
    (httpx.ReadError, ReadError),
    (httpx.WriteError, WriteError),
    (httpx.ProxyError, ProxyError),
    (httpx.UnsupportedProtocol, InvalidURL),
    (httpx.RemoteProtocolError, RemoteProtocolError),
    (httpx.LocalProtocolError, LocalProtocolError),
    (httpx.DecodingError, DecodingError),
    (httpx.TooManyRedirects, TooManyRedirects),
    (httpx.InvalidURL, InvalidURL),
    (httpx.ResponseNotRead, ResponseNotRead),
    (httpx.StreamConsumed, StreamConsumed),
    (httpx.StreamClosed, StreamClosed),
    (httpx.NetworkError, NetworkError),
    (httpx.TransportError, NetworkError),
    (h11.LocalProtocolError, LocalProtocolError),
    (h11.RemoteProtocolError, RemoteProtocolError),
    (builtins.TimeoutError, TimeoutError),
    (asyncio.TimeoutError, TimeoutError),  # a different class before Python 3.11
    (OSError, NetworkError),
)


_FROM_BELOW: tuple[type[BaseException], ...] = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpx.StreamError,
    httpx.CookieConflict,
    h11.ProtocolError,
    OSError,
    builtins.TimeoutError,
    asyncio.TimeoutError,
)


def is_from_below(exc: BaseException) -> bool:
    """True for errors of the HTTP stack (httpx, h11, sockets), which must become ours.

    Anything else (an exception from the caller's own upload iterator, auth callable or
    ``validate_status``) is the caller's, and passes through unchanged.
    """
    return isinstance(exc, _FROM_BELOW)


def map_exception(
    exc: BaseException,
    *,
    config: dict[str, Any] | None = None,
    request: httpx.Request | None = None,
    response: Response | None = None,
    deadline_expired: bool = False,
    total: float | None = None,
) -> AxiosError:
    """Turn an error from httpx or the socket layer into ours (the caller chains it).

    When the exchange's ``total`` deadline has passed, any failure it provoked (the
    watchdog shuts the socket, reads time out early) is reported as ``DeadlineExceeded``.
    """
    if isinstance(exc, AxiosError):
        return exc
    if request is None and isinstance(exc, httpx.RequestError):
        try:
            request = exc.request
        except RuntimeError:
            request = None
    kwargs: dict[str, Any] = {"config": config, "request": request, "response": response}
    if deadline_expired:
        budget = "" if total is None or math.isnan(total) else f" of {total:g} s"
        detail = str(exc) or type(exc).__name__
        return DeadlineExceeded(
            f"total timeout{budget} exceeded before the exchange finished ({detail})", **kwargs
        )
    message = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError) and _caused_by_tls(exc):
        return SSLError(message, **kwargs)
    for source, target in _HTTPX_TO_OURS:
        if isinstance(exc, source):
            if target is RemoteProtocolError:
                message = _explain_protocol_error(message)
            elif issubclass(target, TimeoutError):
                message = f"{type(exc).__name__}: {message}"
            return target(message, **kwargs)
    return AxiosError(f"{type(exc).__name__}: {message}", **kwargs)


def _caused_by_tls(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return "[SSL" in str(exc)


_PROTOCOL_HINTS: tuple[tuple[str, str], ...] = (
    ("peer closed connection without sending complete message body", "response body truncated"),
    ("receive buffer too long", "the response head is too large (over 100 KiB) or never ends"),
    ("illegal status line", "the server sent a garbage status line"),
    ("chunk", "bad chunked framing in the response body"),
    ("server disconnected without sending a response", "the server closed without responding"),
)


def _explain_protocol_error(message: str) -> str:
    lowered = message.lower()
    for needle, hint in _PROTOCOL_HINTS:
        if needle in lowered:
            return f"{hint}: {message}"
    return f"the server broke HTTP/1.1: {message}"
