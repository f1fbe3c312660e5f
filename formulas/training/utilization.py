"""The utilization (MFU) of published training runs, tied to the card and precision it was measured on.

Seed 001's Table 4 (``catalogues/data/mfu.toml``, as the report prints it) first, then
every run of ``catalogues/data/runs.toml``: what a training plan may borrow as its
utilization ("MT-NLG", "Llama 3.1 405B"). The reading of a typed utilization ("30.2%",
"30.2% @ A100 bf16") is :mod:`flopsheet.formulas.catalogues.peaks`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ...units import Q, UnknownNameError, did_you_mean
from ...units.parse import MAX_CELL_TEXT
from ..catalogues.cards import find_card, key, on_catalogue_change
from ..catalogues.peaks import Utilization
from ..catalogues import DATA_DIR, data_tables
from ..catalogues.runs import FLOP_PER_PARAM_TOKEN, find_run, run_names, run_utilization
from ...units import InputError, InputRangeError
from .. import args
from ..magnitudes import checked
from ..catalogues.peaks import as_peak
from ..catalogues.shapes import ModelShape, find_model, is_model_name
from ..rows import records_table
from .flops import forward_parts_per_token

MFU_FILE = DATA_DIR / "mfu.toml"


@lru_cache(maxsize=1)
def mfu_runs() -> dict[str, Utilization]:
    """Published MFU measurements (seed 001 Table 4), by model name."""
    runs = data_tables(MFU_FILE, "run")
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


#: What a published per-card FLOP rate counts: the hardware's FLOP (with recomputation; Megatron-LM,
#: BLOOM, OPT) or the model's (MFU's numerator; PaLM, Llama 3).
FLOP_COUNTS = ("hardware", "model")
#: Training FLOP per parameter per token with full recomputation (one more forward: 8ND).
RECOMPUTE_FLOP_PER_PARAM_TOKEN = 8
RATE = args.ArgKind("token/s/card", "tokens per second per card", "3000 token/s/card")
SECONDS = args.ArgKind("s", "seconds per iteration", "12.5 s")
TFLOPS_PER_CARD = args.ArgKind("TFLOPS/card", "a FLOP rate per card", "150 TFLOPS/card")
COUNT = args.ArgKind("dimensionless", "a whole number", "2048")


def _flop_per_token(model: Any, sequence: Any, recompute: str) -> tuple[float, float]:
    """(model FLOP, hardware FLOP) per trained token: from a shape with attention, or 6N / 8N."""
    shape = model if isinstance(model, ModelShape) else find_model(model, "model") if is_model_name(model) else None
    if shape is None:
        params = float(args.quantity_arg(model, "model", args.PARAMETERS).m)
        if not 0 < FLOP_PER_PARAM_TOKEN * params * RECOMPUTE_FLOP_PER_PARAM_TOKEN < float("inf"):
            raise InputRangeError("model", model, "a positive parameter count whose FLOP per token is finite")
        extra = {"none": 0, "selective": 0, "full": RECOMPUTE_FLOP_PER_PARAM_TOKEN - FLOP_PER_PARAM_TOKEN}[recompute]
        return FLOP_PER_PARAM_TOKEN * params, (FLOP_PER_PARAM_TOKEN + extra) * params
    if sequence is None:
        raise InputError("sequence", None, "a sequence length in tokens with a model shape (attention FLOP)")
    length = float(args.quantity_arg(sequence, "sequence", args.TOKENS).to("token").m)
    parts = forward_parts_per_token(shape, length)
    layers = sum(value for name, value in parts.items() if name != "embedding/head")
    model_flop = 3 * (layers + parts["embedding/head"])
    extra = {"none": 0.0, "selective": parts["attention"], "full": layers}[recompute]
    return float(model_flop), float(model_flop + extra)


@checked
def published_utilization(model: Any, peak: Any, tokens_per_second_per_card: Any = None,
                          seconds_per_iteration: Any = None, global_batch: Any = None, cards: Any = None,
                          tflops_per_card: Any = None, sequence: Any = None, recompute: str = "none",
                          counts: str = "hardware") -> Any:
    """Return the MFU and HFU a published throughput implies, in any of the forms papers print.

    Give one form: ``tokens_per_second_per_card``; ``seconds_per_iteration`` with
    ``global_batch`` (sequences), ``sequence`` and ``cards``; or ``tflops_per_card`` (the
    "TFLOP/s per GPU" of Megatron-LM, BLOOM and OPT, which count the hardware's FLOP,
    recomputation included: ``counts="hardware"``; Llama 3's count the model's:
    ``counts="model"``). MFU counts the model's FLOP (3 passes), HFU adds what
    ``recompute`` ran again. :func:`flopsheet.implied_utilization` keeps its
    FLOP-and-card-hours form.

    Parameters
    ----------
    model : ModelShape, str or parameter count
        A shape or catalogue name (attention counted; needs ``sequence``), or a parameter
        count (6N per token, 8N with full recomputation).
    peak : str or quantity
        The dense peak per card of the precision used ("A100 bf16", "312 TFLOPS").
    recompute : {"none", "selective", "full"}, default "none"
        What the run recomputed (its FLOP are in HFU, not in MFU).
    counts : {"hardware", "model"}, default "hardware"
        What a published ``tflops_per_card`` counts.

    Returns
    -------
    pandas.DataFrame
        One row: ``tokens_per_second_per_card``, ``model_tflops_per_card``,
        ``hardware_tflops_per_card``, ``mfu``, ``hfu``.

    Examples
    --------
    >>> bloom = published_utilization(176e9, "A100 bf16", tflops_per_card=156, recompute="full")
    >>> round(float(bloom["mfu"].iloc[0]), 3), round(float(bloom["hfu"].iloc[0]), 3)
    (0.375, 0.5)
    """
    if recompute not in ("none", "selective", "full"):
        raise InputError("recompute", recompute, '"none", "selective" or "full"')
    if counts not in FLOP_COUNTS:
        raise InputError("counts", counts, '"hardware" or "model"')
    forms = [name for name, value in (("tokens_per_second_per_card", tokens_per_second_per_card),
                                      ("seconds_per_iteration", seconds_per_iteration),
                                      ("tflops_per_card", tflops_per_card)) if value is not None]
    if len(forms) != 1:
        raise InputError("tokens_per_second_per_card", None, "exactly one of tokens_per_second_per_card, "
                         "seconds_per_iteration (with global_batch, sequence, cards) or tflops_per_card"
                         + (f" (given: {', '.join(forms)})" if forms else ""))
    model_flop, hardware_flop = _flop_per_token(model, sequence, recompute)
    rate = float(as_peak(peak).rate.to("FLOPS/card").m)
    if tokens_per_second_per_card is not None:
        tokens = float(args.quantity_arg(tokens_per_second_per_card, "tokens_per_second_per_card", RATE).m)
    elif seconds_per_iteration is not None:
        seconds = float(args.quantity_arg(seconds_per_iteration, "seconds_per_iteration", SECONDS).m)
        missing = [name for name, value in (("global_batch", global_batch), ("sequence", sequence), ("cards", cards))
                   if value is None]
        if missing:
            raise InputError(missing[0], None, "a value with seconds_per_iteration (global_batch sequences of "
                             "sequence tokens on cards cards)")
        batch = float(args.quantity_arg(global_batch, "global_batch", COUNT).m)
        length = float(args.quantity_arg(sequence, "sequence", args.TOKENS).to("token").m)
        count = float(args.quantity_arg(cards, "cards", args.CARDS).to("card").m)
        tokens = batch * length / (seconds * count)
    else:
        flops = float(args.quantity_arg(tflops_per_card, "tflops_per_card", TFLOPS_PER_CARD).to("FLOPS/card").m)
        tokens = flops / (hardware_flop if counts == "hardware" else model_flop)
    if not tokens > 0:
        raise InputRangeError(forms[0], tokens, "greater than 0")
    row = {"tokens_per_second_per_card": tokens, "model_tflops_per_card": tokens * model_flop / 1e12,
           "hardware_tflops_per_card": tokens * hardware_flop / 1e12, "mfu": tokens * model_flop / rate,
           "hfu": tokens * hardware_flop / rate}
    return records_table([{"form": "published", **row}], ["form", *row], index="form")
