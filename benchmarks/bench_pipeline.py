"""What the axios layer (interceptors, middleware, retries, transforms) costs a small GET.

    python benchmarks/bench_pipeline.py [--repeat 15] [--gets 1000] [--json out.json]

One local HTTP/1.1 keep-alive server runs in its own process (``benchlib.Server``,
``GET /small``: a 13-byte body). Small buffered GETs on one reused client per contender,
requests/s, sync and async, all contenders alternating round-robin in every repeat (the order
rotates each repeat), medians over the repeats:

  core      the streaming-core path as it was before the axios layer (commit 7c82e0b),
            rebuilt from today's pieces in a subclass of ``Axios`` whose ``request`` is
            ``_prepare`` + one ``_attempt`` + ``check_status`` (async: ``_async_attempt``):
            no hook check, no transforms, no retry plan; same ``get`` / ``async_get``
  dispatch  ``api._dispatch(api._merge("GET", url, {}))``: ``request()`` minus its hook check
  (a)       ``api.get(url)`` on an instance with nothing registered: the full pipeline
  (b)       ``api.get(url)`` on an instance with 3 request interceptors, 3 response
            interceptors and 1 middleware, all trivial pass-throughs
  httpx     ``httpx.Client.get`` / ``httpx.AsyncClient.get``, for reference

Targets (from the axios-layer issue), as per-request time, ratio of the medians:
  (a) adds at most 5% over core;  (b) adds at most 10% over (a).

A second, in-process part (no sockets: every client on an ``httpx.MockTransport``) gives
the same contenders in microseconds per call, where the few microseconds the layer costs are
not drowned by the network stack; it explains the figures and has no target.

Prints a table, writes JSON with ``--json``; the exit status is 1 when a target is missed.
``core`` and ``dispatch`` call private methods (``_prepare``, ``_attempt``, ``_async_attempt``,
``_async_request``, ``_dispatch``, ``_merge``): if those change, this script must follow.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # the buffered-GET helpers
import benchlib  # the server, the machine description, the round-robin helpers

TIMEOUT = 60.0
TARGET_PLAIN = 0.05  # (a) over core
TARGET_HOOKS = 0.10  # (b) over (a)
SMALL_BODY = benchlib.SMALL_BODY


# -- the instances ----------------------------------------------------------------------------


def _pass_config(config: Any) -> Any:
    return config


def _pass_response(response: Any) -> Any:
    return response


class PassThrough:
    """A middleware serving both kinds of call: ``sync`` and ``async_`` just call ``next``."""

    @staticmethod
    def sync(ctx: Any, next: Callable[[], Any]) -> Any:
        return next()

    @staticmethod
    async def async_(ctx: Any, next: Callable[[], Any]) -> Any:
        return await next()


def core_class() -> type:
    """An ``Axios`` whose ``request`` is the streaming-core path as it was before the axios
    layer (commit 7c82e0b): prepare, one attempt, status check. No hook check, no transforms,
    no retry plan. Public entry points (``get``, ``async_get``, ``RequestContext``) unchanged,
    so the comparison with (a) isolates exactly what the axios layer added."""
    import axios_python
    from axios_python._deadline import Deadline
    from axios_python._pipeline import check_status

    class CoreAxios(axios_python.Axios):
        def request(self, method: Any = None, url: Any = None, /, **options: Any) -> Any:
            prepared = self._prepare(method, url, options)
            response = self._attempt(prepared, Deadline(prepared.timeout.total))
            try:
                check_status(response, prepared)
            except BaseException:
                response.close()
                raise
            return response

        async def _async_request(self, method: Any, url: Any, options: Any) -> Any:
            prepared = self._prepare(method, url, options)
            response = await self._async_attempt(prepared, Deadline(prepared.timeout.total))
            try:
                check_status(response, prepared)
            except BaseException:
                await response.aclose()
                raise
            return response

    return CoreAxios


def make_instances(transport: Any = None) -> tuple[Any, Any, Any]:
    """The core-path instance, (a) one with nothing registered, (b) one with 3 + 3
    interceptors + 1 middleware."""
    import axios_python

    options: dict[str, Any] = {"timeout": TIMEOUT, "trust_env": False}
    if transport is not None:
        options["transport"] = transport
    core = core_class()(**options)
    plain = axios_python.create(**options)
    hooked = axios_python.create(**options)
    for _ in range(3):
        hooked.interceptors.request.use(_pass_config)
        hooked.interceptors.response.use(_pass_response)
    hooked.use(PassThrough())
    assert not plain._has_hooks() and hooked._has_hooks()
    assert len(hooked.interceptors.request) == len(hooked.interceptors.response) == 3
    return core, plain, hooked


@dataclass
class Clients:
    """What ``benchlib.timed`` and ``benchlib.round_robin`` take (a ``loop`` for the async
    contenders), with our three instances and the two httpx clients."""

    loop: asyncio.AbstractEventLoop
    httpx_sync: Any = None
    httpx_async: Any = None
    core: Any = None
    plain: Any = None
    hooked: Any = None

    @classmethod
    def open(cls, transport: Any = None) -> Clients:
        import httpx

        loop = asyncio.new_event_loop()
        c = cls(loop)
        c.core, c.plain, c.hooked = make_instances(transport)
        extra = {} if transport is None else {"transport": transport}
        c.httpx_sync = httpx.Client(timeout=TIMEOUT, trust_env=False, **extra)

        async def make_async() -> None:
            c.httpx_async = httpx.AsyncClient(timeout=TIMEOUT, trust_env=False, **extra)

        loop.run_until_complete(make_async())
        return c

    def close(self) -> None:
        async def close_async() -> None:
            await self.httpx_async.aclose()
            await self.core.aclose()
            await self.plain.aclose()
            await self.hooked.aclose()

        self.loop.run_until_complete(close_async())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()
        self.httpx_sync.close()
        self.core.close()
        self.plain.close()
        self.hooked.close()


# -- the contenders: each does ``count`` buffered GETs and returns the body bytes seen ------


def core_sync(c: Clients, url: str, count: int) -> int:
    return bench.body_bytes_of_gets(c.core.get, url, count)


async def core_async(c: Clients, url: str, count: int) -> int:
    return await bench.body_bytes_of_async_gets(c.core.async_get, url, count)


def dispatch_sync(c: Clients, url: str, count: int) -> int:
    api = c.plain
    return sum(len(api._dispatch(api._merge("GET", url, {})).content) for _ in range(count))


async def dispatch_async(c: Clients, url: str, count: int) -> int:
    api = c.plain
    total = 0
    for _ in range(count):
        total += len((await api._async_dispatch(api._merge("GET", url, {}))).content)
    return total


def plain_sync(c: Clients, url: str, count: int) -> int:
    return bench.body_bytes_of_gets(c.plain.get, url, count)


async def plain_async(c: Clients, url: str, count: int) -> int:
    return await bench.body_bytes_of_async_gets(c.plain.async_get, url, count)


def hooked_sync(c: Clients, url: str, count: int) -> int:
    return bench.body_bytes_of_gets(c.hooked.get, url, count)


async def hooked_async(c: Clients, url: str, count: int) -> int:
    return await bench.body_bytes_of_async_gets(c.hooked.async_get, url, count)


def httpx_sync(c: Clients, url: str, count: int) -> int:
    return bench.body_bytes_of_gets(c.httpx_sync.get, url, count)


async def httpx_async(c: Clients, url: str, count: int) -> int:
    return await bench.body_bytes_of_async_gets(c.httpx_async.get, url, count)


C = benchlib.Contender
CONTENDERS = (
    C("core_sync", "core path: api.get (sync)", "sync", core_sync),
    C("dispatch_sync", "api._dispatch(config) (sync)", "sync", dispatch_sync),
    C("plain_sync", "(a) api.get, nothing registered", "sync", plain_sync),
    C("hooked_sync", "(b) api.get, 3+3 icpt + 1 mw", "sync", hooked_sync),
    C("httpx_sync", "httpx.Client.get", "sync", httpx_sync),
    C("core_async", "core path: api.async_get", "async", core_async),
    C("dispatch_async", "api._async_dispatch(config)", "async", dispatch_async),
    C("plain_async", "(a) api.async_get, nothing reg.", "async", plain_async),
    C("hooked_async", "(b) api.async_get, 3+3 + 1 mw", "async", hooked_async),
    C("httpx_async", "httpx.AsyncClient.get", "async", httpx_async),
)
KINDS = ("sync", "async")
# (name, slower key, faster key, goal as the largest allowed extra time per request)
TARGETS = tuple(
    (f"{label} {kind}", f"{slow}_{kind}", f"{fast}_{kind}", goal)
    for kind in KINDS
    for label, slow, fast, goal in (
        ("(a) full pipeline vs core path,", "plain", "core", TARGET_PLAIN),
        ("(b) 3+3 interceptors + 1 mw vs (a),", "hooked", "plain", TARGET_HOOKS),
    )
)
# Extra comparisons reported, without a goal.
COMPARISONS = tuple(
    (f"{slow} / {fast} {kind}", f"{slow}_{kind}", f"{fast}_{kind}")
    for kind in KINDS
    for slow, fast in (
        ("dispatch", "core"),
        ("plain", "dispatch"),
        ("plain", "httpx"),
        ("hooked", "httpx"),
    )
)


def overhead(results: dict[str, Any], slow: str, fast: str) -> tuple[float, float]:
    """Extra time per request of ``slow`` over ``fast``: from the medians, and paired."""
    s, f = results[slow], results[fast]
    of_medians = f["median"] / s["median"] - 1.0  # requests/s: time is the inverse
    paired = statistics.median(b / a - 1.0 for a, b in zip(s["samples"], f["samples"], strict=True))
    return of_medians, paired


def summarize(series: dict[str, benchlib.Series]) -> dict[str, Any]:
    return {
        key: {
            "label": s.label,
            "unit": s.unit,
            "median": s.median,
            "min": min(s.samples),
            "max": max(s.samples),
            "us_per_request": 1e6 / s.median,
            "samples": s.samples,
        }
        for key, s in series.items()
    }


# -- in-process (no sockets): microseconds per call ---------------------------------------


def mock_transport() -> Any:
    import httpx

    headers = {"Content-Type": "text/plain", "Content-Length": str(len(SMALL_BODY))}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=SMALL_BODY)

    return httpx.MockTransport(handler)


def in_process(repeat: int, count: int) -> dict[str, Any]:
    """The same contenders on an ``httpx.MockTransport``: us per call, round-robin medians."""
    c = Clients.open(mock_transport())
    url = "http://bench.invalid/small"
    try:
        for contender in CONTENDERS:
            benchlib.timed(c, contender, url, 200)
        series = {k.key: benchlib.Series(k.label, "us/call") for k in CONTENDERS}
        for index in range(repeat):
            shift = index % len(CONTENDERS)
            for contender in CONTENDERS[shift:] + CONTENDERS[:shift]:
                seconds, received = benchlib.timed(c, contender, url, count)
                if received != len(SMALL_BODY) * count:
                    raise SystemExit(f"{contender.label}: got {received} bytes")
                series[contender.key].samples.append(seconds / count * 1e6)
    finally:
        c.close()
    return {
        key: {"label": s.label, "median_us": s.median, "samples_us": s.samples}
        for key, s in series.items()
    }


# -- reporting -----------------------------------------------------------------------------


def render(results: dict[str, Any]) -> list[str]:
    p = results["params"]
    net = results["small_gets"]
    lines = [
        f"small GETs over one keep-alive connection ({p['gets']} per sample, {p['repeat']} "
        "samples, round-robin): requests/s",
        f"  {'contender':<36}{'median':>9}{'min':>9}{'max':>9}{'us/req':>9}",
    ]
    for kind in KINDS:
        for contender in CONTENDERS:
            if contender.kind != kind:
                continue
            row = net[contender.key]
            lines.append(
                f"  {row['label']:<36}{row['median']:>9,.0f}{row['min']:>9,.0f}"
                f"{row['max']:>9,.0f}{row['us_per_request']:>9.1f}"
            )
        lines.append("")
    lines.append("extra time per request (from the medians; median of per-repeat pairs)")
    for name, slow, fast in COMPARISONS:
        value, paired = overhead(net, slow, fast)
        lines.append(f"  {name:<36}{value:>+8.1%}  ({paired:+.1%})")
    if "in_process" in results:
        ip = results["in_process"]
        lines += [
            "",
            f"in-process, httpx.MockTransport, no sockets ({p['in_process_calls']} calls per "
            "sample): us per call, median",
        ]
        for kind in KINDS:
            core = ip[f"core_{kind}"]["median_us"]
            for contender in CONTENDERS:
                if contender.kind == kind:
                    us = ip[contender.key]["median_us"]
                    lines.append(f"  {ip[contender.key]['label']:<36}{us:>9.1f}{us - core:>+9.1f}")
        lines.append("  (last column: microseconds over the core path of the same kind)")
    lines += ["", "targets: extra time per request, ratio of medians (median of paired ratios)"]
    for name, target in results["targets"].items():
        verdict = "PASS" if target["pass"] else "MISS"
        lines.append(
            f"  {name:<42} {target['overhead']:>+7.1%} ({target['paired']:+.1%})  "
            f"goal <= {target['goal']:.0%}  {verdict}"
        )
    lines.append(f"wall time {results['wall_seconds']:.0f} s")
    return lines


# -- main ----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The axios layer's cost on small GETs: core path, full pipeline, "
        "3+3 interceptors + 1 middleware, httpx; sync and async, against one local server."
    )
    parser.add_argument("--repeat", type=int, default=15, help="samples per contender (15)")
    parser.add_argument("--gets", type=int, default=1000, help="small GETs per sample (1000)")
    parser.add_argument(
        "--in-process-calls",
        type=int,
        default=3000,
        help="calls per in-process sample (3000); 0 skips the in-process part",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin server and client to separate CPUs"
    )
    return parser.parse_args()


def run(args: argparse.Namespace) -> dict[str, Any]:
    server_cpu = benchlib.pin_clients(args.no_pin)
    pin = server_cpu is not None
    started = time.perf_counter()
    results: dict[str, Any] = {
        **benchlib.run_header(),
        "params": {
            "repeat": args.repeat,
            "gets": args.gets,
            "in_process_calls": args.in_process_calls,
            "pinned": pin,
        },
    }
    benchlib.print_header(results)
    server = benchlib.Server(server_cpu)
    try:
        clients = Clients.open()
        try:
            url = server.url("/small")
            for contender in CONTENDERS:  # warm up: connections, imports, caches
                benchlib.timed(clients, contender, url, 100)
            print(f"{args.gets} small GETs per sample: requests/s", flush=True)
            work = benchlib.fixed_work((url, args.gets), args.gets, len(SMALL_BODY) * args.gets)
            series = benchlib.round_robin(clients, CONTENDERS, args.repeat, "req/s", work)
            results["small_gets"] = summarize(series)
        finally:
            clients.close()
    finally:
        server.close()
    if args.in_process_calls > 0:
        print("in-process part (httpx.MockTransport)", flush=True)
        results["in_process"] = in_process(args.repeat, args.in_process_calls)
    results["targets"] = {}
    for name, slow, fast, goal in TARGETS:
        value, paired = overhead(results["small_gets"], slow, fast)
        results["targets"][name] = {
            "overhead": value,
            "paired": paired,
            "goal": goal,
            "pass": value <= goal,
        }
    results["comparisons"] = {
        name: dict(
            zip(("overhead", "paired"), overhead(results["small_gets"], slow, fast), strict=True)
        )
        for name, slow, fast in COMPARISONS
    }
    benchlib.finish_run(results, started)
    return results


def main() -> int:
    args = parse_args()
    if args.repeat < 1 or args.gets < 1:
        raise SystemExit("--repeat and --gets must be at least 1")
    gc.collect()
    results = run(args)
    print()
    print("\n".join(render(results)))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
            out.write("\n")
        print(f"results written to {args.json}")
    return 0 if all(t["pass"] for t in results["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
