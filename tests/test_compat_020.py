"""axios-python 0.2.0's contract, run against this package: its README and its exported names.

Every README example runs here against a real server (pytest-httpserver, or a raw-socket
server for stalls and truncation), sync and async. Names still being added by other modules
are taken from ``axios_python`` and the test SKIPS while the name is not importable.

Where the package still differs from 0.2.0 in a way that needs a change outside
``_compat.py``, the test carries ``gap(...)``: a probe decides whether the gap is still
there; while it is, the test must fail with exactly the named exception (strict xfail), and
once the change lands the marker is inert and the test must pass. Each reason names the change
(docs/migration-axios-python-0.2.md lists them).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip
import inspect
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from rawserver import Connection, Handler, RawServer, response_head, servers
from werkzeug import Request
from werkzeug import Response as WResponse

import axios_python
from axios_python import _compat
from axios_python._compat import (
    BaseTransport,
    HttpxTransport,
    LegacyTransportAdapter,
    PreparedRequest,
    adapt_transport,
    build_httpx_response,
    make_response,
    merge_config,
)

# -- what 0.2.0 exported ---------------------------------------------------------------------

NAMES_020 = [
    "create", "AxiosPython", "CancelToken", "Response", "PreparedRequest", "RequestConfig",
    "merge_config", "AxiosPythonError", "TimeoutError", "NetworkError", "CancelError",
    "RetryError", "InterceptorError", "HTTPStatusError", "Plugin", "LoggerPlugin",
    "CachePlugin", "AuthPlugin", "BaseTransport", "HttpxTransport", "RetryStrategy",
    "FixedDelay", "ExponentialBackoff", "LinearBackoff", "all", "spread", "request", "get",
    "post", "put", "patch", "delete", "head", "options", "async_request", "async_get",
    "async_post", "async_put", "async_patch", "async_delete", "async_head", "async_options",
]  # fmt: skip

OPTIONS_020 = [
    "method", "url", "base_url", "headers", "params", "data", "json", "files", "stream",
    "timeout", "max_retries", "retry_strategy", "retry_on", "cancel_token", "follow_redirects",
    "transform_request", "transform_response",
]  # fmt: skip

VERBS = ["get", "post", "put", "patch", "delete", "head", "options"]


def export(name: str) -> Any:
    """``axios_python.<name>``, or skip the test while that name is not exported yet."""
    try:
        return getattr(axios_python, name)
    except AttributeError:
        pytest.skip(f"axios_python.{name} is not exported yet")


def gap(present: bool, change: str, raises: Any) -> pytest.MarkDecorator:
    """While ``present``, the test must fail with ``raises``; afterwards it must pass."""
    return pytest.mark.xfail(
        present, reason=f"pending owner change: {change}", raises=raises, strict=True
    )


def _probe(check: Callable[[], bool]) -> bool:
    """True when the probe shows the gap; a probe that cannot run reports no gap."""
    try:
        return check()
    except Exception:
        return False


def _takes(func: Any, name: str) -> bool:
    parameters = inspect.signature(func).parameters
    return name in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


class _Probe(BaseTransport):
    def send(self, request: PreparedRequest) -> Any:
        return make_response(204, {}, None, request)

    async def send_async(self, request: PreparedRequest) -> Any:
        return self.send(request)


def _legacy_response_ctor_missing() -> bool:
    try:
        axios_python.Response(200, {}, None, None)
    except TypeError:
        return True
    return False


def _transport_hook_missing() -> bool:
    try:
        axios_python.create(base_url="http://127.0.0.1:9", transport=_Probe()).get("/")
    except axios_python.InvalidOptionError:
        return True
    return False


def _custom_scheme_refused() -> bool:
    try:
        api = axios_python.create(base_url="mock://", transport=adapt_transport(_Probe()))
        api.get("/data")
    except axios_python.InvalidURL:
        return True
    return False


def _async_middleware_refused_in_sync_calls() -> bool:
    from axios_python._interceptors import Context, compose

    async def middleware(ctx: Any, next_fn: Any) -> Any:
        return await next_fn()

    try:
        compose([middleware], Context({}, False), lambda context: "ok")
    except axios_python.InterceptorError:
        return True
    return False


def _network_errors_not_retried() -> bool:
    from axios_python._retry import RetryPolicy

    policy = RetryPolicy(1, None, None, "GET")
    return not policy.retryable(axios_python.RemoteProtocolError("disconnected"))


def _predicate_retries_successes() -> bool:
    from axios_python._retry import RetryPolicy

    policy = RetryPolicy(1, None, lambda outcome: True, "GET")
    return bool(policy.retryable(make_response(200, {}, "ok")))


def _zero_arg_on_cancel_fails() -> bool:
    token = axios_python.CancelToken()
    fired: list[int] = []
    token.on_cancel(lambda: fired.append(1))
    try:
        token.cancel()
    except TypeError:
        return True
    return not fired  # refused quietly is refused too


GAP_RESPONSE_CTOR = _probe(_legacy_response_ctor_missing)
GAP_TRANSPORT_HOOK = _probe(_transport_hook_missing)
GAP_CUSTOM_SCHEME = _probe(_custom_scheme_refused)
GAP_PLUGIN_METHOD = not hasattr(axios_python.Axios, "plugin")
GAP_CONTEXT_GET = _probe(lambda: not hasattr(axios_python.Context, "get"))
GAP_SYNC_MIDDLEWARE = _probe(_async_middleware_refused_in_sync_calls)
GAP_MULTIPLIER = _probe(lambda: not _takes(axios_python.ExponentialBackoff, "multiplier"))
GAP_INCREMENT = _probe(lambda: not _takes(axios_python.LinearBackoff, "increment"))
GAP_MAX_SIZE = _probe(lambda: not _takes(axios_python.CachePlugin, "max_size"))
GAP_RETRY_NETWORK = _probe(_network_errors_not_retried)
GAP_ON_CANCEL = _probe(_zero_arg_on_cancel_fails)
GAP_PREDICATE = _probe(_predicate_retries_successes)
GAP_LOGGER_ORDER = _probe(
    lambda: not isinstance(axios_python.LoggerPlugin(logging.INFO).logger, logging.Logger)
)
GAP_STATUS_ERROR_ARGS = _probe(
    lambda: (
        inspect.signature(axios_python.HTTPStatusError).parameters["response"].kind
        is inspect.Parameter.KEYWORD_ONLY
    )
)
GAP_RETRY_ERROR_ARGS = _probe(
    lambda: (
        inspect.signature(axios_python.RetryError).parameters["last_exception"].kind
        is inspect.Parameter.KEYWORD_ONLY
        or inspect.signature(axios_python.RetryError).parameters["attempts"].default
        is inspect.Parameter.empty
    )
)
GAP_EXCEPTIONS_MODULE = not all(
    hasattr(axios_python.exceptions, name)
    for name in ("AxiosPythonError", "CancelError", "RetryError", "InterceptorError")
)


# -- servers ---------------------------------------------------------------------------------


def echo(request: Request) -> WResponse:
    body = {
        "method": request.method,
        "path": request.path,
        "args": dict(request.args),
        "headers": {k.lower(): v for k, v in request.headers.items()},
        "form": dict(request.form),
        "files": {name: f.read().decode() for name, f in request.files.items()},
        "body": request.get_data(as_text=True) if not request.files else "",
    }
    return WResponse(json.dumps(body), content_type="application/json")


@pytest.fixture
def base(httpserver: HTTPServer) -> str:
    """A server answering every path with an echo of the request, as JSON."""
    httpserver.expect_request(re.compile(".*")).respond_with_handler(echo)
    return httpserver.url_for("/").rstrip("/")


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    with servers() as start:
        yield start


def stall(conn: Connection) -> None:
    conn.read_head()
    conn.stall()


def truncated(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Content-Length": "100"}) + b"x" * 10)
    conn.close()


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def run(mode: str, make: Callable[[], Any], sync: Callable[[], Any]) -> Any:
    """``sync()`` in sync mode; ``await make()`` on a fresh loop in async mode."""
    if mode == "sync":
        return sync()

    async def go() -> Any:
        return await make()

    return asyncio.run(go())


# -- names and options -----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES_020)
def test_every_020_name_is_exported(name: str) -> None:
    value = export(name)
    assert value is not None
    if name in _compat.__all__:
        assert value is getattr(_compat, name)
    if name in ("AxiosPythonError", "TimeoutError", "NetworkError", "CancelError"):
        assert issubclass(value, axios_python.AxiosPythonError)


@pytest.mark.parametrize("name", OPTIONS_020)
def test_every_020_option_is_accepted(name: str) -> None:
    assert name in axios_python.RequestOptions.__annotations__
    assert name in _compat.RequestConfig.__annotations__


def test_a_020_config_with_every_option_creates_an_instance(base: str) -> None:
    token = export("CancelToken")()
    config: _compat.RequestConfig = {
        "method": "GET",
        "url": "/x",
        "base_url": base,
        "headers": {"X-App-Client": "MyCLI/1.0"},
        "params": {"query": "python"},
        "stream": False,
        "timeout": 10,
        "max_retries": 0,
        "retry_strategy": export("FixedDelay")(0.01),
        "retry_on": None,
        "cancel_token": token,
        "follow_redirects": True,
        "transform_request": [],
        "transform_response": [],
    }
    api = axios_python.create(config)
    assert api.request("GET", "/x").data["args"] == {"query": "python"}
    api.close()


# -- README: quick start ---------------------------------------------------------------------


def test_readme_basic_synchronous_usage(base: str) -> None:
    response = axios_python.get(f"{base}/get", params={"query": "python"})
    assert response.json()["args"] == {"query": "python"}

    api = axios_python.create(
        {"base_url": base, "timeout": 10, "headers": {"X-App-Client": "MyCLI/1.0"}}
    )
    response = api.get("/get", params={"query": "python"})
    assert response.status_code == 200
    assert response.ok
    body = response.json()
    assert body["path"] == "/get"
    assert body["args"] == {"query": "python"}
    assert body["headers"]["x-app-client"] == "MyCLI/1.0"
    assert body["headers"]["accept"] == "application/json, text/plain, */*"
    api.close()


def test_readme_asynchronous_native(base: str) -> None:
    async def fetch_data() -> tuple[Any, Any]:
        api = axios_python.create({"base_url": base})
        first = await api.async_get("/delay/2")
        second = await axios_python.async_get(f"{base}/delay/2")
        await api.aclose()
        return first.data, second.data

    first, second = asyncio.run(fetch_data())
    assert first["path"] == second["path"] == "/delay/2"


def test_readme_concurrent_requests_with_all_and_spread(base: str) -> None:
    all_, spread = export("all"), export("spread")
    api = axios_python.create({"base_url": base})
    printed: list[str] = []

    async def fetch_multiple() -> None:
        results = await all_(
            [api.async_get("/users/octocat"), api.async_get("/users/octocat/repos")]
        )

        @spread
        def process(profile: Any, repos: Any) -> None:
            printed.append(f"User: {profile.json()['path']}")
            printed.append(f"Repos: {len(repos.json())}")

        process(results)

    asyncio.run(fetch_multiple())
    assert printed == ["User: /users/octocat", "Repos: 7"]


def test_readme_file_uploads(mode: str, base: str, tmp_path: Any) -> None:
    path = tmp_path / "report.csv"
    path.write_text("a,b\n1,2\n")
    with open(path, "rb") as f:
        files = {"file": ("report.csv", f, "text/csv")}
        response = run(
            mode,
            lambda: axios_python.async_post(f"{base}/post", files=files),
            lambda: axios_python.post(f"{base}/post", files=files),
        )
    assert response.data["files"] == {"file": "a,b\n1,2\n"}


def test_readme_streaming_responses(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/stream-bytes/100").respond_with_data(bytes(range(100)))
    httpserver.expect_request("/stream").respond_with_data("one\ntwo\r\nthree\n")

    url = httpserver.url_for("/stream-bytes/100")
    with axios_python.get(url, stream=True) as response:
        sizes = [len(chunk) for chunk in response.iter_bytes(chunk_size=10)]
    assert sizes == [10] * 10

    async def lines() -> list[str]:
        seen = []
        stream_url = httpserver.url_for("/stream")
        async with await axios_python.async_get(stream_url, stream=True) as response:
            async for line in response.aiter_lines():
                seen.append(line)
        return seen

    assert asyncio.run(lines()) == ["one", "two", "three"]


# -- README: core concepts -------------------------------------------------------------------


def test_readme_interceptors(mode: str, httpserver: HTTPServer) -> None:
    def handler(request: Request) -> WResponse:
        payload = {"data": {"auth": request.headers.get("Authorization")}}
        return WResponse(json.dumps(payload), content_type="application/json")

    httpserver.expect_request("/me").respond_with_handler(handler)
    api = axios_python.create({"base_url": httpserver.url_for("/")})

    def authorize_request(config: dict[str, Any]) -> dict[str, Any]:
        config["headers"]["Authorization"] = "Bearer token123"
        return config

    api.interceptors.request.use(authorize_request)

    def unwrap_data(response: Any) -> Any:
        response.data = response.json().get("data", response.data)
        return response

    api.interceptors.response.use(unwrap_data)
    response = run(mode, lambda: api.async_get("/me"), lambda: api.get("/me"))
    assert response.data == {"auth": "Bearer token123"}


def test_readme_data_transformation(mode: str, base: str) -> None:
    def stringify_json(data: Any, headers: dict[str, Any]) -> Any:
        if isinstance(data, dict):
            headers["Content-Type"] = "application/json"
            return json.dumps(data)
        return data

    api = axios_python.create({"base_url": base, "transform_request": [stringify_json]})
    response = run(
        mode,
        lambda: api.async_post("/submit", data={"key": "value"}),
        lambda: api.post("/submit", data={"key": "value"}),
    )
    assert response.data["headers"]["content-type"] == "application/json"
    assert json.loads(response.data["body"]) == {"key": "value"}


def test_readme_transform_response_option(mode: str, base: str) -> None:
    api = axios_python.create(
        {"base_url": base, "transform_response": [lambda data: data["path"], str.upper]}
    )
    response = run(mode, lambda: api.async_get("/shout"), lambda: api.get("/shout"))
    assert response.data == "/SHOUT"


@gap(
    GAP_CONTEXT_GET,
    "middleware context as 0.2.0's dict view (ctx.get(...)) and next_fn(ctx) taking the context",
    AttributeError,
)
def test_readme_middleware(base: str) -> None:
    api = axios_python.create({"base_url": base})
    printed: list[str] = []

    async def logger_middleware(ctx: Any, next_fn: Any) -> Any:
        printed.append(f"Starting {ctx.get('method')} to {ctx.get('url')}")
        start = time.monotonic()
        result = await next_fn(ctx)
        elapsed = time.monotonic() - start
        printed.append(f"Finished in {elapsed:.3f}s with status {result.status_code}")
        return result

    api.use(logger_middleware)
    response = asyncio.run(api.async_get("/traced"))
    assert response.data["path"] == "/traced"
    assert printed[0] == "Starting GET to /traced"
    assert printed[1].endswith("with status 200")


@gap(
    GAP_SYNC_MIDDLEWARE or GAP_CONTEXT_GET,
    "an `async def` middleware also serves sync calls (0.2.0 ran it; drive it without a loop)",
    (axios_python.InterceptorError, AttributeError),
)
def test_020_async_middleware_also_serves_sync_calls(base: str) -> None:
    api = axios_python.create({"base_url": base})
    seen: list[str] = []

    async def tag(ctx: Any, next_fn: Any) -> Any:
        seen.append(ctx.get("url"))
        return await next_fn(ctx)

    api.use(tag)
    assert api.get("/sync").data["path"] == "/sync"
    assert seen == ["/sync"]


@gap(GAP_MULTIPLIER, "ExponentialBackoff(base, multiplier, max_delay) keyword", TypeError)
def test_readme_retry_engine_strategy() -> None:
    backoff = export("ExponentialBackoff")
    strategy = backoff(base=1.0, multiplier=2.0, max_delay=10.0)
    api = axios_python.create(
        {"base_url": "https://httpbin.org", "max_retries": 3, "retry_strategy": strategy}
    )
    assert api.defaults["retry_strategy"] is strategy
    # The waits before retries 1, 2, 3...: 0.2.0 asked get_delay(0), get_delay(1)...
    assert [strategy.get_delay(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]


@gap(
    GAP_RETRY_NETWORK,
    "default retry_on covers every NetworkError and TimeoutError before the body (idempotent)",
    axios_python.NetworkError,
)
def test_readme_retry_on_network_errors_by_default(
    mode: str, serve: Callable[[Handler], RawServer]
) -> None:
    connections: list[int] = []

    def flaky(conn: Connection) -> None:
        connections.append(1)
        conn.read_head()
        if len(connections) == 1:
            conn.close()  # disconnects without a response: a NetworkError, not a connect one
            return
        conn.send(response_head(200, {"Content-Length": "2"}) + b"ok")
        conn.stall(1)

    server = serve(flaky)
    api = axios_python.create(
        {"max_retries": 3, "retry_strategy": export("FixedDelay")(0.01), "timeout": 5}
    )
    response = run(mode, lambda: api.async_get(server.url), lambda: api.get(server.url))
    assert response.content == b"ok"
    assert len(connections) == 2


def test_readme_retry_error_after_the_last_attempt(mode: str) -> None:
    api = axios_python.create({"max_retries": 2, "retry_strategy": export("FixedDelay")(0.01)})
    url = refused_url()
    with pytest.raises(export("RetryError")) as info:
        run(mode, lambda: api.async_get(url), lambda: api.get(url))
    assert isinstance(info.value.last_exception, axios_python.NetworkError)
    assert isinstance(info.value, axios_python.AxiosPythonError)


def test_020_retry_strategy_subclass_with_only_get_delay(
    mode: str, serve: Callable[[Handler], RawServer]
) -> None:
    retry_strategy = export("RetryStrategy")

    class NoWait(retry_strategy):
        def get_delay(self, attempt: int) -> float:
            return 0.0

    api = axios_python.create({"max_retries": 2, "retry_strategy": NoWait()})
    url = refused_url()
    with pytest.raises(export("RetryError")) as info:
        run(mode, lambda: api.async_get(url), lambda: api.get(url))
    assert info.value.attempts == 3


@gap(
    GAP_PREDICATE,
    "a retry_on predicate is not asked about successes (0.2.0's took exceptions only)",
    axios_python.RetryError,
)
def test_020_retry_on_predicate(mode: str) -> None:
    def api_with(reply: Callable[[PreparedRequest], Any]) -> tuple[Any, Recorder]:
        recorder = Recorder(reply)
        api = axios_python.create(
            base_url="http://example.test",
            transport=adapt_transport(recorder),
            max_retries=2,
            retry_strategy=export("FixedDelay")(0),
            retry_on=lambda exc: True,
        )
        return api, recorder

    api, recorder = api_with(lambda request: make_response(200, {}, "ok", request))
    assert run(mode, lambda: api.async_get("/"), lambda: api.get("/")).data == "ok"
    assert len(recorder.seen) == 1

    def flaky(request: PreparedRequest) -> Any:
        if len(recorder.seen) == 1:
            raise axios_python.NetworkError("down")
        return make_response(200, {}, "ok", request)

    api, recorder = api_with(flaky)
    assert run(mode, lambda: api.async_post("/"), lambda: api.post("/")).data == "ok"
    assert len(recorder.seen) == 2


def test_readme_request_cancellation_sync(serve: Callable[[Handler], RawServer]) -> None:
    cancel_token = export("CancelToken")
    server = serve(stall)
    api = axios_python.create({"base_url": server.url})
    token = cancel_token()
    caught: list[BaseException] = []

    def background_fetch() -> None:
        try:
            api.get("/delay/10", cancel_token=token)
        except axios_python.CancelError as e:
            caught.append(e)

    thread = threading.Thread(target=background_fetch)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    token.cancel(reason="User clicked 'Stop'")
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 2  # aborted mid-flight (0.2.0 could not)
    assert "User clicked 'Stop'" in str(caught[0])
    api.close()


def test_readme_request_cancellation_async(serve: Callable[[Handler], RawServer]) -> None:
    cancel_token = export("CancelToken")
    server = serve(stall)

    async def main() -> None:
        api = axios_python.create({"base_url": server.url})
        token = cancel_token()
        asyncio.get_running_loop().call_later(0.3, lambda: token.cancel(reason="Stop"))
        with pytest.raises(axios_python.CancelError, match="Stop"):
            await api.async_get("/delay/10", cancel_token=token)
        await api.aclose()

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 2


@gap(
    GAP_ON_CANCEL,
    "CancelToken.on_cancel accepts 0.2.0's zero-argument callbacks",
    (TypeError, AssertionError),
)
def test_020_cancel_token_api() -> None:
    token = export("CancelToken")()
    fired: list[str] = []
    assert not token.is_cancelled
    token.raise_if_cancelled()
    token.on_cancel(lambda: fired.append("early"))
    token.cancel(reason="why")
    token.cancel(reason="ignored")
    assert token.is_cancelled
    assert token.reason == "why"
    token.on_cancel(lambda: fired.append("late"))  # already cancelled: fires at once
    assert fired == ["early", "late"]
    with pytest.raises(axios_python.CancelError, match="why"):
        token.raise_if_cancelled()


@pytest.mark.parametrize("name", ["FixedDelay", "ExponentialBackoff", "LinearBackoff"])
def test_020_strategy_defaults_construct(name: str) -> None:
    strategy = export(name)()
    assert strategy.get_delay(1) >= 0


@gap(GAP_INCREMENT, "LinearBackoff(base, increment, max_delay) keyword", TypeError)
def test_020_linear_backoff_signature() -> None:
    strategy = export("LinearBackoff")(base=0.5, increment=0.25, max_delay=1.0)
    assert [strategy.get_delay(n) for n in (1, 2, 3, 4)] == [0.5, 0.75, 1.0, 1.0]


def test_020_fixed_delay_signature() -> None:
    assert export("FixedDelay")(delay=0.25).get_delay(3) == 0.25


# -- README: plugins -------------------------------------------------------------------------


@gap(GAP_PLUGIN_METHOD, "Axios.plugin(p), 0.2.0's name for install(p)", AttributeError)
def test_readme_auth_plugin(mode: str, base: str) -> None:
    auth_plugin = export("AuthPlugin")
    api = axios_python.create({"base_url": base})
    assert api.plugin(auth_plugin(scheme="Bearer", token="super-secret-key")) is api
    response = run(mode, lambda: api.async_get("/me"), lambda: api.get("/me"))
    assert response.data["headers"]["authorization"] == "Bearer super-secret-key"

    dynamic = axios_python.create({"base_url": base})
    dynamic.plugin(auth_plugin(token_provider=lambda: "fresh-token"))
    response = run(mode, lambda: dynamic.async_get("/me"), lambda: dynamic.get("/me"))
    assert response.data["headers"]["authorization"] == "Bearer fresh-token"


@gap(
    GAP_PLUGIN_METHOD or GAP_MAX_SIZE,
    "Axios.plugin(p); CachePlugin(ttl, max_size) keyword",
    (AttributeError, TypeError),
)
def test_readme_cache_plugin(mode: str, httpserver: HTTPServer) -> None:
    cache_plugin = export("CachePlugin")
    hits: list[int] = []

    def counted(request: Request) -> WResponse:
        hits.append(1)
        return WResponse(json.dumps({"n": len(hits)}), content_type="application/json")

    httpserver.expect_request("/cached").respond_with_handler(counted)
    api = axios_python.create({"base_url": httpserver.url_for("/")})
    api.plugin(cache_plugin(ttl=120, max_size=256))
    first = run(mode, lambda: api.async_get("/cached"), lambda: api.get("/cached"))
    second = run(mode, lambda: api.async_get("/cached"), lambda: api.get("/cached"))
    assert first.data == second.data == {"n": 1}
    assert len(hits) == 1


@gap(GAP_PLUGIN_METHOD, "Axios.plugin(p), 0.2.0's name for install(p)", AttributeError)
def test_readme_logger_plugin(mode: str, base: str, caplog: pytest.LogCaptureFixture) -> None:
    logger_plugin = export("LoggerPlugin")
    api = axios_python.create({"base_url": base})
    api.plugin(logger_plugin(level=logging.INFO))
    with caplog.at_level(logging.INFO, logger="axios_python"):
        run(mode, lambda: api.async_get("/logged"), lambda: api.get("/logged"))
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("/logged" in message for message in messages)


@gap(GAP_LOGGER_ORDER, "LoggerPlugin(level, logger): 0.2.0's positional order", AssertionError)
def test_020_logger_plugin_positional_level() -> None:
    plugin = export("LoggerPlugin")(logging.WARNING)
    assert isinstance(plugin.logger, logging.Logger)
    assert plugin.level == logging.WARNING


@gap(GAP_PLUGIN_METHOD, "Axios.plugin(p), 0.2.0's name for install(p)", AttributeError)
def test_020_plugin_protocol(mode: str, base: str) -> None:
    plugin = export("Plugin")

    class Stamp:
        def install(self, client: Any) -> None:
            client.interceptors.request.use(self.stamp)

        def stamp(self, config: dict[str, Any]) -> dict[str, Any]:
            config["headers"]["X-Stamp"] = "1"
            return config

    assert isinstance(Stamp(), plugin)
    api = axios_python.create({"base_url": base}).plugin(Stamp())
    response = run(mode, lambda: api.async_get("/x"), lambda: api.get("/x"))
    assert response.data["headers"]["x-stamp"] == "1"


# -- README: error handling ------------------------------------------------------------------


def test_readme_error_handling(
    mode: str, httpserver: HTTPServer, serve: Callable[[Handler], RawServer]
) -> None:
    httpserver.expect_request("/status/404").respond_with_data("nope", status=404)
    url = httpserver.url_for("/status/404")
    response = run(mode, lambda: axios_python.async_get(url), lambda: axios_python.get(url))
    with pytest.raises(axios_python.HTTPStatusError) as status:
        response.raise_for_status()
    assert status.value.response.status_code == 404

    server = serve(stall)
    with pytest.raises(axios_python.TimeoutError):
        run(
            mode,
            lambda: axios_python.async_get(server.url, timeout=0.3),
            lambda: axios_python.get(server.url, timeout=0.3),
        )
    down = refused_url()
    with pytest.raises(axios_python.NetworkError):
        run(mode, lambda: axios_python.async_get(down), lambda: axios_python.get(down))
    for name in ("HTTPStatusError", "TimeoutError", "NetworkError", "CancelError"):
        assert issubclass(getattr(axios_python, name), axios_python.AxiosPythonError)


@gap(GAP_STATUS_ERROR_ARGS, "HTTPStatusError(message, response) positional", TypeError)
def test_020_http_status_error_constructor() -> None:
    response = make_response(500, {}, "boom", None)
    error = axios_python.HTTPStatusError("failed", response)
    assert error.response is response


@gap(
    GAP_RETRY_ERROR_ARGS,
    "RetryError(message, last_exception=None) (attempts optional)",
    TypeError,
)
def test_020_retry_error_constructor() -> None:
    retry_error = export("RetryError")
    cause = axios_python.NetworkError("down")
    assert retry_error("gave up", cause).last_exception is cause
    assert retry_error("gave up").last_exception is None


def test_020_other_exception_constructors() -> None:
    for name in ("AxiosPythonError", "TimeoutError", "NetworkError", "CancelError"):
        error = getattr(axios_python, name)("message")
        assert str(error) == "message"
    assert str(export("InterceptorError")("handler failed")) == "handler failed"


@gap(GAP_EXCEPTIONS_MODULE, "0.2.0's names in axios_python.exceptions", AttributeError)
def test_020_exceptions_submodule() -> None:
    from axios_python import exceptions

    for name in (
        "AxiosPythonError", "TimeoutError", "NetworkError", "CancelError", "RetryError",
        "InterceptorError", "HTTPStatusError",
    ):  # fmt: skip
        assert getattr(exceptions, name) is getattr(axios_python, name)


# -- README: custom transports ---------------------------------------------------------------


@gap(
    GAP_RESPONSE_CTOR or GAP_TRANSPORT_HOOK or GAP_CUSTOM_SCHEME,
    "Response(status_code, headers, data, request); adapt_transport in client_kwargs; "
    "any URL scheme with a custom transport",
    (TypeError, axios_python.InvalidOptionError, axios_python.InvalidURL),
)
def test_readme_custom_transport(mode: str) -> None:
    axios_python_ = axios_python
    AxiosPython, base_transport = axios_python.AxiosPython, export("BaseTransport")

    class MockTransport(base_transport):
        def send(self, request: Any) -> Any:
            return axios_python_.Response(200, {}, {"mock": "data"}, request)

        async def send_async(self, request: Any) -> Any:
            return self.send(request)

    api = AxiosPython(config={"base_url": "mock://"}, transport=MockTransport())
    response = run(mode, lambda: api.async_get("/users"), lambda: api.get("/users"))
    assert response.status_code == 200
    assert response.data == {"mock": "data"}


@gap(
    GAP_TRANSPORT_HOOK, "adapt_transport hooked into client_kwargs", axios_python.InvalidOptionError
)
def test_020_transport_given_without_adapting(mode: str) -> None:
    api = axios_python.create(base_url="http://127.0.0.1:9", transport=_Probe())
    response = run(mode, lambda: api.async_get("/x"), lambda: api.get("/x"))
    assert response.status_code == 204


@gap(GAP_RESPONSE_CTOR, "Response(status_code, headers, data, request)", TypeError)
def test_020_response_constructor() -> None:
    request = PreparedRequest("GET", "http://example.test/x")
    response = axios_python.Response(201, {"X-Id": "7"}, {"ok": True}, request)
    assert response.status_code == 201
    assert response.headers["x-id"] == "7"
    assert response.data == {"ok": True}
    assert response.json() == {"ok": True}
    assert response.request.url == "http://example.test/x"


# -- the 0.2.0 names _compat provides ----------------------------------------------------------


def test_merge_config_is_020s() -> None:
    instance = {"base_url": "https://api.example.com", "headers": {"X-A": "1"}, "extra": {"a": 1}}
    call = {"url": "/u", "headers": {"accept": "text/plain", "X-B": "2"}, "extra": {"b": 2}}
    merged = merge_config(instance, None, {}, call)
    assert merged == {
        "base_url": "https://api.example.com",
        "timeout": 30,
        "headers": {"X-A": "1", "accept": "text/plain", "X-B": "2"},
        "params": {},
        "max_retries": 0,
        "follow_redirects": True,
        "url": "/u",
        "extra": {"a": 1, "b": 2},
    }
    assert instance["headers"] == {"X-A": "1"}  # inputs untouched
    assert merge_config() == dict(_compat.LEGACY_DEFAULTS)
    assert merge_config()["headers"] is not _compat.LEGACY_DEFAULTS["headers"]


def test_merge_config_result_drives_an_instance(base: str) -> None:
    api = axios_python.create(merge_config({"base_url": base}, {"headers": {"X-A": "1"}}))
    assert api.get("/m").data["headers"]["x-a"] == "1"
    api.close()


def test_prepared_request_defaults_are_020s() -> None:
    request = PreparedRequest("GET", "http://x/")
    assert (request.headers, request.params, request.data, request.json, request.files) == (
        {},
        {},
        None,
        None,
        None,
    )
    assert (request.stream, request.timeout, request.follow_redirects) == (False, 30, True)
    assert request == PreparedRequest(method="GET", url="http://x/")


def test_prepared_request_from_httpx() -> None:
    request = httpx.Request(
        "POST",
        "http://h:1/path?a=1&a=2&b=3",
        headers=[("X-Foo", "1"), ("x-foo", "2")],
        json={"k": [1, 2]},
        extensions={"timeout": {"connect": 1, "read": 5, "write": 1, "pool": 1}},
    )
    prepared = PreparedRequest.from_httpx(request)
    assert prepared.method == "POST"
    assert prepared.url == "http://h:1/path"
    assert prepared.params == {"a": ["1", "2"], "b": "3"}
    assert prepared.headers == {"X-Foo": "1, 2", "Content-Type": "application/json"}
    assert (prepared.json, prepared.data) == ({"k": [1, 2]}, None)
    assert (prepared.timeout, prepared.follow_redirects, prepared.stream) == (5, False, False)

    form = PreparedRequest.from_httpx(httpx.Request("PUT", "http://h/", data={"a": "b"}))
    assert (form.data, form.json) == (b"a=b", None)
    assert PreparedRequest.from_httpx(httpx.Request("GET", "http://h/")).data is None
    streamed = httpx.Request("GET", "http://h/", extensions={_compat.STREAM_EXTENSION: True})
    assert PreparedRequest.from_httpx(streamed).stream is True


def test_base_transport_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseTransport()

    class SyncOnly(BaseTransport):
        def send(self, request: PreparedRequest) -> Any:
            return None

    with pytest.raises(TypeError):
        SyncOnly()


def test_make_response_keeps_020_data() -> None:
    request = PreparedRequest("GET", "http://example.test/x")
    marker = object()
    cases: list[tuple[Any, bytes, str | None]] = [
        ({"mock": "data"}, b'{"mock": "data"}', "application/json"),
        ([1, 2], b"[1, 2]", "application/json"),
        ("hello", b"hello", "text/plain; charset=utf-8"),
        (b"\x00\x01", b"\x00\x01", None),
        (None, b"", None),
        (marker, str(marker).encode(), "text/plain; charset=utf-8"),
    ]
    for data, body, content_type in cases:
        response = make_response(200, {"X-Test": "1", "Content-Length": "999"}, data, request)
        assert response.data is data
        assert response.content == body
        assert response.headers.get("content-type") == content_type
        assert response.headers.get("content-length", "0") == str(len(body))  # 999 dropped
        assert response.headers["x-test"] == "1"
        assert response.request.url == "http://example.test/x"
    response = make_response(200, {}, {"a": 1})
    assert response.json() == {"a": 1}
    assert response.text == '{"a": 1}'
    assert list(response.iter_bytes(3)) == [b'{"a', b'": ', b"1}"]
    assert response.raise_for_status() is response
    assert (
        make_response(200, {"Content-Type": "application/vnd.x"}, "t").headers["content-type"]
        == "application/vnd.x"
    )
    with pytest.raises(axios_python.HTTPStatusError):
        make_response(404, {}, "missing", request).raise_for_status()
    with pytest.raises(TypeError):
        build_httpx_response("200")


def test_adapt_transport_choices() -> None:
    native = httpx.MockTransport(lambda request: httpx.Response(200))
    assert adapt_transport(None) is None
    assert adapt_transport(native) is native
    assert adapt_transport(HttpxTransport()) is None
    legacy = _Probe()
    adapter = adapt_transport(legacy)
    assert isinstance(adapter, LegacyTransportAdapter)
    assert isinstance(adapter, httpx.BaseTransport)
    assert isinstance(adapter, httpx.AsyncBaseTransport)
    assert adapter.transport is legacy

    class Subclass(HttpxTransport):
        pass

    assert isinstance(adapt_transport(Subclass()), LegacyTransportAdapter)

    class DuckTyped:
        def send(self, request: Any) -> Any: ...

        async def send_async(self, request: Any) -> Any: ...

    assert isinstance(adapt_transport(DuckTyped()), LegacyTransportAdapter)
    with pytest.raises(axios_python.InvalidOptionError):
        adapt_transport(object())


class Recorder(BaseTransport):
    """The README's MockTransport, recording what it is sent."""

    def __init__(self, reply: Callable[[PreparedRequest], Any] | None = None) -> None:
        self.seen: list[PreparedRequest] = []
        self.closed: list[str] = []
        self.reply = reply or (lambda request: make_response(200, {}, {"mock": "data"}, request))

    def send(self, request: PreparedRequest) -> Any:
        self.seen.append(request)
        return self.reply(request)

    async def send_async(self, request: PreparedRequest) -> Any:
        return self.send(request)

    def close(self) -> None:
        self.closed.append("close")

    async def aclose(self) -> None:
        self.closed.append("aclose")


def test_a_legacy_transport_serves_an_instance(mode: str) -> None:
    recorder = Recorder()
    api = axios_python.create(base_url="http://example.test", transport=adapt_transport(recorder))
    response = run(
        mode,
        lambda: api.async_post("/users", params={"page": 2}, json={"name": "a"}, timeout=7),
        lambda: api.post("/users", params={"page": 2}, json={"name": "a"}, timeout=7),
    )
    assert response.status_code == 200
    assert response.data == {"mock": "data"}
    assert response.request.url == "http://example.test/users?page=2"
    [seen] = recorder.seen
    assert (seen.method, seen.url, seen.params) == (
        "POST",
        "http://example.test/users",
        {"page": "2"},
    )
    assert seen.json == {"name": "a"}
    assert seen.headers["Accept"] == "application/json, text/plain, */*"
    assert "Host" not in seen.headers
    assert (seen.timeout, seen.follow_redirects) == (7, False)


@pytest.mark.parametrize(
    "reply",
    [
        lambda request: httpx.Response(200, json={"mock": "data"}),
        lambda request: type(
            "Old", (), {"status_code": 200, "headers": {}, "data": {"mock": "data"}}
        )(),
    ],
    ids=["httpx-response", "020-shaped-object"],
)
def test_a_legacy_transport_may_return_other_shapes(mode: str, reply: Any) -> None:
    api = axios_python.create(
        base_url="http://example.test", transport=adapt_transport(Recorder(reply))
    )
    response = run(mode, lambda: api.async_get("/x"), lambda: api.get("/x"))
    assert response.data == {"mock": "data"}


def test_a_legacy_transport_returning_nonsense_is_refused(mode: str) -> None:
    api = axios_python.create(
        base_url="http://example.test", transport=adapt_transport(Recorder(lambda request: 42))
    )
    with pytest.raises(TypeError, match=r"must return axios_python\.Response"):
        run(mode, lambda: api.async_get("/x"), lambda: api.get("/x"))


def test_errors_from_a_legacy_transport_propagate(mode: str) -> None:
    down = axios_python.NetworkError("down")

    def fail(request: PreparedRequest) -> Any:
        raise down

    api = axios_python.create(
        base_url="http://example.test", transport=adapt_transport(Recorder(fail))
    )
    with pytest.raises(axios_python.NetworkError) as info:
        run(mode, lambda: api.async_get("/x"), lambda: api.get("/x"))
    assert info.value is down

    def bug(request: PreparedRequest) -> Any:
        raise KeyError("yours")

    api = axios_python.create(
        base_url="http://example.test", transport=adapt_transport(Recorder(bug))
    )
    with pytest.raises(KeyError):
        run(mode, lambda: api.async_get("/x"), lambda: api.get("/x"))


def test_closing_the_instance_closes_the_legacy_transport() -> None:
    recorder = Recorder()
    api = axios_python.create(base_url="http://example.test", transport=adapt_transport(recorder))
    api.get("/x")

    async def main() -> None:
        await api.async_get("/x")
        await api.aclose()

    asyncio.run(main())
    assert recorder.closed == ["aclose", "close"]


class Wrapping(BaseTransport):
    """A 0.2.0-style transport that records each hop and delegates to HttpxTransport."""

    def __init__(self) -> None:
        self.inner = HttpxTransport()
        self.hops: list[str] = []

    def send(self, request: PreparedRequest) -> Any:
        self.hops.append(request.url)
        return self.inner.send(request)

    async def send_async(self, request: PreparedRequest) -> Any:
        self.hops.append(request.url)
        return await self.inner.send_async(request)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_wrapping_transport_over_httpx_transport(mode: str, httpserver: HTTPServer) -> None:
    body = b"line\n" * 20000
    httpserver.expect_request("/old").respond_with_data("", status=302, headers={"Location": "/gz"})
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(body), headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"}
    )
    httpserver.expect_request("/echo").respond_with_handler(echo)
    wrapping = Wrapping()
    api = axios_python.create(base_url=httpserver.url_for("/"), transport=adapt_transport(wrapping))
    response = run(mode, lambda: api.async_get("/old"), lambda: api.get("/old"))
    assert response.content == body
    assert response.url.endswith("/gz")
    assert [hop.rsplit("/", 1)[1] for hop in wrapping.hops] == ["old", "gz"]

    posted = run(
        mode,
        lambda: api.async_post("/echo", data={"a": "b"}),
        lambda: api.post("/echo", data={"a": "b"}),
    )
    assert posted.data["form"] == {"a": "b"}

    if mode == "sync":
        with api.get("/gz", stream=True) as streamed:
            assert b"".join(streamed.iter_bytes()) == body
        api.close()
    else:

        async def stream() -> bytes:
            async with api.async_get("/gz", stream=True) as streamed:
                chunks = [chunk async for chunk in streamed.aiter_bytes()]
            await api.aclose()
            return b"".join(chunks)

        assert asyncio.run(stream()) == body


class SyncOnlyStreaming(BaseTransport):
    """Streams every hop, and answers async calls with its sync ``send`` (as the README's)."""

    def __init__(self) -> None:
        self.inner = HttpxTransport()

    def send(self, request: PreparedRequest) -> Any:
        return self.inner.send(dataclasses.replace(request, stream=True))

    async def send_async(self, request: PreparedRequest) -> Any:
        return self.send(request)


def test_an_unread_response_from_a_transport_streams_on(mode: str, httpserver: HTTPServer) -> None:
    body = bytes(range(256)) * 4096
    httpserver.expect_request("/big").respond_with_data(body)
    transport = SyncOnlyStreaming()
    api = axios_python.create(
        base_url=httpserver.url_for("/"), transport=adapt_transport(transport)
    )
    if mode == "sync":
        with api.get("/big", stream=True) as response:
            assert b"".join(response.iter_bytes(65536)) == body
        assert api.get("/big").content == body
    else:

        async def go() -> bytes:
            async with api.async_get("/big", stream=True) as response:
                return b"".join([chunk async for chunk in response.aiter_bytes(65536)])

        assert asyncio.run(go()) == body
    api.close()
    transport.inner.close()


def test_httpx_transport_used_directly(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/data").respond_with_json({"ok": True})
    transport = HttpxTransport()
    request = PreparedRequest("GET", httpserver.url_for("/data"), params={"q": "1"})

    async def go() -> Any:
        response = await transport.send_async(request)
        await transport.aclose()
        return response

    response = asyncio.run(go()) if mode == "async" else transport.send(request)
    assert response.data == {"ok": True}
    assert response.request.url.params["q"] == "1"
    transport.close()


# -- behaviour 0.2.0 got wrong, fixed ----------------------------------------------------------


@pytest.fixture
def no_event_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a sync call started an event loop")

    monkeypatch.setattr(asyncio, "run", refuse)
    monkeypatch.setattr(asyncio, "new_event_loop", refuse)
    monkeypatch.setattr(asyncio.events, "new_event_loop", refuse)


def test_sync_calls_never_start_an_event_loop(base: str, no_event_loops: None) -> None:
    assert axios_python.get(f"{base}/a").data["path"] == "/a"
    api = axios_python.create(base_url=base)
    assert api.post("/b", json={}).data["path"] == "/b"
    transport = HttpxTransport()
    assert transport.send(PreparedRequest("GET", f"{base}/c")).data["path"] == "/c"
    legacy = axios_python.create(base_url=base, transport=adapt_transport(Wrapping()))
    assert legacy.get("/d").data["path"] == "/d"
    for closable in (api, transport, legacy):
        closable.close()


def test_a_sync_call_works_inside_a_running_loop(base: str) -> None:
    async def main() -> Any:
        return axios_python.get(f"{base}/in-loop").data["path"]  # 0.2.0 needed a thread

    assert asyncio.run(main()) == "/in-loop"


def _drain(mode: str, response_of: Callable[[], Any], aresponse_of: Callable[[], Any]) -> None:
    if mode == "sync":
        with response_of() as response:
            for _ in response.iter_bytes():
                pass
        return

    async def go() -> None:
        async with await aresponse_of() as response:
            async for _ in response.aiter_bytes():
                pass

    asyncio.run(go())


def test_errors_mid_stream_are_ours(mode: str, serve: Callable[[Handler], RawServer]) -> None:
    server = serve(truncated)
    transport = HttpxTransport()
    request = PreparedRequest("GET", server.url, stream=True)
    wrapped = axios_python.create(transport=adapt_transport(Wrapping()))
    attempts: list[tuple[Callable[[], Any], Callable[[], Any]]] = [
        (
            lambda: axios_python.get(server.url, stream=True),
            lambda: axios_python.async_get(server.url, stream=True),
        ),
        (lambda: transport.send(request), lambda: transport.send_async(request)),
        (
            lambda: wrapped.get(server.url, stream=True),
            lambda: wrapped.async_get(server.url, stream=True),
        ),
    ]
    for sync_call, async_call in attempts:
        with pytest.raises(axios_python.NetworkError) as info:
            _drain(mode, sync_call, async_call)
        assert not isinstance(info.value, httpx.HTTPError)
        assert "truncated" in str(info.value)
        assert info.value.__cause__ is not None
    with contextlib.suppress(Exception):
        transport.close()
        wrapped.close()


# -- the API surface of 0.2.0's instance and Response ------------------------------------------


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_as_020_called_it(verb: str, base: str) -> None:
    api = axios_python.AxiosPython(config={"base_url": base})
    results = [
        getattr(axios_python, verb)(f"{base}/v"),
        getattr(axios_python, verb)(url=f"{base}/v"),
        getattr(api, verb)("/v"),
        axios_python.request(verb.upper(), f"{base}/v"),
        api.request(verb.upper(), "/v"),
        asyncio.run(getattr(axios_python, f"async_{verb}")(f"{base}/v")),
        asyncio.run(getattr(api, f"async_{verb}")("/v")),
        asyncio.run(axios_python.async_request(verb.upper(), f"{base}/v")),
        asyncio.run(api.async_request(verb.upper(), "/v")),
    ]
    for response in results:
        assert response.status_code == 200
        if verb != "head":
            assert response.data["method"] == verb.upper()
    assert api.defaults["base_url"] == base
    with api:
        pass


def test_response_surface_of_020(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/r").respond_with_data(
        "a\nb\n", headers={"X-Thing": "1"}, content_type="text/plain"
    )
    url = httpserver.url_for("/r")
    response = run(mode, lambda: axios_python.async_get(url), lambda: axios_python.get(url))
    assert response.status_code == 200
    assert response.headers["x-thing"] == response.headers["X-Thing"] == "1"
    assert response.data == response.text == "a\nb\n"
    assert response.ok
    assert response.raise_for_status() is response
    assert str(response.request.url) == url
    assert "200" in repr(response)

    def sync_stream() -> Any:
        with axios_python.get(url, stream=True) as r:
            return r.read(), list(axios_python.get(url, stream=True).iter_lines())

    async def async_stream() -> Any:
        async with await axios_python.async_get(url, stream=True) as r:
            body = await r.aread()
        other = await axios_python.async_get(url, stream=True)
        lines = [line async for line in other.aiter_lines()]
        await other.aclose()
        return body, lines

    body, lines = run(mode, async_stream, sync_stream)
    assert body == b"a\nb\n"
    assert lines == ["a", "b"]
