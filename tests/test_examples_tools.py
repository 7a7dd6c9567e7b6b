"""The streaming-tools examples (uploads with progress, SSE) run against local servers.

Like tests/test_examples.py, each script is run as a user would, in a subprocess, with the
server's base URL as its argument; the server side checks what actually arrived.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import run_example as run
from pytest_httpserver import HTTPServer
from rangeserver import RangeServer, drop
from werkzeug import Request, Response


def test_upload_with_progress(httpserver: HTTPServer, tmp_path: Path) -> None:
    received: list[str] = []

    def sink(request: Request) -> Response:
        body = request.get_data()
        received.append(hashlib.sha256(body).hexdigest())
        return Response(json.dumps({"received": len(body)}), content_type="application/json")

    httpserver.expect_request("/upload", method="POST").respond_with_handler(sink)
    payload = bytes(range(256)) * 4096 * 3  # 3 MiB: a second or so at the example's cap
    path = tmp_path / "payload.bin"
    path.write_bytes(payload)
    result = run("upload_with_progress.py", httpserver.url_for("/"), str(path))
    assert result.returncode == 0, result.stderr
    assert received == [hashlib.sha256(payload).hexdigest()] * 2
    lines = [line for line in result.stdout.splitlines() if "uploaded" in line]
    assert f"uploaded 100% ({len(payload)} of {len(payload)} bytes)" in result.stdout
    # at most every 100 ms: a 3 MiB upload held to 4 MiB/s gives a handful of lines, not 48
    assert 2 <= len(lines) <= 2 * (0.75 / 0.1 + 3), result.stdout


SSE = (
    b": a comment the parser skips\n"
    b"id: 1\nevent: greeting\ndata: hello\n\n"
    b"id: 2\ndata: line one\ndata: line two\n\n"
    b'retry: 1500\ndata: {"n": 3}\n\n'
)


def test_sse_consumer(httpserver: HTTPServer) -> None:
    last_ids: list[str | None] = []

    def events(request: Request) -> Response:
        last_ids.append(request.headers.get("Last-Event-ID"))
        return Response(SSE, content_type="text/event-stream")

    httpserver.expect_request("/events").respond_with_handler(events)
    result = run("sse_consumer.py", httpserver.url_for("/"))
    assert result.returncode == 0, result.stderr
    assert "[sync] greeting: 'hello' (id 1)" in result.stdout
    assert "[sync] message: 'line one\\nline two' (id 2)" in result.stdout
    assert "[async] message: '{\"n\": 3}' (id 2)" in result.stdout
    assert "last event id: 2" in result.stdout
    assert last_ids == [None, "2"]  # the async run resumed from the sync run's last id


def test_download_resumable_survives_a_drop(tmp_path: Path) -> None:
    body = bytes(range(256)) * 1200
    with RangeServer(body) as server:
        server.script(drop(100_000), drop(100_000))  # two drops, each 100 kB further on
        dest = tmp_path / "file.bin"
        digest = hashlib.sha256(body).hexdigest()
        base, _, path = server.url.rpartition("/")
        result = run("download_resumable.py", base, "/" + path, str(dest), f"sha256:{digest}")
    assert result.returncode == 0, result.stderr
    assert dest.read_bytes() == body
    assert "after 2 resume(s)" in result.stdout
    assert server.requests[1]["range"] == "bytes=100000-"
    assert server.requests[2]["range"] == "bytes=200000-"
    assert "file.bin: 300.0 KiB of 300.0 KiB (100.0%)" in result.stderr  # plain lines: no TTY


def test_download_resumable_reports_a_wrong_digest(tmp_path: Path) -> None:
    with RangeServer(b"x" * 1000) as server:
        base, _, path = server.url.rpartition("/")
        dest = tmp_path / "file.bin"
        result = run("download_resumable.py", base, "/" + path, str(dest), "sha256:" + "0" * 64)
    assert result.returncode == 1
    assert "download failed (ERR_INTEGRITY): sha256 mismatch" in result.stderr
    assert not dest.exists()
