"""Evaluate a catalogue function on host arguments; never let an exception out.

:func:`evaluate` is the whole behaviour of an Excel function on every host: read the
arguments (:mod:`.cells`), call the formula, convert the result to the result unit,
and turn any error into a cell text that starts with an Excel error name and names
the argument (``#VALUE! data: expected a data size in bytes ...``). An
:class:`~flopsheet.AssumptionWarning` is kept: :func:`evaluate_note` returns its text
for the ``<NAME>_NOTE`` companion functions.

:func:`make_udf` builds the plain Python function a host registers: its name is the
Excel name, its signature the Excel arguments (optional ones default to None), its
docstring the Excel description.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pint

from ..units import AssumptionWarning, FlopsheetError, InputRangeError, UnknownNameError
from . import cells
from .catalogue import ExcelFunction

#: Suffix of the companion function that shows a function's assumption note.
NOTE_SUFFIX = "_NOTE"
#: What a cell shows for an error we did not foresee (never a traceback).
INTERNAL = "#VALUE! internal error"

CellValue = float | str | list[list[Any]]


def _compute(function: ExcelFunction, raw: Sequence[Any]) -> tuple[Any, list[str]]:
    """Call the formula on host arguments; return (cell value, assumption notes)."""
    names = function.argument_names
    if len(raw) > len(names):
        raise TypeError(f"{function.name} takes at most {len(names)} arguments, got {len(raw)}")
    padded = list(raw) + [None] * (len(names) - len(raw))
    values = [cells.read_argument(padded[i], param) for i, param in enumerate(function.params)]
    unit = cells.result_unit(padded[-1], function.result) if function.result is not None else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function.formula(*values)
    notes = [str(warning.message) for warning in caught if issubclass(warning.category, AssumptionWarning)]
    if isinstance(result, pint.Quantity) and function.result is not None:
        result = cells.convert(result, unit, function.result, padded[-1])
    if isinstance(result, pint.Quantity):
        return cells.to_cells(result), notes
    if cells.is_frame(result):
        return cells.frame_cells(result), notes + list(result.attrs.get("warnings", []))
    return result, notes


#: The Excel error value a cell shows for each error class, most specific first.
EXCEL_ERRORS: tuple[tuple[type[FlopsheetError], str], ...] = (
    (InputRangeError, "#NUM!"), (UnknownNameError, "#N/A"), (FlopsheetError, "#VALUE!"))


def excel_error(error: FlopsheetError) -> str:
    """The Excel error value for ``error``: #NUM! out of range, #N/A unknown name, else #VALUE!."""
    return next(value for kind, value in EXCEL_ERRORS if isinstance(error, kind))


def error_text(error: Exception) -> str:
    """The cell text for an error: Excel error name, argument, value, rule."""
    if isinstance(error, FlopsheetError):
        return f"{excel_error(error)} {error}"
    return f"{INTERNAL}: {type(error).__name__}: {error}"


def evaluate(function: ExcelFunction, raw: Sequence[Any]) -> CellValue:
    """Return what the cell of ``function(*raw)`` shows: a number, a spill, or an error text."""
    try:
        return _compute(function, raw)[0]
    except Exception as error:  # noqa: BLE001 - every error becomes a cell value
        return error_text(error)


def evaluate_note(function: ExcelFunction, raw: Sequence[Any]) -> str:
    """Return the assumption note of ``function(*raw)``, "" when there is none, or its error."""
    try:
        return "; ".join(f"Note: {note}" for note in _compute(function, raw)[1])
    except Exception as error:  # noqa: BLE001 - every error becomes a cell value
        return error_text(error)


def _signature(function: ExcelFunction) -> inspect.Signature:
    """Excel arguments as a Python signature; optional ones default to None."""
    optional = {param.name for param in function.params if param.optional}
    if function.result is not None and not function.result.required:
        optional.add(function.result.name)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(name, kind, default=None if name in optional else inspect.Parameter.empty)
                              for name in function.argument_names])


def make_udf(function: ExcelFunction, note: bool = False) -> Callable[..., Any]:
    """Build the Python function a host registers for ``function`` (or its _NOTE companion)."""
    run = evaluate_note if note else evaluate

    def udf(*raw: Any) -> Any:
        return run(function, raw)

    name = function.name + (NOTE_SUFFIX if note else "")
    udf.__name__ = udf.__qualname__ = name
    udf.__doc__ = note_description(function) if note else function.description
    udf.__signature__ = _signature(function)  # type: ignore[attr-defined]
    udf.__annotations__ = {}
    return udf


def note_description(function: ExcelFunction) -> str:
    """Excel help of a _NOTE companion."""
    return (f"The assumption note of {function.name} with the same arguments (e.g. utilization measured "
            "at another precision than the peak), with the consistent result; empty when there is none.")
