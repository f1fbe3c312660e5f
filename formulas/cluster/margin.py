"""Serving revenue, cost and margin, named both ways: :func:`serving_margin`.

``margin_on_revenue`` = profit / revenue; ``profit_over_cost`` = profit / cost (DeepSeek's
"cost profit margin 545%" is the second). Never a bare "margin".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pint

from ...units import InputRangeError, Q, UnitInputError
from .. import args
from ..magnitudes import checked, checked_positive, finite
from .money import currency_of, money_per

if TYPE_CHECKING:
    import pandas as pd

TOKENS = args.ArgKind("token", "tokens (a count, or a rate such as tokens/day)", "608e9 token")
TOKEN_PRICE = args.ArgKind("USD/Mtoken", "a price per million tokens", "0.55 USD/Mtoken")
MARGIN_COLUMNS: tuple[str, ...] = ("revenue", "cost", "profit", "margin_on_revenue", "profit_over_cost")


def _tokens(value: Any, argument: str) -> pint.Quantity:
    """A token count or rate (tokens, tokens/day...)."""
    given = args.plain_values(value, argument)
    try:
        quantity = Q(given, "token", argument=argument)
    except UnitInputError as error:
        raise args.reshaped(error, TOKENS) from None
    if quantity.dimensionality.get("[token]", 0) != 1 or any(
            key not in ("[token]", "[time]") for key in quantity.dimensionality):
        raise UnitInputError(argument, given if isinstance(given, str) else args.shown(quantity), TOKENS.expected)
    args.require_positive(quantity, argument, given) if argument != "input_tokens" else None
    if np.any(np.asarray(quantity.magnitude) < 0):
        raise InputRangeError(argument, given, "0 or more")
    return quantity


def _token_price(value: Any, argument: str, currency: str | None) -> pint.Quantity:
    given, quantity, money = money_per(value, argument, TOKEN_PRICE, "token",
                                       "money per token, not per card-hour or per call", f"{currency or 'USD'}/Mtoken")
    if currency is not None and money != currency:
        raise UnitInputError(argument, args.shown(quantity), f"a price in {currency} like the others",
                             "USD and CNY are separate; convert with an explicit exchange rate")
    if np.any(np.asarray(quantity.magnitude) < 0):
        raise InputRangeError(argument, given, "0 or more")
    return quantity


@checked_positive("revenue", "cost")
def serving_margin(input_tokens: Any, output_tokens: Any, input_price: Any, output_price: Any, fleet_cost: Any,
                   cache_hit_share: Any = 0, cached_input_price: Any = None) -> pd.DataFrame:
    """Revenue, cost, profit and both margins of serving token volumes at list prices.

    Parameters
    ----------
    input_tokens : input (prompt) tokens in the period, cache hits included (``608e9 token``).
    output_tokens : output tokens in the same period.
    input_price : per million input tokens on a cache miss (``0.55 USD/Mtoken``).
    output_price : per million output tokens.
    fleet_cost : what the serving fleet costs over the same period (``87072 USD``); token
        volumes per day (``token/day``) take a cost per day (``USD/day``).
    cache_hit_share : share of input tokens that hit the context cache, in [0, 1].
    cached_input_price : per million cache-hit input tokens (default: input_price).

    Returns
    -------
    DataFrame (one row per scenario) with columns revenue, cost, profit (currency, or
    currency per period), margin_on_revenue = profit / revenue and profit_over_cost =
    profit / cost (fractions).

    Examples
    --------
    >>> day = serving_margin("608e9 token", "168e9 token", "0.55 USD/Mtoken", "2.19 USD/Mtoken",
    ...                      "87072 USD", cache_hit_share=342 / 608, cached_input_price="0.14 USD/Mtoken")
    >>> round(float(day.loc[0, "revenue"])), round(float(day.loc[0, "profit_over_cost"]), 2)   # DeepSeek, 2025-03-01
    (562100, 5.46)
    """
    fresh = _tokens(input_tokens, "input_tokens")
    answered = _tokens(output_tokens, "output_tokens")
    if fresh.dimensionality != answered.dimensionality:
        raise UnitInputError("output_tokens", args.shown(answered), f"tokens over the same period as input_tokens "
                             f"({args.shown(fresh)})")
    price_in = _token_price(input_price, "input_price", None)
    money = currency_of(price_in)
    price_out = _token_price(output_price, "output_price", money)
    price_cached = price_in if cached_input_price is None else _token_price(cached_input_price, "cached_input_price",
                                                                            money)
    hits = float(args.quantity_arg(cache_hit_share, "cache_hit_share", args.UTILIZATION, positive=False).magnitude)
    if not 0 <= hits <= 1:
        raise InputRangeError("cache_hit_share", cache_hit_share, "a share from 0 to 100%")
    target = (Q(1, money) * Q(1, str(fresh.units)) / Q(1, "token")).units
    revenue = (fresh * (1 - hits) * price_in + fresh * hits * price_cached + answered * price_out).to(target)
    given = args.plain_values(fleet_cost, "fleet_cost")
    try:
        cost = Q(given, str(revenue.units), argument="fleet_cost")
    except UnitInputError as error:
        raise UnitInputError("fleet_cost", given, f"money over the same period as the tokens ({revenue.units:~})",
                             error.detail) from None
    if cost.dimensionality != revenue.dimensionality:
        raise UnitInputError("fleet_cost", given if isinstance(given, str) else args.shown(cost),
                             f"money in {money} over the same period as the tokens (as {revenue.units:~})")
    args.require_positive(cost, "fleet_cost", given)
    revenue_value = np.atleast_1d(np.asarray(revenue.to(revenue.units).magnitude, dtype=float))
    cost_value = np.atleast_1d(np.asarray(cost.to(revenue.units).magnitude, dtype=float))
    revenue_value, cost_value = np.broadcast_arrays(revenue_value, cost_value)
    finite(revenue_value, str(revenue.units), input_tokens=fresh.magnitude, output_tokens=answered.magnitude,
           input_price=price_in.magnitude, output_price=price_out.magnitude)
    finite(cost_value, str(revenue.units), fleet_cost=cost.magnitude)
    profit = revenue_value - cost_value
    with np.errstate(divide="ignore", invalid="ignore"):
        on_revenue = np.where(revenue_value > 0, profit / np.where(revenue_value > 0, revenue_value, 1), np.nan)
    import pandas as pd  # late: the xlwings Lite bundle has no pandas; bad input fails first
    frame = pd.DataFrame({"revenue": revenue_value, "cost": cost_value, "profit": profit,
                          "margin_on_revenue": on_revenue, "profit_over_cost": profit / cost_value})
    unit = f"{revenue.units:~}"
    frame.attrs.update({"units": {"revenue": unit, "cost": unit, "profit": unit, "margin_on_revenue": "",
                                  "profit_over_cost": ""}, "currency": money})
    return frame
