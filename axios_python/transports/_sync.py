"""A sync HTTP/1.1 transport for httpx that streams response bodies at the speed of the socket.

``HTTPTransport`` is an ``httpx.BaseTransport``: hand it to ``httpx.Client(transport=...)`` or
to axios_python (``transport=HTTPTransport()``). Over plain TCP and TLS it speaks HTTP/1.1
itself: the request head is built from validated header bytes and written with the body
(streamed from ``request.stream``, chunked when it has no Content-Length); the response head
is parsed by hand (see ``_framing``) from one reusable ``recv_into`` buffer per connection.
Body bytes are copied at most once in user space: Content-Length and read-until-close bodies
(and chunk data of at least a buffer's size) are read with ``sock.recv(256 KiB)``, which
makes the kernel write straight into the ``bytes`` object httpx receives (no copy at all;
measured faster than ``recv_into`` plus ``bytes(view[:n])``, which copies every byte once
more); chunk framing, and body bytes that arrived with the head, go through the buffer and
are sliced out (one copy). HEAD, 1xx, 204 and 304 responses have no body.

Connections are kept alive in a small pool obeying ``httpx.Limits`` (max_connections,
max_keepalive_connections, keepalive_expiry), checked for liveness before reuse (a socket
that is readable while idle was closed by the server or holds junk: it is discarded). A
connection goes back to the pool only when its response body was read to the end and both
sides allow keep-alive; a response closed early closes its connection.

httpx's four timeouts (``request.extensions["timeout"]``) apply per operation and raise
httpx's own exceptions (ConnectTimeout, ReadTimeout, WriteTimeout, PoolTimeout, ConnectError,
ReadError, WriteError, RemoteProtocolError, LocalProtocolError), each carrying the request.

The ``network_stream`` response extension offers ``get_extra_info`` ("socket",
"ssl_object", "client_addr", "server_addr", "is_readable"), enough for callers that shut the
socket down to unblock a read; reading and writing through it (upgrades) is not supported.

What this core does not do itself it delegates, whole, to ``httpx.HTTPTransport`` built
with the same arguments: HTTP/2 (``http2=True``), proxies (``proxy=...``) and Unix sockets
(``uds=...``).
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpcore
import httpx
from httpx import HTTPTransport as _HttpxTransport  # bound once: a patched name can't loop

from .._cancel import CANCEL_POLL_SECONDS, CancelToken
from .._deadline import current_bounds
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
from ._mocking import sync_mocked
from ._pool import ConnectionPool, Key
from ._trace import NO_TRACE, logged_close, sync_trace

if TYPE_CHECKING:
    from httpx._types import CertTypes, ProxyTypes

__all__ = ["HTTPTransport"]

BUFFER_SIZE = 64 * 1024  # the receive buffer of a connection: heads and chunk framing
READ_SIZE = 256 * 1024  # body bytes asked of one recv() (measured best: see bench_transport)
_WAIT_ALL = sys.platform == "linux" and hasattr(socket, "MSG_WAITALL")
MIN_PIECE = 16 * 1024  # smaller pieces asked for are cut from big reads (fewer system calls)
_NO_RECEIVE_TIMEOUT = struct.pack("ll", 0, 0)


_A = TypeVar("_A")
_R = TypeVar("_R")
Bounds = tuple[float | None, CancelToken | None]


def _bounded(
    conn: _Connection, timeout: float | None, bounds: Bounds, recv: Callable[[_A], _R], arg: _A
) -> _R:
    """``recv(arg)`` whose wait also ends at the running exchange's ``total`` deadline and
    notices a cancel within ``CANCEL_POLL_SECONDS`` (``bounds`` from ``current_bounds()``).

    Only for reads: a timed-out recv consumed nothing, so waiting again in slices is safe.
    """
    at, token = bounds
    end = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            if token is not None:
                token.raise_if_cancelled()
            now = time.monotonic()
            wait = None if end is None else end - now
            if at is not None and (wait is None or at - now < wait):
                wait = at - now
            final = True
            if token is not None and (wait is None or wait > CANCEL_POLL_SECONDS):
                wait, final = CANCEL_POLL_SECONDS, False
            conn.set_timeout(None if wait is None else max(wait, 0.0001))
            try:
                return recv(arg)
            except TimeoutError:
                if final:
                    raise
    finally:
        conn.set_timeout(timeout)


def _clamped(timeout: float | None, bounds: Bounds | None) -> float | None:
    """``timeout`` cut at the running exchange's deadline, for waits that cannot be sliced
    (connect, sendall); a pending cancel is raised first."""
    if bounds is None:
        return timeout
    at, token = bounds
    if token is not None:
        token.raise_if_cancelled()
    if at is None:
        return timeout
    left = max(at - time.monotonic(), 0.0001)
    return left if timeout is None else min(timeout, left)


# -- connections ----------------------------------------------------------------------------


class _Connection:
    """One socket (TCP or TLS), its receive buffer and the unconsumed range in it."""

    __slots__ = (
        "answered",
        "buffer",
        "end",
        "idle_since",
        "key",
        "readable",
        "sock",
        "start",
        "timeout",
        "view",
    )

    def __init__(self, sock: socket.socket, key: Key) -> None:
        self.sock = sock
        self.readable: ReadableProbe | None = None  # made on first use: after any TLS wrap
        self.key = key
        self.buffer = bytearray(BUFFER_SIZE)
        self.view = memoryview(self.buffer)
        self.start = 0  # buffer[start:end] holds bytes received and not consumed yet
        self.end = 0
        self.timeout: float | None = sock.gettimeout()
        self.idle_since = 0.0
        self.answered = False  # a response head (even a 1xx) came for the current request

    def consumed(self, start: int) -> None:
        """Bytes before ``start`` were taken (an emptied buffer restarts at the front)."""
        if start == self.end:
            self.start = self.end = 0
        else:
            self.start = start

    def set_timeout(self, timeout: float | None) -> None:
        if timeout != self.timeout:  # settimeout costs a system call: only when it changes
            self.sock.settimeout(timeout)
            self.timeout = timeout

    def is_alive(self) -> bool:
        """False when the idle socket is readable: the server closed it or sent junk."""
        if self.start != self.end:
            return False
        try:
            if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
                return False
        except (OSError, ValueError):
            return False
        if self.readable is None:
            self.readable = ReadableProbe(self.sock)
        return not self.readable()

    def close(self) -> None:
        logged_close(self._close_socket)

    def _close_socket(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class _Pool:
    """The shared pool bookkeeping (``_pool.ConnectionPool``) behind a lock, with threads
    waiting for a slot when every connection is taken, served in order.

    ``acquire`` returns an idle live connection, or None after reserving a slot for a new
    one (the caller connects, and calls ``forget`` if that fails); ``release`` puts a
    connection back (or closes it), ``discard`` closes one and frees its slot.

    Waiting threads queue, each on a condition of its own, and only the first of them, or
    a thread that finds nobody waiting, takes what is freed. A woken waiter needs the lock
    back before it can take anything; without the queue, a thread sending request after
    request took the connection it had just released first, again and again, until the
    waiter's pool timeout (httpcore serves the waiter next).
    """

    def __init__(self, limits: httpx.Limits) -> None:
        self._core: ConnectionPool[_Connection] = ConnectionPool(limits)
        self._lock = threading.Lock()
        self._queue: deque[threading.Condition] = deque()

    @property
    def total(self) -> int:
        return self._core.total

    @property
    def idle(self) -> int:
        return self._core.idle

    def acquire(self, key: Key, timeout: float | None) -> _Connection | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            if not self._queue:
                conn, granted = self._core.acquire(key)
                if granted:
                    return conn
            waiter = threading.Condition(self._lock)
            self._queue.append(waiter)
            try:
                while True:
                    if self._queue[0] is waiter:
                        conn, granted = self._core.acquire(key)
                        if granted:
                            return conn
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise TimeoutError
                    waiter.wait(left)
            finally:
                self._queue.remove(waiter)
                self._wake_first()  # what is still free is the next one's

    def _wake_first(self) -> None:
        """Wake the first waiting thread, if any (the lock is held)."""
        if self._queue:
            self._queue[0].notify()

    def release(self, conn: _Connection) -> None:
        """Keep ``conn`` for reuse (it finished a response and may carry another)."""
        conn.start = conn.end = 0
        conn.answered = False
        with self._lock:
            self._core.release(conn)
            self._wake_first()

    def discard(self, conn: _Connection) -> None:
        with self._lock:
            self._core.discard(conn)
            self._wake_first()

    def forget(self) -> None:
        """Free the slot of a connection that is closed (or was never opened)."""
        with self._lock:
            self._core.forget()
            self._wake_first()

    def close(self) -> None:
        with self._lock:
            self._core.close()
            for waiter in self._queue:  # they find the pool closed
                waiter.notify()


class _NetworkStream:
    """The ``network_stream`` response extension, shaped like httpcore's network streams.

    ``get_extra_info`` ("socket", "ssl_object", "client_addr", "server_addr",
    "is_readable") serves callers that reach the socket (axios_python's cancellation shuts
    it down to unblock a read). After ``101 Switching Protocols`` the stream owns the
    connection: ``read`` (bytes that arrived with the 101 head first), ``write`` and
    ``close``, which frees its pool slot; that is how httpx users speak WebSocket and other
    upgraded protocols. Errors are httpcore's, as from httpcore's own streams.
    """

    __slots__ = ("_conn", "_pool")

    def __init__(self, conn: _Connection, pool: _Pool | None = None) -> None:
        self._conn = conn
        self._pool = pool  # set when this stream owns the connection (an upgrade)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        conn = self._conn
        if conn.end > conn.start:  # bytes that came with the 101 head
            stop = min(conn.end, conn.start + max_bytes)
            data = bytes(conn.view[conn.start : stop])
            conn.start = stop
            return data
        try:
            conn.set_timeout(timeout)
            return conn.sock.recv(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc) or "timed out") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or repr(exc)) from exc

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        conn = self._conn
        try:
            conn.set_timeout(timeout)
            conn.sock.sendall(buffer)
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc) or "timed out") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or repr(exc)) from exc

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.discard(self._conn)

    def get_extra_info(self, info: str) -> Any:
        sock = self._conn.sock
        if info == "ssl_object":
            return sock._sslobj if isinstance(sock, ssl.SSLSocket) else None  # type: ignore[attr-defined]
        return socket_info(sock, info)


# -- the response body ----------------------------------------------------------------------


class _EmptyStream(httpx.SyncByteStream):
    """No body (HEAD, 204, 304, Content-Length: 0), but still a stream: httpx reads a plain
    ``bytes`` body at once, and ``client.stream(...).iter_raw()`` would then find it consumed."""

    def __iter__(self) -> Iterator[bytes]:
        return iter(())


class _UpgradedBody(httpx.SyncByteStream):
    """The body of a ``101 Switching Protocols``: none, and closing it closes the upgraded
    connection (as httpcore's does), so a 101 nobody takes over frees its pool slot with its
    response. Speak the new protocol inside ``client.stream(...)``, before that close."""

    def __init__(self, network: _NetworkStream) -> None:
        self._network = network

    def __iter__(self) -> Iterator[bytes]:
        return iter(())

    def close(self) -> None:
        self._network.close()


class _ResponseStream(WholeBodyTaker, httpx.SyncByteStream):
    """The body of one response, read from its connection as it is iterated.

    Each chunk is one ``recv_into`` (or the payload part of it, for chunked bodies) copied
    once out of the connection's buffer. Read to the end on a keep-alive connection, the
    connection goes back to the pool; closed before that (or after an error), it is closed.
    """

    def __init__(
        self,
        transport: HTTPTransport,
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

    def __iter__(self) -> Iterator[bytes]:
        if self._iterated:
            raise httpx.StreamConsumed()
        self._iterated = True
        conn = self._conn
        if conn is None:
            raise httpx.StreamClosed()
        request = self._request
        with self._trace.phase("http11.receive_response_body", request=self._trace.shown(request)):
            try:
                conn.set_timeout(self._read_timeout)
                if self._framing.kind == LENGTH:
                    yield from self._length(conn, self._framing.length)
                elif self._framing.kind == CHUNKED:
                    yield from self._chunked(conn)
                else:
                    yield from self._until_close(conn)
            except TimeoutError as exc:
                self._abort()
                raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
            except ProtocolViolation as exc:
                self._abort()
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            except OSError as exc:
                self._abort()
                raise httpx.ReadError(str(exc) or repr(exc), request=request) from exc
        self._finish()

    def _length(self, conn: _Connection, length: int) -> Iterator[bytes]:
        size = self.piece_size
        if size and size >= MIN_PIECE and _WAIT_ALL and not isinstance(conn.sock, ssl.SSLSocket):
            yield from self._length_in_pieces(conn, length, size)
            return
        remaining = length
        if conn.end > conn.start:  # body bytes that came with the head
            take = min(remaining, conn.end - conn.start)
            piece = bytes(conn.view[conn.start : conn.start + take])
            conn.start += take
            remaining -= take
            yield piece
        recv = conn.sock.recv
        timeout = self._read_timeout
        while remaining:
            size = remaining if remaining < READ_SIZE else READ_SIZE
            bounds = current_bounds()
            data = recv(size) if bounds is None else _bounded(conn, timeout, bounds, recv, size)
            if not data:
                raise ProtocolViolation(
                    f"peer closed connection without sending complete message body: "
                    f"received {length - remaining} bytes, expected {length}"
                )
            remaining -= len(data)
            yield data

    def _length_in_pieces(self, conn: _Connection, length: int, piece: int) -> Iterator[bytes]:
        """A Content-Length body in pieces of exactly ``piece`` bytes (the last one shorter),
        for a consumer that re-cuts the body into that size: it then passes them on as they
        are, and every byte is copied once, by the kernel, into the ``bytes`` it gets.

        ``recv(n, MSG_WAITALL)`` on the socket in blocking mode, with the read timeout as
        ``SO_RCVTIMEO``: the kernel returns once ``n`` bytes are there, or what it has when
        the timeout strikes (nothing at all: ``EAGAIN``, our ReadTimeout). Plain TCP on Linux
        only; a running ``total`` deadline or cancel token takes the sliced path per read.
        """
        sock, timeout = conn.sock, self._read_timeout
        remaining = length
        pending = b""
        while remaining and conn.end > conn.start:  # body bytes that came with the head first
            take = min(remaining, conn.end - conn.start, piece)
            pending = bytes(conn.view[conn.start : conn.start + take])
            conn.start += take
            remaining -= take
            if len(pending) == piece or not remaining:
                yield pending
                pending = b""
        seconds = 0.0 if timeout is None else max(timeout, 0.001)
        receive_timeout = struct.pack("ll", int(seconds), int(seconds % 1 * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, receive_timeout)
        try:
            while remaining:
                want = min(piece - len(pending), remaining)
                bounds = current_bounds()
                if bounds is None:
                    conn.set_timeout(None)  # blocking: SO_RCVTIMEO bounds the wait
                    try:
                        data = sock.recv(want, socket.MSG_WAITALL)
                    except BlockingIOError as exc:
                        raise TimeoutError("timed out") from exc
                else:
                    data = _bounded(conn, timeout, bounds, sock.recv, want)
                if not data:
                    raise ProtocolViolation(
                        f"peer closed connection without sending complete message body: "
                        f"received {length - remaining} bytes, expected {length}"
                    )
                remaining -= len(data)
                if pending:
                    data, pending = pending + data, b""
                if len(data) < piece and remaining:  # a short read: keep the piece whole
                    pending = data
                    continue
                yield data
            if pending:
                yield pending
        finally:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _NO_RECEIVE_TIMEOUT)

    def _chunked(self, conn: _Connection) -> Iterator[bytes]:
        decoder = ChunkedDecoder()
        buffer, view = conn.buffer, conn.view
        sock = conn.sock
        start, end = conn.start, conn.end
        while True:
            first, stop, new_start = decoder.step(buffer, start, end)
            if stop > first:
                start = new_start
                yield bytes(view[first:stop])
                continue
            if new_start != start:
                start = new_start
                continue
            if decoder.done:
                break
            if start == end:
                start = end = 0
                left = decoder.payload_left
                if left >= len(buffer):  # big chunk data: straight off the socket, no copy
                    size = left if left < READ_SIZE else READ_SIZE
                    bounds = current_bounds()
                    if bounds is None:
                        data = sock.recv(size)
                    else:
                        data = _bounded(conn, self._read_timeout, bounds, sock.recv, size)
                    if not data:
                        raise ProtocolViolation(INCOMPLETE_CHUNKED)
                    decoder.consumed(len(data))
                    yield data
                    continue
            elif end == len(buffer):  # a partial line at the very end: move it to the front
                buffer[: end - start] = view[start:end]
                start, end = 0, end - start
            bounds = current_bounds()
            if bounds is None:
                n = sock.recv_into(view[end:])
            else:
                n = _bounded(conn, self._read_timeout, bounds, sock.recv_into, view[end:])
            if not n:
                raise ProtocolViolation(INCOMPLETE_CHUNKED)
            end += n
        conn.start, conn.end = start, end
        self.trailers = decoder.trailers

    def _until_close(self, conn: _Connection) -> Iterator[bytes]:
        if conn.end > conn.start:
            piece = bytes(conn.view[conn.start : conn.end])
            conn.start = conn.end = 0
            yield piece
        recv = conn.sock.recv
        timeout = self._read_timeout
        while True:
            bounds = current_bounds()
            if bounds is None:
                data = recv(READ_SIZE)
            else:
                data = _bounded(conn, timeout, bounds, recv, READ_SIZE)
            if not data:
                return
            yield data

    def _finish(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._framing.keep_alive and conn.start == conn.end:
            self._transport._pool.release(conn)
        else:  # not reusable, or bytes beyond the body (junk): never reuse
            self._transport._pool.discard(conn)

    def _abort(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._transport._pool.discard(conn)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._trace.phase("http11.response_closed"):
            self._abort()  # read to the end, the connection was released already


# -- the transport --------------------------------------------------------------------------


class HTTPTransport(httpx.BaseTransport):
    """HTTP/1.1 over TCP and TLS with zero-extra-copy body streaming and a keep-alive pool.

    Takes ``httpx.HTTPTransport``'s arguments. With ``http2=True``, a ``proxy`` or ``uds``,
    the whole transport is delegated to ``httpx.HTTPTransport(**the same arguments)``.
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
        self._delegate: _HttpxTransport | None = None  # httpx's, when we step aside
        if settings.delegates_all:
            self._delegate = _HttpxTransport(**settings.httpx_options)
            return
        assert settings.ssl_context is not None
        self._ssl_context = settings.ssl_context
        self._pool = _Pool(limits)

    # -- the public surface -----------------------------------------------------------------

    def __enter__(self) -> HTTPTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._delegate is not None:
            self._delegate.close()
        if not self._settings.delegates_all:
            self._pool.close()

    def _httpx_transport(self) -> _HttpxTransport:
        """httpx's transport built with our arguments (made on first need)."""
        if self._delegate is None:
            self._delegate = _HttpxTransport(**self._settings.delegate_options())
        return self._delegate

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._settings.delegates_all or sync_mocked():  # respx or pytest-httpx is listening
            return self._httpx_transport().handle_request(request)
        key: Key = connection_key(request)
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        trace = sync_trace(request)
        replayable = may_resend(request)
        while True:
            conn, reused = self._acquire(request, key, timeouts, trace)
            try:
                head, framing = self._exchange(conn, request, timeouts, trace)
            except _Disconnected as exc:
                self._pool.discard(conn)
                if reused and replayable and not conn.answered:
                    continue  # a kept-alive connection the server had dropped: once more
                reset = reset_before_answer(exc, request)
                if reset is not None:
                    raise reset from exc.__cause__
                # as httpcore: a write that broke without an answer reads as a disconnect
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from exc
            except BaseException:
                self._pool.discard(conn)
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
                self._pool.discard(conn)
                raise httpx.RemoteProtocolError(UNASKED_UPGRADE, request=request)
            network = _NetworkStream(conn, self._pool)
            extensions["network_stream"] = network
            body = _UpgradedBody(network)
            return httpx.Response(head.status, headers=headers, stream=body, extensions=extensions)
        if framing.kind == NO_BODY:
            if framing.keep_alive and conn.start == conn.end:
                self._pool.release(conn)
            else:
                self._pool.discard(conn)
            return httpx.Response(
                head.status, headers=headers, stream=_EmptyStream(), extensions=extensions
            )
        stream = _ResponseStream(self, conn, framing, request, timeouts.get("read"), trace)
        return httpx.Response(head.status, headers=headers, stream=stream, extensions=extensions)

    # -- connecting -------------------------------------------------------------------------

    def _acquire(
        self, request: httpx.Request, key: Key, timeouts: dict[str, Any], trace: Any
    ) -> tuple[_Connection, bool]:
        try:
            conn = self._pool.acquire(key, timeouts.get("pool"))
        except TimeoutError as exc:
            raise httpx.PoolTimeout("timed out waiting for a connection", request=request) from exc
        if conn is not None:
            return conn, True
        try:
            return self._connect(request, key, timeouts.get("connect"), trace), False
        except BaseException:
            self._pool.forget()
            raise

    def _connect(
        self, request: httpx.Request, key: Key, timeout: float | None, trace: Any
    ) -> _Connection:
        scheme, host, port = key
        timeout = _clamped(timeout, current_bounds())
        conn: _Connection | None = None
        try:
            delays = self._settings.retry_delays()
            for attempt in range(self._settings.retries + 1):
                try:
                    info = self._settings.connect_info(host, port, timeout)
                    with trace.phase("connection.connect_tcp", **info) as phase:
                        conn = _Connection(self._open_socket(host, port, timeout), key)
                        phase.value = _NetworkStream(conn)
                    break
                except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                    if attempt == self._settings.retries:
                        exc.request = request
                        raise
                    time.sleep(next(delays))
            assert conn is not None
            if scheme == "https":
                sni = request.extensions.get("sni_hostname") or host
                with trace.phase(
                    "connection.start_tls",
                    ssl_context=self._ssl_context,
                    server_hostname=sni,
                    timeout=timeout,
                ) as phase:  # the phase reports the mapped error, as the async one (and httpcore)
                    try:
                        conn.sock = self._ssl_context.wrap_socket(conn.sock, server_hostname=sni)
                    except TimeoutError as exc:
                        raise httpx.ConnectTimeout(
                            str(exc) or "timed out", request=request
                        ) from exc
                    except OSError as exc:
                        raise httpx.ConnectError(str(exc), request=request) from exc
                    phase.value = _NetworkStream(conn)
            return conn
        except BaseException:
            if conn is not None:  # the socket opened, then TLS or a trace callback failed
                conn.close()
            raise

    def _open_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        error: Exception | None = None
        for family, kind, proto, _, address in infos:
            sock: socket.socket | None = None
            try:
                sock = self._settings.new_socket(family, kind, proto)
                sock.settimeout(timeout)
                sock.connect(address)
                return sock
            except OSError as exc:  # TimeoutError included
                if sock is not None:
                    sock.close()
                error = connect_failure(exc)
        raise error or httpx.ConnectError(f"no address found for {host}")

    # -- one exchange: the request out, the response head in --------------------------------

    def _exchange(
        self, conn: _Connection, request: httpx.Request, timeouts: dict[str, Any], trace: Any
    ) -> tuple[ResponseHead, BodyFraming]:
        read_timeout = timeouts.get("read")
        try:
            # The server may answer before the body is all sent: with ``Expect:
            # 100-continue``, or by closing its end mid-upload (a 413, say). Then the rest of
            # the body is never sent, and the connection is not reused.
            try:
                early, close = self._send(conn, request, timeouts.get("write"), read_timeout, trace)
            except _Disconnected as exc:
                early, close = self._answer_to_broken_upload(conn, read_timeout, exc), True
            with trace.phase(
                "http11.receive_response_headers", request=trace.shown(request)
            ) as phase:
                conn.set_timeout(read_timeout)
                head = early
                while head is None or is_interim(head.status):
                    head = self._read_head(conn)  # 100 Continue, 103 Early Hints: skipped
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

    def _answer_to_broken_upload(
        self, conn: _Connection, read_timeout: float | None, broken: _Disconnected
    ) -> ResponseHead:
        """The response a server sent before it closed the connection under our upload
        (as httpcore does, the write error gives way to it); else the write error."""
        if not broken.writing:
            raise broken
        try:
            conn.set_timeout(read_timeout)
            head = self._read_head(conn)
            while is_interim(head.status):
                head = self._read_head(conn)
        except (OSError, ProtocolViolation, _Disconnected):
            raise broken from None
        return head

    def _read_head(self, conn: _Connection) -> ResponseHead:
        buffer, view = conn.buffer, conn.view
        scanned = conn.start
        first_line_ok = False  # see check_partial_head
        while True:
            found = HEAD_END.search(buffer, scanned, conn.end)
            if found is not None:  # the earliest blank line, CRLF or bare LF, as h11 finds it
                if found.end() - conn.start > MAX_HEAD:
                    raise ProtocolViolation("response head too large")
                head = bytes(view[conn.start : found.start()])
                conn.start = found.end()
                break
            first_line_ok = check_partial_head(buffer, conn.start, conn.end, first_line_ok)
            scanned = max(conn.start, conn.end - 2)
            if conn.end == len(buffer):
                if conn.start == 0:
                    raise ProtocolViolation("response head too large")
                size = conn.end - conn.start
                buffer[:size] = view[conn.start : conn.end]
                scanned -= conn.start
                conn.start, conn.end = 0, size
            bounds = current_bounds()
            if bounds is None:
                n = conn.sock.recv_into(view[conn.end :])
            else:
                n = _bounded(conn, conn.timeout, bounds, conn.sock.recv_into, view[conn.end :])
            if not n:
                if conn.end == conn.start and not conn.answered:
                    raise _Disconnected
                raise ProtocolViolation("peer closed connection in the middle of a response head")
            conn.end += n
        if conn.start == conn.end:
            conn.start = conn.end = 0
        conn.answered = True  # the server began to answer: never send this request again
        return parse_response_head(head)

    def _await_continue(self, conn: _Connection, read_timeout: float | None) -> ResponseHead | None:
        """After a head with ``Expect: 100-continue``: None once the body may go (a 100, or
        no answer within ``EXPECT_CONTINUE_WAIT``), or the final response the server sent
        instead."""
        end = time.monotonic() + continue_wait(read_timeout)
        conn.set_timeout(read_timeout)
        while True:
            if conn.start == conn.end:
                pending = isinstance(conn.sock, ssl.SSLSocket) and conn.sock.pending()
                left = max(end - time.monotonic(), 0.0)
                if not pending and not select.select([conn.sock], [], [], left)[0]:
                    return None
            head = self._read_head(conn)
            if head.status == 100:
                return None
            if not is_interim(head.status):
                return head

    def _send(
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
        if not isinstance(stream, httpx.SyncByteStream):
            raise RuntimeError("Attempted to send an async request with a sync transport.")
        whole: bytes | None = None
        if isinstance(stream, httpx.ByteStream):  # bytes (or none): all of it in hand
            whole = first = held_bytes(stream)
            parts: Iterator[bytes] = iter(())
        else:
            parts = iter(stream)
            first = b""
            for part in parts:  # the first non-empty piece, to coalesce with the head
                if part:
                    first = part
                    break
        head, headers, chunked, length, close = prepare_request_head(request, bool(first))
        declared = declared_length(length, request, whole)
        bounds = current_bounds()
        sock = conn.sock

        def sendall(data: bytes) -> None:
            # each write ends at the deadline; a cancel stops the body between writes
            conn.set_timeout(timeout if bounds is None else _clamped(timeout, bounds))
            try:
                sock.sendall(data)
            except TimeoutError as exc:
                raise httpx.WriteTimeout(str(exc) or "timed out", request=request) from exc
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
                raise _Disconnected(writing=True) from exc
            except OSError as exc:
                raise httpx.WriteError(str(exc) or repr(exc), request=request) from exc

        expect = bool(first) and expects_continue(headers)
        traced = trace.sent(request, headers) if trace.enabled else None
        if expect or traced is not None:
            with trace.phase("http11.send_request_headers", request=traced):
                sendall(head)
            head = b""
            if expect:
                answer = self._await_continue(conn, read_timeout)
                if answer is not None:
                    return answer, close
        with trace.phase("http11.send_request_body", request=traced):
            self._send_body(sendall, head, first, parts, chunked, declared)
        return None, close

    @staticmethod
    def _send_body(
        sendall: Callable[[bytes], None],
        head: bytes,
        first: bytes,
        parts: Iterator[bytes],
        chunked: bool,
        declared: BodyLength | None,
    ) -> None:
        """The body (after ``head``, unless that went already), chunked or as it is."""
        if chunked:
            if first:
                head += b"%x\r\n" % len(first)
                if len(first) <= COALESCE:
                    sendall(head + first + b"\r\n")
                else:
                    sendall(head)
                    sendall(first)
                    sendall(b"\r\n")
                for part in parts:
                    if part:
                        sendall(b"%x\r\n%s\r\n" % (len(part), part))
                sendall(b"0\r\n\r\n")
            else:
                sendall(head + b"0\r\n\r\n")
        else:
            if declared is not None:
                declared.add(len(first))  # too long already: nothing goes out
            if first and len(first) <= COALESCE:
                sendall(head + first)
            else:
                if head:
                    sendall(head)
                if first:
                    sendall(first)
            for part in parts:
                if part:
                    if declared is not None:
                        declared.add(len(part))
                    sendall(part)
            if declared is not None:
                declared.finish()
        return None
