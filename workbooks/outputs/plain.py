"""Plain report outputs: the JSON document, CSV and Markdown tables, number formatting.

User text is written inert (see :mod:`.safe_io`): no cell or line of ours starts a formula,
no label adds a line to a CSV or Markdown file (CSV is quoted per RFC 4180 with CR LF line
ends, line breaks inside text become spaces), and no control character (ANSI escape codes,
C1 controls, bidirectional overrides) reaches a terminal that shows the file: CSV and
Markdown show them as ``\\x1b``, JSON as ``\\u001b`` escapes (the same data when parsed).
The same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.spec import ModelSpec

if TYPE_CHECKING:
    import pandas as pd
from .formats import _number, format_value  # noqa: F401 - re-exported for the report modules
from .safe_io import inert_text, strict_json, visible_text

#: Characters JSON may carry raw but a terminal or a JavaScript reader should not get raw:
#: C1 controls, line and paragraph separators, bidirectional overrides (written as \\uXXXX).
_JSON_RAW_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: Characters with a meaning in a Markdown table cell, and their escapes.
_MARKDOWN_ESCAPES = {"\\": "\\\\", "|": "\\|", "<": "&lt;"}


def compared(row: Any) -> tuple[Any, Any]:
    """A row's printed and difference cells: its numbers, or its note ("n/a: inputs changed") in both."""
    note = getattr(row, "printed_note", "")
    return (note, note) if note else (row.printed, row.difference)


def report_dict(frame: pd.DataFrame, spec: ModelSpec) -> dict[str, Any]:
    """Return the stable JSON document of an evaluated model (docs/guides/command-line.md: "JSON format").

    A row whose inputs were changed has ``printed`` and ``difference`` null and
    ``printed_note`` "n/a: inputs changed" (``printed_note`` is null otherwise).
    """
    inputs = frame[frame["kind"] == "input"]
    derived = frame[frame["kind"] == "derived"]
    return {
        "model": spec.name,
        "inputs": [{"name": row.name, "value": _number(row.value), "unit": row.unit} for row in inputs.itertuples()],
        "rows": [{"name": row.name, "label_en": row.label_en, "label_zh": row.label_zh, "value": _number(row.value),
                  "unit": row.unit, **_json_comparison(row)} for row in derived.itertuples()],
        "warnings": list(frame.attrs.get("warnings", [])),
    }


def _json_comparison(row: Any) -> dict[str, Any]:
    note = getattr(row, "printed_note", "")
    if note:
        return {"printed": None, "difference": None, "printed_note": note}
    return {"printed": _number(row.printed), "difference": _number(row.difference), "printed_note": None}


def table_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for CSV/Markdown: every input and derived row with its comparison (or its note)."""
    columns = ["name", "kind", "label_en", "label_zh", "value", "unit", "printed", "difference", "overridden"]
    rows = []
    for row in frame.itertuples():
        cells = {column: getattr(row, column) for column in columns}
        cells["printed"], cells["difference"] = compared(row)
        rows.append(cells)
    return rows


def json_text(document: Any) -> str:
    """Serialise ``document`` as UTF-8 JSON text whose raw bytes carry no control character."""
    text = strict_json(document)
    return _JSON_RAW_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text) + "\n"


def write_json(frame: pd.DataFrame, spec: ModelSpec, path: Path) -> None:
    path.write_bytes(json_text(report_dict(frame, spec)).encode("utf-8"))


def write_csv(frame: pd.DataFrame, spec: ModelSpec, path: Path) -> None:
    rows = table_rows(frame)
    buffer = io.StringIO()
    # RFC 4180: CR LF ends a record, and a field holding CR, LF, a comma or a quote is quoted.
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: csv_text(value) if isinstance(value, str) else _csv_value(value)
                         for key, value in row.items()})
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def csv_text(text: str) -> str:
    """User text for a CSV field: one line, controls shown as escapes, inert."""
    return inert_text(visible_text(text))


def _csv_value(value: Any) -> Any:
    """Numbers in full precision; NaN as an empty cell."""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return repr(float(value)) if isinstance(value, float) else value


def markdown_text(text: str) -> str:
    """User text for Markdown: one line, controls shown, inert, ``\\``, ``|`` and ``<`` escaped."""
    return "".join(_MARKDOWN_ESCAPES.get(character, character) for character in inert_text(visible_text(text)))


def write_markdown(frame: pd.DataFrame, spec: ModelSpec, path: Path) -> None:
    title, source = markdown_text(f"{spec.title_en} / {spec.title_zh}"), markdown_text(str(spec.citation))
    lines = [f"# {title}", "", f"Source: {source}", "",
             "| name | label | value | unit | printed | difference |", "| --- | --- | ---: | --- | ---: | ---: |"]
    for row in frame.itertuples():
        marker = " (set)" if row.overridden else ""
        text_cells = [markdown_text(cell) for cell in (row.name + marker, f"{row.label_en} / {row.label_zh}")]
        printed, difference = (markdown_text(cell) if isinstance(cell, str) else format_value(cell)
                               for cell in compared(row))
        number_cells = [format_value(row.value), markdown_text(row.unit), printed, difference]
        lines.append("| " + " | ".join(text_cells + number_cells) + " |")
    warnings_list = frame.attrs.get("warnings", [])
    if warnings_list:
        lines += ["", "## Warnings", ""] + [f"- {markdown_text(text)}" for text in warnings_list]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


