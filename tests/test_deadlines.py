"""The total deadline with transports we did not build, and on close-delimited bodies.

Our default sync transport clamps every socket wait; a transport the caller passes is cut
by the watchdog instead (sync) or by asyncio's timeout (async). Either way a body cut at the
deadline must never look complete.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rawserver import Connection, RawServer

import axios_python


def drip_until_close(conn: Connection) -> None:
    """No Content-Length, no chunking: the body ends when the connection closes."""
    conn.read_head()
    conn.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
    conn.drip(b"0123456789" * 3, 0.05)
    conn.stall(10)


@pytest.fixture
def dripping() -> Iterator[RawServer]:
    with RawServer(drip_until_close) as server:
        yield server


def fetch(mode: str, url: str, **options: Any) -> tuple[bytes, BaseException | None, float]:
    received = bytearray()
    started = time.monotonic()
    error: BaseException | None = None
    if mode == "sync":
        api = axios_python.create(transport=httpx.HTTPTransport())
        try:
            with api.get(url, stream=True, **options) as r:
                for chunk in r.iter_bytes():
                    received += chunk
        except axios_python.AxiosError as exc:
            error = exc
        api.close()
    else:

        async def go() -> None:
            nonlocal error
            api = axios_python.create(transport=httpx.AsyncHTTPTransport())
            try:
                async with api.async_get(url, stream=True, **options) as r:
                    async for chunk in r.aiter_bytes():
                        received.extend(chunk)
            except axios_python.AxiosError as exc:
                error = exc
            await api.aclose()

        asyncio.run(go())
    return bytes(received), error, time.monotonic() - started


def test_a_cut_close_delimited_body_is_never_complete(mode: str, dripping: RawServer) -> None:
    body, error, elapsed = fetch(
        mode, dripping.url, timeout=axios_python.Timeout(read=5, total=0.5)
    )
    assert isinstance(error, axios_python.DeadlineExceeded), (body, error)
    assert error.response is not None and error.response.status == 200
    assert 0 < len(body) < 30
    assert elapsed < 0.5 + 0.5


def test_without_total_the_same_body_arrives_whole(mode: str) -> None:
    def finite(conn: Connection) -> None:
        conn.read_head()
        conn.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        conn.drip(b"0123456789", 0.01)
        conn.close()

    with RawServer(finite) as server:
        body, error, _ = fetch(mode, server.url, timeout=5)
    assert error is None and body == b"0123456789"


def test_environment_proxies_apply_with_and_without_a_deadline(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clamping socket waits must not cost the HTTP_PROXY set in the environment."""

    def proxy(conn: Connection) -> None:
        head = conn.read_head() or b""
        body = b"via proxy " + head.split(b" ")[1]
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        conn.close()

    with RawServer(proxy) as server:
        monkeypatch.setenv("HTTP_PROXY", server.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        url = "http://example.invalid/x"
        for timeout in (5, axios_python.Timeout(5, total=10)):
            api = axios_python.create(timeout=timeout)
            if mode == "sync":
                body = api.get(url).content
                api.close()
            else:

                async def go(api: axios_python.Axios = api) -> bytes:
                    async with api:
                        return (await api.async_get(url)).content

                body = asyncio.run(go())
            assert body == b"via proxy http://example.invalid/x"
