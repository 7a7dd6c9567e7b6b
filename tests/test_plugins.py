"""Plugins (auth, cache, logger) and the all/spread helpers, sync and async, on real servers."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import send
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as WResponse

import axios_python
from axios_python import AxiosError, HTTPStatusError, InvalidOptionError
from axios_python._helpers import all as all_
from axios_python._helpers import spread
from axios_python._plugins import (
    AuthPlugin,
    CachePlugin,
    LoggerPlugin,
    Plugin,
    install,
)

SECRET = "s3cr3t-t0ken-value"


def echo_headers(request: Request) -> WResponse:
    body = {"path": request.path, "headers": {k.lower(): v for k, v in request.headers.items()}}
    return WResponse(json.dumps(body), content_type="application/json")


def seen(httpserver: HTTPServer, path: str) -> int:
    """How many requests for ``path`` reached the server."""
    return sum(1 for request, _ in httpserver.log if request.path == path)


@pytest.fixture
def echo(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/echo").respond_with_handler(echo_headers)
    return httpserver.url_for("/echo")


@pytest.fixture
def api(httpserver: HTTPServer) -> Any:
    client = axios_python.create(base_url=httpserver.url_for("/"))
    yield client
    client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the Plugin protocol ------------------------------------------------------------------


def test_plugins_satisfy_the_protocol_and_install_helpers(api: Any, echo: str) -> None:
    assert isinstance(AuthPlugin(token="t"), Plugin)
    assert isinstance(CachePlugin(), Plugin)
    assert isinstance(LoggerPlugin(), Plugin)
    assert not isinstance(object(), Plugin)

    class Stamp:
        def install(self, client: Any) -> None:
            client.interceptors.request.use(self.stamp)

        def stamp(self, config: dict[str, Any]) -> dict[str, Any]:
            config["headers"] = {**config["headers"], "X-Stamp": "yes"}
            return config

    assert isinstance(Stamp(), Plugin)
    assert install(api, Stamp(), AuthPlugin(token="abc")) is api
    headers = api.get("/echo").data["headers"]
    assert headers["x-stamp"] == "yes"
    assert headers["authorization"] == "Bearer abc"
    with pytest.raises(TypeError, match="not a plugin"):
        install(api, object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a class"):
        install(api, AuthPlugin)  # type: ignore[arg-type]


def test_instance_install_method(api: Any, echo: str) -> None:
    api.install(AuthPlugin(token="via-install"))
    assert api.get("/echo").data["headers"]["authorization"] == "Bearer via-install"


def test_public_exports() -> None:
    """The plugins and helpers are reachable from the package, as axios.all / axios.spread."""
    from axios_python import _helpers, _plugins

    assert axios_python.all is _helpers.all
    assert axios_python.spread is _helpers.spread
    for name in ("Plugin", "AuthPlugin", "CachePlugin", "LoggerPlugin"):
        assert getattr(axios_python, name) is getattr(_plugins, name)


# -- AuthPlugin ---------------------------------------------------------------------------


def test_auth_static_token(mode: str, api: Any, echo: str) -> None:
    AuthPlugin(token=SECRET).install(api)
    assert send(mode, "GET", "/echo", api=api).data["headers"]["authorization"] == (
        f"Bearer {SECRET}"
    )
    # The header went on the request only: the instance defaults are untouched.
    assert "Authorization" not in api.defaults["headers"]
    assert all(name.lower() != "authorization" for name in api.defaults["headers"])


def test_auth_sync_provider_is_asked_on_every_call(mode: str, api: Any, echo: str) -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return f"token-{len(calls)}"

    AuthPlugin(token_provider=provider).install(api)
    first = send(mode, "GET", "/echo", api=api).data["headers"]["authorization"]
    second = send(mode, "GET", "/echo", api=api).data["headers"]["authorization"]
    assert (first, second) == ("Bearer token-1", "Bearer token-2")


async def test_auth_async_provider_serves_async_calls(api: Any, echo: str) -> None:
    async def provider() -> str:
        await asyncio.sleep(0)
        return "from-async"

    AuthPlugin(token_provider=provider).install(api)
    response = await api.async_get("/echo")
    assert response.data["headers"]["authorization"] == "Bearer from-async"


def test_auth_async_provider_refuses_a_sync_call(
    api: Any, echo: str, httpserver: HTTPServer
) -> None:
    async def provider() -> str:  # pragma: no cover - never called
        return "never"

    AuthPlugin(token_provider=provider).install(api)
    with pytest.raises(AxiosError, match="async"):
        api.get("/echo")
    assert seen(httpserver, "/echo") == 0  # nothing went out unauthenticated


def test_auth_explicit_header_wins(mode: str, api: Any, echo: str) -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return "plugin-token"

    AuthPlugin(token_provider=provider).install(api)
    data = send(mode, "GET", "/echo", api=api, headers={"authorization": "Basic mine"}).data
    assert data["headers"]["authorization"] == "Basic mine"
    assert calls == []  # not even asked
    data = send(mode, "GET", "/echo", api=api, auth=("user", "pw")).data
    assert data["headers"]["authorization"].startswith("Basic ")
    assert calls == []


async def test_auth_explicit_header_wins_over_an_async_provider(api: Any, echo: str) -> None:
    async def provider() -> str:
        return "plugin-token"

    AuthPlugin(token_provider=provider).install(api)
    response = await api.async_get("/echo", headers={"Authorization": "Token explicit"})
    assert response.data["headers"]["authorization"] == "Token explicit"


def test_auth_custom_header_and_scheme_and_no_token(mode: str, api: Any, echo: str) -> None:
    tokens: list[str | None] = ["key-1", None]
    AuthPlugin(token_provider=lambda: tokens.pop(0), header="X-API-Key", scheme=None).install(api)
    assert send(mode, "GET", "/echo", api=api).data["headers"]["x-api-key"] == "key-1"
    headers = send(mode, "GET", "/echo", api=api).data["headers"]
    assert "x-api-key" not in headers and "authorization" not in headers


def test_auth_bad_arguments_and_bad_tokens(api: Any, echo: str) -> None:
    with pytest.raises(InvalidOptionError, match="exactly one"):
        AuthPlugin()
    with pytest.raises(InvalidOptionError, match="exactly one"):
        AuthPlugin(token="a", token_provider=lambda: "b")
    with pytest.raises(InvalidOptionError, match="callable"):
        AuthPlugin(token_provider="nope")  # type: ignore[arg-type]
    AuthPlugin(token_provider=lambda: 42).install(api)  # type: ignore[arg-type, return-value]
    with pytest.raises(InvalidOptionError, match="str or None"):
        api.get("/echo")


# -- CachePlugin --------------------------------------------------------------------------


@pytest.fixture
def counted(httpserver: HTTPServer) -> Callable[[str], int]:
    """JSON endpoints under /c/ that report how often each was served."""
    served: dict[str, int] = {}

    def handler(request: Request) -> WResponse:
        key = request.full_path.rstrip("?")
        served[key] = served.get(key, 0) + 1
        body = {"path": key, "n": served[key], "auth": request.headers.get("Authorization")}
        return WResponse(json.dumps(body), content_type="application/json")

    for path in ("/c/a", "/c/b", "/c/c", "/c/p"):
        httpserver.expect_request(path).respond_with_handler(handler)
    return lambda path: seen(httpserver, path)


def test_cache_hit_within_ttl(mode: str, api: Any, counted: Callable[[str], int]) -> None:
    cache = CachePlugin(ttl=30)
    cache.install(api)
    first = send(mode, "GET", "/c/a", api=api)
    second = send(mode, "GET", "/c/a", api=api)
    assert counted("/c/a") == 1
    assert (cache.hits, cache.misses, len(cache)) == (1, 1, 1)
    # The hit is a complete, buffered response.
    assert second.status == 200 and second.ok
    assert second.data == first.data == {"path": "/c/a", "n": 1, "auth": None}
    assert second.json() == first.json()
    assert second.content == first.content
    assert json.loads(second.text) == first.data
    assert second.headers["content-type"] == "application/json"
    assert second.headers["content-length"] == str(len(second.content))
    assert b"".join(second.iter_bytes(4)) == second.content
    # Each hit is its own object: changing one leaves the next untouched.
    second.data = "changed"
    assert send(mode, "GET", "/c/a", api=api).data["n"] == 1


def test_cache_miss_after_ttl(mode: str, api: Any, counted: Callable[[str], int]) -> None:
    CachePlugin(ttl=0.15).install(api)
    assert send(mode, "GET", "/c/a", api=api).data["n"] == 1
    assert send(mode, "GET", "/c/a", api=api).data["n"] == 1
    time.sleep(0.3)
    assert send(mode, "GET", "/c/a", api=api).data["n"] == 2
    assert counted("/c/a") == 2


def test_cache_evicts_the_least_recently_used(
    mode: str, api: Any, counted: Callable[[str], int]
) -> None:
    cache = CachePlugin(ttl=30, max_entries=2)
    cache.install(api)
    for path in ("/c/a", "/c/b", "/c/a", "/c/c"):  # a is used again, so b is the oldest
        send(mode, "GET", path, api=api)
    assert len(cache) == 2
    assert (counted("/c/a"), counted("/c/b"), counted("/c/c")) == (1, 1, 1)
    send(mode, "GET", "/c/a", api=api)  # still cached
    send(mode, "GET", "/c/c", api=api)  # still cached
    assert (counted("/c/a"), counted("/c/c")) == (1, 1)
    send(mode, "GET", "/c/b", api=api)  # evicted: back to the server
    assert counted("/c/b") == 2


def test_cache_keys_on_url_params_and_vary_headers(
    mode: str, api: Any, counted: Callable[[str], int]
) -> None:
    CachePlugin().install(api)
    assert send(mode, "GET", "/c/p", api=api, params={"x": "1"}).data["path"] == "/c/p?x=1"
    assert send(mode, "GET", "/c/p", api=api, params={"x": "2"}).data["path"] == "/c/p?x=2"
    assert send(mode, "GET", "/c/p?x=1", api=api).data["n"] == 1  # same URL as params x=1
    assert send(mode, "GET", "/c/p", api=api).data["path"] == "/c/p"
    assert counted("/c/p") == 3
    # Different credentials never share an entry; the same ones do.
    one = send(mode, "GET", "/c/b", api=api, headers={"Authorization": "Bearer one"}).data
    two = send(mode, "GET", "/c/b", api=api, headers={"Authorization": "Bearer two"}).data
    again = send(mode, "GET", "/c/b", api=api, headers={"Authorization": "Bearer one"}).data
    assert (one["auth"], two["auth"], again["auth"]) == ("Bearer one", "Bearer two", "Bearer one")
    assert counted("/c/b") == 2
    send(mode, "GET", "/c/b", api=api, headers={"Accept": "text/plain"})
    send(mode, "GET", "/c/b", api=api, auth=("user", "pw"))
    assert counted("/c/b") == 4


def test_cache_keys_on_the_token_an_auth_plugin_adds(
    mode: str, api: Any, counted: Callable[[str], int]
) -> None:
    tokens = iter(["alice", "bob", "alice"])
    CachePlugin().install(api)  # installed first: the token still reaches the key
    AuthPlugin(token_provider=lambda: next(tokens)).install(api)
    seen_auth = [send(mode, "GET", "/c/a", api=api).data["auth"] for _ in range(3)]
    assert seen_auth == ["Bearer alice", "Bearer bob", "Bearer alice"]
    assert counted("/c/a") == 2


def test_cache_skips_streamed_responses(
    mode: str, api: Any, httpserver: HTTPServer, counted: Callable[[str], int]
) -> None:
    cache = CachePlugin()
    cache.install(api)
    for options in ({"stream": True}, {"response_type": "stream"}):
        for _ in range(2):
            if mode == "sync":
                with api.get("/c/a", **options) as response:
                    assert json.loads(response.read())["path"] == "/c/a"
            else:

                async def go(options: dict[str, Any] = options) -> None:
                    async with api.async_get("/c/a", **options) as response:
                        assert json.loads(await response.aread())["path"] == "/c/a"

                asyncio.run(go())
    assert counted("/c/a") == 4
    assert len(cache) == 0
    send(mode, "GET", "/c/a", api=api)  # a buffered call after them is not served from them
    assert counted("/c/a") == 5


def test_cache_skips_non_2xx(mode: str, api: Any, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/missing").respond_with_data("no", status=404)
    httpserver.expect_request("/broken").respond_with_data("no", status=500)
    httpserver.expect_request("/moved").respond_with_data(
        "", status=302, headers={"Location": "/x"}
    )
    cache = CachePlugin()
    cache.install(api)
    for _ in range(2):
        assert send(mode, "GET", "/missing", api=api).status == 404
        assert send(mode, "GET", "/broken", api=api).status == 500
        assert send(mode, "GET", "/moved", api=api, follow_redirects=False).status == 302
    assert (seen(httpserver, "/missing"), seen(httpserver, "/broken")) == (2, 2)
    assert seen(httpserver, "/moved") == 2
    with pytest.raises(HTTPStatusError):
        send(mode, "GET", "/missing", api=api, validate_status=lambda s: s < 400)
    assert len(cache) == 0


def test_cache_honours_no_store_and_no_cache(
    mode: str, api: Any, httpserver: HTTPServer, counted: Callable[[str], int]
) -> None:
    httpserver.expect_request("/private").respond_with_data(
        "x", headers={"Cache-Control": "private, no-store"}
    )
    CachePlugin().install(api)
    send(mode, "GET", "/private", api=api)
    send(mode, "GET", "/private", api=api)
    assert seen(httpserver, "/private") == 2
    send(mode, "GET", "/c/a", api=api)
    assert send(mode, "GET", "/c/a", api=api, headers={"Cache-Control": "no-cache"}).data["n"] == 2
    assert send(mode, "GET", "/c/a", api=api).data["n"] == 2  # the fresh one was stored


def test_cache_unsafe_methods_invalidate_their_url(
    mode: str, api: Any, httpserver: HTTPServer, counted: Callable[[str], int]
) -> None:
    CachePlugin().install(api)
    send(mode, "GET", "/c/a", api=api)
    send(mode, "GET", "/c/a", api=api, params={"page": "2"})
    send(mode, "GET", "/c/b", api=api)
    assert send(mode, "POST", "/c/a", api=api, json={"new": True}).data["n"] == 2
    assert send(mode, "GET", "/c/a", api=api).data["n"] == 3  # the POST dropped the entry...
    assert send(mode, "GET", "/c/a", api=api, params={"page": "2"}).data["n"] == 2  # ...all
    assert send(mode, "GET", "/c/b", api=api).data["n"] == 1  # other URLs are kept


def test_cache_leaves_out_bodies_over_max_entry_size(
    mode: str, api: Any, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 2048)
    cache = CachePlugin(max_entry_size=1024)
    cache.install(api)
    assert len(send(mode, "GET", "/big", api=api).content) == 2048
    assert len(send(mode, "GET", "/big", api=api).content) == 2048
    assert seen(httpserver, "/big") == 2 and len(cache) == 0


def test_cache_applies_this_calls_options_to_a_hit(
    mode: str, api: Any, counted: Callable[[str], int]
) -> None:
    CachePlugin().install(api)
    send(mode, "GET", "/c/a", api=api)
    hit = send(mode, "GET", "/c/a", api=api, response_type="text")
    assert isinstance(hit.data, str) and counted("/c/a") == 1
    with pytest.raises(axios_python.ContentTooLarge):
        send(mode, "GET", "/c/a", api=api, max_content_length=5)
    with pytest.raises(HTTPStatusError):
        send(mode, "GET", "/c/a", api=api, validate_status=lambda s: s == 201)
    assert counted("/c/a") == 1


def test_cache_serves_decoded_bodies_of_compressed_responses(
    mode: str, api: Any, httpserver: HTTPServer
) -> None:
    import gzip

    body = json.dumps({"zipped": True}).encode()
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(body), headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    CachePlugin().install(api)
    assert send(mode, "GET", "/gz", api=api).data == {"zipped": True}
    hit = send(mode, "GET", "/gz", api=api)
    assert hit.data == {"zipped": True} and hit.content == body
    assert "content-encoding" not in hit.headers
    assert seen(httpserver, "/gz") == 1


def test_cache_is_thread_safe(api: Any, counted: Callable[[str], int]) -> None:
    cache = CachePlugin(max_entries=2)
    cache.install(api)
    paths = ["/c/a", "/c/b", "/c/c", "/c/p"]
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for i in range(25):
                path = paths[(i + offset) % len(paths)]
                assert api.get(path).data["path"] == path
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) <= 2
    assert cache.hits + cache.misses == 200


def test_cache_bad_arguments() -> None:
    for options in ({"ttl": 0}, {"ttl": -1}, {"ttl": "5"}, {"max_entries": 0}, {"vary": "Accept"}):
        with pytest.raises(InvalidOptionError):
            CachePlugin(**options)


def test_cache_hit_still_honours_a_cancelled_call(
    mode: str, api: Any, counted: Callable[[str], int]
) -> None:
    CachePlugin().install(api)
    send(mode, "GET", "/c/a", api=api)
    controller = axios_python.AbortController()
    controller.abort()
    with pytest.raises(axios_python.CancelError):
        send(mode, "GET", "/c/a", api=api, signal=controller.signal)
    assert counted("/c/a") == 1


# -- LoggerPlugin -------------------------------------------------------------------------


def test_logger_logs_request_and_response(
    mode: str, api: Any, echo: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="axios_python")
    LoggerPlugin().install(api)
    send(mode, "GET", "/echo", api=api, params={"q": "1"})
    records = [r for r in caplog.records if r.name == "axios_python"]
    assert [r.levelno for r in records] == [logging.INFO, logging.INFO]
    request, response = (r.getMessage() for r in records)
    assert request == f"HTTP request: GET {echo}?q=1"
    assert response.startswith(f"HTTP response: GET {echo}?q=1 -> 200 OK (")
    assert records[1].http_status == 200  # type: ignore[attr-defined]
    assert records[1].elapsed_ms >= 0  # type: ignore[attr-defined]


def test_logger_custom_logger_and_level(
    mode: str, api: Any, echo: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="myapp.http")
    LoggerPlugin(logger="myapp.http", level="debug").install(api)
    send(mode, "GET", "/echo", api=api)
    records = [r for r in caplog.records if r.name == "myapp.http"]
    assert len(records) == 2 and all(r.levelno == logging.DEBUG for r in records)


def test_logger_redacts_secrets(
    mode: str, api: Any, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/login").respond_with_data(
        "ok", headers={"Set-Cookie": f"session={SECRET}; HttpOnly", "X-Visible": "shown"}
    )
    caplog.set_level(logging.INFO)  # (httpcore's DEBUG trace shows raw headers: not ours)
    LoggerPlugin(log_headers=True, redact=["X-Private"]).install(api)
    AuthPlugin(token=SECRET).install(api)
    send(
        mode,
        "GET",
        "/login",
        api=api,
        headers={
            "Cookie": f"sid={SECRET}",
            "Proxy-Authorization": f"Basic {SECRET}",
            "X-Private": SECRET,
        },
    )
    assert seen(httpserver, "/login") == 1
    ours = [r for r in caplog.records if r.name == "axios_python"]
    assert len(ours) == 2
    text = "\n".join(r.getMessage() for r in ours)
    assert "[redacted]" in text and "x-visible" in text.lower() and "shown" in text
    for header in ("Authorization", "Cookie", "Proxy-Authorization", "set-cookie", "X-Private"):
        assert f"'{header}': '[redacted]'" in text, header
    for record in caplog.records:  # every record of every logger, all of its fields
        assert SECRET not in record.getMessage()
        assert SECRET not in repr(record.__dict__)


def test_logger_redacts_a_password_in_the_url(
    mode: str, httpserver: HTTPServer, echo: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="axios_python")
    api = axios_python.create()
    LoggerPlugin().install(api)
    url = echo.replace("http://", f"http://user:{SECRET}@")
    send(mode, "GET", url, api=api)
    ours = [r for r in caplog.records if r.name == "axios_python"]
    assert len(ours) == 2
    for record in ours:
        assert SECRET not in record.getMessage() and SECRET not in repr(record.__dict__)
        assert "//user:[redacted]@" in record.getMessage()
    api.close()


def test_logger_logs_failures_at_warning_with_the_code(
    mode: str, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="axios_python")
    api = axios_python.create()
    LoggerPlugin().install(api)
    with pytest.raises(axios_python.ConnectError):
        send(mode, "GET", f"http://127.0.0.1:{free_port()}/down", api=api)
    warning = caplog.records[-1]
    assert warning.levelno == logging.WARNING
    assert "ERR_NETWORK" in warning.getMessage()
    assert warning.error_code == "ERR_NETWORK"  # type: ignore[attr-defined]

    httpserver.expect_request("/nope").respond_with_data("no", status=404)
    with pytest.raises(HTTPStatusError):
        send(mode, "GET", httpserver.url_for("/nope"), api=api, validate_status=lambda s: s < 400)
    warning = caplog.records[-1]
    assert warning.levelno == logging.WARNING
    assert "ERR_BAD_REQUEST" in warning.getMessage()
    assert warning.http_status == 404  # type: ignore[attr-defined]
    api.close()


def test_logger_sees_cache_hits_when_installed_first(
    mode: str, api: Any, counted: Callable[[str], int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="axios_python")
    LoggerPlugin().install(api)
    CachePlugin().install(api)
    send(mode, "GET", "/c/a", api=api)
    send(mode, "GET", "/c/a", api=api)
    responses = [r for r in caplog.records if r.getMessage().startswith("HTTP response")]
    assert len(responses) == 2 and counted("/c/a") == 1


# -- all / spread -------------------------------------------------------------------------


async def test_all_runs_requests_concurrently_in_order(api: Any, echo: str) -> None:
    first, second = await all_([api.async_get("/echo"), api.async_get("/echo", params={"n": 2})])
    assert first.status == second.status == 200
    assert second.url.endswith("?n=2") and not first.url.endswith("?n=2")

    async def value(n: int, delay: float) -> int:
        await asyncio.sleep(delay)
        return n

    started = time.perf_counter()
    results = await all_(value(n, 0.2 - n / 20) for n in range(4))  # any iterable
    assert results == [0, 1, 2, 3]
    assert time.perf_counter() - started < 0.4  # concurrently, not one after another
    assert await all_([]) == []


async def test_all_fails_fast_and_cancels_the_rest(api: Any) -> None:
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(axios_python.ConnectError):
        await all_([slow(), api.async_get(f"http://127.0.0.1:{free_port()}/")])
    assert cancelled.is_set()


async def test_all_refuses_what_cannot_be_awaited(api: Any, echo: str) -> None:
    pending = api.async_get("/echo")
    with pytest.raises(TypeError, match="awaitables"):
        await all_([pending, api.get("/echo")])
    pending.close()  # never scheduled: close it, as the caller would


def test_spread() -> None:
    def add(a: int, b: int, c: int = 0) -> int:
        return a + b + c

    spreader = spread(add)
    assert spreader([1, 2]) == 3
    assert spreader((1, 2, 3)) == 6
    assert "add" in spreader.__name__


async def test_all_with_spread(api: Any, echo: str) -> None:
    def both(a: Any, b: Any) -> tuple[int, int]:
        return a.status, b.status

    assert spread(both)(await all_([api.async_get("/echo"), api.async_get("/echo")])) == (200, 200)
