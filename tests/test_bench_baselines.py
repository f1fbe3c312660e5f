"""The benchmarks' raw-numpy baselines compute what flopsheet computes (else a ratio means nothing)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench_serving():  # noqa: ANN201 - the benchmark module
    sys.path.insert(0, str(BENCH))
    try:
        import bench_serving  # noqa: PLC0415 - a module of bench/, not of the package
    finally:
        sys.path.remove(str(BENCH))
    return bench_serving


def test_the_serving_sweep_baseline_builds_the_planners_table(bench_serving) -> None:  # noqa: ANN001
    """raw_numpy_plans gives every number column of serving_plans, in the same best-first order."""
    import flopsheet
    from flopsheet.formulas.serving.planner import BINDINGS

    calls = np.linspace(1e5, 1e8, 200)  # from a light load to one where TP1 ... TP8 trade places
    frame = flopsheet.serving_plans(bench_serving.MODEL, calls, bench_serving.PROMPT, bench_serving.ANSWER,
                                    bench_serving.BUSY_HOURS, cards=bench_serving.SWEEP_CARD)
    raw = bench_serving.raw_numpy_plans(bench_serving._constants(bench_serving.SWEEP_CARD), calls)
    numbers = [name for name, dtype in frame.dtypes.items() if dtype.kind == "f"]
    assert set(numbers) <= set(raw) and len(numbers) == 18
    for name in numbers:
        assert np.allclose(raw[name], frame[name].to_numpy(), rtol=1e-9, equal_nan=True), name
    assert (raw["feasible"] == frame["feasible"].to_numpy()).all()
    codes = {text: code for code, text in enumerate([*BINDINGS, "cannot"])}
    assert (raw["binding"] == frame["binding"].map(codes).to_numpy()).all()
    assert frame["feasible"].any() and not frame["feasible"].all()  # both kinds of row are compared


def test_the_serving_core_baseline_is_a_subset(bench_serving) -> None:  # noqa: ANN001
    """The narrower baseline of earlier runs gives 7 of the same columns (kept for the record)."""
    constants = bench_serving._constants(bench_serving.SWEEP_CARD)
    calls = np.linspace(1e5, 1e8, 200)
    with np.errstate(all="ignore"):
        core = bench_serving.raw_numpy_core(constants, calls)
    full = bench_serving.raw_numpy_plans(constants, calls)
    pairs = {"cards": "cards", "replicas": "replicas", "batch": "batch_per_replica", "ttft": "ttft_s",
             "per_card": "tokens_per_s_per_card", "feasible": "feasible"}
    for name, full_name in pairs.items():
        assert np.allclose(core[name], full[full_name], rtol=1e-9, equal_nan=True), name
    feasible = full["feasible"]
    assert np.allclose(core["seconds"][feasible] * 1e3, full["ms_per_token"][feasible], rtol=1e-9)
