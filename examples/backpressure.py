"""Decouple a fast download from a slow sink with a bounded asyncio.Queue.

``aiter_bytes()`` reads the next chunk only when asked. The reader below puts each chunk on a
queue that holds at most ``QUEUE_SIZE`` chunks; when the slow writer falls behind, ``put()``
waits, the reader stops asking for data, and TCP flow control slows the server down. Memory
is bounded by ``QUEUE_SIZE * CHUNK_SIZE`` whatever the body size.

If either side fails, the other is cancelled and the error propagates; the ``async with``
block then closes the response.
"""

from __future__ import annotations

import asyncio
import sys

import axios_python

USAGE = """\
usage: python examples/backpressure.py BASE_URL

BASE_URL must serve GET /stream-bytes/<n> (for example https://httpbin.org,
or a local test server such as http://127.0.0.1:8000)."""

SIZE = 50_000
CHUNK_SIZE = 4096
QUEUE_SIZE = 4
SINK_DELAY = 0.005  # seconds the "slow disk" takes per chunk

_DONE = b""  # iter_bytes never yields an empty chunk, so b"" can mark the end


class SlowSink:
    def __init__(self) -> None:
        self.written = 0

    async def write(self, chunk: bytes) -> None:
        await asyncio.sleep(SINK_DELAY)
        self.written += len(chunk)


async def reader(response: axios_python.Response, queue: asyncio.Queue[bytes]) -> int:
    deepest = 0
    async for chunk in response.aiter_bytes(CHUNK_SIZE):
        await queue.put(chunk)  # waits while the queue is full: this is the backpressure
        deepest = max(deepest, queue.qsize())
    await queue.put(_DONE)
    return deepest


async def writer(queue: asyncio.Queue[bytes], sink: SlowSink) -> None:
    while (chunk := await queue.get()) != _DONE:
        await sink.write(chunk)


async def run(base_url: str) -> int:
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=QUEUE_SIZE)
    sink = SlowSink()
    url = base_url.rstrip("/") + f"/stream-bytes/{SIZE}"
    async with axios_python.async_get(url, stream=True) as response:
        response.raise_for_status()
        read_task = asyncio.create_task(reader(response, queue))
        write_task = asyncio.create_task(writer(queue, sink))
        try:
            deepest, _ = await asyncio.gather(read_task, write_task)
        except BaseException:
            read_task.cancel()
            write_task.cancel()
            await asyncio.gather(read_task, write_task, return_exceptions=True)
            raise
    print(f"wrote {sink.written} bytes through a queue of {QUEUE_SIZE} chunks")
    print(f"deepest queue: {deepest} chunks (never above {QUEUE_SIZE})")
    return 0 if sink.written == SIZE and deepest <= QUEUE_SIZE else 1


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    return asyncio.run(run(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
