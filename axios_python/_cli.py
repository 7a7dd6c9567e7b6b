"""The ``axios-python`` command (also ``python -m axios_python``).

Two shapes: ``axios-python [OPTIONS] URL`` sends one request (``_cli_request``), downloads it
to a file with ``-o`` (``_cli_download``) and prints it (``_cli_output``); ``axios-python
COMMAND`` runs a subcommand. Each subcommand is a ``_Command``: a name, a one-line help, a
function that adds its arguments to its parser, and a function that runs it and returns the
exit code. Add one to ``COMMANDS`` to grow the tool.

This module parses, dispatches and turns failures into exit statuses (``_cli_exit``): every
error is one line on stderr, never a traceback (``--traceback`` shows it for bug reports).
The request side is built only on axios_python's public API.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from . import AxiosError
from ._cli_exit import ExitCode, UsageError, describe_error, exit_code_for, print_error
from ._version import __version__

__all__ = ["COMMANDS", "build_parser", "build_request_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: ``axios-python: error: <message>``, exit 2."""

    def error(self, message: str) -> NoReturn:
        print_error(f"{message} (see '{self.prog} --help')")
        raise SystemExit(ExitCode.USAGE)


@dataclass(frozen=True)
class _Command:
    name: str
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# -- argument types ---------------------------------------------------------------------------


def _size(text: str) -> int:
    from ._demo import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _rate(text: str) -> float:
    """Bytes per second: ``500K``, ``2M``, ``1MiB``, ``1MiB/s``."""
    value = text.strip()
    for suffix in ("/s", "ps"):
        if value.lower().endswith(suffix):
            value = value[: -len(suffix)]
            break
    return float(_size(value))


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}: a positive number")
    return value


def _chunk_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid chunk size {text!r}: a positive integer")
    return value


# -- axios-python [OPTIONS] URL ---------------------------------------------------------------

_USAGE = "axios-python [OPTIONS] URL\n       axios-python COMMAND [ARGS]  (commands: {commands})"

_EPILOG = """\
output:
  On a terminal, JSON is indented and coloured, text is decoded with the response's charset
  and a binary body is not shown. Piped or redirected, the body is written byte for byte.
  -v headers, progress, notices and errors always go to stderr.

examples:
  axios-python https://httpbin.org/json | jq .slideshow
  axios-python -v -X PUT --json '{"name": "Ada"}' https://httpbin.org/put
  axios-python -F note=hello -F file=@report.pdf https://httpbin.org/post
  axios-python -o big.iso --resume --checksum sha256:HEX https://example.com/big.iso
  axios-python --stream https://example.com/events

exit status: 0 ok, 1 other error, 2 bad usage, 4 HTTP 4xx (--fail), 5 HTTP 5xx (--fail),
  6 too many redirects, 7 network error, 28 timeout, 130 interrupted, 141 stdout closed.
  See docs/cli.md.
"""


def build_request_parser() -> argparse.ArgumentParser:
    """The parser for ``axios-python [OPTIONS] URL``."""
    parser = _Parser(
        prog="axios-python",
        usage=_USAGE.format(commands=", ".join(c.name for c in COMMANDS)),
        description="Send an HTTP request with axios_python and print the response.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"axios-python {__version__}")
    parser.add_argument("url", metavar="URL", help="http(s) URL; without a scheme, http://")

    request = parser.add_argument_group("request")
    request.add_argument(
        "-X",
        "--request",
        dest="method",
        metavar="METHOD",
        help="the method (default: GET, or POST when a body is given)",
    )
    request.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="add a header (repeatable); 'NAME:' drops axios-python's default for it, "
        "'NAME;' sends it empty",
    )
    body = request.add_mutually_exclusive_group()
    body.add_argument(
        "-d",
        "--data",
        metavar="DATA",
        help="the body as is: text, @FILE (streamed from the file) or @- (stdin); "
        "Content-Type: application/x-www-form-urlencoded unless -H sets one (as curl)",
    )
    body.add_argument(
        "--json",
        metavar="JSON",
        help="a JSON body (checked, sent as written), @FILE or @-; "
        "sets Content-Type and Accept to application/json",
    )
    body.add_argument(
        "-F",
        "--form",
        action="append",
        default=[],
        metavar="NAME=VALUE|NAME=@FILE",
        help="a multipart form field, or a file upload with @FILE[;type=MIME] (repeatable)",
    )
    request.add_argument(
        "-u", "--user", metavar="USER:PASSWORD", help="HTTP basic auth (prompts without :)"
    )
    request.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="limit on each phase: connect, each read, each write (default: 10 s connect, "
        "30 s the others)",
    )
    request.add_argument(
        "--total-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="deadline over the whole exchange, reading the body included",
    )
    request.add_argument(
        "--max-content-length",
        type=_size,
        metavar="BYTES",
        help="refuse a body larger than this (units allowed: 10MiB)",
    )
    request.add_argument(
        "--max-rate",
        type=_rate,
        metavar="RATE",
        help="bytes per second, both ways: 500K, 2M (powers of 1000), 1MiB (of 1024)",
    )
    request.add_argument("--no-follow", action="store_true", help="do not follow redirects")
    request.add_argument(
        "-k", "--insecure", action="store_true", help="do not verify TLS certificates"
    )

    response = parser.add_argument_group("response")
    response.add_argument(
        "-f",
        "--fail",
        action="store_true",
        help="exit 4 on a 4xx status and 5 on a 5xx (the body is still printed)",
    )
    response.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print the status line and response headers (to stderr)",
    )
    response.add_argument(
        "--stream",
        action="store_true",
        help="print each Server-Sent Event, or each line, as it arrives",
    )
    color = response.add_mutually_exclusive_group()
    color.add_argument(
        "--color",
        dest="color",
        action="store_const",
        const=True,
        default=None,
        help="colour and format even when not on a terminal",
    )
    color.add_argument(
        "--no-color",
        dest="color",
        action="store_const",
        const=False,
        help="never colour (also: the NO_COLOR environment variable)",
    )
    response.add_argument(
        "--pretty",
        action="store_true",
        help="format (indent JSON, decode text) even when not on a terminal",
    )

    download = parser.add_argument_group("download")
    download.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="save the body to FILE, atomically, with a progress bar on stderr",
    )
    download.add_argument(
        "--checksum",
        metavar="ALGO:HEX",
        help="with -o: the expected digest (sha256, sha1, sha512, md5); a mismatch keeps no file",
    )
    download.add_argument(
        "--resume",
        action="store_true",
        help="with -o: continue a dropped download with Range requests (also a later run)",
    )
    download.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="with -o: no progress and no summary on stderr (errors are still printed)",
    )
    parser.add_argument(
        "--traceback", action="store_true", help="on an error, show the Python traceback"
    )
    return parser


def _check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.output is None:
        given_flags = (
            ("--checksum", args.checksum is not None),
            ("--resume", args.resume),
            ("--quiet", args.quiet),
        )
        for flag, given in given_flags:
            if given:
                parser.error(f"{flag} needs -o FILE")
    elif args.stream:
        parser.error("--stream and -o cannot be combined")


def _run_request(arguments: list[str]) -> int:
    parser = build_request_parser()
    if not arguments:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    args = parser.parse_args(arguments)
    _check_combinations(parser, args)

    from ._cli_download import run_download
    from ._cli_output import Output
    from ._cli_request import run_request

    output = Output.create(color=args.color, pretty=args.pretty)
    try:
        if args.output is not None:
            return run_download(args, output)
        return run_request(args, output)
    except BrokenPipeError:
        _silence_stdout()
        return ExitCode.BROKEN_PIPE
    except Exception as exc:
        if args.traceback:
            raise
        if isinstance(exc, (AxiosError, UsageError, OSError)):
            print_error(describe_error(exc))
            return exit_code_for(exc)
        print_error(
            f"unexpected {type(exc).__name__}: {exc} (run again with --traceback and report it)"
        )
        return ExitCode.ERROR


def _silence_stdout() -> None:
    """The reader of stdout is gone: point it at /dev/null so the final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


# -- axios-python demo ------------------------------------------------------------------------


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--size",
        type=_size,
        default="1GiB",
        metavar="SIZE",
        help="body size to stream after the 1 MiB baseline: bytes, or with a unit such as "
        "4MiB, 256MiB, 1GiB, 1.5GB (default: 1GiB)",
    )
    parser.add_argument(
        "--chunk-size",
        type=_chunk_size,
        default=65536,
        metavar="N",
        help="chunk_size passed to iter_bytes()/aiter_bytes() (default: 65536)",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="do not show the progress of each run on stderr",
    )


def _demo_run(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    size: int = args.size
    chunk_size: int = args.chunk_size
    progress: bool = not args.no_progress
    return run_demo(size, chunk_size=chunk_size, progress=progress)


COMMANDS: tuple[_Command, ...] = (
    _Command(
        name="demo",
        help="stream a big body from an embedded local server and show memory stays flat",
        description=(
            "Start an HTTP/1.1 server on 127.0.0.1, stream a 1 MiB body and then a body of "
            "--size through axios_python (sync iter_bytes, then async aiter_bytes), and print "
            "bytes received, time, MiB/s and peak RSS for each, with the progress of each run "
            "on stderr. Exits 1 if a body arrives incomplete or memory grows with the body."
        ),
        add_arguments=_demo_arguments,
        run=_demo_run,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """The parser for ``axios-python COMMAND [ARGS]``."""
    parser = _Parser(
        prog="axios-python",
        description="Command-line tools for axios_python, an axios-style HTTP client on httpx.",
    )
    parser.add_argument("--version", action="version", version=f"axios-python {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for command in COMMANDS:
        sub = subparsers.add_parser(
            command.name, help=command.help, description=command.description
        )
        command.add_arguments(sub)
        sub.set_defaults(_run=command.run)
    return parser


def _run_command(arguments: list[str]) -> int:
    args = build_parser().parse_args(arguments)
    run: Callable[[argparse.Namespace], int] = args._run
    return run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run it, return the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        if arguments and arguments[0] in {command.name for command in COMMANDS}:
            return int(_run_command(arguments))
        return int(_run_request(arguments))
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)  # quietly, as a shell expects of Ctrl-C
