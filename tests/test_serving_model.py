"""The serving model (issue 15): Table 6's Kimi case across five cards, as spec, template and chart.

The spec's rows are checked against :func:`flopsheet.serving_cards` on the same model
(an independent path: the DataFrame function, not the spec's formulas), its template
against LibreOffice with an edit that must end in an error, never a number.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import flopsheet
from flopsheet import Q
from flopsheet.formulas.serving.model import ServedModel
from flopsheet.workbooks.model.evaluate import evaluate
from flopsheet.workbooks.model.spec import load_spec
from flopsheet.workbooks.xlsx.chart_sheet import CHART_SHEET
from flopsheet.workbooks.xlsx.recalc import convert
from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR, template_name

SERVING = "serving"
CARDS = {"a10": "A10 fp16", "a100": "A100 bf16", "h100": "H100 bf16", "h20": "H20 bf16", "h200": "H200 bf16"}
#: The spec's stated shape: 96 layers, 96 heads of 128, 8 KV heads, 2 bytes.
LAYERS, HEADS, KV_HEADS, HEAD_DIM = 96, 96, 8, 128


@pytest.fixture(scope="module")
def rows():
    return evaluate(SERVING).set_index("name")["value"]


@pytest.fixture(scope="module")
def fleet():
    kimi = ServedModel(Q(2e11, "parameter"), Q(2e11, "parameter"), kv_values_per_token=2 * LAYERS * KV_HEADS * HEAD_DIM,
                       attention_flop=2 * LAYERS * HEADS * 2 * HEAD_DIM)
    frame = flopsheet.serving_cards(kimi, "300万", busy_hours=12, utilization="30%", cards=list(CARDS.values()))
    return frame.set_index("card")


def test_table6_is_reproduced_and_the_audit_finds_nothing_printed_wrong(rows) -> None:
    assert rows["flops_per_call"] == pytest.approx(8.0e14)
    assert rows["table6_cards"] == pytest.approx(1481.48, abs=0.01)
    assert flopsheet.audit(SERVING) == []


def test_spec_rows_agree_with_serving_cards(rows, fleet) -> None:
    for key, card in CARDS.items():
        expected = fleet.loc[card]
        assert rows[f"{key}_compute"] == pytest.approx(expected["compute_cards"], rel=1e-9), key
        assert rows[f"{key}_replica"] == expected["replica_cards"], key
        assert rows[f"{key}_bandwidth_cards"] == pytest.approx(expected["bandwidth_cards"], rel=1e-9), key
        assert rows[f"{key}_capacity"] == pytest.approx(expected["capacity_cards"], rel=1e-9), key
        assert rows[f"{key}_cards"] == expected["cards"], key
        assert rows[f"{key}_throughput"] == pytest.approx(expected["tokens_per_s_per_card"], rel=1e-9), key
    assert rows["concurrent"] == pytest.approx(fleet.attrs["load"]["concurrent_requests"])


def _binding(rows, key: str) -> str:
    bounds = {"compute": rows[f"{key}_compute"], "bandwidth": rows[f"{key}_bandwidth_cards"],
              "capacity": rows[f"{key}_capacity"]}
    return max(bounds, key=bounds.__getitem__)


def test_the_audit_notes_state_the_models_numbers(rows, fleet) -> None:
    audit = " ".join(load_spec(SERVING).audit)
    assert f"needs {rows['a10_replica_min']:.0f}: a replica spans three 8-card servers ({rows['a10_replica']:.0f} A10s)" \
        in audit
    assert f"bandwidth-bound: {rows['a10_cards']:,.0f} A10s, {rows['a10_cards'] / 1481:.2f}x Table 6's 1481" in audit
    assert (f"compute-bound ({rows['a100_cards']:,.0f}, {rows['h100_cards']:,.0f}, {rows['h20_cards']:,.0f}, "
            f"{rows['h200_cards']:,.0f} cards)") in audit
    assert [_binding(rows, key) for key in CARDS] == ["bandwidth", "compute", "compute", "compute", "compute"]
    assert f"{rows['h100_cost']:.3f} USD ({rows['h100_cost_cny']:.2f} 元)" in audit
    assert f"{rows['price_over_cost']:.1f}x" in audit and f"{rows['price_over_cost'] / 2:.1f}x" in audit
    assert f"adds {rows['attention_per_call'] / rows['flops_per_call']:.1%}" in audit
    assert f"on bandwidth ({rows['h20_bandwidth_cards']:.0f})" in audit and f"compute ({rows['h20_compute']:,.0f})" in audit
    assert f"serves {rows['h20_throughput']:.0f} tokens/s per card against the H100's {rows['h100_throughput']:.0f}" in audit
    bindings = fleet["binding"].to_dict()
    assert bindings == {"A10 fp16": "bandwidth", "A100 bf16": "compute", "H100 bf16": "compute",
                        "H20 bf16": "compute", "H200 bf16": "compute"}


def test_multi_head_attention_and_higher_utilization_as_the_audit_states() -> None:
    audit = " ".join(load_spec(SERVING).audit)
    mha = evaluate(SERVING, {"kv_heads": 96}).set_index("name")["value"]
    assert f"{mha['kv_mean']:.1f} GB per request" in audit
    for key, card, bound in (("a10", "A10s", "bandwidth-bound"), ("a100", "A100s", "bandwidth"),
                             ("h100", "H100s", "capacity"), ("h200", "H200s", "capacity")):
        assert f"{mha[f'{key}_cards']:,.0f} {card} ({bound}" in audit, key
        assert f"{mha[f'{key}_vs_flops']:.1f}x" in audit, key
        assert _binding(mha, key) == bound.split("-")[0], key
    assert f"compute-bound ({mha['h20_cards']:,.0f})" in audit and _binding(mha, "h20") == "compute"
    busy = evaluate(SERVING, {"utilization": "60%"}).set_index("name")["value"]
    assert f"halves ({busy['table6_cards']:,.0f} A10s)" in audit
    assert f"needs {busy['a10_cards']:,.0f} A10s ({busy['a10_vs_flops']:.1f}x)" in audit


def test_the_fleet_is_at_least_the_flop_only_count(rows) -> None:
    for key in CARDS:
        assert rows[f"{key}_cards"] >= rows[f"{key}_compute"] and rows[f"{key}_vs_flops"] >= 1
    for key in ("a100", "h100", "h20", "h200"):  # compute-bound: only rounding to whole replicas
        assert rows[f"{key}_vs_flops"] < 1 + rows[f"{key}_replica"] / rows[f"{key}_compute"]


def test_the_template_has_a_live_chart_of_every_bound(rows) -> None:
    workbook = openpyxl.load_workbook(TEMPLATE_DIR / template_name(SERVING))
    assert workbook.sheetnames[:2] == ["Model", CHART_SHEET]
    sheet = workbook[CHART_SHEET]
    assert len(sheet._charts) == 1
    chart = load_spec(SERVING).chart
    assert [sheet.cell(3, column).value for column in range(2, 6)] == [name for name, _ in chart.series]
    assert [sheet.cell(row, 1).value for row in range(4, 9)] == list(chart.categories)
    assert sheet["B4"].value == "=a10_compute" and sheet["E8"].value == "=h200_cards"
    cached = openpyxl.load_workbook(TEMPLATE_DIR / template_name(SERVING), data_only=True)[CHART_SHEET]
    assert cached["E4"].value == pytest.approx(rows["a10_cards"])


@pytest.fixture(scope="module")
def recalculated(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, openpyxl.Workbook]:
    """The template with edits a user makes, recalculated by LibreOffice."""
    source = tmp_path_factory.mktemp("serving")
    edits = {"zero_latency": {"latency": 0}, "efficiency_over_100": {"efficiency": 1.5}, "fp8": {"precision": 1},
             "tight_latency": {"latency": 20}}
    paths = []
    for label, values in edits.items():
        workbook = openpyxl.load_workbook(TEMPLATE_DIR / template_name(SERVING))
        for name, value in values.items():
            (sheet, reference), = workbook.defined_names[name].destinations
            workbook[sheet][reference.replace("$", "")].value = value
        paths.append(Path(source / f"{label}.xlsx"))
        workbook.save(paths[-1])
    converted = convert(paths, tmp_path_factory.mktemp("recalculated"))
    return {path.stem: openpyxl.load_workbook(path, data_only=True) for path in converted}


def _value(workbook: openpyxl.Workbook, name: str) -> object:
    (sheet, reference), = workbook.defined_names[name].destinations
    return workbook[sheet][reference.replace("$", "")].value


def test_a_load_python_refuses_is_an_error_cell_in_libreoffice_not_a_number(recalculated) -> None:
    for label in ("zero_latency", "efficiency_over_100"):
        workbook = recalculated[label]
        for key in CARDS:
            for name in (f"{key}_replica", f"{key}_bandwidth_cards", f"{key}_cards"):
                assert _value(workbook, name) == "#N/A", (label, name)
        assert _value(workbook, "table6_cards") == pytest.approx(1481.48, abs=0.01)  # FLOP only: unaffected
    with pytest.raises(flopsheet.InputRangeError, match="latency"):
        evaluate(SERVING, {"latency": 0})


@pytest.mark.parametrize(("label", "overrides"), [("fp8", {"precision": "1 B"}), ("tight_latency", {"latency": 20})])
def test_edited_templates_recalculate_to_the_evaluator(recalculated, label, overrides) -> None:
    workbook = recalculated[label]
    for record in evaluate(SERVING, overrides).itertuples():
        assert float(_value(workbook, record.name)) == pytest.approx(record.value, rel=1e-9), (label, record.name)
