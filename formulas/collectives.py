"""Time of the collectives that parallel layouts add: all-reduce, reduce-scatter, all-gather,
all-to-all and point-to-point, over a card's scale-up link or its scale-out NIC.

The arithmetic is the bus-bandwidth model of NCCL's own tests (nccl-tests, doc/PERFORMANCE.md):
a ring all-reduce of ``S`` bytes over ``n`` cards moves ``2 (n-1)/n x S`` bytes through
each card's link, so it takes ``2 (n-1)/n x S / busbw``; reduce-scatter and all-gather move
half that, ``(n-1)/n x S``; an all-to-all sends ``(n-1)/n`` of each card's ``S`` bytes to the
others; a point-to-point send moves ``S`` once. ``busbw`` is the link's bandwidth per card
and direction times the achieved share (``efficiency("allreduce_busbw", link=...)``); each
collective also pays a fixed latency (``efficiency("allreduce_latency", link=...)``) that
dominates small payloads, as in decoding.

Everything here works on plain floats or numpy arrays in SI base units (bytes, bytes per
second, seconds), so the planners can evaluate many layouts at once; :func:`link` reads the
catalogue and returns the effective figures for one card.

Examples
--------
>>> h100 = link("H100", "scale_up")
>>> round(h100.bytes_per_second / 1e9, 1), round(h100.latency_s * 1e6)   # 450 GB/s x 82%, µs
(369.0, 40)
>>> round(allreduce_seconds(1e9, 8, h100.bytes_per_second, 0.0) * 1e3, 2)   # 1 GB over TP8, ms
4.74
>>> allreduce_seconds(1e9, 1, h100.bytes_per_second, h100.latency_s)      # one card: no traffic
0.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..units import InputError
from .catalogues.cards import find_card
from .catalogues.efficiencies import card_and_precision, efficiency

#: Bits in a byte: NIC speeds are quoted in bits per second ("400G"), links and HBM in bytes.
BITS_PER_BYTE = 8


@dataclass(frozen=True)
class Link:
    """The effective figures of one card's link: bytes per second achieved, latency per collective."""

    card: str
    kind: str
    peak_bytes_per_second: float
    share: float
    latency_s: float
    domain: int | None

    @property
    def bytes_per_second(self) -> float:
        """Achieved bus bandwidth per card and direction, bytes/s."""
        return self.peak_bytes_per_second * self.share


def link(card: str, kind: str = "scale_up") -> Link:
    """Return the achieved bandwidth (bytes/s) and latency (s) of a card's scale-up or scale-out link.

    Raises
    ------
    InputError
        The card's catalogue record gives no bandwidth for that link.
    """
    record = find_card(card_and_precision(card, None)[0])
    if kind == "scale_up":
        peak, domain = record.scale_up_bandwidth, record.scale_up_domain
    elif kind == "scale_out":
        peak, domain = record.scale_out_bandwidth, None
    else:
        raise InputError("link", kind, '"scale_up" or "scale_out"')
    if peak is None:
        raise InputError("card", card, f"a card whose catalogue record gives its {kind} bandwidth "
                         f"({kind}_bandwidth in the catalogue)")
    bytes_per_second = float(peak.to("B/s/card").magnitude)
    share = efficiency("allreduce_busbw", record.name, link=kind).value
    latency = efficiency("allreduce_latency", record.name, link=kind).value
    return Link(record.name, kind, bytes_per_second, float(share), float(latency.to("s").magnitude), domain)


def _ring_factor(cards: Any) -> Any:
    """``(n-1)/n``: the share of a payload each card's link carries once; 0 for one card."""
    cards = np.asarray(cards, dtype=float)
    return np.where(cards > 1, (cards - 1) / np.maximum(cards, 1), 0.0)


def _plain(values: Any) -> Any:
    """A float for scalar inputs, the array otherwise."""
    return float(values) if np.ndim(values) == 0 else values


def _with_latency(seconds: Any, cards: Any, latency_s: Any) -> Any:
    """Add the fixed latency wherever there is traffic (more than one card)."""
    return _plain(np.where(np.asarray(cards) > 1, seconds + latency_s, 0.0))


def allreduce_seconds(payload_bytes: Any, cards: Any, bytes_per_second: Any, latency_s: Any) -> Any:
    """Seconds of a ring all-reduce of ``payload_bytes`` over ``cards`` cards: ``2 (n-1)/n S / busbw + latency``."""
    return _with_latency(2 * _ring_factor(cards) * payload_bytes / bytes_per_second, cards, latency_s)


def reduce_scatter_seconds(payload_bytes: Any, cards: Any, bytes_per_second: Any, latency_s: Any) -> Any:
    """Seconds of a reduce-scatter (or an all-gather) of ``payload_bytes``: ``(n-1)/n S / busbw + latency``."""
    return _with_latency(_ring_factor(cards) * payload_bytes / bytes_per_second, cards, latency_s)


all_gather_seconds = reduce_scatter_seconds


def all_to_all_seconds(payload_bytes: Any, cards: Any, bytes_per_second: Any, latency_s: Any) -> Any:
    """Seconds of an all-to-all where each card holds ``payload_bytes`` and keeps ``1/n`` of them."""
    return _with_latency(_ring_factor(cards) * payload_bytes / bytes_per_second, cards, latency_s)


def all_to_all_two_level_seconds(payload_bytes: Any, cards: Any, domain: Any, scale_up_bytes_per_second: Any,
                                 scale_out_bytes_per_second: Any, latency_s: Any) -> Any:
    """Seconds of an all-to-all over ``cards`` cards in scale-up domains of ``domain`` cards (MoE dispatch or combine).

    Each card sends ``payload_bytes`` spread evenly over the ``n`` cards: ``(min(n, domain) - 1)
    / n`` of it stays inside the domain (scale-up link), ``max(n - domain, 0) / n`` crosses
    servers (the NIC); the two links work in parallel, so the time is the slower of the two
    plus ``latency_s``. Both bandwidths are achieved figures (peak x share), bytes/s per card.

    Examples
    --------
    >>> round(all_to_all_two_level_seconds(7.34e6, 64, 8, 153e9, 43e9, 0.0) * 1e6)   # DeepEP EP64, µs
    149
    >>> all_to_all_two_level_seconds(7.34e6, 8, 8, 153e9, 43e9, 0.0) == all_to_all_seconds(7.34e6, 8, 153e9, 0.0)
    True
    """
    n = np.maximum(np.asarray(cards, dtype=float), 1.0)
    inside = np.minimum(n, np.asarray(domain, dtype=float))
    payload = np.asarray(payload_bytes, dtype=float)
    near = payload * (inside - 1.0) / n / scale_up_bytes_per_second
    far = payload * (n - inside) / n / scale_out_bytes_per_second
    return _with_latency(np.maximum(near, far), n, latency_s)


def point_to_point_seconds(payload_bytes: Any, bytes_per_second: Any, latency_s: Any) -> Any:
    """Seconds to send ``payload_bytes`` from one card to the next (pipeline stages)."""
    return _plain(np.asarray(payload_bytes, dtype=float) / bytes_per_second + latency_s)
