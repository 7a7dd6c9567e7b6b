"""One request from the command line: flags become library options, the response is printed.

``build_request`` turns the parsed arguments into ``(method, url, options)`` for
``axios_python`` (files named with ``@`` are opened on the given ``ExitStack`` and streamed,
never read whole); ``run_request`` sends it and prints the response through ``Output``.
Only the library's public API is used.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import mimetypes
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from . import Timeout, create
from ._cli_exit import ExitCode, UsageError, exit_code_for_status, print_error
from ._cli_output import Output

__all__ = ["RequestPlan", "build_request", "normalize_url", "run_request"]

STDIN_CHUNK = 64 * 1024


@dataclass(frozen=True)
class RequestPlan:
    method: str
    url: str
    options: dict[str, Any]


def normalize_url(url: str) -> str:
    """``example.com/x`` -> ``http://example.com/x``; ``:8000/x`` -> ``http://localhost:8000/x``."""
    if "://" in url:
        return url
    if url.startswith(":"):
        return "http://localhost" + url
    return "http://" + url


def _header(text: str) -> tuple[str, str | None]:
    """``Name: value``; ``Name:`` removes a default header; ``Name;`` sends it empty (curl)."""
    value: str | None
    if text.endswith(";") and ":" not in text:
        name, value = text[:-1], ""
    else:
        name, colon, raw = text.partition(":")
        if not colon:
            raise UsageError(f"bad header {text!r}: use -H 'Name: value'")
        value = raw.strip() or None
    name = name.strip()
    if not name or any(c.isspace() for c in name):
        raise UsageError(f"bad header name in {text!r}")
    return name, value


def _stdin_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(STDIN_CHUNK):
        yield chunk


def _open(path: str, stack: contextlib.ExitStack) -> IO[bytes]:
    try:
        return stack.enter_context(open(path, "rb"))
    except OSError as exc:
        raise UsageError(f"cannot read {path!r}: {exc.strerror or exc}") from None


def _body_source(value: str, stack: contextlib.ExitStack) -> Any:
    """``@-``: stdin, streamed; ``@path``: the file, streamed; anything else: the text."""
    if value == "@-":
        stdin = sys.stdin.buffer
        try:
            regular = stat.S_ISREG(os.fstat(stdin.fileno()).st_mode)
        except (OSError, ValueError):
            regular = False
        return stdin if regular else _stdin_chunks(stdin)  # a file gets a Content-Length
    if value.startswith("@"):
        return _open(value[1:], stack)
    return value.encode("utf-8")


def _form(items: list[str], stack: contextlib.ExitStack) -> list[tuple[str, Any]]:
    """``-F name=value`` (a plain field) and ``-F name=@path[;type=mime]`` (a file upload)."""
    fields: list[tuple[str, Any]] = []
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise UsageError(f"bad form field {item!r}: use -F name=value or -F name=@file")
        if value.startswith("@"):
            path, _, mime = value[1:].partition(";type=")
            content_type = mime or mimetypes.guess_type(path)[0] or "application/octet-stream"
            fields.append((name, (os.path.basename(path), _open(path, stack), content_type)))
        else:
            fields.append((name, (None, value)))  # no filename: a plain field, multipart
    return fields


def _auth(user: str) -> tuple[str, str]:
    name, colon, password = user.partition(":")
    if colon:
        return name, password
    if not sys.stdin.isatty():
        raise UsageError(f"-u {user!r} has no password: use -u user:password")
    return name, getpass.getpass(f"password for {name}: ")


def _timeout(args: argparse.Namespace) -> Timeout | None:
    seconds: float | None = args.timeout
    total: float | None = args.total_timeout
    if seconds is None and total is None:
        return None
    if seconds is None:
        return Timeout(total=total)
    return Timeout(seconds, total=total)


def _body(
    args: argparse.Namespace, stack: contextlib.ExitStack
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body options of ``-d``, ``--json`` or ``-F``, and the headers each implies."""
    given = [
        flag
        for flag, present in (
            ("-d", args.data is not None),
            ("--json", args.json is not None),
            ("-F", bool(args.form)),
        )
        if present
    ]
    if len(given) > 1:
        raise UsageError(f"{' and '.join(given)} cannot be combined: send one body")
    if args.data is not None:
        content_type = "application/x-www-form-urlencoded"  # as curl -d
        return {"content": _body_source(args.data, stack)}, {"Content-Type": content_type}
    if args.json is not None:
        if not args.json.startswith("@"):
            try:
                json.loads(args.json)
            except ValueError as exc:
                raise UsageError(f"--json is not valid JSON: {exc}") from None
        implied = {"Content-Type": "application/json", "Accept": "application/json"}
        return {"content": _body_source(args.json, stack)}, implied
    if args.form:
        return {"files": _form(args.form, stack)}, {}
    return {}, {}


def build_request(args: argparse.Namespace, stack: contextlib.ExitStack) -> RequestPlan:
    """``(method, url, options)`` for the flags in ``args``; UsageError for bad input."""
    options, implied = _body(args, stack)
    method = (args.method or ("POST" if options else "GET")).upper()
    given = [_header(text) for text in args.header]
    named = {name.lower() for name, _ in given}
    headers = [(k, v) for k, v in implied.items() if k.lower() not in named] + given
    if headers:
        options["headers"] = headers
    if args.user is not None:
        options["auth"] = _auth(args.user)
    timeout = _timeout(args)
    if timeout is not None:
        options["timeout"] = timeout
    if args.max_content_length is not None:
        options["max_content_length"] = args.max_content_length
    if args.max_rate is not None:
        options["max_rate"] = args.max_rate
    if args.no_follow:
        options["follow_redirects"] = False
    if args.insecure:
        options["verify"] = False
    return RequestPlan(method, normalize_url(args.url), options)


def run_request(args: argparse.Namespace, output: Output) -> int:
    """Send the request, print the response, and say how it went as an exit status."""
    with contextlib.ExitStack() as stack:
        plan = build_request(args, stack)
        api = stack.enter_context(create())
        with api.request(plan.method, plan.url, stream=True, **plan.options) as response:
            if args.verbose:
                output.head(response)
            if args.stream:
                output.stream(response)
            else:
                output.body(response)
            status = response.status_code
            if args.fail and status >= 400:
                print_error(
                    f"HTTP {status} {response.reason} ({plan.method} {response.url})",
                    output.stderr,
                )
                return exit_code_for_status(status)
    return ExitCode.OK
