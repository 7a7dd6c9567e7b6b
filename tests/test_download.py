"""download() / Response.save(): the destination changes only when the body is complete."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from pathlib import Path

import pytest
from conftest import download as fetch
from pytest_httpserver import HTTPServer
from rawserver import Connection, RawServer, response_head

import axios_python
from axios_python import HTTPStatusError, IntegrityError, InvalidOptionError, RemoteProtocolError

BODY = bytes(range(256)) * 1000
SHA256 = hashlib.sha256(BODY).hexdigest()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_download_writes_the_whole_body_and_reports_it(
    mode: str, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/file").respond_with_data(BODY)
    dest = tmp_path / "sub" / "file.bin"
    result = fetch(mode, httpserver.url_for("/file"), dest, checksum=f"sha256:{SHA256}")
    assert dest.read_bytes() == BODY
    assert (result.path, result.bytes_written, result.digest) == (dest, len(BODY), SHA256)
    assert result.algorithm == "sha256" and result.elapsed >= 0 and result.resumes == 0
    assert leftovers(dest.parent) == []


@pytest.mark.parametrize("algorithm", ["sha1", "sha512", "md5"])
def test_other_digests(mode: str, httpserver: HTTPServer, tmp_path: Path, algorithm: str) -> None:
    httpserver.expect_request("/file").respond_with_data(BODY)
    digest = hashlib.new(algorithm, BODY).hexdigest()
    result = fetch(
        mode, httpserver.url_for("/file"), tmp_path / "f", checksum=f"{algorithm}:{digest}"
    )
    assert result.digest == digest


def test_a_wrong_digest_leaves_the_old_file(
    mode: str, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/file").respond_with_data(BODY)
    dest = tmp_path / "file.bin"
    dest.write_bytes(b"the previous version")
    wrong = "0" * 64
    with pytest.raises(IntegrityError, match=f"expected {wrong}, got {SHA256}"):
        fetch(mode, httpserver.url_for("/file"), dest, checksum=f"sha256:{wrong}")
    assert dest.read_bytes() == b"the previous version"
    assert leftovers(tmp_path) == []


def truncated(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Content-Length": str(len(BODY))}))
    conn.send(BODY[:1000])
    conn.close()


def test_a_truncated_body_never_becomes_the_file(mode: str, tmp_path: Path) -> None:
    dest = tmp_path / "file.bin"
    with RawServer(truncated) as server, pytest.raises(RemoteProtocolError, match="truncated"):
        fetch(mode, server.url, dest)
    assert not dest.exists()
    assert leftovers(tmp_path) == []


def test_an_error_status_writes_nothing(mode: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/missing").respond_with_data("nope", status=404)
    with pytest.raises(HTTPStatusError):
        fetch(mode, httpserver.url_for("/missing"), tmp_path / "file.bin")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("checksum", ["sha256", "crc32:abcd", "sha256:xyz", "sha256:" + "a" * 10])
def test_bad_checksums_are_refused_before_any_io(mode: str, tmp_path: Path, checksum: str) -> None:
    with pytest.raises(InvalidOptionError, match="checksum"):
        fetch(mode, "http://127.0.0.1:9/never", tmp_path / "f", checksum=checksum)


def test_response_save_on_an_open_stream(mode: str, httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/file").respond_with_data(BODY)
    dest = tmp_path / "saved.bin"
    if mode == "sync":
        with axios_python.get(httpserver.url_for("/file"), stream=True) as r:
            result = r.save(dest)
    else:

        async def go() -> axios_python.DownloadResult:
            async with axios_python.async_get(httpserver.url_for("/file"), stream=True) as r:
                return await r.asave(dest)

        result = asyncio.run(go())
    assert dest.read_bytes() == BODY and result.digest == SHA256


def test_the_file_gets_the_usual_permissions(
    mode: str, httpserver: HTTPServer, tmp_path: Path
) -> None:
    """Like open() or curl: 0o666 less the umask, not mkstemp's owner-only 0o600."""
    httpserver.expect_request("/file").respond_with_data(BODY)
    umask = os.umask(0o022)
    try:
        plain = fetch(mode, httpserver.url_for("/file"), tmp_path / "plain")
        resumable = fetch(mode, httpserver.url_for("/file"), tmp_path / "resumable", resume=True)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(plain.path.stat().st_mode) == 0o644
    assert stat.S_IMODE(resumable.path.stat().st_mode) == 0o644
