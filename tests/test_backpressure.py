"""Backpressure end to end: a bounded queue between a stream and a slow sink holds the reader,
and through TCP flow control the server, to the sink's pace, with flat memory. Sync and async.

The consumers are the ``pump()`` functions of examples/backpressure.py (asyncio.Queue and two
tasks) and examples/backpressure_sync.py (queue.Queue and a writer thread), unchanged. A
raw-socket server offers a 64 MiB body as fast as the socket allows and counts the bytes the
kernel has accepted from it. The sink sleeps per chunk and records, after every chunk, that
count and the process's RSS. It ends the copy after ``STOP_AFTER`` chunks by raising, which is
the failing-sink path too: the reader must then be stopped and the connection released.

The negative controls feed the same measurements from two broken consumers (an unbounded queue,
and a body read into memory before streaming) and require the checks to fail, so the checks
are known to be able to fail. They run last, and every RSS baseline first hands freed memory
back to the OS, since buffering 64 MiB can leave the heap bigger and reusing it hides growth.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import gc
import importlib.util
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from rawserver import Connection, Handler, RawServer, response_head, servers

import axios_python

KiB = 1024
MiB = 1024 * KiB

BODY = 64 * MiB
BLOCK = bytes(64 * KiB)  # every body byte is cut from this: the server itself stays cheap
CHUNK = 64 * KiB
QUEUE = 8
DELAY = 0.002  # the sink's time per chunk: 32 MiB/s, far below what loopback carries
STOP_AFTER = 256  # chunks the sink consumes before it ends the copy: 16 MiB
IN_FLIGHT = 16 * MiB
"""What the server may have sent beyond what the sink consumed: the kernel's socket buffers,
httpx's reads, the queue and the chunk in the reader's hand, never the body."""
RSS_BOUND = 16 * MiB
CLOCK_SLACK = 0.001  # seconds: asyncio may round a timer by up to the clock's resolution

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str) -> ModuleType:
    """Import an example script as a module (registered first, as dataclasses require)."""
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async_example = _load("backpressure")
sync_example = _load("backpressure_sync")


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    """``serve(handler)`` starts a RawServer, closed (its threads joined) after the test."""
    with servers() as start:
        yield start


def _firehose(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Content-Length": str(BODY)}))
    if conn.send_repeated(BLOCK, BODY):  # as fast as the client lets it
        conn.stall(10)  # all sent (a client that buffered it): wait to see the peer close


def rss() -> int | None:
    """The process's resident set size in bytes, or None where /proc is not available."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def baseline_rss() -> int | None:
    """RSS after handing memory freed by earlier tests back to the OS, so that reusing it
    cannot hide growth (``malloc_trim`` is glibc's; elsewhere this is plain RSS)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
    return rss()


class Enough(Exception):
    """Raised by the sink to end the copy early, as a failing sink would."""


@dataclass
class Sample:
    consumed: int  # bytes the sink has consumed
    sent: int  # bytes the server had managed to send by then
    rss: int | None


@dataclass
class Meter:
    """The sink's bookkeeping, shared by the sync and the async sink."""

    conn: Connection
    stop_after: int
    hold_first: bool = False
    """Hold the first chunk until the server has sent the whole body: the moment
    a consumer that reads ahead is easiest to catch. Negative controls only; 10 s at most."""
    baseline: int | None = field(default_factory=baseline_rss)
    samples: list[Sample] = field(default_factory=list)
    consumed: int = 0

    def holding(self, deadline: float) -> bool:
        return (
            self.hold_first
            and not self.samples
            and self.conn.bytes_sent < BODY
            and time.monotonic() < deadline
        )

    def record(self, chunk: bytes) -> None:
        self.consumed += len(chunk)
        self.samples.append(Sample(self.consumed, self.conn.bytes_sent, rss()))
        if len(self.samples) >= self.stop_after:
            raise Enough

    @property
    def rss_growth(self) -> int | None:
        sizes = [s.rss for s in self.samples if s.rss is not None]
        return None if self.baseline is None or not sizes else max(sizes) - self.baseline


class SyncSink(Meter):
    def write(self, chunk: bytes) -> None:
        deadline = time.monotonic() + 10
        while self.holding(deadline):
            time.sleep(0.005)
        time.sleep(DELAY)
        self.record(chunk)


class AsyncSink(Meter):
    async def write(self, chunk: bytes) -> None:
        deadline = time.monotonic() + 10
        while self.holding(deadline):
            await asyncio.sleep(0.005)
        await asyncio.sleep(DELAY)
        self.record(chunk)


@dataclass
class Run:
    stats: Any  # the example's Stats: puts, deepest, reader_seconds
    sink: Meter
    conn: Connection
    closed: bool  # the response reports itself closed after the with block
    released: bool | None  # the server saw the client close while the response was still
    # referenced (so closing it did that, not the garbage collector); None: not checked


PUMP_LIMIT = 10.0  # seconds; a pump that deadlocks (say, a reader left on a full queue) fails


def within(seconds: float, func: Callable[[], object]) -> None:
    """Run the sync pump in a daemon thread so that a deadlock fails the test, not hangs it."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            func()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="backpressure-pump", daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"pump() still running after {seconds} s: a deadlock?"
    if errors:
        raise errors[0]


def consume(
    mode: str,
    server: RawServer,
    *,
    maxsize: int = QUEUE,
    read_first: bool = False,
    hold_first: bool = False,
    stop_after: int = STOP_AFTER,
    check_release: bool = True,
) -> Run:
    """Stream the firehose through the example's pump() until the sink has had enough."""
    if mode == "sync":
        stats = sync_example.Stats()
        with axios_python.get(server.url, stream=True, timeout=10) as r:
            r.raise_for_status()
            conn = server.wait_connection()
            sink = SyncSink(conn, stop_after, hold_first)  # the RSS baseline is taken here
            if read_first:
                r.read()  # the pitfall: the whole body in memory, then "streamed" from there
            with pytest.raises(Enough):
                copy = functools.partial(
                    sync_example.pump, r, sink, maxsize=maxsize, chunk_size=CHUNK, stats=stats
                )
                within(PUMP_LIMIT, copy)
        released = conn.peer_closed.wait(2) if check_release else None
        return Run(stats, sink, conn, r.is_closed, released)

    async def go() -> Run:
        stats = async_example.Stats()
        async with axios_python.async_get(server.url, stream=True, timeout=10) as r:
            r.raise_for_status()
            conn = server.wait_connection()
            sink = AsyncSink(conn, stop_after, hold_first)
            if read_first:
                await r.aread()
            copy = async_example.pump(r, sink, maxsize=maxsize, chunk_size=CHUNK, stats=stats)
            with pytest.raises(Enough):
                await asyncio.wait_for(copy, PUMP_LIMIT)  # a deadlock fails, it does not hang
        released = await asyncio.to_thread(conn.peer_closed.wait, 2) if check_release else None
        return Run(stats, sink, conn, r.is_closed, released)

    return asyncio.run(go())


def violations(run: Run) -> dict[str, str]:
    """Each check that failed, with the figures; empty when backpressure held."""
    found = {}
    stats, samples = run.stats, run.sink.samples
    if stats.deepest > QUEUE:  # (a)
        found["queue"] = f"{stats.deepest} chunks waited in a queue of {QUEUE}"
    for k, sample in enumerate(samples, 1):  # (b)
        if sample.sent > sample.consumed + IN_FLIGHT:
            found["in flight"] = (
                f"after {k} chunks ({sample.consumed / MiB:.1f} MiB) the server had sent "
                f"{sample.sent / MiB:.1f} MiB"
            )
            break
    floor = async_example.floor_seconds(stats.puts, QUEUE, DELAY)  # (c)
    if stats.reader_seconds < floor - CLOCK_SLACK:
        found["pace"] = (
            f"the reader queued {stats.puts} chunks in {stats.reader_seconds:.3f} s; "
            f"at the sink's pace that takes at least {floor:.3f} s"
        )
    if stats.puts > len(samples) + QUEUE + 1:
        found["ahead"] = f"the reader queued {stats.puts} chunks, the sink took {len(samples)}"
    growth = run.sink.rss_growth  # (d)
    if growth is not None and growth > RSS_BOUND:
        found["rss"] = f"RSS grew by {growth / MiB:.1f} MiB"
    return found


def summary(run: Run) -> str:
    last = run.sink.samples[-1]
    growth = run.sink.rss_growth
    rss_text = "n/a" if growth is None else f"{growth / MiB:.2f} MiB"
    return (
        f"consumed {last.consumed / MiB:.1f} MiB, server sent {last.sent / MiB:.1f} MiB "
        f"(max ahead {max(s.sent - s.consumed for s in run.sink.samples) / MiB:.2f} MiB), "
        f"deepest {run.stats.deepest}/{QUEUE}, reader {run.stats.reader_seconds:.3f} s for "
        f"{run.stats.puts} chunks, RSS growth {rss_text}"
    )


def test_the_reader_runs_at_the_sink_pace_with_flat_memory(serve: Any, mode: str) -> None:
    server = serve(_firehose)
    run = consume(mode, server)
    print(f"[{mode}] {summary(run)}")
    assert violations(run) == {}, summary(run)
    samples = run.sink.samples
    assert len(samples) == STOP_AFTER
    assert samples[-1].consumed == STOP_AFTER * CHUNK
    assert samples[-1].sent >= samples[-1].consumed  # the count is live, not stuck at zero
    assert samples[-1].sent < BODY // 2  # far from the whole body
    # the copy ended early (the sink raised): the reader stopped and the connection is released
    assert run.closed
    assert run.released, "the server never saw the client close"
    assert run.conn.bytes_sent < BODY


def test_the_sink_error_propagates_and_the_stream_is_released_quickly(
    serve: Any, mode: str
) -> None:
    """A sink failing at its first chunk: no deadlock on the full queue, nothing keeps reading."""
    server = serve(_firehose)
    started = time.monotonic()
    run = consume(mode, server, stop_after=1)
    assert time.monotonic() - started < 2
    assert run.stats.puts <= 1 + QUEUE + 1
    assert run.closed
    assert run.released
    assert run.conn.bytes_sent < IN_FLIGHT


# -- negative controls: broken consumers must fail the same checks -----------------------------

BROKEN: dict[str, tuple[dict[str, Any], set[str]]] = {
    "unbounded_queue": ({"maxsize": 0}, {"queue", "in flight", "pace", "ahead", "rss"}),
    "body_read_first": ({"read_first": True}, {"in flight", "rss"}),
}


@pytest.mark.parametrize("broken", list(BROKEN))
def test_the_checks_catch_a_consumer_that_reads_ahead(serve: Any, mode: str, broken: str) -> None:
    options, expected = BROKEN[broken]
    if rss() is None:
        expected = expected - {"rss"}
    server = serve(_firehose)
    # (a consumer that read the whole body may rightly keep the connection for reuse)
    run = consume(mode, server, hold_first=True, stop_after=4, check_release=False, **options)
    print(f"[{mode}, {broken}] {summary(run)}")
    assert set(violations(run)) == expected, violations(run)
    assert run.closed
