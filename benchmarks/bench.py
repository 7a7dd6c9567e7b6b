"""axios_python, on its own HTTP/1.1 transport and on httpx's, side by side with httpx,
requests, aiohttp, a raw socket and axios-python 0.2.0, in one run.

    python benchmarks/bench.py [--repeat 5] [--json out.json] [--quick] [--skip ...]
                               [--clients ...] [--no-charts]

One local HTTP/1.1 keep-alive server runs in a separate process (``benchlib.Server``: raw
sockets, one thread per connection, bodies cut from one shared 1 MiB buffer). Against it:

(a) streaming one big body (``--size``, 1 GiB), chunk size 65536: MiB/s, sync and async, with
    a raw-socket ``recv_into`` loop (one preallocated buffer, a hand-written GET,
    Content-Length framing) as the physical limit, and its asyncio twin;
(b) small GETs on one reused client per library: requests/s, sync and async (awaited in
    sequence), with axios-python 0.2.0 in a side process when it is installed (``--with-020``);
(c) peak RSS of fresh processes: streaming 1 MiB, streaming the big body, and a buffered GET
    of ``--buffered-size`` (256 MiB) read whole into memory;
(d) ``--streams`` (500) concurrent async streams of ``--stream-size`` (16 MiB) over one client,
    in a fresh process per sample: aggregate MiB/s and peak RSS.

The axios_python contenders: ``axios_python.create()`` as shipped (its own transports,
``axios_python.transports``: "own transport"), ``create(transport="httpx")`` (httpx's
transport: what the axios layer costs over httpx), and, in (a) and (b), the transports alone
under httpx: ``httpx.Client(transport=HTTPTransport())`` and
``httpx.AsyncClient(transport=AsyncHTTPTransport())``.

(a) and (b) alternate the clients round-robin in every repeat (the order rotates each repeat),
(d) does the same with processes. Medians and ratios are printed, written as JSON with
``--json`` and drawn as PNG charts (matplotlib, into ``--charts``, ``docs/img`` by default).
The exit status is 1 when a target in ``TARGETS`` is missed (the issue "A fast HTTP/1.1
transport", and the axios layer's cost over httpx; not judged with ``--quick``), else 0.
Needs ``pip install -e '.[bench]'`` (requests, aiohttp, matplotlib) besides axios_python.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
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
from collections.abc import Callable
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
TIMEOUT = 60.0
TRANSPORT_TIMEOUTS = dict.fromkeys(("connect", "read", "write", "pool"), TIMEOUT)
WARM_GETS = 50
SLOW_020 = 20  # 0.2.0 sync makes a client per GET: 1/20 of the GETs per sample
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "axios-python-bench")
DEFAULT_020 = os.path.join(CACHE, "axios-python-0.2.0")
INSTALL_020 = f"pip install --target {DEFAULT_020} --no-deps axios-python==0.2.0"
CHARTS = os.path.join(os.path.dirname(HERE), "docs", "img")
QUICK_CHARTS = os.path.join(tempfile.gettempdir(), "axios-python-bench-quick")

# (flag, full run, --quick): what --quick changes unless the flag is given
SETTINGS = {
    "size": (GiB, 16 * MiB),
    "buffered_size": (256 * MiB, 16 * MiB),
    "repeat": (5, 1),
    "gets": (2000, 100),
    "streams": (500, 20),
    "stream_size": (16 * MiB, MiB),
    "concurrent_repeat": (3, 1),  # each sample: 8 GiB through a fresh process
    "charts": (CHARTS, QUICK_CHARTS),
}


# -- the clients ----------------------------------------------------------------------------

LIBRARIES = (  # the attributes of Clients that make_client fills
    "axios",  # axios_python.create(): its own transports
    "axios_httpx",  # axios_python.create(transport="httpx")
    "httpx_sync",
    "httpx_own_sync",  # httpx.Client(transport=axios_python.transports.HTTPTransport())
    "httpx_async",
    "httpx_own_async",  # httpx.AsyncClient(transport=...AsyncHTTPTransport())
    "requests",
    "aiohttp",
)
ASYNC_LIBRARIES = ("axios", "axios_httpx", "httpx_async", "httpx_own_async")  # aclose()
SYNC_LIBRARIES = ("axios", "axios_httpx", "httpx_sync", "httpx_own_sync", "requests", "old")


@dataclass
class Clients:
    """One reused client per library (the names of ``LIBRARIES``); the async ones live on
    ``loop``; ``old`` drives axios-python 0.2.0 in its own process."""

    loop: asyncio.AbstractEventLoop
    axios: Any = None
    axios_httpx: Any = None
    httpx_sync: Any = None
    httpx_own_sync: Any = None
    httpx_async: Any = None
    httpx_own_async: Any = None
    requests: Any = None
    aiohttp: Any = None
    old: Any = None

    @classmethod
    def open(cls, libraries: tuple[str, ...] | None = None, pool: int | None = None) -> Clients:
        """The ``libraries`` wanted (every one available by default), with room for ``pool``
        connections when given."""
        if libraries is None:
            libraries = tuple(n for n in LIBRARIES if n != "httpx_own_async" or async_transport())
        loop = asyncio.new_event_loop()
        clients = cls(loop)

        async def make() -> None:  # aiohttp wants a running loop
            for name in libraries:
                setattr(clients, name, make_client(name, pool))

        loop.run_until_complete(make())
        return clients

    def close(self) -> None:
        async def close_async() -> None:
            for name in ASYNC_LIBRARIES:
                client = getattr(self, name)
                if client is not None:
                    await client.aclose()
            if self.aiohttp is not None:
                await self.aiohttp.close()

        self.loop.run_until_complete(close_async())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()
        for name in SYNC_LIBRARIES:
            client = getattr(self, name)
            if client is not None:
                client.close()


def async_transport() -> Any:
    """``axios_python.transports.AsyncHTTPTransport``, or None when it cannot be imported."""
    try:
        from axios_python.transports import AsyncHTTPTransport
    except ImportError:
        return None
    return AsyncHTTPTransport


def make_client(name: str, pool: int | None) -> Any:
    """One client of library ``name`` (see ``LIBRARIES``); ``pool`` sets its connection limit.

    Imports happen here only: a measured process loads the library it measures."""
    # Every client waits at most TIMEOUT to connect and per read, as httpx's timeout=60 does
    # (a client without timeouts skips the timer each wait costs the others).
    if name == "requests":
        import requests
        from requests.adapters import HTTPAdapter

        class TimedAdapter(HTTPAdapter):
            """requests has no session-wide timeout: each send gets TIMEOUT unless given."""

            def send(self, request: Any, **kwargs: Any) -> Any:
                if kwargs.get("timeout") is None:
                    kwargs["timeout"] = TIMEOUT
                return super().send(request, **kwargs)

        session = requests.Session()
        session.trust_env = False
        session.mount("http://", TimedAdapter())
        return session
    if name == "aiohttp":
        import aiohttp

        connector = aiohttp.TCPConnector(limit=pool or 100)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=TIMEOUT, sock_read=TIMEOUT)
        return aiohttp.ClientSession(timeout=timeout, connector=connector)
    import httpx

    common: dict[str, Any] = {"timeout": TIMEOUT, "trust_env": False}
    limits = {"limits": httpx.Limits(max_connections=pool, max_keepalive_connections=pool)}
    limits = limits if pool else {}
    if name in ("axios", "axios_httpx"):
        import axios_python

        choice = {"transport": "httpx"} if name == "axios_httpx" else {}
        return axios_python.create(**common, **choice, **limits)
    if name == "httpx_sync":
        return httpx.Client(**common, **limits)
    if name == "httpx_async":
        return httpx.AsyncClient(**common, **limits)
    if name == "httpx_own_sync":
        from axios_python.transports import HTTPTransport

        return httpx.Client(**common, transport=HTTPTransport(**limits))
    if name == "httpx_own_async":
        return httpx.AsyncClient(**common, transport=async_transport()(**limits))
    raise ValueError(f"unknown library {name!r}")


def transports_in_use(clients: Clients) -> dict[str, str]:
    """The transport class each axios_python instance's httpx clients really use (read from
    its pools after they have served a request), keyed like the contenders: which transport
    "own transport" means depends on the package (the async one may not be the default yet)
    and on ``$AXIOS_PYTHON_TRANSPORT``."""
    found: dict[str, str] = {}
    for name in ("axios", "axios_httpx"):
        api = getattr(clients, name)
        if api is None:
            continue
        with contextlib.suppress(AttributeError):  # private attributes: best effort
            pools = {
                "sync": list(api._clients.values()),
                "async": list(api._async_clients.get(clients.loop, {}).values()),
            }
            for kind, pool in pools.items():
                kinds = sorted({qualified(type(client._transport)) for client in pool})
                if kinds:
                    found[f"{name}_{kind}"] = ", ".join(kinds)
    return found


def qualified(cls: type) -> str:
    module = cls.__module__
    if module.startswith("axios_python.transports."):
        module = "axios_python.transports"  # the public name
    return f"{module}.{cls.__qualname__}"


# -- what one client does: each returns the number of body bytes it received ---------------


def axios_stream(api: Any, url: str) -> int:
    n = 0
    with api.get(url, stream=True) as r:
        for chunk in r.iter_bytes(CHUNK):
            n += len(chunk)
    return n


async def axios_stream_async(api: Any, url: str) -> int:
    n = 0
    async with api.async_get(url, stream=True) as r:
        async for chunk in r.aiter_bytes(CHUNK):
            n += len(chunk)
    return n


def httpx_stream(client: Any, url: str) -> int:
    n = 0
    with client.stream("GET", url) as r:
        for chunk in r.iter_bytes(CHUNK):
            n += len(chunk)
    return n


async def httpx_stream_async(client: Any, url: str) -> int:
    n = 0
    async with client.stream("GET", url) as r:
        async for chunk in r.aiter_bytes(CHUNK):
            n += len(chunk)
    return n


def requests_stream(session: Any, url: str) -> int:
    n = 0
    with session.get(url, stream=True) as r:
        for chunk in r.iter_content(CHUNK):
            n += len(chunk)
    return n


async def aiohttp_stream(session: Any, url: str) -> int:
    n = 0
    async with session.get(url) as r:
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


def body_bytes_of_gets(get: Any, url: str, count: int) -> int:
    """``count`` buffered GETs through ``get``; the body bytes seen (so no call is skipped)."""
    return sum(len(get(url).content) for _ in range(count))


async def body_bytes_of_async_gets(get: Any, url: str, count: int) -> int:
    return sum([len((await get(url)).content) for _ in range(count)])


def axios_gets(api: Any, url: str, count: int) -> int:
    return body_bytes_of_gets(api.get, url, count)


async def axios_gets_async(api: Any, url: str, count: int) -> int:
    return await body_bytes_of_async_gets(api.async_get, url, count)


def client_gets(client: Any, url: str, count: int) -> int:
    return body_bytes_of_gets(client.get, url, count)  # requests.Session.get alike


async def client_gets_async(client: Any, url: str, count: int) -> int:
    return await body_bytes_of_async_gets(client.get, url, count)


def transport_gets(client: Any, url: str, count: int) -> int:
    """``count`` GETs handed straight to the transport of ``client`` (an httpx.Client on our
    HTTPTransport), one request built once: what the transport costs with no client above
    it, the floor for anything built on it."""
    import httpx

    transport = client._transport
    request = httpx.Request("GET", url, extensions={"timeout": TRANSPORT_TIMEOUTS})
    total = 0
    for _ in range(count):
        response = transport.handle_request(request)
        total += len(response.read())
        response.close()
    return total


async def transport_gets_async(client: Any, url: str, count: int) -> int:
    import httpx

    transport = client._transport
    request = httpx.Request("GET", url, extensions={"timeout": TRANSPORT_TIMEOUTS})
    total = 0
    for _ in range(count):
        response = await transport.handle_async_request(request)
        total += len(await response.aread())
        await response.aclose()
    return total


async def aiohttp_gets(session: Any, url: str, count: int) -> int:
    total = 0
    for _ in range(count):
        async with session.get(url) as r:
            total += len(await r.read())
    return total


def gets_020_sync(c: Clients, url: str, count: int) -> int:
    return int(c.old.gets("sync", url, count))


def gets_020_async(c: Clients, url: str, count: int) -> int:
    return int(c.old.gets("async", url, count))  # a plain function: the side process awaits


def on(library: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(client, *args)`` as a contender's ``run(clients, *args)``, for the client
    ``clients.<library>`` (plain or ``async def``, as ``fn`` is)."""
    if inspect.iscoroutinefunction(fn):

        async def run_async(c: Any, *args: Any) -> int:
            return int(await fn(getattr(c, library), *args))

        return run_async

    def run(c: Any, *args: Any) -> int:
        return int(fn(getattr(c, library), *args))

    return run


# -- the contenders -------------------------------------------------------------------------

# key: (library in Clients, or None; label; group). The same keys name the rows of every
# section, so "axios_sync" is the same client in (a), (b), (c) and the targets.
ROWS = {
    "axios_sync": ("axios", "axios_python sync (own transport)", "sync"),
    "axios_httpx_sync": ("axios_httpx", "axios_python sync (httpx transport)", "sync"),
    "httpx_own_sync": ("httpx_own_sync", "httpx.Client + our HTTPTransport", "sync"),
    "transport_sync": ("httpx_own_sync", "our HTTPTransport alone", "sync"),
    "httpx_sync": ("httpx_sync", "httpx.Client", "sync"),
    "requests": ("requests", "requests.Session", "sync"),
    "raw_sync": (None, "raw socket recv_into loop", "sync"),
    "axios020_sync": (None, "axios-python 0.2.0 sync get", "sync"),
    "axios_async": ("axios", "axios_python async (own transport)", "async"),
    "axios_httpx_async": ("axios_httpx", "axios_python async (httpx transport)", "async"),
    "httpx_own_async": ("httpx_own_async", "httpx.AsyncClient + AsyncHTTPTransport", "async"),
    "transport_async": ("httpx_own_async", "our AsyncHTTPTransport alone", "async"),
    "httpx_async": ("httpx_async", "httpx.AsyncClient", "async"),
    "aiohttp": ("aiohttp", "aiohttp.ClientSession", "async"),
    "raw_async": (None, "raw asyncio sock_recv_into loop", "async"),
    "axios020_async": (None, "axios-python 0.2.0 async_get", "async"),
}
OURS = (  # the rows whose ratios over every other row of their group are kept
    *("axios_sync", "axios_httpx_sync", "httpx_own_sync", "transport_sync"),
    *("axios_async", "axios_httpx_async", "httpx_own_async", "transport_async"),
)
RAW = {"sync": "raw_sync", "async": "raw_async"}  # (a): every row over its group's raw loop


def row(key: str, fn: Callable[..., Any]) -> Contender:
    library, label, kind = ROWS[key]
    return Contender(key, label, kind, on(library, fn) if library else fn, library)


STREAMING = (
    row("axios_sync", axios_stream),
    row("axios_httpx_sync", axios_stream),
    row("httpx_own_sync", httpx_stream),
    row("httpx_sync", httpx_stream),
    row("requests", requests_stream),
    row("raw_sync", stream_raw_sync),
    row("axios_async", axios_stream_async),
    row("axios_httpx_async", axios_stream_async),
    row("httpx_own_async", httpx_stream_async),
    row("httpx_async", httpx_stream_async),
    row("aiohttp", aiohttp_stream),
    row("raw_async", stream_raw_async),
)
SMALL = (
    row("axios_sync", axios_gets),
    row("axios_httpx_sync", axios_gets),
    row("httpx_own_sync", client_gets),
    row("transport_sync", transport_gets),
    row("httpx_sync", client_gets),
    row("requests", client_gets),
    row("axios020_sync", gets_020_sync),
    row("axios_async", axios_gets_async),
    row("axios_httpx_async", axios_gets_async),
    row("httpx_own_async", client_gets_async),
    row("transport_async", transport_gets_async),
    row("httpx_async", client_gets_async),
    row("aiohttp", aiohttp_gets),
    row("axios020_async", gets_020_async),
)
RSS_CLIENTS = (  # (c): the library clients, both transports of axios_python
    *("axios_sync", "axios_httpx_sync", "httpx_sync", "requests"),
    *("axios_async", "axios_httpx_async", "httpx_async", "aiohttp"),
)
CONCURRENT = ("axios_async", "axios_httpx_async", "httpx_own_async", "httpx_async", "aiohttp")
ALL_KEYS = tuple(ROWS)


def contender(section: tuple[Contender, ...], key: str) -> Contender:
    return next(k for k in section if k.key == key)


# The functions bench_pipeline.py, bench_transport_async.py and profile_paths.py reuse: each
# reads the client it drives off its first argument (``c.axios``, ``c.httpx_async``...).
stream_axios_sync = contender(STREAMING, "axios_sync").run
stream_axios_async = contender(STREAMING, "axios_async").run
stream_httpx_sync = contender(STREAMING, "httpx_sync").run
stream_httpx_async = contender(STREAMING, "httpx_async").run
stream_requests = contender(STREAMING, "requests").run
stream_aiohttp = contender(STREAMING, "aiohttp").run
gets_axios_sync = contender(SMALL, "axios_sync").run
gets_axios_async = contender(SMALL, "axios_async").run
gets_httpx_sync = contender(SMALL, "httpx_sync").run
gets_httpx_async = contender(SMALL, "httpx_async").run
gets_requests = contender(SMALL, "requests").run
gets_aiohttp = contender(SMALL, "aiohttp").run


def fan_out(one: Contender, copies: int) -> Contender:
    """``copies`` of an async contender at once (``asyncio.gather``); the bytes of all."""

    async def run(c: Clients, *args: Any) -> int:
        return sum(await asyncio.gather(*(one.run(c, *args) for _ in range(copies))))

    return Contender(one.key, f"{copies} x {one.label}", one.kind, run, one.client)


# -- the targets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """``mine`` over ``other`` (keys of ``ROWS``) in ``section`` must be >= ``goal`` (<= with
    ``at_most``), judged on the ratio of the medians; ``table`` is the section's ratios to
    read (``"rss_ratios"``: peak RSS in (d))."""

    group: str
    section: str
    mine: str
    other: str
    goal: float
    table: str = "ratios"
    at_most: bool = False

    @property
    def ratio(self) -> str:
        return f"{self.mine}/{self.other}"

    @property
    def name(self) -> str:
        what = {"ratios": SECTION_NAMES[self.section], "rss_ratios": "concurrent peak RSS"}
        return f"{what[self.table]}: {self.mine} / {self.other}"

    def met(self, value: float) -> bool:
        return value <= self.goal if self.at_most else value >= self.goal


ISSUE = "transport"
LAYER = "layer"
TARGET_GROUPS = {
    ISSUE: "issue 6, A fast HTTP/1.1 transport: axios_python on its own transport",
    LAYER: "layer cost: axios_python on httpx's transport / httpx alone",
}
STREAM, GETS, MANY = "streaming", "small_gets", "concurrent"  # the result sections
SECTION_NAMES = {STREAM: "streaming", GETS: "small GETs", MANY: "concurrent MiB/s"}
TARGETS = (
    Target(ISSUE, STREAM, "axios_sync", "raw_sync", 0.9),
    Target(ISSUE, STREAM, "axios_sync", "requests", 1.0),
    Target(ISSUE, STREAM, "axios_async", "raw_async", 0.8),
    Target(ISSUE, STREAM, "axios_async", "httpx_async", 3.0),
    Target(ISSUE, GETS, "axios_sync", "httpx_sync", 1.3),
    Target(ISSUE, GETS, "axios_async", "aiohttp", 1.0),
    Target(ISSUE, MANY, "axios_async", "httpx_async", 2.0),
    Target(ISSUE, MANY, "axios_async", "httpx_async", 1.0, table="rss_ratios", at_most=True),
    Target(LAYER, STREAM, "axios_httpx_sync", "httpx_sync", 0.97),
    Target(LAYER, STREAM, "axios_httpx_async", "httpx_async", 0.97),
    Target(LAYER, GETS, "axios_httpx_sync", "httpx_sync", 0.95),
    Target(LAYER, GETS, "axios_httpx_async", "httpx_async", 0.95),
)


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
    clients = Clients.open((one.client,) if one.client else (), pool=streams)
    try:
        seconds, received = timed(clients, fan_out(one, streams) if streams else one, *args)
        transport = transports_in_use(clients).get(one.key)
    finally:
        clients.close()
    print(
        json.dumps({"received": received, "seconds": seconds, "transport": transport, **peak_rss()})
    )


def run_child(spec: dict[str, Any], expect: int) -> dict[str, Any]:
    data = run_fresh([sys.executable, os.path.abspath(__file__), "--_child", json.dumps(spec)])
    if data["received"] != expect:
        raise SystemExit(f"{spec}: got {data['received']} bytes, expected {expect}")
    return data


def median_rss(spec: dict[str, Any], expect: int, rounds: int) -> dict[str, Any]:
    """The median ru_maxrss and VmHWM of ``rounds`` fresh processes running ``spec``."""
    samples = [run_child(spec, expect) for _ in range(rounds)]
    return {
        "kib": statistics.median(d["ru_maxrss_kib"] for d in samples),
        "vm_hwm_kib": statistics.median(d["vm_hwm_kib"] or 0 for d in samples),
        "transport": samples[0]["transport"],
    }


# -- the sections ---------------------------------------------------------------------------


def ratios_of(series: dict[str, Series], keys: list[str]) -> dict[str, dict[str, float]]:
    """Each of our rows (``OURS``) of ``keys`` over every other row of ``keys``."""
    return {
        f"{mine}/{other}": paired_ratio(series[mine], series[other])
        for mine in keys
        if mine in OURS
        for other in keys
        if other != mine
    }


def summarize(series: dict[str, Series], contenders: tuple[Contender, ...]) -> dict[str, Any]:
    """Per client: median, min, max, samples; per group (sync, async): each axios_python
    client (and transport alone) over each other client; with raw loops: every median over
    its group's."""
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
        out["ratios"].update(ratios_of(series, [k.key for k in contenders if k.kind == kind]))
    raws = {k.kind: k.key for k in contenders if k.key == RAW[k.kind]}
    if raws:
        out["vs_raw"] = {
            k.key: series[k.key].median / series[raws[k.kind]].median
            for k in contenders
            if k.kind in raws
        }
    return out


def section_stream(
    clients: Clients, server: Server, args: argparse.Namespace, contenders: tuple[Contender, ...]
) -> dict[str, Any]:
    print(f"(a) streaming {human(args.size)}: MiB/s per sample", flush=True)
    work = fixed_work((server.url(f"/bytes/{args.size}"),), args.size / MiB, args.size)
    series = round_robin(clients, contenders, args.repeat, "MiB/s", work)
    return summarize(series, contenders)


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


def section_rss(server: Server, args: argparse.Namespace, keys: tuple[str, ...]) -> dict[str, Any]:
    """Per client: fresh processes streaming 1 MiB, streaming ``--size`` and buffering
    ``--buffered-size``; growth is each big figure over the 1 MiB one."""
    print("(c) peak RSS: one fresh process per figure", flush=True)
    runs = {
        "baseline": ("stream", MiB),
        "stream": ("stream", args.size),
        "buffered": ("buffered", args.buffered_size),
    }
    rows: dict[str, Any] = {}
    for key in keys:
        _, label, kind = ROWS[key]
        row: dict[str, Any] = {"label": label, "kind": kind}
        for name, (mode, size) in runs.items():
            spec = {"mode": mode, "client": key, "url": server.url(f"/bytes/{size}")}
            figures = median_rss(spec, size, args.rss_rounds)
            row[f"{name}_kib"], row[f"{name}_vm_hwm_kib"] = figures["kib"], figures["vm_hwm_kib"]
            row["transport"] = figures["transport"]
        row["stream_growth_kib"] = row["stream_kib"] - row["baseline_kib"]
        row["buffered_growth_kib"] = row["buffered_kib"] - row["baseline_kib"]
        rows[key] = row
        print(
            f"  {label:<40} 1 MiB {row['baseline_kib'] / KiB:6.1f}   stream "
            f"{row['stream_kib'] / KiB:6.1f}   buffered {row['buffered_kib'] / KiB:6.1f} MiB",
            flush=True,
        )
    return rows


def section_concurrent(
    server: Server, args: argparse.Namespace, keys: tuple[str, ...]
) -> dict[str, Any]:
    """``--streams`` streams at once per fresh process, clients alternating round-robin."""
    repeat = args.concurrent_repeat
    total = args.streams * args.stream_size
    print(
        f"(d) {args.streams} concurrent streams of {human(args.stream_size)}: aggregate MiB/s "
        f"and peak RSS, one fresh process per sample",
        flush=True,
    )
    url = server.url(f"/bytes/{args.stream_size}")
    samples: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    for index in range(repeat):
        shift = index % len(keys)
        line = []
        for key in keys[shift:] + keys[:shift]:
            spec = {"mode": "concurrent", "client": key, "url": url, "streams": args.streams}
            data = run_child(spec, total)
            data["mib_s"] = total / MiB / data["seconds"]
            samples[key].append(data)
            line.append(f"{key}={data['mib_s']:,.0f} MiB/s {data['ru_maxrss_kib'] / KiB:,.0f} MiB")
        print(f"  repeat {index + 1}/{repeat}: " + "  ".join(line), flush=True)
    out: dict[str, Any] = {}
    rates, rss = {}, {}
    for key, rows in samples.items():
        _, label, kind = ROWS[key]
        rates[key] = Series(label, "MiB/s", [d["mib_s"] for d in rows])
        rss[key] = Series(label, "KiB", [d["ru_maxrss_kib"] for d in rows])
        out[key] = {
            "label": label,
            "kind": kind,
            "median": rates[key].median,
            "min": min(rates[key].samples),
            "max": max(rates[key].samples),
            "samples": rates[key].samples,
            "rss_kib": rss[key].median,
            "rss_samples_kib": rss[key].samples,
            "vm_hwm_kib": statistics.median(d["vm_hwm_kib"] or 0 for d in rows),
            "transport": rows[0]["transport"],
        }
    out["ratios"] = ratios_of(rates, list(keys))
    out["rss_ratios"] = ratios_of(rss, list(keys))
    return out


def judge_targets(results: dict[str, Any], judged: bool) -> dict[str, Any]:
    """Every target whose section and clients were run: its ratio and verdict."""
    targets = {}
    for t in TARGETS:
        ratio = results.get(t.section, {}).get(t.table, {}).get(t.ratio)
        if ratio is None:
            continue
        targets[t.name] = {
            "group": t.group,
            "section": t.section,
            "of": f"{t.table}[{t.ratio}]",
            "ratio": ratio["of_medians"],
            "paired": ratio["median_of_paired"],
            "goal": t.goal,
            "at_most": t.at_most,
            "pass": t.met(ratio["of_medians"]),
            "judged": judged,
        }
    return targets


# -- reporting ------------------------------------------------------------------------------

OWN = {"sync": "axios_sync", "async": "axios_async"}  # the "own/this" column's numerator


def grouped(section: dict[str, Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The client rows of a section, sync ones then async ones."""
    rows = [(k, v) for k, v in section.items() if isinstance(v, dict) and "kind" in v]
    return [(kind, [(k, v) for k, v in rows if v["kind"] == kind]) for kind in ("sync", "async")]


def own_over(section: dict[str, Any], kind: str, key: str, table: str = "ratios") -> str:
    """The "own/this" cell: our own-transport client over ``key``, ratio of medians."""
    ratio = section.get(table, {}).get(f"{OWN[kind]}/{key}")
    return f"{ratio['of_medians']:>10.3f}" if ratio else " " * 10


def throughput_table(title: str, name: str, results: dict[str, Any], decimals: int) -> list[str]:
    """Median, min, max per client, by group; its share of its group's raw loop (when the
    section has one) and our own-transport client of the group over it."""
    section = results[name]
    raw = section.get("vs_raw", {})
    lines = [
        title,
        f"  {'client':<40}{'median':>10}{'min':>10}{'max':>10}"
        + (f"{'this/raw':>10}" if raw else "")
        + f"{'own/this':>10}",
    ]
    for kind, rows in grouped(section):
        if rows:
            lines.append(f"  {kind}")
        for key, row in rows:
            cells = "".join(f"{row[f]:>10,.{decimals}f}" for f in ("median", "min", "max"))
            if raw:
                cells += f"{raw[key]:>10.3f}" if key in raw else " " * 10
            cells += own_over(section, kind, key)
            lines.append(f"  {row['label']:<40}{cells}".rstrip())
    return lines


def rss_table(rows: dict[str, Any], params: dict[str, Any]) -> list[str]:
    big, buffered = human(params["size"]), human(params["buffered_size"])
    lines = [
        f"(c) peak RSS (ru_maxrss, MiB) of a fresh process: streaming 1 MiB, streaming {big}, "
        f"buffered get() of {buffered}",
        f"  {'client':<40}{'1 MiB':>8}{'stream':>9}{'growth':>9}{'buffered':>10}{'growth':>9}",
    ]
    for kind, group in grouped(rows):
        if group:
            lines.append(f"  {kind}")
        for _, row in group:
            figures = [row[f] / KiB for f in ("baseline_kib", "stream_kib")]
            growth = [round(row[f"{f}_growth_kib"] / KiB, 1) + 0.0 for f in ("stream", "buffered")]
            lines.append(
                f"  {row['label']:<40}{figures[0]:>8.1f}{figures[1]:>9.1f}{growth[0]:>+9.1f}"
                f"{row['buffered_kib'] / KiB:>10.1f}{growth[1]:>+9.1f}"
            )
    return lines


def concurrent_table(rows: dict[str, Any], params: dict[str, Any]) -> list[str]:
    lines = [
        f"(d) {params['streams']} concurrent streams of {human(params['stream_size'])} over one "
        "client: aggregate MiB/s, peak RSS; own/this = axios_python (own transport) over this",
        f"  {'client':<40}{'median':>10}{'min':>10}{'max':>10}{'peak RSS':>12}"
        f"{'own/this':>10}{'RSS own/this':>14}",
    ]
    for _, group in grouped(rows):
        for key, row in group:
            cells = "".join(f"{row[f]:>10,.1f}" for f in ("median", "min", "max"))
            cells += f"{row['rss_kib'] / KiB:>8.1f} MiB" + own_over(rows, "async", key)
            cells += "    " + own_over(rows, "async", key, "rss_ratios")
            lines.append(f"  {row['label']:<40}{cells}".rstrip())
    return lines


def targets_table(targets: dict[str, Any]) -> list[str]:
    lines = ["targets: ratio of medians (median of the per-repeat ratios), goal, verdict"]
    for group, title in TARGET_GROUPS.items():
        mine = {name: t for name, t in targets.items() if t["group"] == group}
        if mine:
            lines.append(f"  {title}")
        for name, t in mine.items():
            verdict = ("PASS" if t["pass"] else "MISS") if t["judged"] else "not judged"
            sign = "<=" if t["at_most"] else ">="
            lines.append(
                f"    {name:<48} {t['ratio']:7.3f} ({t['paired']:.3f})  goal {sign} "
                f"{t['goal']:.2f}  {verdict}"
            )
    return lines


def render(results: dict[str, Any]) -> list[str]:
    params = results["params"]
    lines: list[str] = []
    if "streaming" in results:
        title = (
            f"(a) streaming a {human(params['size'])} body, chunk_size={CHUNK}: MiB/s, higher is "
            "better; this/raw = share of the raw loop of its group (sync: socket, async: asyncio); "
            "own/this = axios_python (own transport) over this"
        )
        lines += [*throughput_table(title, "streaming", results, 1), ""]
    if "small_gets" in results:
        title = (
            f"(b) {params['gets']} small GETs per sample ({len(SMALL_BODY)}-byte body), one "
            "reused client: requests/s; own/this as in (a)"
        )
        lines += [*throughput_table(title, "small_gets", results, 0), ""]
    if "peak_rss" in results:
        lines += [*rss_table(results["peak_rss"], params), ""]
    if "concurrent" in results:
        lines += [*concurrent_table(results["concurrent"], params), ""]
    if results.get("transports"):
        lines.append("transports in use (read from the axios_python instances after warm-up)")
        lines += [f"  {key:<20} {name}" for key, name in results["transports"].items()]
        lines.append("")
    if results.get("targets"):
        lines += [*targets_table(results["targets"]), ""]
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
        description="axios_python (its own transport and httpx's) vs httpx, requests, aiohttp, "
        "a raw socket and axios-python 0.2.0: streaming, small GETs, peak RSS and concurrent "
        "streams, one local server."
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
    add(
        "--skip",
        nargs="+",
        action="extend",
        default=[],
        choices=["stream", "small", "rss", "concurrent"],
        help="sections to leave out",
    )
    add(
        "--clients",
        nargs="+",
        action="extend",
        choices=[*ALL_KEYS, "sync", "async"],
        metavar="KEY",
        help="only these contenders (keys as in the JSON, or 'sync' / 'async' for a group); "
        "charts then go to a temp folder unless --charts is given",
    )
    add("--no-pin", action="store_true", help="do not pin server and client to separate CPUs")
    add("--_worker020", action="store_true", help=argparse.SUPPRESS)
    add("--_child", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.clients and args.charts is None:
        args.charts = QUICK_CHARTS  # a partial run must not replace the charts of docs/img
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


def wanted(args: argparse.Namespace, notes: list[str]) -> set[str]:
    """The contender keys of this run: ``--clients`` (all by default), less the ones whose
    client cannot be built here (each with a printed note)."""
    keys = {k for k in ALL_KEYS if not args.clients or {k, ROWS[k][2]} & set(args.clients)}
    if "httpx_own_async" in keys and async_transport() is None:
        keys.discard("httpx_own_async")
        keys.discard("transport_async")
        note = (
            "axios_python.transports.AsyncHTTPTransport is not importable: the "
            "httpx.AsyncClient + AsyncHTTPTransport and transport-alone rows are skipped"
        )
        print(f"note: {note}", flush=True)
        notes.append(note)
    return keys


def check_transports(found: dict[str, str], notes: list[str]) -> None:
    """A note for each axios_python client that is not on the transport its label says."""
    for key, name in found.items():
        ours = name.startswith("axios_python.transports.")
        if ours != (key in ("axios_sync", "axios_async")):
            notes.append(
                f"{ROWS[key][1]} ran on {name}: its rows (and the targets on them) measure "
                "that transport (the package's default: axios_python/_transport_choice.py; "
                "or $AXIOS_PYTHON_TRANSPORT is set)"
            )


def in_process_sections(
    server: Server, args: argparse.Namespace, results: dict[str, Any], keys: set[str]
) -> None:
    """(a) and (b): every client in this process (0.2.0 behind its pipe), warmed up first."""
    streaming = tuple(k for k in STREAMING if k.key in keys)
    small = tuple(k for k in SMALL if k.key in keys)
    needed = {k.client for k in streaming + small if k.client}
    clients = Clients.open(tuple(n for n in LIBRARIES if n in needed))
    try:
        if "small" not in args.skip and {"axios020_sync", "axios020_async"} & keys:
            clients.old = open_020(args, results["notes"])
            if clients.old is not None:
                results["axios_020"] = clients.old.hello
                results["notes"].append(
                    f"axios-python 0.2.0 sync: {max(1, args.gets // SLOW_020)} GETs per sample "
                    f"(1/{SLOW_020}): its get() runs asyncio.run() and builds a new "
                    "httpx.AsyncClient (an SSL context, the CA bundle loaded) for every call"
                )
        if clients.old is None:
            small = tuple(k for k in small if not k.key.startswith("axios020"))
        for one in streaming:  # warm up: connections, imports, caches
            timed(clients, one, server.url(f"/bytes/{MiB}"))
        for one in small:
            timed(clients, one, server.url("/small"), WARM_GETS)
        results["transports"] = transports_in_use(clients)
        check_transports(results["transports"], results["notes"])
        if "stream" not in args.skip and streaming:
            results["streaming"] = section_stream(clients, server, args, streaming)
        if "small" not in args.skip and small:
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
            "each) several times a request, slowing every async client on httpx's transport"
        )
    print_header(results)
    print(
        "params    "
        + ", ".join(f"{k} {human(v) if 'size' in k else v}" for k, v in params.items())
        + (", client and server pinned to separate CPUs" if server_cpu is not None else "")
    )
    keys = wanted(args, results["notes"])
    results["params"]["clients"] = [k for k in ALL_KEYS if k in keys]
    server = Server(server_cpu)
    try:
        if not {"stream", "small"} <= set(args.skip):
            in_process_sections(server, args, results, keys)
        rss = tuple(k for k in RSS_CLIENTS if k in keys)
        if "rss" not in args.skip and rss:
            results["peak_rss"] = section_rss(server, args, rss)
        concurrent = tuple(k for k in CONCURRENT if k in keys)
        if "concurrent" not in args.skip and concurrent:
            results["concurrent"] = section_concurrent(server, args, concurrent)
            results["notes"].append(
                f"(d) pools: limits=httpx.Limits(max_connections={args.streams}, "
                f"max_keepalive_connections={args.streams}) for axios_python create() (both "
                "transports), httpx.AsyncClient and AsyncHTTPTransport(limits=...), aiohttp "
                f"TCPConnector(limit={args.streams})"
            )
    finally:
        server.close()
    results["targets"] = judge_targets(results, judged=not args.quick)
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
