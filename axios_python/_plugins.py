"""Plugins: reusable bundles of interceptors and middleware, installed on an instance.

A plugin is any object with ``install(client)``; it adds what it needs with the instance's
public hooks (``client.interceptors.request.use``, ``client.interceptors.response.use``,
``client.use``) and nothing else, so a plugin of your own is written the same way:

    api = axios_python.create(base_url="https://api.example.com")
    AuthPlugin(token_provider=get_token).install(api)     # or api.install(AuthPlugin(...))
    CachePlugin(ttl=30).install(api)
    LoggerPlugin(log_headers=True).install(api)

The three here:

- ``AuthPlugin``: an ``Authorization`` header from a fixed token or a (sync or async) provider,
  added by a request interceptor, never over a header (or ``auth=``) the call already has;
- ``CachePlugin``: a middleware keeping successful, buffered GET responses for ``ttl``
  seconds, least recently used out first;
- ``LoggerPlugin``: a middleware logging each request, its response and its failure through
  the ``logging`` module, secrets redacted.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import hashlib
import inspect
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import httpx

from ._config import Prepared, join_url, merge_headers, merge_params, prepare
from ._exceptions import AxiosError, InvalidOptionError, ResponseNotRead
from ._interceptors import Context
from ._pipeline import finish
from ._response import Response

if TYPE_CHECKING:
    from ._client import Axios

__all__ = [
    "AuthPlugin",
    "CachePlugin",
    "LoggerPlugin",
    "Plugin",
    "install",
    "redact_headers",
]

REDACTED: Final = "[redacted]"
SECRET_HEADERS: Final = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
"""Header names whose values ``LoggerPlugin`` never writes out (compared case-insensitively)."""


@runtime_checkable
class Plugin(Protocol):
    """Anything with ``install(client)``: it wires itself into an ``Axios`` instance."""

    def install(self, client: Axios) -> None: ...


def install(client: Axios, *plugins: Plugin) -> Axios:
    """Install plugins in the order given (``client.install(p)`` does one); returns client."""
    for plugin in plugins:
        if isinstance(plugin, type):
            raise TypeError(f"{plugin.__name__} is a class, not a plugin: pass an instance of it")
        if not isinstance(plugin, Plugin):
            raise TypeError(
                f"{plugin!r} is not a plugin: a plugin is an object with an install(client) method"
            )
    for plugin in plugins:
        plugin.install(client)
    return client


# -- shared pieces ------------------------------------------------------------------------


def _is_async_callable(fn: object) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - objects with an async __call__
    )


def _headers_of(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config's headers as a fresh dict (never the one shared with ``api.defaults``)."""
    headers = config.get("headers")
    return merge_headers(headers) if headers is not None else {}


def _header(headers: Mapping[str, Any], name: str) -> Any:
    """A header's value, looked up case-insensitively; None when absent."""
    wanted = name.lower()
    for key, value in headers.items():
        key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_text.lower() == wanted:
            return value
    return None


def _request_url(config: Mapping[str, Any]) -> httpx.URL:
    """The URL the request will go to: base_url joined, params appended (as the pipeline)."""
    url = httpx.URL(join_url(config.get("base_url"), config.get("url")))
    params = merge_params(config.get("params"))
    if params:
        url = url.copy_with(params=httpx.QueryParams([*url.params.multi_items(), *params]))
    return url


def _describe(config: Mapping[str, Any]) -> tuple[str, str]:
    """(METHOD, url) for a log line, the URL's password redacted; never raises."""
    method = str(config.get("method") or "GET").upper()
    try:
        url = _request_url(config)
        text = str(url)
        if url.password:  # scheme://user:[redacted]@host...: keep who, never the secret
            user = url.userinfo.decode("ascii").split(":", 1)[0]
            text = text.replace(url.userinfo.decode("ascii") + "@", f"{user}:{REDACTED}@", 1)
        return method, text
    except Exception:  # unparsable: still never log a password that may be in it
        return method, re.sub(r"//([^/@:]*):[^/@]*@", rf"//\1:{REDACTED}@", str(config.get("url")))


# -- AuthPlugin ---------------------------------------------------------------------------

TokenProvider = Callable[[], str | Awaitable[str | None] | None]


class AuthPlugin:
    """Add ``Authorization: <scheme> <token>`` to every request that has none.

    ``token`` is a fixed token; ``token_provider`` a callable asked on every request (cache
    and refresh in it as you see fit). A plain provider serves sync and async calls; an
    ``async def`` provider serves async calls only, and a sync call then fails with an
    ``AxiosError`` rather than going out unauthenticated. A provider returning None
    (or "") sends no header. ``scheme=None`` (or "") sends the bare token, e.g. with
    ``header="X-API-Key"``.

    A header of that name already in the merged config (set on the call, or in the
    instance's defaults) wins, and so does ``auth=`` when the header is ``Authorization``.
    """

    def __init__(
        self,
        token: str | None = None,
        token_provider: TokenProvider | None = None,
        scheme: str | None = "Bearer",
        header: str = "Authorization",
    ) -> None:
        if (token is None) == (token_provider is None):
            raise InvalidOptionError("AuthPlugin takes exactly one of token= and token_provider=")
        if token is not None and not isinstance(token, str):
            raise InvalidOptionError(f"AuthPlugin token must be a str, got {type(token).__name__}")
        if token_provider is not None and not callable(token_provider):
            raise InvalidOptionError(
                f"AuthPlugin token_provider must be callable, got {token_provider!r}"
            )
        if not isinstance(header, str) or not header:
            raise InvalidOptionError(f"AuthPlugin header must be a header name, got {header!r}")
        self.token = token
        self.token_provider = token_provider
        self.scheme = scheme or None
        self.header = header
        self.is_async = token_provider is not None and _is_async_callable(token_provider)

    def install(self, client: Axios) -> None:
        if self.is_async:
            # Async calls: an async interceptor (it runs before every middleware, so a cache
            # keys on the header). Sync calls: a middleware that says why there is no token.
            client.interceptors.request.use(self._async_interceptor())
            client.use(_AsyncOnly(self))
        else:
            client.interceptors.request.use(self._add_header)

    def _async_interceptor(self) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
        async def add_header(config: dict[str, Any]) -> dict[str, Any]:
            if not self._wanted(config):
                return config
            assert self.token_provider is not None
            token = self.token_provider()
            if inspect.isawaitable(token):
                token = await token
            return self._with_token(config, token)

        add_header.__name__ = add_header.__qualname__ = "AuthPlugin(async token_provider)"
        return add_header

    def _add_header(self, config: dict[str, Any]) -> dict[str, Any]:
        if not self._wanted(config):
            return config
        if self.token_provider is None:
            return self._with_token(config, self.token)
        token = self.token_provider()
        if inspect.isawaitable(token):
            if inspect.iscoroutine(token):
                token.close()  # never awaited: close it so Python does not warn about that
            raise InvalidOptionError(
                "AuthPlugin token_provider returned an awaitable but is not declared "
                "`async def`: declare it async (it then serves async calls only), or make "
                "it return the token"
            )
        return self._with_token(config, token)

    def _wanted(self, config: Mapping[str, Any]) -> bool:
        """False when the call already carries credentials of its own."""
        if _header(_headers_of(config), self.header) is not None:
            return False
        return not (self.header.lower() == "authorization" and config.get("auth") is not None)

    def _with_token(self, config: dict[str, Any], token: object) -> dict[str, Any]:
        if token is None or token == "":
            return config
        if not isinstance(token, str):
            raise InvalidOptionError(
                f"AuthPlugin token_provider must return a str or None, got {type(token).__name__}"
            )
        value = f"{self.scheme} {token}" if self.scheme else token
        # A new headers dict: the merged config may share its dict with api.defaults.
        config["headers"] = merge_headers(config.get("headers"), {self.header: value})
        return config

    def __repr__(self) -> str:
        source = "token_provider" if self.token_provider is not None else "token"
        return f"AuthPlugin({source}=..., scheme={self.scheme!r}, header={self.header!r})"


class _AsyncOnly:
    """Middleware for an async token provider: async calls pass, sync calls are refused."""

    def __init__(self, plugin: AuthPlugin) -> None:
        self._plugin = plugin

    def sync(self, ctx: Context, call_next: Callable[[], Response]) -> Response:
        if not self._plugin._wanted(ctx.config):
            return call_next()
        raise InvalidOptionError(
            f"{self._plugin!r} has an async token_provider, which cannot run in a sync call: "
            "use the async_ methods (await api.async_get(...)), or give a plain function"
        )

    async def async_(self, ctx: Context, call_next: Callable[[], Awaitable[Response]]) -> Response:
        return await call_next()


# -- CachePlugin --------------------------------------------------------------------------

DEFAULT_VARY: Final = ("Accept", "Accept-Language", "Authorization", "Cookie")
_UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NOT_STORED_HEADERS: Final = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"}
)
"""Dropped from stored headers: the body is kept decoded, and hop-by-hop headers are stale."""


@dataclasses.dataclass(frozen=True)
class _Entry:
    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes
    extensions: dict[str, Any]
    request: httpx.Request
    expires: float


def _directives(value: Any) -> set[str]:
    values = value if isinstance(value, list) else [value]
    return {
        item.strip().lower().split("=", 1)[0]
        for text in values
        if text is not None
        for item in str(text).split(",")
    }


class CachePlugin:
    """An in-memory cache of GET responses: ``ttl`` seconds, at most ``max_entries``.

    The key is the method, the full URL (base_url joined, params appended) and the values of
    the ``vary`` request headers, plus the ``auth=`` and ``cookies=`` options; so two users,
    or two ``Accept`` types, never share an entry. Only 2xx responses (206 excepted) to
    buffered GETs are stored; streamed calls (``stream=True`` or
    ``response_type="stream"``) go straight to the network, as does a request with
    ``Cache-Control: no-cache`` or ``no-store`` (the latter also is not stored), and a
    response with ``Cache-Control: no-store`` is not kept. A successful POST, PUT, PATCH or
    DELETE drops the entries for its URL. Bodies larger than ``max_entry_size`` bytes
    (None: no limit) are not kept.

    Each hit is a fresh, already read ``Response`` (``content``, ``data``, ``text``,
    ``json()`` all work), built from the stored decoded body: its ``Content-Encoding`` is
    gone and its ``Content-Length`` is that of the decoded body. The response's own
    cache headers (``max-age``, ``Expires``, ``Vary``) are not interpreted: ``ttl`` rules.

    Thread-safe; one plugin object is one cache, which may serve several instances.
    Concurrent misses for one key each go to the network (there is no request coalescing).
    """

    def __init__(
        self,
        ttl: float = 60.0,
        max_entries: int = 128,
        *,
        vary: Iterable[str] = DEFAULT_VARY,
        max_entry_size: int | None = 1024 * 1024,
        max_size: int | None = None,
    ) -> None:
        if max_size is not None:  # axios-python 0.2.0's name for max_entries
            max_entries = max_size
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
            raise InvalidOptionError(
                f"CachePlugin ttl must be a number of seconds > 0, got {ttl!r}"
            )
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise InvalidOptionError(
                f"CachePlugin max_entries must be an integer >= 1, got {max_entries!r}"
            )
        if max_entry_size is not None and (
            isinstance(max_entry_size, bool)
            or not isinstance(max_entry_size, int)
            or max_entry_size < 0
        ):
            raise InvalidOptionError(
                "CachePlugin max_entry_size must be an integer >= 0 or None, "
                f"got {max_entry_size!r}"
            )
        if isinstance(vary, str):
            raise InvalidOptionError(
                f"CachePlugin vary takes a list of header names, got the string {vary!r}"
            )
        self.ttl = float(ttl)
        self.max_entries = max_entries
        self.max_entry_size = max_entry_size
        self.vary = tuple(name.lower() for name in vary)
        self.hits = 0
        self.misses = 0
        self._entries: collections.OrderedDict[tuple[str, ...], _Entry] = collections.OrderedDict()
        self._lock = threading.Lock()

    def install(self, client: Axios) -> None:
        client.use(self)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget every entry (the hit and miss counters are kept)."""
        with self._lock:
            self._entries.clear()

    # -- the middleware, sync and async -------------------------------------------------

    def sync(self, ctx: Context, call_next: Callable[[], Response]) -> Response:
        key, lookup = self._plan(ctx.config)
        if key is not None and lookup:
            entry = self._lookup(key)
            if entry is not None:
                response, prepared = self._replay(entry, ctx.config, is_async=False)
                response.read()
                return finish(response, prepared)
        response = call_next()
        self._after(ctx.config, key, response)
        return response

    async def async_(self, ctx: Context, call_next: Callable[[], Awaitable[Response]]) -> Response:
        key, lookup = self._plan(ctx.config)
        if key is not None and lookup:
            entry = self._lookup(key)
            if entry is not None:
                response, prepared = self._replay(entry, ctx.config, is_async=True)
                await response.aread()
                return finish(response, prepared)
        response = await call_next()
        self._after(ctx.config, key, response)
        return response

    # -- the pure parts ------------------------------------------------------------------

    def _plan(self, config: Mapping[str, Any]) -> tuple[tuple[str, ...] | None, bool]:
        """(key or None when the call is not cacheable, whether to look it up)."""
        method = str(config.get("method") or "GET").upper()
        if method != "GET" or config.get("stream") or config.get("response_type") == "stream":
            return None, False
        try:
            url = str(_request_url(config))
            headers = _headers_of(config)
        except Exception:  # a bad URL or header: the dispatch reports it properly
            return None, False
        control = _directives(_header(headers, "cache-control"))
        if "no-store" in control:
            return None, False
        varying = [_header(headers, name) for name in self.vary]
        varying += [_identity(config.get("auth")), _identity(config.get("cookies"))]
        # The key holds a digest, not the Authorization value itself.
        digest = hashlib.sha256(repr(varying).encode("utf-8", "backslashreplace")).hexdigest()
        return (method, url, digest), "no-cache" not in control

    def _lookup(self, key: tuple[str, ...]) -> _Entry | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires <= now:
                del self._entries[key]
                entry = None
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def _after(
        self, config: Mapping[str, Any], key: tuple[str, ...] | None, response: Response
    ) -> None:
        method = str(config.get("method") or "GET").upper()
        if key is None:
            if method in _UNSAFE_METHODS and response.status_code < 400:
                self._invalidate(response)
            return
        entry = self._entry(key[1], response)
        if entry is None:
            return
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def _entry(self, url: str, response: Response) -> _Entry | None:
        status = response.status_code
        if not 200 <= status < 300 or status == 206:
            return None
        if "no-store" in _directives(response.headers.get_list("cache-control")):
            return None
        try:
            content = response.content
        except ResponseNotRead:  # a stream that an inner middleware left unread
            return None
        if self.max_entry_size is not None and len(content) > self.max_entry_size:
            return None
        extensions = {
            "http_version": response.http_version.encode("ascii", "replace"),
            "reason_phrase": response.status_text.encode("latin-1", "replace"),
        }
        headers = tuple(
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in _NOT_STORED_HEADERS
        )
        return _Entry(
            url=url,
            status=status,
            headers=headers,
            content=content,
            extensions=extensions,
            request=response.request,
            expires=time.monotonic() + self.ttl,
        )

    def _invalidate(self, response: Response) -> None:
        try:
            url = str(response.request.url)
        except Exception:  # pragma: no cover - a response always has its request
            return
        base = url.split("?", 1)[0]
        with self._lock:
            for key in [k for k, e in self._entries.items() if e.url.split("?", 1)[0] == base]:
                del self._entries[key]

    def _replay(
        self, entry: _Entry, config: dict[str, Any], *, is_async: bool
    ) -> tuple[Response, Prepared]:
        """A fresh, unread Response over the stored body, for this call's config."""
        started = time.perf_counter()
        prepared = prepare(config)
        if prepared.cancel_token is not None:  # a call cancelled already gets no hit either
            prepared.cancel_token.raise_if_cancelled()
        raw = httpx.Response(
            entry.status,
            headers=list(entry.headers),
            content=entry.content,
            request=entry.request,
            extensions=dict(entry.extensions),
        )
        elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        return Response(raw, prepared, is_async=is_async, elapsed=elapsed), prepared

    def __repr__(self) -> str:
        return (
            f"CachePlugin(ttl={self.ttl:g}, max_entries={self.max_entries}, "
            f"entries={len(self)}, hits={self.hits}, misses={self.misses})"
        )


def _identity(value: Any) -> Any:
    """A stand-in for an option value in a cache key: plain values as they are (a cookies
    dict as its sorted items), any other object (an httpx.Auth, a jar) by identity."""
    if value is None or isinstance(value, (str, bytes, int, float, tuple)):
        return value
    if isinstance(value, Mapping):
        return sorted((str(k), str(v)) for k, v in value.items())
    return f"{type(value).__name__}@{id(value)}"


# -- LoggerPlugin -------------------------------------------------------------------------


def redact_headers(
    headers: Iterable[tuple[Any, Any]], secret: frozenset[str] = SECRET_HEADERS
) -> dict[str, Any]:
    """Headers for a log line, the values of ``secret`` names (lower case) "[redacted]"."""
    shown: dict[str, Any] = {}
    for name, value in headers:
        text = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        if text.lower() in secret:
            value = REDACTED
        elif isinstance(value, bytes):
            value = value.decode("latin-1")
        if text in shown:
            previous = shown[text]
            shown[text] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            shown[text] = value
    return shown


def _config_header_pairs(config: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    return [
        (name, item)
        for name, value in _headers_of(config).items()
        for item in (value if isinstance(value, list) else [value])
    ]


class LoggerPlugin:
    """Log each request, response and failure with the ``logging`` module.

    ``logger`` is a ``logging.Logger``, a logger name, or None for ``"axios_python"``.
    Requests and responses are logged at ``level``; failures at WARNING with the error's
    ``code`` (``ERR_NETWORK``, ``ETIMEDOUT``...), then re-raised unchanged. With
    ``log_headers=True`` the request and response headers are logged too, the values of
    ``Authorization``, ``Proxy-Authorization``, ``Cookie`` and ``Set-Cookie`` (and any name
    in ``redact``) replaced by "[redacted]"; a password in the URL is always redacted.

    Records carry ``http_method``, ``http_url``, and where known ``http_status``,
    ``elapsed_ms`` and ``error_code`` attributes, for structured log handlers.

    It is a middleware, so it logs the config as the request interceptors left it; install
    it first to log every call, cache hits included, or after a ``CachePlugin`` to log only
    the calls that reach the network.
    """

    def __init__(
        self,
        logger: logging.Logger | logging.LoggerAdapter[Any] | str | None = None,
        level: int | str = logging.INFO,
        log_headers: bool = False,
        *,
        redact: Iterable[str] = (),
    ) -> None:
        if isinstance(logger, int) and not isinstance(logger, bool):
            logger, level = None, logger  # axios-python 0.2.0's order: LoggerPlugin(level, logger)
        if logger is None or isinstance(logger, str):
            logger = logging.getLogger(logger or "axios_python")
        if isinstance(level, str):
            number = logging.getLevelName(level.upper())
            if not isinstance(number, int):
                raise InvalidOptionError(f"LoggerPlugin level {level!r} is not a logging level")
            level = number
        self.logger = logger
        self.level = level
        self.log_headers = log_headers
        self.secret_headers = SECRET_HEADERS | {name.lower() for name in redact}

    def install(self, client: Axios) -> None:
        client.use(self)

    def sync(self, ctx: Context, call_next: Callable[[], Response]) -> Response:
        method, url = self._request(ctx.config)
        try:
            response = call_next()
        except Exception as exc:
            self._failure(method, url, exc)
            raise
        self._response(method, url, response)
        return response

    async def async_(self, ctx: Context, call_next: Callable[[], Awaitable[Response]]) -> Response:
        method, url = self._request(ctx.config)
        try:
            response = await call_next()
        except Exception as exc:
            self._failure(method, url, exc)
            raise
        self._response(method, url, response)
        return response

    def _headers(self, pairs: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
        return redact_headers(pairs, self.secret_headers)

    def _request(self, config: Mapping[str, Any]) -> tuple[str, str]:
        method, url = _describe(config)
        if not self.logger.isEnabledFor(self.level):
            return method, url
        extra = {"http_method": method, "http_url": url}
        if self.log_headers:
            headers = self._headers(_config_header_pairs(config))
            self.logger.log(
                self.level, "HTTP request: %s %s headers=%s", method, url, headers, extra=extra
            )
        else:
            self.logger.log(self.level, "HTTP request: %s %s", method, url, extra=extra)
        return method, url

    def _response(self, method: str, url: str, response: Response) -> None:
        if not self.logger.isEnabledFor(self.level):
            return
        elapsed_ms = response.elapsed.total_seconds() * 1000
        extra = {
            "http_method": method,
            "http_url": url,
            "http_status": response.status_code,
            "elapsed_ms": elapsed_ms,
        }
        message = "HTTP response: %s %s -> %d %s (%.1f ms)"
        args: list[Any] = [method, url, response.status_code, response.status_text, elapsed_ms]
        if self.log_headers:
            message += " headers=%s"
            args.append(self._headers(response.headers.multi_items()))
        self.logger.log(self.level, message, *args, extra=extra)

    def _failure(self, method: str, url: str, exc: Exception) -> None:
        code = exc.code if isinstance(exc, AxiosError) else type(exc).__name__
        status = None
        if isinstance(exc, AxiosError) and exc.response is not None:
            status = exc.response.status_code
        self.logger.warning(
            "HTTP error: %s %s -> %s: %s",
            method,
            url,
            code,
            exc,
            extra={
                "http_method": method,
                "http_url": url,
                "http_status": status,
                "error_code": code,
            },
        )

    def __repr__(self) -> str:
        name = getattr(self.logger, "name", self.logger)
        return f"LoggerPlugin(logger={name!r}, level={logging.getLevelName(self.level)!r})"
