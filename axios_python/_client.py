"""The instance: defaults, the httpx clients it pools connections in, and the entry points.

One ``httpx.Client`` per distinct set of client-level options (verify, proxy, transport...),
made lazily; one ``httpx.AsyncClient`` per such set *per running event loop*, closed when
that loop shuts down its async generators (``asyncio.run`` does), so a thousand
``asyncio.run(async_get(url))`` calls leave nothing behind. Sync calls never touch a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import weakref
from collections.abc import AsyncIterator, Coroutine, Generator, Mapping
from types import TracebackType
from typing import Any

import httpx
from typing_extensions import Unpack

from ._call_cookies import CallScopedJar, call_cookies
from ._call_plan import CallPlans
from ._cancel import asleep, sleep
from ._config import (
    LIBRARY_DEFAULTS,
    Prepared,
    RequestOptions,
    check_option_names,
    merge_call,
    merge_config,
    prepare,
)
from ._deadline import Deadline, clamp_socket_waits, deadline_scope, watched
from ._download import DownloadResult, download_options, parse_checksum
from ._exceptions import AxiosError, InvalidOptionError
from ._interceptors import (
    Context,
    Interceptors,
    compose,
    compose_async,
    request_config,
    run_chain,
    run_chain_async,
)
from ._pipeline import (
    Exchange,
    RetryPlan,
    build_request,
    client_key,
    client_kwargs,
    finish,
    transform_request,
)
from ._progressbar import download_progress
from ._redirect_cookies import AsyncClient, Client
from ._response import Response
from ._resume import ResumePlan, resume_async, resume_sync
from ._transport_choice import adopt_default_transport

__all__ = ["Axios", "AxiosPython", "RequestContext"]

_ClientKey = tuple[Any, ...]


class RequestContext(Coroutine[Any, Any, Response]):
    """What ``async_get()`` and friends return: await it, or use it with ``async with``.

    It is a real coroutine (``asyncio.run`` and ``create_task`` accept it), so both
    ``async with await api.async_get(u, stream=True) as r`` and
    ``async with api.async_get(u, stream=True) as r`` work.
    """

    __slots__ = ("_coro", "_response")

    def __init__(self, coro: Coroutine[Any, Any, Response]) -> None:
        self._coro = coro
        self._response: Response | None = None

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, Response]:
        return self._coro.__await__()

    async def __aenter__(self) -> Response:
        self._response = await self._coro
        return self._response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            await self._response.aclose()


_NO_SCOPE: contextlib.AbstractContextManager[None] = contextlib.nullcontext()


class Axios:
    """An HTTP client instance with its own defaults and connection pools.

    ``Axios(base_url=..., timeout=..., headers=...)`` (or ``axios_python.create(...)``).
    Use ``with``/``async with`` or ``close()``/``aclose()`` to release its connections.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        _persist_cookies: bool = True,
        **options: Unpack[RequestOptions],
    ) -> None:
        given: dict[str, Any] = dict(config or {})
        given.update(options)
        check_option_names(given)
        self.defaults: dict[str, Any] = merge_config(LIBRARY_DEFAULTS, given)
        self._persist_cookies = _persist_cookies
        self._lock = threading.Lock()
        self._clients: dict[_ClientKey, httpx.Client] = {}
        self._async_clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[_ClientKey, httpx.AsyncClient]
        ] = weakref.WeakKeyDictionary()
        self._loop_closers: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, AsyncIterator[None]
        ] = weakref.WeakKeyDictionary()
        self._closed = False
        self.interceptors = Interceptors()
        self._middleware: list[Any] = []
        self._plans = CallPlans()

    def use(self, middleware: Any) -> Axios:
        """Add an Express-style middleware ``fn(ctx, next)``; the first added runs outermost.

        Plain functions serve sync calls, ``async def`` ones async calls; an object with
        ``sync`` and ``async_`` attributes serves both. Returns the instance, for chaining.
        """
        if not callable(middleware) and not hasattr(middleware, "sync"):
            raise TypeError(f"middleware must be callable, got {middleware!r}")
        self._middleware.append(middleware)
        return self

    def install(self, plugin: Any) -> Axios:
        """Install a plugin (anything with ``install(client)``); returns the instance."""
        plugin.install(self)
        return self

    plugin = install  # axios-python 0.2.0's name

    def create(
        self, config: Mapping[str, Any] | None = None, **options: Unpack[RequestOptions]
    ) -> Axios:
        """A child instance whose defaults are these defaults merged with the given ones."""
        given: dict[str, Any] = dict(config or {})
        given.update(options)
        check_option_names(given)
        return Axios(merge_config(self.defaults, given))

    # -- configuration --------------------------------------------------------------------

    def _merge(self, method: str | None, url: Any, options: Mapping[str, Any]) -> dict[str, Any]:
        check_option_names(options)
        call: dict[str, Any] = dict(options)
        if method is not None:
            call["method"] = method
        if url is not None:
            call["url"] = url
        return merge_call(self.defaults, call)

    def _prepare(self, method: str | None, url: Any, options: Mapping[str, Any]) -> Prepared:
        return prepare(self._merge(method, url, options))

    # -- httpx clients --------------------------------------------------------------------

    def _client_options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if not self._persist_cookies:
            kwargs["cookies"] = CallScopedJar()  # a call's cookies, for that call only
        return kwargs

    def _cookie_scope(self) -> contextlib.AbstractContextManager[None]:
        """Around one attempt: where module-level calls keep their cookies (_call_cookies)."""
        return _NO_SCOPE if self._persist_cookies else call_cookies()

    def _sync_client(self, prepared: Prepared) -> httpx.Client:
        # Exchanges with a total deadline get a pool whose sockets clamp every wait to it
        # (with httpx's transport; ours reads the deadline itself, either pool works);
        # the rest skip that per-read cost.
        watched = prepared.timeout.total is not None or prepared.cancel_token is not None
        clamped = watched and prepared.transport is None
        key = (client_key(prepared.client_options), clamped)
        client = self._clients.get(key)
        if client is None:
            kwargs = client_kwargs(prepared.client_options, is_async=False)
            with self._lock:
                client = self._clients.get(key)
                if client is None:
                    client = _make_client(
                        Client, self._client_options(kwargs), prepared.client_options
                    )
                    if clamped:
                        clamp_socket_waits(client)
                    self._clients[key] = client
        return client

    def _loop_client(self, prepared: Prepared) -> httpx.AsyncClient | None:
        """The running loop's client for ``prepared``, when made already: no coroutine."""
        clients = self._async_clients.get(asyncio.get_running_loop())
        return None if clients is None else clients.get(client_key(prepared.client_options))

    async def _async_client(self, prepared: Prepared) -> httpx.AsyncClient:
        key = client_key(prepared.client_options)
        loop = asyncio.get_running_loop()
        clients = self._async_clients.get(loop)
        if clients is None:
            clients = {}
            self._async_clients[loop] = clients
            closer = _close_at_loop_shutdown(clients)
            await closer.__anext__()  # registers it with the loop's async-generator hooks
            self._loop_closers[loop] = closer
        client = clients.get(key)
        if client is None:
            kwargs = client_kwargs(prepared.client_options, is_async=True)
            client = _make_client(
                AsyncClient, self._client_options(kwargs), prepared.client_options
            )
            clients[key] = client
        return client

    def close(self) -> None:
        """Close the sync connection pools (async ones close with ``aclose()`` or their loop)."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()

    async def aclose(self) -> None:
        """Close this event loop's async pools and the sync pools."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - called outside asyncio
            loop = None
        clients = self._async_clients.pop(loop, {}) if loop is not None else {}
        if loop is not None:
            self._loop_closers.pop(loop, None)
        for client in list(clients.values()):
            await client.aclose()
        clients.clear()
        self.close()

    def __enter__(self) -> Axios:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Axios:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- sending --------------------------------------------------------------------------

    def request(
        self, method: str | None = None, url: Any = None, /, **options: Unpack[RequestOptions]
    ) -> Response:
        """Send a request; ``api.request("GET", url)`` or ``api.request(method=..., url=...)``.

        The path: request interceptors, middleware, the dispatch (with retries), response
        interceptors — see ``_interceptors`` for the order.
        """
        config = self._merge(method, url, options)
        if not self._has_hooks():
            return self._dispatch(config)
        try:
            handlers = self.interceptors.request.handlers()[::-1]
            config = request_config(run_chain(handlers, config)) if handlers else config
            if self._middleware:
                response = compose(self._middleware, Context(config, False), self._dispatch_ctx)
            else:
                response = self._dispatch(config)
        except Exception as exc:
            rejected = self.interceptors.response.handlers()
            if not rejected:
                raise
            return run_chain(rejected, None, error=exc)  # type: ignore[no-any-return]
        try:
            return run_chain(self.interceptors.response.handlers(), response)  # type: ignore[no-any-return]
        except BaseException:
            response.close()  # a stream nobody will get must not keep its connection
            raise

    def _has_hooks(self) -> bool:
        interceptors = self.interceptors  # their dicts, not len(): asked on every call
        return bool(
            interceptors.request._handlers or interceptors.response._handlers or self._middleware
        )

    def _dispatch_ctx(self, context: Context) -> Response:
        return self._dispatch(context.config)

    def _dispatch(self, config: dict[str, Any]) -> Response:
        """Prepare, send with retries, and hand back a checked Response (sync)."""
        prepared = self._plans.prepare(transform_request(config))
        plan = RetryPlan(prepared)
        while True:
            try:
                response = self._attempt(prepared, plan.deadline)
            except AxiosError as exc:
                delay = plan.after_error(exc)
            else:
                try:
                    retry_in = plan.after_response(response)
                    if retry_in is None:
                        return finish(response, prepared)
                except BaseException:
                    response.close()
                    raise
                response.close()
                delay = retry_in
            sleep(delay, prepared.cancel_token)

    def _attempt(self, prepared: Prepared, deadline: Deadline) -> Response:
        if prepared.cancel_token is not None:
            prepared.cancel_token.raise_if_cancelled()
        client = self._sync_client(prepared)
        with self._cookie_scope():
            exchange = Exchange(prepared, build_request(client, prepared, is_async=False), deadline)
            try:
                with deadline_scope(deadline, prepared.cancel_token):
                    raw = exchange.send(client)
            except Exception as exc:
                exchange.raise_mapped(exc)
        response = exchange.response(raw, is_async=False)
        try:
            response._check_declared_length()
            if not prepared.stream:
                response.read()  # first, so that an HTTPStatusError carries the body
        except BaseException:
            response.close()
            raise
        return response

    def async_request(
        self, method: str | None = None, url: Any = None, /, **options: Unpack[RequestOptions]
    ) -> RequestContext:
        """The async twin of ``request``: await it, or ``async with`` it."""
        return RequestContext(self._async_request(method, url, options))

    async def _async_request(self, method: str | None, url: Any, options: Any) -> Response:
        config = self._merge(method, url, options)
        if not self._has_hooks():
            return await self._async_dispatch(config)
        try:
            handlers = self.interceptors.request.handlers()[::-1]
            if handlers:
                config = request_config(await run_chain_async(handlers, config))
            if self._middleware:
                context = Context(config, True)
                response = await compose_async(self._middleware, context, self._async_dispatch_ctx)
            else:
                response = await self._async_dispatch(config)
        except Exception as exc:
            rejected = self.interceptors.response.handlers()
            if not rejected:
                raise
            return await run_chain_async(rejected, None, error=exc)  # type: ignore[no-any-return]
        handlers = self.interceptors.response.handlers()
        try:
            return await run_chain_async(handlers, response)  # type: ignore[no-any-return]
        except BaseException:
            await response.aclose()
            raise

    async def _async_dispatch_ctx(self, context: Context) -> Response:
        return await self._async_dispatch(context.config)

    async def _async_dispatch(self, config: dict[str, Any]) -> Response:
        prepared = self._plans.prepare(transform_request(config))
        plan = RetryPlan(prepared)
        while True:
            try:
                response = await self._async_attempt(prepared, plan.deadline)
            except AxiosError as exc:
                delay = plan.after_error(exc)
            else:
                try:
                    retry_in = plan.after_response(response)
                    if retry_in is None:
                        return finish(response, prepared)
                except BaseException:
                    await response.aclose()
                    raise
                await response.aclose()
                delay = retry_in
            await asleep(delay, prepared.cancel_token)

    async def _async_attempt(self, prepared: Prepared, deadline: Deadline) -> Response:
        if prepared.cancel_token is not None:
            prepared.cancel_token.raise_if_cancelled()
        client = self._loop_client(prepared) or await self._async_client(prepared)
        with self._cookie_scope():
            exchange = Exchange(prepared, build_request(client, prepared, is_async=True), deadline)
            try:
                raw = await watched(exchange.send_async(client), deadline, prepared.cancel_token)
            except Exception as exc:
                exchange.raise_mapped(exc)
        response = exchange.response(raw, is_async=True)
        try:
            response._check_declared_length()
            if not prepared.stream:
                await response.aread()
        except BaseException:
            await response.aclose()
            raise
        return response

    # -- downloads ------------------------------------------------------------------------

    def download(
        self,
        url: Any,
        dest: str | os.PathLike[str],
        /,
        *,
        checksum: str | None = None,
        resume: bool = False,
        progress: bool = False,
        **options: Unpack[RequestOptions],
    ) -> DownloadResult:
        """GET ``url`` into ``dest`` atomically (see ``Response.save``); a 4xx/5xx fails.

        ``resume=True`` continues a dropped body with ``Range`` requests (up to
        ``max_retries`` times, 3 unless set) and keeps an interrupted download beside
        ``dest`` for a later call (see docs/downloads.md). ``progress=True`` draws a progress
        bar on stderr (docs/progress.md).
        """
        with download_progress(options, dest, progress) as call_options:
            if resume:
                plan = ResumePlan(self._merge("GET", url, call_options), call_options, checksum)

                def send(attempt: Any) -> Response:
                    return self.request("GET", url, **attempt)

                return resume_sync(send, dest, plan)
            parse_checksum(checksum)  # a bad checksum is refused before any I/O
            stream_options: Any = download_options(call_options)
            with self.request("GET", url, **stream_options) as response:
                return response.save(dest, checksum=checksum)

    async def async_download(
        self,
        url: Any,
        dest: str | os.PathLike[str],
        /,
        *,
        checksum: str | None = None,
        resume: bool = False,
        progress: bool = False,
        **options: Unpack[RequestOptions],
    ) -> DownloadResult:
        """The async twin of ``download``."""
        with download_progress(options, dest, progress) as call_options:
            if resume:
                plan = ResumePlan(self._merge("GET", url, call_options), call_options, checksum)

                def send(attempt: Any) -> RequestContext:
                    return self.async_request("GET", url, **attempt)

                return await resume_async(send, dest, plan)
            parse_checksum(checksum)
            stream_options: Any = download_options(call_options)
            async with self.async_request("GET", url, **stream_options) as response:
                return await response.asave(dest, checksum=checksum)

    # -- verbs ----------------------------------------------------------------------------

    def get(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
        """GET ``url`` (joined to ``base_url``) with this instance's defaults."""
        return self.request("GET", url, **options)

    def delete(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
        """DELETE ``url`` (joined to ``base_url``) with this instance's defaults."""
        return self.request("DELETE", url, **options)

    def head(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
        """HEAD ``url`` (joined to ``base_url``) with this instance's defaults."""
        return self.request("HEAD", url, **options)

    def options(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
        """OPTIONS ``url`` (joined to ``base_url``) with this instance's defaults."""
        return self.request("OPTIONS", url, **options)

    def post(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
        """POST ``url`` (joined to ``base_url``) with this instance's defaults."""
        return self.request("POST", url, **options)

    def put(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
        """PUT ``url`` (joined to ``base_url``) with this instance's defaults."""
        return self.request("PUT", url, **options)

    def patch(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
        """PATCH ``url`` (joined to ``base_url``) with this instance's defaults."""
        return self.request("PATCH", url, **options)

    def async_get(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> RequestContext:
        """The async twin of ``get``: await it, or use it with ``async with``."""
        return self.async_request("GET", url, **options)

    def async_delete(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> RequestContext:
        """The async twin of ``delete``: await it, or use it with ``async with``."""
        return self.async_request("DELETE", url, **options)

    def async_head(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> RequestContext:
        """The async twin of ``head``: await it, or use it with ``async with``."""
        return self.async_request("HEAD", url, **options)

    def async_options(
        self, url: Any = None, /, **options: Unpack[RequestOptions]
    ) -> RequestContext:
        """The async twin of ``options``: await it, or use it with ``async with``."""
        return self.async_request("OPTIONS", url, **options)

    def async_post(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> RequestContext:
        """The async twin of ``post``: await it, or use it with ``async with``."""
        return self.async_request("POST", url, **options)

    def async_put(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> RequestContext:
        """The async twin of ``put``: await it, or use it with ``async with``."""
        return self.async_request("PUT", url, **options)

    def async_patch(self, url: Any = None, /, **options: Unpack[RequestOptions]) -> RequestContext:
        """The async twin of ``patch``: await it, or use it with ``async with``."""
        return self.async_request("PATCH", url, **options)

    def __repr__(self) -> str:
        base = self.defaults.get("base_url")
        return f"<Axios base_url={base!r}>" if base else "<Axios>"


AxiosPython = Axios


def _make_client(factory: Any, kwargs: dict[str, Any], options: tuple[tuple[str, Any], ...]) -> Any:
    try:
        client = factory(**kwargs)
        choice = dict(options)["transport"]
        adopt_default_transport(client, kwargs, choice if isinstance(choice, str) else None)
        return client
    except ImportError as exc:
        raise InvalidOptionError(
            f"{exc}; http2=True needs the extra: pip install 'axios-python[http2]'"
        ) from exc
    except (TypeError, ValueError, OSError) as exc:
        raise InvalidOptionError(f"cannot create the HTTP client: {exc}") from exc


async def _close_at_loop_shutdown(
    clients: dict[_ClientKey, httpx.AsyncClient],
) -> AsyncIterator[None]:
    """Parked on the loop's async-generator list; ``shutdown_asyncgens()`` closes the pools."""
    try:
        yield
    finally:
        for client in list(clients.values()):
            with contextlib.suppress(Exception):  # best effort at loop shutdown
                await client.aclose()
        clients.clear()
