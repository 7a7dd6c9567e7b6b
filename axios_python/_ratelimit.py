"""A token bucket for ``max_rate``: how long to wait after moving some bytes.

Sans-I/O: the bucket only does arithmetic on a clock; the transfer layer sleeps. It never
holds data, so a capped transfer reads (or writes) later rather than buffering ahead, and
memory stays flat.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

__all__ = ["TokenBucket"]

BURST_SECONDS: Final = 0.05
"""The bucket holds at most this many seconds of credit: enough to absorb a late wake-up
from ``sleep`` without losing rate, too little to allow a burst after an idle spell."""


class TokenBucket:
    """``rate`` bytes per second on average, borrowing when a chunk is larger than the credit.

    A chunk may exceed the credit (a read returns what the socket had); the debt is paid by
    waiting, so over any long transfer the rate converges on ``rate``.
    """

    __slots__ = ("_capacity", "_clock", "_last", "_tokens", "rate")

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self._capacity = self.rate * BURST_SECONDS
        self._tokens = 0.0  # no credit at the start: even a short transfer keeps to the rate
        self._clock = clock
        self._last = clock()

    def spend(self, count: int) -> float:
        """Take ``count`` bytes' worth of credit; the seconds to wait before the next transfer."""
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= count
        return -self._tokens / self.rate if self._tokens < 0 else 0.0

    def slice_size(self, largest: int) -> int:
        """A write size that keeps pauses short at low rates (about 50 ms of data, >= 1 KiB)."""
        return max(1024, min(largest, int(self.rate * BURST_SECONDS)))
