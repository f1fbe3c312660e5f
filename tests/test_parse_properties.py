"""Property-based tests (hypothesis) of the cell-text readers and formatters (issue 11).

- any text into Q (with and without a default unit), parse_unit, as_peak and
  as_utilization gives a finite result or a flopsheet ValueError with a message;
- Q(format_eng(q)) and Q(format_zh(q)) give q back, to the printed digits;
- unit conversions compose, and the unit grammar agrees with pint's own parser on
  the expressions both read;
- a magnitude multiplies exactly (Decimal), whatever the number.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopsheet import Q
from flopsheet.formulas import Peak, Utilization, as_peak, as_utilization
from flopsheet.units import DEFINITIONS_FILE, FlopsheetError, Quantity, format_eng, format_zh, parse_unit, ureg
from flopsheet.units.parse import CHINESE_MAGNITUDE_WORDS, ENGLISH_MAGNITUDE_WORDS

#: Enough examples to find the families of issue 11 in a few seconds, without a deadline
#: (the suite runs on slow CI machines; no timing is asserted).
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

CELL_PIECES = list("0123456789.,+-eE%*/^() _kKMBTbn十百千万亿@#;'\"\\²³⁻¹½。，％３ＴＢ\u3000\u00a0\t\n") + [
    "TB", "TiB", "kB", "token", "tokens", "FLOP", "TFLOPS", "card", "day", "month", "hour", "/card", "billion",
    "bn", "A100", " tf32", " bf16", " sparse", " of ", "**", "亿", "万亿", "千亿", "张", "元", "percent", "1/",
    "inf", "nan", "1e308", "1e-320", "9" * 30, "H100 SXM", " dense", "fp7"]
#: Text as people (and attackers) type it: arbitrary Unicode, and runs of cell-like pieces.
cell_text = st.one_of(st.text(max_size=40), st.lists(st.sampled_from(CELL_PIECES), max_size=12).map("".join))
DEFAULTS = [None, "parameter", "token", "TB", "亿parameter", "TFLOPS/card", "dimensionless", "call/day", "day",
            "byte/char", "USD"]


def _finite(magnitude: Any) -> bool:
    return bool(np.all(np.isfinite(np.asarray(magnitude, dtype=float))))


def _read(reader: Any, text: str) -> Any:
    """Call a reader; a refusal must be one of flopsheet's ValueErrors with a message."""
    try:
        return reader(text)
    except ValueError as error:
        assert isinstance(error, FlopsheetError), repr(error)
        assert str(error).strip()
        return None


@FAST
@given(cell_text, st.sampled_from(DEFAULTS))
def test_any_text_into_Q_is_a_finite_quantity_or_a_clear_refusal(text: str, default: str | None) -> None:
    result = _read(lambda t: Q(t, default, argument="x"), text)
    if result is not None:
        assert result._REGISTRY is ureg and _finite(result.magnitude)
        assert _finite(result.to_base_units().magnitude)


@FAST
@given(cell_text)
def test_any_text_into_parse_unit_is_a_unit_or_a_clear_refusal(text: str) -> None:
    result = _read(parse_unit, text)
    assert result is None or isinstance(result, ureg.Unit)


@FAST
@given(cell_text)
def test_any_text_into_as_peak_is_a_positive_peak_or_a_clear_refusal(text: str) -> None:
    result = _read(as_peak, text)
    if result is not None:
        assert isinstance(result, Peak)
        rate = result.rate.to("TFLOPS/card").magnitude
        assert _finite(rate) and np.all(rate > 0)


@FAST
@given(cell_text)
def test_any_text_into_as_utilization_is_a_fraction_or_a_clear_refusal(text: str) -> None:
    result = _read(as_utilization, text)
    if result is not None:
        assert isinstance(result, Utilization) and 0 < result.value <= 1


@FAST
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.decimals(), st.fractions(),
                 st.complex_numbers(), st.binary(max_size=4), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
                 st.lists(st.one_of(st.floats(), st.text(max_size=6), st.integers()), max_size=4)),
       st.sampled_from(DEFAULTS))
def test_any_value_into_Q_is_a_finite_quantity_or_a_clear_refusal(value: Any, default: str | None) -> None:
    result = _read(lambda v: Q(v, default), value)
    if result is not None:
        assert _finite(result.magnitude)


def _registered_units() -> list[str]:
    """Every unit defined in definitions.txt, some prefixed ones and the compounds the specs use."""
    names = [match.group(1) for line in DEFINITIONS_FILE.read_text(encoding="utf-8").splitlines()
             if (match := re.match(r"^([^\s#@][^\s=]*)\s*=", line)) and not match.group(1).endswith("-")]
    prefixed = ["TB", "TiB", "kB", "MiB", "TFLOPS", "PFLOP", "EFLOPS", "万card", "亿parameter", "ktoken", "Mtoken",
                "万亿token", "kWh", "MW", "亿USD", "万CNY"]
    compound = ["TFLOPS/card", "call/day", "USD/card/hour", "FLOP/parameter/token", "token/s/card", "TB**2",
                "1/day", "card*day", "CNY/Mtoken", "万亿token/day", "W/card", "byte/char"]
    return names + prefixed + compound


UNITS = _registered_units()
magnitudes = st.floats(min_value=-1e200, max_value=1e200, allow_nan=False, allow_infinity=False).filter(
    lambda x: x == 0 or abs(x) > 1e-200)


@FAST
@given(magnitudes, st.sampled_from(UNITS), st.integers(min_value=2, max_value=15), st.sampled_from([format_eng, format_zh]))
def test_Q_reads_back_what_the_formatters_write(magnitude: float, unit: str, digits: int, formatter: Any) -> None:
    quantity = Quantity(magnitude, unit)
    back = Q(formatter(quantity, digits=digits))
    assert back.to(quantity.units).magnitude == _approx(magnitude, digits)


def _approx(expected: float, digits: int) -> Any:
    """Equal to ``expected`` within the rounding of ``digits`` significant digits."""
    import pytest

    return pytest.approx(expected, rel=10.0 ** (1 - digits), abs=0)


DIMENSION_GROUPS = [["B", "kB", "MB", "TB", "KiB", "TiB", "bit"], ["s", "min", "hour", "day", "week", "month", "year"],
                    ["FLOP", "TFLOP", "PFLOP", "EFLOP", "pfs_day"], ["card_hour", "card_day", "card_month", "万card*day"],
                    ["TFLOPS/card", "PFLOPS/card", "FLOPS/card", "EFLOP/day/card"]]


@FAST
@given(st.sampled_from(DIMENSION_GROUPS).flatmap(lambda group: st.tuples(*[st.sampled_from(group)] * 3)),
       st.floats(min_value=1e-100, max_value=1e100))
def test_unit_conversions_compose(units: tuple[str, str, str], magnitude: float) -> None:
    first, middle, last = units
    quantity = Q(magnitude, first)
    direct = quantity.to(last).magnitude
    assert quantity.to(middle).to(last).magnitude == _approx(direct, 13)
    assert quantity.to(last).to(first).magnitude == _approx(magnitude, 13)


NAMES = ["TB", "token", "card", "s", "day", "FLOP", "TFLOPS", "parameter", "USD", "万card", "hour", "kB"]
unit_expressions = st.lists(st.tuples(st.sampled_from(["*", "/"]), st.sampled_from(NAMES),
                                      st.sampled_from(["", "**2", "**-1", "**3"])), min_size=1, max_size=5).map(
    lambda parts: "".join(f"{op}{name}{power}" for op, name, power in parts)[1:])


@FAST
@given(unit_expressions)
def test_the_unit_grammar_agrees_with_pints_parser(expression: str) -> None:
    assert parse_unit(expression) == ureg.parse_units(expression)
    assert parse_unit(expression.replace("**", "^")) == ureg.parse_units(expression)


numbers = st.decimals(min_value=Decimal("-1e30"), max_value=Decimal("1e30"), allow_nan=False, allow_infinity=False,
                      places=4)
words = st.sampled_from(sorted({**CHINESE_MAGNITUDE_WORDS, **ENGLISH_MAGNITUDE_WORDS}.items()))


@FAST
@given(numbers, words, st.sampled_from(["", " "]))
def test_a_magnitude_multiplies_exactly(number: Decimal, word: tuple[str, int], space: str) -> None:
    name, factor = word
    text = f"{number:f}{space}{name}"
    expected = float(number * factor)
    assert Q(text, "token").to("token").magnitude == expected
    assert math.isfinite(expected)
