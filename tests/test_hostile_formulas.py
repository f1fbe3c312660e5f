"""Issue 23: the formulas added last release under hostile input (Python and the add-in).

No inf in a result, no result silently 0, strict yes/no arguments, every argument
checked even when unused, impossible layouts and integer peaks refused for training.
"""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

import flopsheet
from flopsheet.formulas import args
from flopsheet.formulas.catalogues.cards import read_sparse
from flopsheet.units import AssumptionWarning
from addin_support import office_call, server  # noqa: F401 (server is a fixture)

OVERFLOW = "overflows to infinity"


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: flopsheet.weights_memory("1e308 parameter", "fp32"), "params"),
    (lambda: flopsheet.kv_cache_memory("Llama-2-70B", context_tokens="4000 tokens", batch=1e306), "batch"),
    (lambda: flopsheet.prefill_time("Llama-2-70B", "4000 tokens", "H100 bf16", batch=1e306), "batch"),
    (lambda: flopsheet.decode_time("Llama-2-70B", "H100 bf16", 4000, 1e306), "batch"),
    (lambda: flopsheet.train_memory("1e308 parameter"), "model"),
    (lambda: flopsheet.train_memory("Llama-2-70B", seq_len=1e300, micro_batch=1e300), "seq_len"),
    (lambda: flopsheet.min_train_cards("1e300 parameter", "1e300 tokens", "H100 bf16", "40%", "30 days", zero_stage=3),
     "model"),
], ids=["weights_memory", "kv_cache_memory", "prefill_time", "decode_time", "train_memory", "activations",
        "min_train_cards"])
def test_an_overflow_is_an_error_naming_the_argument_not_inf(call, argument: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        with pytest.raises(flopsheet.InputRangeError, match=f"^{argument}: must be a value that keeps the result.*{OVERFLOW}"):
            call()


def test_train_memory_in_excel_shows_the_error_not_blank_cells(server: types.ModuleType) -> None:  # noqa: F811
    cells = office_call(server, "TRAIN_MEMORY", "1e308", 1)
    assert cells == [[cells[0][0]]] and cells[0][0].startswith("#NUM! model: must be a value that keeps the result")


@pytest.mark.parametrize(("text", "value"), [
    (True, True), (False, False), (1, True), (0, False), (np.bool_(True), True), ("TRUE", True), ("false", False),
    ("yes", True), (" No ", False), ("1", True), ("0", False), ("是", True), ("否", False)])
def test_yes_no_is_read_strictly(text, value: bool) -> None:
    assert args.read_bool(text, "x") is value


@pytest.mark.parametrize("bad", ["banana", "", "nope", "2", 2, -1, 0.5, None, "TRUE!", "truee"])
def test_anything_else_is_refused(bad) -> None:
    with pytest.raises(flopsheet.UnitInputError, match="^x: expected TRUE or FALSE"):
        args.read_bool(bad, "x")


def test_sequence_parallel_no_and_false_are_false() -> None:
    setup = {"model": "Llama-2-7B", "seq_len": 4096, "tensor_parallel": 2, "cards": 2}
    off = flopsheet.train_memory(**setup).loc["activations", "bytes"]
    on = flopsheet.train_memory(**setup, sequence_parallel=True).loc["activations", "bytes"]
    assert on < off
    for text in ("no", "FALSE", "false", "0", "否"):
        assert flopsheet.train_memory(**setup, sequence_parallel=text).loc["activations", "bytes"] == off, text
    for text in ("yes", "TRUE", "1", "是"):
        assert flopsheet.train_memory(**setup, sequence_parallel=text).loc["activations", "bytes"] == on, text
    with pytest.raises(flopsheet.UnitInputError, match="sequence_parallel: expected TRUE or FALSE"):
        flopsheet.train_memory(**setup, sequence_parallel="banana")
    assert flopsheet.train_memory(**setup, recompute="no").equals(flopsheet.train_memory(**setup))
    with pytest.raises(flopsheet.UnitInputError, match="recompute: expected TRUE"):
        flopsheet.train_memory(**setup, recompute="sometimes")


def test_sparse_is_read_by_the_same_reader() -> None:
    assert read_sparse("dense") is False and read_sparse("sparse") is True and read_sparse("no") is False
    assert flopsheet.card_peak("A100", "bf16", "FALSE") == flopsheet.card_peak("A100", "bf16")
    with pytest.raises(flopsheet.UnitInputError, match="sparse: expected TRUE or FALSE"):
        flopsheet.card_peak("A100", "bf16", "banana")


@pytest.mark.parametrize(("keywords", "argument"), [
    ({"micro_batch": 0}, "micro_batch"), ({"micro_batch": -3}, "micro_batch"), ({"micro_batch": "banana"}, "micro_batch"),
    ({"micro_batch": 1.5}, "micro_batch"), ({"seq_len": "junk"}, "seq_len"), ({"seq_len": -5}, "seq_len"),
    ({"seq_len": float("nan")}, "seq_len"), ({"sequence_parallel": "maybe"}, "sequence_parallel"),
])
@pytest.mark.parametrize("function", ["train_memory", "min_train_cards"])
def test_unused_arguments_are_still_checked(function: str, keywords: dict, argument: str) -> None:
    """A bare parameter count uses neither micro_batch nor seq_len: they are still arguments."""
    call = {"train_memory": lambda: flopsheet.train_memory(7e9, **keywords),
            "min_train_cards": lambda: flopsheet.min_train_cards(7e9, 1e12, "H100 bf16", 0.4, 30, zero_stage=3,
                                                                 **keywords)}[function]
    with pytest.raises(flopsheet.InputError, match=f"^{argument}: "):
        call()


@pytest.mark.parametrize(("keywords", "argument", "expected"), [
    ({"tensor_parallel": 3, "cards": 3}, "tensor_parallel", "a divisor of the 32 attention heads of Llama 2 7B"),
    ({"tensor_parallel": 64, "cards": 64}, "tensor_parallel", "a divisor of the 32 attention heads"),
    ({"pipeline_parallel": 33, "cards": 33}, "pipeline_parallel", "at most the 32 layers of Llama 2 7B"),
])
def test_impossible_layouts_are_refused(keywords: dict, argument: str, expected: str) -> None:
    with pytest.raises(flopsheet.InputRangeError, match=f"^{argument}: must be {expected}"):
        flopsheet.train_memory("Llama-2-7B", **keywords)
    assert flopsheet.train_memory("Llama-2-7B", tensor_parallel=8, pipeline_parallel=32, cards=256) is not None
    # grouped-query attention: 8 KV heads replicate over tensor_parallel 16 (Llama 2 70B has 64 heads)
    assert flopsheet.train_memory("Llama-2-70B", tensor_parallel=16, cards=16) is not None


def test_integer_peaks_are_refused_for_training() -> None:
    with pytest.raises(flopsheet.InputError, match=r'^peak: expected a floating-point peak for training.*got "H100 int8"'):
        flopsheet.min_train_cards(7e9, 1e12, "H100 int8", 0.4, 30, zero_stage=3)
    with pytest.warns(AssumptionWarning, match="activations not counted"):  # a parameter count has no shape
        assert flopsheet.min_train_cards(7e9, 1e12, "H100 fp8", 0.4, 30, zero_stage=3).cards.m > 0
