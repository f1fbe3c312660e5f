"""Reading and editing a workbook's named cells (shared by the LibreOffice, Gnumeric and report tests)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl


def named_cell(workbook: openpyxl.Workbook, name: str) -> Any:
    """The one cell a defined name points at."""
    (sheet, reference), = workbook.defined_names[name].destinations
    return workbook[sheet][reference.replace("$", "")]


def edited_copy(template: Path, edits: Mapping[str, Any], target: Path) -> Path:
    """Save a copy of ``template`` at ``target`` with the named cells of ``edits`` set; return ``target``."""
    workbook = openpyxl.load_workbook(template)
    for name, value in edits.items():
        named_cell(workbook, name).value = value
    workbook.save(target)
    return target
