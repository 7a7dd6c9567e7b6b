"""Sending past httpx's ``send`` (``_direct``) changes nothing httpx's client does.

Each scenario runs the same exchange through httpx's own ``client.send`` and through
``_direct.send`` / ``send_async``, on both transports, against the same local server, and
compares what a caller can see: status, final URL, history, next request, cookies kept,
``elapsed``, httpx's log line, the errors. Then the cases that must not go direct.
"""

from __future__ import annotations

import datetime
import logging
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from axios_python import _direct
from axios_python._direct import direct_route
from axios_python.transports import AsyncHTTPTransport, HTTPTransport

pytestmark = pytest.mark.one_transport  # both transports are chosen here, explicitly

TRANSPORTS = ["axios", "httpx"]
ROUTES = ["direct", "httpx-send"]


def sync_client(transport: str, **options: Any) -> httpx.Client:
    if transport == "axios":
        options["transport"] = HTTPTransport()
    return httpx.Client(**options)


def async_client(transport: str, **options: Any) -> httpx.AsyncClient:
    if transport == "axios":
        options["transport"] = AsyncHTTPTransport()
    return httpx.AsyncClient(**options)


def sync_send(client: httpx.Client, request: httpx.Request, route: str, follow: bool = True) -> Any:
    if route == "httpx-send":
        return client.send(request, stream=True, follow_redirects=follow)
    transport = direct_route(client, request, None)
    assert transport is not None
    return _direct.send(client, transport, request, follow)


async def async_send(
    client: httpx.AsyncClient, request: httpx.Request, route: str, follow: bool = True
) -> Any:
    if route == "httpx-send":
        return await client.send(request, stream=True, follow_redirects=follow)
    transport = direct_route(client, request, None)
    assert transport is not None
    return await _direct.send_async(client, transport, request, follow)


def cookie_echo(request: Request) -> Response:
    return Response(request.headers.get("Cookie", "-"), content_type="text/plain")


@pytest.fixture
def site(httpserver: HTTPServer) -> HTTPServer:
    """/set sets a cookie; /hop1 -> /hop2 (which sets one too) -> /echo; /echo shows Cookie."""
    httpserver.expect_request("/set").respond_with_data(
        "set", headers=[("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")]
    )
    httpserver.expect_request("/plain").respond_with_data("plain")
    httpserver.expect_request("/hop1").respond_with_data(
        "", status=302, headers={"Location": "/hop2"}
    )
    httpserver.expect_request("/hop2").respond_with_data(
        "", status=307, headers={"Location": "/echo", "Set-Cookie": "hop=2; Path=/"}
    )
    httpserver.expect_request("/echo").respond_with_handler(cookie_echo)
    return httpserver


def outcome(response: httpx.Response) -> tuple[Any, ...]:
    """What a caller sees of a response that has been read and closed."""
    next_request = response.next_request
    return (
        response.status_code,
        str(response.url),
        response.text,
        [(r.status_code, str(r.url)) for r in response.history],
        None if next_request is None else (next_request.method, str(next_request.url)),
        response.elapsed > datetime.timedelta(0),
        response.default_encoding,
    )


SCENARIOS: list[tuple[str, bool]] = [
    ("/set", True),
    ("/plain", True),
    ("/hop1", True),
    ("/hop1", False),
    ("/echo", True),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sync_outcomes_match_httpx_send(site: HTTPServer, transport: str) -> None:
    seen: dict[str, list[Any]] = {}
    for route in ROUTES:
        with sync_client(transport) as client:
            client.get(site.url_for("/plain"))  # opened by httpx, as axios_python's clients are
            results = seen.setdefault(route, [])
            for path, follow in SCENARIOS:
                response = sync_send(
                    client, client.build_request("GET", site.url_for(path)), route, follow
                )
                response.read()
                response.close()
                results.append(outcome(response))
            results.append(sorted(client.cookies.items()))
    assert seen["direct"] == seen["httpx-send"]
    assert seen["direct"][-1] == [("a", "1"), ("b", "2"), ("hop", "2")]
    assert seen["direct"][-2][2] == "a=1; b=2; hop=2"  # the last /echo carried every cookie


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_async_outcomes_match_httpx_send(site: HTTPServer, transport: str) -> None:
    seen: dict[str, list[Any]] = {}
    for route in ROUTES:
        async with async_client(transport) as client:
            await client.get(site.url_for("/plain"))
            results = seen.setdefault(route, [])
            for path, follow in SCENARIOS:
                request = client.build_request("GET", site.url_for(path))
                response = await async_send(client, request, route, follow)
                await response.aread()
                await response.aclose()
                results.append(outcome(response))
            results.append(sorted(client.cookies.items()))
    assert seen["direct"] == seen["httpx-send"]
    assert seen["direct"][-1] == [("a", "1"), ("b", "2"), ("hop", "2")]


@pytest.mark.parametrize("route", ROUTES)
def test_sync_max_redirects_as_httpx(site: HTTPServer, route: str) -> None:
    for limit, fails in ((0, True), (1, True), (2, False)):
        with sync_client("axios", max_redirects=limit) as client:
            request = client.build_request("GET", site.url_for("/hop1"))
            if fails:
                with pytest.raises(httpx.TooManyRedirects):
                    sync_send(client, request, route)
            else:
                response = sync_send(client, request, route)
                assert response.status_code == 200
                response.close()


@pytest.mark.parametrize("route", ROUTES)
async def test_async_max_redirects_as_httpx(site: HTTPServer, route: str) -> None:
    for limit, fails in ((0, True), (1, True), (2, False)):
        async with async_client("axios", max_redirects=limit) as client:
            request = client.build_request("GET", site.url_for("/hop1"))
            if fails:
                with pytest.raises(httpx.TooManyRedirects):
                    await async_send(client, request, route)
            else:
                response = await async_send(client, request, route)
                assert response.status_code == 200
                await response.aclose()


def http_log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "httpx"]


@pytest.mark.parametrize("route", ROUTES)
def test_sync_logs_httpx_request_line(
    site: HTTPServer, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    with sync_client("axios") as client, caplog.at_level(logging.INFO, logger="httpx"):
        sync_send(client, client.build_request("GET", site.url_for("/hop1")), route).close()
    assert http_log_lines(caplog) == [
        f'HTTP Request: GET {site.url_for(path)} "HTTP/1.0 {status}"'
        for path, status in (
            ("/hop1", "302 FOUND"),
            ("/hop2", "307 TEMPORARY REDIRECT"),
            ("/echo", "200 OK"),
        )
    ]


@pytest.mark.parametrize("route", ROUTES)
async def test_async_logs_httpx_request_line(
    site: HTTPServer, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with async_client("axios") as client:
        with caplog.at_level(logging.INFO, logger="httpx"):
            request = client.build_request("GET", site.url_for("/plain"))
            await (await async_send(client, request, route)).aclose()
    assert http_log_lines(caplog) == [
        f'HTTP Request: GET {site.url_for("/plain")} "HTTP/1.0 200 OK"'
    ]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sync_transport_errors_carry_the_request(transport: str) -> None:
    with sync_client(transport) as client:
        request = client.build_request("GET", f"http://127.0.0.1:{closed_port()}/")
        with pytest.raises(httpx.ConnectError) as info:
            sync_send(client, request, "direct")
    assert info.value.request is request


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_async_transport_errors_carry_the_request(transport: str) -> None:
    async with async_client(transport) as client:
        request = client.build_request("GET", f"http://127.0.0.1:{closed_port()}/")
        with pytest.raises(httpx.ConnectError) as info:
            await async_send(client, request, "direct")
    assert info.value.request is request


def test_wrong_kind_of_body_refused_as_httpx_does(site: HTTPServer) -> None:
    async def body() -> Any:
        yield b"x"

    with sync_client("axios") as client:
        request = httpx.Request("POST", site.url_for("/plain"), content=body())
        transport = direct_route(client, request, None)
        assert transport is not None
        with pytest.raises(RuntimeError, match="async request"):
            _direct.send(client, transport, request, True)


async def test_async_wrong_kind_of_body_refused_as_httpx_does(site: HTTPServer) -> None:
    async with async_client("axios") as client:
        request = httpx.Request("POST", site.url_for("/plain"), content=iter([b"x"]))
        transport = direct_route(client, request, None)
        assert transport is not None
        with pytest.raises(RuntimeError, match="sync request"):
            await _direct.send_async(client, transport, request, True)


def hook(_: Any) -> None:
    pass


NOT_DIRECT: list[tuple[str, dict[str, Any], str, Any]] = [
    ("auth for the call", {}, "/plain", ("u", "p")),
    ("auth on the client", {"auth": ("u", "p")}, "/plain", None),
    ("userinfo in the URL", {}, "user:pw@", None),
    ("request hook", {"event_hooks": {"request": [hook]}}, "/plain", None),
    ("response hook", {"event_hooks": {"response": [hook]}}, "/plain", None),
]


@pytest.mark.parametrize(
    ("why", "options", "path", "auth"), NOT_DIRECT, ids=[c[0] for c in NOT_DIRECT]
)
def test_what_httpx_send_must_handle_is_left_to_it(
    site: HTTPServer, why: str, options: dict[str, Any], path: str, auth: Any
) -> None:
    url = site.url_for("/plain")
    if path.endswith("@"):
        url = url.replace("://", "://" + path)
    makers: list[Callable[..., Any]] = [sync_client, async_client]
    for make in makers:
        made = make("axios", **options)
        assert direct_route(made, made.build_request("GET", url), auth) is None, why
        plain = make("axios")
        assert direct_route(plain, plain.build_request("GET", site.url_for("/plain")), None)
        if make is sync_client:
            made.close()
            plain.close()


def test_closed_client_is_left_to_httpx_send(site: HTTPServer) -> None:
    client = sync_client("axios")
    request = client.build_request("GET", site.url_for("/plain"))
    assert direct_route(client, request, None) is not None  # and the client is now open
    client.close()
    assert direct_route(client, request, None) is None
    with pytest.raises(RuntimeError, match="closed"):
        client.send(request)
