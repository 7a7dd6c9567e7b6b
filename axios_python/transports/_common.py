"""What the sync and async HTTP/1.1 transports share: constants, the "nothing came back"
signal and the pure decisions taken from a request's headers.

Kept in one place so that ``_sync`` and ``_async`` cannot drift apart on the wire: both
build the same request head, treat ``Expect: 100-continue`` and ``Connection: close`` the
same way and find the end of a response head with the same pattern.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._framing import LENGTH, ProtocolViolation, check_request_headers, is_length, request_head
from ._trace import NO_TRACE

__all__ = [
    "COALESCE",
    "DEFAULT_LIMITS",
    "EXPECT_CONTINUE_WAIT",
    "HEAD_END",
    "INCOMPLETE_CHUNKED",
    "Headers",
    "SocketOption",
    "Settings",
    "asks_to_close",
    "connect_failure",
    "connection_key",
    "settings_from",
    "socket_info",
    "continue_wait",
    "declared_length",
    "expects_continue",
    "is_interim",
    "prepare_request_head",
    "held_bytes",
    "response_headers",
    "may_resend",
    "asks_to_upgrade",
    "UNASKED_UPGRADE",
    "BodyLength",
    "WholeBodyTaker",
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


def reset_before_answer(exc: _Disconnected, request: httpx.Request) -> httpx.ReadError | None:
    """A connection reset before any answer is httpx's ReadError, as httpcore reports it (a
    clean close is its RemoteProtocolError "Server disconnected..."); None if not a reset."""
    cause = exc.__cause__
    if isinstance(cause, (ConnectionResetError, ConnectionAbortedError)):
        return httpx.ReadError(str(cause) or repr(cause), request=request)
    return None


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


class WholeBodyTaker:
    """For both transports' response streams: the whole body at once when it came with the
    head (most small responses), so that a reader wanting it in memory skips the
    chunk-by-chunk iteration. Uses the stream's ``_conn``, ``_framing``, ``_iterated``,
    ``_trace`` and ``_finish``."""

    _conn: Any
    _framing: Any
    _iterated: bool
    _trace: Any

    def _finish(self) -> None:
        raise NotImplementedError

    def take_buffered_body(self) -> bytes | None:
        """A Content-Length body that sits whole in the connection's buffer, copied out once,
        the connection released as after a full read; None when it must be iterated (more
        is to come, another framing, or a trace that wants to see the body phase)."""
        conn = self._conn
        if self._iterated or conn is None or self._trace is not NO_TRACE:
            return None
        if self._framing.kind != LENGTH:
            return None
        start = conn.start
        stop = start + self._framing.length
        if stop > conn.end:
            return None
        body = bytes(conn.view[start:stop])
        conn.consumed(stop)
        self._iterated = True
        self._finish()
        return body


UNASKED_UPGRADE = "the server switched protocols (101) though the request asked for no Upgrade"


def asks_to_upgrade(headers: Headers) -> bool:
    """Does the request propose another protocol (an ``Upgrade`` header)? Only then may the
    server answer 101, as h11 holds a server to."""
    return any(name.lower() == b"upgrade" and value.strip() for name, value in headers)


IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


def may_resend(request: httpx.Request) -> bool:
    """May ``request`` go out again if a kept-alive connection drops it unanswered? Only an
    idempotent method (RFC 9110, section 9.2.2) whose body can be sent twice (bytes, not a
    generator): the server may have acted on a POST before it closed."""
    return request.method in IDEMPOTENT_METHODS and isinstance(request.stream, httpx.ByteStream)


HEADS_KEPT = 256
_HEADS: dict[
    tuple[Any, ...], tuple[bytes, tuple[tuple[bytes, bytes], ...], bool, int | None, bool]
] = {}


def prepare_request_head(
    request: httpx.Request, has_body: bool
) -> tuple[bytes, Headers, bool, int | None, bool]:
    """The request head as sent, its header lines (for the trace), whether the body goes
    chunked, the Content-Length it declares (None for a chunked body; the body is held to
    it: ``BodyLength``), and whether it says ``Connection: close``. A body of unknown length
    without Content-Length gets ``Transfer-Encoding: chunked``, a missing Host is added
    first. Bad header bytes raise LocalProtocolError.

    A client repeats the same heads (same method, path and headers): each one is checked and
    joined once and then reused (``HEADS_KEPT`` at most), which spares a small GET the
    per-header validation."""
    url = request.url
    key = (request.method, url.raw_path, url.netloc, has_body, tuple(request.headers.raw))
    known = _HEADS.get(key)
    if known is None:
        head, headers, chunked, length = _build_request_head(request, has_body)
        if len(_HEADS) >= HEADS_KEPT:
            _HEADS.clear()  # many distinct heads: start over rather than track age
        _HEADS[key] = known = (head, tuple(headers), chunked, length, asks_to_close(headers))
    return known[0], list(known[1]), known[2], known[3], known[4]


def _build_request_head(
    request: httpx.Request, has_body: bool
) -> tuple[bytes, Headers, bool, int | None]:
    """h11's rules for the head a client sends (its ``normalize_and_validate`` and writer):
    one Host, written first (added when missing); Content-Length digits, repeats of one
    value sent once; at most one Transfer-Encoding, exactly ``chunked``, sent in lower case.
    A server and a proxy in front of it must read a request alike: an unknown coding beside
    a Content-Length, or two Host lines, are how requests get smuggled."""
    try:
        host, headers, length_text, chunked = _framing_headers(request.headers.raw)
    except ProtocolViolation as exc:
        raise httpx.LocalProtocolError(str(exc), request=request) from exc
    length = None if chunked or length_text is None else int(length_text)
    if has_body and not chunked and length_text is None:
        headers.append((b"Transfer-Encoding", b"chunked"))
        chunked = True
    headers.insert(0, host or (b"Host", request.url.netloc))
    try:
        method = request.method.encode("ascii")
    except UnicodeEncodeError as exc:
        raise httpx.LocalProtocolError("Illegal method characters", request=request) from exc
    try:
        head = request_head(method, request.url.raw_path, headers)
    except ProtocolViolation as exc:
        raise httpx.LocalProtocolError(str(exc), request=request) from exc
    return head, headers, chunked, length


def _framing_headers(
    raw: list[tuple[bytes, bytes]],
) -> tuple[tuple[bytes, bytes] | None, Headers, bytes | None, bool]:
    """The Host line, the other lines (framing ones normalized), the Content-Length and
    whether the body goes chunked; ProtocolViolation for what h11 refuses to send."""
    host: tuple[bytes, bytes] | None = None
    headers: Headers = []
    length_text: bytes | None = None
    chunked = False
    for name, value in raw:  # one pass: per-request costs count for small GETs
        lower = name.lower()
        if lower == b"host":
            if host is not None:
                raise ProtocolViolation("Found multiple Host: headers")
            host = (name, value)
            continue
        if lower in (b"content-length", b"transfer-encoding"):
            check_request_headers([(name, value)])  # as sent, before it is normalized
        if lower == b"content-length":
            parts = {part.strip() for part in value.split(b",")}
            if len(parts) != 1 or (length_text is not None and parts != {length_text}):
                raise ProtocolViolation("conflicting Content-Length headers")
            (text,) = parts
            if not is_length(text):
                raise ProtocolViolation(f"bad Content-Length {text[:40]!r}")
            if length_text is not None:
                continue  # the same length again: sent once
            length_text = value = text
        elif lower == b"transfer-encoding":
            if chunked:
                raise ProtocolViolation("multiple Transfer-Encoding headers")
            value = value.lower()
            if value != b"chunked":
                raise ProtocolViolation("Only Transfer-Encoding: chunked is supported")
            chunked = True
        headers.append((name, value))
    return host, headers, length_text, chunked


class BodyLength:
    """Holds a request body to the Content-Length its head declared, as h11 does: a byte
    more is refused before it is written (it would be read as the start of the next
    request), and a body that ends short is an error too (the server would wait for the
    rest). Both are LocalProtocolError; the connection is then not reused."""

    __slots__ = ("_request", "declared", "sent")

    def __init__(self, declared: int, request: httpx.Request) -> None:
        self.declared = declared
        self.sent = 0
        self._request = request

    def add(self, size: int) -> None:
        self.sent += size
        if self.sent > self.declared:
            raise httpx.LocalProtocolError(
                f"too much data for the declared Content-Length of {self.declared} bytes",
                request=self._request,
            )

    def finish(self) -> None:
        if self.sent < self.declared:
            raise httpx.LocalProtocolError(
                f"too little data for the declared Content-Length: {self.sent} of "
                f"{self.declared} bytes",
                request=self._request,
            )


def declared_length(
    length: int | None, request: httpx.Request, whole: bytes | None
) -> BodyLength | None:
    """What holds a request body to the Content-Length its head declares: None with no
    Content-Length, or for a body wholly in hand (``whole``: bytes, not a stream), which is
    checked here instead, before a byte of the head is written (too long or too short)."""
    if length is None:
        return None
    declared = BodyLength(length, request)
    if whole is None:
        return declared
    declared.add(len(whole))
    declared.finish()
    return None


@dataclass
class Settings:
    """A transport's constructor arguments, checked once: what our HTTP/1.1 core uses, and
    what httpx's own transport is built with when ours steps aside."""

    httpx_options: dict[str, Any]
    delegates_all: bool  # HTTP/2, a proxy or a Unix socket: httpx's transport does it all
    limits: httpx.Limits
    local_address: str | None
    retries: int
    socket_options: list[SocketOption] = field(default_factory=list)
    ssl_context: ssl.SSLContext | None = None

    def new_socket(self, family: int, kind: int, proto: int) -> socket.socket:
        """A socket for one address of the host: TCP_NODELAY, the caller's socket options
        and local address applied (closed again if any of that fails)."""
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for option in self.socket_options:
                sock.setsockopt(*option)
            if self.local_address is not None:
                sock.bind((self.local_address, 0))
        except BaseException:
            sock.close()
            raise
        return sock

    def connect_info(self, host: str, port: int, timeout: float | None) -> dict[str, Any]:
        """The ``connection.connect_tcp`` phase's arguments, as httpcore reports them."""
        return {
            "host": host,
            "port": port,
            "local_address": self.local_address,
            "timeout": timeout,
            "socket_options": self.socket_options or None,
        }

    def retry_delays(self) -> Iterator[float]:
        """The waits between connect attempts, as httpcore spaces them: 0, 0.5, 1, 2 s..."""
        delay = 0.0
        while True:
            yield delay
            delay = 0.5 if not delay else delay * 2

    def delegate_options(self) -> dict[str, Any]:
        """httpx's transport arguments, with our TLS context unless the caller gave one."""
        options = dict(self.httpx_options)
        if self.ssl_context is not None and not isinstance(options["verify"], ssl.SSLContext):
            options["verify"] = self.ssl_context
        return options


def settings_from(
    verify: ssl.SSLContext | str | bool,
    cert: Any,
    trust_env: bool,
    http1: bool,
    http2: bool,
    limits: httpx.Limits,
    proxy: Any,
    uds: str | None,
    local_address: str | None,
    retries: int,
    socket_options: Iterable[SocketOption] | None,
) -> Settings:
    """Check the arguments both transports take (httpx's transports' own) and build the
    TLS context our core uses (ALPN http/1.1 set on contexts we make, never on the caller's)."""
    options = list(socket_options or ())  # once: an iterator would serve one user only
    httpx_options: dict[str, Any] = {
        "verify": verify,
        "cert": cert,
        "trust_env": trust_env,
        "http1": http1,
        "http2": http2,
        "limits": limits,
        "proxy": proxy,
        "uds": uds,
        "local_address": local_address,
        "retries": retries,
        "socket_options": options,
    }
    settings = Settings(httpx_options, False, limits, local_address, retries, options)
    if http2 or proxy is not None or uds is not None:
        settings.delegates_all = True
        return settings
    if not http1:
        raise ValueError("http1=False needs http2=True")
    context: object = httpx.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)
    if not isinstance(context, ssl.SSLContext):  # verify=None: httpcore's default, too
        context = httpx.create_ssl_context(cert=cert, trust_env=trust_env)
    assert isinstance(context, ssl.SSLContext)
    if not isinstance(verify, ssl.SSLContext):  # never alter a context we did not make
        context.set_alpn_protocols(["http/1.1"])
    settings.ssl_context = context
    return settings


def connect_failure(exc: OSError) -> httpx.TransportError:
    """httpx's error for one failed connect attempt (a timeout or not), the cause chained."""
    error: httpx.TransportError
    if isinstance(exc, TimeoutError):
        error = httpx.ConnectTimeout(str(exc) or "timed out")
    else:
        error = httpx.ConnectError(str(exc))
    error.__cause__ = exc
    return error


def connection_key(request: httpx.Request) -> tuple[str, str, int]:
    """(scheme, host, port) of the connection a request needs; httpx's UnsupportedProtocol
    for a scheme other than http/https or a URL without a host."""
    url = request.url
    scheme = url.scheme
    if scheme not in _DEFAULT_PORTS:
        raise httpx.UnsupportedProtocol(
            f"Request URL has an unsupported protocol '{scheme}://'.", request=request
        )
    host = url.raw_host.decode("ascii")
    if not host:
        raise httpx.UnsupportedProtocol("Request URL is missing a host.", request=request)
    return scheme, host, url.port or _DEFAULT_PORTS[scheme]


def _build_headers(fields: Headers) -> httpx.Headers:
    """httpx.Headers holding ``fields`` (checked bytes), laid out as httpx lays them out."""
    headers: httpx.Headers = httpx.Headers.__new__(httpx.Headers)
    headers._list = [(name, name.lower(), value) for name, value in fields]
    headers._encoding = None
    return headers


def _headers_layout_known() -> bool:
    """Is ``_build_headers`` what ``httpx.Headers(fields)`` builds, in this httpx?"""
    fields = [(b"Content-Type", b"text/plain"), (b"X-A", b"1"), (b"x-a", b"2")]
    try:
        built, theirs = _build_headers(fields), httpx.Headers(fields)
        return (
            vars(built) == vars(theirs)
            and vars(httpx.Headers(built)) == vars(theirs)
            and built.multi_items() == theirs.multi_items()
        )
    except (AttributeError, TypeError):  # pragma: no cover - another layout
        return False


_HEADERS_LAYOUT_KNOWN = _headers_layout_known()


def response_headers(fields: Headers) -> httpx.Headers | Headers:
    """What to hand ``httpx.Response(headers=...)`` for a parsed head: an ``httpx.Headers``
    built without httpx's per-pair checks (the parser checked the bytes already), which
    the response then copies as it is. A plain list of pairs costs httpx an ABC
    ``isinstance`` and two normalizing calls per header: 3-5 us of a small response.
    The pairs themselves where httpx lays its headers out otherwise."""
    return _build_headers(fields) if _HEADERS_LAYOUT_KNOWN else fields


def held_bytes(stream: httpx.ByteStream) -> bytes:
    """The bytes of an ``httpx.ByteStream``: the ones it holds (``_stream``, httpx 0.18 to
    0.28) without a generator per request, else by iterating it."""
    held = getattr(stream, "_stream", None)
    return held if type(held) is bytes else b"".join(stream)


class ReadableProbe:
    """ "Has the peer sent anything, or closed?" for one socket, without waiting: asked of
    every kept-alive connection before it carries another request. A poll object
    registered once answers in a third of ``select.select``'s time (no lists built per
    call); where ``select.poll`` is missing (Windows), ``select.select`` it is. A closed
    socket reads as readable, so it is never reused: closed by us, poll reports POLLNVAL;
    closed by a caller (``network_stream.get_extra_info("socket")``), its descriptor
    number may already be another socket's, so the socket object is asked first."""

    __slots__ = ("_poll", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._poll: Any = None
        if hasattr(select, "poll"):
            poll = select.poll()
            with contextlib.suppress(OSError, ValueError):  # closed already: see __call__
                poll.register(sock, select.POLLIN)
                self._poll = poll

    def __call__(self) -> bool:
        try:
            if self._sock.fileno() == -1:  # closed by a caller: its number may be another's
                return True
            if self._poll is not None:
                return bool(self._poll.poll(0))
            readable, _, _ = select.select([self._sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


def socket_info(sock: socket.socket, info: str) -> Any:
    """The socket-level answers of ``network_stream.get_extra_info``: "socket",
    "client_addr", "server_addr", "is_readable" (None once the socket is closed)."""
    if info == "socket":
        return sock
    try:
        if info == "client_addr":
            return sock.getsockname()
        if info == "server_addr":
            return sock.getpeername()
        if info == "is_readable":
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable)
    except (OSError, ValueError):  # closed meanwhile
        return None
    return None
