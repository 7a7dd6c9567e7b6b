"""Server-Sent Events and NDJSON: the parsers alone, then end to end, sync and async."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import axios_python
from axios_python import JSONDecodeError, LineTooLong, ServerSentEvent
from axios_python._events import SSEDecoder


def parse(text: str) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    lines = text.splitlines()
    return [event for line in lines if (event := decoder.feed(line)) is not None]


def test_sse_fields_by_the_whatwg_rules() -> None:
    events = parse(
        "\ufeff: a comment, ignored\n"
        "data: first\n"
        "data:second line\n"
        "\n"
        "event: update\n"
        "id: 7\n"
        "retry: 2500\n"
        'data: {"n": 1}\n'
        "\n"
        "data\n"  # a field name alone: empty data
        "\n"
        "id: 8\x00bad\n"  # an id with NUL is ignored
        "unknown: field\n"
        "data:  two spaces keep one\n"
        "\n"
        "retry: soon\n"  # not digits: ignored
        "event: lonely\n"
        "\n"  # no data: nothing dispatched, the event name is reset
        "data: unterminated\n"  # the stream ends before a blank line: discarded
    )
    assert [(e.event, e.data, e.id, e.retry) for e in events] == [
        ("message", "first\nsecond line", "", None),
        ("update", '{"n": 1}', "7", 2500),
        ("message", "", "7", 2500),
        ("message", " two spaces keep one", "7", 2500),
    ]
    assert events[1].json() == {"n": 1}
    with pytest.raises(JSONDecodeError, match="line 2"):
        events[0].json()


SSE_BODY = "retry: 100\n\nevent: tick\ndata: 1\nid: a\n\r\n: keep-alive\r\ndata: 2\r\n\r\n"


def collect(mode: str, url: str, iterator: str, **options: Any) -> list[Any]:
    if mode == "sync":
        with axios_python.get(url, stream=True, **options) as r:
            return list(getattr(r, iterator)())

    async def go() -> list[Any]:
        async with axios_python.async_get(url, stream=True, **options) as r:
            return [item async for item in getattr(r, "a" + iterator)()]

    return asyncio.run(go())


def test_sse_end_to_end(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/events").respond_with_data(
        SSE_BODY, content_type="text/event-stream"
    )
    events = collect(mode, httpserver.url_for("/events"), "iter_sse")
    assert [(e.event, e.data, e.id, e.retry) for e in events] == [
        ("tick", "1", "a", 100),
        ("message", "2", "a", 100),
    ]


def test_ndjson_values_and_blank_lines(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/nd").respond_with_data(
        '{"a": 1}\n\n[2, 3]\r\n"four"\n', content_type="application/x-ndjson"
    )
    assert collect(mode, httpserver.url_for("/nd"), "iter_json") == [{"a": 1}, [2, 3], "four"]


def test_a_malformed_ndjson_line_is_named(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/bad").respond_with_data(
        '{"ok": true}\n{"broken": \n', content_type="application/x-ndjson"
    )
    with pytest.raises(JSONDecodeError, match="line 2") as info:
        collect(mode, httpserver.url_for("/bad"), "iter_json")
    assert info.value.response is not None and isinstance(info.value, ValueError)


def test_event_streams_are_bounded_by_the_line_length(mode: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/huge").respond_with_data(
        "data: " + "x" * 5000 + "\n\n", content_type="text/event-stream"
    )
    with pytest.raises(LineTooLong):
        collect(mode, httpserver.url_for("/huge"), "iter_sse", max_line_length=1000)
