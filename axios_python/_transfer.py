"""Progress callbacks and ``max_rate`` applied to the bytes of one request, both directions.

``TransferOptions`` is the checked form of ``on_upload_progress``, ``on_download_progress``
and ``max_rate``; it is None when none is set, so plain requests take no extra step. A
``Meter`` drives one direction: it feeds the sans-I/O ``ProgressMeter`` and ``TokenBucket``
and does the only I/O-ish things, calling the callback and waiting (``step`` sync,
``astep`` async). Downloads are metered in ``Response``'s wire loop; uploads by wrapping the
request's byte stream (``meter_upload``), whatever the body kind (bytes, file, iterator,
multipart).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

import httpx

from ._cancel import CancelToken, asleep, sleep
from ._deadline import Deadline
from ._decoders import slices
from ._exceptions import DeadlineExceeded, InvalidOptionError
from ._progress import ProgressEvent, ProgressMeter
from ._ratelimit import TokenBucket

__all__ = ["Meter", "ProgressCallback", "TransferOptions", "meter_upload", "parse_transfer"]

ProgressCallback = Callable[[ProgressEvent], Any]

UPLOAD_SLICE: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class TransferOptions:
    on_upload_progress: ProgressCallback | None = None
    on_download_progress: ProgressCallback | None = None
    upload_rate: float | None = None
    download_rate: float | None = None

    @property
    def meters_upload(self) -> bool:
        return self.on_upload_progress is not None or self.upload_rate is not None

    @property
    def meters_download(self) -> bool:
        return self.on_download_progress is not None or self.download_rate is not None


def _rate(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise InvalidOptionError(f"{what} must be a positive number of bytes per second or None")
    if value == float("inf"):
        return None
    return float(value)


def parse_rates(max_rate: Any) -> tuple[float | None, float | None]:
    """``max_rate``: one number for both directions, or ``(upload, download)`` as axios."""
    if isinstance(max_rate, (list, tuple)):
        if len(max_rate) != 2:
            raise InvalidOptionError(
                f"max_rate as a pair is (upload, download) bytes/s, got {max_rate!r}"
            )
        return _rate(max_rate[0], "max_rate[0] (upload)"), _rate(max_rate[1], "max_rate[1]")
    rate = _rate(max_rate, f"max_rate (got {max_rate!r})")
    return rate, rate


def _callback(value: Any, name: str) -> ProgressCallback | None:
    if value is not None and not callable(value):
        raise InvalidOptionError(f"{name} must be a function(event) or None, got {value!r}")
    return cast("ProgressCallback | None", value)


def parse_transfer(config: Mapping[str, Any]) -> TransferOptions | None:
    """The checked transfer options of a config; None when it asks for none (the fast path)."""
    upload = config.get("on_upload_progress")
    download = config.get("on_download_progress")
    max_rate = config.get("max_rate")
    if upload is None and download is None and max_rate is None:
        return None
    upload_rate, download_rate = parse_rates(max_rate)
    return TransferOptions(
        on_upload_progress=_callback(upload, "on_upload_progress"),
        on_download_progress=_callback(download, "on_download_progress"),
        upload_rate=upload_rate,
        download_rate=download_rate,
    )


class Meter:
    """One direction of one transfer: count, report when due, wait when over the rate."""

    __slots__ = ("_bucket", "_callback", "_deadline", "_meter", "_token")

    def __init__(
        self,
        callback: ProgressCallback | None,
        rate: float | None,
        total: int | None,
        *,
        upload: bool,
        deadline: Deadline,
        token: CancelToken | None,
    ) -> None:
        self._callback = callback
        self._meter = ProgressMeter(total, upload=upload) if callback is not None else None
        self._bucket = TokenBucket(rate) if rate is not None else None
        self._deadline = deadline
        self._token = token

    @classmethod
    def download(
        cls,
        options: TransferOptions,
        response: httpx.Response,
        deadline: Deadline,
        token: CancelToken | None,
    ) -> Meter:
        # A HEAD, 204 or 304 has no body whatever its Content-Length says: its total is 0.
        bodiless = response.request.method == "HEAD" or response.status_code in (204, 304)
        return cls(
            options.on_download_progress,
            options.download_rate,
            0 if bodiless else declared_length(response.headers),
            upload=False,
            deadline=deadline,
            token=token,
        )

    def slice_size(self) -> int:
        return UPLOAD_SLICE if self._bucket is None else self._bucket.slice_size(UPLOAD_SLICE)

    # -- sync ---------------------------------------------------------------------------

    def step(self, count: int) -> None:
        if self._meter is not None:
            event = self._meter.advance(count)
            if event is not None:
                self._report(event)
        if self._bucket is not None:
            delay = self._bucket.spend(count)
            if delay:
                self._pause(delay)

    def finish(self) -> None:
        if self._meter is not None:
            event = self._meter.finish()
            if event is not None:
                self._report(event)

    def _report(self, event: ProgressEvent) -> None:
        assert self._callback is not None
        result = self._callback(event)
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            raise InvalidOptionError(
                "a progress callback that must be awaited needs an async_ method "
                "(e.g. await axios_python.async_get(...)); sync calls take plain functions"
            )

    def _pause(self, delay: float) -> None:
        wait, late = self._bounded(delay)
        sleep(wait, self._token)
        if late:
            raise self._late()

    # -- async --------------------------------------------------------------------------

    async def astep(self, count: int) -> None:
        if self._meter is not None:
            event = self._meter.advance(count)
            if event is not None:
                await self._areport(event)
        if self._bucket is not None:
            delay = self._bucket.spend(count)
            if delay:
                await self._apause(delay)

    async def afinish(self) -> None:
        if self._meter is not None:
            event = self._meter.finish()
            if event is not None:
                await self._areport(event)

    async def _areport(self, event: ProgressEvent) -> None:
        assert self._callback is not None
        result = self._callback(event)
        if inspect.isawaitable(result):
            await result

    async def _apause(self, delay: float) -> None:
        wait, late = self._bounded(delay)
        await asleep(wait, self._token)
        if late:
            raise self._late()

    # -- shared -------------------------------------------------------------------------

    def _bounded(self, delay: float) -> tuple[float, bool]:
        """Never wait past the total deadline: wait until it, then fail."""
        remaining = self._deadline.remaining()
        if remaining is not None and remaining < delay:
            return remaining, True
        return delay, False

    def _late(self) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"total timeout of {self._deadline.total:g} s exceeded while pacing to max_rate"
        )


def declared_length(headers: httpx.Headers) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class _MeteredStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A request body that reports and paces what was written; each iteration starts afresh
    (httpx replays a body on a 307/308 redirect)."""

    def __init__(
        self,
        inner: httpx.SyncByteStream | httpx.AsyncByteStream,
        options: TransferOptions,
        total: int | None,
        deadline: Deadline,
        token: CancelToken | None,
    ) -> None:
        self._inner = inner
        self._options = options
        self._total = total
        self._deadline = deadline
        self._token = token

    def _meter(self) -> Meter:
        options = self._options
        return Meter(
            options.on_upload_progress,
            options.upload_rate,
            self._total,
            upload=True,
            deadline=self._deadline,
            token=self._token,
        )

    def __iter__(self) -> Iterator[bytes]:
        meter = self._meter()
        size = meter.slice_size()
        for chunk in self._inner:  # type: ignore[union-attr]
            for piece in slices(chunk, size) if chunk else ():
                yield piece  # written once control comes back here
                meter.step(len(piece))
        meter.finish()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        meter = self._meter()
        size = meter.slice_size()
        async for chunk in self._inner:  # type: ignore[union-attr]
            for piece in slices(chunk, size) if chunk else ():
                yield piece
                await meter.astep(len(piece))
        await meter.afinish()

    def close(self) -> None:
        if isinstance(self._inner, httpx.SyncByteStream):
            self._inner.close()

    async def aclose(self) -> None:
        if isinstance(self._inner, httpx.AsyncByteStream):
            await self._inner.aclose()


def meter_upload(
    request: httpx.Request,
    options: TransferOptions,
    deadline: Deadline,
    token: CancelToken | None,
) -> None:
    """Wrap ``request``'s body so that writing it reports progress and keeps to the rate.

    A request without a body (no Content-Length, or 0, and not chunked) has nothing to meter.
    """
    headers = request.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return
    request.stream = _MeteredStream(
        request.stream, options, declared_length(request.headers), deadline, token
    )
