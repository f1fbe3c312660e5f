"""Writing files a colleague will open: atomically, and with user text kept inert.

* :func:`atomic_write` writes to a temporary file beside the target and renames it
  into place only when the writer finished, so a failed run leaves no partial file
  and never clobbers an existing report.
* :func:`inert_text` and :func:`set_text_cell` keep text that starts like a formula
  (``=``, ``+``, ``-``, ``@``, tab, CR) from running in someone's spreadsheet.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import Cell

#: First characters that make a spreadsheet treat text as a formula (OWASP CSV injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)`` and move the result to ``path`` only on success.

    Parameters
    ----------
    path : path-like
        Final destination; its folder must exist.
    write : callable
        Writes the complete file to the path it is given.

    Returns
    -------
    Path
        The destination.
    """
    destination = Path(path)
    if not destination.parent.is_dir():
        raise FileNotFoundError(f"output folder does not exist: {destination.parent}")
    with _temporary_beside(destination) as temporary:
        write(temporary)
        os.replace(temporary, destination)
    return destination


@contextlib.contextmanager
def _temporary_beside(destination: Path) -> Iterator[Path]:
    """A temporary path in the destination's folder, removed if still there at exit."""
    # The temporary keeps the destination's suffix: writers such as openpyxl check it.
    handle, name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=f".part{destination.suffix}",
                                    dir=destination.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def inert_text(text: str) -> str:
    """Return ``text`` for a CSV/Markdown cell, quoted with ``'`` if it starts like a formula."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def set_text_cell(cell: Cell, value: Any) -> Cell:
    """Store ``value`` in an openpyxl cell; text is always stored as text, never as a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell
