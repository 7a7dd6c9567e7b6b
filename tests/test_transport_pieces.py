"""``iter_bytes(n)`` / ``aiter_bytes(n)`` over our transports: exact pieces, nothing lost.

When the body passes through unchanged, axios_python tells our transport the piece size it
will re-cut the body into, and the transport hands over pieces of exactly that size (sync:
``recv(n, MSG_WAITALL)`` with the read timeout as ``SO_RCVTIMEO``; async: sliced from the
protocol's buffer once enough has arrived). These tests drive that path with awkward servers:
body bytes that arrive with the head, bodies dripped in odd pieces, stalls mid-piece, the
total deadline, truncation. Each runs under both default transports (conftest) and both APIs.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from rawserver import Connection, Handler, RawServer, keep_alive, response_head, servers

import axios_python
from axios_python.transports._async import BUFFER_SIZE, buffer_size_for

KiB = 1024
BODY = hashlib.sha256(b"seed").digest() * (300 * KiB // 32) + b"tail!"  # 300 KiB + 5


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    with servers() as start:
        yield start


def pieces(mode: str, url: str, size: int, **options: Any) -> list[bytes]:
    options.setdefault("timeout", 5)
    if mode == "sync":
        with axios_python.get(url, stream=True, **options) as r:
            return list(r.iter_bytes(size))

    async def go() -> list[bytes]:
        async with axios_python.async_get(url, stream=True, **options) as r:
            return [piece async for piece in r.aiter_bytes(size)]

    return asyncio.run(go())


def dripping(body: bytes, cuts: list[int], with_head: int) -> Handler:
    """The head plus ``with_head`` body bytes in one write, then the rest in ``cuts``-sized
    writes a few milliseconds apart."""

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Content-Length": str(len(body))}) + body[:with_head])
        at, index = with_head, 0
        while at < len(body):
            step = cuts[index % len(cuts)]
            conn.send(body[at : at + step])
            at += step
            index += 1
            time.sleep(0.001)

    return keep_alive(respond)


@pytest.mark.parametrize("size", [16 * KiB, 65536, 100_000, 256 * KiB])
@pytest.mark.parametrize("with_head", [0, 10, 40_000])
def test_exact_pieces_from_a_dripping_server(
    serve: Callable[[Handler], RawServer], mode: str, size: int, with_head: int
) -> None:
    server = serve(dripping(BODY, [1, 7_000, 33_333, 65_536, 3], with_head))
    got = pieces(mode, server.url, size)
    assert b"".join(got) == BODY
    assert [len(piece) for piece in got[:-1]] == [size] * (len(got) - 1)
    assert 0 < len(got[-1]) <= size


def test_a_stall_inside_a_piece_is_a_read_timeout(
    serve: Callable[[Handler], RawServer], mode: str
) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Content-Length": str(len(BODY))}) + BODY[:100_000])
        conn.stall()

    server = serve(keep_alive(respond))
    started = time.monotonic()
    with pytest.raises(axios_python.TimeoutError):
        pieces(mode, server.url, 65536, timeout=axios_python.Timeout(5, read=0.3))
    assert time.monotonic() - started < 3


def test_a_slow_trickle_is_not_a_timeout(serve: Callable[[Handler], RawServer], mode: str) -> None:
    """Bytes keep coming, each within the read timeout, though a whole piece takes longer."""
    body = BODY[:70_000]

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Content-Length": str(len(body))}))
        for at in range(0, len(body), 10_000):
            conn.send(body[at : at + 10_000])
            time.sleep(0.1)

    server = serve(keep_alive(respond))
    got = pieces(mode, server.url, 65536, timeout=axios_python.Timeout(5, read=0.4))
    assert b"".join(got) == body and len(got[0]) == 65536


def test_the_total_deadline_cuts_a_piece_short(
    serve: Callable[[Handler], RawServer], mode: str
) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Content-Length": str(len(BODY))}) + BODY[:1000])
        conn.drip(BODY[1000:1100], 0.05)
        conn.stall()

    server = serve(keep_alive(respond))
    started = time.monotonic()
    with pytest.raises(axios_python.DeadlineExceeded):
        pieces(mode, server.url, 65536, timeout=axios_python.Timeout(5, total=0.5))
    assert time.monotonic() - started < 3


def test_a_truncated_body_is_an_error(serve: Callable[[Handler], RawServer], mode: str) -> None:
    def handler(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": str(len(BODY))}) + BODY[:150_000])
        conn.close()

    server = serve(handler)
    with pytest.raises(axios_python.RemoteProtocolError):
        pieces(mode, server.url, 65536)


@pytest.mark.parametrize("size", [16 * KiB, 65536])
def test_bytes_after_a_body_that_came_with_its_head_are_left_alone(
    serve: Callable[[Handler], RawServer], mode: str, size: int, default_transport: str
) -> None:
    """A stray CRLF after the body (a common server bug), all in one write: the body is
    exact and the stray bytes are no piece of it. (The sync path once spun forever here:
    ``total`` turns such a hang into a failure.) Ours then opens a new connection; httpx's
    transport reuses the old one and fails the next request on the stray bytes."""
    body = BODY[:30_000]

    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Content-Length": str(len(body))}) + body + b"\r\n")

    server = serve(keep_alive(respond))
    rounds = 1 if default_transport == "httpx" else 2
    for _ in range(rounds):
        got = pieces(mode, server.url, size, timeout=axios_python.Timeout(5, total=5))
        assert b"".join(got) == body
        assert [len(piece) for piece in got] == (
            [size, 30_000 - size] if size < 30_000 else [30_000]
        )
    assert len(server.connections) == rounds


def test_the_connection_is_reused_after_exact_pieces(
    serve: Callable[[Handler], RawServer], mode: str
) -> None:
    server = serve(dripping(BODY, [50_000], 123))
    for _ in range(3):
        assert b"".join(pieces(mode, server.url, 65536)) == BODY
    # sync: one kept-alive connection; async: asyncio.run closes its loop's pool each time
    assert len(server.connections) == (1 if mode == "sync" else 3)


def test_async_buffers_shrink_for_big_pools() -> None:
    assert buffer_size_for(httpx.Limits(max_connections=10)) == BUFFER_SIZE
    assert buffer_size_for(httpx.Limits(max_connections=500)) == 128 * KiB
    assert buffer_size_for(httpx.Limits(max_connections=100_000)) == 64 * KiB
    assert buffer_size_for(httpx.Limits(max_connections=None)) == BUFFER_SIZE // 4
