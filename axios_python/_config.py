"""Request options: their names, their defaults, merging across levels, and validation.

Pure functions, no I/O. Config is a plain dict (as axios) so that ``api.defaults`` can be
edited live; ``prepare`` turns the merged dict into a checked, frozen ``Prepared``.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypedDict

import httpx

from ._cancel import CancelToken, as_token
from ._exceptions import InvalidOptionError, InvalidURL
from ._progress import ProgressEvent
from ._transfer import TransferOptions, parse_transfer
from ._transport_choice import check_choice
from ._version import __version__

__all__ = ["DEFAULT_MAX_LINE_LENGTH", "Prepared", "RequestOptions", "Timeout"]

DEFAULT_MAX_LINE_LENGTH: Final = 1024 * 1024
"""Longest line ``iter_lines`` will assemble, in characters, unless ``max_line_length`` says."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def _check_seconds(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidOptionError(
            f"timeout {name!r} must be a number of seconds or None, got {value!r}"
        )
    seconds = float(value)
    if math.isnan(seconds) or seconds <= 0 or math.isinf(seconds):
        # 0 would make the socket non-blocking (a confusing ConnectError), as urllib3 warns.
        raise InvalidOptionError(
            f"timeout {name!r} must be a finite number of seconds > 0, or None for no limit, "
            f"got {value!r}"
        )
    return seconds


class Timeout:
    """Per-phase timeouts plus ``total``, a deadline over the whole exchange.

    ``Timeout(10)`` sets connect, read, write and pool to 10 s. Phases not given keep the
    library defaults; ``None`` means no limit. ``total`` covers everything from the start of
    the request to the last body byte, including the time the caller spends iterating.
    """

    __slots__ = ("_httpx", "connect", "pool", "read", "total", "write")

    def __init__(
        self,
        timeout: float | _Unset | None = UNSET,
        *,
        connect: float | _Unset | None = UNSET,
        read: float | _Unset | None = UNSET,
        write: float | _Unset | None = UNSET,
        pool: float | _Unset | None = UNSET,
        total: float | None = None,
    ) -> None:
        def pick(name: str, value: float | _Unset | None, default: float | None) -> float | None:
            if isinstance(value, _Unset):
                value = default if isinstance(timeout, _Unset) else timeout
            return _check_seconds(name, value)

        values = {
            "connect": pick("connect", connect, DEFAULT_TIMEOUT_SECONDS["connect"]),
            "read": pick("read", read, DEFAULT_TIMEOUT_SECONDS["read"]),
            "write": pick("write", write, DEFAULT_TIMEOUT_SECONDS["write"]),
            "pool": pick("pool", pool, DEFAULT_TIMEOUT_SECONDS["pool"]),
            "total": _check_seconds("total", total),
            "_httpx": None,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    connect: float | None
    read: float | None
    write: float | None
    pool: float | None
    total: float | None
    _httpx: httpx.Timeout | None

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Timeout is immutable: make a new one, e.g. Timeout(read=5)")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeout) and self._astuple() == other._astuple()

    def __hash__(self) -> int:
        return hash(self._astuple())

    def _astuple(self) -> tuple[float | None, ...]:
        return (self.connect, self.read, self.write, self.pool, self.total)

    def __repr__(self) -> str:
        return (
            f"Timeout(connect={self.connect}, read={self.read}, write={self.write}, "
            f"pool={self.pool}, total={self.total})"
        )

    def to_httpx(self) -> httpx.Timeout:
        """Phase timeouts for httpx, each clamped to ``total`` so no single wait outlives it."""
        if self._httpx is not None:
            return self._httpx

        def clamp(value: float | None) -> float | None:
            if self.total is None:
                return value
            return self.total if value is None else min(value, self.total)

        converted = httpx.Timeout(
            connect=clamp(self.connect),
            read=clamp(self.read),
            write=clamp(self.write),
            pool=clamp(self.pool),
        )
        object.__setattr__(self, "_httpx", converted)  # immutable, so the cache stays right
        return converted

    @classmethod
    def coerce(cls, value: object) -> Timeout:
        """Accept a number, ``(connect, read)``, ``Timeout``, ``httpx.Timeout`` or None."""
        if isinstance(value, Timeout):
            return value
        if isinstance(value, (int, float, tuple)) and not isinstance(value, bool):
            try:
                return _coerce_cached(value)  # Timeout is immutable, so sharing is safe
            except TypeError:  # an unhashable item inside a tuple
                pass
        return cls._coerce(value)

    @classmethod
    def _coerce(cls, value: object) -> Timeout:
        if value is None:
            return cls(None)
        if isinstance(value, httpx.Timeout):
            return cls(connect=value.connect, read=value.read, write=value.write, pool=value.pool)
        if isinstance(value, tuple):
            if len(value) != 2:
                raise InvalidOptionError(
                    f"a timeout tuple must be (connect, read), got {len(value)} items: {value!r}"
                )
            connect = _check_seconds("connect", value[0])
            read = _check_seconds("read", value[1])
            return cls(connect=connect, read=read, write=read, pool=connect)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidOptionError(
                "timeout must be a number, a (connect, read) tuple, axios_python.Timeout "
                f"or None, got {value!r}"
            )
        return cls(_check_seconds("timeout", value))


@functools.lru_cache(maxsize=64)
def _coerce_cached(value: float | tuple[Any, ...]) -> Timeout:
    return Timeout._coerce(value)


DEFAULT_TIMEOUT_SECONDS: Final[dict[str, float | None]] = {
    "connect": 10.0,
    "read": 30.0,
    "write": 30.0,
    "pool": 30.0,
}


class RequestOptions(TypedDict, total=False):
    """Every option a request, an instance or ``create()`` accepts (see docs/configuration.md)."""

    base_url: str
    url: str | httpx.URL
    method: str
    params: Any
    headers: Any
    data: Any
    json: Any
    content: Any
    files: Any
    cookies: Any
    auth: Any
    timeout: Any
    follow_redirects: bool
    allow_redirects: bool
    max_redirects: int
    stream: bool
    response_type: str
    max_content_length: int | None
    max_line_length: int
    validate_status: Callable[[int], bool] | None
    verify: Any
    cert: Any
    proxy: Any
    http2: bool
    limits: httpx.Limits | None
    transport: Any
    trust_env: bool
    transform_request: Any
    transform_response: Any
    max_retries: int
    retry_strategy: Any
    retry_on: Any
    cancel_token: Any
    signal: Any
    proxies: Mapping[str, Any] | None
    hooks: Mapping[str, Any] | None
    on_upload_progress: Callable[[ProgressEvent], Any] | None
    on_download_progress: Callable[[ProgressEvent], Any] | None
    max_rate: float | tuple[float | None, float | None] | None


OPTION_NAMES: Final = frozenset(RequestOptions.__annotations__)

LIBRARY_DEFAULTS: Final[dict[str, Any]] = {
    "method": "GET",
    "headers": {
        "Accept": "application/json, text/plain, */*",
        "User-Agent": f"axios-python/{__version__}",
    },
    "timeout": Timeout(),
    "follow_redirects": True,
    "max_redirects": 20,
    "stream": False,
    "response_type": "auto",
    "max_content_length": None,
    "max_line_length": DEFAULT_MAX_LINE_LENGTH,
    "validate_status": None,
    "verify": True,
    "cert": None,
    "proxy": None,
    "http2": False,
    "limits": None,
    "transport": None,
    "trust_env": True,
    "max_retries": 0,
}

CLIENT_OPTION_NAMES: Final = (
    "verify",
    "cert",
    "proxy",
    "http2",
    "limits",
    "transport",
    "max_redirects",
    "trust_env",
)
"""Options that live on the httpx client, not the request: each distinct set gets a client."""

RESPONSE_TYPES: Final = frozenset({"auto", "json", "text", "bytes", "arraybuffer", "stream"})


_CAMEL_BOUNDARY: Final = re.compile(r"([a-z0-9])([A-Z])")


def check_option_names(options: Mapping[str, Any]) -> None:
    """Refuse misspelt options before any I/O (``timout=5`` would otherwise do nothing)."""
    for name in options:
        if name not in OPTION_NAMES:
            snake = _CAMEL_BOUNDARY.sub(r"\1_\2", name).lower()  # axios's baseURL -> base_url
            close = (
                [snake]
                if snake in OPTION_NAMES
                else difflib.get_close_matches(name, sorted(OPTION_NAMES), n=1)
            )
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InvalidOptionError(f"unknown option {name!r}{hint}")


def _pairs(value: Any, what: str) -> list[tuple[str, Any]]:
    if value is None:
        return []
    if isinstance(value, httpx.Headers):
        return list(value.multi_items())
    if isinstance(value, httpx.QueryParams):
        return list(value.multi_items())
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, (str, bytes)):
        raise InvalidOptionError(f"{what} must be a mapping or a sequence of pairs, got {value!r}")
    try:
        pairs = [(k, v) for k, v in value]
    except (TypeError, ValueError):
        raise InvalidOptionError(
            f"{what} must be a mapping or a sequence of pairs, got {value!r}"
        ) from None
    return pairs


def merge_headers(*levels: Any, keep_removals: bool = False) -> dict[str, Any]:
    """Merge header levels key by key, case-insensitively; a value of None removes a header
    (with ``keep_removals``, the None stays in the result: a merged config keeps saying that
    the header is not to be sent, even by default; see ``withdrawn_headers``)."""
    merged: dict[str, tuple[str, Any]] = {}
    for level in levels:
        seen: set[str] = set()
        # In a mapping, "Accept" then "accept" is one header rewritten; in a list of pairs
        # a repeated name is a header sent twice.
        repeats = not isinstance(level, Mapping) or isinstance(level, httpx.Headers)
        for name, value in _pairs(level, "headers"):
            key = name.lower() if isinstance(name, str) else name.decode("latin-1").lower()
            if repeats and key in seen and value is not None:
                previous = merged[key][1]
                values = previous if isinstance(previous, list) else [previous]
                merged[key] = (merged[key][0], [*values, value])
            else:
                merged[key] = (name, value)
            seen.add(key)
    return {name: value for name, value in merged.values() if keep_removals or value is not None}


# What describes the message itself, which httpx adds and no caller may take away.
_FRAMING_HEADERS: Final = frozenset({"host", "content-length", "transfer-encoding"})


def withdrawn_headers(raw: Any, kept: Mapping[str, Any]) -> list[str]:
    """Names the caller set to None and did not set again: headers not to send at all, not
    even the ones httpx's client adds by default (Accept, Accept-Encoding, Connection,
    User-Agent), as with requests' ``headers={"User-Agent": None}`` and curl's ``-H 'Name:'``.
    """
    if not raw or (type(raw) is dict and None not in raw.values()):  # the common case
        return []
    names = {
        (name.lower() if isinstance(name, str) else name.decode("latin-1").lower())
        for name, value in _pairs(raw, "headers")
        if value is None
    }
    if not names:
        return []
    names -= {name.lower() for name in kept}
    return sorted(names - _FRAMING_HEADERS)


def merge_params(*levels: Any) -> list[tuple[str, Any]]:
    """Merge query params key by key; later levels replace a key, list values repeat it."""
    merged: dict[str, list[Any]] = {}
    for level in levels:
        if isinstance(level, bytes):
            level = level.decode("utf-8")
        if isinstance(level, str):  # requests' params="a=1&b=2"
            level = httpx.QueryParams(level.lstrip("?")).multi_items()
        replaced: set[str] = set()
        for name, value in _pairs(level, "params"):
            if name not in replaced:
                merged[name] = []
                replaced.add(name)
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                merged[name].extend(value)
            else:
                merged[name].append(value)
    return [(name, value) for name, values in merged.items() for value in values]


_MERGED_KEYS: Final = frozenset({"headers", "params", "allow_redirects"})


def merge_call(defaults: dict[str, Any], call: dict[str, Any]) -> dict[str, Any]:
    """``merge_config(defaults, call)``, with a fast path for the common call that sets no
    headers or params (the defaults are already merged, so a shallow update is exact)."""
    if _MERGED_KEYS.isdisjoint(call):
        merged = {**defaults, **call}
        # Copies, so that interceptors editing this call's headers never edit the defaults.
        if merged.get("headers") is not None:
            merged["headers"] = dict(merged["headers"])
        params = merged.get("params")
        if params is not None:  # merged already, unless set on api.defaults since (a dict)
            merged["params"] = list(params) if type(params) is list else merge_params(params)
        return merged
    return merge_config(defaults, call)


def merge_config(*levels: Mapping[str, Any] | None) -> dict[str, Any]:
    """axios's mergeConfig: later levels win, headers and params merge key by key."""
    merged: dict[str, Any] = {}
    header_levels: list[Any] = []
    param_levels: list[Any] = []
    for level in levels:
        if not level:
            continue
        for name, value in level.items():
            if name == "headers":
                header_levels.append(value)
            elif name == "params":
                param_levels.append(value)
            elif name == "allow_redirects":
                merged["follow_redirects"] = value
            else:
                merged[name] = value
    if header_levels:
        merged["headers"] = merge_headers(*header_levels, keep_removals=True)
    if param_levels:
        merged["params"] = merge_params(*param_levels)
    return merged


_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# The usual methods, in either case: tokens all, so they skip the regex.
_KNOWN_METHODS: Final = frozenset(
    spelling
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    for spelling in (method, method.lower())
)
_ABSOLUTE_URL: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_BAD_HEADER_VALUE = re.compile(r"[\r\n\x00\x0b\x0c]")


def join_url(base_url: str | None, url: str | httpx.URL | None) -> str:
    """axios's combineURLs: absolute URLs win; joining never doubles or drops a slash."""
    text = "" if url is None else str(url)
    if not base_url or _ABSOLUTE_URL.match(text) or text.startswith("//"):
        if not text:
            raise InvalidURL("no URL given: pass url= (or base_url= on the instance)")
        return text
    if not text:
        return base_url
    return base_url.rstrip("/") + "/" + text.lstrip("/")


@functools.lru_cache(maxsize=512)
def _check_url(url: str, custom_transport: bool = False) -> httpx.URL:
    """Parse and check a URL; cached, since APIs call the same few URLs over and over.

    With a transport of the caller's own, any scheme goes (``mock://``), and a URL without
    a host (``mock:/users``, from base_url "mock://") is sent to ``localhost``.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise InvalidURL(f"invalid URL {url!r}: {exc}") from exc
    if custom_transport:
        if not parsed.scheme:
            raise InvalidURL(f"URL {url!r} has no scheme")
        return parsed if parsed.host else parsed.copy_with(host="localhost")
    if parsed.scheme not in ("http", "https"):
        scheme = parsed.scheme or "(none)"
        raise InvalidURL(
            f"unsupported URL scheme {scheme!r} in {url!r}: only http:// and https:// are supported"
        )
    if not parsed.host:
        raise InvalidURL(f"URL {url!r} has no host")
    return parsed


def request_headers(raw: Any) -> dict[str, Any]:
    """The merged, checked headers of a request (a fresh dict the caller may change).

    Values lose surrounding spaces and tabs: RFC 9110 (section 5.5) makes them no part of
    the value, h11 refuses to send them, and requests sends ``"token "`` as given, so code
    written for it works over either transport. A plain dict of str values (the instance
    defaults on most calls) is looked up by its items in a small cache, so the same defaults
    are merged and checked once, not per call.
    """
    if type(raw) is dict:
        items = tuple(raw.items())
        try:
            return dict(_merged_and_checked(items))
        except TypeError:  # an unhashable value (a list of values): not cacheable
            pass
    headers = merge_headers(raw)
    _check_headers(headers)
    return {name: _trimmed(value) for name, value in headers.items()}


@functools.lru_cache(maxsize=256)
def _merged_and_checked(items: tuple[tuple[Any, Any], ...]) -> tuple[tuple[Any, Any], ...]:
    headers = merge_headers(dict(items))
    _check_headers(headers)
    return tuple((name, _trimmed(value)) for name, value in headers.items())


def _trimmed(value: Any) -> Any:
    """A header value without the spaces and tabs around it (each item of a list)."""
    if isinstance(value, str):
        return value.strip(" \t")
    if isinstance(value, bytes):
        return value.strip(b" \t")
    if isinstance(value, list):
        return [_trimmed(item) for item in value]
    return value


def _check_headers(headers: Mapping[str, Any]) -> None:
    for name, value in headers.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(name, str) and isinstance(item, str):
                _check_header(name, item)
            else:
                _check_header.__wrapped__(name, item)


@functools.lru_cache(maxsize=1024)
def _check_header(name: str | bytes, value: object) -> None:
    """One header pair; cached, since the same defaults are sent with every request."""
    text_name = name.decode("latin-1") if isinstance(name, bytes) else str(name)
    if not _TOKEN.match(text_name):
        raise InvalidOptionError(f"invalid header name {text_name!r}")
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    if _BAD_HEADER_VALUE.search(text):
        raise InvalidOptionError(
            f"header {text_name!r} has a CR, LF, NUL, VT or FF in its value {text!r} "
            "(CR and LF would let a value inject headers; no HTTP/1.1 peer accepts these)"
        )


def _check_positive_int(name: str, value: object, *, allow_none: bool, minimum: int = 1) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidOptionError(f"{name} must be an integer >= {minimum}, got {value!r}")


@dataclass(slots=True)
class Prepared:
    """A merged, checked config: everything the pipeline needs, in the types it needs."""

    config: dict[str, Any]
    method: str
    url: httpx.URL
    headers: dict[str, Any]
    params: list[tuple[str, Any]]
    timeout: Timeout
    stream: bool
    response_type: str
    follow_redirects: bool
    max_content_length: int | None
    max_line_length: int
    validate_status: Callable[[int], bool] | None
    client_options: tuple[tuple[str, Any], ...]
    cancel_token: CancelToken | None = None
    transform_response: tuple[Callable[[Any], Any], ...] = ()
    transfer: TransferOptions | None = None
    plan: Any = None  # the _call_plan this came from, or made for it, if any

    @property
    def transport(self) -> Any:
        """The caller's own transport, if any (we never alter one we did not build); a
        named one (``"axios"``, ``"httpx"``) is ours to build, so it counts as None here."""
        transport = dict(self.client_options)["transport"]
        return None if isinstance(transport, str) else transport


HOOK_EVENTS: Final = ("response",)


def response_hooks(hooks: Mapping[str, Any] | None) -> list[Callable[..., Any]]:
    """The response hooks in requests' ``hooks={"response": fn or [fn, ...]}``.

    requests knows no other event, so any other key is refused (requests raises ValueError
    too); so is a hook that is not callable.
    """
    if not hooks:
        return []
    if not isinstance(hooks, Mapping):
        raise InvalidOptionError(f'hooks must be a dict like {{"response": [fn]}}, got {hooks!r}')
    unknown = sorted(set(hooks) - set(HOOK_EVENTS))
    if unknown:
        raise InvalidOptionError(
            f"unsupported hook event(s) {unknown}: only {list(HOOK_EVENTS)} is supported"
        )
    value = hooks.get("response")
    listed = [] if value is None else [value] if callable(value) else list(value)
    for hook in listed:
        if not callable(hook):
            raise InvalidOptionError(f"a response hook must be callable, got {hook!r}")
    return listed


def _host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.strip().lower().lstrip(".")
    if pattern.startswith("*."):
        pattern = pattern[2:]
    return bool(pattern) and (pattern == "*" or host == pattern or host.endswith("." + pattern))


def select_proxy(url: str | httpx.URL, proxies: Mapping[str, Any] | None) -> Any:
    """The proxy requests would use for ``url`` given ``proxies``, or None.

    Keys are tried most specific first: ``scheme://host``, ``scheme``, ``all://host``,
    ``all``. A ``no_proxy`` key (comma-separated hosts or domains, ``*`` for all) bypasses
    the proxy for matching hosts.
    """
    if not proxies:
        return None
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, TypeError, ValueError):
        return None  # the request itself reports the bad URL, with our error
    scheme, host = parsed.scheme.lower(), parsed.host.lower()
    no_proxy = proxies.get("no_proxy") or proxies.get("NO_PROXY")
    if no_proxy and host:
        patterns = no_proxy if isinstance(no_proxy, (list, tuple)) else str(no_proxy).split(",")
        if any(_host_matches(host, str(pattern)) for pattern in patterns):
            return None
    for key in (f"{scheme}://{host}", scheme, f"all://{host}", "all"):
        if proxies.get(key):
            return proxies[key]
    return None


def prepare(config: dict[str, Any]) -> Prepared:
    """Validate a merged config; every bad value is refused here, before any I/O."""
    method = config.get("method") or "GET"
    if type(method) is not str or (method not in _KNOWN_METHODS and not _TOKEN.match(method)):
        raise InvalidOptionError(f"invalid HTTP method {method!r}: it must be a single token")
    transport = config.get("transport")
    if isinstance(transport, str):
        check_choice(transport)
    custom_transport = transport is not None and not isinstance(transport, str)
    url = _check_url(join_url(config.get("base_url"), config.get("url")), custom_transport)
    # Always re-merged: an interceptor may have added "accept" beside the default "Accept".
    headers = request_headers(config.get("headers"))
    timeout = Timeout.coerce(config.get("timeout", LIBRARY_DEFAULTS["timeout"]))
    response_type = config.get("response_type", "auto")
    if response_type not in RESPONSE_TYPES:
        raise InvalidOptionError(
            f"response_type must be one of {sorted(RESPONSE_TYPES)}, got {response_type!r}"
        )
    stream = config.get("stream", False)
    if stream is None:  # requests' "not given"
        stream = False
    if not isinstance(stream, bool):
        raise InvalidOptionError(f"stream must be True or False, got {stream!r}")
    max_content_length = config.get("max_content_length")
    _check_positive_int("max_content_length", max_content_length, allow_none=True, minimum=0)
    max_line_length = config.get("max_line_length", DEFAULT_MAX_LINE_LENGTH)
    _check_positive_int("max_line_length", max_line_length, allow_none=False)
    _check_positive_int(
        "max_redirects", config.get("max_redirects", 20), allow_none=False, minimum=0
    )
    validate_status = config.get("validate_status")
    if validate_status is not None and not callable(validate_status):
        raise InvalidOptionError(
            f"validate_status must be a callable(status) -> bool or None, got {validate_status!r}"
        )
    bodies = [name for name in ("data", "json", "content") if config.get(name) is not None]
    if len(bodies) > 1:
        raise InvalidOptionError(f"pass only one of data=, json=, content= (got {bodies})")
    if config.get("files") is not None and config.get("json") is not None:
        raise InvalidOptionError("files= cannot be combined with json= (use data= for fields)")
    params = config.get("params")
    params = [] if params is None else merge_params(params)
    response_hooks(config.get("hooks"))  # refuse a bad one before any I/O
    proxies = config.get("proxies")
    if proxies is not None and not isinstance(proxies, Mapping):
        raise InvalidOptionError(f"proxies must be a dict like {{'https': url}}, got {proxies!r}")
    if proxies and config.get("proxy") is None:  # requests' name; an explicit proxy= wins
        config = {**config, "proxy": select_proxy(url, proxies)}
    client_options = tuple(
        [(name, config.get(name, LIBRARY_DEFAULTS[name])) for name in CLIENT_OPTION_NAMES]
    )
    return Prepared(
        cancel_token=as_token(config.get("cancel_token"), config.get("signal")),
        transform_response=_transforms(config.get("transform_response"), "transform_response"),
        transfer=parse_transfer(config),
        config=config,
        method=method.upper(),
        url=url,
        headers=headers,
        params=params,
        timeout=timeout,
        stream=stream or response_type == "stream",
        response_type=response_type,
        follow_redirects=bool(config.get("follow_redirects", True)),
        max_content_length=max_content_length,
        max_line_length=max_line_length,
        validate_status=validate_status,
        client_options=client_options,
    )


def _transforms(value: Any, name: str) -> tuple[Callable[..., Any], ...]:
    """A transform option as a tuple of callables (one callable or a list of them)."""
    if value is None:
        return ()
    items = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    for item in items:
        if not callable(item):
            raise InvalidOptionError(
                f"{name} takes a function or a list of functions, got {item!r}"
            )
    return items


def request_transforms(config: Mapping[str, Any]) -> tuple[Callable[..., Any], ...]:
    return _transforms(config.get("transform_request"), "transform_request")
