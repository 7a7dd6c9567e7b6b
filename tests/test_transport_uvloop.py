"""AsyncHTTPTransport under uvloop, the event loop FastAPI (uvicorn) and Sanic run on when it
is installed: its transports are not ``asyncio.Transport`` subclasses and it drives
``BufferedProtocol`` itself. The same scenarios as under asyncio's loop, on a uvloop loop:
keep-alive reuse, a big body streamed with flow control, exact pieces, a read timeout,
cancellation mid-body, an upload, TLS-free early close.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from rawserver import Connection, Handler, RawServer, keep_alive, response_head, servers

import axios_python
from axios_python.transports import AsyncHTTPTransport

uvloop = pytest.importorskip("uvloop")

pytestmark = pytest.mark.one_transport

MiB = 1024 * 1024
BLOCK = os.urandom(65521)
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    loop = uvloop.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    with servers() as start:
        yield start


def big(size: int) -> Handler:
    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Content-Length": str(size)}))
        conn.send_repeated(BLOCK, size)

    return keep_alive(respond)


def test_keep_alive_and_a_big_body(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(big(32 * MiB))

    async def go() -> list[int]:
        sizes = []
        async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=10) as client:
            assert type(asyncio.get_running_loop()).__module__.startswith("uvloop")
            for _ in range(3):
                async with client.stream("GET", server.url) as r:
                    # uvloop reads the socket itself: no direct reads beside it
                    assert not r.extensions["network_stream"]._conn.direct
                    sizes.append(sum([len(piece) async for piece in r.aiter_raw()]))
        return sizes

    assert run(go()) == [32 * MiB] * 3
    assert len(server.connections) == 1


def test_axios_exact_pieces_and_slow_reader_backpressure(
    serve: Callable[[Handler], RawServer],
) -> None:
    size = 64 * MiB
    server = serve(big(size))

    async def go() -> tuple[int, int]:
        count = total = 0
        async with axios_python.async_get(server.url, stream=True, timeout=10) as r:
            async for piece in r.aiter_bytes(65536):
                assert len(piece) == 65536 or total + len(piece) == size
                total += len(piece)
                count += 1
                if count == 16:  # 1 MiB in: stop reading for a while
                    await asyncio.sleep(0.3)
                    sent = server.connections[0].bytes_sent
                    assert sent < total + 16 * MiB, f"the server ran {sent - total} ahead"
        return total, count

    assert run(go()) == (size, size // 65536)


def test_read_timeout_and_cancellation(serve: Callable[[Handler], RawServer]) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        conn.send(response_head(200, {"Content-Length": "100"}) + b"x" * 10)
        conn.stall()

    server = serve(keep_alive(respond))
    transport = AsyncHTTPTransport()

    async def go() -> None:
        async with httpx.AsyncClient(transport=transport, timeout=0.3) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get(server.url)
            assert transport._pool.total == 0

            async def read_forever() -> None:
                async with client.stream("GET", server.url, timeout=30) as r:
                    async for _ in r.aiter_raw():
                        pass

            task = asyncio.ensure_future(read_forever())
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert transport._pool.total == 0

    run(go())


def test_upload_and_early_answer(serve: Callable[[Handler], RawServer]) -> None:
    def respond(conn: Connection, head: bytes) -> None:
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        received = len(conn._buffer)  # body bytes that came with the head
        while received < length:
            data = conn._recv()
            if not data:
                return
            received += len(data)
        conn.send(response_head(200, {"Content-Length": str(len(str(received)))}))
        conn.send(str(received).encode())

    def refuse(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(413, {"Content-Length": "3", "Connection": "close"}) + b"no!")

    upload, refusing = serve(keep_alive(respond)), serve(refuse)

    async def go() -> tuple[bytes, int]:
        async with httpx.AsyncClient(transport=AsyncHTTPTransport(), timeout=10) as client:
            r = await client.post(upload.url, content=b"z" * (8 * MiB))
            early = await client.post(refusing.url, content=b"z" * (16 * MiB))
        return r.content, early.status_code

    assert run(go()) == (str(8 * MiB).encode(), 413)
