"""Serving beyond FLOPs: prefill and decode times, throughput and cost per card, the fleet.

Table 6 of seed 001 sizes an inference fleet by FLOP alone. Serving a large model is
also bound by memory capacity (weights plus KV cache) and, while decoding, by memory
bandwidth: every decode step reads the active weights once and each request's KV cache.
The functions here take ``model`` as a parameter count or a model shape and ``card`` as
a catalogue reference with its precision (``"A100 bf16"``): the peak comes from the
precision, memory and bandwidth from the card, and the weights and KV cache are stored
at that precision unless ``precision=`` says otherwise.

- :func:`prefill_time`: the prompt's forward pass, compute-bound.
- :func:`decode_time`: time per output token, ``max(bytes read / (bandwidth x
  efficiency), FLOP / (peak x utilization))`` over the replica's cards.
- :func:`decode_throughput`, :func:`cost_per_million_tokens`: tokens per second per card,
  and what they cost at a card-hour price.
- :func:`serving_cards`: the cards a load needs under each bound, per card type.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pint

from ...units import AssumptionWarning, InputError, Q, UnitInputError
from .. import args
from .. import magnitudes as fast
from ..catalogues.cards import card_bandwidth, card_memory, on_catalogue_change
from .inference import _per_call_to_count
from .memory import precision_bytes
from .model import BATCH, CONTEXT, ServedModel, served_model
from .bounds import DEFAULT_EFFICIENCY, fraction_arg, plain
from ..catalogues.peaks import Peak, as_peak, throughput

#: Default compute utilization of serving (prefill and decode matmuls): an assumption near
#: what tuned dense training reaches (PaLM 46.2% MFU, seed 001 Table 4). 1.0: the ideal bound.
DEFAULT_UTILIZATION = 0.5

PRICE_EXAMPLE = "2 USD/card/hour"
PRICE = args.ArgKind("USD/card/hour", "a price per card-hour in USD or CNY", PRICE_EXAMPLE)
THROUGHPUT = args.ArgKind("token/s/card", "tokens per second per card", "1000 tokens/s")


@dataclass(frozen=True)
class ServingCard:
    """A card as serving reads it: peak at a precision, memory and bandwidth per card."""

    peak: Peak
    memory: pint.Quantity
    bandwidth: pint.Quantity

    @property
    def label(self) -> str:
        """The reference as typed back ("A100 bf16")."""
        return f"{self.peak.card} {self.peak.precision}"


def serving_card(card: Any, argument: str = "card") -> ServingCard:
    """Read a catalogue reference with its precision ("A100 bf16") into a :class:`ServingCard`.

    Read once per text and argument name (the reading is dropped when the catalogue changes).

    Raises
    ------
    InputError
        A bare rate ("312 TFLOPS"): memory and bandwidth need a catalogue card.
    """
    try:
        return _cached_serving_card(card, argument)
    except TypeError:  # an unhashable reference: read it afresh
        return _read_serving_card(card, argument)


def _read_serving_card(card: Any, argument: str) -> ServingCard:
    peak = as_peak(card, argument)
    if peak.card is None:
        raise InputError(argument, args.shown(card), 'a catalogue card with its precision, like "A100 bf16"',
                         "memory and bandwidth come from the card")
    return ServingCard(peak, card_memory(peak.card), card_bandwidth(peak.card))


_cached_serving_card = lru_cache(maxsize=256)(_read_serving_card)
on_catalogue_change(_cached_serving_card.cache_clear)


def _widths(card_precision: str | None, precision: Any, kv_precision: Any) -> tuple[pint.Quantity, pint.Quantity]:
    """Bytes per weight and per cached value: the given precisions, else the card's."""
    weight = precision_bytes(precision if precision is not None else card_precision or "bf16")
    cached = precision_bytes(kv_precision, "kv_precision") if kv_precision is not None else weight
    return weight, cached


def _context(value: Any, model: ServedModel, argument: str, *, positive: bool) -> pint.Quantity:
    """Read a context length (0 allowed unless ``positive``) and check the shape's limit."""
    tokens = args.quantity_arg(_per_call_to_count(value, "token", argument), argument, CONTEXT, positive=positive)
    if not positive and np.any(np.asarray(tokens.magnitude) < 0):
        raise InputError(argument, args.shown(tokens), "0 or more tokens")
    model.check_context(tokens, argument)
    return tokens


def _kv_bytes(model: ServedModel, width: pint.Quantity, context: pint.Quantity, required: bool = True
              ) -> pint.Quantity:
    """KV bytes per token; unknown (a bare parameter count) is 0 at context 0 or where not ``required``."""
    unknown = model.kv_bytes is None and model.kv_values_per_token is None
    if unknown and (not required or not np.any(np.asarray(context.magnitude))):
        return Q(0.0, "B/token")
    return model.kv_per_token(width)


@fast.checked
def prefill_time(model: Any, prompt_tokens: Any, card: Any, batch: Any = 1,
                 utilization: Any = DEFAULT_UTILIZATION, *, cards: Any = 1, precision: Any = None,
                 kv_precision: Any = None, kv_bytes_per_token: Any = None) -> pint.Quantity:
    """Return the time to process prompts (time to first token), compute-bound.

    ``FLOP / (cards * peak * utilization)`` with ``FLOP = batch * (2 * active params *
    prompt_tokens + attention)``; causal attention over the prompt adds ``4 * layers *
    heads * head_dim`` FLOP per attended position, ``prompt (prompt + 1) / 2`` positions
    (a shape only; a bare parameter count has Table 6's 2 FLOP per parameter per token).

    Parameters
    ----------
    model : parameter count or model shape
        "2000亿", 7e10, or a shape (:func:`flopsheet.model_shape`).
    prompt_tokens : quantity, number or text
        Tokens per prompt; bare numbers in tokens.
    card : str or quantity
        A catalogue reference with its precision ("A100 bf16"), or a peak rate.
    batch : default 1
        Prompts processed together.
    utilization : default 0.5
        Share of the peak achieved, in (0, 100%]; 1.0 gives the ideal bound.
    cards : default 1
        Cards the replica spreads the work over (tensor parallel, ideal scaling).
    precision, kv_precision, kv_bytes_per_token
        Only for the memory check (see :func:`decode_time`).

    Returns
    -------
    pint.Quantity
        s. Emits an AssumptionWarning when the weights and the prompts' KV cache do not
        fit in ``cards`` cards of a catalogue card.

    Examples
    --------
    >>> round(prefill_time(7e10, 4096, "H100 bf16", utilization=1.0, cards=2).to("ms").m, 1)
    289.8
    """
    read = served_model(model, kv_bytes_per_token)
    prompt = _context(prompt_tokens, read, "prompt_tokens", positive=True)
    sequences = args.quantity_arg(batch, "batch", BATCH)
    replica = args.quantity_arg(cards, "cards", args.CARDS)
    with args.renamed_arguments({"peak": "card"}):
        rate, factor, message = throughput(card, utilization)
    flops = sequences * read.sequence_flops(prompt)
    seconds = (flops / (rate * replica)).to("s")
    peak = as_peak(card, "card")
    if peak.card is not None:
        weight, cached = _widths(peak.precision, precision, kv_precision)
        kv = _kv_bytes(read, cached, prompt, required=False) * prompt * sequences
        _warn_fit(read, serving_card(card), replica, weight, kv)
    _warn_precision(message, factor, "prefill time", seconds, seconds * (factor or 1))
    return seconds


def _decode_step(read: ServedModel, card: ServingCard, context: pint.Quantity, sequences: pint.Quantity,
                 replica: pint.Quantity, bandwidth_share: Any, rate: pint.Quantity, widths: tuple[Any, Any]
                 ) -> tuple[pint.Quantity, pint.Quantity, pint.Quantity]:
    """Bandwidth-bound and compute-bound step times, and the KV bytes of the batch."""
    weight, cached = widths
    kv = _kv_bytes(read, cached, context) * context * sequences
    weights_read = read.active_params * weight / Q(1, "parameter")
    memory_time = ((weights_read + kv) / (replica * card.bandwidth * bandwidth_share)).to("s")
    flops = sequences * (read.flop_per_token + read.attention_flops(context)) * Q(1, "token")
    compute_time = (flops / (rate * replica)).to("s")
    return memory_time, compute_time, kv


@fast.checked
def decode_time(model: Any, card: Any, context_tokens: Any = 0, batch: Any = 1,
                efficiency: Any = DEFAULT_EFFICIENCY, utilization: Any = DEFAULT_UTILIZATION, *,
                cards: Any = 1, precision: Any = None, kv_precision: Any = None,
                kv_bytes_per_token: Any = None) -> pint.Quantity:
    """Return the time per output token of a decode step.

    ``max(bytes read / (cards * bandwidth * efficiency), FLOP / (cards * peak *
    utilization))``: each step reads the weights once (only the active experts of an
    MoE) plus the KV cache of every sequence in the batch, and computes ``batch * (2 *
    active params + attention over the context)`` FLOP. Small batches are bound by
    bandwidth, large ones by compute.

    Parameters
    ----------
    model : parameter count or model shape
        A bare count has no KV cache: with ``context_tokens > 0`` give a shape or
        ``kv_bytes_per_token``.
    card : str
        A catalogue reference with its precision ("A100 bf16", "H20 fp8").
    context_tokens : default 0
        Tokens in each sequence's KV cache (prompt plus answer so far).
    batch : default 1
        Sequences decoded together, one token each per step.
    efficiency : default 0.6
        Achieved share of the peak memory bandwidth (MBU); 1.0 gives the ideal bound.
    utilization : default 0.5
        Achieved share of the peak compute; 1.0 gives the ideal bound.
    cards : default 1
        Cards of the replica (tensor parallel, ideal scaling).
    precision : default the card's precision
        Stored precision of the weights (bf16, fp8, int4 ...) or bytes per weight.
    kv_precision : default ``precision``
        Stored precision of the KV cache.
    kv_bytes_per_token : optional
        KV-cache bytes per token, for a bare parameter count.

    Returns
    -------
    pint.Quantity
        ms/token (per sequence: the batch gets ``batch`` tokens per step). Emits an
        AssumptionWarning when the weights and the batch's KV cache do not fit in
        ``cards`` cards.

    Examples
    --------
    >>> round(decode_time(7e10, "H100 bf16", efficiency=1.0, cards=2).m, 2)
    20.9
    """
    read = served_model(model, kv_bytes_per_token)
    device = serving_card(card)
    context = _context(context_tokens, read, "context_tokens", positive=False)
    sequences = args.quantity_arg(batch, "batch", BATCH)
    replica = args.quantity_arg(cards, "cards", args.CARDS)
    rate, factor, message = throughput(device.peak, utilization)
    widths = _widths(device.peak.precision, precision, kv_precision)
    memory_time, compute_time, kv = _decode_step(read, device, context, sequences, replica,
                                                 fraction_arg(efficiency, "efficiency"), rate, widths)
    step = _per_token(np.maximum(memory_time.magnitude, compute_time.magnitude))
    _warn_fit(read, device, replica, widths[0], kv)
    consistent = _per_token(np.maximum(memory_time.magnitude, compute_time.magnitude * (factor or 1)))
    _warn_precision(message, factor, "decode time", step, consistent)
    return step


def _per_token(seconds: Any) -> pint.Quantity:
    """Seconds per step as ms per output token."""
    return Q(plain(seconds), "s/token").to("ms/token")


def decode_throughput(model: Any, card: Any, context_tokens: Any = 0, batch: Any = 1,
                      efficiency: Any = DEFAULT_EFFICIENCY, utilization: Any = DEFAULT_UTILIZATION, *,
                      cards: Any = 1, precision: Any = None, kv_precision: Any = None,
                      kv_bytes_per_token: Any = None) -> pint.Quantity:
    """Return the output tokens per second per card of a decoding replica: ``batch / (step * cards)``.

    Arguments as in :func:`decode_time`.

    Returns
    -------
    pint.Quantity
        token/s/card.

    Examples
    --------
    >>> round(decode_throughput(7e10, "H100 bf16", batch=64, efficiency=1.0, cards=2).m)
    1531
    """
    step = decode_time(model, card, context_tokens, batch, efficiency, utilization, cards=cards, precision=precision,
                       kv_precision=kv_precision, kv_bytes_per_token=kv_bytes_per_token)
    sequences = args.quantity_arg(batch, "batch", BATCH)
    replica = args.quantity_arg(cards, "cards", args.CARDS)
    return (sequences / (step * replica)).to("token/s/card")


def cost_per_million_tokens(card_hour_price: Any, tokens_per_second: Any) -> pint.Quantity:
    """Return what a million tokens cost at a card-hour price and a throughput per card.

    Parameters
    ----------
    card_hour_price : quantity or text
        Price of one card for an hour, in a currency: "2 USD/card/hour", "15 元/card_hour"
        ("2 USD/hour" is taken per card).
    tokens_per_second : quantity, number or text
        Tokens served per second per card; bare numbers in tokens/s per card.

    Returns
    -------
    pint.Quantity
        The price's currency per Mtoken (million tokens).

    Examples
    --------
    >>> cost_per_million_tokens("2 USD/card/hour", 1000)
    <Quantity(0.555555556, 'USD / megatoken')>
    """
    price, currency = _price(card_hour_price)
    rate = _per_card_rate(tokens_per_second)
    return (price / rate).to(f"{currency}/Mtoken")


def _price(value: Any) -> tuple[pint.Quantity, str]:
    """Read a card-hour price in USD or CNY; return it per card and its currency."""
    quantity = Q(value, argument="card_hour_price")
    for currency in ("USD", "CNY"):
        for unit in (f"{currency}/card/hour", f"{currency}/hour"):
            if quantity.dimensionality == args.dimensionality_of(unit):
                per_card = quantity if unit.count("/") == 2 else quantity / Q(1, "card")
                args.require_positive(per_card, "card_hour_price", value)
                return per_card, currency
    raise UnitInputError("card_hour_price", args.shown(value) if not isinstance(value, str) else value,
                         PRICE.expected)


def _per_card_rate(value: Any) -> pint.Quantity:
    """Read tokens per second per card ("1000 tokens/s" is per card)."""
    quantity = Q(value, THROUGHPUT.unit, argument="tokens_per_second")
    if quantity.dimensionality == args.dimensionality_of("token/s"):
        value = quantity / Q(1, "card")
    return args.quantity_arg(value, "tokens_per_second", THROUGHPUT)


def _warn_fit(read: ServedModel, card: ServingCard, replica: pint.Quantity, weight: pint.Quantity,
              kv: pint.Quantity) -> None:
    """Warn when the weights (all experts) and the KV cache exceed the replica's memory."""
    held = (read.total_params * weight / Q(1, "parameter") + kv).to("GB")
    room = (replica * card.memory).to("GB")
    over = np.asarray(held.magnitude) > np.asarray(room.magnitude)
    if np.any(over):
        first = np.broadcast_arrays(held.magnitude, room.magnitude)
        index = np.argmax(np.broadcast_to(over, first[0].shape).ravel())
        warnings.warn(f"{first[0].ravel()[index]:,.4g} GB of weights and KV cache do not fit in "
                      f"{first[1].ravel()[index]:,.4g} GB ({card.peak.card} x {np.asarray(replica.m).ravel()[0]:g}): "
                      "the time is a bound on hardware that cannot hold the model; give more cards",
                      AssumptionWarning, stacklevel=3)


def _warn_precision(message: str, factor: float | None, name: str, result: pint.Quantity,
                    consistent: pint.Quantity) -> None:
    """Warn that the utilization was measured against another precision, with the consistent result."""
    if factor is None:
        return
    first, fixed = (np.asarray(value.magnitude).ravel()[0] for value in (result, consistent))
    unit = f"{result.units:~P}"
    warnings.warn(f"{message} {name} is {fixed:,.6g} {unit} instead of {first:,.6g} {unit}",
                  AssumptionWarning, stacklevel=3)
