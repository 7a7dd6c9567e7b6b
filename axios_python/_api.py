"""The module face: ``axios_python.get(url)`` and friends, on one shared default instance.

As requests' ``api.py``: the simplest possible functions over one real object. The default
instance does not keep cookies between calls, so unrelated callers never share them; make
an instance with ``create()`` for session-like cookie persistence.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from typing_extensions import Unpack

from ._client import Axios, RequestContext
from ._config import RequestOptions
from ._download import DownloadResult
from ._response import Response

__all__ = [
    "async_delete",
    "async_download",
    "async_get",
    "async_head",
    "async_options",
    "async_patch",
    "async_post",
    "async_put",
    "async_request",
    "create",
    "default_instance",
    "defaults",
    "interceptors",
    "use",
    "delete",
    "download",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "request",
]

default_instance = Axios(_persist_cookies=False)

defaults = default_instance.defaults
"""The default instance's defaults, live (``axios_python.defaults["headers"][...] = ...``)."""

interceptors = default_instance.interceptors
"""The default instance's interceptors: ``axios_python.interceptors.request.use(fn)``."""


def use(middleware: Any) -> Axios:
    """Add a middleware to the default instance (see ``Axios.use``)."""
    return default_instance.use(middleware)


def create(config: Mapping[str, Any] | None = None, **options: Unpack[RequestOptions]) -> Axios:
    """A new instance with its own defaults and connection pools (axios's ``axios.create``)."""
    return Axios(config, **options)


def request(
    method: str | None = None, url: Any = None, /, **options: Unpack[RequestOptions]
) -> Response:
    """Send a ``method`` request to ``url`` through the default instance (``Axios.request``)."""
    return default_instance.request(method, url, **options)


def _positional(verb: str, options: Mapping[str, Any], **given: Any) -> dict[str, Any]:
    """Fold requests' positional arguments (``get(url, params)``, ``post(url, data, json)``)
    into the options."""
    merged = dict(options)
    for name, value in given.items():
        if value is not None:
            if name in merged:
                raise TypeError(f"{verb}() got multiple values for argument {name!r}")
            merged[name] = value
    return merged


def _head_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """requests' ``head()`` does not follow redirects unless asked to."""
    merged = dict(options)
    if "allow_redirects" not in merged and "follow_redirects" not in merged:
        merged["follow_redirects"] = False
    return merged


def get(url: Any = None, params: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
    """GET ``url``; ``params`` may also be given positionally, as in requests."""
    return default_instance.request("GET", url, **_positional("get", options, params=params))


def delete(url: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
    """DELETE ``url``."""
    return default_instance.request("DELETE", url, **options)


def head(url: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
    """HEAD; as requests' ``head()``, redirects are not followed unless ``allow_redirects=True``."""
    return default_instance.request("HEAD", url, **_head_options(options))


def options(url: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
    """OPTIONS ``url``."""
    return default_instance.request("OPTIONS", url, **options)


def post(
    url: Any = None, data: Any = None, json: Any = None, /, **options: Unpack[RequestOptions]
) -> Response:
    """POST ``url``; ``data`` and ``json`` may also be given positionally, as in requests."""
    merged = _positional("post", options, data=data, json=json)
    return default_instance.request("POST", url, **merged)


def put(url: Any = None, data: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
    """PUT ``url``; ``data`` may also be given positionally, as in requests."""
    return default_instance.request("PUT", url, **_positional("put", options, data=data))


def patch(url: Any = None, data: Any = None, /, **options: Unpack[RequestOptions]) -> Response:
    """PATCH ``url``; ``data`` may also be given positionally, as in requests."""
    return default_instance.request("PATCH", url, **_positional("patch", options, data=data))


def async_request(
    method: str | None = None, url: Any = None, /, **options: Unpack[RequestOptions]
) -> RequestContext:
    """The async twin of ``request``: await it, or use it with ``async with``."""
    return default_instance.async_request(method, url, **options)


def async_get(
    url: Any = None, params: Any = None, /, **options: Unpack[RequestOptions]
) -> RequestContext:
    """The async twin of ``get``: await it, or use it with ``async with``."""
    merged = _positional("async_get", options, params=params)
    return default_instance.async_request("GET", url, **merged)


def async_delete(url: Any = None, /, **options: Unpack[RequestOptions]) -> RequestContext:
    """The async twin of ``delete``."""
    return default_instance.async_request("DELETE", url, **options)


def async_head(url: Any = None, /, **options: Unpack[RequestOptions]) -> RequestContext:
    """As ``head()``: redirects are not followed unless ``allow_redirects=True``."""
    return default_instance.async_request("HEAD", url, **_head_options(options))


def async_options(url: Any = None, /, **options: Unpack[RequestOptions]) -> RequestContext:
    """The async twin of ``options``."""
    return default_instance.async_request("OPTIONS", url, **options)


def async_post(
    url: Any = None, data: Any = None, json: Any = None, /, **options: Unpack[RequestOptions]
) -> RequestContext:
    """The async twin of ``post``."""
    merged = _positional("async_post", options, data=data, json=json)
    return default_instance.async_request("POST", url, **merged)


def async_put(
    url: Any = None, data: Any = None, /, **options: Unpack[RequestOptions]
) -> RequestContext:
    """The async twin of ``put``."""
    merged = _positional("async_put", options, data=data)
    return default_instance.async_request("PUT", url, **merged)


def async_patch(
    url: Any = None, data: Any = None, /, **options: Unpack[RequestOptions]
) -> RequestContext:
    """The async twin of ``patch``."""
    merged = _positional("async_patch", options, data=data)
    return default_instance.async_request("PATCH", url, **merged)


def download(
    url: Any,
    dest: str | os.PathLike[str],
    /,
    *,
    checksum: str | None = None,
    resume: bool = False,
    progress: bool = False,
    **options: Unpack[RequestOptions],
) -> DownloadResult:
    """Download ``url`` to ``dest`` atomically, verified (see ``Axios.download``)."""
    return default_instance.download(
        url, dest, checksum=checksum, resume=resume, progress=progress, **options
    )


async def async_download(
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
    return await default_instance.async_download(
        url, dest, checksum=checksum, resume=resume, progress=progress, **options
    )
