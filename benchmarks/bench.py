"""axios_python against httpx, requests, aiohttp, a raw socket and axios-python 0.2.0, in one run.

    python benchmarks/bench.py [--repeat 5] [--json out.json] [--quick] [--skip ...]

One local HTTP/1.1 keep-alive server runs in a separate process (``benchlib.Server``: raw
sockets, one thread per connection, bodies cut from one shared 1 MiB buffer). Against it:

(a) streaming one big body (``--size``, 1 GiB), chunk size 65536: MiB/s, sync and async, with
    a raw-socket ``recv_into`` loop (one preallocated buffer, a hand-written GET,
    Content-Length framing) as the physical limit;
(b) small GETs on one reused client per library: requests/s, sync and async (awaited in
    sequence), with axios-python 0.2.0 in a side process when it is installed (``--with-020``);
(c) peak RSS of fresh processes: streaming 1 MiB, streaming the big body, and a buffered GET
    of ``--buffered-size`` (256 MiB) read whole into memory;
(d) ``--streams`` (500) concurrent async streams of ``--stream-size`` (16 MiB) over one client,
    in a fresh process per sample: aggregate MiB/s and peak RSS.

(a) and (b) alternate the clients round-robin in every repeat (the order rotates each repeat),
(d) does the same with processes. Medians and ratios are printed, written as JSON with
``--json`` and drawn as PNG charts (matplotlib, into ``--charts``, ``docs/img`` by default).
The exit status is 1 when axios_python misses one of its targets (streaming >= 0.97 and small
GETs >= 0.95 of httpx's own figures, sync and async; not judged with ``--quick``), else 0.
Needs ``pip install -e '.[bench]'`` (requests, aiohttp, matplotlib) besides axios_python.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (
    SMALL_BODY,
    Contender,
    GiB,
    KiB,
    MiB,
    Series,
    Server,
    finish_run,
    fixed_work,
    format_load,
    human,
    paired_ratio,
    parse_size,
    peak_rss,
    pin_clients,
    print_header,
    round_robin,
    run_fresh,
    run_header,
    stop,
    timed,
    write_json,
)

HERE = os.path.dirname(os.path.abspath(__file__))
CHUNK = 65536
RAW_BUFFER = MiB
TARGET_STREAM = 0.97
TARGET_SMALL = 0.95
TIMEOUT = 60.0
WARM_GETS = 50
SLOW_020 = 20  # 0.2.0 sync makes a client per GET: 1/20 of the GETs per sample
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "axios-python-bench")
DEFAULT_020 = os.path.join(CACHE, "axios-python-0.2.0")
INSTALL_020 = f"pip install --target {DEFAULT_020} --no-deps axios-python==0.2.0"
CHARTS = os.path.join(os.path.dirname(HERE), "docs", "img")

# (flag, full run, --quick): what --quick changes unless the flag is given
SETTINGS = {
    "size": (GiB, 16 * MiB),
    "buffered_size": (256 * MiB, 16 * MiB),
    "repeat": (5, 1),
    "gets": (2000, 100),
    "streams": (500, 20),
    "stream_size": (16 * MiB, MiB),
    "concurrent_repeat": (3, 1),  # each sample: 8 GiB through a fresh process
    "charts": (CHARTS, os.path.join(tempfile.gettempdir(), "axios-python-bench-quick")),
}


# -- the clients ----------------------------------------------------------------------------


@dataclass
class Clients:
    """One reused client per library; the async ones live on ``loop``; ``old`` drives
    axios-python 0.2.0 in its own process."""

    loop: asyncio.AbstractEventLoop
    axios: Any = None
    httpx_sync: Any = None
    httpx_async: Any = None
    requests: Any = None
    aiohttp: Any = None
    old: Any = None

    LIBRARIES = ("axios", "httpx_sync", "httpx_async", "requests", "aiohttp")

    @classmethod
    def open(cls, libraries: tuple[str, ...] = LIBRARIES, pool: int | None = None) -> Clients:
        """The ``libraries`` wanted, with room for ``pool`` connections when given."""
        loop = asyncio.new_event_loop()
        clients = cls(loop)

        async def make() -> None:  # aiohttp wants a running loop
            for name in libraries:
                setattr(clients, name, make_client(name, pool))

        loop.run_until_complete(make())
        return clients

    def close(self) -> None:
        async def close_async() -> None:
            for client in (self.axios, self.httpx_async):
                if client is not None:
                    await client.aclose()
            if self.aiohttp is not None:
                await self.aiohttp.close()

        self.loop.run_until_complete(close_async())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()
        for client in (self.axios, self.httpx_sync, self.requests, self.old):
            if client is not None:
                client.close()


def make_client(name: str, pool: int | None) -> Any:
    """One client of library ``name``; ``pool`` sets its connection limit (async ones only)."""
    if name == "axios":
        import axios_python

        extra = {"limits": httpx_limits(pool)} if pool else {}
        return axios_python.create(timeout=TIMEOUT, trust_env=False, **extra)
    if name.startswith("httpx"):  # imported here only: a measured process loads one library
        import httpx

        if name == "httpx_sync":
            return httpx.Client(timeout=TIMEOUT, trust_env=False)
        extra = {"limits": httpx_limits(pool)} if pool else {}
        return httpx.AsyncClient(timeout=TIMEOUT, trust_env=False, **extra)
    if name == "requests":
        import requests

        session = requests.Session()
        session.trust_env = False
        return session
    if name == "aiohttp":
        import aiohttp

        connector = aiohttp.TCPConnector(limit=pool or 100)
        return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None), connector=connector)
    raise ValueError(f"unknown library {name!r}")


def httpx_limits(pool: int) -> Any:
    """Room for ``pool`` connections, all kept alive."""
    import httpx

    return httpx.Limits(max_connections=pool, max_keepalive_connections=pool)


# -- (a) streaming: each returns the number of bytes received -------------------------------


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


class RawResponse:
    """One GET over a bare socket: the request bytes, one preallocated receive buffer, and
    Content-Length framing of what is read into it. No HTTP library, no copies of the body:
    the physical limit of a Python client on this machine."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.address = (parts.hostname, parts.port)
        self.request = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
        self.buffer = memoryview(bytearray(RAW_BUFFER))
        self.head = b""
        self.length: int | None = None
        self.received = 0

    @property
    def done(self) -> bool:
        return self.length is not None and self.received >= self.length

    def feed(self, n: int) -> None:
        """Account for ``n`` bytes just read into ``buffer``."""
        if n == 0:
            raise ConnectionError(f"connection closed after {self.received} body bytes")
        if self.length is not None:
            self.received += n
            return
        self.head += self.buffer[:n]
        end = self.head.find(b"\r\n\r\n")
        if end >= 0:
            found = re.search(rb"(?im)^content-length:\s*(\d+)", self.head[:end])
            if found is None:
                raise ConnectionError("no Content-Length in the response head")
            self.length = int(found.group(1))
            self.received = len(self.head) - end - 4


def stream_raw_sync(c: Clients, url: str) -> int:
    raw = RawResponse(url)
    with socket.create_connection(raw.address) as sock:
        sock.sendall(raw.request)
        while not raw.done:
            raw.feed(sock.recv_into(raw.buffer))
    return raw.received


async def stream_raw_async(c: Clients, url: str) -> int:
    loop = asyncio.get_running_loop()
    raw = RawResponse(url)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, raw.address)
        await loop.sock_sendall(sock, raw.request)
        while not raw.done:
            raw.feed(await loop.sock_recv_into(sock, raw.buffer))
    return raw.received


# -- (b) small GETs: each does ``count`` buffered GETs and returns the body bytes it saw ----


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


def gets_020_sync(c: Clients, url: str, count: int) -> int:
    return int(c.old.gets("sync", url, count))


def gets_020_async(c: Clients, url: str, count: int) -> int:
    return int(c.old.gets("async", url, count))  # a plain function: the side process awaits


STREAMING = (
    Contender("axios_sync", "axios_python sync  iter_bytes", "sync", stream_axios_sync),
    Contender("httpx_sync", "httpx.Client.stream iter_bytes", "sync", stream_httpx_sync),
    Contender("requests", "requests iter_content", "sync", stream_requests),
    Contender("raw_sync", "raw socket recv_into", "sync", stream_raw_sync),
    Contender("axios_async", "axios_python async aiter_bytes", "async", stream_axios_async),
    Contender("httpx_async", "httpx.AsyncClient aiter_bytes", "async", stream_httpx_async),
    Contender("aiohttp", "aiohttp iter_chunked", "async", stream_aiohttp),
    Contender("raw_async", "raw asyncio sock_recv_into", "async", stream_raw_async),
)
SMALL = (
    Contender("axios_sync", "axios_python sync  api.get", "sync", gets_axios_sync),
    Contender("httpx_sync", "httpx.Client.get", "sync", gets_httpx_sync),
    Contender("requests", "requests.Session.get", "sync", gets_requests),
    Contender("axios020_sync", "axios-python 0.2.0 api.get", "sync", gets_020_sync),
    Contender("axios_async", "axios_python async api.async_get", "async", gets_axios_async),
    Contender("httpx_async", "httpx.AsyncClient.get", "async", gets_httpx_async),
    Contender("aiohttp", "aiohttp.ClientSession.get", "async", gets_aiohttp),
    Contender("axios020_async", "axios-python 0.2.0 async_get", "async", gets_020_async),
)
RAW = "raw_sync"  # every streaming figure is also given as a share of this one
CLIENT_NAMES = {  # (c) and (d) do several things per client: rows are named by the client
    "axios_sync": "axios_python (sync)",
    "httpx_sync": "httpx.Client",
    "requests": "requests.Session",
    "axios_async": "axios_python (async)",
    "httpx_async": "httpx.AsyncClient",
    "aiohttp": "aiohttp.ClientSession",
}
RSS_CLIENTS = tuple(CLIENT_NAMES)
CONCURRENT = ("axios_async", "httpx_async", "aiohttp")
LIBRARY_OF = {
    "axios_sync": "axios",
    "axios_async": "axios",
    "httpx_sync": "httpx_sync",
    "httpx_async": "httpx_async",
    "requests": "requests",
    "aiohttp": "aiohttp",
}
TARGETS = (  # (section, axios key, other key, goal, name)
    ("streaming", "axios_sync", "httpx_sync", TARGET_STREAM, "streaming sync  vs httpx.Client"),
    ("streaming", "axios_async", "httpx_async", TARGET_STREAM, "streaming async vs AsyncClient"),
    ("small_gets", "axios_sync", "httpx_sync", TARGET_SMALL, "small GETs sync  vs httpx.Client"),
    ("small_gets", "axios_async", "httpx_async", TARGET_SMALL, "small GETs async vs AsyncClient"),
)


def contender(section: tuple[Contender, ...], key: str) -> Contender:
    return next(k for k in section if k.key == key)


def fan_out(one: Contender, copies: int) -> Contender:
    """``copies`` of an async contender at once (``asyncio.gather``); the bytes of all."""

    async def run(c: Clients, *args: Any) -> int:
        return sum(await asyncio.gather(*(one.run(c, *args) for _ in range(copies))))

    return Contender(one.key, f"{copies} x {one.label}", one.kind, run)


# -- axios-python 0.2.0, in a side process ---------------------------------------------------


def find_020(path: str | None) -> str | None:
    """The folder holding axios-python 0.2.0 (``--with-020``, ``$AXIOS_PYTHON_020``, or the
    cache folder ``INSTALL_020`` fills), if it has an ``axios_python`` package."""
    candidates = [path] if path else [os.environ.get("AXIOS_PYTHON_020"), DEFAULT_020]
    for folder in candidates:
        if folder and os.path.isdir(os.path.join(folder, "axios_python")):
            return os.path.abspath(folder)
    return None


class Worker020:
    """axios-python 0.2.0 (which is also the ``axios_python`` package, so it never enters
    this process) in a process of its own with ``PYTHONPATH=folder``, driven over pipes:
    one reused ``AxiosPython`` instance and one event loop there, as in the 0.2.0 README."""

    def __init__(self, folder: str) -> None:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["PYTHONPATH"] = folder  # 0.2.0 cannot take trust_env=False: no proxies to read
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--_worker020"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.hello = self._reply()
        where = os.path.dirname(os.path.dirname(self.hello["file"]))
        if self.hello["version"] != "0.2.0" or os.path.realpath(where) != os.path.realpath(folder):
            self.close()
            raise RuntimeError(f"{folder} does not give axios-python 0.2.0: {self.hello}")

    def _reply(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the axios-python 0.2.0 process ended")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def gets(self, kind: str, url: str, count: int) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"kind": kind, "url": url, "count": count}) + "\n")
        self.proc.stdin.flush()
        return int(self._reply()["received"])

    def close(self) -> None:
        stop(self.proc)


def worker_020() -> None:
    """The side process: say which axios_python it imported, then answer ``gets`` jobs.

    0.2.0's sync ``get`` runs its async path under ``asyncio.run``, a new event loop (and so
    a new ``httpx.AsyncClient`` and connection) per call: that is what is measured."""
    from importlib.metadata import version

    import axios_python

    api = axios_python.AxiosPython({"timeout": TIMEOUT})
    loop = asyncio.new_event_loop()
    print(json.dumps({"version": version("axios-python"), "file": axios_python.__file__}))
    sys.stdout.flush()

    async def async_gets(url: str, count: int) -> int:
        return sum([len((await api.async_get(url)).text) for _ in range(count)])

    for line in sys.stdin:
        job = json.loads(line)
        if job["kind"] == "sync":
            received = sum(len(api.get(job["url"]).text) for _ in range(job["count"]))
        else:
            received = loop.run_until_complete(async_gets(job["url"], job["count"]))
        print(json.dumps({"received": received}), flush=True)
    # After a sync get(), 0.2.0's instance holds an AsyncClient of a loop asyncio.run() closed:
    # its aclose() raises "Event loop is closed" (0.2.0's bug, not part of what is measured).
    with contextlib.suppress(RuntimeError):
        loop.run_until_complete(api.aclose())
    loop.close()


# -- fresh processes: peak RSS and the concurrent streams (``bench.py --_child SPEC``) -------


def child(spec: dict[str, Any]) -> None:
    """Run one contender once in this fresh process; print bytes, seconds and peak RSS.

    ``spec``: ``mode`` ("stream", "buffered" or "concurrent"), ``client``, ``url`` and, for
    "concurrent", ``streams``: that many streams at once over one client with that big a pool.
    """
    mode, streams = spec["mode"], spec.get("streams")
    one = contender(SMALL if mode == "buffered" else STREAMING, spec["client"])
    args = (spec["url"], 1) if mode == "buffered" else (spec["url"],)
    library = LIBRARY_OF.get(one.key)
    clients = Clients.open((library,) if library else (), pool=streams)
    try:
        seconds, received = timed(clients, fan_out(one, streams) if streams else one, *args)
    finally:
        clients.close()
    print(json.dumps({"received": received, "seconds": seconds, **peak_rss()}))


def run_child(spec: dict[str, Any], expect: int) -> dict[str, Any]:
    data = run_fresh([sys.executable, os.path.abspath(__file__), "--_child", json.dumps(spec)])
    if data["received"] != expect:
        raise SystemExit(f"{spec}: got {data['received']} bytes, expected {expect}")
    return data


def median_rss(spec: dict[str, Any], expect: int, rounds: int) -> dict[str, float]:
    """The median ru_maxrss and VmHWM of ``rounds`` fresh processes running ``spec``."""
    samples = [run_child(spec, expect) for _ in range(rounds)]
    return {
        "kib": statistics.median(d["ru_maxrss_kib"] for d in samples),
        "vm_hwm_kib": statistics.median(d["vm_hwm_kib"] or 0 for d in samples),
    }


# -- the sections ---------------------------------------------------------------------------


def summarize(
    series: dict[str, Series], contenders: tuple[Contender, ...], reference: str | None = None
) -> dict[str, Any]:
    """Per client: median, min, max, samples; per group (sync, async): the first client (an
    axios_python one) against each other; with ``reference``: every median over its one."""
    out: dict[str, Any] = {
        k.key: {
            "label": k.label,
            "kind": k.kind,
            "unit": series[k.key].unit,
            "median": series[k.key].median,
            "min": min(series[k.key].samples),
            "max": max(series[k.key].samples),
            "samples": series[k.key].samples,
        }
        for k in contenders
    }
    out["ratios"] = {}
    for kind in ("sync", "async"):
        keys = [k.key for k in contenders if k.kind == kind]
        for other in keys[1:]:
            out["ratios"][f"{keys[0]}/{other}"] = paired_ratio(series[keys[0]], series[other])
    if reference:
        out["vs_raw"] = {k.key: series[k.key].median / series[reference].median for k in contenders}
    return out


def section_stream(clients: Clients, server: Server, args: argparse.Namespace) -> dict[str, Any]:
    print(f"(a) streaming {human(args.size)}: MiB/s per sample", flush=True)
    work = fixed_work((server.url(f"/bytes/{args.size}"),), args.size / MiB, args.size)
    series = round_robin(clients, STREAMING, args.repeat, "MiB/s", work)
    return summarize(series, STREAMING, reference=RAW)


def section_small(
    clients: Clients, server: Server, args: argparse.Namespace, contenders: tuple[Contender, ...]
) -> dict[str, Any]:
    """Small GETs; axios-python 0.2.0's sync client, at ~40 ms a GET, does a share of them."""
    print(f"(b) {args.gets} small GETs: requests/s per sample", flush=True)

    def work(one: Contender) -> tuple[tuple[Any, ...], float, int]:
        count = max(1, args.gets // SLOW_020) if one.key == "axios020_sync" else args.gets
        return (server.url("/small"), count), count, len(SMALL_BODY) * count

    series = round_robin(clients, contenders, args.repeat, "req/s", work)
    return summarize(series, contenders)


def section_rss(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    """Per client: fresh processes streaming 1 MiB, streaming ``--size`` and buffering
    ``--buffered-size``; growth is each big figure over the 1 MiB one."""
    print("(c) peak RSS: one fresh process per figure", flush=True)
    runs = {
        "baseline": ("stream", MiB),
        "stream": ("stream", args.size),
        "buffered": ("buffered", args.buffered_size),
    }
    rows: dict[str, Any] = {}
    for key in RSS_CLIENTS:
        row: dict[str, Any] = {"label": CLIENT_NAMES[key]}
        for name, (mode, size) in runs.items():
            spec = {"mode": mode, "client": key, "url": server.url(f"/bytes/{size}")}
            figures = median_rss(spec, size, args.rss_rounds)
            row[f"{name}_kib"], row[f"{name}_vm_hwm_kib"] = figures["kib"], figures["vm_hwm_kib"]
        row["stream_growth_kib"] = row["stream_kib"] - row["baseline_kib"]
        row["buffered_growth_kib"] = row["buffered_kib"] - row["baseline_kib"]
        rows[key] = row
        print(
            f"  {row['label']:<34} 1 MiB {row['baseline_kib'] / KiB:6.1f}   stream "
            f"{row['stream_kib'] / KiB:6.1f}   buffered {row['buffered_kib'] / KiB:6.1f} MiB",
            flush=True,
        )
    return rows


def section_concurrent(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    """``--streams`` streams at once per fresh process, clients alternating round-robin."""
    repeat = args.concurrent_repeat
    total = args.streams * args.stream_size
    print(
        f"(d) {args.streams} concurrent streams of {human(args.stream_size)}: aggregate MiB/s "
        f"and peak RSS, one fresh process per sample",
        flush=True,
    )
    url = server.url(f"/bytes/{args.stream_size}")
    samples: dict[str, list[dict[str, Any]]] = {key: [] for key in CONCURRENT}
    for index in range(repeat):
        shift = index % len(CONCURRENT)
        line = []
        for key in CONCURRENT[shift:] + CONCURRENT[:shift]:
            spec = {"mode": "concurrent", "client": key, "url": url, "streams": args.streams}
            data = run_child(spec, total)
            data["mib_s"] = total / MiB / data["seconds"]
            samples[key].append(data)
            line.append(f"{key}={data['mib_s']:,.0f} MiB/s {data['ru_maxrss_kib'] / KiB:,.0f} MiB")
        print(f"  repeat {index + 1}/{repeat}: " + "  ".join(line), flush=True)
    out: dict[str, Any] = {}
    for key, rows in samples.items():
        rates = [d["mib_s"] for d in rows]
        out[key] = {
            "label": CLIENT_NAMES[key],
            "median": statistics.median(rates),
            "min": min(rates),
            "max": max(rates),
            "samples": rates,
            "rss_kib": statistics.median(d["ru_maxrss_kib"] for d in rows),
            "rss_samples_kib": [d["ru_maxrss_kib"] for d in rows],
            "vm_hwm_kib": statistics.median(d["vm_hwm_kib"] or 0 for d in rows),
        }
    return out


def judge_targets(results: dict[str, Any]) -> dict[str, Any]:
    targets = {}
    for section, axios, other, goal, name in TARGETS:
        if section in results:
            ratio = results[section]["ratios"][f"{axios}/{other}"]
            targets[name] = {
                "ratio": ratio["of_medians"],
                "paired": ratio["median_of_paired"],
                "goal": goal,
                "pass": ratio["of_medians"] >= goal,
            }
    return targets


# -- reporting ------------------------------------------------------------------------------


def throughput_table(title: str, name: str, results: dict[str, Any], decimals: int) -> list[str]:
    """Median, min, max per client; axios_python over each (and over the raw loop, when the
    section has one) and, where there is a target, the verdict."""
    section = results[name]
    raw = "vs_raw" in section
    lines = [
        title,
        f"  {'client':<34}{'median':>10}{'min':>10}{'max':>10}  axios/this"
        + ("  this/raw" if raw else ""),
    ]
    goals = {other: goal for part, _, other, goal, _ in TARGETS if part == name}
    for key, row in section.items():
        if key in ("ratios", "vs_raw"):
            continue
        ratio = next((v for k, v in section["ratios"].items() if k.endswith(f"/{key}")), None)
        cells = "".join(f"{row[f]:>10,.{decimals}f}" for f in ("median", "min", "max"))
        cells += f"{ratio['of_medians']:>12.3f}" if ratio else " " * 12
        if raw:
            cells += f"{section['vs_raw'][key]:>10.3f}"
        goal = goals.get(key)
        if goal is not None and ratio is not None:
            verdict = "PASS" if ratio["of_medians"] >= goal else "MISS"
            cells += f"   target >= {goal:.2f}: {verdict}"
        lines.append(f"  {row['label']:<34}{cells}".rstrip())
    return lines


def rss_table(rows: dict[str, Any], params: dict[str, Any]) -> list[str]:
    big, buffered = human(params["size"]), human(params["buffered_size"])
    lines = [
        f"(c) peak RSS (ru_maxrss, MiB) of a fresh process: streaming 1 MiB, streaming {big}, "
        f"buffered get() of {buffered}",
        f"  {'client':<34}{'1 MiB':>8}{'stream':>9}{'growth':>9}{'buffered':>10}{'growth':>9}",
    ]
    for row in rows.values():
        figures = [row[f] / KiB for f in ("baseline_kib", "stream_kib")]
        growth = [round(row[f"{f}_growth_kib"] / KiB, 1) + 0.0 for f in ("stream", "buffered")]
        lines.append(
            f"  {row['label']:<34}{figures[0]:>8.1f}{figures[1]:>9.1f}{growth[0]:>+9.1f}"
            f"{row['buffered_kib'] / KiB:>10.1f}{growth[1]:>+9.1f}"
        )
    return lines


def concurrent_table(rows: dict[str, Any], params: dict[str, Any]) -> list[str]:
    lines = [
        f"(d) {params['streams']} concurrent streams of {human(params['stream_size'])} over one "
        "client: aggregate MiB/s, peak RSS",
        f"  {'client':<34}{'median':>10}{'min':>10}{'max':>10}{'peak RSS':>12}  axios/this",
    ]
    axios = rows["axios_async"]
    for key, row in rows.items():
        ratio = f"{axios['median'] / row['median']:>11.3f}" if key != "axios_async" else ""
        cells = "".join(f"{row[f]:>10,.1f}" for f in ("median", "min", "max"))
        lines.append(f"  {row['label']:<34}{cells}{row['rss_kib'] / KiB:>8.1f} MiB{ratio}")
    return lines


def render(results: dict[str, Any]) -> list[str]:
    params = results["params"]
    lines: list[str] = []
    if "streaming" in results:
        title = (
            f"(a) streaming a {human(params['size'])} body, chunk_size={CHUNK}: MiB/s, higher is "
            "better; this/raw = share of the raw socket loop"
        )
        lines += [*throughput_table(title, "streaming", results, 1), ""]
    if "small_gets" in results:
        title = (
            f"(b) {params['gets']} small GETs per sample ({len(SMALL_BODY)}-byte body), one "
            "reused client: requests/s"
        )
        lines += [*throughput_table(title, "small_gets", results, 0), ""]
    if "peak_rss" in results:
        lines += [*rss_table(results["peak_rss"], params), ""]
    if "concurrent" in results:
        lines += [*concurrent_table(results["concurrent"], params), ""]
    if results.get("targets"):
        lines.append(
            "targets: axios_python / httpx, ratio of medians (median of per-repeat ratios)"
        )
        for name, t in results["targets"].items():
            verdict = ("PASS" if t["pass"] else "MISS") if t.get("judged", True) else "not judged"
            lines.append(
                f"  {name:<36} {t['ratio']:6.3f} ({t['paired']:.3f})  goal >= {t['goal']:.2f}  "
                f"{verdict}"
            )
    lines += [f"note: {note}" for note in results["notes"]]
    load = results["load_average"]
    lines.append(
        f"wall time {results['wall_seconds']:.0f} s; load average at start "
        f"{format_load(load.get('start'))}, at end {format_load(load.get('end'))}"
    )
    return lines


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="axios_python vs httpx, requests, aiohttp, a raw socket and axios-python "
        "0.2.0: streaming, small GETs, peak RSS and concurrent streams, one local server."
    )
    add = parser.add_argument
    add("--size", type=parse_size, help="streamed body (1GiB; --quick 16MiB)")
    add("--buffered-size", type=parse_size, help="buffered body for (c) (256MiB; --quick 16MiB)")
    add("--repeat", type=int, help="samples per client (5; --quick 1)")
    add("--gets", type=int, help="small GETs per sample (2000; --quick 100)")
    add("--rss-rounds", type=int, default=1, help="processes per RSS figure, median (1)")
    add("--streams", type=int, help="concurrent streams in (d) (500; --quick 20)")
    add("--stream-size", type=parse_size, help="size of each of them (16MiB; --quick 1MiB)")
    add("--concurrent-repeat", type=int, help="processes per client in (d) (3; --quick 1)")
    add("--with-020", metavar="PATH", help="folder holding axios-python 0.2.0 (pip --target)")
    add("--json", metavar="PATH", help="also write the results as JSON to PATH")
    add("--charts", metavar="DIR", help=f"where the PNG charts go ({os.path.relpath(CHARTS)})")
    add("--no-charts", action="store_true", help="draw no charts")
    add("--quick", action="store_true", help="small sizes, 1 repeat, for a smoke run (< 1 min)")
    add("--skip", nargs="+", default=[], choices=["stream", "small", "rss", "concurrent"])
    add("--no-pin", action="store_true", help="do not pin server and client to separate CPUs")
    add("--_worker020", action="store_true", help=argparse.SUPPRESS)
    add("--_child", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name, (full, quick) in SETTINGS.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if min(args.repeat, args.gets, args.streams, args.rss_rounds, args.concurrent_repeat) < 1:
        parser.error("--repeat, --gets, --streams and the other counts must be at least 1")
    return args


def open_020(args: argparse.Namespace, notes: list[str]) -> Worker020 | None:
    folder = find_020(args.with_020)
    if folder is None:
        notes.append(f"axios-python 0.2.0: not installed, skipped (to add it: {INSTALL_020})")
        return None
    try:
        return Worker020(folder)
    except RuntimeError as error:
        notes.append(f"axios-python 0.2.0: not usable, skipped ({error})")
        return None


def in_process_sections(server: Server, args: argparse.Namespace, results: dict[str, Any]) -> None:
    """(a) and (b): every client in this process (0.2.0 behind its pipe), warmed up first."""
    clients = Clients.open()
    try:
        small = SMALL
        if "small" not in args.skip:
            clients.old = open_020(args, results["notes"])
            if clients.old is not None:
                results["axios_020"] = clients.old.hello
                results["notes"].append(
                    f"axios-python 0.2.0 sync: {max(1, args.gets // SLOW_020)} GETs per sample "
                    f"(1/{SLOW_020}): its get() runs asyncio.run() and builds a new "
                    "httpx.AsyncClient (an SSL context, the CA bundle loaded) for every call"
                )
        if clients.old is None:
            small = tuple(k for k in SMALL if not k.key.startswith("axios020"))
        for one in STREAMING:  # warm up: connections, imports, caches
            timed(clients, one, server.url(f"/bytes/{MiB}"))
        for one in small:
            timed(clients, one, server.url("/small"), WARM_GETS)
        if "stream" not in args.skip:
            results["streaming"] = section_stream(clients, server, args)
        if "small" not in args.skip:
            results["small_gets"] = section_small(clients, server, args, small)
    finally:
        clients.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    server_cpu = pin_clients(args.no_pin)
    started = time.perf_counter()
    params = {k: getattr(args, k) for k in (*SETTINGS, "rss_rounds", "quick") if k != "charts"}
    results: dict[str, Any] = {
        **run_header(),
        "params": {**params, "chunk_size": CHUNK, "pinned": server_cpu is not None},
        "notes": [],
    }
    if "sniffio" not in results["versions"]:
        results["notes"].append(
            "sniffio is not installed: httpcore's async path retries `import sniffio` (~50 us "
            "each) several times a request, slowing httpx.AsyncClient and axios_python async alike"
        )
    print_header(results)
    print(
        "params    "
        + ", ".join(f"{k} {human(v) if 'size' in k else v}" for k, v in params.items())
        + (", client and server pinned to separate CPUs" if server_cpu is not None else "")
    )
    server = Server(server_cpu)
    try:
        if not {"stream", "small"} <= set(args.skip):
            in_process_sections(server, args, results)
        if "rss" not in args.skip:
            results["peak_rss"] = section_rss(server, args)
        if "concurrent" not in args.skip:
            results["concurrent"] = section_concurrent(server, args)
            results["notes"].append(
                "(d) pools: axios_python create(limits=httpx.Limits(max_connections="
                f"{args.streams})) and httpx.AsyncClient the same limits, aiohttp "
                f"TCPConnector(limit={args.streams})"
            )
    finally:
        server.close()
    results["targets"] = judge_targets(results)
    for target in results["targets"].values():
        target["judged"] = not args.quick
    finish_run(results, started)
    return results


def draw(results: dict[str, Any], args: argparse.Namespace) -> None:
    if args.no_charts:
        print("charts: skipped (--no-charts)")
        return
    try:
        import benchcharts
    except ImportError as error:  # matplotlib missing
        print(f"charts: skipped ({error}; pip install matplotlib)")
        return
    for path in benchcharts.draw_all(results, args.charts):
        print(f"chart written to {path}")


def main() -> int:
    args = parse_args()
    if args._worker020:
        worker_020()
        return 0
    if args._child:
        child(json.loads(args._child))
        return 0
    results = run(args)
    print()
    print("\n".join(render(results)))
    if args.json:
        write_json(args.json, results)
    draw(results, args)
    judged = [t for t in results["targets"].values() if t["judged"]]
    return 1 if any(not t["pass"] for t in judged) else 0


if __name__ == "__main__":
    sys.exit(main())
