"""Issue 22, "the analyst's first hour": slips a new analyst makes, each held here so it stays fixed."""

from __future__ import annotations

import warnings

import pytest

import flopsheet
from flopsheet.units import AssumptionWarning, UnitInputError, UnknownNameError
from flopsheet.formulas import args


def test_a_bare_count_under_1000_parameters_warns_and_says_what_was_read() -> None:
    with pytest.warns(AssumptionWarning, match=r'params: read 70 as 70 parameters, under 1,000; .*did you mean "70B"'):
        flops = flopsheet.train_flops(70, "15T")
    assert flops.to("FLOP").m == pytest.approx(6 * 70 * 15e12)          # read as written, and said so
    with pytest.warns(AssumptionWarning, match="under 1,000"):
        flopsheet.train_memory(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumptionWarning)
        flopsheet.train_flops(70e9, "15T")
        flopsheet.train_flops("70B", "15T")


@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("70b", args.PARAMETERS, 70e9), ("15t", args.TOKENS, 15e12), ("7m", args.PARAMETERS, 7e6),
    ("70B", args.PARAMETERS, 70e9), ("15T", args.TOKENS, 15e12),
])
def test_lowercase_magnitude_letters_where_a_count_is_expected(text: str, kind: args.ArgKind, expected: float) -> None:
    assert args.quantity_arg(text, "x", kind).to(kind.unit).m == pytest.approx(expected)


@pytest.mark.parametrize(("text", "kind"), [("3m", args.DURATION), ("5b", args.CARDS), ("15t tokens", args.TOKENS)])
def test_lowercase_letters_stay_errors_where_they_are_units(text: str, kind: args.ArgKind) -> None:
    """"3m" for a duration must not become 3 million days; before a unit a lowercase letter is a unit."""
    with pytest.raises(UnitInputError):
        args.quantity_arg(text, "x", kind)


def test_train_flops_accepts_lowercase_counts() -> None:
    assert flopsheet.train_flops("70b", "15t") == flopsheet.train_flops("70B", "15T")


@pytest.mark.parametrize(("call", "suggestion"), [
    (lambda: flopsheet.card_peak("H10", "bf16"), '"H100"'),
    (lambda: flopsheet.train_cards(1e24, "H10 bf16", 0.4, 90), '"H100"'),
    (lambda: flopsheet.model_shape("Lama 2 70B"), '"Llama 2 70B"'),
    (lambda: flopsheet.train_flops("Lama 2 70B", 1e12), '"Llama 2 70B"'),
    (lambda: flopsheet.train_memory("Lama-2-70B"), '"Llama 2 70B"'),
    (lambda: flopsheet.mfu("Megatron-Turing NGL"), '"Megatron-Turing NLG"'),
])
def test_misspelt_card_and_model_names_get_a_did_you_mean(call, suggestion: str) -> None:
    with pytest.raises(UnknownNameError) as raised:
        call()
    assert "did you mean " + suggestion in str(raised.value)
