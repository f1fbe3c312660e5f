"""The sweep workbook: a sweep grid with a native chart (line one-way, colour scale two-way).

Saved once, atomically, with fixed timestamps: the same sweep gives the same bytes. A
result that overflowed (inf) or is undefined (NaN) is written as the error value
``#NUM!``, which every spreadsheet program reads, never as text Excel would call corrupt.
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.chart import LineChart, Reference
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Font

from ..outputs.safe_io import atomic_write, set_text_cell
from .package import deterministic_bytes

#: The error value a cell shows for a result that is not a finite number.
NOT_A_NUMBER = "#NUM!"


def _number_cell(value: float) -> float | str:
    """A finite number as itself, inf or NaN as the error value ``#NUM!``."""
    number = float(value)
    return number if math.isfinite(number) else NOT_A_NUMBER


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
            sheet.cell(row_offset, 1, _number_cell(label))
            for column, value in enumerate(values, start=2):
                sheet.cell(row_offset, column, _number_cell(value)).number_format = "#,##0.00"
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
        target.write_bytes(deterministic_bytes(workbook, {}))

    return atomic_write(path, write)
