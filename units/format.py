"""Format quantities for people: engineering notation or Chinese magnitudes."""

from __future__ import annotations

import math

import numpy as np
import pint

from .errors import InputError, UnitInputError
from .parse import Q, QuantityLike, parse_unit

#: Chinese magnitudes used when formatting, largest first.
CHINESE_FORMAT_STEPS: tuple[tuple[str, float], ...] = (("万亿", 1e12), ("亿", 1e8), ("万", 1e4))
#: Largest multiple of a Chinese magnitude written out in digits ("2000亿"); beyond it
#: the multiple takes an exponent ("1.230e+20万亿"), so no text grows past what Q reads.
WHOLE_NUMBER_LIMIT = 1e16


def unit_text(quantity: pint.Quantity) -> str:
    """Return the short unit text of a quantity ("" for dimensionless)."""
    text = f"{quantity.units:~P}"
    return "" if text == "" or quantity.dimensionless and text in ("", "dimensionless") else text


def _scalar(value: QuantityLike, unit: str | None) -> tuple[float, str]:
    """The magnitude (in ``unit`` when given) and short unit text of a scalar quantity."""
    quantity = Q(value, argument="value")
    if np.ndim(quantity.magnitude) != 0:
        raise UnitInputError("value", f"a range of shape {np.shape(quantity.magnitude)}", "a single value")
    if unit is not None:
        target = parse_unit(unit, argument="unit")
        if target.dimensionality != quantity.dimensionality:
            raise UnitInputError("unit", unit, f'a unit of the same dimension as "{unit_text(quantity) or "1"}"')
        quantity = quantity.to(target)
    return float(quantity.magnitude), unit_text(quantity)


def format_eng(value: QuantityLike, digits: int = 4, unit: str | None = None) -> str:
    """Format a scalar quantity in engineering notation (exponent a multiple of 3).

    Examples
    --------
    >>> format_eng(Q("5.895053151373e24 FLOP"))
    '5.895e24 FLOP'
    >>> format_eng(Q("13793 card"))
    '13.79e3 card'
    >>> format_eng(Q("0.302"))
    '302.0e-3'
    """
    magnitude, suffix = _scalar(value, unit)
    if magnitude == 0 or not math.isfinite(magnitude):
        body = f"{magnitude:g}"
    else:
        exponent = int(math.floor(math.log10(abs(magnitude)) / 3) * 3)
        mantissa = magnitude / 10**exponent
        decimals = max(digits - len(str(int(abs(mantissa)))), 0)
        body = f"{mantissa:.{decimals}f}" + (f"e{exponent}" if exponent else "")
    return f"{body} {suffix}".strip()


def format_zh(value: QuantityLike, digits: int = 3, unit: str | None = None) -> str:
    """Format a scalar quantity with Chinese magnitudes (万, 亿, 万亿).

    Examples
    --------
    >>> format_zh(Q("13793 card"))
    '1.38万 card'
    >>> format_zh(Q("2e11 parameter"))
    '2000亿 parameter'
    >>> format_zh(Q("4912544292810 token"))
    '4.91万亿 token'
    """
    magnitude, suffix = _scalar(value, unit)
    for name, factor in CHINESE_FORMAT_STEPS:
        if abs(magnitude) >= factor:
            scaled = magnitude / factor
            if abs(scaled) < 10**digits:
                body = f"{scaled:.{digits}g}"
            elif abs(scaled) < WHOLE_NUMBER_LIMIT:
                body = f"{scaled:.0f}"
            else:
                body = f"{scaled:.{max(digits - 1, 0)}e}"
            return f"{body}{name} {suffix}".strip()
    return f"{magnitude:,.{digits}g} {suffix}".strip()


def format_quantity(value: QuantityLike, style: str = "eng", digits: int = 4, unit: str | None = None) -> str:
    """Format a quantity in ``style`` "eng" (engineering) or "zh" (Chinese magnitudes)."""
    if style == "zh":
        return format_zh(value, digits=digits, unit=unit)
    if style == "eng":
        return format_eng(value, digits=digits, unit=unit)
    raise InputError("style", style, '"eng" or "zh"')
