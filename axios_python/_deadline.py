"""The ``total`` timeout: a deadline over the whole exchange, body iteration included.

httpx's timeouts are per operation, and httpcore reads its read timeout once per body, so
a server that drips a byte every 200 ms never trips one. Two cheap mechanisms close the gap:
every wire chunk checks the clock, and each wait is cut off at the deadline: in sync code by
clamping every socket operation's timeout (plus, for transports we did not build, a watchdog
thread that shuts the socket down), in async code by asyncio's own timeout around each read.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpcore
import httpx

from ._cancel import CANCEL_POLL_SECONDS, CancelToken, race_cancel

__all__ = [
    "Deadline",
    "Watch",
    "arm_sync",
    "before_deadline",
    "deadline_scope",
    "clamp_socket_waits",
    "current_bounds",
    "shutdown_socket_of",
    "watched",
]

_T = TypeVar("_T")


class Deadline:
    """The ``total`` timeout as an absolute ``time.monotonic()`` instant (None: no deadline)."""

    __slots__ = ("at", "total")

    def __init__(self, total: float | None, start: float | None = None) -> None:
        self.total = total
        begin = time.monotonic() if start is None else start
        self.at: float | None = None if total is None else begin + total

    def remaining(self) -> float | None:
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at


class Watch:
    """A cancellable pending call; ``fired`` tells whether the deadline struck."""

    __slots__ = ("_cancel", "fired")

    def __init__(self) -> None:
        self.fired = False
        self._cancel: Callable[[], None] = lambda: None

    def cancel(self) -> None:
        self._cancel()


class _WatchdogThread:
    """One daemon thread running every sync deadline, started on first use."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Watch, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, at: float, action: Callable[[], None]) -> Watch:
        watch = Watch()
        entry = (at, next(self._counter), watch, action)
        with self._condition:
            heapq.heappush(self._heap, entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="axios-python-deadlines", daemon=True
                )
                self._thread.start()
            self._condition.notify()

        def cancel() -> None:
            with self._condition:
                try:
                    self._heap.remove(entry)
                except ValueError:
                    return
                heapq.heapify(self._heap)

        watch._cancel = cancel
        return watch

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    wait = None if not self._heap else self._heap[0][0] - time.monotonic()
                    self._condition.wait(wait)
                _, _, watch, action = heapq.heappop(self._heap)
            watch.fired = True
            with contextlib.suppress(Exception):  # a failed shutdown must not kill the thread
                action()


_WATCHDOG = _WatchdogThread()


def shutdown_socket_of(extensions: dict[str, Any]) -> Callable[[], None] | None:
    """An action that unblocks a read on this response's socket, if we can reach it."""
    stream = extensions.get("network_stream")
    if stream is None:
        return None
    try:
        sock = stream.get_extra_info("socket")
    except Exception:
        return None
    if not isinstance(sock, socket.socket):
        return None

    def shutdown() -> None:
        with contextlib.suppress(OSError):  # already closed: nothing left to unblock
            sock.shutdown(socket.SHUT_RDWR)

    return shutdown


def arm_sync(deadline: Deadline, action: Callable[[], None]) -> Watch | None:
    if deadline.at is None:
        return None
    return _WATCHDOG.arm(deadline.at, action)


def watched(
    awaitable: Awaitable[_T], deadline: Deadline, token: CancelToken | None
) -> Awaitable[_T]:
    """``awaitable`` cut off at the deadline and by the cancel token, if any; with neither,
    ``awaitable`` itself (no extra coroutine frames on every resume of the hot path)."""
    if token is None:
        return awaitable if deadline.at is None else before_deadline(deadline, awaitable)
    return before_deadline(deadline, race_cancel(token, awaitable))


async def before_deadline(deadline: Deadline, awaitable: Awaitable[_T]) -> _T:
    """Await ``awaitable``, cancelled at the deadline (asyncio's own timeout, no thread)."""
    remaining = deadline.remaining()
    if remaining is None:
        return await awaitable
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(remaining):
            return await awaitable
    return await asyncio.wait_for(awaitable, remaining)  # pragma: no cover - Python 3.10


# -- sync: every blocking socket operation waits at most until the current deadline --------
#
# httpcore reads its timeouts once per phase, so a response head or body that drips in
# slowly never trips one. Our sync transport wraps httpcore's network backend so that each
# connect, read and write is clamped to the deadline of the exchange running in this thread.

_current = threading.local()


_UNBOUNDED: contextlib.AbstractContextManager[None] = contextlib.nullcontext()


def deadline_scope(
    deadline: Deadline, token: CancelToken | None = None
) -> contextlib.AbstractContextManager[None]:
    """Within this block, socket waits in this thread end at ``deadline`` or on cancel.

    Without either there is nothing to set: a shared no-op context (the common case).
    """
    if deadline.at is None and token is None:
        return _UNBOUNDED
    return _bounded(deadline.at, token)


@contextlib.contextmanager
def _bounded(at: float | None, token: CancelToken | None) -> Iterator[None]:
    previous = (getattr(_current, "at", None), getattr(_current, "token", None))
    previous_bounds = getattr(_current, "bounds", None)
    _current.at, _current.token, _current.bounds = at, token, (at, token)
    try:
        yield
    finally:
        (_current.at, _current.token), _current.bounds = previous, previous_bounds


def current_bounds() -> tuple[float | None, CancelToken | None] | None:
    """``(deadline, cancel token)`` of the exchange running in this thread, or None.

    Our own sync transport asks this before each blocking socket wait (one attribute read),
    so that a ``total`` deadline and a cancel reach it without wrapping anything.
    """
    bounds: tuple[float | None, CancelToken | None] | None = getattr(_current, "bounds", None)
    return bounds


def _clamp(timeout: float | None) -> float | None:
    at: float | None = getattr(_current, "at", None)
    if at is None:
        return timeout
    remaining = max(at - time.monotonic(), 0.0001)
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        token: CancelToken | None = getattr(_current, "token", None)
        if token is None:
            return self._inner.read(max_bytes, _clamp(timeout))
        # Wait in short slices so that a cancel from another thread is seen within one.
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            token.raise_if_cancelled()
            wait = _clamp(None if end is None else max(end - time.monotonic(), 0.0001))
            step = CANCEL_POLL_SECONDS if wait is None else min(wait, CANCEL_POLL_SECONDS)
            try:
                return self._inner.read(max_bytes, step)
            except httpcore.ReadTimeout:
                token.raise_if_cancelled()
                if wait is not None and wait <= step:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _clamp(timeout), local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._inner.connect_unix_socket(path, _clamp(timeout), socket_options)
        )

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def clamp_socket_waits(client: httpx.Client) -> None:
    """Clamp every socket wait of this client's own transports to the running deadline.

    The client keeps httpx's transports (so proxies from the environment still apply); we
    only wrap the network backend of each httpcore pool. If httpcore ever stops exposing it,
    the deadline is still enforced by chunk checks and the watchdog.
    """
    transports = [getattr(client, "_transport", None)]
    transports += list(getattr(client, "_mounts", {}).values())
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(
            backend, _DeadlineBackend
        ):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
