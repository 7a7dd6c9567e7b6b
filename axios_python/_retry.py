"""Retry: strategies (how long to wait) and the policy (whether to try again). No I/O.

The loops that sleep live in ``_client``: in sync code a cancellable wait on the token (plain
``time.sleep`` without one), in async code ``asyncio.sleep``, so the event loop never blocks.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ._exceptions import (
    AxiosError,
    DeadlineExceeded,
    InvalidOptionError,
    NetworkError,
    RetryError,
    SSLError,
    TimeoutError,
)

__all__ = [
    "ExponentialBackoff",
    "FixedDelay",
    "LinearBackoff",
    "RetryPolicy",
    "RetryStrategy",
    "parse_retry_after",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_ERRORS: tuple[type[AxiosError], ...] = (NetworkError, TimeoutError)


@runtime_checkable
class RetryStrategy(Protocol):
    """How long to wait before retry number ``attempt`` (1 for the first retry)."""

    max_delay: float

    def get_delay(self, attempt: int) -> float: ...


@dataclass
class FixedDelay:
    """The same ``delay`` before every retry (capped at ``max_delay``)."""

    delay: float = 1.0
    max_delay: float = 60.0

    def get_delay(self, attempt: int) -> float:
        return min(self.delay, self.max_delay)


@dataclass
class LinearBackoff:
    """``base + increment * (attempt - 1)`` seconds (increment defaults to base: 1, 2, 3...)."""

    base: float = 1.0
    increment: float | None = None
    max_delay: float = 30.0

    def get_delay(self, attempt: int) -> float:
        step = self.base if self.increment is None else self.increment
        return min(self.base + step * (attempt - 1), self.max_delay)


@dataclass
class ExponentialBackoff:
    """``base * factor ** (attempt - 1)``, capped; ``jitter`` draws uniformly below that."""

    base: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: bool = False
    multiplier: float | None = None  # axios-python 0.2.0's name for factor

    def __post_init__(self) -> None:
        if self.multiplier is not None:
            self.factor = self.multiplier

    def get_delay(self, attempt: int) -> float:
        delay = min(self.base * self.factor ** (attempt - 1), self.max_delay)
        return random.uniform(0, delay) if self.jitter else delay


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


RetryOn = Callable[[Any], bool]


class RetryPolicy:
    """Whether an outcome (an error or a Response) deserves another attempt, and when."""

    def __init__(
        self,
        max_retries: int,
        strategy: RetryStrategy | None,
        retry_on: Any,
        method: str,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidOptionError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        if strategy is not None and not isinstance(strategy, RetryStrategy):
            raise InvalidOptionError(
                f"retry_strategy must have get_delay(attempt) and max_delay, got {strategy!r}"
            )
        self.max_retries = max_retries
        self.strategy: RetryStrategy = strategy or ExponentialBackoff()
        self.method = method
        self._predicate: RetryOn | None = None
        self._errors: tuple[type[BaseException], ...] = RETRY_ERRORS
        self._statuses: frozenset[int] = RETRY_STATUSES
        self._custom = retry_on is not None
        if callable(retry_on) and not isinstance(retry_on, type):
            self._predicate = retry_on
        elif retry_on is not None:
            items = list(retry_on) if isinstance(retry_on, Iterable) else [retry_on]
            errors = [item for item in items if isinstance(item, type)]
            statuses = [item for item in items if isinstance(item, int)]
            if len(errors) + len(statuses) != len(items) or not all(
                issubclass(error, BaseException) for error in errors
            ):
                raise InvalidOptionError(
                    "retry_on takes exception types, status codes, or a predicate, "
                    f"got {retry_on!r}"
                )
            self._errors = tuple(errors)
            self._statuses = frozenset(statuses)

    def retryable(self, outcome: Any, *, before_body: bool = True) -> bool:
        """Whether ``outcome`` (the error raised, or the Response received) deserves a retry."""
        if self._predicate is not None:
            # 0.2.0's predicates took exceptions only: never ask one about a success.
            if not isinstance(outcome, BaseException) and outcome.status_code < 400:
                return False
            return bool(self._predicate(outcome))
        if not self._custom and self.method not in IDEMPOTENT_METHODS:
            return False
        if isinstance(outcome, BaseException):
            if isinstance(outcome, DeadlineExceeded):
                return False  # the total bounds every attempt: nothing is left to retry with
            if isinstance(outcome, SSLError) and SSLError not in self._errors:
                return False  # a certificate that failed will fail again, unless asked
            return before_body and isinstance(outcome, self._errors)
        return int(getattr(outcome, "status_code", 0)) in self._statuses

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """The wait before retry ``attempt``; ``Retry-After`` wins, capped at the max delay."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.strategy.max_delay)
        return max(0.0, self.strategy.get_delay(attempt))

    @staticmethod
    def exhausted(last: BaseException, attempts: int) -> RetryError:
        error = RetryError(
            f"gave up after {attempts} attempts: {last}",
            last_exception=last,
            attempts=attempts,
        )
        if isinstance(last, AxiosError):
            error.config, error.request, error.response = last.config, last.request, last.response
        return error
