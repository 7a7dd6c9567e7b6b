"""requests-style names for authentication: ``requests.auth.HTTPBasicAuth(user, password)``.

Any of these, a ``(user, password)`` tuple, an ``httpx.Auth`` or a callable that takes and
returns the ``httpx.Request`` can be passed as ``auth=``.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["AuthBase", "HTTPBasicAuth", "HTTPDigestAuth"]

HTTPBasicAuth = httpx.BasicAuth
HTTPDigestAuth = httpx.DigestAuth


class AuthBase:
    """requests' base for custom auth: override ``__call__(request)`` and return the request.

    The request is an ``httpx.Request``: set ``request.headers[...]`` as with requests.
    """

    def __call__(self, request: httpx.Request) -> Any:
        raise NotImplementedError("Auth hooks must be callable.")
