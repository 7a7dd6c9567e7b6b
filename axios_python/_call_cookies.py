"""Cookies for module-level calls: kept for the length of one call, shared with no other.

``axios_python.get(url)`` runs on connection pools that every module-level call shares, and
httpx keeps cookies per client. A jar that stored them would hand one caller's session to
the next; a jar that refuses them (what module-level calls had) loses the cookie a login
sets on its redirect, which the next hop needs. requests keeps them for the call (it makes
a Session per call). ``CallScopedJar`` is the shared client's jar, and its storage is the
call's: a ``ContextVar`` set around each attempt (``call_cookies``), so cookies set along a
redirect chain ride its later hops and are gone when the call returns. Outside a call the
jar stores nothing.

``http.cookiejar.CookieJar`` keeps every cookie in its ``_cookies`` dict; this subclass
makes that dict the current call's.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.cookiejar
from collections.abc import Iterator
from typing import Any

_Store = dict[str, Any]  # domain -> path -> name -> Cookie, as CookieJar keeps them

_current: contextvars.ContextVar[_Store | None] = contextvars.ContextVar(
    "axios_python_call_cookies", default=None
)


class CallScopedJar(http.cookiejar.CookieJar):
    """A cookie jar whose contents are those of the call running in this context."""

    @property
    def _cookies(self) -> _Store:
        store = _current.get()
        return {} if store is None else store  # outside a call: written, then dropped

    @_cookies.setter
    def _cookies(self, value: _Store) -> None:  # __init__ and clear() assign a new dict
        store = _current.get()
        if store is not None:
            store.clear()
            store.update(value)


@contextlib.contextmanager
def call_cookies() -> Iterator[None]:
    """Within this block, a ``CallScopedJar`` holds the cookies of this call only."""
    token = _current.set({})
    try:
        yield
    finally:
        _current.reset(token)
