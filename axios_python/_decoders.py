"""Sans-I/O pieces a body flows through: decompressors, chunkers, a line splitter, guards.

Each has ``feed(chunk)`` and ``flush()`` and never touches a socket, so the sync and async
loops in ``_response`` are two thin loops over the same objects, and each piece is testable in
microseconds. Decompressors *yield* their output in steps of at most ``MAX_DECODED_STEP``
bytes, so one small wire chunk can never inflate into one huge allocation.
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterator
from typing import Any, Final, Protocol

from ._exceptions import ContentTooLarge, DecodingError, InvalidOptionError, LineTooLong

MAX_DECODED_STEP: Final = 64 * 1024
"""Largest piece a decompressor produces from one step."""

_COMPRESSED_SLICE: Final = 1024
"""Input slice for decompressors without an output cap (br/zstd fallbacks)."""


def slices(data: bytes, size: int = MAX_DECODED_STEP) -> Iterator[bytes]:
    """``data`` in pieces of at most ``size`` bytes (``data`` itself when it fits)."""
    if len(data) <= size:
        yield data
        return
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])


class ContentDecoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class IdentityDecoder:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        return iter(())


def _ended_early(encoding: str) -> DecodingError:
    """A compressed body whose stream stopped before its end marker: the HTTP framing said
    the body was complete, but the data in it is not, so the decoded body is cut short."""
    return DecodingError(
        f"the {encoding} data ended before the end of its stream: the body is truncated"
    )


class ZlibDecoder:
    """gzip or deflate, inflated at most ``MAX_DECODED_STEP`` bytes at a time."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._first = True
        self._fed = False
        self._later_member = False  # decoding a gzip member after the first
        self._swallowing = False  # bytes after the last member that are no gzip: ignored
        if encoding == "deflate":
            self._obj = zlib.decompressobj()
        else:
            self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._fed = self._fed or bool(data)
        if self._first and self._encoding == "deflate" and data:
            self._first = False
            # Some servers send raw deflate without the zlib header; sniff the first byte.
            if data[0] & 0x0F != 8:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            while data and not self._swallowing:
                if self._obj.eof:
                    if self._encoding != "gzip":
                        break  # bytes after a deflate stream: ignored
                    # RFC 1952: a gzip file may hold several members, one after another
                    self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
                    self._later_member = True
                try:
                    out = self._obj.decompress(data, MAX_DECODED_STEP)
                except zlib.error:
                    if not self._later_member:
                        raise
                    self._swallowing = True  # trailing garbage, as gzip(1) ignores it
                    break
                data = self._obj.unconsumed_tail or (
                    self._obj.unused_data if self._obj.eof else b""
                )
                if out:
                    yield out
        except zlib.error as exc:
            raise DecodingError(f"invalid {self._encoding} data: {exc}") from exc

    def flush(self) -> Iterator[bytes]:
        if self._swallowing:
            return
        try:
            while True:
                out = self._obj.decompress(b"", MAX_DECODED_STEP)
                if not out:
                    break
                yield out
            tail = self._obj.flush()
        except zlib.error as exc:
            raise DecodingError(f"invalid {self._encoding} data: {exc}") from exc
        if tail:
            yield tail
        if self._fed and not self._obj.eof:  # no end marker (and, for gzip, no checksum)
            raise _ended_early(self._encoding)


class BrotliDecoder:
    """br through the optional ``brotli`` package (``pip install axios-python[brotli]``)."""

    def __init__(self) -> None:
        try:
            import brotli
        except ImportError as exc:  # pragma: no cover - exercised only without the extra
            raise DecodingError(
                "the response is br-compressed; install axios-python[brotli] to decode it"
            ) from exc
        self._obj: Any = brotli.Decompressor()
        self._capped = hasattr(self._obj, "can_accept_more_data")
        self._fed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._fed = self._fed or bool(data)
        try:
            if self._capped:
                # Feed once, then drain with empty input until the decoder has nothing left.
                out = self._obj.process(data, output_buffer_limit=MAX_DECODED_STEP)
                while out:
                    yield from slices(out)
                    out = self._obj.process(b"", output_buffer_limit=MAX_DECODED_STEP)
            else:  # pragma: no cover - older brotli: bound the input instead
                for start in range(0, len(data), _COMPRESSED_SLICE):
                    yield from slices(self._obj.process(data[start : start + _COMPRESSED_SLICE]))
        except Exception as exc:
            raise DecodingError(f"invalid br data: {exc}") from exc

    def flush(self) -> Iterator[bytes]:
        finished = getattr(self._obj, "is_finished", None)
        if self._fed and finished is not None and not finished():
            raise _ended_early("br")
        return iter(())


class ZstdDecoder:
    """zstd through the optional ``zstandard`` package, fed in small input slices."""

    def __init__(self) -> None:
        try:
            import zstandard
        except ImportError as exc:  # pragma: no cover - exercised only without the extra
            raise DecodingError(
                "the response is zstd-compressed; install axios-python[zstd] to decode it"
            ) from exc
        self._obj: Any = zstandard.ZstdDecompressor().decompressobj(write_size=MAX_DECODED_STEP)
        self._error: type[Exception] = zstandard.ZstdError
        self._fed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        self._fed = self._fed or bool(data)
        try:
            for start in range(0, len(data), _COMPRESSED_SLICE):
                out = self._obj.decompress(data[start : start + _COMPRESSED_SLICE])
                if out:
                    yield from slices(out)
        except self._error as exc:
            raise DecodingError(f"invalid zstd data: {exc}") from exc

    def flush(self) -> Iterator[bytes]:
        if self._fed and not getattr(self._obj, "eof", True):
            raise _ended_early("zstd")
        return iter(())


class MultiDecoder:
    """``Content-Encoding: gzip, br`` means br(gzip(body)): undo them in reverse order."""

    def __init__(self, decoders: list[ContentDecoder]) -> None:
        self._decoders = decoders

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._through(1, self._decoders[0].feed(data))

    def flush(self) -> Iterator[bytes]:
        for index, decoder in enumerate(self._decoders):
            yield from self._through(index + 1, decoder.flush())

    def _through(self, index: int, pieces: Iterator[bytes]) -> Iterator[bytes]:
        if index == len(self._decoders):
            yield from pieces
            return
        for piece in pieces:
            yield from self._through(index + 1, self._decoders[index].feed(piece))


SUPPORTED_ENCODINGS: Final = ("gzip", "x-gzip", "deflate", "br", "zstd", "identity")


def decoder_for(content_encoding: str | None) -> ContentDecoder:
    names = [name.strip().lower() for name in (content_encoding or "").split(",") if name.strip()]
    decoders: list[ContentDecoder] = []
    for name in reversed(names):
        if name in ("gzip", "x-gzip", "deflate"):
            decoders.append(ZlibDecoder("deflate" if name == "deflate" else "gzip"))
        elif name == "br":
            decoders.append(BrotliDecoder())
        elif name == "zstd":
            decoders.append(ZstdDecoder())
        elif name != "identity":
            raise DecodingError(f"unsupported Content-Encoding {name!r}")
    if not decoders:
        return IdentityDecoder()
    return decoders[0] if len(decoders) == 1 else MultiDecoder(decoders)


def check_chunk_size(chunk_size: int | None) -> None:
    if chunk_size is None:
        return
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidOptionError(
            f"chunk_size must be a positive integer or None, got {chunk_size!r}"
        )


class ByteChunker:
    """Re-cut a byte stream into pieces of exactly ``size`` bytes (the last may be short)."""

    def __init__(self, size: int | None) -> None:
        check_chunk_size(size)
        self._size = size
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Whole pieces, each byte copied at most once (a piece that arrives whole and
        aligned is passed on as it is)."""
        size = self._size
        if size is None:
            return [data] if data else []
        buffer = self._buffer
        pieces: list[bytes] = []
        view = memoryview(data)
        start = 0
        if buffer:  # complete the pending piece first
            start = size - len(buffer)
            if len(data) < start:
                buffer += data
                return pieces
            buffer += view[:start]
            pieces.append(bytes(buffer))
            buffer.clear()
        length = len(data)
        if start == 0 and length == size:
            pieces.append(data)
            return pieces
        end = length - (length - start) % size
        pieces.extend(bytes(view[at : at + size]) for at in range(start, end, size))
        if end < length:
            buffer += view[end:]
        return pieces

    def flush(self) -> list[bytes]:
        if not self._buffer:
            return []
        piece = bytes(self._buffer)
        self._buffer.clear()
        return [piece]


class TextChunker:
    """Re-cut a text stream into pieces of exactly ``size`` characters."""

    def __init__(self, size: int | None) -> None:
        check_chunk_size(size)
        self._size = size
        self._buffer = ""

    def feed(self, text: str) -> list[str]:
        size = self._size
        if size is None:
            return [text] if text else []
        buffer = self._buffer + text
        if len(buffer) < size:
            self._buffer = buffer
            return []
        end = len(buffer) - len(buffer) % size
        self._buffer = buffer[end:]
        return [buffer[start : start + size] for start in range(0, end, size)]

    def flush(self) -> list[str]:
        piece, self._buffer = self._buffer, ""
        return [piece] if piece else []


class TextDecoder:
    """Bytes to str, incrementally: a multi-byte character split across chunks stays whole."""

    def __init__(self, encoding: str) -> None:
        try:
            info = codecs.lookup(encoding)
        except LookupError as exc:
            raise DecodingError(f"unknown charset {encoding!r} in the response") from exc
        # base64, zlib, rot13...: codecs Python knows that do not turn bytes into text
        if not getattr(info, "_is_text_encoding", True):
            raise DecodingError(f"charset {encoding!r} in the response is not a text encoding")
        self._decoder = info.incrementaldecoder(errors="replace")

    def feed(self, data: bytes) -> str:
        return self._decoder.decode(data)

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)


_NEWLINE = re.compile(r"\r\n|\r|\n")


class LineSplitter:
    """Split text on ``\\n``, ``\\r\\n`` and ``\\r``, strip the endings, bound line length.

    A ``\\r`` at the end of a chunk is held back until the next chunk says whether a ``\\n``
    follows, so ``\\r\\n`` split across chunks is still one line ending.
    """

    def __init__(self, max_line_length: int) -> None:
        self._max = max_line_length
        self._pending: list[str] = []
        self._pending_length = 0
        self._held_cr = False

    def feed(self, text: str) -> list[str]:
        if self._held_cr:
            text = "\r" + text
            self._held_cr = False
        if text.endswith("\r"):
            self._held_cr = True
            text = text[:-1]
        parts = _NEWLINE.split(text)
        if len(parts) == 1:
            self._keep(text)
            return []
        first = parts[0]
        if self._pending:
            first = "".join(self._pending) + first
            self._pending.clear()
            self._pending_length = 0
        lines = [first, *parts[1:-1]]
        for line in lines:
            if len(line) > self._max:
                self._too_long(len(line))
        self._keep(parts[-1])
        return lines

    def _keep(self, text: str) -> None:
        if text:
            self._pending.append(text)
            self._pending_length += len(text)
            if self._pending_length > self._max:
                self._too_long(self._pending_length)

    def _take(self) -> str:
        line = "".join(self._pending)
        self._pending.clear()
        self._pending_length = 0
        return line

    def _too_long(self, length: int) -> None:
        raise LineTooLong(
            f"a line is longer than max_line_length={self._max} characters "
            f"(at least {length}); raise max_line_length or read with iter_bytes()"
        )

    def flush(self) -> list[str]:
        if self._pending or self._held_cr:
            self._held_cr = False
            return [self._take()]
        return []


class SizeLimit:
    """Fail as soon as the decoded body passes ``max_content_length``; never after the fact."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.received = 0

    def check_declared(self, declared: int | None) -> None:
        if self.limit is not None and declared is not None and declared > self.limit:
            raise ContentTooLarge(
                f"the response declares Content-Length {declared}, over "
                f"max_content_length={self.limit}; nothing was read"
            )

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        if self.limit is not None and self.received > self.limit:
            raise ContentTooLarge(
                f"the response body passed max_content_length={self.limit} bytes "
                f"(read {self.received} so far); reading stopped"
            )
