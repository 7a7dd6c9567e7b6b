"""stream=True: iterators and their exact semantics, sync and async, on real local servers."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import brotli
import pytest
import zstandard
from conftest import stream
from pools import pooled_connections
from pytest_httpserver import HTTPServer

import axios_python
from axios_python import ResponseNotRead, StreamClosed, StreamConsumed, StreamError

PAYLOAD = bytes(range(256)) * 400  # 102400 bytes


@pytest.fixture
def bytes_url(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/stream-bytes").respond_with_data(
        PAYLOAD, content_type="application/octet-stream"
    )
    return httpserver.url_for("/stream-bytes")


@pytest.mark.parametrize("chunk_size", [1, 1000, 1024, 65536, 200000])
def test_iter_bytes_chunks_are_exact(mode: str, bytes_url: str, chunk_size: int) -> None:
    chunks = stream(mode, bytes_url, "iter_bytes", chunk_size)
    assert b"".join(chunks) == PAYLOAD
    assert all(len(c) == chunk_size for c in chunks[:-1])
    assert 0 < len(chunks[-1]) <= chunk_size


def test_iter_bytes_without_size_yields_what_arrives(mode: str, bytes_url: str) -> None:
    chunks = stream(mode, bytes_url, "iter_bytes")
    assert b"".join(chunks) == PAYLOAD and all(chunks)


def test_seed_examples(mode: str, httpserver: HTTPServer) -> None:
    """The two examples of the axios_python streaming page, against a local server."""
    httpserver.expect_request("/stream-bytes/50000").respond_with_data(b"z" * 50000)
    url = httpserver.url_for("/stream-bytes/50000")
    if mode == "sync":
        with axios_python.get(url, stream=True) as response:
            assert response.ok
            sizes = [len(chunk) for chunk in response.iter_bytes(1024)]
        assert sum(sizes) == 50000 and set(sizes[:-1]) == {1024}
        with axios_python.get(url, stream=True) as response:
            assert response.read() == b"z" * 50000
    else:

        async def download_worker() -> int:
            total = 0
            async with await axios_python.async_get(url, stream=True) as response:
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
            return total

        assert asyncio.run(download_worker()) == 50000


@pytest.fixture
def gzip_url(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(PAYLOAD), headers={"Content-Encoding": "gzip"}
    )
    return httpserver.url_for("/gz")


def test_iter_bytes_decodes_and_iter_raw_does_not(mode: str, gzip_url: str) -> None:
    assert b"".join(stream(mode, gzip_url, "iter_bytes", 4096)) == PAYLOAD
    raw = b"".join(stream(mode, gzip_url, "iter_raw", 100))
    assert raw == gzip.compress(PAYLOAD) or gzip.decompress(raw) == PAYLOAD
    assert len(raw) < len(PAYLOAD)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("br", brotli.compress),
        ("zstd", lambda d: zstandard.ZstdCompressor().compress(d)),
        ("deflate", __import__("zlib").compress),
    ],
)
def test_optional_encodings(
    mode: str, httpserver: HTTPServer, encoding: str, compress: Any
) -> None:
    httpserver.expect_request("/enc").respond_with_data(
        compress(PAYLOAD), headers={"Content-Encoding": encoding}
    )
    assert b"".join(stream(mode, httpserver.url_for("/enc"), "iter_bytes")) == PAYLOAD


TEXT = "ascii, é, 日本語, 🎉 " * 2000


@pytest.fixture
def text_url(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/text").respond_with_data(
        TEXT.encode("utf-8"), content_type="text/plain; charset=utf-8"
    )
    return httpserver.url_for("/text")


@pytest.mark.parametrize("chunk_size", [None, 1, 7, 4096])
def test_iter_text_never_splits_a_character(mode: str, text_url: str, chunk_size: int) -> None:
    # A 1-byte iter_bytes would split every multi-byte character; iter_text must not.
    chunks = stream(mode, text_url, "iter_text", chunk_size)
    assert "".join(chunks) == TEXT
    assert not any("\ufffd" in c for c in chunks)
    if chunk_size:
        assert all(len(c) == chunk_size for c in chunks[:-1])


def test_iter_text_uses_the_declared_charset(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/latin").respond_with_data(
        "café".encode("latin-1"), content_type="text/plain; charset=iso-8859-1"
    )
    assert "".join(stream(mode, httpserver.url_for("/latin"), "iter_text")) == "café"


def test_iter_lines_splits_on_every_ending(mode: str, httpserver: HTTPServer) -> None:
    body = "one\ntwo\r\nthree\rfour\n\nlast"
    httpserver.expect_request("/lines").respond_with_data(body, content_type="text/plain")
    lines = stream(mode, httpserver.url_for("/lines"), "iter_lines")
    assert lines == ["one", "two", "three", "four", "", "last"]


def test_iter_lines_refuses_an_endless_line(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/long").respond_with_data("a" * 50000, content_type="text/plain")
    with pytest.raises(axios_python.LineTooLong, match="max_line_length=1000") as info:
        stream(mode, httpserver.url_for("/long"), "iter_lines", max_line_length=1000)
    assert info.value.response is not None
    assert isinstance(info.value, axios_python.ContentTooLarge)


def test_max_line_length_per_call(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/long").respond_with_data(
        "a" * 300 + "\nb", content_type="text/plain"
    )
    with pytest.raises(axios_python.LineTooLong):
        stream(mode, httpserver.url_for("/long"), "iter_lines", 100)
    assert stream(mode, httpserver.url_for("/long"), "iter_lines", 300) == ["a" * 300, "b"]


def test_unread_stream_attributes_raise_clear_errors(mode: str, bytes_url: str) -> None:
    def check(r: axios_python.Response) -> None:
        for name in ("content", "text", "data"):
            with pytest.raises(ResponseNotRead, match=r"read\(\)"):
                getattr(r, name)
        with pytest.raises(ResponseNotRead):
            r.json()

    stream(mode, bytes_url, "iter_bytes", 10, after=lambda r: None)  # warm up
    if mode == "sync":
        with axios_python.get(bytes_url, stream=True) as r:
            check(r)
            assert r.status == 200  # metadata is there before the body
            assert r.read() == PAYLOAD
            assert r.content == PAYLOAD
    else:

        async def go() -> None:
            async with axios_python.async_get(bytes_url, stream=True) as r:
                check(r)
                assert await r.aread() == PAYLOAD
                assert r.data == PAYLOAD

        asyncio.run(go())


def test_second_iteration_is_a_clear_error(mode: str, bytes_url: str) -> None:
    def again(r: axios_python.Response) -> None:
        with pytest.raises(StreamConsumed, match="once"):
            next(iter(r.iter_bytes()))
        with pytest.raises(ResponseNotRead, match="already iterated"):
            _ = r.content

    if mode == "sync":
        with axios_python.get(bytes_url, stream=True) as r:
            list(r.iter_bytes())
            again(r)
            with pytest.raises(StreamConsumed):
                r.read()
    else:

        async def go() -> None:
            async with axios_python.async_get(bytes_url, stream=True) as r:
                [c async for c in r.aiter_bytes()]
                with pytest.raises(StreamConsumed, match="once"):
                    await r.aiter_bytes().__anext__()
                with pytest.raises(StreamConsumed):
                    await r.aread()
                with pytest.raises(ResponseNotRead, match="already iterated"):
                    _ = r.content

        asyncio.run(go())


def test_reading_after_close_is_a_clear_error(mode: str, bytes_url: str) -> None:
    if mode == "sync":
        with axios_python.get(bytes_url, stream=True) as r:
            pass
        with pytest.raises(StreamClosed):
            r.read()
    else:

        async def go() -> None:
            async with axios_python.async_get(bytes_url, stream=True) as r:
                pass
            with pytest.raises(StreamClosed):
                await r.aread()

        asyncio.run(go())


def test_buffered_responses_can_still_be_iterated(mode: str, bytes_url: str) -> None:
    if mode == "sync":
        r = axios_python.get(bytes_url)
        assert b"".join(r.iter_bytes(1000)) == PAYLOAD
        assert b"".join(r.iter_bytes()) == PAYLOAD  # from memory: as often as you like
    else:

        async def go() -> None:
            r = await axios_python.async_get(bytes_url)
            assert b"".join([c async for c in r.aiter_bytes(1000)]) == PAYLOAD

        asyncio.run(go())


def test_sync_iterators_on_async_responses_say_what_to_use(bytes_url: str) -> None:
    async def go() -> None:
        async with axios_python.async_get(bytes_url, stream=True) as r:
            with pytest.raises(StreamError, match=r"aiter_bytes\(\)"):
                next(r.iter_bytes())
            with pytest.raises(StreamError, match="aclose"):
                r.close()

    asyncio.run(go())
    with (
        axios_python.get(bytes_url, stream=True) as r,
        pytest.raises(StreamError, match=r"iter_bytes\(\)"),
    ):
        asyncio.run(r.aiter_bytes().__anext__())


def pooled(api: axios_python.Axios, mode: str) -> int:
    if mode == "sync":
        (client,) = api._clients.values()
    else:
        (clients,) = api._async_clients.values()
        (client,) = clients.values()
    return pooled_connections(client)


def test_break_releases_the_connection(mode: str, keepalive_url: str) -> None:
    """Leaving the with block early closes the half-read connection; a full read reuses it."""
    url = keepalive_url + "/bytes/1000000"
    api = axios_python.create()
    if mode == "sync":
        for _ in range(3):
            with api.get(url, stream=True) as r:
                for _chunk in r.iter_bytes(1000):
                    break
            assert r.is_closed
        assert pooled(api, mode) == 0
        with api.get(url, stream=True) as r:
            assert sum(len(c) for c in r.iter_bytes()) == 1000000
        assert pooled(api, mode) == 1
        api.close()
    else:

        async def go() -> None:
            for _ in range(3):
                async with api.async_get(url, stream=True) as r:
                    async for _chunk in r.aiter_bytes(1000):
                        break
                assert r.is_closed
            assert pooled(api, mode) == 0
            async with api.async_get(url, stream=True) as r:
                assert sum([len(c) async for c in r.aiter_bytes()]) == 1000000
            assert pooled(api, mode) == 1
            await api.aclose()

        asyncio.run(go())


def test_exceptions_in_the_with_block_release_the_connection(mode: str, keepalive_url: str) -> None:
    api = axios_python.create()
    url = keepalive_url + "/bytes/1000000"
    if mode == "sync":
        with pytest.raises(KeyError), api.get(url, stream=True) as r:
            raise KeyError("boom")
        assert r.is_closed and pooled(api, mode) == 0
    else:

        async def go() -> None:
            with pytest.raises(KeyError):
                async with api.async_get(url, stream=True) as r:
                    raise KeyError("boom")
            assert r.is_closed and pooled(api, mode) == 0

        asyncio.run(go())


def test_response_type_stream_is_stream(mode: str, bytes_url: str) -> None:
    chunks = stream(mode, bytes_url, "iter_bytes", 50000, response_type="stream")
    assert [len(c) for c in chunks] == [50000, 50000, 2400]
