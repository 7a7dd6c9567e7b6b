"""Let a slow sink set the pace of a download: a bounded asyncio.Queue between reader and writer.

Why: the network is usually faster than whatever consumes the body (a disk, a throttled
upstream). A reader that ran ahead would pile chunks up in memory. Here it cannot:
``aiter_bytes()`` reads the next chunk only when asked, and the reader asks only after
``queue.put()`` returns, which happens only when the queue has room, that is, when the sink has
taken a chunk. So the reader moves at the sink's pace, at most ``QUEUE_SIZE`` chunks wait in
memory, and once the socket's receive buffer is full TCP flow control makes the server wait.

The script shows it: item ``i`` can only be queued once the sink has taken item
``i - QUEUE_SIZE``, so a paced reader cannot finish before ``(items - 1 - QUEUE_SIZE)`` sink
delays have passed. A reader that ran ahead (an unbounded queue, a body read with ``.content``)
would finish almost at once.

If either side fails, the other is cancelled and the error propagates; the ``async with``
block then closes the response, which releases the connection.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from typing import Protocol

import axios_python

USAGE = """\
usage: python examples/backpressure.py BASE_URL

BASE_URL must serve GET /stream-bytes/<n> (for example https://httpbin.org,
or a local test server such as http://127.0.0.1:8000)."""

SIZE = 50_000
CHUNK_SIZE = 4096
QUEUE_SIZE = 4
SINK_DELAY = 0.01  # seconds the "slow disk" takes per chunk

_DONE = b""  # aiter_bytes never yields an empty chunk, so b"" can mark the end


class Sink(Protocol):
    async def write(self, chunk: bytes) -> None: ...


class SlowSink:
    def __init__(self, delay: float = SINK_DELAY) -> None:
        self.delay = delay
        self.written = 0

    async def write(self, chunk: bytes) -> None:
        await asyncio.sleep(self.delay)
        self.written += len(chunk)


@dataclass
class Stats:
    """What the reader did, filled in as it goes (so it is complete even if the copy fails)."""

    puts: int = 0  # items put on the queue: the chunks, then the end marker
    deepest: int = 0  # the most items ever waiting in the queue
    reader_seconds: float = 0.0  # from the start to the reader's last completed put()


def floor_seconds(puts: int, maxsize: int, delay: float) -> float:
    """The least time a reader held to the sink's pace needs for ``puts`` items."""
    return max(0, puts - 1 - maxsize) * delay


async def pump(
    response: axios_python.Response,
    sink: Sink,
    *,
    maxsize: int = QUEUE_SIZE,
    chunk_size: int = CHUNK_SIZE,
    stats: Stats | None = None,
) -> Stats:
    """Copy the body into ``sink`` through a queue of ``maxsize`` chunks (0 would be unbounded)."""
    stats = stats if stats is not None else Stats()
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=maxsize)
    start = time.monotonic()

    async def put(item: bytes) -> None:
        await queue.put(item)  # waits while the queue is full: this is the backpressure
        stats.puts += 1
        stats.deepest = max(stats.deepest, queue.qsize())
        stats.reader_seconds = time.monotonic() - start

    async def reader() -> None:
        async for chunk in response.aiter_bytes(chunk_size):
            await put(chunk)
        await put(_DONE)

    async def writer() -> None:
        while (chunk := await queue.get()) != _DONE:
            await sink.write(chunk)

    read_task = asyncio.create_task(reader())
    write_task = asyncio.create_task(writer())
    try:
        await asyncio.gather(read_task, write_task)
    except BaseException:
        read_task.cancel()  # a reader left waiting on a full queue would wait forever
        write_task.cancel()
        await asyncio.gather(read_task, write_task, return_exceptions=True)
        raise
    return stats


async def run(base_url: str) -> int:
    url = base_url.rstrip("/") + f"/stream-bytes/{SIZE}"
    sink = SlowSink()
    async with axios_python.async_get(url, stream=True) as response:
        response.raise_for_status()
        start = time.monotonic()
        stats = await pump(response, sink)
        elapsed = time.monotonic() - start
    chunks = stats.puts - 1
    floor = floor_seconds(stats.puts, QUEUE_SIZE, SINK_DELAY)
    ms = SINK_DELAY * 1000
    print(f"wrote {sink.written} bytes in {chunks} chunks through a queue of {QUEUE_SIZE} chunks")
    print(f"deepest queue: {stats.deepest} chunks (never above {QUEUE_SIZE})")
    print(
        f"reader done after {stats.reader_seconds:.3f} s; at the sink's pace it needs at least "
        f"{floor:.3f} s ({chunks} - {QUEUE_SIZE} chunks x {ms:g} ms)"
    )
    print(f"copy done after {elapsed:.3f} s; the sink alone takes {chunks * SINK_DELAY:.3f} s")
    paced = stats.reader_seconds >= floor - 0.001  # allow for the clock's rounding
    print(f"the reader ran at the sink's pace: {paced}")
    ok = sink.written == SIZE and stats.deepest <= QUEUE_SIZE and paced
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    return asyncio.run(run(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
