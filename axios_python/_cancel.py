"""Cancellation: axios's ``CancelToken`` and the web's ``AbortController`` / ``AbortSignal``.

A token is thread-safe: any thread or task may cancel it, the first reason wins, and each
callback fires exactly once. Requests watch their token while waiting for the server and
while the caller iterates the body (``_deadline`` polls it in sync code; the async twin
races each wait against it), so a cancel ends the call with ``CancelError`` promptly and
releases the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ._exceptions import CancelError

__all__ = [
    "AbortController",
    "AbortSignal",
    "CancelToken",
    "as_token",
    "asleep",
    "race_cancel",
    "run_to_completion",
    "sleep",
]

_T = TypeVar("_T")

CANCEL_POLL_SECONDS = 0.1
"""How often a blocked sync wait looks at its token: the bound on cancellation latency."""


def _takes_no_reason(callback: Callable[..., Any]) -> bool:
    try:
        inspect.signature(callback).bind(None)
    except TypeError:
        return True
    except ValueError:  # no signature to inspect: assume the documented form
        return False
    return False


class CancelToken:
    """``token.cancel("why")`` from anywhere ends the requests that carry ``cancel_token=token``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._reason: str | None = None
        self._callbacks: dict[int, Callable[[str | None], Any]] = {}
        self._next_id = 0

    @classmethod
    def source(cls) -> tuple[CancelToken, Callable[[str | None], None]]:
        """axios's ``CancelToken.source()``: the token and its ``cancel`` function."""
        token = cls()
        return token, token.cancel

    @property
    def is_cancelled(self) -> bool:
        """True once ``cancel()`` has been called."""
        return self._event.is_set()

    @property
    def reason(self) -> str | None:
        return self._reason

    def cancel(self, reason: str | None = None) -> None:
        """Cancel; later calls change nothing (the first reason wins)."""
        with self._lock:
            if self._event.is_set():
                return
            self._reason = reason if reason is not None else "canceled"
            self._event.set()
            callbacks = list(self._callbacks.values())
            self._callbacks.clear()
        for callback in callbacks:
            # One failing callback must not keep the others (in-flight requests) from waking.
            with contextlib.suppress(Exception):
                callback(self._reason)

    def raise_if_cancelled(self) -> None:
        """Raise ``CancelError(reason)`` if cancelled; otherwise do nothing."""
        if self._event.is_set():
            raise CancelError(self._reason or "canceled")

    def on_cancel(self, callback: Callable[..., Any]) -> Callable[[], None]:
        """Call ``callback(reason)`` once, on cancel (at once if already cancelled).

        Returns a function that unregisters the callback.
        """
        if _takes_no_reason(callback):  # axios-python 0.2.0 called callback()
            plain = callback
            callback = lambda _reason: plain()  # noqa: E731
        with self._lock:
            if not self._event.is_set():
                key = self._next_id
                self._next_id += 1
                self._callbacks[key] = callback
                return lambda: self._callbacks.pop(key, None) and None
        callback(self._reason)
        return lambda: None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout``; True if cancelled (a cancellable sleep)."""
        return self._event.wait(timeout)

    def __repr__(self) -> str:
        state = f"cancelled: {self._reason!r}" if self.is_cancelled else "active"
        return f"<CancelToken {state}>"


class AbortSignal:
    """The read side of an ``AbortController`` (``signal=controller.signal``)."""

    def __init__(self, token: CancelToken) -> None:
        self._token = token

    @property
    def aborted(self) -> bool:
        """True once the controller's ``abort()`` has been called."""
        return self._token.is_cancelled

    @property
    def reason(self) -> str | None:
        return self._token.reason

    def throw_if_aborted(self) -> None:
        """Raise ``CancelError(reason)`` if aborted; otherwise do nothing."""
        self._token.raise_if_cancelled()

    @property
    def token(self) -> CancelToken:
        """The ``CancelToken`` underneath."""
        return self._token


class AbortController:
    """axios's (and the web's) ``AbortController``: ``controller.abort()`` cancels ``signal``."""

    def __init__(self) -> None:
        self._token = CancelToken()
        self.signal = AbortSignal(self._token)

    def abort(self, reason: str | None = None) -> None:
        """Abort every call given ``signal``; the default reason is ``"aborted"``."""
        self._token.cancel(reason if reason is not None else "aborted")


def as_token(cancel_token: Any, signal: Any) -> CancelToken | None:
    """The one token a request watches, from ``cancel_token=`` and/or ``signal=``."""
    tokens = []
    for value in (cancel_token, signal):
        if value is None:
            continue
        if isinstance(value, AbortSignal):
            value = value.token
        if not isinstance(value, CancelToken):
            from ._exceptions import InvalidOptionError

            raise InvalidOptionError(
                f"cancel_token= takes a CancelToken and signal= an AbortSignal, got {value!r}"
            )
        tokens.append(value)
    if not tokens:
        return None
    if len(tokens) == 1:
        return tokens[0]
    return _either(tokens)


def _either(tokens: list[CancelToken]) -> CancelToken:
    """A token cancelled by any of ``tokens``, that leaves nothing behind on them.

    The given tokens are often long-lived (one AbortController for a whole app): they hold
    only a weak link to the per-request token, and their callback is unregistered as soon as
    the request's token is garbage, so thousands of calls do not pile up callbacks.
    """
    either = CancelToken()
    link = weakref.ref(either)

    def relay(reason: str | None) -> None:
        target = link()
        if target is not None:
            target.cancel(reason)

    for token in tokens:
        weakref.finalize(either, token.on_cancel(relay))
    return either


async def race_cancel(token: CancelToken, awaitable: Awaitable[_T]) -> _T:
    """Await ``awaitable`` unless ``token`` is cancelled first (from any thread or task)."""
    if token.is_cancelled:
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never started: close it so Python does not warn
        token.raise_if_cancelled()
    loop = asyncio.get_running_loop()
    cancelled: asyncio.Future[None] = loop.create_future()

    def wake(_reason: str | None) -> None:
        def settle() -> None:
            if not cancelled.done():
                cancelled.set_result(None)

        loop.call_soon_threadsafe(settle)

    unregister = token.on_cancel(wake)
    work = asyncio.ensure_future(awaitable)
    waiters: set[asyncio.Future[Any]] = {work, cancelled}
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        work.cancel()
        raise
    finally:
        unregister()
    if work.done():
        cancelled.cancel()
        return work.result()
    work.cancel()
    with contextlib.suppress(BaseException):  # the cancelled wait's own error is moot
        await work
    raise CancelError(token.reason or "canceled")


def sleep(seconds: float, token: CancelToken | None) -> None:
    """Sleep ``seconds`` (a retry's back-off, a rate limit's pause), cut short by ``token``
    with ``CancelError``."""
    if seconds <= 0:
        return
    if token is None:
        time.sleep(seconds)
    elif token.wait(seconds):
        token.raise_if_cancelled()


async def asleep(seconds: float, token: CancelToken | None) -> None:
    """The async twin of ``sleep``: the event loop runs other tasks meanwhile."""
    if seconds <= 0:
        return
    if token is None:
        await asyncio.sleep(seconds)
    else:
        await race_cancel(token, asyncio.sleep(seconds))


async def run_to_completion(awaitable: Awaitable[_T]) -> _T:
    """Await ``awaitable`` in a task of its own that cancelling the caller cannot cut short.

    For work that must not stop half way (closing a connection, a file write, a lock): if
    the caller is cancelled meanwhile, the work still finishes, then the cancellation goes on.
    """
    task = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise
