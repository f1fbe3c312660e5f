"""Cost per card-hour, per training run and per token: :func:`card_hour_cost`,
:func:`training_cost`, :func:`token_cost`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pint

from ...units import InputRangeError, Q, UnitInputError
from .. import args
from ..magnitudes import checked, checked_positive, finite
from .money import currency_of, money_per, share_of, value_of

if TYPE_CHECKING:
    import pandas as pd

CARD_HOURS = args.ArgKind("card_hour", "accelerator time in card-hours", "2.788e6 card_hour")
POWER_PER_CARD = args.ArgKind("kW/card", "power per card (IT: server and network share)", "1.42 kW/card")
CAPEX_PER_CARD = args.ArgKind("USD/card", "capex per card", "63000 USD/card")
THROUGHPUT = args.ArgKind("token/s/card", "tokens per second per card", "1500 token/s/card")
#: Seconds in an hour (a card-hour price over tokens per second).
SECONDS_PER_HOUR = 3600.0
#: Hours in pint's year (365.25 days).
HOURS_PER_YEAR = float(Q(1, "year").to("hour").magnitude)
#: Default cost of a cached input token relative to a fresh one (reading its KV cache
#: instead of recomputing the prefill): DeepSeek's API prices a cache hit at about a
#: quarter of a miss (USD 0.14 vs 0.55 per M for R1, 2025-01), an assumption here.
CACHED_INPUT_COST = 0.25


def _money_per(value: Any, argument: str, kind: args.ArgKind, unit: str) -> pint.Quantity:
    """A quantity of currency per ``unit`` in USD or CNY, checked."""
    given, quantity, _ = money_per(value, argument, kind, unit, f"money per {unit}")
    args.require_positive(quantity, argument, given)
    return quantity


@checked
def card_hour_cost(capex_per_card: Any, power_per_card: Any, depreciation_life: Any = None,
                   cost_of_capital: Any = None, electricity_price: Any = None, pue: Any = None,
                   utilization: Any = 1.0, operations_share: Any = None, rental_price: Any = None) -> pd.DataFrame:
    """Total cost of ownership per card-hour, and against a rental price the rental margin.

    Parameters
    ----------
    capex_per_card : all-in capex per card (``cluster_capex(...).loc["total", "per_card"]``), USD/card.
    power_per_card : IT power per card, kW/card (``cluster_power(...).loc["it", "power_per_card"]``).
    depreciation_life : years the capex is written off over (default the catalogue's, 5 years).
    cost_of_capital : a year, on the capex (annuity; default 8%/year).
    electricity_price : per kWh (default 0.081 USD/kWh).
    pue : facility / IT power (default 1.3).
    utilization : share of hours sold or used; the cost of each used hour is divided by it.
    operations_share : a year, of capex (staff, maintenance; default 4%/year).
    rental_price : per card-hour (``USD/card_hour``): adds profit and both margins.

    Returns
    -------
    DataFrame with one column ``cost`` (currency/card_hour) indexed by depreciation,
    cost_of_capital, electricity, operations, total; with a rental price also
    rental_price, profit (currency/card_hour), margin_on_revenue and profit_over_cost
    (fractions). ``attrs["units"]`` gives each row's unit.

    Examples
    --------
    >>> cost = card_hour_cost("40000 USD/card", "1.4 kW/card", depreciation_life="5 years",
    ...                       cost_of_capital=0, electricity_price="0.1 USD/kWh", pue=1.25,
    ...                       operations_share=0, rental_price="2 USD/card_hour")
    >>> round(float(cost.loc["depreciation", "cost"]), 4), round(float(cost.loc["electricity", "cost"]), 4)
    (0.9126, 0.175)
    >>> round(float(cost.loc["profit_over_cost", "cost"]), 3)      # 2 / (0.9126 + 0.175) - 1
    0.839
    """
    capex = _money_per(capex_per_card, "capex_per_card", CAPEX_PER_CARD, "card")
    money = currency_of(capex)
    power = args.quantity_arg(power_per_card, "power_per_card", POWER_PER_CARD)
    life = value_of(depreciation_life, "depreciation_life", "depreciation_life")
    rate = float(value_of(cost_of_capital, "cost_of_capital", "cost_of_capital").to("1/year").magnitude) \
        if cost_of_capital is None or not _is_zero(cost_of_capital) else 0.0
    electricity = value_of(electricity_price, "electricity_price", "electricity_price", "default", money)
    ratio = share_of(pue, "pue", "pue")
    used = 1.0 if utilization is None else float(args.quantity_arg(utilization, "utilization",
                                                                     args.UTILIZATION).magnitude)
    if used > 1:
        raise InputRangeError("utilization", utilization, "a share of hours in (0, 100%]")
    operations = 0.0 if operations_share is not None and _is_zero(operations_share) else float(
        value_of(operations_share, "operations_share", "operations_share").to("1/year").magnitude)
    years = float(life.to("year").magnitude)
    capital = float(capex.to(f"{money}/card").magnitude)
    annuity = capital * rate / (1 - (1 + rate) ** -years) if rate > 0 else capital / years
    per_hour = {"depreciation": capital / years / HOURS_PER_YEAR,
                "cost_of_capital": (annuity - capital / years) / HOURS_PER_YEAR,
                "electricity": float((power * Q(1, "card") * ratio * electricity).to(f"{money}/hour").magnitude),
                "operations": capital * operations / HOURS_PER_YEAR}
    per_hour = {name: value / used for name, value in per_hour.items()}
    per_hour["total"] = finite(sum(per_hour.values()), f"{money}/card_hour", capex_per_card=capital,
                               power_per_card=float(power.magnitude), electricity_price=float(electricity.magnitude),
                               depreciation_life=years)
    units = dict.fromkeys(per_hour, f"{money}/card_hour")
    if rental_price is not None:
        rental = value_of(rental_price, "rental_price", "rental_price", "default", money)
        revenue = float(rental.to(f"{money}/card_hour").magnitude)
        profit = revenue - per_hour["total"]
        per_hour.update({"rental_price": revenue, "profit": profit, "margin_on_revenue": profit / revenue,
                         "profit_over_cost": profit / per_hour["total"]})
        units.update({"rental_price": f"{money}/card_hour", "profit": f"{money}/card_hour",
                      "margin_on_revenue": "", "profit_over_cost": ""})
    import pandas as pd  # late: the xlwings Lite bundle has no pandas; bad input fails first
    frame = pd.DataFrame({"cost": per_hour})
    frame.index.name = "item"
    frame.attrs.update({"units": units, "currency": money})
    return frame


def _is_zero(value: Any) -> bool:
    """True for a plain zero (0, "0", 0.0): 'no such cost'."""
    try:
        return float(value) == 0.0
    except (TypeError, ValueError):
        return False


@checked
def training_cost(card_hours: Any, card_hour_price: Any, duration: Any = None) -> pint.Quantity:
    """Cost of a training run: card-hours x price per card-hour (or cards x duration x price).

    Parameters
    ----------
    card_hours : accelerator time (``card_hour``); or a card count when ``duration`` is given.
    card_hour_price : rental price or TCO per card-hour (``USD/card_hour``).
    duration : wall-clock time, when ``card_hours`` is a card count.

    Examples
    --------
    >>> training_cost("2.788e6 card_hour", "2 USD/card_hour").to("USD")   # DeepSeek-V3
    <Quantity(5576000.0, 'USD')>
    >>> round(training_cost(2048, "2 USD/card_hour", duration="56.7 days").m)   # 2048 H800 for 56.7 days
    5573837
    """
    price = _money_per(card_hour_price, "card_hour_price", args.ArgKind("USD/card_hour", "a price per card-hour",
                                                                        "2 USD/card_hour"), "card_hour")
    if duration is None:
        time = args.quantity_arg(card_hours, "card_hours", CARD_HOURS)
    else:
        time = args.quantity_arg(card_hours, "card_hours", args.CARDS) * args.quantity_arg(duration, "duration",
                                                                                           args.DURATION)
    money = currency_of(price)
    cost = (time * price).to(money)
    finite(cost.magnitude, money, card_hours=time.magnitude, card_hour_price=price.magnitude)
    return cost


@checked_positive("tokens", "output", "input", "cached_input")
def token_cost(tokens_per_second: Any, card_hour_price: Any, input_tokens_per_second: Any = None,
               cached_input_cost: Any = CACHED_INPUT_COST, output_share: Any = None) -> pd.DataFrame:
    """Cost per million tokens (output, input, cached input) from throughput per card and a card-hour cost.

    Parameters
    ----------
    tokens_per_second : tokens per second per card, either
        - a number, quantity (``token/s/card``) or range: the output (decode) rate; or
        - a serving plan: a DataFrame or one row with a ``tokens_per_s_per_card`` column, as
          ``serving_plans`` and ``serving_cards`` return. Their rate counts prompt plus answer
          tokens; rows the plan marks infeasible (no rate) give empty results.
    card_hour_price : cost or price of a card-hour (``USD/card_hour``): ``card_hour_cost``'s total.
    input_tokens_per_second : prompt (prefill) tokens per second per card. Default: the output
        rate for a number, the plan's prompt-plus-answer rate for a plan.
    cached_input_cost : a cached input token's cost as a share of a fresh one (default 25%).
    output_share : with a plan, the answer tokens' share of prompt plus answer (answer /
        (prompt + answer)); then ``output`` puts the whole card-hour on the output tokens.

    Returns
    -------
    DataFrame, one row per throughput (the plan's index), in currency per million tokens:
    ``tokens`` (per million of the tokens the rate counts: output for a number, prompt plus
    answer for a plan), ``output``, ``input``, ``cached_input``.

    Examples
    --------
    >>> cost = token_cost("1000 token/s/card", "2 USD/card_hour", input_tokens_per_second=10000)
    >>> [round(float(cost.loc[0, column]), 4) for column in ("output", "input", "cached_input")]
    [0.5556, 0.0556, 0.0139]
    """
    price = _money_per(card_hour_price, "card_hour_price", args.ArgKind("USD/card_hour", "a price per card-hour",
                                                                        "2 USD/card_hour"), "card_hour")
    money = currency_of(price)
    per_hour = float(price.to(f"{money}/card_hour").magnitude)
    index, plan = None, _plan_rates(tokens_per_second)
    if plan is not None:
        rates, index = plan
        given = rates[np.isfinite(rates)]
        if not given.size or np.any(given <= 0):
            raise InputRangeError("tokens_per_second", "a plan without a positive tokens_per_s_per_card",
                                  "a plan with at least one feasible row")
    else:
        rates = np.atleast_1d(np.asarray(args.quantity_arg(tokens_per_second, "tokens_per_second",
                                                           THROUGHPUT).to("token/s/card").magnitude, dtype=float))
    if input_tokens_per_second is None:
        prompt = rates
    else:
        prompt = np.atleast_1d(np.asarray(args.quantity_arg(input_tokens_per_second, "input_tokens_per_second",
                                                            THROUGHPUT).to("token/s/card").magnitude, dtype=float))
    share = CACHED_INPUT_COST if cached_input_cost is None else float(
        args.quantity_arg(cached_input_cost, "cached_input_cost", args.UTILIZATION, positive=False).magnitude)
    if not 0 <= share <= 1:
        raise InputRangeError("cached_input_cost", cached_input_cost, "a share from 0 to 100% of a fresh input token")
    answered = 1.0
    if plan is not None:
        answered = np.nan
        if output_share is not None:
            answered = float(args.quantity_arg(output_share, "output_share", args.UTILIZATION).magnitude)
            if answered > 1:
                raise InputRangeError("output_share", output_share, "a share in (0, 100%]")
    per_million = lambda rate: per_hour / (rate * SECONDS_PER_HOUR) * 1e6
    tokens, inp = np.broadcast_arrays(per_million(rates), per_million(prompt))
    import pandas as pd  # late: the xlwings Lite bundle has no pandas; bad input fails first
    frame = pd.DataFrame({"tokens": tokens, "output": per_million(rates * answered) + 0 * tokens, "input": inp,
                          "cached_input": inp * share})
    if index is not None and len(index) == len(frame):
        frame.index = index
    frame.attrs.update({"units": dict.fromkeys(frame.columns, f"{money}/Mtoken"), "currency": money,
                        "counts": "prompt plus answer tokens (a serving plan)" if plan is not None else
                        "output tokens"})
    return frame


def _plan_rates(value: Any) -> tuple[np.ndarray, Any] | None:
    """A serving plan's tokens per second per card (NaN where infeasible) and its index, or None."""
    column = "tokens_per_s_per_card"
    if hasattr(value, "columns"):
        if column not in value.columns:
            raise UnitInputError("tokens_per_second", "a table without tokens_per_s_per_card",
                                 "a serving plan with a tokens_per_s_per_card column, or tokens/s per card")
        return np.asarray(value[column], dtype=float), value.index
    if hasattr(value, "index") and not isinstance(value, (str, np.ndarray)) and column in getattr(value, "index", []):
        return np.atleast_1d(np.asarray(value[column], dtype=float)), None
    return None
