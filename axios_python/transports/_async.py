"""An async HTTP/1.1 transport for httpx on asyncio that streams bodies at the socket's speed.

``AsyncHTTPTransport`` is an ``httpx.AsyncBaseTransport``, the async twin of ``_sync``'s
``HTTPTransport``: hand it to ``httpx.AsyncClient(transport=...)`` or to axios_python
(``transport=AsyncHTTPTransport()``). Over plain TCP and TLS it speaks HTTP/1.1 itself with
the same sans-I/O framing (``_framing``) and the same rules as the sync transport.

Each connection is an ``asyncio.BufferedProtocol``: the event loop's ``recv_into`` writes
straight into one large reusable buffer per connection (``buffer_size_for``), so one wakeup moves
as much as the kernel holds, and body bytes are copied once, when sliced out of it. While
that buffer is empty, a ``Content-Length`` or read-until-close body takes its pieces with
``recv`` on the socket itself (``_Connection.take_direct``; plain TCP on asyncio's own
loop): the kernel's copy is then the only one, and no loop turn is spent while bytes wait. No task
is created and no thread is used per chunk or per request: the reader waits on a plain
future, and a ``call_later`` timer is armed only when it really has to wait. Flow control
is TCP's: when the buffer is full and the reader has not drained it, the protocol pauses
reading (the server is held back by the kernel, the client buffers nothing more); the
reader resumes it as soon as it has taken the bytes out. Writes await ``resume_writing``
whenever the transport's buffer is above its high-water mark, so an upload of any size
streams with flat memory.

The pool (``_pool.ConnectionPool`` plus asyncio waiters), the timeouts (connect, read,
write, pool), the errors (httpx's own, carrying the request), the liveness check before
reuse and the one retry of a stale kept-alive connection are the sync transport's.
``Expect: 100-continue``, an answer that comes before an upload is done, the ``trace``
extension (httpcore's phase events, awaited) and ``101 Switching Protocols`` (the
connection handed to the caller as ``response.extensions["network_stream"]``, shaped like
httpcore's ``AsyncNetworkStream``) behave as in the sync transport; what both share lives
in ``_common``.

HTTP/2, proxies and Unix sockets are delegated, whole, to ``httpx.AsyncHTTPTransport``
built with the same arguments, and so is every request made under another async library
than asyncio (trio, via sniffio), and every request while respx or pytest-httpx patches
httpx (see ``_mocking``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpcore
import httpx
import sniffio
from httpx import AsyncHTTPTransport as _HttpxAsyncTransport  # bound once: no patched name

from ._common import (
    COALESCE,
    DEFAULT_LIMITS,
    HEAD_END,
    INCOMPLETE_CHUNKED,
    UNASKED_UPGRADE,
    BodyLength,
    ReadableProbe,
    SocketOption,
    WholeBodyTaker,
    _Disconnected,
    asks_to_upgrade,
    connect_failure,
    connection_key,
    continue_wait,
    declared_length,
    expects_continue,
    held_bytes,
    is_interim,
    may_resend,
    prepare_request_head,
    reset_before_answer,
    response_headers,
    settings_from,
    socket_info,
)
from ._framing import (
    CHUNKED,
    LENGTH,
    MAX_HEAD,
    NO_BODY,
    BodyFraming,
    ChunkedDecoder,
    ProtocolViolation,
    ResponseHead,
    body_framing,
    check_partial_head,
    parse_response_head,
)
from ._mocking import async_mocked
from ._pool import ConnectionPool, Key
from ._trace import NO_TRACE, async_trace, logged_close

if TYPE_CHECKING:
    from httpx._types import CertTypes, ProxyTypes

__all__ = ["AsyncHTTPTransport"]

BUFFER_SIZE = 1024 * 1024  # per connection at most: bytes one loop wakeup may read (bench)
MIN_BUFFER_SIZE = 64 * 1024
BUFFERS_BUDGET = 64 * 1024 * 1024  # what a full pool's buffers may take together
PIECE_SIZE = 256 * 1024  # the largest body piece yielded (see _ResponseStream)
RESERVE = 64 * 1024  # room past the buffer for the one read that may come before a pause
CHECKPOINT_BYTES = 8 * 1024 * 1024  # a body yields a bare loop turn this often (see wait)


def buffer_size_for(limits: httpx.Limits) -> int:
    """The receive buffer of each connection: 1 MiB for a small pool, less for a pool
    sized for many connections, so that all of them reading at once hold at most
    ``BUFFERS_BUDGET`` (500 concurrent streams: 128 KiB each), never under 64 KiB."""
    count = limits.max_connections
    if count is None or count <= 0:
        return BUFFER_SIZE // 4
    share = BUFFERS_BUDGET // count // MIN_BUFFER_SIZE * MIN_BUFFER_SIZE
    return max(MIN_BUFFER_SIZE, min(BUFFER_SIZE, share))


_T = TypeVar("_T")


def _expire(waiter: asyncio.Future[None]) -> None:
    """The timer of a wait: fail the waiter unless something woke it first."""
    if not waiter.done():
        waiter.set_exception(TimeoutError())


async def _within(awaitable: Awaitable[_T], timeout: float | None) -> _T:
    """``await awaitable``, cancelled after ``timeout`` seconds and turned into TimeoutError
    (asyncio.timeout without 3.11, and without the task ``wait_for`` makes on 3.10)."""
    if timeout is None:
        return await awaitable
    task = asyncio.current_task()
    assert task is not None
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    handle = asyncio.get_running_loop().call_later(timeout, expire)
    try:
        return await awaitable
    except asyncio.CancelledError:
        if not expired:
            raise
        uncancel = getattr(task, "uncancel", None)  # 3.11+: was it cancelled by others too?
        if uncancel is not None and uncancel() > 0:
            raise
        raise TimeoutError from None
    finally:
        handle.cancel()


async def _drain(conn: _Connection, timeout: float | None, request: httpx.Request) -> None:
    """Wait until the transport's full write buffer drains (httpx's WriteTimeout if not)."""
    try:
        await conn.drain(timeout)
    except TimeoutError as exc:
        raise httpx.WriteTimeout(str(exc) or "timed out", request=request) from exc


# -- connections ----------------------------------------------------------------------------


def _on_asyncio() -> bool:
    """``sniffio.current_async_library() == "asyncio"`` at half its cost on the path every
    request takes: trio (trio-asyncio's trio mode too) announces itself in sniffio's thread
    local or context variable; without either, a running asyncio loop means asyncio."""
    if sniffio.thread_local.name is not None or sniffio.current_async_library_cvar.get():
        return sniffio.current_async_library() == "asyncio"
    return asyncio._get_running_loop() is not None


class _Connection(asyncio.BufferedProtocol):
    """One TCP or TLS connection: the protocol, its receive buffer and the unconsumed range
    ``buffer[start:end]`` in it.

    The event loop writes into ``buffer[end:]`` (``get_buffer``/``buffer_updated``); the
    reader takes bytes from ``start`` and calls ``consumed(new_start)``. A reader must keep
    no index across an ``await``: ``wait`` may move the unconsumed bytes to the front.
    """

    __slots__ = (
        "answered",
        "buffer",
        "checkpoint",
        "deadline",
        "direct",
        "drain_waiter",
        "end",
        "eof",
        "error",
        "idle_since",
        "key",
        "limit",
        "loop",
        "paused",
        "readable",
        "received",
        "sock",
        "start",
        "timer",
        "timer_at",
        "transport",
        "view",
        "waiter",
        "write_paused",
    )

    def __init__(
        self,
        key: Key,
        sock: socket.socket,
        loop: asyncio.AbstractEventLoop,
        buffer_size: int = BUFFER_SIZE,
    ) -> None:
        self.key = key
        self.sock = sock
        self.readable = ReadableProbe(sock)
        self.loop = loop
        self.limit = buffer_size  # reading pauses once this much is buffered
        self.buffer = bytearray(buffer_size + min(RESERVE, buffer_size // 4))
        self.view = memoryview(self.buffer)
        self.start = 0
        self.end = 0
        self.transport: asyncio.Transport | None = None
        self.eof = False  # no more bytes will come (EOF, error or closed)
        self.error: BaseException | None = None
        self.paused = False  # reading paused by us: the buffer was full
        self.write_paused = False
        self.waiter: asyncio.Future[None] | None = None
        self.timer: asyncio.TimerHandle | None = None  # see _arm
        self.timer_at = 0.0  # when it fires
        self.deadline = 0.0  # when the current wait times out
        self.drain_waiter: asyncio.Future[None] | None = None
        self.idle_since = 0.0
        self.answered = False  # a response head (even a 1xx) came for the current request
        self.received = 0  # bytes received in all, and at the last checkpoint (see wait)
        self.checkpoint = 0
        self.direct = False  # body bytes may be taken from the socket itself (take_direct)

    # -- the event loop's side --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports (FastAPI and Sanic run on uvloop when it is installed) are
        # not asyncio.Transport subclasses, but have the same methods.
        self.transport = cast(asyncio.Transport, transport)
        # Plain TCP under asyncio's own selector loop: the socket's bytes are the body's.
        # Not under TLS (they are records) nor uvloop (its transports read on their own).
        self.direct = isinstance(self.loop, asyncio.selector_events.BaseSelectorEventLoop) and (
            transport.get_extra_info("sslcontext") is None
        )

    # Pausing is lazy: a reader waiting on ``waiter`` is woken before the loop's next read
    # callback runs (its wakeup is queued first) and drains the buffer, so pausing then
    # would only cost two epoll_ctl calls per buffer. Only a full buffer that nobody waits
    # for (the reader is busy elsewhere) pauses reading; if the reader left bytes behind
    # after all, the next read lands in the reserve and pauses then.
    # Never pause inside ``get_buffer``: libuv (uvloop) calls its read callback right after
    # the allocation one, and stopping the reads in between leaves that callback NULL.

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.end == len(self.buffer):  # only if a transport ignored pause_reading()
            self._make_room()
        return self.view[self.end :]

    def buffer_updated(self, nbytes: int) -> None:
        self.end += nbytes
        self.received += nbytes
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)
                if self.end <= self.limit:
                    return
        if self.end >= self.limit:  # full and nobody reading: TCP holds the server back
            self._pause()

    def _pause(self) -> None:
        if not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def _resume(self) -> None:
        if self.paused:
            self.paused = False
            if self.transport is not None:
                self.transport.resume_reading()

    def eof_received(self) -> bool:
        self.eof = True
        self.direct = False  # the transport closes the socket next
        self._wake()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        transport, self.transport = self.transport, None  # asyncio is done with it
        self.direct = False  # and closes the socket
        if (
            exc is not None
            and not self.paused
            and transport is not None
            and transport.get_extra_info("sslcontext") is None  # TLS records: not ours to read
        ):
            self._salvage()
        self.eof = True
        if exc is not None and self.error is None:
            self.error = exc
        self._wake()
        waiter, self.drain_waiter = self.drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        waiter, self.drain_waiter = self.drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _salvage(self) -> None:
        """Read what the kernel still holds for a connection that broke: a server that
        answered and then reset the connection under our upload (a 413, say) leaves its
        answer there when the failed write, not a read, told the loop first. asyncio closes
        the socket right after ``connection_lost``, so this is the last chance."""
        while self.end < len(self.buffer):
            try:
                n = self.sock.recv_into(self.view[self.end :])
            except OSError:  # nothing more (BlockingIOError), or the reset itself
                return
            if not n:
                return
            self.end += n

    def _make_room(self) -> None:
        """Move the unconsumed bytes to the front; grow the buffer if they fill it."""
        start, end = self.start, self.end
        if start:
            self.buffer[: end - start] = self.view[start:end]
            self.start, self.end = 0, end - start
        else:  # a transport that keeps feeding a paused protocol (3.10's TLS can)
            bigger = bytearray(2 * len(self.buffer))
            bigger[:end] = self.view[:end]
            self.buffer, self.view = bigger, memoryview(bigger)

    # -- the reader's side ------------------------------------------------------------------

    def consumed(self, start: int) -> None:
        """Bytes before ``start`` were taken: empty, the buffer restarts at the front and
        reading resumes (before the reader works on what it took, so the kernel refills)."""
        if start == self.end:
            self.start = self.end = 0
            if self.paused:
                self._resume()
        else:
            self.start = start

    def take_direct(self, most: int) -> bytes | None:
        """Up to ``most`` bytes read from the socket straight into a new ``bytes``, when the
        buffer is empty: one copy (the kernel's) where the buffer costs two (into the buffer,
        then out of it), and no loop turn while the kernel holds more, as a raw
        ``sock_recv_into`` loop does. None when nothing is waiting (the caller then waits on
        the transport as usual) or when a checkpoint turn is due (``wait`` takes it).

        The event loop runs its read callback only while this task is suspended, so no
        byte can land in the buffer between the caller's emptiness check and this read.
        """
        data: bytes | None = self._receive_directly(self.sock.recv, most)
        if data is not None:
            self.received += len(data)
        return data

    def top_up(self, need: int) -> bool:
        """Read up to ``need`` more bytes from the socket into the buffer, without a loop
        turn (direct reading only, as ``take_direct``): for a reader that wants a piece of
        an exact size while part of it sits in the buffer. Under many concurrent streams
        the kernel rarely holds a whole piece at once, and waiting on the transport for
        each part costs a loop turn per part (2.5x less throughput at 500 streams). True
        when bytes came."""
        if self.end + need > self.limit and self.start:
            self._make_room()
        room = min(need, self.limit - self.end)
        if room <= 0:
            return False
        n: int | None = self._receive_directly(
            self.sock.recv_into, self.view[self.end : self.end + room]
        )
        if n is None:
            return False
        self.end += n
        self.received += n
        return True

    def _receive_directly(self, receive: Callable[..., Any], argument: Any) -> Any:
        """``receive(argument)`` on the socket (``recv`` or ``recv_into``): what it got, or
        None when nothing came. None too when a checkpoint turn is due (``wait`` takes it).
        EOF ends direct reading (the transport reads it too, and reports it its own way);
        a reset also marks the connection lost, as the transport would have."""
        if self.received - self.checkpoint >= CHECKPOINT_BYTES:
            return None
        try:
            got = receive(argument)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            self.direct = False
            if self.error is None:
                self.error = exc
            self.eof = True
            return None
        if not got:
            self.direct = False
            return None
        return got

    def keep(self, data: bytes) -> None:
        """Put bytes taken directly, but too few for the caller, into the empty buffer."""
        self.start, self.end = 0, len(data)
        self.buffer[: len(data)] = data

    async def wait(self, timeout: float | None) -> None:
        """Wait for more bytes after ``end`` (or for EOF), or return at once after a bare
        turn of the loop: callers look at the buffer again either way. Raises TimeoutError.
        """
        if self.received - self.checkpoint >= CHECKPOINT_BYTES:
            # anyio (Starlette, FastAPI...) cancels a task only while the future it waits
            # on is not done yet; a fast body keeps ours done by the time anyio looks, so
            # without this turn a cancelled proxy read on and on. Bytes may come meanwhile
            # (and fill the buffer): hence the return, not a wait.
            self.checkpoint = self.received
            await asyncio.sleep(0)
            return
        if self.end >= self.limit and self.start:  # a partial line at the end: to the front
            self._make_room()
        if self.paused:
            self._resume()
        if self.eof:
            return
        waiter = self.loop.create_future()
        self.waiter = waiter
        if timeout is None:
            self._disarm()  # a timer an earlier, timed wait left must not fire into this one
            await waiter
            return
        self._arm(self.loop.time() + timeout)
        try:
            await waiter
        finally:
            self.waiter = None

    # The read timeout: one timer per connection, re-armed only when it fires early. A
    # response's waits (two or more per request) would otherwise each schedule and cancel
    # a timer, the largest single cost of a small request after the system calls.

    def _arm(self, deadline: float) -> None:
        """Time out the current waiter at ``deadline`` (loop time)."""
        self.deadline = deadline
        timer = self.timer
        if timer is not None:
            if self.timer_at <= deadline:
                return  # it fires first and re-arms itself for the rest
            timer.cancel()
        self.timer = self.loop.call_at(deadline, self._on_timer)
        self.timer_at = deadline

    def _on_timer(self) -> None:
        self.timer = None
        waiter = self.waiter
        if waiter is None or waiter.done():
            return  # nobody waits now: the next wait arms it again
        if self.loop.time() < self.deadline:  # a later wait moved the deadline on
            self._arm(self.deadline)
        else:
            waiter.set_exception(TimeoutError())

    def _disarm(self) -> None:
        """No timer: for a wait without a timeout, and once closed (a pending timer would
        keep this connection and its buffer alive)."""
        timer, self.timer = self.timer, None
        if timer is not None:
            timer.cancel()

    async def drain(self, timeout: float | None) -> None:
        """Wait until the transport's write buffer is below its low-water mark."""
        if self.eof:  # lost already: connection_lost will not wake us (the caller checks)
            return
        waiter = self.loop.create_future()
        self.drain_waiter = waiter
        handle = None if timeout is None else self.loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        finally:
            self.drain_waiter = None
            if handle is not None:
                handle.cancel()

    def write_failed(self) -> bool:
        """The connection broke (or closed) under a write."""
        transport = self.transport
        return self.eof or transport is None or transport.is_closing()

    def is_alive(self) -> bool:
        """False when the idle connection saw EOF, an error or unexpected bytes, or belongs
        to another event loop; the socket is polled too (a FIN the loop has not read yet)."""
        if self.eof or self.start != self.end or self.transport is None:
            return False
        if self.transport.is_closing():
            return False
        try:
            if self.loop is not asyncio.get_running_loop():
                return False
        except RuntimeError:
            return False
        return not self.readable()

    def idle(self) -> None:
        """Ready to wait in the pool: an empty buffer and reading on (to notice EOF)."""
        self.start = self.end = 0
        self.answered = False
        self._resume()

    def close(self) -> None:
        """Close at once (buffered writes are dropped: the exchange is over or broken)."""
        logged_close(self._close_now)

    def _close_now(self) -> None:
        """See ``close``.

        A transport that reported ``connection_lost`` is gone (``self.transport`` is None
        then): asyncio may have dropped its loop without counting the loss (a close that
        flushed its buffer), and ``abort()`` would crash on it.
        """
        self.eof = True
        self.direct = False
        self._disarm()
        transport, self.transport = self.transport, None
        if transport is not None:
            try:
                transport.abort()
            except (RuntimeError, AttributeError):  # its loop is closed, or it is gone
                pass
            else:
                # The loop closes the socket on its next turn; the peer should not wait for
                # that turn (a caller may block the loop meanwhile): it hears of it now. A
                # shutdown leaves the descriptor to the loop, so nothing is closed twice.
                with contextlib.suppress(OSError, ValueError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                return
        with contextlib.suppress(OSError):  # no-op if asyncio closed it already
            self.sock.close()


class _Pool:
    """``_pool.ConnectionPool`` with asyncio waiters for a free slot, served in order.

    A woken waiter stays in the queue until its task runs and takes what was freed, and
    nobody takes a connection past a waiter: otherwise a task that sends request after
    request takes the connection it just released before the woken waiter runs, again and
    again, and the waiter ends in PoolTimeout (httpcore serves it next).
    """

    def __init__(self, limits: httpx.Limits) -> None:
        self._core: ConnectionPool[_Connection] = ConnectionPool(limits)
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def total(self) -> int:
        return self._core.total

    @property
    def idle(self) -> int:
        return self._core.idle

    async def acquire(self, key: Key, timeout: float | None) -> _Connection | None:
        """An idle live connection, or None after reserving a slot for a new one."""
        if not self._waiters:
            conn, ready = self._core.acquire(key)
            if ready:
                return conn
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        first_try = True
        while True:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                raise TimeoutError
            waiter = loop.create_future()
            if first_try:
                self._waiters.append(waiter)
            else:  # woken, and what was freed went elsewhere: keep its place at the front
                self._waiters.appendleft(waiter)
            first_try = False
            handle = None if left is None else loop.call_later(left, _expire, waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    self._wake(skip=waiter)  # woken, then cancelled: pass the free slot on
                raise
            finally:
                if handle is not None:
                    handle.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            conn, ready = self._core.acquire(key)
            if ready:
                return conn

    def _wake(self, skip: asyncio.Future[None] | None = None) -> None:
        """Wake the first waiter still waiting (it leaves the queue when it runs)."""
        for waiter in self._waiters:
            if waiter is not skip and not waiter.done():
                waiter.set_result(None)
                return

    def take_idle(self, key: Key) -> _Connection | None:
        """A live idle connection for ``key``, or None (then ``acquire`` waits or reserves);
        None too while anyone waits: they come first."""
        if self._waiters:
            return None
        return self._core.take_idle(key)

    def release(self, conn: _Connection) -> None:
        """Keep ``conn`` for reuse (it finished a response and may carry another)."""
        conn.idle()
        self._core.release(conn)
        if self._waiters:
            self._wake()

    def discard(self, conn: _Connection) -> None:
        self._core.discard(conn)
        if self._waiters:
            self._wake()

    def forget(self) -> None:
        """Free the slot of a connection that is closed (or was never opened)."""
        self._core.forget()
        if self._waiters:
            self._wake()

    def close(self) -> None:
        self._core.close()
        for waiter in self._waiters:  # they find the pool closed
            if not waiter.done():
                waiter.set_result(None)


class _NetworkStream:
    """The ``network_stream`` response extension, shaped like httpcore's
    ``AsyncNetworkStream``.

    ``get_extra_info`` ("socket", "ssl_object", "client_addr", "server_addr",
    "is_readable") serves callers that reach the socket (the "socket" is the
    ``socket.socket`` itself, which callers may shut down). After ``101 Switching
    Protocols`` the stream owns the connection: ``read`` (bytes that arrived with the 101
    head first), ``write`` and ``aclose``, which frees its pool slot; that is how httpx users
    speak WebSocket and other upgraded protocols. Errors are httpcore's, as from httpcore's
    own streams.
    """

    __slots__ = ("_closed", "_conn", "_pool")

    def __init__(self, conn: _Connection, pool: _Pool | None = None) -> None:
        self._conn = conn
        self._pool = pool  # set when this stream owns the connection (an upgrade)
        self._closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Up to ``max_bytes`` bytes; b"" once the server closed its end."""
        conn = self._conn
        while True:
            if self._closed:
                raise httpcore.ReadError("the connection is closed")
            if conn.end > conn.start:  # bytes that came with the 101 head, or since
                stop = min(conn.end, conn.start + max_bytes)
                data = bytes(conn.view[conn.start : stop])
                conn.consumed(stop)
                return data
            if conn.eof:
                error = conn.error
                if error is not None:
                    raise httpcore.ReadError(str(error) or repr(error)) from error
                return b""
            try:
                await conn.wait(timeout)
            except TimeoutError as exc:
                raise httpcore.ReadTimeout(str(exc) or "timed out") from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send ``buffer``, waiting (up to ``timeout``) while the transport's buffer is full."""
        if not buffer:
            return
        conn = self._conn
        transport = conn.transport
        if self._closed or transport is None or conn.write_failed():
            error = conn.error
            message = "the connection is closed" if error is None else str(error) or repr(error)
            raise httpcore.WriteError(message) from error
        transport.write(buffer)
        if conn.write_paused:
            try:
                await conn.drain(timeout)
            except TimeoutError as exc:
                raise httpcore.WriteTimeout(str(exc) or "timed out") from exc
            if conn.write_failed():
                error = conn.error
                raise httpcore.WriteError(str(error) if error else "connection lost") from error

    async def aclose(self) -> None:
        """Close an upgraded connection and free its pool slot (once; later calls do
        nothing). A stream that does not own its connection leaves it alone."""
        pool, self._pool = self._pool, None
        if pool is not None:
            self._closed = True
            pool.discard(self._conn)

    def get_extra_info(self, info: str) -> Any:
        conn = self._conn
        if info == "ssl_object":
            transport = conn.transport
            return None if transport is None else transport.get_extra_info("ssl_object")
        if info == "is_readable" and (conn.start != conn.end or conn.eof):
            return True
        return socket_info(conn.sock, info)


# -- the response body ----------------------------------------------------------------------


class _ResponseStream(WholeBodyTaker, httpx.AsyncByteStream):
    """The body of one response, read from its connection as it is iterated.

    Each chunk is what one or more loop wakeups put in the buffer (for chunked bodies, the
    payload part of it), copied once out of it. Read to the end on a keep-alive connection,
    the connection goes back to the pool; closed before that, after an error or on
    cancellation, it is closed and its slot freed.
    """

    def __init__(
        self,
        transport: AsyncHTTPTransport,
        conn: _Connection,
        framing: BodyFraming,
        request: httpx.Request,
        read_timeout: float | None,
        trace: Any = NO_TRACE,
    ) -> None:
        self._transport = transport
        self._conn: _Connection | None = conn
        self._framing = framing
        self._request = request
        self._read_timeout = read_timeout
        self._trace = trace
        self._iterated = False
        self._closed = False
        self.trailers: list[bytes] = []
        self.piece_size: int | None = None  # set by a consumer that re-cuts into this size
        # aclose() never suspends unless a trace callback is awaited: a caller may skip
        # shielding it from cancellation (axios_python's Response.aclose does).
        self.closes_without_waiting = trace is NO_TRACE

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # One generator with the three framings inline: a nested generator would cost a
        # frame switch per chunk.
        if self._iterated:
            raise httpx.StreamConsumed()
        self._iterated = True
        conn = self._conn
        if conn is None:
            raise httpx.StreamClosed()
        request = self._request
        timeout = self._read_timeout
        kind = self._framing.kind
        async with self._trace.phase(
            "http11.receive_response_body", request=self._trace.shown(request)
        ):
            try:
                if kind == LENGTH:
                    length = remaining = self._framing.length
                    # A consumer that re-cuts the body into pieces of one size (``piece_size``)
                    # gets exactly those: it passes them on without copying them again.
                    piece_size = self.piece_size
                    exact = piece_size is not None and piece_size <= conn.limit
                    most = piece_size if exact and piece_size is not None else PIECE_SIZE
                    while remaining:
                        start, end = conn.start, conn.end
                        if start == end and conn.direct:
                            wanted = min(most, remaining)
                            piece = conn.take_direct(wanted)
                            if piece is not None:
                                if exact and len(piece) < wanted:
                                    conn.keep(piece)  # the rest comes through the buffer
                                    continue
                                remaining -= len(piece)
                                yield piece
                                continue
                        if exact and end - start < min(most, remaining) and not conn.eof:
                            if conn.direct and conn.top_up(min(most, remaining) - (end - start)):
                                continue
                            await conn.wait(timeout)
                            continue
                        if start == end:
                            if conn.eof:
                                if conn.error is not None:
                                    raise conn.error
                                raise ProtocolViolation(
                                    f"peer closed connection without sending complete message "
                                    f"body: received {length - remaining} bytes, expected {length}"
                                )
                            await conn.wait(timeout)
                            continue
                        stop = min(end, start + remaining, start + most)
                        piece = bytes(conn.view[start:stop])
                        remaining -= stop - start
                        conn.consumed(stop)
                        yield piece
                elif kind == CHUNKED:
                    decoder = ChunkedDecoder()
                    while True:
                        start = conn.start
                        first, stop, new_start = decoder.step(conn.buffer, start, conn.end)
                        if stop > first:  # chunk data: buffer[first:stop], then new_start
                            if stop - first <= PIECE_SIZE:
                                piece = bytes(conn.view[first:stop])
                                conn.consumed(new_start)
                                yield piece
                                continue
                            conn.start = first  # yielded in pieces; no index kept across a yield
                            left = stop - first
                            while left:
                                at = conn.start
                                take = min(left, PIECE_SIZE)
                                piece = bytes(conn.view[at : at + take])
                                left -= take
                                conn.consumed(at + take)
                                yield piece
                            continue
                        if new_start != start:
                            conn.consumed(new_start)
                            continue
                        if decoder.done:
                            break
                        if conn.eof:
                            if conn.error is not None:
                                raise conn.error
                            raise ProtocolViolation(INCOMPLETE_CHUNKED)
                        await conn.wait(timeout)
                    self.trailers = decoder.trailers
                else:  # until the server closes
                    while True:
                        start, end = conn.start, conn.end
                        if start == end and conn.direct:
                            piece = conn.take_direct(PIECE_SIZE)
                            if piece is not None:
                                yield piece
                                continue
                        if start == end:
                            if conn.eof:
                                if conn.error is not None:
                                    raise conn.error
                                break
                            await conn.wait(timeout)
                            continue
                        stop = min(end, start + PIECE_SIZE)
                        piece = bytes(conn.view[start:stop])
                        conn.consumed(stop)
                        yield piece
            except TimeoutError as exc:
                self._abort()
                raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
            except ProtocolViolation as exc:
                self._abort()
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            except OSError as exc:
                self._abort()
                raise httpx.ReadError(str(exc) or repr(exc), request=request) from exc
            except BaseException:  # cancelled, or closed early (GeneratorExit)
                self._abort()
                raise
        self._finish()

    def _finish(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._framing.keep_alive and conn.start == conn.end and not conn.eof:
            self._transport._pool.release(conn)
        else:  # not reusable, or bytes beyond the body (junk): never reuse
            self._transport._pool.discard(conn)

    def _abort(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._transport._pool.discard(conn)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._trace.phase("http11.response_closed"):
            self._abort()  # read to the end, the connection was released already

    def close_now(self) -> None:
        """``aclose`` without a suspension point, for a stream nobody traces
        (``closes_without_waiting``): what the caller's close runs in place."""
        self._closed = True
        self._abort()


class _NoParts:
    """An exhausted async iterator: the rest of a request body sent whole with its head."""

    def __aiter__(self) -> _NoParts:
        return self

    async def __anext__(self) -> bytes:
        raise StopAsyncIteration


_NO_PARTS = _NoParts()


class _EmptyStream(httpx.AsyncByteStream):
    """The body of a response that has none (HEAD, 204, 304, Content-Length: 0). Not an
    ``httpx.ByteStream``: httpx would read that at once, and streaming it would then raise
    StreamConsumed."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        return
        yield b""  # pragma: no cover - makes this an async generator


_EMPTY = _EmptyStream()


class _UpgradedBody(httpx.AsyncByteStream):
    """The body of a ``101 Switching Protocols``: none, and closing it closes the upgraded
    connection (as httpcore's does), so a 101 nobody takes over frees its pool slot with its
    response. Speak the new protocol inside ``client.stream(...)``, before that close."""

    def __init__(self, network: _NetworkStream) -> None:
        self._network = network

    async def __aiter__(self) -> AsyncIterator[bytes]:
        return
        yield b""  # pragma: no cover - makes this an async generator

    async def aclose(self) -> None:
        await self._network.aclose()


# -- the transport --------------------------------------------------------------------------


class AsyncHTTPTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over TCP and TLS on asyncio with one-copy body streaming and a keep-alive
    pool.

    Takes ``httpx.AsyncHTTPTransport``'s arguments. With ``http2=True``, a ``proxy`` or
    ``uds``, the whole transport is delegated to ``httpx.AsyncHTTPTransport(**the same
    arguments)``; so is any request made under another async library than asyncio, or
    while a mocking library patches httpx. ``http1`` must stay true when this core handles
    the requests.
    """

    def __init__(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: CertTypes | None = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        proxy: ProxyTypes | None = None,
        uds: str | None = None,
        local_address: str | None = None,
        retries: int = 0,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> None:
        settings = settings_from(
            verify,
            cert,
            trust_env,
            http1,
            http2,
            limits,
            proxy,
            uds,
            local_address,
            retries,
            socket_options,
        )
        self._settings = settings
        self._delegate: _HttpxAsyncTransport | None = None  # httpx's, when we step aside
        if settings.delegates_all:
            self._delegate = _HttpxAsyncTransport(**settings.httpx_options)
            return
        assert settings.ssl_context is not None
        self._ssl_context = settings.ssl_context
        self._pool = _Pool(limits)
        self._buffer_size = buffer_size_for(limits)

    # -- the public surface -----------------------------------------------------------------

    async def __aenter__(self) -> AsyncHTTPTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._delegate is not None:
            await self._delegate.aclose()
        if self._settings.delegates_all:
            return
        if self._pool.idle:
            self._pool.close()
            await asyncio.sleep(0)  # let the loop finish closing the sockets
        else:
            self._pool.close()

    def _httpx_transport(self) -> _HttpxAsyncTransport:
        """httpx's transport built with our arguments (made on first need)."""
        if self._delegate is None:
            self._delegate = _HttpxAsyncTransport(**self._settings.delegate_options())
        return self._delegate

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if (
            self._settings.delegates_all
            or async_mocked()  # respx or pytest-httpx is listening
            or not _on_asyncio()  # trio & co: httpcore speaks them
        ):
            return await self._httpx_transport().handle_async_request(request)
        key: Key = connection_key(request)
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        trace = async_trace(request)
        replayable = may_resend(request)
        pool = self._pool
        while True:
            conn = pool.take_idle(key)  # a kept-alive connection: no coroutine needed
            reused = conn is not None
            if conn is None:
                conn, reused = await self._acquire(request, key, timeouts, trace)
            try:
                head, framing = await self._exchange(conn, request, timeouts, trace)
            except _Disconnected as exc:
                pool.discard(conn)
                if reused and replayable and not conn.answered:
                    continue  # a kept-alive connection the server had dropped: once more
                if exc.writing and exc.__cause__ is not None:
                    cause = exc.__cause__
                    raise httpx.WriteError(str(cause) or repr(cause), request=request) from cause
                reset = reset_before_answer(exc, request)
                if reset is not None:
                    raise reset from exc.__cause__
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from exc
            except BaseException:
                pool.discard(conn)
                raise
            break
        headers = response_headers(head.headers)
        extensions = {
            "http_version": head.http_version,
            "reason_phrase": head.reason,
            "network_stream": _NetworkStream(conn),
        }
        if head.status == 101:  # an upgrade: the connection is the caller's now
            if not asks_to_upgrade(request.headers.raw):
                pool.discard(conn)
                raise httpx.RemoteProtocolError(UNASKED_UPGRADE, request=request)
            network = _NetworkStream(conn, pool)
            extensions["network_stream"] = network
            body = _UpgradedBody(network)
            return httpx.Response(head.status, headers=headers, stream=body, extensions=extensions)
        if framing.kind == NO_BODY:
            if framing.keep_alive and conn.start == conn.end and not conn.eof:
                pool.release(conn)
            else:
                pool.discard(conn)
            return httpx.Response(
                head.status, headers=headers, stream=_EMPTY, extensions=extensions
            )
        stream = _ResponseStream(self, conn, framing, request, timeouts.get("read"), trace)
        return httpx.Response(head.status, headers=headers, stream=stream, extensions=extensions)

    # -- connecting -------------------------------------------------------------------------

    async def _acquire(
        self, request: httpx.Request, key: Key, timeouts: dict[str, Any], trace: Any
    ) -> tuple[_Connection, bool]:
        try:
            conn = await self._pool.acquire(key, timeouts.get("pool"))
        except TimeoutError as exc:
            raise httpx.PoolTimeout("timed out waiting for a connection", request=request) from exc
        if conn is not None:
            return conn, True
        try:
            return await self._connect(request, key, timeouts.get("connect"), trace), False
        except BaseException:
            self._pool.forget()
            raise

    async def _connect(
        self, request: httpx.Request, key: Key, timeout: float | None, trace: Any
    ) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        delays = self._settings.retry_delays()
        for attempt in range(self._settings.retries + 1):
            try:
                info = self._settings.connect_info(host, port, timeout)
                async with trace.phase("connection.connect_tcp", **info) as phase:
                    sock = await self._open_socket(host, port, timeout)
                    conn = _Connection(key, sock, loop, self._buffer_size)
                    phase.value = _NetworkStream(conn)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == self._settings.retries:
                    exc.request = request
                    raise
                await asyncio.sleep(next(delays))
        try:
            if scheme == "https":
                sni = request.extensions.get("sni_hostname") or host
                if isinstance(sni, bytes):
                    sni = sni.decode("ascii")
                async with trace.phase(
                    "connection.start_tls",
                    ssl_context=self._ssl_context,
                    server_hostname=sni,
                    timeout=timeout,
                ) as phase:
                    await self._attach(conn, request, timeout, self._ssl_context, sni)
                    phase.value = _NetworkStream(conn)
            else:
                await self._attach(conn, request, timeout)
        except BaseException:
            conn.close()  # the socket, or the transport that owns it by now
            raise
        return conn

    @staticmethod
    async def _attach(
        conn: _Connection,
        request: httpx.Request,
        timeout: float | None,
        context: ssl.SSLContext | None = None,
        sni: str | None = None,
    ) -> None:
        """Give the connected socket to an asyncio transport (with the TLS handshake when
        ``context`` is given); from then on the transport owns the socket."""
        loop = conn.loop
        if context is not None:
            connecting = loop.create_connection(
                lambda: conn, sock=conn.sock, ssl=context, server_hostname=sni
            )
        else:
            connecting = loop.create_connection(lambda: conn, sock=conn.sock)
        try:
            await _within(connecting, timeout)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "timed out", request=request) from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    async def _open_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        loop = asyncio.get_running_loop()
        try:  # an IP address needs no resolver (and no thread)
            infos = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
            )
        except OSError:
            try:
                infos = await _within(
                    loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
                )
            except TimeoutError as exc:
                raise httpx.ConnectTimeout(str(exc) or "timed out") from exc
            except OSError as exc:
                raise httpx.ConnectError(str(exc)) from exc
        error: Exception | None = None
        for family, kind, proto, _, address in infos:
            sock: socket.socket | None = None
            try:
                sock = self._settings.new_socket(family, kind, proto)
                sock.setblocking(False)
                await _within(loop.sock_connect(sock, address), timeout)
                return sock
            except OSError as exc:  # TimeoutError included
                if sock is not None:
                    sock.close()
                error = connect_failure(exc)
            except BaseException:
                if sock is not None:
                    sock.close()
                raise
        raise error or httpx.ConnectError(f"no address found for {host}")

    # -- one exchange: the request out, the response head in --------------------------------

    async def _exchange(
        self, conn: _Connection, request: httpx.Request, timeouts: dict[str, Any], trace: Any
    ) -> tuple[ResponseHead, BodyFraming]:
        read_timeout = timeouts.get("read")
        try:
            # The server may answer before the body is all sent: with ``Expect:
            # 100-continue``, or by closing its end mid-upload (a 413, say). Then the rest of
            # the body is never sent, and the connection is not reused.
            try:
                early, close = await self._send(
                    conn, request, timeouts.get("write"), read_timeout, trace
                )
            except _Disconnected as exc:
                early, close = await self._answer_to_broken_upload(conn, read_timeout, exc), True
            head = early
            if not trace.enabled:  # the usual case: no phase to enter and leave
                while head is None or is_interim(head.status):
                    head = await self._read_head(conn, read_timeout)  # 100, 103: skipped
            else:
                async with trace.phase(
                    "http11.receive_response_headers", request=trace.shown(request)
                ) as phase:
                    while head is None or is_interim(head.status):
                        head = await self._read_head(conn, read_timeout)
                    phase.value = (head.http_version, head.status, head.reason, head.headers)
            close = close or early is not None
            return head, body_framing(request.method.encode("ascii"), head, close)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except ProtocolViolation as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        except (ConnectionResetError, ConnectionAbortedError) as exc:
            if conn.end == conn.start:
                raise _Disconnected from exc
            raise httpx.ReadError(str(exc), request=request) from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc) or repr(exc), request=request) from exc

    async def _answer_to_broken_upload(
        self, conn: _Connection, read_timeout: float | None, broken: _Disconnected
    ) -> ResponseHead:
        """The response a server sent before it closed the connection under our upload
        (as httpcore does, the write error gives way to it); else the write error."""
        if not broken.writing:
            raise broken
        try:
            head = await self._read_head(conn, read_timeout)
            while is_interim(head.status):
                head = await self._read_head(conn, read_timeout)
        except (OSError, ProtocolViolation, _Disconnected):
            raise broken from None
        return head

    async def _read_head(self, conn: _Connection, timeout: float | None) -> ResponseHead:
        scanned = conn.start
        first_line_ok = False  # see check_partial_head
        while True:
            found = HEAD_END.search(conn.buffer, scanned, conn.end)
            if found is not None:  # the earliest blank line, CRLF or bare LF, as h11 finds it
                if found.end() - conn.start > MAX_HEAD:  # however the bytes were cut
                    raise ProtocolViolation("response head too large")
                head = bytes(conn.view[conn.start : found.start()])
                conn.start = found.end()
                break
            if conn.eof:
                if conn.end == conn.start and not conn.answered:
                    error = conn.error
                    if error is None or isinstance(
                        error, (ConnectionResetError, ConnectionAbortedError)
                    ):
                        raise _Disconnected from error
                    if isinstance(error, BrokenPipeError):  # the request could not be sent
                        raise _Disconnected(writing=True) from error
                    raise error
                if conn.error is not None:
                    raise conn.error
                raise ProtocolViolation("peer closed connection in the middle of a response head")
            first_line_ok = check_partial_head(conn.buffer, conn.start, conn.end, first_line_ok)
            scanned_from = max(0, conn.end - conn.start - 2)  # wait() may move the bytes
            await conn.wait(timeout)
            scanned = conn.start + scanned_from
        if conn.start == conn.end:
            conn.start = conn.end = 0
        conn.answered = True  # the server began to answer: never send this request again
        return parse_response_head(head)

    async def _await_continue(
        self, conn: _Connection, read_timeout: float | None
    ) -> ResponseHead | None:
        """After a head with ``Expect: 100-continue``: None once the body may go (a 100, or
        no answer within ``EXPECT_CONTINUE_WAIT``), or the final response the server sent
        instead."""
        loop = conn.loop
        end = loop.time() + continue_wait(read_timeout)
        while True:
            if conn.start == conn.end and not conn.eof:
                left = end - loop.time()
                if left <= 0:
                    return None
                try:
                    await conn.wait(left)
                except TimeoutError:
                    return None
                continue
            head = await self._read_head(conn, read_timeout)
            if head.status == 100:
                return None
            if not is_interim(head.status):
                return head

    async def _send(
        self,
        conn: _Connection,
        request: httpx.Request,
        timeout: float | None,
        read_timeout: float | None,
        trace: Any,
    ) -> tuple[ResponseHead | None, bool]:
        """Write the request; returns the final response head if the server answered an
        ``Expect: 100-continue`` before the body was sent (the body then stays unsent), and
        whether the request said ``Connection: close``."""
        stream = request.stream
        if not isinstance(stream, httpx.AsyncByteStream):
            raise RuntimeError("Attempted to send a sync request with an async transport.")
        parts: AsyncIterator[bytes]
        if isinstance(stream, httpx.ByteStream):  # bytes (or none): no async generator
            first = held_bytes(stream)
            parts = _NO_PARTS
        else:
            parts = stream.__aiter__()
            first = b""
            async for part in parts:  # the first non-empty piece, to coalesce with the head
                if part:
                    first = part
                    break
        head, headers, chunked, length, close = prepare_request_head(request, bool(first))
        declared = declared_length(length, request, first if parts is _NO_PARTS else None)
        transport = conn.transport
        if transport is None or conn.write_failed():
            raise _Disconnected(writing=True) from (conn.error or BrokenPipeError())
        write = transport.write
        expect = bool(first) and expects_continue(headers)
        if (
            parts is _NO_PARTS
            and len(first) <= COALESCE
            and not (chunked or expect or trace.enabled)
        ):
            # the whole request in hand and small (every GET; its length checked above),
            # nobody tracing: one write, no per-part machinery
            write(head + first)
            if conn.write_paused:
                await _drain(conn, timeout, request)
            if not conn.eof and conn.write_failed():
                raise _Disconnected(writing=True) from (conn.error or BrokenPipeError())
            return None, close

        async def sendall(data: bytes) -> None:
            # a full transport buffer holds the body back (flat memory for any upload)
            if conn.write_failed():
                raise _Disconnected(writing=True) from (conn.error or BrokenPipeError())
            write(data)
            if conn.write_paused:
                await _drain(conn, timeout, request)

        traced = trace.sent(request, headers) if trace.enabled else None
        if parts is _NO_PARTS and not (chunked or expect or traced is not None):
            # a large body in hand: two writes (a full buffer holds the second back)
            await sendall(head)
            await sendall(first)
            if not conn.eof and conn.write_failed():
                raise _Disconnected(writing=True) from (conn.error or BrokenPipeError())
            return None, close
        if expect or traced is not None:
            async with trace.phase("http11.send_request_headers", request=traced):
                await sendall(head)
            head = b""
            if expect:
                answer = await self._await_continue(conn, read_timeout)
                if answer is not None:
                    return answer, close
        async with trace.phase("http11.send_request_body", request=traced):
            await self._send_body(sendall, head, first, parts, chunked, declared)
            if not conn.eof and conn.write_failed():  # a write broke the connection
                raise _Disconnected(writing=True) from (conn.error or BrokenPipeError())
        return None, close

    @staticmethod
    async def _send_body(
        sendall: Callable[[bytes], Awaitable[None]],
        head: bytes,
        first: bytes,
        parts: AsyncIterator[bytes],
        chunked: bool,
        declared: BodyLength | None,
    ) -> None:
        """The body (after ``head``, unless that went already), chunked or as it is."""
        if chunked:
            if first:
                head += b"%x\r\n" % len(first)
                if len(first) <= COALESCE:
                    await sendall(head + first + b"\r\n")
                else:
                    await sendall(head)
                    await sendall(first)
                    await sendall(b"\r\n")
                async for part in parts:
                    if part:
                        await sendall(b"%x\r\n%s\r\n" % (len(part), part))
                await sendall(b"0\r\n\r\n")
            else:
                await sendall(head + b"0\r\n\r\n")
        else:
            if declared is not None:
                declared.add(len(first))  # too long already: nothing goes out
            if first and len(first) <= COALESCE:
                await sendall(head + first)
            else:
                if head:
                    await sendall(head)
                if first:
                    await sendall(first)
            async for part in parts:
                if part:
                    if declared is not None:
                        declared.add(len(part))
                    await sendall(part)
            if declared is not None:
                declared.finish()
