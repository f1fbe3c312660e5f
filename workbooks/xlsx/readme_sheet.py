"""The README sheet of a template: what it is, sources, units, audit facts, formulas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

from . import styles
from ..model.expressions import FUNCTIONS, formula_call
from ..model.spec import ModelSpec

#: Width of the README's text column (characters).
TEXT_WIDTH = 80
UNITS_HELP = (
    "Each value has a unit cell beside it (column D of the Model sheet) with a dropdown of the units of that "
    "dimension. The value is read in the unit you pick: for 35 TiB type 35 and pick TiB; for 90 days type 90 and "
    "pick day. Formulas convert every value to base units (columns L-M, factors on the Units sheet) and convert "
    "each result back to the unit of its own unit cell, so any combination of units is consistent. Results have "
    "unit dropdowns too (show FLOP as TFLOP, cards as 万card).",
    "A month is pint's month: 1/12 of a Julian year = 30.4375 days, so \"3 months\" is 91.3125 days, not 90.",
    "Bytes: TB is decimal (1e12 bytes), TiB binary (2^40 bytes); KB and kb are not offered (1000 or 1024?).",
    "A fraction such as utilization has no unit: type 30.2% (or 0.302).",
)
SPREAD_HELP = (
    "Columns E and F hold a low and a high value for every assumption, in the unit of column D (blue cells: type "
    "your own range). An assumption without a range shows its base value there (=<name>). Each result's low and "
    "high are native formulas: its formula with every value it reads at the end of that value's range that "
    "lowers the result (for low) or raises it (for high). Every formula here only rises or only falls with each "
    "value it reads, so they are the lowest and highest the result gets with each assumption anywhere in its "
    "range, and they bracket the base value in column C.",
    "For percentiles (p5, p50, p95) over the same ranges, and which assumption moves the result most (a tornado "
    "chart), run: flopsheet simulate <model> --range NAME=LOW..HIGH.",
    "The ranges this workbook starts with (from the spec, with their sources in the notes):",
)


def _paragraphs(spec: ModelSpec, lines: Mapping[str, Any], notes: Sequence[str], variant: str
                ) -> list[tuple[str, str]]:
    """The README as (style, text) pairs: "title", "heading" or "text"."""
    citation = spec.citation
    out: list[tuple[str, str]] = [
        ("title", f"{spec.title_zh} — {spec.title_en}"),
        ("heading", "What this is 说明"),
        ("text", f"A live template of {citation.table} in seed report {citation.seed} ({citation.page}). The "
                 "Model sheet holds the report's stated assumptions (blue on yellow) and its calculation as native "
                 "spreadsheet formulas (black), which recalculate in Excel, LibreOffice and WPS without macros or "
                 "add-ins. The \"Printed\" column shows the figure the report printed for each row, and the "
                 "difference columns show each gap at a glance."),
    ]
    if variant == "addin":
        used = dict.fromkeys(FUNCTIONS[call.function].excel_name for row in spec.rows
                             if (call := formula_call(row.parsed)) is not None)
        out.append(("text", "This is the add-in variant: formula rows call the flopsheet Excel functions "
                            f"({', '.join(used)}), whose last argument is the result unit. Without the flopsheet "
                            "add-in they show #NAME?; use the native template instead."))
    if citation.text:
        out.append(("text", f"The report's text: {citation.text}"))
    out.append(("heading", "Audit facts 核查"))
    out += [("text", f"• {fact}") for fact in spec.audit]
    out += [("text", f"• Note at the defaults: {note}") for note in notes]
    out.append(("heading", "How to change units 如何修改单位"))
    out += [("text", text) for text in UNITS_HELP]
    out.append(("heading", "Low / base / high 区间"))
    out += [("text", text) for text in SPREAD_HELP]
    ranged = [item for item in spec.inputs if lines[item.name].low != lines[item.name].high]
    out += [("text", f"• {item.name}: {_shown(lines[item.name].low, lines[item.name].unit, item.format)} to "
                     f"{_shown(lines[item.name].high, lines[item.name].unit, item.format)} (base "
                     f"{_shown(lines[item.name].value, lines[item.name].unit, item.format)}).") for item in ranged]
    if not ranged:
        out.append(("text", "• No assumption has a range yet: type one in columns E-F."))
    out.append(("heading", "Where each number comes from 数据来源"))
    for item in spec.inputs:
        line = lines[item.name]
        parts = [f"• {item.name} = {_shown(line.value, line.unit, item.format)} — {item.label_en} / "
                 f"{item.label_zh}.", item.note,
                 f"Source: {item.source}." if item.source else ""]
        out.append(("text", " ".join(part for part in parts if part).replace("..", ".")))
    out.append(("heading", "Formulas 公式"))
    for row in spec.rows:
        out.append(("text", f"• {row.name} = {row.expr}   [{row.unit or 'fraction'}] — {row.label_en}"))
    out.append(("text", "Every input and result is a defined name (Formulas > Name Manager): <name> is the value, "
                        "<name>_unit its unit cell, <name>_base the value in base units, <name>_printed the "
                        "report's figure, <name>_low and <name>_high its range."))
    out.append(("heading", "Regenerate 重新生成"))
    out.append(("text", f"Generated by `flopsheet build` from workbooks/specs/{spec.name}.toml. Change the spec, not "
                        "this file, to change the template; save your own edits under another name."))
    return out


def _shown(value: float, unit: str, chosen: str = "") -> str:
    """A value for the README text: thousands separators for big whole numbers, % for fractions.

    A dimensionless row whose spec format is not a percentage (a head count, format "0") is a
    plain number: 128, not 12800.0%.
    """
    if unit == "" and (not chosen or "%" in chosen):
        return f"{value:.1%}"
    if unit == "":
        return f"{value:,.6g}"
    if value >= 1e4 and float(value).is_integer() and value < 1e15:
        return f"{value:,.0f} {unit}"
    return f"{value:.6g} {unit}"


def write_readme(sheet: Worksheet, spec: ModelSpec, lines: Mapping[str, Any], notes: Sequence[str],
                 variant: str) -> None:
    """Fill the README sheet: one paragraph per row in column A, wrapped."""
    fonts = {"title": styles.TITLE_FONT, "heading": styles.SECTION_FONT, "text": styles.FORMULA_FONT}
    sheet.column_dimensions["A"].width = TEXT_WIDTH
    for index, (style, text) in enumerate(_paragraphs(spec, lines, notes, variant), start=1):
        cell = sheet.cell(index, 1)
        cell.value = text
        cell.data_type = "s"
        cell.font = fonts[style]
        cell.alignment = styles.WRAP
        if style == "text":
            sheet.row_dimensions[index].height = 15 * styles.wrapped_lines(text, TEXT_WIDTH) + 2
        elif style == "heading":
            sheet.row_dimensions[index].height = 24
    sheet.print_area = f"A1:A{sheet.max_row}"
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
