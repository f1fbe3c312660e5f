"""The calibration and training-memory models agree with the data files and the Python formulas.

Their templates are recalculated in LibreOffice, with zero error cells and the evaluator's
numbers, by tests/test_workbooks_libreoffice.py (every packaged spec).
"""

from __future__ import annotations

import re

import pytest

import flopsheet
from flopsheet.formulas.catalogues.runs import runs, utilization_by_generation
from flopsheet.workbooks.model.spec import load_spec, spec_names


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@pytest.fixture(scope="module")
def calibration() -> dict[str, float]:
    frame = flopsheet.evaluate("calibration")
    return dict(zip(frame["name"], frame["value"]))


def test_both_models_are_packaged() -> None:
    assert {"calibration", "training_memory"} <= set(spec_names())


def test_calibration_has_every_run_with_the_data_files_numbers(calibration: dict[str, float]) -> None:
    table = flopsheet.published_runs()
    for run in runs().values():
        slug = _slug(run.name)
        if run.card_hours is not None:
            assert calibration[f"{slug}_card_hours"] == pytest.approx(run.card_hours)
            assert calibration[f"{slug}_utilization"] == pytest.approx(table.loc[run.name, "utilization_implied"])
        else:
            assert calibration[f"{slug}_mfu"] == pytest.approx(run.mfu)


def test_calibration_generation_inputs_equal_utilization_by_generation(calibration: dict[str, float]) -> None:
    for generation, row in utilization_by_generation().iterrows():
        for stat in ("min", "median", "max"):
            assert calibration[f"{_slug(generation)}_{stat}"] == pytest.approx(row[stat], abs=5e-5)


def test_calibration_utilization_inputs_carry_their_precision() -> None:
    inputs = {spec_input.name: spec_input for spec_input in load_spec("calibration").inputs}
    assert inputs["deepseek_v3_peak"].value == "H800 fp8"
    assert inputs["llama_3_1_405b_peak"].value == "H100 bf16"


def test_training_memory_reproduces_zero_and_train_memory() -> None:
    frame = flopsheet.evaluate("training_memory").set_index("name")
    for stage, name in enumerate(("baseline", "zero1", "zero2", "zero3")):
        expected = flopsheet.train_memory(7.5e9, cards=64, zero_stage=stage).loc["total", "GB"]
        assert frame.loc[name, "quantity"].to("GB").m == pytest.approx(expected)
    shape = flopsheet.model_shape("GPT-3 175B")
    korthikanti = {"activations_none": dict(recompute=False),
                   "activations_selective": dict(recompute="selective", sequence_parallel=True),
                   "activations_full": dict(recompute=True)}
    for name, options in korthikanti.items():
        tensor_parallel = 1 if options.get("recompute") is True else 8
        expected = flopsheet.train_memory(shape, seq_len=2048, tensor_parallel=tensor_parallel, cards=tensor_parallel,
                                          **options).loc["activations", "GB"]
        assert frame.loc[name, "quantity"].to("GB").m == pytest.approx(expected)
