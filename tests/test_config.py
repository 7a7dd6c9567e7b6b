"""Options: merging across levels, URL joining, and refusing bad values before any I/O."""

from __future__ import annotations

import math
import socket

import pytest

import axios_python
from axios_python import InvalidOptionError, InvalidURL, Timeout
from axios_python._config import join_url, merge_config, prepare


@pytest.mark.parametrize(
    ("base", "url", "joined"),
    [
        ("http://h/api", "users", "http://h/api/users"),
        ("http://h/api/", "/users", "http://h/api/users"),
        ("http://h/api", "/users", "http://h/api/users"),
        ("http://h/api/", "users", "http://h/api/users"),
        ("http://h/api", "http://other/x", "http://other/x"),
        ("http://h/api", "", "http://h/api"),
        (None, "http://h/x", "http://h/x"),
    ],
)
def test_join_url_never_doubles_or_drops_a_slash(base: str | None, url: str, joined: str) -> None:
    assert join_url(base, url) == joined


def test_merge_is_library_then_instance_then_call_with_headers_and_params_by_key() -> None:
    merged = merge_config(
        {"timeout": 1, "headers": {"Accept": "a", "X-One": "1"}, "params": {"a": "1", "b": "2"}},
        {"timeout": 2, "headers": {"accept": "b"}, "params": [("b", "3")]},
        {"headers": {"X-One": None}, "allow_redirects": False},
    )
    assert merged["timeout"] == 2
    # the removal is kept, so that no default comes back when the request is built
    assert merged["headers"] == {"accept": "b", "X-One": None}
    assert merged["params"] == [("a", "1"), ("b", "3")]
    assert merged["follow_redirects"] is False


def test_list_param_values_repeat_the_key() -> None:
    merged = merge_config({"params": {"tag": ["a", "b"], "q": "x"}})
    assert merged["params"] == [("tag", "a"), ("tag", "b"), ("q", "x")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, Timeout(connect=5, read=5, write=5, pool=5)),
        ((1, 2), Timeout(connect=1, read=2, write=2, pool=1)),
        (None, Timeout(connect=None, read=None, write=None, pool=None)),
        (Timeout(total=3), Timeout(total=3)),
    ],
)
def test_timeout_forms(value: object, expected: Timeout) -> None:
    assert Timeout.coerce(value) == expected


def test_total_clamps_every_phase() -> None:
    timeout = Timeout(read=None, connect=10, total=2).to_httpx()
    assert (timeout.connect, timeout.read) == (2, 2)


BAD_OPTIONS = [
    ({"timeout": -1}, InvalidOptionError, "timeout"),
    ({"timeout": math.nan}, InvalidOptionError, "finite"),
    ({"timeout": "5"}, InvalidOptionError, "timeout"),
    ({"timeout": (1, 2, 3)}, InvalidOptionError, "connect, read"),
    ({"timeout": Timeout}, InvalidOptionError, "timeout"),
    ({"method": "GE T"}, InvalidOptionError, "method"),
    ({"headers": {"X-Evil": "a\r\nSet-Cookie: x"}}, InvalidOptionError, "CR, LF"),
    ({"headers": {"X-Odd": "a\x0bb"}}, InvalidOptionError, "VT or FF"),
    ({"headers": {"X-Odd": b"a\x0cb"}}, InvalidOptionError, "VT or FF"),
    ({"headers": {"Bad Name": "x"}}, InvalidOptionError, "header name"),
    ({"url": "ftp://example.com/x"}, InvalidURL, "scheme"),
    ({"url": "http:///nohost"}, InvalidURL, "host"),
    ({"max_content_length": -5}, InvalidOptionError, "max_content_length"),
    ({"max_line_length": 0}, InvalidOptionError, "max_line_length"),
    ({"max_redirects": -1}, InvalidOptionError, "max_redirects"),
    ({"response_type": "blob"}, InvalidOptionError, "response_type"),
    ({"validate_status": 200}, InvalidOptionError, "validate_status"),
    ({"json": {}, "data": {"a": 1}}, InvalidOptionError, "only one"),
    ({"stream": "yes"}, InvalidOptionError, "stream"),
]


@pytest.mark.parametrize(("options", "error", "words"), BAD_OPTIONS)
def test_bad_values_are_refused_by_prepare(options: dict, error: type, words: str) -> None:
    config = {"url": "http://127.0.0.1:9/x", **options}
    with pytest.raises(error, match=words) as info:
        prepare(merge_config(config))
    assert info.value.code in ("ERR_BAD_OPTION_VALUE", "ERR_INVALID_URL")


@pytest.fixture
def listener() -> socket.socket:
    """A socket that accepts nothing: any connection attempt would be counted in its backlog."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


@pytest.mark.parametrize(("options", "error", "words"), BAD_OPTIONS)
def test_bad_values_fail_before_any_io(
    mode: str, listener: socket.socket, options: dict, error: type, words: str
) -> None:
    from conftest import send

    options = {"url": f"http://127.0.0.1:{listener.getsockname()[1]}/x", **options}
    with pytest.raises(error, match=words):
        send(mode, options.pop("method", "GET"), options.pop("url"), **options)
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Token": " abc \t", "X-Inner": "a  b"},
        [("X-Token", b"\tabc "), ("X-Inner", "a  b")],
        {"X-Token": ["abc ", " abc"], "X-Inner": "a  b"},
    ],
    ids=["dict", "pairs-with-bytes", "list-value"],
)
def test_header_values_are_sent_without_surrounding_whitespace(  # type: ignore[no-untyped-def]
    mode: str, httpserver, headers: object
) -> None:
    """requests sends ``"token "`` as given and h11 (httpx's transport) refuses it; RFC 9110
    makes the whitespace no part of the value, so it is dropped and either transport sends
    the value itself. Inner whitespace stays."""
    from conftest import send

    seen: list[tuple[list[str], str | None]] = []

    def record(request):  # type: ignore[no-untyped-def]
        seen.append((request.headers.getlist("X-Token"), request.headers.get("X-Inner")))
        from werkzeug import Response

        return Response("ok")

    httpserver.expect_request("/h").respond_with_handler(record)
    response = send(mode, "GET", httpserver.url_for("/h"), headers=headers)
    assert response.status == 200
    tokens, inner = seen[0]
    # a list value may arrive as one comma-joined line: each item was trimmed all the same
    assert {part for token in tokens for part in token.split(",")} == {"abc"}
    assert inner == "a  b"
    sent = response.request.headers
    assert "abc" in sent["X-Token"] and sent["X-Inner"] == "a  b"


def test_unknown_option_is_refused_with_a_suggestion() -> None:
    with pytest.raises(InvalidOptionError, match="did you mean 'timeout'"):
        axios_python.get("http://127.0.0.1:9/", timout=5)  # type: ignore[call-arg]
    with pytest.raises(InvalidOptionError, match="unknown option"):
        axios_python.create(bogus=1)  # type: ignore[call-arg]


def test_chunk_size_zero_is_refused_before_reading(httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/x").respond_with_data(b"abc")
    with axios_python.get(httpserver.url_for("/x"), stream=True) as r:
        with pytest.raises(InvalidOptionError, match="chunk_size"):
            r.iter_bytes(0)
        assert r.read() == b"abc"  # the body is still there


@pytest.mark.parametrize(
    ("axios_name", "ours"),
    [("baseURL", "base_url"), ("responseType", "response_type"), ("maxRate", "max_rate")],
)
def test_axios_camel_case_names_get_the_snake_case_hint(axios_name: str, ours: str) -> None:
    with pytest.raises(InvalidOptionError, match=f"did you mean '{ours}'"):
        axios_python.get("http://127.0.0.1:9/", **{axios_name: 1})


@pytest.mark.parametrize("timeout", [0, 0.0, (0, 5), (5, 0)])
def test_a_zero_timeout_is_refused(timeout: object) -> None:
    """0 would make sockets non-blocking (a baffling ConnectError); None means no limit."""
    with pytest.raises(InvalidOptionError, match="> 0"):
        axios_python.get("http://127.0.0.1:9/", timeout=timeout)
