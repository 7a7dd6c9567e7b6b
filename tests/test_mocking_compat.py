"""Code that mocks httpx with respx keeps working against axios_python's default setup.

respx patches httpcore's pools (its default) or httpx's client; our own transport steps
aside while such a patch is in place (``axios_python.transports._mocking``). Each test runs
under both default transports (see conftest), sync and async. The host does not exist: a
request that slipped past the mock would fail to connect.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

import axios_python
from axios_python.transports._mocking import async_mocked, sync_mocked

URL = "https://api.example.invalid/users"


@pytest.mark.parametrize("using", ["httpcore", "httpx"])
def test_respx_sees_module_level_and_instance_calls(mode: str, using: str) -> None:
    with respx.mock(using=using, assert_all_called=True) as mock:
        route = mock.get(URL).mock(return_value=httpx.Response(200, json=[{"id": 1}]))
        created = mock.post(URL).mock(return_value=httpx.Response(201, json={"id": 2}))
        api = axios_python.create(base_url="https://api.example.invalid")
        if mode == "sync":
            listed = axios_python.get(URL)
            made = api.post("/users", json={"name": "x"})
        else:

            async def go() -> tuple[axios_python.Response, axios_python.Response]:
                return await axios_python.async_get(URL), await api.async_post(
                    "/users", json={"name": "x"}
                )

            listed, made = asyncio.run(go())
        assert listed.data == [{"id": 1}] and made.status == 201
        assert route.call_count == 1 and created.call_count == 1
        assert created.calls.last.request.content == b'{"name":"x"}'
        api.close()


def test_respx_streams_and_errors(mode: str) -> None:
    with respx.mock() as mock:
        mock.get(URL).mock(return_value=httpx.Response(200, content=b"line 1\nline 2\n"))
        mock.get(URL + "/down").mock(side_effect=httpx.ConnectError("refused"))
        if mode == "sync":
            with axios_python.get(URL, stream=True) as r:
                lines = list(r.iter_lines())
            with pytest.raises(axios_python.ConnectError):
                axios_python.get(URL + "/down")
        else:

            async def go() -> list[str]:
                async with axios_python.async_get(URL, stream=True) as r:
                    found = [line async for line in r.aiter_lines()]
                with pytest.raises(axios_python.ConnectError):
                    await axios_python.async_get(URL + "/down")
                return found

            lines = asyncio.run(go())
    assert lines == ["line 1", "line 2"]


def test_our_transport_is_back_once_the_mock_ends() -> None:
    assert not sync_mocked() and not async_mocked()
    with respx.mock():
        assert sync_mocked() and async_mocked()
    assert not sync_mocked() and not async_mocked()
