"""Requests end to end against pytest-httpserver: verbs, options, bodies, responses, errors."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import raises_in, send
from pools import pooled_connections
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import axios_python
from axios_python import HTTPStatusError, NetworkError, TooManyRedirects

VERBS = ["get", "post", "put", "patch", "delete", "head", "options"]


def echo(request: Request) -> Response:
    body = {
        "method": request.method,
        "path": request.path,
        "args": [list(item) for item in request.args.items(multi=True)],
        "headers": {k.lower(): v for k, v in request.headers.items()},
        "form": [list(item) for item in request.form.items(multi=True)],
        "files": {name: f.read().decode() for name, f in request.files.items()},
        "body": request.get_data().decode("latin-1") if not request.files else "",
        "cookies": dict(request.cookies),
    }
    return Response(json.dumps(body), content_type="application/json")


@pytest.fixture
def echo_url(httpserver: HTTPServer) -> str:
    httpserver.expect_request("/echo").respond_with_handler(echo)
    return httpserver.url_for("/echo")


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_module_level_and_on_instances(
    httpserver: HTTPServer, echo_url: str, verb: str
) -> None:
    api = axios_python.create(base_url=httpserver.url_for("/"))
    results = [
        getattr(axios_python, verb)(echo_url),
        getattr(api, verb)("/echo"),
        asyncio.run(getattr(axios_python, "async_" + verb)(echo_url)),
        asyncio.run(getattr(api, "async_" + verb)("echo")),
    ]
    for response in results:
        assert response.status == 200
        if verb != "head":
            assert response.data["method"] == verb.upper()
    api.close()


def test_request_forms(mode: str, echo_url: str) -> None:
    assert send(mode, "PUT", echo_url).data["method"] == "PUT"
    assert axios_python.request(method="PATCH", url=echo_url).data["method"] == "PATCH"
    assert axios_python.get(url=echo_url).data["method"] == "GET"


def test_params_merge_by_key_and_repeat_lists(mode: str, echo_url: str) -> None:
    api = axios_python.create(params={"a": "1", "keep": "k"})
    data = send(mode, "GET", echo_url + "?q=0", api=api, params={"a": "2", "tag": ["x", "y"]}).data
    assert data["args"] == [["q", "0"], ["a", "2"], ["keep", "k"], ["tag", "x"], ["tag", "y"]]


def test_headers_merge_case_insensitively_and_none_removes(mode: str, echo_url: str) -> None:
    api = axios_python.create(headers={"X-Team": "core", "X-Drop": "1", "Authorization": "a"})
    data = send(mode, "GET", echo_url, api=api, headers={"authorization": "b", "X-Drop": None}).data
    assert data["headers"]["x-team"] == "core"
    assert data["headers"]["authorization"] == "b"
    assert "x-drop" not in data["headers"]
    assert data["headers"]["accept"] == "application/json, text/plain, */*"


def test_defaults_are_live_and_children_inherit(mode: str, echo_url: str) -> None:
    api = axios_python.create(headers={"X-A": "1"})
    api.defaults["headers"]["X-Live"] = "yes"
    child = api.create(headers={"X-B": "2"})
    data = send(mode, "GET", echo_url, api=child).data
    assert (data["headers"]["x-a"], data["headers"]["x-live"], data["headers"]["x-b"]) == (
        "1",
        "yes",
        "2",
    )


def test_form_json_and_files(mode: str, echo_url: str) -> None:
    form = send(mode, "POST", echo_url, data={"a": "1", "b": ["2", "3"]}).data
    assert form["form"] == [["a", "1"], ["b", "2"], ["b", "3"]]
    assert form["headers"]["content-type"] == "application/x-www-form-urlencoded"
    sent = send(mode, "POST", echo_url, json={"x": [1, 2]}).data
    assert json.loads(sent["body"]) == {"x": [1, 2]}
    files = send(
        mode, "POST", echo_url, data={"f": "v"}, files={"up": ("a.txt", io.BytesIO(b"file!"))}
    ).data
    assert files["files"] == {"up": "file!"}
    assert files["form"] == [["f", "v"]]


def test_content_bytes_str_and_file_have_a_length(mode: str, echo_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "body.bin"
    path.write_bytes(b"0123456789" * 1000)
    for content, expected in [(b"raw", "raw"), ("text é", "text é".encode().decode("latin-1"))]:
        data = send(mode, "POST", echo_url, content=content).data
        assert data["body"] == expected
    with path.open("rb") as f:
        data = send(mode, "POST", echo_url, content=f).data
    assert data["headers"]["content-length"] == "10000"
    assert len(data["body"]) == 10000


def test_iterators_are_sent_chunked(mode: str, echo_url: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"one,"
        yield b"two"

    data = send(mode, "POST", echo_url, content=chunks()).data
    assert data["headers"]["transfer-encoding"] == "chunked"
    assert data["body"] == "one,two"


def test_async_iterators_are_sent_from_async_calls(echo_url: str) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"a", b"b", b"c"):
            await asyncio.sleep(0)
            yield part

    async def go() -> dict:
        return (await axios_python.async_post(echo_url, content=chunks())).data

    assert asyncio.run(go())["body"] == "abc"

    async def gen() -> AsyncIterator[bytes]:
        yield b"x"

    with pytest.raises(axios_python.InvalidOptionError, match="async_"):
        axios_python.post(echo_url, content=gen())


def test_forwarding_a_download_into_an_upload(mode: str, httpserver: HTTPServer) -> None:
    payload = bytes(range(256)) * 4096
    httpserver.expect_request("/src").respond_with_data(payload)
    received: list[bytes] = []

    def sink(request: Request) -> Response:
        received.append(request.get_data())
        return Response("ok")

    httpserver.expect_request("/dst", method="POST").respond_with_handler(sink)
    if mode == "sync":
        with axios_python.get(httpserver.url_for("/src"), stream=True) as r:
            axios_python.post(httpserver.url_for("/dst"), content=r.iter_bytes(65536))
    else:

        async def go() -> None:
            async with axios_python.async_get(httpserver.url_for("/src"), stream=True) as r:
                await axios_python.async_post(
                    httpserver.url_for("/dst"), content=r.aiter_bytes(65536)
                )

        asyncio.run(go())
    assert received == [payload]


def test_none_removes_the_headers_httpx_would_add_too(mode: str, echo_url: str) -> None:
    """requests' headers={"User-Agent": None}: not sent at all, not replaced by httpx's own
    default; Host and the body's framing headers cannot be taken away."""
    removed = {"User-Agent": None, "Accept": None, "accept-encoding": None, "Host": None}
    api = axios_python.create(headers={"Connection": None})
    data = send(mode, "POST", echo_url, api=api, headers=removed, data="x").data
    sent = data["headers"]
    for name in ("user-agent", "accept", "accept-encoding", "connection"):
        assert name not in sent, (name, sent)
    assert sent["host"] and sent["content-length"] == "1"
    again = send(mode, "GET", echo_url, api=api, headers={"User-Agent": None, "user-agent": "me"})
    assert again.data["headers"]["user-agent"] == "me"  # set again after the removal: sent


def test_cookies_and_basic_auth(mode: str, echo_url: str) -> None:
    data = send(mode, "GET", echo_url, cookies={"sid": "abc"}, auth=("user", "pw")).data
    assert data["cookies"] == {"sid": "abc"}
    assert data["headers"]["authorization"] == "Basic dXNlcjpwdw=="


def test_auth_callable(mode: str, echo_url: str) -> None:
    def sign(request: httpx.Request) -> httpx.Request:
        request.headers["X-Signed"] = "1"
        return request

    assert send(mode, "GET", echo_url, auth=sign).data["headers"]["x-signed"] == "1"


def test_redirects(mode: str, httpserver: HTTPServer, echo_url: str) -> None:
    httpserver.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": "/echo"}
    )
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    followed = send(mode, "GET", httpserver.url_for("/go"))
    assert followed.status == 200 and followed.url.endswith("/echo")
    assert [r.status for r in followed.history] == [302]
    stay = send(mode, "GET", httpserver.url_for("/go"), allow_redirects=False)
    assert stay.status == 302 and stay.headers["location"] == "/echo"
    info = raises_in(mode, TooManyRedirects, "GET", httpserver.url_for("/loop"), max_redirects=3)
    assert info.value.code == "ERR_FR_TOO_MANY_REDIRECTS"


def test_response_attributes(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/t").respond_with_data(
        "héllo", content_type="text/plain; charset=utf-8", headers={"Set-Cookie": "k=v"}
    )
    r = send(mode, "GET", httpserver.url_for("/t"), params={"z": "1"})
    assert (r.status, r.status_code, r.status_text, r.reason, r.ok) == (200, 200, "OK", "OK", True)
    assert r.data == r.text == "héllo"
    assert r.content == "héllo".encode()
    assert r.encoding == "utf-8"
    assert r.headers["Content-Type"] == r.headers["content-type"]
    assert r.url.endswith("/t?z=1")
    assert r.request.method == "GET"
    assert r.config["params"] == [("z", "1")]
    assert r.cookies["k"] == "v"
    assert r.elapsed.total_seconds() > 0
    assert r.history == []
    assert r.is_closed
    assert repr(r) == "<Response [200 OK]>"


def test_data_parsing_by_content_type(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/j").respond_with_json({"a": 1})
    httpserver.expect_request("/pj").respond_with_data(
        '{"b": 2}', content_type="application/problem+json"
    )
    httpserver.expect_request("/bad").respond_with_data("not json", content_type="application/json")
    httpserver.expect_request("/bin").respond_with_data(b"\x00\x01", content_type="image/png")
    httpserver.expect_request("/empty").respond_with_data(b"", content_type="application/json")
    assert send(mode, "GET", httpserver.url_for("/j")).data == {"a": 1}
    assert send(mode, "GET", httpserver.url_for("/pj")).data == {"b": 2}
    assert send(mode, "GET", httpserver.url_for("/bad")).data == "not json"
    assert send(mode, "GET", httpserver.url_for("/bin")).data == b"\x00\x01"
    assert send(mode, "GET", httpserver.url_for("/empty")).data is None
    as_text = send(mode, "GET", httpserver.url_for("/j"), response_type="text").data
    assert isinstance(as_text, str) and json.loads(as_text) == {"a": 1}
    with pytest.raises(axios_python.JSONDecodeError) as info:
        send(mode, "GET", httpserver.url_for("/bad")).json()
    assert isinstance(info.value, ValueError)


def test_validate_status(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/404").respond_with_data("nope", status=404)
    httpserver.expect_request("/503").respond_with_data("down", status=503)
    r = send(mode, "GET", httpserver.url_for("/404"))  # default: never raise
    assert (r.status, r.ok, bool(r)) == (404, False, False)
    with pytest.raises(HTTPStatusError) as info:
        r.raise_for_status()
    assert info.value.code == "ERR_BAD_REQUEST" and info.value.response is r

    def ok(status: int) -> bool:
        return 200 <= status < 300

    info = raises_in(mode, HTTPStatusError, "GET", httpserver.url_for("/503"), validate_status=ok)
    assert info.value.code == "ERR_BAD_RESPONSE"
    assert info.value.response.status == 503
    assert info.value.response.text == "down"


def test_validate_status_on_a_stream_releases_the_connection(
    mode: str, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/500").respond_with_data("x" * 100000, status=500)
    api = axios_python.create()
    with pytest.raises(HTTPStatusError) as info:
        send(
            mode,
            "GET",
            httpserver.url_for("/500"),
            api=api,
            stream=True,
            validate_status=lambda s: s < 500,
        )
    assert info.value.response.is_closed
    api.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dead_server_is_a_network_error_of_ours(mode: str) -> None:
    info = raises_in(mode, NetworkError, "GET", f"http://127.0.0.1:{free_port()}/")
    error = info.value
    assert isinstance(error, axios_python.ConnectError)
    assert error.code == "ERR_NETWORK"
    assert isinstance(error.__cause__, httpx.ConnectError)
    assert error.request is not None and error.config is not None
    assert axios_python.is_axios_error(error)


def test_connect_timeout_is_also_a_builtin_timeout_error(mode: str) -> None:
    # A listening socket with a full backlog and no accept() makes connect() hang.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    fillers = []
    try:
        for _ in range(64):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(server.getsockname())
            fillers.append(s)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        with pytest.raises(TimeoutError) as info:
            send(mode, "GET", url, timeout=axios_python.Timeout(connect=0.3, read=5))
        assert isinstance(info.value, axios_python.TimeoutError)
        assert info.value.code == "ETIMEDOUT"
    finally:
        for s in fillers:
            s.close()
        server.close()


def test_instances_are_context_managers_and_pool_connections(keepalive_url: str) -> None:
    with axios_python.create(base_url=keepalive_url) as api:
        for _ in range(5):
            assert api.get("/p").content == b"xxxx"
        (client,) = api._clients.values()
        assert pooled_connections(client) == 1
    assert api._clients == {}

    async def go() -> None:
        async with axios_python.create(base_url=keepalive_url) as aapi:
            for _ in range(5):
                assert (await aapi.async_get("/p")).content == b"xxxx"
            (clients,) = aapi._async_clients.values()
            (client,) = clients.values()
            assert pooled_connections(client) == 1

    asyncio.run(go())


def test_async_request_is_a_real_coroutine(echo_url: str) -> None:
    assert asyncio.run(axios_python.async_get(echo_url)).status == 200

    async def as_task() -> int:
        return (await asyncio.create_task(axios_python.async_get(echo_url))).status

    assert asyncio.run(as_task()) == 200


def test_wrong_kind_of_transport_is_a_clear_error(echo_url: str) -> None:
    api = axios_python.create(transport=httpx.HTTPTransport())
    assert api.get(echo_url).status == 200

    async def go() -> None:
        await api.async_get(echo_url)

    with pytest.raises(axios_python.InvalidOptionError, match="AsyncBaseTransport"):
        asyncio.run(go())
    api.close()


def test_module_level_calls_do_not_share_cookies(httpserver: HTTPServer, echo_url: str) -> None:
    httpserver.expect_request("/set").respond_with_data(
        "", headers={"Set-Cookie": "sid=secret; Path=/"}
    )
    axios_python.get(httpserver.url_for("/set"))
    assert axios_python.get(echo_url).data["cookies"] == {}
    with axios_python.create() as session:
        session.get(httpserver.url_for("/set"))
        assert session.get(echo_url).data["cookies"] == {"sid": "secret"}


def login_site(httpserver: HTTPServer) -> str:
    """/login?u=NAME sets the cookie NAME=yes and redirects to /whoami, which answers (after
    a pause, so that concurrent calls overlap) with the Cookie header it got."""

    def login(request: Request) -> Response:
        name = request.args["u"]
        return Response("", 302, {"Location": "/whoami", "Set-Cookie": f"{name}=yes; Path=/"})

    def whoami(request: Request) -> Response:
        time.sleep(0.1)
        return Response(request.headers.get("Cookie", "-"), content_type="text/plain")

    httpserver.expect_request("/login").respond_with_handler(login)
    httpserver.expect_request("/whoami").respond_with_handler(whoami)
    return httpserver.url_for("/login")


def test_module_level_calls_keep_cookies_along_their_redirects(
    mode: str, httpserver: HTTPServer
) -> None:
    """As requests.get does: a cookie set on a redirect rides the next hop of that call,
    and is gone afterwards."""
    login = login_site(httpserver)
    assert send(mode, "GET", login + "?u=ada").data == "ada=yes"
    assert send(mode, "GET", httpserver.url_for("/whoami")).data == "-"


async def test_concurrent_module_level_calls_never_see_each_others_cookies(
    httpserver: HTTPServer,
) -> None:
    login = login_site(httpserver)
    names = [f"user{n}" for n in range(6)]
    answers = await asyncio.gather(*(axios_python.async_get(f"{login}?u={n}") for n in names))
    assert [a.data for a in answers] == [f"{n}=yes" for n in names]


def test_threads_of_module_level_calls_never_see_each_others_cookies(
    httpserver: HTTPServer,
) -> None:
    login = login_site(httpserver)
    names = [f"user{n}" for n in range(6)]
    with ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(lambda n: axios_python.get(f"{login}?u={n}").data, names))
    assert answers == [f"{n}=yes" for n in names]


def test_explicit_proxy_option(mode: str) -> None:
    from rawserver import Connection, RawServer

    def proxy(conn: Connection) -> None:
        head = conn.read_head() or b""
        body = b"proxied " + head.split(b" ")[1]
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        conn.close()

    with RawServer(proxy) as server:
        response = send(mode, "GET", "http://upstream.invalid/p", proxy=server.url, trust_env=False)
    assert response.content == b"proxied http://upstream.invalid/p"


def test_http2_without_its_extra_is_a_clear_option_error(mode: str) -> None:
    try:
        import h2  # noqa: F401
    except ImportError:
        with pytest.raises(axios_python.InvalidOptionError, match=r"axios-python\[http2\]"):
            send(mode, "GET", f"http://127.0.0.1:{free_port()}/", http2=True)
    else:  # pragma: no cover - with the extra installed, http2=True simply works
        pytest.skip("h2 is installed")


def test_limits_bound_the_pool(mode: str, httpserver: HTTPServer) -> None:
    """limits=httpx.Limits(...) reaches the pool: with one connection held by an open
    stream, a second request waits for the pool and times out there."""
    httpserver.expect_request("/x").respond_with_data(b"x" * 100_000)
    api = axios_python.create(limits=httpx.Limits(max_connections=1))
    url = httpserver.url_for("/x")
    quick = axios_python.Timeout(5, pool=0.2)
    if mode == "sync":
        with api.get(url, stream=True), pytest.raises(axios_python.PoolTimeout):
            api.get(url, timeout=quick)
        assert api.get(url).status == 200  # released: the pool serves again
        api.close()
        return

    async def go() -> None:
        async with api.async_get(url, stream=True):
            with pytest.raises(axios_python.PoolTimeout):
                await api.async_get(url, timeout=quick)
        assert (await api.async_get(url)).status == 200
        await api.aclose()

    asyncio.run(go())


def test_bad_limits_are_refused_before_io(httpserver: HTTPServer) -> None:
    with pytest.raises(axios_python.InvalidOptionError, match=r"httpx\.Limits"):
        axios_python.get(httpserver.url_for("/"), limits={"max_connections": 1})
    assert httpserver.log == []
