"""Read what people type in a spreadsheet cell as a pint quantity.

``Q("30 TB")``, ``Q("2000亿")``, ``Q("4.9万亿 tokens")``, ``Q("1.38万张")``,
``Q("30.2%")``, ``Q("13,793")``, ``Q("156 TFLOPS")``, ``Q("3 months")``, full-width
digits and spaces ("３０ TB", NFKC-normalised). Numbers, numpy arrays and quantities
pass through. Anything unreadable raises :class:`UnitInputError` naming the text.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
import re
import unicodedata
from functools import lru_cache
from collections.abc import Iterable
from typing import Any

import numpy as np
import pint

from .errors import UnitInputError
from .registry import Quantity, ureg

#: Chinese magnitude characters; a run of them multiplies ("万亿" = 1e12, "千亿" = 1e11).
CHINESE_MAGNITUDES: dict[str, float] = {"十": 1e1, "百": 1e2, "千": 1e3, "万": 1e4, "亿": 1e8}

#: What a cell number looks like: sign, digits with optional thousands separators,
#: decimals, exponent; then an optional Chinese magnitude, optional %, optional unit.
_CELL_PATTERN = re.compile(
    r"""^\s*
    (?P<number>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?)
    \s*(?P<magnitude>[十百千万亿]+)?
    \s*(?P<percent>%)?
    \s*(?P<unit>.*?)\s*$""",
    re.VERBOSE,
)
_HAS_DIGIT = re.compile(r"\d")
#: Byte units people mistype ("kb", "KB", "tb"): lower-cased text -> (decimal, binary) spelling.
BYTE_SLIPS: dict[str, tuple[str, str]] = {
    "kb": ("kB", "KiB"), "mb": ("MB", "MiB"), "gb": ("GB", "GiB"), "tb": ("TB", "TiB"), "pb": ("PB", "PiB")}
#: "30.2%" means 30.2 / PERCENT.
PERCENT = Decimal(100)

QuantityLike = Any  # number | str | pint.Quantity | numpy array | sequence of those


def normalise_text(text: str) -> str:
    """Fold full-width characters (NFKC), the multiplication sign and odd spaces."""
    folded = unicodedata.normalize("NFKC", text)
    return folded.replace("×", "*").replace("·", "*").replace("\u00a0", " ").strip()


def magnitude_factor(run: str) -> float:
    """Return the factor of a run of Chinese magnitude characters ("万亿" -> 1e12)."""
    factor = 1.0
    for character in run:
        factor *= CHINESE_MAGNITUDES[character]
    return factor


def parse_unit(text: str, *, argument: str | None = None) -> pint.Unit:
    """Parse a unit expression (``"TFLOPS/card"``, ``"万张"``, ``"%"``) or raise UnitInputError."""
    if isinstance(text, str):
        try:
            return _parse_unit_cached(text)
        except UnitInputError as error:
            raise UnitInputError(argument, text, error.expected, error.detail) from None
    raise UnitInputError(argument, text, "a unit such as \"TB\", \"day\" or \"TFLOPS\"")


@lru_cache(maxsize=1024)
def _parse_unit_cached(text: str) -> pint.Unit:
    """Parse a unit text once; units are immutable, so the result is shared."""
    unit_text = normalise_text(text)
    if unit_text == "%":
        return ureg.Unit("percent")
    if not unit_text:
        raise UnitInputError(None, text, "a unit such as \"TB\", \"day\" or \"TFLOPS\"")
    try:
        return ureg.parse_units(unit_text)
    except (pint.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError,
            AttributeError, TypeError, SyntaxError, IndexError) as error:
        raise UnitInputError(None, text, "a known unit", _unit_hint(unit_text, error)) from None


def _unit_hint(unit_text: str, error: Exception) -> str:
    """Explain the common unit slips (kb, KB, tflops) in an error message."""
    lowered = unit_text.lower()
    if lowered in BYTE_SLIPS and unit_text != BYTE_SLIPS[lowered][0]:
        decimal, binary = BYTE_SLIPS[lowered]
        return f"write {decimal} (decimal) or {binary} (binary) for bytes"
    if "flop" in lowered and "FLOP" not in unit_text:
        return "write FLOP (a count, e.g. TFLOP) or FLOPS (a rate, e.g. TFLOPS)"
    return f"unknown unit: {error}"


def _parse_text(text: str, default_unit: str | pint.Unit | None, argument: str | None) -> pint.Quantity:
    """Parse one cell's text into a scalar quantity."""
    cleaned = normalise_text(text)
    if not cleaned:
        raise UnitInputError(argument, text, "a number or a quantity such as \"30 TB\"", "the cell is empty")
    match = _CELL_PATTERN.match(cleaned)
    if match is None or not _HAS_DIGIT.search(match.group("number") or ""):
        raise UnitInputError(argument, text, "a number or a quantity such as \"30 TB\"")
    number_text = match.group("number").replace(",", "")
    try:
        exact = Decimal(number_text)
    except InvalidOperation:
        raise UnitInputError(argument, text, "a number or a quantity such as \"30 TB\"") from None
    if match.group("magnitude"):
        exact *= Decimal(int(magnitude_factor(match.group("magnitude"))))
    if match.group("percent"):
        exact /= PERCENT
    number = float(exact)
    unit_text = match.group("unit")
    if unit_text:
        try:
            unit = parse_unit(unit_text, argument=argument)
        except UnitInputError as error:
            raise UnitInputError(argument, text, error.expected, error.detail) from None
    elif default_unit is not None:
        unit = parse_unit(default_unit, argument=argument) if isinstance(default_unit, str) else default_unit
    else:
        unit = ureg.dimensionless
    return Quantity(number, unit)


def Q(value: QuantityLike, default_unit: str | pint.Unit | None = None, *,
      argument: str | None = None) -> pint.Quantity:
    """Return ``value`` as a pint quantity of flopsheet's registry.

    Parameters
    ----------
    value : str, number, numpy array, pint.Quantity or sequence of these
        Text as typed in a cell ("30 TB", "2000亿 parameters", "30.2%", "13,793"), a
        plain number (read in ``default_unit``), or a quantity (returned unchanged).
    default_unit : str, optional
        Unit of bare numbers; dimensionless when omitted.
    argument : str, optional
        The argument name used in error messages.

    Returns
    -------
    pint.Quantity

    Raises
    ------
    UnitInputError
        Text that is not a quantity, an empty cell, NaN, an unknown unit.

    Examples
    --------
    >>> Q("2000亿 parameters")
    <Quantity(2e+11, 'parameter')>
    >>> print(Q("1.38万张").to("card"))
    13800.0 card
    >>> Q("30.2%")
    <Quantity(0.302, 'dimensionless')>
    >>> Q("13,793", "card")
    <Quantity(13793.0, 'card')>
    >>> Q("30 tokenz")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: expected a known unit, got "30 tokenz"; unknown unit: 'tokenz' is not defined in the unit registry
    """
    if isinstance(value, pint.Quantity):
        if value._REGISTRY is not ureg:
            raise UnitInputError(argument, value, "a quantity of flopsheet's registry (flopsheet.Q)")
        _check_finite(value.magnitude, value, argument)
        return value
    if isinstance(value, str):
        return _parse_text(value, default_unit, argument)
    if value is None:
        raise UnitInputError(argument, "", "a number or a quantity such as \"30 TB\"", "the cell is empty")
    if isinstance(value, bool):
        raise UnitInputError(argument, value, "a number or a quantity, not TRUE/FALSE")
    unit = ureg.dimensionless
    if default_unit is not None:
        unit = parse_unit(default_unit, argument=argument) if isinstance(default_unit, str) else default_unit
    if isinstance(value, (int, float, np.integer, np.floating)):
        _check_finite(value, value, argument)
        return Quantity(float(value), unit)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        _check_finite(value, value, argument)
        return Quantity(value.astype(float), unit)
    if isinstance(value, (list, tuple, np.ndarray)):
        return _stack(value, default_unit, argument)
    raise UnitInputError(argument, value, "a number, text or a pint quantity")


def _stack(values: Iterable[Any], default_unit: str | pint.Unit | None, argument: str | None) -> pint.Quantity:
    """Parse a (nested) sequence of cells into one array quantity in the first cell's unit."""
    array = np.asarray(values, dtype=object)
    cells = [Q(cell, default_unit, argument=argument) for cell in array.ravel()]
    if not cells:
        raise UnitInputError(argument, "[]", "at least one value", "the range is empty")
    unit = cells[0].units
    magnitudes = []
    for cell in cells:
        try:
            magnitudes.append(cell.to(unit).magnitude)
        except pint.DimensionalityError:
            raise UnitInputError(argument, f"{cell:~P}", f"values of one dimension like {cells[0]:~P}") from None
    return Quantity(np.asarray(magnitudes, dtype=float).reshape(array.shape), unit)


def _check_finite(magnitude: Any, given: Any, argument: str | None) -> None:
    """Reject NaN and infinities."""
    if isinstance(magnitude, (int, float, np.integer, np.floating)):
        if not math.isfinite(float(magnitude)):
            raise UnitInputError(argument, given, "a finite number", "NaN or infinity")
    elif isinstance(magnitude, np.ndarray) and magnitude.dtype.kind == "f":
        if not np.all(np.isfinite(magnitude)):
            raise UnitInputError(argument, given, "finite numbers", "NaN or infinity in the range")
