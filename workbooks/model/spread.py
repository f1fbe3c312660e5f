"""Low / base / high of every row: each result's range from its inputs' ranges.

The templates' low and high columns hold these, computed there by native formulas.
For each derived row and each value its expression reads, the row either rises or
falls with that value (every formula of the seed tables does one or the other over a
positive range); :func:`spread` finds which by evaluating the row at both ends of the
value's range, the others at base. A row's **low** is then its expression with every
value it reads at the end that lowers it, its **high** with every value at the end
that raises it: the lowest and highest the row can be with each input anywhere in its
range (interval arithmetic, exact for such monotone rows). The template writes the
same choice of ends as formulas over the ``<name>_low`` and ``<name>_high`` cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from ...units import Q
from . import unit_choices
from .expressions import evaluate_expr
from .spec import ModelSpec

#: A row rises with the value it reads (+1) or falls with it (-1).
RISES, FALLS = 1, -1


@dataclass(frozen=True)
class Spread:
    """Each row's low and high, and how each derived row moves with what it reads.

    low, high : name -> value in the unit of that row's line (inputs in their shown unit).
    directions : derived row -> name it reads -> :data:`RISES` or :data:`FALLS`.
    """

    low: dict[str, float]
    high: dict[str, float]
    directions: dict[str, dict[str, int]]

    def end(self, row: str, name: str, side: str) -> str:
        """Which end of ``name`` gives ``row`` its ``side`` ("low" or "high")."""
        rises = self.directions[row].get(name, RISES) == RISES
        return side if rises else ("high" if side == "low" else "low")


def spread(spec: ModelSpec, base: Mapping[str, pint.Quantity], units: Mapping[str, str],
           ranges: Mapping[str, tuple[pint.Quantity, pint.Quantity]]) -> Spread:
    """Compute the low and high of every input and derived row.

    Parameters
    ----------
    spec : ModelSpec
    base : name -> quantity
        Every input and row at its base value (an evaluation's ``quantity`` column).
    units : name -> unit text
        The unit each value is reported in ("" for a fraction).
    ranges : input name -> (low, high) quantities
        The inputs that have a range; the others are their base value at both ends.

    Returns
    -------
    Spread
    """
    ends: dict[str, pint.Quantity] = {}
    for item in spec.inputs:
        low, high = ranges.get(item.name, (base[item.name], base[item.name]))
        unit = base[item.name].units
        ends[item.name] = Q(np.array([low.to(unit).magnitude, high.to(unit).magnitude], dtype=float), unit)
    values = dict(base)
    directions: dict[str, dict[str, int]] = {}
    for row in spec.order:
        directions[row.name] = {name: _direction(row.parsed, values, name, ends[name])
                                for name in sorted(row.parsed.names())}
        chosen = {name: _oriented(ends[name], directions[row.name][name]) for name in row.parsed.names()}
        result = Q(evaluate_expr(row.parsed, {**values, **chosen}))
        # a row that reads no input (a catalogue look-up) is the same at both ends
        ends[row.name] = Q(np.broadcast_to(np.asarray(result.magnitude, dtype=float), (2,)).copy(), result.units)
    low = {name: _in(units[name], quantity, 0) for name, quantity in ends.items()}
    high = {name: _in(units[name], quantity, 1) for name, quantity in ends.items()}
    return Spread(low, high, directions)


def _direction(expr: Any, values: Mapping[str, pint.Quantity], name: str, ends: pint.Quantity) -> int:
    """Whether the expression rises or falls from the low to the high end of ``name``."""
    if ends.magnitude[0] == ends.magnitude[1]:
        return RISES
    result = np.asarray(Q(evaluate_expr(expr, {**values, name: ends})).to_base_units().magnitude, dtype=float)
    return FALLS if result.size == 2 and result[1] < result[0] else RISES


def _oriented(ends: pint.Quantity, direction: int) -> pint.Quantity:
    """The (for low, for high) pair of ends of a value the row rises or falls with."""
    return ends if direction == RISES else ends[::-1]


def _in(unit: str, quantity: pint.Quantity, index: int) -> float:
    """Element ``index`` of a two-element quantity (or a constant) in ``unit``."""
    magnitude = np.broadcast_to(np.asarray(quantity.to(unit_choices.unit_of(unit)).magnitude, dtype=float), (2,))
    return float(magnitude[index])
