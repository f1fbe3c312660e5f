"""``flopsheet simulate``: the percentile table, the outputs, and every range error exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from flopsheet.cli import main
from flopsheet.workbooks.model.evaluate import evaluate

T5, T6 = "table5_kimi_training", "table6_kimi_inference"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse refuses bad usage itself
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_issues_command_prints_a_p50_within_1_percent_of_the_cards_at_105_days() -> None:
    completed = subprocess.run([sys.executable, "-m", "flopsheet", "simulate", T5, "--range", "duration=90..120days",
                                "-n", "20000", "--seed", "1"], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    header = next(line for line in lines if line.startswith("row "))
    cards = next(line for line in lines if line.startswith("* cards"))
    p50 = _number(cards.split()[header.split().index("p50") + 1])  # "*" is a field of its own
    at_105_days = evaluate(T5, {"duration": "105 days"}).set_index("name").loc["cards", "value"]
    assert p50 == pytest.approx(at_105_days, rel=0.01)
    assert "20,000 samples, seed 1" in completed.stdout and "duration = 90..120days (uniform, 90 to 120 day)" in \
        completed.stdout


def test_the_same_seed_prints_the_same_table(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ("simulate", T6, "-n", "5000", "--seed", "4", "--range", "utilization=lognormal 20%..40%")
    first, second = run(capsys, *arguments), run(capsys, *arguments)
    assert first == second and first[0] == 0
    other = run(capsys, "simulate", T6, "-n", "5000", "--seed", "5", "--range", "utilization=lognormal 20%..40%")
    assert other[1] != first[1]


def test_tornado_and_fractions_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "simulate", T6, "-n", "1000", "--set", "tokens_per_call=2000",
                       "--range", "utilization=21.3%..46.2%", "--range", "busy_hours=triangular 8, 12, 24 hours")
    assert code == 0
    tornado = out.split("tornado of cards (card)")[1].splitlines()
    assert tornado[3].startswith("busy_hours ") and tornado[4].startswith("utilization ")  # largest swing first
    assert "21.3%" in tornado[4] and "46.2%" in tornado[4]
    assert "1,481" in next(line for line in out.splitlines() if line.startswith("* cards"))  # base at 2000 tokens


def test_without_ranges_the_specs_ranges_are_used(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "simulate", T6, "-n", "2000")
    assert code == 0
    assert "tokens_per_call = 1000..2000" in out and "utilization = 21.3%..46.2%" in out and "busy_hours = 12..24" in out


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "sim.json"
    code, out, _ = run(capsys, "simulate", T5, "-n", "3000", "--range", "duration=90..120 days", "-o", str(target))
    assert code == 0 and out.strip() == str(target)
    document = json.loads(target.read_text(encoding="utf-8"))
    assert set(document) == {"model", "inputs", "rows", "warnings", "simulation"}
    for row in document["rows"]:
        assert set(row["percentiles"]) == {"p5", "p50", "p95", "mean"}
        assert row["percentiles"]["p5"] <= row["percentiles"]["p50"] <= row["percentiles"]["p95"]
    assert document["simulation"]["ranges"] == [{"name": "duration", "distribution": "90..120 days", "kind": "uniform",
                                                 "low": 90.0, "high": 120.0, "unit": "day"}]
    assert document["simulation"]["tornado"][0]["input"] == "duration"


def test_xlsx_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "sim.xlsx"
    code, _, _ = run(capsys, "simulate", T6, "-n", "3000", "-o", str(target))
    assert code == 0
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["Simulation", "Histogram", "Tornado", "Samples", "Model", "Units", "README"]


@pytest.mark.parametrize(("argv", "fragment"), [
    (("--range", "duration=120..90days"), 'duration: must be a range with LOW <= HIGH, got "120..90days"'),
    (("--range", "duration=90 days..120 tokens"), "duration: expected ends of one dimension"),
    (("--range", "duration=90..120 tokens"), "duration: expected a range in units like month ([time])"),
    (("--range", "duration=normal 105 days ± -3 days"), "standard deviation (after ±) of at least 0"),
    (("--range", "duration=lognormal 0..100 days"), "lognormal range with ends greater than 0"),
    (("--range", "utilization=30%..146%"), "utilization: must be a range whose ends are"),
    (("--range", "duration=normal 30 days ± 12 days"), "must be a range whose samples are all greater than 0"),
    (("--range", "durations=1..2"), "unknown input of table5_kimi_training"),
    (("--range", "duration"), "--range: expected NAME=VALUE"),
    (("--range", "duration=90..120 days", "-n", "1e9"), "n: must be a whole number of samples from 1 to 2,000,000"),
    (("--range", "duration=90..120 days", "-n", "many"), "n: expected"),
    (("--range", "duration=90..120 days", "--target", "nope"), "target: unknown result row"),
    (("--range", "duration=90..120 days", "-o", "out.txt"), '-o: expected a .xlsx or .json file, got "out.txt"'),
    (("--range", "duration=90..120 days", "--seed", "-3"), "argument --seed: expected a whole number >= 0"),
])
def test_every_error_exits_2_with_a_clear_line(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                               fragment: str) -> None:
    code, out, err = run(capsys, "simulate", T5, *argv)
    assert code == 2 and out == ""
    assert fragment in err, err
    assert "Traceback" not in err


def test_a_model_without_ranges_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "simulate", "table4_mfu")
    assert code == 2 and "at least one input given as a range" in err


def test_help_defaults_are_simulates_and_the_command_imports_lightly() -> None:
    from flopsheet.cli import simulate as cli_simulate
    from flopsheet.workbooks.model import simulate

    assert (cli_simulate.DEFAULT_SAMPLES, cli_simulate.DEFAULT_SEED) == (simulate.DEFAULT_SAMPLES, simulate.DEFAULT_SEED)
    code = "import sys, flopsheet.cli.simulate; print(sorted({'openpyxl', 'pandas'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_simulate_from_an_edited_template_samples_its_typed_low_and_high(tmp_path: Path, capsys) -> None:
    from flopsheet.workbooks.xlsx.read_back import read_assumptions
    from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR
    from flopsheet.workbooks.model.spec import load_spec

    workbook = openpyxl.load_workbook(TEMPLATE_DIR / "table5_kimi_training.xlsx")
    edits = {"data": 37_580_963_840, "data_unit": "kB", "data_low": 37_580_963_840, "data_high": 37_580_963_840,
             "duration": 105, "duration_unit": "day", "duration_low": 90, "duration_high": 120,
             "utilization_low": 0.302, "utilization_high": 0.302}
    for name, value in edits.items():
        ((sheet, reference),) = workbook.defined_names[name].destinations
        workbook[sheet][reference.replace("$", "")].value = value
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)
    ranges = read_assumptions(edited, load_spec("table5_kimi_training")).ranges
    assert ranges == {"duration": "90.0..120.0 day"}
    target = tmp_path / "simulation.json"
    assert main(["simulate", "table5_kimi_training", "--from", str(edited), "-n", "20000", "--seed", "1",
                 "-o", str(target)]) == 0
    document = json.loads(target.read_text(encoding="utf-8"))
    cards = next(row for row in document["rows"] if row["name"] == "cards")
    at_105_days = evaluate("table5_kimi_training", data="37,580,963,840 kB", duration="105 days")
    expected = float(at_105_days.set_index("name").loc["cards", "value"])
    assert abs(cards["percentiles"]["p50"] / expected - 1) < 0.01
    (sampled,) = document["simulation"]["ranges"]
    assert (sampled["name"], sampled["low"], sampled["high"], sampled["unit"]) == ("duration", 90.0, 120.0, "day")
    assert cards["percentiles"]["p5"] < expected < cards["percentiles"]["p95"]
