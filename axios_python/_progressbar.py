"""``progress=True``: a progress bar on a terminal, plain periodic lines anywhere else.

tqdm draws the bar when it is installed (``pip install 'axios-python[progress]'``), rich when
that is installed instead. Without either, or when stderr is not a terminal (CI logs, a
pipe), a line every few seconds plus a last one keeps logs readable.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Protocol, TextIO

from ._exceptions import InvalidOptionError
from ._progress import ProgressEvent

__all__ = [
    "ProgressDisplay",
    "describe",
    "download_progress",
    "human_size",
    "progress_display",
]

LINE_INTERVAL: Final = 2.0
"""Seconds between two plain progress lines."""


class ProgressDisplay(Protocol):
    def __call__(self, event: ProgressEvent) -> None: ...

    def close(self) -> None: ...


def human_size(count: float, byte_word: str = "B") -> str:
    """``293.0 KiB``, ``1.5 GiB``, ``512 B`` (or ``512 bytes``): one decimal from KiB up."""
    if count < 1024:
        return f"{count:.0f} {byte_word}"
    for unit in ("KiB", "MiB", "GiB"):
        count /= 1024
        if count < 1024 or unit == "GiB":
            break
    return f"{count:.1f} {unit}"


def describe(label: str, event: ProgressEvent) -> str:
    """One human line: ``big.iso: 12.0 MiB of 64.0 MiB (18.8%), 8.0 MiB/s, 6 s left``."""
    done = human_size(event.loaded)
    if event.total is not None and event.progress is not None:
        done += f" of {human_size(event.total)} ({event.progress:.1%})"
    parts = [f"{label}: {done}"]
    if event.rate:
        parts.append(f"{human_size(event.rate)}/s")
    if event.estimated is not None and event.progress != 1.0:
        parts.append(f"{event.estimated:.0f} s left")
    return ", ".join(parts)


class _Lines:
    """Plain lines, at most one every ``LINE_INTERVAL`` seconds, and always the last one."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self._label = label
        self._stream = stream
        self._next_at = 0.0
        self._last: ProgressEvent | None = None
        self._printed: ProgressEvent | None = None

    def __call__(self, event: ProgressEvent) -> None:
        self._last = event
        now = time.monotonic()
        if now >= self._next_at:
            self._next_at = now + LINE_INTERVAL
            self._print(event)

    def _print(self, event: ProgressEvent) -> None:
        self._printed = event
        print(describe(self._label, event), file=self._stream, flush=True)

    def close(self) -> None:
        if self._last is not None and self._last is not self._printed:
            self._print(self._last)


class _Tqdm:
    def __init__(self, label: str, stream: TextIO) -> None:
        self._label = label
        self._stream = stream
        self._bar: Any = None

    def __call__(self, event: ProgressEvent) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=event.total,
                desc=self._label,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=self._stream,
                leave=True,
            )
        # Absolute, not incremental: a resumed or restarted download moves the bar correctly.
        self._bar.total = event.total
        self._bar.n = event.loaded
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _Rich:
    def __init__(self, label: str, stream: TextIO) -> None:
        self._label = label
        self._stream = stream
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, event: ProgressEvent) -> None:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(
                "{task.description}",
                BarColumn(),
                DownloadColumn(binary_units=True),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self._stream),
            )
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=event.total)
        self._progress.update(self._task, completed=event.loaded, total=event.total)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def progress_display(label: str, stream: TextIO | None = None) -> ProgressDisplay:
    """The best display this environment offers for a transfer named ``label``."""
    out = stream if stream is not None else sys.stderr
    interactive = hasattr(out, "isatty") and out.isatty()
    if interactive and _installed("tqdm"):
        return _Tqdm(label, out)
    if interactive and _installed("rich"):
        return _Rich(label, out)
    return _Lines(label, out)


def _with_display(
    callback: Callable[[ProgressEvent], Any] | None, display: ProgressDisplay
) -> Callable[[ProgressEvent], Any]:
    if callback is None:
        return display

    def both(event: ProgressEvent) -> Any:
        display(event)
        return callback(event)  # returned, so that an async callback is still awaited

    return both


@contextmanager
def download_progress(
    options: Mapping[str, Any], dest: str | os.PathLike[str], progress: bool
) -> Iterator[dict[str, Any]]:
    """A download's options with the progress display chained before the caller's own
    ``on_download_progress``; the display is closed (its last line drawn) at the end."""
    if not isinstance(progress, bool):
        raise InvalidOptionError(f"progress must be True or False, got {progress!r}")
    if not progress:
        yield dict(options)
        return
    display = progress_display(Path(dest).name)
    try:
        callback = options.get("on_download_progress")
        yield {**options, "on_download_progress": _with_display(callback, display)}
    finally:
        display.close()
