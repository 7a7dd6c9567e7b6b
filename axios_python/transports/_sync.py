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
import threading
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

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

if TYPE_CHECKING:
    from httpx._types import CertTypes, ProxyTypes

__all__ = ["HTTPTransport"]

BUFFER_SIZE = 64 * 1024  # the receive buffer of a connection: heads and chunk framing
READ_SIZE = 256 * 1024  # body bytes asked of one recv() (measured best: see bench_transport)
COALESCE = 16 * 1024  # request bodies up to this size are sent with the head, in one write
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
_DEFAULT_PORTS = {"http": 80, "https": 443}

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
Key = tuple[str, str, int]
INCOMPLETE_CHUNKED = (
    "peer closed connection without sending complete message body: incomplete chunked read"
)


class _Disconnected(Exception):
    """The server closed a connection before sending any byte of a response (``writing``:
    it was gone while the request was being written)."""

    def __init__(self, writing: bool = False) -> None:
        super().__init__()
        self.writing = writing


# -- connections ----------------------------------------------------------------------------


class _Connection:
    """One socket (TCP or TLS), its receive buffer and the unconsumed range in it."""

    __slots__ = ("buffer", "end", "idle_since", "key", "sock", "start", "timeout", "view")

    def __init__(self, sock: socket.socket, key: Key) -> None:
        self.sock = sock
        self.key = key
        self.buffer = bytearray(BUFFER_SIZE)
        self.view = memoryview(self.buffer)
        self.start = 0  # buffer[start:end] holds bytes received and not consumed yet
        self.end = 0
        self.timeout: float | None = sock.gettimeout()
        self.idle_since = 0.0

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
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class _Pool:
    """Idle connections per (scheme, host, port) under ``httpx.Limits``.

    ``acquire`` returns an idle live connection, or None after reserving a slot for a new
    one (the caller connects, and calls ``forget`` if that fails); ``release`` puts a
    connection back (or closes it), ``discard`` closes one and frees its slot.
    """

    def __init__(self, limits: httpx.Limits) -> None:
        self.max_connections = limits.max_connections
        self.max_keepalive = limits.max_keepalive_connections
        self.expiry = limits.keepalive_expiry
        self._idle: dict[Key, list[_Connection]] = {}
        self._idle_count = 0
        self._total = 0  # connections open or being opened, idle or not
        self._cond = threading.Condition(threading.Lock())
        self._closed = False

    @property
    def total(self) -> int:
        return self._total

    @property
    def idle(self) -> int:
        return self._idle_count

    def _expired(self, conn: _Connection, now: float) -> bool:
        return self.expiry is not None and now - conn.idle_since > self.expiry

    def acquire(self, key: Key, timeout: float | None) -> _Connection | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the transport is closed")
                idle = self._idle.get(key)
                now = time.monotonic()
                while idle:
                    conn = idle.pop()
                    self._idle_count -= 1
                    if self._expired(conn, now) or not conn.is_alive():
                        conn.close()
                        self._total -= 1
                        continue
                    return conn
                if self.max_connections is None or self._total < self.max_connections:
                    self._total += 1
                    return None
                victim = self._pop_oldest_idle()
                if victim is not None:  # full, but an idle connection elsewhere can go
                    victim.close()
                    return None  # its slot is ours
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError
                self._cond.wait(left)

    def _pop_oldest_idle(self) -> _Connection | None:
        oldest: _Connection | None = None
        for conns in self._idle.values():
            if conns and (oldest is None or conns[0].idle_since < oldest.idle_since):
                oldest = conns[0]
        if oldest is not None:
            self._idle[oldest.key].remove(oldest)
            self._idle_count -= 1
        return oldest

    def release(self, conn: _Connection) -> None:
        """Keep ``conn`` for reuse (it finished a response and may carry another)."""
        with self._cond:
            if self._closed:
                conn.close()
                self._total -= 1
                return
            conn.idle_since = time.monotonic()
            conn.start = conn.end = 0
            self._idle.setdefault(conn.key, []).append(conn)
            self._idle_count += 1
            if self.max_keepalive is not None and self._idle_count > self.max_keepalive:
                victim = self._pop_oldest_idle()
                if victim is not None:
                    victim.close()
                    self._total -= 1
            self._cond.notify()

    def discard(self, conn: _Connection) -> None:
        conn.close()
        self.forget()

    def forget(self) -> None:
        """Free the slot of a connection that is closed (or was never opened)."""
        with self._cond:
            self._total -= 1
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            for conns in self._idle.values():
                for conn in conns:
                    conn.close()
                    self._total -= 1
            self._idle.clear()
            self._idle_count = 0
            self._cond.notify_all()


class _NetworkStream:
    """The ``network_stream`` response extension: only ``get_extra_info`` (enough for
    callers that must reach the socket, as axios_python's cancellation and total deadline
    do: they shut it down to unblock a read). Reading and writing through it (protocol
    upgrades) is not supported by this transport yet."""

    __slots__ = ("_sock",)

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def get_extra_info(self, info: str) -> Any:
        sock = self._sock
        if info == "socket":
            return sock
        if info == "ssl_object":
            return sock._sslobj if isinstance(sock, ssl.SSLSocket) else None  # type: ignore[attr-defined]
        if info == "client_addr":
            return sock.getsockname()
        if info == "server_addr":
            return sock.getpeername()
        if info == "is_readable":
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable)
        return None


# -- the response body ----------------------------------------------------------------------


class _ResponseStream(httpx.SyncByteStream):
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
    ) -> None:
        self._transport = transport
        self._conn: _Connection | None = conn
        self._framing = framing
        self._request = request
        self._read_timeout = read_timeout
        self._iterated = False
        self.trailers: list[bytes] = []

    def __iter__(self) -> Iterator[bytes]:
        if self._iterated:
            raise httpx.StreamConsumed()
        self._iterated = True
        conn = self._conn
        if conn is None:
            raise httpx.StreamClosed()
        request = self._request
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
        remaining = length
        if conn.end > conn.start:  # body bytes that came with the head
            take = min(remaining, conn.end - conn.start)
            piece = bytes(conn.view[conn.start : conn.start + take])
            conn.start += take
            remaining -= take
            yield piece
        recv = conn.sock.recv
        while remaining:
            data = recv(remaining if remaining < READ_SIZE else READ_SIZE)
            if not data:
                raise ProtocolViolation(
                    f"peer closed connection without sending complete message body: "
                    f"received {length - remaining} bytes, expected {length}"
                )
            remaining -= len(data)
            yield data

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
                    data = sock.recv(left if left < READ_SIZE else READ_SIZE)
                    if not data:
                        raise ProtocolViolation(INCOMPLETE_CHUNKED)
                    decoder.consumed(len(data))
                    yield data
                    continue
            elif end == len(buffer):  # a partial line at the very end: move it to the front
                buffer[: end - start] = view[start:end]
                start, end = 0, end - start
            n = sock.recv_into(view[end:])
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
        while True:
            data = recv(READ_SIZE)
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
        self._delegate: httpx.HTTPTransport | None = None
        if http2 or proxy is not None or uds is not None:
            self._delegate = httpx.HTTPTransport(
                verify=verify,
                cert=cert,
                trust_env=trust_env,
                http1=http1,
                http2=http2,
                limits=limits,
                proxy=proxy,
                uds=uds,
                local_address=local_address,
                retries=retries,
                socket_options=socket_options,
            )
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
        self._socket_options = list(socket_options or ())

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
        else:
            self._pool.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._delegate is not None:
            return self._delegate.handle_request(request)
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
        while True:
            conn, reused = self._acquire(request, key, timeouts)
            try:
                head, framing = self._exchange(conn, request, timeouts)
            except _Disconnected as exc:
                self._pool.discard(conn)
                if reused and replayable:  # a kept-alive connection the server had dropped
                    continue
                if exc.writing and exc.__cause__ is not None:
                    cause = exc.__cause__
                    raise httpx.WriteError(str(cause) or repr(cause), request=request) from cause
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from exc
            except BaseException:
                self._pool.discard(conn)
                raise
            break
        extensions = {
            "http_version": head.http_version,
            "reason_phrase": head.reason,
            "network_stream": _NetworkStream(conn.sock),
        }
        if framing.kind == NO_BODY:
            if framing.keep_alive and conn.start == conn.end:
                self._pool.release(conn)
            else:
                self._pool.discard(conn)
            return httpx.Response(head.status, headers=head.headers, extensions=extensions)
        stream = _ResponseStream(self, conn, framing, request, timeouts.get("read"))
        return httpx.Response(
            head.status, headers=head.headers, stream=stream, extensions=extensions
        )

    # -- connecting -------------------------------------------------------------------------

    def _acquire(
        self, request: httpx.Request, key: Key, timeouts: dict[str, Any]
    ) -> tuple[_Connection, bool]:
        try:
            conn = self._pool.acquire(key, timeouts.get("pool"))
        except TimeoutError as exc:
            raise httpx.PoolTimeout("timed out waiting for a connection", request=request) from exc
        if conn is not None:
            return conn, True
        try:
            return self._connect(request, key, timeouts.get("connect")), False
        except BaseException:
            self._pool.forget()
            raise

    def _connect(self, request: httpx.Request, key: Key, timeout: float | None) -> _Connection:
        scheme, host, port = key
        delay = 0.0
        for attempt in range(self._retries + 1):
            try:
                sock = self._open_socket(host, port, timeout)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == self._retries:
                    exc.request = request
                    raise
                time.sleep(delay)
                delay = 0.5 if not delay else delay * 2
        if scheme == "https":
            sni = request.extensions.get("sni_hostname") or host
            try:
                sock = self._ssl_context.wrap_socket(sock, server_hostname=sni)
            except TimeoutError as exc:
                sock.close()
                raise httpx.ConnectTimeout(str(exc) or "timed out", request=request) from exc
            except OSError as exc:
                sock.close()
                raise httpx.ConnectError(str(exc), request=request) from exc
        return _Connection(sock, key)

    def _open_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        error: Exception | None = None
        for family, kind, proto, _, address in infos:
            sock = socket.socket(family, kind, proto)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for option in self._socket_options:
                    sock.setsockopt(*option)
                if self._local_address is not None:
                    sock.bind((self._local_address, 0))
                sock.settimeout(timeout)
                sock.connect(address)
                return sock
            except TimeoutError as exc:
                sock.close()
                error = httpx.ConnectTimeout(str(exc) or "timed out")
                error.__cause__ = exc
            except OSError as exc:
                sock.close()
                error = httpx.ConnectError(str(exc))
                error.__cause__ = exc
        raise error or httpx.ConnectError(f"no address found for {host}")

    # -- one exchange: the request out, the response head in --------------------------------

    def _exchange(
        self, conn: _Connection, request: httpx.Request, timeouts: dict[str, Any]
    ) -> tuple[ResponseHead, BodyFraming]:
        self._send(conn, request, timeouts.get("write"))
        conn.set_timeout(timeouts.get("read"))
        try:
            while True:
                head = self._read_head(conn)
                if 100 <= head.status < 200 and head.status != 101:
                    continue  # 100 Continue, 103 Early Hints: the real response follows
                close = any(
                    part.strip().lower() == b"close"
                    for name, value in request.headers.raw
                    if name.lower() == b"connection"
                    for part in value.split(b",")
                )
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

    def _read_head(self, conn: _Connection) -> ResponseHead:
        buffer, view = conn.buffer, conn.view
        scanned = conn.start
        while True:
            end = buffer.find(b"\r\n\r\n", scanned, conn.end)
            if end >= 0:
                head = bytes(view[conn.start : end])
                conn.start = end + 4
                break
            end = buffer.find(b"\n\n", scanned, conn.end)
            if end >= 0:
                head = bytes(view[conn.start : end])
                conn.start = end + 2
                break
            scanned = max(conn.start, conn.end - 3)
            if conn.end == len(buffer):
                if conn.start == 0:
                    raise ProtocolViolation("response head too large")
                size = conn.end - conn.start
                buffer[:size] = view[conn.start : conn.end]
                scanned -= conn.start
                conn.start, conn.end = 0, size
            n = conn.sock.recv_into(view[conn.end :])
            if not n:
                if conn.end == conn.start:
                    raise _Disconnected
                raise ProtocolViolation("peer closed connection in the middle of a response head")
            conn.end += n
        if conn.start == conn.end:
            conn.start = conn.end = 0
        return parse_response_head(head)

    def _send(self, conn: _Connection, request: httpx.Request, timeout: float | None) -> None:
        headers = list(request.headers.raw)
        names = {name.lower() for name, _ in headers}
        chunked = any(
            name.lower() == b"transfer-encoding" and b"chunked" in value.lower()
            for name, value in headers
        )
        stream = request.stream
        if not isinstance(stream, httpx.SyncByteStream):
            raise RuntimeError("Attempted to send an async request with a sync transport.")
        parts = iter(stream)
        first = b""
        for part in parts:  # the first non-empty piece, to coalesce with the head
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
        conn.set_timeout(timeout)
        sendall = conn.sock.sendall
        try:
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
                if first and len(first) <= COALESCE:
                    sendall(head + first)
                else:
                    sendall(head)
                    if first:
                        sendall(first)
                for part in parts:
                    if part:
                        sendall(part)
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out", request=request) from exc
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
            raise _Disconnected(writing=True) from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc) or repr(exc), request=request) from exc
