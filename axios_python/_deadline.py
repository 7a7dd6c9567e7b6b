"""The ``total`` timeout: a deadline over the whole exchange, body iteration included.

httpx's timeouts are per operation, and httpcore reads its read timeout once per body, so
a server that drips a byte every 200 ms never trips one. Two cheap mechanisms close the gap:
every wire chunk checks the clock, and a watchdog shuts the socket down at the deadline so
that a read blocked on a stalled server returns at once. Sync exchanges share one watchdog
thread; async ones use a timer on their own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Deadline", "Watch", "shutdown_socket_of"]


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


def arm_async(deadline: Deadline, action: Callable[[], None]) -> Watch | None:
    if deadline.at is None:
        return None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # pragma: no cover - another async library: rely on chunk checks
        return None
    watch = Watch()

    def fire() -> None:
        watch.fired = True
        action()

    handle = loop.call_later(max(0.0, deadline.at - time.monotonic()), fire)
    watch._cancel = handle.cancel
    return watch
