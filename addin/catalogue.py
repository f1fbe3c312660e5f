"""flopsheet's Excel functions, generated from the formula table.

Each :class:`ExcelFunction` names the Excel function, the formula it calls, its
arguments with their default units, and its result unit. The computing functions come
from :data:`flopsheet.formulas.FUNCTIONS` (one record each; nothing is restated here);
the Excel-only extras (CARD_LIST, UNIT_CONVERT, QTY, FLOPSHEET_VERSION) are
:data:`EXTRAS`. Every host registration (classic xlwings COM, xlwings Server /
Office.js, xlwings Lite) is generated from :data:`FUNCTIONS` by
:mod:`flopsheet.addin.register`; nothing here imports xlwings.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..formulas import FUNCTIONS as FORMULAS
from ..formulas import Formula, Parameter
from ..formulas.table import MAX_DESCRIPTION
from . import extras

#: Marks an argument without a default (the cell must hold a value).
REQUIRED: Any = inspect.Parameter.empty



@dataclass(frozen=True)
class Param:
    """One Excel argument.

    name : the Excel (and Python formula) argument name, used in error messages.
    label : what the argument is, in a few words.
    kind : "value" (numbers or text, ranges allowed), "name" (one text cell: a card,
        a precision, a unit), "flag" (TRUE/FALSE).
    unit : default unit of bare numbers ("" when not a quantity).
    example : a valid cell value for the help text.
    default : the value used when the argument is omitted or its cell is empty.
    """

    name: str
    label: str
    kind: str = "value"
    unit: str = ""
    example: str = ""
    default: Any = REQUIRED

    @property
    def optional(self) -> bool:
        """True when the argument may be omitted."""
        return self.default is not REQUIRED

    @property
    def doc(self) -> str:
        """The argument help Excel shows (at most 255 characters)."""
        parts = [self.label]
        if self.unit == "dimensionless":
            parts.append("bare numbers are fractions (0.302 = 30.2%)")
        elif self.unit:
            parts.append(f"bare numbers in {self.unit}")
        if self.example:
            parts.append(f'e.g. "{self.example}"')
        if self.optional:
            parts.append(f"default {_show_default(self.default)}")
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class ResultUnit:
    """The last argument of a function: the unit of the number the cell gets.

    name : argument name ("unit", or "to_unit" for UNIT_CONVERT).
    default : default unit text; None keeps the quantity's own unit.
    required : the argument must be given (UNIT_CONVERT).
    example : another valid unit for the help text.
    """

    default: str | None
    example: str
    name: str = "unit"
    required: bool = False

    @property
    def doc(self) -> str:
        """The argument help Excel shows."""
        if self.required:
            return f'Unit of the result, e.g. "{self.example}".'
        default = f'"{self.default}"' if self.default else "the value's own unit"
        return f'Unit of the result, e.g. "{self.example}"; default {default}.'


@dataclass(frozen=True)
class ExcelFunction:
    """One Excel function: name, formula, arguments, result unit.

    name : the Excel name ("TRAIN_CARDS"), also the Python name of the wrappers.
    formula : called with the arguments in ``params`` order.
    summary : one sentence; becomes the function description in Excel.
    params : the formula's arguments, in order.
    result : the result-unit argument, or None when the function returns text/table.
    warns : the formula may emit an AssumptionWarning (gets a ``<NAME>_NOTE`` companion).
    """

    name: str
    formula: Callable[..., Any]
    summary: str
    params: tuple[Param, ...]
    result: ResultUnit | None = None
    warns: bool = False

    @property
    def description(self) -> str:
        """The function help Excel shows (at most 255 characters)."""
        if self.result is not None and self.result.default:
            return f"{self.summary} Result in {self.result.default} unless unit is given."
        return self.summary

    @property
    def argument_names(self) -> tuple[str, ...]:
        """Excel argument names, result unit last."""
        unit = (self.result.name,) if self.result is not None else ()
        return tuple(param.name for param in self.params) + unit

    def argument_docs(self) -> dict[str, str]:
        """Excel argument name -> help text, in order, result unit last."""
        docs = {param.name: param.doc for param in self.params}
        if self.result is not None:
            docs[self.result.name] = self.result.doc
        return docs


def _show_default(value: Any) -> str:
    """Render a default for the help text (TRUE/FALSE like Excel)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return f"{value:g}" if isinstance(value, (int, float)) else f'"{value}"'


#: How a formula-table role is read from a cell.
_CELL_KINDS = {"quantity": "value", "name": "name", "flag": "flag"}


def _param(parameter: Parameter) -> Param:
    """The Excel argument of one formula-table parameter."""
    unit = parameter.kind.unit if parameter.kind is not None else ""
    return Param(parameter.excel_name, parameter.label, _CELL_KINDS[parameter.role], unit, parameter.shown_example,
                 parameter.default)


def excel_function(formula: Formula) -> ExcelFunction:
    """The Excel function of one formula-table record."""
    return ExcelFunction(formula.excel_name, formula.function, formula.summary,
                         tuple(_param(parameter) for parameter in formula.params),
                         None if formula.table else ResultUnit(formula.result_unit, formula.result_example),
                         warns=formula.warns)


#: The Excel-only extras: reading a quantity, converting units, the catalogue table, the version.
EXTRAS: tuple[ExcelFunction, ...] = (
    ExcelFunction(
        "CARD_LIST", extras.card_table,
        "The accelerator catalogue as a table with headers: dense peaks, memory, bandwidth, TDP, source.",
        (Param("unit", "Unit of the peak columns", "name", example="PFLOPS/card",
               default=inspect.signature(extras.card_table).parameters["unit"].default),)),
    ExcelFunction(
        "UNIT_CONVERT", extras.unit_convert,
        'Convert a quantity to another unit: UNIT_CONVERT("30 TB", "TiB") is 27.28.',
        (Param("value", "A quantity with its unit", "value", example="30 TB"),),
        ResultUnit(None, "TiB", name="to_unit", required=True)),
    ExcelFunction(
        "QTY", extras.qty,
        'The number in a cell\'s text, in a unit: QTY("2000亿") is 2e11, QTY("1.38万张", "card") 13800.',
        (Param("text", "Cell text such as \"30 TB\", \"2000亿\" or \"30.2%\"", "value", example="4.9万亿 tokens"),),
        ResultUnit(None, "token")),
    ExcelFunction("FLOPSHEET_VERSION", extras.version, "The version of flopsheet that computes these functions.", ()),
)

#: Every Excel function: one per formula-table record, then the extras.
FUNCTIONS: tuple[ExcelFunction, ...] = tuple(excel_function(formula) for formula in FORMULAS) + EXTRAS


def by_name() -> dict[str, ExcelFunction]:
    """Return the catalogue keyed by Excel name."""
    return {function.name: function for function in FUNCTIONS}
