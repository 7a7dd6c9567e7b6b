"""Event streams, sans-I/O: Server-Sent Events (WHATWG rules) and NDJSON / JSON Lines.

Both take the lines ``iter_lines`` produces (so both are bounded by ``max_line_length``) and
know the 1-based line number of what they are reading, which every error names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ._exceptions import JSONDecodeError

__all__ = ["JSONLinesDecoder", "SSEDecoder", "ServerSentEvent"]


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: ``event`` defaults to "message"; ``id`` is the last event id."""

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None
    line: int = 0  # where the event's first field was, for error messages

    def json(self) -> Any:
        """``data`` parsed as JSON; ``JSONDecodeError`` naming the line if it is not."""
        try:
            return json.loads(self.data)
        except ValueError as exc:
            raise JSONDecodeError(
                f"event data starting at line {self.line} is not JSON: {exc}"
            ) from exc


class SSEDecoder:
    """Feed lines (without their endings); get an event back when a blank line ends one."""

    def __init__(self, last_event_id: str = "") -> None:
        self.last_event_id = last_event_id
        self.retry: int | None = None
        self._event = ""
        self._data: list[str] = []
        self._line = 0
        self._started_at = 0

    def feed(self, line: str) -> ServerSentEvent | None:
        self._line += 1
        if self._line == 1 and line.startswith("\ufeff"):
            line = line[1:]
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment (often a keep-alive)
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if not self._started_at:
            self._started_at = self._line
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id":
            if "\x00" not in value:
                self.last_event_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        return None  # unknown fields are ignored, as the spec says

    def _dispatch(self) -> ServerSentEvent | None:
        started, self._started_at = self._started_at, 0
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(
            event=self._event or "message",
            data="\n".join(self._data),
            id=self.last_event_id,
            retry=self.retry,
            line=started,
        )
        self._event, self._data = "", []
        return event

    # An event not ended by a blank line when the stream ends is discarded (WHATWG).


class JSONLinesDecoder:
    """One JSON value per line; blank lines are skipped; a bad line names its number."""

    def __init__(self) -> None:
        self._line = 0

    def feed(self, line: str) -> tuple[bool, Any]:
        self._line += 1
        if not line.strip():
            return False, None
        try:
            return True, json.loads(line)
        except ValueError as exc:
            shown = line if len(line) <= 80 else line[:77] + "..."
            raise JSONDecodeError(f"line {self._line} is not JSON ({exc}): {shown!r}") from exc
