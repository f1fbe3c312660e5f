"""Audit: find the assumption behind every printed number of a model.

Row by row, each printed figure is checked against its own row's formula applied to
the *printed* values of the rows it reads (the stated inputs where nothing is
printed), so one slip does not smear over every later row. A figure that differs by
more than its printing precision (half a unit in its last printed digit, widened by
the precision of the printed figures it was computed from) is a finding; the audit
then solves, by monotone 1-D root finding on the evaluator, for the input of that
row's formula (the row's ``solve_for``, else the first input it reads) that
reproduces the printed figure, and gives it in the input's own unit. Where the table
also prints a figure for that input which reproduces the row, that figure is given
(it is more precise than what the rounded row implies). Assumption warnings
(a utilization measured against another precision than the peak) are findings too.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pint

from ...formulas import as_peak
from ...units import AssumptionWarning, Q
from ...units.parse import normalise_text
from .evaluate import read_inputs
from .expressions import Call, Expr, Name, evaluate_expr
from .spec import ModelSpec, Reading, RowSpec, load_spec, spec_names
from .unit_choices import unit_of

#: Significant digits an implied input is reported with (the solver converges to ~1e-15).
IMPLIED_DIGITS = 12
#: Most bisection steps in log space (a safety bound; the search stops far earlier).
SOLVER_STEPS = 200
#: The search stops once the bracket is this narrow (relative): the implied input is
#: reported to IMPLIED_DIGITS significant digits, so a narrower bracket changes nothing.
SOLVER_TOLERANCE = 10.0 ** -(IMPLIED_DIGITS + 1)
#: Bracket growth: the root is searched between x / 2**k and x * 2**k, k <= this.
MAX_BRACKET_DOUBLINGS = 60


@dataclass(frozen=True)
class Implied:
    """The input value that reproduces a printed figure."""

    input: str
    value: float
    unit: str


@dataclass(frozen=True)
class Finding:
    """One printed figure that the stated inputs do not give, and what it implies."""

    model: str
    row: str
    printed: float
    recomputed: float
    unit: str
    implied: Implied | None
    message: str

    @property
    def difference(self) -> float:
        """recomputed - printed, in ``unit``."""
        return self.recomputed - self.printed

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON form: model, row, printed, recomputed, difference, implied."""
        implied = None if self.implied is None else {"input": self.implied.input, "value": self.implied.value,
                                                       "unit": self.implied.unit}
        return {"model": self.model, "row": self.row, "printed": self.printed, "recomputed": self.recomputed,
                "difference": self.difference, "unit": self.unit, "implied": implied, "message": self.message}


def significant_digits(printed: Any) -> int:
    """Significant digits of a printed figure as the report wrote it ("1.88E+13" -> 3).

    Examples
    --------
    >>> [significant_digits(text) for text in ["1.88E+13", "13,793", "8.0e14", "300万", "30.2%", 1481, 0.75]]
    [3, 5, 2, 3, 3, 4, 2]
    """
    text = normalise_text(str(printed)).replace(",", "")
    mantissa = re.split(r"[eE]", text)[0]
    mantissa = "".join(character for character in mantissa if character.isdigit() or character == ".")
    digits = mantissa.replace(".", "").lstrip("0")
    if isinstance(printed, float) and "." in mantissa and mantissa.endswith(".0"):
        digits = digits[:-1]  # TOML/float 2.0 printed as "2"
    return max(len(digits), 1)


def relative_precision(printed_text: Any, value: float) -> float:
    """Half a unit in the last printed digit, relative to the value."""
    if value == 0:
        return 0.0
    exponent = math.floor(math.log10(abs(value)))
    return 0.5 * 10 ** (exponent - significant_digits(printed_text) + 1) / abs(value)


def _reads(expr: Expr) -> list[str]:
    """Names an expression reads, in order of appearance."""
    if isinstance(expr, Name):
        return [expr.name]
    if isinstance(expr, Call):
        return [name for argument in expr.arguments for name in _reads(argument)]
    children = [getattr(expr, attribute) for attribute in ("operand", "left", "right") if hasattr(expr, attribute)]
    return [name for child in children for name in _reads(child)]


def _printed_quantity(item: Any) -> pint.Quantity | None:
    """A row's or input's printed figure as a quantity, or None."""
    if item.printed is None:
        return None
    return Q(item.printed, unit_of(item.printed_unit or item.unit))


class _RowCheck:
    """Evaluate one row's formula with the printed upstream values and one input varied."""

    def __init__(self, row: RowSpec, values: dict[str, pint.Quantity], rich: dict[str, Any]) -> None:
        self.row, self.values, self.rich = row, values, rich

    def __call__(self, name: str | None = None, value: pint.Quantity | None = None) -> pint.Quantity:
        values, rich = dict(self.values), dict(self.rich)
        if name is not None:
            values[name] = value
            rich.pop(name, None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AssumptionWarning)
            return Q(evaluate_expr(self.row.parsed, values, rich)).to(unit_of(self.row.unit))


def _solve(check: _RowCheck, name: str, start: pint.Quantity, target: float) -> pint.Quantity | None:
    """Find the value of input ``name`` for which the row gives ``target`` (monotone search).

    Brackets the root by doubling and halving the stated value, then bisects in log
    space (inputs are positive quantities). None when no bracket is found.
    """
    unit = start.units

    def gap(magnitude: float) -> float:
        return float(check(name, Q(magnitude, unit)).magnitude) - target

    stated = float(start.magnitude)
    gap_stated = gap(stated)
    if gap_stated == 0:
        return start
    previous_up = previous_down = stated
    for _ in range(MAX_BRACKET_DOUBLINGS):
        up, down = previous_up * 2, previous_down / 2
        if gap(up) * gap_stated <= 0:
            low, high = previous_up, up
            break
        if gap(down) * gap_stated <= 0:
            low, high = down, previous_down
            break
        previous_up, previous_down = up, down
    else:
        return None
    low_is_negative = gap(low) < 0
    for _ in range(SOLVER_STEPS):
        middle = math.sqrt(low * high)
        if high / low - 1 <= SOLVER_TOLERANCE:
            break
        gap_middle = gap(middle)
        if gap_middle == 0:
            break
        if (gap_middle < 0) == low_is_negative:
            low = middle
        else:
            high = middle
    return Q(middle, unit)


def audit(model: str | ModelSpec) -> list[Finding]:
    """Return the findings of one model: printed figures its stated inputs do not give.

    Parameters
    ----------
    model : str or ModelSpec

    Returns
    -------
    list of Finding
        In spec order: input rows whose printed figure differs from the stated value,
        derived rows whose printed figure does not follow from the printed figures they
        read (with the implied input), then assumption warnings.

    Examples
    --------
    >>> findings = {finding.row: finding for finding in audit("table6_kimi_inference")}
    >>> implied = findings["flops_per_call"].implied
    >>> implied.input, round(implied.value), implied.unit
    ('tokens_per_call', 2000, 'token')
    """
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    raw = spec.printed_text
    readings = read_inputs(spec)
    stated: dict[str, pint.Quantity] = {name: reading.quantity for name, reading in readings.items()}
    rich = {name: reading.rich for name, reading in readings.items() if reading.rich is not None}
    findings = [_input_finding(spec, item, stated[item.name], raw) for item in spec.inputs]
    upstream = dict(stated)
    precision: dict[str, float] = {}
    for row in spec.order:
        check = _RowCheck(row, upstream, rich)
        recomputed = check()
        printed = _printed_quantity(row)
        if printed is None:
            upstream[row.name] = recomputed
            continue
        printed = printed.to(recomputed.units)
        precision[row.name] = relative_precision(raw[row.name], float(printed.magnitude))
        tolerance = precision[row.name] + sum(precision.get(name, 0.0) for name in set(_reads(row.parsed)))
        gap = abs(float(recomputed.magnitude) / float(printed.magnitude) - 1)
        if gap > tolerance:
            findings.append(_row_finding(spec, row, check, stated, printed, recomputed, tolerance))
        upstream[row.name] = printed
    findings += _warning_findings(spec, readings)
    return [finding for finding in findings if finding is not None]


def _input_finding(spec: ModelSpec, item: Any, stated: pint.Quantity, raw: dict[str, Any]) -> Finding | None:
    """An input whose printed figure is not the stated value."""
    printed = _printed_quantity(item)
    if printed is None:
        return None
    printed = printed.to(stated.units)
    if abs(float(stated.magnitude) / float(printed.magnitude) - 1) <= relative_precision(raw[item.name], float(printed.magnitude)):
        return None
    unit = item.unit
    return Finding(spec.name, item.name, float(printed.magnitude), float(stated.magnitude), unit,
                   Implied(item.name, float(printed.magnitude), unit),
                   f"{item.name}: the table prints {raw[item.name]} {item.printed_unit or item.unit} "
                   f"= {printed.magnitude:,.6g} {unit}, not the stated {stated.magnitude:,.6g} {unit}")


def _row_finding(spec: ModelSpec, row: RowSpec, check: _RowCheck, stated: dict[str, pint.Quantity],
                 printed: pint.Quantity, recomputed: pint.Quantity, tolerance: float) -> Finding:
    """A derived row whose printed figure does not follow; solve for its input."""
    inputs = [name for name in _reads(row.parsed) if name in stated]
    target_input = row.solve_for or (inputs[0] if inputs else "")
    implied = None
    detail = "no input of its own formula to solve for"
    if target_input:
        item = spec.input(target_input)
        solved = _solve(check, target_input, stated[target_input], float(printed.magnitude))
        if solved is not None:
            shown = _refined(check, item, solved, printed, tolerance)
            implied = Implied(target_input, float(f"{shown.magnitude:.{IMPLIED_DIGITS}g}"), item.unit)
            extra = f" ({shown.to('day').magnitude:,.1f} days)" if shown.dimensionality == unit_of("day").dimensionality \
                and item.unit != "day" else ""
            detail = (f"it implies {target_input} = {shown.magnitude:,.6g} {item.unit}{extra}, "
                      f"not the stated {stated[target_input].magnitude:,.6g} {item.unit}")
        else:
            detail = f"no value of {target_input} reproduces it"
    unit = row.unit
    return Finding(spec.name, row.name, float(printed.magnitude), float(recomputed.magnitude), unit, implied,
                   f"{row.name}: printed {printed.magnitude:,.6g} {unit}, its formula ({row.expr}) gives "
                   f"{recomputed.magnitude:,.6g} {unit} from the printed figures it reads; {detail}")


def _refined(check: _RowCheck, item: Any, solved: pint.Quantity, printed: pint.Quantity,
             tolerance: float) -> pint.Quantity:
    """The input's own printed figure when it reproduces the row (more digits), else the solution."""
    own = _printed_quantity(item)
    if own is not None:
        own = own.to(solved.units)
        result = float(check(item.name, own).magnitude)
        if abs(result / float(printed.magnitude) - 1) <= tolerance:
            return own.to(unit_of(item.unit))
    return solved.to(unit_of(item.unit))


def _warning_findings(spec: ModelSpec, readings: Mapping[str, Reading]) -> list[Finding]:
    """Assumption warnings at the stated inputs, e.g. a utilization of another precision.

    The implied input is the peak of the precision the utilization was measured on.
    """
    values, notes = spec.solve(readings)
    measured = next((item for item in spec.inputs if item.kind == "utilization" and item.measured_on), None)
    findings = []
    for note in notes:
        row = spec.row(note.split(":", 1)[0])
        peak = next((item for item in spec.inputs if item.kind == "peak" and item.name in _reads(row.parsed)), None)
        implied = None
        if peak is not None and measured is not None:
            consistent = as_peak(measured.measured_on).rate.to(unit_of(peak.unit))
            implied = Implied(peak.name, float(consistent.magnitude), peak.unit)
        printed = row.printed if row.printed is not None else math.nan
        findings.append(Finding(spec.name, row.name, printed, float(values[row.name].magnitude), row.unit, implied, note))
    return findings


def audit_all() -> list[Finding]:
    """The findings of every model."""
    return [finding for name in spec_names() for finding in audit(name)]
