"""axios_python.transports.HTTPTransport (sync): HTTP/1.1 framing, keep-alive, timeouts, errors.

Through httpx (``httpx.Client(transport=HTTPTransport())``) and through axios_python
(``axios_python.get(url, transport=HTTPTransport())``), against pytest-httpserver and the
scripted raw-socket server (tests/rawserver.py), plus the sans-I/O framing on its own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpcore
import httpx
import pytest
from conftest import assert_logged_as_httpcore_logs, transport_lines_with
from heads import HEAD_VARIANTS, check_heads, recording_responder, trace_recorder
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
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

import axios_python
from axios_python.transports import HTTPTransport, _framing
from axios_python.transports._common import ReadableProbe, held_bytes
from axios_python.transports._framing import (
    CHUNKED,
    CLOSE,
    LENGTH,
    NO_BODY,
    ChunkedDecoder,
    ProtocolViolation,
    body_framing,
    parse_response_head,
    request_head,
)

pytestmark = pytest.mark.one_transport

MiB = 1024 * 1024


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    with servers() as start:
        yield start


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(transport=HTTPTransport(), timeout=5) as c:
        yield c


# -- basic exchanges ------------------------------------------------------------------------


def test_get_through_httpx(httpserver: HTTPServer, client: httpx.Client) -> None:
    httpserver.expect_request("/hello", query_string="a=1").respond_with_data(
        "hi there", headers={"X-Thing": "yes"}
    )
    r = client.get(httpserver.url_for("/hello"), params={"a": "1"})
    assert r.status_code == 200
    assert r.content == b"hi there"
    assert r.headers["x-thing"] == "yes"
    assert r.http_version == "HTTP/1.0"  # werkzeug's server speaks HTTP/1.0
    assert r.reason_phrase == "OK"


def test_get_through_axios(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/json").respond_with_json({"answer": 42})
    r = axios_python.get(httpserver.url_for("/json"), transport=HTTPTransport())
    assert r.status == 200
    assert r.data == {"answer": 42}


def test_post_bytes_through_axios(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/echo", method="POST", data=b"payload!").respond_with_data("got")
    r = axios_python.post(httpserver.url_for("/echo"), data=b"payload!", transport=HTTPTransport())
    assert r.data == "got"


def test_post_json_and_large_body(httpserver: HTTPServer, client: httpx.Client) -> None:
    big = os.urandom(300_000)  # larger than the head-coalescing threshold
    httpserver.expect_request("/json", method="POST", json={"x": [1, 2]}).respond_with_data("j")
    httpserver.expect_request("/big", method="PUT", data=big).respond_with_data("b")
    assert client.post(httpserver.url_for("/json"), json={"x": [1, 2]}).text == "j"
    assert client.put(httpserver.url_for("/big"), content=big).text == "b"


def test_post_generator_is_sent_chunked(serve: Callable[[Handler], RawServer]) -> None:
    seen: list[bytes] = []

    def respond(conn: Connection, head: bytes) -> None:
        seen.append(head)
        seen.append(conn.read_until(b"0\r\n\r\n"))
        conn.send(ok(b"done"))

    server = serve(keep_alive(respond))

    def parts() -> Iterator[bytes]:
        yield b"abc"
        yield b""
        yield b"defgh"

    with httpx.Client(transport=HTTPTransport()) as c:
        r = c.post(server.url, content=parts())
    assert r.text == "done"
    assert b"transfer-encoding: chunked" in seen[0].lower()
    assert seen[1] == b"3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n"


def test_request_head_is_well_formed(serve: Callable[[Handler], RawServer]) -> None:
    heads: list[bytes] = []

    def respond(conn: Connection, head: bytes) -> None:
        heads.append(head)
        conn.send(ok())

    server = serve(keep_alive(respond))
    with httpx.Client(transport=HTTPTransport()) as c:
        c.get(server.url + "path/x?q=a%20b", headers={"X-One": "1"})
    lines = heads[0].split(b"\r\n")
    assert lines[0] == b"GET /path/x?q=a%20b HTTP/1.1"
    assert f"Host: {server.host}:{server.port}".encode() in lines
    assert b"X-One: 1" in lines


def test_illegal_header_value_is_refused(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    with httpx.Client(transport=HTTPTransport()) as c, pytest.raises(httpx.LocalProtocolError):
        c.get(server.url, headers={"X-Bad": "a\r\nInjected: yes"})


def test_reused_heads_follow_every_change(serve: Callable[[Handler], RawServer]) -> None:
    """Heads are kept and reused (per method, path, host, headers, body kind): each request
    still goes out with exactly its own head, and a bad one is refused every time."""
    heads: list[bytes] = []
    server = serve(keep_alive(recording_responder(heads)))
    with httpx.Client(transport=HTTPTransport()) as c:
        for method, path, headers, body in HEAD_VARIANTS:
            c.request(method, server.url + path, headers=headers, content=body)
        for _ in range(2):
            with pytest.raises(httpx.LocalProtocolError):
                c.get(server.url + "a", headers={"X-A": "1\r\nX-Injected: 1"})
    check_heads(heads, server.url)


def test_a_trace_editing_its_headers_does_not_change_the_kept_head(
    serve: Callable[[Handler], RawServer],
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    seen: list[list[tuple[bytes, bytes]]] = []
    with httpx.Client(transport=HTTPTransport()) as c:
        for meddle in (True, False):
            trace = trace_recorder(seen, meddle)
            c.get(server.url + "traced", headers={"X-T": "1"}, extensions={"trace": trace})
    assert seen[0] == seen[1]
    assert (b"X-Meddled", b"1") not in seen[1]


# -- bodies and their framing ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("status", [204, 304, 200])
def test_no_body_responses_keep_the_connection(
    serve: Callable[[Handler], RawServer], method: str, status: int
) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        if head.startswith(b"GET /second"):
            conn.send(ok(b"second"))
        elif head.startswith(b"HEAD") or status != 200:
            # a HEAD, 204 or 304 announces a length but sends no body
            conn.send(response_head(status, {"Content-Length": "10"}))
        else:
            conn.send(ok(b"0123456789"))

    server = serve(keep_alive(respond))
    with httpx.Client(transport=HTTPTransport(), timeout=2) as c:
        r = c.request(method, server.url + "first")
        expected = b"0123456789" if (method, status) == ("GET", 200) else b""
        assert r.status_code == status
        assert r.content == expected
        assert c.get(server.url + "second").content == b"second"
    assert len(server.connections) == 1


def test_chunked_response(serve: Callable[[Handler], RawServer], client: httpx.Client) -> None:
    pieces = [b"a" * 10, b"b" * 70000, b"c"]

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + chunked(*pieces))

    server = serve(keep_alive(respond))
    assert client.get(server.url).content == b"".join(pieces)
    assert client.get(server.url).content == b"".join(pieces)
    assert len(server.connections) == 1


def test_chunked_response_dripped_with_extensions_and_trailers(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    body = b"5;name=value\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n"

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Transfer-Encoding": "chunked"}))
        conn.drip(body[:-1], 0.001)  # drip() reads what the client sends between bytes:
        conn.send(body[-1:])  # the last byte goes plainly, before the next request comes

    server = serve(keep_alive(respond))
    assert client.get(server.url).content == b"hello!"
    assert client.get(server.url).content == b"hello!"
    assert len(server.connections) == 1


def test_bad_chunk_is_a_protocol_error(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + b"zz\r\nhello\r\n")
        conn.stall(2)

    server = serve(keep_alive(respond))
    with pytest.raises(httpx.RemoteProtocolError) as info:
        client.get(server.url)
    assert info.value.request.url == server.url


def test_read_until_close(serve: Callable[[Handler], RawServer], client: httpx.Client) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ")
        conn.send(b"the end")

    server = serve(handler)
    assert client.get(server.url).content == b"until the end"
    assert client.get(server.url).content == b"until the end"
    assert len(server.connections) == 2


def test_http10_response_is_not_reused(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        conn.stall(2)

    server = serve(handler)
    r = client.get(server.url)
    assert (r.http_version, r.content) == ("HTTP/1.0", b"ok")
    assert client.get(server.url).content == b"ok"
    assert len(server.connections) == 2


def test_one_mib_body_is_byte_identical(httpserver: HTTPServer, client: httpx.Client) -> None:
    body = os.urandom(MiB)
    httpserver.expect_request("/big").respond_with_data(body)
    assert client.get(httpserver.url_for("/big")).content == body
    r = axios_python.get(
        httpserver.url_for("/big"), transport=HTTPTransport(), response_type="arraybuffer"
    )
    assert r.data == body


def test_one_mib_body_streamed_through_axios(serve: Callable[[Handler], RawServer]) -> None:
    body = os.urandom(MiB)
    pieces = [body[i : i + 100_000] for i in range(0, MiB, 100_000)]

    def respond(conn: Connection, head: bytes) -> None:
        if b"chunked" in head:
            conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + chunked(*pieces))
        else:
            conn.send(ok(body))

    server = serve(keep_alive(respond))
    for path in ("plain", "chunked"):
        with axios_python.get(server.url + path, stream=True, transport=HTTPTransport()) as r:
            assert b"".join(r.iter_bytes(65536)) == body


def test_100_continue_is_skipped(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"final"))

    server = serve(keep_alive(respond))
    r = client.get(server.url)
    assert (r.status_code, r.content) == (200, b"final")


# -- keep-alive and the pool ----------------------------------------------------------------


def test_keep_alive_reuses_one_connection(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    assert client.get(server.url).content == b"hello"
    assert client.get(server.url).content == b"hello"
    assert len(server.connections) == 1


def test_keep_alive_through_axios_instance(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    api = axios_python.create(transport=HTTPTransport())
    try:
        assert [api.get(server.url).data for _ in range(3)] == [b"hello"] * 3
    finally:
        api.close()
    assert len(server.connections) == 1


def test_partially_read_response_does_not_return_its_connection(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    big = b"x" * (4 * MiB)

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(ok(big if b"/big" in head else b"small"))

    server = serve(keep_alive(respond))
    with client.stream("GET", server.url + "big") as r:
        first = next(r.iter_raw())
        assert first
    assert client.get(server.url + "small").content == b"small"
    assert len(server.connections) == 2
    assert client.get(server.url + "small").content == b"small"
    assert len(server.connections) == 2


def test_connection_close_header_is_honoured(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(ok(headers={"Connection": "close"}))
        conn.stall(2)

    server = serve(handler)
    assert client.get(server.url).content == b"hello"
    assert client.get(server.url).content == b"hello"
    assert len(server.connections) == 2


def test_idle_connection_closed_by_server_is_not_reused(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(ok())  # keep-alive announced, then the server closes it anyway

    server = serve(handler)
    assert client.get(server.url).content == b"hello"
    assert server.wait_idle()
    time.sleep(0.05)
    assert client.get(server.url).content == b"hello"
    assert len(server.connections) == 2


def test_stale_connection_is_retried_for_replayable_bodies(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(ok())
        if len(conn.server.connections) == 1:
            conn.read_head()  # the second request arrives, the server drops it unanswered
            return
        while conn.read_head() is not None:
            conn.send(ok())

    server = serve(handler)
    assert client.get(server.url).content == b"hello"
    assert client.put(server.url, content=b"again").content == b"hello"  # idempotent
    assert len(server.connections) == 2


def test_pool_timeout(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok(b"y" * MiB))))
    transport = HTTPTransport(limits=httpx.Limits(max_connections=1))
    with httpx.Client(transport=transport, timeout=httpx.Timeout(5, pool=0.2)) as c:
        with c.stream("GET", server.url):
            started = time.monotonic()
            with pytest.raises(httpx.PoolTimeout) as info:
                c.get(server.url)
            assert time.monotonic() - started < 2
            assert info.value.request.url == server.url
        assert len(c.get(server.url).content) == MiB  # the slot came back


def test_a_pool_waiter_is_served_before_a_busy_thread_s_next_request(
    serve: Callable[[Handler], RawServer],
) -> None:
    """One connection, one thread sending request after request, another thread waiting
    for the connection: the waiter is served next, not after the busy thread stops (the
    busy thread could take the connection it had just released, again and again, before
    the woken waiter got the lock, until the waiter's pool timeout)."""
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = HTTPTransport(limits=httpx.Limits(max_connections=1))
    outcome: list[object] = []
    with httpx.Client(transport=transport, timeout=httpx.Timeout(5, pool=0.5)) as c:
        stop = time.monotonic() + 1.0
        sent = 0

        def waiting() -> None:
            time.sleep(0.1)
            try:
                outcome.append(c.get(server.url).content)
            except httpx.PoolTimeout as exc:
                outcome.append(exc)

        thread = threading.Thread(target=waiting)
        thread.start()
        while time.monotonic() < stop:
            c.get(server.url)
            sent += 1
        thread.join(10)
        assert outcome == [b"hello"] and sent > 10
        assert (transport._pool.total, transport._pool.idle) == (1, 1)


def test_threads_waiting_for_the_pool_leave_when_it_closes(
    serve: Callable[[Handler], RawServer],
) -> None:
    """Closing the transport wakes every waiting thread at once (each wakes the next), long
    before their pool timeout; none gets a connection."""
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = HTTPTransport(limits=httpx.Limits(max_connections=1))
    errors: list[BaseException] = []
    client = httpx.Client(transport=transport, timeout=httpx.Timeout(5, pool=5))
    with client, client.stream("GET", server.url):

        def waiting() -> None:
            try:
                client.get(server.url)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=waiting) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(0.2)
        started = time.monotonic()
        transport.close()
        for thread in threads:
            thread.join(10)
        assert time.monotonic() - started < 2
    assert len(errors) == 3
    assert all(isinstance(exc, RuntimeError) for exc in errors), errors


def test_pool_waits_for_a_released_connection(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = HTTPTransport(limits=httpx.Limits(max_connections=1))
    results: list[bytes] = []
    with httpx.Client(transport=transport, timeout=5) as c:
        threads = [
            threading.Thread(target=lambda: results.append(c.get(server.url).content))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert results == [b"hello"] * 8
    assert len(server.connections) == 1


def test_keepalive_expiry(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = HTTPTransport(limits=httpx.Limits(keepalive_expiry=0.05))
    with httpx.Client(transport=transport) as c:
        c.get(server.url)
        time.sleep(0.15)
        c.get(server.url)
    assert len(server.connections) == 2


def test_close_closes_idle_connections(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    with httpx.Client(transport=HTTPTransport()) as c:
        c.get(server.url)
    assert server.wait_idle()
    assert server.connections[0].peer_closed.is_set()


# -- errors and timeouts --------------------------------------------------------------------


def test_truncated_content_length_is_a_protocol_error(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": "100"}) + b"only a bit")

    server = serve(handler)
    with pytest.raises(httpx.RemoteProtocolError) as info:
        client.get(server.url)
    assert info.value.request.url == server.url
    with pytest.raises(axios_python.RemoteProtocolError):
        axios_python.get(server.url, transport=HTTPTransport())


def test_stall_is_a_read_timeout(serve: Callable[[Handler], RawServer]) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": "100"}) + b"part")
        conn.stall()

    server = serve(handler)
    with httpx.Client(transport=HTTPTransport(), timeout=0.3) as c:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout) as info:
            c.get(server.url)
        assert time.monotonic() - started < 2
        assert info.value.request.url == server.url
    with pytest.raises(axios_python.ReadTimeout):
        axios_python.get(server.url, transport=HTTPTransport(), timeout=0.3)


def test_no_head_is_a_read_timeout(serve: Callable[[Handler], RawServer]) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.stall()

    server = serve(handler)
    with (
        httpx.Client(transport=HTTPTransport(), timeout=0.3) as c,
        pytest.raises(httpx.ReadTimeout),
    ):
        c.get(server.url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connect_refused_is_a_connect_error(client: httpx.Client) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(httpx.ConnectError) as info:
        client.get(url)
    assert info.value.request.url == url
    with pytest.raises(axios_python.ConnectError):
        axios_python.get(url, transport=HTTPTransport(retries=1))


def test_server_closing_without_response(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    server = serve(lambda conn: conn.read_head())
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.get(server.url)


def test_garbage_status_line(serve: Callable[[Handler], RawServer], client: httpx.Client) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(b"SMTP ready\r\n\r\n")
        conn.stall(2)

    server = serve(handler)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(server.url)


def test_unsupported_scheme() -> None:
    with (
        httpx.Client(transport=HTTPTransport()) as c,
        pytest.raises(httpx.UnsupportedProtocol),
    ):
        c.get("ftp://example.com/")


def test_unsupported_features_delegate_to_httpx(tmp_path: object) -> None:
    transport = HTTPTransport(uds="/nonexistent.sock")
    assert isinstance(transport._delegate, httpx.HTTPTransport)
    transport.close()
    assert HTTPTransport()._delegate is None


# -- the sans-I/O framing -------------------------------------------------------------------


def test_chunked_decoder_byte_by_byte() -> None:
    data = bytearray(b"4\r\nWiki\r\n5;x=y\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nA: b\r\n\r\n")
    decoder = ChunkedDecoder()
    out = bytearray()
    start = 0
    for end in range(1, len(data) + 1):
        while True:
            first, stop, new_start = decoder.step(data, start, end)
            out += data[first:stop]
            if stop == first and new_start == start:
                break
            start = new_start
    assert bytes(out) == b"Wikipedia in\r\n\r\nchunks."
    assert decoder.done
    assert decoder.trailers == [b"A: b"]


@pytest.mark.parametrize(
    "data",
    [
        b"x\r\n",
        b"4\r\nWikiXX",
        b"-1\r\n",
        b"1" * 21 + b"\r\n",  # h11 reads up to 20 hex digits
        b"4\r\nWiki\n\n",
        b" 4\r\nWiki\r\n",  # whitespace before the size (h11 refuses it too)
        b"\t4\r\nWiki\r\n",
        b"4\nWiki\r\n",  # a bare LF ends a size line: a request-smuggling staple
        b"0\n\r\n",
        b"0\r\nA : b\r\n\r\n",  # trailers are header fields, checked as the head's are
        b"0\r\n folded\r\n\r\n",
        b"0\r\nA: b\x0bc\r\n\r\n",
        b"0\r\n\r\r\n\r\n",
        b"0\r\nContent-Length: x\r\n\r\n",
        b"0\r\nTransfer-Encoding: gzip\r\n\r\n",
    ],
)
def test_chunked_decoder_refuses_bad_framing(data: bytes) -> None:
    decoder = ChunkedDecoder()
    buffer = bytearray(data)
    start = 0
    with pytest.raises(ProtocolViolation):
        for _ in range(10):
            _, _, start = decoder.step(buffer, start, len(buffer))


def test_chunk_sizes_read_as_h11_and_rfc_9112_read_them() -> None:
    """Up to 20 hex digits (leading zeros too), whitespace before an extension (RFC 9112's
    BWS, which h11 refuses), a bare LF after the trailers."""
    for data, body in [
        (b"0000000000000000005\r\nhello\r\n0\r\n\r\n", b"hello"),
        (b"5 ;a=b\r\nhello\r\n0\t;x\r\n\r\n", b"hello"),
        (b"5\r\nhello\r\n0\r\nA: 1\n\n", b"hello"),
    ]:
        decoder = ChunkedDecoder()
        buffer, start, out = bytearray(data), 0, bytearray()
        while not decoder.done:
            first, stop, start = decoder.step(buffer, start, len(buffer))
            out += buffer[first:stop]
        assert bytes(out) == body


def test_parse_response_head() -> None:
    head = parse_response_head(b"HTTP/1.1 404 Not Found\r\nA: 1\r\nB:  two  \r\nC: x\r\n  y")
    assert (head.status, head.reason, head.http_version) == (404, b"Not Found", b"HTTP/1.1")
    assert head.headers == [(b"A", b"1"), (b"B", b"two"), (b"C", b"x y")]
    assert parse_response_head(b"HTTP/1.1 200").reason == b""
    for bad in (
        b"HTTP/2.0 200 OK",
        b"HTTP/1.1 20 OK",
        b"HTTP/1.1 200 OK\r\nbad line",
        b"",
        b"HTTP/1.1 200 O\x0bK",  # VT and FF are no part of a reason phrase or value (h11)
        b"HTTP/1.1 200 OK\r\nA: b\x0cc",
        b"HTTP/1.1 200 OK\nContent-Length: 2\nX-F: a\r\r",  # bare LFs: one CR off a line, no more
    ):
        with pytest.raises(ProtocolViolation):
            parse_response_head(bad)


def test_heads_parse_alike_from_the_line_caches() -> None:
    """Status and header lines are validated once and then reused (_framing's caches): a
    head met again parses to the same result, a refused line stays refused, and a cached
    line still folds with a continuation or takes part in framing as before."""
    head = b"HTTP/1.1 200 OK\r\nServer: t\r\nConnection: keep-alive, Close\r\nContent-Length: 7"
    first, again = parse_response_head(head), parse_response_head(head)
    assert first == again
    assert (again.content_length, again.connection_close) == (7, True)
    assert not body_framing(b"GET", again).keep_alive
    folded = parse_response_head(b"HTTP/1.1 200 OK\r\nServer: t\r\n  u\r\nContent-Length: 7")
    assert folded.headers == [(b"Server", b"t u"), (b"Content-Length", b"7")]
    bare_lf = parse_response_head(b"HTTP/1.1 200 OK\nServer: t\r\nContent-Length: 7\r")
    assert bare_lf.headers == [(b"Server", b"t"), (b"Content-Length", b"7")]
    for _ in range(2):
        with pytest.raises(ProtocolViolation):
            parse_response_head(b"HTTP/1.1 200 OK\r\nServer: t\r\nContent-Length: 7, 8")
        with pytest.raises(ProtocolViolation):
            parse_response_head(b"HTTP/1.1 200 OK\r\nServer : t")
    long_value = b"x" * 1000  # parsed every time, never kept
    assert parse_response_head(b"HTTP/1.1 200 OK\r\nX: " + long_value).headers == [
        (b"X", long_value)
    ]


_HEAD_LINES = st.sampled_from(
    [
        b"Content-Length: 5",
        b"content-length: 5, 5",
        b"Content-Length: 5,6",
        b"Content-Length: -1",
        b"Transfer-Encoding: chunked",
        b"Transfer-Encoding: gzip",
        b"Connection: keep-alive, Close",
        b"Server: t",
        b"X-A:b\tc",
        b"Bad Name: x",
        b"X-B: a\x0cb",
        b"  folded",
        b"",
    ]
)


def _outcome(data: bytes) -> object:
    try:
        head = parse_response_head(data)
    except ProtocolViolation:
        return "refused"
    return head, body_framing(b"GET", head), body_framing(b"HEAD", head)


@given(
    status=st.sampled_from([b"HTTP/1.1 200 OK", b"HTTP/1.0 304", b"HTTP/3.0 200", b"HTTP/1.1 20"]),
    lines=st.lists(_HEAD_LINES, max_size=5),
    ends=st.lists(st.sampled_from([b"\r\n", b"\r\n", b"\n"]), min_size=5, max_size=5),
)
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
def test_a_head_parses_the_same_from_cold_and_warm_line_caches(
    status: bytes, lines: list[bytes], ends: list[bytes]
) -> None:
    data = status + b"".join(end + line for end, line in zip(ends, lines, strict=False)) + b"\r"
    _framing._STATUS_LINES.clear()
    _framing._FIELD_LINES.clear()
    cold = _outcome(data)
    assert _outcome(data) == cold


@pytest.mark.parametrize("checked_before", [False, True], ids=["first-check", "probe-made"])
def test_a_socket_a_caller_closed_is_never_reused(
    serve: Callable[[Handler], RawServer], checked_before: bool
) -> None:
    """A caller may close ``network_stream``'s socket; its descriptor number may then be
    another socket's, which the liveness check must not take for this connection (made
    lazily, the check may meet the closed socket first)."""
    server = serve(keep_alive(lambda conn, head: conn.send(ok(b"hello"))))
    other = serve(keep_alive(lambda conn, head: conn.send(ok(b"other"))))
    with httpx.Client(transport=HTTPTransport(), timeout=5) as c:
        response = c.get(server.url)
        if checked_before:
            response = c.get(server.url)  # the liveness check has run once: its probe exists
        response.extensions["network_stream"].get_extra_info("socket").close()
        with socket.create_connection(("127.0.0.1", other.port)):  # may take its number
            assert c.get(server.url).content == b"hello"


def test_held_bytes_of_a_byte_stream() -> None:
    assert held_bytes(httpx.ByteStream(b"abc")) == b"abc"

    class Wrapped(httpx.ByteStream):  # holds something other than bytes: iterated instead
        def __init__(self) -> None:
            super().__init__(b"")
            self._stream = bytearray(b"xy")  # type: ignore[assignment]

        def __iter__(self) -> Iterator[bytes]:
            yield b"x"
            yield b"y"

    assert held_bytes(Wrapped()) == b"xy"


def test_readable_probe() -> None:
    """The liveness check before reuse: quiet, then readable once the peer writes or closes
    (with ``select.poll`` and with the ``select.select`` fallback)."""
    for use_poll in (True, False):
        ours, theirs = socket.socketpair()
        probe = ReadableProbe(ours)
        if not use_poll:
            probe._poll = None
        assert not probe()
        theirs.close()
        assert probe()
        ours.close()
        assert probe()  # a closed socket is never taken for a live one


@pytest.mark.parametrize(
    ("method", "head", "kind", "keep"),
    [
        (b"GET", b"HTTP/1.1 200 OK\r\nContent-Length: 5", LENGTH, True),
        (b"GET", b"HTTP/1.1 200 OK\r\nContent-Length: 0", NO_BODY, True),
        (b"HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 5", NO_BODY, True),
        (b"GET", b"HTTP/1.1 204 No Content", NO_BODY, True),
        (b"GET", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5", NO_BODY, True),
        (b"GET", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked", CHUNKED, True),
        (b"GET", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED", CHUNKED, True),
        (b"GET", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3", CHUNKED,
         False),
        (b"GET", b"HTTP/1.1 200 OK", CLOSE, False),
        (b"GET", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close", LENGTH, False),
        (b"GET", b"HTTP/1.0 200 OK\r\nContent-Length: 5", LENGTH, False),
        (b"GET", b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5", LENGTH, True),
    ],
)  # fmt: skip
def test_body_framing(method: bytes, head: bytes, kind: str, keep: bool) -> None:
    framing = body_framing(method, parse_response_head(head))
    assert (framing.kind, framing.keep_alive) == (kind, keep)


@pytest.mark.parametrize("value", [b"5, 6", b"-1", b"five", b"1" * 21, b"+5", b"5,"])
@pytest.mark.parametrize("status", [b"200 OK", b"204 No Content", b"304 Not Modified", b"100 Go"])
def test_heads_with_bad_lengths_are_refused(value: bytes, status: bytes) -> None:
    """As h11, in every head: also where no body follows (RFC 9112 would let those pass;
    httpx's transport refuses them, and both transports must answer alike)."""
    with pytest.raises(ProtocolViolation, match="Content-Length"):
        parse_response_head(b"HTTP/1.1 " + status + b"\r\nContent-Length: " + value)


def test_lengths_of_up_to_20_digits_are_read_as_h11_reads_them() -> None:
    head = parse_response_head(b"HTTP/1.1 200 OK\r\nContent-Length: " + b"0" * 19 + b"5")
    assert (body_framing(b"GET", head).kind, body_framing(b"GET", head).length) == (LENGTH, 5)


@pytest.mark.parametrize(
    "lines",
    [
        b"Transfer-Encoding: gzip",
        b"Transfer-Encoding: gzip, chunked",
        b"Transfer-Encoding: chunked, chunked",
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
        b"Transfer-Encoding: identity\r\nContent-Length: 5",
        b"Transfer-Encoding:\r\nContent-Length: 5",
    ],
)
@pytest.mark.parametrize("status", [b"200 OK", b"304 Not Modified"])
def test_heads_with_codings_other_than_chunked_are_refused(lines: bytes, status: bytes) -> None:
    """As h11: one Transfer-Encoding header saying "chunked", or none (a body whose coding
    we cannot undo must not pass for its content), in every head."""
    with pytest.raises(ProtocolViolation):
        parse_response_head(b"HTTP/1.1 " + status + b"\r\n" + lines)


def test_request_head_validation() -> None:
    assert request_head(b"GET", b"/", [(b"Host", b"x")]) == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    for method, target, headers in [
        (b"G ET", b"/", []),
        (b"GET", b"/a b", []),
        (b"GET", b"/", [(b"Bad Name", b"x")]),
        (b"GET", b"/", [(b"X", b"a\nb")]),
    ]:
        with pytest.raises(ProtocolViolation):
            request_head(method, target, headers)


def test_chunked_decoder_direct_reads() -> None:
    decoder = ChunkedDecoder()
    buffer = bytearray(b"10\r\n")
    assert decoder.step(buffer, 0, 4) == (4, 4, 4)
    assert decoder.payload_left == 16
    decoder.consumed(10)
    assert decoder.payload_left == 6
    with pytest.raises(ValueError):
        decoder.consumed(7)
    decoder.consumed(6)
    assert decoder.payload_left == 0
    buffer = bytearray(b"\r\n0\r\n\r\n")
    decoder.step(buffer, 0, len(buffer))
    assert decoder.done


def test_chunked_body_cut_short(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + b"100000\r\nabc")

    server = serve(handler)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(server.url)
    with pytest.raises(axios_python.RemoteProtocolError):
        axios_python.get(server.url, transport=HTTPTransport())


# -- TLS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("poll", [True, False], ids=["poll", "select"])
def test_https_with_keep_alive(
    tls_server: tuple[str, list[int]],
    certificate: tuple[str, str],
    poll: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not poll:  # as on Windows: the liveness check before reuse falls back to select()
        monkeypatch.delattr(select, "poll")
    url, accepted = tls_server
    context = ssl.create_default_context(cafile=certificate[0])
    with httpx.Client(transport=HTTPTransport(verify=context)) as c:
        assert [c.get(url).content for _ in range(3)] == [b"hello"] * 3
    assert len(accepted) == 1
    with HTTPTransport(verify=context) as transport:
        assert axios_python.get(url, transport=transport).data == b"hello"


def test_https_certificate_check_fails(tls_server: tuple[str, list[int]]) -> None:
    url, _ = tls_server
    with httpx.Client(transport=HTTPTransport()) as c, pytest.raises(httpx.ConnectError):
        c.get(url)
    with pytest.raises(axios_python.ConnectError):
        axios_python.get(url, transport=HTTPTransport())


def test_socket_options_local_address_and_retries(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = HTTPTransport(
        local_address="127.0.0.1",
        socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
        retries=2,
    )
    with httpx.Client(transport=transport) as c:
        assert c.get(server.url).content == b"hello"


def test_connect_retries_then_fails() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    with (
        httpx.Client(transport=HTTPTransport(retries=2)) as c,
        pytest.raises(httpx.ConnectError),
    ):
        c.get(url)


def test_network_stream_reaches_the_socket(
    serve: Callable[[Handler], RawServer], client: httpx.Client
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    with client.stream("GET", server.url) as r:
        stream = r.extensions["network_stream"]
        assert isinstance(stream.get_extra_info("socket"), socket.socket)
        assert stream.get_extra_info("server_addr") == (server.host, server.port)
        assert stream.get_extra_info("ssl_object") is None
        assert r.read() == b"hello"


def test_verify_none_means_the_default_context() -> None:
    transport = HTTPTransport(verify=None)  # type: ignore[arg-type]
    assert isinstance(transport._ssl_context, ssl.SSLContext)
    transport.close()


# -- Expect: 100-continue -------------------------------------------------------------------


def test_expect_continue_sends_the_body_after_100(serve: Callable[[Handler], RawServer]) -> None:
    seen: list[bytes] = []

    def handler(conn: Connection) -> None:
        conn.read_head()
        time.sleep(0.2)
        seen.append(bytes(conn._buffer))  # nothing of the body may have come yet
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        seen.append(conn.read_exactly(5))
        conn.send(ok(b"done"))

    server = serve(handler)
    with httpx.Client(transport=HTTPTransport(), timeout=5) as client:
        r = client.post(server.url, content=b"12345", headers={"Expect": "100-continue"})
    assert (r.status_code, r.content) == (200, b"done")
    assert seen == [b"", b"12345"]


def test_expect_continue_final_answer_keeps_the_body(serve: Callable[[Handler], RawServer]) -> None:
    received: list[bytes] = []

    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(417, {"Content-Length": "0"}, "Expectation Failed"))
        conn.stall(0.5)
        received.append(bytes(conn._buffer))

    server = serve(handler)

    def body() -> Iterator[bytes]:
        yield b"x" * 1000

    transport = HTTPTransport()
    with httpx.Client(transport=transport, timeout=5) as client:
        r = client.post(server.url, content=body(), headers={"Expect": "100-continue"})
        assert r.status_code == 417
        assert transport._pool.total == 0  # the body was never sent: the connection closed
    server.close()
    assert received == [b""]


def test_expect_continue_without_answer_sends_after_a_wait(
    serve: Callable[[Handler], RawServer],
) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        conn.read_exactly(3)
        conn.send(ok(b"late"))

    server = serve(keep_alive(respond))
    with httpx.Client(transport=HTTPTransport(), timeout=5) as client:
        started = time.monotonic()
        r = client.post(server.url, content=b"abc", headers={"Expect": "100-continue"})
        waited = time.monotonic() - started
    assert r.content == b"late"
    assert 0.9 < waited < 3


# -- protocol upgrades ------------------------------------------------------------------------


def test_upgrade_hands_the_connection_to_the_caller(serve: Callable[[Handler], RawServer]) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        head = response_head(101, {"Upgrade": "echo", "Connection": "Upgrade"}, "Switching")
        conn.send(head + b"hi!")  # the new protocol's first bytes come with the head
        while True:
            data = conn._recv()
            if not data:
                return
            conn.send(data.upper())

    server = serve(handler)
    transport = HTTPTransport()
    with httpx.Client(transport=transport, timeout=5) as client:
        upgrade = {"Upgrade": "echo", "Connection": "Upgrade"}
        with client.stream("GET", server.url, headers=upgrade) as r:
            assert r.status_code == 101
            stream = r.extensions["network_stream"]
            assert stream.read(1024) == b"hi!"
            stream.write(b"ping")
            assert stream.read(1024, timeout=5) == b"PING"
            assert transport._pool.total == 1  # still the caller's
            stream.close()
            assert transport._pool.total == 0
            with pytest.raises(httpcore.ReadError):
                stream.read(10)


# -- the trace extension ----------------------------------------------------------------------


def traced_events(transport: httpx.BaseTransport, url: str) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []

    def trace(name: str, info: dict[str, Any]) -> None:
        if name == "connection.connect_tcp.complete":  # read while the socket is open
            info = {"server_addr": info["return_value"].get_extra_info("server_addr")}
        events.append((name, info))

    with httpx.Client(transport=transport, timeout=5) as client:
        r = client.post(url, content=b"abc", extensions={"trace": trace})
        assert r.content == b"hello"
    return events


def test_trace_reports_httpcores_phases(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/t").respond_with_data(b"hello")
    ours = traced_events(HTTPTransport(), httpserver.url_for("/t"))
    theirs = traced_events(httpx.HTTPTransport(), httpserver.url_for("/t"))
    assert [name for name, _ in ours] == [name for name, _ in theirs]
    info = dict(ours)
    assert info["connection.connect_tcp.complete"]["server_addr"][1] == httpserver.port
    version, status, reason, headers = info["http11.receive_response_headers.complete"][
        "return_value"
    ]
    their_head = dict(theirs)["http11.receive_response_headers.complete"]["return_value"]
    assert (version, status, reason) == their_head[:3] and status == 200
    assert (b"Content-Length", b"5") in headers
    request = info["http11.send_request_headers.started"]["request"]
    assert (request.method, request.url.target) == (b"POST", b"/t")
    assert (b"Content-Length", b"3") in request.headers
    # the receiving phases show that same request, and print it as httpcore's prints
    their_request = dict(theirs)["http11.receive_response_headers.started"]["request"]
    for phase in ("receive_response_headers", "receive_response_body"):
        assert info[f"http11.{phase}.started"]["request"] is request
        assert repr(request) == repr(their_request) == "<Request [b'POST']>"


def test_trace_reports_a_failed_phase(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(
        lambda conn: (
            conn.read_head(),
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"),
        )
    )
    events: list[tuple[str, dict[str, Any]]] = []
    with (
        httpx.Client(transport=HTTPTransport(), timeout=5) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.get(server.url, extensions={"trace": lambda *e: events.append(e)})
    failed = [info["exception"] for name, info in events if name.endswith(".failed")]
    assert len(failed) == 1 and isinstance(failed[0], httpx.RemoteProtocolError)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_failed_handshake_is_traced_as_httpcore_traces_it(
    tls_server: tuple[str, list[int]], kind: str
) -> None:
    """An untrusted certificate: ``connection.start_tls.failed`` carries a ConnectError
    (httpx's from ours, httpcore's from httpx's transport), in both kinds; the sync
    transport once reported the bare ``ssl`` error there."""
    from axios_python.transports import AsyncHTTPTransport

    def failures(transport: Any) -> list[BaseException]:
        events: list[tuple[str, dict[str, Any]]] = []

        async def record(name: str, info: dict[str, Any]) -> None:
            events.append((name, info))

        if kind == "sync":
            with httpx.Client(transport=transport, timeout=5) as client:
                trace = {"trace": lambda *event: events.append(event)}
                with pytest.raises(httpx.ConnectError):
                    client.get(tls_server[0], extensions=trace)
        else:

            async def go() -> None:
                async with httpx.AsyncClient(transport=transport, timeout=5) as client:
                    with pytest.raises(httpx.ConnectError):
                        await client.get(tls_server[0], extensions={"trace": record})

            asyncio.run(go())
        return [info["exception"] for name, info in events if name == "connection.start_tls.failed"]

    ours = failures(HTTPTransport() if kind == "sync" else AsyncHTTPTransport())
    theirs = failures(httpx.HTTPTransport() if kind == "sync" else httpx.AsyncHTTPTransport())
    assert len(ours) == 1 and isinstance(ours[0], httpx.ConnectError)
    assert len(theirs) == 1 and isinstance(theirs[0], httpcore.ConnectError)
    assert isinstance(ours[0].__cause__, ssl.SSLCertVerificationError)


def test_debug_logging_words_the_phases_as_httpcore_does(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    """logging.basicConfig(level=DEBUG) shows over our transport what httpcore showed, under
    axios_python.transports.*; credentials in headers or the query never reach a log line."""
    httpserver.expect_request("/t").respond_with_data(b"hello")
    for transport in (HTTPTransport(), httpx.HTTPTransport()):
        with (
            caplog.at_level(logging.DEBUG),
            httpx.Client(transport=transport, timeout=5) as client,
        ):
            headers = {"Authorization": "Bearer SECRET"}
            assert (
                client.get(httpserver.url_for("/t?key=SECRET"), headers=headers).content == b"hello"
            )
    assert_logged_as_httpcore_logs(caplog)
    assert not transport_lines_with(caplog, "SECRET")  # (httpx's own INFO line shows the URL)


# -- an answer that comes before the upload is done ---------------------------------------------


@pytest.mark.parametrize("drain", [False, True], ids=["server-closes", "server-drains"])
def test_early_answer_during_an_upload_is_returned(
    serve: Callable[[Handler], RawServer], drain: bool
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(413, {"Content-Length": "5", "Connection": "close"}) + b"large")
        if drain:
            conn.sock.shutdown(socket.SHUT_WR)
            while conn._recv():
                pass

    server = serve(handler)
    transport = HTTPTransport()
    with httpx.Client(transport=transport, timeout=5) as client:
        r = client.post(server.url, content=b"x" * (16 * MiB))
        assert (r.status_code, r.content) == (413, b"large")
        assert transport._pool.total == 0
