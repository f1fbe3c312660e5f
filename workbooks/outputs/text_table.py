"""Plain-text tables for the terminal, aligned by display width (汉字 take two columns).

Every cell goes through :func:`.safe_io.visible_text`: a label's line break or ANSI
escape code (``\\x1b[2J``) is shown as text, never acted on by the terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from .safe_io import visible_text

#: Characters East Asian Width classes that occupy two terminal columns.
WIDE_CLASSES = "WF"


def display_width(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide characters (汉字) take two."""
    return sum(2 if unicodedata.east_asian_width(character) in WIDE_CLASSES else 1 for character in text)


def pad(text: str, width: int, align: str = "<") -> str:
    """Pad ``text`` to ``width`` terminal columns, left ("<") or right (">") aligned."""
    filler = " " * max(width - display_width(text), 0)
    return text + filler if align == "<" else filler + text


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """Render rows under a header; ``align`` gives "<" or ">" per column (default "<").

    One line per row: cells are shown with :func:`.safe_io.visible_text`.
    """
    columns = len(header)
    alignment = (align or "<" * columns).ljust(columns, "<")
    shown = [[visible_text(str(cell)) for cell in row] for row in [header, *rows]]
    widths = [max(display_width(row[index]) for row in shown) for index in range(columns)]
    lines = ["  ".join(pad(cell, widths[index], alignment[index]) for index, cell in enumerate(row)).rstrip()
             for row in shown]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
