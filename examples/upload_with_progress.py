"""Upload a file with a progress line and a bandwidth cap, sync and async.

The file object goes to ``content=`` as is: it is read and sent 64 KiB at a time (less under
a low ``max_rate``), so a file of any size uploads with flat memory. ``on_upload_progress``
is called at most every 100 ms and once at the end with axios's fields (``loaded``,
``total``, ``progress``, ``rate``, ``estimated``...). ``max_rate=(upload, download)`` caps
only the upload here.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import axios_python

USAGE = """\
usage: python examples/upload_with_progress.py BASE_URL [FILE]

POSTs FILE (default: a 2 MiB temporary file) to BASE_URL/upload at most 4 MiB/s,
once with the sync API and once with the async one, printing progress as it goes."""

MAX_UPLOAD_RATE = 4 * 1024 * 1024  # bytes per second


def show(event: axios_python.ProgressEvent) -> None:
    done = f"{event.progress:.0%}" if event.progress is not None else f"{event.loaded} B"
    rate = f"{event.rate / 2**20:.1f} MiB/s" if event.rate else "-"
    print(f"  uploaded {done} ({event.loaded} of {event.total} bytes) at {rate}")


def upload_sync(url: str, path: Path) -> axios_python.Response:
    with path.open("rb") as file:
        return axios_python.post(
            url,
            content=file,
            headers={"Content-Type": "application/octet-stream"},
            on_upload_progress=show,
            max_rate=(MAX_UPLOAD_RATE, None),
        )


async def upload_async(url: str, path: Path) -> axios_python.Response:
    with path.open("rb") as file:  # a plain file works in async code too
        return await axios_python.async_post(
            url,
            content=file,
            headers={"Content-Type": "application/octet-stream"},
            on_upload_progress=show,
            max_rate=(MAX_UPLOAD_RATE, None),
        )


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    url = argv[1].rstrip("/") + "/upload"
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(argv[2]) if len(argv) > 2 else Path(scratch) / "upload.bin"
        if len(argv) <= 2:
            path.write_bytes(os.urandom(2 * 1024 * 1024))
        size = path.stat().st_size
        print(f"sync upload of {size} bytes")
        first = upload_sync(url, path)
        print(f"  server answered {first.status}: {first.data}")
        print(f"async upload of {size} bytes")
        second = asyncio.run(upload_async(url, path))
        print(f"  server answered {second.status}: {second.data}")
    return 0 if first.ok and second.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
