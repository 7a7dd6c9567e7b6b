"""Interceptors, transforms, middleware, retry and cancellation: sync and async, real servers."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from conftest import send
from pytest_httpserver import HTTPServer
from rawserver import Connection, RawServer, response_head
from werkzeug import Request, Response

import axios_python
from axios_python import (
    CancelError,
    CancelToken,
    FixedDelay,
    HTTPStatusError,
    InterceptorError,
    RetryError,
)


@pytest.fixture
def echo_url(httpserver: HTTPServer) -> str:
    def echo(request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        return Response(
            __import__("json").dumps({"headers": headers, "body": request.get_data(as_text=True)}),
            content_type="application/json",
        )

    httpserver.expect_request("/echo").respond_with_handler(echo)
    return httpserver.url_for("/echo")


# -- interceptors ------------------------------------------------------------------------


def test_interceptor_order_eject_and_clear(mode: str, echo_url: str) -> None:
    api = axios_python.create()
    seen: list[str] = []

    def tag(name: str) -> Any:
        def handler(config: dict[str, Any]) -> dict[str, Any]:
            seen.append(name)
            config["headers"][f"X-{name}"] = "1"
            return config

        return handler

    first = api.interceptors.request.use(tag("first"))
    api.interceptors.request.use(tag("second"))
    api.interceptors.response.use(lambda r: seen.append("response-1") or r)
    api.interceptors.response.use(lambda r: seen.append("response-2") or r)
    data = send(mode, "GET", echo_url, api=api).data
    assert seen == ["second", "first", "response-1", "response-2"]  # as axios
    assert data["headers"]["x-first"] == data["headers"]["x-second"] == "1"
    api.interceptors.request.eject(first)
    seen.clear()
    assert "x-first" not in send(mode, "GET", echo_url, api=api).data["headers"]
    api.interceptors.request.clear()
    api.interceptors.response.clear()
    seen.clear()
    send(mode, "GET", echo_url, api=api)
    assert seen == []


def test_async_interceptors_run_for_async_calls_and_refuse_sync_ones(echo_url: str) -> None:
    api = axios_python.create()

    async def add_token(config: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0)
        config["headers"]["Authorization"] = "Bearer async"
        return config

    api.interceptors.request.use(add_token)
    assert send("async", "GET", echo_url, api=api).data["headers"]["authorization"] == (
        "Bearer async"
    )
    with pytest.raises(InterceptorError, match="async"):
        api.get(echo_url)


def test_on_rejected_recovers_or_reraises(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("down", status=503)
    api = axios_python.create(validate_status=lambda s: s < 500)
    api.interceptors.response.use(None, lambda error: error.response)  # recover
    assert send(mode, "GET", httpserver.url_for("/down"), api=api).status == 503

    strict = axios_python.create(validate_status=lambda s: s < 500)

    def rethrow(error: BaseException) -> None:
        raise error

    strict.interceptors.response.use(None, rethrow)
    with pytest.raises(HTTPStatusError):
        send(mode, "GET", httpserver.url_for("/down"), api=strict)


def test_a_failing_handler_is_an_interceptor_error_with_its_cause(mode: str, echo_url: str) -> None:
    api = axios_python.create()

    def broken(config: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("oops")

    api.interceptors.request.use(broken)
    with pytest.raises(InterceptorError) as info:
        send(mode, "GET", echo_url, api=api)
    assert isinstance(info.value.__cause__, KeyError)
    assert info.value.code == "ERR_INTERCEPTOR"


# -- transforms --------------------------------------------------------------------------


def test_transforms_at_instance_and_call_level(mode: str, echo_url: str) -> None:
    def shout(data: Any, headers: dict[str, Any]) -> Any:
        headers["X-Transformed"] = "yes"
        return data.upper()

    api = axios_python.create(transform_request=[shout])
    data = send(
        mode,
        "POST",
        echo_url,
        api=api,
        content=None,
        data="quiet",
        transform_response=[lambda d: d["body"], lambda body: body + "!"],
    ).data
    assert data == "QUIET!"


# -- middleware --------------------------------------------------------------------------


def test_middleware_times_wraps_and_short_circuits(mode: str, echo_url: str) -> None:
    api = axios_python.create()
    calls: list[str] = []
    if mode == "sync":

        def timing(ctx: Any, next: Any) -> Any:
            started = time.perf_counter()
            response = next()
            ctx.state["seconds"] = time.perf_counter() - started
            calls.append("timing")
            return response

        def canned(ctx: Any, next: Any) -> Any:
            if ctx.config["url"].endswith("/cached"):
                return axios_python.get(echo_url)  # replaces the response entirely
            return next()
    else:

        async def timing(ctx: Any, next: Any) -> Any:
            response = await next()
            calls.append("timing")
            return response

        async def canned(ctx: Any, next: Any) -> Any:
            if ctx.config["url"].endswith("/cached"):
                return await axios_python.async_get(echo_url)
            return await next()

    api.use(timing).use(canned)
    assert send(mode, "GET", echo_url, api=api).status == 200
    short = send(mode, "GET", echo_url.replace("/echo", "/cached"), api=api)
    assert short.status == 200 and "headers" in short.data
    assert calls == ["timing", "timing"]


# -- retry -------------------------------------------------------------------------------


def flaky(
    httpserver: HTTPServer, failures: int, status: int = 503, path: str = "/flaky", **headers: str
) -> list[float]:
    hits: list[float] = []

    def handler(request: Request) -> Response:
        hits.append(time.monotonic())
        if len(hits) <= failures:
            return Response("busy", status=status, headers=headers)
        return Response("ok")

    httpserver.expect_request(path).respond_with_handler(handler)
    return hits


def test_retry_until_success(mode: str, httpserver: HTTPServer) -> None:
    hits = flaky(httpserver, 2)
    response = send(
        mode, "GET", httpserver.url_for("/flaky"), max_retries=3, retry_strategy=FixedDelay(0.01)
    )
    assert response.text == "ok" and len(hits) == 3


def test_exhausted_retries_raise_retry_error(mode: str, httpserver: HTTPServer) -> None:
    hits = flaky(httpserver, 10)
    with pytest.raises(RetryError) as info:
        send(
            mode,
            "GET",
            httpserver.url_for("/flaky"),
            max_retries=2,
            retry_strategy=FixedDelay(0.01),
        )
    assert info.value.attempts == 3 and len(hits) == 3
    assert isinstance(info.value.last_exception, HTTPStatusError)
    assert info.value.response is not None and info.value.response.status == 503


def test_retry_after_is_honoured_up_to_the_max_delay(mode: str, httpserver: HTTPServer) -> None:
    hits = flaky(httpserver, 1, status=429, **{"Retry-After": "1"})
    send(mode, "GET", httpserver.url_for("/flaky"), max_retries=1)
    assert hits[1] - hits[0] >= 0.9
    hits2 = flaky(httpserver, 1, status=429, path="/later", **{"Retry-After": "3600"})
    strategy = FixedDelay(0.01, max_delay=0.2)
    send(mode, "GET", httpserver.url_for("/later"), max_retries=1, retry_strategy=strategy)
    assert hits2[1] - hits2[0] < 1.0


def test_non_idempotent_methods_are_not_retried_by_default(
    mode: str, httpserver: HTTPServer
) -> None:
    hits = flaky(httpserver, 1)
    response = send(mode, "POST", httpserver.url_for("/flaky"), max_retries=3)
    assert response.status == 503 and len(hits) == 1
    hits2 = flaky(httpserver, 1, path="/again")
    response = send(
        mode,
        "POST",
        httpserver.url_for("/again"),
        max_retries=3,
        retry_on=[503],
        retry_strategy=FixedDelay(0.01),
    )
    assert response.status == 200 and len(hits2) == 2


def test_retry_on_connect_errors_and_total_bounds_all_attempts(mode: str) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(RetryError) as info:
        send(
            mode,
            "GET",
            f"http://127.0.0.1:{port}/",
            max_retries=50,
            retry_strategy=FixedDelay(0.2),
            timeout=axios_python.Timeout(5, total=1),
        )
    assert time.monotonic() - started < 1.5
    assert isinstance(info.value.last_exception, axios_python.ConnectError)
    assert 2 <= info.value.attempts < 10


def test_retry_predicate(mode: str, httpserver: HTTPServer) -> None:
    hits = flaky(httpserver, 1, status=418)
    response = send(
        mode,
        "GET",
        httpserver.url_for("/flaky"),
        max_retries=2,
        retry_strategy=FixedDelay(0.01),
        retry_on=lambda outcome: getattr(outcome, "status", None) == 418,
    )
    assert response.status == 200 and len(hits) == 2


# -- cancellation ------------------------------------------------------------------------


def test_cancel_before_the_request(mode: str, echo_url: str) -> None:
    token = CancelToken()
    token.cancel("not needed")
    with pytest.raises(CancelError, match="not needed") as info:
        send(mode, "GET", echo_url, cancel_token=token)
    assert info.value.code == "ERR_CANCELED"


def test_cancel_token_semantics() -> None:
    token = CancelToken()
    fired: list[str | None] = []
    token.on_cancel(fired.append)
    token.cancel("first")
    token.cancel("second")
    assert token.is_cancelled and token.reason == "first" and fired == ["first"]
    late: list[str | None] = []
    token.on_cancel(late.append)
    assert late == ["first"]
    with pytest.raises(CancelError):
        token.raise_if_cancelled()
    controller = axios_python.AbortController()
    assert not controller.signal.aborted
    controller.abort()
    assert controller.signal.aborted


def stall_before_head(conn: Connection) -> None:
    conn.read_head()
    conn.stall(10)


def stall_mid_body(conn: Connection) -> None:
    conn.read_head()
    conn.send(response_head(200, {"Content-Length": "1000000"}))
    conn.send(b"x" * 1000)
    conn.stall(10)


@pytest.mark.parametrize("stage", ["waiting", "mid-stream"])
def test_cancel_from_another_thread_or_task(mode: str, stage: str) -> None:
    handler = stall_before_head if stage == "waiting" else stall_mid_body
    with RawServer(handler) as server:
        token = CancelToken()
        api = axios_python.create(timeout=30)
        cancelled_at: list[float] = []

        def cancel_later() -> None:
            time.sleep(0.3)
            cancelled_at.append(time.monotonic())
            token.cancel("user gave up")

        if mode == "sync":
            threading.Thread(target=cancel_later).start()
            with (
                pytest.raises(CancelError, match="user gave up"),
                api.get(server.url, stream=True, cancel_token=token) as r,
            ):
                for _ in r.iter_bytes():
                    pass
            api.close()
        else:

            async def go() -> None:
                async def cancel_task() -> None:
                    await asyncio.sleep(0.3)
                    cancelled_at.append(time.monotonic())
                    token.cancel("user gave up")

                task = asyncio.create_task(cancel_task())
                with pytest.raises(CancelError, match="user gave up"):
                    async with api.async_get(server.url, stream=True, cancel_token=token) as r:
                        async for _ in r.aiter_bytes():
                            pass
                await task
                await api.aclose()

            asyncio.run(go())
        assert time.monotonic() - cancelled_at[0] < 0.35  # within 100 ms, with slack
        assert server.wait_connection().peer_closed.wait(2), "the connection was released"


def test_abort_signal(mode: str) -> None:
    with RawServer(stall_before_head) as server:
        controller = axios_python.AbortController()
        threading.Timer(0.2, controller.abort).start()
        with pytest.raises(CancelError):
            send(mode, "GET", server.url, signal=controller.signal)


def test_token_and_signal_together_either_cancels_and_nothing_piles_up(
    mode: str, echo_url: str
) -> None:
    import gc

    token = axios_python.CancelToken()
    controller = axios_python.AbortController()
    for _ in range(50):  # long-lived token and controller, many calls
        send(mode, "GET", echo_url, cancel_token=token, signal=controller.signal)
    gc.collect()
    assert token._callbacks == {} and controller.signal.token._callbacks == {}
    with RawServer(stall_before_head) as server:
        threading.Timer(0.2, controller.abort).start()
        with pytest.raises(CancelError, match="aborted"):
            send(mode, "GET", server.url, cancel_token=token, signal=controller.signal)


def test_module_level_interceptors_and_streamed_responses(mode: str, echo_url: str) -> None:
    seen: list[int] = []
    key = axios_python.interceptors.response.use(lambda r: seen.append(r.status) or r)
    try:
        if mode == "sync":
            with axios_python.get(echo_url, stream=True) as r:
                assert b"headers" in r.read()
        else:

            async def go() -> None:
                async with axios_python.async_get(echo_url, stream=True) as r:
                    assert b"headers" in await r.aread()

            asyncio.run(go())
    finally:
        axios_python.interceptors.response.eject(key)
    assert seen == [200]


def test_retries_resend_rewindable_bodies_and_never_spent_iterators(
    mode: str, httpserver: HTTPServer, tmp_path: Any
) -> None:
    bodies: list[bytes] = []

    def handler(request: Request) -> Response:
        bodies.append(request.get_data())
        return Response("busy", status=503) if len(bodies) % 2 else Response("ok")

    httpserver.expect_request("/put").respond_with_handler(handler)
    url = httpserver.url_for("/put")
    path = tmp_path / "body.bin"
    path.write_bytes(b"file body")
    with path.open("rb") as f:
        response = send(mode, "PUT", url, content=f, max_retries=2, retry_strategy=FixedDelay(0.01))
    assert response.status == 200 and bodies == [b"file body", b"file body"]

    def once() -> Any:
        yield b"one-shot"

    bodies.clear()
    response = send(
        mode, "PUT", url, content=once(), max_retries=2, retry_strategy=FixedDelay(0.01)
    )
    assert response.status == 503 and bodies == [b"one-shot"]  # not resent empty


def test_the_total_deadline_is_final_not_retried(mode: str) -> None:
    """A total covers every attempt: when it runs out the caller gets DeadlineExceeded, the
    timeout they asked for, not a RetryError about attempts that could never be made."""

    def stall(conn: Connection) -> None:
        conn.read_head()
        conn.stall(5)

    with RawServer(stall) as server, pytest.raises(axios_python.DeadlineExceeded):
        send(
            mode,
            "GET",
            server.url,
            max_retries=3,
            retry_strategy=FixedDelay(0.01),
            timeout=axios_python.Timeout(5, total=0.3),
        )
