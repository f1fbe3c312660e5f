"""``flopsheet summary``: every spec's ``[[case]]`` what-ifs and its audit, as text.

Nothing here restates a number: each case is the spec evaluated with the case's inputs
(:func:`flopsheet.evaluate`), and the audit lines are :func:`flopsheet.audit`'s findings.
Seed 001's Tables 5 and 6 carry the cases that show where their printed figures come from.
"""

from __future__ import annotations

from ..model.audit import audit
from ..model.evaluate import evaluate
from ..model.spec import Case, ModelSpec, load_spec, spec_names
from ...units import format_eng
from .text_table import render_table


def case_value(spec: ModelSpec, case: Case) -> str:
    """The case's row evaluated with the case's inputs, as text with its unit(s)."""
    frame = evaluate(spec, case.overrides).set_index("name")
    quantity = frame.loc[case.row, "quantity"]
    units = case.units or (str(frame.loc[case.row, "unit"]),)
    shown = []
    for unit in units:
        value = quantity.to(unit) if unit else quantity
        shown.append(f"{value.magnitude:{case.format}} {unit}".strip() if case.format else format_eng(value))
    return " = ".join(shown)


def spec_summary(spec: ModelSpec) -> str:
    """One spec's cases as a table under its title, then its audit findings."""
    rows = [(case.label, case_value(spec, case), case.printed) for case in spec.cases]
    table = render_table(("", "flopsheet", "printed"), rows, align="<><")
    findings = "\n".join(f"- {finding.message}" for finding in audit(spec))
    return f"{spec.title_en} / {spec.title_zh} ({spec.citation})\n{table}\n\nAudit:\n{findings or '- none'}"


def summary_text() -> str:
    """Every spec that has cases, summarised (seed 001 Tables 5 and 6)."""
    specs = [spec for spec in map(load_spec, spec_names()) if spec.cases]
    return "\n\n".join(spec_summary(spec) for spec in specs)
