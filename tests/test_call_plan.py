"""Repeated calls reuse their prepared form (``_call_plan``), and never a stale one.

A plan exists only for speed, so every end-to-end test here makes a call, changes something
the plan was made from, calls again, and checks what the server received: an edit of the
instance's defaults in place, cookies the client got meanwhile, and edits of a response's
config or request. Calls of one test run on one event loop (async) or thread (sync), so the
second call really meets the first one's plan and its kept request head.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request as ServerRequest
from werkzeug import Response as ServerResponse

import axios_python
from axios_python._call_plan import PLANS_KEPT, CallPlans, same
from axios_python._config import merge_call, merge_config

Step = Callable[[Any], Any]


def run_steps(
    mode: str,
    api: axios_python.Axios,
    steps: list[tuple[str, str, dict[str, Any]]],
    between: Callable[[int, Any], None] = lambda i, r: None,
) -> list[Any]:
    """Each ``(method, url, options)`` in turn through ``api``, all on one loop when async;
    ``between(i, response)`` runs after call ``i``."""
    if mode == "sync":
        responses = []
        for i, (method, url, options) in enumerate(steps):
            responses.append(api.request(method, url, **options))
            between(i, responses[-1])
        return responses

    async def go() -> list[Any]:
        responses = []
        for i, (method, url, options) in enumerate(steps):
            responses.append(await api.async_request(method, url, **options))
            between(i, responses[-1])
        await api.aclose()
        return responses

    return asyncio.run(go())


def received(httpserver: HTTPServer, name: str) -> list[str | None]:
    return [request.headers.get(name) for request, _ in httpserver.log]


@pytest.fixture
def echo(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/echo").respond_with_data("ok")
    return httpserver


def test_default_header_edited_in_place_is_sent(mode: str, echo: HTTPServer) -> None:
    api = axios_python.create(headers={"X-Token": "one"})
    url = echo.url_for("/echo")

    def edit(i: int, _: Any) -> None:
        if i == 0:
            api.defaults["headers"]["X-Token"] = "two"
        if i == 1:
            del api.defaults["headers"]["X-Token"]

    run_steps(mode, api, [("GET", url, {})] * 4, edit)
    api.close()
    assert received(echo, "X-Token") == ["one", "two", None, None]


def test_nested_values_edited_in_place_are_seen(mode: str, echo: HTTPServer) -> None:
    """A list inside the defaults' headers, and the hooks' list: the merged config of each
    call shares them with the defaults, so only a deep snapshot sees them change."""
    api = axios_python.create(headers={"X-Multi": ["a"]}, hooks={"response": []})
    url = echo.url_for("/echo")

    def edit(i: int, _: Any) -> None:
        if i == 0:
            api.defaults["headers"]["X-Multi"].append("b")
        if i == 1:
            api.defaults["hooks"]["response"].append("not a function")

    with pytest.raises(axios_python.InvalidOptionError, match="must be callable"):
        run_steps(mode, api, [("GET", url, {})] * 3, edit)
    api.close()
    # (the server joins a header's lines with commas); the bad hook was refused before
    # a third request went out
    sent = [",".join(request.headers.getlist("X-Multi")) for request, _ in echo.log]
    assert [value.replace(" ", "") for value in sent] == ["a", "a,b"]


def test_default_options_replaced_are_used(mode: str, echo: HTTPServer) -> None:
    api = axios_python.create(base_url=echo.url_for("/"), validate_status=None)
    echo.expect_request("/missing").respond_with_data("no", status=404)

    def edit(i: int, _: Any) -> None:
        if i == 0:
            api.defaults["validate_status"] = lambda status: status < 400

    with pytest.raises(axios_python.HTTPStatusError):
        run_steps(mode, api, [("GET", "/missing", {})] * 2, edit)
    api.close()


def test_params_edited_between_calls_are_sent(mode: str, echo: HTTPServer) -> None:
    params = {"page": "1"}
    api = axios_python.create(params=params)
    url = echo.url_for("/echo")

    def edit(i: int, _: Any) -> None:
        api.defaults["params"].append(("page", "2"))

    run_steps(mode, api, [("GET", url, {})] * 3, edit)
    api.close()
    assert [request.query_string for request, _ in echo.log] == [
        b"page=1",
        b"page=1&page=2",
        b"page=1&page=2&page=2",
    ]


def test_cookies_set_meanwhile_are_sent(mode: str, httpserver: HTTPServer) -> None:
    """The second /me meets a kept head made when the client had no cookies."""
    httpserver.expect_request("/me").respond_with_data("me")

    def login(_: ServerRequest) -> ServerResponse:
        response = ServerResponse("in")
        response.set_cookie("session", "s1")
        return response

    httpserver.expect_request("/login").respond_with_handler(login)
    api = axios_python.create()
    me, log_in = httpserver.url_for("/me"), httpserver.url_for("/login")
    run_steps(mode, api, [("GET", me, {}), ("GET", me, {}), ("GET", log_in, {}), ("GET", me, {})])
    api.close()
    assert received(httpserver, "Cookie") == [None, None, None, "session=s1"]


def test_edits_of_a_response_never_reach_the_next_call(mode: str, echo: HTTPServer) -> None:
    api = axios_python.create(headers={"X-Token": "one"})
    url = echo.url_for("/echo")

    def edit(i: int, response: Any) -> None:
        response.config["headers"]["X-Token"] = "edited"
        response.config["url"] = "http://127.0.0.1:9/elsewhere"
        response.request.headers["X-Added"] = "1"

    responses = run_steps(mode, api, [("GET", url, {})] * 3, edit)
    api.close()
    assert received(echo, "X-Token") == ["one"] * 3
    assert received(echo, "X-Added") == [None] * 3
    assert len({id(r.config) for r in responses}) == 3  # each call its own config


def test_a_call_option_makes_its_own_plan(mode: str, echo: HTTPServer) -> None:
    api = axios_python.create()
    url = echo.url_for("/echo")
    steps = [
        ("GET", url, {}),
        ("GET", url, {"headers": {"X-Call": "a"}}),
        ("GET", url, {"headers": {"X-Call": "b"}}),
        ("GET", url, {}),
        ("HEAD", url, {}),
    ]
    run_steps(mode, api, steps)
    api.close()
    assert received(echo, "X-Call") == [None, "a", "b", None, None]
    assert [request.method for request, _ in echo.log] == ["GET"] * 4 + ["HEAD"]


def test_equal_values_of_other_types_are_sent_as_themselves(mode: str, echo: HTTPServer) -> None:
    """1, True and 1.0 compare equal; a query sends them as 1, true and 1.0."""
    api = axios_python.create()
    url = echo.url_for("/echo")
    values = [1, True, 1.0, 0, False]
    run_steps(mode, api, [("GET", url, {"params": {"a": value}}) for value in values])
    api.close()
    assert [request.query_string for request, _ in echo.log] == [
        b"a=1",
        b"a=true",
        b"a=1.0",
        b"a=0",
        b"a=false",
    ]


@pytest.mark.parametrize(
    ("good", "bad"),
    [({"stream": False}, {"stream": 0}), ({"timeout": 1}, {"timeout": True})],
    ids=["stream", "timeout"],
)
def test_a_bad_value_equal_to_a_good_one_is_refused(
    mode: str, echo: HTTPServer, good: dict[str, Any], bad: dict[str, Any]
) -> None:
    api = axios_python.create()
    url = echo.url_for("/echo")
    with pytest.raises(axios_python.InvalidOptionError):
        run_steps(mode, api, [("GET", url, good), ("GET", url, bad)])
    api.close()
    assert len(echo.log) == 1  # refused before any I/O


def test_header_order_is_kept(mode: str, echo: HTTPServer) -> None:
    api = axios_python.create(headers={"X-First": "1", "X-Second": "2"})
    url = echo.url_for("/echo")

    def reorder(i: int, _: Any) -> None:
        api.defaults["headers"] = dict(reversed(list(api.defaults["headers"].items())))

    run_steps(mode, api, [("GET", url, {})] * 2, reorder)
    api.close()
    orders = [
        [name for name, _ in request.headers if name.startswith("X-")] for request, _ in echo.log
    ]
    assert orders == [["X-First", "X-Second"], ["X-Second", "X-First"]]


def test_a_request_timeout_edited_by_the_caller_stays_its_own(mode: str, echo: HTTPServer) -> None:
    api = axios_python.create(timeout=5)
    url = echo.url_for("/echo")

    def edit(i: int, response: Any) -> None:
        response.request.extensions["timeout"]["read"] = 0.000001

    responses = run_steps(mode, api, [("GET", url, {})] * 3, edit)
    api.close()
    assert len(echo.log) == 3  # no call timed out on the edited value
    first, second = (r.request.extensions["timeout"] for r in responses[:2])
    assert first is not second


def test_containers_an_interceptor_shares_are_read_afresh(mode: str, echo: HTTPServer) -> None:
    """An interceptor that puts its own mapping (not a plain dict) in the config: no plan
    can snapshot it, so each call sends what the mapping holds then."""
    shared = httpx.Headers({"Authorization": "Bearer old"})
    api = axios_python.create()
    url = echo.url_for("/echo")

    def put(config: dict[str, Any]) -> dict[str, Any]:
        config["headers"] = shared
        return config

    api.interceptors.request.use(put)

    def edit(i: int, _: Any) -> None:
        shared["Authorization"] = "Bearer new"

    run_steps(mode, api, [("GET", url, {})] * 2, edit)
    api.close()
    assert received(echo, "Authorization") == ["Bearer old", "Bearer new"]


def test_params_set_on_the_defaults_as_a_dict_are_sent(mode: str, echo: HTTPServer) -> None:
    api = axios_python.create()
    api.defaults["params"] = {"d": "1"}
    run_steps(mode, api, [("GET", echo.url_for("/echo"), {})] * 2)
    api.close()
    assert [request.query_string for request, _ in echo.log] == [b"d=1", b"d=1"]


# -- the plans themselves (no I/O) ----------------------------------------------------------


def config_of(defaults: dict[str, Any], **call: Any) -> dict[str, Any]:
    return merge_call(defaults, {"method": "GET", "url": "http://h/x", **call})


def test_an_equal_config_reuses_the_plan() -> None:
    defaults = merge_config(axios_python.create().defaults, {"headers": {"X-A": "1"}})
    plans = CallPlans()
    first = plans.prepare(config_of(defaults))
    second_config = config_of(defaults)
    second = plans.prepare(second_config)
    assert first.plan is not None and second.plan is first.plan
    assert second.config is second_config and second.headers == first.headers
    defaults["headers"]["X-A"] = "2"
    third = plans.prepare(config_of(defaults))
    assert third.plan is not first.plan and third.headers["X-A"] == "2"


def test_an_httpx_timeout_changed_in_place_is_seen() -> None:
    defaults = merge_config(axios_python.create().defaults, {"timeout": httpx.Timeout(5.0)})
    plans = CallPlans()
    assert plans.prepare(config_of(defaults)).timeout.read == 5.0
    defaults["timeout"].read = 1.5
    assert plans.prepare(config_of(defaults)).timeout.read == 1.5


@pytest.mark.parametrize(
    "call",
    [
        {"data": {"a": "1"}},
        {"json": [1]},
        {"content": b"x"},
        {"cookies": {"c": "1"}},
        {"proxies": {"all": "http://127.0.0.1:9"}},
        {"signal": axios_python.AbortController().signal},
        {"cancel_token": axios_python.CancelToken.source()[0]},
        {"on_download_progress": lambda event: None},
    ],
    ids=lambda call: next(iter(call)),
)
def test_calls_with_per_call_state_are_not_planned(call: dict[str, Any]) -> None:
    defaults = axios_python.create().defaults
    assert CallPlans().prepare(config_of(defaults, **call)).plan is None


def test_a_bad_option_is_refused_every_time() -> None:
    plans = CallPlans()
    config = config_of(axios_python.create().defaults, timeout=-1)
    for _ in range(2):
        with pytest.raises(axios_python.InvalidOptionError):
            plans.prepare(dict(config))


def test_plans_are_bounded() -> None:
    defaults = axios_python.create().defaults
    plans = CallPlans()
    for i in range(PLANS_KEPT * 2 + 3):
        prepared = plans.prepare(config_of(defaults, url=f"http://h/{i}"))
        assert str(prepared.url) == f"http://h/{i}"
        assert len(plans._plans) <= PLANS_KEPT


@pytest.mark.parametrize(
    ("given", "kept", "expected"),
    [
        ({"a": 1}, {"a": 1}, True),
        ({"a": 1}, {"a": True}, False),
        ({"a": 1.0}, {"a": 1}, False),
        ([("p", 0)], [("p", False)], False),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, False),
        ({"h": ["x", "y"]}, {"h": ["x", "y"]}, True),
        ({"h": ["x", "y"]}, {"h": ("x", "y")}, False),
        (OrderedDict(a=1), {"a": 1}, False),
        ({"t": (1, 2)}, {"t": (1, 2.0)}, False),
        ({1: "x"}, {True: "x"}, False),
    ],
)
def test_same_is_equal_in_types_and_order(given: Any, kept: Any, expected: bool) -> None:
    assert same(given, kept) is expected
