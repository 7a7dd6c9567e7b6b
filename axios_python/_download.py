"""Downloads that never lie: a body goes to a temporary file beside ``dest`` and replaces it
atomically only once complete (length as declared, digest as expected).

On any failure ``dest`` is exactly as it was (absent, or the old file) and the temporary file
is gone. The sans-I/O part (checksum parsing, hashing, the final checks) is shared; the sync
and async writers differ only in how they call the file system (the async one off the loop).

``resume=True`` (continuing a dropped body with ``Range``) lives in ``_resume``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._exceptions import (
    AxiosError,
    IntegrityError,
    InvalidOptionError,
)

if TYPE_CHECKING:
    from ._response import Response

__all__ = [
    "CHUNK",
    "FILE_MODE",
    "DownloadResult",
    "IntegrityError",
    "download_options",
    "parse_checksum",
    "save_async",
    "save_sync",
]
CHUNK = 64 * 1024
ALGORITHMS = ("sha256", "sha1", "sha512", "md5")


@dataclass(frozen=True)
class DownloadResult:
    """What a download returns: the final ``path``, ``bytes_written``, the digest
    ``algorithm`` and hex ``digest``, ``elapsed`` seconds, and ``resumes``, the number of
    Range continuations used."""

    path: Path
    bytes_written: int
    algorithm: str
    digest: str
    elapsed: float
    resumes: int = 0


def parse_checksum(checksum: str | None) -> tuple[str, str | None]:
    """``"sha256:<hex>"`` -> ("sha256", "<hex>"); None -> ("sha256", None). Checked before I/O."""
    if checksum is None:
        return "sha256", None
    algorithm, sep, expected = checksum.partition(":")
    algorithm = algorithm.strip().lower()
    expected = expected.strip().lower()
    if not sep or algorithm not in ALGORITHMS or not expected:
        raise InvalidOptionError(
            f"checksum must look like 'sha256:<hex>' ({', '.join(ALGORITHMS)}), got {checksum!r}"
        )
    size = hashlib.new(algorithm).digest_size * 2
    if len(expected) != size or any(c not in "0123456789abcdef" for c in expected):
        raise InvalidOptionError(
            f"checksum {checksum!r}: a {algorithm} digest is {size} hex digits"
        )
    return algorithm, expected


class _Verifier:
    """Counts and hashes what is written; says at the end whether it is the resource."""

    def __init__(self, response: Response, checksum: str | None) -> None:
        self.algorithm, self.expected = parse_checksum(checksum)
        self.hasher = hashlib.new(self.algorithm)
        self.written = 0
        self.started = time.monotonic()
        encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
        declared = response.headers.get("content-length")
        self.declared = int(declared) if declared and declared.isdigit() and not encoded else None

    def feed(self, chunk: bytes) -> None:
        self.hasher.update(chunk)
        self.written += len(chunk)

    def check(self) -> str:
        if self.declared is not None and self.written != self.declared:
            raise IntegrityError(
                f"download incomplete: received {self.written} bytes, expected {self.declared}"
            )
        digest = self.hasher.hexdigest()
        if self.expected is not None and digest != self.expected:
            raise IntegrityError(
                f"{self.algorithm} mismatch: expected {self.expected}, got {digest}; "
                "the destination was left untouched"
            )
        return digest


FILE_MODE = 0o666
"""Files are created with this mode less the umask, as ``open()`` or curl would make them
(``tempfile.mkstemp`` would leave a finished download readable by its owner only)."""


def _temporary(dest: Path) -> tuple[int, Path]:
    dest.parent.mkdir(parents=True, exist_ok=True)
    while True:
        path = dest.parent / f".{dest.name}.{secrets.token_hex(4)}.part"
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE), path
        except FileExistsError:  # pragma: no cover - 32 random bits already taken
            continue


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _commit(fd: int, temporary: Path, dest: Path) -> None:
    os.fsync(fd)
    os.close(fd)
    os.replace(temporary, dest)
    with contextlib.suppress(OSError):  # make the rename itself durable where we can
        directory = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _abort(fd: int, temporary: Path) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
    with contextlib.suppress(OSError):
        temporary.unlink()


def _attach(error: AxiosError, response: Response) -> None:
    if error.response is None:
        error.response = response
    if error.request is None:
        error.request = response.request


def save_sync(
    response: Response, dest: str | os.PathLike[str], checksum: str | None
) -> DownloadResult:
    target = Path(dest)
    verifier = _Verifier(response, checksum)
    fd, temporary = _temporary(target)
    try:
        for chunk in response.iter_bytes(CHUNK):
            _write_all(fd, chunk)
            verifier.feed(chunk)
        digest = verifier.check()
        _commit(fd, temporary, target)
    except AxiosError as exc:
        _abort(fd, temporary)
        _attach(exc, response)
        raise
    except BaseException:
        _abort(fd, temporary)
        raise
    elapsed = time.monotonic() - verifier.started
    return DownloadResult(target, verifier.written, verifier.algorithm, digest, elapsed)


async def save_async(
    response: Response, dest: str | os.PathLike[str], checksum: str | None
) -> DownloadResult:
    """The async twin: file writes and fsync run in a worker thread, never on the loop."""
    target = Path(dest)
    verifier = _Verifier(response, checksum)
    fd, temporary = await asyncio.to_thread(_temporary, target)
    try:
        async for chunk in response.aiter_bytes(CHUNK):
            await asyncio.to_thread(_write_all, fd, chunk)
            verifier.feed(chunk)
        digest = verifier.check()
        await asyncio.to_thread(_commit, fd, temporary, target)
    except AxiosError as exc:
        await asyncio.to_thread(_abort, fd, temporary)
        _attach(exc, response)
        raise
    except BaseException:
        await asyncio.to_thread(_abort, fd, temporary)
        raise
    elapsed = time.monotonic() - verifier.started
    return DownloadResult(target, verifier.written, verifier.algorithm, digest, elapsed)


def download_options(options: dict[str, Any]) -> dict[str, Any]:
    """A download is a stream, and a 4xx/5xx is not the resource: refuse it by default."""
    options = dict(options)
    options["stream"] = True
    options.setdefault("validate_status", lambda status: 200 <= status < 300)
    return options
