"""Inference compute: FLOP per call and the cards that serve a daily call volume."""

from __future__ import annotations

from typing import Any

import numpy as np
import pint

from ...units import InputRangeError, Q, UnitInputError
from .. import args
from .. import magnitudes as fast
from ..catalogues.peaks import warn_inconsistent

#: Inference FLOP per parameter per token: one multiply and one add (forward pass only).
INFER_FLOP_PER_PARAM_TOKEN = 2
#: Hours in a day: demand spread evenly over the whole day.
HOURS_PER_DAY = 24

# The units of each formula's plain-number arithmetic (the arguments' default units).
_CARDS_UNITS = f"({args.FLOP_PER_CALL.unit})*({args.CALL_RATE.unit})*day/(({args.PEAK.unit})*{args.BUSY_HOURS.unit})"


@fast.guarded
def infer_flops(params: Any, tokens: Any, flop_per_param_token: Any = INFER_FLOP_PER_PARAM_TOKEN) -> pint.Quantity:
    """Return the compute of one inference call: ``2 * params * tokens``.

    Parameters
    ----------
    params : quantity, number or text
        Parameter count (active parameters for MoE); bare numbers in parameters.
    tokens : quantity, number or text
        Tokens processed in the call, prompt plus answer; bare numbers in tokens.
    flop_per_param_token : default 2
        FLOP per parameter per token.

    Returns
    -------
    pint.Quantity
        FLOP (per call).

    Examples
    --------
    >>> infer_flops("2000亿", 2000)
    <Quantity(8e+14, 'FLOP')>
    """
    return fast.param_token_flops(params, _per_call_to_count(tokens, "token"), flop_per_param_token)


def _per_call_to_count(value: Any, unit: str, argument: str = "tokens") -> Any:
    """Read "2000 tokens/call" as 2000 tokens (one call); leave anything else alone."""
    if isinstance(value, (str, pint.Quantity)):
        quantity = Q(value, unit, argument=argument)
        if quantity.dimensionality == args.dimensionality_of(f"{unit}/call"):
            return quantity * Q(1, "call")
    return value


@fast.guarded
def infer_cards(flops_per_call: Any, calls_per_day: Any, peak: Any, utilization: Any,
                busy_hours: Any = HOURS_PER_DAY) -> pint.Quantity:
    """Return the cards that serve a day's calls within its busy hours.

    ``cards = flops_per_call * calls_per_day * 1 day / (peak * utilization * busy_hours)``.

    Parameters
    ----------
    flops_per_call : quantity, number or text
        Compute per call; bare numbers in FLOP (per call).
    calls_per_day : quantity, number or text
        Calls a day (DAU x calls per user per day); bare numbers in calls/day.
    peak, utilization
        As in :func:`flopsheet.train_cards`.
    busy_hours : default 24
        Hours a day over which the day's demand is spread (hour), in (0, 24].

    Returns
    -------
    pint.Quantity
        card.

    Examples
    --------
    >>> round(infer_cards("8e14 FLOP", "300万", "A10 fp16", "30%", busy_hours=12).m, 2)
    1481.48
    """
    per_call = fast.magnitude(_count_to_per_call(flops_per_call), "flops_per_call", args.FLOP_PER_CALL)
    calls = fast.magnitude(calls_per_day, "calls_per_day", args.CALL_RATE)
    rate, factor, message = fast.effective_rate(peak, utilization)
    if np.any(fast.magnitude(busy_hours, "busy_hours", args.BUSY_HOURS) > HOURS_PER_DAY):
        hours = args.quantity_arg(busy_hours, "busy_hours", args.BUSY_HOURS)
        raise InputRangeError("busy_hours", args.shown(hours.max()), f"at most {HOURS_PER_DAY} hours a day")
    hours = fast.magnitude(busy_hours, "busy_hours", args.BUSY_HOURS)
    fast.same_shape(flops_per_call=per_call, calls_per_day=calls, peak_and_utilization=rate, busy_hours=hours)
    scale = fast.conversion(_CARDS_UNITS, "card")
    cards = fast.result(per_call * calls / (hours * (rate / scale)), "card", flops_per_call=per_call,
                        calls_per_day=calls, peak=rate, busy_hours=hours)
    warn_inconsistent(cards, factor, message, "cards")
    return cards


def _count_to_per_call(value: Any) -> Any:
    """Read a plain FLOP count ("8e14 FLOP", 8e14) as FLOP per call."""
    if type(value) in (float, int, np.ndarray):
        return value  # bare numbers are FLOP per call already
    quantity = Q(value, "FLOP", argument="flops_per_call")
    if quantity.dimensionality == args.dimensionality_of("FLOP"):
        return quantity / Q(1, "call")
    if isinstance(value, str) and quantity.dimensionality != args.dimensionality_of("FLOP/call"):
        raise UnitInputError("flops_per_call", value, args.FLOP_PER_CALL.expected)
    return quantity


def busy_call_rate(calls_per_day: Any, busy_hours: Any = HOURS_PER_DAY) -> pint.Quantity:
    """Return the call rate while a day's calls are served within ``busy_hours``.

    ``calls_per_day * 1 day / busy_hours``.

    Examples
    --------
    >>> round(busy_call_rate("300万", 12).to("call/s").m, 2)
    69.44
    """
    calls = args.quantity_arg(calls_per_day, "calls_per_day", args.CALL_RATE)
    hours = busy_hours_arg(busy_hours)
    # in the kinds' units (call/day and hour): one multiplication, where pint would build two quantities
    per_second = fast.conversion(f"{args.CALL_RATE.unit}*day/{args.BUSY_HOURS.unit}", "call/s")
    return Q(calls.magnitude / hours.magnitude * per_second, "call/s")


def busy_hours_arg(busy_hours: Any) -> pint.Quantity:
    """Read busy hours a day, in (0, 24]."""
    hours = args.quantity_arg(busy_hours, "busy_hours", args.BUSY_HOURS)
    if np.any(hours.to("hour").magnitude > HOURS_PER_DAY):
        raise InputRangeError("busy_hours", args.shown(hours), f"at most {HOURS_PER_DAY} hours a day")
    return hours
