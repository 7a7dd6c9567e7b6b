"""Requests without a body, built from a cached head instead of by httpx's ``build_request``.

For a GET httpx merges the client's headers into the call's (a case-insensitive pass over
both lists), adds ``Host``, and re-encodes every header, each time: about 30 us of a small
async GET that took 240. The headers of a bodiless request depend only on the client's headers,
the call's headers, the URL's host and port, and whether the method wants
``Content-Length: 0``; so the first request of each such combination is built by httpx's own
``build_request`` and its headers are kept, and the next ones reuse them. What httpx would
have built is thus what is sent: the cache holds httpx's output, never a re-implementation.

Requests with a body, cookies (the call's or the client's jar), client-level query
parameters, or a relative URL are left to ``build_request`` as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import httpx

__all__ = ["bodiless_request", "request_with_head"]

HEADS_KEPT: Final = 256
_HEADS: dict[tuple[Any, ...], httpx.Headers] = {}


def bodiless_request(
    client: httpx.Client | httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    header_pairs: Sequence[tuple[Any, Any]],
    extensions: dict[str, Any],
) -> httpx.Request | None:
    """The request httpx would build for a bodiless ``method url``, or None when its head
    cannot come from the cache (cookies, client params, a relative URL, odd header values)."""
    if not url.host or client.params or client.cookies:
        return None
    method = method.upper()
    try:
        key = (tuple(client.headers.raw), tuple(header_pairs), url.netloc, method)
        headers = _head(client, key, url)
    except TypeError:  # an unhashable header value: httpx decides what it means
        return None
    return request_with_head(method, url, headers, extensions)


def request_with_head(
    method: str, url: httpx.URL, headers: httpx.Headers, extensions: dict[str, Any]
) -> httpx.Request:
    """A bodiless request with these headers (httpx copies them): read already, as httpx
    leaves a request with a bytes body."""
    if _ASSEMBLY_KNOWN:
        return _assembled(method, url, headers, extensions)
    request = httpx.Request(method, url, headers=headers, stream=_NO_BODY, extensions=extensions)
    if _CONTENT_SETTABLE:
        request._content = b""  # what read() sets, minus its ABC checks (a third of this)
    else:  # pragma: no cover - an httpx that keeps the read body elsewhere
        request.read()  # as httpx does for a bytes body: ``request.content`` is b""
    return request


_NO_BODY: Final = httpx.ByteStream(b"")  # holds no state: one for every bodiless request


def _content_settable() -> bool:
    """Does ``Request.read()`` keep the body in ``_content`` (httpx 0.18 to 0.28 do)?"""
    probe = httpx.Request("GET", "http://localhost/", stream=httpx.ByteStream(b""))
    probe.read()
    return vars(probe).get("_content") == b""


_CONTENT_SETTABLE: Final = _content_settable()


def _assembled(
    method: str, url: httpx.URL, headers: httpx.Headers, extensions: dict[str, Any]
) -> httpx.Request:
    """What ``httpx.Request(method, url, headers=headers, stream=_NO_BODY,
    extensions=extensions)`` then ``read()`` leave, set directly: the constructor's
    normalizing and ABC checks are a third of it, and these parts are httpx's own already
    (an upper-case method, a URL, the head httpx built)."""
    copied: httpx.Headers = httpx.Headers.__new__(httpx.Headers)
    copied._list = list(headers._list)
    copied._encoding = None
    request: httpx.Request = httpx.Request.__new__(httpx.Request)
    request.method = method
    request.url = url
    request.headers = copied
    request.extensions = extensions
    request.stream = _NO_BODY
    request._content = b""
    return request


def _assembly_known() -> bool:
    """Does ``_assembled`` leave what httpx's constructor and ``read()`` do, in this httpx?"""
    url = httpx.URL("http://localhost:8000/a?b=1")
    head = httpx.Headers([("Host", "localhost:8000"), ("X-A", "1"), ("x-a", "2")])
    extensions = {"timeout": {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}}
    try:
        theirs = httpx.Request("GET", url, headers=head, stream=_NO_BODY, extensions=extensions)
        theirs.read()
        ours = _assembled("GET", url, head, dict(extensions))
        return (
            vars(ours).keys() == vars(theirs).keys()
            and all(
                vars(ours)[name] == vars(theirs)[name]
                for name in vars(theirs)
                if name not in ("url", "headers")
            )
            and ours.url == theirs.url
            and vars(ours.headers) == vars(theirs.headers)
            and ours.headers is not head
        )
    except (AttributeError, TypeError):  # pragma: no cover - another layout
        return False


_ASSEMBLY_KNOWN: Final = _CONTENT_SETTABLE and _assembly_known()


def _head(
    client: httpx.Client | httpx.AsyncClient, key: tuple[Any, ...], url: httpx.URL
) -> httpx.Headers:
    """The headers httpx builds for ``key``: from the cache, else from ``build_request``."""
    headers = _HEADS.get(key)
    if headers is None:
        _, pairs, _, method = key
        headers = client.build_request(method, url, headers=list(pairs)).headers
        if "cookie" in headers:  # a cookie set meanwhile (another thread): not reusable
            return headers
        if len(_HEADS) >= HEADS_KEPT:
            _HEADS.clear()  # many distinct heads: start over rather than track age
        _HEADS[key] = headers
    return headers
