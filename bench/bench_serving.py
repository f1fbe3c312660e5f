"""The serving planner benchmark (issue 21): serving_plans against the same arithmetic in raw numpy.

- one model (Llama 2 70B) across five card types and all their layouts, one load: the
  planner's interactive use (target: under 50 ms);
- a sweep of 10,000 loads (calls a day) through ``serving_plans`` on one card type: one
  vectorised evaluation over loads x layouts, against the same decode-step, capacity,
  prefill and fleet arithmetic written in raw numpy on precomputed floats (the catalogue
  read once), sorted best first per load the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import flopsheet
from flopsheet.formulas.serving import planner
from flopsheet.formulas.serving.times import _widths, serving_card

MODEL = "Llama-2-70B"
CARDS = ("A10 bf16", "A100 bf16", "H100 bf16", "H20 bf16", "H200 bf16")
SWEEP_CARD = "H100 bf16"
CALLS = np.linspace(1e5, 1e7, 10_000)
PROMPT, ANSWER, BUSY_HOURS, LATENCY = 1000.0, 500.0, 12.0, 0.05
MEMORY_UTILIZATION = 0.9


def five_cards() -> object:
    """Plan one load on five card types."""
    return flopsheet.serving_plans(MODEL, "100万", PROMPT, ANSWER, BUSY_HOURS, cards=list(CARDS))


def sweep() -> object:
    """10,000 loads through the planner on one card type."""
    return flopsheet.serving_plans(MODEL, CALLS, PROMPT, ANSWER, BUSY_HOURS, cards=SWEEP_CARD)


def _constants(reference: str) -> dict[str, float]:
    device = serving_card(reference)
    weight, cached = _widths(device.peak.precision, None, None)
    model = planner._model(MODEL, None, weight, cached)
    card = planner._card(reference, None, None)
    return {"held": model.held, "read": model.dense_read, "kv": model.kv_token, "matmul": model.matmul_flop,
            "attention": model.attention_flop, "layers": float(model.layers), "hidden": float(model.hidden) * 2,
            "peak": card.peak * card.matmul, "bandwidth": card.bandwidth * card.mbu, "memory": card.memory,
            "up": card.up * card.ar_up[0], "latency": card.ar_up[1], "domain": float(card.domain)}


#: The tensor-parallel layouts of one server the dense sweep plans (TP1, 2, 4, 8).
TENSOR = np.array([1.0, 2.0, 4.0, 8.0])
#: The planner's rounding slack (formulas/serving/bounds.py: ROUNDING_SLACK).
SLACK = 1e-9


def _raw_terms(c: dict[str, float], calls: np.ndarray) -> dict[str, Any]:
    """The decode step's terms for TP1, 2, 4, 8 over the loads (both baselines start here), in raw numpy."""
    tensor = TENSOR[None, :]
    rate = (calls * 86_400 / (BUSY_HOURS * 3600) / 86_400)[:, None]
    mean = PROMPT + (ANSWER + 1) / 2
    kv_mean, kv_full = c["kv"] * mean, c["kv"] * (PROMPT + ANSWER)
    prefill = c["matmul"] * PROMPT + c["attention"] * PROMPT * (PROMPT + 1) / 2
    decode = c["matmul"] + c["attention"] * mean
    step_flop = decode + prefill / ANSWER
    room = tensor * c["memory"] * MEMORY_UTILIZATION - c["held"]
    allreduces = 2 * c["layers"]
    return {
        "tensor": tensor, "rate": rate, "prefill": prefill, "decode": decode, "fits": room >= kv_full,
        "capacity": np.maximum(room, 0) / kv_mean, "mem_fixed": c["read"] / (tensor * c["bandwidth"]),
        "mem_slope": kv_mean / (tensor * c["bandwidth"]), "comp_slope": step_flop / (tensor * c["peak"]),
        "comm_fixed": np.where(tensor > 1, allreduces * c["latency"], 0.0),
        "comm_slope": np.where(tensor > 1, allreduces * 2 * (tensor - 1) / tensor * c["hidden"]
                               * (1 + PROMPT / ANSWER) / c["up"], 0.0),
        "prefill_comm": np.where(tensor > 1, allreduces * (c["latency"] + 2 * (tensor - 1) / tensor * c["hidden"]
                                                           * PROMPT / c["up"]), 0.0),
    }


def _raw_arrays(c: dict[str, float], calls: np.ndarray) -> dict[str, np.ndarray]:
    """The planner's arithmetic for TP1, 2, 4, 8 over the loads, shaped (loads, layouts), in raw numpy."""
    t = _raw_terms(c, calls)
    tensor, rate, prefill, decode, fits, capacity = (t[name] for name in ("tensor", "rate", "prefill", "decode",
                                                                         "fits", "capacity"))
    mem_fixed, mem_slope, comp_slope = t["mem_fixed"], t["mem_slope"], t["comp_slope"]
    comm_fixed, comm_slope = t["comm_fixed"], t["comm_slope"]
    by_memory = (LATENCY - comm_fixed - mem_fixed) / (comm_slope + mem_slope)
    latency_batch = np.minimum(by_memory, (LATENCY - comm_fixed) / (comm_slope + comp_slope))
    one = np.maximum(mem_fixed + mem_slope, comp_slope) + comm_fixed + comm_slope
    feasible = np.broadcast_to(fits & (one <= LATENCY * (1 + SLACK)), (calls.size, 4))
    batch = np.where(feasible, np.maximum(np.minimum(latency_batch, capacity), 1.0), np.nan)
    memory_time, compute_time = mem_fixed + mem_slope * batch, comp_slope * batch
    comm_time = comm_fixed + comm_slope * batch
    seconds = np.maximum(memory_time, compute_time) + comm_time
    replicas = np.maximum(np.ceil(rate * ANSWER * seconds / batch * (1 - SLACK)), 1.0)
    cards = replicas * tensor
    prefill_seconds = prefill / (tensor * c["peak"]) + t["prefill_comm"]
    concurrent = rate * ANSWER * LATENCY
    memory_batch = np.where(np.isfinite(by_memory) & (by_memory > 0), by_memory, np.nan)
    binding = np.where(capacity < latency_batch, 3, np.argmax(np.stack(np.broadcast_arrays(
        memory_time, compute_time, comm_time)), axis=0))
    return {
        "replica_cards": np.broadcast_to(tensor, cards.shape), "replicas": replicas, "cards": cards,
        "batch_per_replica": batch, "ms_per_token": np.where(feasible, seconds, one) * 1e3,
        "ttft_s": prefill_seconds + seconds, "tokens_per_s_per_card": rate * (PROMPT + ANSWER) / cards,
        "cost_per_mtoken": np.full(cards.shape, np.nan), "prefill_s": np.where(feasible, prefill_seconds, np.nan),
        "tensor_parallel": np.broadcast_to(tensor, cards.shape), "pipeline_parallel": np.ones(cards.shape),
        "expert_parallel": np.zeros(cards.shape),
        "compute_cards": np.broadcast_to(rate * (ANSWER * decode + prefill) / c["peak"], cards.shape),
        "bandwidth_cards": np.where(feasible, tensor * concurrent / memory_batch, np.nan),
        "capacity_cards": np.where(fits, np.maximum(tensor, tensor * concurrent / capacity), np.nan),
        "comm_ms": comm_time * 1e3, "prefill_cards": np.where(feasible, 0.0, np.nan), "decode_cards": cards,
        "binding": np.where(feasible, binding, 4), "feasible": feasible,
    }


def raw_numpy_plans(constants: dict[str, float], calls: np.ndarray = CALLS) -> dict[str, np.ndarray]:
    """The planner's whole table for TP1, 2, 4, 8 over the loads (calls a day), in raw numpy.

    Every column serving_plans gives as a number (its 18 float columns, the binding as a
    code, ``feasible``), each load's layouts sorted best first (feasible, fewest cards,
    shortest step) and gathered into that order, as flat arrays. No units, no checks, no
    table: what the planner's arithmetic costs without flopsheet.
    """
    with np.errstate(all="ignore"):  # as the planner: 0 room divides to inf capacity, masked by fits
        arrays = _raw_arrays(constants, calls)
    best_first = np.lexsort((arrays["ms_per_token"], arrays["cards"], ~arrays["feasible"]), axis=-1)
    order = (best_first + (np.arange(calls.size) * TENSOR.size)[:, None]).ravel()
    return {name: np.ascontiguousarray(array).ravel()[order] for name, array in arrays.items()}


def raw_numpy_core(constants: dict[str, float], calls: np.ndarray = CALLS) -> dict[str, np.ndarray]:
    """Only the core of the table in raw numpy: cards, replicas, batch, step, TTFT, tokens/s, feasible.

    The baseline of earlier runs (the same terms, then 7 of the table's columns and one
    global sort), kept for the record.
    """
    c, t = constants, _raw_terms(constants, calls)
    tensor, rate, prefill, fits, capacity = (t[name] for name in ("tensor", "rate", "prefill", "fits", "capacity"))
    mem_fixed, mem_slope, comp_slope = t["mem_fixed"], t["mem_slope"], t["comp_slope"]
    comm_fixed, comm_slope = t["comm_fixed"], t["comm_slope"]
    batch = np.minimum(np.minimum((LATENCY - comm_fixed - mem_fixed) / (comm_slope + mem_slope),
                                  (LATENCY - comm_fixed) / (comm_slope + comp_slope)), capacity)
    one = np.maximum(mem_fixed + mem_slope, comp_slope) + comm_fixed + comm_slope
    feasible = np.broadcast_to(fits & (one <= LATENCY), (calls.size, 4))
    batch = np.where(feasible, np.maximum(batch, 1.0), np.nan)
    seconds = np.maximum(mem_fixed + mem_slope * batch, comp_slope * batch) + comm_fixed + comm_slope * batch
    replicas = np.ceil(rate * ANSWER * seconds / batch * (1 - 1e-9))
    cards = replicas * tensor
    ttft = prefill / (tensor * c["peak"]) + t["prefill_comm"] + seconds
    per_card = rate * (PROMPT + ANSWER) / cards
    order = np.lexsort((np.nan_to_num(seconds, nan=np.inf).ravel(), np.nan_to_num(cards, nan=np.inf).ravel(),
                        ~feasible.ravel(), np.repeat(np.arange(calls.size), 4)))
    return {name: array.ravel()[order] for name, array in (("cards", cards), ("replicas", replicas),
                                                             ("batch", batch), ("seconds", seconds), ("ttft", ttft),
                                                             ("per_card", per_card), ("feasible", feasible))}


SWEEP_CONSTANTS = _constants(SWEEP_CARD)


def raw_numpy() -> object:
    return raw_numpy_plans(SWEEP_CONSTANTS)


def raw_numpy_core_only() -> object:
    return raw_numpy_core(SWEEP_CONSTANTS)


ONE_LOAD = np.array([1e6])


def raw_numpy_five() -> object:
    return [raw_numpy_plans(_FIVE[reference], ONE_LOAD) for reference in CARDS]


_FIVE = {reference: _constants(reference) for reference in CARDS}
