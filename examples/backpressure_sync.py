"""The sync twin of backpressure.py: a bounded queue.Queue between iter_bytes() and a writer thread.

The main thread reads; a writer thread feeds the slow sink. ``iter_bytes()`` reads the next
chunk only when the loop asks for it, and the loop asks only after ``queue.put()`` returns,
which it does only when the writer has made room. So the download runs at the sink's pace and
at most ``QUEUE_SIZE`` chunks wait in memory, whatever the body size.

A thread cannot be cancelled, so a failing writer must not leave the reader blocked on a full
queue: it sets ``stop`` and empties the queue, the reader sees ``stop`` after its next put and
leaves the loop, the ``with`` block closes the response, and the writer's error is re-raised.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import axios_python

USAGE = """\
usage: python examples/backpressure_sync.py BASE_URL

BASE_URL must serve GET /stream-bytes/<n> (for example https://httpbin.org,
or a local test server such as http://127.0.0.1:8000)."""

SIZE = 50_000
CHUNK_SIZE = 4096
QUEUE_SIZE = 4
SINK_DELAY = 0.01  # seconds the "slow disk" takes per chunk

_DONE = b""  # iter_bytes never yields an empty chunk, so b"" can mark the end


class Sink(Protocol):
    def write(self, chunk: bytes) -> None: ...


class SlowSink:
    def __init__(self, delay: float = SINK_DELAY) -> None:
        self.delay = delay
        self.written = 0

    def write(self, chunk: bytes) -> None:
        time.sleep(self.delay)
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


def pump(
    response: axios_python.Response,
    sink: Sink,
    *,
    maxsize: int = QUEUE_SIZE,
    chunk_size: int = CHUNK_SIZE,
    stats: Stats | None = None,
) -> Stats:
    """Copy the body into ``sink`` through a queue of ``maxsize`` chunks (0 would be unbounded)."""
    stats = stats if stats is not None else Stats()
    chunks: queue.Queue[bytes] = queue.Queue(maxsize=maxsize)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            while (chunk := chunks.get()) != _DONE:
                sink.write(chunk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            stop.set()  # tell the reader, then unblock a put() it may be waiting in
            with contextlib.suppress(queue.Empty):
                while True:
                    chunks.get_nowait()

    def put(item: bytes) -> None:
        chunks.put(item)  # waits while the queue is full: this is the backpressure
        stats.puts += 1
        stats.deepest = max(stats.deepest, chunks.qsize())
        stats.reader_seconds = time.monotonic() - start

    start = time.monotonic()
    thread = threading.Thread(target=writer, name="backpressure-writer")
    thread.start()
    try:
        for chunk in response.iter_bytes(chunk_size):
            put(chunk)
            if stop.is_set():  # the writer has failed: stop reading
                break
    finally:
        if not stop.is_set():
            put(_DONE)  # the end, or the reader failed: either way the writer must finish
        thread.join()
    if errors:
        raise errors[0]
    return stats


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    url = argv[1].rstrip("/") + f"/stream-bytes/{SIZE}"
    sink = SlowSink()
    with axios_python.get(url, stream=True) as response:
        response.raise_for_status()
        start = time.monotonic()
        stats = pump(response, sink)
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


if __name__ == "__main__":
    sys.exit(main(sys.argv))
