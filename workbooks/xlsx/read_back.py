"""Read the assumptions back from a template a user edited (``report --from``).

The workbook is untrusted input: it is opened with openpyxl (no macros, no external
links, formulas never evaluated by us), capped in size, and only the cells behind the
input defined names (``<name>`` and ``<name>_unit``) are read. Each value is checked
by the same parser and dimension rules as ``--set``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import openpyxl
import pint
from openpyxl.workbook.workbook import Workbook

from ...units import InputError
from ..model.spec import ModelSpec

#: Largest workbook we open (bytes): templates are ~30 kB; this blocks zip bombs and mistakes.
MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
#: Relative tolerance under which an edited value still counts as the default.
SAME_VALUE_RTOL = 1e-12
#: Cells whose first character would make a spreadsheet compute them.
_FORMULA_START = "="


def _cell_value(workbook: Workbook, name: str, source: Path) -> Any:
    """Return the value of the single cell a defined name points to (None if absent)."""
    defined = workbook.defined_names.get(name)
    if defined is None:
        return None
    destinations = list(defined.destinations)
    if len(destinations) != 1:
        raise InputError(f"--from {source.name}", name, "a defined name that points to one cell")
    sheet_name, reference = destinations[0]
    if sheet_name not in workbook.sheetnames:
        raise InputError(f"--from {source.name}", name, f"a defined name on an existing sheet, not {sheet_name!r}")
    cell = workbook[sheet_name][reference.replace("$", "").split(":")[0]]
    return cell.value


def _same(edited: Any, default: Any) -> bool:
    """True when an edited quantity equals the default (in any unit) to 1e-12."""
    try:
        return math.isclose(edited.to(default.units).magnitude, default.magnitude, rel_tol=SAME_VALUE_RTOL)
    except pint.DimensionalityError:
        return False


def read_assumptions(path: str | Path, spec: ModelSpec) -> dict[str, str]:
    """Return the inputs of ``spec`` as typed in the edited workbook at ``path``.

    Parameters
    ----------
    path : str or Path
        An xlsx made by ``flopsheet build`` (or a report) and edited by a user.
    spec : ModelSpec
        The model whose inputs to read.

    Returns
    -------
    dict of str to str
        ``{input name: "value unit"}`` for the inputs that differ from the spec's
        defaults, ready to pass as overrides.

    Raises
    ------
    InputError
        Not an xlsx, too large, not a template of this model, or a cell without a value.
    """
    source = Path(path)
    option = f"--from {source.name}"
    if not source.is_file():
        raise InputError("--from", str(source), "an existing .xlsx file")
    if source.stat().st_size > MAX_WORKBOOK_BYTES:
        raise InputError("--from", str(source), f"a workbook under {MAX_WORKBOOK_BYTES // 2**20} MiB")
    try:
        workbook = openpyxl.load_workbook(source, data_only=True, keep_vba=False, keep_links=False)
    except Exception as error:  # openpyxl raises many types for a non-xlsx file
        raise InputError("--from", str(source), "an .xlsx workbook", f"{type(error).__name__}: {error}") from None
    values: dict[str, str] = {}
    missing = []
    for item in spec.inputs:
        value = _cell_value(workbook, item.name, source)
        unit = _cell_value(workbook, f"{item.name}_unit", source)
        if item.name not in workbook.defined_names:
            missing.append(item.name)
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InputError(option, item.name, "a value in the input cell",
                             "the cell is empty, or holds a formula that was never calculated (save it in Excel or LibreOffice)")
        text = repr(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value).strip()
        if text.startswith(_FORMULA_START):
            raise InputError(option, item.name, "a value, not formula text")
        typed = f"{text} {unit}".strip() if isinstance(unit, str) and unit.strip() else text
        if not _same(item.read(typed).quantity, item.read().quantity):
            values[item.name] = typed
    if missing:
        raise InputError("--from", source.name, f"a {spec.name} template (defined names {', '.join(missing)} are missing)")
    return values
