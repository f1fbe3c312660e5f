"""Issue 11 (units layer): every bad cell text gets a clear refusal, quickly, in the family.

One case per line: the function, its arguments, the error class and the exact message.
Every message names the argument (where the function has one), what was given and
what was expected; nothing raises anything but a ValueError subclass of
flopsheet.units.errors, and text over MAX_CELL_TEXT characters is refused before it is
read (the 1 MB cases below return at once: parsing is linear and capped).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import flopsheet
from flopsheet import Q
from flopsheet.formulas import as_peak, as_utilization, card_peak
from flopsheet.formulas.catalogues.runs import run_names
from flopsheet.formulas.training.utilization import mfu_runs
from flopsheet.units import InputRangeError, UnitInputError, UnknownNameError, format_eng, format_zh, parse_unit
from flopsheet.units.parse import MAX_CELL_TEXT

MEGABYTE = 1_000_000
#: The catalogue's cards and the A100's precisions, as refusals list them (read from the catalogue, not copied).
KNOWN_CARDS = ", ".join(flopsheet.card_names())
A100_PRECISIONS = ", ".join(f"A100 {precision}" for precision in flopsheet.catalogue()["A100"].dense)
#: Every run mfu() knows, as its refusal lists them (read from the tables, not copied).
KNOWN_RUNS = ", ".join([*mfu_runs(), *run_names()])
CHINESE_WORDS = "use one of 万, 亿, 万亿, 十万, 百万, 千万, 十亿, 百亿, 千亿 (small to large)"
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "Q": Q, "parse_unit": parse_unit, "as_peak": as_peak, "as_utilization": as_utilization, "card_peak": card_peak,
    "train_flops": flopsheet.train_flops, "infer_cards": flopsheet.infer_cards, "data_tokens": flopsheet.data_tokens,
    "mfu": flopsheet.mfu, "format_eng": format_eng, "format_zh": format_zh,
}
CASES: list[tuple[str, tuple[Any, ...], type[ValueError], str]] = [
    ("Q", ("70亿。",), UnitInputError, 'expected a known unit, got "70亿。"; "。" cannot be part of a unit'),
    ("Q", ("70亿。", "parameter"), UnitInputError, 'expected a known unit, got "70亿。"; "。" cannot be part of a unit'),
    ("Q", ("1e500",), UnitInputError, 'expected a finite number, got "1e500"; too large for a float (over 1.8e308)'),
    ("Q", ("1e500", "token"), UnitInputError, 'expected a finite number, got "1e500"; too large for a float (over 1.8e308)'),
    ("Q", ("9" * 400,), UnitInputError, 'expected a text of at most 256 characters, got "9999999999999999999999999999999999999999..." (400 characters)'),
    ("Q", ("9" * 200 + "e200",), UnitInputError, 'expected a finite number, got "9999999999999999999999999999999999999999..." (204 characters); too large for a float (over 1.8e308)'),
    ("Q", ("1e-400",), UnitInputError, 'expected a number of at least 2.2e-308 in size, or 0, got "1e-400"; too small: a float would lose its digits or read it as 0'),
    ("Q", ("1e-320",), UnitInputError, 'expected a number of at least 2.2e-308 in size, or 0, got "1e-320"; too small: a float would lose its digits or read it as 0'),
    ("Q", ("1e300 EB",), UnitInputError, 'expected a finite number, got "1e300 EB"; too large: over 1.8e308 bit in base units'),
    ("Q", ("2e300万亿",), UnitInputError, 'expected a finite number, got "2e300万亿"; too large for a float (over 1.8e308)'),
    ("Q", ("45 %%",), UnitInputError, 'expected a percentage with one "%" sign ("45%" is 0.45), got "45 %%"'),
    ("Q", ("45%%",), UnitInputError, 'expected a percentage with one "%" sign ("45%" is 0.45), got "45%%"'),
    ("Q", ("3²",), UnitInputError, 'expected a known unit, got "3²"; "²" is a power and belongs after a unit ("TB²"); it is not a digit'),
    ("Q", ("3² months",), UnitInputError, 'expected a known unit, got "3² months"; "²" is a power and belongs after a unit ("TB²"); it is not a digit'),
    ("Q", ("½",), UnitInputError, 'expected a number or a quantity such as "30 TB", got "½"'),
    ("Q", ("1 ᵀᴮ",), UnitInputError, "expected a known unit, got \"1 ᵀᴮ\"; unknown unit: 'ᵀᴮ' is not defined in the unit registry"),
    ("Q", ("3亿万万亿",), UnitInputError, f'expected a number or a quantity such as "30 TB", got "3亿万万亿"; "亿万万亿" is not a magnitude; {CHINESE_WORDS}'),
    ("Q", ("万万",), UnitInputError, f'expected a number or a quantity such as "30 TB", got "万万"; "万万" is not a magnitude; {CHINESE_WORDS}'),
    ("Q", ("亿万 tokens",), UnitInputError, f'expected a number or a quantity such as "30 TB", got "亿万 tokens"; "亿万" is not a magnitude; {CHINESE_WORDS}'),
    ("Q", ("亿",), UnitInputError, 'expected a number or a quantity such as "30 TB", got "亿"'),
    ("Q", ("30 TB,",), UnitInputError, 'expected a known unit, got "30 TB,"; "," cannot be part of a unit'),
    ("Q", ("30 TB;",), UnitInputError, 'expected a known unit, got "30 TB;"; ";" cannot be part of a unit'),
    ("Q", ("30 TB，",), UnitInputError, 'expected a known unit, got "30 TB，"; "," cannot be part of a unit'),
    ("Q", ("13,793,",), UnitInputError, 'expected a known unit, got "13,793,"; "," cannot be part of a unit'),
    ("Q", ("1,00",), UnitInputError, 'expected a known unit, got "1,00"; "," cannot be part of a unit'),
    ("Q", ("30 TB TB",), UnitInputError, 'expected a known unit, got "30 TB TB"; write "*" or "/" between "TB" and "TB"'),
    ("Q", ("1 TB**999999999",), UnitInputError, 'expected a known unit, got "1 TB**999999999"; a power is a whole number from -6 to 6 other than 0, not 999999999'),
    ("Q", ("1 TB ** (1/0)",), UnitInputError, 'expected a known unit, got "1 TB ** (1/0)"; a power is a whole number, not "("'),
    ("Q", ("1 TB / ",), UnitInputError, 'expected a known unit, got "1 TB / "; the unit ends where a unit name should follow'),
    ("Q", ("1 ((((TB))))",), UnitInputError, 'expected a known unit, got "1 ((((TB))))"; at most 3 levels of parentheses'),
    ("Q", ("1 'TB'",), UnitInputError, 'expected a known unit, got "1 \'TB\'"; "\'" cannot be part of a unit'),
    ("Q", ("1 TB # comment",), UnitInputError, 'expected a known unit, got "1 TB # comment"; "#" cannot be part of a unit'),
    ("Q", ("1 TB\\",), UnitInputError, 'expected a known unit, got "1 TB\\"; "\\" cannot be part of a unit'),
    ("Q", ("=cmd|' /C calc'!A0",), UnitInputError, 'expected a number or a quantity such as "30 TB", got "=cmd|\' /C calc\'!A0"'),
    ("Q", ("@SUM(1)",), UnitInputError, 'expected a number or a quantity such as "30 TB", got "@SUM(1)"'),
    ("Q", ("#N/A",), UnitInputError, 'expected a number or a quantity such as "30 TB", got "#N/A"'),
    ("Q", ("15T",), UnitInputError, 'expected a known unit, got "15T"; "T" alone is a magnitude only where a count is expected: write "15 trillion" or give the unit ("15T tokens")'),
    ("Q", ("32k", "TB"), UnitInputError, 'expected a known unit, got "32k"; "k" alone is not a unit: write "32 kB" for bytes'),
    ("Q", ("70B", "亿parameter"), UnitInputError, 'expected a unit after "B", since this value is kept in 亿parameter, a unit with a magnitude of its own, got "70B"; write "70B parameter" or a number of 亿parameter'),
    ("Q", ("2000亿", "TB"), UnitInputError, 'expected a unit after "亿", since this value is kept in TB, a unit with a magnitude of its own, got "2000亿"; write "2000亿 byte" or a number of TB'),
    ("Q", ("nan",), UnitInputError, 'expected a number or a quantity such as "30 TB", got "nan"'),
    ("Q", ("inf",), UnitInputError, 'expected a number or a quantity such as "30 TB", got "inf"'),
    ("Q", (float("inf"), "token"), UnitInputError, "expected a finite number, got inf; NaN, infinity or over 1.8e308"),
    ("Q", (10**400,), UnitInputError, "expected a finite number, got 1000000000000000000000000000000000000000... (401 characters); NaN, infinity or over 1.8e308"),
    ("Q", (1e300, "EB"), UnitInputError, "expected a finite number, got 1e+300; too large: over 1.8e308 bit in base units"),
    ("Q", (True,), UnitInputError, "expected a number or a quantity, not TRUE/FALSE, got True"),
    ("Q", ("",), UnitInputError, 'expected a number or a quantity such as "30 TB", got ""; the cell is empty'),
    ("Q", ("\u3000",), UnitInputError, 'expected a number or a quantity such as "30 TB", got "\u3000"; the cell is empty'),
    ("Q", ("x" * MEGABYTE,), UnitInputError, 'expected a text of at most 256 characters, got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..." (1,000,000 characters)'),
    ("Q", ("30 tb",), UnitInputError, 'expected a known unit, got "30 tb"; write TB (decimal) or TiB (binary) for bytes'),
    ("Q", ("5 tflops",), UnitInputError, 'expected a known unit, got "5 tflops"; write FLOP (a count, e.g. TFLOP) or FLOPS (a rate, e.g. TFLOPS)'),
    ("Q", ("--5",), UnitInputError, 'expected a number or a quantity such as "30 TB", got "--5"'),
    ("Q", ("5.",), UnitInputError, 'expected a known unit, got "5."; "." cannot be part of a unit'),
    ("Q", ("٣٠",), UnitInputError, 'expected a number or a quantity such as "30 TB", got "٣٠"'),
    ("parse_unit", ("TB,",), UnitInputError, 'expected a known unit, got "TB,"; "," cannot be part of a unit'),
    ("parse_unit", ("TB^^2",), UnitInputError, 'expected a known unit, got "TB^^2"; a power is a whole number, not "^"'),
    ("parse_unit", ("TB**",), UnitInputError, 'expected a known unit, got "TB**"; the unit ends where a power should follow'),
    ("parse_unit", ("(TB",), UnitInputError, 'expected a known unit, got "(TB"; the unit ends where ")" should follow'),
    ("parse_unit", ("TB)",), UnitInputError, 'expected a known unit, got "TB)"; ")" without a matching "("'),
    ("parse_unit", ("1/0",), UnitInputError, 'expected a known unit, got "1/0"; a unit name should come where "0" is'),
    ("parse_unit", ("TB²²²",), UnitInputError, 'expected a known unit, got "TB²²²"; a power is a whole number from -6 to 6 other than 0, not ²²²'),
    ("parse_unit", ("TB" * MEGABYTE,), UnitInputError, 'expected a text of at most 256 characters, got "TBTBTBTBTBTBTBTBTBTBTBTBTBTBTBTBTBTBTBTB..." (2,000,000 characters)'),
    ("as_peak", ("A100 fp7",), UnknownNameError, f'peak: unknown precision "A100 fp7"; known: {A100_PRECISIONS}'),
    ("as_peak", ("H999 bf16",), UnknownNameError, f'peak: unknown accelerator "H999"; known: {KNOWN_CARDS}'),
    ("as_peak", ("H100",), UnknownNameError, 'peak: unknown precision for "H100"; known: H100 fp64, H100 fp32, H100 tf32, H100 bf16, H100 fp16, H100 fp8, H100 int8'),
    ("as_peak", ("A100 fp64 sparse",), UnknownNameError, 'peak: unknown sparse precision "A100 fp64 sparse"; known: A100 tf32 sparse, A100 bf16 sparse, A100 fp16 sparse, A100 int8 sparse'),
    ("as_peak", ("A100 bf16 extra",), UnknownNameError, f'peak: unknown precision "A100 bf16 extra"; known: {A100_PRECISIONS}'),
    ("as_peak", ("312T",), UnitInputError, 'peak: expected a unit after "T", since this value is kept in TFLOPS/card, a unit with a magnitude of its own, got "312T"; write "312T FLOPS/card" or a number of TFLOPS/card'),
    ("as_peak", ("-156 TFLOPS",), InputRangeError, 'peak: must be greater than 0, got "-156 TFLOPS"'),
    ("as_peak", ("156 TB",), UnitInputError, 'peak: expected a peak rate per card or a catalogue reference like "A100 tf32" (e.g. "156 TFLOPS"), got "156 TB"'),
    ("as_peak", ("1" * MEGABYTE,), UnitInputError, 'peak: expected a text of at most 256 characters, got "1111111111111111111111111111111111111111..." (1,000,000 characters)'),
    ("as_peak", ("A" * MEGABYTE,), UnitInputError, 'peak: expected a text of at most 256 characters, got "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA..." (1,000,000 characters)'),
    ("as_utilization", (1.0000001,), InputRangeError, 'utilization: must be in (0, 100%], got "100.00001%"'),
    ("as_utilization", ("100.00001%",), InputRangeError, 'utilization: must be in (0, 100%], got "100.00001%"'),
    ("as_utilization", ("45 %%",), UnitInputError, 'utilization: expected a percentage with one "%" sign ("45%" is 0.45), got "45 %%"'),
    ("as_utilization", ("0%",), InputRangeError, 'utilization: must be in (0, 100%], got "0%"'),
    ("as_utilization", ("30% @ A1000 bf16",), UnknownNameError, f'utilization: unknown accelerator "A1000"; known: {KNOWN_CARDS}'
     '; did you mean "A100" or "A100 40GB" or "A10"?'),
    ("as_utilization", ("30% @ A100 fp7",), UnknownNameError, f'utilization: unknown precision "A100 fp7"; known: {A100_PRECISIONS}'),
    ("as_utilization", ("30% @",), UnknownNameError, 'utilization: unknown measurement reference in "30% @"; known: a card and precision like "A100 bf16"'),
    ("as_utilization", ("30 TB",), UnitInputError, 'utilization: expected a utilization fraction (e.g. "30.2%"), got "30 TB"'),
    ("as_utilization", ("@" * MEGABYTE,), UnitInputError, 'utilization: expected a text of at most 256 characters, got "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@..." (1,000,000 characters)'),
    ("card_peak", ("A100", "bf16", "maybe"), UnitInputError, 'sparse: expected TRUE or FALSE (also the text true/false, yes/no, 1/0, 是/否, sparse/dense), got "maybe"'),
    ("card_peak", ("A100", "bf16", 2), UnitInputError, 'sparse: expected TRUE or FALSE (also the text true/false, yes/no, 1/0, 是/否, sparse/dense), got 2'),
    ("mfu", (0,), UnknownNameError, f"utilization: unknown MFU run 0; known: {KNOWN_RUNS}"),
    ("mfu", ("x" * MEGABYTE,), UnknownNameError, f'utilization: unknown MFU run "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..." (1,000,000 characters); known: {KNOWN_RUNS}'),
    ("infer_cards", (8e14, "300万", "A10 fp16", "30%", 24.0000001), InputRangeError, 'busy_hours: must be at most 24 hours a day, got "24.0000001 h"'),
    ("infer_cards", (8e14, "300万", "A10 fp16", "30%", np.array([12.0, 25.5])), InputRangeError, 'busy_hours: must be at most 24 hours a day, got "25.5 h"'),
    ("train_flops", (10**400, 1), UnitInputError, "params: expected a finite number, got 1000000000000000000000000000000000000000... (401 characters); NaN, infinity or over 1.8e308"),
    ("train_flops", ("70B", "30TB"), UnitInputError, 'tokens: expected a token count (e.g. "4.9万亿 tokens"), got "30TB"'),
    ("train_flops", ("abc", "15T"), UnitInputError, 'params: expected a parameter count (e.g. "2000亿"), got "abc"'),
    ("train_flops", ("70B", "15T", "6 %%"), UnitInputError, 'flop_per_param_token: expected a percentage with one "%" sign ("45%" is 0.45), got "6 %%"'),
    ("data_tokens", ("70 billion",), UnitInputError, 'data: expected a unit after "billion", since this value is kept in TB, a unit with a magnitude of its own, got "70 billion"; write "70 billion byte" or a number of TB'),
    ("data_tokens", ("15T",), UnitInputError, 'data: expected a known unit, got "15T"; "T" alone is not a unit: write "15 TB" for bytes'),
    ("format_eng", ([1.0, 2.0],), UnitInputError, 'value: expected a single value, got "a range of shape (2,)"'),
    ("format_zh", ("30 TB", 3, "day"), UnitInputError, 'unit: expected a unit of the same dimension as "TB", got "day"'),
]


@pytest.mark.parametrize(("function", "args", "error", "message"), CASES,
                         ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)])
def test_bad_input_gets_its_exact_message(function: str, args: tuple[Any, ...], error: type[ValueError],
                                          message: str) -> None:
    with pytest.raises(ValueError) as caught:
        FUNCTIONS[function](*args)
    assert type(caught.value) is error
    assert str(caught.value) == message


def test_the_table_has_at_least_40_distinct_bad_inputs() -> None:
    assert len({(case[0], repr(case[1])[:200]) for case in CASES}) >= 40
    assert len(CASES) >= 80


@pytest.mark.parametrize("text", ["1" * (MAX_CELL_TEXT + 1), "(" * MEGABYTE, "1 " + "TB*" * MEGABYTE, " " * MEGABYTE + "1",
                                  "1," * MEGABYTE, "A100 " * MEGABYTE + "bf16", "30% " + "@" * MEGABYTE])
@pytest.mark.parametrize("reader", [lambda t: Q(t), lambda t: Q(t, "token"), lambda t: Q(t, "TB"), parse_unit,
                                    as_peak, as_utilization], ids=["Q", "Q-token", "Q-TB", "parse_unit", "as_peak",
                                                                   "as_utilization"])
def test_text_over_the_cap_is_refused_by_every_reader(reader: Callable[[str], Any], text: str) -> None:
    with pytest.raises(UnitInputError, match=f"expected a text of at most {MAX_CELL_TEXT} characters"):
        reader(text)


def test_text_at_the_cap_is_still_read() -> None:
    padded = "30 TB".center(MAX_CELL_TEXT)
    assert Q(padded).to("TB").magnitude == 30


SILENT_MISREADS_NOW_REFUSED = ["45 %%", "30%%", "3²", "3² months", "3亿万万亿", "万万", "亿万", "30 TB,", "30 TB;", "2000亿。",
                               "１²", "1 TB#", "1 TB TB", "1,00"]


@pytest.mark.parametrize("text", SILENT_MISREADS_NOW_REFUSED)
def test_former_silent_misreads_are_refused(text: str) -> None:
    with pytest.raises(UnitInputError):
        Q(text)


@pytest.mark.parametrize("sparse", ["maybe", "2", -1, None, 2.0, "TRUE-ish", ["TRUE"], ""])
def test_card_peak_sparse_accepts_only_bool_and_its_words(sparse: Any) -> None:
    """Issue 23: sparse reads the shared strict yes/no words (args.read_bool) plus sparse/dense; nothing else."""
    with pytest.raises(UnitInputError, match='^sparse: expected TRUE or FALSE'):
        card_peak("A100", "bf16", sparse=sparse)


@pytest.mark.parametrize(("sparse", "tflops"), [(True, 624), (False, 312), (np.bool_(True), 624), ("TRUE", 624),
                                                ("false", 312), (" sparse ", 624), ("Dense", 312), ("no", 312),
                                                ("yes", 624), ("0", 312), (1, 624), (0, 312), ("是", 624), ("否", 312)])
def test_card_peak_sparse_words(sparse: Any, tflops: float) -> None:
    assert card_peak("A100", "bf16", sparse=sparse).to("TFLOPS/card").magnitude == tflops


def test_a_refused_utilization_shows_every_digit() -> None:
    with pytest.raises(InputRangeError, match=r'got "100\.00001%"'):
        flopsheet.train_cards(5.9e24, "A100 tf32", 1.0000001, 90)
    with pytest.raises(InputRangeError, match=r'got "130%"'):
        flopsheet.train_cards(5.9e24, "A100 tf32", 1.3, 90)


def test_full_width_and_odd_spaces_still_fold() -> None:
    assert Q("３０ ＴＢ").to("TB").magnitude == 30
    assert Q("３０\u3000TB").to("TB").magnitude == 30
    assert Q("30\u00a0TB").to("TB").magnitude == 30
    assert Q("30\u202fTB").to("TB").magnitude == 30
    assert Q("30\u200bTB").to("TB").magnitude == 30
    assert Q("３０．２％").magnitude == pytest.approx(0.302)
    assert Q("１３，７９３").magnitude == 13793
    assert Q("−5").magnitude == -5  # U+2212 minus sign, as PDFs print it
    assert Q("2 µs").to("s").magnitude == pytest.approx(2e-6)
    assert Q("2 μs").to("s").magnitude == pytest.approx(2e-6)  # Greek mu folds to the micro sign


def test_unit_powers_and_parentheses() -> None:
    assert parse_unit("TB²") == parse_unit("TB**2") == parse_unit("TB^2") == parse_unit("TB*TB")
    assert parse_unit("s⁻¹") == parse_unit("1/s") == parse_unit("s**-1")
    assert parse_unit("FLOP/(parameter*token)") == parse_unit("FLOP/parameter/token")
    assert parse_unit("card·h") == parse_unit("card*hour") == parse_unit("card × hour")
    assert parse_unit("TFLOPS / card") == parse_unit("TFLOPS/card")


def test_quantities_that_overflow_in_base_units_are_refused_naming_the_argument() -> None:
    with pytest.raises(UnitInputError, match=r'^data: expected a finite number, got "1e300 EB"'):
        flopsheet.data_tokens("1e300 EB")
    with pytest.raises(UnitInputError, match=r"^flops: expected a finite number"):
        flopsheet.train_cards(flopsheet.units.ureg.Quantity(float("inf"), "FLOP"), "A100 tf32", "30%", 90)
