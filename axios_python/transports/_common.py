"""What the sync and async HTTP/1.1 transports share: constants, the "nothing came back"
signal and the pure decisions taken from a request's headers.

Kept in one place so that ``_sync`` and ``_async`` cannot drift apart on the wire: both
build the same request head, treat ``Expect: 100-continue`` and ``Connection: close`` the
same way and find the end of a response head with the same pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import httpx

from ._framing import ProtocolViolation, request_head

__all__ = [
    "COALESCE",
    "DEFAULT_LIMITS",
    "EXPECT_CONTINUE_WAIT",
    "HEAD_END",
    "INCOMPLETE_CHUNKED",
    "Headers",
    "SocketOption",
    "asks_to_close",
    "continue_wait",
    "expects_continue",
    "is_interim",
    "prepare_request_head",
]

HEAD_END = re.compile(rb"\n\r?\n")  # the blank line after a response head (h11 allows bare LF)
COALESCE = 16 * 1024  # request bodies up to this size are sent with the head, in one write
EXPECT_CONTINUE_WAIT = 1.0  # how long a body waits for "100 Continue" before it goes anyway
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
_DEFAULT_PORTS = {"http": 80, "https": 443}

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
INCOMPLETE_CHUNKED = (
    "peer closed connection without sending complete message body: incomplete chunked read"
)

Headers = list[tuple[bytes, bytes]]


class _Disconnected(Exception):
    """The server closed a connection before sending any byte of a response (``writing``:
    it was gone while the request was being written)."""

    def __init__(self, writing: bool = False) -> None:
        super().__init__()
        self.writing = writing


def is_interim(status: int) -> bool:
    """A 1xx the client skips (100 Continue, 102, 103 Early Hints); 101 ends the exchange."""
    return 100 <= status < 200 and status != 101


def asks_to_close(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """True when the request says ``Connection: close``: its connection is not reused."""
    return any(
        part.strip().lower() == b"close"
        for name, value in headers
        if name.lower() == b"connection"
        for part in value.split(b",")
    )


def expects_continue(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """True when the request carries ``Expect: 100-continue`` (its body waits for a 100)."""
    return any(
        name.lower() == b"expect" and value.lower() == b"100-continue" for name, value in headers
    )


def continue_wait(read_timeout: float | None) -> float:
    """How long a body waits for ``100 Continue``: servers that ignore Expect never send
    one, so the wait is short, and never longer than the read timeout."""
    if read_timeout is None:
        return EXPECT_CONTINUE_WAIT
    return min(read_timeout, EXPECT_CONTINUE_WAIT)


def prepare_request_head(request: httpx.Request, has_body: bool) -> tuple[bytes, Headers, bool]:
    """The request head as sent, its header lines (for the trace) and whether the body goes
    chunked: a body of unknown length without Content-Length gets ``Transfer-Encoding:
    chunked``, a missing Host is added first. Bad header bytes raise LocalProtocolError."""
    headers = list(request.headers.raw)
    names = set()
    chunked = False
    for name, value in headers:  # one pass: per-request costs count for small GETs
        lower = name.lower()
        names.add(lower)
        if lower == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if has_body and not chunked and b"content-length" not in names:
        headers.append((b"Transfer-Encoding", b"chunked"))
        chunked = True
    if b"host" not in names:
        headers.insert(0, (b"Host", request.url.netloc))
    try:
        head = request_head(request.method.encode("ascii"), request.url.raw_path, headers)
    except ProtocolViolation as exc:
        raise httpx.LocalProtocolError(str(exc), request=request) from exc
    return head, headers, chunked
