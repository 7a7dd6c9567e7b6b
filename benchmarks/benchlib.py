"""What the benchmark scripts share: sizes, the local server, round-robin timing, fresh
processes for peak RSS, and the description of the machine and the run.

``python benchmarks/benchlib.py --_serve`` runs the GET server (what ``Server()`` starts):
``GET /bytes/<n>`` sends ``n`` bytes with Content-Length from one preallocated 1 MiB buffer,
``GET /small`` a 13-byte body; HTTP/1.1 keep-alive, one thread per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gc
import inspect
import json
import os
import platform
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
SMALL_BODY = b"hello, world\n"
BACKLOG = 1024  # 500 concurrent connects must not overflow the SYN/accept queues

# -- sizes (the CLI's and the demo's; imported late: a measured process must not load
# axios_python unless it is the client measured, and 0.2.0's side process has no _demo) --


def parse_size(text: str) -> int:
    """``"1GiB"``, ``"256MiB"``, ``"1.5GB"``, ``"1000000"``: bytes (an argparse type)."""
    from axios_python._cli import _size  # the CLI's own argparse type

    return _size(text)


def human(size: int) -> str:
    """``1 MiB``, ``1 GiB``, ``1.5 KiB``, ``999 B``."""
    from axios_python._demo import format_size

    return format_size(size)


# -- the server (runs in its own process: ``benchlib.py --_serve``) -------------------------

_SMALL_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
    + str(len(SMALL_BODY)).encode()
    + b"\r\n\r\n"
    + SMALL_BODY
)
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
SERVER_CPU_VARIABLE = "AXIOS_PYTHON_BENCH_SERVER_CPU"


def send_bytes(conn: socket.socket, body: memoryview, size: int) -> None:
    """A 200 with ``size`` bytes cut from ``body`` over and over (no big buffer)."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\n\r\n" % size
    )
    whole, rest = divmod(size, len(body))
    for _ in range(whole):
        conn.sendall(body)
    conn.sendall(body[:rest])


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

    ``handler(conn, body)`` answers one connection (the GET server above by default) in its
    own thread; ``body`` is 1 MiB of patterned bytes to cut responses from, shared by all.
    """
    handler = handler or _serve_connection
    cpu = os.environ.get(SERVER_CPU_VARIABLE)
    if cpu:  # before any thread starts: threads keep the affinity they were created with
        os.sched_setaffinity(0, {int(cpu)})
    pattern = bytes(range(256))
    body = memoryview(pattern * (MiB // len(pattern)))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(BACKLOG)

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=handler, args=(conn, body), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    print(listener.getsockname()[1], flush=True)
    sys.stdin.read()  # returns when the parent closes our stdin or exits


class Server:
    """``script --_serve`` in a subprocess (this file's GET server by default), on one CPU."""

    def __init__(self, cpu: int | None, script: str = __file__) -> None:
        # The server pins itself before it starts a thread: pinning it from here afterwards
        # (as this did until 2026-11-22) moved only its main thread, and the accept and
        # connection threads stayed on the clients' CPU.
        env = dict(os.environ)
        if cpu is not None:
            env[SERVER_CPU_VARIABLE] = str(cpu)
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(script), "--_serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        if cpu is not None:
            os.sched_setaffinity(self.proc.pid, {cpu})

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        stop(self.proc)


def stop(proc: subprocess.Popen[str], seconds: float = 10) -> None:
    """Close the stdin of a process that runs until its stdin closes; kill it if it lingers."""
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- timing: contenders, samples, round-robin -----------------------------------------------


@dataclass(frozen=True)
class Contender:
    """One client doing one thing. ``kind`` ("sync" or "async") is the group it is compared
    within; ``run(clients, *args)`` (a plain or an ``async def`` function) returns the bytes
    it received, so a sample that skipped work shows. ``client`` names the attribute of
    ``clients`` it uses (a fresh process opens only that one); None when it needs none."""

    key: str
    label: str
    kind: str
    run: Callable[..., Any]
    client: str | None = None


def timed(c: Any, contender: Contender, *args: Any) -> tuple[float, int]:
    """Seconds and bytes of one ``contender.run(c, *args)``; async ones run on ``c.loop``."""
    gc.collect()
    if not inspect.iscoroutinefunction(contender.run):
        started = time.perf_counter()
        result = contender.run(c, *args)
        return time.perf_counter() - started, result

    async def go() -> tuple[float, int]:
        started = time.perf_counter()
        result = await contender.run(c, *args)
        return time.perf_counter() - started, result

    loop: asyncio.AbstractEventLoop = c.loop
    return loop.run_until_complete(go())


@dataclass
class Series:
    label: str
    unit: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


Work = Callable[[Contender], tuple[tuple[Any, ...], float, int]]
"""What a contender does in one sample: ``(args, amount, expected bytes)``."""


def fixed_work(args: tuple[Any, ...], amount: float, expect: int) -> Work:
    """The same work for every contender: ``run(c, *args)``, ``amount`` units, ``expect``
    bytes received."""
    return lambda _: (args, amount, expect)


def round_robin(
    c: Any, contenders: tuple[Contender, ...], repeat: int, unit: str, work: Work
) -> dict[str, Series]:
    """``amount / seconds`` per sample; each repeat runs every contender once, order rotated."""
    series = {k.key: Series(k.label, unit) for k in contenders}
    for index in range(repeat):
        shift = index % len(contenders)
        order = contenders[shift:] + contenders[:shift]
        line = []
        for contender in order:
            args, amount, expect = work(contender)
            seconds, received = timed(c, contender, *args)
            if received != expect:
                raise SystemExit(f"{contender.label}: got {received} bytes, expected {expect}")
            value = amount / seconds
            series[contender.key].samples.append(value)
            line.append(f"{contender.key}={value:,.0f}")
        print(f"  repeat {index + 1}/{repeat}: " + "  ".join(line), flush=True)
    return series


def paired_ratio(a: Series, b: Series) -> dict[str, float]:
    """``a / b`` as the ratio of the medians and as the median of the per-repeat ratios."""
    paired = [x / y for x, y in zip(a.samples, b.samples, strict=True)]
    return {"of_medians": a.median / b.median, "median_of_paired": statistics.median(paired)}


# -- fresh processes, for peak RSS -----------------------------------------------------------


def _vm_hwm_kib() -> int | None:
    """Linux's own peak RSS of this process image (VmHWM), to cross-check ru_maxrss."""
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def peak_rss() -> dict[str, int | None]:
    """This process's peak RSS so far: ru_maxrss and VmHWM, in KiB."""
    import resource

    return {
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "vm_hwm_kib": _vm_hwm_kib(),
    }


def _fresh_process(command: list[str]) -> list[str]:
    """Run ``command`` as a grandchild forked by a tiny shell.

    Linux carries ru_maxrss across fork and exec, so a child of this (large) process would
    report our peak, not its own; a process forked by ``sh`` starts from the shell's few MiB.
    """
    if os.name == "posix" and os.path.exists("/bin/sh"):
        return ["/bin/sh", "-c", '"$@"; exit $?', "sh", *command]
    return command


def run_fresh(command: list[str]) -> dict[str, Any]:
    """Run ``command`` in a fresh process; the JSON object on the last line of its output."""
    done = subprocess.run(_fresh_process(command), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


# -- the run: machine, versions, commit, load -----------------------------------------------


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


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (other work on the machine skews timings)."""
    with contextlib.suppress(OSError, AttributeError):
        return [round(x, 2) for x in os.getloadavg()]
    return None


def pin_clients(no_pin: bool) -> int | None:
    """Pin this process (and the clients it starts) to the first CPU and return the last one
    for the server; None (nothing pinned) with fewer than two CPUs or when turned off."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if no_pin or len(cpus) < 2:
        return None
    os.sched_setaffinity(0, {cpus[0]})
    return cpus[-1]


def run_header() -> dict[str, Any]:
    """What every results file starts with: when, where, which versions, which commit, and
    the load average at the start (``finish_run`` adds the one at the end)."""
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "commit": commit(),
        "load_average": {"start": load_average()},
    }


def finish_run(results: dict[str, Any], started: float) -> None:
    """Record the wall time since ``started`` (perf_counter) and the load average now."""
    results["wall_seconds"] = time.perf_counter() - started
    results.setdefault("load_average", {})["end"] = load_average()


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
    print(f"load avg  {format_load(results.get('load_average', {}).get('start'))} (1, 5, 15 min)")


def format_load(load: list[float] | None) -> str:
    return " ".join(f"{x:.2f}" for x in load) if load else "unknown"


def commit() -> str | None:
    """The checked-out commit of this repository, short form, read from ``.git`` (no git
    command is run); None outside a checkout."""
    folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    git = os.path.join(folder, ".git")
    with contextlib.suppress(OSError, ValueError):
        with open(os.path.join(git, "HEAD")) as f:
            head = f.read().strip()
        if not head.startswith("ref: "):
            return head[:7] or None
        ref = head[5:]
        with contextlib.suppress(FileNotFoundError), open(os.path.join(git, ref)) as f:
            return f.read().strip()[:7] or None
        with open(os.path.join(git, "packed-refs")) as f:
            for line in f:
                if line.rstrip().endswith(" " + ref):
                    return line[:7]
    return None


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    names = (
        *("axios-python", "httpx", "httpcore", "h11", "anyio", "sniffio"),
        *("requests", "urllib3", "aiohttp"),
    )
    for name in names:
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    return found


def write_json(path: str, results: dict[str, Any]) -> None:
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w") as out:
        json.dump(results, out, indent=2)
        out.write("\n")
    print(f"results written to {path}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--_serve"]:
        raise SystemExit("usage: benchlib.py --_serve (started by Server(), not by hand)")
    serve()
