"""Repeated calls prepared once: a config's checked form and request head, reused while the
config stays the same.

An API client calls the same few endpoints with the same instance defaults again and again.
``prepare`` checks every option of every call (~5 us), and building a bodiless request
merges the client's headers with the call's again (~7 us): together a tenth of a small GET
on a kept-alive connection. Both depend on nothing but the merged config (and, for the head,
the client it goes through). So the first call with a config keeps a snapshot of it, its
``Prepared``, and the head of its request; a later call whose merged config is the same as
the snapshot reuses them, with its own config dict in the ``Prepared``.

"The same" is stricter than ``==``: the same types throughout (``1``, ``1.0`` and ``True``
compare equal, yet a query sends them differently and ``stream=0`` must be refused where
``stream=False`` is not) and dicts in the same order (headers go out in it). The snapshot
copies containers (dicts, lists, tuples), so an edit of the instance's defaults in place
(``api.defaults["headers"]["X-Token"] = ...``) shows as a difference and the next call is
prepared afresh. So is an ``httpx.Timeout`` (``prepare`` reads its fields, and they can be
set). A config holding any other container (an ``OrderedDict`` or ``httpx.Headers`` an
interceptor put there) gets no plan: no copy of it could be trusted. Other values are held
as given and compared with ``==``: the objects ``prepare`` only passes on (limits, SSL
contexts, transports, functions) are read where they are used, as before. Each request
made from a kept head gets its own headers (httpx copies them) and its own timeout dict.

Not planned: calls with a body, cookies, proxies, a cancel token or signal, or transfer
options (a progress callback, a rate limit): their prepared parts carry per-call state, or
differ from call to call anyway.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Mapping, MutableSet, Sequence
from operator import is_
from typing import Any, Final, NamedTuple

import httpx

from ._bodiless import request_with_head
from ._config import Prepared, prepare

__all__ = ["CallPlans"]

PLANS_KEPT: Final = 128
_FIELDS: Final = tuple(field.name for field in dataclasses.fields(Prepared))
assert _FIELDS[0] == "config" and _FIELDS[-1] == "plan", _FIELDS  # what prepared_for builds
_UNPLANNED: Final = ("data", "json", "content", "files", "cookies", "proxies", "signal")
_CONTAINERS: Final = (dict, list, tuple)  # the ones a snapshot copies


class _Unplannable(Exception):
    """A config holding a container whose later edits a snapshot could not see."""


def _snapshot(value: Any) -> Any:
    """``value`` with its containers copied, so that no later edit of the original reaches
    it. Containers other than dicts, lists and tuples (an ``OrderedDict``, ``httpx.Headers``
    put in by an interceptor, a list subclass) cannot be copied faithfully: no plan."""
    kind = type(value)
    if kind is dict:
        return {_snapshot(key): _snapshot(item) for key, item in value.items()}
    if kind is list:
        return [_snapshot(item) for item in value]
    if kind is tuple:
        return tuple(_snapshot(item) for item in value)
    if kind is httpx.Timeout:  # mutable, and read by prepare: a copy compares by its fields
        return httpx.Timeout(value)
    if isinstance(value, (Mapping, MutableSet)) or (
        isinstance(value, Sequence) and not isinstance(value, (str, bytes))
    ):
        raise _Unplannable
    return value


def same(given: Any, kept: Any) -> bool:
    """Is ``given`` what ``kept`` (a snapshot) holds, in the same order and of the same
    types throughout? ``==`` is not enough: ``1``, ``1.0`` and ``True`` compare equal,
    yet a query sends them as ``1``, ``1.0`` and ``true``, and ``stream=0`` is refused
    where ``stream=False`` is not; two dicts in a different order compare equal, yet send
    their headers in that order."""
    if given is kept:
        return True
    kind = type(given)
    if kind is not type(kept):
        return False
    if kind is dict:
        if len(given) != len(kept):
            return False
        if all(map(is_, given.values(), kept.values())) and all(map(is_, given, kept)):
            return True  # the usual case (a copy of the same dict), checked without a loop
        for (key, value), (kept_key, kept_value) in zip(given.items(), kept.items(), strict=True):
            if key is not kept_key and not same(key, kept_key):
                return False
            if value is not kept_value and not same(value, kept_value):
                return False
        return True
    if kind is list or kind is tuple:
        if len(given) != len(kept):
            return False
        for value, kept_value in zip(given, kept, strict=True):
            if value is not kept_value and not same(value, kept_value):
                return False
        return True
    return bool(given == kept)


class _Head(NamedTuple):
    """What a planned call's request is made of, through one client."""

    client: weakref.ref[Any]
    method: str
    url: httpx.URL
    headers: httpx.Headers
    extensions: dict[str, Any]


class _Plan:
    """One config's prepared form, and the head of its request through one client."""

    __slots__ = ("fields", "head", "nested", "snapshot", "types")

    def __init__(self, snapshot: dict[str, Any], prepared: Prepared) -> None:
        self.snapshot = snapshot
        self.types = list(map(type, snapshot.values()))
        self.nested = [name for name, value in snapshot.items() if type(value) in _CONTAINERS]
        # Prepared's fields after the config, in its order: the last one is this plan.
        self.fields = (*[getattr(prepared, name) for name in _FIELDS[1:-1]], self)
        self.head: _Head | None = None

    def matches(self, config: dict[str, Any]) -> bool:
        """``same(config, self.snapshot)``, at a third of its cost: the options compared
        with ``==`` and their types in one pass each, and only the containers walked (a
        different order of the options fails the type pass: the call is then prepared
        afresh, which is only slower)."""
        snapshot = self.snapshot
        if config != snapshot or list(map(type, config.values())) != self.types:
            return False
        for name in self.nested:  # noqa: SIM110 - a loop: all() over a generator costs more
            if not same(config[name], snapshot[name]):
                return False
        return True

    def prepared_for(self, config: dict[str, Any]) -> Prepared:
        return Prepared(config, *self.fields)

    def request_for(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Request | None:
        """The request through ``client``, from the kept head; None when there is none for
        this client, or cookies now belong in it (the client's jar got some meanwhile)."""
        head = self.head
        if head is None or head.client() is not client or client.cookies:
            return None
        extensions = head.extensions.copy()
        extensions["timeout"] = extensions["timeout"].copy()  # callers may edit theirs
        return request_with_head(head.method, head.url, head.headers, extensions)

    def keep_head(self, client: httpx.Client | httpx.AsyncClient, request: httpx.Request) -> None:
        """Keep the head of ``request``, built for this plan through ``client`` by the
        bodiless path, for the next calls (copies: auth flows edit a request's headers)."""
        timeout = request.extensions.get("timeout")
        if type(timeout) is not dict:  # build_request always sets one
            return
        headers = httpx.Headers(request.headers)
        # its own timeout dict, not the one this request carries
        extensions = {**request.extensions, "timeout": dict(timeout)}
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
            if plan is not None and plan.matches(config):
                return plan.prepared_for(config)
        except Exception:  # an unhashable URL, or a value whose == fails: no plan
            return prepare(config)
        prepared = prepare(config)
        if _plannable(config, prepared):
            try:
                plan = _Plan(_snapshot(config), prepared)
            except _Unplannable:
                return prepared
            if len(self._plans) >= PLANS_KEPT:
                self._plans.clear()  # many distinct calls: start over rather than track age
            self._plans[key] = plan
            prepared.plan = plan
        return prepared


def _plannable(config: dict[str, Any], prepared: Prepared) -> bool:
    if prepared.config is not config:  # prepare derived a new config (a proxy from proxies=)
        return False
    if prepared.cancel_token is not None or prepared.transfer is not None:
        return False
    return all(config.get(name) is None for name in _UNPLANNED)
