"""Consume a Server-Sent Events stream, sync and async, resuming from the last event id.

``iter_sse()`` / ``aiter_sse()`` parse the stream by the WHATWG rules (multi-line data, ids,
``retry``, comments) as it arrives; each line is bounded by ``max_line_length``. A read
timeout turns a silent stream into an error instead of a hang.
"""

from __future__ import annotations

import asyncio
import sys

import axios_python

USAGE = """\
usage: python examples/sse_consumer.py BASE_URL

Reads the event stream at BASE_URL/events (text/event-stream) with the sync API,
then again with the async API sending Last-Event-ID, and prints each event."""

TIMEOUT = axios_python.Timeout(connect=5, read=30)  # read: longest silence we accept


def consume_sync(url: str) -> str | None:
    last_id = None
    with axios_python.get(url, stream=True, timeout=TIMEOUT) as r:
        r.raise_for_status()
        for event in r.iter_sse():
            print(f"[sync] {event.event}: {event.data!r} (id {event.id})")
            last_id = event.id or last_id
    return last_id


async def consume_async(url: str, last_id: str | None) -> int:
    headers = {"Last-Event-ID": last_id} if last_id else {}
    count = 0
    async with axios_python.async_get(url, stream=True, timeout=TIMEOUT, headers=headers) as r:
        r.raise_for_status()
        async for event in r.aiter_sse():
            print(f"[async] {event.event}: {event.data!r} (id {event.id})")
            count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    url = argv[1].rstrip("/") + "/events"
    last_id = consume_sync(url)
    print(f"last event id: {last_id}")
    count = asyncio.run(consume_async(url, last_id))
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
