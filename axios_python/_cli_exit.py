"""Exit statuses of the ``axios-python`` command, and the one-line error message for each failure.

The numbers follow httpie where httpie has one (4xx -> 4, 5xx -> 5, too many redirects -> 6,
Ctrl-C -> 130) and curl where httpie's would clash with argparse's 2 for bad usage (timeout ->
28, curl's "operation timed out"; network error -> 7, curl's "failed to connect"). The table
is in docs/cli.md.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import TextIO

from . import (
    AxiosError,
    HTTPStatusError,
    InvalidOptionError,
    InvalidURL,
    NetworkError,
    RetryError,
    TimeoutError,
    TooManyRedirects,
)

__all__ = ["ExitCode", "UsageError", "describe_error", "exit_code_for", "print_error"]


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    """Any other failure: a wrong checksum, a body over --max-content-length, a file we
    cannot write, an undecodable body, ..."""
    USAGE = 2
    """Bad usage: unknown flag, bad value, unreadable input file, invalid URL (argparse's 2)."""
    HTTP_4XX = 4
    """A 4xx status with --fail (or any 4xx for -o: the file would not be the resource)."""
    HTTP_5XX = 5
    """A 5xx status with --fail (or any 5xx for -o)."""
    TOO_MANY_REDIRECTS = 6
    NETWORK = 7
    """Could not connect, connection reset, a truncated body (NetworkError)."""
    TIMEOUT = 28
    """A phase timeout or the --total-timeout deadline (TimeoutError, DeadlineExceeded)."""
    INTERRUPTED = 130
    """Ctrl-C (128 + SIGINT)."""
    BROKEN_PIPE = 141
    """Whoever read our standard output went away (128 + SIGPIPE), as ``| head`` does."""


class UsageError(Exception):
    """Bad command-line input found after parsing (exit 2)."""


def _unwrap(exc: BaseException) -> BaseException:
    while isinstance(exc, RetryError) and exc.last_exception is not None:
        exc = exc.last_exception
    return exc


def exit_code_for_status(status: int) -> ExitCode:
    return ExitCode.HTTP_5XX if status >= 500 else ExitCode.HTTP_4XX


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit status for an error raised while running a request."""
    exc = _unwrap(exc)
    if isinstance(exc, (UsageError, InvalidURL, InvalidOptionError)):
        return ExitCode.USAGE
    if isinstance(exc, TimeoutError):  # before NetworkError: ConnectTimeout is both
        return ExitCode.TIMEOUT
    if isinstance(exc, NetworkError):
        return ExitCode.NETWORK
    if isinstance(exc, TooManyRedirects):
        return ExitCode.TOO_MANY_REDIRECTS
    if isinstance(exc, HTTPStatusError):
        if exc.response is not None:
            return exit_code_for_status(exc.response.status_code)
        return ExitCode.HTTP_4XX if exc.code == "ERR_BAD_REQUEST" else ExitCode.HTTP_5XX
    return ExitCode.ERROR


def _one_line(text: str) -> str:
    return " ".join(text.split())


def describe_error(exc: BaseException) -> str:
    """``ConnectError: [Errno 111] Connection refused (GET http://127.0.0.1:9/)``."""
    exc = _unwrap(exc)
    if isinstance(exc, UsageError):
        return _one_line(str(exc))
    if isinstance(exc, OSError) and not isinstance(exc, AxiosError):
        where = f"{exc.filename}: " if exc.filename else ""
        return _one_line(f"{where}{exc.strerror or exc}")
    message = _one_line(str(exc)) or "no details"
    name = type(exc).__name__
    text = message if message.startswith(name) else f"{name}: {message}"
    request = exc.request if isinstance(exc, AxiosError) else None
    if request is not None:
        url = str(request.url.copy_with(username=None, password=None))
        if url not in message:
            text += f" ({request.method} {url})"
    return text


def print_error(message: str, stream: TextIO | None = None) -> None:
    """``axios-python: error: <message>`` on one line of stderr."""
    out = sys.stderr if stream is None else stream
    print(f"axios-python: error: {_one_line(message)}", file=out, flush=True)
