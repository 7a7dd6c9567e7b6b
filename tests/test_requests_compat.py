"""requests code, run unchanged with ``import axios_python as requests``.

Each sync test is written the way the requests quickstart and its users write it; the async
tests beside them use the ``async_`` twins. Real servers only (pytest-httpserver, and an HTTPS
one built from the test certificates below). See docs/migration-requests.md.

Tests of requests features that live outside the Session and the basic verbs name the part of
the package they rely on in their docstring ("Relies on: ...").
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as ServerResponse

import axios_python as requests

# -- server side ---------------------------------------------------------------------------


def echo(request: Request) -> ServerResponse:
    """Everything the server received, as JSON (the part of httpbin.org these tests need)."""
    body = {
        "method": request.method,
        "url": request.url,
        "args": request.args.to_dict(flat=False),
        "headers": dict(request.headers),
        "form": request.form.to_dict(flat=False),
        "files": {
            name: {
                "filename": item.filename,
                "content_type": item.content_type,
                "content": item.read().decode(),
            }
            for name, item in request.files.items()
        },
        "json": request.get_json(silent=True),
        "cookies": dict(request.cookies),
    }
    return ServerResponse(json.dumps(body), content_type="application/json")


def slow(request: Request) -> ServerResponse:
    time.sleep(0.25)
    return ServerResponse("late")


def set_cookie(request: Request) -> ServerResponse:
    response = ServerResponse("", status=302, headers={"Location": "/anything"})
    response.set_cookie("sessioncookie", "123456789")
    return response


@pytest.fixture
def url(httpserver: HTTPServer) -> str:
    """An httpbin-like server: ``/anything`` echoes, plus a few fixed routes."""
    httpserver.expect_request("/anything").respond_with_handler(echo)
    httpserver.expect_request("/slow").respond_with_handler(slow)
    httpserver.expect_request("/cookies/set").respond_with_handler(set_cookie)
    httpserver.expect_request("/redirect").respond_with_response(
        ServerResponse("", status=302, headers={"Location": "/anything"})
    )
    httpserver.expect_request("/loop").respond_with_response(
        ServerResponse("", status=302, headers={"Location": "/loop"})
    )
    httpserver.expect_request("/status/404").respond_with_data("nope", status=404)
    httpserver.expect_request("/html").respond_with_data(
        "<p>caf\u00e9</p>", content_type="text/html; charset=utf-8"
    )
    httpserver.expect_request("/lines").respond_with_data(
        '{"n": 1}\n\n{"n": 2}\r\n{"n": 3}', content_type="application/x-ndjson"
    )
    httpserver.expect_request("/bytes").respond_with_data(bytes(range(256)) * 4)
    return httpserver.url_for("/").rstrip("/")


@pytest.fixture
def refused_url() -> str:
    """A local port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# -- GET, params, headers ------------------------------------------------------------------


def test_get_with_params(url: str) -> None:
    payload = {"key1": "value1", "key2": ["value2", "value3"]}
    r = requests.get(url + "/anything", params=payload)
    assert r.url == url + "/anything?key1=value1&key2=value2&key2=value3"
    assert r.json()["args"] == {"key1": ["value1"], "key2": ["value2", "value3"]}


async def test_async_get_with_params(url: str) -> None:
    payload = {"key1": "value1", "key2": ["value2", "value3"]}
    r = await requests.async_get(url + "/anything", params=payload)
    assert r.url == url + "/anything?key1=value1&key2=value2&key2=value3"
    assert r.json()["args"] == {"key1": ["value1"], "key2": ["value2", "value3"]}


def test_custom_headers(url: str) -> None:
    headers = {"user-agent": "my-app/0.0.1", "X-Trace": "abc"}
    r = requests.get(url + "/anything", headers=headers)
    assert r.json()["headers"]["User-Agent"] == "my-app/0.0.1"
    assert r.json()["headers"]["X-Trace"] == "abc"
    assert r.request.headers["user-agent"] == "my-app/0.0.1"


async def test_async_custom_headers(url: str) -> None:
    r = await requests.async_get(url + "/anything", headers={"user-agent": "my-app/0.0.1"})
    assert r.json()["headers"]["User-Agent"] == "my-app/0.0.1"


# -- the response --------------------------------------------------------------------------


def check_response(r: Any, url: str) -> None:
    assert r.status_code == 200
    assert r.reason == "OK"
    assert r.ok is True
    assert bool(r) is True
    assert r.url == url + "/html"
    assert r.encoding == "utf-8"
    assert r.content == "<p>caf\u00e9</p>".encode()
    assert r.text == "<p>caf\u00e9</p>"
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["content-type"] == r.headers.get("CONTENT-TYPE")
    assert "content-length" in r.headers
    assert isinstance(r.elapsed, timedelta)
    assert r.elapsed.total_seconds() >= 0
    assert r.history == []
    r.encoding = "ISO-8859-1"
    assert r.text == "<p>caf\u00c3\u00a9</p>"


def test_response_content(url: str) -> None:
    check_response(requests.get(url + "/html"), url)


async def test_async_response_content(url: str) -> None:
    check_response(await requests.async_get(url + "/html"), url)


def test_json_response(url: str) -> None:
    r = requests.get(url + "/anything")
    assert r.headers["content-type"] == "application/json"
    assert r.json()["method"] == "GET"
    with pytest.raises(requests.exceptions.JSONDecodeError):
        requests.get(url + "/html").json()
    with pytest.raises(ValueError):  # requests' JSONDecodeError is a ValueError too
        requests.get(url + "/html").json()


def test_status_and_raise_for_status(url: str) -> None:
    r = requests.get(url + "/status/404")
    assert r.status_code == 404
    assert r.ok is False
    assert not r
    try:
        r.raise_for_status()
    except requests.exceptions.HTTPError as e:
        assert e.response is not None
        assert e.response.status_code == 404
        assert e.response.text == "nope"
    else:
        pytest.fail("raise_for_status() did not raise")
    requests.get(url + "/anything").raise_for_status()  # a 200 does not raise


async def test_async_raise_for_status(url: str) -> None:
    r = await requests.async_get(url + "/status/404")
    with pytest.raises(requests.exceptions.HTTPError) as info:
        r.raise_for_status()
    assert info.value.response is not None
    assert info.value.response.status_code == 404


def test_redirect_history(url: str) -> None:
    r = requests.get(url + "/redirect")
    assert r.status_code == 200
    assert r.url == url + "/anything"
    assert [h.status_code for h in r.history] == [302]
    assert r.history[0].headers["Location"] == "/anything"


async def test_async_redirect_history(url: str) -> None:
    r = await requests.async_get(url + "/redirect")
    assert r.url == url + "/anything"
    assert [h.status_code for h in r.history] == [302]


def test_allow_redirects_false(url: str) -> None:
    r = requests.get(url + "/redirect", allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "/anything"
    assert r.history == []
    assert r.ok  # requests: ok means "below 400"


def test_redirect_properties(url: str) -> None:
    """``r.is_redirect``, ``r.is_permanent_redirect``, ``r.links``. Relies on: _response.py."""
    r = requests.get(url + "/redirect", allow_redirects=False)
    assert r.is_redirect
    assert not r.is_permanent_redirect
    assert not requests.get(url + "/anything").is_redirect
    assert requests.get(url + "/anything").links == {}


async def test_async_allow_redirects_false(url: str) -> None:
    r = await requests.async_get(url + "/redirect", allow_redirects=False)
    assert r.status_code == 302


def test_head_does_not_follow_redirects(url: str) -> None:
    """requests.head() defaults to allow_redirects=False. Relies on: _api.head default."""
    assert requests.head(url + "/redirect").status_code == 302
    assert requests.head(url + "/redirect", allow_redirects=True).status_code == 200


async def test_async_head_does_not_follow_redirects(url: str) -> None:
    """Relies on: _api.async_head default, as requests.head()."""
    assert (await requests.async_head(url + "/redirect")).status_code == 302


def test_too_many_redirects(url: str) -> None:
    with pytest.raises(requests.exceptions.TooManyRedirects):
        requests.get(url + "/loop")


# -- cookies -------------------------------------------------------------------------------


def test_cookies(url: str) -> None:
    r = requests.get(url + "/cookies/set", allow_redirects=False)
    assert r.cookies["sessioncookie"] == "123456789"
    r = requests.get(url + "/anything", cookies={"cookies_are": "working"})
    assert r.json()["cookies"] == {"cookies_are": "working"}
    # as with requests, module-level calls do not keep cookies between calls
    assert requests.get(url + "/anything").json()["cookies"] == {}


async def test_async_cookies(url: str) -> None:
    r = await requests.async_get(url + "/cookies/set", allow_redirects=False)
    assert r.cookies["sessioncookie"] == "123456789"
    r = await requests.async_get(url + "/anything", cookies={"cookies_are": "working"})
    assert r.json()["cookies"] == {"cookies_are": "working"}


@pytest.fixture
def other_origin() -> Iterator[HTTPServer]:
    """A second server: another port, so another origin."""
    server = HTTPServer(host="127.0.0.1")
    server.start()
    server.expect_request("/anything").respond_with_handler(echo)
    yield server
    server.clear()
    server.stop()


@pytest.mark.parametrize("call", ["module", "session"])
def test_call_cookies_ride_same_origin_redirects_only(
    mode: str, url: str, httpserver: HTTPServer, other_origin: HTTPServer, call: str
) -> None:
    """A login-style redirect on the same origin keeps the call's ``cookies=`` (requests
    sends them on every hop; httpx drops them after the first); a redirect to another origin
    never gets them (requests would hand them over: the leak of undici's CVE-2023-45143); a
    Set-Cookie along the way wins over the call's cookie of the same name. Relies on:
    _redirect_cookies."""
    from conftest import send

    elsewhere = other_origin.url_for("/anything")
    httpserver.expect_request("/account").respond_with_response(
        ServerResponse("", status=302, headers={"Location": "/anything"})
    )
    httpserver.expect_request("/away").respond_with_response(
        ServerResponse("", status=302, headers={"Location": elsewhere})
    )
    refreshed = ServerResponse("", status=302, headers={"Location": "/anything"})
    refreshed.set_cookie("session", "renewed")
    httpserver.expect_request("/refresh").respond_with_response(refreshed)
    cookies = {"session": "s3cret", "theme": "dark"}
    api: Any = requests.Session() if call == "session" else None

    def final_cookies(path: str) -> dict[str, str]:
        response = send(mode, "GET", url + path, api=api, cookies=cookies)
        assert response.history, "the call was redirected"
        return dict(response.json()["cookies"])

    assert final_cookies("/account") == cookies
    assert final_cookies("/away") == {}
    assert final_cookies("/refresh") == {"session": "renewed", "theme": "dark"}


# -- request bodies ------------------------------------------------------------------------


def test_post_form(url: str) -> None:
    r = requests.post(url + "/anything", data={"key1": "value1", "key2": "value2"})
    assert r.json()["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert r.json()["form"] == {"key1": ["value1"], "key2": ["value2"]}
    r = requests.post(url + "/anything", data=[("key1", "value1"), ("key1", "value2")])
    assert r.json()["form"] == {"key1": ["value1", "value2"]}
    r = requests.put(url + "/anything", data={"key": "value"})
    assert r.json()["method"] == "PUT"


async def test_async_post_form(url: str) -> None:
    r = await requests.async_post(url + "/anything", data={"key1": "value1", "key2": "value2"})
    assert r.json()["form"] == {"key1": ["value1"], "key2": ["value2"]}


def test_post_json(url: str) -> None:
    r = requests.post(url + "/anything", json={"some": "data", "n": [1, 2]})
    assert r.json()["headers"]["Content-Type"] == "application/json"
    assert r.json()["json"] == {"some": "data", "n": [1, 2]}
    r = requests.patch(url + "/anything", json={"op": "replace"})
    assert r.json()["json"] == {"op": "replace"}


async def test_async_post_json(url: str) -> None:
    r = await requests.async_post(url + "/anything", json={"some": "data"})
    assert r.json()["json"] == {"some": "data"}


def test_post_files(url: str, tmp_path: Path) -> None:
    report = tmp_path / "report.xls"
    report.write_bytes(b"cells")
    with open(report, "rb") as f:
        r = requests.post(url + "/anything", files={"file": f}, data={"note": "monthly"})
    assert r.json()["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert r.json()["files"]["file"]["filename"] == "report.xls"
    assert r.json()["files"]["file"]["content"] == "cells"
    assert r.json()["form"] == {"note": ["monthly"]}
    files = {"file": ("report.csv", "some,data,to,send\n", "text/csv", {"Expires": "0"})}
    r = requests.post(url + "/anything", files=files)
    assert r.json()["files"]["file"] == {
        "filename": "report.csv",
        "content_type": "text/csv",
        "content": "some,data,to,send\n",
    }


async def test_async_post_files(url: str) -> None:
    files = {"file": ("report.csv", b"some,data\n", "text/csv")}
    r = await requests.async_post(url + "/anything", files=files)
    assert r.json()["files"]["file"]["content"] == "some,data\n"


def test_basic_auth(url: str) -> None:
    r = requests.get(url + "/anything", auth=("user", "pass"))
    assert r.json()["headers"]["Authorization"] == "Basic dXNlcjpwYXNz"


def test_requests_auth_module(url: str) -> None:
    """``requests.auth.HTTPBasicAuth`` and ``AuthBase``. Relies on: axios_python/auth.py."""
    from axios_python.auth import AuthBase, HTTPBasicAuth

    r = requests.get(url + "/anything", auth=HTTPBasicAuth("user", "pass"))
    assert r.json()["headers"]["Authorization"] == "Basic dXNlcjpwYXNz"

    class TokenAuth(AuthBase):
        def __init__(self, token: str) -> None:
            self.token = token

        def __call__(self, r: Any) -> Any:
            r.headers["Authorization"] = f"Bearer {self.token}"
            return r

    r = requests.get(url + "/anything", auth=TokenAuth("t0k3n"))
    assert r.json()["headers"]["Authorization"] == "Bearer t0k3n"


async def test_async_basic_auth(url: str) -> None:
    r = await requests.async_get(url + "/anything", auth=("user", "pass"))
    assert r.json()["headers"]["Authorization"] == "Basic dXNlcjpwYXNz"


# -- timeouts and errors -------------------------------------------------------------------


def test_timeout_tuple(url: str) -> None:
    assert requests.get(url + "/anything", timeout=(3.05, 27)).status_code == 200
    assert requests.get(url + "/anything", timeout=2.5).status_code == 200
    assert requests.get(url + "/anything", timeout=None).status_code == 200


def test_read_timeout(url: str) -> None:
    try:
        requests.get(url + "/slow", timeout=(2, 0.05))
    except requests.exceptions.Timeout as e:
        assert isinstance(e, requests.exceptions.ReadTimeout)
        assert isinstance(e, requests.exceptions.RequestException)
    else:
        pytest.fail("no timeout")


async def test_async_read_timeout(url: str) -> None:
    with pytest.raises(requests.exceptions.Timeout):
        await requests.async_get(url + "/slow", timeout=(2, 0.05))


def test_connection_refused(refused_url: str) -> None:
    try:
        requests.get(refused_url, timeout=2)
    except requests.exceptions.ConnectionError as e:
        assert isinstance(e, requests.exceptions.RequestException)
    else:
        pytest.fail("no ConnectionError")


async def test_async_connection_refused(refused_url: str) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        await requests.async_get(refused_url, timeout=2)


def test_request_exception_catches_everything(url: str, refused_url: str) -> None:
    def failures() -> Iterator[Any]:
        yield lambda: requests.get(url + "/status/404").raise_for_status()
        yield lambda: requests.get(url + "/slow", timeout=0.05)
        yield lambda: requests.get(refused_url)
        yield lambda: requests.get("example.com/no-scheme")  # requests' MissingSchema
        yield lambda: requests.get(url + "/loop")
        yield lambda: requests.get(url + "/html").json()

    for failure in failures():
        with pytest.raises(requests.exceptions.RequestException):
            failure()
    with pytest.raises(requests.exceptions.MissingSchema):
        requests.get("example.com/no-scheme")


# -- streaming -----------------------------------------------------------------------------


def test_stream_iter_content(url: str) -> None:
    with requests.get(url + "/bytes", stream=True) as r:
        r.raise_for_status()
        chunks = list(r.iter_content(chunk_size=100))
    assert b"".join(chunks) == bytes(range(256)) * 4
    assert all(len(chunk) <= 100 for chunk in chunks)


async def test_async_stream_aiter_bytes(url: str) -> None:
    async with requests.async_get(url + "/bytes", stream=True) as r:
        r.raise_for_status()
        chunks = [chunk async for chunk in r.aiter_bytes(100)]
    assert b"".join(chunks) == bytes(range(256)) * 4


def test_stream_download_to_file(url: str, tmp_path: Path) -> None:
    target = tmp_path / "download.bin"
    with requests.get(url + "/bytes", stream=True) as r:
        r.raise_for_status()
        with open(target, "wb") as f:
            for chunk in r.iter_content(chunk_size=8192):
                f.write(chunk)
    assert target.read_bytes() == bytes(range(256)) * 4


def test_stream_iter_lines(url: str) -> None:
    with requests.get(url + "/lines", stream=True) as r:
        records = [json.loads(line) for line in r.iter_lines() if line]
    assert records == [{"n": 1}, {"n": 2}, {"n": 3}]


async def test_async_stream_aiter_lines(url: str) -> None:
    async with requests.async_get(url + "/lines", stream=True) as r:
        records = [json.loads(line) async for line in r.aiter_lines() if line]
    assert records == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_iter_lines_and_content_accept_requests_keywords(url: str) -> None:
    """``iter_lines(chunk_size=..., decode_unicode=True)``. Relies on: Response.iter_lines."""
    with requests.get(url + "/lines", stream=True) as r:
        lines = list(r.iter_lines(chunk_size=512, decode_unicode=True))
    assert lines == ['{"n": 1}', "", '{"n": 2}', '{"n": 3}']
    with requests.get(url + "/html", stream=True) as r:
        assert "".join(r.iter_content(chunk_size=2, decode_unicode=True)) == "<p>caf\u00e9</p>"


# -- the generic entry point and requests' other names -------------------------------------


def test_request_function(url: str) -> None:
    r = requests.request("GET", url + "/anything", params={"q": "1"})
    assert r.json()["args"] == {"q": ["1"]}
    r = requests.request("delete", url + "/anything")
    assert r.json()["method"] == "DELETE"
    assert requests.options(url + "/anything").status_code == 200


async def test_async_request_function(url: str) -> None:
    r = await requests.async_request("GET", url + "/anything", params={"q": "1"})
    assert r.json()["args"] == {"q": ["1"]}


def test_top_level_names() -> None:
    """requests' top-level names. Relies on: exports in axios_python/__init__.py."""
    assert requests.codes.ok == 200
    assert requests.codes.not_found == 404
    assert requests.RequestException is requests.exceptions.RequestException
    assert requests.HTTPError is requests.exceptions.HTTPError
    assert requests.ConnectionError is requests.exceptions.ConnectionError
    assert requests.ConnectTimeout is requests.exceptions.ConnectTimeout
    assert requests.ReadTimeout is requests.exceptions.ReadTimeout
    assert requests.TooManyRedirects is requests.exceptions.TooManyRedirects
    assert requests.JSONDecodeError is requests.exceptions.JSONDecodeError
    assert issubclass(requests.exceptions.RetryError, requests.exceptions.RequestException)
    assert isinstance(requests.session(), requests.Session)


def test_positional_params_and_data(url: str) -> None:
    """``requests.get(url, params)``, ``requests.post(url, data, json)``. Relies on: _api verbs."""
    assert requests.get(url + "/anything", {"q": "1"}).json()["args"] == {"q": ["1"]}
    assert requests.post(url + "/anything", {"k": "v"}).json()["form"] == {"k": ["v"]}
    assert requests.post(url + "/anything", None, {"k": 1}).json()["json"] == {"k": 1}
    assert requests.put(url + "/anything", {"k": "v"}).json()["form"] == {"k": ["v"]}


def test_params_as_a_string(url: str) -> None:
    """``params="a=1&a=2"`` as requests accepts. Relies on: _config.merge_params."""
    r = requests.get(url + "/anything", params="key=1&key=2&other=x")
    assert r.json()["args"] == {"key": ["1", "2"], "other": ["x"]}


def test_requests_explicit_none_defaults(url: str) -> None:
    """requests' keyword defaults passed explicitly. Relies on: proxies, hooks, stream=None."""
    r = requests.get(
        url + "/anything", stream=None, verify=None, cert=None, proxies=None, hooks=None
    )
    assert r.json()["method"] == "GET"


def test_module_hooks(url: str) -> None:
    """``hooks={"response": [fn]}`` on module-level calls. Relies on: RequestOptions.hooks."""
    seen: list[str] = []

    def print_url(r: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(r.url)

    requests.get(url + "/anything", hooks={"response": [print_url]})
    requests.get(url + "/html", hooks={"response": print_url})
    assert seen == [url + "/anything", url + "/html"]


async def test_async_module_hooks(url: str) -> None:
    """Relies on: RequestOptions.hooks."""
    seen: list[int] = []
    await requests.async_get(url + "/anything", hooks={"response": [lambda r: seen.append(1)]})
    assert seen == [1]


def test_module_proxies(url: str) -> None:
    """``proxies={"http": ...}`` on module-level calls. Relies on: RequestOptions.proxies."""
    proxies = {"http": url, "https": url}
    r = requests.get("http://example.invalid/anything", proxies=proxies)
    assert r.json()["headers"]["Host"] == "example.invalid"


async def test_async_module_proxies(url: str) -> None:
    """Relies on: RequestOptions.proxies."""
    r = await requests.async_get("http://example.invalid/anything", proxies={"http": url})
    assert r.json()["headers"]["Host"] == "example.invalid"


# -- Session (relies on: ``Session`` and ``session`` exported from axios_python) -----------


def test_session_headers(url: str) -> None:
    s = requests.Session()
    assert s.headers["user-agent"].startswith("axios-python/")
    s.headers.update({"x-test": "true"})
    r = s.get(url + "/anything", headers={"x-test2": "true"})
    assert r.json()["headers"]["X-Test"] == "true"
    assert r.json()["headers"]["X-Test2"] == "true"
    s.headers["X-TEST"] = "changed"  # read at call time, keys case-insensitive
    r = s.get(url + "/anything", headers={"x-test2": None})
    assert r.json()["headers"]["X-Test"] == "changed"
    assert "X-Test2" not in r.json()["headers"]
    r = s.get(url + "/anything", headers={"X-Test": None})  # None drops a session header
    assert "X-Test" not in r.json()["headers"]
    del s.headers["Accept"]  # as with requests: then no Accept header is sent at all
    assert "Accept" not in s.get(url + "/anything").json()["headers"]
    s.close()


def test_session_cookies(url: str) -> None:
    with requests.Session() as s:
        r = s.get(url + "/cookies/set")  # sets a cookie, then redirects to /anything
        assert r.json()["cookies"] == {"sessioncookie": "123456789"}
        assert s.cookies["sessioncookie"] == "123456789"
        assert s.cookies.get_dict() == {"sessioncookie": "123456789"}
        r = s.get(url + "/anything", cookies={"per": "call"})
        assert r.json()["cookies"] == {"sessioncookie": "123456789", "per": "call"}
        r = s.get(url + "/anything")  # per-call cookies are not kept
        assert r.json()["cookies"] == {"sessioncookie": "123456789"}
        s.cookies.set("manual", "yes")
        assert s.get(url + "/anything").json()["cookies"]["manual"] == "yes"
        s.cookies.clear()
        assert s.get(url + "/anything").json()["cookies"] == {}
        s.cookies = {"replaced": "1"}
        assert s.get(url + "/anything").json()["cookies"] == {"replaced": "1"}


async def test_session_cookies_shared_by_sync_and_async_calls(url: str) -> None:
    s = requests.Session()
    s.get(url + "/cookies/set", allow_redirects=False)
    r = await s.async_get(url + "/anything")
    assert r.json()["cookies"] == {"sessioncookie": "123456789"}
    s.cookies.clear()
    await s.async_get(url + "/cookies/set", allow_redirects=False)
    assert s.get(url + "/anything").json()["cookies"] == {"sessioncookie": "123456789"}
    await s.aclose()


def test_session_auth_and_params(url: str) -> None:
    with requests.Session() as s:
        s.auth = ("user", "pass")
        s.params = {"api_key": "k", "page": "1"}
        r = s.get(url + "/anything", params={"page": "2", "tag": ["a", "b"]})
        assert r.json()["headers"]["Authorization"] == "Basic dXNlcjpwYXNz"
        assert r.json()["args"] == {"api_key": ["k"], "page": ["2"], "tag": ["a", "b"]}
        r = s.get(url + "/anything", params={"api_key": None}, auth=("other", "secret"))
        assert r.json()["args"] == {"page": ["1"]}
        assert r.json()["headers"]["Authorization"] == "Basic b3RoZXI6c2VjcmV0"
        r = s.get(url + "/anything", params="raw=1&raw=2")
        assert r.json()["args"] == {"api_key": ["k"], "page": ["1"], "raw": ["1", "2"]}


def test_session_verbs_and_redirects(url: str) -> None:
    with requests.Session() as s:
        assert s.post(url + "/anything", {"k": "v"}).json()["form"] == {"k": ["v"]}
        assert s.post(url + "/anything", json={"k": 1}).json()["json"] == {"k": 1}
        assert s.put(url + "/anything", data={"k": "v"}).json()["method"] == "PUT"
        assert s.patch(url + "/anything", data="raw").json()["method"] == "PATCH"
        assert s.delete(url + "/anything").json()["method"] == "DELETE"
        assert s.options(url + "/anything").status_code == 200
        assert s.request("GET", url + "/anything").json()["method"] == "GET"
        assert s.head(url + "/redirect").status_code == 302  # requests: no redirects for head
        assert s.head(url + "/redirect", allow_redirects=True).status_code == 200
        assert s.get(url + "/redirect", allow_redirects=False).status_code == 302
        s.max_redirects = 3
        with pytest.raises(requests.exceptions.TooManyRedirects):
            s.get(url + "/loop")


def test_session_timeouts(url: str) -> None:
    with requests.Session() as s:
        r = s.get(url + "/anything")
        assert r.config["timeout"] is None  # requests' default: no timeout at all
        with pytest.raises(requests.exceptions.Timeout):
            s.get(url + "/slow", timeout=(2, 0.05))


def test_session_hooks(url: str) -> None:
    seen: list[str] = []

    def print_url(r: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(r.url)

    with requests.Session() as s:
        s.hooks["response"].append(print_url)
        s.get(url + "/anything")
        assert seen == [url + "/anything"]
        s.get(url + "/html", hooks={"response": [lambda r, *a, **k: seen.append("call")]})
        assert seen == [url + "/anything", "call"]  # a call's hooks replace the session's
        s.hooks["response"] = [lambda r, *args, **kwargs: r.raise_for_status()]
        with pytest.raises(requests.exceptions.HTTPError):
            s.get(url + "/status/404")
        other = s.get(url + "/html", hooks={"response": []})
        r = s.get(url + "/anything", hooks={"response": lambda r: other})
        assert r is other  # a hook's return value replaces the response
        with pytest.raises(ValueError):
            s.get(url + "/anything", hooks={"request": []})


def test_session_proxies(url: str, refused_url: str) -> None:
    with requests.Session() as s:
        s.proxies = {"http": url}  # the test server doubles as a forwarding proxy
        r = s.get("http://example.invalid/anything")
        assert r.json()["headers"]["Host"] == "example.invalid"
        r = s.get("http://example.invalid/anything", proxies={"http://example.invalid": url})
        assert r.json()["headers"]["Host"] == "example.invalid"
        s.proxies = {"all": refused_url, "no_proxy": "localhost,127.0.0.1"}
        assert s.get(url + "/anything").status_code == 200  # bypassed
        s.proxies = {"http": refused_url}
        with pytest.raises(requests.exceptions.ConnectionError):
            s.get(url + "/anything")
        assert s.get(url + "/anything", proxies={"http": None}).status_code == 200


def test_session_stream(url: str) -> None:
    with requests.Session() as s:
        s.stream = True
        with s.get(url + "/bytes") as r:
            assert not r.is_stream_consumed
            assert b"".join(r.iter_content(chunk_size=1000)) == bytes(range(256)) * 4
        with s.get(url + "/lines", stream=False) as r:
            assert r.text.startswith('{"n": 1}')


async def test_session_async_twins(url: str) -> None:
    async with requests.Session() as s:
        s.headers["X-Team"] = "red"
        s.params = {"api_key": "k"}
        seen: list[int] = []

        async def hook(r: Any, *args: Any, **kwargs: Any) -> None:
            seen.append(r.status_code)

        s.hooks["response"].append(hook)
        r = await s.async_get(url + "/anything", params={"q": "1"})
        assert r.json()["headers"]["X-Team"] == "red"
        assert r.json()["args"] == {"api_key": ["k"], "q": ["1"]}
        r = await s.async_post(url + "/anything", json={"k": 1})
        assert r.json()["json"] == {"k": 1}
        assert (await s.async_head(url + "/redirect")).status_code == 302
        async with s.async_get(url + "/bytes", stream=True) as r:
            assert b"".join([c async for c in r.aiter_bytes(1000)]) == bytes(range(256)) * 4
        assert seen == [200, 200, 302, 200]


# -- TLS: verify and CA bundles ------------------------------------------------------------

# A throwaway CA and a certificate for localhost / 127.0.0.1 it signed (valid until 2126),
# made for these tests only with openssl.
TEST_CA = """-----BEGIN CERTIFICATE-----
MIIBpDCCAUugAwIBAgIUbS86r3kpbhPLbPyrhimaM3r9H+kwCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUYXhpb3NfcHl0aG9uIHRlc3QgQ0EwIBcNMjYxMTIyMDM1MzM0
WhgPMjEyNjEwMjkwMzUzMzRaMB8xHTAbBgNVBAMMFGF4aW9zX3B5dGhvbiB0ZXN0
IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEXOCNso7OqNg2SM6XYpsMUOwu
Q9zNpR4OwkRNty7+xnpjwWibpfrjQrtS/Y+hOkMBsLwtutiOojbvb7V6/RQs0qNj
MGEwHQYDVR0OBBYEFOq5liMxJcE28jjGJzGPL9wdV1yvMB8GA1UdIwQYMBaAFOq5
liMxJcE28jjGJzGPL9wdV1yvMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQD
AgEGMAoGCCqGSM49BAMCA0cAMEQCIDPNh6n1oqjPtZm0gokeV6MJKwuDuxhJ5tKd
MVLg0TYaAiAAsPz8sOUHL2IDRJG2XiYcwloS8pp++OTWlBTVnTj59w==
-----END CERTIFICATE-----
"""
TEST_SERVER_CERT = """-----BEGIN CERTIFICATE-----
MIIByjCCAXCgAwIBAgIUUghmK+pe/6+TqEZZMYsrZ2cay60wCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUYXhpb3NfcHl0aG9uIHRlc3QgQ0EwIBcNMjYxMTIyMDM1MzM0
WhgPMjEyNjEwMjkwMzUzMzRaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqG
SM49AgEGCCqGSM49AwEHA0IABCOf3hYw+Q741oRo/F8zs4OLy+8N8HGw4kHaBCpX
LANlgR30S/Dwa13TYqB3j/55uWdNfDlXJcRlpQq7DJBMUE+jgZIwgY8wDAYDVR0T
AQH/BAIwADAOBgNVHQ8BAf8EBAMCBaAwEwYDVR0lBAwwCgYIKwYBBQUHAwEwGgYD
VR0RBBMwEYIJbG9jYWxob3N0hwR/AAABMB0GA1UdDgQWBBTvr0zPP/GOE7nk4+8x
vcC3j1r59jAfBgNVHSMEGDAWgBTquZYjMSXBNvI4xicxjy/cHVdcrzAKBggqhkjO
PQQDAgNIADBFAiEAoKMu67OpQ6AU4v+TGxGzrBf2AgXSAoAmTg4tvwFRJG0CIF3w
cASsJX5T6qL4rJT2abdB1YSUBguoYvt9tXYZ0J7b
-----END CERTIFICATE-----
"""
TEST_SERVER_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/V5GlrhhgtbiSUD4
XoR/9nzObIt16AZtvEPjKQgRVe2hRANCAAQjn94WMPkO+NaEaPxfM7ODi8vvDfBx
sOJB2gQqVywDZYEd9Evw8Gtd02Kgd4/+eblnTXw5VyXEZaUKuwyQTFBP
-----END PRIVATE KEY-----
"""


@pytest.fixture
def ca_bundle(tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    path.write_text(TEST_CA)
    return str(path)


@pytest.fixture(scope="module")
def https_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "server.pem", folder / "server.key"
    cert.write_text(TEST_SERVER_CERT)
    key.write_text(TEST_SERVER_KEY)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="localhost", ssl_context=context)
    server.expect_request("/anything").respond_with_handler(echo)
    server.start()
    yield server.url_for("/anything")
    server.clear()
    server.stop()


def test_ssl_error(https_url: str) -> None:
    """A certificate that does not verify is requests' SSLError. Relies on: SSLError."""
    with pytest.raises(requests.exceptions.SSLError) as info:
        requests.get(https_url)
    assert isinstance(info.value, requests.exceptions.ConnectionError)
    with requests.Session() as s, pytest.raises(requests.exceptions.SSLError):
        s.get(https_url)


def test_session_verify(https_url: str, ca_bundle: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with requests.Session() as s:
        with pytest.raises(requests.exceptions.ConnectionError):  # requests: SSLError
            s.get(https_url)
        assert s.get(https_url, verify=False).status_code == 200
        assert s.get(https_url, verify=ca_bundle).status_code == 200
        s.verify = ca_bundle
        assert s.get(https_url).status_code == 200
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_bundle)
    with requests.Session() as s:
        assert s.get(https_url).status_code == 200  # requests' environment CA bundle
        s.trust_env = False
        with pytest.raises(requests.exceptions.ConnectionError):
            s.get(https_url)


def test_verify_ca_bundle_path_module_level(https_url: str, ca_bundle: str) -> None:
    """``verify="/path/ca.pem"`` without httpx's DeprecationWarning. Relies on: _pipeline."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert requests.get(https_url, verify=ca_bundle).status_code == 200
        assert requests.get(https_url, verify=False).status_code == 200


def test_a_certificate_failure_is_not_retried_by_default(https_url: str) -> None:
    """It would fail the same way again: SSLError at once, not a RetryError after retries."""
    import axios_python

    with pytest.raises(axios_python.SSLError):
        axios_python.get(https_url, max_retries=3, retry_strategy=axios_python.FixedDelay(0.01))
    with pytest.raises(axios_python.RetryError):  # unless asked for
        axios_python.get(
            https_url,
            max_retries=1,
            retry_on=[axios_python.SSLError],
            retry_strategy=axios_python.FixedDelay(0.01),
        )
