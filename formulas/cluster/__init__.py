"""Cluster economics (issue 26): card count -> fabric -> optics -> MW -> capex -> $/card-hour -> $/M tokens -> margin.

network.py (the scale-out fabric), power.py, capex.py, cost.py (card-hour, training,
token), margin.py (serving margin), prices.py (the price and power catalogue) and
money.py (reading prices with their basis and currency).
"""

from .capex import capex_cards, cluster_capex
from .cost import card_hour_cost, token_cost, training_cost
from .margin import serving_margin
from .network import cluster_network, optics_per_card
from .power import cluster_power
from .ratios import fabric_optics_per_card, fabric_switches_per_card, fabric_tiers
from ..catalogues.prices import PriceItem, load_prices, price, price_catalogue, unload_prices

__all__ = ["PriceItem", "capex_cards", "card_hour_cost", "cluster_capex", "cluster_network", "cluster_power", "fabric_optics_per_card", "fabric_switches_per_card", "fabric_tiers",
           "load_prices", "optics_per_card", "price", "price_catalogue", "serving_margin", "token_cost",
           "training_cost", "unload_prices"]
