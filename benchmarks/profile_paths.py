"""Where axios_python spends time relative to httpx: cProfile and a step-by-step timer.

    python benchmarks/profile_paths.py [small|stream|steps|layer|all] [--gets 3000] [--size 256MiB]

``small``: cProfile of N buffered GETs, axios_python vs httpx, sync and async, listing the
functions where axios_python spends time that httpx does not. ``stream``: the same for one big
streamed body. ``steps``: wall-clock per step of ``Axios.request`` (no profiler overhead)
next to httpx's own ``build_request`` / ``send`` / ``read``. Uses bench.py's server.
``layer``: axios_python over a transport that answers at once (no I/O, no server): what
its layers and httpx's models cost per call, then a profile of each kind.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import os
import pstats
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench
import benchlib


def profile(label: str, fn: Callable[[], Any], filters: tuple[str, ...], top: int) -> float:
    gc.collect()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    fn()
    profiler.disable()
    wall = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(f"===== {label}: {wall:.3f} s under the profiler")
    for pattern in filters:
        stats.sort_stats("cumulative").print_stats(pattern, top)
    stats.sort_stats("tottime").print_stats(top)
    text = "\n".join(
        line for line in out.getvalue().splitlines() if line.strip() and "List reduced" not in line
    )
    print(text)
    return wall


def small(server: benchlib.Server, count: int, top: int) -> None:
    import httpx

    import axios_python

    url = server.url("/small")
    api = axios_python.create(timeout=60, trust_env=False)
    client = httpx.Client(timeout=60, trust_env=False)
    for _ in range(200):
        api.get(url)
        client.get(url)
    ours = ("axios_python",)
    theirs = (r"httpx/_client\.py",)
    profile(
        f"axios_python sync: {count} x api.get",
        lambda: [api.get(url) for _ in range(count)],
        ours,
        top,
    )
    profile(
        f"httpx sync: {count} x client.get",
        lambda: [client.get(url) for _ in range(count)],
        theirs,
        top,
    )

    # Profile the async runs from outside the loop.
    loop = asyncio.new_event_loop()
    aclient = httpx.AsyncClient(timeout=60, trust_env=False)

    async def warm() -> None:
        for _ in range(200):
            await api.async_get(url)
            await aclient.get(url)

    loop.run_until_complete(warm())

    async def ours_async() -> None:
        for _ in range(count):
            await api.async_get(url)

    async def theirs_async() -> None:
        for _ in range(count):
            await aclient.get(url)

    profile(
        f"axios_python async: {count} x api.async_get",
        lambda: loop.run_until_complete(ours_async()),
        ours,
        top,
    )
    profile(
        f"httpx async: {count} x AsyncClient.get",
        lambda: loop.run_until_complete(theirs_async()),
        theirs,
        top,
    )
    loop.run_until_complete(aclient.aclose())
    loop.run_until_complete(api.aclose())
    loop.close()
    client.close()
    api.close()


def stream(server: benchlib.Server, size: int, top: int) -> None:
    c = bench.Clients.open()
    url = server.url(f"/bytes/{size}")
    try:
        for contender in bench.STREAMING:
            if not contender.key.startswith(("axios", "httpx")):
                continue
            benchlib.timed(c, contender, server.url("/bytes/1048576"))
            if contender.kind == "sync":
                fn: Callable[[], Any] = lambda k=contender: k.run(c, url)  # noqa: E731
            else:
                fn = lambda k=contender: c.loop.run_until_complete(k.run(c, url))  # noqa: E731
            profile(f"{contender.label}, {benchlib.human(size)}", fn, (), top)
    finally:
        c.close()


def steps(server: benchlib.Server, count: int) -> None:
    """Wall-clock per step of Axios.request, interleaved with httpx's steps, no profiler."""
    import httpx

    import axios_python
    from axios_python._deadline import Deadline
    from axios_python._pipeline import build_request, check_status
    from axios_python._response import Response

    url = server.url("/small")
    api = axios_python.create(timeout=60, trust_env=False)
    client = httpx.Client(timeout=60, trust_env=False)
    clock = time.perf_counter
    spent: dict[str, float] = {}

    def add(name: str, seconds: float) -> None:
        spent[name] = spent.get(name, 0.0) + seconds

    def ours() -> None:  # the body of Axios.request, timed step by step
        t0 = clock()
        prepared = api._prepare("GET", url, {})
        t1 = clock()
        raw_client = api._sync_client(prepared)
        t2 = clock()
        request = build_request(raw_client, prepared, is_async=False)
        t3 = clock()
        deadline = Deadline(prepared.timeout.total)
        raw = raw_client.send(
            request,
            stream=True,
            auth=prepared.config.get("auth"),
            follow_redirects=prepared.follow_redirects,
        )
        t4 = clock()
        response = Response(
            raw, prepared, is_async=False, deadline=deadline, elapsed=timedelta(seconds=t4 - t3)
        )
        response._check_declared_length()
        response.read()
        check_status(response, prepared)
        t5 = clock()
        add("axios  1 _prepare (merge_config + prepare)", t1 - t0)
        add("axios  2 _sync_client", t2 - t1)
        add("axios  3 build_request (pipeline -> httpx)", t3 - t2)
        add("axios  4 httpx send(stream=True)", t4 - t3)
        add("axios  5 Response + read + check_status", t5 - t4)

    def theirs() -> None:
        t0 = clock()
        request = client.build_request("GET", url)
        t1 = clock()
        raw = client.send(request, stream=True)
        t2 = clock()
        raw.read()
        raw.close()
        t3 = clock()
        add("httpx  1 build_request (parses the URL)", t1 - t0)
        add("httpx  2 send(stream=True)", t2 - t1)
        add("httpx  3 read + close", t3 - t2)

    for _ in range(300):
        ours()
        theirs()
    spent.clear()
    for _ in range(count):
        ours()
        theirs()
    total = {"axios": 0.0, "httpx": 0.0}
    for name in sorted(spent):
        total[name.split()[0]] += spent[name]
        print(f"  {name:<46} {spent[name] / count * 1e6:8.1f} us")
    for name, seconds in total.items():
        print(f"  {name} per request {seconds / count * 1e6:8.1f} us")
    client.close()
    api.close()


class _Answer:
    """A body stream that is already complete, offered whole as our transports offer a
    body that came with its head (``take_buffered_body``); its close never waits, as
    theirs (so ``Response.aclose`` needs no shielding task)."""

    closes_without_waiting = True

    def __init__(self, body: bytes) -> None:
        self.body: bytes | None = body

    def take_buffered_body(self) -> bytes | None:
        body, self.body = self.body, None
        return body

    def __iter__(self) -> Any:
        if self.body:
            yield self.take_buffered_body()

    async def __aiter__(self) -> Any:
        if self.body:
            yield self.take_buffered_body()

    def close(self) -> None:
        pass

    def close_now(self) -> None:  # what Response.aclose calls on such a stream
        pass

    async def aclose(self) -> None:
        pass


def layer(count: int, top: int) -> None:
    """axios_python over a transport that answers at once, with no I/O: what its layers and
    httpx's models cost per call, sync and async, without the network or our transport."""
    import httpx

    import axios_python

    head = [(b"Content-Type", b"application/octet-stream"), (b"Content-Length", b"13")]

    def answer(request: httpx.Request) -> httpx.Response:
        stream: Any = _Answer(benchlib.SMALL_BODY)
        return httpx.Response(200, headers=head, stream=stream, request=request)

    class Answering(httpx.BaseTransport, httpx.AsyncBaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return answer(request)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return answer(request)

    api = axios_python.create(timeout=60, trust_env=False, transport=Answering())
    url = "http://127.0.0.1:9/small"
    loop = asyncio.new_event_loop()

    def sync_gets(n: int) -> None:
        for _ in range(n):  # each response dropped: a list of them would time the GC too
            api.get(url)

    async def gets(n: int) -> None:
        for _ in range(n):
            await api.async_get(url)

    runs: dict[str, Callable[[int], Any]] = {
        "sync": sync_gets,
        "async": lambda n: loop.run_until_complete(gets(n)),
    }
    for kind, run in runs.items():
        run(500)
        started = time.perf_counter()
        run(count)
        print(f"  {kind}: {(time.perf_counter() - started) / count * 1e6:.1f} us per call")
    for kind, run in runs.items():
        profile(
            f"axios_python {kind} over a no-I/O transport: {count} calls",
            lambda run=run: run(count),  # type: ignore[misc]
            (),
            top,
        )
    loop.close()
    api.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "what", nargs="?", default="all", choices=["small", "stream", "steps", "layer", "all"]
    )
    parser.add_argument("--gets", type=int, default=3000)
    parser.add_argument("--size", type=benchlib.parse_size, default=256 * benchlib.MiB)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) >= 2:
        os.sched_setaffinity(0, {cpus[0]})
    if args.what == "layer":
        print(f"axios_python's layers alone, mean over {args.gets} calls (wall clock)")
        layer(args.gets, args.top)
        return
    server = benchlib.Server(cpus[-1] if len(cpus) >= 2 else None)
    try:
        if args.what in ("steps", "all"):
            print(f"steps of one small GET, mean over {args.gets} (wall clock, no profiler)")
            steps(server, args.gets)
        if args.what in ("small", "all"):
            small(server, args.gets, args.top)
        if args.what in ("stream", "all"):
            stream(server, args.size, args.top)
    finally:
        server.close()


if __name__ == "__main__":
    main()
