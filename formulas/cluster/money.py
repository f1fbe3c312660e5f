"""Reading prices and shares: the catalogue's value unless the caller gives one, checked.

A price carries its basis: ``server_price`` must be per server, ``rental_price`` per
card-hour, ``electricity_price`` per kWh... A price per the wrong thing (per card where
per server is meant, per year where per hour is) or in a second currency is an error
naming the argument, never a silent number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pint

from ...units import InputRangeError, Q, UnitInputError
from .. import args
from ..catalogues.prices import CURRENCIES, KINDS, dimension_matches, price

#: An example of each kind, for messages.
EXAMPLES: dict[str, str] = {
    "server_price": "300000 USD/server", "switch_price": "36000 USD/switch", "transceiver_price": "1100 USD/module",
    "cable_price": "60 USD/cable", "facility_price": "11000000 USD/MW", "electricity_price": "0.081 USD/kWh",
    "rental_price": "2 USD/card_hour", "server_power": "10.2 kW/server", "switch_power": "747 W/switch",
    "transceiver_power": "16 W/module", "depreciation_life": "5 years", "cost_of_capital": "8 percent/year",
    "operations_share": "4 percent/year", "pue": "1.3", "storage_share": "3%",
}


def currency_of(quantity: pint.Quantity) -> str | None:
    """The currency a quantity is in ("USD", "CNY"), or None."""
    dimensions = quantity.dimensionality
    for money in CURRENCIES:
        if dimensions.get(f"[currency_{money}]", 0):
            return money
    return None


def money_per(value: Any, argument: str, kind: args.ArgKind, per: str, note: str, unit: str | None = None
              ) -> tuple[Any, pint.Quantity, str]:
    """Read an amount of money per ``per`` (USD or CNY); return what was given, the quantity and its currency.

    A bare number takes ``unit`` (default ``kind.unit``); a quantity in another
    dimension is refused with ``kind.expected`` and ``note`` in the message. The sign
    is the caller's to check.
    """
    given = args.plain_values(value, argument)
    try:
        quantity = Q(given, unit or kind.unit, argument=argument)
    except UnitInputError as error:
        raise args.reshaped(error, kind) from None
    money = currency_of(quantity)
    if money is None or quantity.dimensionality != Q(1, f"{money}/{per}").dimensionality:
        raise UnitInputError(argument, given if isinstance(given, str) else args.shown(quantity),
                             f"{kind.expected} ({note})")
    return given, quantity, money


def value_of(given: Any, argument: str, kind: str, variant: str = "default",
             currency: str | None = None) -> pint.Quantity:
    """The caller's value of ``kind`` (checked), or the catalogue's for ``variant``.

    Raises
    ------
    UnitInputError
        Not a quantity of the kind's dimension (per server vs per card, per hour vs per
        year...), or in another currency than ``currency``.
    """
    unit = KINDS[kind]
    if given is None:
        quantity = price(kind, variant, argument).value
    else:
        given = args.plain_values(given, argument)
        default = unit.replace("currency", currency or "USD")
        try:
            quantity = Q(given, default, argument=argument)
        except UnitInputError as error:
            raise UnitInputError(argument, given, f'{unit} (e.g. "{EXAMPLES.get(kind, unit)}")', error.detail) from None
        if not dimension_matches(quantity, unit):
            raise UnitInputError(argument, args.shown(given) if not isinstance(given, str) else given,
                                 f'{unit.replace("currency", "a currency")} (e.g. "{EXAMPLES.get(kind, unit)}")',
                                 "the right quantity per the wrong thing (per card vs per server, per hour vs "
                                 "per year, power vs energy) is refused")
        args.require_positive(quantity, argument, given)
    money = currency_of(quantity)
    if currency is not None and money is not None and money != currency:
        raise UnitInputError(argument, args.shown(quantity), f"a price in {currency} like the others",
                             "USD and CNY are separate; convert with an explicit exchange rate")
    return quantity


def share_of(given: Any, argument: str, kind: str, highest: float = 1.0) -> float:
    """A share or ratio (PUE, storage share): the caller's or the catalogue's, checked."""
    quantity = value_of(given, argument, kind)
    number = float(np.asarray(quantity.to("dimensionless").magnitude))
    if kind == "pue" and number < 1:
        raise InputRangeError(argument, given, "1 or more (facility power / IT power)")
    if kind != "pue" and not 0 <= number <= highest:
        raise InputRangeError(argument, given, f"a share from 0 to {highest:g}")
    return number


def card_variant(card: str) -> str:
    """The catalogue name of a card, the variant of its server and rental prices."""
    from ..catalogues.cards import find_card

    return find_card(card, "card").name


__all__ = ["EXAMPLES", "currency_of", "value_of", "share_of", "card_variant"]
