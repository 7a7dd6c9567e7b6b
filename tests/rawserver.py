"""A tiny threaded raw-socket HTTP server on 127.0.0.1 for faults no framework will produce.

Each accepted connection runs ``handler(conn)`` in its own thread. The handler gets a
``Connection`` and scripts the exchange byte by byte: read the request head, send any bytes
(valid HTTP or not), sleep, drip, stall until the client gives up, close. The server records
per connection how many bytes it managed to send, the request heads it read and when the peer
closed, so tests can observe backpressure and whether the client read a body at all.

    def handler(conn):
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": "10"}) + b"abc")
        conn.stall()                       # until the client closes, or the server stops

    with RawServer(handler) as server:
        axios_python.get(server.url, ...)

``close()`` (or leaving the ``with``) unblocks every handler (their sockets are shut down,
their sleeps wake up), joins every thread it started and fails loudly if one will not stop.
``servers()`` starts servers for a test and closes them after it (wrap it in a fixture).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

__all__ = [
    "Connection",
    "Handler",
    "RawServer",
    "chunked",
    "keep_alive",
    "ok",
    "response_head",
    "servers",
]

Handler = Callable[["Connection"], object]


def response_head(
    status: int = 200,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    reason: str = "OK",
) -> bytes:
    """``HTTP/1.1 <status> <reason>`` plus headers and the blank line, as bytes."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{name}: {value}" for name, value in items]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def ok(body: bytes = b"hello", headers: Mapping[str, str] | None = None) -> bytes:
    """A complete 200 response with ``body`` and its Content-Length."""
    return response_head(200, {"Content-Length": str(len(body)), **(headers or {})}) + body


def chunked(*pieces: bytes, end: bool = True) -> bytes:
    """Body bytes in chunked framing (with the terminating zero chunk unless ``end=False``)."""
    out = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces if piece)
    return out + (b"0\r\n\r\n" if end else b"")


class Connection:
    """One accepted connection, as a script sees it; every operation is counted."""

    def __init__(self, sock: socket.socket, server: RawServer) -> None:
        self.sock = sock
        self.server = server
        self.bytes_sent = 0
        self.bytes_received = 0
        self.heads: list[bytes] = []
        self.peer_closed = threading.Event()
        self.peer_closed_at: float | None = None
        self.started_at = time.monotonic()
        self.finished = threading.Event()
        self._buffer = b""

    # -- receiving --------------------------------------------------------------------------

    def _mark_peer_closed(self) -> None:
        if not self.peer_closed.is_set():
            self.peer_closed_at = time.monotonic()
            self.peer_closed.set()

    def _recv(self) -> bytes:
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._mark_peer_closed()
        self.bytes_received += len(data)
        return data

    def read_head(self) -> bytes | None:
        """Read one request head (through the blank line); None if the peer closed first."""
        while b"\r\n\r\n" not in self._buffer:
            if self.server.stopping.is_set():
                return None
            data = self._recv()
            if not data:
                return None
            self._buffer += data
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        self.heads.append(head)
        return head

    def read_until(self, marker: bytes) -> bytes:
        """What the peer sent after the head, up to and including ``marker`` (less if it
        closed first)."""
        while marker not in self._buffer:
            data = self._recv()
            if not data:
                break
            self._buffer += data
        body, _, self._buffer = self._buffer.partition(marker)
        return body + marker

    def read_exactly(self, size: int) -> bytes:
        """The next ``size`` bytes the peer sent after the head (fewer if it closed first)."""
        while len(self._buffer) < size:
            data = self._recv()
            if not data:
                break
            self._buffer += data
        body, self._buffer = self._buffer[:size], self._buffer[size:]
        return body

    # -- sending ----------------------------------------------------------------------------

    def send(self, data: bytes | bytearray | memoryview) -> bool:
        """Send all of ``data``, counting what the kernel accepted; False once the peer is gone."""
        view = memoryview(data)
        while view:
            if self.server.stopping.is_set():
                return False
            try:
                sent = self.sock.send(view)
            except OSError:
                self._mark_peer_closed()
                return False
            self.bytes_sent += sent
            view = view[sent:]
        return True

    def send_repeated(self, block: bytes | memoryview, total: int) -> bool:
        """Send ``total`` bytes cut from ``block`` over and over (a big body, no big buffer)."""
        view = memoryview(block)
        left = total
        while left > 0:
            piece = view[: min(left, len(view))]
            if not self.send(piece):
                return False
            left -= len(piece)
        return True

    def drip(self, data: bytes, interval: float) -> bool:
        """Send ``data`` one byte at a time, ``interval`` seconds apart."""
        for index in range(len(data)):
            if not self.send(data[index : index + 1]):
                return False
            if self.stall(interval) or self.server.stopping.is_set():
                return False  # the peer closed (or the server stops): stop dripping
        return True

    # -- waiting ----------------------------------------------------------------------------

    def sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first (then return False)."""
        return not self.server.stopping.wait(seconds)

    def stall(self, timeout: float | None = None) -> bool:
        """Send nothing until the peer closes (True), the server stops or ``timeout`` passes.

        Whatever the peer sends meanwhile is read and discarded, so a closing peer is seen.
        """
        limit = None if timeout is None else time.monotonic() + timeout
        while not self.server.stopping.is_set():
            if self.peer_closed.is_set():
                return True
            wait = 0.05 if limit is None else min(0.05, limit - time.monotonic())
            if wait <= 0:
                return False
            try:
                readable, _, _ = select.select([self.sock], [], [], wait)
            except (OSError, ValueError):
                self._mark_peer_closed()
                return True
            if readable and not self._recv():
                return True
        return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class RawServer:
    """A threaded raw-socket server on 127.0.0.1 (ephemeral port) running ``handler`` per conn."""

    def __init__(self, handler: Handler, *, backlog: int = 128) -> None:
        self.handler = handler
        self.stopping = threading.Event()
        self.connections: list[Connection] = []
        self.errors: list[BaseException] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(backlog)
        self._listener.settimeout(0.05)
        self.host, self.port = self._listener.getsockname()[:2]
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._live: set[Connection] = set()
        self._idle = threading.Condition(self._lock)
        self._acceptor = threading.Thread(target=self._accept_loop, name="rawserver-accept")
        self._started = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> RawServer:
        if not self._started:
            self._started = True
            self._acceptor.start()
        return self

    def __enter__(self) -> RawServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- accepting --------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            conn = Connection(sock, self)
            thread = threading.Thread(target=self._run, args=(conn,), name="rawserver-conn")
            with self._lock:
                if self.stopping.is_set():
                    sock.close()
                    return
                self.connections.append(conn)
                self._live.add(conn)
                self._threads.add(thread)
            thread.start()

    def _run(self, conn: Connection) -> None:
        try:
            self.handler(conn)
        except BaseException as exc:  # a broken script must show up in the test, not vanish
            if not self.stopping.is_set():
                self.errors.append(exc)
        finally:
            conn.close()
            conn.finished.set()
            with self._lock:
                self._live.discard(conn)
                self._threads.discard(threading.current_thread())
                self._idle.notify_all()

    # -- observing --------------------------------------------------------------------------

    @property
    def live_connections(self) -> int:
        with self._lock:
            return len(self._live)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every handler has finished (all server-side sockets closed)."""
        limit = time.monotonic() + timeout
        with self._idle:
            while self._live:
                left = limit - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def wait_connection(self, index: int = 0, timeout: float = 5.0) -> Connection:
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            with self._lock:
                if len(self.connections) > index:
                    return self.connections[index]
            time.sleep(0.005)
        raise AssertionError(f"the server never accepted connection #{index}")

    # -- stopping ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop accepting, unblock every handler, join every thread; raise handler errors."""
        self.stopping.set()
        if self._started:
            self._acceptor.join(5)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            live = list(self._live)
            threads = list(self._threads)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(5)
        stuck = [thread for thread in threads if thread.is_alive()]
        if self._acceptor.is_alive():  # pragma: no cover
            stuck.append(self._acceptor)
        if stuck:  # pragma: no cover
            raise AssertionError(f"rawserver threads did not stop: {stuck}")
        if self.errors:
            raise AssertionError(f"a rawserver handler failed: {self.errors[0]!r}") from (
                self.errors[0]
            )


def keep_alive(respond: Callable[[Connection, bytes], object]) -> Handler:
    """A handler serving requests on one connection until the peer closes it."""

    def handler(conn: Connection) -> None:
        while True:
            head = conn.read_head()
            if head is None:
                return
            if respond(conn, head) is False:
                return

    return handler


@contextlib.contextmanager
def servers() -> Iterator[Callable[[Handler], RawServer]]:
    """``with servers() as start: start(handler)``; every server started is closed on exit.

    Test modules wrap it in their own ``serve`` fixture.
    """
    started: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        server = RawServer(handler).start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.close()
