"""Sensitivity sweeps: vary one or two inputs over a range and tabulate a result.

``flopsheet sweep table5_kimi_training --vary duration=60..180:30`` evaluates the model
at each value (the evaluator, with pint) and returns a grid; xlsx output gets a native
line chart (one-way) or a colour-scaled grid (two-way).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pint
from openpyxl.chart import LineChart, Reference
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Font

from ..units import InputError, InputRangeError, Q, UnitInputError, UnknownNameError
from .evaluate import evaluate
from .safe_io import atomic_write, set_text_cell
from .spec import ModelSpec, load_spec

#: Points in a range given without a step (START..STOP).
DEFAULT_POINTS = 11
#: Most points a sweep may evaluate (a typo like 1..1e9:1 must not run for hours).
MAX_POINTS = 10_000
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
    [60.0 90.0 120.0 150.0 180.0] d
    >>> print(parse_range("60 days..0.5 year:61.3125 day", "duration", "month"))
    [60.0 121.3125 182.625] d
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
        axes.append((name, parse_range(text, name, inputs[name].unit)))
    axis_units = [format(values.units, "~P") if not values.dimensionless else "" for _, values in axes]
    rows = [row.name for row in spec.rows]
    chosen = target or rows[-1]
    if chosen not in rows:
        raise UnknownNameError("--target", chosen, ", ".join(rows), "result row")
    grid = list(product(*(range(len(values)) for _, values in axes)))
    results = np.empty(len(grid))
    unit = ""
    for done, indices in enumerate(grid, start=1):
        point = dict(overrides)
        point.update({name: values[index] for (name, values), index in zip(axes, indices)})
        frame = evaluate(spec, point)
        result = frame.loc[frame["name"] == chosen].iloc[0]
        results[done - 1], unit = float(result["value"]), str(result["unit"])
        if progress is not None:
            progress(done, len(grid))
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


def write_sweep_xlsx(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a sweep grid with a native chart (line for one-way, colour scale for two-way)."""

    def write(target: Path) -> None:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Sweep"
        names = [f"{name} ({unit})" if unit else name for name, unit in table.attrs["inputs"]]
        result = f"{table.attrs['target']} ({table.attrs['target_unit']})"
        set_text_cell(sheet.cell(1, 1), f"{table.attrs['model']}: {result} vs {' and '.join(names)}").font = Font(bold=True)
        corner = names[0] if len(names) == 1 else f"{names[0]} \\ {names[1]}"
        set_text_cell(sheet.cell(3, 1), corner).font = Font(bold=True)
        headers = [result] if len(names) == 1 else list(table.columns)
        for column, header in enumerate(headers, start=2):
            set_text_cell(sheet.cell(3, column), float(header) if not isinstance(header, str) else header).font = Font(bold=True)
        for row_offset, (label, values) in enumerate(table.iterrows(), start=4):
            sheet.cell(row_offset, 1, float(label))
            for column, value in enumerate(values, start=2):
                sheet.cell(row_offset, column, float(value)).number_format = "#,##0.00"
        last_row, last_column = 3 + len(table), 1 + len(headers)
        sheet.column_dimensions["A"].width = max(len(corner) + 2, 14)
        if len(names) == 1:
            chart = LineChart()
            chart.title, chart.x_axis.title, chart.y_axis.title = result, names[0], result
            chart.add_data(Reference(sheet, min_col=2, min_row=3, max_row=last_row), titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=4, max_row=last_row))
            sheet.add_chart(chart, "D3")
        else:
            grid = f"B4:{openpyxl.utils.get_column_letter(last_column)}{last_row}"
            sheet.conditional_formatting.add(grid, ColorScaleRule(start_type="min", start_color="63BE7B",
                                                                  mid_type="percentile", mid_value=50,
                                                                  mid_color="FFEB84", end_type="max",
                                                                  end_color="F8696B"))
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        workbook.save(target)

    return atomic_write(path, write)
