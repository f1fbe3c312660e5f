"""Cluster capital cost: :func:`cluster_capex` and its inverse :func:`capex_cards`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ...units import InputRangeError, UnitInputError
from .. import args
from ..magnitudes import checked, finite
from .money import card_variant, currency_of, share_of, value_of
from .network import DEFAULT_RADIX, cluster_network
from .power import cluster_power

if TYPE_CHECKING:
    import pandas as pd

CAPEX_ROWS: tuple[str, ...] = ("servers", "scale_up_switches", "scale_out_switches", "transceivers", "cables",
                               "storage", "facility", "total")
#: The cable kinds of a fabric's columns and their price variants.
_CABLES = {"copper_cables": "dac", "aoc_cables": "aoc", "fiber_cables": "fiber"}


@checked
def cluster_capex(cards: Any, card: str = "H100", server_price: Any = None, switch_price: Any = None,
                  transceiver_price: Any = None, cable_price: Any = None, storage_share: Any = None,
                  facility_price: Any = None, switch_radix: Any = DEFAULT_RADIX, link_speed: Any = None,
                  oversubscription: Any = 1, tiers: Any = None) -> pd.DataFrame:
    """Capital cost of a cluster by part: servers, switches, modules, cables, storage, facility.

    Parameters
    ----------
    cards : card count (rounded up to whole servers).
    card : catalogue card (its server price, power and NVLink domain).
    server_price : per server (``USD/server``; an NVL72 "server" is the 72-GPU rack); default the catalogue's.
    switch_price : per scale-out switch (``USD/switch``).
    transceiver_price : per optical module (``USD/module``) at the fabric's module speed.
    cable_price : per fiber cable (``USD/cable``); copper and AOC cables take the catalogue's.
    storage_share : storage as a share of servers and network.
    facility_price : building, power and cooling per MW of IT power (``USD/MW``).
    switch_radix, link_speed, oversubscription, tiers : the fabric (see cluster_network).

    Returns
    -------
    DataFrame indexed by servers, scale_up_switches (NVSwitch chips or NVLink trays:
    priced within the systems, so 0), scale_out_switches, transceivers, cables, storage,
    facility, total; columns ``capex`` (currency), ``per_card`` (currency/card), ``share``.
    ``attrs["currency"]`` names the currency; every price given must be in it.

    Examples
    --------
    >>> capex = cluster_capex(100_000, "H100")
    >>> round(float(capex.loc["servers", "per_card"]))        # USD 300,000 / 8 GPUs
    37500
    >>> round(float(capex.loc["total", "share"]), 6)
    1.0
    """
    name = card_variant(card)
    server = value_of(server_price, "server_price", "server_price", name)
    money = currency_of(server)
    network = cluster_network(cards, name, switch_radix, link_speed, tiers=tiers, oversubscription=oversubscription)
    total = network.loc["total"]
    switch = value_of(switch_price, "switch_price", "switch_price", network.attrs["switch"], money)
    module = value_of(transceiver_price, "transceiver_price", "transceiver_price", network.attrs["module_speed"], money)
    cable_prices = {column: value_of(cable_price if variant == "fiber" else None, "cable_price", "cable_price",
                                     variant, money) for column, variant in _CABLES.items() if total[column] > 0}
    facility = value_of(facility_price, "facility_price", "facility_price", "default", money)
    storage = share_of(storage_share, "storage_share", "storage_share")
    power = cluster_power(network.attrs["cards"], name, switch_radix=switch_radix, link_speed=link_speed,
                          oversubscription=oversubscription, tiers=tiers)
    unit = money or "USD"
    spend = {
        "servers": network.attrs["servers"] * float(server.to(f"{unit}/server").magnitude),
        "scale_up_switches": 0.0,
        "scale_out_switches": total["switches"] * float(switch.to(f"{unit}/switch").magnitude),
        "transceivers": total["transceivers"] * float(module.to(f"{unit}/module").magnitude),
        "cables": sum(total[column] * float(each.to(f"{unit}/cable").magnitude) for column, each in cable_prices.items()),
    }
    spend["storage"] = storage * sum(spend.values())
    spend["facility"] = power.loc["it", "power"] * float(facility.to(f"{unit}/MW").magnitude)
    spend["total"] = sum(spend.values())
    import pandas as pd  # late: the xlwings Lite bundle has no pandas; bad input fails first
    finite(spend["total"], unit, server_price=float(server.magnitude), switch_price=float(switch.magnitude),
           transceiver_price=float(module.magnitude), facility_price=float(facility.magnitude))
    frame = pd.DataFrame({"capex": spend})
    frame.index.name = "part"
    frame["per_card"] = frame["capex"] / network.attrs["cards"]
    frame["share"] = frame["capex"] / spend["total"]
    frame.attrs.update({"currency": unit, "units": {"capex": unit, "per_card": f"{unit}/card", "share": ""},
                        "cards": network.attrs["cards"], "servers": network.attrs["servers"],
                        "it_power_mw": float(power.loc["it", "power"]),
                        "facility_power_mw": float(power.loc["facility", "power"]),
                        "transceivers": float(total["transceivers"]), "switches": float(total["switches"]),
                        "note": network.attrs["note"],
                        "scale_up_switches": "priced within the systems (HGX baseboard, NVL72 rack)"})
    return frame


@checked
def capex_cards(budget: Any, card: str = "H100", server_price: Any = None, switch_price: Any = None,
                transceiver_price: Any = None, facility_price: Any = None, switch_radix: Any = DEFAULT_RADIX,
                tiers: Any = None) -> pd.DataFrame:
    """What a capex budget buys: whole servers with their fabric, optics, storage and facility.

    Parameters
    ----------
    budget : money (``"1e9 USD"``, ``"100亿 USD"``; CNY needs CNY prices).
    card, server_price, switch_price, transceiver_price, facility_price, switch_radix, tiers :
        as :func:`cluster_capex`.

    Returns
    -------
    One-row DataFrame: budget, cards, servers, switches, transceivers, it_power (MW),
    facility_power (MW), capex (spent), per_card (all-in capex per card).

    Examples
    --------
    >>> bought = capex_cards("1e9 USD", "H100")
    >>> int(bought.loc[0, "cards"]) % 8, bool(bought.loc[0, "capex"] <= 1e9)
    (0, True)
    """
    given = args.plain_values(budget, "budget")
    try:
        money = args.Q(given, "USD", argument="budget") if not hasattr(given, "units") else given
    except UnitInputError as error:
        raise UnitInputError("budget", given, 'money, e.g. "1e9 USD" or "100亿 CNY"', error.detail) from None
    unit = currency_of(money)
    if unit is None or money.dimensionality != args.Q(1, unit).dimensionality:
        raise UnitInputError("budget", args.shown(money), 'money, e.g. "1e9 USD" or "100亿 CNY"')
    amount = float(money.magnitude)
    if not math.isfinite(amount) or amount <= 0:
        raise InputRangeError("budget", given, "greater than 0")
    name = card_variant(card)
    server_money = currency_of(value_of(server_price, "server_price", "server_price", name))
    if server_money != unit:
        raise UnitInputError("budget", args.shown(money), f"money in {server_money}, the currency of the prices",
                             "USD and CNY are separate: give prices in the budget's currency, or convert the "
                             "budget with an explicit exchange rate")
    options = dict(server_price=server_price, switch_price=switch_price, transceiver_price=transceiver_price,
                   facility_price=facility_price, switch_radix=switch_radix, tiers=tiers)
    per_card = cluster_capex(1024, name, **options)
    step = per_card.attrs["cards"] // per_card.attrs["servers"]
    cards = amount / per_card.loc["total", "per_card"]
    for _ in range(4):
        cards = max(step, int(cards // step) * step)
        frame = cluster_capex(cards, name, **options)
        if frame.loc["total", "capex"] <= amount:
            next_frame = cluster_capex(cards + step, name, **options)
            if next_frame.loc["total", "capex"] > amount:
                break
        cards = amount / frame.loc["total", "per_card"]
    while frame.loc["total", "capex"] > amount and cards > step:
        cards -= step
        frame = cluster_capex(cards, name, **options)
    if frame.loc["total", "capex"] > amount:
        raise InputRangeError("budget", given, f"enough for one {step}-card server with its share of fabric and "
                              f"facility (about {frame.loc['total', 'capex']:,.0f} {unit})")
    row = {"budget": amount, "cards": frame.attrs["cards"], "servers": frame.attrs["servers"],
           "switches": frame.attrs["switches"], "transceivers": frame.attrs["transceivers"],
           "it_power": frame.attrs["it_power_mw"], "facility_power": frame.attrs["facility_power_mw"],
           "capex": frame.loc["total", "capex"], "per_card": frame.loc["total", "per_card"]}
    import pandas as pd  # late: the xlwings Lite bundle has no pandas; bad input fails first
    result = pd.DataFrame([row])
    result.attrs.update({"currency": unit, "units": {"budget": unit, "cards": "card", "servers": "server",
                                                     "it_power": "MW", "facility_power": "MW", "capex": unit,
                                                     "per_card": f"{unit}/card"}})
    return result
