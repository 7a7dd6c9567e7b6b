"""Stream a body synchronously in fixed-size chunks, so memory stays flat.

Status and headers are available as soon as the call returns; the body is pulled from the
network only while the loop runs, 1024 bytes at a time. Leaving the ``with`` block (even by
``break`` or an exception) releases the connection.
"""

from __future__ import annotations

import sys

import axios_python

USAGE = """\
usage: python examples/stream_sync.py BASE_URL

BASE_URL must serve GET /stream-bytes/<n> (for example https://httpbin.org,
or a local test server such as http://127.0.0.1:8000)."""

CHUNK_SIZE = 1024
SIZE = 50_000


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    url = argv[1].rstrip("/") + f"/stream-bytes/{SIZE}"

    with axios_python.get(url, stream=True) as response:
        print(f"status {response.status} ok={response.ok}")
        response.raise_for_status()  # reject a bad status before reading any of the body
        total = 0
        chunks = 0
        short = 0
        for chunk in response.iter_bytes(CHUNK_SIZE):
            total += len(chunk)
            chunks += 1
            if len(chunk) != CHUNK_SIZE:
                short += 1  # only the last chunk may be shorter than CHUNK_SIZE

    print(f"received {total} bytes in {chunks} chunks of {CHUNK_SIZE} bytes ({short} short)")
    print(f"connection released: {response.is_closed}")
    return 0 if total == SIZE and short <= 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
