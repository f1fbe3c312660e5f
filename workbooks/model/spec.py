"""Model specs: one TOML file per table under ``workbooks/specs/``, loaded and checked.

A spec is the single source of a template workbook and of the headless evaluator::

    name = "table5_kimi_training"            # file stem; also the CLI/API name
    title_en = "Kimi training compute"
    title_zh = "Kimi 训练算力测算"
    audit = ["37,580,963,840 = 35 x 1024^3 ...", ...]   # facts the README sheet states

    [citation]                               # where the printed numbers come from
    seed = "001_7b29be997465feb3.txt"
    table = "表5: Kimi 训练算力测算 (Table 5)"
    page = "p. 11"
    text = "5.9 万亿 TFLOPs / (156 TFLOPs × 30.2% × ...) = 1.38 万张"

    [[input]]                                # an assumption (an editable cell)
    name = "duration"                        # defined name in the workbook
    label_zh = "训练时长"
    label_en = "Training time"
    value = 3                                # number or text read by flopsheet.Q
    unit = "month"                           # "" = a fraction (shown as %)
    printed = "3 months"                     # optional: the report's figure
    note = "..."
    source = "..."
    # optional: kind = "utilization", measured_on = "A100 bf16", format = "0.0%"
    low = "90 days"                          # optional, with high: the input's range (read
    high = "105 days"                        # like value); the templates' low/high columns,
                                             # flopsheet simulate's default ranges

    [[row]]                                  # a derived row (a formula cell)
    name = "cards"
    label_zh = "..."
    label_en = "..."
    expr = "train_cards(flops, peak, utilization, duration)"   # see expressions.py
    unit = "card"
    printed = "13,793"                       # optional; printed_unit defaults to unit
    note = "..."

Optional sheets: ``[chart]`` (title, categories, series of rows in one unit; ``[[chart]]``
with a ``sheet`` name for more than one) and ``[table]`` (sheet, title, note, columns, rows
of ``{ label = "...", cells = ["row", ...] }``: a grid of rows, "" for an empty cell).

Loading checks everything a template build needs and raises :class:`SpecError`
naming the file, the row and the expression: unknown keys, names that are not valid
Excel names, unknown units, expressions outside the grammar, unknown names, cycles,
and dimensions (pint evaluates every row at the default inputs and converts it to
the row's unit).
"""

from __future__ import annotations

import math
import re
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pint

from ...formulas import Peak, Utilization, as_peak, as_utilization
from ...formulas.args import require_positive
from ...formulas.catalogues.peaks import looks_like_reference
from ...units.parse import NUMBER_EXPECTED
from ...units import (UserFileError, AssumptionWarning, FlopsheetError, InputError, InputRangeError, Q, SpecError, UnitInputError,
                     UnknownNameError, parse_unit)
from ...units.ranges import Distribution
from ...units.user_files import read_user_file, user_text
from . import unit_choices
from .expressions import Expr, ExpressionError, evaluate_expr, parse_expression  # noqa: F401 - re-exported

SPEC_DIR = Path(__file__).parents[1] / "specs"
#: Largest spec file read (bytes): a model of a few hundred rows is far smaller.
MAX_SPEC_BYTES = 1_000_000
#: Longest name: Excel's defined-name limit (255) minus the longest helper suffix ("_printed").
MAX_NAME_LENGTH = 255 - len("_printed")
#: Characters a unit text may not hold: they would break the dropdown's list formula.
UNIT_FORBIDDEN = frozenset('",;')
#: Listing position of a spec without an ``order`` key: after every ordered one.
DEFAULT_ORDER = 1000.0
#: Suffixes the compiler appends to a row name for its helper cells.
HELPER_SUFFIXES: tuple[str, ...] = ("_unit", "_factor", "_base", "_printed", "_low", "_high")
#: Names the compiler itself defines on the Units sheet.
RESERVED_NAMES = frozenset({"unit_names", "unit_factors", "true", "false"})
#: A valid name: lower-case letters, digits, underscores; starts with a letter.
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Names Excel would read as a cell reference (A1 or R1C1 style).
_CELL_LIKE = re.compile(r"^([a-z]{1,3}\d+|r\d*c?\d*|c\d*)$")
#: Rate dimension of a per-card peak (TFLOPS/card).
_PEAK_UNIT = "TFLOPS/card"
_INPUT_KEYS = {"name", "label_en", "label_zh", "value", "unit", "note", "source", "printed", "printed_unit",
               "kind", "measured_on", "format", "low", "high"}
_ROW_KEYS = {"name", "label_en", "label_zh", "expr", "unit", "printed", "printed_unit", "note", "format",
             "solve_for"}
_TOP_KEYS = {"name", "title_en", "title_zh", "citation", "audit", "input", "row", "order", "case", "chart", "table"}
_CHART_KEYS = {"title", "categories", "series", "sheet"}
_TABLE_KEYS = {"title", "note", "sheet", "columns", "rows"}
#: Sheet of the first chart (later ones name their own).
CHART_SHEET_NAME = "Chart"
_CASE_KEYS = {"label", "set", "row", "units", "format", "printed"}
_INPUT_KINDS = ("quantity", "peak", "utilization")


#: The file name of a seed report (../shared/seeds/): three digits, then an underscore and a hash.
SEED_FILE = re.compile(r"\d{3}(_[0-9a-f]+)?\.txt$")


class Citation(str):
    """The source of a spec's printed numbers; behaves as its one-line text.

    Attributes ``seed`` (file), ``table``, ``page`` and ``text`` (the page text).
    """

    seed: str
    table: str
    page: str
    text: str

    def __new__(cls, seed: str, table: str, page: str, text: str = "") -> Citation:
        # a seed report is "NNN_<hash>.txt"; a spec built on a catalogue names the file as its source
        kind = "seed" if SEED_FILE.match(seed) else "source"
        line = super().__new__(cls, f"{kind} {seed}, {table}, {page}")
        line.seed, line.table, line.page, line.text = seed, table, page, text
        return line

    def __reduce__(self) -> tuple[Any, ...]:
        return (Citation, (self.seed, self.table, self.page, self.text))


@dataclass(frozen=True)
class Reading:
    """An input value read for evaluation.

    quantity : the value as a pint quantity, in ``unit``.
    unit : the unit text it is shown in (the spec unit or a dropdown unit).
    rich : what a formula receives when the input is passed directly (Peak or
        Utilization carrying card and precision), else the quantity.
    """

    quantity: pint.Quantity
    unit: str
    rich: Any


@dataclass(frozen=True)
class InputSpec:
    """An assumption: an editable value cell with a unit dropdown.

    value : float or str, as written in the spec (text read by flopsheet.Q in ``unit``;
        a peak may be a catalogue reference "A100 tf32").
    unit : str, the unit the value is shown in; "" for a fraction (utilization).
    printed : float or None, the report's figure in ``printed_unit``.
    kind : "quantity", "peak" (per-card rate, catalogue references allowed) or
        "utilization" (a fraction in (0, 100%], possibly measured on a card/precision).
    measured_on : str, for a utilization: the peak it was measured against ("A100 bf16").
    low, high : float or str or None, the input's range, read like ``value`` (both or
        neither; low <= value <= high).
    """

    name: str
    label_en: str
    label_zh: str
    value: str | float
    unit: str
    note: str = ""
    source: str = ""
    printed: float | None = None
    printed_unit: str = ""
    kind: str = "quantity"
    measured_on: str = ""
    format: str = ""
    low: str | float | None = None
    high: str | float | None = None

    @property
    def dimensionality(self) -> Any:
        """The pint dimensionality every value of this input must have."""
        return unit_choices.unit_of(self.unit).dimensionality

    @property
    def quantity(self) -> pint.Quantity:
        """The default value as a pint quantity in the input's unit."""
        return self.read().quantity

    @property
    def choices(self) -> tuple[str, ...]:
        """The units the workbook's dropdown offers (none for a fraction)."""
        return _dropdown(self.unit)

    @property
    def spread(self) -> Distribution | None:
        """The spec's range (``low`` to ``high``) as a uniform distribution in ``unit``; None without one."""
        if self.low is None or self.high is None:
            return None
        reading = self.read(self.low)
        unit = reading.quantity.units
        low, high = (float(self.read(end).quantity.to(unit).magnitude) for end in (self.low, self.high))
        return Distribution("uniform", f"{self.low}..{self.high}", unit, low, high, (low, high))

    def read(self, value: Any = None) -> Reading:
        """Read ``value`` (the default when None) as this input, checking dimension and range.

        Raises
        ------
        UnitInputError
            Unreadable, or of another dimension than ``unit``.
        InputRangeError
            Zero or negative; a utilization outside (0, 100%].
        UnknownNameError
            A catalogue reference to an unknown card or precision.
        """
        default = value is None
        given = self.value if default else value
        if self.kind == "peak":
            return self._read_peak(given)
        if self.kind == "utilization":
            if default and self.measured_on and isinstance(given, str) and "@" not in given:
                given = f"{given} @ {self.measured_on}"
            used = as_utilization(given, argument=self.name)
            return Reading(Q(used.value), "", used)
        try:
            quantity = Q(given, self.unit or "dimensionless", argument=self.name)
        except UnitInputError as error:
            if error.expected != NUMBER_EXPECTED:
                raise
            raise UnitInputError(self.name, error.given, self._expected(), error.detail) from None
        quantity = self._checked(quantity, given)
        shown, unit = self._shown(quantity)
        return Reading(shown, unit, None)

    def _read_peak(self, given: Any) -> Reading:
        """A peak: a catalogue reference ("A100 bf16"), a rate, or a number in ``unit``."""
        if isinstance(given, str) and looks_like_reference(given):
            peak = as_peak(given, argument=self.name)
            rate = peak.rate
        elif isinstance(given, Peak):
            peak, rate = given, given.rate
        else:
            rate = Q(given, self.unit, argument=self.name)
            if rate.dimensionality == unit_choices.unit_of("FLOPS").dimensionality:
                rate = rate / Q(1, "card")
            peak = as_peak(self._checked(rate, given), argument=self.name)
        quantity, unit = self._shown(rate)
        return Reading(quantity, unit, peak)

    def _expected(self) -> str:
        """What this input takes, for messages: 'a quantity in units like month ([time]), e.g. "3 month"'."""
        if not self.unit:
            return f'a plain number, e.g. "{_example(self)}"'
        return (f"a quantity in units like {self.unit} ({unit_choices.dimension_text(self.unit)}), "
                f"e.g. \"{_example(self)}\"")

    def _checked(self, quantity: pint.Quantity, given: Any) -> pint.Quantity:
        """Check dimension and sign; return the quantity unchanged."""
        if quantity.dimensionality != self.dimensionality:
            raise UnitInputError(self.name, _given(given), self._expected())
        if np.ndim(quantity.magnitude):  # an array (a sweep, a simulation): the formulas' own check
            require_positive(quantity, self.name, given)
        elif quantity.magnitude <= 0:
            raise InputRangeError(self.name, _given(given), "greater than 0")
        return quantity

    def _shown(self, quantity: pint.Quantity) -> tuple[pint.Quantity, str]:
        """Express a quantity in a dropdown unit that spells its own unit, else in ``unit``."""
        chosen = unit_choices.matching_choice(quantity.units, self.choices) if self.unit else None
        unit = chosen or self.unit
        return quantity.to(unit_choices.unit_of(unit)), unit


def _dropdown(unit: str) -> tuple[str, ...]:
    """The dropdown units of a row's unit; a fraction ("") has none."""
    return () if unit == "" else unit_choices.choices(unit)


def _given(value: Any) -> Any:
    """A value as an error message shows it."""
    if isinstance(value, pint.Quantity):
        return f"{value.magnitude:g} {value.units:~P}".strip()
    return value


def _example(item: InputSpec) -> str:
    """An example value for messages ("3 month")."""
    return f"{item.value} {item.unit}".strip() if not isinstance(item.value, str) else item.value


@dataclass(frozen=True)
class RowSpec:
    """A derived row: a formula cell computed from inputs and other rows.

    expr : str in the grammar of :mod:`.expressions`.
    unit : str, the result unit ("" for a fraction or ratio).
    printed : float or None, the report's figure in ``printed_unit``.
    solve_for : str, the input the audit solves for when the printed figure does not
        follow (default: the first input the expression reads).
    """

    name: str
    label_en: str
    label_zh: str
    expr: str
    unit: str
    printed: float | None = None
    printed_unit: str = ""
    note: str = ""
    format: str = ""
    solve_for: str = ""

    @cached_property
    def parsed(self) -> Expr:
        """The parsed expression."""
        return parse_expression(self.expr)

    @property
    def choices(self) -> tuple[str, ...]:
        """The units the workbook's dropdown offers (none for a fraction)."""
        return _dropdown(self.unit)


@dataclass(frozen=True)
class Case:
    """A named what-if of a spec, for ``flopsheet summary``: inputs set, one row shown.

    label : what the case is ("cards, 105 days").
    overrides : input values, as :func:`flopsheet.evaluate` reads them.
    row : the input or row whose value the case shows.
    units : the units to show it in (several are joined by " = "); the row's own by default.
    format : a Python format spec for the number (",.0f"); flopsheet's engineering format by default.
    printed : what the report printed for it, as text ("" for none).
    """

    label: str
    overrides: dict[str, Any]
    row: str
    units: tuple[str, ...] = ()
    format: str = ""
    printed: str = ""


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart of rows, for the template's Chart sheet (``[chart]`` in a spec).

    title : the chart title.
    categories : one label per group of bars ("A10", "H100").
    series : (name, row names) pairs; each names one row per category, all in one unit.
    """

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[str, ...]], ...]
    sheet: str = CHART_SHEET_NAME


@dataclass(frozen=True)
class TableSpec:
    """A grid of rows on its own sheet (``[table]`` in a spec): one line per label, one cell per column.

    title, note : the sheet's heading and the line under it.
    sheet : the sheet name.
    columns : the column headers.
    lines : (label, row names) pairs; each names one row per column (or "" for an empty cell).
    """

    title: str
    note: str
    sheet: str
    columns: tuple[str, ...]
    lines: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class ModelSpec:
    """A loaded, checked model spec (see the module docstring for the file format)."""

    name: str
    title_en: str
    title_zh: str
    citation: Citation
    inputs: list[InputSpec]
    rows: list[RowSpec]
    path: Path
    audit: list[str] = field(default_factory=list)
    list_order: float = DEFAULT_ORDER
    cases: list[Case] = field(default_factory=list)
    chart: ChartSpec | None = None
    printed_text: dict[str, Any] = field(default_factory=dict)
    charts: tuple[ChartSpec, ...] = ()
    table: TableSpec | None = None

    @property
    def names(self) -> list[str]:
        """Every input and row name, in spec order."""
        return [item.name for item in self.inputs] + [row.name for row in self.rows]

    def input(self, name: str) -> InputSpec:
        """Return the input called ``name`` or raise UnknownNameError listing the inputs."""
        for item in self.inputs:
            if item.name == name:
                return item
        raise UnknownNameError(name, name, ", ".join(item.name for item in self.inputs), f"input of {self.name}")

    def row(self, name: str) -> RowSpec:
        """Return the derived row called ``name``."""
        for row in self.rows:
            if row.name == name:
                return row
        raise UnknownNameError(name, name, ", ".join(row.name for row in self.rows), f"row of {self.name}")

    @cached_property
    def order(self) -> list[RowSpec]:
        """Derived rows in dependency order (each after the rows it reads)."""
        return _dependency_order(self)

    def solve(self, readings: Mapping[str, Reading], *, building: bool = False
              ) -> tuple[dict[str, pint.Quantity], list[str]]:
        """Evaluate every derived row from the inputs' readings.

        ``building=True`` turns any failure into a :class:`SpecError` naming the row and
        its expression (the build-time dimension check).

        Returns
        -------
        (dict of name to pint.Quantity, list of str)
            Every input and row (rows in their own unit) and the AssumptionWarning
            texts, each prefixed with the row it came from.
        """
        values: dict[str, pint.Quantity] = {name: reading.quantity for name, reading in readings.items()}
        rich = {name: reading.rich for name, reading in readings.items() if reading.rich is not None}
        notes: list[str] = []
        for row in self.order:
            try:
                with warnings.catch_warnings(record=True) as caught, np.errstate(all="raise"):
                    warnings.simplefilter("always")
                    result = Q(evaluate_expr(row.parsed, values, rich))
                    _require_finite(result, row)
            except (ZeroDivisionError, OverflowError, FloatingPointError) as error:
                reason = f"cannot be computed: {error or type(error).__name__} (a division by zero or a number too large)"
                if building:
                    raise SpecError(self.path, reason, row.name, row.expr) from None
                raise InputRangeError(row.name, row.expr, "an expression with a finite result", reason) from None
            except pint.DimensionalityError as error:
                if building:
                    raise SpecError(self.path, f"dimension mismatch: {error}", row.name, row.expr) from None
                raise
            except (FlopsheetError, ExpressionError) as error:
                if building:
                    raise SpecError(self.path, str(error), row.name, row.expr) from None
                raise
            notes += [f"{row.name}: {warning.message}" for warning in caught
                      if issubclass(warning.category, AssumptionWarning)]
            unit = unit_choices.unit_of(row.unit)
            if result.dimensionality != unit.dimensionality:
                raise SpecError(self.path, f"the expression gives {result.dimensionality or 'a plain number'} "
                                f"({result.units:~P}) but the row's unit {row.unit!r} is "
                                f"{unit.dimensionality or 'a plain number'}", row.name, row.expr)
            values[row.name] = result.to(unit)
        return values, notes


def _require_finite(result: pint.Quantity, row: RowSpec) -> None:
    """A row's value must be a finite number (inf or NaN means an overflow upstream)."""
    if not np.all(np.isfinite(np.asarray(result.magnitude, dtype=float))):
        raise OverflowError(f"row {row.name!r} is not a finite number")


# --- loading ----------------------------------------------------------------------


def spec_names() -> list[str]:
    """Return the names of the packaged specs, by each spec's ``order`` key, then by name.

    Examples
    --------
    >>> spec_names()[:5]
    ['table5_kimi_training', 'table6_kimi_inference', 'table4_mfu', 'table3_api_prices', 'table2_context_windows']
    """
    return [spec.name for spec in sorted(map(load_spec, _spec_stems()), key=lambda spec: (spec.list_order, spec.name))]


def _spec_stems() -> list[str]:
    """The packaged spec files' names."""
    return sorted(path.stem for path in SPEC_DIR.glob("*.toml"))


def spec_path(name_or_path: str | Path) -> Path:
    """Return the file of a packaged spec name, or the path itself."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text:
        path = Path(name_or_path)
        if not path.is_file():
            raise InputError("spec", text, "an existing .toml spec file")
        return path
    path = SPEC_DIR / f"{text}.toml"
    if not path.is_file():
        raise UnknownNameError("spec", text, ", ".join(spec_names()), "model spec")
    return path


def load_spec(name_or_path: str | Path) -> ModelSpec:
    """Load and check a model spec by name (``spec_names()``) or path.

    Raises
    ------
    UnknownNameError
        An unknown spec name.
    SpecError
        Anything that makes the spec unbuildable; names file, row and expression.

    Examples
    --------
    >>> spec = load_spec("table5_kimi_training")
    >>> [row.name for row in spec.rows]
    ['chars', 'words', 'tokens', 'flops', 'cards']
    """
    path = spec_path(name_or_path).resolve()
    return _load_cached(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _load_cached(path: Path, mtime_ns: int) -> ModelSpec:
    """Load a spec file once per modification time."""
    try:  # the one guard for files users name: regular files only, never a FIFO or device, bounded
        data = read_user_file(path, "spec", "a .toml spec file", MAX_SPEC_BYTES)
        text = user_text(data, "spec", path, "a .toml spec file")
    except UserFileError as error:
        raise SpecError(path, f"{error.detail} (a spec may have at most {MAX_SPEC_BYTES:,} bytes)"
                        if "bytes" in error.detail else error.detail) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(path, f"not valid TOML: {error}") from None
    except (RecursionError, MemoryError):
        raise SpecError(path, "not a usable spec: the TOML is nested too deeply") from None
    spec = _build(path, document)
    _check(spec)
    return spec


def _require(path: Path, table: Mapping[str, Any], key: str, row: str | None, kind: type | tuple[type, ...] = str) -> Any:
    """Return a required key of the right type or raise SpecError."""
    if key not in table:
        raise SpecError(path, f"missing key {key!r}", row)
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SpecError(path, f"{key!r} must be {getattr(kind, '__name__', 'a number or text')}, got {value!r}", row)
    return value


def _unknown_keys(path: Path, table: Mapping[str, Any], allowed: set[str], row: str | None) -> None:
    """Reject keys a spec may not have (typos)."""
    extra = sorted(set(table) - allowed)
    if extra:
        raise SpecError(path, f"unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}", row)


def _printed(path: Path, table: Mapping[str, Any], unit: str, row: str) -> tuple[float | None, str]:
    """Read the optional printed figure, as a float in its printed unit."""
    printed_unit = table.get("printed_unit", unit)
    if "printed" not in table:
        return None, printed_unit
    _unit(path, printed_unit, row)
    try:
        quantity = Q(table["printed"], printed_unit or None, argument="printed")
        value = float(quantity.to(unit_choices.unit_of(printed_unit)).magnitude)
    except (ValueError, pint.DimensionalityError) as error:
        raise SpecError(path, f"printed {table['printed']!r}: {error}", row) from None
    if value == 0:
        raise SpecError(path, "printed must not be 0 (the difference column divides by it)", row)
    if not math.isfinite(value):
        raise SpecError(path, f"printed {table['printed']!r} is not a finite number", row)
    return value, printed_unit


def _unit(path: Path, text: Any, row: str) -> str:
    """Check that a unit text parses."""
    if not isinstance(text, str):
        raise SpecError(path, f"unit must be text, got {text!r}", row)
    if UNIT_FORBIDDEN & set(text):
        raise SpecError(path, f"unit {text!r} may not contain {' '.join(sorted(UNIT_FORBIDDEN))}", row)
    if text:
        try:
            parse_unit(text, argument="unit")
        except UnitInputError as error:
            raise SpecError(path, f"unknown unit {text!r}: {error}", row) from None
    return text


def _build(path: Path, document: Mapping[str, Any]) -> ModelSpec:
    """Turn the TOML document into a ModelSpec (structure only)."""
    _unknown_keys(path, document, _TOP_KEYS, None)
    citation = _require(path, document, "citation", None, dict)
    _unknown_keys(path, citation, {"seed", "table", "page", "text"}, "citation")
    inputs = []
    for table in _tables(path, document, "input"):
        name = _require(path, table, "name", None)
        _unknown_keys(path, table, _INPUT_KEYS, name)
        unit = _unit(path, _require(path, table, "unit", name), name)
        kind = table.get("kind", "peak" if unit and unit_choices.unit_of(unit).dimensionality
                         == unit_choices.unit_of(_PEAK_UNIT).dimensionality else "quantity")
        if kind not in _INPUT_KINDS:
            raise SpecError(path, f"kind must be one of {', '.join(_INPUT_KINDS)}, got {kind!r}", name)
        printed, printed_unit = _printed(path, table, unit, name)
        inputs.append(InputSpec(
            name=name, label_en=_require(path, table, "label_en", name), label_zh=_require(path, table, "label_zh", name),
            value=_require(path, table, "value", name, (str, int, float)), unit=unit, note=_text(path, table, "note", name),
            source=_text(path, table, "source", name), printed=printed, printed_unit=printed_unit, kind=kind,
            measured_on=_text(path, table, "measured_on", name), format=_text(path, table, "format", name),
            low=_optional_value(path, table, "low", name), high=_optional_value(path, table, "high", name)))
    rows = []
    for table in _tables(path, document, "row"):
        name = _require(path, table, "name", None)
        _unknown_keys(path, table, _ROW_KEYS, name)
        unit = _unit(path, _require(path, table, "unit", name), name)
        printed, printed_unit = _printed(path, table, unit, name)
        rows.append(RowSpec(
            name=name, label_en=_require(path, table, "label_en", name), label_zh=_require(path, table, "label_zh", name),
            expr=_require(path, table, "expr", name), unit=unit, printed=printed, printed_unit=printed_unit,
            note=_text(path, table, "note", name), format=_text(path, table, "format", name), solve_for=_text(path, table, "solve_for", name)))
    charts = _charts(path, document.get("chart"))
    name = _require(path, document, "name", None)
    if name != path.stem:
        raise SpecError(path, f"name {name!r} must equal the file name {path.stem!r}")
    return ModelSpec(
        name=name, title_en=_require(path, document, "title_en", None), title_zh=_require(path, document, "title_zh", None),
        citation=Citation(*(str(_require(path, citation, key, "citation")) for key in ("seed", "table", "page")),
                          str(citation.get("text", ""))),
        inputs=inputs, rows=rows, path=path, audit=_texts(path, document, "audit"),
        list_order=_order(path, document), cases=[_case(path, table) for table in _tables(path, document, "case")],
        chart=charts[0] if charts else None, charts=charts,
        table=_table(path, document["table"]) if "table" in document else None,
        printed_text={table["name"]: table["printed"] for key in ("input", "row") for table in document.get(key, [])
                      if "printed" in table})


def _optional_value(path: Path, table: Mapping[str, Any], key: str, row: str) -> str | float | None:
    """An optional value key (``low``, ``high``): a number or text, None when absent."""
    if key not in table:
        return None
    return _require(path, table, key, row, (str, int, float))


def _text(path: Path, table: Mapping[str, Any], key: str, row: str | None) -> str:
    """An optional text key ("" when absent); anything but text is a SpecError."""
    value = table.get(key, "")
    if not isinstance(value, str):
        raise SpecError(path, f"{key!r} must be text, got {value!r}", row)
    return value


def _texts(path: Path, document: Mapping[str, Any], key: str) -> list[str]:
    """An optional list of texts (the audit facts)."""
    values = document.get(key, [])
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise SpecError(path, f"{key!r} must be a list of texts, got {str(values)[:80]!r}")
    return list(values)


def _tables(path: Path, document: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The ``[[key]]`` tables of a spec; anything else under that key is a SpecError."""
    tables = document.get(key, [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise SpecError(path, f"{key!r} must be a list of [[{key}]] tables, got {str(tables)[:80]!r}")
    return tables


def _order(path: Path, document: Mapping[str, Any]) -> float:
    """The spec's listing position (``order``), a finite number."""
    order = document.get("order", DEFAULT_ORDER)
    if isinstance(order, bool) or not isinstance(order, (int, float)) or not math.isfinite(order):
        raise SpecError(path, f"'order' must be a number, got {order!r}")
    return float(order)


def _charts(path: Path, given: Any) -> tuple[ChartSpec, ...]:
    """Read ``[chart]`` (one table) or ``[[chart]]`` (several, each on its own ``sheet``)."""
    if given is None:
        return ()
    charts = tuple(_chart(path, table) for table in (given if isinstance(given, list) else [given]))
    sheets = [chart.sheet for chart in charts]
    if len(set(sheets)) != len(sheets):
        raise SpecError(path, f"each chart needs its own sheet, got {sheets}", "chart")
    return charts


def _labelled_lists(path: Path, table: Mapping[str, Any], key: str, section: str, fields: tuple[str, str],
                    width: int, what: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Read ``table[key]``: entries of a label and a list of ``width`` texts (table rows, chart series)."""
    label, values = fields
    read = []
    for entry in _require(path, table, key, section, list):
        if not isinstance(entry, dict) or set(entry) != {label, values} or len(entry[values]) != width:
            raise SpecError(path, f"{what} ({width}), got {entry!r}", section)
        read.append((str(entry[label]), tuple(str(value) for value in entry[values])))
    return tuple(read)


def _table(path: Path, table: Any) -> TableSpec:
    """Read the ``[table]`` (structure only; :func:`_check_chart` checks its rows)."""
    if not isinstance(table, dict):
        raise SpecError(path, f"table must be a table, got {table!r}", "table")
    _unknown_keys(path, table, _TABLE_KEYS, "table")
    columns = tuple(str(label) for label in _require(path, table, "columns", "table", list))
    lines = _labelled_lists(path, table, "rows", "table", ("label", "cells"), len(columns),
                            "each table row needs a label and one cell per column")
    return TableSpec(str(_require(path, table, "title", "table")), str(table.get("note", "")),
                     str(_require(path, table, "sheet", "table")), columns, lines)


def _chart(path: Path, table: Any) -> ChartSpec:
    """Read the ``[chart]`` table (structure only; :func:`_check_chart` checks its rows)."""
    if not isinstance(table, dict):
        raise SpecError(path, f"chart must be a table, got {table!r}", "chart")
    _unknown_keys(path, table, _CHART_KEYS, "chart")
    categories = tuple(str(label) for label in _require(path, table, "categories", "chart", list))
    series = _labelled_lists(path, table, "series", "chart", ("name", "rows"), len(categories),
                             "each series needs a name and one row per category")
    return ChartSpec(str(_require(path, table, "title", "chart")), categories, series,
                     str(table.get("sheet", CHART_SHEET_NAME)))


def _case(path: Path, table: Mapping[str, Any]) -> Case:
    """Read one ``[[case]]`` table (structure only; :func:`_check` evaluates it)."""
    label = _require(path, table, "label", "case")
    _unknown_keys(path, table, _CASE_KEYS, f"case {label!r}")
    overrides = table.get("set", {})
    if not isinstance(overrides, dict):
        raise SpecError(path, f"'set' must be a table of input values, got {overrides!r}", f"case {label!r}")
    units = table.get("units", [])
    return Case(label, dict(overrides), _require(path, table, "row", f"case {label!r}"),
                tuple(str(unit) for unit in (units if isinstance(units, list) else [units])),
                _text(path, table, "format", f"case {label!r}"), str(table.get("printed", "")))


def _check_names(spec: ModelSpec) -> None:
    """Names must be valid, unique Excel names that do not collide with helper names."""
    if not spec.inputs or not spec.rows:
        raise SpecError(spec.path, "a spec needs at least one [[input]] and one [[row]]")
    seen: set[str] = set()
    for name in spec.names:
        if len(name) > MAX_NAME_LENGTH:
            raise SpecError(spec.path, f"names may have at most {MAX_NAME_LENGTH} characters (Excel's limit for "
                            f"defined names, less the helper suffixes), this one has {len(name)}", name[:40] + "...")
        if not _NAME.match(name) or _CELL_LIKE.match(name) or name in RESERVED_NAMES:
            raise SpecError(spec.path, "names must be lower-case letters, digits and _, start with a letter, "
                            "and not look like a cell reference (A1, R1C1)", name)
        if name in seen:
            raise SpecError(spec.path, "duplicate name", name)
        seen.add(name)
    for name in spec.names:
        for suffix in HELPER_SUFFIXES:
            if name + suffix in seen:
                raise SpecError(spec.path, f"the name {name + suffix!r} is taken by the {suffix} helper of {name!r}",
                                name + suffix)


def _dependency_order(spec: ModelSpec) -> list[RowSpec]:
    """Sort derived rows so each follows what it reads; unknown names and cycles are errors.

    A depth-first search with an explicit stack: a chain of thousands of rows in reverse
    order needs no recursion.
    """
    rows = {row.name: row for row in spec.rows}
    inputs = {item.name for item in spec.inputs}
    ordered: list[RowSpec] = []
    state: dict[str, str] = {}
    for start in spec.rows:
        if state.get(start.name) == "done":
            continue
        trail: list[str] = [start.name]
        pending: list[list[str]] = [_reads_of(spec, rows[start.name], rows, inputs)]
        state[start.name] = "active"
        while trail:
            if not pending[-1]:
                name = trail.pop()
                pending.pop()
                state[name] = "done"
                ordered.append(rows[name])
                continue
            used = pending[-1].pop()
            if state.get(used) == "done":
                continue
            if state.get(used) == "active":
                cycle = trail[trail.index(used):] + [used]
                raise SpecError(spec.path, f"cycle: {' -> '.join(cycle)}", used, rows[used].expr)
            state[used] = "active"
            trail.append(used)
            pending.append(_reads_of(spec, rows[used], rows, inputs))
    return ordered


def _reads_of(spec: ModelSpec, row: RowSpec, rows: Mapping[str, RowSpec], inputs: set[str]) -> list[str]:
    """The rows ``row`` reads, in reverse sorted order (popped in sorted order); unknown names are errors."""
    used = sorted(_parsed(spec, row).names())
    for name in used:
        if name not in rows and name not in inputs:
            raise SpecError(spec.path, f"unknown name {name!r}; known: {', '.join(spec.names)}", row.name, row.expr)
    return [name for name in reversed(used) if name in rows]


def _parsed(spec: ModelSpec, row: RowSpec) -> Expr:
    """The row's parsed expression, or a SpecError naming it."""
    try:
        return row.parsed
    except ExpressionError as error:
        raise SpecError(spec.path, str(error), row.name, row.expr) from None


def _check_cases(spec: ModelSpec) -> None:
    """Each case names an existing row and sets only inputs."""
    inputs = {item.name for item in spec.inputs}
    for case in spec.cases:
        where = f"case {case.label!r}"
        if case.row not in spec.names:
            raise SpecError(spec.path, f"row {case.row!r} is not an input or row; known: {', '.join(spec.names)}", where)
        unknown = sorted(set(case.overrides) - inputs)
        if unknown:
            raise SpecError(spec.path, f"'set' names {', '.join(unknown)}, which are not inputs", where)


def _check_spread(spec: ModelSpec, item: InputSpec, reading: Reading) -> None:
    """``low`` and ``high`` come together, read as the input, and bracket its value."""
    if (item.low is None) != (item.high is None):
        raise SpecError(spec.path, "give both low and high (the input's range), or neither", item.name)
    if item.low is None:
        return
    ends = []
    for key, end in (("low", item.low), ("high", item.high)):
        try:
            ends.append(item.read(end).quantity.to(reading.quantity.units).magnitude)
        except FlopsheetError as error:
            raise SpecError(spec.path, f"{key} {end!r}: {error}", item.name) from None
    if not ends[0] <= reading.quantity.magnitude <= ends[1]:
        raise SpecError(spec.path, f"low {item.low!r} <= value {item.value!r} <= high {item.high!r} does not hold",
                        item.name)


def _check_chart(spec: ModelSpec) -> None:
    """Each chart names existing rows, all of one unit; the table names existing rows."""
    units = {item.name: item.unit for item in [*spec.inputs, *spec.rows]}
    for chart in spec.charts:
        charted = [row for _, rows in chart.series for row in rows]
        unknown = sorted(set(charted) - set(units))
        if unknown:
            raise SpecError(spec.path, f"chart rows {', '.join(unknown)} are not inputs or rows", "chart")
        if len({units[row] for row in charted}) != 1:
            raise SpecError(spec.path, "chart rows must share one unit, got "
                            + ", ".join(sorted({units[r] for r in charted})), "chart")
    if spec.table is not None:
        unknown = sorted({cell for _, cells in spec.table.lines for cell in cells if cell} - set(units))
        if unknown:
            raise SpecError(spec.path, f"table cells {', '.join(unknown)} are not inputs or rows", "table")


def _check(spec: ModelSpec) -> None:
    """Check names, expressions, dependencies, cases, the chart and dimensions (by evaluating the defaults)."""
    _check_names(spec)
    _check_cases(spec)
    _check_chart(spec)
    readings: dict[str, Reading] = {}
    for item in spec.inputs:
        try:
            readings[item.name] = item.read()
        except FlopsheetError as error:
            raise SpecError(spec.path, f"value {item.value!r}: {error}", item.name) from None
        _check_spread(spec, item, readings[item.name])
    spec.solve(readings, building=True)
    inputs = {item.name for item in spec.inputs}
    for row in spec.rows:
        if row.solve_for and row.solve_for not in inputs:
            raise SpecError(spec.path, f"solve_for {row.solve_for!r} is not an input", row.name, row.expr)
