"""download(progress=True) and on_download_progress across resumes, sync and async."""

from __future__ import annotations

import io
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import download as fetch
from pytest_httpserver import HTTPServer
from rangeserver import RangeServer, drop

import axios_python
from axios_python import InvalidOptionError, ProgressEvent

BODY = random.Random(11).randbytes(300_000)


@pytest.fixture
def server() -> Iterator[RangeServer]:
    with RangeServer(BODY) as started:
        yield started


def test_progress_prints_plain_lines_when_stderr_is_not_a_terminal(
    mode: str, httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/file").respond_with_data(BODY)
    fetch(mode, httpserver.url_for("/file"), tmp_path / "file.bin", progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1] == "file.bin: 293.0 KiB of 293.0 KiB (100.0%)" or (
        lines[-1].startswith("file.bin: 293.0 KiB of 293.0 KiB (100.0%), ")
        and lines[-1].endswith("/s")
    ), lines
    assert len(lines) <= 2  # a line every 2 s at most, and the last one


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_a_tqdm_bar_on_a_terminal(
    mode: str, httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tqdm")
    httpserver.expect_request("/file").respond_with_data(BODY)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fetch(mode, httpserver.url_for("/file"), tmp_path / "file.bin", progress=True)
    drawn = terminal.getvalue()
    assert "file.bin" in drawn and "100%" in drawn and "293k/293k" in drawn, drawn


def test_progress_and_the_callers_callback_both_see_every_event(
    mode: str, httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/file").respond_with_data(BODY)
    events: list[ProgressEvent] = []
    fetch(
        mode,
        httpserver.url_for("/file"),
        tmp_path / "f",
        progress=True,
        on_download_progress=events.append,
    )
    assert events[-1].loaded == len(BODY)
    assert "f: 293.0 KiB of 293.0 KiB (100.0%)" in capsys.readouterr().err


def test_a_bad_progress_value_is_refused_before_io(httpserver: HTTPServer, tmp_path: Path) -> None:
    with pytest.raises(InvalidOptionError, match="progress"):
        axios_python.download(httpserver.url_for("/file"), tmp_path / "f", progress="yes")  # type: ignore[arg-type]
    assert httpserver.log == []


def test_progress_of_a_resumed_download_counts_the_whole_file(
    mode: str, server: RangeServer, tmp_path: Path
) -> None:
    server.script(drop(100_000))
    events: list[ProgressEvent] = []
    result = fetch(
        mode, server.url, tmp_path / "f", resume=True, on_download_progress=events.append
    )
    assert result.resumes == 1
    final = events[-1]
    assert (final.loaded, final.total, final.progress) == (len(BODY), len(BODY), 1.0)
    assert all(e.total == len(BODY) for e in events)  # the range's events are shifted
