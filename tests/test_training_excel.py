"""The training functions of issue 14 in Excel, through xlwings' Office.js entry point (as Excel sends them).

FORWARD_FLOPS, FLOPS_BREAKDOWN, TRAIN_MEMORY, MIN_TRAIN_CARDS and CHINCHILLA_OPTIMAL: the
issue's numbers (ZeRO's 7.5B example, Chinchilla's budget, a Llama shape by hand), the
spilled tables against the Python ones, and a bad input each giving an Excel error text
that names the argument.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

import flopsheet
from addin_support import office_call, scalar, server  # noqa: F401 (server is a fixture)
from flopsheet.addin.cells import frame_cells
from flopsheet.units import AssumptionWarning

#: Rajbhandari et al. 2020 (ZeRO), Figure 1: 7.5B parameters, mixed-precision Adam, 64 cards,
#: GB per card by ZeRO stage (baseline, optimizer states, + gradients, + parameters).
ZERO_FIGURE_1_GB = {0: 120, 1: 31.4, 2: 16.6, 3: 1.9}
#: Llama 2 7B (Touvron et al. 2023; config.json): layers, d_model, heads (= kv heads), head width,
#: SwiGLU ffn width, vocabulary.
LLAMA2_7B = {"layers": 32, "d_model": 4096, "heads": 32, "head_dim": 128, "ffn": 11008, "vocab": 32000}
#: Matrices of a SwiGLU feed-forward block (gate, up, down).
GATED_MATRICES = 3


def _spilled(table: list[list[Any]]) -> dict[str, dict[str, Any]]:
    """A spill keyed by its first column, then by header."""
    header, *rows = table
    return {row[0]: dict(zip(header[1:], row[1:])) for row in rows}


def _llama2_7b_forward_by_hand(seq_len: int) -> float:
    """Forward FLOP of one Llama 2 7B sequence: 2 x (matmul weights per layer) per token, attention, LM head."""
    s = LLAMA2_7B
    width = s["heads"] * s["head_dim"]
    per_layer_weights = 3 * s["d_model"] * width + width * s["d_model"] + GATED_MATRICES * s["d_model"] * s["ffn"]
    attention = 2 * s["layers"] * s["heads"] * 2 * s["head_dim"] * seq_len     # Q K^T and softmax x V
    head = 2 * s["d_model"] * s["vocab"]
    return seq_len * (2 * s["layers"] * per_layer_weights + attention + head)


def test_train_memory_spills_zero_figure_1(server: types.ModuleType) -> None:
    for stage, gigabytes in ZERO_FIGURE_1_GB.items():
        table = office_call(server, "TRAIN_MEMORY", "7.5e9", 64, "bf16", "adam", stage)
        # A bare parameter count: activations are "not counted" (an empty cell and a note), never 0.
        assert table[0] == ["part", "bytes", "GB", "note"]
        rows = _spilled(table)
        assert list(rows) == ["weights", "gradients", "optimizer states", "activations", "total"]
        assert rows["total"]["GB"] == pytest.approx(gigabytes, abs=0.05), stage
        assert rows["activations"]["bytes"] in ("", None) and rows["activations"]["note"].startswith("not counted")
        assert rows["total"]["bytes"] == pytest.approx(sum(rows[part]["bytes"] for part in list(rows)[:3]))
    baseline = _spilled(office_call(server, "TRAIN_MEMORY", 7.5e9, 64))
    assert [baseline[part]["GB"] for part in ("weights", "gradients", "optimizer states")] == [15, 15, 90]


def test_train_memory_with_a_shape_and_a_card_equals_python(server: types.ModuleType) -> None:
    arguments = ("Llama 2 70B", 64, "bf16", "adam", 3, 4096, 1, True, 8, 1, False, "H100")
    table = office_call(server, "TRAIN_MEMORY", *arguments)
    assert table[0] == ["part", "bytes", "GB", "card_GB", "fits"]
    frame = flopsheet.train_memory(*arguments)
    rows = _spilled(table)
    assert rows["activations"]["bytes"] == pytest.approx(frame.loc["activations", "bytes"]) and rows["activations"][
        "bytes"] > 0
    assert rows["total"]["card_GB"] == 80 and rows["total"]["fits"] is True and rows["weights"]["fits"] == ""
    selective = _spilled(office_call(server, "TRAIN_MEMORY", *arguments[:7], "selective", *arguments[8:]))
    assert selective["activations"]["bytes"] > rows["activations"]["bytes"]


@pytest.mark.parametrize(("arguments", "expected"), [
    ((7.5e9, 64, "bf16", "adam", 4), "#VALUE! zero_stage: expected one of 0, 1, 2, 3, got 4"),
    ((7.5e9, 64, "fp8"), "#VALUE! precision: expected one of bf16, fp16, fp32"),
    ((7.5e9, 12, None, None, None, None, None, None, 8), "#NUM! cards: must be a positive multiple of"),
    ((7.5e9, 64, None, None, None, None, None, "sometimes"), "#VALUE! recompute: expected TRUE (full)"),
])
def test_train_memory_bad_input_names_the_argument(server: types.ModuleType, arguments: tuple[Any, ...],
                                                   expected: str) -> None:
    assert scalar(server, "TRAIN_MEMORY", *arguments).startswith(expected)


def test_forward_flops_of_a_llama_shape_equals_python_and_the_hand_count(server: types.ModuleType) -> None:
    python = flopsheet.forward_flops("Llama-2-7B", 4096).to("FLOP").m
    assert scalar(server, "FORWARD_FLOPS", "Llama-2-7B", 4096) == pytest.approx(python, rel=1e-12)
    assert python == pytest.approx(_llama2_7b_forward_by_hand(4096), rel=1e-12)
    assert scalar(server, "FORWARD_FLOPS", "llama 2 7b", "4096 tokens", 8, "TFLOP") == pytest.approx(8 * python / 1e12)
    column = office_call(server, "FORWARD_FLOPS", "Llama-2-7B", [[1024], [4096]])
    assert column == [[pytest.approx(flopsheet.forward_flops("Llama-2-7B", 1024).m)], [pytest.approx(python)]]


def test_forward_flops_bad_input_names_the_argument(server: types.ModuleType) -> None:
    assert scalar(server, "FORWARD_FLOPS", "Llama-9-7B", 4096).startswith('#N/A shape: unknown model shape "Llama-9-7B"')
    assert scalar(server, "FORWARD_FLOPS", "Llama-2-7B", 8192).startswith("#NUM! seq_len: must be at most")
    assert scalar(server, "FORWARD_FLOPS", "Llama-2-7B", "4096 GB").startswith("#VALUE! seq_len")


def test_flops_breakdown_spills_the_python_table(server: types.ModuleType) -> None:
    table = office_call(server, "FLOPS_BREAKDOWN", "Llama-2-7B", 4096, "1e9", True, True)
    frame = flopsheet.flops_breakdown("Llama-2-7B", 4096, "1e9", train=True, recompute=True)
    assert table[0] == ["part", "FLOP", "share"]
    assert [row[0] for row in table[1:]] == list(frame.index)
    for row, (flop, share) in zip(table[1:], frame.itertuples(index=False)):
        assert row[1:] == [pytest.approx(flop, rel=1e-12), pytest.approx(share, rel=1e-12)]
    forward = _spilled(office_call(server, "FLOPS_BREAKDOWN", "Llama-2-7B", 4096))
    assert forward["total"]["FLOP"] == pytest.approx(_llama2_7b_forward_by_hand(4096), rel=1e-12)
    assert scalar(server, "FLOPS_BREAKDOWN", "Llama-2-7B", -1).startswith("#NUM! seq_len: must be greater than 0")
    assert scalar(server, "FLOPS_BREAKDOWN", "Llama-2-7B", 4096, None, "maybe").startswith("#VALUE! train")


def test_min_train_cards_spills_one_row_equal_to_python(server: types.ModuleType) -> None:
    arguments = (7.5e9, 300e9, "A100 bf16", 0.4, "365 days", None, None, None, 3)
    table = office_call(server, "MIN_TRAIN_CARDS", *arguments)
    with pytest.warns(AssumptionWarning, match="activations not counted"):  # a parameter count has no shape
        answer = flopsheet.min_train_cards(7.5e9, 300e9, "A100 bf16", 0.4, "365 days", zero_stage=3)
    assert table == [["cards", "binding", "compute_cards", "memory_cards", "reason"],
                     [answer.cards.m, answer.binding, answer.compute_cards.m, answer.memory_cards.m, answer.reason]]
    assert table[1][:4] == [4, "compute", 4, 2]
    refused = scalar(server, "MIN_TRAIN_CARDS", *arguments[:8], 0)
    assert refused.startswith("#NUM! model: must be small enough for one card's 80 GB at zero_stage 0")
    assert scalar(server, "MIN_TRAIN_CARDS", 7.5e9, 300e9, "312 TFLOPS", 0.4, "365 days").startswith("#VALUE! card")


def test_chinchilla_optimal_spills_70b_parameters_and_1_4t_tokens(server: types.ModuleType) -> None:
    """Hoffmann et al. 2022, Table 3: 5.76e23 FLOP is Chinchilla's budget, 70B parameters on 1.4T tokens."""
    header, (params, tokens) = office_call(server, "CHINCHILLA_OPTIMAL", "5.76e23 FLOP")
    assert header == ["params", "tokens"]
    assert params == pytest.approx(70e9, rel=0.02) and tokens == pytest.approx(1.4e12, rel=0.02)
    assert 6 * params * tokens == pytest.approx(5.76e23)
    rows = office_call(server, "CHINCHILLA_OPTIMAL", [[5.76e23], [4 * 5.76e23]], 20)
    assert rows[2] == [pytest.approx(2 * params), pytest.approx(2 * tokens)]
    fitted = office_call(server, "CHINCHILLA_OPTIMAL", 5.76e23, None, "fitted")[1]
    assert fitted[0] == pytest.approx(flopsheet.chinchilla_optimal(5.76e23, method="fitted").params.m)


def test_chinchilla_optimal_bad_input_names_the_argument(server: types.ModuleType) -> None:
    assert scalar(server, "CHINCHILLA_OPTIMAL", "5 TB").startswith('#VALUE! flops: expected a FLOP count')
    assert scalar(server, "CHINCHILLA_OPTIMAL", 5.76e23, None, "guess").startswith('#VALUE! method: expected one of')
    assert scalar(server, "CHINCHILLA_OPTIMAL", 5.76e23, -20).startswith("#NUM! tokens_per_param")


def test_without_pandas_the_part_tables_spill_the_same_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    """The xlwings Lite bundle carries no pandas: TRAIN_MEMORY and FLOPS_BREAKDOWN spill plain tables."""
    memory = ("Llama 2 70B", 64, "bf16", "adam", 3, 4096, 1, True, 8, 1, False, "H100")
    breakdown = ("Llama-2-7B", 4096, "1e9", True)
    with_pandas = [frame_cells(flopsheet.train_memory(*memory)), frame_cells(flopsheet.flops_breakdown(*breakdown))]
    monkeypatch.setitem(sys.modules, "pandas", None)
    plain = [flopsheet.train_memory(*memory), flopsheet.flops_breakdown(*breakdown)]
    assert [type(table).__name__ for table in plain] == ["Rows", "Rows"]
    assert [frame_cells(table) for table in plain] == with_pandas
