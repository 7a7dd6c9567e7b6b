"""Requests whose heads differ from the one before in one thing at a time.

Both transports keep each request head they have checked and joined, and reuse it for the
next request with the same method, path, host, headers and body kind. These requests, sent
in order on one connection, must each go out with exactly its own head:
``recording_responder`` keeps and answers them, and ``check_heads`` compares what the
server saw with what each request asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from rawserver import Connection, ok, response_head

__all__ = ["HEAD_VARIANTS", "check_heads", "recording_responder", "trace_recorder"]

# (method, path, headers, body)
HEAD_VARIANTS: list[tuple[str, str, dict[str, str], bytes | None]] = [
    ("GET", "a", {"X-A": "1"}, None),
    ("GET", "a", {"X-A": "1"}, None),  # the same again: the kept head
    ("GET", "a", {"X-A": "2"}, None),  # one value changed
    ("GET", "b", {"X-A": "2"}, None),  # the path
    ("GET", "b", {"X-A": "2", "X-B": "3"}, None),  # one header more
    ("HEAD", "b", {"X-A": "2"}, None),  # the method
    ("POST", "b", {"X-A": "2"}, b"hi"),  # a body: Content-Length
    ("GET", "a", {"X-A": "1"}, None),  # the first again
]
_DEFAULTS = {b"host", b"accept", b"accept-encoding", b"connection", b"user-agent"}


def recording_responder(heads: list[bytes]) -> Callable[[Connection, bytes], None]:
    """A raw-server handler that keeps each request head in ``heads`` and answers it."""

    def respond(conn: Connection, head: bytes) -> None:
        heads.append(head)
        if b"content-length: 2" in head.lower():
            conn.read_exactly(2)
        if head.startswith(b"HEAD "):
            conn.send(response_head(200, {"Content-Length": "5"}))
        else:
            conn.send(ok())

    return respond


def check_heads(heads: list[bytes], base_url: str) -> None:
    assert len(heads) == len(HEAD_VARIANTS)
    for head, (method, path, headers, body) in zip(heads, HEAD_VARIANTS, strict=True):
        lines = head.split(b"\r\n")
        target = httpx.URL(base_url + path).raw_path
        assert lines[0] == method.encode() + b" " + target + b" HTTP/1.1"
        sent = dict(line.lower().split(b": ", 1) for line in lines[1:] if line)
        wanted = {name.lower().encode(): value.encode() for name, value in headers.items()}
        if body is not None:
            wanted[b"content-length"] = str(len(body)).encode()
        assert {name: sent[name] for name in set(sent) - _DEFAULTS} == wanted


def trace_recorder(seen: list[list[tuple[bytes, bytes]]], meddle: bool) -> Any:
    """A trace callback that records the header list each request shows it (and with
    ``meddle``, adds a header to that list, as a careless callback might)."""

    def trace(name: str, info: dict[str, Any]) -> None:
        if name == "http11.send_request_headers.started":
            headers = info["request"].headers
            seen.append(list(headers))
            if meddle:
                headers.append((b"X-Meddled", b"1"))

    return trace
