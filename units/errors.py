"""Every error and warning flopsheet raises, in one place.

One family: every error is a :class:`FlopsheetError`, which is a ``ValueError`` (so
``except ValueError`` catches any bad input), paired where useful with the built-in it
also behaves like (``UnknownNameError`` is a ``KeyError`` too). Input errors carry the
structured fields ``argument``, ``given`` and ``expected``; spec errors the file, row
and expression. Every error survives pickling (a worker process can send it back).
Which Excel error value a cell shows for each class is the add-in's business
(:mod:`flopsheet.addin.wrappers`), not this layer's.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


class FlopsheetError(ValueError):
    """Base class of flopsheet's own errors."""


class InputError(FlopsheetError):
    """An argument that flopsheet cannot use; the message names argument, value, rule."""

    def __init__(self, argument: str | None, given: Any, expected: str, detail: str = "") -> None:
        self.argument = argument
        self.given = given
        self.expected = expected
        self.detail = detail
        super().__init__(self._message())

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.argument, self.given, self.expected, self.detail))

    def _message(self) -> str:
        where = f"{self.argument}: " if self.argument else ""
        text = f"{where}expected {self.expected}, got {_show(self.given)}"
        return f"{text}; {self.detail}" if self.detail else text


class UnitInputError(InputError):
    """Text that is not a quantity, or a quantity of the wrong dimension."""


class MissingUnitError(UnitInputError):
    """A bare number on the command line where the input's unit must be written (time, data, money...).

    ``expected`` says where the unit is kept and how to write it: the message reads
    ``duration needs a unit; this model keeps it in month: write "105 days" or "3.45 months"``.
    """

    def _message(self) -> str:
        return f"{self.argument} needs a unit; {self.expected}"


class InputRangeError(InputError):
    """A number of the right dimension outside its allowed range."""

    def _message(self) -> str:
        where = f"{self.argument}: " if self.argument else ""
        text = f"{where}must be {self.expected}, got {_show(self.given)}"
        return f"{text}; {self.detail}" if self.detail else text


class UnknownNameError(InputError, KeyError):
    """A name that is not in a catalogue: accelerator, precision, model."""

    def __init__(self, argument: str | None, given: Any, expected: str, detail: str = "",
                 suggestion: str = "") -> None:
        self.suggestion = suggestion
        super().__init__(argument, given, expected, detail)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.argument, self.given, self.expected, self.detail, self.suggestion))

    def _message(self) -> str:
        where = f"{self.argument}: " if self.argument else ""
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        return f"{where}unknown {self.detail} {_show(self.given)}; known: {self.expected}{hint}"

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0] if self.args else ""


#: How alike (difflib ratio) a known name must be to a misspelled one to be suggested.
SUGGESTION_CUTOFF = 0.6


def did_you_mean(given: Any, names: Iterable[str] | Mapping[str, str], limit: int = 3) -> str:
    """The known names closest to a misspelled one, quoted and joined with "or" ("" when none is close).

    Matching ignores case, spaces, hyphens and underscores ("h-10" is close to "H100").
    ``names`` may map each spelling (an alias) to the name to suggest; a name is offered once.

    Examples
    --------
    >>> did_you_mean("H10", ["A100", "H100", "H200", "MI300X"])
    '"H100" or "H200" or "A100"'
    >>> did_you_mean("lama 2 70b", ["Llama 2 7B", "Llama 2 70B", "GPT-3 175B"])
    '"Llama 2 70B" or "Llama 2 7B"'
    >>> did_you_mean("zzz", ["A100"])
    ''
    """
    if not isinstance(given, str) or not given.strip():
        return ""
    spellings = names if isinstance(names, Mapping) else {name: name for name in names}
    by_key: dict[str, str] = {}
    for spelling, name in spellings.items():
        by_key.setdefault(re.sub(r"[\s\-_]+", "", spelling).lower(), name)
    close = difflib.get_close_matches(re.sub(r"[\s\-_]+", "", given).lower(), list(by_key), n=3 * limit,
                                      cutoff=SUGGESTION_CUTOFF)
    offered = list(dict.fromkeys(by_key[match] for match in close))[:limit]
    return " or ".join(f'"{name}"' for name in offered)


class OutputError(InputError):
    """A file flopsheet cannot write (missing folder, not a regular file, read-only, no permission).

    ``given`` is the path as the user gave it and ``expected`` the reason, so the
    message reads ``-o: cannot write "out/r.xlsx": the folder "out" does not exist``.
    """

    def _message(self) -> str:
        where = f"{self.argument}: " if self.argument else ""
        text = f"{where}cannot write {_show(str(self.given), cut=False)}: {self.expected}"
        return f"{text}; {self.detail}" if self.detail else text


class UserFileError(InputError):
    """A file a user named cannot be read: missing, unreadable, not a regular file, too large.

    ``argument`` is how the user named it (``--catalogue``, ``--from``...), ``given`` the
    path, ``expected`` what the file should be and ``detail`` what is wrong.
    """


class CatalogueError(InputError):
    """An accelerator catalogue file flopsheet cannot use; names the file in full, the record and the field.

    The message reads ``catalogue: "cards.toml" is not a usable accelerator catalogue
    (...): accelerator 'X1': missing 'source'``.
    """

    def _message(self) -> str:
        where = f"{self.argument}: " if self.argument else ""
        text = f"{where}{_show(str(self.given), cut=False)} is not {self.expected}"
        return f"{text}: {self.detail}" if self.detail else text


class ExpressionError(FlopsheetError):
    """A spec expression outside the safe grammar; the message says what is not allowed."""


#: Characters of an expression a SpecError message quotes.
SHOWN_EXPRESSION = 120


class SpecError(FlopsheetError):
    """A spec that cannot be built; names the file, row and expression."""

    def __init__(self, path: Path | str, reason: str, row: str | None = None, expr: str | None = None) -> None:
        self.path, self.reason, self.row, self.expr = Path(path), reason, row, expr
        shown = expr if expr is None or len(expr) <= SHOWN_EXPRESSION else f"{expr[:SHOWN_EXPRESSION]}..."
        where = Path(path).name + (f", row {row!r}" if row else "") + (f", expr {shown!r}" if expr else "")
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.reason, self.row, self.expr))


class AssumptionWarning(UserWarning):
    """Inputs that combine assumptions inconsistently (e.g. MFU measured at another precision)."""


#: Longest given text a message repeats in full; longer text is cut, with its length.
MAX_SHOWN_TEXT = 60
#: How much of a longer text a message shows.
SHOWN_PREFIX = 40


def _show(value: Any, cut: bool = True) -> str:
    """Render a given value for a message: text quoted (cut when long, unless a path), quantities as typed."""
    if isinstance(value, str):
        if cut and len(value) > MAX_SHOWN_TEXT:
            return f'"{value[:SHOWN_PREFIX]}..." ({len(value):,} characters)'
        return f'"{value}"'
    text = f"{value}"
    if len(text) > MAX_SHOWN_TEXT:
        return f"{text[:SHOWN_PREFIX]}... ({len(text):,} characters)"
    return text
