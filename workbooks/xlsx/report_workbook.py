"""The xlsx report: the live model sheet plus Summary, Audit and Sources sheets."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..model.audit import audit
from ..model.spec import ModelSpec
from ..outputs.plain import _number
from ..outputs.safe_io import set_text_cell
from . import styles
from .package import save_deterministic
from .templates import COL, MODEL_SHEET, build_workbook

#: Highlight of an overridden assumption in the Summary sheet (light orange).
OVERRIDE_FILL = PatternFill("solid", fgColor="FCE4D6")
HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
#: Summary sheet columns: header text and width in characters.
SUMMARY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("name", 20), ("label", 44), ("value", 22), ("unit", 16), ("printed", 22), ("difference", 18),
    ("recomputed / printed", 12))
#: Summary columns (1-based): label, unit, difference, and the recomputed/printed ratio the bar chart shows.
LABEL_COLUMN, UNIT_COLUMN, DIFFERENCE_COLUMN, RATIO_COLUMN = 2, 4, 6, 7
#: Widest a Summary label column gets before its labels wrap.
LABEL_WIDTH = 60
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="bottom", wrap_text=True)
NOTE_FONT = Font(italic=True, color="595959")
#: The comparison chart's height: at least this many centimetres, and this many per result row.
CHART_MIN_HEIGHT, CHART_HEIGHT_PER_ROW = 7.0, 0.5
#: Audit sheet column (1-based) of the implied input's value.
IMPLIED_VALUE_COLUMN = 6
UNIT_ALIGNMENT = Alignment(horizontal="left", indent=1, vertical="top")
#: Every other Summary cell sits at the top of its row, level with the first line of a wrapped label.
TOP = Alignment(vertical="top")
WRAP = Alignment(wrap_text=True, vertical="top")
#: Points of height for a warning row (two to three wrapped lines).
WARNING_ROW_HEIGHT = 45


def _summary_sheet(workbook: openpyxl.Workbook, frame: pd.DataFrame, spec: ModelSpec) -> None:
    """Add the Summary sheet first: results, assumptions, comparison chart, warnings.

    Numbers carry their row's format (a fraction as a percentage, FLOP scientific, whole
    counts without decimals, as on the Model sheet); a result that reads a changed input
    leaves its printed, difference and ratio cells empty (a note says why), never text
    where a number belongs. Labels and units are sized to fit, labels wrap.
    """
    sheet = workbook.create_sheet("Summary", 0)
    set_text_cell(sheet.cell(1, 1), f"{spec.title_en} / {spec.title_zh}").font = TITLE_FONT
    set_text_cell(sheet.cell(2, 1), f"Source: {spec.citation}")
    widths = _summary_widths(frame)
    formats = {item.name: item.format for item in [*spec.inputs, *spec.rows]}  # a count with no unit is not a %
    row_number = 4
    changed = False
    for section, kind in (("Results (values)", "derived"), ("Assumptions used (overrides highlighted)", "input")):
        set_text_cell(sheet.cell(row_number, 1), section).font = HEADER_FONT
        row_number += 1
        for column, (header, _) in enumerate(SUMMARY_COLUMNS, start=1):
            set_text_cell(sheet.cell(row_number, column), header).font = HEADER_FONT
            sheet.cell(row_number, column).alignment = HEADER_ALIGNMENT
            sheet.column_dimensions[get_column_letter(column)].width = widths[column - 1]
        first = row_number + 1
        for row in frame[frame["kind"] == kind].itertuples():
            row_number += 1
            note = getattr(row, "printed_note", "")
            changed = changed or bool(note)
            printed, difference = (None, None) if note else (_number(row.printed), _number(row.difference))
            ratio = None if note else _ratio(row.value, row.printed)
            label = f"{row.label_en} / {row.label_zh}"
            values = [row.name, label, _number(row.value), row.unit, printed, difference, ratio]
            value_format = styles.number_format(row.value, row.unit, formats.get(row.name, ""))
            for column, value in enumerate(values, start=1):
                cell = set_text_cell(sheet.cell(row_number, column), value)
                cell.alignment = TOP
                if isinstance(value, float):
                    cell.number_format = "0.0%" if column == RATIO_COLUMN else (
                        styles.difference_format(value_format) if column == DIFFERENCE_COLUMN else value_format)
                elif column == UNIT_COLUMN:
                    cell.alignment = UNIT_ALIGNMENT
                elif column == LABEL_COLUMN:
                    cell.alignment = WRAP
                if row.overridden:
                    cell.fill = OVERRIDE_FILL
            lines = styles.wrapped_lines(label, widths[LABEL_COLUMN - 1])
            sheet.row_dimensions[row_number].height = max(15, 15 * lines)
        if kind == "derived":
            _comparison_chart(sheet, first, row_number)
        row_number += 2
    if changed:
        set_text_cell(sheet.cell(row_number - 1, 1), "Empty printed cells: a result that reads a changed input is "
                                                     "not compared with the report's printed figure.").font = NOTE_FONT
        row_number += 1
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


def _summary_widths(frame: pd.DataFrame) -> list[float]:
    """Summary column widths: names and units fit their longest text, labels up to a wrap width."""
    widths = [float(width) for _, width in SUMMARY_COLUMNS]
    widths[0] = styles.fit_width([*frame["name"], "name"])
    widths[LABEL_COLUMN - 1] = min(styles.fit_width([f"{row.label_en} / {row.label_zh}" for row in frame.itertuples()]),
                                   LABEL_WIDTH)
    widths[UNIT_COLUMN - 1] = styles.fit_width([*frame["unit"], "unit"]) + 1
    return widths


def _ratio(value: Any, printed: Any) -> float | None:
    """Recomputed / printed, or None where nothing was printed (or printed 0)."""
    number, reference = _number(value), _number(printed)
    if number is None or reference is None or reference == 0:
        return None
    return number / reference


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
    # one bar per result row: a fixed 7 cm crushed fifty rows of the serving model into a smear
    chart.height, chart.width = max(CHART_MIN_HEIGHT, CHART_HEIGHT_PER_ROW * (last_row - first_row + 1)), 16
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
                unit = implied.unit if implied and column == IMPLIED_VALUE_COLUMN else finding.unit
                cell.number_format = styles.number_format(value, unit)
        sheet.cell(row_number, len(headers)).alignment = WRAP
    if not findings:
        set_text_cell(sheet.cell(2, 1), "Every printed figure follows from the stated inputs.")
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"


def _model_row(workbook: openpyxl.Workbook, name: str) -> int:
    """The Model-sheet row of a defined name (``'Model'!$C$7`` -> 7)."""
    return int(workbook.defined_names[name].attr_text.rsplit("$", 1)[1])


def _follow_overrides(workbook: openpyxl.Workbook, frame: pd.DataFrame, spec: ModelSpec,
                      cached: dict[str, dict[str, float]]) -> None:
    """The Model sheet says what the Summary says: labels of the values used, no comparison of changed rows.

    The template is compiled from the spec, so a peak's label still names the spec's
    card and a result's printed figure still sits beside a value computed from other
    inputs; this rewrites those cells (the values and formulas stay live).
    """
    sheet = workbook[MODEL_SHEET]
    spec_labels = {item.name: (item.label_en, item.label_zh) for item in [*spec.inputs, *spec.rows]}
    for row in frame.itertuples():
        number = _model_row(workbook, row.name)
        if (row.label_en, row.label_zh) != spec_labels[row.name]:
            set_text_cell(sheet[f"{COL['en']}{number}"], row.label_en)
            set_text_cell(sheet[f"{COL['zh']}{number}"], row.label_zh)
        if row.printed_note:  # empty cells where numbers belong; the note column says why
            for column in ("printed", "difference", "ratio"):
                reference = f"{COL[column]}{number}"
                sheet[reference].value = None
                cached[MODEL_SHEET].pop(reference, None)
            note = sheet[f"{COL['note']}{number}"]
            set_text_cell(note, f"Printed figure not compared ({row.printed_note}). {note.value or ''}".strip())


def write_report_xlsx(frame: pd.DataFrame, spec: ModelSpec, path: Path, overrides: Mapping[str, Any]) -> Path:
    """Build the whole report workbook in memory and save it once (deterministic bytes).

    ``frame`` is the model evaluated with ``overrides``: the live Model sheet is built
    from it (its formulas keep their cached values, so ``pandas.read_excel`` shows every
    result), then the Summary (first), Audit and Sources sheets are added.
    """
    workbook, cached = build_workbook(spec, overrides=overrides, frame=frame)
    _follow_overrides(workbook, frame, spec, cached)
    _summary_sheet(workbook, frame, spec)
    _audit_sheet(workbook, spec)
    _sources_sheet(workbook, spec)
    workbook.active = 0
    workbook.properties.creator = "flopsheet report"
    return save_deterministic(workbook, path, cached)
