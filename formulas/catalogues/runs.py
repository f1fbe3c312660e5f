"""Published training runs (``data/runs.toml``): calibration of 6ND and of utilization.

For each run :func:`published_runs` sets ``6 x active parameters x tokens`` against the
compute the authors state, and derives the utilization the published accelerator-hours
imply against the dense peak of the precision the run actually used
(:func:`implied_utilization`). :func:`run_utilization` gives each run's utilization
(the published MFU where stated, else the implied one) tied to its card and precision,
which is what :func:`flopsheet.mfu` returns for these runs.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pint

from ...units import Q, UnknownNameError
from .. import args
from .cards import card_peak, find_card, key, on_catalogue_change
from .shapes import data_records
from .peaks import Utilization, as_peak

RUNS_FILE = Path(__file__).with_name("data") / "runs.toml"
#: Training FLOP per active parameter per token (forward 2 + backward 4).
FLOP_PER_PARAM_TOKEN = 6
#: Accelerator generations for the calibration summary, oldest first.
GENERATIONS: dict[str, tuple[str, ...]] = {
    "V100 / TPU v3": ("V100", "TPU v3"),
    "A100 / TPU v4": ("A100", "A800", "TPU v4"),
    "H100 / H800": ("H100", "H800", "H20", "H200"),
}
CARD_HOURS = args.ArgKind("card_hour", "accelerator time in card-hours", "1e6 card_hour")


@dataclass(frozen=True)
class TrainingRun:
    """One published training run; optional numbers are None where the authors give none."""

    name: str
    params: float
    tokens: float
    card: str
    precision: str
    year: int
    source: str
    active_params: float | None = None
    compute: float | None = None
    cards: int | None = None
    card_hours: float | None = None
    mfu: float | None = None
    model: str | None = None
    aliases: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def active(self) -> float:
        """Parameters used per token (all of them for a dense model)."""
        return self.active_params if self.active_params is not None else self.params

    @property
    def flops_6nd(self) -> float:
        """6 x active parameters x tokens, in FLOP."""
        return FLOP_PER_PARAM_TOKEN * self.active * self.tokens

    @property
    def peak(self) -> pint.Quantity:
        """Dense peak per card at the precision the run used."""
        return card_peak(self.card, self.precision)

    @property
    def generation(self) -> str:
        """The accelerator generation ("A100 / TPU v4")."""
        return next(name for name, cards in GENERATIONS.items() if self.card in cards)

    @property
    def implied(self) -> float | None:
        """Utilization implied by 6ND and the published card-hours, or None without them."""
        if self.card_hours is None:
            return None
        return float(implied_utilization(self.flops_6nd, self.card_hours, self.peak).magnitude)

    def source_of(self, field_name: str) -> str:
        """Return the source of one field."""
        return self.sources.get(field_name, self.source)


@lru_cache(maxsize=1)
def runs() -> dict[str, TrainingRun]:
    """Load ``data/runs.toml`` once; return the runs by name, in file order."""
    loaded = {}
    for values in data_records(RUNS_FILE, "run"):
        values["card"] = find_card(values["card"]).name
        if "mfu" in values:
            values["mfu"] = float(Q(values["mfu"]).to("dimensionless").magnitude)
        run = TrainingRun(**values)
        loaded[run.name] = run
    return loaded


on_catalogue_change(runs.cache_clear)  # the runs name their cards through the catalogue


def find_run(name: str) -> TrainingRun | None:
    """The run called ``name`` (case, spaces and hyphens ignored), or None."""
    wanted = key(name) if isinstance(name, str) else None
    for run in runs().values():
        if wanted in {key(label) for label in (run.name, *run.aliases)}:
            return run
    return None


def run_names() -> list[str]:
    """Names of the published runs, in file order."""
    return list(runs())


def run_utilization(name: str) -> Utilization:
    """The utilization of a published run, tied to its card and precision.

    The authors' MFU where they state one, else the utilization their card-hours imply.

    Examples
    --------
    >>> run_utilization("Llama 3.1 405B")
    Utilization(value=0.41, card='H100', precision='bf16', source='Llama Team, The Llama 3 Herd of Models ...')
    >>> round(run_utilization("LLaMA 65B").value, 3)
    0.477
    """
    run = find_run(name)
    if run is None:
        raise UnknownNameError("utilization", name, ", ".join(run_names()), "training run")
    if run.mfu is not None:
        return Utilization(run.mfu, run.card, run.precision, run.source_of("mfu"))
    source = f"implied: 6 x {run.active:g} x {run.tokens:g} / ({run.card_hours:g} card-hours x {run.card} " \
             f"{run.precision} peak); {run.source_of('card_hours')}"
    return Utilization(run.implied, run.card, run.precision, source)


def implied_utilization(flops: Any, card_hours: Any, peak: Any) -> pint.Quantity:
    """Return the utilization that a training compute and its accelerator time imply.

    ``utilization = flops / (card_hours * peak)``; inverts
    :func:`flopsheet.train_card_hours`.

    Parameters
    ----------
    flops : quantity, number or text
        Training compute; bare numbers in FLOP (6 x active parameters x tokens).
    card_hours : quantity, number or text
        Accelerator time; bare numbers in card-hours ("30.84e6 card_hour").
    peak : quantity, number or text
        Dense peak per card of the precision used: "H100 bf16", "989.5 TFLOPS", or a
        bare number in TFLOPS per card.

    Returns
    -------
    pint.Quantity
        dimensionless (a fraction; more than 1 means the inputs disagree).

    Examples
    --------
    >>> round(implied_utilization(6 * 405e9 * 15.6e12, 30.84e6, "H100 bf16").m, 3)
    0.345
    """
    work = args.quantity_arg(flops, "flops", args.FLOP)
    time = args.quantity_arg(card_hours, "card_hours", CARD_HOURS)
    rate = as_peak(peak).rate
    return (work / (time * rate)).to("dimensionless")


def published_runs() -> Any:
    """Return the published runs as a DataFrame, with 6ND and implied utilization.

    Returns
    -------
    pandas.DataFrame
        One row per run (index: name): ``params``, ``active_params`` (parameters),
        ``tokens``, ``flops_6nd`` (6 x active x tokens, FLOP), ``compute_published``
        (FLOP, where stated), ``ratio_6nd`` (6ND / published), ``card``, ``precision``,
        ``generation``, ``peak_tflops`` (dense, per card), ``cards``, ``card_hours``,
        ``days`` (card_hours / cards / 24 where both are published), ``mfu_published``,
        ``utilization_implied`` and ``utilization`` (published where stated, else
        implied), all fractions; ``source``.

    Examples
    --------
    >>> table = published_runs()
    >>> float(table.loc["DeepSeek-V3", "utilization_implied"].round(3))
    0.173
    """
    import pandas as pd

    rows = []
    for run in runs().values():
        days = run.card_hours / run.cards / 24 if run.card_hours and run.cards else None
        rows.append({
            "name": run.name, "model": run.model, "params": run.params, "active_params": run.active,
            "tokens": run.tokens, "flops_6nd": run.flops_6nd, "compute_published": run.compute,
            "ratio_6nd": run.flops_6nd / run.compute if run.compute else None,
            "card": run.card, "precision": run.precision, "generation": run.generation,
            "peak_tflops": float(run.peak.to("TFLOPS/card").magnitude), "cards": run.cards,
            "card_hours": run.card_hours, "days": days, "mfu_published": run.mfu,
            "utilization_implied": run.implied, "utilization": run_utilization(run.name).value,
            "year": run.year, "source": run.source,
        })
    return pd.DataFrame(rows).set_index("name")


def utilization_by_generation() -> Any:
    """Return min, median and max utilization of the published runs per accelerator generation.

    Returns
    -------
    pandas.DataFrame
        Index: generation ("V100 / TPU v3", "A100 / TPU v4", "H100 / H800"); columns
        ``runs``, ``min``, ``median``, ``max`` (fractions of the dense peak of the
        precision each run used).

    Examples
    --------
    >>> int(utilization_by_generation().loc["H100 / H800", "runs"])
    6
    """
    import pandas as pd

    by_generation: dict[str, list[float]] = {name: [] for name in GENERATIONS}
    for run in runs().values():
        by_generation[run.generation].append(float(np.asarray(run_utilization(run.name).value)))
    rows = [{"generation": name, "runs": len(values), "min": min(values), "median": statistics.median(values),
             "max": max(values)} for name, values in by_generation.items() if values]
    return pd.DataFrame(rows).set_index("generation")
