"""The training planner (issue 25): layouts, memory, step time, MFU/HFU, pins, errors, Excel.

The figures against published runs are in tests/truth/test_training_planner_truth.py;
here are the planner's own behaviours, each checked against an independent statement of
it (train_memory's arithmetic, the interleaved-1F1B bubble formula, the fixed point of
train_cards, the Office.js call path).
"""

from __future__ import annotations

import types

import numpy as np
import pytest

import flopsheet
from addin_support import office_call, scalar, server  # noqa: F401 (server is a fixture)
from flopsheet.formulas.training.planner import (PINS, TIME_COMPONENTS, fabric_tiers, predicted_utilization,
                                                 training_plans)

SMALL = dict(model="Llama 3.1 8B", cards=64, card="H100 bf16", sequence=8192, global_batch=512)
COLUMNS = ["fits", "memory_per_card", "step_time", "tokens_per_second", "mfu", "hfu", *TIME_COMPONENTS]


@pytest.fixture(scope="module")
def small() -> "pandas.DataFrame":  # noqa: F821
    return training_plans(**SMALL)


def test_the_table_has_the_issue_columns_and_the_best_first(small) -> None:
    assert set(COLUMNS) <= set(small.columns) and set(PINS) <= set(small.columns)
    fitting = small[small["fits"]]
    assert small.iloc[0]["best"] and not small["best"].iloc[1:].any()
    assert np.all(np.diff(fitting["step_time"].to_numpy()) >= 0)
    assert small["fits"].to_numpy()[: len(fitting)].all()      # fitting rows first
    assert len(small) > 500                                      # the search space, not a handful


def test_step_time_is_the_sum_of_its_components(small) -> None:
    total = small[list(TIME_COMPONENTS)].sum(axis=1)
    assert np.allclose(total, small["step_time"], rtol=1e-12)


def test_mfu_and_hfu_differ_by_the_recomputed_flop(small) -> None:
    none = small[small["recompute"] == "none"]
    assert np.allclose(none["mfu"], none["hfu"])
    full = small[small["recompute"] == "full"]
    assert (full["hfu"] > full["mfu"] * 1.25).all() and (full["hfu"] < full["mfu"] * 4 / 3 + 1e-9).all()
    tokens = SMALL["sequence"] * SMALL["global_batch"]
    assert np.allclose(small["tokens_per_second"], tokens / small["step_time"])


def test_memory_of_a_pinned_layout_equals_train_memory() -> None:
    for zero in (0, 1, 2, 3):
        for recompute in ("none", "selective", "full"):
            row = training_plans(**SMALL, tensor_parallel=2, pipeline_parallel=1, zero_stage=zero, recompute=recompute,
                                 micro_batch=2, top=1).iloc[0]
            memory = flopsheet.train_memory("Llama 3.1 8B", 64, zero_stage=zero, seq_len=8192, micro_batch=2,
                                            recompute=recompute, tensor_parallel=2, sequence_parallel=True)
            assert row["memory_per_card"] == pytest.approx(memory.loc["total", "GB"], rel=1e-9), (zero, recompute)


def test_the_bubble_is_p_minus_1_over_v_m_of_the_pipelined_time() -> None:
    """Narayanan et al. 2021, section 2.2.2: interleaved 1F1B bubble fraction (p - 1) / (v m)."""
    for v in (1, 2, 4):
        row = training_plans("Llama 3.1 70B", 512, "H100 bf16", sequence=8192, global_batch=256, tensor_parallel=8,
                             pipeline_parallel=8, virtual_stages=v, micro_batch=1, top=1).iloc[0]
        pipelined = row[["compute", "memory_bound", "grad_accumulation", "tp_comm", "cp_comm", "ep_comm",
                         "pp_comm"]].sum()
        m = row["micro_batches"]
        assert m == 256 // 8 and row["data_parallel"] == 8
        assert row["bubble"] / pipelined == pytest.approx((8 - 1) / (v * m))


def test_pins_hold_and_the_rest_is_searched() -> None:
    pinned = training_plans(**SMALL, tensor_parallel=4, zero_stage=1)
    assert set(pinned["tensor_parallel"]) == {4} and set(pinned["zero_stage"]) == {1}
    assert len(set(pinned["pipeline_parallel"])) > 1 and len(set(pinned["recompute"])) == 3


def test_a_moe_model_searches_expert_parallelism() -> None:
    plans = training_plans("Mixtral 8x7B", 64, "H100 bf16", sequence=4096, global_batch=256)
    assert set(plans["expert_parallel"]) == {1, 2, 4, 8}
    with_ep = plans[plans["expert_parallel"] == 8].iloc[0]
    assert with_ep["ep_comm"] > 0
    assert plans[plans["expert_parallel"] == 1]["ep_comm"].max() == 0


def test_long_sequences_search_context_parallelism_and_short_ones_flag_it() -> None:
    long = training_plans("Llama 3.1 8B", 64, "H100 bf16", sequence=131072, global_batch=64)
    assert long["context_parallel"].max() > 1 and long[long["context_parallel"] > 1]["cp_comm"].min() > 0
    short = training_plans(**{**SMALL, "sequence": 2048}, context_parallel=2, top=1)
    assert "context parallel on a 2048-token sequence" in short.iloc[0]["note"]


def test_more_cards_cross_more_fabric_tiers_and_pay_for_it() -> None:
    assert [int(fabric_tiers(n)) for n in (64, 2048, 16384, 131072)] == [1, 2, 3, 4]
    rows = [training_plans("Llama 3.1 8B", n, "H100 bf16", sequence=8192, global_batch=n, tensor_parallel=1,
                           pipeline_parallel=1, micro_batch=1, zero_stage=1, recompute="none", top=1).iloc[0]
            for n in (64, 16384)]
    assert rows[1]["dp_comm"] > rows[0]["dp_comm"] * 1.2     # same bytes per card, slower fabric


def test_goodput_is_stated_apart_from_mfu() -> None:
    plain = training_plans(**SMALL, top=1).iloc[0]
    with_goodput = training_plans(**SMALL, goodput="catalogue", top=1).iloc[0]
    assert with_goodput["mfu"] == plain["mfu"]
    assert with_goodput["goodput_tokens_per_second"] == pytest.approx(0.9 * plain["tokens_per_second"])


def test_train_cards_takes_the_predicted_utilization() -> None:
    flops = 6 * 8e9 * 1e12
    planned = flopsheet.train_cards(flops, "H100 bf16", "predicted", "30 days", model="Llama 3.1 8B", sequence=8192,
                                    global_batch=512, plan_cards=64)
    mfu = predicted_utilization(**SMALL).m
    assert planned.m == pytest.approx(flopsheet.train_cards(flops, "H100 bf16", mfu, "30 days").m)
    settled = flopsheet.train_cards(flops, "H100 bf16", "predicted", "30 days", model="Llama 3.1 8B", sequence=8192,
                                    global_batch=1024)
    assert 0.5 * planned.m < settled.m < 2 * planned.m


@pytest.mark.parametrize(("keywords", "message"), [
    ({"tensor_parallel": 16}, "tensor_parallel: must be at most the H100's scale-up domain (8 cards)"),
    ({"pipeline_parallel": 33}, "pipeline_parallel: must be at most Llama 3.1 8B's layers (32)"),
    ({"tensor_parallel": 8, "pipeline_parallel": 3}, "cards: must be a multiple of tensor_parallel x pipeline_parallel"),
    ({"zero_stage": 4}, "zero_stage: must be 0, 1, 2 or 3"),
    ({"recompute": "sometimes"}, "recompute: expected \"none\", \"selective\" or \"full\""),
    ({"global_batch": None}, "global_batch: expected either tokens_per_step or global_batch"),
])
def test_impossible_layouts_name_the_argument(keywords, message) -> None:
    with pytest.raises(flopsheet.FlopsheetError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        training_plans(**{**SMALL, **keywords})


def test_a_model_that_fits_nowhere_says_how_many_cards_would() -> None:
    with pytest.raises(flopsheet.InputRangeError) as caught:
        training_plans("Llama 3.1 405B", 8, "H100 bf16", sequence=8192, global_batch=64)
    message = str(caught.value)
    assert message.startswith("cards: must be enough cards to hold Llama 3.1 405B")
    fewest = int(message.rsplit(": ", 1)[1].replace(",", ""))
    assert 16 <= fewest <= 256
    fits = training_plans("Llama 3.1 405B", fewest, "H100 bf16", sequence=8192, global_batch=fewest * 8)
    assert fits.iloc[0]["fits"]


# -- Excel (Office.js through xlwings.server) --------------------------------------------
def test_training_plans_spills_the_python_table(server: types.ModuleType) -> None:
    table = office_call(server, "TRAINING_PLANS", "Llama 3.1 8B", 64, "H100 bf16", None, 8192, 512, 2, 1)
    frame = training_plans(**SMALL, tensor_parallel=2, pipeline_parallel=1)
    header, first = table[0], table[1]
    assert header[: len(frame.columns)] == list(frame.columns) or header[1:] == list(frame.columns)
    row = dict(zip(header, first))
    assert row["mfu"] == pytest.approx(frame.iloc[0]["mfu"]) and row["tensor_parallel"] == 2
    assert len(table) == len(frame) + 1


def test_predicted_utilization_in_excel_equals_python(server: types.ModuleType) -> None:
    value = scalar(server, "PREDICTED_UTILIZATION", "Llama 3.1 8B", 64, "H100 bf16", None, 8192, 512)
    assert value == pytest.approx(predicted_utilization(**SMALL).m)
    error = scalar(server, "PREDICTED_UTILIZATION", "Llama 3.1 8B", 64, "H100 bf16", None, 8192, 512, 16)
    assert error.startswith("#NUM! tensor_parallel: must be at most the H100's scale-up domain")


# -- utilization from what papers publish -----------------------------------------------
def test_published_forms_agree_and_split_mfu_from_hfu() -> None:
    """Megatron-LM's 1T row (arXiv:2104.04473, Table 1): 163 TFLOP/s per A100 = 52% of 312, hardware FLOP."""
    shape = flopsheet.model_shape("GPT 1T", layers=128, d_model=25600, heads=160, vocab=51200, positions="learned",
                                  norm="layernorm", bias="all", max_context=2048)
    from_rate = flopsheet.published_utilization(shape, "A100 bf16", tflops_per_card=163, sequence=2048,
                                                recompute="full").iloc[0]
    assert from_rate["hfu"] == pytest.approx(163 / 312) and from_rate["mfu"] == pytest.approx(from_rate["hfu"] * 0.75,
                                                                                              rel=0.01)
    seconds = 3072 * 2048 / (from_rate["tokens_per_second_per_card"] * 3072)
    from_time = flopsheet.published_utilization(shape, "A100 bf16", seconds_per_iteration=seconds, global_batch=3072,
                                                sequence=2048, cards=3072, recompute="full").iloc[0]
    from_tokens = flopsheet.published_utilization(shape, "A100 bf16", sequence=2048, recompute="full",
                                                  tokens_per_second_per_card=from_rate["tokens_per_second_per_card"])
    assert from_time["mfu"] == pytest.approx(from_rate["mfu"]) == from_tokens.iloc[0]["mfu"]


def test_llama3_counts_model_flop() -> None:
    """Llama 3 (arXiv:2407.21783, Table 4): 400 TFLOP/s per H100 is its 41% BF16 MFU (989 TFLOPS dense)."""
    row = flopsheet.published_utilization("Llama 3.1 405B", "H100 bf16", tflops_per_card=400, sequence=8192,
                                          counts="model").iloc[0]
    assert row["mfu"] == pytest.approx(0.404, abs=0.002) and row["mfu"] == row["hfu"]


def test_implied_utilization_keeps_its_signature() -> None:
    assert flopsheet.implied_utilization(6 * 405e9 * 15.6e12, 30.84e6, "H100 bf16").m == pytest.approx(0.345, abs=1e-3)


@pytest.mark.parametrize(("keywords", "message"), [
    ({}, "tokens_per_second_per_card: expected exactly one of"),
    ({"tflops_per_card": 150, "tokens_per_second_per_card": 100}, "tokens_per_second_per_card: expected exactly one"),
    ({"seconds_per_iteration": 10, "sequence": 2048, "cards": 8}, "global_batch: expected a value"),
    ({"tflops_per_card": "150 TB"}, "tflops_per_card:"),
    ({"tflops_per_card": 150, "counts": "both"}, "counts: expected"),
])
def test_published_utilization_bad_input(keywords, message) -> None:
    with pytest.raises(flopsheet.FlopsheetError, match="^" + message):
        flopsheet.published_utilization(175e9, "A100 bf16", **keywords)


def test_published_utilization_in_excel(server: types.ModuleType) -> None:
    table = office_call(server, "PUBLISHED_UTILIZATION", 176e9, "A100 bf16", None, None, None, None, 156, None, "full")
    row = dict(zip(table[0], table[1]))
    assert row["hfu"] == pytest.approx(0.5) and row["mfu"] == pytest.approx(0.375)


# -- the command line -------------------------------------------------------------------
def test_train_plans_prints_the_table_and_marks_the_best(capsys) -> None:
    from flopsheet.__main__ import main

    code = main(["train", "--params", "Llama 3.1 8B", "--tokens", "15T", "--card", "H100 bf16", "--mfu", "predicted",
                 "--cards", "64", "--sequence", "8192", "--global-batch", "512", "--plans", "--top", "5"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    marked = [line for line in lines if line.startswith("*   ") or line.startswith("* ") and "best of" not in line]
    assert len(marked) == 1 and "best of" in lines[-1]
    best = training_plans(**SMALL, top=1).iloc[0]
    assert f"{best['mfu']:.1%}" in marked[0]
    shown = float(lines[0].split("MFU ")[1].split("%")[0])
    assert shown == pytest.approx(best["mfu"] * 100, rel=1e-4)


def test_train_plans_needs_cards_and_a_sequence(capsys) -> None:
    from flopsheet.__main__ import main

    assert main(["train", "--params", "Llama 3.1 8B", "--tokens", "15T", "--card", "H100 bf16", "--mfu", "predicted",
                 "--days", "30", "--sequence", "8192", "--global-batch", "512"]) == 2
    assert "--cards" in capsys.readouterr().err


# -- the template -----------------------------------------------------------------------
def test_the_training_plan_template_is_the_planners_arithmetic() -> None:
    """workbooks/specs/training_plan.toml (native Excel rows) equals training_plans for its three layouts."""
    from flopsheet.formulas.catalogues.shapes import model_shape

    rows = flopsheet.evaluate("training_plan").set_index("name")["value"]
    shape = model_shape("GPT 1T", layers=128, d_model=25600, heads=160, vocab=51200, positions="learned",
                        norm="layernorm", bias="all", max_context=2048)
    assert rows["params"] == shape.params
    for prefix, (tp, pp, mb) in {"a": (8, 64, 1), "b": (8, 64, 2), "c": (8, 32, 1)}.items():
        row = training_plans(shape, 3072, "A100 bf16", sequence=2048, global_batch=3072, tensor_parallel=tp,
                             pipeline_parallel=pp, micro_batch=mb, virtual_stages=1, zero_stage=0, recompute="full",
                             sequence_parallel=False, dp_overlap=0, gradient_accumulation_fusion=False,
                             flash_attention=False, top=1).iloc[0]
        for column in ("compute", "memory_bound", "grad_accumulation", "tp_comm", "pp_comm", "dp_comm", "bubble",
                       "optimizer", "step_time", "mfu"):
            assert float(rows[f"{prefix}_{column}"]) == pytest.approx(row[column], rel=1e-9), (prefix, column)
        assert float(rows[f"{prefix}_tflops"]) == pytest.approx(row["hardware_tflops_per_card"], rel=1e-9)
        assert float(rows[f"{prefix}_memory"]) == pytest.approx(row["memory_per_card"], rel=1e-9)


def test_the_guide_runs() -> None:
    """docs/guides/training-planner.md: every >>> example as written."""
    import doctest
    from pathlib import Path

    guide = Path(__file__).resolve().parents[1] / "docs" / "guides" / "training-planner.md"
    result = doctest.testfile(str(guide), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8 and result.failed == 0
