"""Banker conventions for the template workbooks: colours, fonts, number formats, widths.

Inputs are blue on light yellow (a person typed them), formulas black, reference data
(the report's printed figures) dark grey, helper columns light grey.
"""

from __future__ import annotations

import math

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from ..model import unit_choices
from ..outputs.text_table import display_width

INPUT_FONT = Font(name="Calibri", size=11, color="0000FF")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
FORMULA_FONT = Font(name="Calibri", size=11, color="000000")
RESULT_FONT = Font(name="Calibri", size=11, color="000000", bold=True)
PRINTED_FONT = Font(name="Calibri", size=11, color="595959", italic=True)
HELPER_FONT = Font(name="Calibri", size=9, color="808080")
TITLE_FONT = Font(name="Calibri", size=14, bold=True)
SUBTITLE_FONT = Font(name="Calibri", size=10, color="595959")
HEADER_FONT = Font(name="Calibri", size=11, bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
SECTION_FONT = Font(name="Calibri", size=11, bold=True, color="1F4E78")
SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")
#: A value outside its Low-High range: the flag text and the conditional fill of its cells.
FLAG_FONT = Font(name="Calibri", size=11, bold=True, color="C00000")
FLAG_FILL = PatternFill("solid", fgColor="F8CBAD", bgColor="F8CBAD")
WRAP = Alignment(wrap_text=True, vertical="top")
#: The note column: wrapped, set off from the percentage just left of it.
NOTE = Alignment(wrap_text=True, vertical="top", indent=1)
TOP = Alignment(vertical="top")
UNIT = Alignment(vertical="top", indent=1)
THIN_BOTTOM = Border(bottom=Side(style="thin", color="BFBFBF"))

PERCENT_FORMAT = "0.0%"
SCIENTIFIC_FORMAT = "0.00E+00"
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
#: Values at or above this are shown in scientific notation.
SCIENTIFIC_FROM = 1e15
#: Values at or above this are shown without decimals.
INTEGER_FROM = 1000
#: Widest a column may grow to fit its text (characters).
MAX_WIDTH = 48


def number_format(value: float, unit: str, chosen: str = "") -> str:
    """Return the Excel number format of a row.

    Parameters
    ----------
    value : float
        The default value, in ``unit`` (sets the magnitude class).
    unit : str
        "" is a fraction (percent); FLOP counts are always scientific.
    chosen : str, optional
        The spec's own format, which wins.
    """
    if chosen:
        return chosen
    if unit == "":
        return PERCENT_FORMAT
    if unit_choices.dimension_text(unit) == "[compute]" or abs(value) >= SCIENTIFIC_FROM:
        return SCIENTIFIC_FORMAT
    if abs(value) >= INTEGER_FROM:
        return INTEGER_FORMAT
    return DECIMAL_FORMAT


def difference_format(value_format: str) -> str:
    """The difference column's format: the value's, negatives in red."""
    if ";" in value_format:
        return value_format
    return f"{value_format};[Red]-{value_format}"


def fit_width(texts: list[str], minimum: int = 8) -> float:
    """Return a column width that fits the texts (汉字 count double), capped at MAX_WIDTH."""
    widest = max((display_width(text) for text in texts if text), default=minimum)
    return float(min(max(widest + 2, minimum), MAX_WIDTH))


#: Characters of proportional text that fit in one unit of column width (measured on LibreOffice renders).
CHARACTERS_PER_WIDTH = 1.15


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes in a wrapped cell of ``width`` characters."""
    return max(1, math.ceil(display_width(text) / max((width - 1) * CHARACTERS_PER_WIDTH, 1)))


#: Format of a unit's conversion factor: every digit of a float, never General's cut 9.00719925474099E+15.
FACTOR_FORMAT_SCIENTIFIC = "0.##############E+00"
FACTOR_FORMAT_INTEGER = "#,##0"
#: Largest whole factor shown in full (above it, scientific).
FACTOR_INTEGER_BELOW = 1e15


def factor_format(factor: float) -> str:
    """The number format of a conversion factor: whole factors in full (86,400), others scientific with all digits."""
    whole = float(factor).is_integer() and abs(factor) < FACTOR_INTEGER_BELOW
    return FACTOR_FORMAT_INTEGER if whole else FACTOR_FORMAT_SCIENTIFIC
