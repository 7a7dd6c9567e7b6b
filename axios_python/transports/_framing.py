"""HTTP/1.1 framing without I/O: request heads, response heads, body framing, chunked decoding.

Everything here works on bytes the caller already has and never touches a socket, so the
transports (sync now, async later) share it and the tests can feed it bytes directly.

- ``request_head(...)`` builds the request head from validated header bytes (the same rules
  h11 applies: header names are tokens; values hold no NUL and no whitespace but inner
  spaces and tabs, so none begins or ends with whitespace).
- ``parse_response_head(data)`` parses one response head (status line and header lines,
  obsolete line folding joined as h11 does) or raises ``ProtocolViolation``.
- ``body_framing(method, head)`` decides how the body is delimited (RFC 9112 section 6.3):
  no body (HEAD, 1xx, 204, 304), chunked, Content-Length or read until the server closes,
  and whether the connection may be kept alive after it.
- ``ChunkedDecoder`` is a state machine over a caller-owned buffer: ``step(buffer, start,
  end)`` reports the next payload range inside the buffer (the caller slices it out: one
  copy per byte, made by the caller) and how far the framing bytes were consumed.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

__all__ = [
    "CHUNKED",
    "CLOSE",
    "LENGTH",
    "MAX_HEAD",
    "NO_BODY",
    "BodyFraming",
    "ChunkedDecoder",
    "ProtocolViolation",
    "ResponseHead",
    "body_framing",
    "is_length",
    "check_partial_head",
    "check_request_headers",
    "parse_response_head",
    "request_head",
]

# A chunk-size line or a trailer line longer than this is refused (below the sync transport's
# 64 KiB buffer, so the decoder refuses it before the buffer fills), and so is a trailer
# section longer than MAX_TRAILERS in all: a server cannot make the client buffer without end.
MAX_LINE = 16 * 1024
MAX_TRAILERS = 64 * 1024
# A response head, its blank line included, longer than this is refused, by both transports
# and however its bytes arrive (httpx's transport allows 100 KiB).
MAX_HEAD = 64 * 1024

NO_BODY = "none"
LENGTH = "length"
CHUNKED = "chunked"
CLOSE = "close"

_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
# h11's field-value: visible bytes (obs-text too) with inner runs of SP/HTAB; nothing
# before or after them (RFC 9110 section 5.5), no CR, LF, VT, FF or NUL anywhere.
_FIELD_VALUE = rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?"
_VALUE = re.compile(_FIELD_VALUE)
_METHOD = _TOKEN
_TARGET = re.compile(rb"[\x21-\x7e\x80-\xff]+")
# the reason phrase: SP, HTAB and visible bytes (h11's rule: no VT, FF, CR, LF or NUL)
_STATUS_LINE = re.compile(rb"HTTP/([0-9])\.([0-9]) ([0-9]{3})(?: ([^\x00\n\r\x0b\x0c]*))?")
# RFC 9112 section 7.1: the size first (no whitespace before it; up to 20 hex digits, as h11
# reads), then optional whitespace and extensions (BWS before ";" is allowed: h11 refuses it)
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,20})[ \t]*(?:;[^\r\n]*)?")
_STATUS_PREFIX = b"HTTP/"
_T = TypeVar("_T")


class ProtocolViolation(Exception):
    """The peer (or the caller) broke HTTP/1.1 framing; the transport maps it to httpx's
    RemoteProtocolError (or LocalProtocolError for request heads)."""


# -- requests -------------------------------------------------------------------------------


def check_request_headers(headers: list[tuple[bytes, bytes]]) -> None:
    """Refuse header names that are not tokens and values that h11 would refuse (CR, LF,
    NUL, VT, FF, or leading or trailing whitespace)."""
    for name, value in headers:
        if _TOKEN.fullmatch(name) is None:
            raise ProtocolViolation(f"illegal header name {name!r}")
        if _VALUE.fullmatch(value) is None:
            raise ProtocolViolation(f"illegal header value {value!r}")


def request_head(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """``METHOD target HTTP/1.1`` plus the (validated) headers and the blank line."""
    if _METHOD.fullmatch(method) is None:
        raise ProtocolViolation(f"illegal method {method!r}")
    if _TARGET.fullmatch(target) is None:
        raise ProtocolViolation(f"illegal request target {target!r}")
    check_request_headers(headers)
    lines = [method + b" " + target + b" HTTP/1.1"]
    lines.extend(name + b": " + value for name, value in headers)
    lines.append(b"\r\n")
    return b"\r\n".join(lines)


# -- responses ------------------------------------------------------------------------------


@dataclass
class ResponseHead:
    status: int
    http_version: bytes  # b"HTTP/1.1", b"HTTP/1.0"
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    content_length: int | None = None  # checked by ``check_framing_fields``
    chunked: bool = False  # Transfer-Encoding: chunked (the only coding allowed)
    connection_close: bool = False  # a ``Connection`` header lists ``close``


def check_partial_head(buffer: bytearray, start: int, end: int, first_line_ok: bool) -> bool:
    """The checks on a head still arriving (``buffer[start:end]``, no blank line yet), made
    before each wait for more bytes: its blank line would take it past ``MAX_HEAD``; a
    start other than ``HTTP/`` (a TLS alert from a TLS port spoken to in plain HTTP, say);
    a first line that is no status line (or longer than ``MAX_LINE``). Without these, junk
    on a connection the server keeps open would wait out the read timeout (or, with none,
    hang); h11 fails as fast on a first byte below ``!``. Returns ``first_line_ok``: True
    once the first line was whole and valid, after which it is not looked at again (on
    every read of a dripped head that would cost CPU)."""
    if end - start >= MAX_HEAD:
        raise ProtocolViolation("response head too large")
    if first_line_ok or end == start:
        return first_line_ok
    prefix = bytes(buffer[start : min(end, start + len(_STATUS_PREFIX))])
    if not _STATUS_PREFIX.startswith(prefix):
        raise ProtocolViolation(f"illegal status line {prefix!r}...")
    newline = buffer.find(b"\n", start, min(end, start + MAX_LINE))
    if newline < 0:
        if end - start >= MAX_LINE:
            raise ProtocolViolation("status line too long")
        return False
    line = bytes(buffer[start:newline]).removesuffix(b"\r")
    if _STATUS_LINE.fullmatch(line) is None:
        raise ProtocolViolation(f"illegal status line {line[:100]!r}")
    return True


# Servers repeat themselves: the same status lines and mostly the same header lines (Server,
# Content-Type, Connection, a Date that changes once a second) in response after response.
# Each line is validated once and its parsed form reused: a small response's head is then a
# few dict lookups instead of two regex matches per line. Bounded like the request-head cache
# (cleared when full, which unique lines such as Set-Cookie make happen now and then).
LINES_KEPT = 512
CACHED_LINE = 256  # longer lines (cookies, long URLs) are parsed every time, never kept
_STATUS_LINES: dict[bytes, tuple[int, bytes, bytes]] = {}
# a header line -> ((name, value), what it means for framing (one of the kinds below), and
# for a Content-Length line, its length when the line alone is valid)
_FIELD_LINES: dict[bytes, tuple[tuple[bytes, bytes], int, int | None]] = {}
_OTHER, _CONTENT_LENGTH, _TRANSFER_ENCODING, _CONNECTION = range(4)
_FRAMING_KINDS = {
    b"content-length": _CONTENT_LENGTH,
    b"transfer-encoding": _TRANSFER_ENCODING,
    b"connection": _CONNECTION,
}


def parse_response_head(data: bytes) -> ResponseHead:
    """Parse a response head: ``data`` runs from the status line up to (not including) the
    blank line that ends it. Lines end with CRLF (a bare LF is accepted, as h11 does).
    The framing headers are checked here, in every head (1xx, 204, 304 and answers to HEAD
    too), as h11 checks them: see ``check_framing_fields``."""
    if not data:
        raise ProtocolViolation("empty response head")
    whole = data
    if data[-1:] == b"\r":  # the CR of the last line's CRLF (the search stops at its LF)
        data = data[:-1]
    lines = data.split(b"\r\n")
    if data.count(b"\n") != len(lines) - 1:  # bare LF line ends too: one CR off each line
        lines = [line.removesuffix(b"\r") for line in whole.split(b"\n")]
    status, http_version, reason = _status_line(lines[0])
    if any(line[:1] in (b" ", b"\t") for line in lines):  # obsolete line folding
        headers = parse_field_lines(lines[1:])
        content_length, chunked = check_framing_fields(headers)
        connection = [value for key, value in headers if key.lower() == b"connection"]
        return ResponseHead(
            status, http_version, reason, headers, content_length, chunked, _closes(connection)
        )
    headers = []
    framing: list[tuple[bytes, bytes]] = []
    connection = []
    content_length = None
    fields = _FIELD_LINES
    for line in lines[1:]:
        known = fields.get(line)
        if known is None:
            known = _field_line(line)
        field, kind, length = known
        headers.append(field)
        if kind:
            if kind == _CONNECTION:
                connection.append(field[1])
            else:
                framing.append(field)
                content_length = length
    chunked = False
    if len(framing) > 1 or (framing and content_length is None):  # the rare and the wrong
        content_length, chunked = check_framing_fields(framing)
    close = _closes(connection) if connection else False
    return ResponseHead(status, http_version, reason, headers, content_length, chunked, close)


def _status_line(line: bytes) -> tuple[int, bytes, bytes]:
    """(status, HTTP version, reason) of a status line, validated once per distinct line."""
    known = _STATUS_LINES.get(line)
    if known is not None:
        return known
    status = _STATUS_LINE.fullmatch(line)
    if status is None:
        raise ProtocolViolation(f"illegal status line {line[:100]!r}")
    major, minor, code, reason = status.groups()
    if major != b"1":
        raise ProtocolViolation(f"unsupported HTTP version {major.decode()}.{minor.decode()}")
    if code[:1] == b"0":  # 000-099 is no status class at all (and would be read as bodiless)
        raise ProtocolViolation(f"illegal status code {code.decode()}")
    known = (int(code), b"HTTP/" + major + b"." + minor, reason or b"")
    _remember(_STATUS_LINES, line, known)
    return known


def _field_line(line: bytes) -> tuple[tuple[bytes, bytes], int, int | None]:
    """A header line not seen before (no folding): validated, parsed, and kept if short."""
    (field,) = parse_field_lines([line])
    kind = _FRAMING_KINDS.get(field[0].lower(), _OTHER)
    length = None
    if kind == _CONTENT_LENGTH:
        with contextlib.suppress(ProtocolViolation):  # check_framing_fields will say why
            length = check_framing_fields([field])[0]
    known = (field, kind, length)
    if len(line) <= CACHED_LINE:
        _remember(_FIELD_LINES, line, known)
    return known


def _remember(cache: dict[bytes, _T], line: bytes, value: _T) -> None:
    if len(cache) >= LINES_KEPT:
        cache.clear()  # many distinct lines: start over rather than track age
    cache[line] = value


def _closes(connection: list[bytes]) -> bool:
    """Does one of these ``Connection`` values list ``close``?"""
    return any(
        part.strip().lower() == b"close" for value in connection for part in value.split(b",")
    )


def parse_field_lines(lines: list[bytes]) -> list[tuple[bytes, bytes]]:
    """Header (or trailer) lines, without their line ends, as ``(name, value)`` pairs;
    obsolete line folding is joined with one space (RFC 9112 section 5.2)."""
    unfolded: list[bytes] = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):  # obsolete line folding: part of the previous value
            if not unfolded:
                raise ProtocolViolation("continuation line before any header")
            unfolded[-1] = unfolded[-1].rstrip(b" \t") + b" " + line.strip(b" \t")
        else:
            unfolded.append(line)
    fields: list[tuple[bytes, bytes]] = []
    for line in unfolded:
        # split, strip, then match: one regex over "name: <spaces> value <spaces>" backtracks
        # quadratically on a long run of spaces before a refused byte (h11's does)
        name, colon, value = line.partition(b":")
        value = value.strip(b" \t")
        if not colon or _TOKEN.fullmatch(name) is None or _VALUE.fullmatch(value) is None:
            raise ProtocolViolation(f"illegal header line {line[:100]!r}")
        fields.append((name, value))
    return fields


def check_framing_fields(fields: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """h11's checks of the framing headers, made wherever they appear (even where no body
    follows, and in trailers): every Content-Length element the same run of at most 20
    digits, and a Transfer-Encoding only as one ``chunked``. RFC 9112 would let a 204 or
    a HEAD answer carry anything here; a peer that sends these is broken, and both
    transports say so alike. Returns the Content-Length (None if absent) and whether the
    body is chunked."""
    lengths = content_lengths(fields)
    if len(lengths) > 1:
        raise ProtocolViolation("conflicting Content-Length values")
    length = None
    for text in lengths:
        if not is_length(text):
            raise ProtocolViolation(f"illegal Content-Length {text[:40]!r}")
        length = int(text)
    codings = transfer_codings(fields)
    # h11's rule: one Transfer-Encoding header, and it says "chunked". RFC 9112 would read
    # other codings until the close, but a body still in a coding we do not undo (gzip,
    # say) must not pass for its content; httpx's transport refuses these too.
    if codings and codings != [b"chunked"]:
        raise ProtocolViolation(f"unsupported Transfer-Encoding {b', '.join(codings)!r}")
    return length, bool(codings)


def is_length(text: bytes) -> bool:
    """A Content-Length value as h11 reads it and writes it: 1 to 20 ASCII digits."""
    return text.isdigit() and len(text) <= 20


def content_lengths(fields: list[tuple[bytes, bytes]]) -> set[bytes]:
    """Every element of every Content-Length line, empty ones too: "Content-Length:" and
    "Content-Length: 5," are malformed, not absent or 5."""
    return {
        part.strip()
        for key, value in fields
        if key.lower() == b"content-length"
        for part in value.split(b",")
    }


def transfer_codings(fields: list[tuple[bytes, bytes]]) -> list[bytes]:
    return [value.strip().lower() for key, value in fields if key.lower() == b"transfer-encoding"]


class BodyFraming(NamedTuple):  # a tuple: made per response, at a third of a frozen dataclass
    kind: str  # NO_BODY, LENGTH, CHUNKED or CLOSE
    length: int  # for LENGTH; 0 otherwise
    keep_alive: bool  # may the connection carry another request after this body?


def body_framing(method: bytes, head: ResponseHead, request_close: bool = False) -> BodyFraming:
    """How the body of ``head`` (answering ``method``) is delimited (RFC 9112 section 6.3)."""
    keep_alive = (
        head.http_version == b"HTTP/1.1"
        and not head.connection_close
        and not request_close
        and head.status != 101
    )
    if method == b"HEAD" or head.status < 200 or head.status in (204, 304):
        return BodyFraming(NO_BODY, 0, keep_alive)
    length = head.content_length  # both checked by parse_response_head
    if head.chunked:
        # with a Content-Length too, the message may be a smuggling attempt: read it
        # chunked, as RFC 9112 says, but never reuse the connection
        return BodyFraming(CHUNKED, 0, keep_alive and length is None)
    if length is not None:
        return BodyFraming(LENGTH if length else NO_BODY, length, keep_alive)
    return BodyFraming(CLOSE, 0, False)


# -- chunked bodies -------------------------------------------------------------------------

_SIZE = 0  # expecting a chunk-size line
_DATA = 1  # inside chunk data: ``remaining`` bytes to go
_DATA_END = 2  # expecting the CRLF after chunk data
_TRAILER = 3  # expecting trailer lines or the final blank line
_DONE = 4


class ChunkedDecoder:
    """Chunked transfer coding as a state machine over the caller's buffer.

    ``step(buffer, start, end)`` looks at ``buffer[start:end]`` (unconsumed bytes) and
    returns ``(payload_start, payload_end, new_start)``: ``buffer[payload_start:payload_end]``
    is body payload (possibly empty), and everything before ``new_start`` has been consumed.
    When it returns no payload and ``new_start == start`` it needs more bytes (the caller
    reads more after ``end``, moving the unconsumed tail to the front if it must). ``done``
    says the terminating zero chunk and the trailers were read; ``trailers`` holds the
    trailer lines, unparsed. ``payload_left`` and ``consumed`` let a caller with an empty
    buffer read big chunk data directly off the socket (no copy at all).
    """

    __slots__ = ("_remaining", "_state", "_trailer_bytes", "trailers")

    def __init__(self) -> None:
        self._state = _SIZE
        self._remaining = 0
        self._trailer_bytes = 0
        self.trailers: list[bytes] = []

    @property
    def done(self) -> bool:
        return self._state == _DONE

    @property
    def payload_left(self) -> int:
        """Bytes of the current chunk's data still to come (0 outside chunk data): a caller
        whose buffer is empty may read up to this many straight off the socket instead."""
        return self._remaining if self._state == _DATA else 0

    def consumed(self, n: int) -> None:
        """Account for ``n`` bytes of chunk data read outside the buffer (``n`` must be at
        most ``payload_left``)."""
        if not 0 < n <= self.payload_left:
            raise ValueError(f"{n} bytes of chunk data were not expected")
        self._remaining -= n
        if not self._remaining:
            self._state = _DATA_END

    def step(self, buffer: bytearray, start: int, end: int) -> tuple[int, int, int]:
        while start < end:
            state = self._state
            if state == _DATA:
                stop = min(end, start + self._remaining)
                self._remaining -= stop - start
                if not self._remaining:
                    self._state = _DATA_END
                return start, stop, stop
            if state == _DATA_END:
                if end - start < 2:
                    if buffer[start] != 13:  # b"\r"
                        raise ProtocolViolation("missing CRLF after chunk data")
                    return start, start, start
                if buffer[start : start + 2] != b"\r\n":
                    raise ProtocolViolation("missing CRLF after chunk data")
                start += 2
                self._state = _SIZE
                continue
            if state == _DONE:
                return start, start, start
            newline = buffer.find(b"\n", start, min(end, start + MAX_LINE + 1))
            if newline < 0:
                if end - start > MAX_LINE:
                    raise ProtocolViolation("chunk-size or trailer line too long")
                return start, start, start
            if state == _TRAILER:
                self._trailer_bytes += newline + 1 - start
                if self._trailer_bytes > MAX_TRAILERS:
                    raise ProtocolViolation("trailer section too large")
            line_start = start
            line = bytes(buffer[start:newline])
            start = newline + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if state == _SIZE:
                match = _CHUNK_SIZE.fullmatch(line)
                if match is None or len(line) == newline - line_start:  # no CR: bare LF
                    shown = bytes(buffer[line_start:newline])[:40]
                    raise ProtocolViolation(f"illegal chunk-size line {shown!r}")
                self._remaining = int(match.group(1), 16)
                self._state = _DATA if self._remaining else _TRAILER
            elif line:  # _TRAILER
                self.trailers.append(line)
            else:
                # the trailers are header fields, held to the same rules as the head's
                check_framing_fields(parse_field_lines(self.trailers))
                self._state = _DONE
                return start, start, start
        return start, start, start
