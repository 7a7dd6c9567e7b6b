"""An async HTTP/1.1 transport for httpx on asyncio that streams bodies at the socket's speed.

``AsyncHTTPTransport`` is an ``httpx.AsyncBaseTransport``, the async twin of ``_sync``'s
``HTTPTransport``: hand it to ``httpx.AsyncClient(transport=...)`` or to axios_python
(``transport=AsyncHTTPTransport()``). Over plain TCP and TLS it speaks HTTP/1.1 itself with
the same sans-I/O framing (``_framing``) and the same rules as the sync transport.

Each connection is an ``asyncio.BufferedProtocol``: the event loop's ``recv_into`` writes
straight into one large reusable buffer per connection (``BUFFER_SIZE``), so one wakeup moves
as much as the kernel holds, and body bytes are copied once, when sliced out of it. No task
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
HTTP/2, proxies and Unix sockets are delegated, whole, to ``httpx.AsyncHTTPTransport``
built with the same arguments, and so is every request made under another async library
than asyncio (trio, via sniffio).
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import ssl
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import sniffio

from ._framing import (
    CHUNKED,
    LENGTH,
    NO_BODY,
    BodyFraming,
    ChunkedDecoder,
    ProtocolViolation,
    ResponseHead,
    body_framing,
    parse_response_head,
    request_head,
)
from ._pool import ConnectionPool, Key
from ._sync import (
    _DEFAULT_PORTS,
    COALESCE,
    DEFAULT_LIMITS,
    INCOMPLETE_CHUNKED,
    SocketOption,
    _Disconnected,
)

if TYPE_CHECKING:
    from httpx._types import CertTypes, ProxyTypes

__all__ = ["AsyncHTTPTransport"]

BUFFER_SIZE = 1024 * 1024  # per connection: bytes one loop wakeup may read (see the bench)
PIECE_SIZE = 256 * 1024  # the largest body piece yielded (see _ResponseStream)
RESERVE = 64 * 1024  # room past BUFFER_SIZE for the one read that may come before a pause
MAX_HEAD = 64 * 1024  # a response head longer than this is refused (the sync buffer's size)

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


# -- connections ----------------------------------------------------------------------------


class _Connection(asyncio.BufferedProtocol):
    """One TCP or TLS connection: the protocol, its receive buffer and the unconsumed range
    ``buffer[start:end]`` in it.

    The event loop writes into ``buffer[end:]`` (``get_buffer``/``buffer_updated``); the
    reader takes bytes from ``start`` and calls ``consumed(new_start)``. A reader must keep
    no index across an ``await``: ``wait`` may move the unconsumed bytes to the front.
    """

    __slots__ = (
        "buffer",
        "drain_waiter",
        "end",
        "eof",
        "error",
        "idle_since",
        "key",
        "loop",
        "paused",
        "sock",
        "start",
        "transport",
        "view",
        "waiter",
        "write_paused",
    )

    def __init__(self, key: Key, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self.key = key
        self.sock = sock
        self.loop = loop
        self.buffer = bytearray(BUFFER_SIZE + RESERVE)
        self.view = memoryview(self.buffer)
        self.start = 0
        self.end = 0
        self.transport: asyncio.Transport | None = None
        self.eof = False  # no more bytes will come (EOF, error or closed)
        self.error: BaseException | None = None
        self.paused = False  # reading paused by us: the buffer was full
        self.write_paused = False
        self.waiter: asyncio.Future[None] | None = None
        self.drain_waiter: asyncio.Future[None] | None = None
        self.idle_since = 0.0

    # -- the event loop's side --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    # Pausing is lazy: a reader waiting on ``waiter`` is woken before the loop's next read
    # callback runs (its wakeup is queued first) and drains the buffer, so pausing then
    # would only cost two epoll_ctl calls per buffer. Only a full buffer that nobody waits
    # for (the reader is busy elsewhere) pauses reading; if the reader left bytes behind
    # after all, the next read finds the buffer full, pauses then and lands in the reserve.

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.end >= BUFFER_SIZE:
            self._pause()
            if self.end == len(self.buffer):  # only if a transport ignored pause_reading()
                self._make_room()
        return self.view[self.end :]

    def buffer_updated(self, nbytes: int) -> None:
        self.end += nbytes
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)
                return
        if self.end >= BUFFER_SIZE:  # full and nobody reading: TCP holds the server back
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
        self._wake()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
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

    async def wait(self, timeout: float | None) -> None:
        """Wait for more bytes after ``end`` (or for EOF). Raises TimeoutError."""
        if self.end >= BUFFER_SIZE and self.start:  # a partial line at the end: to the front
            self._make_room()
        if self.paused:
            self._resume()
        if self.eof:
            return
        waiter = self.loop.create_future()
        self.waiter = waiter
        if timeout is None:
            await waiter
            return
        handle = self.loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        finally:
            self.waiter = None
            handle.cancel()

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
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError, RuntimeError):
            return False
        return not readable

    def idle(self) -> None:
        """Ready to wait in the pool: an empty buffer and reading on (to notice EOF)."""
        self.start = self.end = 0
        self._resume()

    def close(self) -> None:
        """Close at once (buffered writes are dropped: the exchange is over or broken)."""
        self.eof = True
        transport, self.transport = self.transport, None
        if transport is None:
            with contextlib.suppress(OSError):
                self.sock.close()
            return
        try:
            transport.abort()
        except RuntimeError:  # its event loop is closed: close the socket by hand
            with contextlib.suppress(OSError):
                self.sock.close()


class _Pool:
    """``_pool.ConnectionPool`` with asyncio waiters for a free slot (FIFO)."""

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
        conn, ready = self._core.acquire(key)
        if ready:
            return conn
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            waiter = loop.create_future()
            self._waiters.append(waiter)
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                self._waiters.remove(waiter)
                raise TimeoutError
            handle = None if left is None else loop.call_later(left, _expire, waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    self._wake()  # woken, then cancelled: pass the free slot on
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
                raise
            finally:
                if handle is not None:
                    handle.cancel()
            conn, ready = self._core.acquire(key)
            if ready:
                return conn

    def _wake(self) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

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
        while self._waiters:  # they find the pool closed
            self._wake()


class _NetworkStream:
    """The ``network_stream`` response extension: only ``get_extra_info``, as in ``_sync``
    (the "socket" is the ``socket.socket`` itself, which callers may shut down)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn

    def get_extra_info(self, info: str) -> Any:
        conn = self._conn
        sock = conn.sock
        if info == "socket":
            return sock
        if info == "ssl_object":
            transport = conn.transport
            return None if transport is None else transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return sock.getsockname()
        if info == "server_addr":
            return sock.getpeername()
        if info == "is_readable":
            if conn.start != conn.end or conn.eof:
                return True
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable)
        return None


# -- the response body ----------------------------------------------------------------------


class _ResponseStream(httpx.AsyncByteStream):
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
    ) -> None:
        self._transport = transport
        self._conn: _Connection | None = conn
        self._framing = framing
        self._request = request
        self._read_timeout = read_timeout
        self._iterated = False
        self.trailers: list[bytes] = []

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
        try:
            if kind == LENGTH:
                length = remaining = self._framing.length
                while remaining:
                    start, end = conn.start, conn.end
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
                    stop = min(end, start + remaining, start + PIECE_SIZE)
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
        self._abort()  # read to the end, the connection was released already


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


# -- the transport --------------------------------------------------------------------------


class AsyncHTTPTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over TCP and TLS on asyncio with one-copy body streaming and a keep-alive
    pool.

    Takes ``httpx.AsyncHTTPTransport``'s arguments. With ``http2=True``, a ``proxy`` or
    ``uds``, the whole transport is delegated to ``httpx.AsyncHTTPTransport(**the same
    arguments)``; so is any request made under another async library than asyncio.
    ``http1`` must stay true when this core handles the requests.
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
        socket_options = list(socket_options or ())
        self._arguments: dict[str, Any] = {
            "verify": verify,
            "cert": cert,
            "trust_env": trust_env,
            "http1": http1,
            "http2": http2,
            "limits": limits,
            "proxy": proxy,
            "uds": uds,
            "local_address": local_address,
            "retries": retries,
            "socket_options": socket_options,
        }
        self._foreign: httpx.AsyncHTTPTransport | None = None  # for trio & co, made lazily
        self._delegate: httpx.AsyncHTTPTransport | None = None
        if http2 or proxy is not None or uds is not None:
            self._delegate = httpx.AsyncHTTPTransport(**self._arguments)
            return
        if not http1:
            raise ValueError("http1=False needs http2=True")
        context: object = httpx.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)
        if not isinstance(context, ssl.SSLContext):  # verify=None: httpcore's default, too
            context = httpx.create_ssl_context(cert=cert, trust_env=trust_env)
        assert isinstance(context, ssl.SSLContext)
        self._ssl_context = context
        if not isinstance(verify, ssl.SSLContext):  # never alter a context we did not make
            self._ssl_context.set_alpn_protocols(["http/1.1"])
        self._pool = _Pool(limits)
        self._local_address = local_address
        self._retries = retries
        self._socket_options = socket_options

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
        if self._foreign is not None:
            await self._foreign.aclose()
        if self._delegate is not None:
            await self._delegate.aclose()
            return
        if self._pool.idle:
            self._pool.close()
            await asyncio.sleep(0)  # let the loop finish closing the sockets
        else:
            self._pool.close()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._delegate is not None:
            return await self._delegate.handle_async_request(request)
        if sniffio.current_async_library() != "asyncio":
            if self._foreign is None:
                self._foreign = httpx.AsyncHTTPTransport(**self._arguments)
            return await self._foreign.handle_async_request(request)
        url = request.url
        scheme = url.scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'.", request=request
            )
        host = url.raw_host.decode("ascii")
        if not host:
            raise httpx.UnsupportedProtocol("Request URL is missing a host.", request=request)
        key: Key = (scheme, host, url.port or _DEFAULT_PORTS[scheme])
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        replayable = isinstance(request.stream, httpx.ByteStream)
        pool = self._pool
        while True:
            conn, reused = await self._acquire(request, key, timeouts)
            try:
                head, framing = await self._exchange(conn, request, timeouts)
            except _Disconnected as exc:
                pool.discard(conn)
                if reused and replayable:  # a kept-alive connection the server had dropped
                    continue
                if exc.writing and exc.__cause__ is not None:
                    cause = exc.__cause__
                    raise httpx.WriteError(str(cause) or repr(cause), request=request) from cause
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from exc
            except BaseException:
                pool.discard(conn)
                raise
            break
        extensions = {
            "http_version": head.http_version,
            "reason_phrase": head.reason,
            "network_stream": _NetworkStream(conn),
        }
        if framing.kind == NO_BODY:
            if framing.keep_alive and conn.start == conn.end and not conn.eof:
                pool.release(conn)
            else:
                pool.discard(conn)
            return httpx.Response(
                head.status, headers=head.headers, stream=_EMPTY, extensions=extensions
            )
        stream = _ResponseStream(self, conn, framing, request, timeouts.get("read"))
        return httpx.Response(
            head.status, headers=head.headers, stream=stream, extensions=extensions
        )

    # -- connecting -------------------------------------------------------------------------

    async def _acquire(
        self, request: httpx.Request, key: Key, timeouts: dict[str, Any]
    ) -> tuple[_Connection, bool]:
        try:
            conn = await self._pool.acquire(key, timeouts.get("pool"))
        except TimeoutError as exc:
            raise httpx.PoolTimeout("timed out waiting for a connection", request=request) from exc
        if conn is not None:
            return conn, True
        try:
            return await self._connect(request, key, timeouts.get("connect")), False
        except BaseException:
            self._pool.forget()
            raise

    async def _connect(
        self, request: httpx.Request, key: Key, timeout: float | None
    ) -> _Connection:
        scheme, host, port = key
        delay = 0.0
        for attempt in range(self._retries + 1):
            try:
                sock = await self._open_socket(host, port, timeout)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == self._retries:
                    exc.request = request
                    raise
                await asyncio.sleep(delay)
                delay = 0.5 if not delay else delay * 2
        loop = asyncio.get_running_loop()
        conn = _Connection(key, sock, loop)
        if scheme == "https":
            sni = request.extensions.get("sni_hostname") or host
            if isinstance(sni, bytes):
                sni = sni.decode("ascii")
            connecting = loop.create_connection(
                lambda: conn, sock=sock, ssl=self._ssl_context, server_hostname=sni
            )
        else:
            connecting = loop.create_connection(lambda: conn, sock=sock)
        # From here the transport owns the socket: asyncio closes it if this fails.
        try:
            await _within(connecting, timeout)
        except TimeoutError as exc:
            conn.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out", request=request) from exc
        except OSError as exc:
            conn.close()
            raise httpx.ConnectError(str(exc), request=request) from exc
        except BaseException:
            conn.close()
            raise
        return conn

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
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for option in self._socket_options:
                    sock.setsockopt(*option)
                if self._local_address is not None:
                    sock.bind((self._local_address, 0))
                await _within(loop.sock_connect(sock, address), timeout)
                return sock
            except TimeoutError as exc:
                sock.close()
                error = httpx.ConnectTimeout(str(exc) or "timed out")
                error.__cause__ = exc
            except OSError as exc:
                sock.close()
                error = httpx.ConnectError(str(exc))
                error.__cause__ = exc
            except BaseException:
                sock.close()
                raise
        raise error or httpx.ConnectError(f"no address found for {host}")

    # -- one exchange: the request out, the response head in --------------------------------

    async def _exchange(
        self, conn: _Connection, request: httpx.Request, timeouts: dict[str, Any]
    ) -> tuple[ResponseHead, BodyFraming]:
        close = await self._send(conn, request, timeouts.get("write"))
        timeout = timeouts.get("read")
        try:
            while True:
                head = await self._read_head(conn, timeout)
                if 100 <= head.status < 200 and head.status != 101:
                    continue  # 100 Continue, 103 Early Hints: the real response follows
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

    async def _read_head(self, conn: _Connection, timeout: float | None) -> ResponseHead:
        scanned = conn.start
        while True:
            buffer = conn.buffer
            end = buffer.find(b"\r\n\r\n", scanned, conn.end)
            if end >= 0:
                head = bytes(conn.view[conn.start : end])
                conn.start = end + 4
                break
            end = buffer.find(b"\n\n", scanned, conn.end)
            if end >= 0:
                head = bytes(conn.view[conn.start : end])
                conn.start = end + 2
                break
            if conn.eof:
                if conn.end == conn.start:
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
            if conn.end - conn.start > MAX_HEAD:
                raise ProtocolViolation("response head too large")
            scanned_from = max(0, conn.end - conn.start - 3)  # wait() may move the bytes
            await conn.wait(timeout)
            scanned = conn.start + scanned_from
        if conn.start == conn.end:
            conn.start = conn.end = 0
        return parse_response_head(head)

    async def _send(self, conn: _Connection, request: httpx.Request, timeout: float | None) -> bool:
        """Write the request; True when it asked for ``Connection: close``."""
        headers = list(request.headers.raw)
        names = set()
        chunked = close = False
        for name, value in headers:  # one pass: per-request costs count for small GETs
            lower = name.lower()
            names.add(lower)
            if lower == b"transfer-encoding":
                chunked = chunked or b"chunked" in value.lower()
            elif lower == b"connection":
                close = close or any(part.strip().lower() == b"close" for part in value.split(b","))
        stream = request.stream
        if not isinstance(stream, httpx.AsyncByteStream):
            raise RuntimeError("Attempted to send a sync request with an async transport.")
        parts: AsyncIterator[bytes]
        if isinstance(stream, httpx.ByteStream):  # bytes (or none): no async generator
            first = b"".join(stream)
            parts = _NO_PARTS
        else:
            parts = stream.__aiter__()
            first = b""
            async for part in parts:  # the first non-empty piece, to coalesce with the head
                if part:
                    first = part
                    break
        if first and not chunked and b"content-length" not in names:
            headers.append((b"Transfer-Encoding", b"chunked"))
            chunked = True
        if b"host" not in names:
            headers.insert(0, (b"Host", request.url.netloc))
        target = request.url.raw_path
        try:
            head = request_head(request.method.encode("ascii"), target, headers)
        except ProtocolViolation as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
        transport = conn.transport
        if transport is None or conn.write_failed():
            raise _Disconnected(writing=True) from (conn.error or BrokenPipeError())
        write = transport.write

        async def sendall(data: bytes) -> None:
            if conn.write_failed():
                raise _Disconnected(writing=True) from (conn.error or BrokenPipeError())
            write(data)
            if conn.write_paused:
                await conn.drain(timeout)

        try:
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
                if first and len(first) <= COALESCE:
                    await sendall(head + first)
                else:
                    await sendall(head)
                    if first:
                        await sendall(first)
                async for part in parts:
                    if part:
                        await sendall(part)
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out", request=request) from exc
        if not conn.eof and conn.write_failed():  # a write broke the connection
            raise _Disconnected(writing=True) from (conn.error or BrokenPipeError())
        return close
