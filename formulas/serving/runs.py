"""Published serving throughputs (``data/serving_runs.toml``) against the planner's roofline.

:func:`implied_serving_efficiency` sets each published throughput per card against what
the serving planner's arithmetic (:mod:`flopsheet.formulas.serving.planner`, with the
catalogue's matmul and memory-bandwidth shares) gives for the same model, card, layout,
lengths and batch (or time per output token): the share of the roofline the run achieved.
:func:`run_share` gives one run's share, which ``serving_plans(measured=...)`` multiplies
into the planner's shares to plan with a measured figure instead of the roofline.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ...units import InputRangeError, UnknownNameError
from ..catalogues import DATA_DIR
from ..catalogues.cards import key

SERVING_RUNS_FILE = DATA_DIR / "serving_runs.toml"
PHASES = ("mixed", "decode", "prefill")


@dataclass(frozen=True)
class ServingRun:
    """One published serving result (see the file's header for the fields)."""

    name: str
    model: str
    card: str
    layout: str
    phase: str
    tokens_per_s_per_card: float
    prompt_tokens: float
    answer_tokens: float
    source: str
    source_date: str
    batch: float | None = None
    ms_per_token: float | None = None
    cache_hit_rate: float = 0.0
    note: str = ""


@lru_cache(maxsize=1)
def serving_runs() -> dict[str, ServingRun]:
    """Every serving run of the catalogue by name, checked (phase, batch or latency)."""
    document = tomllib.loads(SERVING_RUNS_FILE.read_text(encoding="utf-8"))
    runs = {}
    for raw in document["run"]:
        run = ServingRun(**raw)
        if run.phase not in PHASES:
            raise ValueError(f"serving_runs.toml {run.name}: phase must be one of {PHASES}")
        if run.phase != "prefill" and (run.batch is None) == (run.ms_per_token is None):
            raise ValueError(f"serving_runs.toml {run.name}: give batch or ms_per_token")
        runs[key(run.name)] = run
    return runs


def find_serving_run(name: str, argument: str = "measured") -> ServingRun:
    """The run of that name, or UnknownNameError listing the names."""
    found = serving_runs().get(key(str(name)))
    if found is None:
        raise UnknownNameError(argument, str(name), ", ".join(run.name for run in serving_runs().values()),
                               "serving run")
    return found


def roofline_tokens_per_s_per_card(run: ServingRun) -> float:
    """What the planner's arithmetic gives for the run's setting, per card (output or, for prefill, input tokens)."""
    from .planner import _card, _Load, _model, parse_layout, plan_arrays
    from .times import _widths, serving_card

    device = serving_card(run.card, "card")
    weight, cached = _widths(device.peak.precision, None, None)
    model = _model(run.model, None, weight, cached)
    card = _card(run.card, None, None)
    layout = parse_layout(run.layout, model, card)
    target = (run.ms_per_token or 1e9) / 1e3
    load = _Load(*(np.asarray(value, dtype=float) for value in
                   (1.0, run.prompt_tokens, run.answer_tokens, target, np.inf, run.cache_hit_rate)))
    if run.phase == "prefill":
        new = run.prompt_tokens * (1 - run.cache_hit_rate)
        flop = model.matmul_flop * new + model.attention_flop * new * (run.prompt_tokens + 1) / 2
        return float(run.prompt_tokens / (flop / (card.peak * card.matmul)))
    values = plan_arrays(model, card, [layout], load, 0.9, disaggregated=run.phase == "decode",
                         requests=run.batch)
    requests, ms = float(values["batch_per_replica"][0, 0]), float(values["ms_per_token"][0, 0])
    return requests / (ms / 1e3) / layout.cards


def implied_serving_efficiency(name: Any = None) -> Any:
    """Return each published serving run against the planner's roofline: the share it achieved.

    Parameters
    ----------
    name : optional
        One run's name; None: every run of ``serving_runs.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per run: run, model, card, layout, phase, published (tokens/s per card:
        output tokens, or input tokens for a prefill run), roofline (the planner's, with the
        catalogue shares), implied (published / roofline), source.

    Examples
    --------
    >>> frame = implied_serving_efficiency()
    >>> bool((frame["implied"] > 0).all()), len(frame) >= 8
    (True, True)
    """
    import pandas as pd

    runs = list(serving_runs().values()) if name is None else [find_serving_run(name, "name")]
    rows = []
    for run in runs:
        roofline = roofline_tokens_per_s_per_card(run)
        rows.append({"run": run.name, "model": run.model, "card": run.card, "layout": run.layout, "phase": run.phase,
                     "published": run.tokens_per_s_per_card, "roofline": roofline,
                     "implied": run.tokens_per_s_per_card / roofline, "source": run.source})
    frame = pd.DataFrame(rows)
    frame.attrs["units"] = {"published": "token/s/card", "roofline": "token/s/card", "implied": ""}
    return frame


def run_share(measured: Any) -> float:
    """The share of the roofline to plan with: a run's implied share (by name), or a share given as a number."""
    if isinstance(measured, str) and key(measured) in serving_runs():
        run = find_serving_run(measured)
        return run.tokens_per_s_per_card / roofline_tokens_per_s_per_card(run)
    if isinstance(measured, str):
        try:
            share = float(measured.rstrip("%")) / (100 if measured.strip().endswith("%") else 1)
        except ValueError:
            find_serving_run(measured)
            raise
    else:
        share = float(measured)
    if not 0 < share <= 1.5:
        raise InputRangeError("measured", f"{share:g}", "a serving run's name or a share of the roofline in (0, 1.5]")
    return share
