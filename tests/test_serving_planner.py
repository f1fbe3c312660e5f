"""The serving planner (issue 21): layouts, communication, targets, objectives, pinned layouts."""

from __future__ import annotations

import math

from typing import Any

import numpy as np
import pytest

import flopsheet
from flopsheet.formulas import collectives
from flopsheet.formulas.catalogues.efficiencies import efficiency
from flopsheet.units import InputError, InputRangeError, UnknownNameError

LOAD = dict(calls_per_day="100万", prompt_tokens=1000, answer_tokens=500, busy_hours=12)
PUBLIC = ["card", "layout", "replica_cards", "replicas", "cards", "batch_per_replica", "ms_per_token", "ttft_s",
          "binding", "tokens_per_s_per_card", "cost_per_mtoken", "feasible", "reason"]


def plans(model: str = "Llama-2-70B", **overrides):
    return flopsheet.serving_plans(model, **{**LOAD, "cards": "H100 bf16", **overrides})


def test_the_readme_example_is_no_longer_capacity_bound_at_80_cards() -> None:
    frame = plans(utilization=0.5)
    assert frame.columns.tolist()[:13] == PUBLIC
    assert frame.iloc[0]["layout"] == "TP4" and frame.iloc[0]["cards"] == 12  # was 80 (two-card replicas)
    by_layout = frame.set_index("layout")
    assert by_layout.loc["TP2", "binding"] == "capacity" and by_layout.loc["TP2", "cards"] >= 48
    assert by_layout.loc["TP8", "cards"] == 16
    cards = flopsheet.serving_cards("Llama-2-70B", **LOAD, cards="H100 bf16", utilization=0.5)
    assert cards.loc[0, "cards"] == 12 and cards.loc[0, "layout"] == "TP4" and "TP4" in cards.loc[0, "note"]
    assert frame.attrs["units"]["ms_per_token"] == "ms/token"


def test_rows_are_best_first_and_the_weights_reason_comes_first() -> None:
    frame = plans()
    feasible = frame["feasible"].tolist()
    assert feasible == sorted(feasible, reverse=True)
    assert frame.loc[frame["feasible"], "cards"].is_monotonic_increasing
    tp1 = frame.set_index("layout").loc["TP1"]
    assert not tp1["feasible"] and math.isnan(tp1["cards"])
    assert tp1["reason"].startswith("cannot: 1 H100 (TP1) do not hold 138 GB") and "the weights do not fit" in tp1[
        "reason"]


def test_communication_is_why_tp8_is_not_always_best() -> None:
    by_layout = plans(utilization=0.5).set_index("layout")
    assert by_layout.loc["TP8", "comm_ms"] > by_layout.loc["TP4", "comm_ms"] > by_layout.loc["TP2", "comm_ms"] > 0
    # the all-reduces by hand: 2 per layer x 80 layers, payload batch x (1 + 2 prefill tokens) x 8192 x 2 bytes
    # the serving planner's all-reduce pays the custom all-reduce latency (the catalogue's low)
    share = efficiency("allreduce_busbw", "H100", link="scale_up").value
    latency = efficiency("allreduce_latency", "H100", link="scale_up").low.to("s").m
    batch = by_layout.loc["TP4", "batch_per_replica"]
    one = collectives.allreduce_seconds(batch * 3 * 8192 * 2, 4, 450e9 * share, latency)
    assert by_layout.loc["TP4", "comm_ms"] == pytest.approx(2 * 80 * one * 1e3, rel=1e-6)
    # on PCIe (L40S, 32 GB/s) each request's share of the all-reduces costs 14x more
    pcie = plans(cards="L40S bf16").set_index("layout")
    per_request = (pcie.loc["TP8", "comm_ms"] - 2 * 80 * latency * 1e3) / pcie.loc["TP8", "batch_per_replica"]
    nvlink = (by_layout.loc["TP8", "comm_ms"] - 2 * 80 * latency * 1e3) / by_layout.loc["TP8", "batch_per_replica"]
    assert per_request / nvlink == pytest.approx(450 / 32, rel=1e-6)


def test_a_bare_parameter_count_has_no_communication_and_says_so() -> None:
    frame = flopsheet.serving_plans("2000亿", "300万", busy_hours=12, cards="A10 fp16", kv_bytes_per_token="393216 B/token")
    assert any("communication not counted" in note for note in frame.attrs["warnings"])


def test_moe_shapes_get_expert_parallel_layouts_with_all_to_all() -> None:
    frame = flopsheet.serving_plans("DeepSeek-V3", **LOAD, cards="H800 fp8", latency="50 ms/token")
    layouts = set(frame["layout"])
    assert {"EP32", "EP144", "EP320", "EP8"} <= layouts
    best = frame.iloc[0]
    assert best["feasible"] and best["layout"].startswith("EP") and best["comm_ms"] > 0
    assert "EP8" not in set(flopsheet.serving_plans("Llama-2-70B", **LOAD, cards="H100 bf16")["layout"])


def test_a_target_no_layout_meets_names_the_target_and_the_best_achievable() -> None:
    frame = flopsheet.serving_cards("Llama-2-70B", **LOAD, cards=["H100 bf16", "A10 bf16"], latency="3 ms/token",
                                    max_replica_cards=4)
    h100 = frame.loc[0, "note"]
    assert frame.loc[0, "binding"] == "cannot" and "slower than the 3 ms/token target" in h100
    assert "steps in" in h100 and "TP4" in h100  # the fastest layout, and its time
    assert frame.loc[1, "note"].startswith("cannot: 4 A10 (TP4) do not hold 138 GB")  # the true reason first
    ttft = flopsheet.serving_cards("Llama-2-70B", **LOAD, cards="H100 bf16", ttft="0.01 s")
    assert ttft.loc[0, "binding"] == "cannot" and "over the ttft target of 0.01 s" in ttft.loc[0, "note"]


def test_ttft_target_removes_slow_layouts_only() -> None:
    loose, tight = plans(), plans(ttft=0.12)
    assert loose["feasible"].sum() > tight["feasible"].sum() > 0
    assert (tight.loc[tight["feasible"], "ttft_s"] <= 0.12).all()


def test_prompt_cache_hits_skip_prefill() -> None:
    cold, warm = plans(utilization=0.5), plans(utilization=0.5, cache_hit_rate="56.3%")
    assert warm.iloc[0]["cards"] <= cold.iloc[0]["cards"]
    assert warm.set_index("layout").loc["TP4", "ttft_s"] < cold.set_index("layout").loc["TP4", "ttft_s"]
    assert warm.iloc[0]["compute_cards"] < cold.iloc[0]["compute_cards"]


def test_disaggregated_pools_are_sized_and_summed() -> None:
    frame = plans(disaggregated=True)
    feasible = frame[frame["feasible"]]
    assert (feasible["prefill_cards"] > 0).all()
    assert (feasible["cards"] == feasible["prefill_cards"] + feasible["decode_cards"]).all()
    assert (plans()["prefill_cards"].fillna(0) == 0).all()


def test_objective_cost_needs_a_price_and_ranks_by_cost() -> None:
    frame = flopsheet.serving_plans("Llama-2-70B", **LOAD, cards=["H100 bf16", "H200 bf16"],
                                    card_hour_price="2 USD/card/hour", objective="cost")
    costs = frame.loc[frame["feasible"], "cost_per_mtoken"]
    assert costs.is_monotonic_increasing and costs.iloc[0] > 0
    assert frame.attrs["objective"] == "cost"
    with pytest.raises(InputError, match="objective"):
        plans(objective="cost")
    with pytest.raises(InputError, match="objective"):
        plans(objective="speed")


def test_pinned_layouts_and_impossible_ones() -> None:
    pinned = plans(layout="TP8")
    assert pinned["layout"].tolist() == ["TP8"]
    assert plans(replica_cards=4)["layout"].tolist() == ["TP4"]
    assert set(plans(replica_cards=16)["layout"]) == {"TP8xPP2", "TP16 (across servers)"}
    with pytest.raises(InputRangeError, match="layout: .*TP3"):
        plans(layout="TP3")
    with pytest.raises(InputRangeError, match='replica_cards: .*"3"'):
        plans(replica_cards=3)
    with pytest.raises(InputError, match="layout: .*expert parallelism needs a mixture-of-experts"):
        plans(layout="EP8")
    with pytest.raises(InputRangeError, match="layout: .*no scale-out link"):
        plans(cards="TPU v4 bf16", layout="TP1xPP2")
    with pytest.raises(InputRangeError, match="layout: must be at most TP1"):  # no link data: one card per stage
        plans(cards="TPU v4 bf16", layout="TP8")
    with pytest.raises(InputError, match="layout"):
        plans(layout="pipeline please")


def test_a_measured_run_scales_the_roofline() -> None:
    frame = flopsheet.implied_serving_efficiency()
    assert {"run", "published", "roofline", "implied", "source"} <= set(frame.columns) and len(frame) >= 8
    share = float(frame.set_index("run").loc["TRT-LLM H200 Llama 2 70B TP1 128/128", "implied"])
    assert 0.3 < share < 0.8
    roofline = plans(cards="H200 bf16").iloc[0]
    measured = plans(cards="H200 bf16", measured="TRT-LLM H200 Llama 2 70B TP1 128/128").iloc[0]
    assert measured["cards"] > roofline["cards"]
    assert plans(cards="H200 bf16", measured=0.5).iloc[0]["cards"] >= roofline["cards"]
    with pytest.raises(UnknownNameError, match="measured"):
        plans(measured="no such run")
    with pytest.raises(InputRangeError, match="measured"):
        plans(measured=2)


def test_a_sweep_of_loads_is_one_vectorised_table() -> None:
    calls = np.linspace(1e5, 1e7, 5)
    frame = flopsheet.serving_plans("Llama-2-70B", calls, 1000, 500, 12, cards="H100 bf16")
    assert frame["load"].tolist() == sorted(frame["load"].tolist()) and frame["load"].nunique() == 5
    for index, value in enumerate(calls):
        single = flopsheet.serving_plans("Llama-2-70B", value, 1000, 500, 12, cards="H100 bf16")
        swept = frame[frame["load"] == index].drop(columns="load").reset_index(drop=True)
        assert swept["cards"].fillna(-1).tolist() == single["cards"].fillna(-1).tolist()


@pytest.mark.parametrize("calls", [[1e5, 1e6, 1e7], 1e6], ids=["three loads", "one load"])
def test_several_cards_and_loads_give_each_card_its_own_rows(calls: Any) -> None:
    """The table puts the card types side by side per load and sorts each load's rows on their own:
    every (load, card) block equals that card planned alone for that load, column for column
    (a column that holds one value per load, like compute_cards, included)."""
    cards = ["A10 bf16", "A100 bf16", "H100 bf16"]
    frame = flopsheet.serving_plans("Llama-2-70B", calls, 1000, 500, 12, cards=cards, ttft=0.5,
                                    card_hour_price="2 USD/card/hour")
    if np.ndim(calls) == 0:
        frame["load"], calls = 0, [calls]
    assert frame["load"].tolist() == sorted(frame["load"].tolist())
    for index, value in enumerate(calls):
        for card in cards:
            single = flopsheet.serving_plans("Llama-2-70B", value, 1000, 500, 12, cards=card, ttft=0.5,
                                             card_hour_price="2 USD/card/hour").set_index("layout")
            block = frame[(frame["load"] == index) & (frame["card"] == single["card"].iloc[0])].set_index("layout")
            assert sorted(block.index) == sorted(single.index)
            for column in ("compute_cards", "capacity_cards", "cards", "ms_per_token", "ttft_s", "tensor_parallel",
                           "cost_per_mtoken", "replica_cards"):
                left, right = block.loc[single.index, column].to_numpy(float), single[column].to_numpy(float)
                assert np.allclose(left, right, equal_nan=True, rtol=0), (card, value, column)
            assert block.loc[single.index, "reason"].tolist() == single["reason"].tolist()
            assert block.loc[single.index, "binding"].tolist() == single["binding"].tolist()
        rows = frame[frame["load"] == index]
        feasible = rows["feasible"].to_numpy()
        assert not (~feasible[:-1] & feasible[1:]).any()  # feasible rows first
        assert rows.loc[rows["feasible"], "cards"].is_monotonic_increasing  # then the fewest cards


def test_gb200_tensor_parallel_spans_its_nvl72_domain() -> None:
    layouts = set(flopsheet.serving_plans("Llama 3.1 405B", **LOAD, cards="GB200 bf16")["layout"])
    assert {"TP16", "TP32", "TP64"} <= layouts


def test_the_guide_examples_run() -> None:
    """docs/guides/serving-planner.md: its >>> examples are doctests."""
    import doctest
    from pathlib import Path

    guide = Path(__file__).resolve().parents[1] / "docs" / "guides" / "serving-planner.md"
    result = doctest.testfile(str(guide), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10 and result.failed == 0
