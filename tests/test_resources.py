"""Resources under streaming: backpressure reaches the server, early exits leak nothing, and
memory stays flat whatever the body size. Each case sync and async.

Memory is measured in fresh subprocesses (``ru_maxrss``), never in the test process; the
servers run in the test process, so their buffers never count against the client.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pools import pooled_connections
from rawserver import Connection, Handler, RawServer, keep_alive, response_head, servers

import axios_python

MODES = ["sync", "async"]


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    """``serve(handler)`` starts a RawServer, closed (its threads joined) after the test."""
    with servers() as start:
        yield start


KiB = 1024
MiB = 1024 * KiB


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def run_child(
    code: str, *args: str, flags: tuple[str, ...] = (), timeout: float = 60
) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it prints one JSON line as its last output."""
    result = subprocess.run(
        [sys.executable, *flags, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=os.path.dirname(__file__),  # import the installed package, as a user would
    )
    assert result.returncode == 0, f"child failed:\n{result.stdout}\n{result.stderr}"
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    report["stderr"] = result.stderr
    return report


# -- 8. backpressure: a slow reader slows the server down ------------------------------------

FIREHOSE_BODY = 64 * MiB
BACKPRESSURE_BOUND = 16 * MiB
"""What may be in flight when the client stops reading: socket buffers, never the body."""
BLOCK = bytes(64 * KiB)


def _firehose(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Content-Length": str(FIREHOSE_BODY)}))
    conn.send_repeated(BLOCK, FIREHOSE_BODY)  # as fast as the client lets it


def _settle(conn: Connection, quiet: float = 0.25, limit: float = 5.0) -> int:
    """The server's byte count once it has stopped moving (the server is blocked)."""
    last, still_since, deadline = -1, time.monotonic(), time.monotonic() + limit
    while time.monotonic() < deadline:
        now = conn.bytes_sent
        if now != last:
            last, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= quiet:
            break
        time.sleep(0.02)
    return conn.bytes_sent


SLOW_CHUNKS = 16
SLOW_CHUNK = 64 * KiB


def test_backpressure_reaches_the_server_sync(serve: Any) -> None:
    server = serve(_firehose)
    consumed = 0
    with axios_python.get(server.url, stream=True, timeout=10) as r:
        chunks = r.iter_bytes(SLOW_CHUNK)
        for _ in range(SLOW_CHUNKS):
            consumed += len(next(chunks))
            time.sleep(0.01)  # a slow sink
        # stop reading, but keep the stream open: the server must now be blocked
        sent = _settle(server.wait_connection())
    assert consumed == SLOW_CHUNKS * SLOW_CHUNK
    assert consumed <= sent < BACKPRESSURE_BOUND, (
        f"the server sent {sent / MiB:.1f} MiB while the client read {consumed / MiB:.1f} MiB"
    )
    assert server.wait_connection().peer_closed.wait(2)


async def test_backpressure_reaches_the_server_async(serve: Any) -> None:
    server = serve(_firehose)
    consumed = 0
    async with axios_python.async_get(server.url, stream=True, timeout=10) as r:
        chunks = r.aiter_bytes(SLOW_CHUNK)
        for _ in range(SLOW_CHUNKS):
            consumed += len(await chunks.__anext__())
            await asyncio.sleep(0.01)  # a slow sink
        conn = server.wait_connection()
        last, still_since = -1, time.monotonic()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the loop keeps running while we watch
            if conn.bytes_sent != last:
                last, still_since = conn.bytes_sent, time.monotonic()
            elif time.monotonic() - still_since >= 0.25:
                break
            await asyncio.sleep(0.02)
        sent = conn.bytes_sent
        await chunks.aclose()
    assert consumed == SLOW_CHUNKS * SLOW_CHUNK
    assert consumed <= sent < BACKPRESSURE_BOUND, (
        f"the server sent {sent / MiB:.1f} MiB while the client read {consumed / MiB:.1f} MiB"
    )
    # waited for off the loop: an asyncio transport closes its socket on the loop's next turn
    assert await asyncio.to_thread(server.wait_connection().peer_closed.wait, 2)


# -- 9. a thousand early exits leak no connection and no file ---------------------------------

EARLY_BODY = bytes(128 * KiB)
ROUNDS = 1000
WARMUP = 100


def _big_response(conn: Connection, head: bytes) -> bool:
    return conn.send(response_head(200, {"Content-Length": str(len(EARLY_BODY))}) + EARLY_BODY)


def _pool_size(clients: Any) -> int:
    """Connections held in the httpx pools of an instance's clients."""
    clients = list(clients.values())
    assert clients, "the instance made no client"
    return sum(pooled_connections(client) for client in clients)


def _sample(server: RawServer, pool: Callable[[], int]) -> tuple[int, int]:
    # the server runs in this process: let it close its side so only the client's fds count
    server.wait_idle(2)
    return open_fds(), pool()


def test_early_break_leaks_nothing_sync(serve: Any) -> None:
    server = serve(keep_alive(_big_response))
    api = axios_python.create(timeout=5)
    try:
        samples = []
        for index in range(1, ROUNDS + 1):
            with api.get(server.url, stream=True) as r:
                for chunk in r.iter_bytes(1024):
                    assert len(chunk) == 1024
                    break
            if index in (WARMUP, ROUNDS):
                samples.append(_sample(server, lambda: _pool_size(api._clients)))
    finally:
        api.close()
    (fds_warm, pool_warm), (fds_end, pool_end) = samples
    assert fds_end - fds_warm <= 3, f"open files grew from {fds_warm} to {fds_end}"
    assert pool_end - pool_warm <= 1 and pool_end <= 2, f"pool grew {pool_warm} -> {pool_end}"
    assert len(server.connections) >= ROUNDS // 2  # sanity: the exchanges really happened


async def test_early_break_leaks_nothing_async(serve: Any) -> None:
    server = serve(keep_alive(_big_response))
    api = axios_python.create(timeout=5)
    loop = asyncio.get_running_loop()
    try:
        samples = []
        for index in range(1, ROUNDS + 1):
            async with api.async_get(server.url, stream=True) as r:
                async for chunk in r.aiter_bytes(1024):
                    assert len(chunk) == 1024
                    break
            if index in (WARMUP, ROUNDS):
                samples.append(_sample(server, lambda: _pool_size(api._async_clients[loop])))
    finally:
        await api.aclose()
    (fds_warm, pool_warm), (fds_end, pool_end) = samples
    assert fds_end - fds_warm <= 3, f"open files grew from {fds_warm} to {fds_end}"
    assert pool_end - pool_warm <= 1 and pool_end <= 2, f"pool grew {pool_warm} -> {pool_end}"
    assert len(server.connections) >= ROUNDS // 2


# -- 10. a thousand asyncio.run(async_get(url)) leave nothing behind --------------------------

RUNS_CHILD = textwrap.dedent(
    """
    import asyncio, gc, json, os, sys, warnings
    import axios_python

    url, rounds, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    unraisable = []
    sys.unraisablehook = lambda u: unraisable.append(f"{u.exc_type.__name__}: {u.exc_value}")
    caught = []
    warnings.showwarning = lambda message, category, *rest: caught.append(
        f"{category.__name__}: {message}"
    )

    def fds():
        return len(os.listdir("/proc/self/fd"))

    samples = {}
    for index in range(1, rounds + 1):
        r = asyncio.run(axios_python.async_get(url))
        assert r.status == 200 and r.content == b"ok", (r.status, r.content)
        if index in (warmup, rounds):
            samples[index] = fds()
    gc.collect()
    print(json.dumps({
        "warm": samples[warmup], "end": samples[rounds], "after_gc": fds(),
        "unraisable": unraisable, "warnings": caught,
    }))
    """
)


def _ok(conn: Connection, head: bytes) -> bool:
    return conn.send(response_head(200, {"Content-Length": "2"}) + b"ok")


def test_thousand_asyncio_runs_leave_nothing_behind(serve: Any) -> None:
    server = serve(keep_alive(_ok))
    report = run_child(
        RUNS_CHILD, server.url, str(ROUNDS), str(WARMUP), flags=("-W", "error::ResourceWarning")
    )
    assert report["end"] - report["warm"] <= 3, report
    assert report["after_gc"] - report["warm"] <= 3, report
    assert report["unraisable"] == [], report["unraisable"][:5]
    assert report["warnings"] == [], report["warnings"][:5]
    assert "ResourceWarning" not in report["stderr"], report["stderr"][-2000:]
    assert len(server.connections) == ROUNDS  # one connection per loop, each one closed
    assert server.wait_idle(5), f"{server.live_connections} connections were left open"


# -- 11. peak RSS does not depend on the body size -----------------------------------------------

STREAM_CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    import axios_python

    url, mode, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    received = 0

    def sync_call():
        global received
        with axios_python.get(url, stream=True, timeout=30) as r:
            for chunk in r.iter_bytes(65536):
                received += len(chunk)

    async def async_call():
        global received
        async with axios_python.async_get(url, stream=True, timeout=30) as r:
            async for chunk in r.aiter_bytes(65536):
                received += len(chunk)

    sync_call() if mode == "sync" else asyncio.run(async_call())
    assert received == size, (received, size)
    with open("/proc/self/status") as status:  # VmHWM: ru_maxrss would include the parent's
        peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"peak": peak, "received": received}))
    """
)

SOURCE_BLOCK = bytes(1 * MiB)  # preallocated; every body is cut from it


def _sized_body(conn: Connection, head: bytes) -> bool:
    size = int(head.split(b" ", 2)[1].rsplit(b"/", 1)[1])
    conn.send(response_head(200, {"Content-Length": str(size)}))
    return conn.send_repeated(SOURCE_BLOCK, size)


@pytest.mark.parametrize("mode", MODES)
def test_peak_rss_is_flat_in_body_size(serve: Any, mode: str) -> None:
    server = serve(keep_alive(_sized_body))
    small, large = 1 * MiB, 256 * MiB
    peaks = {}
    for size in (small, large):
        report = run_child(STREAM_CHILD, f"{server.url}{size}", mode, str(size))
        assert report["received"] == size
        peaks[size] = report["peak"]
    growth = peaks[large] - peaks[small]
    assert growth <= 8 * MiB, (
        f"peak RSS {peaks[large] / MiB:.1f} MiB for 256 MiB vs {peaks[small] / MiB:.1f} MiB "
        f"for 1 MiB"
    )


async def test_a_cancel_during_aclose_still_releases_the_connection(
    serve: Any, default_transport: str
) -> None:
    """A web framework cancels a handler whose client hung up, sometimes while the handler is
    already closing its upstream response: the close must finish anyway. (Our own transport
    closes without waiting, so there the cancel only lands after the handler is done.)"""
    server = serve(_firehose)
    api = axios_python.create()

    async def handler() -> None:
        async with api.async_get(server.url, stream=True, timeout=10) as r:
            async for _chunk in r.aiter_bytes():
                break
            task = asyncio.current_task()
            assert task is not None
            asyncio.get_running_loop().call_soon(task.cancel)  # lands inside aclose()

    task = asyncio.create_task(handler())
    if default_transport == "httpx":  # httpcore's close waits: the cancel lands inside it
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        await task
    conn = server.wait_connection()
    assert await asyncio.to_thread(conn.peer_closed.wait, 2), "the connection was never closed"
    await api.aclose()
