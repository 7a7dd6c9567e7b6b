"""Shared helpers: run one scenario through the sync or the async API, on real servers.

The whole suite runs twice, once per default transport: axios_python's own HTTP/1.1
transport and httpx's (``AXIOS_PYTHON_TRANSPORT``, set by the session fixture
``default_transport``; subprocesses the tests start inherit it). Modules that test one
transport explicitly are marked ``one_transport`` and run once.
"""

from __future__ import annotations

import asyncio
import http.server
import logging
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rawserver import ok

import axios_python
from axios_python._transport_choice import CHOICES, ENVIRONMENT_VARIABLE


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("one_transport") is None:
        metafunc.parametrize("default_transport", CHOICES, indirect=True, scope="session")


@pytest.fixture(scope="session", autouse=True)
def default_transport(request: pytest.FixtureRequest) -> Iterator[str]:
    """The transport the library's own clients use for this pass over the suite."""
    name = str(getattr(request, "param", CHOICES[0]))
    previous = os.environ.get(ENVIRONMENT_VARIABLE)
    os.environ[ENVIRONMENT_VARIABLE] = name
    axios_python.default_instance.close()  # pools made under the other choice
    yield name
    axios_python.default_instance.close()
    if previous is None:
        del os.environ[ENVIRONMENT_VARIABLE]
    else:
        os.environ[ENVIRONMENT_VARIABLE] = previous


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Every feature is checked through both the sync and the async entry points."""
    return str(request.param)


def send(
    mode: str, method: str, url: str, api: Any = None, **options: Any
) -> axios_python.Response:
    """A buffered request through the sync or async API (async: on a fresh event loop)."""
    target = api or axios_python.default_instance
    if mode == "sync":
        return target.request(method, url, **options)

    async def go() -> axios_python.Response:
        return await target.async_request(method, url, **options)

    return asyncio.run(go())


def stream(
    mode: str,
    url: str,
    iterator: str,
    *args: Any,
    api: Any = None,
    after: Callable[[axios_python.Response], Any] | None = None,
    **options: Any,
) -> list[Any]:
    """Stream ``url`` and collect ``r.<iterator>(*args)`` (``a<iterator>`` for async)."""
    target = api or axios_python.default_instance
    if mode == "sync":
        with target.get(url, stream=True, **options) as r:
            items = list(getattr(r, iterator)(*args))
            if after:
                after(r)
            return items

    async def go() -> list[Any]:
        async with target.async_get(url, stream=True, **options) as r:
            items = [item async for item in getattr(r, "a" + iterator)(*args)]
            if after:
                after(r)
            return items

    return asyncio.run(go())


def raises_in(mode: str, exc: type[BaseException], method: str, url: str, **options: Any) -> Any:
    """Assert the request fails with ``exc`` and return the ExceptionInfo."""
    with pytest.raises(exc) as info:
        send(mode, method, url, **options)
    return info


class _KeepAliveHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive (werkzeug's test server closes every connection)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        size = int(self.path.rsplit("/", 1)[-1]) if self.path.startswith("/bytes/") else 4
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        block = b"x" * 65536
        try:
            while size > 0:
                self.wfile.write(block[: min(size, len(block))])
                size -= len(block)
        except (BrokenPipeError, ConnectionResetError):  # the client left early: fine
            self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def keepalive_url() -> Iterator[str]:
    """Base URL of a keep-alive server: GET /bytes/<n> returns n bytes, anything else 4."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def download(mode: str, url: str, dest: Path, **options: Any) -> axios_python.DownloadResult:
    """``download()`` or ``async_download()`` (on a fresh event loop), by ``mode``."""
    if mode == "sync":
        return axios_python.download(url, dest, **options)
    return asyncio.run(axios_python.async_download(url, dest, **options))


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``examples/<script>`` as a user would, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# -- TLS: a self-signed certificate and an HTTPS keep-alive server (the transport tests) ------

MEBIBYTE = 1024 * 1024


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for localhost and 127.0.0.1 (made with the openssl CLI)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    command += ["-keyout", key, "-out", cert, "-subj", "/CN=localhost"]
    command += ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[str, str]) -> Iterator[tuple[str, list[int]]]:
    """An HTTPS keep-alive server answering ``hello`` to every request (``/big``: 1 MEBIBYTE);
    yields its URL and a list that counts the TLS connections it accepted."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    port = listener.getsockname()[1]
    accepted: list[int] = []
    stopping = threading.Event()
    workers: list[threading.Thread] = []
    big = bytes(range(256)) * (MEBIBYTE // 256)

    def serve_one(raw: socket.socket) -> None:
        try:
            with context.wrap_socket(raw, server_side=True) as conn:
                accepted.append(1)
                conn.settimeout(5)
                pending = b""
                while not stopping.is_set():
                    while b"\r\n\r\n" not in pending:
                        data = conn.recv(65536)
                        if not data:
                            return
                        pending += data
                    head, _, pending = pending.partition(b"\r\n\r\n")
                    conn.sendall(ok(big) if b" /big " in head else ok())
        except (OSError, ssl.SSLError):
            return

    def accept() -> None:
        while not stopping.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            raw.settimeout(5)
            worker = threading.Thread(target=serve_one, args=(raw,))
            workers.append(worker)
            worker.start()

    acceptor = threading.Thread(target=accept)
    acceptor.start()
    try:
        yield f"https://localhost:{port}/", accepted
    finally:
        stopping.set()
        acceptor.join(5)
        listener.close()
        for worker in workers:
            worker.join(5)


def debug_lines(caplog: pytest.LogCaptureFixture, prefix: str) -> list[str]:
    """The first word of each DEBUG line of the loggers under ``prefix``, each named by the
    last part of its name (``http11: send_request_headers.started``)."""
    return [
        f"{r.name.rsplit('.', 1)[-1]}: {r.getMessage().split(' ', 1)[0]}"
        for r in caplog.records
        if r.name.startswith(prefix) and r.levelno == logging.DEBUG
    ]


def logged_requests(caplog: pytest.LogCaptureFixture, prefix: str) -> list[str]:
    """Every ``request=<...>`` the DEBUG lines of the loggers under ``prefix`` show."""
    return [
        found
        for r in caplog.records
        if r.name.startswith(prefix) and r.levelno == logging.DEBUG
        for found in re.findall(r"request=(<[^>]*>)", r.getMessage())
    ]


def transport_lines_with(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """The lines of our transports' loggers and httpcore's that contain ``text``."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(("axios_python.transports", "httpcore")) and text in r.getMessage()
    ]


def assert_logged_as_httpcore_logs(caplog: pytest.LogCaptureFixture) -> None:
    """One GET to pytest-httpserver through our transport, then through httpx's: the debug
    lines of ours (axios_python.transports.*) are httpcore's (httpcore.*).

    werkzeug answers HTTP/1.0, so the connection cannot be reused: ours closes it as the
    body ends and logs that close; httpcore logs a close only for the connections its pool
    closes (at exit, on expiry). Otherwise the lines are the same.
    """
    ours = debug_lines(caplog, "axios_python.transports")
    theirs = debug_lines(caplog, "httpcore")
    assert ours[0] == "connection: connect_tcp.started"
    # the request as each line shows it: httpcore's repr, the method alone (no URL, no query)
    assert logged_requests(caplog, "axios_python.transports") == logged_requests(caplog, "httpcore")
    closing = ["connection: close.started", "connection: close.complete"]
    assert [line for line in ours if line not in closing] == [
        line for line in theirs if line not in closing
    ]
    assert [line for line in ours if line in closing] == closing
