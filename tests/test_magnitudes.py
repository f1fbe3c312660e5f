"""Issue 12: English magnitudes ("70B", "15T", "32k", "70 billion") and the Chinese words.

The argument decides: where a count or a plain number is expected a lone k/K, M, B or T
after a number is a magnitude; where a data size is expected (or with no default unit)
"70B" stays 70 bytes. A magnitude before a unit ("1.5T tokens") and the words ("70
billion", "70bn", "千亿") always count. Magnitudes are exact (Decimal), never 1.1 * 1e12.
"""

from __future__ import annotations

import types
from decimal import Decimal

import pytest

import flopsheet
from flopsheet import Q, UnitInputError
from flopsheet.cli import main
from addin_support import scalar, server  # noqa: F401 (server is a fixture)

COUNT_CASES = [
    ("70B", 70e9), ("405B", 405e9), ("15T", 15e12), ("32k", 32e3), ("32K", 32e3), ("1.5M", 1.5e6),
    ("70 billion", 70e9), ("1.5 trillion", 1.5e12), ("70bn", 70e9), ("70 Bn", 70e9), ("70 B", 70e9),
    ("5 T", 5e12), ("2 thousand", 2e3), ("3 million", 3e6), ("1,500k", 1.5e6), ("4.1B", 4.1e9),
]


@pytest.mark.parametrize(("text", "value"), COUNT_CASES)
@pytest.mark.parametrize("unit", ["parameter", "token", "call", "user", "card", "dimensionless"])
def test_english_magnitudes_in_count_arguments(text: str, value: float, unit: str) -> None:
    quantity = Q(text, unit)
    assert quantity.units == flopsheet.ureg.Unit(unit)
    assert quantity.magnitude == value


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("1.5T tokens", 1.5e12, "token"), ("70B parameters", 70e9, "parameter"), ("32k token", 32e3, "token"),
    ("152B USD", 152e9, "USD"), ("2 M calls/day", 2e6, "call/day"), ("70 billion parameters", 70e9, "parameter"),
    ("1.5 trillion tokens", 1.5e12, "token"), ("3M card", 3e6, "card")])
@pytest.mark.parametrize("default", [None, "parameter", "TB"])
def test_a_magnitude_before_a_unit_counts_whatever_the_default(text: str, value: float, unit: str,
                                                               default: str | None) -> None:
    assert Q(text, default).to(unit).magnitude == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("30TB", 30e12, "B"), ("70B", 70, "B"), ("70 B", 70, "B"), ("1.5 TB", 1.5e12, "B"), ("1.5TB", 1.5e12, "B"),
    ("512 kB", 512e3, "B"), ("5 B/s", 5, "B/s"), ("35 TiB", 35 * 2**40, "B")])
@pytest.mark.parametrize("default", [None, "TB", "byte/char"])
def test_where_bytes_are_read_B_stays_bytes(text: str, value: float, unit: str, default: str | None) -> None:
    assert Q(text, default).to(unit).magnitude == pytest.approx(value, rel=1e-15)


def test_data_arguments_keep_bytes() -> None:
    assert flopsheet.data_tokens("70B").to("token").magnitude == pytest.approx(70 / 2 / 5.1 / 0.75)
    assert flopsheet.data_tokens("30TB").to("token").magnitude == pytest.approx(30e12 / 2 / 5.1 / 0.75)


def test_train_flops_reads_70B_and_15T() -> None:
    flops = flopsheet.train_flops("70B", "15T")
    assert flops.units == flopsheet.ureg.FLOP
    assert flops.magnitude == 6.3e24
    assert flopsheet.train_flops("70 billion", "15 trillion tokens").magnitude == 6.3e24
    assert flopsheet.infer_flops("405B", "32k").magnitude == 2 * 405e9 * 32e3


def test_excel_reads_70B_and_15T(server: types.ModuleType) -> None:
    assert scalar(server, "TRAIN_FLOPS", "70B", "15T") == 6.3e24


def test_the_command_line_reads_params_70B(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["show", "table5_kimi_training", "--set", "params=70B"])
    out = capsys.readouterr().out
    assert code == 0
    assert "70,000,000,000" in out


@pytest.mark.parametrize(("text", "value"), [
    ("千亿", 1e11), ("万亿", 1e12), ("十亿", 1e9), ("百亿", 1e10), ("十万", 1e5), ("百万", 1e6), ("千万", 1e7),
    ("十万亿", 1e13), ("2000亿", 2e11), ("4.9万亿", 4.9e12), ("1.38万", 13800), ("5千", 5000), ("3 百万", 3e6),
    ("万亿 tokens", 1e12), ("千亿参数", 1e11)])
def test_chinese_magnitude_words(text: str, value: float) -> None:
    assert Q(text, "token" if "参数" not in text and "tokens" not in text else None).magnitude == value


@pytest.mark.parametrize("text", ["万万", "亿万", "3亿万万亿", "百千", "十百", "亿亿", "万十", "亿", "万", "千", "十万万"])
def test_runs_outside_standard_usage_are_refused(text: str) -> None:
    with pytest.raises(UnitInputError):
        Q(text, "token")


@pytest.mark.parametrize(("text", "number", "factor"), [
    ("1.07万亿", "1.07", 10**12), ("4.1B", "4.1", 10**9), ("0.27T", "0.27", 10**12), ("2.01 trillion", "2.01", 10**12),
    ("8.3bn", "8.3", 10**9), ("1.08万亿", "1.08", 10**12)])
def test_magnitudes_are_exact(text: str, number: str, factor: int) -> None:
    exact = float(Decimal(number) * factor)
    assert Q(text, "token").magnitude == exact
    assert float(number) * float(factor) != exact  # the float product would be off in the last digit


@pytest.mark.parametrize(("text", "default", "detail"), [
    ("15T", None, '"T" alone is a magnitude only where a count is expected: write "15 trillion"'),
    ("32k", None, 'write "32 thousand" or give the unit ("32k tokens")'),
    ("15T", "TB", '"T" alone is not a unit: write "15 TB" for bytes'),
    ("70B", "亿parameter", 'write "70B parameter" or a number of 亿parameter'),
    ("2000亿", "亿parameter", 'write "2000亿 parameter" or a number of 亿parameter'),
    ("128k", "ktoken", 'write "128k token" or a number of ktoken'),
])
def test_a_magnitude_that_could_be_read_twice_or_as_a_unit_is_refused(text: str, default: str | None,
                                                                     detail: str) -> None:
    with pytest.raises(UnitInputError) as caught:
        Q(text, default)
    assert detail in str(caught.value)


def test_no_default_unit_reads_text_as_written() -> None:
    assert Q("70B").to("B").magnitude == 70
    assert Q("70 billion").magnitude == 70e9
    assert Q("70bn").magnitude == 70e9
    assert Q("1.5T tokens").to("token").magnitude == 1.5e12
    assert Q("千亿").magnitude == 1e11
