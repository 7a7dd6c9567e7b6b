"""The ``axios-python`` command (also ``python -m axios_python``).

Each subcommand is a ``_Command``: a name, a one-line help, a function that adds its
arguments to its parser, and a function that runs it and returns the exit code. Add one to
``COMMANDS`` to grow the tool.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ._version import __version__

__all__ = ["COMMANDS", "build_parser", "main"]


@dataclass(frozen=True)
class _Command:
    name: str
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _size(text: str) -> int:
    from ._demo import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _chunk_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid chunk size {text!r}: a positive integer")
    return value


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


def _demo_run(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    size: int = args.size
    chunk_size: int = args.chunk_size
    return run_demo(size, chunk_size=chunk_size)


COMMANDS: tuple[_Command, ...] = (
    _Command(
        name="demo",
        help="stream a big body from an embedded local server and show memory stays flat",
        description=(
            "Start an HTTP/1.1 server on 127.0.0.1, stream a 1 MiB body and then a body of "
            "--size through axios_python (sync iter_bytes, then async aiter_bytes), and print "
            "bytes received, time, MiB/s and peak RSS for each. Exits 1 if a body arrives "
            "incomplete or memory grows with the body."
        ),
        add_arguments=_demo_arguments,
        run=_demo_run,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand, return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    run: Callable[[argparse.Namespace], int] = args._run
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
