"""Cluster power: :func:`cluster_power` (servers, switches, modules; IT and facility; energy a year)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...units import InputRangeError, Q
from .. import args
from ..magnitudes import checked
from .money import card_variant, share_of, value_of
from .network import DEFAULT_RADIX, cluster_network

if TYPE_CHECKING:
    import pandas as pd

#: Units of the columns of :func:`cluster_power`.
POWER_UNITS: dict[str, str] = {"power": "MW", "power_per_card": "kW/card", "energy_per_year": "MWh"}


@checked
def cluster_power(cards: Any, card: str = "H100", pue: Any = None, server_load: Any = 1.0,
                  switch_radix: Any = DEFAULT_RADIX, link_speed: Any = None, oversubscription: Any = 1,
                  tiers: Any = None) -> pd.DataFrame:
    """Power of a cluster: servers (not the chips' TDP alone), scale-out switches and modules, facility.

    Parameters
    ----------
    cards : card count (rounded up to whole servers, as :func:`cluster_network`).
    card : catalogue card; its system's power (``server_power`` in the price catalogue:
        DGX H100 10.2 kW for 8 GPUs, GB200 NVL72 about 120 kW for 72).
    pue : facility power / IT power (default: the catalogue's, 1.3).
    server_load : share of the servers' maximum power drawn on average (default 1 = max).
    switch_radix, link_speed, oversubscription, tiers : the fabric (see cluster_network).

    Returns
    -------
    DataFrame indexed by servers, switches, transceivers, it (their sum), facility (it x PUE);
    columns ``power`` (MW), ``power_per_card`` (kW/card), ``energy_per_year`` (MWh: power x
    one year of 8,766 hours). NVLink switches are inside the systems' power.

    Examples
    --------
    >>> power = cluster_power(1016, "H100", pue=1.3)
    >>> round(float(power.loc["servers", "power"]), 3)       # 127 DGX H100 x 10.2 kW
    1.295
    >>> round(float(power.loc["facility", "energy_per_year"] / power.loc["facility", "power"]))  # hours a year
    8766
    """
    name = card_variant(card)
    ratio = share_of(pue, "pue", "pue")
    load = 1.0 if server_load is None else float(args.quantity_arg(server_load, "server_load",
                                                                     args.UTILIZATION).magnitude)
    if load > 1:
        raise InputRangeError("server_load", server_load, "a share of the servers' maximum power in (0, 100%]")
    network = cluster_network(cards, name, switch_radix, link_speed, tiers=tiers, oversubscription=oversubscription)
    servers, installed = network.attrs["servers"], network.attrs["cards"]
    server_kw = float(value_of(None, "card", "server_power", name).to("kW/server").magnitude)
    switch_w = float(value_of(None, "switch_radix", "switch_power", network.attrs["switch"]).to("W/switch").magnitude)
    module_w = float(value_of(None, "link_speed", "transceiver_power",
                              network.attrs["module_speed"]).to("W/module").magnitude)
    megawatts = {"servers": servers * server_kw * load / 1e3,
                 "switches": network.loc["total", "switches"] * switch_w / 1e6,
                 "transceivers": network.loc["total", "transceivers"] * module_w / 1e6}
    megawatts["it"] = sum(megawatts.values())
    megawatts["facility"] = megawatts["it"] * ratio
    hours = float(Q(1, "year").to("hour").magnitude)
    import pandas as pd  # late: the xlwings Lite bundle has no pandas; bad input fails first
    frame = pd.DataFrame({"power": megawatts})
    frame.index.name = "part"
    frame["power_per_card"] = frame["power"] * 1e3 / installed
    frame["energy_per_year"] = frame["power"] * hours
    frame.attrs.update({"units": POWER_UNITS, "cards": installed, "servers": servers, "pue": ratio,
                        "note": network.attrs["note"]})
    return frame
