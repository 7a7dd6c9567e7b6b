"""A Sanic app that streams a large upstream body, an upload and an event stream straight through.

Why: ``await request.respond()`` sends the status and headers and returns a response whose
``send(chunk)`` waits while the client's socket buffer is full. Feeding it from
``upstream.aiter_bytes()``, which reads from the upstream socket only when asked, makes a slow
client slow the upstream down (TCP backpressure): memory stays at a few chunks however big the
body is. Nothing is ever read with ``.content``.

The upstream is closed however the handler ends: body complete, upstream failure, or client
disconnect. On a disconnect Sanic cancels the handler task, and that cancellation can land
while the close itself is under way; ``aclose()`` finishes its work anyway, so the upstream
connection goes back to the pool (or is closed), never leaked.

- ``GET /proxy/<path>`` streams BASE_URL/<path> through with its status, Content-Type and,
  for an unencoded body, Content-Length.
- ``POST /upload-through`` (a ``stream=True`` route) forwards the request body to
  BASE_URL/upload chunk by chunk as it arrives.
- ``GET /events/<path>`` reads a Server-Sent Events stream with ``aiter_sse()`` and re-emits
  each event as it comes, the place to filter or rewrite events.

One ``axios_python`` instance (one connection pool) serves every request: created before the
server starts, closed after it stops, on the server's own event loop.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, unquote

from sanic import Request, Sanic
from sanic.config import Config
from sanic.exceptions import BadRequest, SanicException
from sanic.response import HTTPResponse, raw

import axios_python

USAGE = """\
usage: python examples/sanic_stream.py BASE_URL [--port PORT]

Serves on 127.0.0.1:PORT (default 8000):
  GET  /proxy/<path>     streams BASE_URL/<path> through (status, Content-Type, Content-Length)
  POST /upload-through   streams the request body on to POST BASE_URL/upload
  GET  /events/<path>    re-emits the Server-Sent Events of BASE_URL/<path> one by one"""

# No total deadline: a big download may rightly take an hour. `read` bounds each silence.
TIMEOUT = axios_python.Timeout(connect=5, read=30, write=30)
PASSED_ON = ("content-type", "content-disposition", "etag", "last-modified")


class BadGateway(SanicException):
    status_code = 502


def upstream_path(path: str) -> str:
    """The client's path as a path below BASE_URL: never an absolute URL, never above it."""
    path = unquote(path)  # Sanic hands <path:path> over still percent-encoded
    if ".." in path.split("/"):
        raise BadRequest("'..' is not allowed in the path")
    return "/" + quote(path.lstrip("/"))  # "http://evil" or "//evil" stays a relative path


def passed_on_headers(upstream: axios_python.Response) -> dict[str, str]:
    """End-to-end headers worth keeping; hop-by-hop ones (Connection, ...) are never copied."""
    headers = {name: upstream.headers[name] for name in PASSED_ON if name in upstream.headers}
    # aiter_bytes() yields decoded bytes: the upstream's length holds only for an unencoded body.
    encoding = upstream.headers.get("content-encoding", "identity").lower()
    if encoding == "identity" and "content-length" in upstream.headers:
        headers["content-length"] = upstream.headers["content-length"]
    return headers


@asynccontextmanager
async def streamed(
    api: axios_python.Axios, request: Request, path: str, **options: Any
) -> AsyncIterator[axios_python.Response]:
    """GET BASE_URL/<path> with ``stream=True``; closed on the way out, even mid-cancellation."""
    try:
        upstream = await api.async_get(
            upstream_path(path), params=request.query_args, stream=True, **options
        )
    except axios_python.AxiosError as exc:
        raise BadGateway(f"upstream failed: {exc.code}") from exc
    try:
        yield upstream
    finally:
        await upstream.aclose()  # completes even if this task is being cancelled


def sse_frame(event: axios_python.ServerSentEvent) -> str:
    lines = [f"id: {event.id}"] if event.id else []
    if event.event != "message":
        lines.append(f"event: {event.event}")
    lines += [f"data: {line}" for line in event.data.split("\n")]
    return "\n".join(lines) + "\n\n"


App = Sanic[Config, SimpleNamespace]


def create_app(base_url: str) -> App:
    app = Sanic("axios_python_sanic_stream")

    @app.before_server_start
    async def open_client(app: App) -> None:
        app.ctx.api = axios_python.create(base_url=base_url, timeout=TIMEOUT)

    @app.after_server_stop
    async def close_client(app: App) -> None:
        await app.ctx.api.aclose()

    @app.get("/proxy/<path:path>")
    async def proxy(request: Request, path: str) -> None:
        async with streamed(request.app.ctx.api, request, path) as upstream:  # 404 stays 404
            response = await request.respond(
                status=upstream.status, headers=passed_on_headers(upstream)
            )
            async for chunk in upstream.aiter_bytes():
                await response.send(chunk)  # waits while the client is slower than upstream
            await response.eof()

    @app.post("/upload-through", stream=True)
    async def upload_through(request: Request) -> HTTPResponse:
        api: axios_python.Axios = request.app.ctx.api
        headers = {"content-type": request.headers.get("content-type", "application/octet-stream")}
        if "content-length" in request.headers:  # else the upload goes out chunked
            headers["content-length"] = request.headers["content-length"]

        async def body() -> AsyncIterator[bytes]:
            async for chunk in request.stream:  # type: ignore[union-attr]
                yield chunk

        try:
            reply = await api.async_post("/upload", content=body(), headers=headers)
        except axios_python.AxiosError as exc:
            raise BadGateway(f"upstream failed: {exc.code}") from exc
        return raw(reply.content, reply.status, content_type=reply.headers.get("content-type"))

    @app.get("/events/<path:path>")
    async def events(request: Request, path: str) -> None:
        headers = {"accept": "text/event-stream"}
        if "last-event-id" in request.headers:
            headers["last-event-id"] = request.headers["last-event-id"]
        async with streamed(request.app.ctx.api, request, path, headers=headers) as upstream:
            if not upstream.ok:
                raise BadGateway(f"upstream answered {upstream.status}")
            response = await request.respond(
                content_type="text/event-stream", headers={"cache-control": "no-cache"}
            )
            async for event in upstream.aiter_sse():
                await response.send(sse_frame(event))
            await response.eof()

    return app


def main(argv: list[str]) -> int:
    args = argv[1:]
    if not args or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 2
    port = 8000
    if args[1:2] == ["--port"] and len(args) == 3 and args[2].isdigit():
        port = int(args[2])
    elif len(args) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    app = create_app(args[0])
    # One process, no reloader, no access log: Sanic's simplest way to serve an app object.
    app.run(host="127.0.0.1", port=port, single_process=True, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
