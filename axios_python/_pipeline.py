"""Pure steps shared by the sync and async entry points: no I/O happens here.

Build the httpx request from a prepared config (bodies included), choose the client options,
and check a response's status. The instance (``_client``) calls these around its two
``send`` twins.
"""

from __future__ import annotations

import functools
import inspect
import io
import os
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any, Final, NoReturn

import httpx

from . import _direct
from ._bodiless import bodiless_request
from ._compat import STREAM_EXTENSION, adapt_transport
from ._config import Prepared, request_transforms, response_hooks, withdrawn_headers
from ._deadline import Deadline
from ._exceptions import (
    AxiosError,
    InterceptorError,
    InvalidOptionError,
    is_from_below,
    map_exception,
)
from ._redirect_cookies import CALL_COOKIES, call_cookies_extension
from ._response import Response, status_error
from ._retry import RetryPolicy
from ._transfer import meter_upload

__all__ = [
    "Exchange",
    "RetryPlan",
    "finish",
    "transform_request",
    "body_arguments",
    "build_request",
    "check_status",
    "client_kwargs",
]

UPLOAD_CHUNK: Final = 64 * 1024


def _file_length(file: Any) -> int | None:
    """Bytes left in a file object, when it can tell without reading (for Content-Length)."""
    try:
        if isinstance(file, io.BytesIO):
            return file.getbuffer().nbytes - file.tell()
        fileno = file.fileno()
        size = os.fstat(fileno).st_size
        return max(0, size - file.tell()) if size else None
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _read_file(file: Any) -> Iterator[bytes]:
    while True:
        chunk = file.read(UPLOAD_CHUNK)
        if not chunk:
            return
        yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk


async def _aread_file(file: Any) -> AsyncIterator[bytes]:
    while True:
        chunk = await file.read(UPLOAD_CHUNK)
        if not chunk:
            return
        yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk


async def _to_async(iterable: Iterable[Any]) -> AsyncIterator[bytes]:
    for chunk in iterable:
        yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


def _encode_chunks(iterable: Iterable[Any]) -> Iterator[bytes]:
    for chunk in iterable:
        yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


async def _aencode_chunks(iterable: AsyncIterable[Any]) -> AsyncIterator[bytes]:
    async for chunk in iterable:
        yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


def _stream_content(
    content: Any, *, is_async: bool, headers: dict[str, Any]
) -> bytes | Iterator[bytes] | AsyncIterator[bytes]:
    """Turn a body into bytes or a chunk iterator httpx sends without buffering."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, Response):  # forwarding a streamed response, decoded
        if content._content is None and content._is_async != is_async:
            have, want = ("an async", "a sync") if content._is_async else ("a sync", "an async")
            raise InvalidOptionError(
                f"content= is a response from {have} call; {want} request cannot read it "
                "(forward it from the same kind of call)"
            )
        _declare_forwarded_length(content, headers)
        return content.aiter_bytes() if is_async else content.iter_bytes()
    if hasattr(content, "read"):
        length = _file_length(content)
        if length is not None and not any(k.lower() == "content-length" for k in headers):
            headers["Content-Length"] = str(length)
        if inspect.iscoroutinefunction(content.read):
            if not is_async:
                raise InvalidOptionError("content= is an async file; send it with an async_ method")
            return _aread_file(content)
        return _to_async(_read_file(content)) if is_async else _read_file(content)
    if isinstance(content, AsyncIterable):
        if not is_async:
            raise InvalidOptionError(
                "content= is an async iterator; send it with an async_ method "
                "(e.g. await axios_python.async_post(url, content=...))"
            )
        return _aencode_chunks(content)
    if isinstance(content, Iterable) and not isinstance(content, Mapping):
        return _to_async(content) if is_async else _encode_chunks(content)
    raise InvalidOptionError(
        "content= must be bytes, str, a file object, or an iterator / async iterator of "
        f"bytes, got {type(content).__name__}"
    )


def _declare_forwarded_length(source: Response, headers: dict[str, Any]) -> None:
    """Keep the upstream's Content-Length when its body is sent on unchanged (not encoded)."""
    if any(k.lower() in ("content-length", "transfer-encoding") for k in headers):
        return
    if source.headers.get("content-encoding", "identity").lower() != "identity":
        return
    length = source.headers.get("content-length")
    if length is not None and length.isdigit():
        headers["Content-Length"] = length


def body_arguments(prepared: Prepared, *, is_async: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body arguments for httpx, plus headers the body implies (e.g. Content-Length)."""
    config = prepared.config
    headers: dict[str, Any] = dict(prepared.headers)
    arguments: dict[str, Any] = {}
    data = config.get("data")
    files = config.get("files")
    if config.get("json") is not None:
        arguments["json"] = config["json"]
    elif config.get("content") is not None:
        arguments["content"] = _stream_content(
            config["content"], is_async=is_async, headers=headers
        )
    elif data is not None:
        if isinstance(data, Mapping) or (
            isinstance(data, (list, tuple)) and all(isinstance(x, tuple) for x in data)
        ):
            arguments["data"] = _form_items(data)
        else:
            arguments["content"] = _stream_content(data, is_async=is_async, headers=headers)
    if files is not None:
        arguments["files"] = files
    return arguments, headers


def _form_items(data: Any) -> dict[str, Any]:
    """Form fields as httpx wants them: a dict whose list values repeat the key."""
    if isinstance(data, Mapping):
        return dict(data)
    form: dict[str, Any] = {}
    for key, value in data:
        if key in form:
            existing = form[key]
            form[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            form[key] = value
    return form


def build_request(
    client: httpx.Client | httpx.AsyncClient, prepared: Prepared, *, is_async: bool
) -> httpx.Request:
    plan = prepared.plan
    if plan is not None:
        planned: httpx.Request | None = plan.request_for(client)
        if planned is not None:
            return planned
    arguments, headers = body_arguments(prepared, is_async=is_async)
    try:
        url = prepared.url
        if prepared.params:
            # As axios: params are appended to any query already in the URL, never replace it.
            query = httpx.QueryParams([*url.params.multi_items(), *prepared.params])
            url = url.copy_with(params=query)
        header_pairs = [
            (name, item)
            for name, value in headers.items()
            for item in (value if isinstance(value, list) else [value])
        ]
        cookies = prepared.config.get("cookies")
        # the timeout as httpx's build_request would put it (it leaves one already there)
        extensions: dict[str, Any] = {"timeout": prepared.timeout.to_httpx().as_dict()}
        if prepared.stream:
            extensions[STREAM_EXTENSION] = True
        if cookies:  # for the redirects that stay on this origin (_redirect_cookies)
            extensions[CALL_COOKIES] = call_cookies_extension(url, cookies)
        request = None
        if not arguments and not cookies:
            request = bodiless_request(client, prepared.method, url, header_pairs, extensions)
        bodiless = request is not None
        if request is None:
            request = client.build_request(
                prepared.method,
                url,
                headers=header_pairs,
                cookies=cookies,
                extensions=extensions,
                **arguments,
            )
    except (TypeError, ValueError) as exc:
        raise InvalidOptionError(f"cannot build the request: {exc}") from exc
    for name in withdrawn_headers(prepared.config.get("headers"), prepared.headers):
        if name in request.headers:
            del request.headers[name]
    if plan is not None and bodiless:
        plan.keep_head(client, request)
    return request


@functools.lru_cache(maxsize=32)
def _ssl_context(verify: Any, cert: Any, trust_env: bool) -> ssl.SSLContext:
    """One TLS context per (verify, cert, trust_env), shared by every client that wants it.

    Loading the CA bundle costs ~25 ms; without this cache every new event loop (each
    ``asyncio.run``) would pay it again for its fresh ``AsyncClient``.
    """
    if isinstance(verify, (str, os.PathLike)):  # requests' CA bundle path (httpx deprecates it)
        path = os.fspath(verify)
        if os.path.isdir(path):
            context = ssl.create_default_context(capath=path)
        else:
            context = ssl.create_default_context(cafile=path)
    else:
        context = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
    if isinstance(cert, str):
        context.load_cert_chain(cert)
    elif cert:
        context.load_cert_chain(*cert)
    return context


def tls_context(verify: Any, cert: Any, trust_env: bool) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    try:
        return _ssl_context(verify, cert, trust_env)
    except TypeError:  # an unhashable cert description: build it uncached
        return _ssl_context.__wrapped__(verify, cert, trust_env)
    except (OSError, ssl.SSLError) as exc:
        raise InvalidOptionError(f"cannot load TLS settings verify={verify!r}: {exc}") from exc


def client_kwargs(options: tuple[tuple[str, Any], ...], *, is_async: bool) -> dict[str, Any]:
    """httpx client arguments for one set of client-level options."""
    opts = dict(options)
    named_or_given = opts.pop("transport")
    transport = None if isinstance(named_or_given, str) else adapt_transport(named_or_given)
    context = tls_context(opts["verify"], opts["cert"], opts["trust_env"])
    kwargs: dict[str, Any] = {
        "verify": context,
        "http2": opts["http2"],
        "trust_env": opts["trust_env"],
        "max_redirects": opts["max_redirects"],
        "proxy": opts["proxy"],
        "timeout": None,
    }
    limits = opts["limits"]
    if limits is not None:
        if not isinstance(limits, httpx.Limits):
            raise InvalidOptionError(
                "limits must be an httpx.Limits(max_connections=..., "
                f"max_keepalive_connections=..., keepalive_expiry=...), got {limits!r}"
            )
        kwargs["limits"] = limits
    if transport is not None:
        wanted = httpx.AsyncBaseTransport if is_async else httpx.BaseTransport
        if not isinstance(transport, wanted):
            kind = "async" if is_async else "sync"
            raise InvalidOptionError(
                f"transport={transport!r} cannot serve a {kind} call: pass an "
                f"httpx.{wanted.__name__} (transports are per kind in httpx)"
            )
        kwargs["transport"] = transport
    return kwargs


class Exchange:
    """One request on its way: what the sync and async send twins share, minus the I/O."""

    __slots__ = ("auth", "deadline", "follow_redirects", "prepared", "request", "started")

    def __init__(
        self, prepared: Prepared, request: httpx.Request, deadline: Deadline | None = None
    ) -> None:
        self.prepared = prepared
        self.request = request
        self.deadline = deadline or Deadline(prepared.timeout.total)
        self.started = time.perf_counter()
        self.auth = prepared.config.get("auth")
        self.follow_redirects = prepared.follow_redirects
        transfer = prepared.transfer
        if transfer is not None and transfer.meters_upload:
            meter_upload(request, transfer, self.deadline, prepared.cancel_token)

    def send(self, client: httpx.Client) -> httpx.Response:
        """The response head, its body left to stream: past httpx's ``send`` when it would
        add nothing (``_direct``), through it otherwise."""
        transport = _direct.direct_route(client, self.request, self.auth)
        if transport is not None:
            return _direct.send(client, transport, self.request, self.follow_redirects)
        return client.send(
            self.request, stream=True, auth=self.auth, follow_redirects=self.follow_redirects
        )

    async def send_async(self, client: httpx.AsyncClient) -> httpx.Response:
        """The async twin of ``send``."""
        transport = _direct.direct_route(client, self.request, self.auth)
        if transport is not None:
            return await _direct.send_async(client, transport, self.request, self.follow_redirects)
        return await client.send(
            self.request, stream=True, auth=self.auth, follow_redirects=self.follow_redirects
        )

    def raise_mapped(self, exc: BaseException) -> NoReturn:
        """Re-raise a send failure: ours if it came from the HTTP stack, else unchanged."""
        if isinstance(exc, AxiosError) or not is_from_below(exc):
            raise exc
        raise map_exception(
            exc,
            config=self.prepared.config,
            request=self.request,
            deadline_expired=self.deadline.expired(),
            total=self.deadline.total,
        ) from exc

    def response(self, raw: httpx.Response, *, is_async: bool) -> Response:
        return Response(
            raw,
            self.prepared,
            is_async=is_async,
            deadline=self.deadline,
            elapsed=time.perf_counter() - self.started,  # a timedelta when first asked for
        )


def transform_request(config: dict[str, Any]) -> dict[str, Any]:
    """Apply ``transform_request`` functions ``fn(data, headers) -> data`` to the body.

    The body is ``data`` (or ``json`` when that is what was given); the functions may also
    edit the headers dict they receive. Returns a new config; the caller's is untouched.
    """
    transforms = request_transforms(config)
    if not transforms:
        return config
    config = dict(config)
    key = "json" if config.get("json") is not None and config.get("data") is None else "data"
    headers = dict(config.get("headers") or {})
    value = config.get(key)
    for transform in transforms:
        try:
            value = transform(value, headers)
        except AxiosError:
            raise
        except Exception as exc:
            raise InterceptorError(f"transform_request {transform!r} failed: {exc}") from exc
    config[key] = value
    config["headers"] = headers
    return config


def finish(response: Response, prepared: Prepared) -> Response:
    """The last steps before the caller gets a Response: status check, response transforms,
    then requests' response hooks (a hook that returns a value replaces the response)."""
    check_status(response, prepared)
    if prepared.transform_response and response._content is not None:
        value = response.data
        for transform in prepared.transform_response:
            try:
                value = transform(value)
            except AxiosError:
                raise
            except Exception as exc:
                raise InterceptorError(f"transform_response {transform!r} failed: {exc}") from exc
        response.data = value
    for hook in response_hooks(prepared.config.get("hooks")):
        result = hook(response)
        if result is not None:
            response = result
    return response


class RetryPlan:
    """One call's attempts: which outcome to retry, how long to wait, when to give up."""

    def __init__(self, prepared: Prepared) -> None:
        config = prepared.config
        self.deadline = Deadline(prepared.timeout.total)
        self.attempts = 0
        retries = config.get("max_retries", 0)
        self.policy: RetryPolicy | None = None
        self._rewind: Callable[[], None] | None = None
        if retries != 0 or config.get("retry_on") is not None:  # the common case skips this
            self.policy = RetryPolicy(
                retries, config.get("retry_strategy"), config.get("retry_on"), prepared.method
            )
            self._rewind = _body_rewinder(config)

    def after_error(self, error: AxiosError) -> float:
        """The delay before the next attempt; raises when the error is final."""
        self.attempts += 1
        if self.policy is None:
            raise error
        before_body = error.response is None
        if not self.policy.retryable(error, before_body=before_body):
            raise error
        return self._next_delay(error, None)

    def after_response(self, response: Response) -> float | None:
        """None: hand the response over. A number: retry after that many seconds."""
        self.attempts += 1
        if self.policy is None or not self.policy.retryable(response, before_body=True):
            return None
        if self.policy.max_retries == 0 or self._rewind is None:
            return None
        return self._next_delay(status_error(response), response.headers.get("retry-after"))

    def _next_delay(self, last: AxiosError, retry_after: str | None) -> float:
        assert self.policy is not None  # callers checked
        if self.policy.max_retries == 0 or self._rewind is None:
            raise last  # no retries asked, or a one-shot body (an iterator) already spent
        if self.attempts > self.policy.max_retries:
            raise self.policy.exhausted(last, self.attempts) from last
        delay = self.policy.delay(self.attempts, retry_after)
        remaining = self.deadline.remaining()
        if remaining is not None and delay >= remaining:
            raise self.policy.exhausted(last, self.attempts) from last
        self._rewind()
        return delay


def _body_rewinder(config: dict[str, Any]) -> Callable[[], None] | None:
    """How to send the body again on a retry; None when it cannot be (a spent iterator)."""
    body = config.get("content")
    if body is None and not isinstance(config.get("data"), (Mapping, list, tuple)):
        body = config.get("data")
    if body is None or isinstance(body, (bytes, bytearray, memoryview, str)):
        return lambda: None
    if hasattr(body, "read"):
        try:
            start = body.tell()
            return lambda: body.seek(start)
        except (AttributeError, OSError, ValueError):
            return None
    return None


def check_status(response: Response, prepared: Prepared) -> None:
    """Apply ``validate_status``: raise ``HTTPStatusError`` when it returns False."""
    validate = prepared.validate_status
    if validate is not None and not validate(response.status_code):
        raise status_error(response)


def client_key(options: tuple[tuple[str, Any], ...]) -> tuple[Any, ...]:
    """A hashable identity for a set of client options (objects by identity)."""
    try:
        hash(options)
        return options  # the common case: every value hashable, no new tuple needed
    except TypeError:
        pass
    key: list[Any] = []
    for name, value in options:
        try:
            hash(value)
            key.append((name, value))
        except TypeError:
            key.append((name, id(value)))
    return tuple(key)
