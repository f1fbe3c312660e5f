"""The headless evaluator: every row of a spec computed with pint, as a DataFrame.

The numbers equal what a spreadsheet computes from the compiled template (LibreOffice
agrees within 1e-9 relative, tested), so a report can be made without any spreadsheet.

Overrides change more than values: a label that names an assumption names the value
actually used ("Peak per card (H800 bf16, dense)" after ``peak="H800 bf16"``), and a
derived row whose inputs were changed no longer compares itself with the report's
printed figure, which belongs to the report's own inputs: its ``difference`` is NaN and
``printed_note`` says :data:`INPUTS_CHANGED`, which every display (show, the reports)
puts in the printed and difference cells. ``printed`` keeps the report's figure, so
Python can still ask whether it follows from other inputs (the getting-started page's 105 days).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ...formulas import Peak
from ...formulas.args import plain_values
from ...formulas.catalogues.peaks import parse_reference
from ...units import UnknownNameError

if TYPE_CHECKING:
    import pandas as pd
from . import unit_choices
from .spec import InputSpec, ModelSpec, Reading, load_spec

#: The DataFrame's columns, in order.
COLUMNS: tuple[str, ...] = ("name", "kind", "label_en", "label_zh", "value", "unit", "printed", "difference",
                            "overridden", "quantity", "printed_note")
#: A difference this small relative to the numbers compared is float rounding, shown as 0.
FLOAT_NOISE = 1e-12
#: What a derived row's printed and difference cells say when an input it reads was changed.
INPUTS_CHANGED = "n/a: inputs changed"
#: Relative tolerance under which an override equals the spec's value (not a change).
SAME_VALUE_RTOL = 1e-12


def read_inputs(spec: ModelSpec, overrides: Mapping[str, Any] | None = None) -> dict[str, Reading]:
    """Read every input of ``spec``: the spec default, or the override given for it.

    Parameters
    ----------
    spec : ModelSpec
    overrides : mapping of input name to value, optional
        Values as :func:`flopsheet.Q` reads them ("105 days", "2000亿", 312, a quantity;
        arrays and pandas columns in :func:`evaluate_arrays`);
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
    overrides = {name: plain_values(value, name) for name, value in dict(overrides or {}).items()}  # pandas too
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
        printed, NaN when none), ``overridden`` (bool), ``quantity`` (pint) and
        ``printed_note`` ("" or :data:`INPUTS_CHANGED`: a derived row that reads a changed
        input has a NaN ``difference``). Labels name the values used.
        ``attrs["warnings"]`` lists the AssumptionWarning texts, ``attrs["model"]`` the
        spec name.

    Examples
    --------
    >>> frame = evaluate("table5_kimi_training", {"data": "37,580,963,840 kB", "duration": "105 days"})
    >>> cards = frame.set_index("name").loc["cards"]
    >>> round(cards.value), cards.unit, float(cards.printed)
    (13793, 'card', 13793.0)
    >>> frame = evaluate("table5_kimi_training", peak="H800 bf16").set_index("name")
    >>> frame.loc["peak", "label_en"], frame.loc["cards", "printed_note"]
    ('Peak per card (H800 bf16, dense)', 'n/a: inputs changed')
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
    changed = {name for name in overrides if differs_from_spec(spec.input(name), readings[name])}
    reads = inputs_read(spec)
    records = []
    for item in spec.inputs:
        reading = readings[item.name]
        labels = [_label_used(item, label, reading, overrides.get(item.name)) if item.name in overrides else label
                  for label in (item.label_en, item.label_zh)]
        records.append(_record(item.name, "input", *labels, reading.quantity, reading.unit,
                               item.printed, item.printed_unit, item.name in overrides))
    for row in spec.rows:
        record = _record(row.name, "derived", row.label_en, row.label_zh, values[row.name], row.unit,
                         row.printed, row.printed_unit, False)
        if row.printed is not None and reads[row.name] & changed:
            record.update(difference=math.nan, printed_note=INPUTS_CHANGED)
        records.append(record)
    return records, notes, spec


def inputs_read(spec: ModelSpec) -> dict[str, set[str]]:
    """Every derived row's inputs, read directly or through the rows it reads.

    Examples
    --------
    >>> sorted(inputs_read(load_spec("table6_kimi_inference"))["flops_per_call"])
    ['flop_per_param_token', 'params', 'tokens_per_call']
    """
    inputs = {item.name for item in spec.inputs}
    reads: dict[str, set[str]] = {}
    for row in spec.order:  # each row after the rows it reads
        names = row.parsed.names()
        reads[row.name] = (names & inputs).union(*(reads[name] for name in names if name in reads))
    return reads


def differs_from_spec(item: InputSpec, reading: Reading) -> bool:
    """True when a value read for ``item`` (an override, an edited cell) differs from the spec's own."""
    default = item.read().quantity
    used = np.asarray(reading.quantity.to(default.units).magnitude, dtype=float)
    return not np.allclose(used, float(default.magnitude), rtol=SAME_VALUE_RTOL, atol=0)


def _label_used(item: InputSpec, label: str, reading: Reading, given: Any) -> str:
    """A peak's label naming the catalogue reference actually used instead of the spec's.

    "Peak per card (A100 TF32, dense)" with ``peak="H800 bf16"`` reads "Peak per card
    (H800 bf16, dense)" (the catalogue's card and precision names), with "989 TFLOPS"
    "Peak per card (989 TFLOPS/card as set)". A label that does not name the spec's
    reference is kept.
    """
    default = parse_reference(item.value) if item.kind == "peak" and isinstance(item.value, str) else None
    if default is None or not isinstance(reading.rich, Peak):
        return label
    pattern = (rf"(?P<card>{re.escape(default[0])})\s+(?P<precision>{re.escape(default[1])})"
               r"(?P<density>,?\s*\b(?:dense|sparse)\b)?")
    match = re.search(pattern, label, re.IGNORECASE)
    if match is None:
        return label
    used = reading.rich
    if used.card is None:
        shown = f"{float(used.rate.to('TFLOPS/card').magnitude):g} TFLOPS/card as set"
    else:
        density = "sparse" if _sparse(given) else "dense"
        shown = f"{used.card} {used.precision}"
        if match.group("density"):
            shown += ("," if match.group("density").startswith(",") else "") + f" {density}"
        elif density == "sparse":
            shown += " sparse"
    return label[:match.start()] + shown + label[match.end():]


def _sparse(given: Any) -> bool:
    """Whether the override asked for the sparsity figure ("H100 bf16 sparse")."""
    reference = parse_reference(given) if isinstance(given, str) else None
    return bool(reference and reference[2])


def _record(name: str, kind: str, label_en: str, label_zh: str, quantity: Any, unit: str,
            printed: float | None, printed_unit: str, overridden: bool) -> dict[str, Any]:
    """One DataFrame row; printed is converted to the row's unit."""
    value = float(quantity.to(unit_choices.unit_of(unit)).magnitude)
    shown_printed = math.nan
    if printed is not None:
        shown_printed = printed if printed_unit == unit else \
            printed * unit_choices.factor(printed_unit) / unit_choices.factor(unit)
    difference = value - shown_printed
    if abs(difference) <= FLOAT_NOISE * max(abs(value), abs(shown_printed)):
        difference = 0.0  # 120 - 120.00000000000001 is rounding in the unit conversion, not a difference
    return {"name": name, "kind": kind, "label_en": label_en, "label_zh": label_zh, "value": value, "unit": unit,
            "printed": shown_printed, "difference": difference, "overridden": overridden,
            "quantity": quantity, "printed_note": ""}
