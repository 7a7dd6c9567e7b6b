"""requests' ``Session`` on top of one axios_python instance.

``import axios_python as requests`` then ``s = requests.Session()``: the attributes
(``headers``, ``cookies``, ``auth``, ``params``, ``proxies``, ``hooks``, ``stream``,
``verify``, ``cert``, ``max_redirects``, ``trust_env``) and the methods (``request``,
``get``, ``post``, ...) have requests' names, signatures and semantics:

- session attributes are read at call time, so changing ``s.headers`` affects the next call;
- per-call values win; ``headers`` and ``params`` merge key by key, ``None`` removes a key;
- ``timeout=None`` (the default) means no timeout, as in requests;
- ``head()`` does not follow redirects unless ``allow_redirects=True``;
- ``verify``, ``cert`` and ``stream`` left at ``None`` mean "the session's";
- ``proxies={"http": url, "https": url}`` picks the proxy for the request's URL as
  requests does (``scheme://host``, ``scheme``, ``all://host``, ``all``, then ``no_proxy``);
- ``hooks={"response": [fn]}`` calls ``fn(response)``; a hook that returns something other
  than None replaces the response.

One ``axios_python.Axios`` per Session, so connections are pooled, and its httpx clients
(sync, and async per event loop) all store cookies in the jar behind ``s.cookies``. The
``async_`` twins of every method (``await s.async_get(url)``) share that jar and those rules.
axios_python options that requests does not have (``max_content_length``,
``validate_status``, ...) may be passed as extra keywords.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from http.cookiejar import CookieJar
from typing import Any, Final

import httpx

from ._client import Axios, RequestContext
from ._config import LIBRARY_DEFAULTS, merge_headers, merge_params, response_hooks, select_proxy
from ._response import Response

__all__ = [
    "CaseInsensitiveDict",
    "Session",
    "SessionCookies",
    "session",
]

DEFAULT_REDIRECT_LIMIT: Final = 30
"""requests' ``Session.max_redirects`` (module-level calls keep axios_python's 20)."""

Hook = Callable[[Response], Any]


class CaseInsensitiveDict(MutableMapping[str, Any]):
    """requests' ``CaseInsensitiveDict``: keys compare case-insensitively, keep their case.

    Values may be None (a session header set to None is not sent), unlike ``httpx.Headers``.
    """

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        self._store: dict[str, tuple[str, Any]] = {}
        self.update(data or {}, **kwargs)

    def __setitem__(self, key: str, value: Any) -> None:
        self._store[key.lower()] = (key, value)

    def __getitem__(self, key: str) -> Any:
        return self._store[key.lower()][1]

    def __delitem__(self, key: str) -> None:
        del self._store[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def lower_items(self) -> Iterator[tuple[str, Any]]:
        return ((lower, pair[1]) for lower, pair in self._store.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.lower_items()) == dict(CaseInsensitiveDict(other).lower_items())

    def copy(self) -> CaseInsensitiveDict:
        return CaseInsensitiveDict(dict(self._store.values()))

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class SessionCookies(httpx.Cookies):
    """The session's cookies: an ``httpx.Cookies`` over the jar the session's clients use."""

    def get_dict(self, domain: str | None = None, path: str | None = None) -> dict[str, str]:
        """requests' ``RequestsCookieJar.get_dict``: name -> value, optionally filtered."""
        return {
            cookie.name: cookie.value or ""
            for cookie in self.jar
            if (domain is None or cookie.domain == domain) and (path is None or cookie.path == path)
        }


class _SessionAxios(Axios):
    """The session's instance: no default headers of its own (they live in ``s.headers``),
    and every httpx client it makes stores its cookies in the session's jar."""

    def __init__(self, jar: CookieJar) -> None:
        super().__init__(headers={name: None for name in LIBRARY_DEFAULTS["headers"]})
        self._jar = jar

    def _client_options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs["cookies"] = self._jar  # httpx.Cookies(jar) wraps the jar itself, no copy
        return kwargs


def _is_empty(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple, str, bytes)) and len(value) == 0


def _dispatch(hooks: list[Hook], response: Response) -> Response:
    try:
        for hook in hooks:
            result = hook(response)
            if result is not None:
                response = result
    except BaseException:
        response.close()
        raise
    return response


async def _adispatch(hooks: list[Hook], response: Response) -> Response:
    try:
        for hook in hooks:
            result = hook(response)
            if inspect.isawaitable(result):
                result = await result
            if result is not None:
                response = result
    except BaseException:
        await response.aclose()
        raise
    return response


class Session:
    """requests' ``Session``: persistent headers, cookies, auth, params and a connection pool.

    Use ``with requests.Session() as s:`` (or ``s.close()``) to release its connections;
    ``async with`` / ``await s.aclose()`` also closes the running event loop's pools.
    """

    def __init__(self) -> None:
        self.headers: MutableMapping[str, Any] = CaseInsensitiveDict(LIBRARY_DEFAULTS["headers"])
        self.auth: Any = None
        self.proxies: dict[str, Any] = {}
        self.hooks: dict[str, Any] = {"response": []}
        self.params: Any = {}
        self.stream: bool = False
        self.verify: Any = True
        self.cert: Any = None
        self.max_redirects: int = DEFAULT_REDIRECT_LIMIT
        self.trust_env: bool = True
        self._jar = CookieJar()
        self._cookies = SessionCookies(self._jar)
        self._api: Axios = _SessionAxios(self._jar)

    # -- cookies: one jar, shared with every httpx client of the instance ------------------

    @property
    def cookies(self) -> SessionCookies:
        return self._cookies

    @cookies.setter
    def cookies(self, value: Any) -> None:
        """``s.cookies = {...}`` (or another jar) replaces the contents of the shared jar."""
        replacement = list(httpx.Cookies(value).jar) if value is not None else []
        self._jar.clear()
        for cookie in replacement:
            self._jar.set_cookie(cookie)

    # -- building one call ----------------------------------------------------------------

    def _verify(self, verify: Any, cert: Any) -> Any:
        if verify is None:
            verify = self.verify
        if verify is True and self.trust_env:  # requests' environment CA bundles
            verify = (
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            )
        return verify  # a CA bundle path is loaded (and cached) by the pipeline

    def _options(
        self,
        url: Any,
        *,
        params: Any,
        data: Any,
        headers: Any,
        cookies: Any,
        files: Any,
        auth: Any,
        timeout: Any,
        allow_redirects: bool,
        proxies: Any,
        stream: bool | None,
        verify: Any,
        cert: Any,
        json: Any,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        cert = cert if cert is not None else self.cert
        options: dict[str, Any] = {
            "headers": merge_headers(self.headers, headers),
            "timeout": timeout,
            "follow_redirects": allow_redirects,
            "max_redirects": self.max_redirects,
            "stream": bool(self.stream if stream is None else stream),
            "verify": self._verify(verify, cert),
            "cert": cert,
            "trust_env": self.trust_env,
        }
        merged_params = merge_params(self.params, params)
        if merged_params:
            options["params"] = merged_params
        if data is not None and not (_is_empty(data) and (json is not None or files)):
            options["data"] = data
        if json is not None:
            options["json"] = json
        if files:
            options["files"] = files
        if cookies is not None:
            options["cookies"] = cookies
        chosen_auth = auth if auth is not None else self.auth
        if chosen_auth is not None:
            options["auth"] = chosen_auth
        merged_proxies = {**(self.proxies or {}), **(proxies or {})}
        proxy = select_proxy(url, {k: v for k, v in merged_proxies.items() if v is not None})
        if proxy is not None:
            options["proxy"] = proxy
        options.update(extra)  # axios_python's own options, checked by the instance
        return options

    # -- sending --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str | httpx.URL,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        proxies: Mapping[str, Any] | None = None,
        hooks: Mapping[str, Any] | None = None,
        stream: bool | None = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
        **options: Any,
    ) -> Response:
        """Send a request with the session's settings merged in (requests' signature)."""
        # requests' merge_hooks: a call's non-empty list replaces the session's
        hooks_now = response_hooks(hooks) or response_hooks(self.hooks)
        call = self._options(
            url,
            params=params,
            data=data,
            headers=headers,
            cookies=cookies,
            files=files,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
            proxies=proxies,
            stream=stream,
            verify=verify,
            cert=cert,
            json=json,
            extra=options,
        )
        response = self._api.request(method, url, **call)
        return _dispatch(hooks_now, response) if hooks_now else response

    def async_request(
        self,
        method: str,
        url: str | httpx.URL,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        proxies: Mapping[str, Any] | None = None,
        hooks: Mapping[str, Any] | None = None,
        stream: bool | None = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
        **options: Any,
    ) -> RequestContext:
        """The async twin of ``request``: await it, or use it with ``async with``.

        The session's attributes are read when this is called, not when it is awaited.
        A response hook may be a coroutine function.
        """
        # requests' merge_hooks: a call's non-empty list replaces the session's
        hooks_now = response_hooks(hooks) or response_hooks(self.hooks)
        call = self._options(
            url,
            params=params,
            data=data,
            headers=headers,
            cookies=cookies,
            files=files,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
            proxies=proxies,
            stream=stream,
            verify=verify,
            cert=cert,
            json=json,
            extra=options,
        )
        api = self._api

        async def send() -> Response:
            response = await api.async_request(method, url, **call)
            return await _adispatch(hooks_now, response) if hooks_now else response

        return RequestContext(send())

    # -- verbs, with requests' signatures and defaults ------------------------------------

    def get(self, url: str | httpx.URL, **kwargs: Any) -> Response:
        kwargs.setdefault("allow_redirects", True)
        return self.request("GET", url, **kwargs)

    def options(self, url: str | httpx.URL, **kwargs: Any) -> Response:
        kwargs.setdefault("allow_redirects", True)
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url: str | httpx.URL, **kwargs: Any) -> Response:
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def post(
        self, url: str | httpx.URL, data: Any = None, json: Any = None, **kwargs: Any
    ) -> Response:
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url: str | httpx.URL, data: Any = None, **kwargs: Any) -> Response:
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str | httpx.URL, data: Any = None, **kwargs: Any) -> Response:
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str | httpx.URL, **kwargs: Any) -> Response:
        return self.request("DELETE", url, **kwargs)

    def async_get(self, url: str | httpx.URL, **kwargs: Any) -> RequestContext:
        kwargs.setdefault("allow_redirects", True)
        return self.async_request("GET", url, **kwargs)

    def async_options(self, url: str | httpx.URL, **kwargs: Any) -> RequestContext:
        kwargs.setdefault("allow_redirects", True)
        return self.async_request("OPTIONS", url, **kwargs)

    def async_head(self, url: str | httpx.URL, **kwargs: Any) -> RequestContext:
        kwargs.setdefault("allow_redirects", False)
        return self.async_request("HEAD", url, **kwargs)

    def async_post(
        self, url: str | httpx.URL, data: Any = None, json: Any = None, **kwargs: Any
    ) -> RequestContext:
        return self.async_request("POST", url, data=data, json=json, **kwargs)

    def async_put(self, url: str | httpx.URL, data: Any = None, **kwargs: Any) -> RequestContext:
        return self.async_request("PUT", url, data=data, **kwargs)

    def async_patch(self, url: str | httpx.URL, data: Any = None, **kwargs: Any) -> RequestContext:
        return self.async_request("PATCH", url, data=data, **kwargs)

    def async_delete(self, url: str | httpx.URL, **kwargs: Any) -> RequestContext:
        return self.async_request("DELETE", url, **kwargs)

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Release the session's sync connections (the cookies and settings stay)."""
        self._api.close()

    async def aclose(self) -> None:
        """Release the running event loop's connections and the sync ones."""
        await self._api.aclose()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return "<axios_python.Session>"


def session() -> Session:
    """requests' ``requests.session()``: a new ``Session``."""
    return Session()
