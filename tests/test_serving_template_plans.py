"""The serving template's plan table (issue 21): the planner's TP1/2/4/8 rows in native formulas.

The template is recalculated by LibreOffice (no add-in) and its plan rows are compared
with :func:`flopsheet.serving_plans` on the same model shape and load (an independent
path: the planner's arrays, not the spec's rows), before and after a user edits input
cells; every cell of every sheet must be free of errors.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import flopsheet
from flopsheet.formulas.catalogues.shapes import ModelShape
from flopsheet.workbooks.model.evaluate import evaluate
from flopsheet.workbooks.model.spec import load_spec
from flopsheet.workbooks.xlsx.recalc import convert
from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR, template_name

SERVING = "serving"
CARDS = {"a10": "A10 fp16", "a100": "A100 bf16", "h100": "H100 bf16", "h20": "H20 bf16", "h200": "H200 bf16"}
TENSOR_PARALLEL = (1, 2, 4, 8)
#: The spec's stated shape (96 layers, 96 heads of 128, 8 KV heads) as a model shape the planner
#: reads; a one-token vocabulary so that the planner's weights read per step (which leave out
#: the input embedding) equal the template's weights (2 bytes x all parameters) to 1e-7.
SHAPE = ModelShape(name="Kimi (the spec's assumed shape)", layers=96, d_model=96 * 128, heads=96, kv_heads=8,
                   head_dim=128, ffn=43000, vocab=1, gated=True)
ERRORS = ("#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "Err:")
#: Status and binding codes of the template (formulas/serving/steps.py).
BINDING_CODES = {"bandwidth": 1, "compute": 2, "communication": 3, "capacity": 4, "cannot": 0}


def _plans(calls_per_day: str) -> dict[tuple[str, int], dict]:
    frame = flopsheet.serving_plans(SHAPE, calls_per_day, 1000, 1000, busy_hours=12, latency=50,
                                    cards=list(CARDS.values()), utilization=0.3, efficiency=0.6)
    rows = {}
    for row in frame.to_dict("records"):
        if str(row["layout"]) in {f"TP{size}" for size in TENSOR_PARALLEL}:
            key = next(key for key, card in CARDS.items() if card == str(row["card"]))
            rows[key, int(row["tensor_parallel"])] = row
    assert len(rows) == len(CARDS) * len(TENSOR_PARALLEL)
    return rows


def _set(workbook: openpyxl.Workbook, name: str, value: object) -> None:
    (sheet, reference), = workbook.defined_names[name].destinations
    workbook[sheet][reference.replace("$", "")].value = value


def _value(workbook: openpyxl.Workbook, name: str) -> object:
    (sheet, reference), = workbook.defined_names[name].destinations
    return workbook[sheet][reference.replace("$", "")].value


EDITS = {
    "shape": {"params": SHAPE.params},
    "busier": {"params": SHAPE.params, "dau": 200000},                # 2x the calls a day
    "faster_link": {"params": SHAPE.params, "h100_link": 900, "a10_link": 64},
}


@pytest.fixture(scope="module")
def recalculated(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, openpyxl.Workbook]:
    """The template as built and with input cells edited (openpyxl), recalculated by LibreOffice."""
    source = tmp_path_factory.mktemp("plans")
    paths = [Path(source / "as_built.xlsx")]
    openpyxl.load_workbook(TEMPLATE_DIR / template_name(SERVING)).save(paths[0])
    for label, values in EDITS.items():
        workbook = openpyxl.load_workbook(TEMPLATE_DIR / template_name(SERVING))
        for name, value in values.items():
            _set(workbook, name, value)
        paths.append(Path(source / f"{label}.xlsx"))
        workbook.save(paths[-1])
    converted = convert(paths, tmp_path_factory.mktemp("plans_recalculated"))
    return {path.stem: openpyxl.load_workbook(path, data_only=True) for path in converted}


def test_every_sheet_is_free_of_error_cells(recalculated) -> None:
    for label, workbook in recalculated.items():
        assert {"Model", "Plan", "Plan chart"} <= set(workbook.sheetnames)
        bad = [f"{sheet.title}!{cell.coordinate}={cell.value}" for sheet in workbook.worksheets
               for row in sheet.iter_rows() for cell in row
               if isinstance(cell.value, str) and cell.value.startswith(ERRORS)]
        assert bad == [], label


@pytest.mark.parametrize(("label", "calls_per_day"), [("shape", "300万"), ("busier", "600万")])
def test_plan_rows_equal_the_planners_rows(recalculated, label, calls_per_day) -> None:
    workbook = recalculated[label]
    feasible = 0
    for (key, size), plan in _plans(calls_per_day).items():
        prefix = f"{key}_tp{size}"
        where = (label, prefix)
        assert _value(workbook, f"{prefix}_feasible") == {True: 1, False: 0 if "do not hold" in plan["reason"] else 2}[
            bool(plan["feasible"])], where
        assert _value(workbook, f"{prefix}_binding") == BINDING_CODES[str(plan["binding"])], where
        assert _value(workbook, f"{prefix}_ms") == pytest.approx(plan["ms_per_token"], rel=1e-6), where
        if plan["feasible"]:
            feasible += 1
            assert _value(workbook, f"{prefix}_batch") == pytest.approx(plan["batch_per_replica"], rel=1e-6), where
            assert _value(workbook, f"{prefix}_cards") == plan["cards"], where
        else:
            assert _value(workbook, f"{prefix}_batch") == 0 and _value(workbook, f"{prefix}_cards") == 0, where
    assert feasible >= 5          # the table shows both kinds of row
    best = flopsheet.serving_cards(SHAPE, calls_per_day, 1000, 1000, busy_hours=12, latency=50,
                                   cards=list(CARDS.values()), utilization=0.3, efficiency=0.6,
                                   max_replica_cards=8).set_index("card")
    for key, card in CARDS.items():
        expected = best.loc[card, "cards"]
        assert _value(workbook, f"{key}_best_cards") == (0 if expected != expected else expected), (label, key)


def test_a_faster_link_follows_the_python_formulas(recalculated) -> None:
    """The link is a template input (the planner reads the catalogue): compare with the spec's Python evaluation."""
    workbook = recalculated["faster_link"]
    overrides = {"params": f"{SHAPE.params} parameter", "h100_link": "900 GB/s", "a10_link": "64 GB/s"}
    rows = evaluate(SERVING, overrides).set_index("name")["value"]
    before = evaluate(SERVING, {"params": f"{SHAPE.params} parameter"}).set_index("name")["value"]
    assert rows["h100_tp8_comm"] < before["h100_tp8_comm"] and rows["a10_tp8_comm"] < before["a10_tp8_comm"]
    for name in rows.index:
        if name.startswith(("h100_tp", "a10_tp", "tp")):
            assert float(_value(workbook, name)) == pytest.approx(rows[name], rel=1e-9, abs=1e-12), name


def test_the_plan_sheet_and_chart_read_the_plan_rows() -> None:
    spec = load_spec(SERVING)
    workbook = openpyxl.load_workbook(TEMPLATE_DIR / template_name(SERVING))
    sheet = workbook["Plan"]
    assert [sheet.cell(4 + offset, 1).value for offset in range(5)] == [
        "A10 TP1", "A10 TP2", "A10 TP4", "A10 TP8", "A10 best ★"]
    assert sheet["E7"].value == "=a10_tp8_cards" and sheet["G7"].value == "=a10_tp8_feasible"
    assert '"cannot: weights do not fit"' in sheet["G7"].number_format
    chart = workbook["Plan chart"]
    assert len(chart._charts) == 1
    assert [name for name, _ in spec.charts[1].series] == [f"TP{size}" for size in TENSOR_PARALLEL]
    assert chart["B4"].value == "=a10_tp1_cards" and chart["E8"].value == "=h200_tp8_cards"


def test_plan_records_native_and_python_agree_on_a_row_that_cannot_serve() -> None:
    """An infeasible layout is a number the formats show as text, never an error (Python gives the same codes)."""
    rows = evaluate(SERVING).set_index("name")["value"]
    assert rows["a10_tp8_feasible"] == 0 and rows["a10_tp8_cards"] == 0 and rows["a10_tp8_batch"] == 0
    assert rows["a10_best_cards"] == 0
    assert rows["h100_tp8_feasible"] == 1 and rows["h100_best_cards"] == rows["h100_tp8_cards"] > 0
