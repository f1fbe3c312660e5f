"""Achievable shares of datasheet peaks (``data/efficiencies.toml``), per card where measured.

The planners multiply every peak (matmul FLOP/s, HBM bandwidth, link bandwidth) by the share
a published measurement achieved; these shares are data with a source, never constants in
code. :func:`efficiency` returns the most specific record for a kind, card, precision and
link: card and precision, then card, then precision, then the kind's default.

Examples
--------
>>> record = efficiency("matmul", "H100 bf16")
>>> record.value, record.card, record.precision
(0.803, 'H100', 'bf16')
>>> efficiency("matmul", "L40S", "bf16").card is None      # no measurement: the default
True
>>> efficiency("allreduce_busbw", link="scale_up").value
0.82
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pint

from ...units import Q, UnknownNameError
from . import data_tables
from .cards import PRECISIONS, find_card
from .peaks import parse_reference

EFFICIENCY_FILE = Path(__file__).with_name("data") / "efficiencies.toml"
#: The kinds of share the catalogue holds (see the file's header).
KINDS: tuple[str, ...] = ("matmul", "memory_bandwidth", "allreduce_busbw", "allreduce_latency", "alltoall_busbw",
                          "dp_overlap", "fabric_tier_busbw", "goodput")
#: Kinds whose share may be 0 (nothing overlapped).
_ZERO_ALLOWED = ("dp_overlap",)
#: The links a collective record may name.
LINKS: tuple[str, ...] = ("scale_up", "scale_out")


@dataclass(frozen=True)
class Efficiency:
    """One record: a share (a float in (0, 1], or a quantity for latencies) with its bounds and source."""

    kind: str
    value: float | pint.Quantity
    low: float | pint.Quantity
    high: float | pint.Quantity
    source: str
    source_date: str
    card: str | None = None
    precision: str | None = None
    link: str | None = None
    note: str = ""


def _number(raw: Any, kind: str, where: str) -> float | pint.Quantity:
    """A share in (0, 1.5] (NVLS all-reduce exceeds the link's ring figure), or a latency quantity."""
    if kind == "allreduce_latency":
        quantity = Q(raw, argument=where)
        if quantity.dimensionality != Q(1, "s").dimensionality or not quantity.magnitude > 0:
            raise ValueError(f"{where}: expected a positive time, got {raw!r}")
        return quantity
    if kind in _ZERO_ALLOWED and isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 <= raw <= 1:
        return float(raw)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 < raw <= 1.5:
        raise ValueError(f"{where}: expected a share in (0, 1.5], got {raw!r}")
    return float(raw)


@lru_cache(maxsize=1)
def efficiency_records() -> tuple[Efficiency, ...]:
    """Every record of the efficiency catalogue, checked (kind, card, precision, link, numbers)."""
    records = []
    for number, raw in enumerate(data_tables(EFFICIENCY_FILE, "efficiency"), start=1):
        kind = raw["kind"]
        where = f"efficiencies.toml record {number} ({kind})"
        if kind not in KINDS:
            raise ValueError(f"{where}: unknown kind; known: {', '.join(KINDS)}")
        card = find_card(raw["card"]).name if "card" in raw else None
        precision = raw.get("precision")
        if precision is not None and precision not in PRECISIONS:
            raise ValueError(f"{where}: unknown precision {precision!r}")
        link = raw.get("link")
        if link is not None and link not in LINKS:
            raise ValueError(f"{where}: unknown link {link!r}; known: {', '.join(LINKS)}")
        value = _number(raw["value"], kind, where)
        records.append(Efficiency(
            kind=kind, value=value, low=_number(raw.get("low", raw["value"]), kind, where),
            high=_number(raw.get("high", raw["value"]), kind, where), source=raw["source"],
            source_date=raw["source_date"], card=card, precision=precision, link=link, note=raw.get("note", "")))
    return tuple(records)


def card_and_precision(card: str | None, precision: str | None) -> tuple[str | None, str | None]:
    """Return the catalogue name and the precision of a card reference: "H100 bf16" -> ("H100", "bf16").

    A precision given apart wins; a name without one keeps ``precision``.
    """
    if card is None:
        return None, precision
    reference = parse_reference(card)  # the peak reader's split of "H100 bf16"; a sparse one is no card name
    if reference is not None and not reference[2] and precision is None:
        return find_card(reference[0]).name, reference[1]
    return find_card(card).name, precision


def efficiency(kind: str, card: str | None = None, precision: str | None = None,
               link: str | None = None) -> Efficiency:
    """Return the most specific efficiency record for a kind, card, precision and link.

    Parameters
    ----------
    kind : str
        ``"matmul"``, ``"memory_bandwidth"``, ``"allreduce_busbw"``, ``"allreduce_latency"`` or
        ``"alltoall_busbw"``.
    card : str, optional
        A catalogue card, with or without a precision (``"H100"``, ``"H100 bf16"``).
    precision : str, optional
        The precision of the matmul (``"bf16"``); read from ``card`` when it ends with one.
    link : str, optional
        ``"scale_up"`` or ``"scale_out"`` for the collectives.

    Raises
    ------
    UnknownNameError
        An unknown kind or card, naming the known ones.
    """
    if kind not in KINDS:
        raise UnknownNameError("kind", kind, ", ".join(KINDS), "efficiency kind")
    card_name, precision = card_and_precision(card, precision)
    candidates = [record for record in efficiency_records() if record.kind == kind
                  and record.card in (None, card_name) and record.precision in (None, precision)
                  and record.link in (None, link)]
    if not candidates:
        raise UnknownNameError("kind", kind, ", ".join(KINDS), "efficiency kind with a default record")
    return max(candidates, key=lambda record: (record.card is not None, record.precision is not None,
                                               record.link is not None))
