"""Fail fast on a stalled body (per-read timeout) and bound a slow one (the total deadline).

Two different guards:

* ``read`` bounds each wait for the next piece of the body. A server that sends some bytes
  and then goes quiet raises ``axios_python.ReadTimeout`` once ``read`` seconds pass with
  nothing arriving.
* ``total`` is a deadline over the whole exchange, body iteration included. A server that
  keeps sending a byte now and then never trips ``read``, but it cannot outlast ``total``:
  ``axios_python.DeadlineExceeded`` is raised when the budget runs out.

Both are subclasses of ``axios_python.TimeoutError`` (code ``ETIMEDOUT``), which is itself
a subclass of the builtin ``TimeoutError``.
"""

from __future__ import annotations

import sys
import time

import axios_python

USAGE = """\
usage: python examples/read_timeout.py BASE_URL

BASE_URL must serve:
  GET /stall  some bytes, then a pause of well over 0.25 s before the rest
  GET /drip   a byte at a time, a few tens of milliseconds apart, for over 0.5 s"""

READ_TIMEOUT = 0.25  # seconds allowed between two pieces of the body
TOTAL_BUDGET = 0.5  # seconds for the whole exchange, however fast the pieces arrive


def stream(url: str, timeout: axios_python.Timeout) -> int:
    received = 0
    with axios_python.get(url, stream=True, timeout=timeout) as response:
        for chunk in response.iter_bytes():
            received += len(chunk)
    return received


def stalled_read(base: str) -> bool:
    # connect, write and pool keep their defaults; only read is tightened.
    timeout = axios_python.Timeout(read=READ_TIMEOUT)
    started = time.monotonic()
    try:
        received = stream(base + "/stall", timeout)
    except axios_python.ReadTimeout as exc:
        elapsed = time.monotonic() - started
        print(f"stall: ReadTimeout after {elapsed:.2f} s, code {exc.code}")
        return True
    print(f"stall: finished with {received} bytes and no timeout (did the server stall?)")
    return False


def slow_body(base: str) -> bool:
    # read alone would let this body run as long as the server likes; total caps it.
    timeout = axios_python.Timeout(read=5, total=TOTAL_BUDGET)
    started = time.monotonic()
    try:
        received = stream(base + "/drip", timeout)
    except axios_python.DeadlineExceeded as exc:
        elapsed = time.monotonic() - started
        print(f"drip: DeadlineExceeded after {elapsed:.2f} s, code {exc.code}")
        return True
    except axios_python.TimeoutError as exc:  # any other timeout: still ours, still ETIMEDOUT
        print(f"drip: unexpected {type(exc).__name__}: {exc}")
        return False
    print(f"drip: finished with {received} bytes inside the budget (was it slow enough?)")
    return False


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    base = argv[1].rstrip("/")
    ok = slow_body(base)
    ok = stalled_read(base) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
