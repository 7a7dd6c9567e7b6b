"""axios_python's own HTTP/1.1 transport against a raw socket, requests and httpx (sync).

    python benchmarks/bench_transport.py [--size 1GiB] [--repeat 3] [--gets 2000] [--json out.json]

The same local keep-alive server as bench.py (``benchlib.Server``, in its own process, pinned
to another CPU than the clients when there are two). Sync clients only (the async transport
does not exist yet):

(a) streaming one big body (``--size``, 1 GiB) in 65536-byte chunks, MiB/s: a raw-socket
    ``recv_into`` loop (the limit), requests, httpx.Client,
    httpx.Client(transport=axios_python.transports.HTTPTransport()), and axios_python with
    its default (httpx) transport and with ``transport=HTTPTransport()``;
(b) small GETs (``--gets`` per sample) on one reused client, requests/s (skip with
    ``--skip small``).

Every repeat runs every client once, the order rotated (``benchlib.round_robin``); medians,
and each client's median over the raw loop's, requests' and httpx.Client's, are printed.
"""

from __future__ import annotations

import argparse
import os
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
    write_json,
)

TIMEOUT = 60.0


@dataclass
class Clients:
    """One reused client per contender, named as bench.py's functions expect them."""

    requests: Any
    httpx_sync: Any
    httpx_fast: Any
    axios: Any
    axios_fast: Any

    @classmethod
    def open(cls) -> Clients:
        import httpx
        import requests

        import axios_python
        from axios_python.transports import HTTPTransport

        session = requests.Session()
        session.trust_env = False
        return cls(
            requests=session,
            httpx_sync=httpx.Client(timeout=TIMEOUT, trust_env=False),
            httpx_fast=httpx.Client(timeout=TIMEOUT, trust_env=False, transport=HTTPTransport()),
            axios=axios_python.create(timeout=TIMEOUT, trust_env=False),
            axios_fast=axios_python.create(
                timeout=TIMEOUT, trust_env=False, transport=HTTPTransport()
            ),
        )

    def close(self) -> None:
        for client in (self.requests, self.httpx_sync, self.httpx_fast, self.axios):
            client.close()
        self.axios_fast.close()


@dataclass
class As:
    """bench.py's functions read ``c.httpx_sync`` / ``c.axios``: hand them another client."""

    httpx_sync: Any = None
    axios: Any = None


def stream_httpx_fast(c: Clients, url: str) -> int:
    return bench.stream_httpx_sync(As(httpx_sync=c.httpx_fast), url)  # type: ignore[arg-type]


def stream_axios_fast(c: Clients, url: str) -> int:
    return bench.stream_axios_sync(As(axios=c.axios_fast), url)  # type: ignore[arg-type]


def gets_httpx_fast(c: Clients, url: str, count: int) -> int:
    return bench.gets_httpx_sync(As(httpx_sync=c.httpx_fast), url, count)  # type: ignore[arg-type]


def gets_axios_fast(c: Clients, url: str, count: int) -> int:
    return bench.gets_axios_sync(As(axios=c.axios_fast), url, count)  # type: ignore[arg-type]


RAW = "raw"
STREAMING = (
    Contender("axios_fast", "axios_python + HTTPTransport", "sync", stream_axios_fast),
    Contender("httpx_fast", "httpx.Client + HTTPTransport", "sync", stream_httpx_fast),
    Contender("axios", "axios_python (httpx transport)", "sync", bench.stream_axios_sync),
    Contender("httpx_sync", "httpx.Client", "sync", bench.stream_httpx_sync),
    Contender("requests", "requests", "sync", bench.stream_requests),
    Contender(RAW, "raw socket recv_into loop", "sync", bench.stream_raw_sync),
)
SMALL = (
    Contender("axios_fast", "axios_python + HTTPTransport", "sync", gets_axios_fast),
    Contender("httpx_fast", "httpx.Client + HTTPTransport", "sync", gets_httpx_fast),
    Contender("axios", "axios_python (httpx transport)", "sync", bench.gets_axios_sync),
    Contender("httpx_sync", "httpx.Client", "sync", bench.gets_httpx_sync),
    Contender("requests", "requests", "sync", bench.gets_requests),
)


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
        for ref in (RAW, "requests", "httpx_sync"):
            if ref in series:
                rows[key][f"vs_{ref}"] = one.median / series[ref].median
    return rows


def table(title: str, rows: dict[str, Any], decimals: int) -> list[str]:
    refs = [ref for ref in (RAW, "requests", "httpx_sync") if ref in rows]
    names = {RAW: "/raw", "requests": "/requests", "httpx_sync": "/httpx"}
    lines = [
        title,
        f"  {'client':<34}{'median':>10}{'min':>10}{'max':>10}"
        + "".join(f"{names[ref]:>11}" for ref in refs),
    ]
    for row in rows.values():
        cells = "".join(f"{row[f]:>10,.{decimals}f}" for f in ("median", "min", "max"))
        cells += "".join(f"{row[f'vs_{ref}']:>11.3f}" for ref in refs)
        lines.append(f"  {row['label']:<34}{cells}")
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add = parser.add_argument
    add("--size", type=parse_size, default=parse_size("1GiB"), help="streamed body (1GiB)")
    add("--repeat", type=int, default=3, help="samples per client (3)")
    add("--gets", type=int, default=2000, help="small GETs per sample (2000)")
    add("--skip", nargs="+", default=[], choices=["stream", "small"])
    add("--json", metavar="PATH", help="also write the results as JSON to PATH")
    add("--no-pin", action="store_true", help="do not pin server and client to separate CPUs")
    args = parser.parse_args(argv)
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
            print(f"(a) streaming {human(args.size)}: MiB/s per sample", flush=True)
            work = fixed_work((server.url(f"/bytes/{args.size}"),), args.size / MiB, args.size)
            results["stream"] = summarize(
                round_robin(clients, STREAMING, args.repeat, "MiB/s", work)
            )
            lines += table(f"(a) stream {human(args.size)}, MiB/s", results["stream"], 0)
        if "small" not in args.skip:
            print(f"(b) {args.gets} small GETs: requests/s per sample", flush=True)
            url = server.url("/small")
            for contender in SMALL:  # warm every client's connection first
                contender.run(clients, url, bench.WARM_GETS)
            expect = args.gets * len(bench.SMALL_BODY)
            work = fixed_work((url, args.gets), args.gets, expect)
            results["small"] = summarize(round_robin(clients, SMALL, args.repeat, "req/s", work))
            lines += table("(b) small GETs, one connection, requests/s", results["small"], 0)
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
