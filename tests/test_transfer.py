"""Progress events, max_rate and streamed uploads, on real local servers, sync and async.

The sans-I/O parts (ProgressMeter, TokenBucket) are also checked on a fake clock, where their
arithmetic can be asserted exactly.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from rawserver import Connection, Handler, RawServer, response_head, servers
from werkzeug import Request
from werkzeug import Response as WResponse

import axios_python
from axios_python import (
    CancelError,
    CancelToken,
    DeadlineExceeded,
    InvalidOptionError,
    ProgressEvent,
    Timeout,
)
from axios_python._config import prepare
from axios_python._progress import ProgressMeter
from axios_python._ratelimit import TokenBucket

KiB = 1024
MiB = 1024 * KiB
BODY = bytes(range(256)) * 4 * KiB  # 1 MiB


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    with servers() as start:
        yield start


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- the sans-I/O pieces ------------------------------------------------------------------


def test_meter_reports_at_most_every_100_ms_and_once_at_the_end() -> None:
    clock = FakeClock()
    meter = ProgressMeter(10_000, upload=False, clock=clock)
    events = []
    for _ in range(1000):  # 1000 chunks of 10 bytes over 0.5 s
        clock.now += 0.0005
        event = meter.advance(10)
        if event is not None:
            events.append(event)
    final = meter.finish()
    assert final is not None and meter.finish() is None
    events.append(final)
    assert 4 <= len(events) <= 6  # 0.5 s / 100 ms, plus the final one
    assert sum(e.bytes for e in events) == final.loaded == 10_000
    assert final.progress == 1.0 and final.total == 10_000 and final.estimated == 0.0
    assert final.download and not final.upload and final.length_computable
    middle = events[1]
    assert middle.rate == pytest.approx(20_000, rel=0.05)  # 10 bytes per 0.5 ms
    assert middle.progress is not None and 0 < middle.progress < 1
    assert middle.estimated == pytest.approx((10_000 - middle.loaded) / middle.rate)
    assert middle["loaded"] == middle.loaded


def test_meter_without_a_total_leaves_progress_unknown() -> None:
    clock = FakeClock()
    meter = ProgressMeter(None, upload=True, clock=clock)
    clock.now += 0.2
    event = meter.advance(500)
    assert event is not None and event.upload and not event.download
    assert (event.total, event.progress, event.estimated) == (None, None, None)
    assert event.rate == pytest.approx(2500)
    assert not event.length_computable


def test_token_bucket_pays_debt_by_waiting_and_converges_on_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000.0, clock=clock)
    moved = 0
    for _ in range(200):
        wait = bucket.spend(100)
        moved += 100
        clock.now += wait + 0.0001  # the sleep, then a little work
    elapsed = clock.now - 100.0
    assert moved / elapsed == pytest.approx(1000, rel=0.02)
    assert bucket.spend(0) == 0.0 or clock.now  # no new debt from nothing
    assert bucket.slice_size(64 * KiB) == 1024  # 50 ms of 1000 B/s, at least 1 KiB


def test_token_bucket_gives_no_burst_after_idling() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000.0, clock=clock)
    clock.now += 3600  # an hour idle earns only 50 ms of credit
    assert bucket.spend(50) == 0.0
    assert bucket.spend(100) == pytest.approx(0.1)


# -- option checks, before any I/O --------------------------------------------------------


@pytest.mark.parametrize(
    "bad", [0, -5, "fast", True, (1, 2, 3), (0, None), [None, "x"], float("nan")]
)
def test_a_bad_max_rate_is_refused_before_io(httpserver: HTTPServer, bad: Any) -> None:
    with pytest.raises(InvalidOptionError, match="max_rate"):
        axios_python.get(httpserver.url_for("/"), max_rate=bad)
    assert httpserver.log == []


def test_a_bad_progress_callback_is_refused_before_io(httpserver: HTTPServer) -> None:
    with pytest.raises(InvalidOptionError, match="on_download_progress"):
        axios_python.get(httpserver.url_for("/"), on_download_progress="print")
    assert httpserver.log == []


def test_max_rate_forms() -> None:
    def rates(value: Any) -> tuple[float | None, float | None]:
        transfer = prepare({"url": "http://x/", "max_rate": value}).transfer
        assert transfer is not None
        return transfer.upload_rate, transfer.download_rate

    assert rates(1000) == (1000.0, 1000.0)
    assert rates((1000, None)) == (1000.0, None)
    assert rates([None, 2000]) == (None, 2000.0)
    assert prepare({"url": "http://x/"}).transfer is None  # plain requests take no extra step


# -- download progress ----------------------------------------------------------------------


def get_with(mode: str, url: str, **options: Any) -> axios_python.Response:
    if mode == "sync":
        return axios_python.get(url, **options)
    return asyncio.run(axios_python.async_get(url, **options))


def check_final(events: list[ProgressEvent], size: int, *, upload: bool) -> None:
    final = events[-1]
    assert final.loaded == size and sum(e.bytes for e in events) == size
    assert [e.loaded for e in events] == sorted(e.loaded for e in events)
    assert final.upload is upload and final.download is not upload


def test_download_progress(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/body").respond_with_data(BODY)
    events: list[ProgressEvent] = []
    response = get_with(mode, httpserver.url_for("/body"), on_download_progress=events.append)
    assert response.content == BODY
    check_final(events, len(BODY), upload=False)
    assert events[-1].total == len(BODY) and events[-1].progress == 1.0


def test_download_progress_while_streaming_without_a_length(mode: str, serve: Any) -> None:
    def chunked_body(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Transfer-Encoding": "chunked"}))
        for _ in range(8):
            conn.send(b"%x\r\n%s\r\n" % (1000, b"a" * 1000))
        conn.send(b"0\r\n\r\n")
        conn.stall(2)

    server = serve(chunked_body)
    events: list[ProgressEvent] = []
    if mode == "sync":
        with axios_python.get(server.url, stream=True, on_download_progress=events.append) as r:
            assert sum(len(c) for c in r.iter_bytes()) == 8000
    else:

        async def go() -> None:
            async with axios_python.async_get(
                server.url, stream=True, on_download_progress=events.append
            ) as r:
                assert sum([len(c) async for c in r.aiter_bytes()]) == 8000

        asyncio.run(go())
    check_final(events, 8000, upload=False)
    assert all(e.total is None and e.progress is None and e.estimated is None for e in events)


def test_a_head_response_reports_an_empty_body_as_complete(
    mode: str, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/body", method="HEAD").respond_with_data(
        b"", headers={"Content-Length": str(len(BODY))}
    )
    events: list[ProgressEvent] = []
    if mode == "sync":
        axios_python.head(httpserver.url_for("/body"), on_download_progress=events.append)
    else:
        asyncio.run(
            axios_python.async_head(httpserver.url_for("/body"), on_download_progress=events.append)
        )
    assert [(e.loaded, e.total, e.progress) for e in events] == [(0, 0, 1.0)]


def test_many_small_chunks_do_not_mean_many_events(mode: str, serve: Any) -> None:
    """The callback runs at most every 100 ms, however many reads the body takes."""
    pieces = 400

    def drip(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": str(pieces * 100)}))
        for _ in range(pieces):
            conn.send(b"z" * 100)
            conn.sleep(0.001)  # each piece its own read
        conn.stall(2)

    server = serve(drip)
    events: list[ProgressEvent] = []
    started = time.monotonic()
    response = get_with(mode, server.url, on_download_progress=events.append, timeout=10)
    elapsed = time.monotonic() - started
    assert len(response.content) == pieces * 100
    assert len(events) <= elapsed / 0.1 + 2, (len(events), elapsed)
    check_final(events, pieces * 100, upload=False)


def test_an_async_progress_callback_is_awaited(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/body").respond_with_data(BODY)
    seen: list[int] = []

    async def callback(event: ProgressEvent) -> None:
        await asyncio.sleep(0)
        seen.append(event.loaded)

    async def go() -> bytes:
        response = await axios_python.async_get(
            httpserver.url_for("/body"), on_download_progress=callback
        )
        return response.content

    assert asyncio.run(go()) == BODY
    assert seen[-1] == len(BODY)


def test_an_async_callback_on_a_sync_call_is_a_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/body").respond_with_data(BODY)

    async def callback(event: ProgressEvent) -> None:
        pass

    with pytest.raises(InvalidOptionError, match="async_"):
        axios_python.get(httpserver.url_for("/body"), on_download_progress=callback)


def test_a_failing_callback_stops_the_transfer_with_its_own_error(
    mode: str, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/body").respond_with_data(BODY)

    class Stop(Exception):
        pass

    def callback(event: ProgressEvent) -> None:
        raise Stop

    with pytest.raises(Stop):
        get_with(mode, httpserver.url_for("/body"), on_download_progress=callback)


# -- upload progress and streamed upload bodies -------------------------------------------


def _echo(request: Request) -> WResponse:
    data = request.get_data()
    report = {
        "length": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_length": request.headers.get("Content-Length"),
        "content_type": request.headers.get("Content-Type"),
    }
    return WResponse(json.dumps(report), content_type="application/json")


@pytest.fixture
def echo_url(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/echo", method="POST").respond_with_handler(_echo)
    return httpserver.url_for("/echo")


def post_with(mode: str, url: str, **options: Any) -> dict[str, Any]:
    if mode == "sync":
        return dict(axios_python.post(url, **options).data)

    async def go() -> dict[str, Any]:
        return dict((await axios_python.async_post(url, **options)).data)

    return asyncio.run(go())


def chunks_of(data: bytes, size: int = 50_000) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def achunks_of(data: bytes, size: int = 50_000) -> AsyncIterator[bytes]:
    for piece in chunks_of(data, size):
        await asyncio.sleep(0)
        yield piece


@pytest.mark.parametrize("kind", ["bytes", "file", "iterator"])
def test_upload_progress(mode: str, echo_url: str, kind: str) -> None:
    body: Any = {"bytes": BODY, "file": io.BytesIO(BODY), "iterator": chunks_of(BODY)}[kind]
    events: list[ProgressEvent] = []
    report = post_with(mode, echo_url, content=body, on_upload_progress=events.append)
    assert report["length"] == len(BODY)
    assert report["sha256"] == hashlib.sha256(BODY).hexdigest()
    check_final(events, len(BODY), upload=True)
    expected_total = None if kind == "iterator" else len(BODY)  # an iterator is sent chunked
    assert events[-1].total == expected_total


def test_upload_progress_from_an_async_iterator(echo_url: str) -> None:
    events: list[ProgressEvent] = []
    report = post_with(
        "async", echo_url, content=achunks_of(BODY), on_upload_progress=events.append
    )
    assert report["sha256"] == hashlib.sha256(BODY).hexdigest()
    check_final(events, len(BODY), upload=True)


def test_multipart_upload_streams_the_file_and_reports_progress(
    mode: str, echo_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(BODY)
    reads: list[int] = []

    class Recording(io.FileIO):
        def read(self, size: int = -1, /) -> bytes:
            reads.append(size)
            return super().read(size)

    events: list[ProgressEvent] = []
    with Recording(path, "rb") as file:
        report = post_with(
            mode,
            echo_url,
            files={"file": ("upload.bin", file)},
            data={"note": "x"},
            on_upload_progress=events.append,
        )
    assert report["content_type"].startswith("multipart/form-data")
    assert report["length"] > len(BODY)  # the file plus the multipart framing
    assert max(reads) <= 64 * KiB, "the file was read whole instead of streamed"
    check_final(events, report["length"], upload=True)
    assert events[-1].total == report["length"]


def test_a_request_without_a_body_reports_no_upload(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/body").respond_with_data(b"ok")
    events: list[ProgressEvent] = []
    get_with(mode, httpserver.url_for("/body"), on_upload_progress=events.append)
    assert events == []


def test_forwarding_a_streamed_response_as_an_upload(
    mode: str, httpserver: HTTPServer, echo_url: str
) -> None:
    httpserver.expect_request("/source").respond_with_data(BODY)
    source = httpserver.url_for("/source")
    if mode == "sync":
        with axios_python.get(source, stream=True) as upstream:
            report = axios_python.post(echo_url, content=upstream).data
    else:

        async def go() -> Any:
            async with axios_python.async_get(source, stream=True) as upstream:
                first = (await axios_python.async_post(echo_url, content=upstream)).data
            async with axios_python.async_get(source, stream=True) as upstream:
                second = await axios_python.async_post(echo_url, content=upstream.aiter_bytes())
            assert second.data["sha256"] == first["sha256"]
            return first

        report = asyncio.run(go())
    assert report["sha256"] == hashlib.sha256(BODY).hexdigest()
    assert report["content_length"] == str(len(BODY))  # the upstream's length is kept


def test_forwarding_an_async_response_from_a_sync_call_is_refused(
    httpserver: HTTPServer, echo_url: str
) -> None:
    httpserver.expect_request("/source").respond_with_data(BODY)

    async def go() -> None:
        async with axios_python.async_get(httpserver.url_for("/source"), stream=True) as r:
            with pytest.raises(InvalidOptionError, match="async call"):
                axios_python.post(echo_url, content=r)

    asyncio.run(go())


# -- max_rate -------------------------------------------------------------------------------

RATE = 2 * MiB


def test_max_rate_caps_a_download(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/body").respond_with_data(BODY)
    started = time.monotonic()
    response = get_with(mode, httpserver.url_for("/body"), max_rate=RATE)
    elapsed = time.monotonic() - started
    assert response.content == BODY
    assert elapsed >= 0.9 * len(BODY) / RATE  # 1 MiB at 2 MiB/s cannot take under 0.45 s


def test_max_rate_caps_an_upload(mode: str, echo_url: str) -> None:
    started = time.monotonic()
    report = post_with(mode, echo_url, content=BODY, max_rate=(RATE, None))
    elapsed = time.monotonic() - started
    assert report["length"] == len(BODY)
    assert elapsed >= 0.9 * len(BODY) / RATE


def _firehose(conn: Connection) -> None:
    conn.read_head()
    total = 64 * MiB
    conn.send(response_head(200, {"Content-Length": str(total)}))
    conn.send_repeated(bytes(64 * KiB), total)


def test_max_rate_delays_reads_instead_of_buffering(mode: str, serve: Any) -> None:
    """While the client is held to 4 MiB/s, the server gets to send little more than that:
    the limiter reads later, it never drains the socket into memory ahead of the reader."""
    server = serve(_firehose)
    consumed = 0
    seconds = 0.5

    def read_sync() -> None:
        nonlocal consumed
        with axios_python.get(server.url, stream=True, max_rate=4 * MiB, timeout=10) as r:
            started = time.monotonic()
            for chunk in r.iter_bytes():
                consumed += len(chunk)
                if time.monotonic() - started > seconds:
                    break

    async def read_async() -> None:
        nonlocal consumed
        async with axios_python.async_get(
            server.url, stream=True, max_rate=4 * MiB, timeout=10
        ) as r:
            started = time.monotonic()
            async for chunk in r.aiter_bytes():
                consumed += len(chunk)
                if time.monotonic() - started > seconds:
                    break

    if mode == "sync":
        read_sync()
    else:
        asyncio.run(read_async())
    sent = server.wait_connection().bytes_sent
    assert consumed <= 4 * MiB * seconds + 256 * KiB
    assert sent < consumed + 16 * MiB < 64 * MiB  # socket buffers, not the body


def test_the_total_timeout_bounds_a_paced_transfer(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/body").respond_with_data(BODY)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="max_rate"):
        get_with(mode, httpserver.url_for("/body"), max_rate=256 * KiB, timeout=Timeout(total=0.3))
    assert time.monotonic() - started < 2  # not the 4 s the full body would take


def test_cancel_interrupts_a_paced_transfer(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/body").respond_with_data(BODY)
    token = CancelToken()
    timer = threading.Timer(0.3, token.cancel, args=("enough",))
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(CancelError, match="enough"):
            get_with(mode, httpserver.url_for("/body"), max_rate=256 * KiB, cancel_token=token)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 2
