"""FLOP from model shapes: hand-checked parts, the 6ND form unchanged, recomputation, worked cases."""

from __future__ import annotations

import numpy as np
import pytest

import flopsheet
from flopsheet.formulas.training.flops import flops_breakdown, forward_flops
from flopsheet.units import InputError, InputRangeError, UnknownNameError
from addin_support import scalar, server  # noqa: F401 (server is a fixture)

#: EleutherAI cookbook, calc/calc_transformer_flops.py defaults: the "20B" case.
COOKBOOK_SHAPE = dict(layers=44, d_model=6144, heads=64, vocab=51200, max_context=2048)
COOKBOOK_SEQ_LEN = 2048
COOKBOOK_TOKENS = 300e9
#: What that script prints with its defaults (activation checkpointing on), in FLOP. Run here
#: from the EleutherAI/cookbook repository at commit b9f8726 (2025-01-15); its printer rounds to
#: two decimals. Commit fce1d1c (2025-07-29, "flop calculation fixes") counts the
#: (un)embedding forward only, 188.75 EFLOP, for a total of 50.68 ZFLOP; the layer parts are the same.
COOKBOOK_PRINTED = {"qkv": 11.96e21, "attention matrix": 1.33e21, "attention over values": 1.33e21,
                    "projection": 3.99e21, "ffn": 31.89e21, "embedding/head": 566.23e18, "total": 51.06e21}
COOKBOOK_LATER_TOTAL = 50.68e21
PRINTED_ROUNDING = 0.005e21


def test_hand_counted_forward_parts_of_a_small_gpt() -> None:
    shape = flopsheet.model_shape(layers=2, d_model=64, heads=4, vocab=100)
    table = flops_breakdown(shape, 16)
    per_token = {"qkv": 2 * 2 * 64 * 3 * 64, "attention": 2 * 2 * 16 * 64 * 2, "projection": 2 * 2 * 64 * 64,
                 "ffn": 2 * 2 * 2 * 64 * 256, "embedding/head": 2 * 64 * 100}
    for part, flop in per_token.items():
        assert table.loc[part, "FLOP"] == 16 * flop
    assert forward_flops(shape, 16).to("FLOP").m == 16 * sum(per_token.values())
    assert forward_flops(shape, 16, 3).to("FLOP").m == 3 * 16 * sum(per_token.values())


def test_attention_grows_with_seq_len_squared() -> None:
    shape = flopsheet.model_shape("Llama 2 7B")
    short, long = (flops_breakdown(shape, n).loc["attention", "FLOP"] for n in (1024, 4096))
    assert long / short == pytest.approx(16)
    ffn_short, ffn_long = (flops_breakdown(shape, n).loc["ffn", "FLOP"] for n in (1024, 4096))
    assert ffn_long / ffn_short == pytest.approx(4)


def test_forward_flops_is_vectorised_over_seq_len() -> None:
    flops = forward_flops("Llama 2 7B", np.array([1024, 2048, 4096]))
    singles = [forward_flops("Llama 2 7B", n).to("FLOP").m for n in (1024, 2048, 4096)]
    assert flops.to("FLOP").m == pytest.approx(singles)


def test_dense_forward_is_about_two_flop_per_parameter_per_token() -> None:
    shape = flopsheet.model_shape("Llama 2 70B")
    per_token = forward_flops(shape, 1).to("FLOP").m
    non_embedding = shape.param_count(input_embedding=False)
    assert per_token == pytest.approx(2 * non_embedding, rel=0.001)


def test_moe_counts_active_experts_only() -> None:
    shape = flopsheet.model_shape("Mixtral 8x7B")
    per_token = forward_flops(shape, 1).to("FLOP").m
    assert per_token == pytest.approx(2 * shape.param_count(active=True, input_embedding=False), rel=0.001)
    assert per_token < 2 * shape.params / 3
    deepseek = flopsheet.model_shape("DeepSeek-V3")
    assert forward_flops(deepseek, 1).to("FLOP").m == pytest.approx(2 * 36.6e9, rel=0.01)


def test_six_nd_form_is_unchanged() -> None:
    assert flopsheet.train_flops(2e11, 1e12).to("FLOP").m == pytest.approx(1.2e24, rel=1e-15)
    assert flopsheet.train_flops(2e11, 1e12, 8).to("FLOP").m == pytest.approx(1.6e24, rel=1e-15)
    assert flopsheet.train_flops(2e11, 1e12, recompute=True).to("FLOP").m == pytest.approx(1.6e24)


def test_train_flops_of_a_shape_is_three_forwards_and_recompute_a_fourth_for_the_layers() -> None:
    shape = flopsheet.model_shape("Llama 2 7B")
    forward = flops_breakdown(shape, 4096)["FLOP"]
    tokens = 4096 * 10
    train = flopsheet.train_flops(shape, tokens, seq_len=4096).to("FLOP").m
    assert train == pytest.approx(10 * 3 * forward["total"])
    recomputed = flopsheet.train_flops(shape, tokens, seq_len=4096, recompute=True).to("FLOP").m
    assert recomputed - train == pytest.approx(10 * (forward["total"] - forward["embedding/head"]))


def test_train_flops_takes_a_name_and_the_sequence_length_third_as_in_excel() -> None:
    by_name = flopsheet.train_flops("Llama-2-70B", "2e12 tokens", 4096)
    by_keyword = flopsheet.train_flops(flopsheet.model_shape("Llama 2 70B"), 2e12, seq_len=4096)
    assert by_name.to("FLOP").m == by_keyword.to("FLOP").m
    assert by_name.to("FLOP").m / (6 * 68.98e9 * 2e12) == pytest.approx(1.074, abs=0.001)


def test_megatron_gpt3_worked_case_about_34_days() -> None:
    """Narayanan et al. 2021 (arXiv:2104.04473), section 5.1: GPT-3 175B, 300B tokens, 1024 A100
    at 140 TFLOPS achieved per GPU, with recomputation: 8TP/(nX) = about 34 days."""
    achieved = 140 / 312                                  # of the A100 bf16 peak
    eight_nd = flopsheet.train_flops(175e9, 300e9, recompute=True)
    days = flopsheet.train_duration(eight_nd, 1024, "A100 bf16", achieved).to("day").m
    assert days == pytest.approx(33.9, abs=0.05)
    counted = flopsheet.train_flops("GPT-3 175B", 300e9, seq_len=2048, recompute=True)
    counted_days = flopsheet.train_duration(counted, 1024, "A100 bf16", achieved).to("day").m
    assert 34 <= counted_days <= 35                      # attention and head add 2.5% to 8ND


def test_eleutherai_cookbook_20b_case() -> None:
    shape = flopsheet.model_shape(**COOKBOOK_SHAPE)
    table = flops_breakdown(shape, COOKBOOK_SEQ_LEN, COOKBOOK_TOKENS, train=True, recompute=True)["FLOP"]
    for part in ("qkv", "projection", "ffn", "total"):
        assert abs(table[part] - COOKBOOK_PRINTED[part]) <= PRINTED_ROUNDING
    attention = COOKBOOK_PRINTED["attention matrix"] + COOKBOOK_PRINTED["attention over values"]
    assert abs(table["attention"] - attention) <= 2 * PRINTED_ROUNDING
    assert table["embedding/head"] == pytest.approx(COOKBOOK_PRINTED["embedding/head"], abs=0.005e18)
    assert table["total"] == pytest.approx(COOKBOOK_LATER_TOTAL, rel=0.01)
    total = flopsheet.train_flops(shape, COOKBOOK_TOKENS, seq_len=COOKBOOK_SEQ_LEN, recompute=True)
    assert total.to("ZFLOP").m == pytest.approx(51.06, abs=0.005)


ERRORS = [
    (lambda: flopsheet.train_flops("Llama 2 7B", 1e12), InputError,
     "seq_len: expected a sequence length in tokens with a model shape (e.g. 4096)"),
    (lambda: flopsheet.train_flops(7e9, 1e12, seq_len=4096), InputError,
     "seq_len: expected no sequence length with a bare parameter count"),
    (lambda: forward_flops("Llama 2 7B", 8192), InputRangeError,
     "seq_len: must be at most Llama 2 7B's max context (4096 tokens), got \"8192 tokens\""),
    (lambda: forward_flops("Llama 2 7B", "4096 words"), InputError, "seq_len: expected a sequence length in tokens"),
    (lambda: forward_flops("Llama 2 7B", 0), InputRangeError, "seq_len: must be greater than 0"),
    (lambda: forward_flops("Llama 9", 4096), UnknownNameError, 'shape: unknown model shape "Llama 9"'),
]


@pytest.mark.parametrize(("call", "error", "message"), ERRORS)
def test_errors(call, error, message) -> None:
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)


def test_longer_context_is_studied_by_replacing_max_context() -> None:
    longer = flopsheet.model_shape("Llama 2 7B", max_context=32768)
    assert forward_flops(longer, 32768).to("FLOP").m > 8 * forward_flops(longer, 4096).to("FLOP").m


def test_excel_train_flops_takes_a_model_name_and_the_sequence_length(server) -> None:  # noqa: F811
    """=TRAIN_FLOPS("Llama-2-70B", tokens, 4096) through xlwings Server, as Excel calls it."""
    cell = scalar(server, "TRAIN_FLOPS", "Llama-2-70B", "2e12 tokens", 4096)
    assert cell == pytest.approx(flopsheet.train_flops("Llama 2 70B", 2e12, seq_len=4096).to("FLOP").m)
    assert scalar(server, "IMPLIED_UTILIZATION", 6 * 65.2e9 * 1.4e12, 1_022_362, "A100 bf16", "%") == \
        pytest.approx(47.69, abs=0.01)
