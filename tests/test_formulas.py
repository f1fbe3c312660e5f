"""Formulas: units of results, broadcasting, round trips, bad input, warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flopsheet
from flopsheet import InputRangeError, Q, UnitInputError, UnknownNameError


def test_results_come_in_the_documented_units() -> None:
    assert flopsheet.data_tokens("1 TB").units == flopsheet.ureg.token
    assert flopsheet.train_flops(1e9, 1e9).units == flopsheet.ureg.FLOP
    assert flopsheet.train_cards(1e24, 156, 0.5, 90).units == flopsheet.ureg.card
    assert flopsheet.train_duration(1e24, 1000, 156, 0.5).units == flopsheet.ureg.day
    assert flopsheet.train_card_hours(1e24, 156, 0.5).units == flopsheet.ureg.card_hour
    assert flopsheet.infer_flops(1e9, 100).units == flopsheet.ureg.FLOP
    assert flopsheet.infer_cards(1e12, 1e6, 125, 0.3).units == flopsheet.ureg.card


def test_bare_numbers_use_the_default_units() -> None:
    # peak in TFLOPS per card, duration in days, data in TB
    assert flopsheet.train_cards(1e24, 156, 0.5, 90).magnitude == pytest.approx(1e24 / (156e12 * 0.5 * 90 * 86400))
    assert flopsheet.data_tokens(30).magnitude == pytest.approx(flopsheet.data_tokens("30 TB").magnitude)


def test_functions_broadcast_over_arrays() -> None:
    params = np.linspace(1e9, 1e12, 1000)
    flops = flopsheet.train_flops(params, "1e12 tokens")
    assert flops.shape == (1000,)
    cards = flopsheet.train_cards(flops, "H100 bf16", 0.4, np.array([[30.0], [60.0]]))
    assert cards.shape == (2, 1000)
    assert np.all(cards[0] > cards[1])


def test_text_ranges_are_parsed_cell_by_cell() -> None:
    cards = flopsheet.train_cards(["1e24 FLOP", "2e24 FLOP"], "A100 bf16", ["30%", "60%"], "90 days")
    assert cards.magnitude[0] == pytest.approx(cards.magnitude[1])  # twice the FLOP at twice the MFU


def test_peak_forms_agree() -> None:
    reference = flopsheet.train_cards(1e24, "A100 tf32", 0.3, 90)
    for peak in ["156 TFLOPS", "156 TFLOPS/card", "156e12 FLOPS", 156, Q("156 TFLOPS"), "a100 TF32", "A100-SXM4 tf32"]:
        assert flopsheet.train_cards(1e24, peak, 0.3, 90).magnitude == pytest.approx(reference.magnitude), peak
    sparse = flopsheet.train_cards(1e24, "A100 tf32 sparse", 0.3, 90)
    assert sparse.magnitude == pytest.approx(reference.magnitude / 2)


@settings(max_examples=60, deadline=None)
@given(flops=st.floats(1e18, 1e27), days=st.floats(1, 1000), utilization=st.floats(0.01, 1.0))
def test_train_duration_inverts_train_cards(flops: float, days: float, utilization: float) -> None:
    cards = flopsheet.train_cards(flops, "H100 bf16", utilization, days)
    back = flopsheet.train_duration(flops, cards, "H100 bf16", utilization)
    assert back.to("day").magnitude == pytest.approx(days, rel=1e-9)
    hours = flopsheet.train_card_hours(flops, "H100 bf16", utilization)
    assert (cards * Q(days, "day")).to("card_hour").magnitude == pytest.approx(hours.magnitude, rel=1e-9)


BAD_INPUT = [
    # (call, error class, message)
    (lambda: flopsheet.data_tokens("30 tokens"), UnitInputError, 'data: expected a data size in bytes (e.g. "30 TB"), got "30 tokens"'),
    (lambda: flopsheet.data_tokens(""), UnitInputError, "data: expected a data size in bytes (e.g. \"30 TB\"), got \"\"; the cell is empty"),
    (lambda: flopsheet.data_tokens(-5), InputRangeError, 'data: must be greater than 0, got "-5 TB"'),
    (lambda: flopsheet.data_tokens("30 TB", bytes_per_char=0), InputRangeError, "bytes_per_char: must be greater than 0"),
    (lambda: flopsheet.data_tokens("30 TB", chars_per_word="5 tokens"), UnitInputError, "chars_per_word: expected characters per word"),
    (lambda: flopsheet.data_tokens("30 TB", words_per_token=float("nan")), UnitInputError, "words_per_token: expected a finite number"),
    (lambda: flopsheet.train_flops("30 TB", 1e12), UnitInputError, 'params: expected a parameter count (e.g. "2000亿"), got "30 TB"'),
    (lambda: flopsheet.train_flops("2000亿", "30 words"), UnitInputError, 'tokens: expected a token count'),
    (lambda: flopsheet.train_flops(0, 1e12), InputRangeError, "params: must be greater than 0"),
    (lambda: flopsheet.train_flops("2000亿", "abc"), UnitInputError, 'tokens: expected a token count (e.g. "4.9万亿 tokens"), got "abc"'),
    (lambda: flopsheet.train_cards("1e24 FLOPS", 156, 0.3, 90), UnitInputError, 'flops: expected a FLOP count (e.g. "5.9e24 FLOP"), got "1e24 FLOPS"'),
    (lambda: flopsheet.train_cards(1e24, "A1000 tf32", 0.3, 90), UnknownNameError, 'peak: unknown accelerator "A1000"; known: ' + ", ".join(flopsheet.card_names())),
    (lambda: flopsheet.train_cards(1e24, "A100 fp8", 0.3, 90), UnknownNameError, 'peak: unknown precision "A100 fp8"; known: ' + ", ".join(f"A100 {p}" for p in flopsheet.catalogue()["A100"].dense)),
    (lambda: flopsheet.train_cards(1e24, "A100", 0.3, 90), UnknownNameError, 'peak: unknown precision for "A100"; known: A100 fp64'),
    (lambda: flopsheet.train_cards(1e24, "30 TB", 0.3, 90), UnitInputError, 'peak: expected a peak rate per card'),
    (lambda: flopsheet.train_cards(1e24, "156 TFLOP", 0.3, 90), UnitInputError, 'got "156 TFLOP"'),
    (lambda: flopsheet.train_cards(1e24, -156, 0.3, 90), InputRangeError, "peak: must be greater than 0"),
    (lambda: flopsheet.train_cards(1e24, 156, "130%", 90), InputRangeError, 'utilization: must be in (0, 100%], got "130%"'),
    (lambda: flopsheet.train_cards(1e24, 156, 30.2, 90), InputRangeError, 'utilization: must be in (0, 100%], got "3020%"'),
    (lambda: flopsheet.train_cards(1e24, 156, 0, 90), InputRangeError, 'utilization: must be in (0, 100%], got "0%"'),
    (lambda: flopsheet.train_cards(1e24, 156, "30 TB", 90), UnitInputError, "utilization: expected a utilization fraction"),
    (lambda: flopsheet.train_cards(1e24, 156, "30% @ A100 fp99", 90), UnknownNameError, "utilization: unknown precision \"A100 fp99\"; known: A100 fp64, A100 fp32, A100 tf32, A100 bf16, A100 fp16, A100 int8"),
    (lambda: flopsheet.train_cards(1e24, 156, 0.3, "90 TB"), UnitInputError, 'duration: expected a duration (e.g. "90 days"), got "90 TB"'),
    (lambda: flopsheet.train_cards(1e24, 156, 0.3, 0), InputRangeError, "duration: must be greater than 0"),
    (lambda: flopsheet.train_duration(1e24, "0 card", 156, 0.3), InputRangeError, "cards: must be greater than 0"),
    (lambda: flopsheet.train_duration(1e24, "5 users", 156, 0.3), UnitInputError, "cards: expected a card count"),
    (lambda: flopsheet.infer_flops("2000亿", "2000 words"), UnitInputError, "tokens: expected a token count"),
    (lambda: flopsheet.infer_cards("8e14 FLOPS", 3e6, 125, 0.3), UnitInputError, "flops_per_call: expected FLOP per call"),
    (lambda: flopsheet.infer_cards(8e14, "3e6 users", 125, 0.3), UnitInputError, "calls_per_day: expected calls per day"),
    (lambda: flopsheet.infer_cards(8e14, 3e6, 125, 0.3, busy_hours=25), InputRangeError, "busy_hours: must be at most 24 hours a day"),
    (lambda: flopsheet.infer_cards(8e14, 3e6, 125, 0.3, busy_hours=0), InputRangeError, "busy_hours: must be greater than 0"),
    (lambda: flopsheet.card_peak("A1000", "tf32"), UnknownNameError, 'card: unknown accelerator "A1000"'),
    (lambda: flopsheet.card_peak("", "tf32"), UnknownNameError, 'card: unknown accelerator ""'),
    (lambda: flopsheet.card_power("TPU v4"), UnknownNameError, "cards with a published TDP"),
    (lambda: flopsheet.mfu("GPT-5"), UnknownNameError, 'utilization: unknown MFU run "GPT-5"; known: GPT-3, Gopher'),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_INPUT)
def test_bad_input_names_argument_value_and_expectation(call, error, message) -> None:
    with pytest.raises(error) as caught:
        call()
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_array_with_one_bad_value_names_it() -> None:
    with pytest.raises(InputRangeError, match='params: must be greater than 0, got "-1 parameter"'):
        flopsheet.train_flops(np.array([1e9, -1.0]), 1e12)


def test_utilization_precision_mismatch_warns_with_the_consistent_answer() -> None:
    with pytest.warns(flopsheet.AssumptionWarning) as record:
        flopsheet.train_cards("1e24 FLOP", "156 TFLOPS", "30.2% @ A100 bf16", "90 days")
    message = str(record[0].message)
    assert "measured against A100 bf16" in message and "156 TFLOPS/card" in message and "312 TFLOPS/card" in message
    for call in (lambda: flopsheet.train_duration(1e24, 1000, "A100 tf32", "30% @ A100 bf16"),
                 lambda: flopsheet.train_card_hours(1e24, "A100 tf32", flopsheet.mfu("Megatron-Turing NLG")),
                 lambda: flopsheet.infer_cards(8e14, 3e6, "A100 tf32", "30% of A100 bf16", 12)):
        with pytest.warns(flopsheet.AssumptionWarning, match="x0.5"):
            call()


def test_no_warning_when_precisions_agree_or_are_unknown() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flopsheet.train_cards(1e24, "A100 bf16", "30.2% @ A100 bf16", 90)
        flopsheet.train_cards(1e24, "A100 tf32", "30.2%", 90)
        flopsheet.train_cards(1e24, "200 TFLOPS", "30.2% @ A100 bf16", 90)  # matches no A100 figure


def test_table4_mfu_runs() -> None:
    runs = {name: run.value for name, run in flopsheet.formulas.mfu_runs().items()}
    assert runs == {"GPT-3": 0.213, "Gopher": 0.325, "Megatron-Turing NLG": 0.302, "PaLM": 0.462}


@pytest.mark.parametrize(("call", "argument", "became"), [
    (lambda: flopsheet.train_flops(1e300, 1e300), "params", "overflows to infinity"),
    (lambda: flopsheet.train_flops(np.array([1.0, 1e300]), 1e300), "params", "overflows to infinity"),
    (lambda: flopsheet.train_cards(1e300, 1e-300, 1e-300, 1e-300), "flops", "overflows to infinity"),
    (lambda: flopsheet.data_tokens(1e300), "data", "overflows to infinity"),
    (lambda: flopsheet.infer_cards(1e300, 1e300, 1e-300, 1e-300, 1e-300), "flops_per_call", "overflows"),
    (lambda: flopsheet.train_cards("4.2e22 FLOP", "H100 bf16", "40%", "1e300 days"), "duration", "underflows to 0"),
    (lambda: flopsheet.train_duration("4.2e22 FLOP", "1e308 card", "H100 bf16", "40%"), "cards", "underflows to 0"),
    (lambda: flopsheet.infer_cards("8e14 FLOP", "3e6 call/day", "1e294 TFLOPS", "30%"), "peak", "underflows to 0"),
], ids=["train_flops", "array", "train_cards", "data_tokens", "infer_cards", "days", "cards", "peak"])
def test_a_result_outside_the_float_range_names_the_argument(call, argument: str, became: str) -> None:
    """Issue 23: inf and an underflowed 0 are errors naming the user's argument, never 'result:'."""
    with pytest.raises(flopsheet.InputRangeError, match=f"^{argument}: must be a value that keeps the result.*{became}"):
        with warnings.catch_warnings():  # the array's 1.0 is also a tiny parameter count: warned, not what is tested
            warnings.simplefilter("ignore", flopsheet.AssumptionWarning)
            call()
