"""What the ``axios-python`` command prints, and where.

- The body goes to stdout. Piped (or redirected), it is written byte for byte as it arrives
  (content-encoding undone, nothing else), so ``> file``, ``| jq`` and ``| sha256sum`` see
  the resource itself and memory stays flat. On a terminal (or with ``--pretty``/``--color``)
  it is *formatted*: JSON indented (and coloured), text decoded with the response's charset,
  and a binary body replaced by a one-line notice on stderr.
- Status line and headers (``-v``), notices and errors go to stderr, so they never mix into a
  piped body.
- ``--stream`` prints each Server-Sent Event (``text/event-stream``) or each text line as it
  arrives, flushing every one.
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterator
from typing import Final, TextIO

from . import Response, ServerSentEvent
from ._cli_style import CYAN, DIM, Style, format_json, wants_color
from ._progressbar import human_size

__all__ = ["Output", "is_json_type", "looks_binary"]

_TEXT_SUBTYPES: Final = frozenset(
    {
        "json",
        "xml",
        "javascript",
        "ecmascript",
        "x-javascript",
        "x-www-form-urlencoded",
        "x-ndjson",
        "jsonl",
        "yaml",
        "x-yaml",
        "graphql",
        "csv",
        "sql",
    }
)
_SNIFF: Final = 1024
"""Bytes of the body's start looked at to decide whether it is binary."""


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def is_json_type(content_type: str) -> bool:
    media = media_type(content_type)
    return media == "application/json" or media.endswith("+json")


def _is_textual(media: str) -> bool:
    main, _, sub = media.partition("/")
    return main == "text" or sub in _TEXT_SUBTYPES or sub.endswith(("+json", "+xml", "+yaml"))


def looks_binary(content_type: str, sample: bytes) -> bool:
    """A NUL byte means binary (as httpie decides); a textual Content-Type means text;
    otherwise (no type, octet-stream, image/...) the bytes decide: valid UTF-8 is text."""
    if b"\0" in sample[:_SNIFF]:
        return True
    if _is_textual(media_type(content_type)):
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample[:_SNIFF], final=False)
    except UnicodeDecodeError:
        return True
    return False


def _codec(response: Response) -> str:
    try:
        return codecs.lookup(response.encoding).name
    except LookupError:
        return "utf-8"


class Output:
    """The command's two streams and how each is formatted."""

    def __init__(
        self, *, stdout: TextIO, stderr: TextIO, formatted: bool, color_out: bool, color_err: bool
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.formatted = formatted
        self.out_style = Style(color_out)
        self.err_style = Style(color_err)

    @classmethod
    def create(cls, *, color: bool | None, pretty: bool) -> Output:
        """For this process: formatted on a terminal or when asked (``--color`` included)."""
        stdout, stderr = sys.stdout, sys.stderr
        for stream in (stdout, stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:  # never die on a character the terminal lacks
                reconfigure(errors="replace")
        color_out = wants_color(color, stdout)
        formatted = pretty or color_out or stdout.isatty()
        return cls(
            stdout=stdout,
            stderr=stderr,
            formatted=formatted,
            color_out=color_out,
            color_err=wants_color(color, stderr),
        )

    # -- stderr -----------------------------------------------------------------------------

    def notice(self, message: str) -> None:
        print(f"axios-python: {message}", file=self.stderr, flush=True)

    def head(self, response: Response) -> None:
        """``-v``: the status line and headers of every response (redirects first), stderr."""
        style = self.err_style
        lines: list[str] = []
        for item in [*response.history, response]:
            status = f"{item.http_version} {item.status_code} {item.reason}".rstrip()
            lines.append(style.status(item.status_code, status))
            for name, value in item.headers.raw:
                lines.append(
                    f"{style.paint(name.decode('latin-1'), CYAN)}: {value.decode('latin-1')}"
                )
            lines.append("")
        self.stderr.write("\n".join(lines) + "\n")
        self.stderr.flush()

    # -- the body ---------------------------------------------------------------------------

    def body(self, response: Response) -> None:
        """Print a (streamed, unread) response's body by the rules in the module docstring."""
        if not self.formatted:
            self._raw(response.iter_bytes())
            return
        chunks = response.iter_bytes()
        start = bytearray()
        for chunk in chunks:  # the first KiB (or the whole body, if shorter) decides
            start += chunk
            if len(start) >= _SNIFF:
                break
        if not start:
            return
        first = bytes(start)
        content_type = response.headers.get("content-type", "")
        if is_json_type(content_type):
            self._json(response, first + b"".join(chunks))
        elif looks_binary(content_type, first):
            response.close()
            length = response.headers.get("content-length")
            size = (
                human_size(int(length), "bytes") if length and length.isdigit() else "size unknown"
            )
            kind = media_type(content_type) or "no Content-Type"
            self.notice(
                f"binary body ({size}, {kind}) not shown on a terminal; "
                "save it with -o FILE, or pipe it (| hexdump -C)"
            )
        else:
            self._text(response, first, chunks)

    def _raw(self, chunks: Iterator[bytes]) -> None:
        self.stdout.flush()
        sink = self.stdout.buffer
        for chunk in chunks:
            sink.write(chunk)
            sink.flush()

    def _json(self, response: Response, body: bytes) -> None:
        text = body.decode(_codec(response), errors="replace").lstrip("\ufeff")
        try:
            value = json.loads(text)
        except ValueError:
            self._write_text(text)
            return
        self._write_text(format_json(value, self.out_style))

    def _text(self, response: Response, first: bytes, rest: Iterator[bytes]) -> None:
        decoder = codecs.getincrementaldecoder(_codec(response))(errors="replace")
        last = ""
        for chunk in _chain(first, rest):
            piece = decoder.decode(chunk)
            if piece:
                self.stdout.write(piece)
                self.stdout.flush()
                last = piece
        piece = decoder.decode(b"", final=True)
        if piece:
            self.stdout.write(piece)
            last = piece
        if not last.endswith("\n"):
            self.stdout.write("\n")  # leave the prompt on its own line
        self.stdout.flush()

    def _write_text(self, text: str) -> None:
        self.stdout.write(text if text.endswith("\n") else text + "\n")
        self.stdout.flush()

    # -- --stream ---------------------------------------------------------------------------

    def stream(self, response: Response) -> None:
        """Each Server-Sent Event, or each line, printed and flushed as it arrives."""
        if media_type(response.headers.get("content-type", "")) == "text/event-stream":
            last_id = ""
            for event in response.iter_sse():
                self.stdout.write(self._event(event, last_id))
                self.stdout.flush()
                last_id = event.id
            return
        for line in response.iter_lines():
            self.stdout.write(line + "\n")
            self.stdout.flush()

    def _event(self, event: ServerSentEvent, last_id: str) -> str:
        """The event in SSE wire format (so another SSE reader can consume it), blank-line
        terminated: ``event:`` unless it is "message", ``id:`` when it changed, ``data:``."""
        style = self.out_style
        fields: list[tuple[str, str]] = []
        if event.event != "message":
            fields.append(("event", event.event))
        if event.id != last_id:
            fields.append(("id", event.id))
        fields.extend(("data", part) for part in event.data.split("\n"))
        lines = [f"{style.paint(name + ':', DIM, CYAN)} {value}" for name, value in fields]
        return "\n".join(lines) + "\n\n"


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
