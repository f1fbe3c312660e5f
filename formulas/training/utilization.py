"""The utilization (MFU) of published training runs, tied to the card and precision it was measured on.

Seed 001's Table 4 (``catalogues/data/mfu.toml``, as the report prints it) first, then
every run of ``catalogues/data/runs.toml``: what a training plan may borrow as its
utilization ("MT-NLG", "Llama 3.1 405B"). The reading of a typed utilization ("30.2%",
"30.2% @ A100 bf16") is :mod:`flopsheet.formulas.catalogues.peaks`.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache

from ...units import Q, UnknownNameError, did_you_mean
from ...units.parse import MAX_CELL_TEXT
from ..catalogues.cards import find_card, key, on_catalogue_change
from ..catalogues.peaks import Utilization
from ..catalogues import DATA_DIR
from ..catalogues.runs import find_run, run_names, run_utilization

MFU_FILE = DATA_DIR / "mfu.toml"


@lru_cache(maxsize=1)
def mfu_runs() -> dict[str, Utilization]:
    """Published MFU measurements (seed 001 Table 4), by model name."""
    with MFU_FILE.open("rb") as handle:
        runs = tomllib.load(handle)["run"]
    return {run["model"]: Utilization(float(Q(run["mfu"]).magnitude), find_card(run["card"]).name,
                                      key(run["precision"]), run["source"]) for run in runs}


on_catalogue_change(mfu_runs.cache_clear)  # the runs name their cards through the catalogue


def mfu(model: str) -> Utilization:
    """Return the MFU of a published training run, tied to its card and precision.

    Seed 001's Table 4 runs first (as the report prints them), then every run of
    ``data/runs.toml``: the authors' MFU where stated, else the utilization their
    published card-hours imply (see :func:`flopsheet.formulas.catalogues.runs.run_utilization`).

    Examples
    --------
    >>> mfu("Megatron-Turing NLG")
    Utilization(value=0.302, card='A100', precision='bf16', source='Chowdhery et al., PaLM (arXiv:2204.02311, 2022), Table 3, p. 9; measured against the A100 bf16 peak (312 TFLOPS), Smith et al., arXiv:2201.11990')
    >>> mfu("Llama 3.1 405B").value
    0.41
    """
    table4 = mfu_runs()
    if isinstance(model, str) and len(model) <= MAX_CELL_TEXT:
        for name, run in table4.items():
            if key(name) == key(model):
                return run
        if find_run(model) is not None:
            return run_utilization(model)
    known = ", ".join([*table4, *run_names()])
    raise UnknownNameError("utilization", model, known, "MFU run", did_you_mean(model, [*table4, *run_names()]))
