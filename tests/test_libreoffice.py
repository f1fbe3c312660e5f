"""LibreOffice, the real spreadsheet engine, recalculates what openpyxl writes."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.workbook.defined_name import DefinedName

from flopsheet.workbooks.xlsx.recalc import convert


def test_soffice_recalculates_openpyxl_formulas_and_keeps_defined_names(soffice: str, tmp_path: Path) -> None:
    source = tmp_path / "in" / "probe.xlsx"
    source.parent.mkdir()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Model"
    sheet["A1"] = 5.895053151373e24
    sheet["A2"] = "=A1/(156E12*0.302*105*86400)"
    sheet["A3"] = "=NOSUCHFUNCTION(1)"
    workbook.defined_names["cards"] = DefinedName("cards", attr_text="Model!$A$2")
    workbook.save(source)
    (converted,) = convert([source], tmp_path / "out")
    values = openpyxl.load_workbook(converted, data_only=True)
    assert round(values["Model"]["A2"].value) == 13793
    assert values["Model"]["A3"].value == "#NAME?"
    assert "cards" in values.defined_names
