"""Forward a download straight into an upload, without holding the body in memory.

The streamed response's byte iterator is handed to the next request as ``content=``: each
chunk is sent on as soon as it has been read, so only one chunk is in memory at a time. The
sync version passes ``r.iter_bytes()``, the async twin ``r.aiter_bytes()``.
"""

from __future__ import annotations

import asyncio
import json
import sys

import axios_python

USAGE = """\
usage: python examples/forward_upload.py BASE_URL

Downloads BASE_URL/stream-bytes/50000 and streams it into POST BASE_URL/upload.
If the upload endpoint answers with JSON holding "received" (a byte count), that
count is checked against the download's Content-Length."""

SOURCE = "/stream-bytes/50000"
CHUNK_SIZE = 8192


def declared_length(response: axios_python.Response) -> str | None:
    """The download's Content-Length, when it also holds for the decoded bytes we forward.

    iter_bytes() yields decompressed bytes, so a compressed body's Content-Length would be
    wrong for the upload; in that case the upload goes out with chunked encoding instead.
    """
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return None
    return response.headers.get("content-length")


def report(label: str, upload: axios_python.Response, expected: str | None) -> bool:
    reply = upload.data if isinstance(upload.data, dict) else {}
    shown = json.dumps(reply, sort_keys=True) if reply else repr(upload.data)
    print(f"[{label}] upload status {upload.status}, server reply: {shown}")
    received = reply.get("received")
    if received is not None and expected is not None and str(received) != expected:
        print(f"[{label}] MISMATCH: forwarded {expected} bytes, server got {received}")
        return False
    return upload.ok


def forward_sync(base: str) -> bool:
    with axios_python.get(base + SOURCE, stream=True) as r:
        r.raise_for_status()  # do not forward an error page
        length = declared_length(r)
        headers = {"Content-Type": "application/octet-stream"}
        if length is not None:
            headers["Content-Length"] = length  # lets the upload go out un-chunked
        upload = axios_python.post(
            base + "/upload", content=r.iter_bytes(CHUNK_SIZE), headers=headers
        )
    return report("sync", upload, length)


async def forward_async(base: str) -> bool:
    async with axios_python.async_get(base + SOURCE, stream=True) as r:
        r.raise_for_status()
        # No Content-Length given here: the body is sent with Transfer-Encoding: chunked.
        upload = await axios_python.async_post(
            base + "/upload",
            content=r.aiter_bytes(),
            headers={"Content-Type": "application/octet-stream"},
        )
        length = declared_length(r)
    return report("async", upload, length)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    base = argv[1].rstrip("/")
    sync_ok = forward_sync(base)
    async_ok = asyncio.run(forward_async(base))
    return 0 if sync_ok and async_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
