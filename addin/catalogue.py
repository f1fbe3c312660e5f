"""The one table of flopsheet's Excel functions.

Each :class:`ExcelFunction` names the Excel function, the formula it calls (from
:mod:`flopsheet.formulas`, or a small helper of :mod:`flopsheet.addin.extras`), its
arguments with their default units, and its result unit. Every host registration
(classic xlwings COM, xlwings Server / Office.js, xlwings Lite) is generated from
:data:`FUNCTIONS` by :mod:`flopsheet.addin.register`; nothing here imports xlwings.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import formulas
from ..formulas import args
from . import extras

#: Marks an argument without a default (the cell must hold a value).
REQUIRED: Any = inspect.Parameter.empty

#: Office.js and Excel's function wizard cut descriptions longer than this.
MAX_DESCRIPTION = 255


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


def _default(formula: Callable[..., Any], name: str) -> Any:
    """The formula's own default for ``name``: the one source of every default value."""
    return inspect.signature(formula).parameters[name].default


def _value(name: str, label: str, kind: args.ArgKind, formula: Callable[..., Any] | None = None) -> Param:
    """A quantity argument whose default unit and example come from formulas.args."""
    default = _default(formula, name) if formula is not None else REQUIRED
    return Param(name, label, "value", kind.unit, kind.example, default)


_PEAK = Param("peak", 'Peak per card, or a catalogue reference like "A100 tf32" ("A100 tf32 sparse")',
              "value", args.PEAK.unit, "156 TFLOPS")
_UTILIZATION = Param("utilization", 'Fraction of peak achieved (MFU), in (0, 100%]; "30.2% @ A100 bf16" '
                     "states the precision it was measured on", "value", args.UTILIZATION.unit, "30.2%")
_FLOPS = _value("flops", "Training compute (a count)", args.FLOP)
_CARD = Param("card", "An accelerator name or alias from the catalogue (see CARD_LIST)", "name", example="A100")


def _per_param_token(formula: Callable[..., Any]) -> Param:
    """The FLOP-per-parameter-per-token argument, with ``formula``'s default (6 training, 2 inference)."""
    return _value("flop_per_param_token", "FLOP per parameter per token", args.FLOP_PER_PARAM_TOKEN, formula)


def _card_field(name: str, formula: Callable[..., Any], what: str, unit: str, example: str) -> ExcelFunction:
    """A per-card catalogue lookup (memory, bandwidth, power)."""
    return ExcelFunction(name, formula, f"{what} of an accelerator, per card, from the catalogue.", (_CARD,),
                         ResultUnit(unit, example))


FUNCTIONS: tuple[ExcelFunction, ...] = (
    ExcelFunction(
        "DATA_TOKENS", formulas.data_tokens,
        "Tokens in a training-data size: data / bytes_per_char / chars_per_word / words_per_token.",
        (_value("data", "Training data size (TB is decimal, TiB binary)", args.DATA),
         _value("bytes_per_char", "Bytes per character (2 = UTF-16)", args.BYTES_PER_CHAR, formulas.data_tokens),
         _value("chars_per_word", "Characters per word", args.CHARS_PER_WORD, formulas.data_tokens),
         _value("words_per_token", "Words per token", args.WORDS_PER_TOKEN, formulas.data_tokens)),
        ResultUnit("token", "万亿token")),
    ExcelFunction(
        "TRAIN_FLOPS", formulas.train_flops,
        "Training compute of a dense model: params * tokens * flop_per_param_token.",
        (_value("params", "Parameter count", args.PARAMETERS), _value("tokens", "Training tokens", args.TOKENS),
         _per_param_token(formulas.train_flops)),
        ResultUnit("FLOP", "TFLOP")),
    ExcelFunction(
        "TRAIN_CARDS", formulas.train_cards,
        "Cards needed to train flops within duration: flops / (peak * utilization * duration).",
        (_FLOPS, _PEAK, _UTILIZATION,
         _value("duration", "Wall-clock training time (a month is 30.4375 days)", args.DURATION)),
        ResultUnit("card", "万张"), warns=True),
    ExcelFunction(
        "TRAIN_DURATION", formulas.train_duration,
        "Wall-clock time for cards to train flops: flops / (cards * peak * utilization).",
        (_FLOPS, _value("cards", "Cards in the cluster", args.CARDS), _PEAK, _UTILIZATION),
        ResultUnit("day", "month"), warns=True),
    ExcelFunction(
        "TRAIN_CARD_HOURS", formulas.train_card_hours,
        "Accelerator time that flops of training consume: flops / (peak * utilization).",
        (_FLOPS, _PEAK, _UTILIZATION),
        ResultUnit("card_hour", "card_day"), warns=True),
    ExcelFunction(
        "INFER_FLOPS", formulas.infer_flops,
        "Compute of one inference call: params * tokens * flop_per_param_token.",
        (_value("params", "Parameter count (active parameters for MoE)", args.PARAMETERS),
         _value("tokens", "Tokens per call, prompt plus answer", args.TOKENS), _per_param_token(formulas.infer_flops)),
        ResultUnit("FLOP", "TFLOP")),
    ExcelFunction(
        "INFER_CARDS", formulas.infer_cards,
        "Cards that serve a day's calls within its busy hours.",
        (_value("flops_per_call", "Compute per call", args.FLOP_PER_CALL),
         _value("calls_per_day", "Calls a day (DAU x calls per user)", args.CALL_RATE),
         _PEAK, _UTILIZATION,
         _value("busy_hours", "Hours a day the demand is spread over, in (0, 24]", args.BUSY_HOURS,
                formulas.infer_cards)),
        ResultUnit("card", "万张"), warns=True),
    ExcelFunction(
        "CARD_PEAK", formulas.card_peak,
        "Peak throughput of an accelerator per card at a precision (dense unless sparse).",
        (_CARD,
         Param("precision", "fp64, fp32, tf32, bf16, fp16, fp8, int8 or fp4", "name", example="tf32"),
         Param("sparse", "TRUE for the 2:4 structured-sparsity figure", "flag",
               default=_default(formulas.card_peak, "sparse"))),
        ResultUnit("TFLOPS/card", "PFLOPS")),
    _card_field("CARD_MEMORY", formulas.card_memory, "Memory capacity", "GB/card", "GiB"),
    _card_field("CARD_BANDWIDTH", formulas.card_bandwidth, "Memory bandwidth", "GB/s/card", "TB/s"),
    _card_field("CARD_POWER", formulas.card_power, "Thermal design power (TDP)", "W/card", "kW"),
    ExcelFunction(
        "CARD_LIST", extras.card_table,
        "The accelerator catalogue as a table with headers: dense peaks, memory, bandwidth, TDP, source.",
        (Param("unit", "Unit of the peak columns", "name", example="PFLOPS/card",
               default=_default(extras.card_table, "unit")),)),
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


def by_name() -> dict[str, ExcelFunction]:
    """Return the catalogue keyed by Excel name."""
    return {function.name: function for function in FUNCTIONS}
