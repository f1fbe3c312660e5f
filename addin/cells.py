"""Between Excel cells and formulas: what a host passes in, what a cell gets back.

Hosts pass an argument as a scalar (number, text, bool, None for an empty cell) or as
a 2-D list for a range. A range of numbers becomes one float numpy array (the formulas
broadcast it: no Python loop per cell); a range holding text is handed to
:func:`flopsheet.Q`, which parses each cell. Results go back as a float or a 2-D list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pint

from ..units import InputRangeError, Q, UnitInputError, parse_unit
from ..formulas.args import read_bool
from ..formulas.catalogues.cards import read_sparse
from ..formulas.magnitudes import NOT_FINITE
from .catalogue import Param, ResultUnit

#: The types a cell holding a number arrives as (JSON gives int for whole numbers).
NUMBER_TYPES = frozenset({int, float})


def _rows(raw: Sequence[Any]) -> list[list[Any]]:
    """A host range as a list of rows (a flat list is one row, as xlwings' Ensure2D reads it)."""
    if raw and not any(isinstance(row, (list, tuple)) for row in raw):
        return [list(raw)]
    return [list(row) if isinstance(row, (list, tuple)) else [row] for row in raw]


def excel_cell(value: Any, name: str) -> Any:
    """One cell as Excel sent it, cleaned: empty ("" or JsNull) is None; an Excel error value is an error.

    On the Office.js hosts value arguments arrive raw (see
    :data:`flopsheet.addin.register.OFFICEJS_VALUE_OPTIONS`), so this is the clean-up
    xlwings would otherwise do cell by cell.
    """
    if isinstance(value, dict):
        shown = value.get("basicValue", value.get("type", "an Excel data type"))
        if value.get("type") == "Error":
            raise UnitInputError(name, shown, "a number or a quantity", f"the cell holds the Excel error {shown}")
        return value.get("basicValue")
    if value == "" or type(value).__name__ == "JsNull":  # Pyodide >= 0.28 passes JS null as JsNull
        return None
    return value


def single_cell(raw: Any, name: str) -> Any:
    """Unwrap a 1 x 1 range; refuse a bigger one for an argument that takes one cell."""
    if isinstance(raw, (list, tuple)):
        rows = _rows(raw)
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        flat = not any(isinstance(row, (list, tuple)) for row in raw)  # hosts flatten one-row/column ranges
        size = f"range of {len(raw)} cells" if flat else f"{len(rows)}x{len(rows[0]) if rows else 0} range"
        raise UnitInputError(name, f"a {size}", "a single cell")
    return raw


def value_argument(raw: Any, param: Param) -> Any:
    """Turn one host argument into what a formula reads (scalar, float array or rows)."""
    if not isinstance(raw, (list, tuple)):
        return excel_cell(raw, param.name)
    rows = _rows(raw)
    if not rows or not rows[0]:
        raise UnitInputError(param.name, "[]", "at least one value", "the range is empty")
    if len(rows) == 1 and len(rows[0]) == 1:
        return excel_cell(rows[0][0], param.name)
    if {type(cell) for row in rows for cell in row} <= NUMBER_TYPES:
        return np.asarray(rows, dtype=float)
    if len({len(row) for row in rows}) != 1:
        raise UnitInputError(param.name, "a ragged range", "a rectangular range")
    return [[excel_cell(cell, param.name) for cell in row] for row in rows]


def name_argument(raw: Any, param: Param) -> str:
    """Read a one-cell text argument (card, precision, unit)."""
    value = single_cell(raw, param.name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UnitInputError(param.name, "", _expected(param), "the cell is empty")
    if not isinstance(value, str):
        raise UnitInputError(param.name, value, f"{_expected(param)} as text")
    return value


def _expected(param: Param) -> str:
    """What a one-cell text argument must be, for messages ('an accelerator name (e.g. "A100")')."""
    label = param.label.split(" (")[0]
    return f'{label[0].lower()}{label[1:]} (e.g. "{param.example}")'


def flag_argument(raw: Any, param: Param) -> bool:
    """Read a TRUE/FALSE argument (also 1/0 and "sparse"/"dense")."""
    value = single_cell(raw, param.name)
    if param.name == "sparse":
        return read_sparse(value, param.name)
    return read_bool(value, param.name)


_READERS = {"value": value_argument, "name": name_argument, "flag": flag_argument}


def read_argument(raw: Any, param: Param) -> Any:
    """Read one host argument; an omitted optional argument takes its default."""
    if param.optional and _is_empty(raw):
        return param.default
    return _READERS[param.kind](raw, param)


def _is_empty(raw: Any) -> bool:
    """True for an omitted argument or an empty single cell."""
    if isinstance(raw, (list, tuple)):
        rows = _rows(raw)
        return len(rows) == 1 and len(rows[0]) == 1 and _is_empty(rows[0][0])
    return raw is None or (isinstance(raw, str) and not raw.strip()) or type(raw).__name__ == "JsNull"


def result_unit(raw: Any, spec: ResultUnit) -> pint.Unit | None:
    """Read the result-unit argument; None keeps the quantity's own unit."""
    value = single_cell(raw, spec.name)
    if _is_empty(value):
        if spec.required:
            raise UnitInputError(spec.name, "", f'a unit such as "{spec.example}"', "the cell is empty")
        return None if spec.default is None else parse_unit(spec.default, argument=spec.name)
    if not isinstance(value, str):
        raise UnitInputError(spec.name, value, f'a unit as text, such as "{spec.example}"')
    return parse_unit(value, argument=spec.name)


def convert(result: pint.Quantity, unit: pint.Unit | None, spec: ResultUnit, given: Any) -> pint.Quantity:
    """Express ``result`` in ``unit``; a per-card result may be asked for without "/card"."""
    if unit is None:
        return result
    if result.dimensionality == unit.dimensionality:
        return result.to(unit)
    per_card = result * Q(1, "card")
    if per_card.dimensionality == unit.dimensionality:
        return per_card.to(unit)
    shown = single_cell(given, spec.name) if given is not None else f"{unit:~P}"
    if spec.default is None:
        raise UnitInputError(spec.name, shown, f'a unit of the same dimension as "{result.units:~P}"')
    raise UnitInputError(spec.name, shown, f'a unit of the same dimension as "{spec.default}" (e.g. "{spec.example}")')


def to_cells(quantity: pint.Quantity) -> float | list[list[float]]:
    """A quantity's magnitude as a cell value: a float, or a 2-D list that spills."""
    magnitude = np.asarray(quantity.magnitude, dtype=float)
    if not np.all(np.isfinite(magnitude)):
        raise InputRangeError(*NOT_FINITE)
    if magnitude.ndim == 0:
        return float(magnitude)
    return np.atleast_2d(magnitude).tolist()


def is_frame(value: Any) -> bool:
    """True for a pandas DataFrame (checked by its shape, so the add-in needs no pandas import)."""
    return hasattr(value, "columns") and hasattr(value, "itertuples") and hasattr(value, "attrs")


def frame_cells(frame: Any) -> list[list[Any]]:
    """A DataFrame as a spill: a header row, then one row per record; NaN becomes an empty cell.

    A named index (``part`` of TRAIN_MEMORY) spills as the first column.
    """
    def cell(value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, float, np.integer, np.floating)):
            return "" if not np.isfinite(value) else float(value)
        return "" if value is None else str(value)

    label = getattr(getattr(frame, "index", None), "name", None)
    header = ([str(label)] if label else []) + [str(column) for column in frame.columns]
    return [header] + [[cell(value) for value in row] for row in frame.itertuples(index=bool(label))]
