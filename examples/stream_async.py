"""Stream a body asynchronously, in both ``async with`` forms the library accepts.

``axios_python.async_get(...)`` returns an object you can either await (giving the Response,
itself an async context manager) or use directly with ``async with``. Both forms below close
the response, and so release the connection, when the block ends.
"""

from __future__ import annotations

import asyncio
import sys

import axios_python

USAGE = """\
usage: python examples/stream_async.py BASE_URL

BASE_URL must serve GET /stream-bytes/<n> (for example https://httpbin.org,
or a local test server such as http://127.0.0.1:8000)."""

SIZE = 50_000


async def with_await(url: str) -> int:
    """``async with await ...``: await the call, then use the Response as the context."""
    total = 0
    async with await axios_python.async_get(url, stream=True) as response:
        print(f"[await form] status {response.status}")
        async for chunk in response.aiter_bytes():  # chunks as they arrive off the wire
            total += len(chunk)
    print(f"[await form] received {total} bytes, closed={response.is_closed}")
    return total


async def without_await(url: str) -> int:
    """``async with ...`` directly on the call: the same thing, one keyword shorter."""
    total = 0
    chunks = 0
    async with axios_python.async_get(url, stream=True) as response:
        print(f"[direct form] status {response.status}")
        async for chunk in response.aiter_bytes(4096):  # exactly 4096 bytes, bar the last
            total += len(chunk)
            chunks += 1
    print(f"[direct form] received {total} bytes in {chunks} chunks, closed={response.is_closed}")
    return total


async def run(base_url: str) -> int:
    url = base_url.rstrip("/") + f"/stream-bytes/{SIZE}"
    first = await with_await(url)
    second = await without_await(url)
    return 0 if first == second == SIZE else 1


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    return asyncio.run(run(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
