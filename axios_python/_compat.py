"""What axios-python 0.2.0 exported that belongs to no other module, so 0.2.0 code keeps working.

    RequestConfig            0.2.0's config TypedDict: ``RequestOptions`` under its old name
    merge_config(*configs)   0.2.0's merge: library defaults first, then a deep merge
    PreparedRequest          the request a 0.2.0 transport receives
    BaseTransport            0.2.0's transport API: ``send(req)`` and ``send_async(req)``
    HttpxTransport           0.2.0's default transport, on an ``Axios`` instance (no event
                             loop in sync calls; every error, mid-stream too, one of ours)
    make_response(...)       ``Response`` from 0.2.0's ``(status_code, headers, data, request)``
    adapt_transport(obj)     a 0.2.0 transport as an httpx transport (sync and async), so that
                             ``create(transport=MyLegacyTransport())`` sends through it

A 0.2.0 transport sits *below* the httpx client, where httpx's own transport would: redirects,
cookies, auth, retries, interceptors and the Response's stream guards all still apply, and
the transport sees one hop at a time (``follow_redirects`` is False in what it receives).
"""

from __future__ import annotations

import abc
import contextlib
import json as jsonlib
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import httpx

from ._config import RequestOptions
from ._exceptions import InvalidOptionError, ResponseNotRead
from ._response import _NO_DATA, Response

if TYPE_CHECKING:
    from ._client import Axios

__all__ = [
    "DATA_EXTENSION",
    "LEGACY_DEFAULTS",
    "STREAM_EXTENSION",
    "BaseTransport",
    "HttpxTransport",
    "LegacyTransportAdapter",
    "PreparedRequest",
    "RequestConfig",
    "adapt_transport",
    "build_httpx_response",
    "make_response",
    "merge_config",
]

RequestConfig = RequestOptions
"""0.2.0's name for the request options (a ``TypedDict``: use it to annotate config dicts)."""

DATA_EXTENSION: Final = "axios_python.data"
"""httpx response extension carrying the exact ``data`` object a 0.2.0 transport returned."""

STREAM_EXTENSION: Final = "axios_python.stream"
"""httpx request extension: the call's ``stream`` option, passed on to a 0.2.0 transport."""

LEGACY_DEFAULTS: Final[Mapping[str, Any]] = {
    "base_url": "",
    "timeout": 30,
    "headers": {"Accept": "application/json, text/plain, */*"},
    "params": {},
    "max_retries": 0,
    "follow_redirects": True,
}
"""The defaults 0.2.0's ``merge_config`` started from."""

_FRAMING_HEADERS: Final = frozenset({"content-length", "transfer-encoding", "content-encoding"})
"""Headers that describe bytes on a wire: recomputed whenever a body is rebuilt in memory."""


# -- config -------------------------------------------------------------------------------


def merge_config(*configs: Mapping[str, Any] | None) -> dict[str, Any]:
    """0.2.0's ``merge_config``: ``LEGACY_DEFAULTS``, then each config, later ones winning.

    Nested dicts merge key by key (recursively), anything else is replaced; empty or None
    configs are skipped; the inputs are never modified. One fix over 0.2.0: ``headers`` keys
    match case-insensitively, so ``{"accept": ...}`` replaces the default ``Accept`` instead
    of sending both. (``axios_python._config.merge_config`` is the instance's own merge:
    no defaults, params as pairs, ``None`` removes a header.)
    """
    result = _deep_merge({}, LEGACY_DEFAULTS)
    for config in configs:
        if config:
            result = _deep_merge(result, config)
    return result


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """0.2.0's deep merge, except that nested dicts are always copies (0.2.0 handed out its
    default headers dict itself, so an interceptor editing one call's headers edited all)."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict):
            current = result.get(key)
            current = current if isinstance(current, dict) else {}
            merge = _merge_headers if key == "headers" else _deep_merge
            result[key] = merge(current, value)
        else:
            result[key] = value
    return result


def _merge_headers(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for name, value in override.items():
        for existing in [k for k in merged if str(k).lower() == str(name).lower()]:
            del merged[existing]
        merged[name] = value
    return merged


# -- the request a 0.2.0 transport receives -----------------------------------------------


@dataclass
class PreparedRequest:
    """A fully resolved request, as 0.2.0 handed it to ``BaseTransport.send``.

    ``url`` has no query string: the query is in ``params`` (a repeated key maps to a list).
    The body is ``json`` (parsed) when its content type is JSON, else ``data`` (bytes).
    """

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    data: Any = None
    json: Any = None
    files: Any = None
    stream: bool = False
    timeout: float | None = 30
    follow_redirects: bool = True

    @classmethod
    def from_httpx(cls, request: httpx.Request) -> PreparedRequest:
        """The 0.2.0 view of one hop of an httpx request whose body has been read.

        ``follow_redirects`` is False (the httpx client above follows redirects), ``timeout``
        is the read timeout, and Host, Content-Length and Transfer-Encoding are left out:
        whoever sends the request again computes them.
        """
        params: dict[str, Any] = {}
        for name, value in request.url.params.multi_items():
            if name not in params:
                params[name] = value
            elif isinstance(params[name], list):
                params[name].append(value)
            else:
                params[name] = [params[name], value]
        headers: dict[str, str] = {}
        spelling: dict[str, str] = {}
        for raw_name, raw_value in request.headers.raw:
            name = raw_name.decode("latin-1")
            value = raw_value.decode("latin-1")
            lowered = name.lower()
            if lowered in ("host", "content-length", "transfer-encoding"):
                continue
            if lowered in spelling:
                key = spelling[lowered]
                headers[key] = f"{headers[key]}, {value}"
            else:
                spelling[lowered] = name
                headers[name] = value
        data: Any = request.content or None
        parsed: Any = None
        if data is not None and _is_json_type(request.headers.get("content-type", "")):
            with contextlib.suppress(ValueError):  # not JSON after all: keep the bytes
                parsed, data = jsonlib.loads(data), None
        timeout = request.extensions.get("timeout", {}).get("read")
        return cls(
            method=request.method,
            url=str(request.url.copy_with(query=None)),
            headers=headers,
            params=params,
            data=data,
            json=parsed,
            stream=bool(request.extensions.get(STREAM_EXTENSION, False)),
            timeout=timeout,
            follow_redirects=False,
        )

    def to_options(self) -> dict[str, Any]:
        """The request as options for ``Axios.request`` (``data`` keeps today's meaning:
        a mapping is form-encoded, bytes, str or an iterator are sent as they are)."""
        options: dict[str, Any] = {
            "method": self.method,
            "url": self.url,
            "headers": dict(self.headers),
            "params": dict(self.params),
            "stream": self.stream,
            "timeout": self.timeout,
            "follow_redirects": self.follow_redirects,
        }
        for name in ("data", "json", "files"):
            value = getattr(self, name)
            if value is not None:
                options[name] = value
        return options


def _is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


# -- responses from 0.2.0's four values ---------------------------------------------------


def _encode_data(data: Any) -> tuple[bytes, str | None]:
    """A body for ``data``, and the content type that makes ``Response.data`` parse it back."""
    if data is None:
        return b"", None
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), None
    if isinstance(data, str):
        return data.encode("utf-8"), "text/plain; charset=utf-8"
    try:
        return jsonlib.dumps(data).encode("utf-8"), "application/json"
    except (TypeError, ValueError):  # not JSON-able: its text (the object rides along as data)
        return str(data).encode("utf-8"), "text/plain; charset=utf-8"


def _httpx_request(request: Any) -> httpx.Request | None:
    """An httpx.Request standing for 0.2.0's ``request`` argument (None if there is none)."""
    if request is None or isinstance(request, httpx.Request):
        return request
    method, url = getattr(request, "method", None), getattr(request, "url", None)
    if not isinstance(method, str) or url is None:
        return None
    try:
        return httpx.Request(method, str(url))
    except (httpx.InvalidURL, TypeError, ValueError):
        return None


def build_httpx_response(
    status_code: Any, headers: Any = None, data: Any = None, request: Any = None
) -> httpx.Response:
    """An in-memory httpx.Response for 0.2.0's ``Response(status_code, headers, data, request)``.

    ``data`` was already the decoded body in 0.2.0, so it becomes the body here (bytes as they
    are, str as UTF-8 text, anything else as JSON) with a matching Content-Type unless
    ``headers`` names one; Content-Length, Content-Encoding and Transfer-Encoding are
    recomputed for that body. The object itself rides along in the ``DATA_EXTENSION``
    extension, so that ``Response.data`` can return it unchanged.
    """
    if isinstance(status_code, bool) or not isinstance(status_code, int):
        raise TypeError(f"status_code must be an int, got {status_code!r}")
    fields = httpx.Headers(headers or {})
    for name in _FRAMING_HEADERS:
        if name in fields:
            del fields[name]
    body, content_type = _encode_data(data)
    if content_type is not None and "content-type" not in fields:
        fields["Content-Type"] = content_type
    return httpx.Response(
        status_code,
        headers=fields,
        content=body,
        request=_httpx_request(request),
        extensions={DATA_EXTENSION: data},
    )


def make_response(
    status_code: int, headers: Any = None, data: Any = None, request: Any = None
) -> Response:
    """A read ``Response`` from 0.2.0's four values; ``response.data`` is ``data`` itself.

    ``request`` may be a ``PreparedRequest``, an ``httpx.Request`` or None; ``response.request``
    is an ``httpx.Request`` with the same method and URL.
    """
    response = Response(build_httpx_response(status_code, headers, data, request))
    response.read()
    response.data = data
    return response


# -- transports -----------------------------------------------------------------------------


class BaseTransport(abc.ABC):
    """0.2.0's transport API: implement ``send`` and ``send_async``; pass an instance as
    ``transport=`` and every request of that instance goes through it.

    Each returns a ``Response``, e.g. ``axios_python.Response(200, {}, {"ok": True}, request)``
    (or ``make_response(...)``). ``send`` serves sync calls and ``send_async`` async ones
    (0.2.0 used ``send_async`` for most sync calls too, inside an event loop per request).
    """

    @abc.abstractmethod
    def send(self, request: PreparedRequest) -> Response:
        """Send ``request`` and return its Response (sync calls)."""

    @abc.abstractmethod
    async def send_async(self, request: PreparedRequest) -> Response:
        """Send ``request`` and return its Response (async calls)."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op unless overridden
        """Release what the transport holds (called when the instance closes)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, a no-op unless overridden
        """Release what the transport holds (called when an async pool closes)."""


class HttpxTransport(BaseTransport):
    """0.2.0's default transport: real HTTP through httpx.

    ``transport=HttpxTransport()`` means exactly the default (``adapt_transport`` turns it into
    None). Called directly, or from a transport of yours that wraps it, it sends through a
    private ``Axios`` instance: sync calls never start an event loop, async calls get one
    connection pool per event loop, and every failure (also while a streamed body is read)
    is an ``axios_python`` error.
    """

    def __init__(self) -> None:
        from ._client import Axios  # here, not at the top: the client imports this module

        # No cookie jar: an httpx client above this transport keeps the cookies.
        self._api: Axios = Axios(_persist_cookies=False)

    def send(self, request: PreparedRequest) -> Response:
        return self._api.request(**request.to_options())

    async def send_async(self, request: PreparedRequest) -> Response:
        return await self._api.async_request(**request.to_options())

    def close(self) -> None:
        self._api.close()

    async def aclose(self) -> None:
        await self._api.aclose()


class _ResponseStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The unread body of a ``Response`` as an httpx stream (wire bytes, still encoded)."""

    def __init__(self, response: Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.iter_raw()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._response._is_async:
            async for chunk in self._response.aiter_raw():
                yield chunk
        else:  # a sync Response from send_async (e.g. ``return self.send(request)``)
            for chunk in self._response.iter_raw():
                yield chunk

    def close(self) -> None:
        self._response.close()

    async def aclose(self) -> None:
        await self._response.aclose()


def _to_httpx(result: Any) -> httpx.Response:
    """What a 0.2.0 transport returned, as the httpx.Response an httpx transport returns."""
    if isinstance(result, httpx.Response):
        return result
    if isinstance(result, Response):
        extensions: dict[str, Any] = {}
        if result.status_text:
            extensions["reason_phrase"] = result.status_text.encode("ascii", "replace")
        if result._data is not _NO_DATA:
            extensions[DATA_EXTENSION] = result._data
        try:
            body = result.content
        except ResponseNotRead:  # unread: stream its wire bytes, headers untouched
            return httpx.Response(
                result.status_code,
                headers=result.headers,
                stream=_ResponseStream(result),
                extensions=extensions,
            )
        headers = [(k, v) for k, v in result.headers.multi_items() if k not in _FRAMING_HEADERS]
        return httpx.Response(
            result.status_code, headers=headers, content=body, extensions=extensions
        )
    if hasattr(result, "status_code") and hasattr(result, "data"):  # a 0.2.0-shaped object
        return build_httpx_response(
            result.status_code, getattr(result, "headers", None), result.data
        )
    raise TypeError(
        "a 0.2.0-style transport must return axios_python.Response(status_code, headers, "
        f"data, request) (or an httpx.Response), got {type(result).__name__}"
    )


class LegacyTransportAdapter(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A 0.2.0 ``BaseTransport`` (``send``/``send_async``) seen as an httpx transport.

    Each hop is read into memory and handed over as a ``PreparedRequest`` (so a streamed
    upload is buffered); the Response that comes back becomes an httpx.Response, streamed on
    when it was not read yet. Exceptions raised by the transport propagate as they are
    (errors of the HTTP stack become ours further up).
    """

    def __init__(self, transport: Any) -> None:
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return _to_httpx(self.transport.send(PreparedRequest.from_httpx(request)))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return _to_httpx(await self.transport.send_async(PreparedRequest.from_httpx(request)))

    def close(self) -> None:
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()

    async def aclose(self) -> None:
        aclose = getattr(self.transport, "aclose", None)
        if aclose is not None:
            await aclose()

    def __repr__(self) -> str:
        return f"<LegacyTransportAdapter {self.transport!r}>"


def adapt_transport(
    transport: Any,
) -> httpx.BaseTransport | httpx.AsyncBaseTransport | None:
    """``transport=`` as httpx wants it: an httpx transport (returned as is), None for the
    default (``None`` and a plain ``HttpxTransport()``), or a ``LegacyTransportAdapter``
    around a 0.2.0 transport (a ``BaseTransport``, or any object with ``send`` and
    ``send_async``). The adapter is both an ``httpx.BaseTransport`` and an
    ``httpx.AsyncBaseTransport``. Anything else is refused with ``InvalidOptionError``.
    """
    if transport is None or isinstance(transport, (httpx.BaseTransport, httpx.AsyncBaseTransport)):
        return transport
    if type(transport) is HttpxTransport:
        return None
    if isinstance(transport, BaseTransport) or (
        callable(getattr(transport, "send", None))
        and callable(getattr(transport, "send_async", None))
    ):
        return LegacyTransportAdapter(transport)
    raise InvalidOptionError(
        f"transport={transport!r} is neither an httpx transport nor an axios_python."
        "BaseTransport (an object with send(request) and async send_async(request))"
    )
