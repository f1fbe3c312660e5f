"""A large fat-tree's ratios per card, as scalar formulas with native Excel templates.

:func:`cluster_network` counts whole switches tier by tier; a template's cells need the
same arithmetic as one Excel formula. For a full non-blocking fat-tree (every switch
filled) the counts per card are exact ratios:

- tiers: the fewest t with ``k * (k/2)^(t-1) >= NIC ports`` (k²/2 at two tiers, k³/4 at three);
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
#: Slack under a whole number of tiers, so that k²/2 ports need two tiers, not three
#: (a logarithm of an exact power may land a few ulps above the integer).
TIER_SLACK = 1e-9


def _count(value: Any, argument: str, lowest: float = 1) -> np.ndarray:
    number = np.asarray(args.quantity_arg(value, argument, COUNT).magnitude, dtype=float)
    if np.any(number < lowest):
        raise InputRangeError(argument, value, f"{lowest:g} or more")
    return number


def fabric_tiers(cards: Any, switch_radix: Any = 64, nics_per_card: Any = 1) -> pint.Quantity:
    """Fewest fat-tree tiers of ``switch_radix``-port switches that hold the cards' NIC ports.

    Examples
    --------
    >>> [int(fabric_tiers(n).m) for n in (64, 2048, 2049, 65536, 1_000_000)]
    [1, 2, 3, 3, 4]
    """
    ports = args.quantity_arg(cards, "cards", args.CARDS).magnitude * _count(nics_per_card, "nics_per_card")
    radix = _count(switch_radix, "switch_radix", 4)
    levels = np.ceil(np.log(ports / radix) / np.log(radix / 2) - TIER_SLACK)
    return Q(1 + np.maximum(0, levels), "dimensionless")


def fabric_switches_per_card(switch_radix: Any = 64, tiers: Any = 3, nics_per_card: Any = 1) -> pint.Quantity:
    """Switches per card of a full non-blocking fat-tree: nics * (2 * (tiers - 1) + 1) / switch_radix.

    Examples
    --------
    >>> round(float(fabric_switches_per_card(64, 3).m) * 65536)   # 5k²/4 switches for k³/4 hosts
    5120
    """
    radix = _count(switch_radix, "switch_radix", 4)
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
