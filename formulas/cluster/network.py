"""The scale-out fabric of a cluster: :func:`cluster_network` and :func:`optics_per_card`.

A folded-Clos (fat-tree) of k-port switches. At every tier below the top a switch turns
``d = k * o / (o + 1)`` ports down and ``k - d`` up (``o`` the oversubscription of that
tier, 1 for non-blocking: k/2 down and k/2 up); the top tier turns all k ports down. A
t-tier fabric then holds at most ``d_1 * ... * d_(t-1) * k`` endpoints: k²/2 at two
tiers, k³/4 at three, k⁴/8 at four (non-blocking). Counting up from the NIC ports:

- leaves = ceil(NIC ports / d_1) (rail-optimised: per rail, ceil(servers / d_1) leaves);
- each tier's switches = ceil(links from below / d) and send ``switches * (k - d)`` up;
- the top tier has ceil(links from below / k) switches; at two tiers the spines are
  rounded up to a divisor of a leaf's uplinks, so that every leaf reaches every spine
  with the same number of links (how NVIDIA's DGX SuperPOD tables count them).

Every link is one cable; optical links carry a module at each end (a twin-port 800G
OSFP module is two 400G ports, so it ends two links). The scale-up domain (NVSwitch
chips of an HGX board, the NVLink switch trays and copper spine of an NVL72 rack) is
its own row, outside the ``total`` of the scale-out fabric.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ...units import AssumptionWarning, InputError, InputRangeError, Q, UnitInputError
from .. import args
from ..magnitudes import checked
from ..catalogues.cards import find_card
from ..catalogues.prices import price

if TYPE_CHECKING:
    import pandas as pd

#: Default switch ports (a 64-port NDR InfiniBand or 51.2T-as-64x800G switch).
DEFAULT_RADIX = 64
#: Default port speed when the card's catalogue has no NIC bandwidth.
DEFAULT_LINK_SPEED = "400 Gbit/s"
#: Tier names, bottom up; a million cards at radix 64 need four.
TIER_NAMES: tuple[str, ...] = ("leaf", "spine", "core", "super_core", "tier_5", "tier_6")
MAX_TIERS = len(TIER_NAMES)
#: Cable kinds of the leaf (server-to-leaf) links; switch-to-switch links are fiber with modules.
LEAF_CABLES: tuple[str, ...] = ("optics", "aoc", "dac", "acc")
COPPER = ("dac", "acc")
LINK_SPEED = args.ArgKind("Gbit/s", "a link speed in bits per second", "400 Gbit/s")
CARDS = args.CARDS
#: Cluster sizes of seed 002's curve: 1,000 to 1,000,000 cards, 31 sizes 10^0.1 apart.
DEFAULT_SIZES = np.round(np.logspace(3, 6, 31))
COLUMNS: tuple[str, ...] = ("switches", "ports", "links", "transceivers", "cables", "copper_cables", "aoc_cables",
                            "fiber_cables", "switches_per_card", "links_per_card", "transceivers_per_card",
                            "cables_per_card")


@dataclass(frozen=True)
class Fabric:
    """The fabric's options, checked: radix, link speed, NICs, tiers, oversubscription per tier."""

    radix: int
    link_gbps: float
    nics_per_card: int
    rail_optimized: bool
    oversubscription: tuple[float, ...]
    tiers: int | None
    twin_port: bool
    leaf_cable: str
    server_cards: int
    system_cards: int

    def down(self, tiers: int) -> list[int]:
        """Ports each tier below the top turns down (``d``), leaving at least one port up.

        ``o / (o + 1)`` first (at most 1), so a huge ``o`` neither overflows ``k * o`` to
        inf (NaN ports) nor rounds ``o + 1`` to ``o`` and turns every port down (no uplink).
        """
        return [min(int(self.radix * (o / (o + 1))), self.radix - 1) for o in self._over(tiers)]

    def _over(self, tiers: int) -> list[float]:
        given = list(self.oversubscription)
        return (given + [1.0] * tiers)[:max(tiers - 1, 0)]

    def capacity(self, tiers: int) -> int:
        """Most NIC ports a fabric of ``tiers`` tiers holds."""
        return int(np.prod(self.down(tiers), dtype=float) * self.radix)

    @property
    def module_speed(self) -> str:
        """The optical module's label ("800G" for twin-port 400G links)."""
        gbps = self.link_gbps * (2 if self.twin_port else 1)
        return f"{gbps / 1000:g}T" if gbps >= 1000 else f"{gbps:g}G"

    @property
    def switch_variant(self) -> str:
        """The switch's price-catalogue variant ("64x400G")."""
        return f"{self.radix}x{self.link_gbps:g}G"


def _whole(value: Any, argument: str, lowest: int, highest: int) -> int:
    """A whole number in [lowest, highest], or an error naming the argument."""
    if isinstance(value, bool):
        raise UnitInputError(argument, value, f"a whole number from {lowest} to {highest}")
    try:
        number = float(Q(value, "dimensionless", argument=argument).magnitude) if not isinstance(
            value, (int, float)) else float(value)
    except InputError:
        raise UnitInputError(argument, value, f"a whole number from {lowest} to {highest}") from None
    if not math.isfinite(number) or number != int(number) or not lowest <= number <= highest:
        raise InputRangeError(argument, value, f"a whole number from {lowest:,} to {highest:,}")
    return int(number)


def _oversubscription(value: Any) -> tuple[float, ...]:
    """One ratio for the leaf tier, or one per tier boundary (leaf first); each >= 1."""
    values = list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]
    ratios = []
    for item in values:
        ratio = float(args.quantity_arg(item, "oversubscription", args.UTILIZATION, positive=False).magnitude)
        if not math.isfinite(ratio) or ratio < 1:
            raise InputRangeError("oversubscription", item, "1 or more (downlink to uplink bandwidth: 1 is "
                                  "non-blocking, 3 is 3:1)")
        ratios.append(ratio)
    if not ratios:
        raise UnitInputError("oversubscription", value, "a ratio of 1 or more, or one per tier")
    return tuple(ratios)


def fabric(card: str = "H100", switch_radix: Any = DEFAULT_RADIX, link_speed: Any = None, nics_per_card: Any = 1,
           rail_optimized: bool = True, oversubscription: Any = 1, tiers: Any = None, twin_port: bool = True,
           leaf_cable: str = "optics") -> Fabric:
    """Check a fabric's options once (the keywords of :func:`cluster_network`); remembered for plain values."""
    options = (card, switch_radix, link_speed, nics_per_card, rail_optimized, oversubscription, tiers, twin_port,
               leaf_cable)
    try:
        return _remembered_fabric(*options, catalogues_generation())
    except TypeError:  # an unhashable argument (a list of ratios, an array): read it afresh
        return _read_fabric(*options)


def catalogues_generation() -> tuple[int, int]:
    """Changes whenever a card or price file is loaded or unloaded (the remembered fabrics then expire)."""
    from ..catalogues.cards import catalogue
    from ..catalogues.prices import price_catalogue

    return id(catalogue()), id(price_catalogue())


@lru_cache(maxsize=256)
def _remembered_fabric(card: str, switch_radix: Any, link_speed: Any, nics_per_card: Any, rail_optimized: bool,
                       oversubscription: Any, tiers: Any, twin_port: bool, leaf_cable: str,
                       generation: tuple[int, int]) -> Fabric:
    return _read_fabric(card, switch_radix, link_speed, nics_per_card, rail_optimized, oversubscription, tiers,
                        twin_port, leaf_cable)


def _read_fabric(card: str, switch_radix: Any, link_speed: Any, nics_per_card: Any, rail_optimized: bool,
                 oversubscription: Any, tiers: Any, twin_port: bool, leaf_cable: str) -> Fabric:
    """Read and check the fabric options."""
    record = find_card(card, "card")
    radix = _whole(switch_radix, "switch_radix", 4, 4096)
    nics = _whole(nics_per_card, "nics_per_card", 1, 64)
    if link_speed is None:
        nic = record.scale_out_bandwidth
        speed = (nic * Q(1, "card")).to("Gbit/s") / nics if nic is not None else Q(DEFAULT_LINK_SPEED)
    else:
        speed = args.quantity_arg(link_speed, "link_speed", LINK_SPEED)
        if np.ndim(speed.magnitude):
            raise UnitInputError("link_speed", link_speed, "one link speed, e.g. \"400 Gbit/s\"")
    tier_count = None if tiers is None else _whole(tiers, "tiers", 1, MAX_TIERS)
    if leaf_cable not in LEAF_CABLES:
        raise UnitInputError("leaf_cable", leaf_cable, f"one of {', '.join(LEAF_CABLES)}")
    server_cards = record.server_cards or 8
    return Fabric(radix, float(speed.to("Gbit/s").magnitude), nics, args.read_bool(rail_optimized, "rail_optimized"),
                  _oversubscription(oversubscription), tier_count, args.read_bool(twin_port, "twin_port"), leaf_cable,
                  server_cards,
                  system_cards(record.name, server_cards))


def system_cards(card_name: str, server_cards: int | None = None) -> int:
    """Cards in the system a price and a power figure are quoted for (8 for HGX, 72 for an NVL72 rack).

    The price catalogue's ``server_cards`` for the card, else the accelerator catalogue's.
    """
    try:
        return int(round(float(price("server_cards", card_name).value.to("card/server").magnitude)))
    except InputError:
        return server_cards or find_card(card_name).server_cards or 8


#: Most servers counted exactly: whole numbers in a float (2**53) fit the int64 switch arithmetic.
MAX_SERVERS = 2**53


def _servers(cards: np.ndarray, server_cards: int) -> np.ndarray:
    """Whole servers for ``cards``; a count beyond :data:`MAX_SERVERS` is refused (int64 would wrap to 0 or less)."""
    servers = np.ceil(np.asarray(cards, dtype=float) / server_cards)
    if servers.size and servers.max() > MAX_SERVERS:
        raise InputRangeError("cards", float(np.max(cards)), f"at most {MAX_SERVERS * server_cards:.3g} "
                              f"({MAX_SERVERS:.3g} servers of {server_cards} cards: counted as whole numbers)")
    return servers.astype(np.int64)


def _spine_divisor(needed: np.ndarray, uplinks: int) -> np.ndarray:
    """The smallest divisor of a leaf's uplinks that is at least ``needed`` (two-tier spines)."""
    divisors = np.array([d for d in range(1, uplinks + 1) if uplinks % d == 0], dtype=np.int64)
    position = np.searchsorted(divisors, needed)
    return np.where(position < len(divisors), divisors[np.minimum(position, len(divisors) - 1)], needed)


def tier_counts(cards: np.ndarray, spec: Fabric) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Switches and links (into each tier) per size, and the tiers used, vectorised over ``cards``.

    Returns ``(switches, links, tiers)``: two arrays of shape (MAX_TIERS, sizes), zero above
    a size's top tier, and the tiers of each size.
    """
    cards = np.asarray(cards, dtype=np.int64)
    servers = _servers(cards, spec.server_cards)
    rails = spec.server_cards * spec.nics_per_card
    ports = servers * rails
    capacities = np.array([spec.capacity(t) for t in range(1, MAX_TIERS + 1)], dtype=float)
    if spec.tiers is None:
        used = np.searchsorted(capacities, ports, side="left") + 1
        if np.any(used > MAX_TIERS):
            raise InputRangeError("switch_radix", spec.radix, f"large enough for {int(ports.max()):,} NIC ports within "
                                  f"{MAX_TIERS} tiers (most: {int(capacities[-1]):,})")
    else:
        used = np.full(ports.shape, spec.tiers)
        if np.any(ports > capacities[spec.tiers - 1]):
            raise InputRangeError("switch_radix", spec.radix, f"large enough for {int(ports.max()):,} NIC ports in "
                                  f"{spec.tiers} tier(s): radix {spec.radix} holds at most "
                                  f"{int(capacities[spec.tiers - 1]):,}; raise tiers or switch_radix")
    switches = np.zeros((MAX_TIERS, ports.size), dtype=np.int64)
    links = np.zeros((MAX_TIERS, ports.size), dtype=np.int64)
    for top in np.unique(used):
        mask = used == top
        down = spec.down(int(top))
        incoming = ports[mask]
        for level in range(int(top)):
            links[level, mask] = incoming
            if level == top - 1:
                count = -(-incoming // spec.radix)
                if top == 2:
                    count = _spine_divisor(count, spec.radix - down[0])
            elif level == 0 and spec.rail_optimized:
                count = rails * -(-servers[mask] // down[0])
            else:
                count = -(-incoming // down[level])
            switches[level, mask] = count
            if level < top - 1:
                incoming = count * (spec.radix - down[level])
    return switches, links, used


def _module_ends(links: np.ndarray, twin_port: bool) -> np.ndarray:
    """Optical modules for links with a module at each end."""
    ends = 2 * links
    return -(-ends // 2) if twin_port else ends


@checked
def cluster_network(cards: Any, card: str = "H100", switch_radix: Any = DEFAULT_RADIX, link_speed: Any = None,
                    nics_per_card: Any = 1, rail_optimized: bool = True, oversubscription: Any = 1,
                    tiers: Any = None, twin_port: bool = True, leaf_cable: str = "optics") -> pd.DataFrame:
    """The scale-out fabric of a cluster: switches, links, modules and cables per tier, and per card.

    Parameters
    ----------
    cards : card count (number or quantity in card); rounded up to whole servers (the
        result's ``attrs["note"]`` says so, and an AssumptionWarning too).
    card : catalogue card; its ``server_cards`` and NIC bandwidth (``scale_out_bandwidth``).
    switch_radix : ports per switch at ``link_speed`` (default 64).
    link_speed : port speed in bits per second (default: the card's NIC share per NIC, or 400 Gbit/s).
    nics_per_card : NIC ports per card (rails per card).
    rail_optimized : leaves per rail (NVIDIA's rail-optimised layout): rails * ceil(servers / leaf downlinks).
    oversubscription : downlink:uplink ratio of the leaf tier, or a list per tier boundary (>= 1).
    tiers : switch tiers; default the fewest that hold the cluster.
    twin_port : one module ends two links (an 800G OSFP = 2x 400G ports), at switches and NICs.
    leaf_cable : server-to-leaf links: "optics" (modules + fiber), "aoc", "dac" or "acc" (copper).

    Returns
    -------
    DataFrame indexed by tier (``leaf``, ``spine``, ``core``...), ``total`` (scale-out) and
    ``scale_up`` (the NVLink domain, outside the total); columns switches, ports, links
    (into the tier from below), transceivers (modules), cables by kind, and per card.
    ``attrs``: cards, servers, tiers, module speed, note.

    Examples
    --------
    >>> net = cluster_network(1016, "H100")          # DGX SuperPOD H100, 4 SU
    >>> net.loc[["leaf", "spine"], "switches"].tolist()
    [32.0, 16.0]
    >>> net.loc[["leaf", "spine"], "links"].tolist()   # 1016 NIC links; 32 full leaves x 32 uplinks
    [1016.0, 1024.0]
    """
    spec = fabric(card, switch_radix, link_speed, nics_per_card, rail_optimized, oversubscription, tiers, twin_port,
                  leaf_cable)
    count = args.quantity_arg(cards, "cards", CARDS)
    if np.ndim(count.magnitude):
        raise UnitInputError("cards", cards, "one card count (optics_per_card takes a range of sizes)")
    asked = float(count.to("card").magnitude)
    servers = int(math.ceil(asked / spec.system_cards - 1e-9))
    installed = servers * spec.system_cards
    note = ""
    if installed != asked:
        cards_text = f"{asked:g} card does not" if asked == 1 else f"{asked:g} cards do not"
        note = (f"{cards_text} fill whole {spec.system_cards}-card servers: rounded up to {servers:,} "
                f"server{'' if servers == 1 else 's'} = {installed:,} cards")
        warnings.warn(note, AssumptionWarning, stacklevel=2)
    switches, links, used = tier_counts(np.array([installed]), spec)
    top = int(used[0])
    frame = _frame(switches[:top, 0], links[:top, 0], spec, installed)
    frame.loc["scale_up"] = {**dict.fromkeys(frame.columns, 0.0), **_scale_up_row(card, servers, installed)}
    frame.attrs.update({"cards": installed, "cards_asked": asked, "servers": servers, "tiers": top,
                        "module_speed": spec.module_speed, "link_speed": f"{spec.link_gbps:g} Gbit/s",
                        "switch": spec.switch_variant, "note": note,
                        "total": "scale-out tiers only; scale_up is the NVLink domain, shown apart"})
    return frame


def _frame(switches: np.ndarray, links: np.ndarray, spec: Fabric, cards: int) -> pd.DataFrame:
    import pandas as pd

    rows = {}
    for level, name in enumerate(TIER_NAMES[:len(switches)]):
        kind = spec.leaf_cable if level == 0 else "optics"
        count = int(links[level])
        optical = kind == "optics"
        modules = int(_module_ends(np.int64(count), spec.twin_port)) if optical else 0
        rows[name] = {"switches": int(switches[level]), "ports": int(switches[level]) * spec.radix, "links": count,
                      "transceivers": modules, "cables": count, "copper_cables": count if kind in COPPER else 0,
                      "aoc_cables": count if kind == "aoc" else 0, "fiber_cables": count if optical else 0}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "tier"
    frame.loc["total"] = frame.sum()
    for column in ("switches", "links", "transceivers", "cables"):
        frame[f"{column}_per_card"] = frame[column] / cards
    frame[f"transceivers_{spec.module_speed}"] = frame["transceivers"]
    return frame.astype(float)


def _scale_up_row(card: str, servers: int, cards: int) -> dict[str, float]:
    """NVLink switches (chips or trays) and copper cables of the scale-up domains."""
    name = find_card(card).name
    try:
        per_server = float(price("scale_up_switches", name).value.to("switch/server").magnitude)
    except InputError:
        per_server = 0.0
    try:
        cables = float(price("scale_up_cables", name).value.to("cable/server").magnitude)
    except InputError:
        cables = 0.0
    switches, copper = per_server * servers, cables * servers
    return {"switches": switches, "ports": 0, "links": copper, "transceivers": 0, "cables": copper,
            "copper_cables": copper, "aoc_cables": 0, "fiber_cables": 0, "switches_per_card": switches / cards,
            "links_per_card": copper / cards, "transceivers_per_card": 0.0, "cables_per_card": copper / cards}


@checked
def optics_per_card(cards: Any, card: str = "H100", switch_radix: Any = DEFAULT_RADIX, link_speed: Any = None,
                    nics_per_card: Any = 1, rail_optimized: bool = True, oversubscription: Any = 1,
                    tiers: Any = None, twin_port: bool = True, leaf_cable: str = "optics") -> pd.DataFrame:
    """Optical modules, switches and links per card as a cluster grows (seed 002's ratio), vectorised.

    Parameters
    ----------
    cards : card counts (a range), e.g. ``DEFAULT_SIZES``: 1,000 to 1,000,000 in 31 steps of 10^0.1.
    card, switch_radix, link_speed, nics_per_card, rail_optimized, oversubscription, tiers, twin_port, leaf_cable :
        as :func:`cluster_network` (``tiers`` None: the fewest for each size).

    Returns
    -------
    DataFrame indexed by ``cards`` (rounded up to whole servers): tiers, switches,
    transceivers, links and each per card.

    Examples
    --------
    >>> curve = optics_per_card([1024, 4096, 65536, 1_000_000])
    >>> curve["tiers"].tolist()
    [2, 3, 3, 4]
    >>> curve["transceivers_per_card"].round(3).tolist()
    [2.0, 3.0, 3.0, 4.001]
    """
    spec = fabric(card, switch_radix, link_speed, nics_per_card, rail_optimized, oversubscription, tiers, twin_port,
                  leaf_cable)
    sizes = args.quantity_arg(cards, "cards", CARDS)
    asked = np.atleast_1d(np.asarray(sizes.magnitude, dtype=float))
    installed = _servers(asked, spec.system_cards) * spec.system_cards
    switches, links, used = tier_counts(installed, spec)
    optical = links.copy()
    if spec.leaf_cable != "optics":
        optical[0] = 0
    import pandas as pd  # late: the xlwings Lite bundle has no pandas; bad input fails first

    columns = {"tiers": used, "switches": switches.sum(axis=0), "transceivers": _module_ends(optical, spec.twin_port)
               .sum(axis=0), "links": links.sum(axis=0)}
    columns.update({f"{name}_per_card": columns[name] / installed for name in ("switches", "transceivers", "links")})
    frame = pd.DataFrame(columns, index=pd.Index(installed, name="cards"))
    frame.attrs.update({"module_speed": spec.module_speed, "switch": spec.switch_variant})
    return frame
