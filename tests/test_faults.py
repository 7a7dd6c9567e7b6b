"""Faults no framework produces, from a raw-socket server: stalls, drips, truncation, bad framing,
oversized bodies. Each case runs sync and async (the async twin through ``asyncio.run`` on the
module face, so it also exercises a fresh per-loop client), streamed and buffered where the
body phase matters.

Timing bounds here are only "fails within X seconds" guarantees, each with 0.5 s of slack
over the timeout that must fire.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import textwrap
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import h11
import httpcore
import httpx
import pytest
from rawserver import Connection, Handler, RawServer, chunked, response_head, servers

import axios_python

MODES = ["sync", "async"]


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    """``serve(handler)`` starts a RawServer, closed (its threads joined) after the test."""
    with servers() as start:
        yield start


READ = 0.5
"""Read timeout for the stall cases (seconds)."""
SLACK = 0.5
"""How late past the timeout that must fire a failure may arrive."""


@dataclass
class Outcome:
    chunks: list[bytes] = field(default_factory=list)
    error: BaseException | None = None
    elapsed: float = 0.0

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


def fetch(
    mode: str, url: str, *, stream: bool, chunk_size: int | None = None, **options: Any
) -> Outcome:
    """One GET through the module face; collect what arrived and the error, if any.

    ``stream=True`` iterates ``iter_bytes``/``aiter_bytes`` inside ``with``; ``stream=False``
    lets the call buffer the body itself.
    """
    outcome = Outcome()
    start = time.monotonic()
    try:
        if mode == "sync":
            if stream:
                with axios_python.get(url, stream=True, **options) as r:
                    for chunk in r.iter_bytes(chunk_size):
                        outcome.chunks.append(chunk)
            else:
                outcome.chunks.append(axios_python.get(url, **options).content)
        else:

            async def main() -> None:
                if stream:
                    async with axios_python.async_get(url, stream=True, **options) as r:
                        async for chunk in r.aiter_bytes(chunk_size):
                            outcome.chunks.append(chunk)
                else:
                    outcome.chunks.append((await axios_python.async_get(url, **options)).content)

            asyncio.run(main())
    except Exception as exc:
        outcome.error = exc
    outcome.elapsed = time.monotonic() - start
    return outcome


_FOREIGN = (
    httpx.HTTPError,
    httpx.StreamError,
    httpx.InvalidURL,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.TimeoutException,
    h11.ProtocolError,
)


def assert_ours(error: BaseException | None, expected: type[BaseException]) -> BaseException:
    """The error is ours, of the expected kind, and nothing foreign escaped (item 7)."""
    assert error is not None, f"expected {expected.__name__}, but the call succeeded"
    assert isinstance(error, expected), f"expected {expected.__name__}, got {error!r}"
    assert isinstance(error, axios_python.AxiosError)
    assert type(error).__module__.startswith("axios_python"), type(error)
    assert not isinstance(error, _FOREIGN), f"a foreign error escaped: {error!r}"
    assert error.code, "every AxiosError carries a code"
    assert error.__cause__ is not error, "an error must not be chained as its own cause"
    return error


def assert_caused_from_below(error: BaseException) -> None:
    """A failure of the layer below arrives with that failure chained as ``__cause__``."""
    cause = error.__cause__
    assert cause is not None, f"{error!r} has no __cause__"
    assert isinstance(cause, (*_FOREIGN, OSError)), f"unexpected cause {cause!r}"


# -- 1. stall after headers and a few bytes -------------------------------------------------


def _stall_after_head(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Content-Length": "1000"}) + b"abc")
    conn.stall(10)


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "buffered"])
@pytest.mark.parametrize("mode", MODES)
def test_stall_mid_body_raises_read_timeout(serve: Any, mode: str, stream: bool) -> None:
    server = serve(_stall_after_head)
    out = fetch(mode, server.url, stream=stream, timeout=axios_python.Timeout(read=READ))
    error = assert_ours(out.error, axios_python.ReadTimeout)
    assert isinstance(error, axios_python.TimeoutError)
    assert isinstance(error, TimeoutError)  # the builtin
    assert error.code == "ETIMEDOUT"
    assert_caused_from_below(error)
    assert out.elapsed < READ + SLACK, f"took {out.elapsed:.2f} s"
    if stream:
        assert out.body == b"abc"
    # the stalled connection is released, not left open
    assert server.wait_connection().peer_closed.wait(2)


# -- 2. drip: a byte every 200 ms never trips the read timeout, the total deadline must ------


def _drip_forever(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Content-Length": "100000"}))
    conn.drip(b"x" * 100, 0.2)  # 20 s, far beyond any deadline here
    conn.stall(10)


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "buffered"])
@pytest.mark.parametrize("mode", MODES)
def test_drip_hits_total_deadline(serve: Any, mode: str, stream: bool) -> None:
    server = serve(_drip_forever)
    total = 1.5
    out = fetch(mode, server.url, stream=stream, timeout=axios_python.Timeout(read=1, total=total))
    error = assert_ours(out.error, axios_python.DeadlineExceeded)
    assert isinstance(error, TimeoutError)
    assert error.code == "ETIMEDOUT"
    assert out.elapsed < total + SLACK, f"took {out.elapsed:.2f} s"
    if stream:
        assert len(out.body) >= 3, "the drip was flowing, so no read timeout could fire"
    assert server.wait_connection().peer_closed.wait(2)


DRIPPED = b"abcde"


def _drip_then_stall(conn: Connection) -> None:
    # bytes at 0, 0.2 ... 0.8 s, then silence: with read=None (clamped to total=1) or 30 only
    # the total deadline can end this by 1.5 s; a per-read timeout would fire at 1.8 s or later
    conn.read_head()
    conn.send(response_head(200, {"Content-Length": "100000"}))
    conn.drip(DRIPPED, 0.2)
    conn.stall(10)


@pytest.mark.parametrize(
    ("stream", "read"), [(True, None), (False, 30)], ids=["streamed-read-None", "buffered-read-30"]
)
@pytest.mark.parametrize("mode", MODES)
def test_drip_then_stall_hits_total_deadline(
    serve: Any, mode: str, stream: bool, read: float | None
) -> None:
    server = serve(_drip_then_stall)
    total = 1.0
    out = fetch(
        mode, server.url, stream=stream, timeout=axios_python.Timeout(read=read, total=total)
    )
    error = assert_ours(out.error, axios_python.DeadlineExceeded)
    assert out.elapsed < total + SLACK, f"took {out.elapsed:.2f} s"
    if stream:
        assert out.body == DRIPPED
    assert server.wait_connection().peer_closed.wait(2)
    assert "total" in str(error)


def _drip_head(conn: Connection) -> None:
    # a head trickling in for 3 s, a byte every 200 ms: no read timeout (1 s) can fire
    conn.read_head()
    conn.send(b"HTTP/1.1 200 OK\r\nX-Padding: ")
    conn.drip(b"p" * 15, 0.2)
    conn.send(b"\r\nContent-Length: 2\r\n\r\nok")
    conn.stall(10)


@pytest.mark.parametrize("mode", MODES)
def test_drip_of_the_head_hits_total_deadline(serve: Any, mode: str) -> None:
    """``total`` covers the whole exchange, the response head included."""
    server = serve(_drip_head)
    total = 1.0
    out = fetch(mode, server.url, stream=True, timeout=axios_python.Timeout(read=1, total=total))
    assert_ours(out.error, axios_python.DeadlineExceeded)
    assert out.elapsed < total + SLACK, f"took {out.elapsed:.2f} s"


# -- 3. stall before the head ends ------------------------------------------------------------


def _stall_in_head(conn: Connection) -> None:
    conn.read_head()
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Le")
    conn.stall(10)


@pytest.mark.parametrize("mode", MODES)
def test_stall_inside_the_head_times_out(serve: Any, mode: str) -> None:
    server = serve(_stall_in_head)
    out = fetch(mode, server.url, stream=True, timeout=axios_python.Timeout(read=READ))
    error = assert_ours(out.error, axios_python.ReadTimeout)
    assert isinstance(error, TimeoutError)
    assert_caused_from_below(error)
    assert out.elapsed < READ + SLACK, f"took {out.elapsed:.2f} s"
    assert server.wait_connection().peer_closed.wait(2)


# -- 4. truncated bodies are never a silent short read ----------------------------------------


def _short_content_length(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Content-Length": "10"}) + b"abc")


def _chunk_cut_midway(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + b"a\r\nabc")


def _chunked_without_last_chunk(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + chunked(b"abc", end=False))


TRUNCATIONS = {
    "content-length": _short_content_length,
    "chunk-cut-midway": _chunk_cut_midway,
    "no-last-chunk": _chunked_without_last_chunk,
}


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "buffered"])
@pytest.mark.parametrize("kind", list(TRUNCATIONS))
@pytest.mark.parametrize("mode", MODES)
def test_truncated_body_raises_remote_protocol_error(
    serve: Any, mode: str, kind: str, stream: bool
) -> None:
    server = serve(TRUNCATIONS[kind])
    out = fetch(mode, server.url, stream=stream, timeout=axios_python.Timeout(5))
    error = assert_ours(out.error, axios_python.RemoteProtocolError)
    assert isinstance(error, axios_python.NetworkError)
    assert_caused_from_below(error)
    assert out.elapsed < 3, f"took {out.elapsed:.2f} s"
    message = str(error)
    assert "truncated" in message or "incomplete" in message, message
    if kind == "content-length":
        assert "received 3 bytes" in message and "expected 10" in message, message
    if stream:
        assert out.body == b"abc"  # what did arrive was delivered, then the error


# -- 5. broken framing: bad chunk size, garbage status line, a 1 MiB head ----------------------


def _bad_chunk_size(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + b"zz\r\nhello\r\n0\r\n\r\n")
    conn.stall(10)


def _garbage_status_line(conn: Connection) -> None:
    conn.read_head()
    conn.send(b"HELLO THERE, THIS IS NOT HTTP\r\n\r\n")
    conn.stall(10)


def _huge_head(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"X-Big": "a" * (1024 * 1024), "Content-Length": "2"}) + b"ok")
    conn.stall(10)


BROKEN = {
    # the phrase a user needs to see to know what went wrong
    "bad-chunk-size": (_bad_chunk_size, "chunk"),
    "garbage-status-line": (_garbage_status_line, "status line"),
    "huge-head": (_huge_head, "head"),
}


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "buffered"])
@pytest.mark.parametrize("kind", list(BROKEN))
@pytest.mark.parametrize("mode", MODES)
def test_broken_framing_is_a_clear_network_error(
    serve: Any, mode: str, kind: str, stream: bool
) -> None:
    script, phrase = BROKEN[kind]
    server = serve(script)
    out = fetch(mode, server.url, stream=stream, timeout=axios_python.Timeout(5))
    error = assert_ours(out.error, axios_python.NetworkError)
    assert isinstance(error, axios_python.RemoteProtocolError)
    assert_caused_from_below(error)
    assert out.elapsed < 3, f"hung for {out.elapsed:.2f} s"
    assert phrase in str(error).lower(), f"{phrase!r} not in {str(error)[:200]!r}"
    assert len(str(error)) < 1000, "the message must not dump the whole response"
    assert out.body == b""
    assert server.wait_connection().peer_closed.wait(2)


# -- 6. max_content_length ---------------------------------------------------------------------


def _declares_huge_length(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Content-Length": str(100 * 1024 * 1024)}))
    conn.stall(10)  # the body never comes: a client that tries to read it waits for read


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "buffered"])
@pytest.mark.parametrize("mode", MODES)
def test_declared_length_over_cap_fails_before_reading(serve: Any, mode: str, stream: bool) -> None:
    server = serve(_declares_huge_length)
    out = fetch(
        mode,
        server.url,
        stream=stream,
        timeout=axios_python.Timeout(read=10),
        max_content_length=1024 * 1024,
    )
    error = assert_ours(out.error, axios_python.ContentTooLarge)
    assert error.code == "ERR_CONTENT_TOO_LARGE"
    assert str(100 * 1024 * 1024) in str(error) and "1048576" in str(error), str(error)
    # well before the 10 s read timeout: it did not wait for the body
    assert out.elapsed < 2, f"took {out.elapsed:.2f} s: the client waited for the body"
    assert out.body == b""
    conn = server.wait_connection()
    assert conn.peer_closed.wait(2), "the client kept the unread connection open"
    assert conn.peer_closed_at is not None and conn.peer_closed_at - conn.started_at < 2


CAP = 64 * 1024


def _chunked_body(size: int) -> Any:
    def script(conn: Connection) -> None:
        conn.read_head()
        piece = b"c" * 4096
        body = chunked(*[piece] * (size // len(piece)))
        conn.send(response_head(200, {"Transfer-Encoding": "chunked"}) + body)
        conn.stall(5)

    return script


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "buffered"])
@pytest.mark.parametrize("mode", MODES)
def test_chunked_body_over_cap_fails_while_reading(serve: Any, mode: str, stream: bool) -> None:
    server = serve(_chunked_body(16 * CAP))
    out = fetch(
        mode, server.url, stream=stream, timeout=axios_python.Timeout(5), max_content_length=CAP
    )
    error = assert_ours(out.error, axios_python.ContentTooLarge)
    assert str(CAP) in str(error)
    assert out.elapsed < 3
    assert len(out.body) <= CAP
    if stream:
        assert len(out.body) > 0, "bytes under the cap are delivered before the error"
    assert server.wait_connection().peer_closed.wait(2)


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "buffered"])
@pytest.mark.parametrize("mode", MODES)
def test_body_exactly_at_cap_is_accepted(serve: Any, mode: str, stream: bool) -> None:
    server = serve(_chunked_body(CAP))
    out = fetch(
        mode, server.url, stream=stream, timeout=axios_python.Timeout(5), max_content_length=CAP
    )
    assert out.error is None, repr(out.error)
    assert out.body == b"c" * CAP


def _gzip_body(payload: bytes) -> Any:
    compressed = gzip.compress(payload)

    def script(conn: Connection) -> None:
        conn.read_head()
        headers = {"Content-Encoding": "gzip", "Content-Length": str(len(compressed))}
        conn.send(response_head(200, headers) + compressed)
        conn.stall(5)

    return script


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "buffered"])
@pytest.mark.parametrize("mode", MODES)
def test_gzip_inflating_over_cap_fails(serve: Any, mode: str, stream: bool) -> None:
    server = serve(_gzip_body(bytes(16 * CAP)))  # ~1 KiB on the wire, 1 MiB inflated
    out = fetch(
        mode, server.url, stream=stream, timeout=axios_python.Timeout(5), max_content_length=CAP
    )
    error = assert_ours(out.error, axios_python.ContentTooLarge)
    assert str(CAP) in str(error)
    assert len(out.body) <= CAP
    assert out.elapsed < 3


def _compressed_then_cut(encoding: str, framing: str) -> Any:
    """A compressed body whose stream stops halfway, complete as HTTP: a Content-Length that
    matches the bytes sent, or no length and a close."""
    payload = b"line of text\n" * 2000
    compressed = {"gzip": gzip.compress, "deflate": zlib.compress}[encoding](payload)
    cut = compressed[: len(compressed) // 2]

    def script(conn: Connection) -> None:
        conn.read_head()
        headers = {"Content-Encoding": encoding}
        if framing == "length":
            headers["Content-Length"] = str(len(cut))
        else:
            headers["Connection"] = "close"
        conn.send(response_head(200, headers) + cut)
        if framing == "close":
            conn.close()
        else:
            conn.stall(5)

    return script


@pytest.mark.parametrize("framing", ["length", "close"])
@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "buffered"])
@pytest.mark.parametrize("mode", MODES)
def test_a_compressed_stream_cut_short_is_not_a_complete_body(
    serve: Any, mode: str, stream: bool, encoding: str, framing: str
) -> None:
    """The framing says the body is complete, the compressed data says it is not (no end of
    stream, no checksum): a DecodingError, never a short body passed off as the whole."""
    server = serve(_compressed_then_cut(encoding, framing))
    out = fetch(mode, server.url, stream=stream, timeout=axios_python.Timeout(5))
    error = assert_ours(out.error, axios_python.DecodingError)
    assert "truncated" in str(error)
    assert out.elapsed < 3


# -- 6b. a gzip bomb, measured in a fresh process -------------------------------------------------

BOMB_SIZE = 1024**3
BOMB_CAP = 8 * 1024 * 1024
MiB = 1024 * 1024


def _gzip_of_zeros(size: int, piece: int = 4 * MiB) -> bytes:
    """A gzip member of ``size`` zero bytes, built without ever holding them.

    Each piece is compressed after a full flush, so every middle piece compresses to the same
    bytes: compress three, repeat the middle one, write the trailer (CRC-32 and size) by hand.
    """
    zeros = bytes(piece)
    count = size // piece
    assert count >= 3 and size % piece == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    middle = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(zeros) + compressor.flush()
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    trailer = crc.to_bytes(4, "little") + (size % 2**32).to_bytes(4, "little")
    return first + middle * (count - 2) + last[:-8] + trailer


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    # the construction is sound: a small bomb made the same way is a valid gzip of zeros
    small = _gzip_of_zeros(5 * 4 * MiB)
    assert gzip.decompress(small) == bytes(5 * 4 * MiB)
    bomb = _gzip_of_zeros(BOMB_SIZE)
    assert len(bomb) <= MiB
    assert int.from_bytes(bomb[-4:], "little") == BOMB_SIZE % 2**32
    return bomb


BOMB_CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    import axios_python

    url, mode, stream, cap = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
    received = 0

    def peak():
        # VmHWM, not ru_maxrss: on Linux ru_maxrss survives fork+exec, so a child would
        # report its parent's peak; VmHWM belongs to this process image alone
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024

    def sync_call():
        global received
        if stream:
            with axios_python.get(url, stream=True, max_content_length=cap) as r:
                for chunk in r.iter_bytes(65536):
                    received += len(chunk)
        else:
            received = len(axios_python.get(url, max_content_length=cap).content)

    async def async_call():
        global received
        if stream:
            async with axios_python.async_get(url, stream=True, max_content_length=cap) as r:
                async for chunk in r.aiter_bytes(65536):
                    received += len(chunk)
        else:
            received = len((await axios_python.async_get(url, max_content_length=cap)).content)

    before = peak()
    error = None
    try:
        sync_call() if mode == "sync" else asyncio.run(async_call())
    except Exception as exc:
        error = type(exc).__name__
    print(json.dumps({"growth": peak() - before, "error": error, "received": received}))
    """
)


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "buffered"])
@pytest.mark.parametrize("mode", MODES)
def test_gzip_bomb_stays_within_cap(serve: Any, gzip_bomb: bytes, mode: str, stream: bool) -> None:
    def script(conn: Connection) -> None:
        conn.read_head()
        headers = {"Content-Encoding": "gzip", "Content-Length": str(len(gzip_bomb))}
        conn.send(response_head(200, headers) + gzip_bomb)
        conn.stall(10)

    server = serve(script)
    result = subprocess.run(
        [sys.executable, "-c", BOMB_CHILD, server.url, mode, "1" if stream else "0", str(BOMB_CAP)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=os.path.dirname(__file__),  # import the installed package, as a user would
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["error"] == "ContentTooLarge", report
    assert report["received"] <= BOMB_CAP
    assert report["growth"] <= BOMB_CAP + 16 * MiB, (
        f"peak RSS grew {report['growth'] / MiB:.1f} MiB for a cap of {BOMB_CAP / MiB:.0f} MiB"
    )
