"""A small body that came with its head is read in one piece (``take_buffered_body``).

Our transports' response streams hand over a Content-Length body that already sits whole in
the connection's buffer without iterating it, and ``Response.read()`` / ``aread()`` use that
when nothing has to watch the body arrive. The transport tests pin down when the handover
happens (and when it must not); the axios tests check that what a caller gets is the same
as by the long way: decoded, bounded by ``max_content_length``, the connection reused.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import send
from rawserver import Connection, Handler, RawServer, chunked, keep_alive, ok, response_head
from rawserver import servers as raw_servers

import axios_python
from axios_python.exceptions import ContentTooLarge
from axios_python.transports import AsyncHTTPTransport, HTTPTransport

BODY = b"a small body, sent with its head"


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    with raw_servers() as start:
        yield start


def one_packet(body: bytes = BODY, **headers: str) -> Handler:
    return keep_alive(lambda conn, head: conn.send(ok(body, headers)))


def body_later(conn: Connection, head: bytes) -> None:
    conn.send(response_head(200, {"Content-Length": str(len(BODY))}))
    conn.sleep(0.3)
    conn.send(BODY)


def in_chunks(conn: Connection, head: bytes) -> None:
    conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + chunked(BODY[:5], BODY[5:]))


def exchange_twice(kind: str, url: str, **extensions: Any) -> list[tuple[bytes | None, bytes]]:
    """Two GETs on one transport: what ``take_buffered_body`` gave for each, and the body the
    stream then yields when iterated (empty once the whole body was taken)."""
    if kind == "sync":
        with HTTPTransport() as transport:
            out = []
            for _ in range(2):
                response = transport.handle_request(
                    httpx.Request("GET", url, extensions=extensions)
                )
                stream: Any = response.stream
                taken = stream.take_buffered_body()
                rest = b"" if taken is not None else b"".join(stream)
                assert stream.take_buffered_body() is None  # once only
                response.close()
                out.append((taken, rest))
            return out

    async def go() -> list[tuple[bytes | None, bytes]]:
        async with AsyncHTTPTransport() as transport:
            out = []
            for _ in range(2):
                response = await transport.handle_async_request(
                    httpx.Request("GET", url, extensions=extensions)
                )
                stream: Any = response.stream
                taken = stream.take_buffered_body()
                rest = b"" if taken is not None else b"".join([p async for p in stream])
                assert stream.take_buffered_body() is None
                await response.aclose()
                out.append((taken, rest))
            return out

    return asyncio.run(go())


# -- the transports -------------------------------------------------------------------------


@pytest.mark.one_transport
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_body_that_came_with_its_head_is_handed_over_whole(
    serve: Callable[[Handler], RawServer], kind: str
) -> None:
    server = serve(one_packet())
    assert exchange_twice(kind, server.url) == [(BODY, b""), (BODY, b"")]
    assert len(server.connections) == 1  # released to the pool and reused
    assert len(server.connections[0].heads) == 2


@pytest.mark.one_transport
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("respond", [body_later, in_chunks], ids=["body-later", "chunked"])
def test_otherwise_the_body_is_iterated(
    serve: Callable[[Handler], RawServer], kind: str, respond: Callable[..., None]
) -> None:
    server = serve(keep_alive(respond))
    assert exchange_twice(kind, server.url) == [(None, BODY), (None, BODY)]
    assert len(server.connections) == 1


@pytest.mark.one_transport
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_trace_sees_the_body_phase(serve: Callable[[Handler], RawServer], kind: str) -> None:
    """A trace callback wants ``http11.receive_response_body``: no handover then."""
    server = serve(one_packet())
    phases: list[str] = []

    def sync_trace(name: str, info: Any) -> None:
        phases.append(name)

    async def async_trace(name: str, info: Any) -> None:
        phases.append(name)

    trace = sync_trace if kind == "sync" else async_trace
    assert exchange_twice(kind, server.url, trace=trace) == [(None, BODY), (None, BODY)]
    assert "http11.receive_response_body.complete" in phases


# -- through axios_python (both default transports, both APIs) -------------------------------


def test_read_gives_the_body(serve: Callable[[Handler], RawServer], mode: str) -> None:
    server = serve(one_packet())
    assert send(mode, "GET", server.url).content == BODY
    assert send(mode, "GET", server.url, stream=False).text == BODY.decode()


def test_a_compressed_body_is_decoded(serve: Callable[[Handler], RawServer], mode: str) -> None:
    server = serve(one_packet(gzip.compress(BODY), **{"Content-Encoding": "gzip"}))
    assert send(mode, "GET", server.url).content == BODY


def test_a_bad_compressed_body_is_our_error(
    serve: Callable[[Handler], RawServer], mode: str
) -> None:
    server = serve(one_packet(b"not gzip at all", **{"Content-Encoding": "gzip"}))
    with pytest.raises(axios_python.DecodingError):
        send(mode, "GET", server.url)


def test_max_content_length_holds_and_the_connection_comes_back(
    serve: Callable[[Handler], RawServer], mode: str
) -> None:
    """One connection allowed: had the refused response kept it, the next GET would wait
    for the pool until its timeout."""
    server = serve(one_packet())
    api = axios_python.create(
        limits=httpx.Limits(max_connections=1), timeout=axios_python.Timeout(5, pool=1)
    )
    try:
        with pytest.raises(ContentTooLarge):
            send(mode, "GET", server.url, api=api, max_content_length=len(BODY) - 1)
        assert send(mode, "GET", server.url, api=api, max_content_length=len(BODY)).content == (
            BODY
        )
    finally:
        api.close()


def test_a_streamed_response_read_at_once(serve: Callable[[Handler], RawServer], mode: str) -> None:
    server = serve(one_packet())
    if mode == "sync":
        with axios_python.get(server.url, stream=True) as r:
            assert r.read() == BODY
            assert r.read() == BODY  # kept in memory
            assert list(r.iter_bytes()) == [BODY]
        return

    async def go() -> None:
        async with axios_python.async_get(server.url, stream=True) as r:
            assert await r.aread() == BODY
            assert await r.aread() == BODY
            assert [piece async for piece in r.aiter_bytes()] == [BODY]

    asyncio.run(go())
