"""Peaks and utilizations that remember which precision they belong to.

A utilization (MFU) is a ratio to *some* peak: the 30.2% of Megatron-Turing NLG (seed
001, Table 4) was measured against the A100's bf16 peak (312 TFLOPS). Multiplying it by
the tf32 peak (156 TFLOPS), as the report's Table 5 does, halves the assumed throughput
and doubles the cards. :func:`throughput` spots such pairs and emits an
:class:`AssumptionWarning` with the consistent answer.
"""

from __future__ import annotations

import math
import re
import tomllib
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pint

from ..units import AssumptionWarning, InputRangeError, Q, UnitInputError, UnknownNameError
from ..units.format import unit_text
from . import args
from .cards import PRECISIONS, card_peak, catalogue, find_card, key

MFU_FILE = Path(__file__).with_name("data") / "mfu.toml"
#: Largest allowed utilization: 100%.
MAX_UTILIZATION = 1.0
#: Relative tolerance when matching a bare peak number to a catalogue figure.
PEAK_MATCH_RTOL = 1e-6
_REFERENCE = re.compile(r"^\s*(?P<card>[^\d\s].*?)\s+(?P<precision>[A-Za-z]+\d+)(?:\s+(?P<sparsity>sparse|dense))?\s*$", re.IGNORECASE)
_MEASURED = re.compile(r"^(?P<value>[^@]+?)\s*(?:@|\bof\b|\bvs\.?\b)\s*(?P<reference>.+)$")


@dataclass(frozen=True)
class Peak:
    """A per-card peak rate, with the card and precision it came from when known."""

    rate: pint.Quantity
    card: str | None = None
    precision: str | None = None

    def label(self) -> str:
        """Describe the peak for messages ("A100 tf32 (156 TFLOPS/card)")."""
        rate = _format_rate(self.rate)
        return f"{self.card} {self.precision} ({rate})" if self.card else rate


@dataclass(frozen=True)
class Utilization:
    """A utilization fraction and, when known, the card and precision it was measured on.

    Examples
    --------
    >>> Utilization(0.302, card="A100", precision="bf16")
    Utilization(value=0.302, card='A100', precision='bf16', source=None)
    """

    value: float | np.ndarray
    card: str | None = None
    precision: str | None = None
    source: str | None = None


def _format_rate(rate: pint.Quantity) -> str:
    """Format a per-card rate compactly ("156 TFLOPS/card")."""
    return f"{np.asarray(rate.to('TFLOPS/card').magnitude).ravel()[0]:g} TFLOPS/card"


def parse_reference(text: str) -> tuple[str, str, bool] | None:
    """Split "A100 tf32 [sparse]" into (card, precision, sparse); None if not that shape."""
    match = _REFERENCE.match(text)
    if match is None or key(match.group("precision")) not in PRECISIONS:
        return None
    return match.group("card"), key(match.group("precision")), (match.group("sparsity") or "").lower() == "sparse"


def as_peak(value: Any, argument: str = "peak") -> Peak:
    """Read a peak argument: catalogue reference, quantity, text or bare TFLOPS number.

    A rate without "/card" ("156 TFLOPS") is taken as per card.
    """
    if isinstance(value, Peak):
        return value
    if isinstance(value, str):
        reference = parse_reference(value)
        if reference is not None:
            card_name, precision, sparse = reference
            record = find_card(card_name, argument)
            return Peak(card_peak(record.name, precision, sparse=sparse), record.name, precision)
        if value.strip() and key(value) in _card_keys():
            record = find_card(value, argument)
            raise UnknownNameError(argument, value, ", ".join(f"{record.name} {p}" for p in record.dense),
                                   "precision for")
    quantity = Q(value, args.PEAK.unit, argument=argument)
    if quantity.dimensionality == args.dimensionality_of("FLOPS"):
        quantity = quantity / Q(1, "card")
    if quantity.dimensionality != args.PEAK.dimensionality:
        raise UnitInputError(argument, args.shown(value), args.PEAK.expected)
    args.require_positive(quantity, argument, value)
    return Peak(quantity.to(args.PEAK.unit))


def _card_keys() -> set[str]:
    """Normalised names and aliases of every catalogue card."""
    return {key(name) for record in catalogue().values() for name in (record.name, *record.aliases)}


@lru_cache(maxsize=1)
def mfu_runs() -> dict[str, Utilization]:
    """Published MFU measurements (seed 001 Table 4), by model name."""
    with MFU_FILE.open("rb") as handle:
        runs = tomllib.load(handle)["run"]
    return {run["model"]: Utilization(float(Q(run["mfu"]).magnitude), find_card(run["card"]).name,
                                      key(run["precision"]), run["source"]) for run in runs}


def mfu(model: str) -> Utilization:
    """Return the MFU of a published training run, tied to its card and precision.

    Seed 001's Table 4 runs first (as the report prints them), then every run of
    ``data/runs.toml``: the authors' MFU where stated, else the utilization their
    published card-hours imply (see :func:`flopsheet.formulas.runs.run_utilization`).

    Examples
    --------
    >>> mfu("Megatron-Turing NLG")
    Utilization(value=0.302, card='A100', precision='bf16', source='Chowdhery et al., PaLM (arXiv:2204.02311, 2022), Table 3, p. 9; measured against the A100 bf16 peak (312 TFLOPS), Smith et al., arXiv:2201.11990')
    >>> mfu("Llama 3.1 405B").value
    0.41
    """
    from .runs import find_run, run_names, run_utilization

    table4 = mfu_runs()
    for name, run in table4.items():
        if key(name) == key(model):
            return run
    if find_run(model) is not None:
        return run_utilization(model)
    known = ", ".join([*table4, *run_names()])
    raise UnknownNameError("utilization", model, known, "MFU run")


def as_utilization(value: Any, argument: str = "utilization") -> Utilization:
    """Read a utilization: 0.302, "30.2%", "30.2% @ A100 bf16", or a Utilization.

    Raises InputRangeError unless every value is in (0, 100%].
    """
    if isinstance(value, Utilization):
        checked = _check_fraction(Q(value.value), argument, value.value)
        return Utilization(checked, value.card, value.precision, value.source)
    card = precision = None
    if isinstance(value, str):
        measured = _MEASURED.match(value.strip())
        if measured is not None:
            reference = parse_reference(measured.group("reference"))
            if reference is None:
                raise UnknownNameError(argument, measured.group("reference"), "a card and precision like \"A100 bf16\"", "measurement reference")
            card, precision = find_card(reference[0]).name, reference[1]
            value = measured.group("value")
    quantity = Q(value, "dimensionless", argument=argument)
    return Utilization(_check_fraction(quantity, argument, value), card, precision)


def _check_fraction(quantity: pint.Quantity, argument: str, given: Any) -> Any:
    """Return the fraction's magnitude after checking dimension and the (0, 100%] range."""
    if not quantity.dimensionless:
        args.quantity_arg(given, argument, args.UTILIZATION)
    fraction = np.asarray(quantity.to("dimensionless").magnitude, dtype=float)
    bad = (fraction <= 0) | (fraction > MAX_UTILIZATION)
    if np.any(bad):
        worst = float(fraction.ravel()[np.argmax(bad.ravel())])
        raise InputRangeError(argument, f"{worst * 100:g}%", "in (0, 100%]")
    return float(fraction) if fraction.ndim == 0 else fraction


def throughput(peak: Any, utilization: Any) -> tuple[pint.Quantity, float | None, str]:
    """Return (effective rate per card, consistency factor or None, warning text).

    The factor is what a result proportional to 1/rate must be multiplied by to use the
    peak of the precision the utilization was measured against; the caller words the
    warning with its own result (see :func:`warn_inconsistent`).
    """
    peak_info = as_peak(peak)
    used = as_utilization(utilization)
    rate = peak_info.rate * used.value
    if used.precision is None:
        return rate, None, ""
    peak_precision = peak_info.precision or _matching_precision(peak_info.rate, used.card)
    if peak_precision is None or peak_precision == used.precision:
        return rate, None, ""
    measured_card = peak_info.card or used.card
    try:
        consistent_peak = card_peak(measured_card, used.precision)
    except UnknownNameError:
        return rate, None, ""
    ratio = float(np.asarray((peak_info.rate / consistent_peak).to("dimensionless").magnitude).ravel()[0])
    used_text = f"{np.asarray(used.value).ravel()[0] * 100:g}%"
    message = (f"utilization {used_text} was measured against {used.card} {used.precision} "
               f"but the peak is {measured_card} {peak_precision} ({_format_rate(peak_info.rate)}); "
               f"with the consistent peak ({measured_card} {used.precision}, {_format_rate(consistent_peak)})")
    return rate, ratio, message


def _matching_precision(rate: pint.Quantity, card: str | None) -> str | None:
    """Find which precision of ``card`` a bare peak number equals, if any."""
    if card is None:
        return None
    magnitude = np.asarray(rate.to("TFLOPS/card").magnitude).ravel()[0]
    for precision, figure in find_card(card).dense.items():
        if math.isclose(magnitude, figure.to("TFLOPS/card").magnitude, rel_tol=PEAK_MATCH_RTOL):
            return precision
    return None


def warn_inconsistent(result: pint.Quantity, factor: float | None, message: str, name: str) -> None:
    """Emit the AssumptionWarning for ``result`` (proportional to 1/rate) when needed."""
    if factor is None:
        return
    consistent = result * factor
    first = np.asarray(result.magnitude).ravel()[0]
    fixed = np.asarray(consistent.magnitude).ravel()[0]
    unit = unit_text(result)
    warnings.warn(f"{message} {name} is {fixed:,.6g} {unit} instead of {first:,.6g} {unit} (x{factor:g})",
                  AssumptionWarning, stacklevel=3)
