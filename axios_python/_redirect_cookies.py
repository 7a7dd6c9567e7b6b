"""A call's own ``cookies=`` ride the redirects that stay on the origin they were sent to.

httpx builds each redirect's ``Cookie`` header from the client's jar alone, so cookies given
to one call (``get(url, cookies={"session": ...})``) reach the first hop only: a login page
that redirects ``/account`` to ``/account/`` then sees no session. requests sends them on
every hop, to any host, which hands them to whatever site a redirect names (the leak that
undici's CVE-2023-45143 and guzzle's CVE-2022-31042 fixed). Here they go on every hop whose
origin is the first request's (or its ``https`` upgrade, the rule httpx applies to
``Authorization``), and on no other.

The cookies travel in the request's extensions, which httpx copies onto each redirect
request; the clients axios_python builds add them when they build that request. A name the
client's jar holds too (a ``Set-Cookie`` along the way, or a cookie an instance kept from an
earlier call) is sent once, with the jar's value; requests would send both.
"""

from __future__ import annotations

from typing import Any, Final

import httpx

__all__ = ["CALL_COOKIES", "AsyncClient", "Client", "call_cookies_extension"]

CALL_COOKIES: Final = "axios_python.call_cookies"

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


Origin = tuple[str, str, int | None]  # scheme, host, port


def call_cookies_extension(url: httpx.URL, cookies: Any) -> tuple[Origin, httpx.Cookies]:
    """What ``build_request`` puts under ``CALL_COOKIES``: the origin and the call's cookies."""
    return _origin(url), httpx.Cookies(cookies)


def _origin(url: httpx.URL) -> Origin:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def _may_carry(origin: Origin, url: httpx.URL) -> bool:
    """The first request's origin, or the http -> https upgrade of it."""
    target = _origin(url)
    if target == origin:
        return True
    return origin == ("http", target[1], 80) and target == ("https", origin[1], 443)


def with_call_cookies(following: httpx.Request) -> httpx.Request:
    """A redirect request with the call's cookies in its ``Cookie`` header when it may have
    them; names already there (from the client's jar) keep their value."""
    carried = following.extensions.get(CALL_COOKIES)
    if carried is None:
        return following
    origin, cookies = carried
    if not _may_carry(origin, following.url):
        return following
    probe = httpx.Request(following.method, following.url)
    cookies.set_cookie_header(probe)  # the jar's own domain and path matching
    offered = probe.headers.get("Cookie")
    if not offered:
        return following
    present = following.headers.get("Cookie")
    names = {pair.split("=", 1)[0].strip() for pair in present.split(";")} if present else set()
    added = [pair for pair in offered.split("; ") if pair.split("=", 1)[0].strip() not in names]
    if added:
        following.headers["Cookie"] = "; ".join([present, *added] if present else added)
    return following


class Client(httpx.Client):
    """httpx's client, with the call's cookies on same-origin redirects."""

    def _build_redirect_request(
        self, request: httpx.Request, response: httpx.Response
    ) -> httpx.Request:
        return with_call_cookies(super()._build_redirect_request(request, response))


class AsyncClient(httpx.AsyncClient):
    """The async twin of ``Client``."""

    def _build_redirect_request(
        self, request: httpx.Request, response: httpx.Response
    ) -> httpx.Request:
        return with_call_cookies(super()._build_redirect_request(request, response))
