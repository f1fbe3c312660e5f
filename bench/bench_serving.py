"""The serving planner benchmark (issue 21): serving_plans against the same arithmetic in raw numpy.

- one model (Llama 2 70B) across five card types and all their layouts, one load: the
  planner's interactive use (target: under 50 ms);
- a sweep of 10,000 loads (calls a day) through ``serving_plans`` on one card type: one
  vectorised evaluation over loads x layouts, against the same decode-step, capacity,
  prefill and fleet arithmetic written in raw numpy on precomputed floats (the catalogue
  read once), sorted best first per load the same way.
"""

from __future__ import annotations

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


def raw_numpy_plans(constants: dict[str, float], calls: np.ndarray = CALLS) -> dict[str, np.ndarray]:
    """The same arithmetic for TP1, 2, 4, 8 over the loads (calls a day), in raw numpy."""
    c = constants
    tensor = np.array([1.0, 2.0, 4.0, 8.0])[None, :]
    rate = (calls * 86_400 / (BUSY_HOURS * 3600) / 86_400)[:, None]
    mean = PROMPT + (ANSWER + 1) / 2
    kv_mean, kv_full = c["kv"] * mean, c["kv"] * (PROMPT + ANSWER)
    prefill = c["matmul"] * PROMPT + c["attention"] * PROMPT * (PROMPT + 1) / 2
    decode = c["matmul"] + c["attention"] * mean
    step_flop = decode + prefill / ANSWER
    room = tensor * c["memory"] * MEMORY_UTILIZATION - c["held"]
    fits = room >= kv_full
    capacity = np.maximum(room, 0) / kv_mean
    mem_fixed, mem_slope = c["read"] / (tensor * c["bandwidth"]), kv_mean / (tensor * c["bandwidth"])
    comp_slope = step_flop / (tensor * c["peak"])
    allreduces = 2 * c["layers"]
    comm_fixed = np.where(tensor > 1, allreduces * c["latency"], 0.0)
    comm_slope = np.where(tensor > 1, allreduces * 2 * (tensor - 1) / tensor * c["hidden"] * (1 + PROMPT / ANSWER)
                          / c["up"], 0.0)
    batch = np.minimum(np.minimum((LATENCY - comm_fixed - mem_fixed) / (comm_slope + mem_slope),
                                  (LATENCY - comm_fixed) / (comm_slope + comp_slope)), capacity)
    one = np.maximum(mem_fixed + mem_slope, comp_slope) + comm_fixed + comm_slope
    feasible = np.broadcast_to(fits & (one <= LATENCY), (calls.size, 4))
    batch = np.where(feasible, np.maximum(batch, 1.0), np.nan)
    seconds = np.maximum(mem_fixed + mem_slope * batch, comp_slope * batch) + comm_fixed + comm_slope * batch
    replicas = np.ceil(rate * ANSWER * seconds / batch * (1 - 1e-9))
    cards = replicas * tensor
    prefill_comm = np.where(tensor > 1, allreduces * (c["latency"] + 2 * (tensor - 1) / tensor * c["hidden"] * PROMPT
                                                      / c["up"]), 0.0)
    ttft = prefill / (tensor * c["peak"]) + prefill_comm + seconds
    per_card = rate * (PROMPT + ANSWER) / cards
    order = np.lexsort((np.nan_to_num(seconds, nan=np.inf).ravel(), np.nan_to_num(cards, nan=np.inf).ravel(),
                        ~feasible.ravel(), np.repeat(np.arange(calls.size), 4)))
    return {name: array.ravel()[order] for name, array in (("cards", cards), ("replicas", replicas),
                                                             ("batch", batch), ("seconds", seconds), ("ttft", ttft),
                                                             ("per_card", per_card), ("feasible", feasible))}


SWEEP_CONSTANTS = _constants(SWEEP_CARD)


def raw_numpy() -> object:
    return raw_numpy_plans(SWEEP_CONSTANTS)


ONE_LOAD = np.array([1e6])


def raw_numpy_five() -> object:
    return [raw_numpy_plans(_FIVE[reference], ONE_LOAD) for reference in CARDS]


_FIVE = {reference: _constants(reference) for reference in CARDS}
