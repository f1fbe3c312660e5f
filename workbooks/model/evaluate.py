"""The headless evaluator: every row of a spec computed with pint, as a DataFrame.

The numbers equal what a spreadsheet computes from the compiled template (LibreOffice
agrees within 1e-9 relative, tested), so a report can be made without any spreadsheet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...units import UnknownNameError

if TYPE_CHECKING:
    import pandas as pd
from . import unit_choices
from .spec import ModelSpec, Reading, load_spec

#: The DataFrame's columns, in order.
COLUMNS: tuple[str, ...] = ("name", "kind", "label_en", "label_zh", "value", "unit", "printed", "difference",
                            "overridden", "quantity")


def read_inputs(spec: ModelSpec, overrides: Mapping[str, Any] | None = None) -> dict[str, Reading]:
    """Read every input of ``spec``: the spec default, or the override given for it.

    Parameters
    ----------
    spec : ModelSpec
    overrides : mapping of input name to value, optional
        Values as :func:`flopsheet.Q` reads them ("105 days", "2000亿", 312, a quantity);
        a peak may also be a catalogue reference ("H100 bf16", "A100 tf32 sparse"); a
        utilization may say what it was measured on ("30.2% @ A100 bf16").

    Raises
    ------
    UnknownNameError
        An override for a name that is not an input (the message lists the inputs).
    UnitInputError
        An unreadable value, or one of another dimension than the input's unit.
    InputRangeError
        Zero or negative, or a utilization outside (0, 100%].
    """
    overrides = dict(overrides or {})
    known = {item.name for item in spec.inputs}
    for name in overrides:
        if name not in known:
            kind = "row (only inputs can be set)" if name in spec.names else "input"
            raise UnknownNameError(name, name, ", ".join(item.name for item in spec.inputs), f"{kind} of {spec.name}")
    return {item.name: item.read(overrides[item.name]) if item.name in overrides else item.read()
            for item in spec.inputs}


def evaluate_arrays(spec_or_name: ModelSpec | str, overrides: Mapping[str, Any] | None = None
                    ) -> tuple[dict[str, Any], list[str]]:
    """Evaluate a spec once with array inputs: every row as a pint quantity over the arrays.

    The sweep and the Monte Carlo run the model this way: one evaluation, numpy arrays
    inside the quantities, no Python loop per point. Overrides may be arrays (or
    quantities of arrays) that broadcast together.

    Returns
    -------
    (dict of name to pint.Quantity, list of str)
        Every input and row (rows in their own unit), and the assumption-warning texts.
    """
    spec = spec_or_name if isinstance(spec_or_name, ModelSpec) else load_spec(spec_or_name)
    return spec.solve(read_inputs(spec, overrides))


def evaluate(spec_or_name: ModelSpec | str, overrides: Mapping[str, Any] | None = None, /,
             **named_overrides: Any) -> "pd.DataFrame":
    """Evaluate a model spec; return one row per input and derived row, in spec order.

    Parameters
    ----------
    spec_or_name : ModelSpec or str
        A loaded spec or a spec name (``spec_names()``) or path.
    overrides : mapping of input name to value, optional
        See :func:`read_inputs`.
    **named_overrides
        The same as keywords: ``evaluate("table5_kimi_training", duration="105 days")``;
        they win over ``overrides``.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``kind`` ("input" or "derived"), ``label_en``, ``label_zh``,
        ``value`` (float, in ``unit``), ``unit`` (str; "" for a fraction), ``printed``
        (the report's figure in ``unit``, NaN when none), ``difference`` (value -
        printed, NaN when none), ``overridden`` (bool) and ``quantity`` (pint).
        ``attrs["warnings"]`` lists the AssumptionWarning texts, ``attrs["model"]`` the
        spec name.

    Examples
    --------
    >>> frame = evaluate("table5_kimi_training", {"data": "37,580,963,840 kB", "duration": "105 days"})
    >>> cards = frame.set_index("name").loc["cards"]
    >>> round(cards.value), cards.unit, float(cards.printed)
    (13793, 'card', 13793.0)
    >>> evaluate("table5_kimi_training", {"duration": "105 tokens"})
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: duration: expected a quantity in units like month ([time]), e.g. "3 month", got "105 tokens"
    """
    import pandas as pd  # only the DataFrame needs pandas: commands that print import it lazily

    records, notes, spec = evaluate_records(spec_or_name, {**(overrides or {}), **named_overrides})
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    frame.attrs["warnings"] = notes
    frame.attrs["model"] = spec.name
    return frame


def evaluate_records(spec_or_name: ModelSpec | str, overrides: Mapping[str, Any] | None = None
                     ) -> tuple[list[dict[str, Any]], list[str], ModelSpec]:
    """Evaluate a spec; return one record (dict of :data:`COLUMNS`) per input and row, the warnings, the spec.

    What :func:`evaluate` puts in its DataFrame, without importing pandas (``flopsheet
    show`` prints these records).
    """
    spec = spec_or_name if isinstance(spec_or_name, ModelSpec) else load_spec(spec_or_name)
    overrides = dict(overrides or {})
    readings = read_inputs(spec, overrides)
    values, notes = spec.solve(readings)
    records = []
    for item in spec.inputs:
        reading = readings[item.name]
        records.append(_record(item.name, "input", item.label_en, item.label_zh, reading.quantity, reading.unit,
                               item.printed, item.printed_unit, item.name in overrides))
    for row in spec.rows:
        records.append(_record(row.name, "derived", row.label_en, row.label_zh, values[row.name], row.unit,
                               row.printed, row.printed_unit, False))
    return records, notes, spec


def _record(name: str, kind: str, label_en: str, label_zh: str, quantity: Any, unit: str,
            printed: float | None, printed_unit: str, overridden: bool) -> dict[str, Any]:
    """One DataFrame row; printed is converted to the row's unit."""
    value = float(quantity.to(unit_choices.unit_of(unit)).magnitude)
    shown_printed = math.nan
    if printed is not None:
        shown_printed = printed if printed_unit == unit else \
            printed * unit_choices.factor(printed_unit) / unit_choices.factor(unit)
    return {"name": name, "kind": kind, "label_en": label_en, "label_zh": label_zh, "value": value, "unit": unit,
            "printed": shown_printed, "difference": value - shown_printed, "overridden": overridden,
            "quantity": quantity}
