"""Training memory (ZeRO's worked example, Korthikanti activations), min_train_cards, chinchilla_optimal."""

from __future__ import annotations

import math
import warnings

import pytest

import flopsheet
from flopsheet.units import AssumptionWarning, InputError, InputRangeError, UnknownNameError

#: Rajbhandari et al. 2020 (ZeRO, arXiv:1910.02054), Figure 1: 7.5B parameters, Adam (K = 12),
#: 64 data-parallel cards: per-card model-state memory by ZeRO stage, in GB as printed.
ZERO_FIGURE_1 = {0: 120, 1: 31.4, 2: 16.6, 3: 1.9}


@pytest.mark.parametrize(("stage", "printed"), ZERO_FIGURE_1.items())
def test_zero_paper_figure_1(stage: int, printed: float) -> None:
    table = flopsheet.train_memory(7.5e9, cards=64, zero_stage=stage)
    assert round(table.loc["total", "GB"], 1) == printed
    # A parameter count has no shape: activations are not counted, and say so (never a silent 0).
    assert math.isnan(table.loc["activations", "bytes"])
    assert table.loc["activations", "note"].startswith("not counted")


def test_zero_parts_are_2_2_12_bytes_per_parameter() -> None:
    table = flopsheet.train_memory(1e9)
    assert table.loc[["weights", "gradients", "optimizer states"], "bytes"].tolist() == [2e9, 2e9, 12e9]
    assert flopsheet.train_memory(1e9, precision="fp32").loc["total", "bytes"] == 16e9
    assert flopsheet.train_memory(1e9, optimizer="sgd").loc["optimizer states", "bytes"] == 8e9


def test_korthikanti_activations_hand_checked() -> None:
    """Korthikanti et al. 2022 (arXiv:2205.05198), Table 2, per layer, 16-bit activations."""
    shape = flopsheet.model_shape("GPT-3 175B")
    s, b, h, a, layers = 2048, 1, 12288, 96, 96
    none = flopsheet.train_memory(shape, seq_len=s, tensor_parallel=8, cards=8).loc["activations", "bytes"]
    assert none == pytest.approx(layers * s * b * h * (10 + 24 / 8 + 5 * a * s / (h * 8)))
    sequence = flopsheet.train_memory(shape, seq_len=s, tensor_parallel=8, cards=8, sequence_parallel=True,
                                      recompute="selective").loc["activations", "bytes"]
    assert sequence == pytest.approx(layers * s * b * h * 34 / 8)
    full = flopsheet.train_memory(shape, seq_len=s, recompute=True).loc["activations", "bytes"]
    assert full == pytest.approx(layers * 2 * s * b * h)
    single = flopsheet.train_memory(shape, seq_len=s).loc["activations", "bytes"]
    assert single == pytest.approx(layers * s * b * h * (34 + 5 * a * s / h))
    # Korthikanti Table 2's point: selective recomputation with sequence parallelism needs
    # far less than none, and full recomputation less still.
    assert full < sequence < none < single


def test_fits_on_the_card() -> None:
    table = flopsheet.train_memory("Llama 2 70B", cards=64, zero_stage=3, seq_len=4096, tensor_parallel=8,
                                   sequence_parallel=True, recompute="selective", card="H100")
    assert table.loc["total", "fits"] is True and table.loc["total", "card_GB"] == 80
    alone = flopsheet.train_memory("Llama 2 70B", card="H100")
    assert alone.loc["total", "fits"] is False


@pytest.mark.filterwarnings("ignore:min_train_cards. memory_cards hold the model states only")  # asserted below
def test_min_train_cards_binding_reasons() -> None:
    with pytest.warns(AssumptionWarning, match="activations not counted: they need a model shape"):
        flopsheet.min_train_cards(7.5e9, 300e9, "A100 bf16", 0.4, "365 days", zero_stage=3)
    compute = flopsheet.min_train_cards(7.5e9, 300e9, "A100 bf16", 0.4, "365 days", zero_stage=3)
    assert (compute.binding, compute.cards.m, compute.memory_cards.m) == ("compute", 4, 2)
    assert compute.compute_cards.m == 4     # 6 x 7.5e9 x 300e9 / (312e12 x 0.4 x 365 days) = 3.43
    memory = flopsheet.min_train_cards(7.5e9, 300e9, "A100 bf16", 0.4, "3650 days", zero_stage=3)
    assert (memory.binding, memory.cards.m) == ("memory", 2)
    assert "memory requirement binds" in memory.reason
    staged = flopsheet.min_train_cards(7.5e9, 300e9, "A100 bf16", 0.4, "3650 days", zero_stage=1)
    # stage 1: 4 bytes/param replicated (30 GB), 12 sharded: 90 GB / (80 - 30) GB -> 2 cards
    assert staged.memory_cards.m == 2
    table = compute.to_frame()
    assert table.loc["needed", "binding"] == "compute"


def test_min_train_cards_with_a_shape_counts_attention_and_recompute() -> None:
    answer = flopsheet.min_train_cards("Llama 2 70B", 2e12, "A100 bf16", 0.43, "90 days", seq_len=4096,
                                       zero_stage=1, tensor_parallel=8, recompute="full")
    flops = flopsheet.train_flops("Llama 2 70B", 2e12, seq_len=4096, recompute=True)
    expected = flopsheet.train_cards(flops, "A100 bf16", 0.43, "90 days").m
    assert answer.compute_cards.m == -(-expected // 1)
    assert answer.binding == "compute" and answer.memory_cards.m % 8 == 0


ERRORS = [
    (lambda: flopsheet.min_train_cards(7.5e9, 300e9, "A100 bf16", 0.4, "365 days"), InputRangeError,
     "raise zero_stage, raise tensor_parallel"),
    (lambda: flopsheet.train_memory(7.5e9, card="H10"), UnknownNameError,
     'did you mean "H100"'),
    (lambda: flopsheet.train_memory("Lama 2 70B"), UnknownNameError,
     'did you mean "Llama 2 70B"'),
    (lambda: flopsheet.train_memory(7.5e9, zero_stage=4), InputError, "zero_stage: expected one of 0, 1, 2, 3, got 4"),
    (lambda: flopsheet.train_memory(7.5e9, precision="fp8"), InputError, 'precision: expected one of bf16, fp16, fp32'),
    (lambda: flopsheet.train_memory(7.5e9, optimizer="lion"), InputError, 'optimizer: expected one of adam'),
    (lambda: flopsheet.train_memory(7.5e9, cards=12, tensor_parallel=8), InputRangeError,
     "cards: must be a positive multiple of tensor_parallel x pipeline_parallel (8), got 12"),
    (lambda: flopsheet.train_memory(7.5e9, recompute="sometimes"), InputError, "recompute: expected TRUE (full)"),
    (lambda: flopsheet.min_train_cards(7.5e9, 3e11, "312 TFLOPS", 0.4, "365 days"), InputError,
     "card: expected a catalogue card"),
]


@pytest.mark.parametrize(("call", "error", "message"), ERRORS)
def test_errors(call, error, message) -> None:
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)


def test_chinchilla_optimal_for_gophers_budget() -> None:
    optimal = flopsheet.chinchilla_optimal("5.76e23 FLOP")
    assert optimal.params.to("parameter").m == pytest.approx(70e9, rel=0.02)
    assert optimal.tokens.to("token").m == pytest.approx(1.4e12, rel=0.02)
    assert 6 * optimal.params.m * optimal.tokens.m == pytest.approx(5.76e23)
    fitted = flopsheet.chinchilla_optimal(5.76e23, method="fitted")
    assert fitted.params.m < optimal.params.m and fitted.tokens.m > optimal.tokens.m
    assert 6 * fitted.params.m * fitted.tokens.m == pytest.approx(5.76e23)


def test_chinchilla_optimal_is_vectorised_and_checks_method() -> None:
    optimal = flopsheet.chinchilla_optimal([1e21, 1e25])
    assert optimal.params.m[1] / optimal.params.m[0] == pytest.approx(100)
    with pytest.raises(InputError, match='method: expected one of "ratio", "fitted"'):
        flopsheet.chinchilla_optimal(1e24, method="kaplan")


# Korthikanti et al. 2022 (arXiv:2205.05198), section 4.1/Table 2: activation bytes per layer
# 34sbh + 5as^2b without recomputation, 34sbh with selective recomputation (t = 1).
# Llama-2-70B (Touvron et al. 2023, arXiv:2307.09288): h = 8192, a = 64, L = 80, trained at s = 4096.
# By hand: 80 x 4096 x 8192 x (34 + 5 x 64 x 4096 / 8192) = 520.76e9 B; selective 80 x 4096 x 8192 x 34 = 91.27e9 B.
# Model states at ZeRO-3 on 64 cards: 16 B x 68.98e9 parameters / 64 = 17.2 GB. The issue's
# "about 538 GB (109 GB with selective recompute)" is the per-card total (17.5 GB from 70e9 + activations).
LLAMA2_70B_ACTIVATIONS = {"none": 520.76e9, "selective": 91.27e9}


@pytest.mark.parametrize(("recompute", "by_hand"), LLAMA2_70B_ACTIVATIONS.items())
def test_llama2_70b_activations_on_64_cards_zero3(recompute: str, by_hand: float) -> None:
    table = flopsheet.train_memory("Llama 2 70B", cards=64, zero_stage=3, seq_len=4096, recompute=recompute,
                                   card="H100 bf16")
    assert table.loc["activations", "bytes"] == pytest.approx(by_hand, rel=1e-4)
    states = 16 * flopsheet.model_shape("Llama 2 70B").params / 64
    assert table.loc["total", "bytes"] == pytest.approx(by_hand + states, rel=1e-4)
    assert round(table.loc["total", "GB"]) == {"none": 538, "selective": 109}[recompute]
    assert table.loc["total", "fits"] is False and "note" not in table.columns


def test_no_silent_zero_activations_in_a_fits_verdict() -> None:
    """70e9 parameters (no shape) or a shape without seq_len: activations are 'not counted', fits is unknown."""
    for model, seq_len in ((70e9, 4096), ("Llama 2 70B", None)):
        table = flopsheet.train_memory(model, cards=64, zero_stage=3, seq_len=seq_len, card="H100")
        assert math.isnan(table.loc["activations", "GB"])
        assert table.loc["activations", "note"].startswith("not counted")
        assert table.loc["total", "note"].startswith("model states only")
        assert table.loc["total", "fits"] is None          # states fit; the whole is unknown
    assert "4,096 tokens" in flopsheet.train_memory("Llama 2 70B").loc["activations", "note"]
    # States alone overflowing is a certain "no".
    assert flopsheet.train_memory(70e9, card="H100").loc["total", "fits"] is False


def test_min_train_cards_says_activations_are_not_counted() -> None:
    with pytest.warns(AssumptionWarning, match="activations not counted"):
        answer = flopsheet.min_train_cards(70e9, 2e12, "H100 bf16", 0.4, "90 days", zero_stage=3)
    assert "model states (activations not counted)" in answer.reason
    assert "activations in" not in answer.reason
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumptionWarning)
        counted = flopsheet.min_train_cards("Llama 2 70B", 2e12, "H100 bf16", 0.4, "90 days", zero_stage=3,
                                            seq_len=4096, tensor_parallel=8, sequence_parallel=True,
                                            recompute="selective")
    assert "model states and activations" in counted.reason


def test_zero3_advice_names_what_can_still_change() -> None:
    with pytest.raises(InputRangeError) as raised:
        flopsheet.min_train_cards("Llama 2 70B", 2e12, "H100 bf16", 0.4, "90 days", zero_stage=3, seq_len=4096,
                                  micro_batch=2)
    message = str(raised.value)
    assert "raise zero_stage" not in message
    for step in ("raise tensor_parallel (with sequence_parallel", "raise pipeline_parallel", 'recompute ("selective"',
                 "a smaller micro_batch", "a card with more memory"):
        assert step in message


def test_train_memory_takes_a_card_spelt_with_its_precision() -> None:
    """train/serve want "H100 bf16"; train_memory and min_train_cards take the same spelling."""
    spelt = flopsheet.train_memory("Llama 2 7B", seq_len=2048, card="H100 bf16")
    assert spelt.equals(flopsheet.train_memory("Llama 2 7B", seq_len=2048, card="H100"))
