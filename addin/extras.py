"""The few Excel functions that are not formulas: reading a quantity, the catalogue
table, the version. Thin helpers over :mod:`flopsheet.units` and the catalogue.
"""

from __future__ import annotations

from typing import Any

import pint

from .._version import __version__
from ..formulas import catalogue
from ..formulas.catalogues.cards import PRECISIONS
from ..units import Q, UnitInputError, parse_unit

#: Units of the non-peak columns of CARD_LIST.
MEMORY_UNIT, BANDWIDTH_UNIT, POWER_UNIT = "GB/card", "GB/s/card", "W/card"


def unit_convert(value: Any) -> pint.Quantity:
    """Read ``value`` (e.g. "30 TB") for UNIT_CONVERT; the wrapper converts it."""
    return Q(value, argument="value")


def qty(text: Any) -> pint.Quantity:
    """Read a cell's text (e.g. "2000亿", "1.38万张") for QTY; the wrapper converts it."""
    return Q(text, argument="text")


def version() -> str:
    """Return flopsheet's version text."""
    return __version__


def _number(quantity: pint.Quantity | None, unit: str) -> float | str:
    """A catalogue figure as a plain number in ``unit``, "" when the catalogue has none."""
    return "" if quantity is None else float(quantity.to(unit).magnitude)


def card_table(unit: str = "TFLOPS/card") -> list[list[Any]]:
    """Return the accelerator catalogue as rows under one header row.

    Columns: card, vendor, variant, released, the dense peak of every precision (in
    ``unit``; int8 in the same scale as OPS), memory (GB), bandwidth (GB/s), TDP (W),
    source. Missing figures are "".
    """
    peak_unit = _peak_unit(unit)
    shown = f"{peak_unit:~P}"
    header = ["card", "vendor", "variant", "released", *(f"{p} ({shown})" for p in PRECISIONS),
              "memory (GB)", "bandwidth (GB/s)", "TDP (W)", "source"]
    rows: list[list[Any]] = [header]
    for record in catalogue().values():
        peaks = [_number(record.dense.get(precision), peak_unit) for precision in PRECISIONS]
        rows.append([record.name, record.vendor, record.variant, record.released, *peaks,
                     _number(record.memory, MEMORY_UNIT), _number(record.bandwidth, BANDWIDTH_UNIT),
                     _number(record.tdp, POWER_UNIT), record.source])
    return rows


def _peak_unit(unit: str) -> pint.Unit:
    """Parse the peak-column unit; a rate without "/card" is taken per card."""
    parsed = parse_unit(unit, argument="unit")
    per_card = Q(1, "TFLOPS/card").dimensionality
    if parsed.dimensionality == per_card:
        return parsed
    if (Q(1, parsed) / Q(1, "card")).dimensionality == per_card:
        return (Q(1, parsed) / Q(1, "card")).units
    raise UnitInputError("unit", unit, 'a peak rate unit such as "TFLOPS/card" or "PFLOPS"')
