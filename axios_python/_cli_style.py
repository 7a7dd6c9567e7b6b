"""How the ``axios-python`` command looks: whether to colour, ANSI colours, JSON highlighting.

No dependency: the colours are plain SGR escape sequences, and JSON is highlighted by
scanning the canonical text ``json.dumps`` produces (strings, numbers, literals and
punctuation are the only tokens in it, so a small regular expression is exact).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any, Final, TextIO

__all__ = ["Style", "format_json", "wants_color"]

RESET: Final = "\x1b[0m"
BOLD: Final = "1"
RED: Final = "31"
GREEN: Final = "32"
YELLOW: Final = "33"
BLUE: Final = "34"
MAGENTA: Final = "35"
CYAN: Final = "36"
DIM: Final = "2"


def wants_color(
    flag: bool | None, stream: TextIO, environ: Mapping[str, str] | None = None
) -> bool:
    """Colour ``stream``? ``--color``/``--no-color`` win; then ``NO_COLOR`` (any non-empty
    value, see no-color.org) and ``TERM=dumb`` turn it off; otherwise only on a terminal."""
    if flag is not None:
        return flag
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Style:
    """Paints text with SGR codes when enabled, returns it unchanged when not."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def paint(self, text: str, *codes: str) -> str:
        if not self.enabled or not codes or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}{RESET}"

    def status(self, status: int, text: str) -> str:
        """A status line: green for 2xx, yellow for 1xx/3xx, red for 4xx/5xx."""
        color = GREEN if 200 <= status < 300 else RED if status >= 400 else YELLOW
        return self.paint(text, BOLD, color)


_JSON_TOKEN: Final = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*")(?P<key>\s*:)?'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<boolean>true|false)"
    r"|(?P<null>null)"
    r"|(?P<special>NaN|-?Infinity)"
)


def format_json(value: Any, style: Style) -> str:
    """``value`` indented by 2, keys in blue, strings green, numbers cyan, literals yellow."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    if not style.enabled:
        return text

    def paint(match: re.Match[str]) -> str:
        if match.group("string") is not None:
            if match.group("key") is not None:
                return style.paint(match.group("string"), BOLD, BLUE) + match.group("key")
            return style.paint(match.group("string"), GREEN)
        if match.group("number") is not None:
            return style.paint(match.group(), CYAN)
        if match.group("null") is not None:
            return style.paint(match.group(), MAGENTA)
        return style.paint(match.group(), YELLOW)

    return _JSON_TOKEN.sub(paint, text)
