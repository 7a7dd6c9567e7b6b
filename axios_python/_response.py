"""The Response: axios and requests names side by side, and a body you can stream safely.

A body flows wire -> ``_BodyPipeline`` (deadline check, decompression, size limit) ->
chunker / text decoder / line splitter, all sans-I/O pieces from ``_decoders``. The sync and
async iterators below are thin loops over the same pipeline; only the source of wire chunks
(``iter_raw`` vs ``aiter_raw``) and the way to close differ.
"""

from __future__ import annotations

import datetime
import io
import json as jsonlib
import os
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar, cast, overload

import httpx

from ._cancel import CancelToken, run_to_completion
from ._deadline import (
    Deadline,
    Watch,
    arm_sync,
    deadline_scope,
    shutdown_socket_of,
    watched,
)
from ._decoders import (
    ByteChunker,
    ContentDecoder,
    IdentityDecoder,
    LineSplitter,
    SizeLimit,
    TextChunker,
    TextDecoder,
    check_chunk_size,
    decoder_for,
)
from ._direct import BOUND_STREAMS, close_at_once, has_header
from ._events import JSONLinesDecoder, ServerSentEvent, SSEDecoder
from ._exceptions import (
    AxiosError,
    DeadlineExceeded,
    HTTPStatusError,
    JSONDecodeError,
    ResponseNotRead,
    StreamClosed,
    StreamConsumed,
    StreamError,
    is_from_below,
    map_exception,
)
from ._transfer import Meter

if TYPE_CHECKING:
    from ._config import Prepared
    from ._download import DownloadResult

__all__ = ["Response"]

_E = TypeVar("_E", bound=AxiosError)
_NO_DATA: Any = object()

_JSON_TYPES = ("application/json", "application/problem+json")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or media.endswith("+json")


class _BodyPipeline:
    """Wire bytes in, decoded bytes out: deadline, decompression, size limit and the re-cut
    into ``chunk_size`` pieces in one place (one generator frame per piece, not one per
    stage: in the async hot loop each frame is a resumption per piece)."""

    __slots__ = ("_chunker", "_deadline", "_decoder", "_fast", "_limit", "is_passthrough")

    def __init__(
        self,
        decoder: ContentDecoder,
        limit: SizeLimit,
        deadline: Deadline,
        chunk_size: int | None = None,
    ) -> None:
        self._decoder = decoder
        self._limit = limit
        self._deadline = deadline
        self._chunker = None if chunk_size is None else ByteChunker(chunk_size)
        self.is_passthrough = isinstance(decoder, IdentityDecoder) and limit.limit is None
        self._fast = self.is_passthrough and deadline.at is None

    @property
    def is_unchanged(self) -> bool:
        """Bytes off the wire come out as they are, in the same pieces."""
        return self.is_passthrough and self._chunker is None

    def feed(self, raw: bytes) -> Iterable[bytes]:
        if self._fast:
            if self._chunker is not None:
                return self._chunker.feed(raw)
            return (raw,) if raw else ()
        return self._feed(raw)

    def _feed(self, raw: bytes) -> Iterator[bytes]:
        if self._deadline.expired():
            raise DeadlineExceeded(
                f"total timeout of {self._deadline.total:g} s exceeded while reading the body"
            )
        chunker = self._chunker
        for piece in self._decoder.feed(raw):
            self._limit.feed(piece)
            if chunker is None:
                yield piece
            else:
                yield from chunker.feed(piece)

    def flush(self) -> Iterator[bytes]:
        chunker = self._chunker
        for piece in self._decoder.flush():
            self._limit.feed(piece)
            if chunker is None:
                yield piece
            else:
                yield from chunker.feed(piece)
        if chunker is not None:
            yield from chunker.flush()


class Response:
    """An HTTP response. Buffered by default; with ``stream=True`` the body is not read yet.

    Use it as a context manager (``with`` for sync calls, ``async with`` for async ones) so
    that leaving the block, at any point, releases the connection.
    """

    def __init__(
        self,
        raw: httpx.Response | int | None = None,
        prepared: Prepared | Any = None,
        data: Any = None,
        request: Any = None,
        *,
        status_code: int | None = None,
        headers: Any = None,
        is_async: bool = False,
        deadline: Deadline | None = None,
        elapsed: datetime.timedelta | float | None = None,
    ) -> None:
        if isinstance(raw, httpx.Response):
            legacy = False
        else:  # axios-python 0.2.0: Response(status_code, headers, data, request)
            from ._compat import build_httpx_response

            raw = build_httpx_response(
                raw if status_code is None else status_code,
                prepared if headers is None else headers,
                data,
                request,
            )
            prepared, legacy = None, True
        self._raw = raw
        self._prepared = prepared
        self._is_async = is_async
        self._deadline = deadline or Deadline(None)
        self._elapsed = elapsed
        self._content: bytes | None = None
        self._data: Any = raw.extensions.get("axios_python.data", _NO_DATA)
        self._text: str | None = None
        self._encoding: str | None = None
        self._consumed = False
        self._closed = False
        if legacy:  # built in memory: already read
            self._content = raw.content
            self._consumed = self._closed = True
        self._watch: Watch | None = None
        self._history: list[Response] | None = None
        self._size_limit = SizeLimit(prepared.max_content_length if prepared else None)

    # -- metadata -------------------------------------------------------------------------

    @property
    def status(self) -> int:
        """The status code, e.g. ``200`` (axios's name; ``status_code`` is requests')."""
        return self._raw.status_code

    @property
    def status_code(self) -> int:
        """The status code, e.g. ``200``."""
        return self._raw.status_code

    @property
    def status_text(self) -> str:
        """The reason phrase, e.g. ``"OK"`` (axios's name; ``reason`` is requests')."""
        return self._raw.reason_phrase

    @property
    def reason(self) -> str:
        """The reason phrase, e.g. ``"OK"``."""
        return self._raw.reason_phrase

    @property
    def headers(self) -> httpx.Headers:
        """The headers: case-insensitive, repeated ones kept (``get_list(name)``)."""
        return self._raw.headers

    @property
    def config(self) -> dict[str, Any]:
        """The merged options the request was made with."""
        return self._prepared.config if self._prepared else {}

    @property
    def request(self) -> httpx.Request:
        """The ``httpx.Request`` that was sent."""
        return self._raw.request

    @property
    def url(self) -> str:
        """The final URL as a string, after any redirects."""
        return str(self._raw.url)

    @property
    def ok(self) -> bool:
        """True unless the status is 4xx or 5xx (requests' meaning)."""
        return self._raw.status_code < 400

    def __bool__(self) -> bool:
        return self.ok

    @property
    def elapsed(self) -> datetime.timedelta:
        """Time from sending the request until the response head arrived."""
        if self._elapsed is not None:
            if not isinstance(self._elapsed, datetime.timedelta):  # seconds, as given
                self._elapsed = datetime.timedelta(seconds=self._elapsed)
            return self._elapsed
        try:
            return self._raw.elapsed
        except RuntimeError:
            return datetime.timedelta(0)

    @property
    def history(self) -> list[Response]:
        """The redirect responses that led here, oldest first."""
        if self._history is None:
            self._history = [
                Response(item, self._prepared, is_async=self._is_async)
                for item in self._raw.history
            ]
            for item in self._history:
                item._closed = True
                item._consumed = True
                try:
                    item._content = item._raw.content
                except httpx.ResponseNotRead:
                    item._content = b""
        return self._history

    @property
    def cookies(self) -> httpx.Cookies:
        """The cookies this response set."""
        return self._raw.cookies

    @property
    def http_version(self) -> str:
        """The HTTP version, e.g. ``"HTTP/1.1"``."""
        return self._raw.http_version

    @property
    def is_redirect(self) -> bool:
        """A redirect status with a Location header (requests' and httpx's meaning)."""
        return self._raw.is_redirect

    @property
    def is_permanent_redirect(self) -> bool:
        """A redirect with status 301 or 308."""
        return self._raw.is_redirect and self._raw.status_code in (301, 308)

    @property
    def links(self) -> dict[str | None, dict[str, str]]:
        """The parsed ``Link`` header, keyed by ``rel`` (or URL)."""
        return self._raw.links

    @property
    def is_closed(self) -> bool:
        """Whether the connection has been released."""
        return self._closed

    @property
    def is_stream_consumed(self) -> bool:
        """Whether the body has been pulled off the network."""
        return self._consumed

    @property
    def encoding(self) -> str:
        """The charset for ``text``: set explicitly, else from Content-Type, else UTF-8."""
        if self._encoding is not None:
            return self._encoding
        return self._raw.charset_encoding or "utf-8"

    @encoding.setter
    def encoding(self, value: str) -> None:
        self._encoding = value
        self._text = None

    # -- the buffered body ----------------------------------------------------------------

    def _not_read(self, what: str) -> ResponseNotRead:
        if self._consumed:
            hint = "the stream was already iterated, so the body is gone"
        else:
            hint = "call r.read() (or await r.aread()) first, or iterate it with r.iter_bytes()"
        return self._attach(
            ResponseNotRead(f"{what} is not available on an unread streamed response: {hint}")
        )

    @property
    def content(self) -> bytes:
        """The body as bytes, decompressed (a streamed one must be ``read()`` first)."""
        if self._content is None:
            raise self._not_read("content")
        return self._content

    @property
    def text(self) -> str:
        """The body as str, decoded with ``encoding``; bad bytes become U+FFFD."""
        if self._text is None:
            if self._content is None:
                raise self._not_read("text")
            decoder = TextDecoder(self.encoding)
            self._text = decoder.feed(self._content) + decoder.flush()
        return self._text

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON (``kwargs`` go to ``json.loads``); else ``JSONDecodeError``."""
        if self._content is None:
            raise self._not_read("json()")
        try:
            return jsonlib.loads(self._content, **kwargs)
        except (ValueError, UnicodeDecodeError) as exc:
            raise self._attach(
                JSONDecodeError(f"the response body is not valid JSON: {exc}")
            ) from exc

    @property
    def data(self) -> Any:
        """The parsed body: JSON for JSON types, text for ``text/*``, else bytes.

        ``response_type`` ("json", "text", "bytes") forces one. A JSON content type whose
        body is not valid JSON gives the text, as axios does; an empty one gives None.
        """
        if self._data is not _NO_DATA:
            return self._data
        if self._content is None:
            raise self._not_read("data")
        kind = self._prepared.response_type if self._prepared else "auto"
        content_type = self._raw.headers.get("content-type", "")
        if kind in ("bytes", "arraybuffer"):
            return self._content
        if kind == "json" or (kind in ("auto", "stream") and _is_json(content_type)):
            if not self._content.strip():
                return None
            try:
                return jsonlib.loads(self._content)
            except (ValueError, UnicodeDecodeError) as exc:
                if kind == "json":
                    raise self._attach(
                        JSONDecodeError(f"response_type='json' but the body is not JSON: {exc}")
                    ) from exc
                return self.text
        if kind == "text" or content_type.lower().startswith("text/"):
            return self.text
        return self._content

    @data.setter
    def data(self, value: Any) -> None:
        """Replace the parsed body (what ``transform_response`` and interceptors do)."""
        self._data = value

    def raise_for_status(self) -> Response:
        """Raise ``HTTPStatusError`` for a 4xx or 5xx status; return the response otherwise."""
        if self.status_code >= 400:
            raise status_error(self)
        return self

    # -- shared stream plumbing -----------------------------------------------------------

    def _attach(self, error: _E) -> _E:
        if error.response is None:
            error.response = self
        if error.request is None:
            error.request = self._raw.request
        if error.config is None and self._prepared is not None:
            error.config = self._prepared.config
        return error

    def _start_stream(self, api: str, chunk_size: int | None = None) -> _BodyPipeline:
        """Claim the one-time right to read the body off the wire."""
        async_api = api.startswith("a")
        if async_api != self._is_async:
            kind = "an async" if self._is_async else "a sync"
            other = api[1:] if async_api else "a" + api
            raise self._attach(
                StreamError(
                    f"this response came from {kind} call; use {other}() instead of {api}()"
                )
            )
        if self._consumed:
            raise self._attach(
                StreamConsumed(
                    f"{api}(): the body was already read from the network; a streamed body can "
                    "be iterated once (call read() first to keep it in memory)"
                )
            )
        if self._closed:
            raise self._attach(
                StreamClosed(f"{api}(): the response is closed; its body can no longer be read")
            )
        self._consumed = True
        encoding = self._raw.headers.get("content-encoding")
        decoder: ContentDecoder = (
            IdentityDecoder() if api.endswith("raw") else decoder_for(encoding)
        )
        return _BodyPipeline(decoder, self._size_limit, self._deadline, chunk_size)

    def _deadline_struck(self) -> bool:
        return self._deadline.expired() or (self._watch is not None and self._watch.fired)

    def _check_ended_in_time(self) -> None:
        """A body that 'ended' because the watchdog shut the socket is not a complete body."""
        if self._watch is not None and self._watch.fired:
            raise DeadlineExceeded(
                f"total timeout of {self._deadline.total:g} s exceeded while reading the body"
            )

    def _error_from(self, exc: BaseException) -> BaseException:
        """Ours for errors from the HTTP stack; the caller's own exceptions pass unchanged."""
        if not isinstance(exc, AxiosError) and not is_from_below(exc):
            return exc
        expired = self._deadline_struck()
        if isinstance(exc, AxiosError) and (isinstance(exc, DeadlineExceeded) or not expired):
            return self._attach(exc)
        return self._attach(
            map_exception(
                exc,
                config=self.config,
                request=self._raw.request,
                response=self,
                deadline_expired=expired,
                total=self._deadline.total,
            )
        )

    def _raise_as_ours(self, exc: BaseException) -> NoReturn:
        """Re-raise a failure met while reading: ours, with the original chained."""
        error = self._error_from(exc)
        if error is exc:
            raise exc
        raise error from exc

    def _arm(self, arm: Callable[[Deadline, Callable[[], None]], Watch | None]) -> None:
        # Only a caller's own transport needs the watchdog: the pools we build cut every
        # socket wait at the deadline already (our transport reads ``current_bounds()``;
        # httpx's gets ``_deadline.clamp_socket_waits``).
        caller_transport = self._prepared is not None and self._prepared.transport is not None
        if caller_transport and self._deadline.at is not None and self._watch is None:
            action = shutdown_socket_of(self._raw.extensions)
            if action is not None:
                self._watch = arm(self._deadline, action)

    def _disarm(self) -> None:
        if self._watch is not None:
            self._watch.cancel()

    def _download_meter(self, token: CancelToken | None) -> Meter | None:
        """Progress reports and ``max_rate`` pacing for this body, if asked for."""
        transfer = getattr(self._prepared, "transfer", None)
        if transfer is None or not transfer.meters_download:
            return None
        return Meter.download(transfer, self._raw, self._deadline, token)

    def _from_memory(self, chunk_size: int | None) -> Iterator[bytes]:
        content = self._content or b""
        if chunk_size is None:
            if content:
                yield content
            return
        for start in range(0, len(content), chunk_size):
            yield content[start : start + chunk_size]

    def _check_declared_length(self) -> None:
        """Refuse a declared Content-Length over the cap before reading any of the body."""
        if self._size_limit.limit is None:
            return
        if self._raw.headers.get("content-encoding", "identity").lower() != "identity":
            return
        declared = self._raw.headers.get("content-length")
        if declared is not None and declared.isdigit():
            try:
                self._size_limit.check_declared(int(declared))
            except AxiosError as exc:
                raise self._attach(exc) from None

    # -- sync -----------------------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except GeneratorExit:
            self.close()
            raise
        except Exception as exc:
            self.close()
            self._raise_as_ours(exc)

    def _ask_for_pieces(self, pipeline: _BodyPipeline, piece_size: int | None) -> None:
        """Tell our own transport's body stream the size the body will be re-cut into, when
        its bytes pass through unchanged: it then hands over pieces of exactly that size,
        which the chunker passes on without copying them (``transports._sync``)."""
        if piece_size is None or not pipeline.is_passthrough:
            return
        stream: Any = self._wire()
        if hasattr(stream, "piece_size"):
            stream.piece_size = piece_size

    def _whole_body(self, api: str) -> bytes | None:
        """The decoded body in one go when our transport holds all of it already and nothing
        needs to watch it arrive (no deadline, cancel token or progress meter): the usual
        small response, read without the generators of ``_iter_decoded``. None when the
        body must be read the long way (which also reports a stream already read)."""
        if self._consumed or self._closed or api.startswith("a") != self._is_async:
            return None
        prepared = self._prepared
        if self._deadline.at is not None or (
            prepared is not None
            and (
                prepared.cancel_token is not None
                or (prepared.transfer is not None and prepared.transfer.meters_download)
            )
        ):
            return None
        take = getattr(self._wire(), "take_buffered_body", None)
        body: bytes | None = None if take is None else take()
        if body is None:
            return None
        self._raw.is_stream_consumed = True
        if self._size_limit.limit is None and not has_header(
            self._raw.headers, b"content-encoding"
        ):
            self._consumed = True  # as _start_stream, whose checks passed above: as it is
            return body
        pipeline = self._start_stream(api)
        if pipeline.is_unchanged:
            return body
        return b"".join([*pipeline.feed(body), *pipeline.flush()])

    def _wire(self) -> Any:
        """The transport's body stream: httpx's client binds it in a stream that only passes
        chunks through (and times the response when closed), one more frame per chunk; the
        body is read from the stream it wraps, and closed through httpx's response."""
        stream = self._raw.stream
        return stream._stream if isinstance(stream, BOUND_STREAMS) else stream

    def _iter_decoded(self, api: str, chunk_size: int | None = None) -> Iterator[bytes]:
        """Decoded body pieces (re-cut to ``chunk_size``) off the wire; the hot loop of every
        sync read.

        It reads the transport's stream directly (httpx's ``iter_raw`` would add a chunker
        and a context manager per chunk) and maps errors with a plain try, not ``_guard``.
        """
        pipeline = self._start_stream(api, chunk_size)
        self._ask_for_pieces(pipeline, chunk_size)
        try:
            self._arm(arm_sync)
            self._raw.is_stream_consumed = True
            wire = iter(cast("Iterable[bytes]", self._wire()))
            token = self._prepared.cancel_token if self._prepared else None
            meter = self._download_meter(token)
            plain = self._deadline.at is None and token is None and meter is None
            if plain and pipeline.is_unchanged:
                for raw in wire:
                    if raw:
                        yield raw
            elif plain:
                for raw in wire:
                    yield from pipeline.feed(raw)
            else:
                while True:
                    with deadline_scope(self._deadline, token):
                        chunk = next(wire, None)
                    if chunk is None:
                        break
                    if token is not None:
                        token.raise_if_cancelled()
                    if meter is not None:
                        meter.step(len(chunk))
                    yield from pipeline.feed(chunk)
            self._check_ended_in_time()
            yield from pipeline.flush()
            if meter is not None:
                meter.finish()
        except GeneratorExit:
            self.close()
            raise
        except Exception as exc:
            self.close()
            self._raise_as_ours(exc)
        self.close()

    def iter_raw(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The bytes as they came off the wire, still compressed if the server compressed them."""
        check_chunk_size(chunk_size)
        return self._iter_decoded("iter_raw", chunk_size)

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Decoded bytes; with ``chunk_size`` every chunk but the last is exactly that long."""
        check_chunk_size(chunk_size)
        if self._content is not None:
            return self._from_memory(chunk_size)
        return self._iter_decoded("iter_bytes", chunk_size)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        """Decoded text; a multi-byte character is never split across chunks."""
        check_chunk_size(chunk_size)
        decoder = TextDecoder(self.encoding)
        chunker = TextChunker(chunk_size)
        with self._guard():
            for data in self.iter_bytes():
                yield from chunker.feed(decoder.feed(data))
            yield from chunker.feed(decoder.flush())
            yield from chunker.flush()

    def iter_lines(
        self,
        max_line_length: int | None = None,
        *,
        chunk_size: int | None = None,
        decode_unicode: bool | None = None,
    ) -> Iterator[str]:
        """Lines without their endings (``\\n``, ``\\r\\n`` or ``\\r``), each bounded in length.

        ``chunk_size`` and ``decode_unicode`` are accepted for code written for requests and
        change nothing: lines are always str (requests yields bytes unless decode_unicode).
        """
        splitter = LineSplitter(self._line_bound(max_line_length))
        with self._guard():
            for text in self.iter_text():
                yield from splitter.feed(text)
            yield from splitter.flush()

    @overload
    def iter_content(
        self, chunk_size: int | None = None, decode_unicode: Literal[False] = False
    ) -> Iterator[bytes]: ...

    @overload
    def iter_content(
        self, chunk_size: int | None = None, *, decode_unicode: Literal[True]
    ) -> Iterator[str]: ...

    @overload
    def iter_content(
        self, chunk_size: int | None, decode_unicode: Literal[True]
    ) -> Iterator[str]: ...

    @overload
    def iter_content(
        self, chunk_size: int | None = None, decode_unicode: bool = False
    ) -> Iterator[bytes] | Iterator[str]: ...

    def iter_content(
        self, chunk_size: int | None = None, decode_unicode: bool = False
    ) -> Iterator[bytes] | Iterator[str]:
        """requests' name for ``iter_bytes`` (or ``iter_text`` with ``decode_unicode``).

        The default differs from requests on purpose: ``None`` yields chunks as they arrive
        (up to 64 KiB), where requests' default of 1 byte costs a Python call per byte.
        """
        if decode_unicode:
            return self.iter_text(chunk_size)
        return self.iter_bytes(chunk_size)

    def iter_sse(self, max_line_length: int | None = None) -> Iterator[ServerSentEvent]:
        """Server-Sent Events (``text/event-stream``), parsed by the WHATWG rules."""
        decoder = SSEDecoder()
        with self._guard():
            for line in self.iter_lines(max_line_length):
                event = decoder.feed(line)
                if event is not None:
                    yield event

    def iter_json(self, max_line_length: int | None = None) -> Iterator[Any]:
        """NDJSON / JSON Lines: one value per line; a bad line raises naming its number."""
        decoder = JSONLinesDecoder()
        with self._guard():
            for line in self.iter_lines(max_line_length):
                present, value = decoder.feed(line)
                if present:
                    yield value

    def save(self, dest: str | os.PathLike[str], *, checksum: str | None = None) -> DownloadResult:
        """Stream the body into ``dest`` atomically: a temporary file beside it, fsynced,
        renamed over ``dest`` only when complete (declared length, and ``checksum`` such as
        ``"sha256:<hex>"`` when given). On failure ``dest`` is untouched."""
        from ._download import save_sync

        return save_sync(self, dest, checksum)

    async def asave(
        self, dest: str | os.PathLike[str], *, checksum: str | None = None
    ) -> DownloadResult:
        """The async twin of ``save`` (file I/O runs off the event loop)."""
        from ._download import save_async

        return await save_async(self, dest, checksum)

    def _line_bound(self, max_line_length: int | None) -> int:
        if max_line_length is not None:
            check_chunk_size(max_line_length)
            return max_line_length
        return self._prepared.max_line_length if self._prepared else 1024 * 1024

    def read(self) -> bytes:
        """Read the rest of the body into memory (bounded by ``max_content_length``)."""
        if self._content is None:
            try:
                self._content = self._whole_body("read")
            except Exception as exc:
                self.close()
                self._raise_as_ours(exc)
            if self._content is not None:
                self.close()
                return self._content
            buffer = io.BytesIO()  # getvalue() hands over its buffer: no second full copy
            for piece in self._iter_decoded("read"):
                buffer.write(piece)
            self._content = buffer.getvalue()
        return self._content

    def close(self) -> None:
        """Release the connection: back to the pool if the body was read, closed otherwise."""
        if self._closed:
            return
        if self._is_async and not self._raw.is_closed:
            raise StreamError(
                "this response came from an async call; use `await r.aclose()` or `async with`"
            )
        self._closed = True
        self._disarm()
        self._raw.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- async ----------------------------------------------------------------------------

    @asynccontextmanager
    async def _aguard(self) -> AsyncIterator[None]:
        try:
            yield
        except GeneratorExit:
            await self.aclose()
            raise
        except Exception as exc:
            await self.aclose()
            self._raise_as_ours(exc)

    async def _aiter_decoded(self, api: str, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The async twin of ``_iter_decoded``."""
        pipeline = self._start_stream(api, chunk_size)
        self._ask_for_pieces(pipeline, chunk_size)
        try:
            self._raw.is_stream_consumed = True
            wire = aiter(cast("AsyncIterable[bytes]", self._wire()))
            token = self._prepared.cancel_token if self._prepared else None
            meter = self._download_meter(token)
            plain = self._deadline.at is None and token is None and meter is None
            if plain and pipeline.is_unchanged:
                async for raw in wire:
                    if raw:
                        yield raw
            elif plain:
                async for raw in wire:
                    for piece in pipeline.feed(raw):
                        yield piece
            else:
                while True:
                    try:
                        raw = await watched(anext(wire), self._deadline, token)
                    except StopAsyncIteration:
                        break
                    if meter is not None:
                        await meter.astep(len(raw))
                    for piece in pipeline.feed(raw):
                        yield piece
            self._check_ended_in_time()
            for piece in pipeline.flush():
                yield piece
            if meter is not None:
                await meter.afinish()
        except GeneratorExit:
            await self.aclose()
            raise
        except Exception as exc:
            await self.aclose()
            self._raise_as_ours(exc)
        await self.aclose()

    async def _amemory(self, chunk_size: int | None) -> AsyncIterator[bytes]:
        for piece in self._from_memory(chunk_size):
            yield piece

    def aiter_raw(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The async twin of ``iter_raw``."""
        check_chunk_size(chunk_size)
        return self._aiter_decoded("aiter_raw", chunk_size)

    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The async twin of ``iter_bytes``."""
        check_chunk_size(chunk_size)
        if self._content is not None:
            return self._amemory(chunk_size)
        return self._aiter_decoded("aiter_bytes", chunk_size)

    async def aiter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        """The async twin of ``iter_text``."""
        check_chunk_size(chunk_size)
        decoder = TextDecoder(self.encoding)
        chunker = TextChunker(chunk_size)
        async with self._aguard():
            async for data in self.aiter_bytes():
                for piece in chunker.feed(decoder.feed(data)):
                    yield piece
            for piece in chunker.feed(decoder.flush()):
                yield piece
            for piece in chunker.flush():
                yield piece

    async def aiter_lines(self, max_line_length: int | None = None) -> AsyncIterator[str]:
        """The async twin of ``iter_lines``."""
        splitter = LineSplitter(self._line_bound(max_line_length))
        async with self._aguard():
            async for text in self.aiter_text():
                for line in splitter.feed(text):
                    yield line
            for line in splitter.flush():
                yield line

    async def aiter_sse(self, max_line_length: int | None = None) -> AsyncIterator[ServerSentEvent]:
        """The async twin of ``iter_sse``."""
        decoder = SSEDecoder()
        async with self._aguard():
            async for line in self.aiter_lines(max_line_length):
                event = decoder.feed(line)
                if event is not None:
                    yield event

    async def aiter_json(self, max_line_length: int | None = None) -> AsyncIterator[Any]:
        """The async twin of ``iter_json``."""
        decoder = JSONLinesDecoder()
        async with self._aguard():
            async for line in self.aiter_lines(max_line_length):
                present, value = decoder.feed(line)
                if present:
                    yield value

    async def aread(self) -> bytes:
        """The async twin of ``read``."""
        if self._content is None:
            try:
                self._content = self._whole_body("aread")
            except Exception as exc:
                await self.aclose()
                self._raise_as_ours(exc)
            if self._content is not None:
                if not self._close_in_place():
                    await self.aclose()
                return self._content
            buffer = io.BytesIO()
            async for piece in self._aiter_decoded("aread"):
                buffer.write(piece)
            self._content = buffer.getvalue()
        return self._content

    async def aclose(self) -> None:
        """The async twin of ``close``: release the connection."""
        if self._close_in_place():
            return
        self._closed = True
        self._disarm()
        if not self._is_async:
            self._raw.close()
            return
        # Shielded: a task cancelled while the close is under way (a web framework's handler
        # whose client hung up) must still finish it, or the connection stays checked out of
        # the pool for good and its socket open. Our own transport's close never waits, so
        # no cancellation can land in it: awaited in place, without the task a shield needs.
        wire = self._wire()
        if getattr(wire, "closes_without_waiting", False):
            await self._raw.aclose()  # bound in a way close_at_once does not know
        else:
            await run_to_completion(self._raw.aclose())

    def _close_in_place(self) -> bool:
        """``aclose()`` without a coroutine, when there is nothing to wait for: the response
        is closed already, or our transport's stream closes at once (``close_at_once``).
        True when the response is closed on return."""
        if self._closed:
            return True
        if not self._is_async:
            return False
        wire = self._wire()
        if not getattr(wire, "closes_without_waiting", False):
            return False
        if not close_at_once(self._raw, wire):
            return False
        self._closed = True
        self._disarm()
        return True

    async def __aenter__(self) -> Response:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<Response [{self.status_code} {self.status_text}]>"


def status_error(response: Response) -> HTTPStatusError:
    status = response.status_code
    code = "ERR_BAD_REQUEST" if 400 <= status < 500 else "ERR_BAD_RESPONSE"
    return HTTPStatusError(
        f"request failed with status code {status} {response.status_text} for "
        f"{response.request.method} {response.url}",
        code=code,
        config=response.config,
        request=response.request,
        response=response,
    )
