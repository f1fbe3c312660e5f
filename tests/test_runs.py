"""Published training runs: sources, 6ND against published compute, implied utilization, mfu(name)."""

from __future__ import annotations

import tomllib

import pytest

import flopsheet
from flopsheet.formulas.catalogues.runs import GENERATIONS, RUNS_FILE, run_utilization, runs, utilization_by_generation
from flopsheet.units import UnknownNameError

RUN_FIELDS = ("params", "active_params", "tokens", "compute", "card", "precision", "cards", "card_hours", "mfu")


def test_at_least_fifteen_runs_dense_and_moe_across_three_generations() -> None:
    table = flopsheet.published_runs()
    assert len(table) >= 15
    assert (table["active_params"] < table["params"]).any() and (table["active_params"] == table["params"]).any()
    assert set(table["generation"]) == set(GENERATIONS)


def test_every_run_and_number_has_a_source() -> None:
    with RUNS_FILE.open("rb") as handle:
        records = tomllib.load(handle)["run"]
    for record in records:
        assert record["source"].strip()
        assert "card_hours" in record or "mfu" in record, record["name"]
    for run in runs().values():
        for name in RUN_FIELDS:
            if getattr(run, name) is not None:
                assert run.source_of(name).strip()


def test_implied_utilization_hand_checked() -> None:
    # LLaMA 65B: 6 x 65.2e9 x 1.4e12 FLOP over 1,022,362 A100-hours at 312 TFLOPS.
    expected = 6 * 65.2e9 * 1.4e12 / (1_022_362 * 3600 * 312e12)
    assert flopsheet.implied_utilization(6 * 65.2e9 * 1.4e12, 1_022_362, "A100 bf16").m == pytest.approx(expected)
    assert expected == pytest.approx(0.4769, abs=1e-4)
    # LLaMA says 380 tokens/s/GPU: 6 x 65.2e9 x 380 / 312e12 is the same utilization.
    assert expected == pytest.approx(6 * 65.2e9 * 380 / 312e12, rel=0.01)


def test_implied_utilization_inverts_train_card_hours() -> None:
    hours = flopsheet.train_card_hours("1e24 FLOP", "H100 bf16", 0.4)
    assert flopsheet.implied_utilization("1e24 FLOP", hours, "H100 bf16").m == pytest.approx(0.4)
    assert flopsheet.implied_utilization("1e24 FLOP", "1e6 card_hour", "989.5 TFLOPS").m == pytest.approx(
        1e24 / (1e6 * 3600 * 989.5e12))


def test_six_nd_against_published_compute() -> None:
    table = flopsheet.published_runs()
    assert table.loc["PaLM 540B", "ratio_6nd"] == pytest.approx(1.0, abs=0.001)      # PaLM's 2527.2 ZFLOP is 6ND
    assert table.loc["Llama 3.1 405B", "ratio_6nd"] == pytest.approx(0.998, abs=0.001)
    assert table.loc["GPT-3 175B", "ratio_6nd"] == pytest.approx(1.003, abs=0.001)


def test_implied_utilization_uses_the_peak_of_the_precision_used() -> None:
    table = flopsheet.published_runs()
    deepseek = table.loc["DeepSeek-V3"]
    assert deepseek["precision"] == "fp8" and deepseek["peak_tflops"] == 1979
    assert deepseek["utilization_implied"] == pytest.approx(6 * 37e9 * 14.8e12 / (2_664_000 * 3600 * 1979e12))
    assert table.loc["Llama 3.1 405B", "utilization_implied"] == pytest.approx(0.345, abs=0.001)
    assert table.loc["LLaMA 65B", "days"] == pytest.approx(20.8, abs=0.1)             # "about 21 days"


def test_mfu_knows_every_run_and_keeps_table_4() -> None:
    assert flopsheet.mfu("Megatron-Turing NLG").value == 0.302
    assert flopsheet.mfu("GPT-3").source.startswith("Chowdhery et al., PaLM")
    for name in runs():
        utilization = flopsheet.mfu(name)
        assert 0 < utilization.value < 1
        assert utilization.card and utilization.precision
    assert flopsheet.mfu("llama-3.1-405b") == run_utilization("Llama 3.1 405B")
    assert flopsheet.mfu("Llama 3.1 405B").value == 0.41


def test_mfu_of_a_run_works_in_any_model() -> None:
    cards = flopsheet.train_cards("3.8e25 FLOP", "H100 bf16", flopsheet.mfu("Llama 3.1 405B"), "54 days")
    assert cards.to("card").m == pytest.approx(3.8e25 / (989.5e12 * 0.41 * 54 * 86400))


def test_mfu_of_a_run_against_another_precision_warns() -> None:
    with pytest.warns(flopsheet.AssumptionWarning, match="measured against H800 fp8"):
        flopsheet.train_cards("3.3e24 FLOP", "H800 bf16", flopsheet.mfu("DeepSeek-V3"), "60 days")


def test_unknown_run_lists_table_4_and_the_runs() -> None:
    with pytest.raises(UnknownNameError, match='unknown MFU run "GPT-5"; known: GPT-3, Gopher, .*Llama 3.1 405B'):
        flopsheet.mfu("GPT-5")


def test_utilization_by_generation() -> None:
    table = utilization_by_generation()
    assert list(table.index) == list(GENERATIONS)
    assert (table["min"] <= table["median"]).all() and (table["median"] <= table["max"]).all()
    assert table["runs"].sum() == len(runs())
