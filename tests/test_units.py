"""The unit registry and cell-text parsing (flopsheet.units)."""

from __future__ import annotations

import re

import numpy as np
import pint
import pytest

import flopsheet
from flopsheet import Q, UnitInputError
from flopsheet.units import DEFINITIONS_FILE, format_eng, format_zh, ureg

PARSE_CASES = [
    ("30 TB", 30e12, "byte"),
    ("2000亿", 2e11, "dimensionless"),
    ("2000亿 parameters", 2e11, "parameter"),
    ("4.9万亿 tokens", 4.9e12, "token"),
    ("1.38万张", 13800, "card"),
    ("1.38万 card", 13800, "card"),
    ("30.2%", 0.302, "dimensionless"),
    ("13,793", 13793, "dimensionless"),
    ("156 TFLOPS", 156e12, "FLOPS"),
    ("3 months", 3 * 30.4375, "day"),
    ("1e24 FLOP", 1e24, "FLOP"),
    ("３０ ＴＢ", 30e12, "byte"),
    ("３０　TB", 30e12, "byte"),
    ("105天", 105, "day"),
    ("3个月", 3 * 30.4375, "day"),
    ("12小时", 12, "hour"),
    ("2000亿参数", 2e11, "parameter"),
    ("300万 calls/day", 3e6, "call/day"),
    ("37,580,963,840 kB", 37_580_963_840_000, "byte"),
    ("35 TiB", 35 * 2**40, "byte"),
    ("5.9e24 FLOPs", 5.9e24, "FLOP"),
    ("5,895,053,151,373 TFLOP", 5_895_053_151_373e12, "FLOP"),
    ("1 card_day", 24, "card_hour"),
    ("-3", -3, "dimensionless"),
    (".5", 0.5, "dimensionless"),
    ("12 亿元", 1.2e9, "CNY"),
    ("1 pfs_day", 1e15 * 86400, "FLOP"),
]


@pytest.mark.parametrize(("text", "magnitude", "unit"), PARSE_CASES)
def test_Q_reads_cell_text(text: str, magnitude: float, unit: str) -> None:
    assert Q(text).to(unit).magnitude == pytest.approx(magnitude, rel=1e-12)


BAD_TEXT = [
    ("", "the cell is empty"),
    ("   ", "the cell is empty"),
    ("abc", 'got "abc"'),
    ("亿", 'got "亿"'),
    ("nan", 'got "nan"'),
    ("30 tokenz", 'got "30 tokenz"'),
    ("30 kb", "write kB (decimal) or KiB (binary)"),
    ("30 KB", "write kB (decimal) or KiB (binary)"),
    ("30 tb", "write TB (decimal) or TiB (binary)"),
    ("156 tflops", "write FLOP (a count, e.g. TFLOP) or FLOPS (a rate"),
]


@pytest.mark.parametrize(("text", "message"), BAD_TEXT)
def test_Q_rejects_what_it_cannot_read(text: str, message: str) -> None:
    with pytest.raises(UnitInputError) as caught:
        Q(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_Q_names_the_argument() -> None:
    with pytest.raises(UnitInputError, match=r'^data: expected a number or a quantity such as "30 TB", got "x"$'):
        Q("x", argument="data")


def test_Q_rejects_nan_numbers_and_foreign_registries() -> None:
    with pytest.raises(UnitInputError, match="NaN"):
        Q(float("nan"))
    with pytest.raises(UnitInputError, match="NaN"):
        Q(np.array([1.0, np.inf]))
    with pytest.raises(UnitInputError, match="registry"):
        Q(pint.UnitRegistry().Quantity(1, "meter"))
    with pytest.raises(UnitInputError, match="TRUE/FALSE"):
        Q(True)


def test_Q_numbers_take_the_default_unit_and_arrays_broadcast() -> None:
    assert Q(90, "day").to("hour").magnitude == 2160
    array = Q(np.array([1.0, 2.0]), "TB")
    assert array.to("GB").magnitude == pytest.approx([1000.0, 2000.0])
    mixed = Q([["30 TB"], ["1 TiB"], [5]], "TB")
    assert mixed.shape == (3, 1)
    assert mixed.to("byte").magnitude.ravel() == pytest.approx([30e12, 2**40, 5e12])


def test_Q_range_of_mixed_dimensions_is_an_error() -> None:
    with pytest.raises(UnitInputError, match="one dimension"):
        Q(["30 TB", "30 tokens"])


def test_bytes_plus_tokens_is_a_dimension_error() -> None:
    with pytest.raises(pint.DimensionalityError):
        Q("3 byte") + Q("2 token")
    with pytest.raises(pint.DimensionalityError):
        Q("3 byte") + 2  # pint's default registry gives "26 dimensionless" here


def test_flop_is_a_count_and_flops_a_rate() -> None:
    assert Q("1 TFLOP").dimensionality == ureg.parse_units("FLOP").dimensionality
    assert Q("1 TFLOPs").to("FLOP").magnitude == 1e12
    assert Q("1 TFLOPS").dimensionality == (ureg.FLOP / ureg.second).dimensionality
    with pytest.raises(pint.DimensionalityError):
        Q("1 TFLOP").to("TFLOPS")
    cards = Q("5.9e24 FLOP") / (Q("156 TFLOPS/card") * 0.302 * Q("90 day"))
    assert cards.dimensionality == ureg.card.dimensionality
    assert cards.to_base_units().units == ureg.card


def test_month_is_pints_julian_month_and_terabytes_are_decimal() -> None:
    assert Q("1 month").to("day").magnitude == pytest.approx(30.4375)
    assert Q("3 months").to("day").magnitude == pytest.approx(91.3125)
    assert Q("1 TB").to("byte").magnitude == 1e12
    assert Q("1 TiB").to("byte").magnitude == 2**40
    assert Q("1 TB").to("TiB").magnitude == pytest.approx(0.9094947017729282)


def test_card_time_units() -> None:
    assert Q("1 card_month").to("card_day").magnitude == pytest.approx(30.4375)
    assert Q("1 card_day").to("card_hour").magnitude == 24


def test_currencies_do_not_convert_without_a_rate() -> None:
    with pytest.raises(pint.DimensionalityError):
        Q("10 USD").to("CNY")
    assert Q("3800亿元").to("CNY").magnitude == 3.8e11


def _defined_units() -> list[str]:
    """Every unit name on the left of a definition line (not prefixes, not comments)."""
    names = []
    for line in DEFINITIONS_FILE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([^\s#@][^\s=]*)\s*=", line)
        if match and not match.group(1).endswith("-"):
            names.append(match.group(1))
    return names


@pytest.mark.parametrize("name", _defined_units())
def test_every_defined_unit_converts_to_its_base(name: str) -> None:
    quantity = Q(1, name)
    base = quantity.to_base_units()
    assert np.isfinite(base.magnitude) and base.magnitude > 0


def test_definitions_cover_design_dimensions() -> None:
    for unit in ["parameter", "token", "word", "char", "hanzi", "card", "user", "call", "byte", "USD", "CNY",
                 "card_hour", "card_day", "card_month", "张", "卡", "天", "小时", "月", "个月", "参数"]:
        assert unit in ureg, unit
    dimensions = {Q(1, unit).dimensionality for unit in ["parameter", "token", "word", "char", "hanzi", "card",
                                                          "user", "call", "byte", "USD", "CNY", "FLOP"]}
    assert len(dimensions) == 12


def test_one_registry_everywhere() -> None:
    assert flopsheet.ureg is ureg
    assert flopsheet.card_peak("A100", "tf32")._REGISTRY is ureg


FORMAT_CASES = [
    (format_eng, "5.895053151373e24 FLOP", "5.895e24 FLOP"),
    (format_eng, "13793 card", "13.79e3 card"),
    (format_eng, "1481.48 card", "1.481e3 card"),
    (format_eng, "0.302", "302.0e-3"),
    (format_zh, "13793 card", "1.38万 card"),
    (format_zh, "2e11 parameter", "2000亿 parameter"),
    (format_zh, "4.9e12 token", "4.9万亿 token"),
    (format_zh, "800 card", "800 card"),
]


@pytest.mark.parametrize(("formatter", "text", "expected"), FORMAT_CASES)
def test_formatting(formatter, text: str, expected: str) -> None:
    assert formatter(Q(text)) == expected


def test_formatting_round_trips_through_Q() -> None:
    assert Q(format_zh(Q("13793 card"))).to("card").magnitude == pytest.approx(13800)
    assert Q(format_eng(Q("5.895e24 FLOP"))).to("FLOP").magnitude == pytest.approx(5.895e24)
