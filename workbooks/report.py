"""Headless reports: evaluate a model (with overrides) and write xlsx, CSV, Markdown or JSON.

The xlsx report is the model's live template (compiled with the overrides as its input
values, so it stays editable and recalculates) plus a ``Summary`` sheet (results as
values, assumptions with overrides highlighted, warnings, printed vs recomputed and a
bar chart) and a ``Sources`` sheet. Every write is atomic (see :mod:`.safe_io`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..units import InputError
from .audit import audit
from .compile import compile_workbook
from .evaluate import evaluate
from .safe_io import atomic_write, inert_text, set_text_cell
from .spec import ModelSpec, load_spec

#: Output formats and the file suffix each is recognised by.
FORMATS: dict[str, str] = {"xlsx": ".xlsx", "csv": ".csv", "md": ".md", "json": ".json"}
#: Highlight of an overridden assumption in the Summary sheet (light orange).
OVERRIDE_FILL = PatternFill("solid", fgColor="FCE4D6")
HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
#: Summary sheet columns: header text and width in characters.
SUMMARY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("name", 20), ("label", 44), ("value", 22), ("unit", 16), ("printed", 22), ("difference", 18),
    ("recomputed / printed", 12))
#: Summary columns (1-based): unit, and the recomputed/printed ratio the bar chart shows.
UNIT_COLUMN, RATIO_COLUMN = 4, 7
UNIT_ALIGNMENT = Alignment(horizontal="left", indent=1)
WRAP = Alignment(wrap_text=True, vertical="top")
#: Points of height for a warning row (two to three wrapped lines).
WARNING_ROW_HEIGHT = 45


def output_format(path: str | Path, requested: str | None) -> str:
    """Return the format to write: the requested one, else the one the suffix names."""
    if requested is not None:
        if requested not in FORMATS:
            raise InputError("--format", requested, " or ".join(FORMATS))
        return requested
    suffix = Path(path).suffix.lower()
    for name, known_suffix in FORMATS.items():
        if suffix == known_suffix:
            return name
    raise InputError("-o", str(path), f"a file ending in {', '.join(FORMATS.values())} (or give --format)")


def _number(value: Any) -> float | None:
    """A JSON-safe number: NaN and None become None."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def report_dict(frame: pd.DataFrame, spec: ModelSpec) -> dict[str, Any]:
    """Return the stable JSON document of an evaluated model (README: "JSON format")."""
    inputs = frame[frame["kind"] == "input"]
    derived = frame[frame["kind"] == "derived"]
    return {
        "model": spec.name,
        "inputs": [{"name": row.name, "value": _number(row.value), "unit": row.unit} for row in inputs.itertuples()],
        "rows": [{"name": row.name, "label_en": row.label_en, "label_zh": row.label_zh, "value": _number(row.value),
                  "unit": row.unit, "printed": _number(row.printed), "difference": _number(row.difference)}
                 for row in derived.itertuples()],
        "warnings": list(frame.attrs.get("warnings", [])),
    }


def table_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for CSV/Markdown: every input and derived row with its comparison."""
    columns = ["name", "kind", "label_en", "label_zh", "value", "unit", "printed", "difference", "overridden"]
    return [{column: getattr(row, column) for column in columns} for row in frame.itertuples()]


def _write_json(frame: pd.DataFrame, spec: ModelSpec, path: Path) -> None:
    path.write_text(json.dumps(report_dict(frame, spec), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_csv(frame: pd.DataFrame, spec: ModelSpec, path: Path) -> None:
    rows = table_rows(frame)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: inert_text(value) if isinstance(value, str) else _csv_value(value) for key, value in row.items()})
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _csv_value(value: Any) -> Any:
    """Numbers in full precision; NaN as an empty cell."""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return repr(float(value)) if isinstance(value, float) else value


def format_value(value: Any, unit: str = "") -> str:
    """Format a number for people: thousands separators, scientific beyond 1e15."""
    number = _number(value)
    if number is None:
        return ""
    if number != 0 and (abs(number) >= 1e15 or abs(number) < 1e-3):
        return f"{number:.4g}"
    if abs(number) >= 100 or number == int(number):
        return f"{number:,.0f}" if abs(number - round(number)) < 1e-9 or abs(number) >= 1000 else f"{number:,.2f}"
    return f"{number:.4g}"


def _markdown_cell(text: str) -> str:
    """User text for a Markdown table cell: inert, pipes escaped, one line."""
    return inert_text(text).replace("|", "\\|").replace("\n", " ")


def _write_markdown(frame: pd.DataFrame, spec: ModelSpec, path: Path) -> None:
    lines = [f"# {spec.title_en} / {spec.title_zh}", "", f"Source: {spec.citation}", "",
             "| name | label | value | unit | printed | difference |", "| --- | --- | ---: | --- | ---: | ---: |"]
    for row in frame.itertuples():
        marker = " (set)" if row.overridden else ""
        text_cells = [_markdown_cell(cell) for cell in (row.name + marker, f"{row.label_en} / {row.label_zh}")]
        number_cells = [format_value(row.value), _markdown_cell(row.unit), format_value(row.printed),
                        format_value(row.difference)]
        lines.append("| " + " | ".join(text_cells + number_cells) + " |")
    warnings_list = frame.attrs.get("warnings", [])
    if warnings_list:
        lines += ["", "## Warnings", ""] + [f"- {_markdown_cell(text)}" for text in warnings_list]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _summary_sheet(workbook: openpyxl.Workbook, frame: pd.DataFrame, spec: ModelSpec) -> None:
    """Add the Summary sheet first: results, assumptions, comparison chart, warnings."""
    sheet = workbook.create_sheet("Summary", 0)
    set_text_cell(sheet.cell(1, 1), f"{spec.title_en} / {spec.title_zh}").font = TITLE_FONT
    set_text_cell(sheet.cell(2, 1), f"Source: {spec.citation}")
    row_number = 4
    for section, kind in (("Results (values)", "derived"), ("Assumptions used (overrides highlighted)", "input")):
        set_text_cell(sheet.cell(row_number, 1), section).font = HEADER_FONT
        row_number += 1
        for column, (header, width) in enumerate(SUMMARY_COLUMNS, start=1):
            set_text_cell(sheet.cell(row_number, column), header).font = HEADER_FONT
            sheet.column_dimensions[get_column_letter(column)].width = width
        first = row_number + 1
        for row in frame[frame["kind"] == kind].itertuples():
            row_number += 1
            values = [row.name, f"{row.label_en} / {row.label_zh}", _number(row.value), row.unit,
                      _number(row.printed), _number(row.difference), _ratio(row.value, row.printed)]
            for column, value in enumerate(values, start=1):
                cell = set_text_cell(sheet.cell(row_number, column), value)
                if isinstance(value, float):
                    cell.number_format = _number_format(value, column)
                elif column == UNIT_COLUMN:
                    cell.alignment = UNIT_ALIGNMENT
                if row.overridden:
                    cell.fill = OVERRIDE_FILL
        if kind == "derived":
            _comparison_chart(sheet, first, row_number)
        row_number += 2
    set_text_cell(sheet.cell(row_number, 1), "Warnings").font = HEADER_FONT
    for text in frame.attrs.get("warnings", []) or ["none"]:
        row_number += 1
        set_text_cell(sheet.cell(row_number, 1), text).alignment = WRAP
        sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=len(SUMMARY_COLUMNS))
        sheet.row_dimensions[row_number].height = WARNING_ROW_HEIGHT
    sheet.freeze_panes = "A4"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _ratio(value: Any, printed: Any) -> float | None:
    """Recomputed / printed, or None where nothing was printed (or printed 0)."""
    number, reference = _number(value), _number(printed)
    if number is None or reference is None or reference == 0:
        return None
    return number / reference


def _number_format(value: float, column: int) -> str:
    """Percent for the ratio column, scientific for huge numbers, thousands otherwise."""
    if column == RATIO_COLUMN:
        return "0.0%"
    return "0.000E+00" if abs(value) >= 1e15 else "#,##0.####"


def _comparison_chart(sheet: Any, first_row: int, last_row: int) -> None:
    """Bar chart of recomputed / printed per result row (100% = the report's figure)."""
    if last_row < first_row:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Recomputed / printed (100% = as printed)"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.add_data(Reference(sheet, min_col=RATIO_COLUMN, min_row=first_row - 1, max_row=last_row),
                   titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first_row, max_row=last_row))
    chart.legend = None
    chart.height, chart.width = 7, 14
    sheet.add_chart(chart, f"I{first_row - 1}")


def _sources_sheet(workbook: openpyxl.Workbook, spec: ModelSpec) -> None:
    """Add a Sources sheet: the citation and every input's source and note."""
    sheet = workbook.create_sheet("Sources")
    for column, (header, width) in enumerate((("name", 22), ("source", 80), ("note", 60)), start=1):
        set_text_cell(sheet.cell(1, column), header).font = HEADER_FONT
        sheet.column_dimensions[get_column_letter(column)].width = width
    rows = [("model", spec.citation, "")] + [(item.name, item.source, item.note) for item in spec.inputs]
    for row_number, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            set_text_cell(sheet.cell(row_number, column), value or "")


def _audit_sheet(workbook: openpyxl.Workbook, spec: ModelSpec) -> None:
    """Add an Audit sheet: each printed figure the stated inputs do not give, and what it implies."""
    sheet = workbook.create_sheet("Audit")
    headers = (("row", 16), ("printed", 20), ("recomputed", 20), ("unit", 14), ("implied input", 18),
               ("implied value", 16), ("implied unit", 14), ("finding", 90))
    for column, (header, width) in enumerate(headers, start=1):
        set_text_cell(sheet.cell(1, column), header).font = HEADER_FONT
        sheet.column_dimensions[get_column_letter(column)].width = width
    findings = audit(spec)
    for row_number, finding in enumerate(findings, start=2):
        implied = finding.implied
        values = [finding.row, _number(finding.printed), finding.recomputed, finding.unit,
                  implied.input if implied else "", implied.value if implied else None, implied.unit if implied else "",
                  finding.message]
        for column, value in enumerate(values, start=1):
            cell = set_text_cell(sheet.cell(row_number, column), value)
            if isinstance(value, float):
                cell.number_format = _number_format(value, column)
        sheet.cell(row_number, len(headers)).alignment = WRAP
    if not findings:
        set_text_cell(sheet.cell(2, 1), "Every printed figure follows from the stated inputs.")
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"


def _write_xlsx(frame: pd.DataFrame, spec: ModelSpec, path: Path, overrides: Mapping[str, Any]) -> None:
    compile_workbook(spec, path, overrides=overrides)
    workbook = openpyxl.load_workbook(path)
    _summary_sheet(workbook, frame, spec)
    _audit_sheet(workbook, spec)
    _sources_sheet(workbook, spec)
    workbook.active = 0
    workbook.save(path)


def report(model: str | ModelSpec, path: str | Path, fmt: str | None = None, **overrides: Any) -> Path:
    """Evaluate ``model`` with ``overrides`` and write a report file atomically.

    Parameters
    ----------
    model : str or ModelSpec
        A spec name (``flopsheet list``) or a loaded spec.
    path : str or Path
        Output file; its suffix picks the format unless ``fmt`` is given.
    fmt : {"xlsx", "csv", "md", "json"}, optional
    **overrides
        Input values by name, as quantities or text ("105 days", "2000亿").

    Returns
    -------
    Path
        The written file. Nothing is written when evaluation fails.
    """
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    chosen = output_format(path, fmt)
    frame = evaluate(spec, overrides)
    writers = {
        "json": lambda target: _write_json(frame, spec, target),
        "csv": lambda target: _write_csv(frame, spec, target),
        "md": lambda target: _write_markdown(frame, spec, target),
        "xlsx": lambda target: _write_xlsx(frame, spec, target, overrides),
    }
    return atomic_write(path, writers[chosen])


def parse_assignments(pairs: Sequence[str], option: str = "--set") -> dict[str, str]:
    """Split ``NAME=VALUE`` strings into a dict; a malformed one is an InputError naming the option."""
    assignments: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name.strip() or not value.strip():
            raise InputError(option, pair, 'NAME=VALUE, e.g. duration="105 days"')
        assignments[name.strip()] = value.strip()
    return assignments
