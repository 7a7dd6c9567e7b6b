"""``axios-python URL``: the command run in a subprocess against real local servers.

pytest-httpserver answers ordinary requests (its handlers record what arrived); RawServer
scripts stalls, truncated bodies and event streams whose pace the test controls; RangeServer
drops a download half way for --resume; a closed port gives a network error. Every run is
checked for the absence of a Python traceback on stderr.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from rangeserver import RangeServer, drop, serve
from rawserver import Connection, RawServer, chunked, response_head
from werkzeug import Request, Response

from axios_python._cli import main
from axios_python._cli_request import normalize_url
from axios_python._cli_style import Style, format_json

ANSI = re.compile(r"\x1b\[[0-9;]*m")
JSON_BODY = b'{"name": "Ada", "langs": ["en", "fr"], "age": 36, "admin": false, "boss": null}'


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(TERM="xterm", PYTHONWARNINGS="error::ResourceWarning", **extra)
    return env


COMMAND = [sys.executable, "-m", "axios_python"]


def cli(
    *args: str, input: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m axios_python ARGS`` with stdout and stderr piped."""
    done = subprocess.run(
        [*COMMAND, *args],
        input=input,
        capture_output=True,
        timeout=15,
        env=env or _env(),
        check=False,
        stdin=None if input is not None else subprocess.DEVNULL,
    )
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    return done


def error_lines(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    return [line for line in done.stderr.decode().splitlines() if "error" in line]


def only_error(done: subprocess.CompletedProcess[bytes]) -> str:
    """The run's stderr is exactly one ``axios-python: error: ...`` line; return it."""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("axios-python: error: "), lines
    return lines[0]


posix_only = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals and signals")


def on_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the command with stdout on a pseudo-terminal: (exit status, stdout, stderr)."""
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [*COMMAND, *args],
        stdout=slave,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env or _env(),
    )
    os.close(slave)
    received = bytearray()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            received += data
        elif process.poll() is not None:
            break
    os.close(master)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    process.stderr.close()
    status = process.wait(timeout=5)
    assert "Traceback" not in stderr, stderr
    return status, received.decode().replace("\r\n", "\n"), stderr


@pytest.fixture
def recorded(httpserver: HTTPServer) -> list[dict[str, Any]]:
    """Every request to ``/echo`` on ``httpserver``: method, headers, body, form, files."""
    seen: list[dict[str, Any]] = []

    def handler(request: Request) -> Response:
        files = {name: (f.filename, f.content_type, f.read()) for name, f in request.files.items()}
        seen.append(
            {
                "method": request.method,
                "headers": request.headers,
                "body": request.get_data() if not files else b"",
                "form": dict(request.form),
                "files": files,
            }
        )
        return Response("ok", content_type="text/plain")

    httpserver.expect_request("/echo").respond_with_handler(handler)
    return seen


@pytest.fixture
def raw() -> Iterator[list[RawServer]]:
    started: list[RawServer] = []
    yield started
    for server in started:
        server.close()


def raw_server(started: list[RawServer], handler: Any) -> RawServer:
    server = RawServer(handler).start()
    started.append(server)
    return server


# -- printing the body ------------------------------------------------------------------------


def test_json_piped_is_the_body_byte_for_byte(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/json").respond_with_data(JSON_BODY, content_type="application/json")
    done = cli(httpserver.url_for("/json"))
    assert done.returncode == 0
    assert done.stdout == JSON_BODY  # not re-indented, no colour, no added newline
    assert done.stderr == b""


def test_console_script(httpserver: HTTPServer) -> None:
    beside = Path(sys.executable).with_name("axios-python")
    script = str(beside) if beside.exists() else shutil.which("axios-python")
    assert script is not None, "the axios-python console script is not installed"
    httpserver.expect_request("/hello").respond_with_data("hello\n")
    done = subprocess.run(
        [script, httpserver.url_for("/hello")], capture_output=True, timeout=15, env=_env()
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"hello\n", b"")


@posix_only
@pytest.mark.parametrize(
    ("flags", "env", "coloured"),
    [
        ([], {}, True),
        (["--no-color"], {}, False),
        ([], {"NO_COLOR": "1"}, False),
        (["--color"], {"NO_COLOR": "1"}, True),  # the flag wins over the environment
    ],
)
def test_json_on_a_terminal_is_indented_and_coloured(
    httpserver: HTTPServer, flags: list[str], env: dict[str, str], coloured: bool
) -> None:
    httpserver.expect_request("/json").respond_with_data(JSON_BODY, content_type="application/json")
    status, out, err = on_terminal(*flags, httpserver.url_for("/json"), env=_env(**env))
    assert status == 0, err
    assert bool(ANSI.search(out)) is coloured
    plain = ANSI.sub("", out)
    assert plain == json.dumps(json.loads(JSON_BODY), indent=2) + "\n"
    if coloured:
        assert '\x1b[1;34m"name"\x1b[0m: \x1b[32m"Ada"\x1b[0m' in out


def test_color_and_pretty_flags_format_a_piped_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/json").respond_with_data(JSON_BODY, content_type="application/json")
    indented = json.dumps(json.loads(JSON_BODY), indent=2) + "\n"
    pretty = cli("--pretty", httpserver.url_for("/json"))
    assert pretty.stdout.decode() == indented
    coloured = cli("--color", httpserver.url_for("/json"))
    assert ANSI.search(coloured.stdout.decode())
    assert ANSI.sub("", coloured.stdout.decode()) == indented


@posix_only
def test_text_is_decoded_with_the_charset_on_a_terminal(httpserver: HTTPServer) -> None:
    body = "café crème\n".encode("iso-8859-1")
    httpserver.expect_request("/text").respond_with_data(
        body, content_type="text/plain; charset=iso-8859-1"
    )
    status, out, _ = on_terminal(httpserver.url_for("/text"))
    assert (status, out) == (0, "café crème\n")
    assert cli(httpserver.url_for("/text")).stdout == body  # piped: the bytes as sent


@posix_only
def test_binary_is_not_spewed_on_a_terminal(httpserver: HTTPServer) -> None:
    body = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 6
    httpserver.expect_request("/png").respond_with_data(body, content_type="image/png")
    status, out, err = on_terminal(httpserver.url_for("/png"))
    assert status == 0
    assert out == ""
    assert "binary body (1.5 KiB, image/png)" in err and "-o FILE" in err
    assert len(err.splitlines()) == 1
    assert cli(httpserver.url_for("/png")).stdout == body  # piped: every byte


def test_verbose_headers_go_to_stderr(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/json").respond_with_data(
        JSON_BODY, content_type="application/json", headers={"X-Trace": "abc123"}
    )
    done = cli("-v", httpserver.url_for("/json"))
    assert done.returncode == 0
    assert done.stdout == JSON_BODY  # still fit for | jq
    head = done.stderr.decode().splitlines()
    assert re.fullmatch(r"HTTP/1\.[01] 200 OK", head[0]), head
    assert "X-Trace: abc123" in head
    assert "Content-Type: application/json" in head


# -- building the request ---------------------------------------------------------------------


def test_method_headers_auth_and_data(
    httpserver: HTTPServer, recorded: list[dict[str, Any]]
) -> None:
    done = cli(
        "-X", "put", "-H", "X-Token: abc", "-H", "X-Empty;", "-H", "Accept:", "-H", "X-Two: 1",
        "-H", "User-Agent:",
        "-H", "X-Two: 2", "-u", "ada:s3:cret",
        "-d", "a=1&b=2", httpserver.url_for("/echo"),
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, b"ok")
    (request,) = recorded
    assert request["method"] == "PUT"
    assert request["body"] == b"a=1&b=2"
    assert request["headers"]["X-Token"] == "abc"
    assert request["headers"]["X-Empty"] == ""
    assert request["headers"]["X-Two"].replace(" ", "") == "1,2"  # both sent (WSGI joins)
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    basic = "Basic " + base64.b64encode(b"ada:s3:cret").decode()  # the password keeps its ':'
    assert request["headers"]["Authorization"] == basic
    assert "Accept" not in request["headers"]  # curl's -H 'Name:': not sent at all
    assert "User-Agent" not in request["headers"]


def test_data_from_a_file_is_streamed_with_its_length(
    httpserver: HTTPServer, recorded: list[dict[str, Any]], tmp_path: Path
) -> None:
    payload = os.urandom(300_000)
    (tmp_path / "body.bin").write_bytes(payload)
    done = cli("-d", f"@{tmp_path / 'body.bin'}", httpserver.url_for("/echo"))
    assert done.returncode == 0, done.stderr
    (request,) = recorded
    assert request["method"] == "POST"  # a body and no -X
    assert request["body"] == payload
    assert request["headers"]["Content-Length"] == "300000"


def test_data_from_stdin(httpserver: HTTPServer, recorded: list[dict[str, Any]]) -> None:
    done = cli(
        "-d", "@-", "-H", "Content-Type: application/octet-stream", httpserver.url_for("/echo"),
        input=b"from stdin\x00\xff",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert recorded[0]["body"] == b"from stdin\x00\xff"
    assert recorded[0]["headers"]["Content-Type"] == "application/octet-stream"  # -H wins


def test_json_body(httpserver: HTTPServer, recorded: list[dict[str, Any]]) -> None:
    done = cli("--json", '{"name": "Ada",  "n": 1}', httpserver.url_for("/echo"))
    assert done.returncode == 0, done.stderr
    (request,) = recorded
    assert request["method"] == "POST"
    assert request["body"] == b'{"name": "Ada",  "n": 1}'  # sent as written
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Accept"] == "application/json"


def test_multipart_form(
    httpserver: HTTPServer, recorded: list[dict[str, Any]], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_bytes(b"line 1\nline 2\n")
    (tmp_path / "blob").write_bytes(b"\x00\x01")
    done = cli(
        "-F", "title=hello world", "-F", f"doc=@{tmp_path / 'notes.txt'}",
        "-F", f"raw=@{tmp_path / 'blob'};type=application/x-thing", httpserver.url_for("/echo"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (request,) = recorded
    assert request["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert request["form"] == {"title": "hello world"}
    assert request["files"]["doc"] == ("notes.txt", "text/plain", b"line 1\nline 2\n")
    assert request["files"]["raw"] == ("blob", "application/x-thing", b"\x00\x01")


# -- exit statuses ----------------------------------------------------------------------------


def test_fail_gives_distinct_codes_for_4xx_and_5xx(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/missing").respond_with_data("no such thing", status=404)
    httpserver.expect_request("/broken").respond_with_data("oops", status=500)
    missing = cli("--fail", httpserver.url_for("/missing"))
    assert missing.returncode == 4
    assert missing.stdout == b"no such thing"  # the body is still printed
    assert "HTTP 404 NOT FOUND (GET http://" in only_error(missing)
    broken = cli("--fail", httpserver.url_for("/broken"))
    assert broken.returncode == 5
    assert "HTTP 500 INTERNAL SERVER ERROR" in only_error(broken)
    assert cli(httpserver.url_for("/missing")).returncode == 0  # without --fail: a response


def test_timeout_on_a_stalled_server(raw: list[RawServer]) -> None:
    def stall(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": "100"}) + b"partial")
        conn.stall()

    server = raw_server(raw, stall)
    started = time.monotonic()
    done = cli("--timeout", "0.3", server.url)
    assert time.monotonic() - started < 10
    assert done.returncode == 28
    assert "ReadTimeout" in only_error(done)


def test_total_timeout(raw: list[RawServer]) -> None:
    def drip(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": "1000"}))
        conn.drip(b"x" * 1000, 0.05)  # every read arrives in time; the whole never does

    done = cli("--total-timeout", "0.5", raw_server(raw, drip).url)
    assert done.returncode == 28
    assert "DeadlineExceeded" in only_error(done)


def test_truncated_body_is_a_network_error(raw: list[RawServer]) -> None:
    def truncate(conn: Connection) -> None:
        conn.read_head()
        conn.send(response_head(200, {"Content-Length": "1000"}) + b"only this")
        conn.close()

    done = cli(raw_server(raw, truncate).url)
    assert done.returncode == 7
    assert "RemoteProtocolError" in only_error(done)


def test_refused_connection_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: refused
        done = cli(f"http://127.0.0.1:{port}/x")
    assert done.returncode == 7
    line = only_error(done)
    assert "ConnectError" in line and f"(GET http://127.0.0.1:{port}/x)" in line


def test_redirects_followed_or_not(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "moved", status=302, headers={"Location": "/new"}
    )
    httpserver.expect_request("/new").respond_with_data("the new place")
    followed = cli("-v", httpserver.url_for("/old"))
    assert followed.stdout == b"the new place"
    assert re.search(
        r"^HTTP/1\.[01] 302 FOUND\n.*^Location: /new\n.*^HTTP/1\.[01] 200 OK\n",
        followed.stderr.decode(),
        re.S | re.M,
    )
    stayed = cli("--no-follow", httpserver.url_for("/old"))
    assert (stayed.returncode, stayed.stdout) == (0, b"moved")


def test_redirect_loop(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    done = cli(httpserver.url_for("/loop"))
    assert done.returncode == 6
    assert "TooManyRedirects" in only_error(done)


def test_max_content_length(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    done = cli("--max-content-length", "1KiB", httpserver.url_for("/big"))
    assert done.returncode == 1
    assert "ContentTooLarge" in only_error(done)


def test_insecure(tmp_path: Path) -> None:
    import ssl

    from test_requests_compat import TEST_SERVER_CERT, TEST_SERVER_KEY

    (tmp_path / "cert.pem").write_text(TEST_SERVER_CERT)
    (tmp_path / "key.pem").write_text(TEST_SERVER_KEY)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = HTTPServer(host="localhost", ssl_context=context)
    server.expect_request("/").respond_with_data("secret")
    server.start()
    try:
        refused = cli(server.url_for("/"))
        assert refused.returncode == 7
        assert "SSLError" in only_error(refused)
        accepted = cli("--insecure", server.url_for("/"))
        assert (accepted.returncode, accepted.stdout) == (0, b"secret")
    finally:
        server.stop()


@posix_only
def test_ctrl_c_exits_130_quietly(raw: list[RawServer]) -> None:
    arrived = threading.Event()

    def stall(conn: Connection) -> None:
        conn.read_head()
        arrived.set()
        conn.stall()

    server = raw_server(raw, stall)
    process = subprocess.Popen(
        [*COMMAND, server.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
    )
    assert arrived.wait(10)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert (process.returncode, out, err) == (130, b"", b"")


@posix_only
def test_a_closed_pipe_ends_quietly(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"y" * 4_000_000)
    process = subprocess.Popen(
        [*COMMAND, httpserver.url_for("/big")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10) == b"y" * 10
    process.stdout.close()  # as `| head -c 10` does
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=10) == 141
    assert err == b""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus", "http://x"], "unrecognized arguments: --bogus"),
        (["--timeout", "soon", "http://x"], "invalid number of seconds 'soon'"),
        (["--max-rate", "fast", "http://x"], "invalid size 'fast'"),
        (["-d", "x", "--json", "1", "http://x"], "not allowed with argument"),
        (["--checksum", "sha256:00", "http://x"], "--checksum needs -o FILE"),
        (["--stream", "-o", "f", "http://x"], "--stream and -o cannot be combined"),
        (["--json", "{nope", "http://x"], "--json is not valid JSON"),
        (["-H", "no colon", "http://x"], "bad header 'no colon'"),
        (["-F", "novalue", "http://x"], "bad form field 'novalue'"),
        (["-d", "@/no/such/file", "http://x"], "cannot read '/no/such/file'"),
        (["-o", "f", "-d", "x", "http://x"], "-o downloads with GET"),
        (["-o", "f", "--checksum", "sha256:abc", "http://x"], "a sha256 digest is 64 hex"),
        (["http://"], "InvalidURL"),
        (["-u", "ada", "http://x"], "-u 'ada' has no password"),
    ],
)
def test_bad_usage_exits_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(argv))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("axios-python: error: "), err
    assert message in err


def test_bad_usage_in_a_subprocess() -> None:
    done = cli("--timeout", "-1", "http://x")
    assert done.returncode == 2
    assert "invalid number of seconds '-1'" in only_error(done)


# -- downloads --------------------------------------------------------------------------------


def test_download_with_checksum(httpserver: HTTPServer, tmp_path: Path) -> None:
    body = os.urandom(200_000)
    digest = hashlib.sha256(body).hexdigest()
    httpserver.expect_request("/file").respond_with_data(body)
    dest = tmp_path / "file.bin"
    done = cli("-o", str(dest), "--checksum", f"sha256:{digest}", httpserver.url_for("/file"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    assert dest.read_bytes() == body
    summary = done.stderr.decode().splitlines()[-1]
    assert re.fullmatch(
        rf"axios-python: saved {re.escape(str(dest))}: 200,000 bytes in \d+\.\d\d s"
        rf"( \([\d.]+ \w+/s\))?, sha256 {digest}, 0 resumes",
        summary,
    ), summary
    assert "file.bin: 195.3 KiB of 195.3 KiB (100.0%)" in done.stderr.decode()  # progress


def test_download_with_a_wrong_checksum_keeps_nothing(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/file").respond_with_data(b"not what you expect")
    dest = tmp_path / "file.bin"
    done = cli("-o", str(dest), "--checksum", "sha256:" + "0" * 64, httpserver.url_for("/file"))
    assert done.returncode == 1
    assert list(tmp_path.iterdir()) == []  # no file, no partial
    (line,) = error_lines(done)
    assert line.startswith("axios-python: error: IntegrityError: sha256 mismatch")
    assert done.stderr.decode().splitlines()[-1] == line
    quiet = cli(
        "-q", "-o", str(dest), "--checksum", "sha256:" + "0" * 64, httpserver.url_for("/file")
    )
    assert quiet.returncode == 1
    assert only_error(quiet) == line  # -q: nothing but the error


def test_download_of_an_error_status_fails(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/gone").respond_with_data("gone", status=410)
    done = cli("-q", "-o", str(tmp_path / "x"), httpserver.url_for("/gone"))
    assert done.returncode == 4
    assert "HTTPStatusError" in only_error(done)
    assert list(tmp_path.iterdir()) == []


def test_download_resumes_a_dropped_body(tmp_path: Path) -> None:
    body = os.urandom(300_000)
    server = RangeServer(body).script(drop(120_000), serve())
    dest = tmp_path / "file.bin"
    with server:
        done = cli("-o", str(dest), "--resume", "-v", server.url)
    assert done.returncode == 0, done.stderr
    assert dest.read_bytes() == body
    assert server.requests[1]["range"] == "bytes=120000-"
    err = done.stderr.decode()
    assert "HTTP/1.1 206 Partial Content" in err  # -v shows each response
    assert err.splitlines()[-1].endswith(f"sha256 {hashlib.sha256(body).hexdigest()}, 1 resume")


def test_max_rate_slows_the_download(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/file").respond_with_data(b"z" * 200_000)
    done = cli("-o", str(tmp_path / "f"), "--max-rate", "500K", httpserver.url_for("/file"))
    assert done.returncode == 0, done.stderr
    seconds = float(re.search(r" in (\d+\.\d+) s", done.stderr.decode()).group(1))  # type: ignore[union-attr]
    assert seconds >= 0.3  # 200 kB at 500 kB/s: 0.4 s (less at most the bucket's 50 ms)


# -- --stream ---------------------------------------------------------------------------------


def _gated_stream(
    raw: list[RawServer], content_type: str, first: bytes, rest: bytes
) -> tuple[RawServer, threading.Event, list[bool]]:
    """A server that sends ``first``, waits for the test to set the gate, then ``rest``."""
    gate = threading.Event()
    released: list[bool] = []

    def handler(conn: Connection) -> None:
        conn.read_head()
        head = {"Content-Type": content_type, "Transfer-Encoding": "chunked"}
        conn.send(response_head(200, head) + chunked(first, end=False))
        released.append(gate.wait(5))
        conn.send(chunked(rest))

    return raw_server(raw, handler), gate, released


def _read_stream(server: RawServer, gate: threading.Event, stop_at: str) -> tuple[str, str]:
    process = subprocess.Popen(
        [*COMMAND, "--stream", server.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert process.stdout is not None
    early = ""
    while stop_at not in early:
        line = process.stdout.readline().decode()
        assert line, "the stream ended before the first part was printed"
        early += line
    gate.set()
    assert process.stderr is not None
    out = process.stdout.read()  # not communicate(): it would skip what readline() buffered
    err = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    assert process.wait(timeout=10) == 0, err
    assert b"Traceback" not in err
    return early, out.decode()


def test_stream_prints_events_as_they_arrive(raw: list[RawServer]) -> None:
    server, gate, released = _gated_stream(
        raw,
        "text/event-stream",
        b"event: greet\ndata: one\n\n",
        b": keep-alive\nid: 7\ndata: two\ndata: lines\n\n",
    )
    early, late = _read_stream(server, gate, "data: one\n\n")
    assert released == [True]  # the first event was printed while the server still waited
    assert early == "event: greet\ndata: one\n\n"
    assert late == "id: 7\ndata: two\ndata: lines\n\n"


def test_stream_prints_lines_as_they_arrive(raw: list[RawServer]) -> None:
    server, gate, released = _gated_stream(
        raw, "text/plain; charset=utf-8", b"first line\n", b"second\r\nthird"
    )
    early, late = _read_stream(server, gate, "first line\n")
    assert released == [True]
    assert early == "first line\n"
    assert late == "second\nthird\n"


# -- pieces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("https://example.com/x", "https://example.com/x"),
        ("example.com/x", "http://example.com/x"),
        (":8000/x", "http://localhost:8000/x"),
    ],
)
def test_normalize_url(given: str, url: str) -> None:
    assert normalize_url(given) == url


def test_rate_units() -> None:
    from axios_python._cli import _rate

    assert _rate("500K") == 500_000
    assert _rate("2M") == 2_000_000
    assert _rate("1MiB") == _rate("1MiB/s") == 1024**2


def test_format_json_colours_every_token() -> None:
    text = format_json({"k": ["s", 1.5, True, None, 'q"uote']}, Style(True))
    assert text == (
        "{\n"
        '  \x1b[1;34m"k"\x1b[0m: [\n'
        '    \x1b[32m"s"\x1b[0m,\n'
        "    \x1b[36m1.5\x1b[0m,\n"
        "    \x1b[33mtrue\x1b[0m,\n"
        "    \x1b[35mnull\x1b[0m,\n"
        '    \x1b[32m"q\\"uote"\x1b[0m\n'
        "  ]\n"
        "}"
    )
    assert format_json({"a": 1}, Style(False)) == '{\n  "a": 1\n}'
