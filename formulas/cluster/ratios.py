"""A large fat-tree's ratios per card, as scalar formulas with native Excel templates.

:func:`cluster_network` counts whole switches tier by tier; a template's cells need the
same arithmetic as one Excel formula. For a full non-blocking fat-tree (every switch
filled) the counts per card are exact ratios:

- tiers: the fewest t (up to 6) with ``k * (k/2)^(t-1) >= NIC ports`` (k²/2 at two tiers, k³/4 at three);
- switches per card: ``nics * (2 * (t - 1) / k + 1 / k)`` (every tier below the top has one
  switch per k/2 ports, the top one per k);
- optical modules per card: ``nics * t * 2 / ports_per_module`` (a link per tier, a module
  at each end; a twin-port 800G module ends two 400G links, so ``ports_per_module`` 2).

For sizes that do not fill the switches, :func:`cluster_network` rounds up; the ratios are
its large-cluster limit (within a fraction of a percent past a few thousand cards).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pint

from ...units import InputRangeError, Q
from .. import args

COUNT = args.ArgKind("dimensionless", "a whole number", "64")
#: Most tiers :func:`fabric_tiers` gives (as cluster_network's MAX_TIERS).
MAX_FABRIC_TIERS = 6


def tiers_native() -> str:
    """The Excel template of :func:`fabric_tiers`: nested comparisons with each tier's capacity."""
    ports = "{cards}*{nics_per_card}"
    text = "NA()"
    for tiers in range(MAX_FABRIC_TIERS, 0, -1):
        capacity = "{switch_radix}" + (f"*({{switch_radix}}/2)^{tiers - 1}" if tiers > 1 else "")
        text = f"IF({ports}<={capacity},{tiers},{text})"
    return text


def _count(value: Any, argument: str) -> np.ndarray:
    """A whole number greater than 0 (radix, tiers, ports), or an error naming the argument."""
    number = np.asarray(args.quantity_arg(value, argument, COUNT).magnitude, dtype=float)
    if np.any(number != np.floor(number)):
        raise InputRangeError(argument, value, "a whole number")
    return number


def fabric_tiers(cards: Any, switch_radix: Any = 64, nics_per_card: Any = 1) -> pint.Quantity:
    """Fewest fat-tree tiers of ``switch_radix``-port switches that hold the cards' NIC ports.

    Examples
    --------
    >>> [int(fabric_tiers(n).m) for n in (64, 2048, 2049, 65536, 1_000_000)]
    [1, 2, 3, 3, 4]
    """
    ports = np.asarray(args.quantity_arg(cards, "cards", args.CARDS).magnitude, dtype=float) * _count(
        nics_per_card, "nics_per_card")
    radix = _count(switch_radix, "switch_radix")
    capacities = [radix * (radix / 2) ** (tiers - 1) for tiers in range(1, MAX_FABRIC_TIERS + 1)]
    levels = np.full(np.shape(ports), np.nan)
    for tiers, capacity in reversed(list(enumerate(capacities, start=1))):
        levels = np.where(ports <= capacity, tiers, levels)
    if np.any(np.isnan(levels)):
        raise InputRangeError("switch_radix", switch_radix, f"large enough for the NIC ports within "
                              f"{MAX_FABRIC_TIERS} tiers")
    return Q(levels, "dimensionless")


def fabric_switches_per_card(switch_radix: Any = 64, tiers: Any = 3, nics_per_card: Any = 1) -> pint.Quantity:
    """Switches per card of a full non-blocking fat-tree: nics * (2 * (tiers - 1) + 1) / switch_radix.

    Examples
    --------
    >>> round(float(fabric_switches_per_card(64, 3).m) * 65536)   # 5k²/4 switches for k³/4 hosts
    5120
    """
    radix = _count(switch_radix, "switch_radix")
    levels = _count(tiers, "tiers")
    return Q(_count(nics_per_card, "nics_per_card") * (2 * (levels - 1) + 1) / radix, "switch/card")


def fabric_optics_per_card(tiers: Any = 3, nics_per_card: Any = 1, ports_per_module: Any = 2) -> pint.Quantity:
    """Optical modules per card: a link per tier, a module at each end, ``ports_per_module`` links per module.

    Examples
    --------
    >>> float(fabric_optics_per_card(4).m), float(fabric_optics_per_card(4, ports_per_module=1).m)
    (4.0, 8.0)
    """
    levels = _count(tiers, "tiers")
    return Q(_count(nics_per_card, "nics_per_card") * levels * 2 / _count(ports_per_module, "ports_per_module"),
             "module/card")
