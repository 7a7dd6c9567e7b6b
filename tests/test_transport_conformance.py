"""HTTP/1.1 conformance of axios_python's own transports, sync and async, on the wire.

Every test runs against ``HTTPTransport`` (through ``httpx.Client``) and ``AsyncHTTPTransport``
(through ``httpx.AsyncClient``) via ``Client``, a small adapter with one sync API: the async
side runs on an event loop the adapter owns, so pooled connections survive between calls.
The server is tests/rawserver.py: each test scripts the bytes and watches the connections
(how many were opened, whether the client closed one, what arrived before an answer).

Covered: keep-alive reuse and non-reuse (partial reads, Connection: close either way, no
length, HTTP/1.0, Transfer-Encoding with Content-Length), stale pooled connections and the
one retry, early closes mid-head and mid-body, bad framing of every kind, interim 1xx
responses, Expect: 100-continue, trailers, no-body responses and the absence of pipelining.
"""

from __future__ import annotations

import asyncio
import functools
import select
import socket
import ssl
import struct
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import httpx
import pytest
from rawserver import (
    Connection,
    Handler,
    RawServer,
    chunked,
    keep_alive,
    ok,
    response_head,
    servers,
)

from axios_python.transports import HTTPTransport

try:
    from axios_python.transports import AsyncHTTPTransport
except ImportError as exc:  # not importable (being written): the async half is skipped
    AsyncHTTPTransport = None  # type: ignore[assignment,misc]
    ASYNC_MISSING = f"AsyncHTTPTransport is not importable yet ({exc})"
else:
    ASYNC_MISSING = ""

pytestmark = pytest.mark.one_transport

T = TypeVar("T")

KINDS = [
    "sync",
    pytest.param("async", marks=pytest.mark.skipif(bool(ASYNC_MISSING), reason=ASYNC_MISSING)),
]


def kinds(**xfail_reasons: str) -> list[Any]:
    """The transport params, with a strict xfail on the kinds named (``sync="BUG: ..."``)."""
    out: list[Any] = []
    for kind in ("sync", "async"):
        marks: list[Any] = []
        if kind == "async" and ASYNC_MISSING:
            marks.append(pytest.mark.skip(reason=ASYNC_MISSING))
        if kind in xfail_reasons:
            marks.append(pytest.mark.xfail(strict=True, reason=xfail_reasons[kind]))
        out.append(pytest.param(kind, marks=marks, id=kind))
    return out


# -- one client API for both transports -----------------------------------------------------


@functools.cache
def ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class Streamed:
    """A request body sent from a (sync or async) generator: it cannot be replayed."""

    parts: tuple[bytes, ...]


Content = bytes | Streamed | None


def take_whole(response: httpx.Response) -> bytes | None:
    """The body in one piece from our transport's stream (httpx's client binds it in a
    pass-through stream), kept as httpx keeps a read body; None when it must be read."""
    stream = getattr(response.stream, "_stream", response.stream)
    take = getattr(stream, "take_buffered_body", None)  # not on an empty body's stream
    body: bytes | None = None if take is None else take()
    if body is not None:
        response._content = body
        response.is_stream_consumed = True
    return body


class Client:
    """``httpx.Client(HTTPTransport)`` or ``httpx.AsyncClient(AsyncHTTPTransport)`` behind one
    sync API. The async client lives on a private event loop for the adapter's lifetime."""

    def __init__(
        self, kind: str, *, timeout: float = 2.0, limits: httpx.Limits | None = None
    ) -> None:
        self.kind = kind
        # one SSL context for every client: making one (CA bundle and all) costs ~30 ms
        options: dict[str, Any] = {"verify": ssl_context()}
        if limits is not None:
            options["limits"] = limits
        self._sync: httpx.Client | None = None
        self._async: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        if kind == "sync":
            self._sync = httpx.Client(transport=HTTPTransport(**options), timeout=timeout)
        else:
            assert AsyncHTTPTransport is not None, ASYNC_MISSING
            self._loop = asyncio.new_event_loop()
            self._async = httpx.AsyncClient(
                transport=AsyncHTTPTransport(**options), timeout=timeout
            )

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        return self._loop.run_until_complete(asyncio.wait_for(coro, 20))

    @staticmethod
    def _sync_content(content: Content) -> Any:
        if isinstance(content, Streamed):
            return iter(content.parts)
        return content

    @staticmethod
    def _async_content(content: Content) -> Any:
        if isinstance(content, Streamed):

            async def parts() -> AsyncIterator[bytes]:
                for part in content.parts:
                    yield part

            return parts()
        return content

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
        content: Content = None,
        whole: bool = False,
    ) -> httpx.Response:
        """Send a request and read its body to the end; ``whole``: first take it in one
        piece if the transport holds all of it (what axios_python's ``read()`` does)."""
        if self._sync is not None:
            if not whole:
                return self._sync.request(
                    method, url, headers=headers, content=self._sync_content(content)
                )
            sync_content = self._sync_content(content)
            with self._sync.stream(method, url, headers=headers, content=sync_content) as r:
                if take_whole(r) is None:
                    r.read()
                return r
        client = self._async
        assert client is not None
        if not whole:
            return self._run(
                client.request(method, url, headers=headers, content=self._async_content(content))
            )

        async def go() -> httpx.Response:
            async_content = self._async_content(content)
            async with client.stream(method, url, headers=headers, content=async_content) as r:
                if take_whole(r) is None:
                    await r.aread()
                return r

        return self._run(go())

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def stream(self, url: str, *, first_only: bool = False) -> bytes:
        """Stream a GET through ``iter_raw`` and close it: all of it, or its first piece."""
        if self._sync is not None:
            with self._sync.stream("GET", url) as r:
                pieces = []
                for piece in r.iter_raw():
                    pieces.append(piece)
                    if first_only:
                        break
                return b"".join(pieces)
        client = self._async
        assert client is not None

        async def go() -> bytes:
            async with client.stream("GET", url) as r:
                pieces = []
                async for piece in r.aiter_raw():
                    pieces.append(piece)
                    if first_only:
                        break
                return b"".join(pieces)

        return self._run(go())

    def gather(self, urls: list[str]) -> list[httpx.Response]:
        """GET every URL at the same time (threads for sync, tasks for async)."""
        if self._sync is not None:
            sync = self._sync
            with ThreadPoolExecutor(len(urls)) as pool:
                return list(pool.map(sync.get, urls))
        client = self._async
        assert client is not None

        async def go() -> list[httpx.Response]:
            return list(await asyncio.gather(*(client.get(url) for url in urls)))

        return self._run(go())

    def settle(self, condition: Callable[[], bool], timeout: float = 1.5) -> bool:
        """Wait until ``condition()`` holds, letting the event loop run meanwhile (an asyncio
        socket closes on a later loop iteration than the ``close()`` that asked for it)."""
        limit = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > limit:
                return False
            if self._loop is not None:
                self._loop.run_until_complete(asyncio.sleep(0.01))
            else:
                time.sleep(0.01)
        return True

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
        elif self._async is not None and self._loop is not None:
            self._loop.run_until_complete(self._async.aclose())
            self._loop.close()


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(kind: str) -> Iterator[Client]:
    with Client(kind) as c:
        yield c


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    """Start raw servers for one test (closed after it). Their acceptors poll every 5 ms,
    not 50, so that closing one (which joins the acceptor) costs next to nothing."""
    with servers() as start:

        def fast(handler: Handler) -> RawServer:
            server = start(handler)
            server._listener.settimeout(0.005)
            return server

        yield fast


# -- server scripts -------------------------------------------------------------------------


def answer_ok(conn: Connection, head: bytes) -> None:
    conn.send(ok())


def index_of(conn: Connection) -> int:
    return conn.server.connections.index(conn)


def then_ok(first: Callable[[Connection], object]) -> Handler:
    """Connection #0 runs ``first``; every later one answers ``hello`` until closed."""

    def handler(conn: Connection) -> None:
        if index_of(conn) == 0:
            first(conn)
        else:
            keep_alive(answer_ok)(conn)

    return handler


def sends(data: bytes, *, then: str = "stall") -> Callable[[Connection], None]:
    """Read a request head, send ``data``, then ``stall`` (keep the connection open, watching
    for the client to close it), ``close`` it, or ``serve`` (answer later requests)."""

    def script(conn: Connection) -> None:
        conn.read_head()
        conn.send(data)
        if then == "stall":
            conn.stall(3)
        elif then == "serve":
            keep_alive(answer_ok)(conn)

    return script


def pending(conn: Connection, seconds: float) -> bool:
    """Did the client send anything (not a close) within ``seconds``? Nothing is consumed."""
    if conn._buffer:
        return True
    readable, _, _ = select.select([conn.sock], [], [], seconds)
    if not readable:
        return False
    try:
        return bool(conn.sock.recv(1, socket.MSG_PEEK))
    except OSError:
        return False


def drain(conn: Connection, seconds: float) -> bytes:
    """Everything the client sends within ``seconds`` (sooner if it closes)."""
    data, conn._buffer = conn._buffer, b""
    limit = time.monotonic() + seconds
    while (left := limit - time.monotonic()) > 0:
        readable, _, _ = select.select([conn.sock], [], [], left)
        if readable:
            piece = conn._recv()
            if not piece:
                break
            data += piece
    return data


def read_request_body(conn: Connection, head: bytes) -> bytes:
    """The body after ``head`` (chunked framing, which wins over a Content-Length as RFC
    9112 section 6.3 says, or Content-Length), raw."""
    lines = head.lower().split(b"\r\n")
    if not any(line.startswith(b"transfer-encoding:") for line in lines):
        for line in lines:
            if line.startswith(b"content-length:"):
                return conn.read_exactly(int(line.split(b":")[1]))
    else:
        while b"0\r\n\r\n" not in conn._buffer:
            data = conn._recv()
            if not data:
                break
            conn._buffer += data
        body, _, conn._buffer = conn._buffer.partition(b"0\r\n\r\n")
        return body + b"0\r\n\r\n"
    return b""


def assert_discarded(client: Client, server: RawServer, index: int = 0) -> None:
    """Connection ``index`` (which the server keeps open) was closed by the client, not
    pooled; and the next request goes over a new connection and succeeds."""
    conn = server.wait_connection(index)
    assert client.settle(conn.peer_closed.is_set), "the client kept a connection it must drop"
    assert_fresh_connection(client, server)


def assert_fresh_connection(client: Client, server: RawServer) -> None:
    """The next request goes over a new connection and succeeds."""
    before = len(server.connections)
    assert client.get(server.url + "after").content == b"hello"
    assert len(server.connections) == before + 1


# -- keep-alive: reuse only after a complete response ---------------------------------------


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_partially_read_response_is_not_reused(
    client: Client, serve: Callable[[Handler], RawServer], framing: str
) -> None:
    """A response closed before its end closes its connection; the next request uses a new
    connection and gets its own body (not the rest of the first one)."""
    big = b"x" * 300_000
    body = (
        ok(big)
        if framing == "length"
        else response_head(200, {"Transfer-Encoding": "chunked"}) + chunked(big[:100], big)
    )
    server = serve(keep_alive(lambda conn, head: conn.send(body if b"/big" in head else ok())))
    assert client.stream(server.url + "big", first_only=True)
    assert_discarded(client, server)
    assert client.get(server.url).content == b"hello"
    assert len(server.connections) == 2


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_fully_read_response_is_reused(
    client: Client, serve: Callable[[Handler], RawServer], framing: str
) -> None:
    """A body read to the end through the stream API (then closed) returns the connection:
    every request goes over the one connection."""
    payload = {
        "length": ok(b"abc"),
        "chunked": response_head(200, {"Transfer-Encoding": "chunked"}) + chunked(b"a", b"bc"),
    }[framing]
    server = serve(keep_alive(lambda conn, head: conn.send(payload)))
    assert [client.stream(server.url) for _ in range(3)] == [b"abc"] * 3
    assert client.get(server.url).content == b"abc"
    assert len(server.connections) == 1


@pytest.mark.parametrize(
    "kind",
    kinds(),
    indirect=True,
)
@pytest.mark.parametrize("status", [200, 204])
def test_empty_response_can_be_streamed(
    client: Client, serve: Callable[[Handler], RawServer], status: int
) -> None:
    """``Content-Length: 0`` and 204 responses stream as an empty body through ``iter_raw``
    (as with httpx's own transports), and keep their connection."""
    payload = response_head(status, {"Content-Length": "0"})
    server = serve(keep_alive(lambda conn, head: conn.send(payload)))
    assert [client.stream(server.url) for _ in range(2)] == [b""] * 2
    assert len(server.connections) == 1


# -- stale kept-alive connections -----------------------------------------------------------


def test_idle_connection_closed_by_server(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """The server closes a kept-alive connection while it is idle: the next request notices
    before sending and opens a new connection."""
    server = serve(sends(ok(), then="close"))
    assert client.get(server.url).content == b"hello"
    assert server.wait_idle()
    time.sleep(0.02)
    assert client.get(server.url).content == b"hello"
    assert len(server.connections) == 2
    assert [len(conn.heads) for conn in server.connections] == [1, 1]


def drops_second_request(conn: Connection) -> None:
    """Answer the first request; read the second one whole and close without a word."""
    conn.read_head()
    conn.send(ok())
    head = conn.read_head()
    assert head is not None
    read_request_body(conn, head)


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PUT", b"replayable"), ("DELETE", None)]
)
def test_dropped_request_is_retried_once_when_replayable(
    client: Client, serve: Callable[[Handler], RawServer], method: str, body: bytes | None
) -> None:
    """A reused connection closed unanswered after the request: an idempotent request with
    a replayable body is sent again, whole, on a fresh connection."""
    seen: list[bytes] = []

    def respond(conn: Connection, head: bytes) -> None:
        seen.append(read_request_body(conn, head))
        conn.send(ok())

    def handler(conn: Connection) -> None:
        if index_of(conn) == 0:
            drops_second_request(conn)
        else:
            keep_alive(respond)(conn)

    server = serve(handler)
    assert client.get(server.url).content == b"hello"
    r = client.request(method, server.url, content=body)
    assert r.content == b"hello"
    assert seen == [body or b""]
    assert len(server.connections) == 2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_dropped_post_is_never_sent_twice(
    client: Client, serve: Callable[[Handler], RawServer], method: str
) -> None:
    """The server read the whole POST, then closed without answering: it may have acted on
    it, so the POST is not sent again (RFC 9110, 9.2.2); the drop surfaces as httpx's
    transport reports it."""
    server = serve(then_ok(drops_second_request))
    assert client.get(server.url).content == b"hello"
    with pytest.raises(httpx.RemoteProtocolError):
        client.request(method, server.url, content=b"pay once")
    assert len(server.connections) == 1


def test_dropped_streamed_request_is_not_retried(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """A generator body cannot be sent twice: the drop surfaces as RemoteProtocolError."""
    server = serve(then_ok(drops_second_request))
    assert client.get(server.url).content == b"hello"
    with pytest.raises(httpx.RemoteProtocolError):
        client.request("POST", server.url, content=Streamed((b"abc", b"def")))
    assert len(server.connections) == 1


def test_retry_happens_only_once(client: Client, serve: Callable[[Handler], RawServer]) -> None:
    """When the fresh connection drops the request too, the error surfaces (no loop)."""

    def handler(conn: Connection) -> None:
        if index_of(conn) == 0:
            drops_second_request(conn)
        else:
            conn.read_head()  # and close, unanswered

    server = serve(handler)
    assert client.get(server.url).content == b"hello"
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(server.url)
    assert len(server.connections) == 2


@pytest.mark.parametrize(
    "kind",
    kinds(),
    indirect=True,
)
def test_no_retry_once_the_server_has_answered(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """A server that sent any response bytes (here a 100 Continue) may have acted on the
    request: a dropped connection after that is an error, never a silent resend of a POST."""

    def first(conn: Connection) -> None:
        conn.read_head()
        conn.send(ok())
        head = conn.read_head()
        assert head is not None
        read_request_body(conn, head)
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")

    server = serve(then_ok(first))
    assert client.get(server.url).content == b"hello"
    with pytest.raises(httpx.RemoteProtocolError):
        client.request("POST", server.url, content=b"pay once")
    assert len(server.connections) == 1


# -- early close: an error, never a short body ----------------------------------------------

HEAD_CL10 = response_head(200, {"Content-Length": "10"})
HEAD_CHUNKED = response_head(200, {"Transfer-Encoding": "chunked"})


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"HTTP/1.1 20", id="mid-status-line"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Le", id="mid-head"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n", id="head-without-blank-line"),
        pytest.param(HEAD_CL10 + b"12345", id="length-mid-body"),
        pytest.param(HEAD_CL10, id="length-no-body"),
        pytest.param(HEAD_CHUNKED + b"5\r\nhel", id="chunked-mid-data"),
        pytest.param(HEAD_CHUNKED + b"5\r\nhello", id="chunked-before-crlf"),
        pytest.param(HEAD_CHUNKED + b"5\r\nhello\r\n", id="chunked-no-last-chunk"),
        pytest.param(HEAD_CHUNKED + b"5\r\nhello\r\n0\r\n", id="chunked-no-final-crlf"),
        pytest.param(HEAD_CHUNKED + b"5\r\nhello\r\n0\r\nX-T: 1\r\n", id="chunked-mid-trailers"),
    ],
)
def test_early_close_on_a_reused_connection(
    client: Client, serve: Callable[[Handler], RawServer], data: bytes
) -> None:
    """The server closes part-way through a response on a kept-alive connection: a
    RemoteProtocolError (bytes arrived, so no silent retry either), then a fresh connection."""

    def first(conn: Connection) -> None:
        conn.read_head()
        conn.send(ok())
        conn.read_head()
        conn.send(data)

    server = serve(then_ok(first))
    assert client.get(server.url).content == b"hello"
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(server.url)
    assert len(server.connections) == 1
    assert_fresh_connection(client, server)


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_early_close_while_streaming(
    client: Client, serve: Callable[[Handler], RawServer], framing: str
) -> None:
    """Streaming a body cut short ends in RemoteProtocolError, not a clean short end."""
    data = HEAD_CL10 + b"12345" if framing == "length" else HEAD_CHUNKED + b"5\r\n12345\r\n"
    server = serve(then_ok(sends(data, then="close")))
    with pytest.raises(httpx.RemoteProtocolError):
        client.stream(server.url)
    assert_fresh_connection(client, server)


# -- bad framing ----------------------------------------------------------------------------


def head_with(*lines: bytes, status: bytes = b"HTTP/1.1 200 OK") -> bytes:
    return b"\r\n".join((status, *lines)) + b"\r\n\r\n"


BAD_FRAMING = [
    pytest.param(head_with(b"Content-Length: 5", b"Content-Length: 6") + b"hello!",
                 id="cl-conflict"),
    pytest.param(head_with(b"Content-Length: 5, 6") + b"hello!", id="cl-conflict-list"),
    pytest.param(head_with(b"Content-Length: five") + b"hello", id="cl-non-numeric"),
    pytest.param(head_with(b"Content-Length: -1") + b"hello", id="cl-negative"),
    pytest.param(head_with(b"Content-Length: +5") + b"hello", id="cl-plus"),
    pytest.param(head_with(b"Content-Length: 0x5") + b"hello", id="cl-hex"),
    pytest.param(head_with(b"Content-Length: 5 5") + b"hello", id="cl-space"),
    pytest.param(head_with(b"Content-Length: " + b"9" * 30) + b"hello", id="cl-huge"),
    pytest.param(head_with(b"Content-Length:") + b"hello", id="cl-empty"),
    pytest.param(head_with(b"Content-Length: 5,") + b"hello", id="cl-empty-element"),
    # Transfer-Encoding: one header, exactly "chunked" (any case), as h11 allows
    pytest.param(head_with(b"Transfer-Encoding: identity", b"Content-Length: 5") + b"hello",
                 id="te-identity"),
    pytest.param(head_with(b"Transfer-Encoding: gzip") + b"hello", id="te-gzip"),
    pytest.param(head_with(b"Transfer-Encoding: gzip, chunked") + b"5\r\nhello\r\n0\r\n\r\n",
                 id="te-gzip-chunked"),
    pytest.param(head_with(b"Transfer-Encoding: chunked, chunked") + b"0\r\n\r\n",
                 id="te-chunked-twice"),
    pytest.param(head_with(b"Transfer-Encoding: chunked, identity") + b"until the end",
                 id="te-chunked-not-last"),
    pytest.param(head_with(b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked")
                 + b"0\r\n\r\n", id="te-two-headers"),
    pytest.param(head_with(b"Transfer-Encoding:", b"Content-Length: 5") + b"hello",
                 id="te-empty"),
    pytest.param(HEAD_CHUNKED + b"zz\r\nhello\r\n0\r\n\r\n", id="chunk-size-not-hex"),
    pytest.param(HEAD_CHUNKED + b"-5\r\nhello\r\n0\r\n\r\n", id="chunk-size-negative"),
    pytest.param(HEAD_CHUNKED + b"0x5\r\nhello\r\n0\r\n\r\n", id="chunk-size-0x"),
    pytest.param(HEAD_CHUNKED + b"5 z\r\nhello\r\n0\r\n\r\n", id="chunk-size-junk"),
    pytest.param(HEAD_CHUNKED + b"\r\nhello\r\n0\r\n\r\n", id="chunk-size-empty"),
    pytest.param(HEAD_CHUNKED + b"1" * 21 + b"\r\nhello", id="chunk-size-huge"),  # h11: <= 20
    pytest.param(HEAD_CHUNKED + b"5\r\nhelloXX0\r\n\r\n", id="chunk-data-no-crlf"),
    pytest.param(HEAD_CHUNKED + b"5\r\nhello\n0\r\n\r\n", id="chunk-data-bare-lf"),
    pytest.param(HEAD_CHUNKED + b"5;" + b"e" * 70_000 + b"\r\nhello", id="chunk-line-too-long"),
    pytest.param(head_with(b" folded: x", b"Content-Length: 0"), id="fold-before-any-header"),
    pytest.param(head_with(b"NoColon", b"Content-Length: 0"), id="no-colon"),
    pytest.param(head_with(b"Name : v", b"Content-Length: 0"), id="space-before-colon"),
    pytest.param(head_with(b": v", b"Content-Length: 0"), id="empty-name"),
    pytest.param(head_with(b"X-Bad: a\x00b", b"Content-Length: 0"), id="nul-in-value"),
    pytest.param(head_with(b"X-B\x00d: a", b"Content-Length: 0"), id="nul-in-name"),
    pytest.param(head_with(b"X-Bad: a\rb", b"Content-Length: 0"), id="cr-in-value"),
    pytest.param(b"SMTP ready\r\n\r\n", id="status-garbage"),
    pytest.param(head_with(status=b"HTTP/1.1 abc OK"), id="status-not-numeric"),
    pytest.param(head_with(status=b"HTTP/1.1 2000 OK"), id="status-four-digits"),
    pytest.param(head_with(status=b"HTTP/1.1 099 Weird"), id="status-below-100"),
    pytest.param(head_with(status=b"HTTP/1.1  200 OK"), id="status-double-space"),
    pytest.param(head_with(status=b"http/1.1 200 OK"), id="status-lowercase-name"),
    pytest.param(head_with(status=b"ICY 200 OK"), id="status-icy"),
    pytest.param(head_with(b"Content-Length: 0", status=b"HTTP/2.0 200 OK"), id="http-2.0"),
    pytest.param(head_with(b"Content-Length: 0", status=b"HTTP/2 200 OK"), id="http-2"),
    pytest.param(head_with(b"Content-Length: 0", status=b"HTTP/1.10 200 OK"), id="http-1.10"),
    # found by differential testing against httpx's transport (h11): the same refusals
    pytest.param(HEAD_CHUNKED + b" 5\r\nhello\r\n0\r\n\r\n", id="chunk-size-leading-space"),
    pytest.param(HEAD_CHUNKED + b"5\nhello\r\n0\r\n\r\n", id="chunk-size-bare-lf"),
    pytest.param(HEAD_CHUNKED + b"0\r\nX-T : 1\r\n\r\n", id="trailer-space-before-colon"),
    pytest.param(HEAD_CHUNKED + b"0\r\n folded\r\n\r\n", id="trailer-fold-first"),
    pytest.param(HEAD_CHUNKED + b"0\r\nContent-Length: x\r\n\r\n", id="trailer-bad-length"),
    pytest.param(head_with(b"X-Bad: a\x0bb", b"Content-Length: 0"), id="vt-in-value"),
    pytest.param(head_with(b"Content-Length: 0", status=b"HTTP/1.1 200 O\x0cK"), id="ff-in-reason"),
    pytest.param(head_with(b"Content-Length: x", status=b"HTTP/1.1 204 No Content"),
                 id="bodiless-204-bad-length"),
    pytest.param(head_with(b"Transfer-Encoding: gzip", status=b"HTTP/1.1 304 Not Modified"),
                 id="bodiless-304-gzip"),
    pytest.param(head_with(b"Content-Length: x", status=b"HTTP/1.1 100 Continue")
                 + head_with(b"Content-Length: 5") + b"hello", id="interim-bad-length"),
    # junk that cannot begin a response, on a connection the server keeps open: refused at
    # once, where waiting for a blank line would run into the read timeout
    pytest.param(b"\x15\x03\x03\x00\x02\x02P", id="tls-alert-on-plain-http"),
    pytest.param(b" HTTP/1.1 200 OK\r\n", id="status-leading-space-incomplete"),
    pytest.param(b"HTTP/1.1 2x0 OK\r\nContent-Le", id="status-bad-incomplete"),
    pytest.param(b"HTTP/1.1 200 " + b"R" * 20_000, id="status-line-too-long-incomplete"),
]  # fmt: skip


@pytest.mark.parametrize("data", BAD_FRAMING)
def test_bad_framing_is_a_protocol_error(
    client: Client, serve: Callable[[Handler], RawServer], data: bytes
) -> None:
    """Each malformed response is a RemoteProtocolError; the client drops the connection (the
    server keeps it open and watches) and the next request uses a new one."""
    server = serve(then_ok(sends(data)))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(server.url)
    assert_discarded(client, server)


def endless(prefix: bytes, line: bytes) -> Callable[[Connection], None]:
    """Send ``prefix`` then ``line`` over and over (up to 8 MiB), then stall."""

    def script(conn: Connection) -> None:
        conn.read_head()
        if conn.send(prefix) and conn.send_repeated(line * (65536 // len(line)), 8 << 20):
            conn.stall(3)

    return script


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(endless(b"HTTP/1.1 200 OK\r\n", b"X-Pad: " + b"a" * 90 + b"\r\n"), id="head"),
        pytest.param(endless(b"HTTP/1.1 200 OK\r\nX-Pad: ", b"a" * 128), id="header-line"),
        pytest.param(endless(b"HTTP/1.1 200 OK", b" " * 128), id="status-line"),
        pytest.param(endless(HEAD_CHUNKED + b"0\r\n", b"X-T: " + b"t" * 90 + b"\r\n"),
                     id="trailers"),
        pytest.param(endless(HEAD_CHUNKED + b"5;", b"e" * 128), id="chunk-line"),
    ],
)  # fmt: skip
def test_oversized_heads_are_refused(
    client: Client, serve: Callable[[Handler], RawServer], script: Callable[[Connection], None]
) -> None:
    """A head (or trailer section, or chunk-size line) that never ends is refused once it
    passes the limit: RemoteProtocolError well before the read timeout, nothing buffered
    without bound."""
    server = serve(then_ok(script))
    started = time.monotonic()
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(server.url)
    assert time.monotonic() - started < 1.5
    assert server.connections[0].bytes_sent < 8 << 20
    assert_discarded(client, server)


def head_of(size: int) -> bytes:
    """A complete response head of about ``size`` bytes (padded with X-Pad lines), body ok."""
    lines = [b"X-Pad-%d: " % n + b"p" * 90 for n in range(size // 100)]
    return head_with(*lines, b"Content-Length: 2") + b"ok"


def head_of_exactly(size: int) -> bytes:
    """A response head of exactly ``size`` bytes, its blank line included."""
    start, end = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: ", b"\r\n\r\n"
    return start + b"p" * (size - len(start) - len(end)) + end


def head_limit_cases() -> list[Any]:
    """(response, where a pause cuts it, read or refused): heads well under and over the
    limit in one or two writes, and heads of exactly 64 KiB and a byte more, whole or cut
    by a pause inside the blank line."""
    cases = []
    for size, fits in ((60_000, True), (70_000, False)):
        data = head_of(size)
        for writes, cut in (("one-write", len(data)), ("two-writes", len(data) // 2)):
            cases.append(pytest.param(data, cut, fits, id=f"{size}-{writes}"))
    for size, fits in ((65_536, True), (65_537, False)):
        data = head_of_exactly(size) + b"ok"
        for back in (0, 1, 2, 3):  # 0: whole; else the pause falls ``back`` bytes before
            cut = len(data) - 2 - back if back else len(data)  # the end of the blank line
            cases.append(pytest.param(data, cut, fits, id=f"{size}-cut-{back}"))
    return cases


@pytest.mark.parametrize(("data", "cut", "fits"), head_limit_cases())
def test_the_head_limit_is_one_exact_rule(
    client: Client, serve: Callable[[Handler], RawServer], data: bytes, cut: int, fits: bool
) -> None:
    """64 KiB with the blank line, not a byte more, in both transports, however the bytes
    arrive (async once took a long head that came in one piece, and the two transports drew
    the line 1 to 3 bytes apart, async by where a pause cut the blank line)."""

    def script(conn: Connection) -> None:
        conn.read_head()
        conn.send(data[:cut])
        time.sleep(0.05)
        conn.send(data[cut:])
        conn.stall()

    server = serve(then_ok(script))
    if fits:
        assert client.get(server.url).content == b"ok"
    else:
        with pytest.raises(httpx.RemoteProtocolError, match="too large"):
            client.get(server.url)


def reset(conn: Connection) -> None:
    """Reset the connection (RST, not FIN)."""
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.sock.close()


@pytest.mark.parametrize("first", [b"", b"HTTP/1.1 100 Continue\r\n\r\n"], ids=["none", "100"])
def test_a_reset_before_the_answer_is_a_read_error(
    client: Client, serve: Callable[[Handler], RawServer], first: bytes
) -> None:
    """As httpx's transport reports it: ReadError (a clean close is RemoteProtocolError
    "Server disconnected..."), also after an interim 100."""

    def script(conn: Connection) -> None:
        conn.read_head()
        if first:
            conn.send(first)
            time.sleep(0.05)
        reset(conn)

    server = serve(script)
    with pytest.raises(httpx.ReadError):
        client.get(server.url)


def test_transfer_encoding_with_content_length(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """Transfer-Encoding: chunked wins over Content-Length (the body is read chunked), and the
    connection, a possible smuggling vector, is never reused."""
    head = response_head(200, {"Transfer-Encoding": "chunked", "Content-Length": "3"})
    data = head + chunked(b"hello", b" world")
    server = serve(then_ok(sends(data, then="serve")))
    assert client.get(server.url).content == b"hello world"
    assert_discarded(client, server)


# -- tolerated irregularities ---------------------------------------------------------------


@pytest.mark.parametrize("kind", kinds(), indirect=True)
def test_bare_lf_head_with_crlf_in_the_body(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """A head whose lines end in bare LF (accepted, as h11 does) ends at the first empty line,
    even if the body, arriving in the same packet, holds CRLF CRLF."""
    data = b"HTTP/1.1 200 OK\nContent-Length: 8\n\nab\r\n\r\ncd"
    server = serve(then_ok(sends(data, then="serve")))
    assert client.get(server.url).content == b"ab\r\n\r\ncd"


@pytest.mark.parametrize("kind", kinds(), indirect=True)
def test_bare_lf_line_then_crlf_blank_line(
    kind: str, serve: Callable[[Handler], RawServer]
) -> None:
    """Mixed line ends: a bare-LF header line followed by a CRLF blank line ends the head."""
    data = b"HTTP/1.1 200 OK\nContent-Length: 2\n\r\nok"
    server = serve(then_ok(sends(data, then="serve")))
    with Client(kind, timeout=0.5) as client:
        assert client.get(server.url).content == b"ok"


def test_obsolete_line_folding_is_unfolded(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """RFC 9112 section 5.2: a user agent replaces obs-fold with SP (it is not an error after a
    header line; before any header it is, see test_bad_framing_is_a_protocol_error)."""
    data = head_with(b"X-Folded: a", b" \t b", b"Content-Length: 2") + b"ok"
    server = serve(keep_alive(lambda conn, head: conn.send(data)))
    r = client.get(server.url)
    assert (r.headers["x-folded"], r.content) == ("a b", b"ok")
    assert client.get(server.url).content == b"ok"
    assert len(server.connections) == 1


# -- interim responses and Expect: 100-continue ---------------------------------------------


def test_interim_responses_are_skipped(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """100, 102 and 103 (with headers, even a Content-Length, which 1xx ignore) are skipped,
    arriving in separate packets; their headers do not leak into the final response."""
    interim = [
        b"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n",
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n",
        b"HTTP/1.1 102 Processing\r\n\r\n",
    ]

    def respond(conn: Connection, head: bytes) -> None:
        for piece in interim:
            conn.send(piece)
            time.sleep(0.005)
        conn.send(ok(b"final"))

    server = serve(keep_alive(respond))
    r = client.get(server.url)
    assert (r.status_code, r.content) == (200, b"final")
    assert "link" not in r.headers
    assert client.get(server.url).content == b"final"
    assert len(server.connections) == 1


@pytest.mark.parametrize("kind", kinds(), indirect=True)
def test_expect_100_continue_waits_for_the_100(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """With ``Expect: 100-continue`` the body waits for the server's 100 Continue."""
    early: list[bool] = []

    def respond(conn: Connection, head: bytes) -> None:
        if b"100-continue" in head.lower():
            early.append(pending(conn, 0.1))
            conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        conn.send(ok(read_request_body(conn, head)))

    server = serve(keep_alive(respond))
    r = client.request("POST", server.url, headers={"Expect": "100-continue"}, content=b"12345")
    assert r.content == b"12345"
    assert early == [False], "the body was sent before the server said 100 Continue"
    assert client.get(server.url).content == b""
    assert len(server.connections) == 1


@pytest.mark.parametrize("status", [417, 401])
@pytest.mark.parametrize("kind", kinds(), indirect=True)
def test_expect_100_continue_final_answer_without_100(
    client: Client, serve: Callable[[Handler], RawServer], status: int
) -> None:
    """A final status instead of 100 Continue: the body is never sent, and the connection
    (whose request was never completed) is not reused."""
    received: list[bytes] = []

    def first(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(status, {"Content-Length": "0"}, reason="No"))
        received.append(drain(conn, 0.5))

    server = serve(then_ok(first))
    r = client.request("POST", server.url, headers={"Expect": "100-continue"}, content=b"12345")
    assert r.status_code == status
    assert server.connections[0].finished.wait(2)
    assert received == [b""], "the body was sent although the server refused it"
    assert_fresh_connection(client, server)


def test_expect_100_continue_without_any_answer_sends_the_body(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """A server that ignores Expect (no 100, no answer): the body goes anyway, after a short
    wait, and the exchange completes."""

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(ok(read_request_body(conn, head)))

    server = serve(keep_alive(respond))
    r = client.request("PUT", server.url, headers={"Expect": "100-continue"}, content=b"12345")
    assert r.content == b"12345"


# -- trailers, no-body responses, no length -------------------------------------------------


@pytest.mark.parametrize("late", [False, True], ids=["together", "trailers-late"])
def test_trailers_are_consumed_not_leaked(
    client: Client, serve: Callable[[Handler], RawServer], late: bool
) -> None:
    """Trailers after the last chunk are read to the end (even when they come later than the
    last chunk): not in the body, not in the headers, and the connection is reusable."""
    body = b'4;ext="a;b"\r\nwiki\r\n2;x\r\npe\r\n0;last=1\r\n'
    trailers = b"X-Trailer-One: 1\r\nX-Trailer-Two: two\r\n\r\n"

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(HEAD_CHUNKED + body + (b"" if late else trailers))
        if late:
            time.sleep(0.05)
            conn.send(trailers)

    server = serve(keep_alive(respond))
    for _ in range(2):
        r = client.get(server.url)
        assert r.content == b"wikipe"
        assert "x-trailer-one" not in r.headers
    assert len(server.connections) == 1


@pytest.mark.parametrize(
    ("method", "head"),
    [
        ("HEAD", response_head(200, {"Content-Length": "1000"})),
        ("HEAD", response_head(200, {"Transfer-Encoding": "chunked"})),
        ("GET", response_head(204, {"Content-Length": "10"}, reason="No Content")),
        ("GET", response_head(304, {"Content-Length": "10"}, reason="Not Modified")),
        ("GET", response_head(304, {"Transfer-Encoding": "chunked"}, reason="Not Modified")),
    ],
    ids=["head-length", "head-chunked", "204-length", "304-length", "304-chunked"],
)
def test_no_body_responses_ignore_their_framing(
    client: Client, serve: Callable[[Handler], RawServer], method: str, head: bytes
) -> None:
    """HEAD, 204 and 304 have no body whatever their headers say: the response is returned at
    once (no wait for a body) and the connection carries the next request."""

    def respond(conn: Connection, request: bytes) -> None:
        conn.send(ok(b"next") if b"/next" in request else head)

    server = serve(keep_alive(respond))
    started = time.monotonic()
    r = client.request(method, server.url)
    assert r.content == b""
    assert time.monotonic() - started < 1
    assert client.get(server.url + "next").content == b"next"
    assert len(server.connections) == 1


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\n",
    ],
    ids=["http/1.1", "keep-alive-header", "http/1.0"],
)
def test_body_until_close(
    client: Client, serve: Callable[[Handler], RawServer], head: bytes
) -> None:
    """No length: the body runs until the server closes, arriving in pieces, and the
    connection is never reused."""

    def script(conn: Connection) -> None:
        conn.read_head()
        conn.send(head + b"until ")
        time.sleep(0.01)
        conn.send(b"the end")

    server = serve(script)
    assert client.get(server.url).content == b"until the end"
    assert client.stream(server.url) == b"until the end"
    assert len(server.connections) == 2


@pytest.mark.parametrize("value", ["close", "Close", "keep-alive, close", "Upgrade,CLOSE"])
def test_server_connection_close(
    client: Client, serve: Callable[[Handler], RawServer], value: str
) -> None:
    """``Connection: close`` from the server (any case, in a list): the client closes the
    connection after the response although the server would keep it."""
    server = serve(then_ok(sends(ok(headers={"Connection": value}), then="serve")))
    assert client.get(server.url).content == b"hello"
    assert_discarded(client, server)


def test_request_connection_close(client: Client, serve: Callable[[Handler], RawServer]) -> None:
    """``Connection: close`` sent by the client: the connection is not reused afterwards."""
    server = serve(keep_alive(answer_ok))
    assert client.get(server.url, headers={"Connection": "close"}).content == b"hello"
    assert_discarded(client, server)


def test_http10_response_with_length_is_not_reused(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """An HTTP/1.0 response (no keep-alive negotiated) closes its connection even when the
    server keeps it open."""
    data = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
    server = serve(then_ok(sends(data, then="serve")))
    r = client.get(server.url)
    assert (r.http_version, r.content) == ("HTTP/1.0", b"ok")
    assert_discarded(client, server)


# -- 101 Switching Protocols ----------------------------------------------------------------


def test_a_101_nobody_asked_for_is_a_protocol_error(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """A server may switch protocols only when the request proposed one (an Upgrade header),
    as h11 holds it to: otherwise RemoteProtocolError, and the connection is dropped."""
    head = response_head(101, {"Upgrade": "x", "Connection": "Upgrade"})
    server = serve(then_ok(sends(head, then="serve")))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(server.url)
    assert_discarded(client, server)


@pytest.mark.parametrize("kind", kinds(), indirect=True)
def test_a_101_not_taken_over_frees_its_slot_when_closed(
    kind: str, serve: Callable[[Handler], RawServer]
) -> None:
    """A 101 read like any response (``client.get``) and closed: its connection is closed
    with it, as httpcore closes it, and the pool slot comes back. Five in a row through a
    pool of one: a leaked slot would be a PoolTimeout."""
    upgrade = {"Upgrade": "x", "Connection": "Upgrade"}

    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(101, upgrade))
        conn.read_until(b"\0never sent\0")  # until the client closes

    server = serve(handler)
    limits = httpx.Limits(max_connections=1)
    with Client(kind, limits=limits) as c:
        for _ in range(5):
            assert c.get(server.url, headers=upgrade).status_code == 101
    assert len(server.connections) == 5
    for conn in server.connections:
        assert conn.peer_closed.wait(2)


# -- request bodies are held to the Content-Length their head declares ----------------------


def records_uploads(received: list[bytes]) -> Handler:
    """POSTs: everything after the head until the client closes is kept in ``received``;
    anything else is answered ``hello``."""

    def handler(conn: Connection) -> None:
        head = conn.read_head()
        if head is None:
            return
        if head.startswith(b"POST"):
            received.append(conn.read_until(b"\0never sent\0").removesuffix(b"\0never sent\0"))
            return
        conn.send(ok())

    return handler


@pytest.mark.parametrize(
    ("content", "declared", "sent"),
    [
        (b"hello", "3", None),  # too long from the first byte: nothing goes out
        (b"hel", "5", None),  # bytes, all in hand: too short is known before the head goes
        (Streamed((b"he", b"llo!!")), "5", b"he"),  # the part that would overflow stays unsent
        (Streamed((b"hel",)), "5", b"hel"),  # too short: refused at once, no wait on the server
        (b"hello", "abc", None),  # not a length at all
        (b"hello", "5, 6", None),  # two lengths
    ],
    ids=[
        "bytes-too-long",
        "bytes-too-short",
        "streamed-too-long",
        "too-short",
        "not-digits",
        "conflicting",
    ],
)
def test_a_body_must_match_its_declared_content_length(
    client: Client,
    serve: Callable[[Handler], RawServer],
    content: Content,
    declared: str,
    sent: bytes | None,
) -> None:
    """Bytes past the declared length would be read as the start of the next request on the
    connection; a short body leaves the server waiting. Both are LocalProtocolError, as h11
    makes them, and the connection is never used again."""
    received: list[bytes] = []
    server = serve(records_uploads(received))
    started = time.monotonic()
    with pytest.raises(httpx.LocalProtocolError):
        client.request("POST", server.url, headers={"Content-Length": declared}, content=content)
    assert time.monotonic() - started < 1
    assert client.get(server.url).content == b"hello"  # on a connection of its own
    assert len(server.connections) == 2
    server.connections[0].finished.wait(2)
    if sent is None:
        assert received == []  # not even the head
    else:
        assert received == [sent]


@pytest.mark.parametrize(
    "value",
    [b" lead", b"trail ", b"\ttab", b"a\x0bb", b"a\x0cb", b"a\x00b"],
    ids=["leading-space", "trailing-space", "leading-tab", "vertical-tab", "form-feed", "nul"],
)
def test_header_values_h11_refuses_are_refused_before_any_io(
    client: Client, serve: Callable[[Handler], RawServer], value: bytes
) -> None:
    """The values httpx's own transport (h11) will not send are refused by ours too, as the
    same LocalProtocolError and before a byte of the head is written (the connection it
    took is closed unused); inner spaces and tabs go as given."""
    heads: list[bytes | None] = []

    def handler(conn: Connection) -> None:
        head = conn.read_head()
        heads.append(head)
        if head is not None:
            conn.send(ok())

    server = serve(handler)
    with pytest.raises(httpx.LocalProtocolError, match="header value"):
        client.get(server.url, headers={"X-Value": value})
    assert client.get(server.url, headers={"X-Value": b"a \t b"}).content == b"hello"
    for conn in server.connections:
        conn.finished.wait(2)
    sent = [head for head in heads if head is not None]
    assert len(sent) == 1
    assert sent[0].endswith(b"\r\nX-Value: a \t b")


@pytest.mark.parametrize("value", [b" 5", b"5 ", b"5,\t5 "], ids=["leading", "trailing", "list"])
def test_a_content_length_with_whitespace_around_it_is_refused(
    client: Client, serve: Callable[[Handler], RawServer], value: bytes
) -> None:
    """h11 checks a framing header's value as given, before reading the length in it: a
    space or tab around it is refused (LocalProtocolError), not trimmed and sent."""
    heads: list[bytes | None] = []

    def handler(conn: Connection) -> None:
        heads.append(conn.read_head())

    server = serve(handler)
    with pytest.raises(httpx.LocalProtocolError, match="header value"):
        client.request("POST", server.url, content=b"hello", headers={"Content-Length": value})
    for conn in server.connections:
        conn.finished.wait(2)
    assert [head for head in heads if head is not None] == []


def records_requests(seen: list[tuple[bytes, bytes]]) -> Handler:
    """Every request as received (head, raw body), each answered ``hello``."""

    def handler(conn: Connection) -> None:
        while (head := conn.read_head()) is not None:
            seen.append((head, read_request_body(conn, head)))
            conn.send(ok())

    return handler


@pytest.mark.parametrize(
    ("headers", "content"),
    [
        pytest.param([("Transfer-Encoding", "notchunked")], b"hello", id="te-unknown"),
        pytest.param([("Transfer-Encoding", "identity")], b"hello", id="te-identity"),
        pytest.param([("Transfer-Encoding", "chunked, gzip")], b"hello", id="te-chunked-gzip"),
        pytest.param([("Transfer-Encoding", "gzip")], Streamed((b"hello",)), id="te-gzip-streamed"),
        pytest.param([("Transfer-Encoding", "chunked")] * 2, b"hello", id="te-twice"),
        pytest.param([("Transfer-Encoding", "chunked"), ("Content-Length", "abc")], b"hello",
                     id="te-with-bad-length"),
        pytest.param([("Host", "a.example"), ("Host", "b.example")], None, id="two-hosts"),
        pytest.param([("Content-Length", "5"), ("Content-Length", "6")], b"hello",
                     id="two-lengths"),
    ],
)  # fmt: skip
def test_request_framing_h11_refuses_is_refused_before_any_byte(
    client: Client,
    serve: Callable[[Handler], RawServer],
    headers: list[tuple[str, str]],
    content: Content,
) -> None:
    """A head a server and a proxy in front of it could read differently (an unknown coding
    beside the Content-Length httpx adds, chunked twice, two Hosts) is refused as h11
    refuses it: LocalProtocolError, and not a byte of it sent."""
    seen: list[tuple[bytes, bytes]] = []
    server = serve(records_requests(seen))
    with pytest.raises(httpx.LocalProtocolError):
        client.request("POST", server.url, headers=headers, content=content)
    assert client.get(server.url).content == b"hello"
    for conn in server.connections:
        conn.finished.wait(2)
    assert [head.split(b" ")[0] for head, _ in seen] == [b"GET"]


@pytest.mark.parametrize(
    ("headers", "sent"),
    [
        pytest.param([("Content-Length", "5"), ("Content-Length", "5")], b"Content-Length: 5",
                     id="length-twice"),
        pytest.param([("Content-Length", "5, 5")], b"Content-Length: 5", id="length-list"),
        pytest.param([("Transfer-Encoding", "Chunked")], b"Transfer-Encoding: chunked",
                     id="te-case"),
    ],
)  # fmt: skip
def test_request_framing_is_sent_normalized_as_h11_sends_it(
    client: Client,
    serve: Callable[[Handler], RawServer],
    headers: list[tuple[str, str]],
    sent: bytes,
) -> None:
    """One Content-Length line with one value, ``chunked`` in lower case: what h11 writes
    for the same headers, so that no intermediary reads the framing another way."""
    seen: list[tuple[bytes, bytes]] = []
    server = serve(records_requests(seen))
    assert client.request("POST", server.url, headers=headers, content=b"hello").content == (
        b"hello"
    )
    ((head, body),) = seen
    lines = head.split(b"\r\n")
    name = sent.split(b":")[0].lower()
    assert [line for line in lines if line.lower().startswith(name + b":")] == [sent]
    assert body in (b"hello", b"5\r\nhello\r\n0\r\n\r\n")


def test_a_method_that_is_not_ascii_is_an_httpx_error(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """Not a bare UnicodeEncodeError (httpx's own transport lets a TypeError out here)."""
    seen: list[tuple[bytes, bytes]] = []
    server = serve(records_requests(seen))
    with pytest.raises(httpx.LocalProtocolError, match="method"):
        client.request("G\u00c9T", server.url)
    assert seen == []


def test_host_goes_first_as_h11_writes_it(
    client: Client, serve: Callable[[Handler], RawServer]
) -> None:
    """A Host the caller gives is written first (RFC 9112 section 3.2: HTTP/1.0 proxies
    rebuild the URL from it), wherever it sat among the headers."""
    seen: list[tuple[bytes, bytes]] = []
    server = serve(records_requests(seen))
    client.request("GET", server.url, headers=[("X-First", "1"), ("Host", "example.test:81")])
    ((head, _),) = seen
    assert head.split(b"\r\n")[1] == b"Host: example.test:81"


# -- no pipelining --------------------------------------------------------------------------


@pytest.mark.parametrize("max_connections", [1, 10])
def test_no_pipelining(
    kind: str, serve: Callable[[Handler], RawServer], max_connections: int
) -> None:
    """Concurrent and sequential requests: no connection ever carries a second request head
    before the response to the first is complete (the server checks, before and in the
    middle of each response, that nothing else arrived)."""
    early: list[bool] = []

    def respond(conn: Connection, head: bytes) -> None:
        before = pending(conn, 0.03)
        conn.send(response_head(200, {"Content-Length": "4"}) + b"ab")
        during = pending(conn, 0.03)
        conn.send(b"cd")
        early.append(before or during)

    server = serve(keep_alive(respond))
    limits = httpx.Limits(max_connections=max_connections)
    with Client(kind, limits=limits) as c:
        urls = [server.url + str(n) for n in range(3)]
        assert [r.content for r in c.gather(urls)] == [b"abcd"] * 3
        assert [c.get(url).content for url in urls] == [b"abcd"] * 3
    assert early == [False] * 6
    if max_connections == 1:
        assert len(server.connections) == 1
