"""Compile a model spec into a template workbook whose formulas are native Excel.

Layout (``report --from`` and other readers rely on it; every cell they need has a
workbook-level defined name, so read names, not addresses):

Sheet ``Model`` (the first sheet)
    Rows 1-3 title, source and how-to; row 5 the column header (frozen); then an
    "Assumptions" section (one row per spec input) and a "Results" section (one row
    per derived row), in spec order. Columns:

    ====  ==========================================  ==============================
    A     label (中文)
    B     label (English)
    C     value (the base case), in column D's unit   ``<name>``
    D     unit (dropdown of that dimension's units)   ``<name>_unit``
    E     low, in column D's unit                     ``<name>_low``
    F     high, in column D's unit                    ``<name>_high``
    G     printed in the report, in column D's unit   ``<name>_printed``
    H     difference C - G (red when negative)
    I     difference C / G - 1
    J     note and source
    K     the row's defined name
    L     factor from column D's unit to base unit    ``<name>_factor``
    M     value in base units                         ``<name>_base``
    N     base unit (registry base: s, bit, FLOP ...)
    ====  ==========================================  ==============================

    Input values (column C), their low and high (E, F) and all unit cells (column D)
    are blue on light yellow: type there. An input without a range in its spec has
    ``=<name>`` as its low and high (no spread until a range is typed). A result's low
    and high are native formulas: its expression with each value it reads at the end
    that lowers (raises) it (:mod:`flopsheet.workbooks.model.spread`), so they bracket
    the base value. A fraction (utilization, unit "") has an empty unit cell, a percent
    format, and no J/K helpers: formulas read ``<name>`` itself.
    Derived rows compute in base units (``cards_base = flops_base/(peak_base*
    utilization*duration_base)``) and show ``<name> = <name>_base/<name>_factor``,
    so every unit choice is consistent.

Sheet ``Chart`` (second, only when the spec has a ``[chart]``; ``[[chart]]`` repeats it)
    A grid of formulas reading the charted rows by name, and a native bar chart of it
    (:mod:`.chart_sheet`). A further chart sits on the sheet its ``sheet`` key names.

Sheet of a ``[table]`` (after the charts; its ``sheet`` key names it)
    A grid of formulas reading rows by name, one line per label, in the rows' number
    formats (the serving template's ``Plan`` sheet).

Sheet ``Units``
    Unit, dimension, factor to the base unit, base unit, note; ``unit_names`` and
    ``unit_factors`` are its columns A and C. A month is 1/12 Julian year (30.4375 days).

Sheet ``README``
    What the workbook is, where each number comes from, how to change units, the
    audit facts of the table, every formula.

Variant ``addin`` writes rows that call a flopsheet formula with the add-in's Excel
functions (``=TRAIN_CARDS(flops&" "&flops_unit, ..., cards_unit)``; the last argument
is the result unit) instead of native arithmetic; it needs the flopsheet add-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pint
from openpyxl import Workbook
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.formatting.rule import FormulaRule
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ...units import InputError
from . import styles
from ..model import unit_choices
from ..model.evaluate import evaluate
from ..model.expressions import FUNCTIONS, Call, Name, excel_formula, formula_call, number_text
from .chart_sheet import write_chart_sheet, write_table_sheet
from .readme_sheet import write_readme
from ..model.spec import InputSpec, ModelSpec, RowSpec, load_spec, spec_names
from ..model.spread import Spread, spread
from .package import save_deterministic

#: Input name -> (low, high) quantities: the ranges a template's low/high columns start with.
Ranges = Mapping[str, tuple[pint.Quantity, pint.Quantity]]

#: Where ``flopsheet build`` writes the templates (package data).
TEMPLATE_DIR = Path(__file__).parents[1] / "templates"
VARIANTS: tuple[str, ...] = ("native", "addin")
MODEL_SHEET, UNITS_SHEET, README_SHEET = "Model", "Units", "README"
HEADER_ROW = 5
#: Column letters of the Model sheet.
COL = {"zh": "A", "en": "B", "value": "C", "unit": "D", "low": "E", "high": "F", "printed": "G", "difference": "H",
       "ratio": "I", "note": "J", "name": "K", "factor": "L", "base": "M", "base_unit": "N"}
#: The two ends of a row's range, as COL keys and defined-name suffixes (``<name>_low``).
SIDES: tuple[str, ...] = ("low", "high")
HEADERS = {"zh": "项目", "en": "Item", "value": "Value 数值", "unit": "Unit 单位", "low": "Low 低值",
           "high": "High 高值", "printed": "Printed 报告数值",
           "difference": "Difference 差异", "ratio": "Diff % 差异率", "note": "Note and source 说明与来源",
           "name": "Name (defined name)", "factor": "Factor to base", "base": "Value in base unit",
           "base_unit": "Base unit"}
#: Column widths that do not depend on content.
FIXED_WIDTHS = {"value": 20, "low": 18, "high": 18, "printed": 20, "difference": 18, "ratio": 12, "note": 56, "factor": 14, "base": 16,
                "base_unit": 16}


@dataclass(frozen=True)
class Line:
    """One input or derived row as the Model sheet shows it."""

    item: InputSpec | RowSpec
    kind: str
    value: float
    unit: str
    quantity: pint.Quantity
    row: int
    low: float
    high: float

    @property
    def name(self) -> str:
        return self.item.name

    @property
    def fraction(self) -> bool:
        """A dimensionless row: no unit cell, no base-unit helpers."""
        return self.unit == ""

    def cell(self, column: str) -> str:
        """The A1 reference of this line's cell in ``column`` (a COL key)."""
        return f"{COL[column]}{self.row}"


def _reference(lines: Mapping[str, Line]) -> Any:
    """How a derived formula refers to a row: its base-unit name, or itself for a fraction."""
    return lambda name: _fraction(lines, name) if lines[name].fraction else f"{name}_base"


def _fraction(lines: Mapping[str, Line], reference: str, name: str | None = None) -> str:
    """A fraction input's cell as a number: ``VALUE(<cell>)``, so the text "40%" typed there reads as 0.4.

    Excel turns a typed "40%" into 0.4 itself; LibreOffice and Gnumeric keep text that a
    formula would otherwise refuse. A number passes VALUE unchanged; derived rows are numbers.
    """
    return f"VALUE({reference})" if lines[name or reference].kind == "input" else reference


def addin_specs() -> list[str]:
    """The specs that get an add-in variant: those with a row that calls a formula-table function."""
    return [name for name in spec_names() if any(formula_call(row.parsed) for row in load_spec(name).rows)]


def _addin_call(lines: Mapping[str, Line], result: Line) -> Any:
    """The add-in variant's rendering of a top-level formula call, or None for native."""

    def render(call: Call) -> str | None:
        if formula_call(call) is None:
            return None
        function = FUNCTIONS[call.function]
        texts = [argument.name if lines[argument.name].fraction else f'{argument.name}&" "&{argument.name}_unit'
                 for argument in call.arguments if isinstance(argument, Name)]
        return f"{function.excel_name}({', '.join(texts)}, {result.name}_unit)"

    return render


def default_ranges(spec: ModelSpec, overrides: Mapping[str, Any] | None = None) -> Ranges:
    """The spec's ``low``/``high`` of every input that has them and is not overridden."""
    return {item.name: (item.read(item.low).quantity, item.read(item.high).quantity) for item in spec.inputs
            if item.low is not None and item.high is not None and item.name not in (overrides or {})}


def _lines(spec: ModelSpec, overrides: Mapping[str, Any] | None, frame: pd.DataFrame | None = None,
           ranges: Ranges | None = None) -> tuple[dict[str, Line], list[str], Spread]:
    """Place the spec's rows on the Model sheet; evaluate it unless ``frame`` already holds the evaluation."""
    if frame is None:
        frame = evaluate(spec, overrides)
    ranges = default_ranges(spec, overrides) if ranges is None else ranges
    ends = spread(spec, dict(zip(frame["name"], frame["quantity"])), dict(zip(frame["name"], frame["unit"])), ranges)
    items: dict[str, InputSpec | RowSpec] = {item.name: item for item in [*spec.inputs, *spec.rows]}
    lines: dict[str, Line] = {}
    row = HEADER_ROW + 2  # header, then the "Assumptions" section row
    for record in frame.itertuples():
        if record.kind == "derived" and record.Index == len(spec.inputs):
            row += 1  # the "Results" section row
        lines[record.name] = Line(items[record.name], record.kind, float(record.value), record.unit,
                                  record.quantity, row, ends.low[record.name], ends.high[record.name])
        row += 1
    return lines, list(frame.attrs["warnings"]), ends


def _define(workbook: Workbook, name: str, sheet: str, reference: str) -> None:
    """Add a workbook-level defined name for an absolute cell or range reference."""
    absolute = ":".join("$" + "$".join(_split(part)) for part in reference.split(":"))
    workbook.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(sheet)}!{absolute}")


def _split(reference: str) -> tuple[str, str]:
    """Split "C7" into ("C", "7")."""
    letters = "".join(character for character in reference if character.isalpha())
    return letters, reference[len(letters):]


class Formula(str):
    """Formula text we generated ("=flops/..."); any other str is written as inert text."""


def _set(sheet: Worksheet, reference: str, value: Any, font: Any = None, fill: Any = None, number_format: str = "",
         alignment: Any = None) -> None:
    """Write one cell with its style; text is stored as text unless it is a :class:`Formula`."""
    cell = sheet[reference]
    cell.value = str(value) if isinstance(value, Formula) else value
    if isinstance(value, str) and not isinstance(value, Formula):
        cell.data_type = "s"
    for attribute, setting in (("font", font), ("fill", fill), ("alignment", alignment)):
        if setting is not None:
            setattr(cell, attribute, setting)
    if number_format:
        cell.number_format = number_format


def _unit_validation(line: Line) -> DataValidation:
    """The dropdown of a unit cell: the units of the row's dimension."""
    options = line.item.choices
    dimension = unit_choices.dimension_text(line.unit)
    month = " A month is 30.4375 days." if "month" in options else ""
    validation = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=False,
                                showErrorMessage=True, showInputMessage=True, errorStyle="stop",
                                errorTitle="Unit 单位", error=f"Pick a unit of {dimension} from the list.",
                                promptTitle="Unit 单位", prompt=f"Units of {dimension}.{month}"[:255])
    validation.add(line.cell("unit"))
    return validation


def _write_line(sheet: Worksheet, workbook: Workbook, line: Line, lines: Mapping[str, Line], variant: str,
                cached: dict[str, float], ends: Spread, ranged: bool) -> None:
    """Write one row: labels, value or formula, unit, printed, difference, note, helpers."""
    item, name = line.item, line.name
    is_input = line.kind == "input"
    value_format = styles.number_format(line.value, line.unit, item.format)
    _set(sheet, line.cell("zh"), item.label_zh, alignment=styles.TOP)
    _set(sheet, line.cell("en"), item.label_en, alignment=styles.TOP)
    note = item.note if is_input else f"{item.note} [{item.expr}]".strip()  # type: ignore[union-attr]
    source = getattr(item, "source", "")
    _set(sheet, line.cell("note"), f"{note} Source: {source}.".replace("..", ".").strip() if source else note,
         alignment=styles.NOTE)
    _set(sheet, line.cell("name"), name, font=styles.HELPER_FONT, alignment=styles.TOP)
    _define(workbook, name, MODEL_SHEET, line.cell("value"))
    _define(workbook, f"{name}_unit", MODEL_SHEET, line.cell("unit"))
    if not line.fraction:
        factor = unit_choices.factor(line.unit)
        _set(sheet, line.cell("unit"), line.unit, font=styles.INPUT_FONT, fill=styles.INPUT_FILL, alignment=styles.UNIT)
        sheet.add_data_validation(_unit_validation(line))
        _set(sheet, line.cell("factor"), Formula(f"=INDEX(unit_factors,MATCH({name}_unit,unit_names,0))"),
             font=styles.HELPER_FONT, number_format=styles.FACTOR_FORMAT_SCIENTIFIC, alignment=styles.TOP)
        _set(sheet, line.cell("base_unit"), unit_choices.base_unit(line.unit), font=styles.HELPER_FONT,
             alignment=styles.TOP)
        _define(workbook, f"{name}_factor", MODEL_SHEET, line.cell("factor"))
        _define(workbook, f"{name}_base", MODEL_SHEET, line.cell("base"))
        cached[line.cell("factor")] = factor
        cached[line.cell("base")] = float(line.quantity.to_base_units().magnitude)
    else:
        _set(sheet, line.cell("unit"), None, font=styles.INPUT_FONT)
    if is_input:
        _set(sheet, line.cell("value"), line.value, font=styles.INPUT_FONT, fill=styles.INPUT_FILL,
             number_format=value_format, alignment=styles.TOP)
        if not line.fraction:
            _write_base(sheet, line, Formula(f"={name}*{name}_factor"))
    else:
        _write_formula(sheet, line, lines, variant, value_format, cached)
    _write_ends(sheet, workbook, line, lines, value_format, cached, ends, ranged)
    _write_printed(sheet, workbook, line, value_format, cached)


def _write_ends(sheet: Worksheet, workbook: Workbook, line: Line, lines: Mapping[str, Line], value_format: str,
                cached: dict[str, float], ends: Spread, ranged: bool) -> None:
    """The low and high cells: typed numbers (or ``=<name>``) for an input, native formulas for a result."""
    name = line.name
    for side, value in zip(SIDES, (line.low, line.high)):
        reference = line.cell(side)
        _define(workbook, f"{name}_{side}", MODEL_SHEET, reference)
        if line.kind == "input":
            typed: Any = value if ranged else Formula(f"={name}")
            _set(sheet, reference, typed, font=styles.INPUT_FONT, fill=styles.INPUT_FILL, number_format=value_format,
                 alignment=styles.TOP)
            if not ranged:
                cached[reference] = value
            continue
        row: RowSpec = line.item  # type: ignore[assignment]
        formula = excel_formula(row.parsed, _end_reference(lines, ends, name, side))
        display = Formula(f"={formula}" if line.fraction else f"=({formula})/{name}_factor")
        _set(sheet, reference, display, font=styles.FORMULA_FONT, number_format=value_format, alignment=styles.TOP)
        cached[reference] = value


def _end_reference(lines: Mapping[str, Line], ends: Spread, row: str, side: str) -> Any:
    """How the ``side`` formula of ``row`` refers to a value it reads: that value's end that gives the side, in base units.

    An input's end is clamped to its base value (``MIN(<name>_low,<name>)``, ``MAX(<name>_high,<name>)``):
    a base moved outside its range widens the range to it, so a result's low and high always
    bracket its value; the sheet's range flag (:func:`range_flag_formula`) says which input moved.
    """

    def reference(name: str) -> str:
        end_side = ends.end(row, name, side)
        end = f"{name}_{end_side}"
        if lines[name].kind == "input":
            both = (_fraction(lines, end, name), _fraction(lines, name)) if lines[name].fraction else (end, name)
            end = f"{'MIN' if end_side == 'low' else 'MAX'}({','.join(both)})"
        return end if lines[name].fraction else f"({end}*{name}_factor)"

    return reference


#: Where the Model sheet says that a base value lies outside its Low-High range.
RANGE_FLAG_CELL = "A4"
#: The flag's text before the names of the inputs outside their ranges.
RANGE_FLAG_TEXT = "⚠ Value outside its Low-High range 数值超出低值-高值范围: "
RANGE_FLAG_ADVICE = (" — Low and High are read in the value's unit (column D): retype them; results' ranges "
                     "are widened to the value meanwhile.")


def range_flag_formula(lines: Mapping[str, Line]) -> str:
    """The native formula of :data:`RANGE_FLAG_CELL`: "" while every input lies in its range, else its names."""
    def number(reference: str, line: Line) -> str:
        return _fraction(lines, reference, line.name) if line.fraction else reference

    names = "&".join(f'IF(OR({number(line.name, line)}<{number(line.name + "_low", line)},'
                     f'{number(line.name, line)}>{number(line.name + "_high", line)}),"{line.name} ","")'
                     for line in lines.values() if line.kind == "input")
    return f'=IF(({names})="","","{RANGE_FLAG_TEXT}"&TRIM({names})&"{RANGE_FLAG_ADVICE}")'


def _flag_out_of_range(sheet: Worksheet, lines: Mapping[str, Line]) -> None:
    """The visible range flag (text in row 4) and a red fill on a value outside its Low-High range."""
    _set(sheet, RANGE_FLAG_CELL, Formula(range_flag_formula(lines)), font=styles.FLAG_FONT)
    for line in lines.values():
        if line.kind != "input":
            continue
        cells = f"{line.cell('value')}:{line.cell('high')}"
        outside = f"OR(${line.cell('value')}<${line.cell('low')},${line.cell('value')}>${line.cell('high')})"
        sheet.conditional_formatting.add(cells, FormulaRule(formula=[outside], fill=styles.FLAG_FILL,
                                                            font=styles.FLAG_FONT))


def _write_base(sheet: Worksheet, line: Line, formula: Formula) -> None:
    """The helper cell ``<name>_base``: the row's value in base units."""
    _set(sheet, line.cell("base"), formula, font=styles.HELPER_FONT, number_format=styles.SCIENTIFIC_FORMAT,
         alignment=styles.TOP)


def _write_formula(sheet: Worksheet, line: Line, lines: Mapping[str, Line], variant: str, value_format: str,
                   cached: dict[str, float]) -> None:
    """A derived row: the formula in base units (native) or the add-in call, and its display."""
    row: RowSpec = line.item  # type: ignore[assignment]
    name = line.name
    addin = _addin_call(lines, line)(row.parsed) if variant == "addin" and isinstance(row.parsed, Call) else None
    formula = excel_formula(row.parsed, _reference(lines))
    if addin is not None:
        display = Formula(f"={addin}")
        if not line.fraction:
            _write_base(sheet, line, Formula(f"={name}*{name}_factor"))
    elif line.fraction:
        display = Formula(f"={formula}")
    else:
        _write_base(sheet, line, Formula(f"={formula}"))
        display = Formula(f"={name}_base/{name}_factor")
    font = styles.RESULT_FONT if name == next(reversed(lines)) else styles.FORMULA_FONT
    _set(sheet, line.cell("value"), display, font=font, number_format=value_format, alignment=styles.TOP)
    cached[line.cell("value")] = line.value


def _write_printed(sheet: Worksheet, workbook: Workbook, line: Line, value_format: str,
                   cached: dict[str, float]) -> None:
    """The report's printed figure in the row's unit, and the differences."""
    item, name = line.item, line.name
    if item.printed is None:
        return
    printed_base = item.printed * unit_choices.factor(item.printed_unit)
    if line.fraction:
        _set(sheet, line.cell("printed"), item.printed, font=styles.PRINTED_FONT, number_format=value_format,
             alignment=styles.TOP)
        shown = item.printed
    else:
        _set(sheet, line.cell("printed"), Formula(f"={number_text(printed_base)}/{name}_factor"), font=styles.PRINTED_FONT,
             number_format=value_format, alignment=styles.TOP)
        shown = item.printed if item.printed_unit == line.unit else printed_base / unit_choices.factor(line.unit)
        cached[line.cell("printed")] = shown
    _define(workbook, f"{name}_printed", MODEL_SHEET, line.cell("printed"))
    _set(sheet, line.cell("difference"), Formula(f"={name}-{name}_printed"), font=styles.FORMULA_FONT,
         number_format=styles.difference_format(value_format), alignment=styles.TOP)
    _set(sheet, line.cell("ratio"), Formula(f"={name}/{name}_printed-1"), font=styles.FORMULA_FONT,
         number_format=styles.difference_format(styles.PERCENT_FORMAT), alignment=styles.TOP)
    cached[line.cell("difference")] = line.value - shown
    cached[line.cell("ratio")] = line.value / shown - 1


def _write_model_sheet(workbook: Workbook, spec: ModelSpec, lines: dict[str, Line], variant: str,
                       cached: dict[str, float], ends: Spread, ranged: set[str]) -> None:
    """The Model sheet: title, header, assumptions, results, layout and print setup."""
    sheet = workbook.active
    sheet.title = MODEL_SHEET
    suffix = " — add-in variant (needs the flopsheet add-in)" if variant == "addin" else ""
    _set(sheet, "A1", f"{spec.title_zh} — {spec.title_en}{suffix}", font=styles.TITLE_FONT)
    _set(sheet, "A2", f"Source 来源: {spec.citation}", font=styles.SUBTITLE_FONT)
    months = " A month is 1/12 Julian year = 30.4375 days." if any(
        "month" in line.item.choices for line in lines.values()) else ""
    _set(sheet, "A3", "Blue cells on yellow are assumptions: type a value, pick its unit from the list in "
         "column D, type its low and high in columns E-F. Black cells are formulas; a result's low and high are "
         f"the lowest and highest it gets from the ranges. Grey columns K-N convert to base units.{months}",
         font=styles.SUBTITLE_FONT)
    for key, header in HEADERS.items():
        _set(sheet, f"{COL[key]}{HEADER_ROW}", header, font=styles.HEADER_FONT, fill=styles.HEADER_FILL,
             alignment=styles.WRAP)
    first_derived = next(line for line in lines.values() if line.kind == "derived")
    for row, title in ((HEADER_ROW + 1, "假设 Assumptions"), (first_derived.row - 1, "计算结果 Results")):
        for key in COL:
            _set(sheet, f"{COL[key]}{row}", None, fill=styles.SECTION_FILL)
        _set(sheet, f"A{row}", title, font=styles.SECTION_FONT, fill=styles.SECTION_FILL)
    for line in lines.values():
        _write_line(sheet, workbook, line, lines, variant, cached, ends, line.name in ranged)
    _flag_out_of_range(sheet, lines)
    _layout(sheet, lines)


def _layout(sheet: Worksheet, lines: Mapping[str, Line]) -> None:
    """Column widths that fit, row heights for wrapped notes, frozen header, print setup."""
    widths = {key: float(width) for key, width in FIXED_WIDTHS.items()}
    widths["zh"] = styles.fit_width([line.item.label_zh for line in lines.values()])
    widths["en"] = styles.fit_width([line.item.label_en for line in lines.values()])
    widths["unit"] = styles.fit_width([option for line in lines.values() for option in line.item.choices] + ["Unit 单位"])
    widths["name"] = styles.fit_width([line.name for line in lines.values()])
    for key, width in widths.items():
        sheet.column_dimensions[COL[key]].width = width
    sheet.row_dimensions[HEADER_ROW].height = 30
    for line in lines.values():
        note = sheet[line.cell("note")].value or ""
        tallest = max(styles.wrapped_lines(note, widths["note"]), styles.wrapped_lines(line.item.label_zh, widths["zh"]),
                      styles.wrapped_lines(line.item.label_en, widths["en"]))
        sheet.row_dimensions[line.row].height = 15 * tallest + 2
        for key in ("zh", "en"):
            sheet[line.cell(key)].alignment = styles.WRAP
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"
    last = max(line.row for line in lines.values())
    sheet.print_area = f"A1:{COL['note']}{last}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.sheet_view.zoomScale = 100


def _write_units_sheet(workbook: Workbook, lines: Mapping[str, Line]) -> None:
    """The Units sheet: every unit the dropdowns offer, with its factor to the base unit."""
    sheet = workbook.create_sheet(UNITS_SHEET)
    rows = unit_choices.unit_rows(line.unit for line in lines.values())
    headers = ("Unit 单位", "Dimension 量纲", "Factor to base unit", "Base unit", "Note")
    for column, header in enumerate(headers, start=1):
        _set(sheet, f"{get_column_letter(column)}1", header, font=styles.HEADER_FONT, fill=styles.HEADER_FILL)
    for index, unit in enumerate(rows, start=2):
        _set(sheet, f"A{index}", unit.unit)
        _set(sheet, f"B{index}", unit.dimension)
        _set(sheet, f"C{index}", unit.factor, number_format=styles.factor_format(unit.factor))
        _set(sheet, f"D{index}", unit.base)
        _set(sheet, f"E{index}", unit.note)
    last = len(rows) + 1
    _define(workbook, "unit_names", UNITS_SHEET, f"A2:A{last}")
    _define(workbook, "unit_factors", UNITS_SHEET, f"C2:C{last}")
    for column, width in zip("ABCDE", (18, 36, 20, 14, 70)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _spec(spec_or_name: ModelSpec | str | Path) -> ModelSpec:
    return spec_or_name if isinstance(spec_or_name, ModelSpec) else load_spec(spec_or_name)


def build_workbook(spec_or_name: ModelSpec | str | Path, *, variant: str = "native",
                   overrides: Mapping[str, Any] | None = None, frame: pd.DataFrame | None = None,
                   ranges: Ranges | None = None) -> tuple[Workbook, dict[str, dict[str, float]]]:
    """Build a spec's template in memory: the workbook and the cached values of its formulas.

    ``frame`` is the evaluation of the spec with ``overrides`` when the caller already
    has it (a report evaluates once); otherwise the spec is evaluated here. ``ranges``
    (input name -> (low, high) quantities) fill the low/high columns; by default the
    spec's ``low``/``high`` of the inputs not overridden (:func:`default_ranges`).
    Callers add sheets as they need, then save once with :func:`.package.save_deterministic`.
    """
    if variant not in VARIANTS:
        raise InputError("variant", variant, " or ".join(f'"{name}"' for name in VARIANTS))
    spec = _spec(spec_or_name)
    ranges = default_ranges(spec, overrides) if ranges is None else ranges
    lines, notes, ends = _lines(spec, overrides, frame, ranges)
    workbook = Workbook()
    cached: dict[str, float] = {}
    _write_model_sheet(workbook, spec, lines, variant, cached, ends, set(ranges))
    _write_units_sheet(workbook, lines)
    write_readme(workbook.create_sheet(README_SHEET), spec, lines, notes, variant)
    workbook.properties.creator = "flopsheet build"
    workbook.properties.title = f"{spec.title_zh} — {spec.title_en}"
    sheets = {MODEL_SHEET: cached}
    values = {name: line.value for name, line in lines.items()}
    for index, chart in enumerate(spec.charts, start=1):
        charted = chart.series[0][1][0]
        sheets[chart.sheet] = write_chart_sheet(workbook, chart, values, lines[charted].unit, index)
    if spec.table is not None:
        sheets[spec.table.sheet] = write_table_sheet(
            workbook, spec.table, values, {name: line.item.format for name, line in lines.items()},
            {name: line.unit for name, line in lines.items()}, 1 + len(spec.charts))
    return workbook, sheets


def compile_workbook(spec_or_name: ModelSpec | str | Path, path: str | Path, *, variant: str = "native",
                     overrides: Mapping[str, Any] | None = None, argument: str = "-o") -> Path:
    """Compile a spec into an .xlsx template (see the module docstring for the layout).

    Parameters
    ----------
    spec_or_name : ModelSpec, str or Path
        A loaded spec, a spec name or a spec file.
    path : str or Path
        The .xlsx to write (parent folders are created; written atomically).
    variant : {"native", "addin"}, default "native"
        "addin" writes formula rows with the flopsheet Excel functions.
    overrides : mapping of input name to value, optional
        Input values to write instead of the spec defaults (as :func:`evaluate` reads
        them); a value keeps its own unit when the dropdown offers it.

    Returns
    -------
    Path
        ``path``. The same spec, variant and overrides always give the same bytes.
    """
    workbook, cached = build_workbook(spec_or_name, variant=variant, overrides=overrides)
    return save_deterministic(workbook, Path(path), cached, argument=argument)


def template_name(spec_name: str, variant: str = "native") -> str:
    """The template file name of a spec and variant ("table5_kimi_training_addin.xlsx")."""
    return f"{spec_name}{'_addin' if variant == 'addin' else ''}.xlsx"


def build_templates(outdir: str | Path = TEMPLATE_DIR) -> list[Path]:
    """Write every template: one per spec, plus the add-in variant of each spec that calls formulas.

    Returns
    -------
    list of Path
        The written files: natives in ``spec_names()`` order, then the add-in variants.
    """
    outdir = Path(outdir)
    written = [compile_workbook(name, outdir / template_name(name), argument="--outdir") for name in spec_names()]
    written += [compile_workbook(name, outdir / template_name(name, "addin"), variant="addin", argument="--outdir")
                for name in addin_specs()]
    return written
