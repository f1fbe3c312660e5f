"""`flopsheet serve` reports the three bounds of issue 15 when it knows the KV cache."""

from __future__ import annotations

import json

import pytest

import flopsheet
from flopsheet.cli import main

from cli_support import run

LLAMA = ["serve", "--params", "Llama-2-70B", "--tokens-per-call", "1500", "--answer-tokens", "500",
         "--calls-per-day", "100万", "--card", "H100 bf16", "--mfu", "50%", "--busy-hours", "12"]


def test_serve_with_a_shape_prints_the_three_bounds_of_serving_cards(capsys) -> None:
    code, out, _ = run(capsys, *LLAMA, "--format", "json")
    assert code == 0
    results = {row["name"]: row["value"] for row in json.loads(out)["results"]}
    frame = flopsheet.serving_cards("Llama-2-70B", "100万", 1000, 500, 12, cards="H100 bf16", utilization=0.5)
    expected = frame.iloc[0]
    # issue 21: the planner picks TP4 (12 cards, compute binds), not the fewest cards that hold
    # the weights (two H100s, capacity-bound at 60)
    assert results["replica_cards"] == expected["replica_cards"] == 4
    assert results["bandwidth_cards"] == pytest.approx(expected["bandwidth_cards"])
    assert results["capacity_cards"] == pytest.approx(expected["capacity_cards"])
    assert results["serving_cards"] == expected["cards"] == 12
    code, out, _ = run(capsys, *LLAMA)
    assert "cards that serve (compute binds, TP4)" in out


def test_serve_with_a_bare_count_says_what_the_bounds_need(capsys) -> None:
    table6 = ["serve", "--params", "2000亿", "--tokens-per-call", "2000", "--calls-per-day", "300万", "--card",
              "A10 fp16", "--mfu", "30%", "--busy-hours", "12"]
    code, out, _ = run(capsys, *table6)
    assert code == 0 and "need a model shape (--params Llama-2-70B) or --kv-bytes-per-token" in out
    code, out, _ = run(capsys, *table6, "--kv-bytes-per-token", "393216 B/token", "--format", "json")
    results = {row["name"]: row["value"] for row in json.loads(out)["results"]}
    assert results["cards"] == pytest.approx(1481.48, abs=0.01)
    assert results["replica_cards"] == 24 and results["serving_cards"] > results["cards"]


@pytest.mark.parametrize(("extra", "message"), [
    (["--answer-tokens", "1500"], "--answer-tokens: must be fewer than the 1500 tokens per call"),
    (["--latency", "50"], "--latency needs a unit"),
    (["--efficiency", "150%"], "--efficiency: must be in (0, 100%]"),
    (["--params", "Llama-9"], "--params"),
])
def test_serve_bound_options_are_checked(capsys, extra: list[str], message: str) -> None:
    argv = list(LLAMA)
    if extra[0] in argv:
        argv[argv.index(extra[0]) + 1] = extra[1]
    else:
        argv += extra
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


def test_serve_plans_prints_every_layout_and_marks_the_chosen_one(capsys) -> None:
    """Issue 21: --plans prints the planner's table; --utilization is the serving word, --mfu its alias."""
    argv = [word if word != "--mfu" else "--utilization" for word in LLAMA]
    code, out, _ = run(capsys, *argv, "--plans")
    assert code == 0 and "layouts (serving planner; * = chosen)" in out
    chosen = [line for line in out.splitlines() if line.startswith("*")]
    assert len(chosen) == 1 and chosen[0].split()[1] == "TP4"
    assert "the weights do not fit" in out  # TP1: 138 GB on one 80 GB card
    code, out, _ = run(capsys, *LLAMA, "--plans", "--format", "json")
    document = json.loads(out)
    plans = document["plans"]
    frame = flopsheet.serving_plans("Llama-2-70B", "100万", 1000, 500, 12, cards="H100 bf16", utilization=0.5)
    assert [plan["layout"] for plan in plans] == frame["layout"].tolist()
    assert [plan["chosen"] for plan in plans] == [True] + [False] * (len(plans) - 1)
    assert plans[0]["cards"] == frame.iloc[0]["cards"] == 12


def test_serve_prints_one_compute_figure_with_a_shape(capsys) -> None:
    """Issue 22: with a shape, compute per call and the compute bound both count attention, labelled."""
    code, out, _ = run(capsys, *LLAMA, "--format", "json")
    results = {row["name"]: row for row in json.loads(out)["results"]}
    frame = flopsheet.serving_cards("Llama-2-70B", "100万", 1000, 500, 12, cards="H100 bf16", utilization=0.5)
    assert results["cards"]["value"] == pytest.approx(frame.iloc[0]["compute_cards"])
    assert "attention" in results["flops_per_call"]["label"]


def test_serve_help_names_the_utilization_value_not_mfu(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--utilization UTILIZATION, --mfu UTILIZATION" in out and "MFU," not in out
