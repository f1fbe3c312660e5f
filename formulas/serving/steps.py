"""One decode step of a tensor-parallel replica, written once for the planner and for the templates.

The serving planner (:mod:`flopsheet.formulas.serving.planner`) sizes every layout with
these functions over arrays of SI floats; the formula table gives each a unit-aware
face and a native Excel template (``TENSOR_PARALLEL_COMM_TIME``, ``PLAN_BATCH``,
``PLAN_STEP_TIME``, ``PLAN_CARDS``, ``PLAN_STATUS``, ``PLAN_BINDING``), so the ``serving``
template shows the planner's rows for TP1/2/4/8 live in plain Excel or LibreOffice.

A step of ``b`` requests on a stage of ``n`` tensor-parallel cards takes

    ``max((weights + b x KV) / (n x bandwidth x MBU), b x FLOP / (n x peak x matmul share))``
    ``+ comm_fixed + b x comm_per_request``

where the communication is two all-reduces per layer (after attention and after the
MLP; Megatron-LM, Shoeybi et al. 2019, section 3) of ``tokens x hidden x 2 bytes`` over
the scale-up link, on the NCCL bus-bandwidth model (:mod:`flopsheet.formulas.collectives`).
The batch is the largest that meets the latency target and fits the memory left after
the weights; replicas serve the output rate at that step time.

Status codes (``PLAN_STATUS``): 1 feasible, 2 too slow for the target, 0 the weights do
not fit. Binding codes (``PLAN_BINDING``): 1 bandwidth, 2 compute, 3 communication,
4 capacity, 0 cannot.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pint

from ...units import InputRangeError, Q
from .. import args
from ..catalogues.peaks import as_peak
from ..collectives import allreduce_seconds
from .bounds import CARD_BANDWIDTH, CARD_MEMORY, LATENCY, MEMORY, OUTPUT_RATE, ROUNDING_SLACK, fraction_arg
from .model import BATCH, whole_number

#: All-reduces per transformer layer under tensor parallelism: after attention and after
#: the MLP (Megatron-LM, Shoeybi et al. 2019, section 3: "two all-reduce operations in the
#: forward pass" per layer).
ALLREDUCES_PER_LAYER = 2
#: Status codes of a plan row.
NOT_FIT, FEASIBLE, TOO_SLOW = 0, 1, 2
#: Binding codes of a plan row (the planner's BINDINGS order plus one; 0: cannot).
CANNOT, BANDWIDTH, COMPUTE, COMMUNICATION, CAPACITY = 0, 1, 2, 3, 4

LINK_BANDWIDTH = args.ArgKind("GB/s", "a link bandwidth per card and direction", "450 GB/s")
COMM_TIME = args.ArgKind("ms", "a communication time per decode step", "0.2 ms")
STEP_FLOP = args.ArgKind("GFLOP/token", "FLOP per decoded token of a step (prefill chunk included)", "400 GFLOP/token")
PAYLOAD = args.ArgKind("MB", "bytes each card all-reduces", "0.05 MB")


# -- the arithmetic over SI floats or arrays (what the planner calls) -------------------------


def tensor_parallel_comm_seconds(layers: Any, payload_bytes: Any, tensor_parallel: Any, link_bytes_per_second: Any,
                                 busbw_share: Any, latency_s: Any) -> Any:
    """Seconds of one step's tensor-parallel all-reduces: ``2 x layers`` ring all-reduces of ``payload_bytes``.

    Zero for one card. ``link_bytes_per_second`` is the link's peak per card and direction,
    ``busbw_share`` the achieved share of it (``efficiency("allreduce_busbw")``).

    Examples
    --------
    >>> round(tensor_parallel_comm_seconds(80, 16384 * 3, 4, 450e9, 0.82, 1e-5) * 1e3, 4)   # ms
    1.632
    >>> tensor_parallel_comm_seconds(80, 16384, 1, 450e9, 0.82, 1e-5)
    0.0
    """
    return ALLREDUCES_PER_LAYER * layers * allreduce_seconds(payload_bytes, tensor_parallel,
                                                             link_bytes_per_second * busbw_share, latency_s)


def latency_batches(target: Any, comm_fixed: Any, comm_slope: Any, mem_fixed: Any, mem_slope: Any, comp_slope: Any,
                    stages: Any = 1.0) -> tuple[Any, Any]:
    """The largest stage batch within ``target`` seconds when memory binds, and when compute binds.

    A step of ``b`` takes ``stages x max(mem_fixed + mem_slope b, comp_slope b) + comm_fixed + comm_slope b``.
    """
    by_memory = (target - comm_fixed - stages * mem_fixed) / (comm_slope + stages * mem_slope)
    by_compute = (target - comm_fixed) / (comm_slope + stages * comp_slope)
    return by_memory, by_compute


def step_parts(batch: Any, comm_fixed: Any, comm_slope: Any, mem_fixed: Any, mem_slope: Any, comp_slope: Any,
               stages: Any = 1.0) -> tuple[Any, Any, Any, Any]:
    """Seconds of a step of ``batch``: total, memory part, compute part, communication part."""
    memory_time = stages * (mem_fixed + mem_slope * batch)
    compute_time = stages * comp_slope * batch
    comm_time = comm_fixed + comm_slope * batch
    return np.maximum(memory_time, compute_time) + comm_time, memory_time, compute_time, comm_time


def round_up(count: Any) -> Any:
    """Whole replicas: ``ceil(count x (1 - slack))`` (a rounding error never adds a replica)."""
    return np.ceil(np.asarray(count, dtype=float) * (1 - ROUNDING_SLACK))


def _tp_plan(latency: Any, weights: Any, kv_mean: Any, kv_full: Any, step_flop: Any, replica_cards: Any,
             memory: Any, bandwidth: Any, peak: Any, comm_fixed: Any, comm_per_request: Any,
             memory_utilization: Any, efficiency: Any, utilization: Any) -> dict[str, float]:
    """One tensor-parallel plan row in SI floats: batch, step seconds, status and binding codes."""
    target = _si(args.quantity_arg(latency, "latency", LATENCY).to("s/token").m)
    held = _si(args.quantity_arg(weights, "weights", MEMORY).to("B").m)
    kv = _si(args.quantity_arg(kv_mean, "kv_mean", MEMORY).to("B").m)
    full = _si(args.quantity_arg(kv_full, "kv_full", MEMORY).to("B").m)
    flop = _si(args.quantity_arg(step_flop, "step_flop", STEP_FLOP).to("FLOP/token").m)
    cards = _si(args.quantity_arg(replica_cards, "replica_cards", args.CARDS).to("card").m)
    usable = _si(args.quantity_arg(memory, "memory", CARD_MEMORY).to("B/card").m) \
        * _si(fraction_arg(memory_utilization, "memory_utilization"))
    speed = _si(args.quantity_arg(bandwidth, "bandwidth", CARD_BANDWIDTH).to("B/s/card").m) \
        * _si(fraction_arg(efficiency, "efficiency"))
    rate = _si(as_peak(peak).rate.to("FLOP/s/card").m) * _si(fraction_arg(utilization, "utilization"))
    fixed = _si(args.quantity_arg(comm_fixed, "comm_fixed", COMM_TIME, positive=False).to("s").m)
    slope = _si(args.quantity_arg(comm_per_request, "comm_per_request", COMM_TIME, positive=False).to("s").m)
    room = cards * usable - held
    mem_fixed, mem_slope, comp_slope = held / (cards * speed), kv / (cards * speed), flop / (cards * rate)
    by_memory, by_compute = latency_batches(target, fixed, slope, mem_fixed, mem_slope, comp_slope)
    capacity = np.maximum(room, 0.0) / kv
    one, _, _, _ = step_parts(1.0, fixed, slope, mem_fixed, mem_slope, comp_slope)
    fits, fast = room >= full, one <= target * (1 + ROUNDING_SLACK)
    batch = np.where(fits & fast, np.maximum(np.minimum(np.minimum(by_memory, by_compute), capacity), 1.0), 0.0)
    seconds, memory_time, compute_time, comm_time = step_parts(np.maximum(batch, 1.0), fixed, slope, mem_fixed,
                                                               mem_slope, comp_slope)
    status = np.where(batch > 0, FEASIBLE, np.where(fits, TOO_SLOW, NOT_FIT))
    largest = 1 + np.argmax(np.stack(np.broadcast_arrays(memory_time, compute_time, comm_time)), axis=0)
    binding = np.where(batch > 0, np.where(capacity < np.minimum(by_memory, by_compute), CAPACITY, largest), CANNOT)
    return {"batch": _plain(batch), "seconds": _plain(seconds), "status": _plain(status), "binding": _plain(binding)}


def _si(quantity_or_number: Any) -> Any:
    """A magnitude as float or float array (the faces accept arrays: the specs' spreads pass them)."""
    return np.asarray(getattr(quantity_or_number, "magnitude", quantity_or_number), dtype=float)


def _plain(values: Any) -> Any:
    """A float for a scalar, the array otherwise."""
    values = np.asarray(values, dtype=float)
    return float(values) if values.ndim == 0 else values


# -- the unit-aware faces (the formula table's records) ---------------------------------------


def tensor_parallel_comm_time(layers: Any, payload: Any, tensor_parallel: Any, link_bandwidth: Any, busbw: Any,
                              latency: Any) -> pint.Quantity:
    """Return the time of a step's tensor-parallel all-reduces: 2 per layer over the scale-up link.

    Parameters
    ----------
    layers : number
        Transformer layers of the model (of one pipeline stage).
    payload : quantity, number or text
        Bytes each card all-reduces per all-reduce (tokens of the step x hidden width x
        2 bytes); bare numbers in MB. 0 gives the fixed (latency) part alone.
    tensor_parallel : number
        Cards of the tensor-parallel group (1: no communication).
    link_bandwidth : quantity, number or text
        The scale-up link per card and direction (NVLink, PCIe); bare numbers in GB/s.
    busbw : fraction
        Achieved share of the link's bandwidth by an all-reduce (NCCL bus bandwidth).
    latency : quantity, number or text
        Fixed time of one all-reduce; bare numbers in ms.

    Returns
    -------
    pint.Quantity
        ms: ``2 x layers x (2 (n-1)/n x payload / (link x busbw) + latency)``, 0 for n = 1.

    Examples
    --------
    >>> round(tensor_parallel_comm_time(80, "49152 B", 4, "450 GB/s", 0.82, "10 us").to("ms").m, 4)
    1.632
    """
    count = _si(whole_number(layers, "layers"))
    sent = _si(args.quantity_arg(payload, "payload", PAYLOAD, positive=False).to("B").m)
    group = _si(whole_number(tensor_parallel, "tensor_parallel"))
    link = _si(args.quantity_arg(link_bandwidth, "link_bandwidth", LINK_BANDWIDTH).to("B/s").m)
    share = _si(fraction_arg(busbw, "busbw"))
    fixed = _si(args.quantity_arg(latency, "latency", COMM_TIME, positive=False).to("s").m)
    return Q(_plain(tensor_parallel_comm_seconds(count, sent, group, link, share, fixed)), "s").to("ms")


def plan_batch(latency: Any, weights: Any, kv_mean: Any, kv_full: Any, step_flop: Any, replica_cards: Any,
               memory: Any, bandwidth: Any, peak: Any, comm_fixed: Any, comm_per_request: Any,
               memory_utilization: Any, efficiency: Any, utilization: Any) -> pint.Quantity:
    """Return the requests one tensor-parallel replica decodes at once (0 where it cannot serve).

    The largest batch whose step meets ``latency`` and whose KV cache (at the mean context)
    fits the memory left after the weights, at least 1; 0 when the weights and one
    request's full KV cache do not fit or one request alone misses the target.

    Examples
    --------
    >>> round(plan_batch("50 ms/token", "400 GB", "0.59 GB", "0.79 GB", "817 GFLOP/token", 8, "80 GB/card",
    ...                  "3350 GB/s/card", "989 TFLOPS", "0.384 ms", "0.05 ms", 0.9, 0.6, 0.3).m, 2)
    125.86
    """
    return Q(_tp_plan(latency, weights, kv_mean, kv_full, step_flop, replica_cards, memory, bandwidth, peak,
                      comm_fixed, comm_per_request, memory_utilization, efficiency, utilization)["batch"], "dimensionless")


def plan_step_time(batch: Any, weights: Any, kv_mean: Any, step_flop: Any, replica_cards: Any, bandwidth: Any,
                   peak: Any, comm_fixed: Any, comm_per_request: Any, efficiency: Any,
                   utilization: Any) -> pint.Quantity:
    """Return the time per output token of a tensor-parallel replica stepping ``batch`` requests (1 if 0).

    Examples
    --------
    >>> round(plan_step_time(125.86, "400 GB", "0.59 GB", "817 GFLOP/token", 8, "3350 GB/s/card", "989 TFLOPS",
    ...                      "0.384 ms", "0.05 ms", 0.6, 0.3).m, 2)
    50.0
    """
    requests = np.maximum(_si(args.quantity_arg(batch, "batch", BATCH, positive=False).m), 1.0)
    held = _si(args.quantity_arg(weights, "weights", MEMORY).to("B").m)
    kv = _si(args.quantity_arg(kv_mean, "kv_mean", MEMORY).to("B").m)
    flop = _si(args.quantity_arg(step_flop, "step_flop", STEP_FLOP).to("FLOP/token").m)
    cards = _si(args.quantity_arg(replica_cards, "replica_cards", args.CARDS).to("card").m)
    speed = _si(args.quantity_arg(bandwidth, "bandwidth", CARD_BANDWIDTH).to("B/s/card").m) \
        * _si(fraction_arg(efficiency, "efficiency"))
    rate = _si(as_peak(peak).rate.to("FLOP/s/card").m) * _si(fraction_arg(utilization, "utilization"))
    fixed = _si(args.quantity_arg(comm_fixed, "comm_fixed", COMM_TIME, positive=False).to("s").m)
    slope = _si(args.quantity_arg(comm_per_request, "comm_per_request", COMM_TIME, positive=False).to("s").m)
    seconds, _, _, _ = step_parts(requests, fixed, slope, held / (cards * speed), kv / (cards * speed),
                                  flop / (cards * rate))
    return Q(_plain(seconds), "s/token").to("ms/token")


def plan_cards(output_rate: Any, step_time: Any, batch: Any, replica_cards: Any) -> pint.Quantity:
    """Return the fleet of a plan row: whole replicas serving ``output_rate`` at ``step_time`` (0 if batch is 0).

    Examples
    --------
    >>> plan_cards("69444 token/s", "50 ms/token", 125.86, 8)
    <Quantity(224.0, 'card')>
    """
    rate = _si(args.quantity_arg(output_rate, "output_rate", OUTPUT_RATE).to("token/s").m)
    seconds = _si(args.quantity_arg(step_time, "step_time", LATENCY).to("s/token").m)
    requests = _si(args.quantity_arg(batch, "batch", BATCH, positive=False).m)
    cards = _si(args.quantity_arg(replica_cards, "replica_cards", args.CARDS).to("card").m)
    with np.errstate(divide="ignore", invalid="ignore"):
        fleet = np.where(requests >= 1, round_up(rate * seconds / np.maximum(requests, 1.0)) * cards, 0.0)
    return Q(_plain(fleet), "card")


def plan_status(latency: Any, weights: Any, kv_mean: Any, kv_full: Any, step_flop: Any, replica_cards: Any,
                memory: Any, bandwidth: Any, peak: Any, comm_fixed: Any, comm_per_request: Any,
                memory_utilization: Any, efficiency: Any, utilization: Any) -> pint.Quantity:
    """Return a plan row's status code: 1 feasible, 2 too slow for the latency target, 0 the weights do not fit.

    Examples
    --------
    >>> plan_status("50 ms/token", "400 GB", "0.59 GB", "0.79 GB", "817 GFLOP/token", 2, "80 GB/card",
    ...             "3350 GB/s/card", "989 TFLOPS", "0.384 ms", "0.05 ms", 0.9, 0.6, 0.3).m
    0.0
    """
    return Q(_tp_plan(latency, weights, kv_mean, kv_full, step_flop, replica_cards, memory, bandwidth, peak,
                      comm_fixed, comm_per_request, memory_utilization, efficiency, utilization)["status"], "dimensionless")


def plan_binding(latency: Any, weights: Any, kv_mean: Any, kv_full: Any, step_flop: Any, replica_cards: Any,
                 memory: Any, bandwidth: Any, peak: Any, comm_fixed: Any, comm_per_request: Any,
                 memory_utilization: Any, efficiency: Any, utilization: Any) -> pint.Quantity:
    """Return a plan row's binding code: 1 bandwidth, 2 compute, 3 communication, 4 capacity, 0 cannot.

    Examples
    --------
    >>> plan_binding("50 ms/token", "400 GB", "0.59 GB", "0.79 GB", "817 GFLOP/token", 8, "80 GB/card",
    ...              "3350 GB/s/card", "989 TFLOPS", "0.384 ms", "0.05 ms", 0.9, 0.6, 0.3).m
    2.0
    """
    return Q(_tp_plan(latency, weights, kv_mean, kv_full, step_flop, replica_cards, memory, bandwidth, peak,
                      comm_fixed, comm_per_request, memory_utilization, efficiency, utilization)["binding"], "dimensionless")


def fewest_cards(cards_a: Any, cards_b: Any, cards_c: Any = 0, cards_d: Any = 0) -> pint.Quantity:
    """Return the fewest fleet cards among plan rows that can serve (positive ones); 0 when none can.

    A negative count is an error (the native template gives ``#N/A``).

    Examples
    --------
    >>> fewest_cards(0, "320 card", "256 card", "272 card")
    <Quantity(256.0, 'card')>
    >>> fewest_cards(0, 0)
    <Quantity(0.0, 'card')>
    """
    counts = np.stack(np.broadcast_arrays(*(
        _si(args.quantity_arg(value, name, args.CARDS, positive=False).to("card").m)
        for name, value in (("cards_a", cards_a), ("cards_b", cards_b), ("cards_c", cards_c), ("cards_d", cards_d)))))
    if np.any(counts < 0):
        raise InputRangeError("cards_a", args.shown(np.min(counts)), "fleet cards of plan rows, 0 or more")
    fewest = np.min(np.where(counts > 0, counts, np.inf), axis=0)
    return Q(_plain(np.where(np.isfinite(fewest), fewest, 0.0)), "card")
