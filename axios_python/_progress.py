"""Progress events with axios's fields, at most one every 100 ms plus one at the end.

``ProgressMeter`` is sans-I/O: it counts bytes and says when an event is due, at a cost of
one addition and one clock read per chunk, so a callback's cost never scales with the number
of chunks. The I/O layers (``_transfer``) decide how to call the callback.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Final

__all__ = ["ProgressEvent", "ProgressMeter"]

INTERVAL: Final = 0.1
"""Seconds between two events (axios throttles the same way)."""

RATE_WINDOW: Final = 1.0
"""The rate is averaged over about this many seconds of recent events."""


@dataclasses.dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One progress report, named as axios names them.

    ``progress`` and ``estimated`` are None when the total is unknown (no Content-Length);
    ``bytes`` counts what moved since the previous event; ``rate`` is bytes per second over
    the last second or so.
    """

    loaded: int
    total: int | None
    progress: float | None
    bytes: int
    rate: float | None
    estimated: float | None
    download: bool
    upload: bool

    @property
    def length_computable(self) -> bool:
        """axios's ``lengthComputable``: whether ``total`` is known."""
        return self.total is not None

    def shifted(self, offset: int) -> ProgressEvent:
        """This event as part of a transfer that already had ``offset`` bytes (a resumed
        download reports the whole file, not just the range being fetched)."""
        if not offset:
            return self
        loaded = self.loaded + offset
        total = None if self.total is None else self.total + offset
        progress = None if not total else min(loaded / total, 1.0)
        return dataclasses.replace(self, loaded=loaded, total=total, progress=progress)

    def __getitem__(self, name: str) -> Any:
        """``event["loaded"]`` as well as ``event.loaded``, for code ported from axios."""
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None


class ProgressMeter:
    """Counts the bytes of one transfer direction and builds events when they are due."""

    __slots__ = (
        "_clock",
        "_finished",
        "_next_at",
        "_reported",
        "_samples",
        "loaded",
        "total",
        "upload",
    )

    def __init__(
        self,
        total: int | None,
        *,
        upload: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.loaded = 0
        self._clock = clock
        start = clock()
        self._next_at = start + INTERVAL
        self._reported = 0
        self._samples: deque[tuple[float, int]] = deque([(start, 0)])
        self._finished = False
        self.upload = upload

    def advance(self, count: int) -> ProgressEvent | None:
        """Count ``count`` more bytes; return an event if 100 ms passed since the last."""
        self.loaded += count
        now = self._clock()
        if now < self._next_at:
            return None
        return self._event(now)

    def finish(self) -> ProgressEvent | None:
        """The final event, exactly once (None if it was already given)."""
        if self._finished:
            return None
        self._finished = True
        return self._event(self._clock())

    def _event(self, now: float) -> ProgressEvent:
        self._next_at = now + INTERVAL
        samples = self._samples
        while len(samples) > 1 and now - samples[0][0] > RATE_WINDOW:
            samples.popleft()
        since, loaded_then = samples[0]
        elapsed = now - since
        rate = (self.loaded - loaded_then) / elapsed if elapsed > 0 else None
        samples.append((now, self.loaded))
        total = self.total
        progress = estimated = None
        if total is not None and total > 0:
            progress = min(self.loaded / total, 1.0)
            if rate:
                estimated = max(total - self.loaded, 0) / rate
        elif total == 0:
            progress = 1.0
        moved = self.loaded - self._reported
        self._reported = self.loaded
        return ProgressEvent(
            loaded=self.loaded,
            total=total,
            progress=progress,
            bytes=moved,
            rate=rate,
            estimated=estimated,
            download=not self.upload,
            upload=self.upload,
        )
