"""A raw-socket server for one resource that honours ``Range: bytes=N-`` with ``If-Range``.

Built on ``rawserver.RawServer``. Each request is answered by the next action of a script
(``serve()`` once the script runs out), so a test can say exactly what goes wrong and when:

    server = RangeServer(BODY, etag='"v1"')
    server.script(drop(100_000), serve())    # cut the first body short, then behave
    with server:
        axios_python.download(server.url, dest, resume=True)
    server.requests[1]["range"]              # "bytes=100000-"

Actions: ``serve()`` (honour Range and If-Range as RFC 9110 says), ``drop(n)`` (the same
response, but only ``n`` body bytes, then close), ``stall(n)`` (``n`` bytes, then silence),
``ignore_range()`` (a 200 with the whole body), ``unsatisfiable(total)`` (a 416 with
``Content-Range: bytes */total``), ``blind_206()`` (a 206 for the Range even if If-Range no
longer matches, as a broken cache would), ``change(body, etag=..., last_modified=...)``
(replace the resource, then run an action), ``short_range(n)`` (a 206 of only ``n`` bytes),
``encoded(after)`` (a gzip-encoded 200, cut after ``after`` bytes), ``close_delimited(n)``
(no Content-Length, ``n`` body bytes, close: a short body only Content-Range reveals),
``status(code)`` (an empty error response). ``requests`` records every request head as a
dict of lower-case header names (plus ``":method"`` and ``":target"``).
"""

from __future__ import annotations

import contextlib
import gzip
import re
import socket
import threading
from collections.abc import Callable
from typing import Any

from rawserver import Connection, RawServer, response_head

__all__ = [
    "RangeServer",
    "blind_206",
    "change",
    "close_delimited",
    "drop",
    "encoded",
    "ignore_range",
    "serve",
    "short_range",
    "stall",
    "status",
    "unsatisfiable",
]

LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"

# An action answers one request; it returns False to end the connection.
Action = Callable[["RangeServer", Connection, dict[str, str]], bool]

_RANGE = re.compile(r"^bytes=(\d+)-$")


class RangeServer:
    """One resource (``body`` with an optional ETag and Last-Modified), served by script."""

    def __init__(
        self,
        body: bytes,
        *,
        etag: str | None = '"v1"',
        last_modified: str | None = LAST_MODIFIED,
    ) -> None:
        self.body = body
        self.etag = etag
        self.last_modified = last_modified
        self.requests: list[dict[str, str]] = []
        self._script: list[Action] = []
        self._lock = threading.Lock()
        self.raw = RawServer(self._handle)

    @property
    def url(self) -> str:
        return self.raw.url + "file.bin"

    def script(self, *actions: Action) -> RangeServer:
        """Queue actions for the next requests (after them every request gets ``serve()``)."""
        with self._lock:
            self._script.extend(actions)
        return self

    @property
    def pending(self) -> int:
        """Scripted actions not used yet."""
        with self._lock:
            return len(self._script)

    def __enter__(self) -> RangeServer:
        self.raw.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """``RawServer.close()``, without waiting out the acceptor's 50 ms poll: a last
        connection wakes it, and it sees the server stopping."""
        self.raw.stopping.set()
        with contextlib.suppress(OSError):
            socket.create_connection((self.raw.host, self.raw.port), timeout=1).close()
        self.raw.close()

    # -- answering --------------------------------------------------------------------------

    def _handle(self, conn: Connection) -> None:
        while True:
            head = conn.read_head()
            if head is None:
                return
            request = _parse(head)
            with self._lock:
                self.requests.append(request)
                action = self._script.pop(0) if self._script else serve()
            if not action(self, conn, request):
                return

    def validators(self) -> dict[str, str]:
        headers = {"Accept-Ranges": "bytes"}
        if self.etag is not None:
            headers["ETag"] = self.etag
        if self.last_modified is not None:
            headers["Last-Modified"] = self.last_modified
        return headers

    def if_range_holds(self, request: dict[str, str]) -> bool:
        """RFC 9110 13.1.5: a strong ETag compared strongly, or an exact Last-Modified date."""
        value = request.get("if-range")
        if value is None:
            return True
        if value.startswith('"') or value.startswith("W/"):
            return value == self.etag and not value.startswith("W/")
        return value == self.last_modified

    def answer(
        self, request: dict[str, str], *, honour_range: bool = True, check_if_range: bool = True
    ) -> tuple[bytes, bytes]:
        """The response head and body this resource owes ``request``."""
        headers = self.validators()
        match = _RANGE.match(request.get("range", ""))
        use_range = match is not None and honour_range
        if use_range and check_if_range and not self.if_range_holds(request):
            use_range = False
        size = len(self.body)
        if match is not None and use_range:
            start = int(match.group(1))
            if start >= size:
                headers["Content-Range"] = f"bytes */{size}"
                headers["Content-Length"] = "0"
                return response_head(416, headers, "Range Not Satisfiable"), b""
            headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
            headers["Content-Length"] = str(size - start)
            return response_head(206, headers, "Partial Content"), self.body[start:]
        headers["Content-Length"] = str(size)
        return response_head(200, headers), self.body


def _parse(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    request = {":method": method, ":target": target}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        request[name.strip().lower()] = value.strip()
    return request


# -- actions ----------------------------------------------------------------------------------


def serve() -> Action:
    """Answer as a correct server would (Range honoured when If-Range holds)."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        head, body = server.answer(request)
        return conn.send(head + body)

    return action


def drop(after: int) -> Action:
    """The correct answer's head and its first ``after`` body bytes, then close."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        head, body = server.answer(request)
        conn.send(head + body[:after])
        return False

    return action


def stall(after: int) -> Action:
    """The correct answer's head and first ``after`` body bytes, then nothing until the
    client gives up (a read timeout)."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        head, body = server.answer(request)
        conn.send(head + body[:after])
        conn.stall()
        return False

    return action


def ignore_range() -> Action:
    """A 200 with the whole body, whatever Range asked."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        head, body = server.answer(request, honour_range=False)
        return conn.send(head + body)

    return action


def blind_206() -> Action:
    """Serve the Range without checking If-Range (a 206 of whatever the resource is now)."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        head, body = server.answer(request, check_if_range=False)
        return conn.send(head + body)

    return action


def unsatisfiable(total: int | None = None) -> Action:
    """A 416 with ``Content-Range: bytes */<total>`` (the resource's size by default)."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        size = len(server.body) if total is None else total
        headers = {**server.validators(), "Content-Range": f"bytes */{size}"}
        headers["Content-Length"] = "0"
        return conn.send(response_head(416, headers, "Range Not Satisfiable"))

    return action


def change(body: bytes, then: Action | None = None, **validators: Any) -> Action:
    """Replace the resource (``etag=``/``last_modified=`` too, if given), then run ``then``."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        server.body = body
        for name, value in validators.items():
            setattr(server, name, value)
        return (then or serve())(server, conn, request)

    return action


def short_range(length: int) -> Action:
    """A 206 covering only ``length`` bytes from the requested start (a legal, short range)."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        match = _RANGE.match(request.get("range", ""))
        assert match is not None, "short_range() answers range requests only"
        start = int(match.group(1))
        end = min(start + length, len(server.body)) - 1
        headers = {
            **server.validators(),
            "Content-Range": f"bytes {start}-{end}/{len(server.body)}",
        }
        headers["Content-Length"] = str(end - start + 1)
        head = response_head(206, headers, "Partial Content")
        return conn.send(head + server.body[start : end + 1])

    return action


def encoded(after: int | None = None) -> Action:
    """A 200 whose body is gzip-encoded (Range and Accept-Encoding ignored), cut after
    ``after`` encoded bytes when given."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        body = gzip.compress(server.body, mtime=0)
        headers = {**server.validators(), "Content-Encoding": "gzip"}
        headers["Content-Length"] = str(len(body))
        conn.send(response_head(200, headers) + body[:after])
        return after is None

    return action


def status(code: int, headers: dict[str, str] | None = None) -> Action:
    """An empty response with status ``code`` (an error, say), with ``headers`` besides."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        head = response_head(code, {"Content-Length": "0", **(headers or {})}, "Scripted")
        return conn.send(head)

    return action


def close_delimited(after: int) -> Action:
    """The correct answer without Content-Length (the body ends when the connection does),
    cut after ``after`` bytes: HTTP sees a complete body, only Content-Range says it is short."""

    def action(server: RangeServer, conn: Connection, request: dict[str, str]) -> bool:
        head, body = server.answer(request)
        text = head.decode("latin-1").replace("Content-Length:", "X-Length:")
        conn.send(text.encode("latin-1") + body[:after])
        return False

    return action
