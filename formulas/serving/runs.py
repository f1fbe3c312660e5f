"""Published serving throughputs (``data/serving_runs.toml``) against the planner's roofline.

:func:`implied_serving_efficiency` sets each published throughput per card against what
the serving planner's arithmetic (:mod:`flopsheet.formulas.serving.planner`, with the
catalogue's matmul and memory-bandwidth shares) gives for the same model, card, layout,
lengths and batch (or time per output token): the share of the roofline the run achieved.
:func:`run_share` gives one run's share, which ``serving_plans(measured=...)`` multiplies
into the planner's shares to plan with a measured figure instead of the roofline.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ...units import UnknownNameError
from ..catalogues import DATA_DIR, data_tables
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
    runs = {}
    for raw in data_tables(SERVING_RUNS_FILE, "run"):
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
