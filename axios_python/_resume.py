"""``download(..., resume=True)``: a dropped body continues with ``Range`` + ``If-Range``.

An interrupted download stays beside ``dest`` (``.<name>.part`` and ``.<name>.part.json``)
for a later call. ``ResumePlan`` and ``ResumeJob`` make every decision (what to ask, what an
answer means, when to give up) without I/O; ``PartialFile`` does the file work (blocking
calls, run in a worker thread by the async loop); ``resume_sync`` / ``resume_async`` only
carry bytes between the two.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._cancel import as_token, asleep, run_to_completion, sleep
from ._config import LIBRARY_DEFAULTS, Timeout, join_url, merge_headers, merge_params
from ._config import _pairs as header_pairs
from ._deadline import Deadline
from ._download import (
    CHUNK,
    FILE_MODE,
    DownloadResult,
    _commit,
    _write_all,
    download_options,
    parse_checksum,
)
from ._exceptions import (
    AxiosError,
    CancelError,
    ContentTooLarge,
    DeadlineExceeded,
    HTTPStatusError,
    IntegrityError,
    InvalidOptionError,
    NetworkError,
    RemoteProtocolError,
    SSLError,
)
from ._exceptions import TimeoutError as AxiosTimeoutError
from ._progress import ProgressEvent
from ._retry import RetryPolicy, RetryStrategy

if TYPE_CHECKING:
    from ._response import Response

__all__ = [
    "DEFAULT_RESUME_RETRIES",
    "ContentRange",
    "Decision",
    "PartialFile",
    "ResumeJob",
    "ResumePlan",
    "Step",
    "Validators",
    "parse_content_range",
    "resume_async",
    "resume_sync",
]

DEFAULT_RESUME_RETRIES = 3
"""``max_retries`` for ``download(..., resume=True)`` when neither the call nor the instance
sets one."""

LOCKED = "ERR_DOWNLOAD_IN_PROGRESS"
"""The ``code`` of the ``AxiosError`` raised when another download holds the partial file."""

SIDECAR_VERSION = 1

CHECKPOINT_BYTES = 8 * 1024 * 1024
"""A resumable partial is fsynced, and its durable size recorded in the sidecar, every this
many bytes: after a machine crash a later call continues from the last checkpoint instead of
trusting a tail the disk may never have written."""


@dataclass(frozen=True)
class ContentRange:
    """``Content-Range: bytes N-M/T`` (``start``, inclusive ``end``, ``total`` or None for
    ``*``), or ``bytes */T`` (``start`` and ``end`` None) as a 416 sends it."""

    start: int | None
    end: int | None
    total: int | None


_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)\s*-\s*(\d+)|\*)\s*/\s*(\d+|\*)\s*$", re.I)


def parse_content_range(value: str | None) -> ContentRange | None:
    """The Content-Range header, or None when absent or malformed (an end before its start,
    or beyond the total, is malformed)."""
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None
    first, last, size = match.groups()
    total = None if size == "*" else int(size)
    if first is None:
        return None if total is None else ContentRange(None, None, total)
    start, end = int(first), int(last)
    if end < start or (total is not None and end >= total):
        return None
    return ContentRange(start, end, total)


@dataclass(frozen=True)
class Validators:
    """What identifies one version of the resource: its ETag and Last-Modified, as sent."""

    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> Validators:
        """From response headers (an ``httpx.Headers``, or a dict with lower-case names)."""
        etag = (headers.get("etag") or "").strip() or None
        last_modified = (headers.get("last-modified") or "").strip() or None
        return cls(etag, last_modified)

    @property
    def strong_etag(self) -> str | None:
        """The ETag unless it is weak (``W/"..."``): weak ones cannot go in If-Range."""
        if self.etag is None or self.etag[:2].upper() == "W/":
            return None
        return self.etag

    def if_range(self) -> str | None:
        """The If-Range value: a strong ETag, else Last-Modified; None: resuming is unsafe."""
        return self.strong_etag or self.last_modified

    def contradicts(self, other: Validators) -> bool:
        """True when a later response carries an ETag or Last-Modified different from ours."""
        return any(
            mine is not None and theirs is not None and mine != theirs
            for mine, theirs in (
                (self.etag, other.etag),
                (self.last_modified, other.last_modified),
            )
        )


def resource_key(config: Mapping[str, Any]) -> str:
    """The URL a partial file belongs to (base_url and params included), as the sidecar keeps it."""
    url = config.get("url")
    try:
        full = httpx.URL(join_url(config.get("base_url"), url))
        params = merge_params(config.get("params"))
        return str(full.copy_merge_params(params) if params else full)
    except (AxiosError, httpx.InvalidURL, TypeError, ValueError):
        return str(url)


def adopt(
    stored: Mapping[str, Any] | None, url: str, size: int
) -> tuple[Validators, int | None, int]:
    """The validators, total and usable size of a partial left by an earlier call, if it may
    be continued.

    Only when the sidecar is ours, names the same URL and holds a usable validator, and the
    partial is non-empty and no longer than the total. Only the bytes the sidecar records as
    durable (fsynced) are used: after a machine crash the file's tail may be garbage.
    Raises ``LookupError`` otherwise.
    """
    durable = stored.get("durable") if stored else None
    if type(durable) is int and 0 <= durable < size:
        size = durable
    if size <= 0 or not stored or stored.get("version") != SIDECAR_VERSION:
        raise LookupError("no partial download to continue")
    etag, last_modified, total = (stored.get(k) for k in ("etag", "last_modified", "total"))
    if stored.get("url") != url:
        raise LookupError("the partial download is of another URL")
    if not all(isinstance(v, (str, type(None))) for v in (etag, last_modified)):
        raise LookupError("unreadable sidecar")
    if total is not None and (type(total) is not int or size > total):
        raise LookupError("the partial download is longer than the resource")
    validators = Validators(etag, last_modified)
    if validators.if_range() is None:
        raise LookupError("no validator: the partial download cannot be continued safely")
    return validators, total, size


class ResumePlan:
    """The call's options, as a resumable download uses them; checked before any I/O.

    ``config`` is the call merged over the instance defaults (what the request will use),
    ``options`` what the caller passed to ``download()``.
    """

    def __init__(
        self, config: Mapping[str, Any], options: Mapping[str, Any], checksum: str | None
    ) -> None:
        self.algorithm, self.expected = parse_checksum(checksum)
        self.url = resource_key(config)
        if "max_retries" in options:
            retries = options["max_retries"]
        else:  # an instance-wide max_retries counts; the library default (0) does not
            retries = config.get("max_retries") or DEFAULT_RESUME_RETRIES
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidOptionError(f"max_retries must be an integer >= 0, got {retries!r}")
        self.max_retries: int = retries
        names = {
            (name.decode("latin-1") if isinstance(name, bytes) else str(name)).lower()
            for name in merge_headers(config.get("headers"))
        }
        if names & {"range", "if-range"}:
            raise InvalidOptionError(
                "download(resume=True) sends Range and If-Range itself: do not pass them"
            )
        self.identity = "accept-encoding" not in names  # a caller's own choice wins
        self.timeout = Timeout.coerce(config.get("timeout", LIBRARY_DEFAULTS["timeout"]))
        self.deadline = Deadline(self.timeout.total)  # one budget for every attempt
        strategy = config.get("retry_strategy")
        if strategy is not None and not isinstance(strategy, RetryStrategy):
            raise InvalidOptionError(
                f"retry_strategy must have get_delay(attempt) and max_delay, got {strategy!r}"
            )
        self.strategy: RetryStrategy | None = strategy
        # retry_on adds to what a resumable download retries (drops, timeouts, short bodies:
        # the reason to resume), e.g. a 503 or a predicate; checked here, before any I/O.
        retry_on = config.get("retry_on")
        self.policy: RetryPolicy | None = (
            None if retry_on is None else RetryPolicy(retries, strategy, retry_on, "GET")
        )
        self.token = as_token(config.get("cancel_token"), config.get("signal"))
        self.max_content_length: int | None = config.get("max_content_length")
        base = download_options(dict(options))
        base["max_retries"] = 0  # the resume loop retries; the request must not do it again
        base["retry_on"] = None  # nor ask the caller's retry_on a second time
        self._base = base

    def request_options(self, start: int | None, if_range: str | None) -> dict[str, Any]:
        """Options for one attempt: ``Range: bytes=<start>-`` guarded by If-Range when
        ``start`` is given, identity encoding, and what is left of the ``total`` timeout."""
        options = dict(self._base)
        extra: list[tuple[str, str]] = []
        if self.identity:
            extra.append(("Accept-Encoding", "identity"))
        if start is not None and if_range is not None:
            extra += [("Range", f"bytes={start}-"), ("If-Range", if_range)]
            validate = options["validate_status"]
            options["validate_status"] = functools.partial(_or_416, validate)
        callback = options.get("on_download_progress")
        if start and callback is not None:  # report the whole file, not just this range
            options["on_download_progress"] = functools.partial(_shifted, callback, start)
        if extra:  # a list of pairs keeps the caller's None values (header removals) as they are
            options["headers"] = [*header_pairs(options.get("headers"), "headers"), *extra]
        if self.timeout.total is not None:
            remaining = self.deadline.remaining()
            if not remaining:
                raise DeadlineExceeded(
                    f"total timeout of {self.timeout.total:g} s exceeded before the download "
                    "finished"
                )
            t = self.timeout
            options["timeout"] = Timeout(
                connect=t.connect, read=t.read, write=t.write, pool=t.pool, total=remaining
            )
        return options

    def delay(self, retry: int, retry_after: str | None = None) -> float:
        """The wait before retry number ``retry``: a ``Retry-After`` the server sent (capped
        by the strategy's max delay), else none unless a ``retry_strategy`` was given."""
        if retry_after is not None and self.policy is not None:
            return self.policy.delay(retry, retry_after)
        return 0.0 if self.strategy is None else max(0.0, self.strategy.get_delay(retry))


def _shifted(callback: Callable[[ProgressEvent], Any], offset: int, event: ProgressEvent) -> Any:
    return callback(event.shifted(offset))


def _or_416(validate: Callable[[int], bool] | None, status: int) -> bool:
    """A range request's status check: a 416 is an answer the resume logic reads."""
    return status == 416 or validate is None or validate(status)


class Step(enum.Enum):
    APPEND = "append"  # a 206 continuing at our offset: its body goes after the partial
    RESTART = "restart"  # a full representation: the partial is emptied, the body written
    COMPLETE = "complete"  # a 416 saying the partial already is the whole resource
    DISCARD = "discard"  # an answer we cannot use: drop the partial, ask again without Range


BODY_STEPS = frozenset({Step.APPEND, Step.RESTART})


@dataclass(frozen=True)
class Decision:
    """What to do with a response, and the file work it needs before its body is written."""

    step: Step
    reason: str
    truncate: int  # cut the partial file to this many bytes (and write from there)
    rehash: bool = False  # hash the partial's bytes the digest has not seen yet, from disk
    sidecar: dict[str, Any] | None = None  # write this sidecar
    drop_sidecar: bool = False


class ResumeJob:
    """One resumable download's state and decisions, sans I/O.

    ``offset`` is how many bytes of the partial file are known good; ``hashed`` how many of
    them the digest has seen (less only for a partial left by an earlier call, whose bytes
    are hashed from disk once the server agrees to continue it).
    """

    def __init__(
        self,
        plan: ResumePlan,
        dest: Path,
        partial: Path,
        size: int,
        stored: Mapping[str, Any] | None,
    ) -> None:
        self.plan = plan
        self.dest = dest
        self.partial = partial
        self.started = time.monotonic()
        self.hasher = hashlib.new(plan.algorithm)
        self.hashed = 0
        self.offset = 0
        self.validators = Validators()
        self.total: int | None = None
        self.resumable = False  # may the partial be continued with Range?
        self.resumes = 0  # Range continuations used
        self.retries = 0  # failures recovered from (resumed or restarted)
        self.corrupt = False  # the partial is wrong: delete it, never keep it
        self.sent: int | None = None  # the Range start of the request in flight
        self.expected_end: int | None = None  # where the body in flight should end
        self._short: AxiosError | None = None
        self._stale = size > 0
        self.durable = 0  # bytes of the partial known to be on disk (fsynced)
        with contextlib.suppress(LookupError):
            self.validators, self.total, usable = adopt(stored, plan.url, size)
            self.offset, self.resumable, self._stale = usable, True, False
            self.durable = usable

    # -- the conversation --------------------------------------------------------------------

    def opening(self) -> Decision:
        """The file work before the first request: keep a partial we can continue, or empty it."""
        if self.offset:
            return Decision(Step.APPEND, "continuing a partial download", truncate=self.offset)
        reason = "a stale partial download" if self._stale else "a new download"
        return Decision(Step.DISCARD, reason, truncate=0, drop_sidecar=True)

    def next_request(self) -> dict[str, Any]:
        """The options of the next attempt: a Range request when the partial can be continued."""
        if_range = self.validators.if_range()
        can_continue = self.offset > 0 and self.resumable and if_range is not None
        self.sent = self.offset if can_continue else None
        self.expected_end = None
        return self.plan.request_options(self.sent, if_range)

    def on_response(self, status: int, headers: Mapping[str, str]) -> Decision:
        """What a response (status and headers; body unread) means for the partial."""
        encoded = headers.get("content-encoding", "identity").strip().lower() not in (
            "",
            "identity",
        )
        seen = Validators.of(headers)
        if self.sent is not None and status == 206:
            found = parse_content_range(headers.get("content-range"))
            problem = None
            if encoded:
                problem = "the server encoded the range (Content-Encoding)"
            elif found is None or found.start is None or found.end is None:
                problem = "a 206 without a usable Content-Range"
            elif found.start != self.sent:
                problem = f"a 206 starting at byte {found.start}, not {self.sent}"
            elif self.validators.contradicts(seen):
                problem = "the resource changed (its ETag or Last-Modified differs)"
            elif None not in (self.total, found.total) and found.total != self.total:
                problem = f"the resource's size changed ({self.total} -> {found.total})"
            if problem is not None or found is None or found.end is None:
                return self._discard(problem or "unusable 206")
            if found.total is not None:
                self.total = found.total
            self.expected_end = found.end + 1
            self._check_size(self.total if self.total is not None else self.expected_end)
            self.resumes += 1
            return Decision(
                Step.APPEND,
                f"continuing at byte {self.offset}",
                truncate=self.offset,
                rehash=self.hashed < self.offset,
            )
        if self.sent is not None and status == 416:
            found = parse_content_range(headers.get("content-range"))
            if (
                found is not None
                and found.start is None
                and found.total == self.offset
                and not self.validators.contradicts(seen)
            ):
                self.total = self.expected_end = self.offset
                return Decision(
                    Step.COMPLETE,
                    "the partial download is the whole resource",
                    truncate=self.offset,
                    rehash=self.hashed < self.offset,
                )
            return self._discard("416: the range does not fit the resource any more")
        if status == 206:  # we sent no Range: this cannot be the resource from byte 0
            raise RemoteProtocolError("the server answered 206 to a request without Range")
        # A full representation (a 200, or a status the caller's validate_status accepts).
        self.hasher = hashlib.new(self.plan.algorithm)
        self.hashed = self.offset = 0
        self.validators = seen
        declared = headers.get("content-length", "").strip()
        self.total = int(declared) if declared.isdigit() and not encoded else None
        self.expected_end = self.total
        # An encoded body's bytes are not the ranges' bytes: such a download starts over.
        self.resumable = not encoded and seen.if_range() is not None
        return Decision(
            Step.RESTART,
            "a full response" if self.sent is None else f"{status} instead of 206: starting over",
            truncate=0,
            sidecar=self.sidecar(),
        )

    def _discard(self, reason: str) -> Decision:
        self.hasher = hashlib.new(self.plan.algorithm)
        self.hashed = self.offset = 0
        self.validators, self.total, self.resumable = Validators(), None, False
        return Decision(Step.DISCARD, reason, truncate=0, drop_sidecar=True)

    def _check_size(self, size: int) -> None:
        limit = self.plan.max_content_length
        if limit is not None and size > limit:
            raise ContentTooLarge(f"the resource is {size} bytes, over max_content_length={limit}")

    def absorb(self, data: bytes) -> None:
        """Bytes of the partial already on disk, read back for the digest."""
        self.hasher.update(data)
        self.hashed += len(data)

    def feed(self, data: bytes) -> None:
        """Bytes of the body, once written to the partial file."""
        self.hasher.update(data)
        self.hashed += len(data)
        self.offset += len(data)

    def settle(self, step: Step) -> bool:
        """After a response: True when the partial is complete, False to ask again."""
        if step is Step.DISCARD:
            return False
        end = self.expected_end
        if end is not None and self.offset < end:
            self._short = IntegrityError(
                f"download incomplete: received {self.offset} bytes, expected {end}"
            )
            raise self._short
        if end is not None and self.offset > end:
            self.corrupt = True
            raise IntegrityError(f"download too long: received {self.offset} bytes, expected {end}")
        # A 206 may cover less than the rest (its end before the total): ask for the next part.
        return self.total is None or self.offset >= self.total

    def after_error(self, error: AxiosError) -> float:
        """The delay before trying again; raises ``error`` (annotated) when it is final."""
        short, self._short = error is self._short, None
        retryable = (
            short
            or (isinstance(error, NetworkError) and not isinstance(error, SSLError))
            or (isinstance(error, AxiosTimeoutError) and not isinstance(error, DeadlineExceeded))
        )
        response = error.response if isinstance(error, HTTPStatusError) else None
        policy = self.plan.policy
        final = (DeadlineExceeded, CancelError, IntegrityError)  # never retried, whatever asked
        if not retryable and policy is not None and not isinstance(error, final):
            retryable = policy.retryable(error if response is None else response)
        if not retryable or self.retries >= self.plan.max_retries:
            raise self.final(error)
        self.retries += 1
        retry_after = None if response is None else response.headers.get("retry-after")
        delay = self.plan.delay(self.retries, retry_after)
        remaining = self.plan.deadline.remaining()
        if remaining is not None and delay >= remaining:
            raise self.final(error)
        return delay

    def final(self, error: AxiosError) -> AxiosError:
        """``error``, its message saying how far we got and where the partial file stays."""
        notes = []
        if self.retries:
            tries = "retry" if self.retries == 1 else "retries"
            notes.append(f"gave up after {self.retries} {tries}, {self.resumes} resumed with Range")
        if self.kept_size():
            notes.append(
                f"{self.offset} bytes are kept in {self.partial} for download(..., resume=True)"
            )
        if notes:
            error.message = f"{error.message} ({'; '.join(notes)})"
            error.args = (error.message,)
        return error

    # -- the end ----------------------------------------------------------------------------

    def finish(self) -> str:
        """The digest of the complete file; ``IntegrityError`` (partial deleted) if it is wrong."""
        if self.hashed != self.offset or (self.total is not None and self.offset != self.total):
            self.corrupt = True
            raise IntegrityError(
                f"download incomplete: have {self.offset} bytes, expected {self.total}"
            )
        digest = self.hasher.hexdigest()
        if self.plan.expected is not None and digest != self.plan.expected:
            self.corrupt = True
            raise IntegrityError(
                f"{self.plan.algorithm} mismatch: expected {self.plan.expected}, got {digest}; "
                "the destination was left untouched and the partial download deleted"
            )
        return digest

    def kept_size(self) -> int | None:
        """How much of the partial to keep after a failure (None: delete it, as when it is
        wrong, empty, or cannot be continued for want of a validator)."""
        if self.corrupt or self.offset <= 0 or not self.resumable:
            return None
        return self.offset

    def sidecar(self) -> dict[str, Any]:
        return {
            "version": SIDECAR_VERSION,
            "url": self.plan.url,
            "etag": self.validators.etag,
            "last_modified": self.validators.last_modified,
            "total": self.total,
            "durable": min(self.durable, self.offset),
        }

    def checkpoint_due(self) -> bool:
        """Whether enough has been written since the last fsync to record another one."""
        return self.resumable and self.offset - self.durable >= CHECKPOINT_BYTES

    def result(self, digest: str) -> DownloadResult:
        elapsed = time.monotonic() - self.started
        return DownloadResult(
            self.dest, self.offset, self.plan.algorithm, digest, elapsed, self.resumes
        )


class PartialFile:
    """The partial file ``.<name>.part`` and its sidecar ``.<name>.part.json`` beside ``dest``.

    Blocking calls: the async loop runs each in a worker thread. The partial is held under an
    exclusive ``flock`` from ``open()`` until ``commit()`` or ``release()``.
    """

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.path = dest.parent / f".{dest.name}.part"
        self.sidecar = dest.parent / f".{dest.name}.part.json"
        self.fd = -1

    def open(self) -> tuple[int, dict[str, Any] | None]:
        """Open (or create) and lock the partial: its size and the sidecar's contents."""
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            if not _lock(fd):
                os.close(fd)
                raise AxiosError(
                    f"another download into {self.dest} (another process, thread or task) "
                    f"holds {self.path}; wait for it to finish, or download elsewhere",
                    code=LOCKED,
                )
            try:  # the holder we waited out may have renamed or removed the file meanwhile
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self.fd = fd
        return os.fstat(fd).st_size, _read_json(self.sidecar)

    def apply(self, decision: Decision, job: ResumeJob) -> None:
        """The file work of a decision: truncate, re-hash what the digest has not seen,
        write or drop the sidecar; the next write goes at the truncation point."""
        os.ftruncate(self.fd, decision.truncate)
        if decision.rehash:
            position = job.hashed
            while position < job.offset:
                data = os.pread(self.fd, min(CHUNK, job.offset - position), position)
                if not data:
                    break  # shorter than we thought: finish() will refuse it
                job.absorb(data)
                position += len(data)
        os.lseek(self.fd, decision.truncate, os.SEEK_SET)
        if decision.drop_sidecar:
            with contextlib.suppress(FileNotFoundError):
                self.sidecar.unlink()
        if decision.sidecar is not None:
            _write_json(self.sidecar, decision.sidecar)

    def append(self, data: bytes, job: ResumeJob) -> None:
        """Write body bytes, count them, and checkpoint (fsync + sidecar) when one is due."""
        _write_all(self.fd, data)
        job.feed(data)
        if job.checkpoint_due():
            os.fsync(self.fd)
            job.durable = job.offset
            _write_json(self.sidecar, job.sidecar())

    def commit(self) -> None:
        """fsync, rename over ``dest`` (atomically), remove the sidecar, unlock."""
        fd, self.fd = self.fd, -1
        _commit(fd, self.path, self.dest)
        with contextlib.suppress(OSError):
            self.sidecar.unlink()

    def close(self) -> None:
        """Unlock and close, leaving the files as they are."""
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)

    def release(self, job: ResumeJob) -> None:
        """After a failure: keep the good bytes (durably, and say so in the sidecar) for a
        later call, or delete the partial and its sidecar when they cannot be continued."""
        fd, self.fd = self.fd, -1
        if fd < 0:
            return
        keep = job.kept_size()
        try:
            if keep is not None:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, keep)
                    os.fsync(fd)
                    job.durable = keep
                    _write_json(self.sidecar, job.sidecar())
                return
            for path in (self.path, self.sidecar):
                with contextlib.suppress(OSError):
                    path.unlink()
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)  # and with it the lock


def _lock(fd: int) -> bool:
    """An exclusive, non-blocking ``flock``: False when someone else holds it."""
    if sys.platform == "win32":  # pragma: no cover - no flock; a race there is not detected
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a file system without flock: go on unlocked
        return True
    return True


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``path`` atomically: a temporary file beside it, fsynced, renamed over it."""
    fd, name = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        _write_all(fd, json.dumps(data).encode("utf-8"))
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(name, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def resume_sync(
    send: Callable[[dict[str, Any]], Response],
    dest: str | os.PathLike[str],
    plan: ResumePlan,
) -> DownloadResult:
    """``download(..., resume=True)``: ``send(options)`` makes one streamed GET."""
    partial = PartialFile(Path(dest))
    size, stored = partial.open()
    job = ResumeJob(plan, partial.dest, partial.path, size, stored)
    try:
        partial.apply(job.opening(), job)
        while True:
            try:
                options = job.next_request()
                with send(options) as response:
                    decision = job.on_response(response.status_code, response.headers)
                    partial.apply(decision, job)
                    if decision.step in BODY_STEPS:
                        for chunk in response.iter_bytes():  # as received: a drop loses nothing
                            partial.append(chunk, job)
                if job.settle(decision.step):
                    break
            except AxiosError as exc:
                sleep(job.after_error(exc), plan.token)
        digest = job.finish()
        partial.commit()
    except BaseException:
        partial.release(job)
        raise
    return job.result(digest)


async def resume_async(
    send: Callable[[dict[str, Any]], Awaitable[Response]],
    dest: str | os.PathLike[str],
    plan: ResumePlan,
) -> DownloadResult:
    """The async twin of ``resume_sync``; every file operation runs in a worker thread."""
    partial = PartialFile(Path(dest))
    try:
        size, stored = await _off_loop(partial.open)
    except BaseException:
        await _off_loop(partial.close)  # cancelled while it ran: unlock, leave the bytes
        raise
    job = ResumeJob(plan, partial.dest, partial.path, size, stored)
    try:
        await _off_loop(partial.apply, job.opening(), job)
        while True:
            try:
                options = job.next_request()
                async with await send(options) as response:
                    decision = job.on_response(response.status_code, response.headers)
                    await _off_loop(partial.apply, decision, job)
                    if decision.step in BODY_STEPS:
                        async for chunk in response.aiter_bytes():
                            await _off_loop(partial.append, chunk, job)
                if job.settle(decision.step):
                    break
            except AxiosError as exc:
                await asleep(job.after_error(exc), plan.token)
        digest = job.finish()
        await _off_loop(partial.commit)
    except BaseException:
        await _off_loop(partial.release, job)
        raise
    return job.result(digest)


_T = TypeVar("_T")


async def _off_loop(function: Callable[..., _T], *args: Any) -> _T:
    """``function(*args)`` in a worker thread, run to its end even if the task is cancelled
    meanwhile (so a write is either counted or not made, and a lock taken is released)."""
    return await run_to_completion(asyncio.to_thread(function, *args))
