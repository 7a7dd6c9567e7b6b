"""A FastAPI app that proxies a large upstream body, and an upload, without holding either.

Why: a proxy endpoint that did ``r = await api.async_get(url); return Response(r.content)``
would hold the whole upstream body in memory, once per concurrent request. Here
``GET /proxy/{path}`` opens the upstream with ``stream=True`` and hands ``r.aiter_bytes()`` to a
``StreamingResponse``: Starlette asks for the next chunk only once the previous one has been
sent, and ``aiter_bytes()`` reads from the upstream socket only when asked, so a slow client
slows the upstream down (TCP backpressure) and memory stays at a few chunks whatever the size.

The upstream response is closed however the body ends: complete, failed, or abandoned by a
client that disconnects halfway. Starlette offers no hook that runs in all three cases (a
``BackgroundTask`` is skipped when sending fails, and a generator's ``finally`` waits for the
garbage collector when the generator is left suspended at a ``yield``), so ``UpstreamResponse``
closes it in a ``finally`` around the whole response. ``aclose()`` completes even if the
task is cancelled while it runs, so an abandoned upstream connection is released at once,
never leaked.

``POST /upload-through`` forwards the request body to BASE_URL/upload as it arrives
(``content=request.stream()``), so uploads stream too.

One ``axios_python`` instance (one connection pool) serves every request: created at startup
and closed at shutdown in the lifespan.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

import axios_python

USAGE = """\
usage: python examples/fastapi_proxy.py BASE_URL [--port PORT]

Serves on 127.0.0.1:PORT (default 8000):
  GET  /proxy/<path>     streams BASE_URL/<path> through (status, Content-Type, Content-Length)
  POST /upload-through   streams the request body on to POST BASE_URL/upload"""

# No total deadline: a big download may rightly take an hour. `read` bounds each silence.
TIMEOUT = axios_python.Timeout(connect=5, read=30, write=30)
PASSED_ON = ("content-type", "content-disposition", "etag", "last-modified")


def upstream_path(path: str) -> str:
    """The client's path as a path below BASE_URL: never an absolute URL, never above it."""
    if ".." in path.split("/"):
        raise HTTPException(400, "'..' is not allowed in the path")
    return "/" + quote(path.lstrip("/"))  # "http://evil" or "//evil" stays a relative path


def passed_on_headers(upstream: axios_python.Response) -> dict[str, str]:
    """End-to-end headers worth keeping; hop-by-hop ones (Connection, ...) are never copied."""
    headers = {name: upstream.headers[name] for name in PASSED_ON if name in upstream.headers}
    # aiter_bytes() yields decoded bytes: the upstream's length holds only for an unencoded body.
    encoding = upstream.headers.get("content-encoding", "identity").lower()
    if encoding == "identity" and "content-length" in upstream.headers:
        headers["content-length"] = upstream.headers["content-length"]
    return headers


class UpstreamResponse(StreamingResponse):
    """Streams an upstream body, and closes the upstream however the response ends."""

    def __init__(self, upstream: axios_python.Response) -> None:
        super().__init__(
            upstream.aiter_bytes(),
            status_code=upstream.status,
            headers=passed_on_headers(upstream),
        )
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.upstream.aclose()  # completes even if this task is being cancelled


def create_app(base_url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.api = axios_python.create(base_url=base_url, timeout=TIMEOUT)
        yield
        await app.state.api.aclose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/proxy/{path:path}")
    async def proxy(path: str, request: Request) -> Response:
        api: axios_python.Axios = request.app.state.api
        try:
            upstream = await api.async_get(
                upstream_path(path), params=request.query_params.multi_items(), stream=True
            )
        except axios_python.AxiosError as exc:
            raise HTTPException(502, f"upstream failed: {exc.code}") from exc
        return UpstreamResponse(upstream)  # a 404 upstream is passed on as a 404

    @app.post("/upload-through")
    async def upload_through(request: Request) -> Response:
        api: axios_python.Axios = request.app.state.api
        headers = {"content-type": request.headers.get("content-type", "application/octet-stream")}
        if "content-length" in request.headers:  # else the upload goes out chunked
            headers["content-length"] = request.headers["content-length"]
        try:
            reply = await api.async_post("/upload", content=request.stream(), headers=headers)
        except axios_python.AxiosError as exc:
            raise HTTPException(502, f"upstream failed: {exc.code}") from exc
        return Response(reply.content, reply.status, media_type=reply.headers.get("content-type"))

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
    uvicorn.run(create_app(args[0]), host="127.0.0.1", port=port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
