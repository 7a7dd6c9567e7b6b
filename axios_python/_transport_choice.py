"""Which transport carries a client's requests: axios_python's own (the default) or httpx's.

The clients we build send plain HTTP/1.1 through ``axios_python.transports`` (a faster
HTTP/1.1 core than httpcore; see docs/transport.md). ``transport="httpx"`` on a call or an
instance, or ``AXIOS_PYTHON_TRANSPORT=httpx`` in the environment, keeps httpx's own
transport; ``"axios"`` asks for ours explicitly. An httpx transport object (or a 0.2.0-style
one) passed as ``transport=`` is the caller's and is used as it is.

We let httpx build the client as usual (so that proxies from the environment still get
their httpx mounts) and then put our transport where httpx's default one was. HTTP/2 and an
explicit ``proxy=`` keep httpx's transport: ours would only delegate to it.
"""

from __future__ import annotations

import os
from typing import Any, Final

import httpx

from ._exceptions import InvalidOptionError
from .transports import AsyncHTTPTransport, HTTPTransport

__all__ = ["CHOICES", "ENVIRONMENT_VARIABLE", "adopt_default_transport", "check_choice"]

ENVIRONMENT_VARIABLE: Final = "AXIOS_PYTHON_TRANSPORT"
CHOICES: Final = ("axios", "httpx")


def check_choice(value: str) -> None:
    """Refuse an unknown ``transport="..."`` before any I/O."""
    if value not in CHOICES:
        raise InvalidOptionError(
            f"transport={value!r}: the named transports are 'axios' (the default, "
            "axios_python's own HTTP/1.1 transport) and 'httpx' (httpx's); anything else "
            "must be an httpx transport object"
        )


def chosen(value: str | None) -> str:
    """The named transport to use: the option, else the environment, else ours."""
    if value is not None:
        return value
    named = os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    if not named:
        return "axios"
    if named not in CHOICES:
        raise InvalidOptionError(f"{ENVIRONMENT_VARIABLE}={named!r}: expected 'axios' or 'httpx'")
    return named


def adopt_default_transport(
    client: httpx.Client | httpx.AsyncClient, kwargs: dict[str, Any], choice: str | None
) -> None:
    """Give a freshly made client our transport in place of httpx's default one."""
    if "transport" in kwargs or kwargs.get("http2") or kwargs.get("proxy") is not None:
        return
    if chosen(choice) != "axios":
        return
    is_async = isinstance(client, httpx.AsyncClient)
    replaced = getattr(client, "_transport", None)
    options: dict[str, Any] = {"verify": kwargs["verify"], "trust_env": kwargs["trust_env"]}
    if kwargs.get("limits") is not None:
        options["limits"] = kwargs["limits"]
    if not is_async and type(replaced) is httpx.HTTPTransport:
        client._transport = HTTPTransport(**options)
    elif is_async and type(replaced) is httpx.AsyncHTTPTransport:
        client._transport = AsyncHTTPTransport(**options)
    # httpx's replaced transport never opened a connection: nothing to close.
