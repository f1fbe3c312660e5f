"""Plain report outputs: the JSON document, CSV and Markdown tables, number formatting.

User text is written inert (see :mod:`.safe_io`): no cell or line of ours starts a formula.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.spec import ModelSpec

if TYPE_CHECKING:
    import pandas as pd
from .formats import _number, format_value  # noqa: F401 - re-exported for the report modules
from .safe_io import inert_text


def report_dict(frame: pd.DataFrame, spec: ModelSpec) -> dict[str, Any]:
    """Return the stable JSON document of an evaluated model (README: "JSON format")."""
    inputs = frame[frame["kind"] == "input"]
    derived = frame[frame["kind"] == "derived"]
    return {
        "model": spec.name,
        "inputs": [{"name": row.name, "value": _number(row.value), "unit": row.unit} for row in inputs.itertuples()],
        "rows": [{"name": row.name, "label_en": row.label_en, "label_zh": row.label_zh, "value": _number(row.value),
                  "unit": row.unit, "printed": _number(row.printed), "difference": _number(row.difference)}
                 for row in derived.itertuples()],
        "warnings": list(frame.attrs.get("warnings", [])),
    }


def table_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for CSV/Markdown: every input and derived row with its comparison."""
    columns = ["name", "kind", "label_en", "label_zh", "value", "unit", "printed", "difference", "overridden"]
    return [{column: getattr(row, column) for column in columns} for row in frame.itertuples()]


def write_json(frame: pd.DataFrame, spec: ModelSpec, path: Path) -> None:
    path.write_text(json.dumps(report_dict(frame, spec), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_csv(frame: pd.DataFrame, spec: ModelSpec, path: Path) -> None:
    rows = table_rows(frame)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: inert_text(value) if isinstance(value, str) else _csv_value(value) for key, value in row.items()})
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _csv_value(value: Any) -> Any:
    """Numbers in full precision; NaN as an empty cell."""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return repr(float(value)) if isinstance(value, float) else value


def _markdown_cell(text: str) -> str:
    """User text for a Markdown table cell: inert, pipes escaped, one line."""
    return inert_text(text).replace("|", "\\|").replace("\n", " ")


def write_markdown(frame: pd.DataFrame, spec: ModelSpec, path: Path) -> None:
    lines = [f"# {spec.title_en} / {spec.title_zh}", "", f"Source: {spec.citation}", "",
             "| name | label | value | unit | printed | difference |", "| --- | --- | ---: | --- | ---: | ---: |"]
    for row in frame.itertuples():
        marker = " (set)" if row.overridden else ""
        text_cells = [_markdown_cell(cell) for cell in (row.name + marker, f"{row.label_en} / {row.label_zh}")]
        number_cells = [format_value(row.value), _markdown_cell(row.unit), format_value(row.printed),
                        format_value(row.difference)]
        lines.append("| " + " | ".join(text_cells + number_cells) + " |")
    warnings_list = frame.attrs.get("warnings", [])
    if warnings_list:
        lines += ["", "## Warnings", ""] + [f"- {_markdown_cell(text)}" for text in warnings_list]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


