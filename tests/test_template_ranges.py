"""Template Low/High follow their base (issue 22), recalculated in LibreOffice and in Gnumeric.

A user edits Table 5's template: the duration moved to 6 months (outside its 90-105 day
range), the duration's unit switched to days (the typed range stays 2.96..3.45, now read
as days), the text "40%" typed into the utilization cell. Each edited copy is
recalculated by both engines; the sheet must flag an input outside its range, a result's
low and high must bracket its value, and no cell may hold an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from flopsheet.workbooks.xlsx.recalc import convert, gnumeric_recalculate, ssconvert_path
from flopsheet.workbooks.xlsx.templates import RANGE_FLAG_CELL, RANGE_FLAG_TEXT, compile_workbook

from workbook_support import edited_copy, named_cell

TABLE5 = "table5_kimi_training"
#: Base case: 30 TB, 90-105 days (2.957-3.450 months), 30.2% (21.3-46.2%), 3 months -> 12,661 cards.
EDITS: dict[str, dict[str, Any]] = {
    "base": {},
    "six_months": {"duration": 6},                                   # above its range's 3.45 months
    "days_unit": {"duration": 105, "duration_unit": "day"},          # range 2.96..3.45 now read as days
    "text_percent": {"utilization": "40%"},                          # text, as LibreOffice keeps it
    "text_percent_six_months": {"utilization": "40%", "duration": 6},
}
#: Cards at each edit (30 TB, 156 TFLOPS): 12,846 cards at 90 days and 30.2% scaled by days and utilization.
CARDS_AT_90_DAYS = 12_846.0
MONTH_DAYS = 30.4375


def _expected_cards(edits: Mapping[str, Any]) -> float:
    days = edits.get("duration", 3) * (1 if edits.get("duration_unit") == "day" else MONTH_DAYS)
    utilization = 0.4 if "utilization" in edits else 0.302
    return CARDS_AT_90_DAYS * (90 / days) * (0.302 / utilization)


def _libreoffice(paths: list[Path], outdir: Path) -> list[Path]:
    return convert(paths, outdir)


def _gnumeric(paths: list[Path], outdir: Path) -> list[Path]:
    ssconvert_path()          # a missing Gnumeric fails, never skips (test.sh installs it)
    outdir.mkdir(parents=True, exist_ok=True)
    return [gnumeric_recalculate(path, outdir / path.name) for path in paths]


ENGINES: dict[str, Callable[[list[Path], Path], list[Path]]] = {"libreoffice": _libreoffice, "gnumeric": _gnumeric}


@pytest.fixture(scope="module", params=list(ENGINES))
def recalculated(request: pytest.FixtureRequest, soffice: str,
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, openpyxl.Workbook]:
    source = tmp_path_factory.mktemp("ranges")
    template = compile_workbook(TABLE5, source / "template.xlsx")
    paths = [edited_copy(template, edits, source / f"{label}.xlsx") for label, edits in EDITS.items()]
    converted = ENGINES[request.param](paths, tmp_path_factory.mktemp(f"ranges-{request.param}"))
    return {path.stem: openpyxl.load_workbook(path, data_only=True) for path in converted}


@pytest.mark.parametrize("label", list(EDITS))
def test_no_error_cells_and_the_value_follows_the_edit(recalculated: dict[str, openpyxl.Workbook], label: str) -> None:
    workbook = recalculated[label]
    errors = [(sheet.title, cell.coordinate, cell.value) for sheet in workbook for row in sheet.iter_rows()
              for cell in row if isinstance(cell.value, str) and cell.value.startswith("#")]
    assert errors == []
    assert float(named_cell(workbook, "cards").value) == pytest.approx(_expected_cards(EDITS[label]), rel=1e-3)


@pytest.mark.parametrize("label", list(EDITS))
def test_a_result_range_brackets_its_value(recalculated: dict[str, openpyxl.Workbook], label: str) -> None:
    workbook = recalculated[label]
    for name in ("tokens", "flops", "cards"):
        low, value, high = (float(named_cell(workbook, f"{name}{suffix}").value) for suffix in ("_low", "", "_high"))
        assert low <= value * (1 + 1e-12) and value <= high * (1 + 1e-12), (label, name, low, value, high)


@pytest.mark.parametrize(("label", "flagged"), [("base", ""), ("six_months", "duration"), ("days_unit", "duration"),
                                                ("text_percent", ""), ("text_percent_six_months", "duration")])
def test_a_base_outside_its_range_is_flagged(recalculated: dict[str, openpyxl.Workbook], label: str,
                                             flagged: str) -> None:
    flag = recalculated[label]["Model"][RANGE_FLAG_CELL].value or ""
    if flagged:
        assert flag.startswith(RANGE_FLAG_TEXT) and flagged in flag
    else:
        assert flag == ""


def test_six_months_low_no_longer_above_the_value(recalculated: dict[str, openpyxl.Workbook]) -> None:
    """The issue's case: 6 months gave 6,330 cards under a stale Low of 7,197."""
    workbook = recalculated["six_months"]
    cards, low = float(named_cell(workbook, "cards").value), float(named_cell(workbook, "cards_low").value)
    assert cards == pytest.approx(6330, rel=2e-3) and low <= cards


def test_days_unit_does_not_explode_the_low(recalculated: dict[str, openpyxl.Workbook]) -> None:
    """The issue's case: 2.96..3.45 re-read as days gave 219,069..694,442 cards; the flag says so and the
    value's own end (105 days) now bounds the result from below."""
    workbook = recalculated["days_unit"]
    cards, low = float(named_cell(workbook, "cards").value), float(named_cell(workbook, "cards_low").value)
    assert cards == pytest.approx(12_846 * 90 / 105, rel=1e-3) and low <= cards
