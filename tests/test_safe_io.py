"""Atomic writes and inert user text."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from flopsheet.units import OutputError
from flopsheet.workbooks.outputs.safe_io import atomic_write, inert_text, set_text_cell
from flopsheet.workbooks.outputs.text_table import display_width, render_table


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"old report")

    def failing_writer(temporary: Path) -> None:
        temporary.write_bytes(b"half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_write(target, failing_writer)
    assert target.read_bytes() == b"old report"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.xlsx"]


def test_successful_write_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write(target, lambda temporary: temporary.write_text("new"))
    assert target.read_text() == "new"
    assert [path.name for path in tmp_path.iterdir()] == ["out.txt"]


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match='the folder ".*nope" does not exist'):
        atomic_write(tmp_path / "nope" / "x.csv", lambda temporary: temporary.write_text("x"))


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_formula_like_text_stays_inert(tmp_path: Path, text: str) -> None:
    assert inert_text(text) == "'" + text
    workbook = openpyxl.Workbook()
    set_text_cell(workbook.active["A1"], text)
    path = tmp_path / "inert.xlsx"
    workbook.save(path)
    cell = openpyxl.load_workbook(path).active["A1"]
    assert cell.data_type == "s" and cell.value == text


def test_plain_text_unchanged() -> None:
    assert inert_text("Kimi 训练") == "Kimi 训练"


def test_tables_align_wide_characters() -> None:
    assert display_width("汉字ab") == 6
    table = render_table(("a", "b"), [("汉字", "1"), ("x", "22")], align="<>")
    lines = table.splitlines()
    assert [display_width(line) for line in lines[2:]] == [display_width(lines[2])] * 2
