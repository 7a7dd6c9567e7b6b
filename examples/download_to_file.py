"""Download a body of any size to disk without ever holding it in memory, atomically.

The body is streamed into a temporary file created in the destination directory. Only when
every byte has arrived (and, where the server declared a Content-Length, the count matches)
is the file fsync'ed and renamed into place with ``os.replace``, which is atomic on the same
filesystem. On any failure the temporary file is removed, so a reader never sees a partial
download under the final name.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import axios_python

USAGE = """\
usage: python examples/download_to_file.py BASE_URL [DEST_DIR] [PATH]

Downloads BASE_URL + PATH (default PATH: /stream-bytes/50000) into DEST_DIR
(default: the current directory). Exits 1, leaving no file behind, if the
download fails or is incomplete."""

CHUNK_SIZE = 64 * 1024


class IncompleteDownload(Exception):
    """Fewer bytes arrived than the server declared."""


def download(url: str, destination: Path) -> int:
    """Stream ``url`` into ``destination``; return the number of bytes written."""
    # read=30: give up if the server sends nothing for 30 s, however long the whole download.
    timeout = axios_python.Timeout(connect=10, read=30)
    with axios_python.get(url, stream=True, timeout=timeout) as r:
        r.raise_for_status()  # status and headers are known before any of the body is read
        declared = r.headers.get("content-length")
        # Content-Length counts the bytes on the wire; iter_bytes() yields decoded bytes, so
        # the two can only be compared when the body is not compressed.
        encoding = r.headers.get("content-encoding", "identity").lower()
        expected = int(declared) if declared and encoding == "identity" else None

        fd, tmp_name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
        tmp = Path(tmp_name)
        try:
            written = 0
            with os.fdopen(fd, "wb") as sink:
                for chunk in r.iter_bytes(CHUNK_SIZE):
                    sink.write(chunk)
                    written += len(chunk)
                if expected is not None and written != expected:
                    raise IncompleteDownload(f"got {written} of {expected} declared bytes")
                sink.flush()
                os.fsync(sink.fileno())
            os.chmod(tmp, 0o644)  # mkstemp creates the file private (0600)
            os.replace(tmp, destination)  # atomic: the final name only ever holds a whole file
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
    return written


def report_leftover(destination: Path) -> int:
    state = "a file from an earlier run is" if destination.exists() else "nothing was"
    print(f"{state} left at {destination}", file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    dest_dir = Path(argv[2]) if len(argv) > 2 else Path.cwd()
    path = argv[3] if len(argv) > 3 else "/stream-bytes/50000"
    url = argv[1].rstrip("/") + "/" + path.lstrip("/")
    name = path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "download"
    destination = dest_dir / f"{name}.bin"

    try:
        written = download(url, destination)
    except axios_python.RemoteProtocolError as exc:
        # The connection closed before the declared length arrived (code ECONNABORTED).
        print(f"download failed, body truncated ({exc.code}): {exc}", file=sys.stderr)
        return report_leftover(destination)
    except axios_python.AxiosError as exc:
        print(f"download failed ({exc.code}): {exc}", file=sys.stderr)
        return report_leftover(destination)
    except (IncompleteDownload, OSError) as exc:
        print(f"download failed ({type(exc).__name__}): {exc}", file=sys.stderr)
        return report_leftover(destination)

    print(f"saved {written} bytes to {destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
