"""Interceptors and middleware: the axios layer around every request.

The order a call goes through (also in docs/interceptors.md):

1. request interceptors, the most recently added first (as axios);
2. middleware, the first added outermost (as Express / Koa);
3. the dispatch: prepare the config, send (with retries), read or hand over the stream;
4. response interceptors, in the order they were added; an error from any earlier step goes
   to their ``on_rejected`` handlers instead, which may recover by returning a Response.

Each chain is walked by one pure function per flavour (sync, async); handlers that fail
with something other than an ``AxiosError`` surface as ``InterceptorError``.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._exceptions import AxiosError, InterceptorError

__all__ = [
    "Context",
    "InterceptorManager",
    "Interceptors",
    "run_chain",
    "request_config",
    "run_chain_async",
]

Handler = Callable[[Any], Any]


@dataclass
class _Registered:
    fulfilled: Handler | None
    rejected: Handler | None
    is_async: bool = False  # either handler is a coroutine function: decided once, at use()


class InterceptorManager:
    """One list of handlers (``api.interceptors.request`` or ``.response``)."""

    def __init__(self) -> None:
        self._handlers: dict[int, _Registered] = {}
        self._next_id = 0
        self._lock = threading.Lock()

    def use(self, on_fulfilled: Handler | None = None, on_rejected: Handler | None = None) -> int:
        """Add a handler pair; returns the id that ``eject`` takes."""
        for handler in (on_fulfilled, on_rejected):
            if handler is not None and not callable(handler):
                raise TypeError(f"interceptor handlers must be callable, got {handler!r}")
        with self._lock:
            key = self._next_id
            self._next_id += 1
            is_async = any(h is not None and _is_async(h) for h in (on_fulfilled, on_rejected))
            self._handlers[key] = _Registered(on_fulfilled, on_rejected, is_async)
        return key

    def eject(self, key: int) -> None:
        """Remove the handler pair ``use`` returned ``key`` for; an unknown id is ignored."""
        with self._lock:
            self._handlers.pop(key, None)

    def clear(self) -> None:
        """Remove every handler pair."""
        with self._lock:
            self._handlers.clear()

    def handlers(self) -> list[_Registered]:
        with self._lock:
            return list(self._handlers.values())

    def __len__(self) -> int:
        return len(self._handlers)


class Interceptors:
    def __init__(self) -> None:
        self.request = InterceptorManager()
        self.response = InterceptorManager()

    def copy_into(self, other: Interceptors) -> None:
        for mine, theirs in ((self.request, other.request), (self.response, other.response)):
            for registered in mine.handlers():
                theirs.use(registered.fulfilled, registered.rejected)


def _is_async(handler: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - objects with an async __call__
    )


def _sync_only(handler: Handler, what: str) -> None:
    if _is_async(handler):
        raise InterceptorError(
            f"the {what} {getattr(handler, '__name__', handler)!r} is async: it can only run "
            "for async calls (async_get, ...); register a plain function for sync calls"
        )


def request_config(value: Any) -> dict[str, Any]:
    """What a request chain returned must still be a config."""
    if not isinstance(value, dict):
        raise InterceptorError(
            f"a request interceptor returned {type(value).__name__}, not the config dict"
        )
    return value


def _failed(exc: BaseException) -> BaseException:
    """Errors of ours pass through a chain as they are; anything else is a handler bug."""
    if isinstance(exc, AxiosError):
        return exc
    error = InterceptorError(f"an interceptor failed: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def run_chain(handlers: list[_Registered], value: Any, error: BaseException | None = None) -> Any:
    """Walk a chain as axios's promise chain does: each step may fail, the next may recover."""
    for registered in handlers:
        handler = registered.rejected if error is not None else registered.fulfilled
        if handler is None:
            continue
        if registered.is_async:
            _sync_only(handler, "interceptor")
        try:
            result = handler(error if error is not None else value)
        except Exception as exc:
            error = _failed(exc)
            continue
        value, error = (value if result is None else result), None
    if error is not None:
        raise error
    return value


async def run_chain_async(
    handlers: list[_Registered], value: Any, error: BaseException | None = None
) -> Any:
    for registered in handlers:
        handler = registered.rejected if error is not None else registered.fulfilled
        if handler is None:
            continue
        try:
            result = handler(error if error is not None else value)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            error = _failed(exc)
            continue
        value, error = (value if result is None else result), None
    if error is not None:
        raise error
    return value


@dataclass
class Context:
    """What a middleware sees: the config about to be sent, and room for its own state."""

    config: dict[str, Any]
    is_async: bool
    state: dict[str, Any] = field(default_factory=dict)

    # axios-python 0.2.0 handed middleware the config dict itself: ctx.get("url"), ctx["headers"]
    def get(self, key: str, default: Any = None) -> Any:
        """``ctx.config.get(key, default)``, as axios-python 0.2.0's context."""
        return self.config.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.config[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.config[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.config

    def _next(self, follow: Callable[[], Any]) -> Callable[..., Any]:
        """``next()``, or 0.2.0's ``next(ctx)`` (a new config dict replaces the current one)."""

        def call_next(updated: Any = None) -> Any:
            if isinstance(updated, Mapping) and updated is not self.config:
                self.config = dict(updated)
            return follow()

        return call_next


Middleware = Callable[[Context, Callable[[], Any]], Any]


def _pick(middleware: Any, is_async: bool) -> Middleware:
    """A middleware may serve both kinds of call by carrying ``sync`` and ``async_``."""
    chosen = getattr(middleware, "async_" if is_async else "sync", None)
    if chosen is not None:
        return chosen  # type: ignore[no-any-return]
    return middleware  # type: ignore[no-any-return]


async def _ready(value: Any) -> Any:
    return value


def _run_without_loop(middleware: Any, awaitable: Any) -> Any:
    """Drive an ``async def`` middleware in a sync call, as 0.2.0 did, but with no event loop:
    that works while it awaits only ``next`` (and ``asyncio.sleep(0)``)."""
    steps = awaitable.__await__()
    try:
        while True:
            if steps.send(None) is not None:  # a future: real async I/O needs a loop
                break
    except StopIteration as done:
        return done.value
    steps.close()
    raise InterceptorError(
        f"the async middleware {getattr(middleware, '__name__', middleware)!r} awaited async "
        "I/O during a sync call: use the async_ methods, or give it a `sync` twin"
    )


def compose(middlewares: list[Any], context: Context, dispatch: Callable[[Context], Any]) -> Any:
    """Run sync middleware around ``dispatch``; the first added is the outermost."""

    def call(index: int) -> Any:
        if index == len(middlewares):
            return dispatch(context)
        middleware = _pick(middlewares[index], False)
        if not _is_async(middleware):
            return middleware(context, context._next(lambda: call(index + 1)))
        follow = context._next(lambda: _ready(call(index + 1)))
        return _run_without_loop(middleware, middleware(context, follow))

    return call(0)


async def compose_async(
    middlewares: list[Any], context: Context, dispatch: Callable[[Context], Awaitable[Any]]
) -> Any:
    async def call(index: int) -> Any:
        if index == len(middlewares):
            return await dispatch(context)
        middleware = _pick(middlewares[index], True)
        result = middleware(context, context._next(lambda: call(index + 1)))
        return await result if inspect.isawaitable(result) else result

    return await call(0)
