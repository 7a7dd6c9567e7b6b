"""download(..., resume=True): a dropped body continues with Range + If-Range, never corrupts.

Every scenario runs on a real raw-socket server (tests/rangeserver.py) through the sync and
the async API; the server records each request head, so the Range and If-Range sent are
checked, not assumed.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import download as fetch
from rangeserver import (
    LAST_MODIFIED,
    RangeServer,
    blind_206,
    change,
    close_delimited,
    drop,
    encoded,
    ignore_range,
    short_range,
    stall,
    status,
    unsatisfiable,
)

import axios_python
from axios_python import (
    AxiosError,
    CancelError,
    CancelToken,
    DeadlineExceeded,
    HTTPStatusError,
    IntegrityError,
    InvalidOptionError,
    RemoteProtocolError,
    Timeout,
)
from axios_python._resume import (
    ContentRange,
    Validators,
    parse_content_range,
)

CUT = 100_000
BODY = random.Random(20240601).randbytes(300_000)
NEW_BODY = random.Random(7).randbytes(len(BODY))  # same size: only the ETag tells
SMALL_BODY = random.Random(8).randbytes(CUT // 2)
SHA256 = hashlib.sha256(BODY).hexdigest()


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def partial_of(dest: Path) -> Path:
    return dest.parent / f".{dest.name}.part"


def sidecar_of(dest: Path) -> Path:
    return dest.parent / f".{dest.name}.part.json"


@pytest.fixture
def server() -> Iterator[RangeServer]:
    with RangeServer(BODY) as started:
        yield started


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "file.bin"


def interrupt(mode: str, server: RangeServer, dest: Path, cut: int = CUT) -> None:
    """A first call that dies after ``cut`` bytes and may not retry: it leaves a partial."""
    server.script(drop(cut))
    with pytest.raises(RemoteProtocolError):
        fetch(mode, server.url, dest, resume=True, max_retries=0)
    assert partial_of(dest).read_bytes() == BODY[:cut]


# -- within one call ------------------------------------------------------------------------


def test_a_drop_mid_body_is_resumed_with_range_and_if_range(
    mode: str, server: RangeServer, dest: Path
) -> None:
    server.script(drop(CUT))
    result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == BODY
    assert (result.resumes, result.bytes_written, result.digest) == (1, len(BODY), SHA256)
    first, second = server.requests
    assert "range" not in first and "if-range" not in first
    assert first["accept-encoding"] == second["accept-encoding"] == "identity"
    assert second["range"] == f"bytes={CUT}-"
    assert second["if-range"] == '"v1"'
    assert names(dest.parent) == ["file.bin"]  # no partial, no sidecar


@pytest.mark.parametrize("max_retries", [None, 5])
def test_repeated_drops_up_to_max_retries_then_success(
    mode: str, server: RangeServer, dest: Path, max_retries: int | None
) -> None:
    drops = 3 if max_retries is None else max_retries  # 3 is the documented default
    server.script(*[drop(50_000)] * drops)
    options = {} if max_retries is None else {"max_retries": max_retries}
    result = fetch(mode, server.url, dest, resume=True, **options)
    assert dest.read_bytes() == BODY and result.resumes == drops
    ranges = [request.get("range") for request in server.requests]
    assert ranges == [None] + [f"bytes={50_000 * n}-" for n in range(1, drops + 1)]


def test_short_ranges_continue_without_using_up_retries(
    mode: str, server: RangeServer, dest: Path
) -> None:
    server.script(drop(CUT), short_range(60_000), short_range(60_000))
    result = fetch(mode, server.url, dest, resume=True, max_retries=1)
    assert dest.read_bytes() == BODY
    assert result.resumes == 3  # every 206 continuation counts
    ranges = [request.get("range") for request in server.requests]
    assert ranges == [None, "bytes=100000-", "bytes=160000-", "bytes=220000-"]


def test_an_instance_max_retries_applies(mode: str, server: RangeServer, dest: Path) -> None:
    api = axios_python.create(max_retries=1)
    server.script(drop(50_000), drop(50_000))
    with pytest.raises(RemoteProtocolError, match="gave up after 1 retry, 1 resumed"):
        if mode == "sync":
            with api:
                api.download(server.url, dest, resume=True)
        else:

            async def go() -> None:
                async with api:
                    await api.async_download(server.url, dest, resume=True)

            asyncio.run(go())
    assert len(server.requests) == 2
    assert partial_of(dest).read_bytes() == BODY[:100_000]


def test_a_short_body_only_content_range_reveals_is_resumed(
    mode: str, server: RangeServer, dest: Path
) -> None:
    server.script(drop(CUT), close_delimited(50_000))
    result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == BODY and result.resumes == 2
    ranges = [request.get("range") for request in server.requests]
    assert ranges == [None, f"bytes={CUT}-", f"bytes={CUT + 50_000}-"]


def test_a_read_timeout_mid_body_is_resumed(mode: str, server: RangeServer, dest: Path) -> None:
    server.script(stall(CUT))
    result = fetch(mode, server.url, dest, resume=True, timeout=Timeout(5, read=0.2))
    assert dest.read_bytes() == BODY and result.resumes == 1
    assert server.requests[1]["range"] == f"bytes={CUT}-"


def test_a_200_to_a_range_request_starts_over(mode: str, server: RangeServer, dest: Path) -> None:
    server.script(drop(CUT), ignore_range())
    result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == BODY
    assert result.resumes == 0 and result.digest == SHA256  # the hash restarted too
    assert server.requests[1]["range"] == f"bytes={CUT}-"


def test_a_206_of_a_changed_resource_is_discarded(
    mode: str, server: RangeServer, dest: Path
) -> None:
    """A server that serves the range whatever If-Range says: the new ETag gives it away."""
    server.script(drop(CUT), change(NEW_BODY, blind_206(), etag='"v2"'))
    result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == NEW_BODY and result.resumes == 0
    ranges = [request.get("range") for request in server.requests]
    assert ranges == [None, f"bytes={CUT}-", None]  # the partial dropped, asked from byte 0


def test_a_206_of_a_changed_size_is_discarded(mode: str, server: RangeServer, dest: Path) -> None:
    longer = BODY + b"more"  # same validators, another total: not the same representation
    server.script(drop(CUT), change(longer, blind_206()))
    result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == longer and result.resumes == 0
    assert [request.get("range") for request in server.requests] == [None, f"bytes={CUT}-", None]


def test_a_changed_resource_behind_a_correct_server_starts_over(
    mode: str, server: RangeServer, dest: Path
) -> None:
    server.script(drop(CUT), change(NEW_BODY, etag='"v2"'))  # If-Range fails: a 200
    result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == NEW_BODY and result.resumes == 0
    assert result.digest == hashlib.sha256(NEW_BODY).hexdigest()


def test_without_a_validator_it_starts_over_from_zero(mode: str, dest: Path) -> None:
    with RangeServer(BODY, etag=None, last_modified=None) as server:
        server.script(drop(CUT))
        result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == BODY and result.resumes == 0
    assert all("range" not in r and "if-range" not in r for r in server.requests)
    assert len(server.requests) == 2


def test_a_start_over_still_counts_against_max_retries(mode: str, dest: Path) -> None:
    dest.write_bytes(b"old")
    with RangeServer(BODY, etag=None, last_modified=None) as server:
        server.script(drop(CUT), drop(CUT))
        with pytest.raises(RemoteProtocolError, match="gave up after 1 retry"):
            fetch(mode, server.url, dest, resume=True, max_retries=1)
    assert len(server.requests) == 2
    assert names(dest.parent) == ["file.bin"]  # a partial nobody can continue is not kept
    assert dest.read_bytes() == b"old"


@pytest.mark.parametrize("last_modified", [LAST_MODIFIED, None])
def test_a_weak_etag_is_never_sent_in_if_range(
    mode: str, dest: Path, last_modified: str | None
) -> None:
    with RangeServer(BODY, etag='W/"v1"', last_modified=last_modified) as server:
        server.script(drop(CUT))
        result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == BODY
    second = server.requests[1]
    if last_modified is None:  # nothing safe to send: start over
        assert "range" not in second and "if-range" not in second and result.resumes == 0
    else:
        assert second["if-range"] == LAST_MODIFIED and second["range"] == f"bytes={CUT}-"
        assert result.resumes == 1


def test_last_modified_alone_is_a_validator(mode: str, dest: Path) -> None:
    with RangeServer(BODY, etag=None) as server:
        server.script(drop(CUT))
        result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == BODY and result.resumes == 1
    assert server.requests[1]["if-range"] == LAST_MODIFIED


def test_an_encoded_body_is_not_resumed_with_ranges(
    mode: str, server: RangeServer, dest: Path
) -> None:
    server.script(encoded(after=CUT))  # gzip despite Accept-Encoding: identity, then a drop
    result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == BODY and result.resumes == 0
    assert "range" not in server.requests[1]


def test_the_callers_accept_encoding_wins(mode: str, server: RangeServer, dest: Path) -> None:
    fetch(mode, server.url, dest, resume=True, headers={"accept-encoding": "br"})
    assert server.requests[0]["accept-encoding"] == "br"


def test_more_drops_than_max_retries_fail_and_keep_the_partial(
    mode: str, server: RangeServer, dest: Path
) -> None:
    dest.write_bytes(b"the previous version")
    server.script(drop(50_000), drop(50_000), drop(50_000))
    with pytest.raises(RemoteProtocolError, match=r"gave up after 2 retries, 2 resumed") as info:
        fetch(mode, server.url, dest, resume=True, max_retries=2)
    assert "kept in" in str(info.value) and len(server.requests) == 3
    assert dest.read_bytes() == b"the previous version"
    assert partial_of(dest).read_bytes() == BODY[:150_000]
    stored = json.loads(sidecar_of(dest).read_text())
    assert (stored["url"], stored["etag"], stored["total"]) == (server.url, '"v1"', len(BODY))

    # a later call continues from the partial, and hashes its bytes from disk
    sha1 = hashlib.sha1(BODY).hexdigest()
    result = fetch(mode, server.url, dest, resume=True, checksum=f"sha1:{sha1}")
    later = server.requests[3]
    assert later["range"] == "bytes=150000-" and later["if-range"] == '"v1"'
    assert len(server.requests) == 4
    assert dest.read_bytes() == BODY and (result.digest, result.resumes) == (sha1, 1)
    assert names(dest.parent) == ["file.bin"]


def test_a_later_call_of_another_url_discards_the_partial(
    mode: str, server: RangeServer, dest: Path
) -> None:
    interrupt(mode, server, dest)
    fetch(mode, server.url + "?other=1", dest, resume=True)
    assert "range" not in server.requests[-1] and dest.read_bytes() == BODY


def test_a_later_call_without_resume_leaves_the_partial_alone(
    mode: str, server: RangeServer, dest: Path
) -> None:
    interrupt(mode, server, dest)
    fetch(mode, server.url, dest)
    assert "range" not in server.requests[-1] and dest.read_bytes() == BODY
    assert partial_of(dest).read_bytes() == BODY[:CUT]  # still there for resume=True


def test_a_later_call_after_the_resource_changed_starts_over(
    mode: str, server: RangeServer, dest: Path
) -> None:
    interrupt(mode, server, dest)
    server.body, server.etag = SMALL_BODY, '"v2"'  # shorter than the partial, even
    result = fetch(mode, server.url, dest, resume=True)
    assert server.requests[-1]["if-range"] == '"v1"'  # asked for the old version's rest...
    assert dest.read_bytes() == SMALL_BODY and result.resumes == 0  # ...and got the new one


def test_416_for_a_complete_partial_commits_it(mode: str, server: RangeServer, dest: Path) -> None:
    interrupt(mode, server, dest)
    with partial_of(dest).open("ab") as file:  # the rest arrived; the process died before commit
        file.write(BODY[CUT:])
    stored = json.loads(sidecar_of(dest).read_text())
    sidecar_of(dest).write_text(json.dumps({**stored, "durable": len(BODY)}))  # and was synced
    result = fetch(mode, server.url, dest, resume=True, checksum=f"sha256:{SHA256}")
    assert server.requests[-1]["range"] == f"bytes={len(BODY)}-"
    assert len(server.requests) == 2  # the 416 was the whole answer
    assert dest.read_bytes() == BODY and result.digest == SHA256
    assert result.bytes_written == len(BODY) and names(dest.parent) == ["file.bin"]


def test_a_tail_beyond_the_durable_size_is_not_trusted(
    mode: str, server: RangeServer, dest: Path
) -> None:
    """After a machine crash the file may be longer than what reached the disk for sure (its
    tail zeros or garbage): a later call continues from the size the sidecar recorded."""
    interrupt(mode, server, dest)
    assert json.loads(sidecar_of(dest).read_text())["durable"] == CUT
    with partial_of(dest).open("ab") as file:
        file.write(bytes(50_000))  # never confirmed: what a crash can leave behind
    result = fetch(mode, server.url, dest, resume=True)  # no checksum: nothing else would catch it
    assert server.requests[-1]["range"] == f"bytes={CUT}-"
    assert dest.read_bytes() == BODY and result.resumes == 1


def test_a_checkpoint_records_the_durable_size_while_downloading(
    mode: str, server: RangeServer, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("axios_python._resume.CHECKPOINT_BYTES", 64 * 1024)
    seen: list[int] = []  # one uninterrupted download: only checkpoints can raise "durable"

    def look(_event: Any) -> None:
        if sidecar_of(dest).exists():
            seen.append(json.loads(sidecar_of(dest).read_text()).get("durable", -1))

    fetch(mode, server.url, dest, resume=True, on_download_progress=look)
    assert dest.read_bytes() == BODY
    assert any(durable >= 64 * 1024 for durable in seen), seen


def test_any_other_416_discards_the_partial_and_starts_over(
    mode: str, server: RangeServer, dest: Path
) -> None:
    server.script(drop(CUT), unsatisfiable(total=CUT - 1))
    result = fetch(mode, server.url, dest, resume=True)
    assert dest.read_bytes() == BODY and result.resumes == 0
    assert [request.get("range") for request in server.requests] == [None, f"bytes={CUT}-", None]


# -- checksums -------------------------------------------------------------------------------


def test_the_checksum_covers_the_resumed_file(mode: str, server: RangeServer, dest: Path) -> None:
    server.script(drop(CUT), drop(CUT))
    result = fetch(mode, server.url, dest, resume=True, checksum=f"sha256:{SHA256}")
    assert result.digest == SHA256 and result.resumes == 2


def test_a_wrong_checksum_deletes_the_partial_and_keeps_dest(
    mode: str, server: RangeServer, dest: Path
) -> None:
    dest.write_bytes(b"the previous version")
    server.script(drop(CUT))
    wrong = "0" * 64
    with pytest.raises(IntegrityError, match=f"expected {wrong}, got {SHA256}"):
        fetch(mode, server.url, dest, resume=True, checksum=f"sha256:{wrong}")
    assert dest.read_bytes() == b"the previous version"
    assert names(dest.parent) == ["file.bin"]


# -- what stays as it was -------------------------------------------------------------------


def test_without_resume_a_drop_leaves_nothing(mode: str, server: RangeServer, dest: Path) -> None:
    dest.write_bytes(b"the previous version")
    server.script(drop(CUT))
    with pytest.raises(RemoteProtocolError, match="truncated"):
        fetch(mode, server.url, dest)
    assert len(server.requests) == 1 and "range" not in server.requests[0]
    assert names(dest.parent) == ["file.bin"]
    assert dest.read_bytes() == b"the previous version"


def test_an_error_status_is_not_retried(mode: str, server: RangeServer, dest: Path) -> None:
    server.script(status(503))
    with pytest.raises(HTTPStatusError):
        fetch(mode, server.url, dest, resume=True)
    assert len(server.requests) == 1 and names(dest.parent) == []


def test_retry_on_adds_statuses_and_keeps_resuming_drops(
    mode: str, server: RangeServer, dest: Path
) -> None:
    """retry_on adds to what a resumable download retries; drops are still resumed."""
    server.script(status(503), drop(CUT))
    result = fetch(mode, server.url, dest, resume=True, retry_on=[503])
    assert dest.read_bytes() == BODY and result.resumes == 1
    ranges = [request.get("range") for request in server.requests]
    assert ranges == [None, None, f"bytes={CUT}-"]


def test_retry_on_as_a_predicate(mode: str, server: RangeServer, dest: Path) -> None:
    asked: list[Any] = []

    def retry_teapots(error: Any) -> bool:
        asked.append(error)
        return error.status_code == 418

    server.script(status(418), status(503))
    with pytest.raises(HTTPStatusError) as info:
        fetch(mode, server.url, dest, resume=True, retry_on=retry_teapots)
    assert info.value.response.status_code == 503
    assert [r.status_code for r in asked] == [418, 503] and len(server.requests) == 2


class NoDelay:
    max_delay = 0.3

    def get_delay(self, attempt: int) -> float:
        return 0.0


def test_a_retried_status_waits_its_retry_after_capped(
    mode: str, server: RangeServer, dest: Path
) -> None:
    """Retry-After: 30 is waited, capped by the strategy's max_delay (0.3 s here); without
    the header this strategy waits nothing."""
    server.script(status(503, {"Retry-After": "30"}))
    started = time.monotonic()
    fetch(mode, server.url, dest, resume=True, retry_on=[503], retry_strategy=NoDelay())
    waited = time.monotonic() - started
    assert dest.read_bytes() == BODY
    assert 0.25 <= waited < 10


def test_the_total_timeout_covers_every_attempt(mode: str, server: RangeServer, dest: Path) -> None:
    server.script(stall(CUT))
    with pytest.raises(DeadlineExceeded):
        fetch(mode, server.url, dest, resume=True, timeout=Timeout(5, total=0.3))
    assert len(server.requests) == 1  # no resume after the deadline
    assert partial_of(dest).read_bytes() == BODY[:CUT]  # kept for a later call


def test_a_cancelled_download_keeps_its_partial(mode: str, server: RangeServer, dest: Path) -> None:
    server.script(stall(CUT))
    token = CancelToken()
    timer = threading.Timer(0.2, token.cancel)
    timer.start()
    try:
        with pytest.raises(CancelError):
            fetch(mode, server.url, dest, resume=True, cancel_token=token)
    finally:
        timer.cancel()
    assert len(server.requests) == 1
    assert partial_of(dest).read_bytes() == BODY[:CUT]


def test_a_partial_held_by_another_download_is_refused(
    mode: str, server: RangeServer, dest: Path
) -> None:
    partial_of(dest).write_bytes(b"someone else's")
    with partial_of(dest).open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(AxiosError, match="another download") as info:
            fetch(mode, server.url, dest, resume=True)
    assert info.value.code == "ERR_DOWNLOAD_IN_PROGRESS"
    assert not isinstance(info.value, InvalidOptionError)
    assert server.requests == [] and not dest.exists()
    assert partial_of(dest).read_bytes() == b"someone else's"


@pytest.mark.parametrize(
    "options",
    [
        {"max_retries": -1},
        {"headers": {"Range": "bytes=5-"}},
        {"checksum": "sha256:zz"},
        {"retry_on": "503"},
    ],
)
def test_bad_options_are_refused_before_any_io(
    mode: str, server: RangeServer, dest: Path, options: dict[str, Any]
) -> None:
    with pytest.raises(InvalidOptionError):
        fetch(mode, server.url, dest, resume=True, **options)
    assert server.requests == [] and names(dest.parent) == []


# -- the sans-I/O pieces ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("bytes 100-299/300", ContentRange(100, 299, 300)),
        ("bytes 0-9/*", ContentRange(0, 9, None)),
        ("bytes */300", ContentRange(None, None, 300)),
        ("bytes 10-5/300", None),
        ("bytes 0-300/300", None),
        ("bytes */*", None),
        ("items 0-9/10", None),
        (None, None),
    ],
)
def test_parse_content_range(value: str | None, parsed: ContentRange | None) -> None:
    assert parse_content_range(value) == parsed


def test_validators_choose_if_range() -> None:
    assert Validators('"a"', LAST_MODIFIED).if_range() == '"a"'
    assert Validators('W/"a"', LAST_MODIFIED).if_range() == LAST_MODIFIED
    assert Validators('W/"a"', None).if_range() is None
    assert Validators('"a"').contradicts(Validators('"b"'))
    assert not Validators('"a"').contradicts(Validators(None, LAST_MODIFIED))
