"""Issue 7: the audit finds the assumption behind every printed number."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

import flopsheet
from flopsheet.cli import main
from flopsheet.workbooks.model.audit import audit, relative_precision, significant_digits
from flopsheet.workbooks.model.spec import spec_names


def _by_row(model: str) -> dict[str, list]:
    findings: dict[str, list] = {}
    for finding in audit(model):
        findings.setdefault(finding.row, []).append(finding)
    return findings


def test_table5_printed_letters_imply_37_58_tb() -> None:
    (chars,) = _by_row("table5_kimi_training")["chars"]
    assert chars.printed == pytest.approx(1.88e13) and chars.recomputed == pytest.approx(1.5e13)
    assert chars.implied.input == "data" and chars.implied.unit == "TB"
    assert chars.implied.value == pytest.approx(37.58, abs=0.01)
    assert "not the stated 30 TB" in chars.message


def test_table5_printed_tokens_imply_the_kb_figure_read_as_kilobytes() -> None:
    (tokens,) = _by_row("table5_kimi_training")["tokens"]
    assert tokens.implied.value == pytest.approx(37.58096384, rel=1e-9)
    (data,) = _by_row("table5_kimi_training")["data"]
    assert data.printed == pytest.approx(37.58096384) and data.recomputed == 30


def test_table5_printed_cards_imply_105_days() -> None:
    duration, precision = _by_row("table5_kimi_training")["cards"]
    assert duration.implied.input == "duration" and duration.implied.unit == "month"
    assert flopsheet.Q(duration.implied.value, "month").to("day").magnitude == pytest.approx(105, abs=0.5)
    assert duration.recomputed == pytest.approx(15860, abs=1)  # from the printed FLOP at 3 pint months
    assert "105.0 days" in duration.message


def test_table5_utilization_precision_mismatch_with_the_consistent_peak() -> None:
    _, precision = _by_row("table5_kimi_training")["cards"]
    assert "measured against A100 bf16" in precision.message and "(x0.5)" in precision.message
    assert (precision.implied.input, precision.implied.value, precision.implied.unit) == ("peak", 312.0, "TFLOPS/card")


def test_table5_rows_that_follow_are_not_findings() -> None:
    rows = _by_row("table5_kimi_training")
    assert "words" not in rows and "flops" not in rows  # words from the rounded 1.88E+13 are within its precision
    assert "params" not in rows and "duration" not in rows


def test_table6_printed_flop_per_call_implies_2000_tokens() -> None:
    rows = _by_row("table6_kimi_inference")
    (per_call,) = rows["flops_per_call"]
    assert per_call.implied.input == "tokens_per_call"
    assert per_call.implied.value == pytest.approx(2000, abs=1)
    assert set(rows) == {"flops_per_call"}  # daily FLOP and 1481 cards follow from 8.0e14


@pytest.mark.parametrize(("printed", "digits"), [("1.88E+13", 3), ("13,793", 5), ("8.0e14", 2), ("300万", 3),
                                                 ("30.2%", 3), (1481, 4), (0.75, 2), (2.0, 1), ("5.90E+24", 3)])
def test_significant_digits(printed, digits: int) -> None:
    assert significant_digits(printed) == digits


def test_relative_precision_is_half_the_last_digit() -> None:
    assert relative_precision("1.88E+13", 1.88e13) == pytest.approx(0.005 / 1.88)
    assert relative_precision("13,793", 13793) == pytest.approx(0.5 / 13793)


def test_every_model_audits() -> None:
    checked = 0
    for name in spec_names():
        for finding in audit(name):
            assert finding.model == name and finding.message
            checked += 1
    assert checked >= 5, "the audit found nothing at all: the loop above asserted nothing"


def test_audit_cli_table_and_json(tmp_path: Path, capsys) -> None:
    assert main(["audit", "table5_kimi_training"]) == 0
    out = capsys.readouterr().out
    assert "data = 37.58 TB" in out and "duration = 3.45 month" in out
    target = tmp_path / "audit.json"
    assert main(["audit", "all", "--format", "json", "-o", str(target)]) == 0
    document = json.loads(target.read_text(encoding="utf-8"))
    assert all({"model", "row", "printed", "recomputed", "difference", "implied"} <= set(item) for item in document)
    implied = [item["implied"] for item in document if item["row"] == "flops_per_call"][0]
    assert set(implied) == {"input", "value", "unit"} and implied["value"] == 2000
    assert main(["audit", "no_such_model"]) == 2


def test_python_api_and_report_sheet(tmp_path: Path) -> None:
    assert [finding.row for finding in flopsheet.audit("table6_kimi_inference")] == ["flops_per_call"]
    workbook = openpyxl.load_workbook(flopsheet.report("table5_kimi_training", tmp_path / "t5.xlsx"))
    sheet = workbook["Audit"]
    rows = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert rows == ["data", "chars", "tokens", "cards", "cards"]
