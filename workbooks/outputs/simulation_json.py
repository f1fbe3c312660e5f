"""The Monte Carlo JSON document: the report's JSON with ``percentiles`` on every row.

The document is :func:`.plain.report_dict` of the model at its base inputs (the same
keys, so readers of the report JSON read this too), with two additions:

- every entry of ``rows`` gains ``"percentiles": {"p5", "p50", "p95", "mean"}`` in that
  row's ``unit``;
- a top-level ``"simulation"``: ``n``, ``seed``, ``target``, ``target_unit``,
  ``ranges`` (one object per ranged input: ``name``, ``distribution`` as typed,
  ``kind``, ``low``, ``high``, ``unit``) and ``tornado`` (one object per ranged input,
  largest swing first: ``input``, ``low``, ``high``, ``unit``, ``target_at_low``,
  ``target_at_high``, ``swing``, in ``target_unit``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model.simulate import Simulation
from .plain import _number, json_text, report_dict


def simulation_dict(simulation: Simulation) -> dict[str, Any]:
    """Return the JSON document of a simulation (see the module docstring)."""
    document = report_dict(simulation.base, simulation.model_spec)
    for row in document["rows"]:
        summary = simulation.percentiles.loc[row["name"]]
        row["percentiles"] = {key: _number(summary[key]) for key in (*simulation.quantiles, "mean")}
    units = simulation.tornado.set_index("input")["unit"]
    document["simulation"] = {
        "n": simulation.n,
        "seed": simulation.seed,
        "target": simulation.target,
        "target_unit": simulation.target_unit,
        "ranges": [{"name": name, "distribution": distribution.text, "kind": distribution.kind,
                    "low": _number(distribution.low), "high": _number(distribution.high), "unit": str(units[name])}
                   for name, distribution in simulation.ranges.items()],
        "tornado": [{"input": record.input, "low": _number(record.low), "high": _number(record.high),
                     "unit": record.unit, "target_at_low": _number(record.target_at_low),
                     "target_at_high": _number(record.target_at_high), "swing": _number(record.swing)}
                    for record in simulation.tornado.itertuples()],
    }
    return document


def write_simulation_json(simulation: Simulation, path: Path) -> None:
    """Write :func:`simulation_dict` as UTF-8 JSON (control characters escaped, as the report JSON)."""
    path.write_bytes(json_text(simulation_dict(simulation)).encode("utf-8"))
