"""axios_python's own async HTTP/1.1 transport against a raw asyncio loop, httpx and aiohttp.

    python benchmarks/bench_transport_async.py [--size 1GiB | --quick] [--repeat 3]
        [--gets 2000] [--skip stream small] [--json out.json] [--profile]

The same local keep-alive server as bench.py (``benchlib.Server``, in its own process, pinned
to another CPU than the clients when there are two). Async clients only, all on one event
loop:

(a) streaming one big body (``--size``, 1 GiB; ``--quick``: 256 MiB) in 65536-byte chunks,
    MiB/s: a raw ``loop.sock_recv_into`` loop (the limit), httpx.AsyncClient,
    httpx.AsyncClient(transport=AsyncHTTPTransport()), axios_python streaming with
    ``transport=AsyncHTTPTransport()``, and aiohttp;
(b) small GETs (``--gets`` per sample, awaited in sequence) on one reused client, requests/s:
    the same clients, plus ``AsyncHTTPTransport.handle_async_request`` called directly (one
    prepared request, the body iterated off the stream) to separate the transport's own
    cost from httpx.AsyncClient's.

Every repeat runs every client once, the order rotated (``benchlib.round_robin``); medians,
and each client's median over the raw loop's, httpx's and aiohttp's, are printed.
``--profile`` then profiles (cProfile) the small GETs of the transport alone and through
httpx.AsyncClient and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # the streaming and small-GET functions of the main benchmark
from benchlib import (
    Contender,
    MiB,
    Series,
    Server,
    finish_run,
    fixed_work,
    human,
    parse_size,
    pin_clients,
    print_header,
    round_robin,
    run_header,
    timed,
    write_json,
)

TIMEOUT = 60.0


@dataclass
class Clients:
    """One reused client per contender on ``loop``, named as bench.py's functions expect."""

    loop: asyncio.AbstractEventLoop
    httpx_async: Any = None
    httpx_fast: Any = None
    axios_fast: Any = None
    aiohttp: Any = None
    transport: Any = None  # an AsyncHTTPTransport of its own, driven directly

    @classmethod
    def open(cls) -> Clients:
        import aiohttp
        import httpx

        import axios_python
        from axios_python.transports import AsyncHTTPTransport

        clients = cls(asyncio.new_event_loop())

        async def make() -> None:  # aiohttp wants a running loop
            clients.httpx_async = httpx.AsyncClient(timeout=TIMEOUT, trust_env=False)
            clients.httpx_fast = httpx.AsyncClient(
                timeout=TIMEOUT, trust_env=False, transport=AsyncHTTPTransport()
            )
            clients.axios_fast = axios_python.create(
                timeout=TIMEOUT, trust_env=False, transport=AsyncHTTPTransport()
            )
            clients.aiohttp = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None),
                connector=aiohttp.TCPConnector(limit=100),
            )
            clients.transport = AsyncHTTPTransport()

        clients.loop.run_until_complete(make())
        return clients

    def close(self) -> None:
        async def close_async() -> None:
            await self.httpx_async.aclose()
            await self.httpx_fast.aclose()
            await self.axios_fast.aclose()
            await self.aiohttp.close()
            await self.transport.aclose()

        self.loop.run_until_complete(close_async())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


@dataclass
class As:
    """bench.py's functions read ``c.httpx_async`` / ``c.axios``: hand them another client."""

    httpx_async: Any = None
    axios: Any = None


async def stream_httpx_fast(c: Clients, url: str) -> int:
    return await bench.stream_httpx_async(As(httpx_async=c.httpx_fast), url)  # type: ignore[arg-type]


async def stream_axios_fast(c: Clients, url: str) -> int:
    return await bench.stream_axios_async(As(axios=c.axios_fast), url)  # type: ignore[arg-type]


async def gets_httpx_fast(c: Clients, url: str, count: int) -> int:
    return await bench.gets_httpx_async(As(httpx_async=c.httpx_fast), url, count)  # type: ignore[arg-type]


async def gets_axios_fast(c: Clients, url: str, count: int) -> int:
    return await bench.gets_axios_async(As(axios=c.axios_fast), url, count)  # type: ignore[arg-type]


async def gets_transport(c: Clients, url: str, count: int) -> int:
    """The transport alone: one prepared request sent ``count`` times, each body read off
    the response stream (no httpx.AsyncClient, no decoders)."""
    import httpx

    request = httpx.Request("GET", url, extensions={"timeout": httpx.Timeout(TIMEOUT).as_dict()})
    handle = c.transport.handle_async_request
    total = 0
    for _ in range(count):
        response = await handle(request)
        async for piece in response.stream:
            total += len(piece)
        await response.aclose()
    return total


RAW = "raw_async"
STREAMING = (
    Contender("axios_fast", "axios_python + AsyncHTTPTransport", "async", stream_axios_fast),
    Contender("httpx_fast", "httpx.AsyncClient + AsyncHTTPTransp.", "async", stream_httpx_fast),
    Contender("httpx_async", "httpx.AsyncClient", "async", bench.stream_httpx_async),
    Contender("aiohttp", "aiohttp iter_chunked", "async", bench.stream_aiohttp),
    Contender(RAW, "raw asyncio sock_recv_into", "async", bench.stream_raw_async),
)
SMALL = (
    Contender("transport", "AsyncHTTPTransport alone", "async", gets_transport),
    Contender("axios_fast", "axios_python + AsyncHTTPTransport", "async", gets_axios_fast),
    Contender("httpx_fast", "httpx.AsyncClient + AsyncHTTPTransp.", "async", gets_httpx_fast),
    Contender("httpx_async", "httpx.AsyncClient", "async", bench.gets_httpx_async),
    Contender("aiohttp", "aiohttp.ClientSession.get", "async", bench.gets_aiohttp),
)
REFS = {RAW: "/raw", "httpx_async": "/httpx", "aiohttp": "/aiohttp"}


def summarize(series: dict[str, Series]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for key, one in series.items():
        rows[key] = {
            "label": one.label,
            "unit": one.unit,
            "median": one.median,
            "min": min(one.samples),
            "max": max(one.samples),
            "samples": one.samples,
        }
        for ref in REFS:
            if ref in series:
                rows[key][f"vs_{ref}"] = one.median / series[ref].median
    return rows


def table(title: str, rows: dict[str, Any], decimals: int) -> list[str]:
    refs = [ref for ref in REFS if ref in rows]
    lines = [
        title,
        f"  {'client':<38}{'median':>10}{'min':>10}{'max':>10}"
        + "".join(f"{REFS[ref]:>10}" for ref in refs),
    ]
    for row in rows.values():
        cells = "".join(f"{row[f]:>10,.{decimals}f}" for f in ("median", "min", "max"))
        cells += "".join(f"{row[f'vs_{ref}']:>10.3f}" for ref in refs)
        lines.append(f"  {row['label']:<38}{cells}")
    return lines


def profile(clients: Clients, url: str, count: int) -> list[str]:
    """Where the time of ``count`` small GETs goes: the transport alone, then through
    httpx.AsyncClient (cProfile, top functions by own time)."""
    lines = []
    for contender in (SMALL[0], SMALL[2]):
        profiler = cProfile.Profile()
        profiler.enable()
        timed(clients, contender, url, count)
        profiler.disable()
        stats = pstats.Stats(profiler)
        total = stats.total_tt  # type: ignore[attr-defined]
        lines.append(f"profile: {contender.label}, {count} GETs ({total / count * 1e6:.1f} us/GET "
                     "under cProfile), top functions by own time:")  # fmt: skip
        rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])  # type: ignore[attr-defined]
        for (filename, line, name), (_, calls, own, cumulative, _) in rows[:18]:
            where = f"{os.path.basename(filename)}:{line} {name}"
            lines.append(
                f"  {own / count * 1e6:7.2f} us/GET own {cumulative / count * 1e6:7.2f} cum "
                f"{calls / count:5.1f} calls/GET  {where}"
            )
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add = parser.add_argument
    add("--size", type=parse_size, default=None, help="streamed body (1GiB)")
    add("--quick", action="store_true", help="256 MiB streamed unless --size is given")
    add("--repeat", type=int, default=3, help="samples per client (3)")
    add("--gets", type=int, default=2000, help="small GETs per sample (2000)")
    add("--skip", nargs="+", default=[], choices=["stream", "small"])
    add("--profile", action="store_true", help="profile the small GETs afterwards")
    add("--json", metavar="PATH", help="also write the results as JSON to PATH")
    add("--no-pin", action="store_true", help="do not pin server and client to separate CPUs")
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = parse_size("256MiB" if args.quick else "1GiB")
    if min(args.repeat, args.gets) < 1:
        parser.error("--repeat and --gets must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server_cpu = pin_clients(args.no_pin)
    started = time.perf_counter()
    results: dict[str, Any] = {
        **run_header(),
        "params": {
            "size": args.size,
            "repeat": args.repeat,
            "gets": args.gets,
            "chunk_size": bench.CHUNK,
            "pinned": server_cpu is not None,
        },
    }
    print_header(results)
    server = Server(server_cpu)
    clients = Clients.open()
    lines: list[str] = []
    try:
        if "stream" not in args.skip:
            for contender in STREAMING:  # warm up: connections, imports, caches
                timed(clients, contender, server.url(f"/bytes/{MiB}"))
            print(f"(a) streaming {human(args.size)}: MiB/s per sample", flush=True)
            work = fixed_work((server.url(f"/bytes/{args.size}"),), args.size / MiB, args.size)
            results["stream"] = summarize(
                round_robin(clients, STREAMING, args.repeat, "MiB/s", work)
            )
            lines += table(f"(a) stream {human(args.size)}, MiB/s", results["stream"], 0)
        if "small" not in args.skip:
            url = server.url("/small")
            for contender in SMALL:  # warm every client's connection first
                timed(clients, contender, url, bench.WARM_GETS)
            print(f"(b) {args.gets} small GETs: requests/s per sample", flush=True)
            expect = args.gets * len(bench.SMALL_BODY)
            work = fixed_work((url, args.gets), args.gets, expect)
            results["small"] = summarize(round_robin(clients, SMALL, args.repeat, "req/s", work))
            lines += table("(b) small GETs, one connection, requests/s", results["small"], 0)
            if args.profile:
                lines += profile(clients, url, args.gets)
    finally:
        clients.close()
        server.close()
    finish_run(results, started)
    print("\n".join(lines))
    if args.json:
        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
