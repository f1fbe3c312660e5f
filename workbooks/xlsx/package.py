"""Save an openpyxl workbook byte-for-byte reproducibly, with cached formula values.

openpyxl writes formula cells with an empty ``<v/>`` and stamps the document and zip
entries with the current time. :func:`save_deterministic` saves to memory, then

- writes each formula's value (computed by the headless evaluator) into its ``<v>``,
  so viewers that do not calculate (previewers, pandas ``read_excel``) show numbers,
  while ``fullCalcOnLoad`` makes Excel recalculate everything on open;
- fixes ``dcterms:created``/``modified`` and every zip entry's date, so the same spec
  gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook

from ..model.expressions import number_text
from ..outputs.safe_io import atomic_write

#: The fixed document timestamp (the month of seed report 001).
FIXED_TIMESTAMP = "2024-04-01T00:00:00Z"
#: The fixed zip entry date (the earliest a zip can store).
FIXED_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_TIMESTAMP = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")
_EMPTY_VALUE = re.compile(r'(<c r="(?P<ref>[A-Z]+\d+)"[^>]*>)(<f>.*?</f>)<v\s*/>|'
                          r'(<c r="(?P<ref2>[A-Z]+\d+)"[^>]*>)(<f>.*?</f>)<v></v>', re.DOTALL)

#: Cached values by sheet archive path ("xl/worksheets/sheet1.xml") then cell ("C7").
CachedValues = Mapping[str, Mapping[str, float]]


def _fill_values(xml: str, values: Mapping[str, float]) -> str:
    """Put each formula cell's cached value into its empty ``<v>``."""

    def replace(match: re.Match[str]) -> str:
        opening, formula, ref = ((match.group(1), match.group(3), match.group("ref")) if match.group(1)
                                 else (match.group(4), match.group(6), match.group("ref2")))
        if ref not in values:
            return f"{opening}{formula}<v></v>"
        return f"{opening}{formula}<v>{number_text(values[ref])}</v>"

    return _EMPTY_VALUE.sub(replace, xml)


def sheet_paths(workbook: Workbook) -> dict[str, str]:
    """Archive path of each sheet's XML as openpyxl writes it, by sheet title."""
    return {sheet.title: f"xl/worksheets/sheet{index}.xml" for index, sheet in enumerate(workbook.worksheets, start=1)}


def deterministic_bytes(workbook: Workbook, cached: CachedValues) -> bytes:
    """The bytes of ``workbook`` as a reproducible .xlsx, with cached formula values.

    Parameters
    ----------
    workbook : openpyxl.Workbook
    cached : mapping of sheet title to {cell reference: value}
        Values of formula cells (numbers only).
    """
    workbook.calculation.fullCalcOnLoad = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    by_archive = {archive: cached.get(title, {}) for title, archive in sheet_paths(workbook).items()}
    output = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                data = _TIMESTAMP.sub(rf"\g<1>{FIXED_TIMESTAMP}\g<2>", data.decode("utf-8")).encode("utf-8")
            elif entry.filename in by_archive and by_archive[entry.filename]:
                data = _fill_values(data.decode("utf-8"), by_archive[entry.filename]).encode("utf-8")
            info = zipfile.ZipInfo(entry.filename, date_time=FIXED_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            target.writestr(info, data)
    return output.getvalue()


def save_deterministic(workbook: Workbook, path: Path, cached: CachedValues, *, argument: str = "-o") -> Path:
    """Save ``workbook`` to ``path`` once, atomically and reproducibly, with cached values.

    The parent folder is created; the file appears at ``path`` only when complete.
    """
    data = deterministic_bytes(workbook, cached)
    return atomic_write(path, lambda target: target.write_bytes(data), argument=argument, create_folder=True)
