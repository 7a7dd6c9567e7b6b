"""``axios-python demo``: stream a big body through the library and show that memory stays flat.

An embedded HTTP/1.1 server (127.0.0.1, ephemeral port, background threads) serves
``GET /bytes/<n>``: a ``Content-Length: n`` body sent from one preallocated 1 MiB buffer with
``sendall`` of memoryviews, so the server costs no memory however large ``n`` is. The demo
streams a 1 MiB body (the baseline) and then the requested size, sync with
``iter_bytes(65536)`` and async with ``aiter_bytes(65536)``, counts every byte, and prints a
table of throughput and peak RSS. Only the standard library and axios_python are used.

While each body streams, its progress is shown on stderr (fed by the instance's
``on_download_progress``): a bar redrawn in place on a terminal, and erased before the
table row is printed, or plain lines every few seconds when stderr is not a terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Final, TextIO

from ._api import create
from ._client import Axios
from ._exceptions import AxiosError
from ._progress import ProgressEvent
from ._progressbar import ProgressDisplay, progress_display
from ._version import __version__

__all__ = ["DemoServer", "RunResult", "format_size", "parse_size", "peak_rss_kib", "run_demo"]

KiB: Final = 1024
MiB: Final = 1024 * KiB
GiB: Final = 1024 * MiB

BASELINE_SIZE: Final = MiB
DEFAULT_SIZE: Final = GiB
DEFAULT_CHUNK_SIZE: Final = 64 * KiB
FLAT_BOUND_KIB: Final = 32 * KiB
"""Largest peak-RSS growth (in KiB) from the baseline to the big body that still counts as flat."""

_UNITS: Final[dict[str, int]] = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": KiB,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": MiB,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": GiB,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 1024 * GiB,
}
_SIZE: Final = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*")


def parse_size(text: str) -> int:
    """``"1GiB"`` -> 1073741824; ``"256MiB"``, ``"1.5GB"``, ``"1000000"`` work too.

    Binary units (KiB, MiB, GiB, TiB) are powers of 1024; decimal ones (kB, MB, GB, TB, or
    just K, M, G, T) powers of 1000. Raises ``ValueError`` for anything else or for zero.
    """
    match = _SIZE.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise ValueError(
            f"invalid size {text!r}: use a number of bytes with an optional unit, "
            "e.g. 1000000, 4MiB, 256MiB, 1GiB, 1.5GB"
        )
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < 1:
        raise ValueError(f"invalid size {text!r}: it must be at least 1 byte")
    return size


def format_size(size: float) -> str:
    """A human size in binary units: ``1 MiB``, ``1 GiB``, ``1.5 KiB``, ``999 B``."""
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size:.0f} B"


def peak_rss_kib() -> int | None:
    """This process's peak resident set size in KiB, or None where the OS cannot tell.

    ``getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux, bytes on macOS). Linux carries
    ru_maxrss across fork and exec, so a demo started from a bigger process (an IDE, a test
    runner) would report the parent's peak and hide any growth; there, ``VmHWM`` from
    ``/proc/self/status``, the same high-water mark for this process image alone, is used.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":  # pragma: no cover - bytes on macOS
        return peak // 1024
    own = _vm_hwm_kib()
    return peak if own is None else min(peak, own)


def _vm_hwm_kib() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


# -- the embedded server ------------------------------------------------------------------

_BODY_BUFFER_SIZE: Final = MiB
_MAX_HEAD: Final = 64 * KiB
_BYTES_PATH: Final = re.compile(rb"/bytes/(\d{1,15})")


class DemoServer:
    """A tiny HTTP/1.1 keep-alive server on 127.0.0.1 serving ``GET /bytes/<n>``.

    ``with DemoServer() as server: server.url("/bytes/1024")``. One daemon thread accepts,
    one daemon thread per connection answers requests until the client closes.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        pattern = bytes(range(256))
        self._body = memoryview(pattern * (_BODY_BUFFER_SIZE // len(pattern)))
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self.host, self.port = self._listener.getsockname()[:2]
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(
            target=self._accept_loop, name="axios-python-demo-server", daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def __enter__(self) -> DemoServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connections.add(conn)
            threading.Thread(
                target=self._serve, args=(conn,), name="axios-python-demo-conn", daemon=True
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                self._serve_requests(conn)
        except OSError:
            pass  # the client went away mid-response: nothing to do
        finally:
            with self._lock:
                self._connections.discard(conn)

    def _serve_requests(self, conn: socket.socket) -> None:
        pending = b""
        while True:
            while b"\r\n\r\n" not in pending:
                if len(pending) > _MAX_HEAD:
                    self._reply(conn, 431, "Request Header Fields Too Large", close=True)
                    return
                data = conn.recv(65536)
                if not data:
                    return
                pending += data
            head, _, pending = pending.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
                self._reply(conn, 400, "Bad Request", close=True)
                return
            method, target, version = parts
            fields = [line.lower() for line in lines[1:]]
            close = version == b"HTTP/1.0" or any(
                f.startswith(b"connection:") and b"close" in f for f in fields
            )
            if any(f.startswith((b"content-length:", b"transfer-encoding:")) for f in fields):
                self._reply(conn, 400, "Bad Request (no request body expected)", close=True)
                return
            if method not in (b"GET", b"HEAD"):
                self._reply(conn, 405, "Method Not Allowed", close=True)
                return
            match = _BYTES_PATH.fullmatch(target)
            if match is None:
                self._reply(conn, 404, "Not Found", close=close, send_body=method == b"GET")
            else:
                size = int(match.group(1))
                conn.sendall(_head(200, "OK", size, close=close))
                if method == b"GET":
                    self._send_body(conn, size)
            if close:
                return

    def _send_body(self, conn: socket.socket, size: int) -> None:
        body = self._body
        step = len(body)
        while size >= step:
            conn.sendall(body)
            size -= step
        if size:
            conn.sendall(body[:size])

    @staticmethod
    def _reply(
        conn: socket.socket, status: int, reason: str, *, close: bool, send_body: bool = True
    ) -> None:
        text = f"{status} {reason}: this demo server only serves GET /bytes/<n>\n".encode()
        conn.sendall(_head(status, reason, len(text), close=close, content_type="text/plain"))
        if send_body:
            conn.sendall(text)


def _head(
    status: int,
    reason: str,
    length: int,
    *,
    close: bool,
    content_type: str = "application/octet-stream",
) -> bytes:
    connection = "Connection: close\r\n" if close else ""
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n{connection}\r\n"
    ).encode("ascii")


# -- progress -----------------------------------------------------------------------------


class _InPlaceBar:
    """One line on a terminal, redrawn in place (``\\r``), erased by ``close()``."""

    WIDTH: Final = 24

    def __init__(self, label: str, stream: TextIO) -> None:
        self._label = label
        self._stream = stream
        self._drawn = False

    def __call__(self, event: ProgressEvent) -> None:
        fraction = event.progress or 0.0
        filled = int(self.WIDTH * fraction)
        text = f"{self._label} [{'#' * filled}{'-' * (self.WIDTH - filled)}] {fraction:4.0%}"
        if event.rate:
            text += f" {format_size(event.rate)}/s"
        columns = shutil.get_terminal_size().columns - 1
        self._stream.write(f"\r\x1b[2K{text[:columns]}")
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\r\x1b[2K")
            self._stream.flush()
            self._drawn = False


class _RunProgress:
    """The ``on_download_progress`` of the demo's instance: it feeds the display of the run
    in progress (``start(label)`` ... ``finish()``), and does nothing between runs."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self._enabled = enabled
        self._stream = stream
        self._display: ProgressDisplay | None = None

    def start(self, label: str) -> None:
        self.finish()
        if not self._enabled:
            return
        stream = sys.stderr if self._stream is None else self._stream
        isatty = getattr(stream, "isatty", None)
        if isatty is not None and isatty():
            self._display = _InPlaceBar(label, stream)
        else:
            self._display = progress_display(label, stream)

    def __call__(self, event: ProgressEvent) -> None:
        if self._display is not None:
            self._display(event)

    def finish(self) -> None:
        if self._display is not None:
            self._display.close()
            self._display = None


# -- the runs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    mode: str
    size: int
    received: int
    seconds: float
    peak_rss_kib: int | None

    @property
    def mib_per_s(self) -> float:
        return self.received / MiB / self.seconds if self.seconds > 0 else float("inf")


def _stream_sync(api: Axios, url: str, chunk_size: int) -> int:
    received = 0
    with api.get(url, stream=True) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes(chunk_size):
            received += len(chunk)
    return received


async def _stream_async(api: Axios, url: str, chunk_size: int) -> int:
    received = 0
    async with api.async_get(url, stream=True) as response:
        response.raise_for_status()
        async for chunk in response.aiter_bytes(chunk_size):
            received += len(chunk)
    return received


def _measure(mode: str, size: int, stream: Callable[[], int]) -> RunResult:
    started = time.perf_counter()
    received = stream()
    seconds = time.perf_counter() - started
    return RunResult(mode, size, received, seconds, peak_rss_kib())


async def _ameasure(mode: str, size: int, stream: Callable[[], Awaitable[int]]) -> RunResult:
    started = time.perf_counter()
    received = await stream()
    seconds = time.perf_counter() - started
    return RunResult(mode, size, received, seconds, peak_rss_kib())


def _rss(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / KiB:.1f} MiB"


_COLUMNS: Final = (
    ("run", "<", 6),
    ("read with", "<", 19),
    ("body", ">", 9),
    ("bytes received", ">", 15),
    ("seconds", ">", 9),
    ("MiB/s", ">", 9),
    ("peak RSS", ">", 11),
)


def _row(values: tuple[str, ...]) -> str:
    return "  ".join(
        f"{value:{align}{width}}" for value, (_, align, width) in zip(values, _COLUMNS, strict=True)
    ).rstrip()


def run_demo(
    size: int = DEFAULT_SIZE,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    out: TextIO | None = None,
    progress: bool = True,
) -> int:
    """Run the demo, print the table to ``out`` (stdout by default); 0 on success, 1 if not.

    ``progress`` shows each run's progress on stderr while it streams."""
    stream = sys.stdout if out is None else out
    runs = _RunProgress(progress)

    def say(line: str = "") -> None:
        print(line, file=stream, flush=True)

    sizes = (BASELINE_SIZE, size)
    results: list[RunResult] = []
    with DemoServer() as server:
        say(f"axios_python {__version__} streaming demo (Python {sys.version.split()[0]})")
        say(f"embedded HTTP/1.1 server: {server.url('/bytes/<n>')}")
        say(
            f"each body is streamed and counted chunk by chunk (chunk_size={chunk_size}), "
            "never stored"
        )
        say()
        header = _row(tuple(name for name, _, _ in _COLUMNS))
        say(header)
        say("-" * len(header))
        # 127.0.0.1: no proxy, no .netrc
        api = create(timeout=60, trust_env=False, on_download_progress=runs)
        sync_read = f"iter_bytes({chunk_size})"
        async_read = f"aiter_bytes({chunk_size})"

        def report(result: RunResult, how: str) -> None:
            results.append(result)
            say(
                _row(
                    (
                        result.mode,
                        how,
                        format_size(result.size),
                        f"{result.received:,}",
                        f"{result.seconds:.3f}",
                        f"{result.mib_per_s:,.1f}",
                        _rss(result.peak_rss_kib),
                    )
                )
            )

        # One event loop for both async runs, so the big one reuses the warm connection,
        # as the sync runs reuse the instance's sync pool.
        loop = asyncio.new_event_loop()
        try:
            for body in sizes:
                url = server.url(f"/bytes/{body}")
                runs.start(f"sync {format_size(body)}")
                measured_sync = _measure("sync", body, partial(_stream_sync, api, url, chunk_size))
                runs.finish()
                report(measured_sync, sync_read)
                runs.start(f"async {format_size(body)}")
                measured = _ameasure("async", body, partial(_stream_async, api, url, chunk_size))
                measured_async = loop.run_until_complete(measured)
                runs.finish()
                report(measured_async, async_read)
        except AxiosError as exc:
            runs.finish()
            say()
            say(f"FAILED: the request raised {type(exc).__name__} ({exc.code}): {exc}")
            return 1
        finally:
            runs.finish()
            loop.run_until_complete(api.aclose())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    say()
    failed = [r for r in results if r.received != r.size]
    for result in failed:
        say(
            f"FAILED: the {result.mode} run of a {format_size(result.size)} body expected "
            f"{result.size:,} bytes but received {result.received:,}"
        )
    if failed:
        return 1
    say(f"all {len(results)} bodies arrived complete (bytes received == Content-Length)")
    say(
        f"note: the {format_size(BASELINE_SIZE)} rows include creating the client and "
        "connecting, so their MiB/s\n      is not a throughput figure; they are the memory baseline"
    )
    return _memory_verdict(results, size, say)


def _memory_verdict(results: list[RunResult], size: int, say: Callable[[str], None]) -> int:
    baseline = [r.peak_rss_kib for r in results if r.size == BASELINE_SIZE]
    big = [r.peak_rss_kib for r in results if r.size == size]
    if size <= BASELINE_SIZE:
        say(
            f"the body is not bigger than the {format_size(BASELINE_SIZE)} baseline: "
            "no memory growth to compare (try --size 1GiB)"
        )
        return 0
    before = max((k for k in baseline if k is not None), default=None)
    after = max((k for k in big if k is not None), default=None)
    if before is None or after is None:
        say("peak RSS is not available on this platform: memory growth not measured")
        return 0
    growth = after - before
    say(
        f"peak RSS: {_rss(before)} after the {format_size(BASELINE_SIZE)} baseline, "
        f"{_rss(after)} after the {format_size(size)} body ({size / BASELINE_SIZE:,.0f}x the data)"
    )
    summary = f"peak RSS growth: {growth / KiB:+.1f} MiB"
    if growth > FLAT_BOUND_KIB:
        say(
            f"FAILED: {summary}, over the {FLAT_BOUND_KIB // KiB} MiB bound: memory grows "
            "with the body, it is NOT flat"
        )
        return 1
    say(f"{summary} -> memory stays flat: the body streams through, never held in memory")
    return 0
