"""Sensitivity sweeps: vary one or two inputs over a range and tabulate a result.

``flopsheet sweep table5_kimi_training --vary duration=60..180:30`` evaluates the model
at each value (the evaluator, with pint) and returns a grid; :mod:`..xlsx.sweep_workbook`
writes it with a native chart.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pint

from ...units import InputError, InputRangeError, Q, UnitInputError, UnknownNameError
from .evaluate import evaluate_arrays
from .unit_choices import unit_of
from .spec import ModelSpec, load_spec

#: Points in a range given without a step (START..STOP).
DEFAULT_POINTS = 11
#: Most model evaluations one request may run, whatever their shape: the points of a
#: sweep (the product of its axes). (Monte Carlo samples are summarised, never shown: their
#: cap is memory, ``simulate.MAX_SAMPLES``.) The model
#: runs over arrays in milliseconds; the grid must stay something a spreadsheet and a
#: terminal can show (a 100 x 100 sweep workbook is written in about 0.5 s, a 1000 x 1000
#: one took 45 s and 600 MB with openpyxl), and a typo like a 10,000 x 10,000 grid must
#: not exhaust memory (it reached MemoryError at 5.9 GB).
MAX_EVALUATIONS = 10_000
#: Most points on one axis (one axis may use the whole budget).
MAX_POINTS = MAX_EVALUATIONS
#: Significant digits kept on a sweep axis.
AXIS_DIGITS = 12
#: Seconds after which a sweep starts reporting progress.
PROGRESS_AFTER_SECONDS = 1.0

Progress = Callable[[int, int], None]


def _quantity(text: str, unit: Any, option: str) -> pint.Quantity:
    """Parse one end or step of a range; bare numbers in ``unit``, result in ``unit``."""
    quantity = Q(text, unit, argument=option)
    try:
        return quantity.to(unit)
    except pint.DimensionalityError:
        raise UnitInputError(option, text, f"a value in units of {unit}") from None


def parse_range(text: str, name: str, unit: str) -> pint.Quantity:
    """Parse ``START..STOP[:STEP]`` into the array of values.

    Bare numbers are in the input's ``unit``; a START with its own unit ("60 days")
    sets the unit of the whole axis.

    Examples
    --------
    >>> print(parse_range("60..180:30", "duration", "day"))
    [60 90 120 150 180] d
    >>> print(parse_range("60 days..0.5 year:61.3125 day", "duration", "month"))
    [60 121.3125 182.625] d
    >>> print(parse_range("20%..50%:10%", "utilization", ""))
    [0.2 0.3 0.4 0.5]
    """
    option = f"--vary {name}"
    unit = unit or "dimensionless"  # fractions (utilization) have no unit in a spec
    start_text, separator, rest = text.partition("..")
    if not separator:
        raise InputError(option, text, "START..STOP or START..STOP:STEP, e.g. 60..180:30")
    stop_text, _, step_text = rest.partition(":")
    start = _quantity(start_text, unit, option)
    start = Q(start_text, start.units, argument=option)  # keep the unit the user typed
    stop = _quantity(stop_text, start.units, option)
    if stop.magnitude < start.magnitude:
        raise InputRangeError(option, text, "a range with STOP >= START")
    if step_text:
        step = _quantity(step_text, start.units, option)
        if step.magnitude <= 0:
            raise InputRangeError(option, text, "a range with a STEP greater than 0")
        count = int(np.floor((stop.magnitude - start.magnitude) / step.magnitude * (1 + 1e-12))) + 1
    else:
        count = DEFAULT_POINTS
        step = (stop - start) / (count - 1)
    if count > MAX_POINTS:
        raise InputRangeError(option, text, f"at most {MAX_POINTS:,} points, not {count:,}")
    values = start.magnitude + step.to(start.units).magnitude * np.arange(count)
    # 0.2 + 0.1 * 1 is 0.30000000000000004: round to the digits a person typed.
    return Q(np.array([float(f"{value:.{AXIS_DIGITS}g}") for value in values]), start.units)


def check_evaluations(counts: Sequence[int], option: str = "--vary") -> int:
    """Return the number of evaluations ``counts`` asks for (their product), or refuse it.

    The one size rule of flopsheet for anything that evaluates a model many times:
    a sweep passes the points of each axis, a Monte Carlo run its sample count.

    Raises
    ------
    InputRangeError
        More than :data:`MAX_EVALUATIONS` in total; the message states the limit and
        the product asked for.

    Examples
    --------
    >>> check_evaluations([5, 4])
    20
    >>> check_evaluations([1000, 1000])
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.InputRangeError: --vary: must be at most 10,000 evaluations in total (the product of the axes), got "1,000 x 1,000 = 1,000,000"
    """
    total = math.prod(counts)
    if total > MAX_EVALUATIONS:
        shape = " x ".join(f"{count:,}" for count in counts)
        raise InputRangeError(option, f"{shape} = {total:,}" if len(counts) > 1 else f"{total:,}",
                              f"at most {MAX_EVALUATIONS:,} evaluations in total (the product of the axes)")
    return total


def sweep(model: str | ModelSpec, vary: Mapping[str, str], target: str | None = None,
          progress: Progress | None = None, **overrides: Any) -> pd.DataFrame:
    """Evaluate ``model`` over a one- or two-way grid of input values.

    Parameters
    ----------
    model : str or ModelSpec
    vary : mapping of input name to range text ("60..180:30", "1000..4000:1000")
        One or two inputs.
    target : str, optional
        The derived row to tabulate; the model's last row by default.
    progress : callable(done, total), optional
        Called after each point.
    **overrides
        Fixed input values for every point.

    Returns
    -------
    pandas.DataFrame
        One-way: index = the varied input's values, one column ``target``.
        Two-way: index = first input, columns = second input, cells = ``target``.
        ``attrs`` holds ``model``, ``target``, ``target_unit``, ``inputs`` (name, unit).
    """
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    if not 1 <= len(vary) <= 2:
        raise InputError("--vary", len(vary), "one or two inputs to vary")
    inputs = {item.name: item for item in spec.inputs}
    axes: list[tuple[str, pint.Quantity]] = []
    for name, text in vary.items():
        if name not in inputs:
            raise UnknownNameError("--vary", name, ", ".join(inputs), "input")
        if not isinstance(text, str):
            raise InputError(f"--vary {name}", text, 'a range as text, START..STOP[:STEP], e.g. "60 days..180 days"')
        axes.append((name, parse_range(text, name, inputs[name].unit)))
    axis_units = [format(values.units, "~P") if not values.dimensionless else "" for _, values in axes]
    rows = [row.name for row in spec.rows]
    chosen = target or rows[-1]
    if chosen not in rows:
        raise UnknownNameError("--target", chosen, ", ".join(rows), "result row")
    check_evaluations([len(values) for _, values in axes])
    mesh = np.meshgrid(*(values.magnitude for _, values in axes), indexing="ij")
    point_overrides = dict(overrides)
    point_overrides.update({name: Q(grid.ravel(), values.units) for (name, values), grid in zip(axes, mesh)})
    values_by_name, _ = evaluate_arrays(spec, point_overrides)
    row = spec.row(chosen)
    unit = row.unit
    results = np.broadcast_to(np.asarray(values_by_name[chosen].to(unit_of(unit)).magnitude, dtype=float),
                              mesh[0].size).copy()
    if progress is not None:
        progress(mesh[0].size, mesh[0].size)
    index = pd.Index(axes[0][1].magnitude, name=axes[0][0])
    if len(axes) == 1:
        table = pd.DataFrame({chosen: results}, index=index)
    else:
        columns = pd.Index(axes[1][1].magnitude, name=axes[1][0])
        table = pd.DataFrame(results.reshape(len(index), len(columns)), index=index, columns=columns)
    table.attrs.update(model=spec.name, target=chosen, target_unit=unit,
                       inputs=[(name, unit) for (name, _), unit in zip(axes, axis_units)])
    return table


class ProgressBar:
    """A stderr progress bar that appears only once a sweep has run for a second."""

    def __init__(self, stream: Any, width: int = 30, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.width, self.clock = stream, width, clock
        self.started = clock()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.shown and self.clock() - self.started < PROGRESS_AFTER_SECONDS:
            return
        self.shown = True
        filled = int(self.width * done / total)
        self.stream.write(f"\rsweep [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()
