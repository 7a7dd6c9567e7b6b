"""Repeated calls prepared once: a config's checked form and request head, reused while the
config stays the same.

An API client calls the same few endpoints with the same instance defaults again and again.
``prepare`` checks every option of every call (~5 us), and building a bodiless request
merges the client's headers with the call's again (~7 us): together a tenth of a small GET
on a kept-alive connection. Both depend on nothing but the merged config (and, for the head,
the client it goes through). So the first call with a config keeps a snapshot of it, its
``Prepared``, and the head of its request; a later call whose merged config compares equal
to the snapshot reuses them, with its own config dict in the ``Prepared``.

The snapshot copies containers (dicts, lists, tuples), so an edit of the instance's defaults
in place (``api.defaults["headers"]["X-Token"] = ...``) shows as a difference and the next
call is prepared afresh. So is an ``httpx.Timeout`` (``prepare`` reads its fields, and
they can be set). Other values are held as given and compared with ``==``: the objects
``prepare`` only passes on (limits, SSL contexts, transports, functions) are read where
they are used, as before.

Not planned: calls with a body, cookies, proxies, a cancel token or signal, or transfer
options (a progress callback, a rate limit): their prepared parts carry per-call state, or
differ from call to call anyway.
"""

from __future__ import annotations

import dataclasses
import weakref
from typing import Any, Final, NamedTuple

import httpx

from ._bodiless import request_with_head
from ._config import Prepared, prepare

__all__ = ["CallPlans"]

PLANS_KEPT: Final = 128
_FIELDS: Final = tuple(field.name for field in dataclasses.fields(Prepared))
assert _FIELDS[0] == "config" and _FIELDS[-1] == "plan", _FIELDS  # what prepared_for builds
_UNPLANNED: Final = ("data", "json", "content", "files", "cookies", "proxies", "signal")


def _snapshot(value: Any) -> Any:
    """``value`` with its containers copied, so that no later edit of the original reaches it."""
    kind = type(value)
    if kind is dict:
        return {key: _snapshot(item) for key, item in value.items()}
    if kind is list:
        return [_snapshot(item) for item in value]
    if kind is tuple:
        return tuple(_snapshot(item) for item in value)
    if kind is httpx.Timeout:  # mutable, and read by prepare: a copy compares by its fields
        return httpx.Timeout(value)
    return value


class _Head(NamedTuple):
    """What a planned call's request is made of, through one client."""

    client: weakref.ref[Any]
    method: str
    url: httpx.URL
    headers: httpx.Headers
    extensions: dict[str, Any]


class _Plan:
    """One config's prepared form, and the head of its request through one client."""

    __slots__ = ("fields", "head", "snapshot")

    def __init__(self, snapshot: dict[str, Any], prepared: Prepared) -> None:
        self.snapshot = snapshot
        # Prepared's fields after the config, in its order: the last one is this plan.
        self.fields = (*[getattr(prepared, name) for name in _FIELDS[1:-1]], self)
        self.head: _Head | None = None

    def prepared_for(self, config: dict[str, Any]) -> Prepared:
        return Prepared(config, *self.fields)

    def request_for(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Request | None:
        """The request through ``client``, from the kept head; None when there is none for
        this client, or cookies now belong in it (the client's jar got some meanwhile)."""
        head = self.head
        if head is None or head.client() is not client or client.cookies:
            return None
        return request_with_head(head.method, head.url, head.headers, dict(head.extensions))

    def keep_head(self, client: httpx.Client | httpx.AsyncClient, request: httpx.Request) -> None:
        """Keep the head of ``request``, built for this plan through ``client`` by the
        bodiless path, for the next calls (copies: auth flows edit a request's headers)."""
        headers = httpx.Headers(request.headers)
        extensions = dict(request.extensions)
        self.head = _Head(weakref.ref(client), request.method, request.url, headers, extensions)


class CallPlans:
    """An instance's plans, by method and URL (at most ``PLANS_KEPT``; then start over)."""

    __slots__ = ("_plans",)

    def __init__(self) -> None:
        self._plans: dict[tuple[Any, Any], _Plan] = {}

    def prepare(self, config: dict[str, Any]) -> Prepared:
        """``prepare(config)``, from the plan for an equal config when there is one."""
        try:
            key = (config.get("method"), config.get("url"))
            plan = self._plans.get(key)
            if plan is not None and plan.snapshot == config:
                return plan.prepared_for(config)
        except Exception:  # an unhashable URL, or a value whose == fails: no plan
            return prepare(config)
        prepared = prepare(config)
        if _plannable(config, prepared):
            if len(self._plans) >= PLANS_KEPT:
                self._plans.clear()  # many distinct calls: start over rather than track age
            plan = _Plan(_snapshot(config), prepared)
            self._plans[key] = plan
            prepared.plan = plan
        return prepared


def _plannable(config: dict[str, Any], prepared: Prepared) -> bool:
    if prepared.config is not config:  # prepare derived a new config (a proxy from proxies=)
        return False
    if prepared.cancel_token is not None or prepared.transfer is not None:
        return False
    return all(config.get(name) is None for name in _UNPLANNED)
