"""The three bounds on a serving fleet, from explicit numbers.

A fleet serves a load as replicas: each replica is the fewest cards that hold the
weights and one request's KV cache (:func:`replica_cards`), and decodes a batch of
concurrent requests, one token each per step. With an output rate ``R`` (tokens/s) and a
latency target ``L`` per output token, ``R * L`` requests are decoding at any moment
(Little's law). Each bound is the card count when only that resource limits the batch
a replica can run:

- compute: FLOP per second of prefill and decode / (peak x utilization) (Table 6's
  formula, :func:`flopsheet.infer_cards`);
- bandwidth (:func:`bandwidth_bound_cards`): every step reads the replica's active
  weights once plus each request's KV cache, within ``L``;
- capacity (:func:`capacity_bound_cards`): each replica holds its weights plus the KV
  cache of its requests.

The fleet is the largest bound rounded up to whole replicas (:func:`fleet_cards`): a
roofline, in which prefill compute and decode memory traffic overlap perfectly and
tensor parallelism over a replica's cards scales ideally (communication ignored).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pint

from ...units import InputRangeError, Q
from .. import args
from ..catalogues.peaks import as_utilization

#: Share of card memory a serving engine may fill with weights and KV cache (vLLM's
#: ``gpu_memory_utilization`` default, 0.9; the rest is activations and fragmentation).
DEFAULT_MEMORY_UTILIZATION = 0.9
#: Default memory-bandwidth efficiency of decoding, the achieved share of the card's peak
#: bandwidth (model bandwidth utilization, MBU, as Databricks/MosaicML name it in "LLM
#: Inference Performance Engineering: Best Practices", 2023-10). An assumption: tuned
#: engines reach about 60-80% at small batch; 1.0 gives the ideal bound.
DEFAULT_EFFICIENCY = 0.6
#: Cards one server board holds (NVIDIA HGX/DGX: 8 GPUs on one NVLink/NVSwitch domain).
SERVER_CARDS = 8
#: Tensor-parallel group sizes inside one server: powers of two, as attention heads divide
#: among them (vLLM and TensorRT-LLM require the degree to divide the heads).
TENSOR_PARALLEL_SIZES: tuple[int, ...] = tuple(2**power for power in range(SERVER_CARDS.bit_length()) if 2**power <= SERVER_CARDS)
#: Relative slack when rounding card counts up, so that 5.000000000001 replicas of float
#: noise stay 5 (Python and the native Excel formula use the same slack).
ROUNDING_SLACK = 1e-9

MEMORY = args.ArgKind("GB", "a memory size in bytes", "140 GB")
CARD_MEMORY = args.ArgKind("GB/card", "memory per card", "80 GB/card")
CARD_BANDWIDTH = args.ArgKind("GB/s/card", "memory bandwidth per card", "3.35 TB/s")
OUTPUT_RATE = args.ArgKind("token/s", "output tokens per second", "69444 tokens/s")
LATENCY = args.ArgKind("ms/token", "a latency per output token", "50 ms/token")
FRACTION = args.UTILIZATION


def per_card(value: Any, argument: str, kind: args.ArgKind) -> pint.Quantity:
    """Read a per-card quantity; a figure without "/card" ("3.35 TB/s") is taken per card."""
    quantity = Q(value, kind.unit, argument=argument)
    if (quantity / Q(1, "card")).dimensionality == kind.dimensionality:
        value = quantity / Q(1, "card")
    return args.quantity_arg(value, argument, kind)


@args.read_once
def latency_arg(value: Any, argument: str = "latency") -> pint.Quantity:
    """Read a latency per output token; a bare time ("50 ms") is per token."""
    quantity = Q(value, LATENCY.unit, argument=argument)
    if quantity.dimensionality == args.dimensionality_of("s"):
        value = quantity / Q(1, "token")
    return args.quantity_arg(value, argument, LATENCY)


@args.read_once
def fraction_arg(value: Any, argument: str) -> Any:
    """Read a fraction in (0, 100%] (an efficiency or a memory share)."""
    return as_utilization(value, argument).value


def concurrency(output_rate: pint.Quantity, latency: pint.Quantity) -> Any:
    """Requests decoding at once: output rate x latency per token (Little's law)."""
    return (output_rate * latency).to("dimensionless").magnitude


def plain(values: Any) -> Any:
    """A numpy result as a float when it is a scalar, else the array."""
    array = np.asarray(values, dtype=float)
    return float(array) if array.ndim == 0 else array


def round_up(count: Any) -> Any:
    """Round a count up to a whole number, ignoring float noise below ROUNDING_SLACK."""
    return plain(np.ceil(np.asarray(count, dtype=float) * (1 - ROUNDING_SLACK)))


def replica_cards(weights: Any, weights_read: Any, kv_per_request: Any, memory: Any, bandwidth: Any, latency: Any,
                  memory_utilization: Any = DEFAULT_MEMORY_UTILIZATION,
                  efficiency: Any = DEFAULT_EFFICIENCY) -> pint.Quantity:
    """Return the fewest cards of one replica: they hold it and step one request within ``latency``.

    ``max(ceil((weights + kv_per_request) / (memory * memory_utilization)),
    ceil((weights_read + kv_per_request) / (latency * bandwidth * efficiency)))``: enough
    memory for the weights and one request's KV cache, and enough bandwidth to read the
    active weights and that cache once per output token (tensor parallelism over the
    replica's cards, ideal scaling).

    Parameters
    ----------
    weights : quantity, number or text
        Weights held (every expert of an MoE); bare numbers in GB.
    weights_read : quantity, number or text
        Weights read per step (the active experts of an MoE; the weights of a dense
        model); bare numbers in GB.
    kv_per_request : quantity, number or text
        KV cache of one request at its full context; bare numbers in GB.
    memory : quantity, number or text
        Memory per card; bare numbers in GB per card.
    bandwidth : quantity, number or text
        Memory bandwidth per card; bare numbers in GB/s per card.
    latency : quantity, number or text
        Target time per output token; bare numbers in ms/token.
    memory_utilization : default 0.9
        Share of memory for weights and KV cache, in (0, 100%].
    efficiency : default 0.6
        Achieved share of the peak bandwidth, in (0, 100%].

    Returns
    -------
    pint.Quantity
        card (a whole number).

    Examples
    --------
    >>> replica_cards("400 GB", "400 GB", "0.79 GB", "141 GB", "4.8 TB/s", "50 ms/token")
    <Quantity(4.0, 'card')>
    >>> replica_cards("400 GB", "400 GB", "0.79 GB", "80 GB", "2039 GB/s", "50 ms/token")
    <Quantity(7.0, 'card')>
    """
    held = args.quantity_arg(weights, "weights", MEMORY)
    read = args.quantity_arg(weights_read, "weights_read", MEMORY)
    kv = args.quantity_arg(kv_per_request, "kv_per_request", MEMORY)
    usable = per_card(memory, "memory", CARD_MEMORY) * fraction_arg(memory_utilization, "memory_utilization")
    per_step = latency_arg(latency) * Q(1, "token") * per_card(bandwidth, "bandwidth", CARD_BANDWIDTH) \
        * fraction_arg(efficiency, "efficiency")
    for_memory = round_up(((held + kv) / usable).to("card").magnitude)
    for_latency = round_up(((read + kv) / per_step).to("card").magnitude)
    return Q(plain(np.maximum(for_memory, for_latency)), "card")


def tensor_parallel_group(cards: Any) -> pint.Quantity:
    """Round a replica's cards up to a deployable group: 1, 2, 4 or 8 cards of one server, or whole 8-card servers.

    Tensor parallelism splits the attention heads, so inside a server its degree is a
    power of two; a model that needs more than one server spans whole servers.

    Examples
    --------
    >>> [tensor_parallel_group(n).m for n in (1, 3, 5, 8, 19)]
    [1.0, 4.0, 8.0, 8.0, 24.0]
    """
    needed = np.asarray(args.quantity_arg(cards, "cards", args.CARDS).to("card").magnitude, dtype=float) \
        * (1 - ROUNDING_SLACK)
    group = np.ceil(needed / SERVER_CARDS) * SERVER_CARDS
    for size in reversed(TENSOR_PARALLEL_SIZES):
        group = np.where(needed <= size, float(size), group)
    return Q(plain(group), "card")


def tensor_parallel_native() -> str:
    """The native Excel of :func:`tensor_parallel_group` over ``{cards}`` and ``{slack}`` (nested IFs)."""
    needed = "{cards}*(1-{slack})"
    text = f"ROUNDUP({needed}/{SERVER_CARDS},0)*{SERVER_CARDS}"
    for size in reversed(TENSOR_PARALLEL_SIZES):
        text = f"IF({needed}<={size},{size},{text})"
    return text


def bandwidth_bound_cards(output_rate: Any, latency: Any, weights_read: Any, kv_per_request: Any, replica_cards: Any,
                          bandwidth: Any, efficiency: Any = DEFAULT_EFFICIENCY) -> pint.Quantity:
    """Return the cards that decode ``output_rate`` within ``latency`` per token, bandwidth-bound.

    A replica of ``n`` cards steps once per ``latency``, reading its active weights once
    and the KV cache of each of its ``b`` requests: ``b = (latency * n * bandwidth *
    efficiency - weights_read) / kv_per_request``. ``output_rate * latency`` requests
    decode at once, so the fleet needs ``n * output_rate * latency / b`` cards.

    Parameters
    ----------
    output_rate : quantity, number or text
        Output tokens per second of the whole load; bare numbers in tokens/s.
    latency : quantity, number or text
        Target time per output token; bare numbers in ms/token.
    weights_read : quantity, number or text
        Weights read per step (active experts of an MoE); bare numbers in GB.
    kv_per_request : quantity, number or text
        KV cache of one request at its mean context while decoding; bare numbers in GB.
    replica_cards : quantity or number
        Cards per replica.
    bandwidth : quantity, number or text
        Memory bandwidth per card; bare numbers in GB/s per card.
    efficiency : default 0.6
        Achieved share of the peak bandwidth, in (0, 100%]; 1.0 gives the ideal bound.

    Returns
    -------
    pint.Quantity
        card.

    Raises
    ------
    InputRangeError
        The replica cannot step one request within ``latency``: the target cannot be met.

    Examples
    --------
    >>> round(bandwidth_bound_cards("69444 token/s", "50 ms/token", "400 GB", "0.59 GB", 7, "2039 GB/s").m, 1)
    508.7
    """
    rate, target, kv, cards = _load(output_rate, latency, kv_per_request, replica_cards)
    read = args.quantity_arg(weights_read, "weights_read", MEMORY)
    per_step = target * Q(1, "token") * cards * per_card(bandwidth, "bandwidth", CARD_BANDWIDTH) \
        * fraction_arg(efficiency, "efficiency")
    _require_room(per_step - read, kv, "latency", target,
                  "long enough for a replica to read its weights and one request's KV cache in one step")
    return _fleet(rate, target, per_step - read, kv, cards)


def capacity_bound_cards(output_rate: Any, latency: Any, weights: Any, kv_per_request: Any, replica_cards: Any,
                         memory: Any, memory_utilization: Any = DEFAULT_MEMORY_UTILIZATION) -> pint.Quantity:
    """Return the cards whose memory holds the weights of every replica and the KV of every request.

    A replica of ``n`` cards holds ``b = (n * memory * memory_utilization - weights) /
    kv_per_request`` requests; ``output_rate * latency`` requests decode at once, so the
    fleet needs ``max(n, n * output_rate * latency / b)`` cards.

    Parameters
    ----------
    output_rate, latency, kv_per_request, replica_cards
        As in :func:`bandwidth_bound_cards`.
    weights : quantity, number or text
        Weights held per replica (every expert of an MoE); bare numbers in GB.
    memory : quantity, number or text
        Memory per card; bare numbers in GB per card.
    memory_utilization : default 0.9
        Share of memory for weights and KV cache, in (0, 100%].

    Returns
    -------
    pint.Quantity
        card.

    Raises
    ------
    InputRangeError
        The replica cannot hold its weights and one request.

    Examples
    --------
    >>> round(capacity_bound_cards("69444 token/s", "50 ms/token", "400 GB", "0.59 GB", 7, "80 GB").m, 1)
    137.9
    """
    rate, target, kv, cards = _load(output_rate, latency, kv_per_request, replica_cards)
    held = args.quantity_arg(weights, "weights", MEMORY)
    usable = cards * per_card(memory, "memory", CARD_MEMORY) * fraction_arg(memory_utilization, "memory_utilization")
    _require_room(usable - held, kv, "replica_cards", cards, "enough cards to hold the weights and one request's KV cache")
    needed = _fleet(rate, target, usable - held, kv, cards).magnitude
    return Q(plain(np.maximum(needed, cards.to("card").magnitude)), "card")


def _load(output_rate: Any, latency: Any, kv_per_request: Any, replica_cards: Any
          ) -> tuple[pint.Quantity, pint.Quantity, pint.Quantity, pint.Quantity]:
    """Read the arguments both bounds share: output rate, latency, KV per request, replica cards."""
    return (args.quantity_arg(output_rate, "output_rate", OUTPUT_RATE), latency_arg(latency),
            args.quantity_arg(kv_per_request, "kv_per_request", MEMORY),
            args.quantity_arg(replica_cards, "replica_cards", args.CARDS))


def _fleet(rate: pint.Quantity, target: pint.Quantity, room: pint.Quantity, kv: pint.Quantity,
           cards: pint.Quantity) -> pint.Quantity:
    """Cards of replicas whose ``room`` (bytes per step or per replica) fits ``room / kv`` requests each."""
    batch = (room / kv).to("dimensionless").magnitude
    return (cards * concurrency(rate, target) / batch).to("card")


def _require_room(headroom: pint.Quantity, kv: pint.Quantity, argument: str, given: pint.Quantity,
                  expected: str) -> None:
    """Raise InputRangeError where the headroom does not fit one request's KV cache."""
    short = np.asarray((headroom - kv).to("GB").magnitude) < 0
    if np.any(short):
        shown = np.asarray(given.magnitude).ravel()[np.argmax(short.ravel())] if np.ndim(given.magnitude) else given.m
        raise InputRangeError(argument, f"{shown:g} {given.units:~P}", expected)


def fleet_cards(compute_cards: Any, bandwidth_cards: Any, capacity_cards: Any, replica_cards: Any) -> pint.Quantity:
    """Return the fleet: the largest of the three bounds, rounded up to whole replicas.

    Examples
    --------
    >>> fleet_cards(1481.5, 508.7, 137.9, 7)
    <Quantity(1484.0, 'card')>
    """
    bounds = [args.quantity_arg(value, name, args.CARDS).to("card").magnitude
              for value, name in ((compute_cards, "compute_cards"), (bandwidth_cards, "bandwidth_cards"),
                                  (capacity_cards, "capacity_cards"))]
    cards = args.quantity_arg(replica_cards, "replica_cards", args.CARDS).to("card").magnitude
    largest = np.maximum(np.maximum(bounds[0], bounds[1]), bounds[2])
    return Q(round_up(largest / cards) * cards, "card")
