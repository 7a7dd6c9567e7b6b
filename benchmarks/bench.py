"""axios_python against httpx, requests and aiohttp, side by side, in one run.

    python benchmarks/bench.py [--size 1GiB] [--repeat 5] [--gets 2000] [--json out.json]

One local HTTP/1.1 keep-alive server runs in a separate process (127.0.0.1, raw sockets, one
thread per connection): ``GET /bytes/<n>`` sends ``n`` bytes with Content-Length from one
preallocated 1 MiB buffer, ``GET /small`` a 13-byte body. Then, with the clients alternating
round-robin in every repeat (the order rotates each repeat) so they all see the same
conditions:

(a) streaming one big body, chunk size 65536, MiB/s;
(b) small GETs on one reused client per library, requests/s (async ones awaited in sequence);
(c) peak RSS (ru_maxrss) of a fresh process streaming 1 MiB, and of another streaming the big
    body, per client: the growth is what the body costs in memory.

Medians and the ratios axios_python / other are printed and, with ``--json``, written out.
The exit status is 1 when axios_python misses one of its targets (streaming >= 0.97 and small
GETs >= 0.95 of httpx's own figures, sync and async), else 0.
Needs ``pip install -e '.[bench]'`` (requests, aiohttp) besides axios_python and httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import gc
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
CHUNK = 65536
SMALL_BODY = b"hello, world\n"
TARGET_STREAM = 0.97
TARGET_SMALL = 0.95
TIMEOUT = 60.0

# -- sizes ----------------------------------------------------------------------------------

_UNITS = {"": 1, "b": 1, "kib": KiB, "mib": MiB, "gib": GiB, "kb": 1000, "mb": 10**6, "gb": 10**9}


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise argparse.ArgumentTypeError(f"invalid size {text!r} (e.g. 1000000, 256MiB, 1GiB)")
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if size < 1:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: at least 1 byte")
    return size


def human(size: int) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if size >= scale:
            value = size / scale
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"


# -- the server (runs in its own process: ``bench.py --_serve``) ----------------------------

_SMALL_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
    + str(len(SMALL_BODY)).encode()
    + b"\r\n\r\n"
    + SMALL_BODY
)
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def send_bytes(conn: socket.socket, body: memoryview, size: int) -> None:
    """A 200 with ``size`` bytes cut from ``body`` over and over (no big buffer)."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\n\r\n" % size
    )
    step = len(body)
    while size >= step:
        conn.sendall(body)
        size -= step
    if size:
        conn.sendall(body[:size])


def _serve_connection(conn: socket.socket, body: memoryview) -> None:
    pending = b""
    with conn:
        try:
            while True:
                end = pending.find(b"\r\n\r\n")
                while end < 0:
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                    end = pending.find(b"\r\n\r\n")
                head, pending = pending[:end], pending[end + 4 :]
                target = head.split(b" ", 2)[1]
                if target == b"/small":
                    conn.sendall(_SMALL_RESPONSE)
                elif target.startswith(b"/bytes/"):
                    send_bytes(conn, body, int(target[7:]))
                else:
                    conn.sendall(_NOT_FOUND)
        except (OSError, IndexError, ValueError):
            return


def serve(handler: Callable[[socket.socket, memoryview], None] | None = None) -> None:
    """Print the port on stdout, then serve until stdin closes (the parent went away).

    ``handler(conn, body)`` answers one connection (this file's GET server by default);
    ``body`` is 1 MiB of patterned bytes to cut responses from.
    """
    handler = handler or _serve_connection
    pattern = bytes(range(256))
    body = memoryview(pattern * (MiB // len(pattern)))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=handler, args=(conn, body), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    print(listener.getsockname()[1], flush=True)
    sys.stdin.read()  # returns when the parent closes our stdin or exits


class Server:
    """``script --_serve`` in a subprocess (this file's server by default), on one CPU."""

    def __init__(self, cpu: int | None, script: str = __file__) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(script), "--_serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        if cpu is not None:
            os.sched_setaffinity(self.proc.pid, {cpu})

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- the clients ----------------------------------------------------------------------------


@dataclass
class Clients:
    """One reused client per library; the async ones live on ``loop``."""

    loop: asyncio.AbstractEventLoop
    axios: Any = None
    httpx_sync: Any = None
    httpx_async: Any = None
    requests: Any = None
    aiohttp: Any = None

    @classmethod
    def open(cls) -> Clients:
        import aiohttp
        import httpx
        import requests

        import axios_python

        loop = asyncio.new_event_loop()
        clients = cls(loop)
        clients.axios = axios_python.create(timeout=TIMEOUT, trust_env=False)
        clients.httpx_sync = httpx.Client(timeout=TIMEOUT, trust_env=False)
        clients.requests = requests.Session()
        clients.requests.trust_env = False

        async def make_async() -> None:
            clients.httpx_async = httpx.AsyncClient(timeout=TIMEOUT, trust_env=False)
            clients.aiohttp = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))

        loop.run_until_complete(make_async())
        return clients

    def close(self) -> None:
        async def close_async() -> None:
            await self.httpx_async.aclose()
            await self.aiohttp.close()
            await self.axios.aclose()

        self.loop.run_until_complete(close_async())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()
        self.httpx_sync.close()
        self.requests.close()
        self.axios.close()


# Streaming: each returns the number of bytes received.


def stream_axios_sync(c: Clients, url: str) -> int:
    n = 0
    with c.axios.get(url, stream=True) as r:
        for chunk in r.iter_bytes(CHUNK):
            n += len(chunk)
    return n


async def stream_axios_async(c: Clients, url: str) -> int:
    n = 0
    async with c.axios.async_get(url, stream=True) as r:
        async for chunk in r.aiter_bytes(CHUNK):
            n += len(chunk)
    return n


def stream_httpx_sync(c: Clients, url: str) -> int:
    n = 0
    with c.httpx_sync.stream("GET", url) as r:
        for chunk in r.iter_bytes(CHUNK):
            n += len(chunk)
    return n


async def stream_httpx_async(c: Clients, url: str) -> int:
    n = 0
    async with c.httpx_async.stream("GET", url) as r:
        async for chunk in r.aiter_bytes(CHUNK):
            n += len(chunk)
    return n


def stream_requests(c: Clients, url: str) -> int:
    n = 0
    with c.requests.get(url, stream=True) as r:
        for chunk in r.iter_content(CHUNK):
            n += len(chunk)
    return n


async def stream_aiohttp(c: Clients, url: str) -> int:
    n = 0
    async with c.aiohttp.get(url) as r:
        async for chunk in r.content.iter_chunked(CHUNK):
            n += len(chunk)
    return n


# Small GETs: each does ``count`` buffered GETs and returns the bytes of body it saw.


def body_bytes_of_gets(get: Any, url: str, count: int) -> int:
    """``count`` buffered GETs through ``get``; the body bytes seen (so no call is skipped)."""
    return sum(len(get(url).content) for _ in range(count))


async def body_bytes_of_async_gets(get: Any, url: str, count: int) -> int:
    return sum([len((await get(url)).content) for _ in range(count)])


def gets_axios_sync(c: Clients, url: str, count: int) -> int:
    return body_bytes_of_gets(c.axios.get, url, count)


async def gets_axios_async(c: Clients, url: str, count: int) -> int:
    return await body_bytes_of_async_gets(c.axios.async_get, url, count)


def gets_httpx_sync(c: Clients, url: str, count: int) -> int:
    return body_bytes_of_gets(c.httpx_sync.get, url, count)


async def gets_httpx_async(c: Clients, url: str, count: int) -> int:
    return await body_bytes_of_async_gets(c.httpx_async.get, url, count)


def gets_requests(c: Clients, url: str, count: int) -> int:
    return body_bytes_of_gets(c.requests.get, url, count)


async def gets_aiohttp(c: Clients, url: str, count: int) -> int:
    total = 0
    for _ in range(count):
        async with c.aiohttp.get(url) as r:
            total += len(await r.read())
    return total


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    kind: str  # "sync" or "async"
    run: Callable[..., Any]


STREAMING = (
    Contender("axios_sync", "axios_python sync  iter_bytes", "sync", stream_axios_sync),
    Contender("httpx_sync", "httpx.Client.stream iter_bytes", "sync", stream_httpx_sync),
    Contender("requests", "requests iter_content", "sync", stream_requests),
    Contender("axios_async", "axios_python async aiter_bytes", "async", stream_axios_async),
    Contender("httpx_async", "httpx.AsyncClient aiter_bytes", "async", stream_httpx_async),
    Contender("aiohttp", "aiohttp iter_chunked", "async", stream_aiohttp),
)
SMALL = (
    Contender("axios_sync", "axios_python sync  api.get", "sync", gets_axios_sync),
    Contender("httpx_sync", "httpx.Client.get", "sync", gets_httpx_sync),
    Contender("requests", "requests.Session.get", "sync", gets_requests),
    Contender("axios_async", "axios_python async api.async_get", "async", gets_axios_async),
    Contender("httpx_async", "httpx.AsyncClient.get", "async", gets_httpx_async),
    Contender("aiohttp", "aiohttp.ClientSession.get", "async", gets_aiohttp),
)


def timed(c: Clients, contender: Contender, *args: Any) -> tuple[float, int]:
    gc.collect()
    if contender.kind == "sync":
        started = time.perf_counter()
        result = contender.run(c, *args)
        return time.perf_counter() - started, result

    async def go() -> tuple[float, int]:
        started = time.perf_counter()
        result = await contender.run(c, *args)
        return time.perf_counter() - started, result

    return c.loop.run_until_complete(go())


@dataclass
class Series:
    label: str
    unit: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def round_robin(
    c: Clients,
    contenders: tuple[Contender, ...],
    repeat: int,
    unit: str,
    args: tuple[Any, ...],
    amount: float,
    expect: int,
) -> dict[str, Series]:
    """``amount / seconds`` per sample; each repeat runs every contender once, order rotated."""
    series = {k.key: Series(k.label, unit) for k in contenders}
    for index in range(repeat):
        shift = index % len(contenders)
        order = contenders[shift:] + contenders[:shift]
        line = []
        for contender in order:
            seconds, received = timed(c, contender, *args)
            if received != expect:
                raise SystemExit(f"{contender.label}: got {received} bytes, expected {expect}")
            value = amount / seconds
            series[contender.key].samples.append(value)
            line.append(f"{contender.key}={value:,.0f}")
        print(f"  repeat {index + 1}/{repeat}: " + "  ".join(line), flush=True)
    return series


# -- peak RSS in a fresh process (``bench.py --_rss CLIENT URL``) ----------------------------


def _vm_hwm_kib() -> int | None:
    """Linux's own peak RSS of this process image (VmHWM), to cross-check ru_maxrss."""
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def rss_child(client: str, url: str) -> None:
    """Stream ``url`` once with ``client`` and print received bytes and peak RSS as JSON."""
    import resource

    loop = asyncio.new_event_loop()
    c = Clients(loop)
    if client.startswith("axios"):
        import axios_python

        c.axios = axios_python.create(timeout=TIMEOUT, trust_env=False)
    elif client == "httpx_sync":
        import httpx

        c.httpx_sync = httpx.Client(timeout=TIMEOUT, trust_env=False)
    elif client == "requests":
        import requests

        c.requests = requests.Session()
        c.requests.trust_env = False
    contender = {k.key: k for k in STREAMING}[client]

    async def run_async() -> int:
        if client == "httpx_async":
            import httpx

            c.httpx_async = httpx.AsyncClient(timeout=TIMEOUT, trust_env=False)
        elif client == "aiohttp":
            import aiohttp

            c.aiohttp = aiohttp.ClientSession()
        try:
            result: int = await contender.run(c, url)
            return result
        finally:
            if c.httpx_async is not None:
                await c.httpx_async.aclose()
            if c.aiohttp is not None:
                await c.aiohttp.close()
            if c.axios is not None:
                await c.axios.aclose()

    if contender.kind == "sync":
        received = contender.run(c, url)
    else:
        received = loop.run_until_complete(run_async())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"received": received, "ru_maxrss_kib": peak, "vm_hwm_kib": _vm_hwm_kib()}))


def _fresh_process(command: list[str]) -> list[str]:
    """Run ``command`` as a grandchild forked by a tiny shell.

    Linux carries ru_maxrss across fork and exec, so a child of this (large) process would
    report our peak, not its own; a process forked by ``sh`` starts from the shell's few MiB.
    """
    if os.name == "posix" and os.path.exists("/bin/sh"):
        return ["/bin/sh", "-c", '"$@"; exit $?', "sh", *command]
    return command


def measure_rss(server: Server, size: int, rounds: int) -> dict[str, dict[str, Any]]:
    """Peak RSS per client and body size: the median over ``rounds`` fresh processes."""
    results: dict[str, dict[str, Any]] = {}
    for contender in STREAMING:
        row: dict[str, Any] = {"label": contender.label}
        for name, body in (("baseline", MiB), ("big", size)):
            samples = []
            for _ in range(rounds):
                command = [sys.executable, os.path.abspath(__file__), "--_rss", contender.key]
                out = subprocess.run(
                    _fresh_process([*command, server.url(f"/bytes/{body}")]),
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                data = json.loads(out.strip().splitlines()[-1])
                if data["received"] != body:
                    raise SystemExit(f"{contender.label}: got {data['received']} of {body} bytes")
                samples.append(data)
            row[f"{name}_kib"] = statistics.median(d["ru_maxrss_kib"] for d in samples)
            row[f"{name}_vm_hwm_kib"] = statistics.median(d["vm_hwm_kib"] or 0 for d in samples)
        row["growth_kib"] = row["big_kib"] - row["baseline_kib"]
        results[contender.key] = row
        print(
            f"  {contender.label:<34} 1 MiB: {row['baseline_kib'] / KiB:6.1f} MiB   "
            f"{human(size)}: {row['big_kib'] / KiB:6.1f} MiB",
            flush=True,
        )
    return results


# -- reporting ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = None
    with contextlib.suppress(OSError, ValueError, AttributeError):
        memory = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB, 1)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def pin_clients(no_pin: bool) -> int | None:
    """Pin this process (and the clients it starts) to the first CPU and return the last one
    for the server; None (nothing pinned) with fewer than two CPUs or when turned off."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if no_pin or len(cpus) < 2:
        return None
    os.sched_setaffinity(0, {cpus[0]})
    return cpus[-1]


def run_header() -> dict[str, Any]:
    """What every results file starts with: when, where, which versions, which commit."""
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "commit": commit(),
    }


def print_header(results: dict[str, Any]) -> None:
    """The date, machine, versions and commit a run's figures belong to."""
    m = results["machine"]
    print(f"date      {results['date']}")
    print(f"machine   {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, {m['os']}")
    print(f"python    {m['python']}")
    print("versions  " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()))
    print(
        f"commit    {results['commit'] or 'unknown'} (HEAD of the checkout; local edits not shown)"
    )


def commit() -> str | None:
    """The checked-out commit of this repository (read-only ``git rev-parse``), if any."""
    here = os.path.dirname(os.path.abspath(__file__))
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout.strip() or None
    return None


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("axios-python", "httpx", "httpcore", "h11", "anyio", "requests", "urllib3"):
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    with contextlib.suppress(PackageNotFoundError):
        found["aiohttp"] = version("aiohttp")
    return found


GROUPS = {
    "sync": ("axios_sync", "httpx_sync", "requests"),
    "async": ("axios_async", "httpx_async", "aiohttp"),
}
TARGETS = (
    # (section, axios key, other key, goal, name)
    ("streaming", "axios_sync", "httpx_sync", TARGET_STREAM, "streaming sync  vs httpx.Client"),
    (
        "streaming",
        "axios_async",
        "httpx_async",
        TARGET_STREAM,
        "streaming async vs httpx.AsyncClient",
    ),
    ("small_gets", "axios_sync", "httpx_sync", TARGET_SMALL, "small GETs sync  vs httpx.Client"),
    (
        "small_gets",
        "axios_async",
        "httpx_async",
        TARGET_SMALL,
        "small GETs async vs httpx.AsyncClient",
    ),
)


def summarize(series: dict[str, Series]) -> dict[str, Any]:
    out: dict[str, Any] = {
        key: {"label": s.label, "unit": s.unit, "median": s.median, "samples": s.samples}
        for key, s in series.items()
    }
    ratios = {}
    for group in GROUPS.values():
        axios = series[group[0]]
        for other in group[1:]:
            paired = [a / b for a, b in zip(axios.samples, series[other].samples, strict=True)]
            ratios[f"{group[0]}/{other}"] = {
                "of_medians": axios.median / series[other].median,
                "median_of_paired": statistics.median(paired),
            }
    out["ratios"] = ratios
    return out


def throughput_table(title: str, results: dict[str, Any], name: str, decimals: int) -> list[str]:
    lines = [title, f"  {'client':<34}{'median':>10}{'min':>10}{'max':>10}   axios_python / this"]
    section = results[name]
    goals = {other: goal for part, _, other, goal, _ in TARGETS if part == name}
    for group in GROUPS.values():
        axios_median = section[group[0]]["median"]
        for key in group:
            row = section[key]
            ratio = ""
            if key != group[0]:
                value = axios_median / row["median"]
                ratio = f"{value:.3f}"
                goal = goals.get(key)
                if goal is not None:
                    ratio += f"   target >= {goal:.2f}: {'PASS' if value >= goal else 'MISS'}"
            figures = (row["median"], min(row["samples"]), max(row["samples"]))
            numbers = "".join(f"{x:>10,.{decimals}f}" for x in figures)
            lines.append(f"  {row['label']:<34}{numbers}   {ratio}".rstrip())
    return lines


def render(results: dict[str, Any]) -> list[str]:
    params = results["params"]
    size = human(params["size"])
    lines: list[str] = []
    if "streaming" in results:
        title = f"(a) streaming a {size} body, chunk_size={CHUNK}: MiB/s, higher is better"
        lines += [*throughput_table(title, results, "streaming", 1), ""]
    if "small_gets" in results:
        title = (
            f"(b) {params['gets']} small GETs per sample ({len(SMALL_BODY)}-byte body), one "
            "reused client: requests/s"
        )
        lines += [*throughput_table(title, results, "small_gets", 0), ""]
    if "peak_rss" in results:
        lines.append(f"(c) peak RSS (ru_maxrss) of a fresh process streaming 1 MiB, then {size}")
        lines.append(f"  {'client':<34}{'1 MiB':>12}{size:>12}{'growth':>12}")
        for row in results["peak_rss"].values():
            growth = round(row["growth_kib"] / KiB, 1) + 0.0  # no "-0.0"
            lines.append(
                f"  {row['label']:<34}{row['baseline_kib'] / KiB:>8.1f} MiB"
                f"{row['big_kib'] / KiB:>8.1f} MiB{growth:>+8.1f} MiB"
            )
        lines.append("")
    if results.get("targets"):
        lines.append(
            "targets: axios_python / httpx as the ratio of medians (and the median of the "
            "per-repeat ratios)"
        )
        for name, target in results["targets"].items():
            verdict = "PASS" if target["pass"] else "MISS"
            lines.append(
                f"  {name:<38} {target['ratio']:6.3f} ({target['paired']:.3f})  "
                f"goal >= {target['goal']:.2f}  {verdict}"
            )
    lines.append(f"wall time {results['wall_seconds']:.0f} s")
    return lines


# -- main -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="axios_python vs httpx, requests and aiohttp: streaming MiB/s, small GETs "
        "requests/s and peak RSS, against one local server."
    )
    parser.add_argument("--size", type=parse_size, default=GiB, help="big body (default 1GiB)")
    parser.add_argument("--repeat", type=int, default=5, help="samples per client (default 5)")
    parser.add_argument("--gets", type=int, default=2000, help="small GETs per sample (2000)")
    parser.add_argument("--rss-rounds", type=int, default=1, help="processes per RSS figure (1)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument(
        "--skip", nargs="+", default=[], choices=["stream", "small", "rss"], help="parts to skip"
    )
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin server and client to separate CPUs"
    )
    parser.add_argument("--_serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_rss", nargs=2, metavar=("CLIENT", "URL"), help=argparse.SUPPRESS)
    return parser.parse_args()


def run(args: argparse.Namespace) -> dict[str, Any]:
    server_cpu = pin_clients(args.no_pin)
    pin = server_cpu is not None
    started = time.perf_counter()
    results: dict[str, Any] = {
        **run_header(),
        "params": {
            "size": args.size,
            "repeat": args.repeat,
            "gets": args.gets,
            "chunk_size": CHUNK,
            "rss_rounds": args.rss_rounds,
            "pinned": pin,
        },
    }
    print_header(results)
    pinning = "client and server pinned to separate CPUs" if pin else "no CPU pinning"
    print(
        f"params    body {human(args.size)}, chunk {CHUNK}, {args.repeat} samples per client, "
        f"{args.gets} GETs per sample, {pinning}"
    )
    server = Server(server_cpu)
    try:
        clients = Clients.open()
        try:
            small_url = server.url("/small")
            for contender in STREAMING:  # warm up: connections, imports, caches
                timed(clients, contender, server.url(f"/bytes/{MiB}"))
            for contender in SMALL:
                timed(clients, contender, small_url, 50)
            if "stream" not in args.skip:
                print(f"(a) streaming {human(args.size)}: MiB/s per sample", flush=True)
                series = round_robin(
                    clients,
                    STREAMING,
                    args.repeat,
                    "MiB/s",
                    (server.url(f"/bytes/{args.size}"),),
                    args.size / MiB,
                    args.size,
                )
                results["streaming"] = summarize(series)
            if "small" not in args.skip:
                print(f"(b) {args.gets} small GETs: requests/s per sample", flush=True)
                series = round_robin(
                    clients,
                    SMALL,
                    args.repeat,
                    "req/s",
                    (small_url, args.gets),
                    args.gets,
                    len(SMALL_BODY) * args.gets,
                )
                results["small_gets"] = summarize(series)
        finally:
            clients.close()
        if "rss" not in args.skip:
            print("(c) peak RSS: one fresh process per figure", flush=True)
            results["peak_rss"] = measure_rss(server, args.size, args.rss_rounds)
    finally:
        server.close()
    results["targets"] = {}
    for section, axios, other, goal, name in TARGETS:
        if section in results:
            ratio = results[section][axios]["median"] / results[section][other]["median"]
            paired = results[section]["ratios"][f"{axios}/{other}"]["median_of_paired"]
            results["targets"][name] = {
                "ratio": ratio,
                "paired": paired,
                "goal": goal,
                "pass": ratio >= goal,
            }
    results["wall_seconds"] = time.perf_counter() - started
    return results


def main() -> int:
    args = parse_args()
    if args._serve:
        serve()
        return 0
    if args._rss:
        rss_child(*args._rss)
        return 0
    results = run(args)
    print()
    print("\n".join(render(results)))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
            out.write("\n")
        print(f"results written to {args.json}")
    missed = [name for name, t in results["targets"].items() if not t["pass"]]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
