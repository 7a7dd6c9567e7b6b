"""``axios-python URL -o FILE``: a download through ``axios_python.download()``.

The file appears only once it is whole (and matches ``--checksum``); a progress bar (or plain
lines when stderr is not a terminal) runs on stderr; ``--resume`` continues a dropped body
with Range requests. A one-line summary goes to stderr at the end.
"""

from __future__ import annotations

import argparse
import contextlib

from . import DownloadResult, Response, create
from ._cli_exit import ExitCode, UsageError
from ._cli_output import Output
from ._cli_request import build_request
from ._progressbar import human_size

__all__ = ["run_download", "summary"]


def _rate(result: DownloadResult) -> str:
    if result.elapsed <= 0:
        return ""
    return f" ({human_size(result.bytes_written / result.elapsed)}/s)"


def summary(result: DownloadResult) -> str:
    """``saved big.iso: 1,048,576 bytes in 0.52 s (1.9 MiB/s), sha256 9f86..., 0 resumes``."""
    resumes = f"{result.resumes} resume" + ("" if result.resumes == 1 else "s")
    return (
        f"saved {result.path}: {result.bytes_written:,} bytes in {result.elapsed:.2f} s"
        f"{_rate(result)}, {result.algorithm} {result.digest}, {resumes}"
    )


def run_download(args: argparse.Namespace, output: Output) -> int:
    with contextlib.ExitStack() as stack:
        plan = build_request(args, stack)
        if plan.method != "GET" or {"content", "files"} & plan.options.keys():
            raise UsageError("-o downloads with GET: it takes no -X, -d, --json or -F")
        api = stack.enter_context(create())
        if args.verbose:

            def show(response: Response) -> Response:
                output.head(response)
                return response

            api.interceptors.response.use(show)
        result = api.download(
            plan.url,
            args.output,
            checksum=args.checksum,
            resume=args.resume,
            progress=not args.quiet,
            **plan.options,
        )
    if not args.quiet:
        output.notice(summary(result))
    return ExitCode.OK
