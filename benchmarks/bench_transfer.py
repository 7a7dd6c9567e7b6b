"""Transfers: ``max_rate`` accuracy, upload memory, and what progress callbacks cost.

    python benchmarks/bench_transfer.py [--quick] [--size 64MiB] [--rates 8MiB,32MiB]
                                        [--big 1GiB] [--repeat 5] [--json PATH]

One local HTTP/1.1 server runs in its own process (127.0.0.1, raw sockets, one thread per
connection): ``GET /bytes/<n>`` sends ``n`` bytes with Content-Length from one preallocated
1 MiB buffer (as ``bench.py``'s server); ``POST /upload`` reads a body of any size, with a
Content-Length or chunked, into one reused 1 MiB buffer and throws it away, and replies with
JSON ``{"received": bytes, "seconds": first to last body byte}``. Every measured transfer
runs in a fresh process (started through ``/bin/sh``, see ``benchlib._fresh_process``), so its
peak RSS (ru_maxrss, VmHWM as a cross-check) is its own. Each first makes an untimed 1-byte
GET with the same client (first-request imports, the keep-alive connection: ~30 ms), then times
the transfer alone, from the call to the last byte (uploads: to the server's reply). Client and
server are pinned to separate CPUs when there are two or more.

(1) max_rate accuracy: download ``--size`` (64 MiB) at each of ``--rates`` (8 and 32 MiB/s)
    with ``max_rate=rate``, and upload a ``--size`` file (``content=open(path, "rb")``) with
    ``max_rate=(rate, None)``, sync and async; the same transfers uncapped. Measured rate /
    cap must be within 0.90-1.10, and a capped transfer's peak RSS within 4 MiB of the same
    transfer uncapped (flat: the pacing never buffers ahead).
(2) upload RSS: peak RSS uploading 1 MiB and ``--big`` (1 GiB) with ``content=`` a file,
    multipart ``files=`` a file, and ``content=`` a generator of 64 KiB chunks; sync and
    async (async: the generator is an async one), with and without ``on_upload_progress``;
    httpx's own clients and requests for reference (not judged; ``httpx.AsyncClient`` cannot
    send a sync file object, so it has no ``content=open(f)`` row). Target, axios rows: the
    big upload's peak RSS within 16 MiB of the 1 MiB one. Throughput is the big upload's.
(3) progress cost: download ``--big`` with and without a no-op ``on_download_progress``,
    sync and async, ``--repeat`` fresh processes each, round-robin; the ratio of the median
    MiB/s (expected ~1.0: the callback fires at most every 100 ms) and the callback count.

The results are printed as tables and written as JSON to
``benchmarks/results/transfer-<date>.json`` (``-quick.json`` with ``--quick``; ``--json PATH``
to choose, ``--no-json`` for none; ``--skip rate upload progress`` leaves parts out). The
exit status is 1 when a target is missed, else 0. ``--quick`` is a smoke run (4 MiB / 64 MiB,
1 sample, under a minute) in which (3) is printed but not judged: one 0.2 s sample cannot
resolve a few percent. The default run takes about 2.5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib  # sizes, the machine description, versions, the fresh-process and VmHWM helpers

KiB, MiB, GiB = benchlib.KiB, benchlib.MiB, benchlib.GiB
CHUNK = 65536
TIMEOUT = 120.0
RATE_LOW, RATE_HIGH = 0.90, 1.10  # measured / cap
RATE_RSS_SLACK = 4 * MiB  # capped peak RSS over the same transfer uncapped
UPLOAD_RSS_SLACK = 16 * MiB  # big upload's peak RSS over the 1 MiB upload
PROGRESS_GOAL = 0.95  # with / without a no-op progress callback, MiB/s
HERE = os.path.dirname(os.path.abspath(__file__))

# -- the server (its own process: ``bench_transfer.py --_serve``) -----------------------------

_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


class _Reader:
    """Buffered reads off one connection: header lines, and bodies discarded into scratch."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.pending = bytearray()

    def until(self, marker: bytes) -> bytes | None:
        while True:
            end = self.pending.find(marker)
            if end >= 0:
                out = bytes(self.pending[:end])
                del self.pending[: end + len(marker)]
                return out
            data = self.conn.recv(65536)
            if not data:
                return None
            self.pending += data

    def discard(self, count: int, scratch: memoryview) -> None:
        take = min(count, len(self.pending))
        del self.pending[:take]
        left = count - take
        while left:
            got = self.conn.recv_into(scratch, min(left, len(scratch)))
            if not got:
                raise ConnectionError("client went away mid-body")
            left -= got


def _headers(head: bytes) -> tuple[bytes, bytes, dict[bytes, bytes]]:
    lines = head.split(b"\r\n")
    method, target, _ = lines[0].split(b" ", 2)
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip()
    return method, target, fields


def _read_upload(reader: _Reader, fields: dict[bytes, bytes], scratch: memoryview) -> int:
    if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
        received = 0
        while True:
            line = reader.until(b"\r\n")
            if line is None:
                raise ConnectionError("client went away mid-body")
            size = int(line.split(b";", 1)[0], 16)
            if size == 0:
                while reader.until(b"\r\n"):  # trailers, up to the empty line
                    pass
                return received
            reader.discard(size, scratch)
            received += size
            reader.until(b"\r\n")
    size = int(fields.get(b"content-length", b"0"))
    reader.discard(size, scratch)
    return size


def _serve_connection(conn: socket.socket, body: memoryview) -> None:
    reader = _Reader(conn)
    scratch = memoryview(bytearray(MiB))
    with conn:
        try:
            while True:
                head = reader.until(b"\r\n\r\n")
                if head is None:
                    return
                method, target, fields = _headers(head)
                if method == b"GET" and target.startswith(b"/bytes/"):
                    benchlib.send_bytes(conn, body, int(target[7:]))
                elif method in (b"POST", b"PUT") and target == b"/upload":
                    started = time.perf_counter()
                    received = _read_upload(reader, fields, scratch)
                    seconds = time.perf_counter() - started
                    reply = json.dumps({"received": received, "seconds": seconds}).encode()
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(reply), reply)
                    )
                else:
                    conn.sendall(_NOT_FOUND)
        except (OSError, IndexError, ValueError):
            return


# -- one measured transfer (a fresh process: ``bench_transfer.py --_case JSON``) --------------


def _file_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


async def _afile_chunks(path: str) -> AsyncIterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


class _Progress:
    def __init__(self) -> None:
        self.calls = 0
        self.loaded: int | None = None

    def __call__(self, event: Any) -> None:
        self.calls += 1
        self.loaded = event.loaded


def _axios_options(spec: dict[str, Any], progress: _Progress) -> dict[str, Any]:
    options: dict[str, Any] = {}
    upload = spec["op"] == "upload"
    if spec.get("rate"):
        options["max_rate"] = (spec["rate"], None) if upload else spec["rate"]
    if spec.get("progress"):
        options["on_upload_progress" if upload else "on_download_progress"] = progress
    return options


def _warm_url(spec: dict[str, Any]) -> str:
    """A 1-byte GET on the same server: made first, untimed, so the measured transfer runs
    on an open keep-alive connection with the first-request imports done (~30 ms here)."""
    return "/".join(spec["url"].split("/", 3)[:3]) + "/bytes/1"


class _Clock:
    """Started just before the request is made: imports and client set-up are not timed."""

    def __init__(self) -> None:
        self.started = self.stopped = 0.0

    def start(self) -> None:
        self.started = time.perf_counter()

    def stop(self) -> None:
        self.stopped = time.perf_counter()

    def seconds(self) -> float:
        return self.stopped - self.started


def _download(spec: dict[str, Any], progress: _Progress, clock: _Clock) -> int:
    import axios_python

    api = axios_python.create(timeout=TIMEOUT, trust_env=False)
    options = _axios_options(spec, progress)
    url = spec["url"]
    n = 0
    if spec["kind"] == "sync":
        api.get(_warm_url(spec))
        clock.start()
        with api.get(url, stream=True, **options) as r:
            for chunk in r.iter_bytes(CHUNK):
                n += len(chunk)
        clock.stop()
        api.close()
        return n

    async def go() -> int:
        n = 0
        await api.async_get(_warm_url(spec))
        clock.start()
        async with api.async_get(url, stream=True, **options) as r:
            async for chunk in r.aiter_bytes(CHUNK):
                n += len(chunk)
        clock.stop()
        await api.aclose()
        return n

    return asyncio.run(go())


def _upload_axios(spec: dict[str, Any], progress: _Progress, clock: _Clock) -> bytes:
    import axios_python

    api = axios_python.create(timeout=TIMEOUT, trust_env=False)
    options = _axios_options(spec, progress)
    url, path, mode = spec["url"], spec["path"], spec["mode"]
    if spec["kind"] == "sync":
        api.get(_warm_url(spec))
        with open(path, "rb") as f:
            clock.start()
            if mode == "file":
                r = api.post(url, content=f, **options)
            elif mode == "multipart":
                r = api.post(url, files={"file": f}, **options)
            else:
                r = api.post(url, content=_file_chunks(path), **options)
            clock.stop()
        api.close()
        return bytes(r.content)

    async def go() -> bytes:
        await api.async_get(_warm_url(spec))
        with open(path, "rb") as f:
            clock.start()
            if mode == "file":
                r = await api.async_post(url, content=f, **options)
            elif mode == "multipart":
                r = await api.async_post(url, files={"file": f}, **options)
            else:
                r = await api.async_post(url, content=_afile_chunks(path), **options)
            clock.stop()
        await api.aclose()
        return bytes(r.content)

    return asyncio.run(go())


def _upload_httpx(spec: dict[str, Any], clock: _Clock) -> bytes:
    import httpx

    url, path, mode = spec["url"], spec["path"], spec["mode"]
    if spec["kind"] == "sync":
        with httpx.Client(timeout=TIMEOUT, trust_env=False) as client, open(path, "rb") as f:
            client.get(_warm_url(spec))
            clock.start()
            if mode == "file":
                r = client.post(url, content=f)
            elif mode == "multipart":
                r = client.post(url, files={"file": f})
            else:
                r = client.post(url, content=_file_chunks(path))
            clock.stop()
            return r.content

    async def go() -> bytes:
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as client:
            await client.get(_warm_url(spec))
            with open(path, "rb") as f:
                clock.start()
                if mode == "multipart":
                    r = await client.post(url, files={"file": f})
                else:  # an AsyncClient cannot send a sync file object: async generator only
                    r = await client.post(url, content=_afile_chunks(path))
                clock.stop()
            return r.content

    return asyncio.run(go())


def _upload_requests(spec: dict[str, Any], clock: _Clock) -> bytes:
    import requests

    url, path, mode = spec["url"], spec["path"], spec["mode"]
    with requests.Session() as session, open(path, "rb") as f:
        session.trust_env = False
        session.get(_warm_url(spec), timeout=TIMEOUT)
        clock.start()
        if mode == "file":
            r = session.post(url, data=f, timeout=TIMEOUT)
        elif mode == "multipart":
            r = session.post(url, files={"file": f}, timeout=TIMEOUT)
        else:
            r = session.post(url, data=_file_chunks(path), timeout=TIMEOUT)
        clock.stop()
        return r.content


def run_case(spec: dict[str, Any]) -> None:
    """One transfer as ``spec`` says; print what it moved, how fast, and the peak RSS."""
    import resource

    progress = _Progress()
    clock = _Clock()
    out: dict[str, Any] = {}
    if spec["op"] == "download":
        out["bytes"] = _download(spec, progress, clock)
        out["seconds"] = clock.seconds()
    else:
        if spec["client"] == "axios":
            reply = _upload_axios(spec, progress, clock)
        elif spec["client"] == "httpx":
            reply = _upload_httpx(spec, clock)
        else:
            reply = _upload_requests(spec, clock)
        out["seconds"] = clock.seconds()
        server = json.loads(reply)
        out["bytes"] = os.path.getsize(spec["path"])
        out["server_received"] = server["received"]
        out["server_seconds"] = server["seconds"]
    out["callbacks"] = progress.calls
    out["last_loaded"] = progress.loaded
    out["ru_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["vm_hwm_kib"] = benchlib._vm_hwm_kib()
    print(json.dumps(out))


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``spec`` in a fresh process; check the byte counts; return its figures."""
    command = [sys.executable, os.path.abspath(__file__), "--_case", json.dumps(spec)]
    done = subprocess.run(benchlib._fresh_process(command), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"case {spec} failed:\n{done.stderr}")
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if spec["op"] == "download":
        if data["bytes"] != spec["size"]:
            raise SystemExit(f"case {spec}: got {data['bytes']} of {spec['size']} bytes")
    else:
        sent, received = data["bytes"], data["server_received"]
        multipart = spec["mode"] == "multipart"
        if (received < sent) if multipart else (received != sent):
            raise SystemExit(f"case {spec}: server got {received} of {sent} bytes")
        if spec.get("progress") and data["last_loaded"] != received:
            loaded = data["last_loaded"]
            raise SystemExit(f"case {spec}: last progress event at {loaded}, not {received}")
    data["mib_s"] = data["bytes"] / MiB / data["seconds"]
    if "server_seconds" in data and data["server_seconds"] > 0:
        data["server_mib_s"] = data["server_received"] / MiB / data["server_seconds"]
    return data


# -- the sections ---------------------------------------------------------------------------


def make_file(folder: str, size: int) -> str:
    """A ``size``-byte file of one random 1 MiB block repeated (fast to write)."""
    path = os.path.join(folder, f"upload-{size}.bin")
    if not os.path.exists(path):
        block = os.urandom(MiB)
        with open(path, "wb") as f:
            left = size
            while left >= MiB:
                f.write(block)
                left -= MiB
            f.write(block[:left])
    return path


def _mib(kib: float) -> float:
    return kib / KiB


def section_rates(
    server: benchlib.Server, size: int, rates: list[int], files: dict[int, str]
) -> list[dict[str, Any]]:
    """(1) capped transfers against the cap; every capped one against the same uncapped."""
    rows = []
    for op in ("download", "upload"):
        for kind in ("sync", "async"):
            base: dict[str, Any] = {"op": op, "kind": kind, "client": "axios", "size": size}
            if op == "download":
                base["url"] = server.url(f"/bytes/{size}")
            else:
                base.update(url=server.url("/upload"), path=files[size], mode="file")
            uncapped = measure(base)
            rows.append({**base, "rate": None, **uncapped})
            print(
                f"  {op:<8} {kind:<5} uncapped      {uncapped['mib_s']:9.1f} MiB/s  "
                f"peak {_mib(uncapped['ru_maxrss_kib']):.1f} MiB",
                flush=True,
            )
            for rate in rates:
                got = measure({**base, "rate": rate})
                ratio = got["mib_s"] * MiB / rate
                extra = (got["ru_maxrss_kib"] - uncapped["ru_maxrss_kib"]) * KiB
                got.update(
                    rate=rate,
                    ratio=ratio,
                    rss_over_uncapped=extra,
                    pass_rate=RATE_LOW <= ratio <= RATE_HIGH,
                    pass_rss=extra <= RATE_RSS_SLACK,
                )
                rows.append({**base, **got})
                print(
                    f"  {op:<8} {kind:<5} cap {rate / MiB:5g} MiB/s {got['mib_s']:9.2f} MiB/s  "
                    f"ratio {ratio:.3f}  peak {_mib(got['ru_maxrss_kib']):.1f} MiB",
                    flush=True,
                )
    return rows


UPLOAD_MODES = {
    "file": "content=open(f)",
    "multipart": "files={'file': f}",
    "gen": "content=gen 64 KiB",
}


def upload_contenders() -> list[dict[str, Any]]:
    out = []
    for kind in ("sync", "async"):
        for mode in UPLOAD_MODES:
            for progress in (False, True):
                out.append({"client": "axios", "kind": kind, "mode": mode, "progress": progress})
    for kind in ("sync", "async"):
        for mode in UPLOAD_MODES:
            if kind == "async" and mode == "file":
                continue  # httpx.AsyncClient cannot send a sync file object
            out.append({"client": "httpx", "kind": kind, "mode": mode, "progress": False})
    with contextlib.suppress(ImportError):
        import requests  # noqa: F401

        for mode in UPLOAD_MODES:
            out.append({"client": "requests", "kind": "sync", "mode": mode, "progress": False})
    return out


def upload_label(c: dict[str, Any]) -> str:
    mode = UPLOAD_MODES[c["mode"]]
    if c["kind"] == "async" and c["mode"] == "gen":
        mode = "content=async gen 64 KiB"
    if c["client"] == "axios":
        who = f"axios {c['kind']}"
    elif c["client"] == "httpx":
        who = "httpx.Client" if c["kind"] == "sync" else "httpx.AsyncClient"
    else:
        who = "requests"
        mode = {"file": "data=f", "multipart": "files={'file': f}", "gen": "data=gen 64 KiB"}[
            c["mode"]
        ]
    return f"{who} {mode}"


def section_uploads(
    server: benchlib.Server, big: int, files: dict[int, str]
) -> list[dict[str, Any]]:
    """(2) peak RSS of a 1 MiB upload and of a big one, per client, body kind and callback."""
    rows = []
    for contender in upload_contenders():
        row: dict[str, Any] = {**contender, "label": upload_label(contender)}
        for name, size in (("small", MiB), ("big", big)):
            spec = {
                **contender,
                "op": "upload",
                "url": server.url("/upload"),
                "path": files[size],
                "size": size,
            }
            row[name] = measure(spec)
        row["growth"] = (row["big"]["ru_maxrss_kib"] - row["small"]["ru_maxrss_kib"]) * KiB
        row["pass"] = row["growth"] <= UPLOAD_RSS_SLACK  # a target for axios rows only
        rows.append(row)
        print(
            f"  {row['label']:<42} {'progress' if contender['progress'] else '':<8} "
            f"1 MiB {_mib(row['small']['ru_maxrss_kib']):6.1f} MiB  "
            f"{benchlib.human(big)} {_mib(row['big']['ru_maxrss_kib']):7.1f} MiB  "
            f"{row['big']['mib_s']:7.1f} MiB/s",
            flush=True,
        )
    return rows


def section_progress(server: benchlib.Server, big: int, repeat: int) -> dict[str, Any]:
    """(3) the same big download with and without a no-op callback, round-robin."""
    cases = [(kind, progress) for kind in ("sync", "async") for progress in (False, True)]
    samples: dict[str, list[dict[str, Any]]] = {f"{k}/{p}": [] for k, p in cases}
    for index in range(repeat):
        shift = index % len(cases)
        line = []
        for kind, progress in cases[shift:] + cases[:shift]:
            spec = {
                "op": "download",
                "client": "axios",
                "kind": kind,
                "progress": progress,
                "url": server.url(f"/bytes/{big}"),
                "size": big,
            }
            got = measure(spec)
            samples[f"{kind}/{progress}"].append(got)
            line.append(f"{kind}{'+cb' if progress else ''}={got['mib_s']:,.0f}")
        print(f"  repeat {index + 1}/{repeat}: " + "  ".join(line), flush=True)
    out: dict[str, Any] = {}
    for kind in ("sync", "async"):
        without = samples[f"{kind}/False"]
        with_cb = samples[f"{kind}/True"]
        plain = statistics.median(s["mib_s"] for s in without)
        metered = statistics.median(s["mib_s"] for s in with_cb)
        paired = statistics.median(
            a["mib_s"] / b["mib_s"] for a, b in zip(with_cb, without, strict=True)
        )
        out[kind] = {
            "without": without,
            "with": with_cb,
            "median_without": plain,
            "median_with": metered,
            "ratio": metered / plain,
            "median_of_paired": paired,
            "callbacks": statistics.median(s["callbacks"] for s in with_cb),
            "seconds_with": statistics.median(s["seconds"] for s in with_cb),
            "pass": metered / plain >= PROGRESS_GOAL,
        }
    return out


# -- reporting ------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def render(results: dict[str, Any]) -> list[str]:
    p = results["params"]
    lines: list[str] = []
    if "rates" in results:
        lines.append(
            f"(1) max_rate accuracy, {benchlib.human(p['size'])}: measured rate / cap "
            f"(target {RATE_LOW:.2f}-{RATE_HIGH:.2f}), peak RSS vs uncapped "
            f"(target <= +{RATE_RSS_SLACK // MiB} MiB)"
        )
        lines.append(
            f"  {'transfer':<30}{'cap MiB/s':>10}{'MiB/s':>10}{'server':>9}{'ratio':>8}"
            f"{'peak RSS':>11}{'vs uncap':>10}  verdict"
        )
        for r in results["rates"]:
            api = "iter_bytes" if r["kind"] == "sync" else "aiter_bytes"
            what = (
                f"download {r['kind']} {api}"
                if r["op"] == "download"
                else f"upload {r['kind']} content=open(f)"
            )
            server = f"{r['server_mib_s']:9.2f}" if "server_mib_s" in r else f"{'-':>9}"
            peak = f"{_mib(r['ru_maxrss_kib']):7.1f} MiB"
            if r["rate"] is None:
                lines.append(f"  {what:<30}{'none':>10}{r['mib_s']:>10.1f}{server}{'':>8}{peak}")
                continue
            extra = round(r["rss_over_uncapped"] / MiB, 1) + 0.0
            verdict = _verdict(r["pass_rate"] and r["pass_rss"])
            lines.append(
                f"  {what:<30}{r['rate'] / MiB:>10g}{r['mib_s']:>10.2f}{server}"
                f"{r['ratio']:>8.3f}{peak}{extra:>+6.1f} MiB  {verdict}"
            )
        lines.append("")
    if "uploads" in results:
        big = benchlib.human(p["big"])
        lines.append(
            f"(2) upload peak RSS (ru_maxrss), 1 MiB vs {big} (target: growth <= "
            f"{UPLOAD_RSS_SLACK // MiB} MiB); MiB/s of the {big} upload"
        )
        lines.append(
            f"  {'client / body':<44}{'progress':>9}{'1 MiB':>11}{big:>11}{'growth':>12}"
            f"{'MiB/s':>8}{'calls':>7}  verdict"
        )
        for r in results["uploads"]:
            growth = round(r["growth"] / MiB, 1) + 0.0
            cb = "yes" if r["progress"] else "no"
            calls = str(r["big"]["callbacks"]) if r["progress"] else "-"
            verdict = _verdict(r["pass"]) if r["client"] == "axios" else "(ref)"
            lines.append(
                f"  {r['label']:<44}{cb:>9}{_mib(r['small']['ru_maxrss_kib']):>7.1f} MiB"
                f"{_mib(r['big']['ru_maxrss_kib']):>7.1f} MiB{growth:>+8.1f} MiB"
                f"{r['big']['mib_s']:>8.1f}{calls:>7}  {verdict}"
            )
        lines.append("")
    if "progress" in results:
        lines.append(
            f"(3) progress callback cost, {benchlib.human(p['big'])} download, chunk {CHUNK}, "
            f"{p['repeat']} fresh processes each: median MiB/s"
        )
        lines.append(
            f"  {'download':<26}{'without':>9}{'with cb':>9}{'with/without':>14}"
            f"{'(paired)':>10}{'callbacks':>11}  verdict (>= {PROGRESS_GOAL:.2f})"
        )
        for kind, r in results["progress"].items():
            api = "iter_bytes" if kind == "sync" else "aiter_bytes"
            lines.append(
                f"  {f'axios {kind} {api}':<26}{r['median_without']:>9.1f}{r['median_with']:>9.1f}"
                f"{r['ratio']:>14.3f}{r['median_of_paired']:>10.3f}{r['callbacks']:>11g}  "
                f"{'(quick: not judged)' if p['quick'] else _verdict(r['pass'])}"
            )
        lines.append("")
    missed = results["missed"]
    lines.append(f"targets missed: {', '.join(missed) if missed else 'none'}")
    load = results["load_average"]
    lines.append(
        f"wall time {results['wall_seconds']:.0f} s (load average "
        f"{benchlib.format_load(load['start'])} at the start, "
        f"{benchlib.format_load(load['end'])} at the end)"
    )
    return lines


# -- main -----------------------------------------------------------------------------------


def parse_rates(text: str) -> list[int]:
    return [benchlib.parse_size(part) for part in text.split(",") if part.strip()]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="axios_python transfers: max_rate accuracy, upload peak RSS, and the cost "
        "of progress callbacks, against one local server."
    )
    parser.add_argument("--size", type=benchlib.parse_size, help="(1) body size (default 64MiB)")
    parser.add_argument(
        "--rates", type=parse_rates, help="(1) caps, comma-separated (default 8MiB,32MiB)"
    )
    parser.add_argument(
        "--big", type=benchlib.parse_size, help="(2) big upload and (3) download (default 1GiB)"
    )
    parser.add_argument("--repeat", type=int, help="(3) samples per case (default 5)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 4MiB, 64MiB, 1 sample (< 1 min)"
    )
    parser.add_argument(
        "--skip", nargs="+", default=[], choices=["rate", "upload", "progress"], help="skip parts"
    )
    parser.add_argument("--json", metavar="PATH", help="JSON output (default results/...)")
    parser.add_argument("--no-json", action="store_true", help="do not write JSON")
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin server and client to separate CPUs"
    )
    parser.add_argument("--_serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_case", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    quick = args.quick
    if args.size is None:
        args.size = 4 * MiB if quick else 64 * MiB
    if args.rates is None:
        args.rates = [8 * MiB, 32 * MiB]
    if args.big is None:
        args.big = 64 * MiB if quick else GiB
    if args.repeat is None:
        args.repeat = 1 if quick else 5
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    server_cpu = benchlib.pin_clients(args.no_pin)
    pin = server_cpu is not None
    started = time.perf_counter()
    results: dict[str, Any] = {
        **benchlib.run_header(),
        "params": {
            "size": args.size,
            "rates": args.rates,
            "big": args.big,
            "repeat": args.repeat,
            "quick": args.quick,
            "chunk_size": CHUNK,
            "pinned": pin,
        },
    }
    benchlib.print_header(results)
    rates = ", ".join(f"{r / MiB:g}" for r in args.rates)
    print(
        f"params    (1) {benchlib.human(args.size)} at {rates} MiB/s; (2)/(3) "
        f"{benchlib.human(args.big)}; {args.repeat} samples; "
        f"{'client and server pinned to separate CPUs' if pin else 'no CPU pinning'}",
        flush=True,
    )
    folder = tempfile.mkdtemp(prefix="bench-transfer-")
    server = benchlib.Server(server_cpu, script=__file__)
    try:
        files = {size: make_file(folder, size) for size in {MiB, args.size, args.big}}
        if "rate" not in args.skip:
            print(f"(1) max_rate accuracy, {benchlib.human(args.size)}", flush=True)
            results["rates"] = section_rates(server, args.size, args.rates, files)
        if "upload" not in args.skip:
            print(f"(2) upload peak RSS, 1 MiB and {benchlib.human(args.big)}", flush=True)
            results["uploads"] = section_uploads(server, args.big, files)
        if "progress" not in args.skip:
            print(f"(3) progress cost, {benchlib.human(args.big)} download", flush=True)
            results["progress"] = section_progress(server, args.big, args.repeat)
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)
    missed = []
    for r in results.get("rates", []):
        if r["rate"] is not None and not (r["pass_rate"] and r["pass_rss"]):
            missed.append(f"(1) {r['op']} {r['kind']} at {r['rate'] / MiB:g} MiB/s")
    for r in results.get("uploads", []):
        if r["client"] == "axios" and not r["pass"]:
            missed.append(f"(2) {r['label']}{' + progress' if r['progress'] else ''}")
    for kind, r in results.get("progress", {}).items():
        if not r["pass"] and not args.quick:  # one short sample cannot judge a few percent
            missed.append(f"(3) progress cost {kind}")
    results["missed"] = missed
    benchlib.finish_run(results, started)
    return results


def main() -> int:
    args = parse_args()
    if args._serve:
        benchlib.serve(_serve_connection)
        return 0
    if args._case:
        run_case(json.loads(args._case))
        return 0
    results = run(args)
    print()
    print("\n".join(render(results)))
    if not args.no_json:
        path = args.json
        if path is None:
            day = datetime.date.today().isoformat()
            suffix = "-quick" if args.quick else ""
            path = os.path.join(HERE, "results", f"transfer-{day}{suffix}.json")
        with open(path, "w") as out:
            json.dump(results, out, indent=2)
            out.write("\n")
        print(f"results written to {path}")
    return 1 if results["missed"] else 0


if __name__ == "__main__":
    sys.exit(main())
