"""The ``trace`` request extension: the phase events httpcore reports, from our transports.

httpx's ``-v`` command line, and tools that time the phases of a request, pass
``extensions={"trace": callback}``. httpcore calls ``callback(name, info)`` around each
phase (``connection.connect_tcp``, ``connection.start_tls``,
``http11.send_request_headers``, ``http11.send_request_body``,
``http11.receive_response_headers``, ``http11.receive_response_body``,
``http11.response_closed``): ``<phase>.started`` with the phase's arguments, then
``<phase>.complete`` with ``info["return_value"]`` or ``<phase>.failed`` with
``info["exception"]``. Our transports report the same names with the same shapes, so such
callers see no difference. Async clients pass an ``async def`` callback; it is awaited.

The same events go to the loggers ``axios_python.transports.connection`` and
``axios_python.transports.http11`` at DEBUG level, worded as httpcore words them for its
``httpcore.connection`` / ``httpcore.http11`` loggers (``connect_tcp.started host='...'
port=...``), so ``logging.basicConfig(level=logging.DEBUG)`` shows what it showed over
httpx's transport. Requests print as ``<Request [b'GET']>``: header values (credentials)
never reach a log.

Without the extension or a debug logger a transport uses ``NO_TRACE``, whose phases do
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

__all__ = [
    "NO_TRACE",
    "AsyncTrace",
    "SyncTrace",
    "TracedRequest",
    "async_trace",
    "logged_close",
    "sync_trace",
    "traced_request",
]

_LOGGERS = {
    prefix: logging.getLogger(f"axios_python.transports.{prefix}")
    for prefix in ("connection", "http11")
}
_CONNECTION_LOG, _HTTP11_LOG = _LOGGERS["connection"], _LOGGERS["http11"]


@dataclass(frozen=True)
class TracedURL:
    scheme: bytes
    host: bytes
    port: int | None
    target: bytes


@dataclass(frozen=True, repr=False)
class TracedRequest:
    """The request as trace callbacks read it (the attributes of httpcore's ``Request``):
    the method, the URL parts and target, and the header lines exactly as sent."""

    method: bytes
    url: TracedURL
    headers: list[tuple[bytes, bytes]]
    extensions: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # httpcore's; never the headers (credentials) in a log line
        return f"<Request [{self.method!r}]>"


def traced_request(request: httpx.Request, headers: list[tuple[bytes, bytes]]) -> TracedRequest:
    url = request.url
    return TracedRequest(
        method=request.method.encode("ascii"),
        url=TracedURL(url.raw_scheme, url.raw_host, url.port, url.raw_path),
        headers=headers,
        extensions=request.extensions,
    )


class _Phase:
    """What a traced phase reports: ``<name>.started`` with the phase's arguments, then
    ``<name>.complete`` with ``return_value`` or ``<name>.failed`` with ``exception``."""

    __slots__ = ("_callback", "_info", "_name", "value")

    def __init__(
        self, callback: Callable[[str, dict[str, Any]], Any], name: str, info: dict[str, Any]
    ) -> None:
        self._callback = callback
        self._name = name
        self._info = info
        self.value: Any = None

    def _started(self) -> tuple[str, dict[str, Any]]:
        return self._name + ".started", self._info

    def _ended(self, exc: BaseException | None) -> tuple[str, dict[str, Any]]:
        if exc is None:
            return self._name + ".complete", {"return_value": self.value}
        return self._name + ".failed", {"exception": exc}


class Phase(_Phase):
    """One traced phase: ``with trace.phase(name, **info) as phase: ...; phase.value = x``."""

    __slots__ = ()

    def __enter__(self) -> Phase:
        self._callback(*self._started())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._callback(*self._ended(exc))


class AsyncPhase(_Phase):
    """The async twin of ``Phase``: the callback's coroutine is awaited."""

    __slots__ = ()

    async def __aenter__(self) -> AsyncPhase:
        await self._callback(*self._started())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._callback(*self._ended(exc))


class _NoPhase:
    """A phase nobody listens to: one shared object, nothing done."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Any = None

    def __enter__(self) -> _NoPhase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    async def __aenter__(self) -> _NoPhase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class _Trace:
    """One exchange's trace (made per request): its phases, and the request they show."""

    __slots__ = ("_callback", "_sent")
    enabled = True
    _phase_type: type[_Phase] = _Phase

    def __init__(self, callback: Callable[[str, dict[str, Any]], Any]) -> None:
        self._callback = callback
        self._sent: TracedRequest | None = None

    def phase(self, name: str, **info: Any) -> Any:
        return self._phase_type(self._callback, name, info)

    def sent(self, request: httpx.Request, headers: list[tuple[bytes, bytes]]) -> TracedRequest:
        """The request as its head went out, shown by every later phase."""
        self._sent = traced_request(request, headers)
        return self._sent

    def shown(self, request: httpx.Request) -> TracedRequest:
        """The request the receiving phases report, as httpcore reports its own: never
        httpx's ``Request``, whose repr in a log line would carry the URL and its query."""
        if self._sent is None:  # the head never went out whole (an upload cut short)
            self._sent = traced_request(request, list(request.headers.raw))
        return self._sent


class SyncTrace(_Trace):
    """Calls a plain ``callback(name, info)``."""

    __slots__ = ()
    _phase_type = Phase


class AsyncTrace(_Trace):
    """Awaits an ``async def callback(name, info)``."""

    __slots__ = ()
    _phase_type = AsyncPhase


class _NoTrace:
    __slots__ = ()
    enabled = False
    _phase = _NoPhase()

    def phase(self, name: str, **info: Any) -> _NoPhase:
        return self._phase

    def shown(self, request: httpx.Request) -> None:
        return None


NO_TRACE: Any = _NoTrace()
"""Used when the request has no ``trace`` extension: phases that cost one call each."""


def logged_close(close: Callable[[], None]) -> None:
    """Close a connection; with debug logging on, between ``close.started`` and
    ``close.complete`` lines, as httpcore logs a connection's close (no trace extension
    event: a pool closes connections outside any request)."""
    logger = _LOGGERS["connection"]
    if not logger.isEnabledFor(logging.DEBUG):
        close()
        return
    logger.debug("close.started")
    close()
    logger.debug("close.complete")


def _debugging() -> bool:
    # spelled out, no generator: this runs for every request
    return _CONNECTION_LOG.isEnabledFor(logging.DEBUG) or _HTTP11_LOG.isEnabledFor(logging.DEBUG)


def _log(name: str, info: dict[str, Any]) -> None:
    """One event as httpcore logs it: ``<event>`` alone when there is nothing to add."""
    prefix, _, event = name.partition(".")
    logger = _LOGGERS[prefix]
    if not logger.isEnabledFor(logging.DEBUG):
        return
    if not info or ("return_value" in info and info["return_value"] is None):
        logger.debug(event)
    else:
        logger.debug("%s %s", event, " ".join(f"{key}={value!r}" for key, value in info.items()))


def sync_trace(request: httpx.Request) -> Any:
    """The trace for one sync request: its ``trace`` extension, the debug loggers, or
    ``NO_TRACE`` when neither listens."""
    callback = request.extensions.get("trace")
    if not _debugging():
        return NO_TRACE if callback is None else SyncTrace(callback)

    def report(name: str, info: dict[str, Any]) -> None:
        _log(name, info)
        if callback is not None:
            callback(name, info)

    return SyncTrace(report)


def async_trace(request: httpx.Request) -> Any:
    """The async twin of ``sync_trace`` (an extension's callback is awaited)."""
    callback = request.extensions.get("trace")
    if not _debugging():
        return NO_TRACE if callback is None else AsyncTrace(callback)

    async def report(name: str, info: dict[str, Any]) -> None:
        _log(name, info)
        if callback is not None:
            await callback(name, info)

    return AsyncTrace(report)
