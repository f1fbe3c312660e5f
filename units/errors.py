"""Every error and warning flopsheet raises, in one place.

Each error pairs :class:`FlopsheetError` with the built-in it behaves like (all are
``ValueError`` subclasses, so ``except ValueError`` catches bad input), carries the
structured fields ``argument``, ``given`` and ``expected``, and names the Excel error
value (``excel_error``) that the add-in puts in a cell for it.
"""

from __future__ import annotations

from typing import Any


class FlopsheetError(Exception):
    """Base class of flopsheet's own errors."""

    excel_error = "#VALUE!"


class InputError(FlopsheetError, ValueError):
    """An argument that flopsheet cannot use; the message names argument, value, rule."""

    excel_error = "#VALUE!"

    def __init__(self, argument: str | None, given: Any, expected: str, detail: str = "") -> None:
        self.argument = argument
        self.given = given
        self.expected = expected
        self.detail = detail
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.argument}: " if self.argument else ""
        text = f"{where}expected {self.expected}, got {_show(self.given)}"
        return f"{text}; {self.detail}" if self.detail else text


class UnitInputError(InputError):
    """Text that is not a quantity, or a quantity of the wrong dimension (``#VALUE!``)."""


class InputRangeError(InputError):
    """A number of the right dimension outside its allowed range (``#NUM!``)."""

    excel_error = "#NUM!"

    def _message(self) -> str:
        where = f"{self.argument}: " if self.argument else ""
        text = f"{where}must be {self.expected}, got {_show(self.given)}"
        return f"{text}; {self.detail}" if self.detail else text


class UnknownNameError(InputError, KeyError):
    """A name that is not in a catalogue: accelerator, precision, model (``#N/A``)."""

    excel_error = "#N/A"

    def _message(self) -> str:
        where = f"{self.argument}: " if self.argument else ""
        return f"{where}unknown {self.detail} {_show(self.given)}; known: {self.expected}"

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0] if self.args else ""


class AssumptionWarning(UserWarning):
    """Inputs that combine assumptions inconsistently (e.g. MFU measured at another precision)."""


def _show(value: Any) -> str:
    """Render a given value for a message: text quoted, quantities as typed."""
    if isinstance(value, str):
        return f'"{value}"'
    return f"{value}"
