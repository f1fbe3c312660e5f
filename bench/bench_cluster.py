"""Cluster fabric benchmarks (issue 26): flopsheet.cluster_network and optics_per_card against raw numpy.

The baselines do the same non-blocking fat-tree arithmetic in plain numpy: servers
rounded up, tiers from the capacities k * (k/2)^(t-1), switches per tier by ceiling
division, modules from the links; no checks, no units, no DataFrame.
"""

from __future__ import annotations

import numpy as np

#: Cards of the single-size benchmark (the issue's target: under 10 ms).
MILLION = 1_000_000
#: Sizes of the sweep: 1,000 cluster sizes from 1k to 1M cards.
SWEEP = np.round(np.logspace(3, 6, 1000))
RADIX, SERVER_CARDS, TIERS = 64, 8, 6


def raw_fabric(cards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Switches and modules of non-blocking fat-trees over sizes, in raw numpy."""
    servers = np.ceil(cards / SERVER_CARDS)
    ports = servers * SERVER_CARDS
    half = RADIX // 2
    capacities = RADIX * half ** np.arange(TIERS, dtype=float)
    tiers = np.searchsorted(capacities, ports) + 1
    switches = np.zeros_like(ports)
    incoming = ports.copy()
    for level in range(TIERS):
        active = tiers > level
        top = tiers == level + 1
        count = np.where(top, np.ceil(incoming / RADIX), np.ceil(incoming / half))
        switches += np.where(active, count, 0)
        incoming = np.where(active & ~top, count * half, incoming)
    modules = ports * tiers
    return switches, modules


def flopsheet_million() -> object:
    import flopsheet

    return flopsheet.cluster_network(MILLION, "H100")


def raw_million() -> object:
    return raw_fabric(np.array([MILLION], dtype=float))


def flopsheet_sweep() -> object:
    import flopsheet

    return flopsheet.optics_per_card(SWEEP, "H100")


def raw_sweep() -> object:
    return raw_fabric(SWEEP)
