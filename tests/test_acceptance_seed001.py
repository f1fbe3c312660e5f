"""Seed 001 Tables 5 and 6: every printed number, reproduced or shown not to follow."""

from __future__ import annotations

import warnings

import pytest

import flopsheet
from flopsheet import Q

PARAMS = "2000亿"
PRINTED_DATA = "37,580,963,840 kB"
PRINTED_LETTERS = 1.88e13
PRINTED_WORDS = 3_684_408_219_608
PRINTED_TOKENS = 4_912_544_292_810
PRINTED_FLOP = 5.90e24
PRINTED_TFLOP = 5_895_053_151_373
PRINTED_CARDS = 13_793
PEAK = "A100 tf32"
UTILIZATION = "30.2%"


@pytest.fixture(scope="module")
def printed_tokens():
    return flopsheet.data_tokens(PRINTED_DATA)


@pytest.fixture(scope="module")
def printed_flops(printed_tokens):
    return flopsheet.train_flops(PARAMS, printed_tokens)


def test_table5_tokens_from_the_printed_data_figure(printed_tokens) -> None:
    assert printed_tokens.units == flopsheet.ureg.token
    assert printed_tokens.magnitude == pytest.approx(PRINTED_TOKENS, abs=1)


def test_table5_letters_and_words_follow_from_kB() -> None:
    letters = Q(PRINTED_DATA) / Q("2 byte/char")
    words = letters / Q("5.1 char/word")
    assert letters.to("char").magnitude == pytest.approx(PRINTED_LETTERS, rel=5e-3)  # printed to 3 digits
    assert words.to("word").magnitude == pytest.approx(PRINTED_WORDS, abs=1)


def test_table5_flop(printed_flops) -> None:
    assert printed_flops.to("FLOP").magnitude == pytest.approx(5.895e24, rel=1e-4)
    assert printed_flops.to("FLOP").magnitude == pytest.approx(PRINTED_FLOP, rel=1e-2)  # printed "5.90E+24"
    assert printed_flops.to("TFLOP").magnitude == pytest.approx(PRINTED_TFLOP, abs=1)


def test_table5_cards_match_105_days_not_90(printed_flops) -> None:
    cards_105 = flopsheet.train_cards(printed_flops, PEAK, UTILIZATION, "105 days")
    cards_90 = flopsheet.train_cards(printed_flops, "156 TFLOPS", UTILIZATION, "90 days")
    cards_3_months = flopsheet.train_cards(printed_flops, PEAK, UTILIZATION, "3 months")
    assert cards_105.magnitude == pytest.approx(PRINTED_CARDS, abs=0.5)
    assert round(cards_90.magnitude) == 16_092
    assert round(cards_3_months.magnitude) == 15_860


def test_table5_stated_inputs_give_fewer_cards() -> None:
    stated = flopsheet.train_flops(PARAMS, flopsheet.data_tokens("30 TB"))
    assert round(flopsheet.train_cards(stated, PEAK, UTILIZATION, "90 days").magnitude) == 12_846
    assert round(flopsheet.train_cards(stated, PEAK, UTILIZATION, "3 months").magnitude) == 12_661


def test_table5_unit_slip_35_TiB_in_KiB_read_as_kB() -> None:
    printed_number = 37_580_963_840
    assert printed_number == 35 * 1024**3  # 35 TiB expressed in KiB ...
    assert Q(printed_number, "KiB").to("TiB").magnitude == pytest.approx(35)
    as_kilobytes = Q(printed_number, "kB")  # ... but the letters multiply it by 1000
    assert as_kilobytes.to("TB").magnitude == pytest.approx(37.58, abs=0.005)
    assert as_kilobytes.to("TiB").magnitude == pytest.approx(34.18, abs=0.005)
    assert (as_kilobytes / Q("2 byte/char")).to("char").magnitude == pytest.approx(PRINTED_LETTERS, rel=5e-3)
    assert Q(printed_number, "kB").to("TB").magnitude != pytest.approx(30, rel=0.05)


def test_table5_utilization_was_measured_against_bf16(printed_flops) -> None:
    measured = flopsheet.mfu("Megatron-Turing NLG")
    assert (measured.value, measured.card, measured.precision) == (0.302, "A100", "bf16")
    with pytest.warns(flopsheet.AssumptionWarning, match=r"measured against A100 bf16.*A100 tf32.*6,896.4.*13,792.8"):
        inconsistent = flopsheet.train_cards(printed_flops, PEAK, measured, "105 days")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        consistent = flopsheet.train_cards(printed_flops, "A100 bf16", measured, "105 days")
    assert consistent.magnitude == pytest.approx(inconsistent.magnitude / 2)


def test_table6_inference() -> None:
    per_call = flopsheet.infer_flops(PARAMS, 2000)
    assert per_call.to("FLOP").magnitude == pytest.approx(8.0e14)
    assert flopsheet.infer_flops(PARAMS, 1000).to("FLOP").magnitude == pytest.approx(4.0e14)  # the stated 1000
    daily = per_call * Q("300万 1/day") * Q("1 day")
    assert daily.to("TFLOP").magnitude == pytest.approx(2.4e9)
    cards = flopsheet.infer_cards(per_call, "300万", "A10 fp16", "30%", busy_hours=12)
    assert cards.magnitude == pytest.approx(1481, abs=0.5)
    assert flopsheet.card_peak("A10", "fp16").to("TFLOPS/card").magnitude == 125


def test_table6_calls_per_day_from_dau() -> None:
    calls = Q("10万 user") * Q("30 call/user/day")
    assert calls.to("call/day").magnitude == pytest.approx(3e6)
    cards = flopsheet.infer_cards("8e14 FLOP/call", calls, "125 TFLOPS", 0.3, "12 hours")
    assert cards.magnitude == pytest.approx(1481.48, abs=0.01)
