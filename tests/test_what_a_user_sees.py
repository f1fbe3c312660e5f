"""Issue 22, "what a user sees": the workbook details that read wrong on a rendered page, held here."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import flopsheet
from flopsheet.workbooks.model.evaluate import evaluate
from flopsheet.workbooks.model.spec import load_spec
from flopsheet.workbooks.xlsx.report_workbook import write_report_xlsx
from flopsheet.workbooks.xlsx.simulate_workbook import HISTOGRAM_LABELS, write_simulation_xlsx
from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR, template_name


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("report") / "t5.xlsx"
    overrides = {"duration": "105 days"}
    spec = load_spec("table5_kimi_training")
    write_report_xlsx(evaluate(spec, overrides), spec, path, overrides)
    return openpyxl.load_workbook(path)


def _summary_rows(sheet) -> dict[str, list]:
    return {row[0].value: row for row in sheet.iter_rows(min_row=4) if row[0].value and row[1].value}


def test_summary_formats_utilization_as_percent_and_cuts_nothing(report: openpyxl.Workbook) -> None:
    sheet = report["Summary"]
    rows = _summary_rows(sheet)
    assert "%" in rows["utilization"][2].number_format                 # 30.2%, not 0.302
    assert rows["cards"][2].number_format != "#,##0.####"              # not 11,010.4858
    unit_width = sheet.column_dimensions["D"].width
    assert unit_width >= len("FLOP/parameter/token")                   # the unit is not cut
    assert rows["cards"][1].alignment.wrap_text                        # long labels wrap


def test_summary_leaves_uncompared_cells_empty_not_na_text(report: openpyxl.Workbook) -> None:
    rows = _summary_rows(report["Summary"])
    for name in ("cards",):                     # the one result that reads the changed duration
        printed, difference = rows[name][4].value, rows[name][5].value
        assert printed is None and difference is None, name
    texts = [cell.value for row in report["Summary"].iter_rows() for cell in row if isinstance(cell.value, str)]
    assert not any(text.startswith("n/a") for text in texts)


def test_the_chinese_cards_label_follows_a_changed_duration(report: openpyxl.Workbook) -> None:
    assert "3 个月" not in _summary_rows(report["Summary"])["cards"][1].value


def test_units_sheet_factors_show_every_digit() -> None:
    workbook = openpyxl.load_workbook(TEMPLATE_DIR / template_name("table5_kimi_training"))
    formats = {row[2].number_format for row in workbook["Units"].iter_rows(min_row=2)}
    assert "General" not in formats


def test_monte_carlo_workbook_prints_its_tables_not_its_samples(tmp_path: Path) -> None:
    path = tmp_path / "sim.xlsx"
    write_simulation_xlsx(flopsheet.simulate("table6_kimi_inference", 20_000), path)
    workbook = openpyxl.load_workbook(path)
    samples = workbook["Samples"]
    assert samples.print_area and int(samples.print_area.split("$")[-1]) < 20   # statistics and header only
    labels = [row[5].value for row in workbook["Histogram"].iter_rows(min_row=5) if row[0].value is not None]
    assert 0 < sum(1 for label in labels if label) <= HISTOGRAM_LABELS + 1        # readable axis, not 40 labels


def test_chart_sheet_headers_line_up_with_their_numbers() -> None:
    workbook = openpyxl.load_workbook(TEMPLATE_DIR / template_name("serving"))
    headers = [cell for cell in workbook["Chart"][3][1:] if cell.value]
    assert headers and all(cell.alignment.horizontal == "right" for cell in headers)


def test_readme_shows_a_unitless_count_as_a_number_not_a_percentage() -> None:
    workbook = openpyxl.load_workbook(TEMPLATE_DIR / template_name("serving"))
    text = "\n".join(str(cell.value) for row in workbook["README"].iter_rows() for cell in row if cell.value)
    assert "head_dim = 128 " in text and "12800.0%" not in text
