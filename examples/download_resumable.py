"""Download a large file that survives dropped connections, with a progress bar.

``download()`` streams into ``.<name>.part`` beside the destination and renames it over the
destination only when the whole body is there and its digest matches. With ``resume=True``
a connection that drops half way is continued with a ``Range`` request guarded by
``If-Range`` (so a file that changed on the server is fetched again from the start, never
stitched together); if every retry fails, the partial file stays and running the script
again continues it. ``progress=True`` draws a bar on a terminal and prints plain lines
otherwise; the async twin is ``await axios_python.async_download(...)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import axios_python

USAGE = """\
usage: python examples/download_resumable.py BASE_URL [PATH] [DEST] [sha256:HEX]

Downloads BASE_URL + PATH (default /stream-bytes/50000) to DEST (default: the
last part of PATH in the current directory), resuming after dropped connections
and checking the digest when one is given."""


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    path = argv[2] if len(argv) > 2 else "/stream-bytes/50000"
    dest = Path(argv[3]) if len(argv) > 3 else Path(path.rstrip("/").rsplit("/", 1)[-1])
    checksum = argv[4] if len(argv) > 4 else None
    try:
        result = axios_python.download(
            argv[1].rstrip("/") + path,
            dest,
            checksum=checksum,
            resume=True,  # continue with Range after a drop, up to max_retries times
            max_retries=5,
            progress=True,
            timeout=axios_python.Timeout(connect=10, read=30),
        )
    except axios_python.AxiosError as exc:
        print(f"download failed ({exc.code}): {exc}", file=sys.stderr)
        return 1
    print(
        f"saved {result.bytes_written} bytes to {result.path} in {result.elapsed:.2f} s "
        f"after {result.resumes} resume(s); sha256 {result.digest}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
