"""Run every script in examples/ against a local pytest-httpserver and check what it prints.

Each example takes the server's base URL as its only required argument, so the same scripts
that users run against a real service are exercised here against 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLES
from conftest import run_example as run
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SCRIPTS = sorted(path.name for path in EXAMPLES.glob("*.py"))
PAYLOAD = bytes(range(256)) * 195 + bytes(range(80))  # 50000 bytes, not all alike
assert len(PAYLOAD) == 50_000


def upload_sink(request: Request) -> Response:
    body = request.get_data()
    reply = {
        "received": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "chunked": request.headers.get("Transfer-Encoding", "").lower() == "chunked",
    }
    return Response(json.dumps(reply), content_type="application/json")


def truncated(request: Request) -> Response:
    """Declares 5000 bytes, sends 1000, then closes the connection."""

    def body() -> Iterator[bytes]:
        yield b"t" * 1000

    return Response(body(), headers={"Content-Length": "5000"})


def stall(request: Request) -> Response:
    """Sends a little, then goes quiet for longer than the example's read timeout."""

    def body() -> Iterator[bytes]:
        yield b"s" * 100
        time.sleep(0.6)
        yield b"s" * 100

    return Response(body(), headers={"Content-Length": "200"})


def drip(request: Request) -> Response:
    """A byte every 30 ms for 1.2 s: never idle long enough for a read timeout."""

    def body() -> Iterator[bytes]:
        for _ in range(40):
            yield b"."
            time.sleep(0.03)

    return Response(body(), headers={"Content-Length": "40"})


@pytest.fixture
def base_url(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/stream-bytes/50000").respond_with_data(
        PAYLOAD, content_type="application/octet-stream"
    )
    httpserver.expect_request("/upload", method="POST").respond_with_handler(upload_sink)
    httpserver.expect_request("/truncated").respond_with_handler(truncated)
    httpserver.expect_request("/stall").respond_with_handler(stall)
    httpserver.expect_request("/drip").respond_with_handler(drip)
    return httpserver.url_for("/").rstrip("/")


FRAMEWORKS = {"fastapi_proxy.py": "fastapi", "sanic_stream.py": "sanic"}
"""Examples that need an optional framework (in the test extras, so CI runs them)."""


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_without_arguments_prints_usage(script: str) -> None:
    if script in FRAMEWORKS:
        pytest.importorskip(FRAMEWORKS[script])
    result = run(script)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"usage: python examples/{script} BASE_URL")


def test_all_expected_examples_exist() -> None:
    assert set(SCRIPTS) >= {
        "backpressure.py",
        "backpressure_sync.py",
        "download_resumable.py",
        "download_to_file.py",
        "fastapi_proxy.py",
        "forward_upload.py",
        "read_timeout.py",
        "sanic_stream.py",
        "sse_consumer.py",
        "stream_async.py",
        "stream_sync.py",
        "upload_with_progress.py",
    }


def test_stream_sync(base_url: str) -> None:
    result = run("stream_sync.py", base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status 200 ok=True" in result.stdout
    assert "received 50000 bytes in 49 chunks of 1024 bytes (1 short)" in result.stdout
    assert "connection released: True" in result.stdout


def test_stream_async(base_url: str) -> None:
    result = run("stream_async.py", base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[await form] received 50000 bytes, closed=True" in result.stdout
    assert "[direct form] received 50000 bytes in 13 chunks, closed=True" in result.stdout


def test_download_to_file(base_url: str, tmp_path: Path) -> None:
    result = run("download_to_file.py", base_url, str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    target = tmp_path / "50000.bin"
    assert f"saved 50000 bytes to {target}" in result.stdout
    assert target.read_bytes() == PAYLOAD
    assert [p.name for p in tmp_path.iterdir()] == ["50000.bin"]  # no temp file left over


def test_download_to_file_truncated_leaves_nothing(base_url: str, tmp_path: Path) -> None:
    result = run("download_to_file.py", base_url, str(tmp_path), "/truncated")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "body truncated (ECONNABORTED)" in result.stderr
    assert "nothing was left at" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_forward_upload(base_url: str) -> None:
    result = run("forward_upload.py", base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    replies = [
        json.loads(line.split("server reply: ", 1)[1])
        for line in result.stdout.splitlines()
        if "server reply: " in line
    ]
    assert [(r["received"], r["sha256"]) for r in replies] == [(50_000, digest)] * 2
    # The sync run passes the known length on; the async run streams it chunked.
    assert [r["chunked"] for r in replies] == [False, True]


def test_read_timeout(base_url: str) -> None:
    result = run("read_timeout.py", base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stall: ReadTimeout after" in result.stdout
    assert "drip: DeadlineExceeded after" in result.stdout
    assert result.stdout.count("code ETIMEDOUT") == 2


@pytest.mark.parametrize("script", ["backpressure.py", "backpressure_sync.py"])
def test_backpressure(base_url: str, script: str) -> None:
    result = run(script, base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wrote 50000 bytes in 13 chunks through a queue of 4 chunks" in result.stdout
    assert "deepest queue: 4 chunks (never above 4)" in result.stdout
    # 14 items (13 chunks and the end marker), the last queued only once the sink, at 10 ms a
    # chunk, had taken all but 4: a reader that ran ahead would be done in a few milliseconds.
    assert "at the sink's pace it needs at least 0.090 s (13 - 4 chunks x 10 ms)" in result.stdout
    assert "the reader ran at the sink's pace: True" in result.stdout
