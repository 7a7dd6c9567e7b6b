"""The sans-I/O pieces, alone: chunkers, text and line decoding, decompression, limits."""

from __future__ import annotations

import gzip
import random
import zlib

import brotli
import pytest
import zstandard

from axios_python import ContentTooLarge, DecodingError, InvalidOptionError, LineTooLong
from axios_python._decoders import (
    MAX_DECODED_STEP,
    ByteChunker,
    LineSplitter,
    SizeLimit,
    TextChunker,
    TextDecoder,
    decoder_for,
)


def random_splits(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    pieces, start = [], 0
    while start < len(data):
        end = start + rng.randint(0, 40)
        pieces.append(data[start:end])
        start = end
    return pieces


@pytest.mark.parametrize("size", [1, 7, 64, 1000])
def test_byte_chunker_gives_exact_sizes_for_any_input_split(size: int) -> None:
    data = bytes(range(256)) * 20
    for seed in range(20):
        chunker = ByteChunker(size)
        out = [c for piece in random_splits(data, seed) for c in chunker.feed(piece)]
        out += chunker.flush()
        assert b"".join(out) == data
        assert all(len(c) == size for c in out[:-1])
        assert 0 < len(out[-1]) <= size


def test_byte_chunker_none_passes_chunks_through() -> None:
    chunker = ByteChunker(None)
    assert chunker.feed(b"abc") == [b"abc"]
    assert chunker.feed(b"") == []
    assert chunker.flush() == []


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "8"])
def test_chunk_size_must_be_a_positive_int(bad: object) -> None:
    with pytest.raises(InvalidOptionError, match="chunk_size"):
        ByteChunker(bad)  # type: ignore[arg-type]


def test_text_decoder_never_splits_a_character() -> None:
    text = "héllo wörld — 日本語 🎉" * 50
    data = text.encode("utf-8")
    for seed in range(20):
        decoder = TextDecoder("utf-8")
        out = [decoder.feed(piece) for piece in random_splits(data, seed)] + [decoder.flush()]
        assert "".join(out) == text
        assert all("\ufffd" not in part for part in out)


def test_text_chunker_counts_characters() -> None:
    chunker = TextChunker(3)
    out = chunker.feed("日本語🎉ab") + chunker.feed("c") + chunker.flush()
    assert out == ["日本語", "🎉ab", "c"]


def test_unknown_charset_is_a_decoding_error() -> None:
    with pytest.raises(DecodingError, match="charset"):
        TextDecoder("no-such-charset")


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a\nb\nc", ["a", "b", "c"]),
        ("a\r\nb\r\n", ["a", "b"]),
        ("a\rb\r", ["a", "b"]),
        ("a\n\nb", ["a", "", "b"]),
        ("a\r\n\r\nb\n", ["a", "", "b"]),
        ("x\r\r", ["x", ""]),
        ("", []),
        ("\n", [""]),
        ("no newline", ["no newline"]),
    ],
)
def test_line_splitter_endings_under_every_split(text: str, lines: list[str]) -> None:
    for seed in range(30):
        splitter = LineSplitter(1000)
        rng = random.Random(seed)
        out: list[str] = []
        start = 0
        while start < len(text):
            end = start + rng.randint(1, 3)
            out += splitter.feed(text[start:end])
            start = end
        out += splitter.flush()
        assert out == lines, (seed, text)


def test_line_splitter_refuses_a_line_longer_than_the_bound() -> None:
    splitter = LineSplitter(10)
    assert splitter.feed("0123456789\n") == ["0123456789"]
    with pytest.raises(LineTooLong, match="max_line_length=10"):
        for _ in range(5):
            splitter.feed("abcd")


def test_line_too_long_inside_one_chunk() -> None:
    with pytest.raises(LineTooLong):
        LineSplitter(4).feed("abcdefgh\nok\n")


def inflate_all(encoding: str, data: bytes, split: int = 4096) -> list[bytes]:
    decoder = decoder_for(encoding)
    out: list[bytes] = []
    for start in range(0, len(data), split):
        out.extend(decoder.feed(data[start : start + split]))
    out.extend(decoder.flush())
    return out


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda d: zlib.compress(d)[2:-4]),  # raw deflate, no zlib header
        ("br", brotli.compress),
        ("zstd", lambda d: zstandard.ZstdCompressor().compress(d)),
    ],
)
def test_decompression_is_bounded_per_step(encoding: str, compress: object) -> None:
    original = b"\0" * (4 * 1024 * 1024) + b"tail"
    pieces = inflate_all(encoding, compress(original))  # type: ignore[operator]
    assert b"".join(pieces) == original
    assert max(len(p) for p in pieces) <= MAX_DECODED_STEP


def test_stacked_encodings_are_undone_in_reverse_order() -> None:
    original = b"layered " * 10000
    data = brotli.compress(gzip.compress(original))
    assert b"".join(inflate_all("gzip, br", data)) == original


def test_broken_gzip_is_a_decoding_error() -> None:
    with pytest.raises(DecodingError, match="gzip"):
        inflate_all("gzip", b"this is not gzip at all")


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda d: zlib.compress(d)[2:-4]),  # raw deflate
        ("br", brotli.compress),
        ("zstd", lambda d: zstandard.ZstdCompressor().compress(d)),
    ],
)
def test_a_stream_that_stops_before_its_end_is_a_decoding_error(
    encoding: str, compress: object
) -> None:
    data = compress(b"line of text\n" * 2000)  # type: ignore[operator]
    assert b"".join(inflate_all(encoding, data)) == b"line of text\n" * 2000
    with pytest.raises(DecodingError, match="truncated"):
        inflate_all(encoding, data[: len(data) // 2])


@pytest.mark.parametrize("split", [1, 7, 4096, 1 << 20])
def test_every_gzip_member_is_decoded(split: int) -> None:
    """RFC 1952: a gzip body may be several members back to back (``cat a.gz b.gz``); all
    of them are the body. Bytes after the last member that are no gzip are ignored, as
    gzip(1) ignores them; a member cut short is still a truncation."""
    first, second = gzip.compress(b"first "), gzip.compress(b"second " * 10_000)
    assert b"".join(inflate_all("gzip", first + second, split)) == b"first " + b"second " * 10_000
    garbage = first + second + b"\0\0\0 trailing garbage"
    assert b"".join(inflate_all("gzip", garbage, split)) == b"first " + b"second " * 10_000
    with pytest.raises(DecodingError, match="truncated"):
        inflate_all("gzip", first + second[: len(second) // 2], split)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_an_empty_compressed_body_is_empty(encoding: str) -> None:
    """HEAD, 204 and the like carry the header and no bytes: nothing to decode, no error."""
    assert inflate_all(encoding, b"") == []


@pytest.mark.parametrize("charset", ["base64", "zlib", "hex", "rot13", "bz2", "quopri", "uu"])
def test_a_charset_that_is_not_a_text_encoding_is_a_decoding_error(charset: str) -> None:
    with pytest.raises(DecodingError, match="not a text encoding"):
        TextDecoder(charset)


def test_unknown_content_encoding_is_refused() -> None:
    with pytest.raises(DecodingError, match="unsupported Content-Encoding"):
        decoder_for("lzma")


def test_size_limit_fails_as_soon_as_the_cap_is_passed() -> None:
    limit = SizeLimit(10)
    limit.feed(b"x" * 10)
    with pytest.raises(ContentTooLarge, match="max_content_length=10"):
        limit.feed(b"x")
    with pytest.raises(ContentTooLarge, match="declares Content-Length 11"):
        SizeLimit(10).check_declared(11)
