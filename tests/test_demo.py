"""``axios-python demo``: the command runs end to end, and its pieces behave."""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import axios_python
from axios_python import _demo
from axios_python._cli import main
from axios_python._demo import DemoServer, format_size, parse_size, run_demo


def _check_demo_output(output: str) -> None:
    for mode, read in (("sync", "iter_bytes(65536)"), ("async", "aiter_bytes(65536)")):
        assert re.search(rf"^{mode}\s+{re.escape(read)}\s+1 MiB\s+1,048,576\s", output, re.M)
        assert re.search(rf"^{mode}\s+{re.escape(read)}\s+4 MiB\s+4,194,304\s", output, re.M)
    assert re.search(
        r"^run\s+read with\s+body\s+bytes received\s+seconds\s+MiB/s\s+peak RSS", output, re.M
    )
    assert "all 4 bodies arrived complete" in output
    assert re.search(r"^peak RSS growth: [+-]\d+\.\d MiB -> memory stays flat", output, re.M)


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "error::ResourceWarning"}
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)


def test_python_m_demo() -> None:
    done = _run([sys.executable, "-m", "axios_python", "demo", "--size", "4MiB"])
    assert done.returncode == 0, done.stdout + done.stderr
    _check_demo_output(done.stdout)
    assert "Warning" not in done.stderr, done.stderr


def _console_script() -> str | None:
    beside = Path(sys.executable).with_name("axios-python")
    if beside.exists():
        return str(beside)
    return shutil.which("axios-python")


@pytest.mark.skipif(_console_script() is None, reason="the axios-python script is not installed")
def test_console_script_demo() -> None:
    script = _console_script()
    assert script is not None
    done = _run([script, "demo", "--size", "4MiB"])
    assert done.returncode == 0, done.stdout + done.stderr
    _check_demo_output(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's ru_maxrss inheritance")
def test_peak_rss_is_this_process_not_the_parent() -> None:
    """Linux carries ru_maxrss across fork+exec; the demo must report its own peak."""
    parent = (
        "import subprocess, sys\n"
        "ballast = bytearray(256 * 1024 * 1024)\n"
        "code = 'from axios_python._demo import peak_rss_kib; print(peak_rss_kib())'\n"
        "print(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,"
        " check=True).stdout)\n"
    )
    done = _run([sys.executable, "-c", parent])
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 200 * 1024


def test_bad_size_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "--size", "lots"])
    assert info.value.code == 2
    assert "invalid size 'lots'" in capsys.readouterr().err


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000000", 1_000_000),
        ("4MiB", 4 * 1024**2),
        ("256MiB", 256 * 1024**2),
        ("1GiB", 1024**3),
        ("1gib", 1024**3),
        ("1.5GB", 1_500_000_000),
        ("64 KiB", 65536),
        ("2k", 2000),
        ("10B", 10),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "0", "MiB", "1 XB", "-1", "1e9", "0.1B"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_size(text)


def test_format_size() -> None:
    assert format_size(1024**3) == "1 GiB"
    assert format_size(256 * 1024**2) == "256 MiB"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(1_000_000) == "976.6 KiB"
    assert format_size(999) == "999 B"


def _raw_exchange(url: str, request: bytes) -> bytes:
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_server_keeps_the_connection_alive_and_sends_exact_bodies() -> None:
    with DemoServer() as server:
        api = axios_python.create(timeout=5, trust_env=False)
        try:
            sizes = [0, 1, 1024 * 1024, 1024 * 1024 + 7, 3 * 1024 * 1024 - 1]
            bodies = [api.get(server.url(f"/bytes/{n}"), response_type="bytes") for n in sizes]
            for size, response in zip(sizes, bodies, strict=True):
                assert response.status == 200
                assert response.headers["content-length"] == str(size)
                assert len(response.content) == size
                assert response.content == (bytes(range(256)) * (size // 256 + 1))[:size]
            missing = api.get(server.url("/nothing"))
            assert missing.status == 404
        finally:
            api.close()
        # Two pipelined requests on one connection, the second asking to close it.
        raw = _raw_exchange(
            server.url(),
            b"GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"HEAD /bytes/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        assert raw.count(b"HTTP/1.1 200 OK") == 2
        assert b"Content-Length: 3\r\n\r\n\x00\x01\x02HTTP/1.1" in raw
        assert raw.endswith(b"Content-Length: 5\r\nConnection: close\r\n\r\n")
        refused = _raw_exchange(server.url(), b"POST /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert refused.startswith(b"HTTP/1.1 405 ")


def test_a_short_body_fails_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _demo._stream_sync

    def short(api: axios_python.Axios, url: str, chunk_size: int) -> int:
        return real(api, url, chunk_size) - 1

    monkeypatch.setattr(_demo, "_stream_sync", short)
    out = io.StringIO()
    assert run_demo(2 * 1024 * 1024, out=out) == 1
    assert (
        "FAILED: the sync run of a 1 MiB body expected 1,048,576 bytes but received 1,048,575"
        in (out.getvalue())
    )


def test_memory_growth_over_the_bound_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    readings = iter([10_000, 10_000, 10_000 + 40 * 1024, 10_000 + 40 * 1024])
    monkeypatch.setattr(_demo, "peak_rss_kib", lambda: next(readings))
    out = io.StringIO()
    assert run_demo(2 * 1024 * 1024, out=out) == 1
    assert "FAILED: peak RSS growth: +40.0 MiB, over the 32 MiB bound" in out.getvalue()
