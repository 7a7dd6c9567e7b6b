"""axios_python.transports.AsyncHTTPTransport: HTTP/1.1 framing, keep-alive, timeouts, errors,
cancellation and flow control, on asyncio.

The async twin of test_transport_sync.py, case by case: through httpx
(``httpx.AsyncClient(transport=AsyncHTTPTransport())``) and through axios_python
(``await axios_python.async_get(url, transport=AsyncHTTPTransport())``), against
pytest-httpserver and the scripted raw-socket server (tests/rawserver.py); plus the
sans-I/O pool (``_pool.ConnectionPool``) on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
import struct
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpcore
import httpx
import pytest
import respx
import sniffio
from conftest import assert_logged_as_httpcore_logs, transport_lines_with
from heads import HEAD_VARIANTS, check_heads, recording_responder, trace_recorder
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
from axios_python.transports import AsyncHTTPTransport
from axios_python.transports._async import _Connection, _on_asyncio
from axios_python.transports._pool import ConnectionPool, Key

pytestmark = pytest.mark.one_transport

KiB = 1024
MiB = 1024 * KiB


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    with servers() as start:
        yield start


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=5) as c:
        yield c


async def eventually(event: threading.Event, seconds: float = 5) -> bool:
    """Wait for a server-side event without blocking the loop (which closes our sockets)."""
    limit = time.monotonic() + seconds
    while not event.is_set() and time.monotonic() < limit:
        await asyncio.sleep(0.005)
    return event.is_set()


def pool_of(c: httpx.AsyncClient) -> tuple[int, int]:
    """(connections counted by the pool, idle ones) of a client's AsyncHTTPTransport."""
    transport = c._transport
    assert isinstance(transport, AsyncHTTPTransport)
    return transport._pool.total, transport._pool.idle


# -- basic exchanges ------------------------------------------------------------------------


async def test_get_through_httpx(httpserver: HTTPServer, client: httpx.AsyncClient) -> None:
    httpserver.expect_request("/hello", query_string="a=1").respond_with_data(
        "hi there", headers={"X-Thing": "yes"}
    )
    r = await client.get(httpserver.url_for("/hello"), params={"a": "1"})
    assert r.status_code == 200
    assert r.content == b"hi there"
    assert r.headers["x-thing"] == "yes"
    assert r.http_version == "HTTP/1.0"  # werkzeug's server speaks HTTP/1.0
    assert r.reason_phrase == "OK"


async def test_get_through_axios(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/json").respond_with_json({"answer": 42})
    async with AsyncHTTPTransport() as transport:
        r = await axios_python.async_get(httpserver.url_for("/json"), transport=transport)
    assert r.status == 200
    assert r.data == {"answer": 42}


async def test_post_bytes_through_axios(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/echo", method="POST", data=b"payload!").respond_with_data("got")
    async with AsyncHTTPTransport() as transport:
        r = await axios_python.async_post(
            httpserver.url_for("/echo"), data=b"payload!", transport=transport
        )
    assert r.data == "got"


async def test_post_json_and_large_body(httpserver: HTTPServer, client: httpx.AsyncClient) -> None:
    big = os.urandom(300_000)  # larger than the head-coalescing threshold
    httpserver.expect_request("/json", method="POST", json={"x": [1, 2]}).respond_with_data("j")
    httpserver.expect_request("/big", method="PUT", data=big).respond_with_data("b")
    assert (await client.post(httpserver.url_for("/json"), json={"x": [1, 2]})).text == "j"
    assert (await client.put(httpserver.url_for("/big"), content=big)).text == "b"


async def test_post_async_generator_is_sent_chunked(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    seen: list[bytes] = []

    def respond(conn: Connection, head: bytes) -> None:
        seen.append(head)
        seen.append(conn.read_until(b"0\r\n\r\n"))
        conn.send(ok(b"done"))

    server = serve(keep_alive(respond))

    async def parts() -> AsyncIterator[bytes]:
        yield b"abc"
        yield b""
        yield b"defgh"

    r = await client.post(server.url, content=parts())
    assert r.text == "done"
    assert b"transfer-encoding: chunked" in seen[0].lower()
    assert seen[1] == b"3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n"


async def test_request_head_is_well_formed(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    heads: list[bytes] = []

    def respond(conn: Connection, head: bytes) -> None:
        heads.append(head)
        conn.send(ok())

    server = serve(keep_alive(respond))
    await client.get(server.url + "path/x?q=a%20b", headers={"X-One": "1"})
    lines = heads[0].split(b"\r\n")
    assert lines[0] == b"GET /path/x?q=a%20b HTTP/1.1"
    assert f"Host: {server.host}:{server.port}".encode() in lines
    assert b"X-One: 1" in lines


async def test_illegal_header_value_is_refused(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    with pytest.raises(httpx.LocalProtocolError):
        await client.get(server.url, headers={"X-Bad": "a\r\nInjected: yes"})
    assert pool_of(client) == (0, 0)


async def test_reused_heads_follow_every_change(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    """Heads are kept and reused (per method, path, host, headers, body kind): each request
    still goes out with exactly its own head, and a bad one is refused every time."""
    heads: list[bytes] = []
    server = serve(keep_alive(recording_responder(heads)))
    for method, path, headers, body in HEAD_VARIANTS:
        await client.request(method, server.url + path, headers=headers, content=body)
    for _ in range(2):
        with pytest.raises(httpx.LocalProtocolError):
            await client.get(server.url + "a", headers={"X-A": "1\r\nX-Injected: 1"})
    check_heads(heads, server.url)


async def test_a_trace_editing_its_headers_does_not_change_the_kept_head(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    seen: list[list[tuple[bytes, bytes]]] = []
    for meddle in (True, False):
        record = trace_recorder(seen, meddle)

        async def trace(name: str, info: dict[str, Any], record: Any = record) -> None:
            record(name, info)

        await client.get(server.url + "traced", headers={"X-T": "1"}, extensions={"trace": trace})
    assert seen[0] == seen[1]
    assert (b"X-Meddled", b"1") not in seen[1]


# -- bodies and their framing ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("status", [204, 304, 200])
async def test_no_body_responses_keep_the_connection(
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
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=2) as c:
        r = await c.request(method, server.url + "first")
        expected = b"0123456789" if (method, status) == ("GET", 200) else b""
        assert r.status_code == status
        assert r.content == expected
        assert (await c.get(server.url + "second")).content == b"second"
    assert len(server.connections) == 1


async def test_chunked_response(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    pieces = [b"a" * 10, b"b" * 70000, b"c"]

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + chunked(*pieces))

    server = serve(keep_alive(respond))
    assert (await client.get(server.url)).content == b"".join(pieces)
    assert (await client.get(server.url)).content == b"".join(pieces)
    assert len(server.connections) == 1


async def test_chunked_response_dripped_with_extensions_and_trailers(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    body = b"5;name=value\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n"

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Transfer-Encoding": "chunked"}))
        conn.drip(body[:-1], 0.001)  # drip() reads what the client sends between bytes:
        conn.send(body[-1:])  # the last byte goes plainly, before the next request comes

    server = serve(keep_alive(respond))
    async with client.stream("GET", server.url) as r:
        assert [piece async for piece in r.aiter_raw()] == [b"h", b"e", b"l", b"l", b"o", b"!"]
    assert (await client.get(server.url)).content == b"hello!"
    async with AsyncHTTPTransport() as transport:  # the trailers, on the transport's stream
        r = await transport.handle_async_request(httpx.Request("GET", server.url))
        assert await r.aread() == b"hello!"
        assert r.stream.trailers == [b"X-Trailer: t"]  # type: ignore[attr-defined]
    assert len(server.connections) == 2  # one per transport


async def test_bad_chunk_is_a_protocol_error(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + b"zz\r\nhello\r\n")
        conn.stall(2)

    server = serve(keep_alive(respond))
    with pytest.raises(httpx.RemoteProtocolError) as info:
        await client.get(server.url)
    assert info.value.request.url == server.url
    assert pool_of(client) == (0, 0)


async def test_read_until_close(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ")
        conn.send(b"the end")

    server = serve(handler)
    assert (await client.get(server.url)).content == b"until the end"
    assert (await client.get(server.url)).content == b"until the end"
    assert len(server.connections) == 2


async def test_http10_response_is_not_reused(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        conn.stall(2)

    server = serve(handler)
    r = await client.get(server.url)
    assert (r.http_version, r.content) == ("HTTP/1.0", b"ok")
    assert (await client.get(server.url)).content == b"ok"
    assert len(server.connections) == 2


async def test_one_mib_body_is_byte_identical(
    httpserver: HTTPServer, client: httpx.AsyncClient
) -> None:
    body = os.urandom(MiB)
    httpserver.expect_request("/big").respond_with_data(body)
    assert (await client.get(httpserver.url_for("/big"))).content == body
    async with AsyncHTTPTransport() as transport:
        r = await axios_python.async_get(
            httpserver.url_for("/big"), transport=transport, response_type="arraybuffer"
        )
    assert r.data == body


async def test_one_mib_body_streamed_through_axios(
    serve: Callable[[Handler], RawServer],
) -> None:
    body = os.urandom(MiB)
    pieces = [body[i : i + 100_000] for i in range(0, MiB, 100_000)]

    def respond(conn: Connection, head: bytes) -> None:
        if b"chunked" in head:
            conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + chunked(*pieces))
        else:
            conn.send(ok(body))

    server = serve(keep_alive(respond))
    async with AsyncHTTPTransport() as transport:
        for path in ("plain", "chunked"):
            async with axios_python.async_get(
                server.url + path, stream=True, transport=transport
            ) as r:
                assert b"".join([chunk async for chunk in r.aiter_bytes(65536)]) == body
    assert len(server.connections) == 1


async def test_100_continue_is_skipped(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"final"))

    server = serve(keep_alive(respond))
    r = await client.get(server.url)
    assert (r.status_code, r.content) == (200, b"final")


# -- keep-alive and the pool ----------------------------------------------------------------


async def test_keep_alive_reuses_one_connection(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    assert (await client.get(server.url)).content == b"hello"
    assert (await client.get(server.url)).content == b"hello"
    assert len(server.connections) == 1
    assert pool_of(client) == (1, 1)


async def test_keep_alive_through_axios_instance(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    api = axios_python.create(transport=AsyncHTTPTransport())
    try:
        assert [(await api.async_get(server.url)).data for _ in range(3)] == [b"hello"] * 3
    finally:
        await api.aclose()
    assert len(server.connections) == 1


async def test_partially_read_response_does_not_return_its_connection(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    big = b"x" * (4 * MiB)

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(ok(big if b"/big" in head else b"small"))

    server = serve(keep_alive(respond))
    async with client.stream("GET", server.url + "big") as r:
        async for first in r.aiter_raw():
            assert first
            break
    assert pool_of(client) == (0, 0)
    assert (await client.get(server.url + "small")).content == b"small"
    assert len(server.connections) == 2
    assert (await client.get(server.url + "small")).content == b"small"
    assert len(server.connections) == 2


async def test_connection_close_header_is_honoured(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(ok(headers={"Connection": "close"}))
        conn.stall(2)

    server = serve(handler)
    assert (await client.get(server.url)).content == b"hello"
    assert (await client.get(server.url)).content == b"hello"
    assert len(server.connections) == 2


async def test_idle_connection_closed_by_server_is_not_reused(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(ok())  # keep-alive announced, then the server closes it anyway

    server = serve(handler)
    assert (await client.get(server.url)).content == b"hello"
    assert server.wait_idle()
    await asyncio.sleep(0.05)
    assert (await client.get(server.url)).content == b"hello"
    assert len(server.connections) == 2


async def test_closed_idle_connection_is_noticed_before_the_loop_sees_it(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(ok())

    server = serve(handler)
    assert (await client.get(server.url)).content == b"hello"
    assert server.wait_idle()
    time.sleep(0.05)  # the FIN is in the kernel; the event loop has not run since
    assert (await client.post(server.url, content=b"x")).content == b"hello"
    assert len(server.connections) == 2


async def test_stale_connection_is_retried_for_replayable_bodies(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
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
    assert (await client.get(server.url)).content == b"hello"
    assert (await client.put(server.url, content=b"again")).content == b"hello"
    assert len(server.connections) == 2


async def test_stale_connection_is_not_retried_for_a_streamed_body(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(ok())
        conn.read_head()
        conn.read_until(b"0\r\n\r\n")

    server = serve(handler)
    assert (await client.get(server.url)).content == b"hello"

    async def parts() -> AsyncIterator[bytes]:
        yield b"once"

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        await client.post(server.url, content=parts())
    assert len(server.connections) == 1


async def test_pool_timeout(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok(b"y" * MiB))))
    transport = AsyncHTTPTransport(limits=httpx.Limits(max_connections=1))
    async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5, pool=0.2)) as c:
        async with c.stream("GET", server.url):
            started = time.monotonic()
            with pytest.raises(httpx.PoolTimeout) as info:
                await c.get(server.url)
            assert time.monotonic() - started < 2
            assert info.value.request.url == server.url
        assert len((await c.get(server.url)).content) == MiB  # the slot came back


async def test_pool_waits_for_a_released_connection(
    serve: Callable[[Handler], RawServer],
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = AsyncHTTPTransport(limits=httpx.Limits(max_connections=1))
    async with httpx.AsyncClient(transport=transport, timeout=5) as c:
        responses = await asyncio.gather(*(c.get(server.url) for _ in range(8)))
        assert pool_of(c) == (1, 1)
    assert [r.content for r in responses] == [b"hello"] * 8
    assert len(server.connections) == 1


async def test_a_pool_waiter_is_served_before_a_busy_task_s_next_request(
    serve: Callable[[Handler], RawServer],
) -> None:
    """One connection, one task sending request after request, another task waiting for
    the connection: the waiter is served next, not after the busy task stops (it used to
    wait out its pool timeout: the busy task took the connection it had just released
    before the woken waiter ran)."""
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = AsyncHTTPTransport(limits=httpx.Limits(max_connections=1))
    async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5, pool=0.5)) as c:
        stop = time.monotonic() + 1.0

        async def busy() -> int:
            sent = 0
            while time.monotonic() < stop:
                await c.get(server.url)
                sent += 1
            return sent

        async def waiting() -> bytes:
            await asyncio.sleep(0.1)
            return (await c.get(server.url)).content

        sent, content = await asyncio.gather(busy(), waiting())
        assert content == b"hello" and sent > 10
        assert pool_of(c) == (1, 1)


async def test_cancelled_pool_waiter_passes_the_slot_on(
    serve: Callable[[Handler], RawServer],
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = AsyncHTTPTransport(limits=httpx.Limits(max_connections=1))
    async with httpx.AsyncClient(transport=transport, timeout=5) as c:
        async with c.stream("GET", server.url) as r:
            waiting = [asyncio.ensure_future(c.get(server.url)) for _ in range(3)]
            await asyncio.sleep(0.05)
            waiting[0].cancel()
            await r.aread()
        results = await asyncio.gather(*waiting, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert [r.content for r in results[1:]] == [b"hello", b"hello"]  # type: ignore[union-attr]


async def test_keepalive_expiry(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = AsyncHTTPTransport(limits=httpx.Limits(keepalive_expiry=0.05))
    async with httpx.AsyncClient(transport=transport) as c:
        await c.get(server.url)
        await asyncio.sleep(0.15)
        await c.get(server.url)
    assert len(server.connections) == 2


async def test_max_keepalive_connections_closes_the_oldest_idle(
    serve: Callable[[Handler], RawServer],
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=1)
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(limits=limits)) as c:
        await asyncio.gather(*(c.get(server.url) for _ in range(3)))
        assert pool_of(c) == (1, 1)


async def test_close_closes_idle_connections(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    async with httpx.AsyncClient(transport=AsyncHTTPTransport()) as c:
        await c.get(server.url)
    assert server.wait_idle()
    assert server.connections[0].peer_closed.is_set()


# -- cancellation and flow control ----------------------------------------------------------


async def test_cancellation_mid_body_closes_the_connection(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def respond(conn: Connection, head: bytes) -> object:
        if b"/stall" in head:
            conn.send(response_head(200, {"Content-Length": "1000"}) + b"part")
            conn.stall()
            return False
        return conn.send(ok())

    server = serve(keep_alive(respond))
    got_first = asyncio.Event()

    async def read() -> None:
        async with client.stream("GET", server.url + "stall") as r:
            async for _ in r.aiter_raw():
                got_first.set()

    task = asyncio.ensure_future(read())
    await asyncio.wait_for(got_first.wait(), 5)
    await asyncio.sleep(0.01)  # the task now awaits the next chunk
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pool_of(client) == (0, 0)
    assert await eventually(server.connections[0].peer_closed)
    assert (await client.get(server.url)).content == b"hello"
    assert len(server.connections) == 2


async def test_asyncio_timeout_mid_body_through_axios(
    serve: Callable[[Handler], RawServer],
) -> None:
    def respond(conn: Connection, head: bytes) -> object:
        if b"/stall" in head:
            conn.send(response_head(200, {"Content-Length": "1000"}) + b"part")
            conn.stall()
            return False
        return conn.send(ok())

    server = serve(keep_alive(respond))
    transport = AsyncHTTPTransport(limits=httpx.Limits(max_connections=1))

    async def read() -> bytes:
        async with axios_python.async_get(
            server.url + "stall", stream=True, transport=transport
        ) as r:
            return b"".join([chunk async for chunk in r.aiter_bytes()])

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(read(), 0.2)
    assert transport._pool.total == 0  # the only slot is free again
    r = await axios_python.async_get(server.url, transport=transport)
    assert r.data == b"hello"
    await transport.aclose()


async def test_slow_reader_holds_the_server_back(serve: Callable[[Handler], RawServer]) -> None:
    """A 64 MiB body read slowly: TCP holds the server to the reader's pace and the client
    buffers no more than its one receive buffer; closing early frees the connection.

    The kernel's receive buffer is pinned (SO_RCVBUF: no autotuning up to tcp_rmem's max,
    32 MiB on some hosts), so what the server got ahead is the kernel's buffers (its send
    buffer autotunes to 4 MiB at most) plus ours (BUFFER_SIZE and the piece in hand).
    """
    body = 64 * MiB
    block = bytes(64 * KiB)

    def firehose(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": str(body)}))
        conn.send_repeated(block, body)

    server = serve(firehose)
    transport = AsyncHTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, MiB)])
    consumed = 0
    gaps: list[int] = []
    async with httpx.AsyncClient(transport=transport, timeout=5) as c:
        async with c.stream("GET", server.url) as r:
            conn = server.wait_connection()
            async for chunk in r.aiter_bytes(64 * KiB):
                consumed += len(chunk)
                await asyncio.sleep(0.0005)
                gaps.append(conn.bytes_sent - consumed)
                if consumed >= 24 * MiB:
                    break
        assert pool_of(c) == (0, 0)
    worst = max(gaps)
    assert worst < 10 * MiB, f"the server got {worst / MiB:.1f} MiB ahead of the reader"
    assert conn.bytes_sent < consumed + 10 * MiB < body
    assert await eventually(conn.peer_closed)


async def test_big_upload_streams_with_backpressure(
    serve: Callable[[Handler], RawServer],
) -> None:
    """32 MiB from an async generator (chunked) and 8 MiB of bytes: while the server reads
    nothing, the generator is held back by the socket (the client buffers no upload)."""
    total = 32 * MiB
    piece = bytes(256 * KiB)
    server_ready = threading.Event()

    def sink(conn: Connection) -> None:
        while (head := conn.read_head()) is not None:
            server_ready.wait(5)  # hold the upload back until the client filled every buffer
            length = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            received, tail = 0, b""
            data, conn._buffer = conn._buffer, b""
            while True:
                data = data or conn._recv()
                if not data:
                    return
                received += len(data)
                tail = (tail + data)[-5:]
                data = b""
                if received == length or (length is None and tail == b"0\r\n\r\n"):
                    break
            conn.send(ok(str(received).encode()))

    server = serve(sink)
    produced = 0
    ahead = 0

    async def parts() -> AsyncIterator[bytes]:
        nonlocal produced
        while produced < total:
            produced += len(piece)
            yield piece

    async def watch() -> None:
        nonlocal ahead
        await asyncio.sleep(0.2)
        ahead = produced  # the server has read nothing yet: all of it sits in buffers
        server_ready.set()

    async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=10) as c:
        watcher = asyncio.ensure_future(watch())
        r = await c.post(server.url, content=parts())
        await watcher
        assert int(r.content) > total  # the body and its chunk framing
        assert ahead < 16 * MiB, f"{ahead / MiB:.1f} MiB produced while the server read none"
        upload = os.urandom(8 * MiB)
        r = await c.put(server.url, content=upload)
        assert int(r.content) == len(upload)
    assert len(server.connections) == 1


# -- errors and timeouts --------------------------------------------------------------------


async def test_truncated_content_length_is_a_protocol_error(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": "100"}) + b"only a bit")

    server = serve(handler)
    with pytest.raises(httpx.RemoteProtocolError, match="received 10 bytes, expected 100"):
        await client.get(server.url)
    assert pool_of(client) == (0, 0)
    with pytest.raises(axios_python.RemoteProtocolError):
        async with AsyncHTTPTransport() as transport:
            await axios_python.async_get(server.url, transport=transport)


async def test_stall_is_a_read_timeout(serve: Callable[[Handler], RawServer]) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": "100"}) + b"part")
        conn.stall()

    server = serve(handler)
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=0.3) as c:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout) as info:
            await c.get(server.url)
        assert time.monotonic() - started < 2
        assert info.value.request.url == server.url
        assert pool_of(c) == (0, 0)
    with pytest.raises(axios_python.ReadTimeout):
        async with AsyncHTTPTransport() as transport:
            await axios_python.async_get(server.url, transport=transport, timeout=0.3)


async def test_the_async_library_is_told_as_sniffio_tells_it() -> None:
    """Our core serves asyncio only; trio (trio-asyncio's trio mode too) announces itself in
    sniffio's context variable or thread local, and then httpx's transport takes over."""
    assert _on_asyncio() and sniffio.current_async_library() == "asyncio"
    token = sniffio.current_async_library_cvar.set("trio")
    try:
        assert not _on_asyncio()
    finally:
        sniffio.current_async_library_cvar.reset(token)
    sniffio.thread_local.name = "curio"
    try:
        assert not _on_asyncio()
    finally:
        sniffio.thread_local.name = None
    assert _on_asyncio()
    assert not await asyncio.to_thread(_on_asyncio)  # no loop runs in that thread


def first_then_late_second(delay: float) -> Handler:
    """Answer "first" at once and "second" ``delay`` seconds after its request; a third
    request on the connection is never answered."""

    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(ok(b"first"))
        conn.read_head()
        conn.sleep(delay)
        conn.send(ok(b"second"))
        if conn.read_head() is not None:
            conn.stall()

    return handler


async def test_read_timeouts_of_one_connection_are_each_request_s_own(
    serve: Callable[[Handler], RawServer],
) -> None:
    # One timer per connection serves its waits (_Connection._arm): a shorter timeout after
    # a longer one must still fire on time, and a timer armed by an earlier, shorter wait
    # must not cut a later, longer one short.
    # the second answer comes past the first request's timer, within its own timeout
    server = serve(first_then_late_second(0.7))
    async with httpx.AsyncClient(transport=AsyncHTTPTransport()) as c:
        assert (await c.get(server.url, timeout=1.0)).content == b"first"
        await asyncio.sleep(0.6)
        assert (await c.get(server.url, timeout=3.0)).content == b"second"
        assert pool_of(c) == (1, 1)
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await c.get(server.url, timeout=httpx.Timeout(5, read=0.2))
        assert time.monotonic() - started < 1.5  # the 0.2 s timeout, not the 3 s one before
        assert pool_of(c) == (0, 0)


async def test_a_wait_without_a_timeout_outlives_an_earlier_timer(
    serve: Callable[[Handler], RawServer],
) -> None:
    # The timer a timed wait armed on a kept-alive connection must not fire into a later
    # wait that has no timeout (as it did, a ReadTimeout after the earlier 0.2 s).
    server = serve(first_then_late_second(0.6))
    async with httpx.AsyncClient(transport=AsyncHTTPTransport()) as c:
        assert (await c.get(server.url, timeout=0.2)).content == b"first"
        assert (await c.get(server.url, timeout=None)).content == b"second"
        assert len(server.connections) == 1


async def test_a_socket_a_caller_closed_is_never_reused(
    serve: Callable[[Handler], RawServer],
) -> None:
    """A caller may close ``network_stream``'s socket; its descriptor number may then be
    another socket's, which the liveness check must not take for this connection."""
    server = serve(keep_alive(lambda conn, head: conn.send(ok(b"hello"))))
    other = serve(keep_alive(lambda conn, head: conn.send(ok(b"other"))))
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=5) as c:
        response = await c.get(server.url)
        sock = response.extensions["network_stream"].get_extra_info("socket")
        sock.close()
        with socket.create_connection(("127.0.0.1", other.port)):  # may take its number
            assert (await c.get(server.url)).content == b"hello"


async def test_no_head_is_a_read_timeout(serve: Callable[[Handler], RawServer]) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.stall()

    server = serve(handler)
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=0.3) as c:
        with pytest.raises(httpx.ReadTimeout):
            await c.get(server.url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_connect_refused_is_a_connect_error(client: httpx.AsyncClient) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(httpx.ConnectError) as info:
        await client.get(url)
    assert info.value.request.url == url
    assert pool_of(client) == (0, 0)
    with pytest.raises(axios_python.ConnectError):
        async with AsyncHTTPTransport(retries=1) as transport:
            await axios_python.async_get(url, transport=transport)


async def test_connect_timeout() -> None:
    # a listener whose backlog is full never completes another handshake
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(8):
                filler = socket.socket()
                filler.setblocking(False)
                fillers.append(filler)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
            transport = AsyncHTTPTransport()
            async with httpx.AsyncClient(transport=transport, timeout=0.2) as c:
                started = time.monotonic()
                try:
                    await c.get(f"http://127.0.0.1:{port}/")
                except httpx.ConnectTimeout:
                    assert time.monotonic() - started < 2
                except httpx.TransportError:  # pragma: no cover - a kernel that refuses
                    pytest.skip("this kernel does not let a full backlog stall connects")
                else:  # pragma: no cover
                    pytest.skip("this kernel completed the connect anyway")
                assert transport._pool.total == 0
        finally:
            for filler in fillers:
                filler.close()


async def test_server_closing_without_response(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    server = serve(lambda conn: conn.read_head())
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        await client.get(server.url)


async def test_garbage_status_line(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(b"SMTP ready\r\n\r\n")
        conn.stall(2)

    server = serve(handler)
    with pytest.raises(httpx.RemoteProtocolError, match="illegal status line"):
        await client.get(server.url)
    assert pool_of(client) == (0, 0)


async def test_unsupported_scheme() -> None:
    async with httpx.AsyncClient(transport=AsyncHTTPTransport()) as c:
        with pytest.raises(httpx.UnsupportedProtocol):
            await c.get("ftp://example.com/")


async def test_chunked_body_cut_short(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + b"100000\r\nabc")

    server = serve(handler)
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
        await client.get(server.url)
    with pytest.raises(axios_python.RemoteProtocolError):
        async with AsyncHTTPTransport() as transport:
            await axios_python.async_get(server.url, transport=transport)


async def test_unsupported_features_delegate_to_httpx() -> None:
    transport = AsyncHTTPTransport(uds="/nonexistent.sock")
    assert isinstance(transport._delegate, httpx.AsyncHTTPTransport)
    await transport.aclose()
    plain = AsyncHTTPTransport()
    assert plain._delegate is None
    await plain.aclose()


async def test_other_async_libraries_are_delegated(
    serve: Callable[[Handler], RawServer],
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = AsyncHTTPTransport()
    token = sniffio.current_async_library_cvar.set("curio")  # not asyncio: not ours
    try:
        with pytest.raises(Exception):  # noqa: B017 - httpcore has no backend for it
            await transport.handle_async_request(httpx.Request("GET", server.url))
    finally:
        sniffio.current_async_library_cvar.reset(token)
    assert isinstance(transport._delegate, httpx.AsyncHTTPTransport)
    assert transport._pool.total == 0
    await transport.aclose()


# -- TLS ------------------------------------------------------------------------------------


async def test_https_with_keep_alive(
    tls_server: tuple[str, list[int]], certificate: tuple[str, str]
) -> None:
    url, accepted = tls_server
    context = ssl.create_default_context(cafile=certificate[0])
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(verify=context)) as c:
        assert [(await c.get(url)).content for _ in range(3)] == [b"hello"] * 3
        big = await c.get(url + "big")
        assert big.content == bytes(range(256)) * (MiB // 256)
        async with c.stream("GET", url) as r:
            stream = r.extensions["network_stream"]
            assert isinstance(stream.get_extra_info("ssl_object"), ssl.SSLObject)
            assert await r.aread() == b"hello"
    assert len(accepted) == 1
    async with AsyncHTTPTransport(verify=context) as transport:
        assert (await axios_python.async_get(url, transport=transport)).data == b"hello"


async def test_https_sni_hostname_extension(
    tls_server: tuple[str, list[int]], certificate: tuple[str, str]
) -> None:
    url, _ = tls_server
    context = ssl.create_default_context(cafile=certificate[0])
    by_ip = url.replace("localhost", "127.0.0.1")
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(verify=context)) as c:
        r = await c.get(by_ip, extensions={"sni_hostname": "localhost"})
        assert r.content == b"hello"
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(verify=context)) as c:
        with pytest.raises(httpx.ConnectError):
            await c.get(by_ip, extensions={"sni_hostname": "example.com"})


async def test_https_certificate_check_fails(tls_server: tuple[str, list[int]]) -> None:
    url, _ = tls_server
    async with httpx.AsyncClient(transport=AsyncHTTPTransport()) as c:
        with pytest.raises(httpx.ConnectError):
            await c.get(url)
        assert pool_of(c) == (0, 0)
    with pytest.raises(axios_python.ConnectError):
        async with AsyncHTTPTransport() as transport:
            await axios_python.async_get(url, transport=transport)


async def test_socket_options_local_address_and_retries(
    serve: Callable[[Handler], RawServer],
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    transport = AsyncHTTPTransport(
        local_address="127.0.0.1",
        socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
        retries=2,
    )
    async with httpx.AsyncClient(transport=transport) as c:
        async with c.stream("GET", server.url) as r:
            sock = r.extensions["network_stream"].get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            await r.aread()
        assert r.content == b"hello"


async def test_connect_retries_then_fails() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(retries=2)) as c:
        with pytest.raises(httpx.ConnectError):
            await c.get(url)


async def test_network_stream_reaches_the_socket(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    async with client.stream("GET", server.url) as r:
        stream = r.extensions["network_stream"]
        assert isinstance(stream.get_extra_info("socket"), socket.socket)
        assert stream.get_extra_info("server_addr") == (server.host, server.port)
        assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
        assert stream.get_extra_info("ssl_object") is None
        assert stream.get_extra_info("is_readable") is True  # the body is buffered
        assert await r.aread() == b"hello"


async def test_verify_none_means_the_default_context() -> None:
    transport = AsyncHTTPTransport(verify=None)  # type: ignore[arg-type]
    assert isinstance(transport._ssl_context, ssl.SSLContext)
    await transport.aclose()


# -- Expect: 100-continue -------------------------------------------------------------------


async def test_expect_continue_sends_the_body_after_100(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    seen: list[bytes] = []

    def handler(conn: Connection) -> None:
        conn.read_head()
        time.sleep(0.2)
        seen.append(bytes(conn._buffer))  # nothing of the body may have come yet
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        seen.append(conn.read_exactly(5))
        conn.send(ok(b"done"))

    server = serve(handler)
    r = await client.post(server.url, content=b"12345", headers={"Expect": "100-continue"})
    assert (r.status_code, r.content) == (200, b"done")
    assert seen == [b"", b"12345"]


async def test_expect_continue_final_answer_keeps_the_body(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    received: list[bytes] = []
    finished = threading.Event()

    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(417, {"Content-Length": "0"}, "Expectation Failed"))
        conn.stall(0.5)
        received.append(bytes(conn._buffer))
        finished.set()

    server = serve(handler)

    async def body() -> AsyncIterator[bytes]:
        yield b"x" * 1000

    r = await client.post(server.url, content=body(), headers={"Expect": "100-continue"})
    assert r.status_code == 417
    assert pool_of(client) == (0, 0)  # the body was never sent: the connection closed
    assert await eventually(finished)
    assert received == [b""]


async def test_expect_continue_without_answer_sends_after_a_wait(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        conn.read_exactly(3)
        conn.send(ok(b"late"))

    server = serve(keep_alive(respond))
    started = time.monotonic()
    r = await client.post(server.url, content=b"abc", headers={"Expect": "100-continue"})
    waited = time.monotonic() - started
    assert r.content == b"late"
    assert 0.9 < waited < 3
    assert pool_of(client) == (1, 1)  # a normal exchange: the connection is kept


async def test_expect_continue_wait_is_capped_by_the_read_timeout(
    serve: Callable[[Handler], RawServer],
) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        conn.read_exactly(3)
        conn.send(ok(b"soon"))

    server = serve(keep_alive(respond))
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=0.2) as client:
        started = time.monotonic()
        r = await client.post(server.url, content=b"abc", headers={"Expect": "100-continue"})
        assert r.content == b"soon" and time.monotonic() - started < 0.8


# -- protocol upgrades ------------------------------------------------------------------------


async def test_upgrade_hands_the_connection_to_the_caller(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
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
    upgrade = {"Upgrade": "echo", "Connection": "Upgrade"}
    async with client.stream("GET", server.url, headers=upgrade) as r:
        assert r.status_code == 101
        stream = r.extensions["network_stream"]
        assert await stream.read(1024) == b"hi!"
        await stream.write(b"ping")
        assert await stream.read(1024, timeout=5) == b"PING"
        await stream.write(b"x" * (4 * MiB))  # more than the transport buffers: drained
        echoed = b""
        while len(echoed) < 4 * MiB:
            echoed += await stream.read(MiB, timeout=5)
        assert echoed == b"X" * (4 * MiB)
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(10, timeout=0.05)
        assert pool_of(client) == (1, 0)  # still the caller's
        await stream.aclose()
        await stream.aclose()  # idempotent
        assert pool_of(client) == (0, 0)
        with pytest.raises(httpcore.ReadError):
            await stream.read(10)
        with pytest.raises(httpcore.WriteError):
            await stream.write(b"late")


async def test_upgraded_stream_sees_the_server_close(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(101, {"Upgrade": "x", "Connection": "Upgrade"}) + b"bye")

    server = serve(handler)
    async with client.stream("GET", server.url, headers={"Upgrade": "x"}) as r:
        stream = r.extensions["network_stream"]
        assert await stream.read(1024, timeout=5) == b"bye"
        assert await stream.read(1024, timeout=5) == b""  # EOF, as httpcore reports it
        await stream.aclose()
    assert pool_of(client) == (0, 0)


async def test_network_stream_info_after_close_is_none(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    async with client.stream("GET", server.url, headers={"Connection": "close"}) as r:
        await r.aread()
        stream = r.extensions["network_stream"]
    await asyncio.sleep(0.01)  # the loop closes the socket
    assert stream.get_extra_info("client_addr") is None
    assert stream.get_extra_info("server_addr") is None
    assert stream.get_extra_info("ssl_object") is None
    assert stream.get_extra_info("is_readable") is True  # as httpcore: a closed socket is


# -- the trace extension ----------------------------------------------------------------------


async def traced_events(
    transport: httpx.AsyncBaseTransport, url: str
) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []

    async def trace(name: str, info: dict[str, Any]) -> None:
        if name == "connection.connect_tcp.complete":  # read while the socket is open
            info = {"server_addr": info["return_value"].get_extra_info("server_addr")}
        events.append((name, info))

    async with httpx.AsyncClient(transport=transport, timeout=5) as client:
        r = await client.post(url, content=b"abc", extensions={"trace": trace})
        assert r.content == b"hello"
    return events


async def test_trace_reports_httpcores_phases(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/t").respond_with_data(b"hello")
    ours = await traced_events(AsyncHTTPTransport(), httpserver.url_for("/t"))
    theirs = await traced_events(httpx.AsyncHTTPTransport(), httpserver.url_for("/t"))
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


async def test_debug_logging_words_the_phases_as_httpcore_does(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/t").respond_with_data(b"hello")
    for transport in (AsyncHTTPTransport(), httpx.AsyncHTTPTransport()):
        with caplog.at_level(logging.DEBUG):
            async with httpx.AsyncClient(transport=transport, timeout=5) as client:
                headers = {"Authorization": "Bearer SECRET"}
                r = await client.get(httpserver.url_for("/t?key=SECRET"), headers=headers)
                assert r.content == b"hello"

    assert_logged_as_httpcore_logs(caplog)
    assert not transport_lines_with(caplog, "SECRET")  # (httpx's own INFO line shows the URL)


async def test_trace_reports_a_failed_phase(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient
) -> None:
    server = serve(
        lambda conn: (
            conn.read_head(),
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"),
        )
    )
    events: list[tuple[str, dict[str, Any]]] = []

    async def trace(name: str, info: dict[str, Any]) -> None:
        events.append((name, info))

    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(server.url, extensions={"trace": trace})
    failed = [info["exception"] for name, info in events if name.endswith(".failed")]
    assert len(failed) == 1 and isinstance(failed[0], httpx.RemoteProtocolError)
    assert [name for name, _ in events][-2:] == [
        "http11.response_closed.started",
        "http11.response_closed.complete",
    ]


# -- an answer that comes before the upload is done ---------------------------------------------


@pytest.mark.parametrize("drain", [False, True], ids=["server-closes", "server-drains"])
async def test_early_answer_during_an_upload_is_returned(
    serve: Callable[[Handler], RawServer], client: httpx.AsyncClient, drain: bool
) -> None:
    """A 413 sent at once, then the server closes (a reset under our upload) or shuts its
    write side and drains the body: the 413 comes back, not a WriteError. The draining case
    once crashed in ``close()`` (asyncio had dropped the transport's loop on its own)."""

    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(413, {"Content-Length": "5", "Connection": "close"}) + b"large")
        if drain:
            conn.sock.shutdown(socket.SHUT_WR)
            while conn._recv():
                pass

    server = serve(handler)
    size = 64 * MiB if drain else 16 * MiB
    r = await client.post(server.url, content=b"x" * size)
    assert (r.status_code, r.content) == (413, b"large")
    assert pool_of(client) == (0, 0)


async def test_write_error_without_an_answer(serve: Callable[[Handler], RawServer]) -> None:
    """A server that closes under the upload without answering: an error, no response."""

    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)

    server = serve(handler)
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=5) as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.WriteError, httpx.ReadError)):
            await client.post(server.url, content=b"x" * (16 * MiB))
        assert pool_of(client) == (0, 0)


async def paused_connection(buffer_size: int = 1024 * KiB) -> tuple[_Connection, socket.socket]:
    """A ``_Connection`` on a real loopback socket whose transport reads nothing (reading
    paused), and the server's end of it: what the peer sends stays in the kernel."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        host, port = listener.getsockname()
        sock = socket.create_connection((host, port))
        sock.setblocking(False)
        peer, _ = listener.accept()
    loop = asyncio.get_running_loop()
    conn = _Connection(("http", host, port), sock, loop, buffer_size)
    await loop.create_connection(lambda: conn, sock=sock)
    assert conn.transport is not None
    conn.transport.pause_reading()
    return conn, peer


async def test_answer_left_in_the_kernel_is_read_when_a_write_breaks() -> None:
    """The loop may learn of a reset from a failed write before it read the answer that
    came first: ``connection_lost`` takes those bytes before asyncio closes the socket,
    and ``close()`` afterwards is harmless."""
    conn, peer = await paused_connection()  # the loop reads nothing: it stays in the kernel
    peer.sendall(response_head(413, {"Content-Length": "0"}))
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()  # a reset
    await asyncio.sleep(0.05)
    conn.transport.write(b"more of the upload")  # fails: connection_lost(the error)
    for _ in range(100):
        if conn.eof:
            break
        await asyncio.sleep(0.001)
    assert conn.eof and conn.transport is None and conn.write_failed()
    assert bytes(conn.view[conn.start : conn.end]).startswith(b"HTTP/1.1 413 OK\r\n")
    conn.close()


# -- direct reads: body bytes taken from the socket itself ---------------------------------


async def test_direct_reads_only_for_plain_tcp_on_asyncio_loops(
    serve: Callable[[Handler], RawServer],
    tls_server: tuple[str, list[int]],
    certificate: tuple[str, str],
) -> None:
    """Body bytes are taken from the socket itself only where they are the body's: plain
    TCP on asyncio's selector loop, not TLS records (uvloop: test_transport_uvloop.py)."""

    async def direct(url: str, **options: Any) -> bool:
        transport = AsyncHTTPTransport(**options)
        async with httpx.AsyncClient(transport=transport) as c, c.stream("GET", url) as r:
            await r.aread()
            return bool(r.extensions["network_stream"]._conn.direct)

    server = serve(keep_alive(lambda conn, head: conn.send(ok())))
    assert await direct(server.url)
    context = ssl.create_default_context(cafile=certificate[0])
    assert not await direct(tls_server[0], verify=context)


async def test_a_partial_piece_is_topped_up_from_the_socket() -> None:
    """Part of a piece in the buffer, the rest in the kernel: ``top_up`` reads it into the
    buffer without a loop turn (the loop's reading is paused here, so only it can), never
    more than asked, and hands back to the transport on EAGAIN and on EOF."""
    conn, peer = await paused_connection(64 * KiB)
    assert conn.direct
    try:
        peer.sendall(b"x" * 100)
        await asyncio.sleep(0.05)
        conn.keep(b"ab")
        assert conn.top_up(50)
        assert bytes(conn.view[conn.start : conn.end]) == b"ab" + b"x" * 50
        assert conn.top_up(500)  # only what the kernel holds
        assert conn.end - conn.start == 102
        assert not conn.top_up(10)  # nothing there: the caller waits on the loop
        assert conn.direct
        peer.close()
        await asyncio.sleep(0.05)
        assert not conn.top_up(10)
        assert not conn.direct and not conn.eof  # EOF is the transport's to report
    finally:
        peer.close()
        conn.close()


async def test_direct_reads_keep_exact_pieces_when_bytes_trickle(
    serve: Callable[[Handler], RawServer],
) -> None:
    """A read from the socket that brings less than the piece asked for goes to the buffer
    and the piece is completed from there: the transport's pieces keep the asked size.
    Here the first piece empties the buffer, the reader then blocks the loop while 10 KiB
    arrive, and its next read from the socket finds only those."""
    body = os.urandom(192 * KiB)
    parts = [body[: 64 * KiB], body[64 * KiB : 74 * KiB], body[74 * KiB :]]

    def respond(conn: Connection, head: bytes) -> object:
        conn.send(response_head(200, {"Content-Length": str(len(body))}) + parts[0])
        time.sleep(0.02)
        conn.send(parts[1])
        time.sleep(0.1)
        return conn.send(parts[2])

    server = serve(keep_alive(respond))
    async with AsyncHTTPTransport() as transport:
        response = await transport.handle_async_request(httpx.Request("GET", server.url))
        stream: Any = response.stream
        stream.piece_size = 64 * KiB
        pieces = []
        async for piece in stream:
            pieces.append(piece)
            if len(pieces) == 1:
                time.sleep(0.06)  # blocks the loop: the 10 KiB wait in the kernel
        await response.aclose()
    assert b"".join(pieces) == body
    assert [len(p) for p in pieces] == [64 * KiB] * 3


async def test_reset_under_direct_reads_is_a_read_error(
    serve: Callable[[Handler], RawServer],
) -> None:
    """The reset comes while the loop is blocked: the bytes before it are read from the
    socket directly, and so is the reset, which is reported as the transport would."""

    def respond(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": str(64 * MiB)}))
        conn.send_repeated(b"x" * MiB, 2 * MiB)
        time.sleep(0.05)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.sock.close()  # a reset

    server = serve(respond)
    async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=5) as c:
        with pytest.raises(httpx.ReadError, match="reset"):
            async with c.stream("GET", server.url) as r:
                async for _ in r.aiter_raw():
                    time.sleep(0.2)  # blocks the loop: the reset lands meanwhile
        assert pool_of(c) == (0, 0)


async def test_a_fast_body_still_lets_cancellation_in(
    serve: Callable[[Handler], RawServer],
) -> None:
    """anyio (FastAPI, Starlette) cancels a task only while it waits on a future not yet
    done. A consumer slower than the server (here: hashing) finds bytes in the socket on
    every read and never waits; the transport still takes a bare loop turn every 8 MiB, so
    a cancel lands early instead of after the whole 96 MiB body."""
    import hashlib

    import anyio

    size = 96 * MiB
    server = serve(
        keep_alive(
            lambda conn, head: (
                conn.send(response_head(200, {"Content-Length": str(size)}))
                and conn.send_repeated(os.urandom(MiB), size)
            )
        )
    )
    transport = AsyncHTTPTransport()
    started = anyio.Event()
    read = 0

    async def consume() -> None:
        nonlocal read
        digest = hashlib.sha256()
        async with axios_python.async_get(server.url, stream=True, transport=transport) as r:
            async for piece in r.aiter_bytes(64 * KiB):
                digest.update(piece)
                read += len(piece)
                if read >= MiB:
                    started.set()

    async def cancel_once_started(scope: anyio.CancelScope) -> None:
        await started.wait()
        scope.cancel()

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        group.start_soon(cancel_once_started, group.cancel_scope)
    assert MiB <= read < 24 * MiB, read
    assert transport._pool.total == 0  # the cut-off body's connection was closed
    await transport.aclose()


# -- mocking libraries ------------------------------------------------------------------------


@pytest.mark.parametrize(("using", "swapped"), [("httpcore", True), ("httpx", False)])
async def test_respx_sees_requests_through_our_transport(
    using: str, swapped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if swapped:  # a harness that names ours httpx.AsyncHTTPTransport: delegation must not loop
        monkeypatch.setattr(httpx, "AsyncHTTPTransport", AsyncHTTPTransport)
    transport = AsyncHTTPTransport()
    with respx.mock(using=using) as mock:
        mock.get("http://mocked.invalid/x").mock(return_value=httpx.Response(200, text="m"))
        async with httpx.AsyncClient(transport=transport) as client:
            r = await client.get("http://mocked.invalid/x")
    assert r.text == "m"
    if using == "httpcore":  # the request went through httpx's own transport, to the pool
        assert type(transport._delegate).__name__ == "AsyncHTTPTransport"
        assert type(transport._delegate) is not AsyncHTTPTransport
    assert transport._pool.total == 0


# -- the sans-I/O pool ----------------------------------------------------------------------


class FakeConn:
    """A connection as the pool sees it (no socket: the pool does no I/O)."""

    def __init__(self, key: Key, alive: bool = True) -> None:
        self.key = key
        self.idle_since = 0.0
        self.alive = alive
        self.closed = False

    def is_alive(self) -> bool:
        return self.alive

    def close(self) -> None:
        self.closed = True


A: Key = ("http", "a", 80)
B: Key = ("http", "b", 80)


def test_pool_reserves_slots_up_to_the_limit() -> None:
    pool: ConnectionPool[FakeConn] = ConnectionPool(httpx.Limits(max_connections=2))
    assert pool.acquire(A) == (None, True)
    assert pool.acquire(A) == (None, True)
    assert pool.acquire(A) == (None, False)
    pool.forget()
    assert pool.acquire(A) == (None, True)
    assert pool.total == 2


def test_pool_reuses_live_idle_connections_and_drops_dead_ones() -> None:
    pool: ConnectionPool[FakeConn] = ConnectionPool(httpx.Limits(max_connections=5))
    first, second = FakeConn(A), FakeConn(A, alive=False)
    for _ in (first, second):
        assert pool.acquire(A) == (None, True)
    pool.release(first)
    pool.release(second)
    assert pool.acquire(A) == (first, True)  # the dead one (most recent) was closed
    assert second.closed
    assert (pool.total, pool.idle) == (1, 0)
    pool.discard(first)
    assert first.closed and pool.total == 0


def test_pool_take_idle_reserves_nothing() -> None:
    """``take_idle`` (tried before the waiting ``acquire``) hands out live idle connections
    only: dead ones are closed on the way, and with none left no slot is reserved."""
    pool: ConnectionPool[FakeConn] = ConnectionPool(httpx.Limits(max_connections=1))
    assert pool.take_idle(A) is None and pool.total == 0
    conn, dead = FakeConn(A), FakeConn(A, alive=False)
    assert pool.acquire(A) == (None, True)
    pool.release(conn)
    assert pool.take_idle(B) is None
    assert pool.take_idle(A) is conn and (pool.total, pool.idle) == (1, 0)
    pool.release(dead)
    assert pool.take_idle(A) is None and dead.closed
    assert (pool.total, pool.idle) == (0, 0)
    pool.close()
    with pytest.raises(RuntimeError):
        pool.take_idle(A)


def test_pool_evicts_the_oldest_idle_connection_when_full() -> None:
    pool: ConnectionPool[FakeConn] = ConnectionPool(httpx.Limits(max_connections=2))
    older, newer = FakeConn(B), FakeConn(B)
    pool.acquire(B)
    pool.acquire(B)
    pool.release(older)
    pool.release(newer)
    assert pool.acquire(A) == (None, True)  # full: the oldest idle connection to B goes
    assert older.closed and not newer.closed
    assert (pool.total, pool.idle) == (2, 1)


def test_pool_keepalive_limit_and_expiry() -> None:
    limits = httpx.Limits(max_connections=5, max_keepalive_connections=1, keepalive_expiry=0)
    pool: ConnectionPool[FakeConn] = ConnectionPool(limits)
    one, two = FakeConn(A), FakeConn(A)
    pool.acquire(A)
    pool.acquire(A)
    pool.release(one)
    pool.release(two)
    assert one.closed and (pool.total, pool.idle) == (1, 1)
    time.sleep(0.001)
    assert pool.acquire(A) == (None, True)  # two expired: closed, a new slot reserved
    assert two.closed and pool.total == 1


def test_pool_close() -> None:
    pool: ConnectionPool[FakeConn] = ConnectionPool(httpx.Limits())
    idle, busy = FakeConn(A), FakeConn(A)
    pool.acquire(A)
    pool.acquire(A)
    pool.release(idle)
    pool.close()
    assert idle.closed and pool.closed
    pool.release(busy)  # a response finished after close: its connection closes
    assert busy.closed and pool.total == 0
    with pytest.raises(RuntimeError):
        pool.acquire(A)
