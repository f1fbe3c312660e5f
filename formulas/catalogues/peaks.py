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
from decimal import Decimal
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from ...units import AssumptionWarning, InputRangeError, Q, UnitInputError, UnknownNameError, did_you_mean
from ...units.format import unit_text
from ...units.parse import MAX_CELL_TEXT, check_length, normalise_text
from .. import args
from .cards import PRECISIONS, card_names, card_peak, catalogue, find_card, key, on_catalogue_change

#: Largest allowed utilization: 100%.
MAX_UTILIZATION = 1.0
#: Relative tolerance when matching a bare peak number to a catalogue figure.
PEAK_MATCH_RTOL = 1e-6
#: A precision as written in a reference: letters then digits ("bf16", "tf32", "int8").
_PRECISION_SHAPE = re.compile(r"[A-Za-z]+[0-9]+")
#: The optional last word of a peak reference.
_SPARSITY = {"sparse": True, "dense": False}
#: What separates a utilization from the peak it was measured against ("30.2% @ A100 bf16").
_MEASURED_ON = re.compile(r"@|\bof\b|\bvs\b\.?")
#: How a number starts (after folding): such text is a quantity, not a catalogue reference.
_NUMBER_START = frozenset("0123456789+-.")


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


def _split_reference(text: str) -> tuple[str, str, bool] | None:
    """Split "A100 tf32 [sparse]" into (card, precision, sparse) by shape alone (linear)."""
    words = normalise_text(text).split()
    sparse = False
    if len(words) >= 3 and words[-1].lower() in _SPARSITY:
        sparse = _SPARSITY[words.pop().lower()]
    if len(words) < 2 or not _PRECISION_SHAPE.fullmatch(words[-1]) or words[0][0].isdigit():
        return None
    return " ".join(words[:-1]), words[-1], sparse


def parse_reference(text: str) -> tuple[str, str, bool] | None:
    """Split "A100 tf32 [sparse]" into (card, precision, sparse); None if not that shape."""
    if not isinstance(text, str) or len(text) > MAX_CELL_TEXT:
        return None
    split = _split_reference(text)
    if split is None or key(split[1]) not in PRECISIONS:
        return None
    return split[0], key(split[1]), split[2]


def looks_like_reference(text: str) -> bool:
    """True for text that names a catalogue peak rather than a number ("H100", not "156 TFLOPS")."""
    folded = normalise_text(text)
    return bool(folded) and folded[0] not in _NUMBER_START


def catalogue_peak(text: str, argument: str = "peak") -> Peak:
    """Look a reference "A100 tf32" ("H100 SXM bf16 sparse") up in the catalogue.

    Raises UnknownNameError listing the known cards when no card starts the text, and
    the card's precisions when the rest is not one of them.

    Examples
    --------
    >>> catalogue_peak("A100 fp7")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnknownNameError: peak: unknown precision "A100 fp7"; known: A100 fp64, A100 fp32, A100 tf32, A100 bf16, A100 fp16, A100 int8
    """
    check_length(text, argument)
    words = normalise_text(text).split()
    card_keys = _card_keys()
    length = next((n for n in range(len(words), 0, -1) if key(" ".join(words[:n])) in card_keys), 0)
    if length == 0:
        shape = _split_reference(text)
        given = shape[0] if shape else text.strip()
        raise UnknownNameError(argument, given, ", ".join(card_names()), "accelerator",
                               did_you_mean(given, card_names()))
    record = find_card(" ".join(words[:length]), argument)
    rest = words[length:]
    sparse = False
    if len(rest) > 1 and rest[-1].lower() in _SPARSITY:
        sparse = _SPARSITY[rest.pop().lower()]
    table = record.sparse if sparse else record.dense
    suffix = " sparse" if sparse else ""
    known = ", ".join(f"{record.name} {precision}{suffix}" for precision in table) or "none"
    if not rest:
        raise UnknownNameError(argument, text, known, "precision for")
    if len(rest) > 1 or key(rest[0]) not in table:
        raise UnknownNameError(argument, text, known, "sparse precision" if sparse else "precision")
    precision = key(rest[0])
    return Peak(table[precision], record.name, precision)


def as_peak(value: Any, argument: str = "peak") -> Peak:
    """Read a peak argument: catalogue reference, quantity, text or bare TFLOPS number.

    A rate without "/card" ("156 TFLOPS") is taken as per card. Text that does not
    start like a number is a catalogue reference (see :func:`catalogue_peak`).
    """
    value = args.plain_values(value, argument)
    if isinstance(value, Peak):
        _checked_rate(value.rate, argument, args.shown(value.rate))
        return value
    if isinstance(value, str):
        check_length(value, argument)
        if looks_like_reference(value):
            return catalogue_peak(value, argument)
    return Peak(_checked_rate(value, argument, value))


def _checked_rate(value: Any, argument: str, given: Any) -> pint.Quantity:
    """A peak rate per card from a quantity, number or text, checked finite and positive."""
    try:
        quantity = Q(value, args.PEAK.unit, argument=argument)
    except UnitInputError as error:
        raise args.reshaped(error, args.PEAK) from None
    if quantity.dimensionality == args.dimensionality_of("FLOPS"):
        quantity = quantity / Q(1, "card")
    if quantity.dimensionality != args.PEAK.dimensionality:
        raise UnitInputError(argument, args.shown(given), args.PEAK.expected)
    args.require_positive(quantity, argument, given)
    return quantity.to(args.PEAK.unit)


def _card_keys() -> set[str]:
    """Normalised names and aliases of every catalogue card."""
    return {key(name) for record in catalogue().values() for name in (record.name, *record.aliases)}


def as_utilization(value: Any, argument: str = "utilization") -> Utilization:
    """Read a utilization: 0.302, "30.2%", "30.2% @ A100 bf16", or a Utilization.

    Raises InputRangeError unless every value is in (0, 100%].
    """
    value = args.plain_values(value, argument)
    if isinstance(value, Utilization):
        checked = _check_fraction(Q(value.value), argument, value.value)
        return Utilization(checked, value.card, value.precision, value.source)
    card = precision = None
    if isinstance(value, str):
        check_length(value, argument)
        measured = _MEASURED_ON.search(value)
        if measured is not None and value[:measured.start()].strip():
            reference = value[measured.end():].strip()
            if not reference:
                raise UnknownNameError(argument, value, 'a card and precision like "A100 bf16"',
                                       "measurement reference in")
            peak = catalogue_peak(reference, argument)
            card, precision = peak.card, peak.precision
            value = value[:measured.start()].strip()
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
        raise InputRangeError(argument, percent_text(worst), "in (0, 100%]", _percent_hint(worst, given))
    return float(fraction) if fraction.ndim == 0 else fraction


#: A bare utilization from this to 100 was almost surely typed as a percentage ("40" for 40%).
BARE_PERCENT_FROM = 2


def _percent_hint(fraction: float, given: Any) -> str:
    """A bare number from 2 to 100 (no "%" typed) was almost surely meant as a percentage: say how to write it."""
    typed_percent = isinstance(given, str) and "%" in given
    if not typed_percent and BARE_PERCENT_FROM <= fraction <= 100:
        return f'a bare {fraction:g} is {percent_text(fraction)}: did you mean "{fraction:g}%" ({fraction / 100:g})?'
    return ""


def percent_text(fraction: float) -> str:
    """A fraction as a percentage with every digit it has ("100.00001%", not "100%").

    Examples
    --------
    >>> percent_text(1.0000001), percent_text(1.3), percent_text(0.302)
    ('100.00001%', '130%', '30.2%')
    """
    if not math.isfinite(fraction):
        return f"{fraction * 100}%"
    return f"{(Decimal(repr(fraction)) * 100).normalize():f}%"


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
