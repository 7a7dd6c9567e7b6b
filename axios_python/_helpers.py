"""axios's two concurrency helpers: ``all`` (``axios.all``) and ``spread`` (``axios.spread``).

users, repos = await axios_python.all([api.async_get("/users"), api.async_get("/repos")])
show = axios_python.spread(lambda users, repos: print(users.data, repos.data))
show(await axios_python.all([api.async_get("/users"), api.async_get("/repos")]))
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

__all__ = ["all", "spread"]

_T = TypeVar("_T")
_R = TypeVar("_R")


async def all(awaitables: Iterable[Awaitable[_T]], /) -> list[_T]:
    """Run the awaitables concurrently; their results, in the order given.

    As ``Promise.all`` (and ``asyncio.gather``): the first failure is raised. Unlike a bare
    ``gather``, the others are then cancelled and awaited, and any response that did arrive
    is closed, so a failed batch of streamed requests leaves no connection checked out.
    """
    items = list(awaitables)
    for item in items:
        if not _is_awaitable(item):
            for other in items:  # refused unscheduled: close them, so none "never awaited"
                if asyncio.iscoroutine(other):
                    other.close()
            raise TypeError(
                "axios_python.all() takes awaitables (e.g. api.async_get(url)), "
                f"got {type(item).__name__}: did you call a sync method?"
            )
    tasks = [asyncio.ensure_future(item) for item in items]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        for outcome in outcomes:
            await _close_quietly(outcome)
        raise


def _is_awaitable(value: object) -> bool:
    return asyncio.isfuture(value) or asyncio.iscoroutine(value) or hasattr(value, "__await__")


async def _close_quietly(value: object) -> None:
    """Close a response nobody will receive (a no-op for buffered ones, already closed)."""
    aclose = getattr(value, "aclose", None)
    if aclose is None or isinstance(value, BaseException):
        return
    with contextlib.suppress(Exception):  # best effort while another error propagates
        await aclose()


def spread(callback: Callable[..., _R], /) -> Callable[[Iterable[Any]], _R]:
    """``spread(fn)([a, b])`` calls ``fn(a, b)``: unpack a list of results into arguments."""

    def spreader(values: Iterable[Any], /) -> _R:
        return callback(*values)

    name = getattr(callback, "__qualname__", None) or type(callback).__name__
    spreader.__name__ = spreader.__qualname__ = f"spread({name})"
    spreader.__doc__ = f"Call {name} with the items of a sequence as positional arguments."
    return spreader
