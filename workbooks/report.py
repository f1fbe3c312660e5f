"""Headless reports: evaluate a model (with overrides) and write xlsx, CSV, Markdown or JSON.

The xlsx report (:mod:`.xlsx.report_workbook`) is the model's live template (compiled
with the overrides as its input values, so it stays editable and recalculates) plus a
``Summary`` sheet, an ``Audit`` sheet and a ``Sources`` sheet; the plain formats come
from :mod:`.outputs.plain`. Every write is atomic (see :mod:`.outputs.safe_io`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..units import InputError
from .model.evaluate import evaluate
from .model.spec import ModelSpec, load_spec
from .outputs.formats import FORMATS, format_value
from .outputs.plain import report_dict, write_csv, write_json, write_markdown
from .outputs.safe_io import atomic_write
from .xlsx.report_workbook import write_report_xlsx

__all__ = ["FORMATS", "atomic_write", "format_value", "output_format", "report", "report_dict"]



def output_format(path: str | Path, requested: str | None) -> str:
    """Return the format to write: the requested one, else the one the suffix names."""
    if requested is not None:
        if requested not in FORMATS:
            raise InputError("--format", requested, " or ".join(FORMATS))
        return requested
    suffix = Path(path).suffix.lower()
    for name, known_suffix in FORMATS.items():
        if suffix == known_suffix:
            return name
    raise InputError("-o", str(path), f"a file ending in {', '.join(FORMATS.values())} (or give --format)")


def report(model: str | ModelSpec, path: str | Path, fmt: str | None = None, **overrides: Any) -> Path:
    """Evaluate ``model`` with ``overrides`` and write a report file atomically.

    Parameters
    ----------
    model : str or ModelSpec
        A spec name (``flopsheet list``) or a loaded spec.
    path : str or Path
        Output file; its suffix picks the format unless ``fmt`` is given.
    fmt : {"xlsx", "csv", "md", "json"}, optional
    **overrides
        Input values by name, as quantities or text ("105 days", "2000亿").

    Returns
    -------
    Path
        The written file. Nothing is written when evaluation fails.
    """
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    chosen = output_format(path, fmt)
    frame = evaluate(spec, overrides)
    if chosen == "xlsx":
        return write_report_xlsx(frame, spec, Path(path), overrides)  # built in memory, saved once, atomically
    writers = {
        "json": lambda target: write_json(frame, spec, target),
        "csv": lambda target: write_csv(frame, spec, target),
        "md": lambda target: write_markdown(frame, spec, target),
    }
    return atomic_write(path, writers[chosen])
