"""The cards that serve a load, under each bound, per card type: :func:`serving_cards`.

The bounds are those of :mod:`flopsheet.formulas.serving.bounds` (compute, bandwidth,
capacity), here computed from a model (parameter count or shape), a load (calls per day
or tokens per second, prompt and answer tokens per call, busy hours, a latency target
per output token) and a list of catalogue cards. A card that cannot meet the target at
all (even one request per replica steps slower than the latency target) is a "cannot"
row with the reason, never a number.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pint

from ...units import AssumptionWarning, InputError, InputRangeError, Q
from .. import args
from ..rows import Rows
from .inference import HOURS_PER_DAY, _per_call_to_count, busy_call_rate
from .model import CONTEXT, ServedModel, served_model, whole_number
from .times import (DEFAULT_UTILIZATION, ServingCard, _widths, cost_per_million_tokens, serving_card)
from .bounds import (DEFAULT_EFFICIENCY, DEFAULT_MEMORY_UTILIZATION, SERVER_CARDS, bandwidth_bound_cards,
                             capacity_bound_cards, concurrency, fleet_cards, fraction_arg, latency_arg,
                             replica_cards, tensor_parallel_group)
from ..catalogues.peaks import throughput

if TYPE_CHECKING:
    import pandas as pd

#: The cards of the issue's comparison: Table 6's A10, the A100 of Table 5, the H100, the
#: China-market H20 (low FLOPS, high bandwidth) and the H200, all at bf16.
DEFAULT_CARDS: tuple[str, ...] = ("A10 bf16", "A100 bf16", "H100 bf16", "H20 bf16", "H200 bf16")
#: Default latency target per output token: 20 tokens/s per user, faster than people read
#: (an assumption; set your service's target).
DEFAULT_LATENCY = "50 ms/token"
#: Default tokens per call: Table 6's 1000 asked and 1000 answered (its printed 8.0e14
#: FLOP per call implies both).
DEFAULT_PROMPT_TOKENS = 1000
DEFAULT_ANSWER_TOKENS = 1000
TOKEN_RATE = args.ArgKind("token/s", "tokens per second (prompt plus answer)", "138889 tokens/s")
BOUNDS: tuple[str, ...] = ("compute", "bandwidth", "capacity")
#: What each column holds, in which unit (``frame.attrs["units"]``).
COLUMN_UNITS: dict[str, str] = {
    "replica_cards": "card", "compute_cards": "card", "bandwidth_cards": "card", "capacity_cards": "card",
    "cards": "card", "batch_per_replica": "", "ms_per_token": "ms/token", "prefill_s": "s",
    "tokens_per_s_per_card": "token/s/card", "cost_per_mtoken": "currency/Mtoken",
}
COLUMNS: list[str] = ["card", "replica_cards", "compute_cards", "bandwidth_cards", "capacity_cards", "binding", "cards",
                      "batch_per_replica", "ms_per_token", "prefill_s", "tokens_per_s_per_card", "cost_per_mtoken",
                      "note"]


@dataclass(frozen=True)
class Load:
    """A serving load as rates: calls per second, tokens per call, latency target."""

    call_rate: pint.Quantity
    prompt: pint.Quantity
    answer: pint.Quantity
    latency: pint.Quantity

    @property
    def output_rate(self) -> pint.Quantity:
        """Output (answer) tokens per second."""
        return (self.call_rate * self.answer / Q(1, "call")).to("token/s")

    @property
    def token_rate(self) -> pint.Quantity:
        """Prompt plus answer tokens per second."""
        return (self.call_rate * (self.prompt + self.answer) / Q(1, "call")).to("token/s")

    @property
    def full_context(self) -> pint.Quantity:
        """Tokens of a finished call (prompt plus answer)."""
        return self.prompt + self.answer

    @property
    def mean_context(self) -> pint.Quantity:
        """Mean tokens in the KV cache while the answer is decoded: prompt + (answer + 1) / 2."""
        return self.prompt + (self.answer + Q(1, "token")) / 2


def _tokens_per_call(value: Any, argument: str) -> pint.Quantity:
    """Read tokens per call ("1000", "1000 tokens", "1000 tokens/call")."""
    return args.quantity_arg(_per_call_to_count(value, "token"), argument, CONTEXT)


def _scalar(quantity: pint.Quantity, argument: str) -> pint.Quantity:
    """serving_cards sizes one load: refuse arrays."""
    if np.ndim(quantity.magnitude) != 0:
        raise InputError(argument, "a range of values", "one value (serving_cards sizes one load; loop for a sweep)")
    return quantity


def read_load(calls_per_day: Any, prompt_tokens: Any, answer_tokens: Any, busy_hours: Any, latency: Any,
              tokens_per_second: Any) -> Load:
    """Read a load given as calls per day (within busy hours) or as tokens per second."""
    prompt = _scalar(_tokens_per_call(prompt_tokens, "prompt_tokens"), "prompt_tokens")
    answer = _scalar(_tokens_per_call(answer_tokens, "answer_tokens"), "answer_tokens")
    if (calls_per_day is None) == (tokens_per_second is None):
        raise InputError("calls_per_day", calls_per_day, "either calls_per_day or tokens_per_second (one of them)")
    if calls_per_day is not None:
        rate = busy_call_rate(calls_per_day, busy_hours)
    else:
        tokens = args.quantity_arg(tokens_per_second, "tokens_per_second", TOKEN_RATE)
        rate = (tokens / (prompt + answer) * Q(1, "call")).to("call/s")
    return Load(_scalar(rate, "calls_per_day"), prompt, answer, _scalar(latency_arg(latency), "latency"))


def _references(cards: Any) -> list[str]:
    """Card references from one text, a list, or an Excel range (rows of cells); blanks skipped."""
    if isinstance(cards, str):
        return [cards]
    found: list[str] = []
    for item in cards if isinstance(cards, Iterable) else [cards]:
        if isinstance(item, (list, tuple)):
            found += _references(item)
        elif isinstance(item, str) and item.strip():
            found.append(item.strip())
        elif item is not None and not (isinstance(item, str)):
            raise InputError("cards", item, 'catalogue references with their precision, like "A100 bf16"')
    if not found:
        raise InputError("cards", cards, 'at least one catalogue reference, like "A100 bf16"')
    return found


@dataclass(frozen=True)
class _Settings:
    """The per-card assumptions of one serving_cards call."""

    utilization: Any
    efficiency: float
    memory_utilization: float
    precision: Any
    kv_precision: Any
    replica_cards: pint.Quantity | None
    max_replica_cards: pint.Quantity | None
    card_hour_price: Any


def _card_row(model: ServedModel, load: Load, reference: str, settings: _Settings) -> dict[str, Any]:
    """One row of serving_cards: the bounds for one card type, or why it cannot serve."""
    device = serving_card(reference, "cards")
    rate, _, _ = throughput(device.peak, settings.utilization)
    weight, cached = _widths(device.peak.precision, settings.precision, settings.kv_precision)
    held = (model.total_params * weight / Q(1, "parameter")).to("GB")
    read = (model.active_params * weight / Q(1, "parameter")).to("GB")
    kv_token = model.kv_per_token(cached)
    kv_full, kv_mean = (kv_token * load.full_context).to("GB"), (kv_token * load.mean_context).to("GB")
    compute = (load.call_rate * model.sequence_flops(load.full_context) / Q(1, "call") / rate).to("card")
    fewest = replica_cards(held, read, kv_full, device.memory, device.bandwidth, load.latency,
                           settings.memory_utilization, settings.efficiency)
    replica = tensor_parallel_group(fewest) if settings.replica_cards is None else settings.replica_cards
    row: dict[str, Any] = {"card": device.label, "replica_cards": replica.m, "compute_cards": compute.m}
    if settings.max_replica_cards is not None and replica.m > settings.max_replica_cards.m:
        error = InputRangeError("max_replica_cards", settings.max_replica_cards.m, f"at least {replica.m:g}")
        return {**row, **_cannot(device, load, held, read, kv_mean, settings.max_replica_cards, rate, settings, model,
                                 error)}
    try:
        capacity = capacity_bound_cards(load.output_rate, load.latency, held, kv_mean, replica, device.memory,
                                        settings.memory_utilization)
        bandwidth = bandwidth_bound_cards(load.output_rate, load.latency, read, kv_mean, replica, device.bandwidth,
                                          settings.efficiency)
    except InputRangeError as error:
        return {**row, **_cannot(device, load, held, read, kv_mean, replica, rate, settings, model, error)}
    cards = fleet_cards(compute, bandwidth, capacity, replica)
    bounds = dict(zip(BOUNDS, (compute.m, bandwidth.m, capacity.m)))
    batch = concurrency(load.output_rate, load.latency) / (cards.m / replica.m)
    step = _step_seconds(model, load, device, rate, read, kv_mean, batch, replica, settings.efficiency)
    per_card = (load.token_rate / cards).to("token/s/card")
    return {**row, "bandwidth_cards": bandwidth.m, "capacity_cards": capacity.m,
            "binding": max(bounds, key=bounds.__getitem__), "cards": cards.m, "batch_per_replica": batch,
            "ms_per_token": step * 1e3, "prefill_s": _prefill_seconds(model, load, rate, replica),
            "tokens_per_s_per_card": per_card.m, "cost_per_mtoken": _cost(settings.card_hour_price, per_card),
            "note": _note(device, replica, held)}


def _note(device: ServingCard, replica: pint.Quantity, held: pint.Quantity) -> str:
    """What a replica is, and whether it spans servers."""
    note = f"replica: {replica.m:g} {device.peak.card} holding {held.m:,.4g} GB of weights"
    if replica.m > SERVER_CARDS:
        note += f"; spans {replica.m / SERVER_CARDS:g} servers of {SERVER_CARDS} (tensor parallelism across servers)"
    return note


def _step_seconds(model: ServedModel, load: Load, device: ServingCard, rate: pint.Quantity, read: pint.Quantity,
                  kv_mean: pint.Quantity, batch: float, replica: pint.Quantity, efficiency: float) -> float:
    """Decode step time of a replica at ``batch`` requests of mean context (roofline maximum)."""
    memory_time = (read + kv_mean * batch) / (replica * device.bandwidth * efficiency)
    flops = batch * (model.flop_per_token + model.attention_flops(load.mean_context)) * Q(1, "token")
    return max(memory_time.to("s").m, (flops / (rate * replica)).to("s").m)


def _prefill_seconds(model: ServedModel, load: Load, rate: pint.Quantity, replica: pint.Quantity) -> float:
    """Time to first token of one prompt on one replica (compute-bound)."""
    return (model.sequence_flops(load.prompt) / (rate * replica)).to("s").m


def _cannot(device: ServingCard, load: Load, held: pint.Quantity, read: pint.Quantity, kv_mean: pint.Quantity,
            replica: pint.Quantity, rate: pint.Quantity, settings: _Settings, model: ServedModel,
            error: InputRangeError) -> dict[str, Any]:
    """The columns of a card that cannot serve the load, with the reason in words."""
    batch_one = max(((read + kv_mean) / (replica * device.bandwidth * settings.efficiency)).to("ms").m,
                    ((model.flop_per_token + model.attention_flops(load.mean_context)) * Q(1, "token")
                     / (rate * replica)).to("ms").m)
    target = load.latency.to("ms/token").m
    holds = held + kv_mean <= replica * device.memory * settings.memory_utilization
    if batch_one > target:
        reason = (f"cannot: one request alone steps in {batch_one:,.4g} ms on {replica.m:g} {device.peak.card}, "
                  f"slower than the {target:g} ms/token target; relax the target or allow more cards per replica")
    elif not holds:
        reason = (f"cannot: {replica.m:g} {device.peak.card} do not hold {held.m:,.4g} GB of weights and one "
                  "request's KV cache; allow more cards per replica")
    else:
        reason = f"cannot: {error}"
    return {"bandwidth_cards": np.nan, "capacity_cards": np.nan, "binding": "cannot", "cards": np.nan,
            "batch_per_replica": np.nan, "ms_per_token": batch_one, "prefill_s": np.nan,
            "tokens_per_s_per_card": np.nan, "cost_per_mtoken": np.nan, "note": reason}


def _frame(rows: list[dict[str, Any]]) -> Any:
    """A DataFrame of the rows; a :class:`Rows` table where pandas is not installed."""
    try:
        import pandas as pd
    except ModuleNotFoundError:
        return Rows(rows, list(COLUMNS), {})
    return pd.DataFrame(rows, columns=COLUMNS)


def _optional_cards(value: Any, argument: str) -> pint.Quantity | None:
    """Read an optional whole card count."""
    return None if value is None else Q(whole_number(value, argument), "card")


def _cost(price: Any, per_card: pint.Quantity) -> float:
    """Cost per million tokens at a card-hour price, or NaN without a price."""
    if price is None:
        return np.nan
    return float(cost_per_million_tokens(price, per_card).m)


def serving_cards(model: Any, calls_per_day: Any = None, prompt_tokens: Any = DEFAULT_PROMPT_TOKENS,
                  answer_tokens: Any = DEFAULT_ANSWER_TOKENS, busy_hours: Any = HOURS_PER_DAY,
                  latency: Any = DEFAULT_LATENCY, cards: Any = DEFAULT_CARDS,
                  utilization: Any = DEFAULT_UTILIZATION, efficiency: Any = DEFAULT_EFFICIENCY,
                  card_hour_price: Any = None, *, tokens_per_second: Any = None,
                  memory_utilization: Any = DEFAULT_MEMORY_UTILIZATION, precision: Any = None,
                  kv_precision: Any = None, replica_cards: Any = None, max_replica_cards: Any = None,
                  kv_bytes_per_token: Any = None) -> pd.DataFrame:
    """Return the cards a load needs under each bound (compute, bandwidth, capacity), per card type.

    For each card: the cards of one replica (weights plus one request's KV cache, read
    within the latency target, as a tensor-parallel group), the cards under each bound, the binding bound, and the fleet (the largest
    bound in whole replicas) with its batch per replica, time per output token, time to
    first token, billed tokens per second per card and cost per million tokens.

    Parameters
    ----------
    model : parameter count or model shape
        A bare count needs ``kv_bytes_per_token`` (its KV cache is otherwise unknown).
    calls_per_day : quantity, number or text
        Calls a day (bare numbers in calls/day), served within ``busy_hours``. Give this
        or ``tokens_per_second``.
    prompt_tokens, answer_tokens : default 1000 and 1000
        Tokens asked and answered per call (Table 6's 2000 per call).
    busy_hours : default 24
        Hours a day the calls are spread over, in (0, 24].
    latency : default "50 ms/token"
        Target time per output token (bare numbers in ms/token).
    cards : default A10, A100, H100, H20, H200 at bf16
        Catalogue references with their precision, one or a list.
    utilization : default 0.5
        Share of the peak compute achieved (prefill and decode).
    efficiency : default 0.6
        Share of the peak memory bandwidth achieved while decoding (MBU).
    card_hour_price : optional
        Price of a card-hour ("2 USD/card/hour", "15 元/card_hour") for the cost column.
    tokens_per_second : optional
        The load as prompt-plus-answer tokens per second at the busy time, instead of
        ``calls_per_day`` (``busy_hours`` is then not used).
    memory_utilization : default 0.9
        Share of card memory for weights and KV cache (vLLM's default).
    precision, kv_precision : default the card's precision
        Stored precision of weights and of the KV cache.
    replica_cards : optional
        Cards per replica. Default: the fewest that hold the weights and one request
        and step it within ``latency`` (:func:`replica_cards`), rounded up to a
        tensor-parallel group of 1, 2, 4 or 8 cards or to whole 8-card servers
        (:func:`tensor_parallel_group`). A larger replica amortises its weight reads and
        leaves more room for KV cache; too few is a "cannot" row.
    max_replica_cards : optional
        The most cards one replica may span (8: one HGX server's NVLink domain); a card
        type that needs more is a "cannot" row. None: no limit (ideal tensor
        parallelism across servers, as the bounds assume).
    kv_bytes_per_token : optional
        KV-cache bytes per token for a bare parameter count.

    Returns
    -------
    pandas.DataFrame
        One row per card: card, replica_cards, compute_cards, bandwidth_cards,
        capacity_cards, binding ("compute", "bandwidth", "capacity" or "cannot"), cards
        (the fleet, whole replicas), batch_per_replica, ms_per_token, prefill_s,
        tokens_per_s_per_card, cost_per_mtoken, note. ``attrs["units"]`` gives each
        column's unit, ``attrs["load"]`` the load as rates, ``attrs["warnings"]`` the
        assumption notes. A "cannot" row has NaN counts and says why in ``note``.

    Examples
    --------
    >>> frame = serving_cards("2000亿", "300万", busy_hours=12, cards="A10 fp16", utilization=0.3,
    ...                       kv_bytes_per_token="393216 B/token")
    >>> float(round(frame.loc[0, "compute_cards"], 2))
    1481.48
    >>> str(frame.loc[0, "binding"]), float(frame.loc[0, "cards"])
    ('bandwidth', 1560.0)
    """
    read = served_model(model, kv_bytes_per_token)
    load = read_load(calls_per_day, prompt_tokens, answer_tokens, busy_hours, latency, tokens_per_second)
    read.check_context(load.full_context, "prompt_tokens")
    settings = _Settings(utilization, fraction_arg(efficiency, "efficiency"),
                         fraction_arg(memory_utilization, "memory_utilization"), precision, kv_precision,
                         _optional_cards(replica_cards, "replica_cards"),
                         _optional_cards(max_replica_cards, "max_replica_cards"), card_hour_price)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = [_card_row(read, load, reference, settings) for reference in _references(cards)]
    frame = _frame(rows)
    frame.attrs["units"] = dict(COLUMN_UNITS)
    frame.attrs["load"] = {"calls_per_s": load.call_rate.to("call/s").m, "output_tokens_per_s": load.output_rate.m,
                           "tokens_per_s": load.token_rate.m,
                           "concurrent_requests": concurrency(load.output_rate, load.latency)}
    frame.attrs["warnings"] = [str(w.message) for w in caught if issubclass(w.category, AssumptionWarning)]
    return frame
