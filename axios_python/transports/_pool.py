"""The keep-alive pool's bookkeeping, without I/O, locks or waiting.

``ConnectionPool`` counts connections per (scheme, host, port) under ``httpx.Limits``
(max_connections, max_keepalive_connections, keepalive_expiry), keeps the idle ones, evicts
the oldest idle one when a limit is hit, and reserves a slot for a connection about to be
opened. It never blocks: when nothing is available ``acquire`` says so, and the caller waits
its own way (the sync transport on a ``threading.Condition``, the async one on asyncio
futures) for a ``release`` or ``forget`` and asks again. Closing a connection is the
connection's own (synchronous, non-blocking) ``close()``.
"""

from __future__ import annotations

import time
from typing import Generic, Protocol, TypeVar

import httpx

__all__ = ["ConnectionPool", "Key", "Pooled"]

Key = tuple[str, str, int]  # (scheme, host, port)


class Pooled(Protocol):
    """What the pool needs of a connection."""

    key: Key
    idle_since: float

    def is_alive(self) -> bool:
        """False when the idle connection was closed by the server or holds junk."""
        ...

    def close(self) -> None:
        """Close at once, without blocking."""
        ...


C = TypeVar("C", bound=Pooled)


class ConnectionPool(Generic[C]):
    """Idle connections per key and the count of all connections, under ``httpx.Limits``.

    ``acquire(key)`` returns ``(conn, True)`` for an idle live connection to reuse,
    ``(None, True)`` after reserving a slot for a new connection (the caller opens it and
    calls ``forget`` if that fails), ``(None, False)`` when every slot is taken (wait for a
    ``release`` or ``forget``, then ask again). ``release`` keeps a connection that finished
    a response; ``discard`` closes one and frees its slot.
    """

    __slots__ = (
        "_closed",
        "_idle",
        "_idle_count",
        "_total",
        "expiry",
        "max_connections",
        "max_keepalive",
    )

    def __init__(self, limits: httpx.Limits) -> None:
        self.max_connections = limits.max_connections
        self.max_keepalive = limits.max_keepalive_connections
        self.expiry = limits.keepalive_expiry
        self._idle: dict[Key, list[C]] = {}
        self._idle_count = 0
        self._total = 0  # connections open or being opened, idle or not
        self._closed = False

    @property
    def total(self) -> int:
        return self._total

    @property
    def idle(self) -> int:
        return self._idle_count

    @property
    def closed(self) -> bool:
        return self._closed

    def take_idle(self, key: Key) -> C | None:
        """A live idle connection for ``key``, or None; expired and dead ones are closed on
        the way. The first half of ``acquire``, for callers that try it before waiting."""
        if self._closed:
            raise RuntimeError("the transport is closed")
        idle = self._idle.get(key)
        if idle:
            now = time.monotonic()
            expiry = self.expiry
            while idle:
                conn = idle.pop()  # the most recently used: the likeliest to be alive
                self._idle_count -= 1
                if (expiry is not None and now - conn.idle_since > expiry) or (not conn.is_alive()):
                    conn.close()
                    self._total -= 1
                    continue
                return conn
        return None

    def acquire(self, key: Key) -> tuple[C | None, bool]:
        conn = self.take_idle(key)
        if conn is not None:
            return conn, True
        if self.max_connections is None or self._total < self.max_connections:
            self._total += 1
            return None, True
        victim = self._pop_oldest_idle()
        if victim is not None:  # full, but an idle connection to another host can go
            victim.close()
            return None, True  # its slot is ours
        return None, False

    def _pop_oldest_idle(self) -> C | None:
        oldest: C | None = None
        for conns in self._idle.values():
            if conns and (oldest is None or conns[0].idle_since < oldest.idle_since):
                oldest = conns[0]
        if oldest is not None:
            self._idle[oldest.key].remove(oldest)
            self._idle_count -= 1
        return oldest

    def release(self, conn: C) -> None:
        """Keep ``conn`` for reuse (it finished a response and may carry another); after
        ``close()`` it is closed instead."""
        if self._closed:
            conn.close()
            self._total -= 1
            return
        conn.idle_since = time.monotonic()
        idle = self._idle.get(conn.key)
        if idle is None:
            idle = self._idle[conn.key] = []
        idle.append(conn)
        self._idle_count += 1
        if self.max_keepalive is not None and self._idle_count > self.max_keepalive:
            victim = self._pop_oldest_idle()
            if victim is not None:
                victim.close()
                self._total -= 1

    def discard(self, conn: C) -> None:
        """Close ``conn`` (in use, not idle) and free its slot."""
        conn.close()
        self._total -= 1

    def forget(self) -> None:
        """Free the slot of a connection that is closed (or was never opened)."""
        self._total -= 1

    def close(self) -> None:
        """Close every idle connection; later ``acquire`` calls fail, released ones close."""
        self._closed = True
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
                self._total -= 1
        self._idle.clear()
        self._idle_count = 0
