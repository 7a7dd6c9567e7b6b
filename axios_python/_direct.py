"""Send a request straight to the client's transport when httpx's ``send`` would add nothing.

For a request without auth or event hooks, ``httpx.Client.send`` still runs a no-op auth
flow generator, a redirect loop, and a cookie-jar pass that builds a ``urllib`` request
around every response, Set-Cookie or not: about a third of a small GET on our own
transport. Here the same steps run inline, in httpx's order and with its objects: the
transport its mounts choose, the response bound to its request (``elapsed`` set on close),
cookies taken from responses that set some, the default encoding, httpx's log line. A
redirect hands the rest of the chain back to httpx's own loop, so history, ``max_redirects``
and header stripping stay httpx's.

These are httpx internals (stable from 0.18 through 0.28): when one is missing, every
request takes ``client.send``.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any

import httpx

try:
    from httpx._client import BoundAsyncStream, BoundSyncStream, ClientState
except ImportError:  # pragma: no cover - a future httpx without them
    AVAILABLE = False
    BOUND_STREAMS: tuple[type[Any], ...] = ()
else:
    # The wrappers httpx's client puts around a transport's body stream (Response reads
    # through them to the transport's own stream: see Response._wire).
    BOUND_STREAMS = (BoundSyncStream, BoundAsyncStream)
    AVAILABLE = all(
        hasattr(kind, name)
        for kind in (httpx.Client, httpx.AsyncClient)
        for name in ("_transport_for_url", "_build_redirect_request", "_send_handling_redirects")
    )

_log = logging.getLogger("httpx")  # the line httpx's send logs, for code that watches it

AnyClient = httpx.Client | httpx.AsyncClient


def direct_route(client: AnyClient, request: httpx.Request, auth: Any) -> Any | None:
    """The transport to hand ``request`` to directly, or None when httpx's ``send`` must run.

    Direct only when httpx would do nothing but bookkeeping: no auth from the call, the
    client or the URL's userinfo, no event hooks, and a client not closed (``send`` raises).
    """
    if not AVAILABLE or auth is not None:
        return None
    try:
        hooks = client._event_hooks
        state = client._state
        if client._auth is not None or client._default_encoding is None:
            return None
    except AttributeError:  # pragma: no cover - an httpx whose client keeps these elsewhere
        return None
    if hooks["request"] or hooks["response"] or request.url.userinfo:
        return None
    if state is not ClientState.OPENED:
        if state is ClientState.CLOSED:
            return None
        client._state = ClientState.OPENED
    return client._transport_for_url(request.url)


def has_header(headers: httpx.Headers, lowered: bytes) -> bool:
    """Is there a ``lowered`` (lower-case name) header? Read off httpx's own list of
    (name, lower-case name, value) triples: ``in`` raises and catches a KeyError for every
    absent header, and ``get_list`` decodes the name and every value, after working out
    the headers' encoding (a pass over all of them) the first time it is asked."""
    fields = getattr(headers, "_list", None)
    if fields is None:  # pragma: no cover - an httpx that keeps its headers otherwise
        return bool(headers.get_list(lowered.decode("ascii")))
    for _, key, _ in fields:  # noqa: SIM110 - a plain loop: a third of any()'s time
        if key == lowered:
            return True
    return False


def _with_request(exc: httpx.RequestError, request: httpx.Request) -> None:
    """httpx's transports raise without a request; its client attaches the one it sent."""
    if exc._request is None:
        exc.request = request


def _adopt(client: AnyClient, request: httpx.Request, response: httpx.Response) -> None:
    """What ``_send_single_request`` does to a fresh response, minus the stream binding."""
    response.request = request
    # The jar's pass costs ~20 µs even with nothing to do.
    if has_header(response.headers, b"set-cookie"):
        client.cookies.extract_cookies(response)
    response.default_encoding = client._default_encoding
    if _log.isEnabledFor(logging.INFO):
        _log.info(
            'HTTP Request: %s %s "%s %d %s"',
            request.method,
            request.url,
            response.http_version,
            response.status_code,
            response.reason_phrase,
        )


def _redirect_to(
    client: AnyClient, request: httpx.Request, response: httpx.Response, follow: bool
) -> httpx.Request | None:
    """The request a redirect leads to, when it is to be followed now; None when the
    response is the answer (not a redirect, or one left in ``response.next_request``)."""
    if not response.has_redirect_location:
        return None
    next_request = client._build_redirect_request(request, response)
    if follow:
        return next_request
    response.next_request = next_request
    return None


def send(
    client: httpx.Client, transport: httpx.BaseTransport, request: httpx.Request, follow: bool
) -> httpx.Response:
    """``client.send(request, stream=True, follow_redirects=follow)`` without auth or hooks."""
    if not isinstance(request.stream, httpx.SyncByteStream):
        raise RuntimeError("Attempted to send an async request with an httpx.Client instance.")
    started = time.perf_counter()
    try:
        response = transport.handle_request(request)
    except httpx.RequestError as exc:
        _with_request(exc, request)
        raise
    response.stream = BoundSyncStream(response.stream, response=response, start=started)  # type: ignore[arg-type]
    _adopt(client, request, response)
    try:
        next_request = _redirect_to(client, request, response, follow)
        if next_request is None:
            return response
        response.read()
    except BaseException:
        response.close()
        raise
    return client._send_handling_redirects(next_request, follow_redirects=True, history=[response])


async def send_async(
    client: httpx.AsyncClient,
    transport: httpx.AsyncBaseTransport,
    request: httpx.Request,
    follow: bool,
) -> httpx.Response:
    """The async twin of ``send``."""
    if not isinstance(request.stream, httpx.AsyncByteStream):
        raise RuntimeError("Attempted to send a sync request with an httpx.AsyncClient instance.")
    started = time.perf_counter()
    try:
        response = await transport.handle_async_request(request)
    except httpx.RequestError as exc:
        _with_request(exc, request)
        raise
    response.stream = BoundAsyncStream(response.stream, response=response, start=started)  # type: ignore[arg-type]
    _adopt(client, request, response)
    try:
        next_request = _redirect_to(client, request, response, follow)
        if next_request is None:
            return response
        await response.aread()
    except BaseException:
        await response.aclose()
        raise
    return await client._send_handling_redirects(
        next_request, follow_redirects=True, history=[response]
    )


_BOUND_ASYNC = BOUND_STREAMS[1] if BOUND_STREAMS else None


def close_at_once(raw: httpx.Response, wire: Any) -> bool:
    """``await raw.aclose()`` done in place, when ``wire`` (the transport's body stream, see
    ``Response._wire``) closes without waiting: mark the response closed, time it as httpx's
    bound stream does, close the stream. It spares every response three coroutine frames
    and httpx's error-mapping context manager, which has nothing to map here. False when
    ``raw`` is bound in a way this does not know (the caller then awaits ``aclose``)."""
    if raw.is_closed:
        return True
    close_now = getattr(wire, "close_now", None)
    if close_now is None:
        return False
    stream = raw.stream
    if stream is not wire:
        started = getattr(stream, "_start", None)
        if type(stream) is not _BOUND_ASYNC or not isinstance(started, float):
            return False
        raw.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
    raw.is_closed = True
    close_now()
    return True
