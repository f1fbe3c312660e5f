"""The templates recalculated by LibreOffice, the real spreadsheet engine.

One ``soffice`` call converts every template and every edited copy (about 3 s);
each test then reads the recalculated values by defined name.
"""

from __future__ import annotations

from typing import Any

import openpyxl
import pytest

from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR, compile_workbook, template_name
from flopsheet.workbooks.model.evaluate import evaluate
from flopsheet.workbooks.xlsx.recalc import convert
from flopsheet.workbooks.model.spec import load_spec, spec_names

from workbook_support import edited_copy, named_cell

TABLE5, TABLE6 = "table5_kimi_training", "table6_kimi_inference"
#: Edits a user makes in the cells (defined name -> typed value), per edited copy.
EDITS: dict[str, tuple[str, dict[str, Any]]] = {
    "t5_kb": (TABLE5, {"data": 37_580_963_840, "data_unit": "kB"}),
    "t5_kb_105_days": (TABLE5, {"data": 37_580_963_840, "data_unit": "kB", "duration": 105, "duration_unit": "day"}),
    "t5_35_tib": (TABLE5, {"data": 35, "data_unit": "TiB"}),
    "t5_90_days": (TABLE5, {"duration": 90, "duration_unit": "day"}),
    "t5_bf16": (TABLE5, {"peak": 312}),
    "t5_result_units": (TABLE5, {"duration": 13, "duration_unit": "week", "cards_unit": "万card",
                                 "flops_unit": "EFLOP", "tokens_unit": "万亿token"}),
    "t6_2000_tokens": (TABLE6, {"tokens_per_call": 2000}),
    "t6_tflops_per_day": (TABLE6, {"daily_flops_unit": "PFLOP/day", "busy_hours": 0.5, "busy_hours_unit": "day"}),
}
OVERRIDES = {"duration": "105 days", "data": "37,580,963,840 kB", "peak": "A100 bf16"}


@pytest.fixture(scope="module")
def recalculated(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, openpyxl.Workbook]:
    """Every native template, every edited copy and an overridden compile, recalculated in one call."""
    source = tmp_path_factory.mktemp("edited")
    paths = [TEMPLATE_DIR / template_name(name) for name in spec_names()]
    paths += [edited_copy(TEMPLATE_DIR / template_name(spec), edits, source / f"{label}.xlsx")
              for label, (spec, edits) in EDITS.items()]
    paths.append(compile_workbook(TABLE5, source / "t5_overridden.xlsx", overrides=OVERRIDES))
    converted = convert(paths, tmp_path_factory.mktemp("recalculated"))
    return {path.stem: openpyxl.load_workbook(path, data_only=True) for path in converted}


def _value(workbook: openpyxl.Workbook, name: str) -> float:
    return float(named_cell(workbook, name).value)


@pytest.mark.parametrize("spec_name", spec_names())
def test_every_template_recalculates_without_errors_to_the_evaluators_numbers(
        recalculated: dict[str, openpyxl.Workbook], spec_name: str) -> None:
    workbook = recalculated[spec_name]
    errors = [(sheet.title, cell.coordinate, cell.value) for sheet in workbook for row in sheet.iter_rows()
              for cell in row if isinstance(cell.value, str) and cell.value.startswith("#")]
    assert errors == []
    frame = evaluate(spec_name)
    for record in frame.itertuples():
        assert _value(workbook, record.name) == pytest.approx(record.value, rel=1e-9), record.name
        if record.printed == record.printed:
            assert _value(workbook, f"{record.name}_printed") == pytest.approx(record.printed, rel=1e-9)
            assert _value(workbook, f"{record.name}_printed") != 0


def test_table5_at_its_stated_defaults(recalculated: dict[str, openpyxl.Workbook]) -> None:
    workbook = recalculated[TABLE5]
    assert _value(workbook, "cards") == pytest.approx(12_661, abs=0.5)
    assert _value(workbook, "cards_printed") == 13_793


def test_table5_with_the_kb_figure_gives_the_printed_tokens(recalculated: dict[str, openpyxl.Workbook]) -> None:
    assert _value(recalculated["t5_kb"], "tokens") == pytest.approx(4_912_544_292_810, abs=1)


def test_table5_with_the_kb_figure_and_105_days_gives_13793_cards(recalculated: dict[str, openpyxl.Workbook]) -> None:
    workbook = recalculated["t5_kb_105_days"]
    assert _value(workbook, "cards") == pytest.approx(13_793, abs=0.5)
    assert _value(workbook, "duration_printed") == pytest.approx(91.3125)  # "3 months" shown in days
    assert abs(_value(workbook, "cards") - _value(workbook, "cards_printed")) < 0.5


def test_table5_35_tib(recalculated: dict[str, openpyxl.Workbook]) -> None:
    assert _value(recalculated["t5_35_tib"], "tokens") == pytest.approx(5_030_445_355_838, abs=1)


def test_duration_unit_month_to_day(recalculated: dict[str, openpyxl.Workbook]) -> None:
    expected = evaluate(TABLE5, {"duration": "90 days"}).set_index("name").loc["cards", "value"]
    assert _value(recalculated["t5_90_days"], "cards") == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(12_846, abs=0.5)


def test_the_a100_bf16_peak_halves_the_cards(recalculated: dict[str, openpyxl.Workbook]) -> None:
    assert _value(recalculated["t5_bf16"], "cards") == pytest.approx(_value(recalculated[TABLE5], "cards") / 2,
                                                                     rel=1e-12)


def test_result_unit_dropdowns_convert_the_results(recalculated: dict[str, openpyxl.Workbook]) -> None:
    workbook = recalculated["t5_result_units"]
    rows = evaluate(TABLE5, {"duration": "13 weeks"}).set_index("name")
    assert _value(workbook, "cards") == pytest.approx(rows.loc["cards", "value"] / 1e4, rel=1e-9)
    assert _value(workbook, "flops") == pytest.approx(rows.loc["flops", "value"] / 1e18, rel=1e-9)
    assert _value(workbook, "tokens") == pytest.approx(rows.loc["tokens", "value"] / 1e12, rel=1e-9)
    assert _value(workbook, "cards_printed") == pytest.approx(1.3793, rel=1e-12)


def test_table6_with_2000_tokens_per_call_gives_1481_cards(recalculated: dict[str, openpyxl.Workbook]) -> None:
    workbook = recalculated["t6_2000_tokens"]
    assert round(_value(workbook, "cards")) == 1481
    assert _value(workbook, "flops_per_call") == pytest.approx(8e14, rel=1e-12)
    assert _value(workbook, "daily_flops") == pytest.approx(2.4e9, rel=1e-12)


def test_table6_half_a_day_is_12_busy_hours(recalculated: dict[str, openpyxl.Workbook]) -> None:
    workbook = recalculated["t6_tflops_per_day"]
    assert _value(workbook, "cards") == pytest.approx(_value(recalculated[TABLE6], "cards"), rel=1e-12)
    assert _value(workbook, "daily_flops") == pytest.approx(1.2e6, rel=1e-12)  # PFLOP/day


def test_a_compiled_workbook_with_overrides_recalculates_to_the_evaluator(
        recalculated: dict[str, openpyxl.Workbook]) -> None:
    workbook = recalculated["t5_overridden"]
    for record in evaluate(TABLE5, OVERRIDES).itertuples():
        assert _value(workbook, record.name) == pytest.approx(record.value, rel=1e-9), record.name
    assert _value(workbook, "cards") == pytest.approx(13_793 / 2, abs=0.5)


def test_read_back_names_survive_libreoffice(recalculated: dict[str, openpyxl.Workbook]) -> None:
    workbook = recalculated["t5_kb_105_days"]
    for item in load_spec(TABLE5).inputs:
        assert item.name in workbook.defined_names and f"{item.name}_unit" in workbook.defined_names
    assert (named_cell(workbook, "data_unit").value, named_cell(workbook, "duration_unit").value) == ("kB", "day")
