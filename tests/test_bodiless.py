"""Bodiless requests built from a cached head (``_bodiless``) equal httpx's ``build_request``.

The fast path exists only for speed, so every test compares it with what httpx builds for
the same call: method, URL, header lines in order and case, extensions and content. Sync and
async clients alike; an end-to-end pass checks what a server receives.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

import axios_python
from axios_python import _bodiless
from axios_python._bodiless import bodiless_request

TIMEOUT = httpx.Timeout(5.0).as_dict()

CASES: list[tuple[str, str, list[tuple[Any, Any]]]] = [
    ("GET", "http://example.com/a?b=1", []),
    ("GET", "http://example.com/", [("Accept", "application/json")]),
    ("get", "http://example.com:8080/x", [("user-agent", "me/1"), ("X-Twice", "1")]),
    ("DELETE", "https://example.com/x", [("X-Twice", "1"), ("x-twice", "2")]),
    ("HEAD", "https://example.com:443/x", [("Host", "other.example")]),
    ("OPTIONS", "http://user:pw@example.com/x", []),
    ("POST", "http://example.com/x", []),  # Content-Length: 0, as httpx adds
    ("PUT", "http://example.com/x", [("Content-Length", "0")]),
    ("PATCH", "http://example.com/x", [("Transfer-Encoding", "chunked")]),
    ("GET", "http://xn--bcher-kva.example/", [("Accept-Encoding", "identity")]),
    ("GET", "http://[::1]:9/x", [(b"X-Bytes", b"raw")]),
]


def as_built(request: httpx.Request) -> tuple[Any, ...]:
    return (
        request.method,
        str(request.url),
        request.headers.raw,
        request.extensions,
        request.content,
        type(request.stream),
    )


@pytest.fixture(params=["sync", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    headers = {"User-Agent": "axios-test", "Accept": "*/*", "X-Default": "on"}
    if request.param == "sync":
        return httpx.Client(headers=headers)
    return httpx.AsyncClient(headers=headers)


@pytest.mark.parametrize(("method", "url", "pairs"), CASES)
def test_equals_httpx_build_request(
    client: Any, method: str, url: str, pairs: list[tuple[Any, Any]]
) -> None:
    for _ in range(2):  # a miss (built by httpx), then a hit (from the cache)
        ours = bodiless_request(client, method, httpx.URL(url), pairs, {"timeout": TIMEOUT})
        assert ours is not None
        theirs = client.build_request(method, url, headers=pairs, timeout=httpx.Timeout(5.0))
        assert as_built(ours) == as_built(theirs)


def test_client_headers_changed_later_are_seen(client: Any) -> None:
    url = httpx.URL("http://example.com/")
    before = bodiless_request(client, "GET", url, [], {})
    client.headers["X-Default"] = "changed"
    after = bodiless_request(client, "GET", url, [], {})
    assert before is not None and after is not None
    assert before.headers["x-default"] == "on"
    assert after.headers["x-default"] == "changed"


def test_a_request_never_shares_its_headers(client: Any) -> None:
    url = httpx.URL("http://example.com/")
    first = bodiless_request(client, "GET", url, [], {})
    assert first is not None
    first.headers["X-Mine"] = "1"
    second = bodiless_request(client, "GET", url, [], {})
    assert second is not None and "x-mine" not in second.headers


def test_left_to_httpx_when_it_adds_more_than_headers(client: Any) -> None:
    url = httpx.URL("http://example.com/")
    assert bodiless_request(client, "GET", httpx.URL("/relative"), [], {}) is None
    client.cookies.set("session", "1", domain="example.com")
    assert bodiless_request(client, "GET", url, [], {}) is None
    client.cookies.clear()
    client.params = {"page": "2"}
    assert bodiless_request(client, "GET", url, [], {}) is None
    client.params = {}
    assert bodiless_request(client, "GET", url, [("X-Bad", ["a", "list"])], {}) is None


def test_cache_is_bounded(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_bodiless, "HEADS_KEPT", 4)
    monkeypatch.setattr(_bodiless, "_HEADS", {})
    for port in range(8000, 8010):
        request = bodiless_request(client, "GET", httpx.URL(f"http://h:{port}/"), [], {})
        assert request is not None and request.headers["host"] == f"h:{port}"
        assert len(_bodiless._HEADS) <= 4


def test_server_receives_the_same_head_both_ways(httpserver: HTTPServer) -> None:
    """Through axios_python: a GET (cached head) and the same GET with a body-less
    ``cookies=`` (httpx's path) reach the server with the same headers but the cookie."""
    httpserver.expect_request("/h").respond_with_data("ok")
    api = axios_python.create(headers={"X-Api": "1"})
    try:
        api.get(httpserver.url_for("/h"), headers={"X-Call": "2"})
        api.get(httpserver.url_for("/h"), headers={"X-Call": "2"}, cookies={"c": "v"})
    finally:
        api.close()
    (fast, _), (slow, _) = httpserver.log
    slow_headers = [(k, v) for k, v in slow.headers.items() if k.lower() != "cookie"]
    assert list(fast.headers.items()) == slow_headers
    assert fast.headers["X-Api"] == "1" and fast.headers["X-Call"] == "2"


async def test_async_server_receives_the_same_head_both_ways(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/h").respond_with_data("ok")
    api = axios_python.create(headers={"X-Api": "1"})
    try:
        await api.async_get(httpserver.url_for("/h"), headers={"X-Call": "2"})
        await api.async_get(httpserver.url_for("/h"), headers={"X-Call": "2"}, cookies={"c": "v"})
    finally:
        await api.aclose()
    (fast, _), (slow, _) = httpserver.log
    slow_headers = [(k, v) for k, v in slow.headers.items() if k.lower() != "cookie"]
    assert list(fast.headers.items()) == slow_headers


def test_requests_are_assembled_with_this_httpx() -> None:
    """The httpx under test keeps requests as ``_assembled`` sets them: the fast path runs
    (the tests above then compare its output with httpx's own)."""
    assert _bodiless._ASSEMBLY_KNOWN
