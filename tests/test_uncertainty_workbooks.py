"""Low / base / high in the templates and the Monte Carlo workbook, recalculated by LibreOffice.

One ``soffice`` call converts every native template, edited copies with ranges typed
in, and two simulation workbooks; the tests read the recalculated values by defined
name or by sheet.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

import flopsheet
from flopsheet.workbooks.model.evaluate import evaluate
from flopsheet.workbooks.model.spec import load_spec, spec_names
from flopsheet.workbooks.model.spread import spread
from flopsheet.workbooks.xlsx.recalc import convert
from flopsheet.workbooks.xlsx.simulate_workbook import (HISTOGRAM_BINS, SHEET_SAMPLES, write_simulation_xlsx)
from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR, default_ranges, template_name
from test_workbooks_libreoffice import _value  # reading a cell by defined name
from workbook_support import edited_copy

TABLE5, TABLE6 = "table5_kimi_training", "table6_kimi_inference"
#: Ranges a user types into a template's low/high cells (defined name -> value), per edited copy.
EDITS: dict[str, tuple[str, dict[str, Any]]] = {
    "t5_days": (TABLE5, {"duration": 105, "duration_unit": "day", "duration_low": 90, "duration_high": 120,
                         "params_low": 1.5e11, "params_high": 2.5e11}),
    "t6_ranges": (TABLE6, {"utilization_low": 0.2, "utilization_high": 0.5, "dau_low": 5e4, "dau_high": 2e5,
                           "busy_hours_low": 0.25, "busy_hours_high": 1, "busy_hours": 0.5, "busy_hours_unit": "day"}),
}
#: Samples in the simulation workbooks: all of them fit on the Samples sheet.
N = 2_000
SIMULATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "sim_t5": (TABLE5, {"duration": "90..120 days", "utilization": "triangular 21.3%, 30.2%, 46.2%",
                        "data": "37,580,963,840 kB"}),
    "sim_t6": (TABLE6, {"tokens_per_call": "lognormal 90% CI 1000..2000 tokens", "busy_hours": "12..24"}),
}


@pytest.fixture(scope="module")
def simulations() -> dict[str, flopsheet.workbooks.model.simulate.Simulation]:  # type: ignore[name-defined]
    return {label: flopsheet.simulate(spec, n=N, seed=3, **ranges) for label, (spec, ranges) in SIMULATIONS.items()}


@pytest.fixture(scope="module")
def written(simulations: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("written")
    paths = {name: TEMPLATE_DIR / template_name(name) for name in spec_names()}
    paths.update({label: edited_copy(TEMPLATE_DIR / template_name(spec), edits, folder / f"{label}.xlsx")
                  for label, (spec, edits) in EDITS.items()})
    paths.update({label: write_simulation_xlsx(simulation, folder / f"{label}.xlsx")
                  for label, simulation in simulations.items()})
    return paths


@pytest.fixture(scope="module")
def recalculated(soffice: str, written: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
                 ) -> dict[str, openpyxl.Workbook]:
    converted = convert(written.values(), tmp_path_factory.mktemp("recalculated"))
    return {label: openpyxl.load_workbook(path, data_only=True) for label, path in zip(written, converted)}


def _errors(workbook: openpyxl.Workbook) -> list[tuple[str, str, str]]:
    return [(sheet.title, cell.coordinate, cell.value) for sheet in workbook for row in sheet.iter_rows()
            for cell in row if isinstance(cell.value, str) and cell.value.startswith("#")]


def _spread_of(spec_name: str) -> Any:
    spec = load_spec(spec_name)
    frame = evaluate(spec)
    return spread(spec, dict(zip(frame["name"], frame["quantity"])), dict(zip(frame["name"], frame["unit"])),
                  default_ranges(spec))


@pytest.mark.parametrize("spec_name", spec_names())
def test_template_low_and_high_recalculate_to_python_and_bracket_the_base(
        recalculated: dict[str, openpyxl.Workbook], spec_name: str) -> None:
    workbook = recalculated[spec_name]
    assert _errors(workbook) == []
    ends = _spread_of(spec_name)
    for name in load_spec(spec_name).names:
        low, base, high = (_value(workbook, f"{name}{suffix}") for suffix in ("_low", "", "_high"))
        assert (low, high) == (pytest.approx(ends.low[name], rel=1e-9), pytest.approx(ends.high[name], rel=1e-9)), name
        assert low <= base * (1 + 1e-12) and base <= high * (1 + 1e-12), (name, low, base, high)


def test_tables_5_and_6_start_with_their_spec_ranges(recalculated: dict[str, openpyxl.Workbook]) -> None:
    table5, table6 = recalculated[TABLE5], recalculated[TABLE6]
    assert (_value(table5, "utilization_low"), _value(table5, "utilization_high")) == (0.213, 0.462)
    assert _value(table5, "duration_low") == pytest.approx(90 / 30.4375)  # 90 days, in the row's months
    fewest = evaluate(TABLE5, {"duration": "105 days", "utilization": "46.2%", "data": "30 TB"})
    most = evaluate(TABLE5, {"duration": "90 days", "utilization": "21.3%", "data": "37,580,963,840 kB"})
    assert _value(table5, "cards_low") == pytest.approx(fewest.set_index("name").loc["cards", "value"], rel=1e-9)
    assert _value(table5, "cards_high") == pytest.approx(most.set_index("name").loc["cards", "value"], rel=1e-9)
    assert _value(table6, "cards_high") == pytest.approx(
        evaluate(TABLE6, {"tokens_per_call": 2000, "utilization": "21.3%"}).set_index("name").loc["cards", "value"],
        rel=1e-9)


def test_ranges_typed_in_a_template_give_each_results_extremes(recalculated: dict[str, openpyxl.Workbook]) -> None:
    table5 = recalculated["t5_days"]
    assert _errors(table5) == []
    # the spec's own ranges of data and utilization stay in the template beside the typed ones
    rows = {side: evaluate(TABLE5, {"duration": f"{days} days", "params": params, "data": data,
                                    "utilization": utilization}).set_index("name")
            for side, days, params, data, utilization in (("low", 120, "1500亿", "30 TB", "46.2%"),
                                                          ("high", 90, "2500亿", "37,580,963,840 kB", "21.3%"))}
    for name in ("flops", "cards"):
        for side in ("low", "high"):
            assert _value(table5, f"{name}_{side}") == pytest.approx(rows[side].loc[name, "value"], rel=1e-9)
    table6 = recalculated["t6_ranges"]
    assert _errors(table6) == []
    low = evaluate(TABLE6, {"utilization": 0.5, "dau": "5万", "busy_hours": "1 day"}).set_index("name")
    high = evaluate(TABLE6, {"utilization": 0.2, "dau": "20万", "busy_hours": "6 hours",
                             "tokens_per_call": 2000}).set_index("name")  # the spec's range stays: 1000..2000
    assert _value(table6, "cards_low") == pytest.approx(low.loc["cards", "value"], rel=1e-9)
    assert _value(table6, "cards_high") == pytest.approx(high.loc["cards", "value"], rel=1e-9)
    assert _value(table6, "cards_low") < _value(table6, "cards") < _value(table6, "cards_high")


@pytest.mark.parametrize("label", list(SIMULATIONS))
def test_simulation_workbook_recalculates_without_errors(recalculated: dict[str, openpyxl.Workbook],
                                                         label: str) -> None:
    workbook = recalculated[label]
    assert workbook.sheetnames[:4] == ["Simulation", "Histogram", "Tornado", "Samples"]
    assert {"Model", "Units", "README"} <= set(workbook.sheetnames)
    assert _errors(workbook) == []


@pytest.mark.parametrize("label", list(SIMULATIONS))
def test_libreoffice_percentiles_of_the_samples_equal_ours(recalculated: dict[str, openpyxl.Workbook],
                                                          simulations: dict[str, Any], label: str) -> None:
    simulation = simulations[label]
    assert simulation.n <= SHEET_SAMPLES  # every sample is on the sheet
    sheet = recalculated[label]["Samples"]
    headers = {sheet.cell(7, column).value.split(" (")[0]: column for column in range(2, sheet.max_column + 1)}
    for row in simulation.percentiles.itertuples():
        column = headers[row.Index]
        recomputed = [float(sheet.cell(line, column).value) for line in range(2, 6)]
        assert recomputed == pytest.approx([row.p5, row.p50, row.p95, row.mean], rel=1e-9), row.Index


@pytest.mark.parametrize("label", list(SIMULATIONS))
def test_tornado_and_histogram_sheets(recalculated: dict[str, openpyxl.Workbook], simulations: dict[str, Any],
                                      label: str) -> None:
    simulation, workbook = simulations[label], recalculated[label]
    tornado = workbook["Tornado"]
    swings = [float(tornado.cell(row, 9).value) for row in range(5, 5 + len(simulation.tornado))]
    assert swings == pytest.approx(simulation.tornado.swing.tolist(), rel=1e-9)
    assert swings == sorted(swings, reverse=True)
    histogram = workbook["Histogram"]
    counts = [histogram.cell(row, 4).value for row in range(5, 5 + HISTOGRAM_BINS)]
    shares = [histogram.cell(row, 5).value for row in range(5, 5 + HISTOGRAM_BINS)]
    assert sum(counts) == simulation.n and sum(shares) == pytest.approx(1)
    expected, _ = np.histogram(simulation.samples[simulation.target], bins=HISTOGRAM_BINS)
    assert counts == expected.tolist()


def _charts(path: Path) -> dict[str, list[str]]:
    """Chart kinds (bar direction) by the sheet that draws them, read from the package."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        workbook = archive.read("xl/workbook.xml").decode()
        relations = archive.read("xl/_rels/workbook.xml.rels").decode()
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="/?(?:xl/)?([^"]+)"', relations) +
                       [(rid, target) for target, rid in re.findall(r'Target="/?(?:xl/)?([^"]+)"[^>]*Id="(rId\d+)"',
                                                                     relations)])
        found: dict[str, list[str]] = {}
        for sheet_name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="(rId\d+)"', workbook):
            sheet_path = "xl/" + targets[rid]
            sheet_rels = sheet_path.replace("worksheets/", "worksheets/_rels/") + ".rels"
            if sheet_rels not in names:
                continue
            for drawing in re.findall(r'Target="([^"]*drawing[^"]*)"', archive.read(sheet_rels).decode()):
                drawing_path = "xl/drawings/" + drawing.rsplit("/", 1)[-1]
                drawing_rels = drawing_path.replace("drawings/", "drawings/_rels/") + ".rels"
                for chart in re.findall(r'Target="([^"]*chart[^"]*)"', archive.read(drawing_rels).decode()):
                    xml = archive.read("xl/charts/" + chart.rsplit("/", 1)[-1]).decode()
                    found.setdefault(sheet_name, []).extend(re.findall(r'<(?:c:)?barDir val="(\w+)"', xml))
    return found


@pytest.mark.parametrize("label", list(SIMULATIONS))
def test_the_charts_exist_before_and_after_libreoffice(written: dict[str, Path], recalculated: Any,
                                                       tmp_path: Path, label: str) -> None:
    assert _charts(written[label]) == {"Histogram": ["col"], "Tornado": ["bar"]}
    converted = convert([written[label]], tmp_path)[0]
    assert _charts(converted) == {"Histogram": ["col"], "Tornado": ["bar"]}


def test_simulation_workbook_model_sheet_holds_the_ranges(recalculated: dict[str, openpyxl.Workbook],
                                                          simulations: dict[str, Any]) -> None:
    workbook, simulation = recalculated["sim_t5"], simulations["sim_t5"]
    assert _value(workbook, "utilization_low") == pytest.approx(0.213)
    assert _value(workbook, "utilization_high") == pytest.approx(0.462)
    assert _value(workbook, "duration_low") == pytest.approx(90 / 30.4375)
    assert _value(workbook, "tokens") == pytest.approx(4_912_544_292_810, rel=1e-12)  # data fixed at the kB figure
    tornado = simulation.tornado.set_index("input")
    assert _value(workbook, "cards_high") >= tornado.target_at_low.max()
    assert _value(workbook, "cards_low") <= tornado.target_at_high.min()


def test_same_simulation_same_bytes(simulations: dict[str, Any], tmp_path: Path) -> None:
    first = write_simulation_xlsx(simulations["sim_t6"], tmp_path / "a.xlsx").read_bytes()
    again = flopsheet.simulate(TABLE6, n=N, seed=3, **SIMULATIONS["sim_t6"][1])
    assert write_simulation_xlsx(again, tmp_path / "b.xlsx").read_bytes() == first


def test_spread_brackets_the_base_for_every_spec() -> None:
    for spec_name in spec_names():
        ends, frame = _spread_of(spec_name), evaluate(spec_name)
        for record in frame.itertuples():
            assert ends.low[record.name] <= record.value * (1 + 1e-12), (spec_name, record.name)
            assert record.value <= ends.high[record.name] * (1 + 1e-12), (spec_name, record.name)


def test_json_is_the_report_json_with_percentiles(simulations: dict[str, Any], tmp_path: Path) -> None:
    from flopsheet.workbooks.outputs.simulation_json import simulation_dict
    from flopsheet.workbooks.report import report

    simulation = simulations["sim_t5"]
    document = simulation_dict(simulation)
    plain = json.loads(report(TABLE5, tmp_path / "r.json", data="37,580,963,840 kB").read_text(encoding="utf-8"))
    assert {key: value for key, value in document.items() if key != "simulation"} == {
        **plain, "rows": [{**row, "percentiles": document["rows"][index]["percentiles"]}
                          for index, row in enumerate(plain["rows"])]}
    cards = next(row for row in document["rows"] if row["name"] == "cards")
    assert cards["percentiles"] == {key: pytest.approx(simulation.percentiles.loc["cards", key])
                                    for key in ("p5", "p50", "p95", "mean")}
    assert document["simulation"]["n"] == N and document["simulation"]["seed"] == 3
    assert [item["name"] for item in document["simulation"]["ranges"]] == ["utilization", "duration"]
