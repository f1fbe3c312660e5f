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


#: What a cut cell ends with.
ELLIPSIS = "…"


def cut(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` terminal columns, ending in "…" when cut (汉字 count two).

    Examples
    --------
    >>> cut("Kimi training compute", 10), cut("训练算力测算", 7), cut("short", 10)
    ('Kimi trai…', '训练算…', 'short')
    """
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for character in text:
        step = display_width(character)
        if used + step > width - 1:
            break
        kept.append(character)
        used += step
    return "".join(kept) + ELLIPSIS



def wrap(text: str, width: int) -> list[str]:
    """``text`` wrapped at spaces into lines of at most ``width`` terminal columns (汉字 count two).

    A word wider than ``width`` is split where it must.

    Examples
    --------
    >>> wrap("seed 001, 表5: Kimi 训练算力测算 (Table 5)", 16)
    ['seed 001, 表5:', 'Kimi', '训练算力测算', '(Table 5)']
    """
    lines: list[str] = []
    line = ""
    for word in visible_text(text).split():
        while display_width(word) > width:  # a long word (a file name, a run of 汉字): split it
            head = cut(word, width + 1)[:-1]
            if line:
                lines.append(line)
                line = ""
            lines.append(head)
            word = word[len(head):]
        candidate = f"{line} {word}" if line else word
        if display_width(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line else lines or [""]


def render_blocks(header: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]], width: int) -> str:
    """A two-column listing that fits ``width`` columns: a name, then its texts wrapped beside it.

    ``rows`` are (name, texts); each text starts a new line in the second column.
    """
    names = max(display_width(visible_text(name)) for name in [header[0], *(name for name, _ in rows)])
    room = max(width - names - 2, 20)
    lines = [f"{pad(header[0], names)}  {header[1]}", f"{'-' * names}  {'-' * min(room, width)}"]
    for name, texts in rows:
        wrapped = [part for text in texts for part in wrap(text, room)]
        lines.append(f"{pad(visible_text(name), names)}  {wrapped[0]}".rstrip())
        lines += [f"{' ' * names}  {part}".rstrip() for part in wrapped[1:]]
    return "\n".join(lines)
