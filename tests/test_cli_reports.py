"""Issue 5: the command line and headless reports on Tables 5 and 6."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import flopsheet
from flopsheet.cli import main
from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR
from flopsheet.workbooks.xlsx.recalc import convert
from flopsheet.workbooks.model.sweep import ProgressBar

from cli_support import run

T5, T6 = "table5_kimi_training", "table6_kimi_inference"


def test_list_names_every_model(capsys) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    for name in [T5, T6, "table4_mfu", "table3_api_prices", "table2_context_windows"]:
        assert name in out
    assert "Kimi 训练算力测算" in out and "seed 001" in out


def test_show_with_overrides_marks_them_and_prints_warnings(capsys) -> None:
    code, out, _ = run(capsys, "show", T5, "--set", "duration=105 days", "--set", "data=37,580,963,840 kB")
    assert code == 0
    assert "* duration" in out and "* data" in out and "  params" in out
    utilization_line = next(line for line in out.splitlines() if line.strip().startswith("utilization"))
    assert "30.2%" in utilization_line
    cards_line = next(line for line in out.splitlines() if line.strip().startswith("cards"))
    assert "13,793" in cards_line
    assert "warning: cards: utilization 30.2% was measured against A100 bf16" in out


def test_show_in_chinese(capsys) -> None:
    code, out, _ = run(capsys, "show", T6, "--lang", "zh", "--set", "tokens_per_call=2000")
    assert code == 0 and "推理卡需求" in out and "1,481" in out


def test_report_json_schema_and_numbers(tmp_path: Path, capsys) -> None:
    target = tmp_path / "t6.json"
    code, out, _ = run(capsys, "report", T6, "-o", str(target), "--set", "tokens_per_call=2000")
    assert code == 0 and out.strip() == str(target)
    document = json.loads(target.read_text(encoding="utf-8"))
    assert set(document) == {"model", "inputs", "rows", "warnings"}
    assert document["model"] == T6
    assert all(set(item) == {"name", "value", "unit"} for item in document["inputs"])
    assert all(set(row) == {"name", "label_en", "label_zh", "value", "unit", "printed", "difference", "printed_note"}
               for row in document["rows"])
    rows = {row["name"]: row for row in document["rows"]}
    assert rows["flops_per_call"]["value"] == pytest.approx(8.0e14)
    assert rows["cards"]["value"] == pytest.approx(1481, abs=0.5)
    # tokens_per_call changed: the report's printed figure is not compared with this run's value
    assert (rows["cards"]["printed"], rows["cards"]["difference"], rows["cards"]["printed_note"]) == (
        None, None, "n/a: inputs changed")
    assert rows["calls_per_day"]["printed"] == 3e6 and rows["calls_per_day"]["printed_note"] is None
    inputs = {item["name"]: item for item in document["inputs"]}
    assert inputs["tokens_per_call"]["value"] == 2000


def test_report_csv_and_markdown(tmp_path: Path, capsys) -> None:
    csv_path, md_path = tmp_path / "t5.csv", tmp_path / "t5.md"
    assert run(capsys, "report", T5, "-o", str(csv_path), "--set", "duration=105 days",
               "--set", "data=37,580,963,840 kB")[0] == 0
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "name,kind,label_en,label_zh,value,unit,printed,difference,overridden"
    cards = next(line for line in lines if line.startswith("cards,"))
    assert float(cards.split(",")[4]) == pytest.approx(13793, abs=0.5)
    assert run(capsys, "report", T5, "-o", str(md_path), "--format", "md")[0] == 0
    markdown = md_path.read_text(encoding="utf-8")
    assert markdown.startswith("# Kimi training compute / Kimi 训练算力测算")
    assert "| cards | Cards to train in the duration" in markdown and "## Warnings" in markdown


def test_python_api_matches_the_cli(tmp_path: Path) -> None:
    frame = flopsheet.evaluate(T5, duration="105 days", data="37,580,963,840 kB")
    cards = frame.set_index("name").loc["cards"]
    assert cards["value"] == pytest.approx(13793, abs=0.5) and bool(frame.set_index("name").loc["duration", "overridden"])
    written = flopsheet.report(T6, tmp_path / "r.json", tokens_per_call=2000)
    assert json.loads(written.read_text())["rows"][-1]["value"] == pytest.approx(1481.48, abs=0.01)


@pytest.fixture(scope="module")
def xlsx_reports(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict[str, tuple[Path, Path]]:
    """Tables 5 and 6 xlsx reports (with overrides) and their LibreOffice-recalculated copies."""
    folder = tmp_path_factory.mktemp("reports")
    t5 = flopsheet.report(T5, folder / "t5.xlsx", duration="105 days", data="37,580,963,840 kB")
    t6 = flopsheet.report(T6, folder / "t6.xlsx", tokens_per_call="2000 tokens")
    everything = folder / "all"
    assert main(["report", "all", "-o", str(everything)]) == 0
    sources = [t5, t6, *sorted(everything.glob("*.xlsx"))]
    recalculated = convert(sources, folder / "recalculated")
    return {source.stem: (source, copy) for source, copy in zip(sources, recalculated)}


def _errors(workbook: openpyxl.Workbook) -> list[tuple[str, str, Any]]:
    return [(sheet.title, cell.coordinate, cell.value) for sheet in workbook for row in sheet.iter_rows()
            for cell in row if isinstance(cell.value, str) and cell.value.startswith("#")
            and cell.value.rstrip("!?0/").upper() in {"#VALUE", "#NAME", "#REF", "#DIV", "#N/A", "#NUM", "#NULL"}]


def test_every_xlsx_report_recalculates_without_errors(xlsx_reports) -> None:
    assert len(xlsx_reports) == 2 + len(flopsheet.workbooks.model.spec.spec_names())  # t5, t6 and one per model
    for _, copy in xlsx_reports.values():
        workbook = openpyxl.load_workbook(copy, data_only=True)
        assert _errors(workbook) == [], copy.name


def test_xlsx_report_layout_and_live_model(xlsx_reports) -> None:
    source, copy = xlsx_reports["t5"]
    workbook = openpyxl.load_workbook(source)
    assert workbook.sheetnames[:2] == ["Summary", "Model"] and "Sources" in workbook.sheetnames
    summary = workbook["Summary"]
    assert len(summary._charts) == 1
    highlighted = {row[0].value for row in summary.iter_rows() if row[0].fill.fgColor.rgb.endswith("FCE4D6")}
    assert highlighted == {"data", "duration"}
    assert any("measured against A100 bf16" in str(cell.value) for row in summary.iter_rows() for cell in row)
    recalculated = openpyxl.load_workbook(copy, data_only=True)
    sheet, cell = next(iter(recalculated.defined_names["cards"].destinations))
    assert recalculated[sheet][cell.replace("$", "")].value == pytest.approx(13793, abs=0.5)
    _, copy6 = xlsx_reports["t6"]
    recalculated6 = openpyxl.load_workbook(copy6, data_only=True)
    sheet, cell = next(iter(recalculated6.defined_names["cards"].destinations))
    assert recalculated6[sheet][cell.replace("$", "")].value == pytest.approx(1481, abs=0.5)


def _edit_template(source: Path, target: Path, edits: dict[str, Any]) -> Path:
    workbook = openpyxl.load_workbook(source)
    for name, value in edits.items():
        sheet, cell = next(iter(workbook.defined_names[name].destinations))
        workbook[sheet][cell.replace("$", "")] = value
    workbook.save(target)
    return target


def test_report_from_an_edited_template(tmp_path: Path, capsys) -> None:
    edited = _edit_template(TEMPLATE_DIR / f"{T5}.xlsx", tmp_path / "edited.xlsx",
                            {"data": 37_580_963_840, "data_unit": "kB", "duration": 105, "duration_unit": "day"})
    target = tmp_path / "from.json"
    code, _, err = run(capsys, "report", T5, "--from", str(edited), "-o", str(target))
    assert code == 0, err
    document = json.loads(target.read_text())
    rows = {row["name"]: row["value"] for row in document["rows"]}
    assert rows["tokens"] == pytest.approx(4_912_544_292_810, abs=1)
    assert rows["cards"] == pytest.approx(13793, abs=0.5)
    inputs = {item["name"]: item for item in document["inputs"]}
    assert inputs["duration"] == {"name": "duration", "value": 105, "unit": "day"}


def test_report_from_a_template_with_a_bad_cell_exits_2(tmp_path: Path, capsys) -> None:
    edited = _edit_template(TEMPLATE_DIR / f"{T5}.xlsx", tmp_path / "bad.xlsx", {"duration": None})
    target = tmp_path / "never.json"
    code, _, err = run(capsys, "report", T5, "--from", str(edited), "-o", str(target))
    assert code == 2 and "duration" in err and "empty" in err and not target.exists()
    code, _, err = run(capsys, "report", T6, "--from", str(TEMPLATE_DIR / f"{T5}.xlsx"), "-o", str(target))
    assert code == 2 and "table6_kimi_inference template" in err
    not_xlsx = tmp_path / "notes.xlsx"
    not_xlsx.write_text("hello")
    code, _, err = run(capsys, "report", T5, "--from", str(not_xlsx), "-o", str(target))
    assert code == 2 and "an .xlsx workbook" in err and not target.exists()


BAD_SETS = [
    (["--set", "duration=30 TB"], 'duration: expected a quantity', '"30 TB"'),
    (["--set", "nosuch=3"], 'unknown input of table5_kimi_training "nosuch"', "known: params, data"),
    (["--set", "duration=abc"], "duration: expected a quantity in units like month", '"abc"'),
    (["--set", "duration"], "--set: expected NAME=VALUE", '"duration"'),
    (["--set", "utilization=130%"], "utilization: must be in (0, 100%]", "130%"),
    (["--set", "params=-5"], "params: must be greater than 0", "-5"),
    (["--set", "peak=A1000 tf32"], 'unknown accelerator "A1000"', "known: A100"),
]


@pytest.mark.parametrize(("arguments", "message", "given"), BAD_SETS)
def test_bad_set_exits_2_with_a_clear_message_and_no_file(tmp_path: Path, capsys, arguments, message, given) -> None:
    target = tmp_path / "report.xlsx"
    code, out, err = run(capsys, "report", T5, "-o", str(target), *arguments)
    assert code == 2
    assert message in err and given in err
    assert "Traceback" not in err and not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_does_not_clobber_an_existing_report(tmp_path: Path, capsys) -> None:
    target = tmp_path / "report.json"
    target.write_text("previous report")
    assert run(capsys, "report", T5, "-o", str(target), "--set", "duration=30 TB")[0] == 2
    assert target.read_text() == "previous report"


def test_bad_usage_exits_2(tmp_path: Path, capsys) -> None:
    assert run(capsys, "report", T5, "-o", str(tmp_path / "x.txt"))[0] == 2
    with pytest.raises(SystemExit) as caught:
        main(["report", T5])
    assert caught.value.code == 2
    assert run(capsys, "show", "no_such_model")[0] == 2


def test_help_has_examples() -> None:
    for command in ["list", "show", "report", "sweep", "build", "summary"]:
        completed = subprocess.run([sys.executable, "-m", "flopsheet", command, "--help"], capture_output=True,
                                   text=True, check=False)
        assert completed.returncode == 0 and "Example" in completed.stdout, command


def test_one_way_sweep_is_monotone_and_charted(tmp_path: Path, capsys) -> None:
    table = flopsheet.sweep(T5, {"duration": "60 days..180 days:30 days"})
    assert table.shape == (5, 1) and list(table.index) == [60, 90, 120, 150, 180]
    assert (table["cards"].diff().dropna() < 0).all()  # more days -> fewer cards
    target = tmp_path / "sweep.xlsx"
    code, _, _ = run(capsys, "sweep", T5, "--vary", "duration=60 days..180 days:30 days", "-o", str(target))
    assert code == 0
    assert any(name.startswith("xl/charts/chart") for name in zipfile.ZipFile(target).namelist())


def test_two_way_sweep_grid(tmp_path: Path, capsys) -> None:
    table = flopsheet.sweep(T5, {"duration": "2..6:1", "utilization": "20%..50%:10%"})
    assert table.shape == (5, 4)
    assert (table.diff(axis=0).dropna() < 0).all().all() and (table.diff(axis=1).dropna(axis=1) < 0).all().all()
    target = tmp_path / "grid.xlsx"
    assert run(capsys, "sweep", T5, "--vary", "duration=2 months..6 months:1 month", "--vary", "utilization=20%..50%:10%",
               "-o", str(target))[0] == 0
    sheet = openpyxl.load_workbook(target)["Sweep"]
    assert len(sheet.conditional_formatting) == 1
    code, out, _ = run(capsys, "sweep", T6, "--vary", "busy_hours=6 hours..24 hours:6 hours", "--target", "cards")
    assert code == 0 and "busy_hours (h)" in out


@pytest.mark.parametrize(("vary", "message"), [
    ("nosuch=1..2", 'unknown input "nosuch"'),
    ("duration=5 months..1", "STOP >= START"),
    ("duration=1 month..5:0", "STEP greater than 0"),
    ("duration=1 day..1e9:1", "at most 10,000 points"),
    ("duration=1-5", "START..STOP"),
    ("duration=1 TB..2 TB", "duration"),
])
def test_bad_sweeps_exit_2(capsys, vary: str, message: str) -> None:
    code, _, err = run(capsys, "sweep", T5, "--vary", vary)
    assert code == 2 and message in err


def test_progress_bar_appears_only_after_a_second() -> None:
    class Stream:
        text = ""

        def write(self, chunk: str) -> None:
            self.text += chunk

        def flush(self) -> None:
            pass

    times = iter([0.0, 0.5, 1.5, 1.6])
    stream = Stream()
    bar = ProgressBar(stream, width=10, clock=lambda: next(times))
    bar(1, 3)
    assert stream.text == ""
    bar(2, 3)
    bar(3, 3)
    assert "sweep [######....] 2/3" in stream.text and stream.text.endswith("3/3\n")


def test_user_text_in_a_spec_stays_inert(tmp_path: Path) -> None:
    spec_text = (flopsheet.workbooks.model.spec.SPEC_DIR / f"{T6}.toml").read_text(encoding="utf-8")
    crafted = spec_text.replace('label_en = "Model parameters"', 'label_en = "=HYPERLINK(\\"http://x\\",\\"x\\")"', 1)
    assert crafted != spec_text
    spec_path = tmp_path / f"{T6}.toml"
    spec_path.write_text(crafted, encoding="utf-8")
    spec = flopsheet.workbooks.model.spec.load_spec(spec_path)
    workbook = openpyxl.load_workbook(flopsheet.report(spec, tmp_path / "crafted.xlsx"))
    labels = [(sheet.title, cell) for sheet in workbook for row in sheet.iter_rows() for cell in row
              if "HYPERLINK" in str(cell.value)]
    assert {title for title, _ in labels} >= {"Summary", "Model"}
    assert all(cell.data_type == "s" for _, cell in labels)
    csv_text = flopsheet.report(spec, tmp_path / "crafted.csv").read_text(encoding="utf-8")
    assert "\"'=HYPERLINK" in csv_text


def test_xlsx_report_is_written_once_with_cached_results_and_same_bytes(tmp_path: Path, capsys) -> None:
    import pandas as pd

    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for target in (first, second):
        assert main(["report", T5, "-o", str(target), "--set", "duration=105 days"]) == 0
    assert first.read_bytes() == second.read_bytes()
    model = pd.read_excel(first, sheet_name="Model", header=4).set_index("Name (defined name)")
    frame = flopsheet.evaluate(T5, duration="105 days").set_index("name")
    for name in frame.index:
        assert model.loc[name, "Value 数值"] == pytest.approx(frame.loc[name, "value"], rel=1e-12), name


def test_a_sweep_is_one_evaluation_over_arrays_and_equals_point_by_point() -> None:
    grid = flopsheet.sweep(T5, {"duration": "60 days..180 days:60 days", "utilization": "20%..50%:15%"})
    assert grid.shape == (3, 3)
    for duration in grid.index:
        for utilization in grid.columns:
            point = flopsheet.evaluate(T5, duration=f"{duration} day", utilization=utilization).set_index("name")
            assert grid.loc[duration, utilization] == pytest.approx(point.loc["cards", "value"], rel=1e-12)


def test_report_all_into_a_file_and_build_into_a_file_are_clear_errors(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x", encoding="utf-8")
    assert main(["report", "all", "-o", str(blocker)]) == 2
    assert "-o: cannot write" in capsys.readouterr().err
    assert main(["build", "--outdir", str(blocker / "sub")]) == 2
    assert "--outdir: cannot write" in capsys.readouterr().err


def test_sweep_with_a_number_instead_of_a_range_is_a_clear_error() -> None:
    with pytest.raises(flopsheet.InputError, match="--vary duration: expected a range as text"):
        flopsheet.sweep(T5, {"duration": 5})
