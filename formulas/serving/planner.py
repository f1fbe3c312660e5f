"""The serving planner: every deployable layout of every card type, sized for a load, best first.

:func:`serving_plans` enumerates, per card type, the layouts a serving engine would
deploy (vLLM, TensorRT-LLM, SGLang; DeepSeek's own system for its MoE models):

- ``TP1``, ``TP2``, ``TP4``, ``TP8`` ... tensor parallelism inside one scale-up domain
  (an 8-card HGX server over NVLink; 72 cards of a GB200 NVL72 rack; PCIe cards over PCIe);
- ``TP8xPP2`` ... a tensor-parallel server per pipeline stage, stages across servers, and
  ``TP16`` ... tensor parallelism across servers over the NIC, where the weights need
  more than one domain;
- ``EP32`` ... for mixture-of-experts shapes, the routed experts spread over ``e`` cards
  (across servers) with data-parallel attention: each card holds the attention and shared
  weights and ``1/e`` of the experts, and every MoE layer sends each token to its top-k
  experts and back (dispatch and combine, two all-to-alls). DeepSeek serves V3/R1 this way:
  prefill EP32 (4 nodes) and decode EP320 (40 nodes) in the DeepSeek-V3 technical report
  (arXiv:2412.19437, section 3.4), EP144 (18 nodes) in its "Inference System Overview"
  (deepseek-ai/open-infra-index, day 6, 2025-03-01).

Each layout is evaluated as arrays (numpy) with one decode step model: a pipeline stage
steps ``b`` requests in

    ``max((weights read + b x KV) / (cards x bandwidth x MBU), b x FLOP / (cards x peak x matmul share))``
    ``+ communication(b)``

and a token crosses all stages. The weights read of an MoE grow with the batch (an
expert is read when any token of the step routes to it: ``1 - (1 - k/E)^tokens``). The
communication is two all-reduces per layer under tensor parallelism (attention and MLP,
payload ``tokens x hidden x 2 bytes``) over the scale-up link (or the NIC across
servers), a point-to-point send per pipeline boundary, and two all-to-alls per MoE layer
under expert parallelism (:mod:`flopsheet.formulas.collectives`). Prefill is chunked
into the decode steps (``prompt x (1 - cache_hit_rate) / answer`` prefill tokens per
decoded token), so the step's compute carries it; with ``disaggregated=True`` prefill
runs on its own pool of the same layout and the decode pool carries none.

The batch per replica is the largest that meets the latency target per output token and
fits the memory left after the weights (KV cache at the mean context); the replicas
serve the output rate at the step time of that batch: ``replicas = ceil(output rate x
step / batch)``. Every share of a peak (matmul, HBM, collective bus bandwidth, collective
latency) is catalogue data (:func:`flopsheet.formulas.efficiencies.efficiency`).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pint

from ...units import AssumptionWarning, InputError, InputRangeError, Q
from .. import args
from .. import magnitudes as fast
from ..catalogues.cards import find_card, key, on_catalogue_change
from ..catalogues.efficiencies import efficiency as catalogue_efficiency
from ..catalogues.peaks import as_utilization
from ..catalogues.shapes import ModelShape, find_model, is_model_name
from ..collectives import BITS_PER_BYTE, all_to_all_two_level_seconds, point_to_point_seconds
from ..rows import Rows, records_table
from .bounds import DEFAULT_MEMORY_UTILIZATION, ROUNDING_SLACK, fraction_arg, latency_arg
from .fleet import (DEFAULT_ANSWER_TOKENS, DEFAULT_CARDS, DEFAULT_LATENCY, DEFAULT_PROMPT_TOKENS, TOKEN_RATE,
                    _references, _tokens_per_call)
from .inference import HOURS_PER_DAY, busy_call_rate
from .model import ServedModel, served_model, whole_number
from .steps import ALLREDUCES_PER_LAYER  # noqa: F401 - re-exported (the planner's constant lives with the step)
from .steps import latency_batches, round_up, step_parts, tensor_parallel_comm_seconds
from .times import ServingCard, _widths, serving_card
from .runs import ServingRun, find_serving_run, serving_runs

#: Bytes per activation value exchanged by the collectives (bf16 hidden states, what the
#: engines send; DeepSeek dispatches in FP8, which halves the dispatch: a conservative choice).
ACTIVATION_BYTES = 2
#: All-to-alls per MoE layer under expert parallelism: dispatch and combine.
ALL_TO_ALLS_PER_MOE_LAYER = 2
#: Expert-parallel widths tried for MoE shapes beyond one domain: DeepSeek's published
#: units (EP32 prefill, EP144 and EP320 decode; see the module text), SGLang's EP72 decode
#: (LMSYS blog "Deploying DeepSeek with PD Disaggregation and Large-scale Expert
#: Parallelism on 96 H100 GPUs", 2025-05-05) and powers of two.
EXPERT_PARALLEL_WIDTHS: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 72, 128, 144, 256, 320)
#: An expert-parallel width may exceed the routed experts (redundant copies of hot experts,
#: as DeepSeek's EP320 holds 256 experts plus redundant ones) up to this factor.
MAX_EXPERT_REPLICATION = 1.25
#: What "best" means: the fewest fleet cards, or the lowest cost per million tokens.
OBJECTIVES: tuple[str, ...] = ("cards", "cost")
#: The public columns, in order (more follow them).
PUBLIC_COLUMNS: list[str] = ["card", "layout", "replica_cards", "replicas", "cards", "batch_per_replica",
                             "ms_per_token", "ttft_s", "binding", "tokens_per_s_per_card", "cost_per_mtoken",
                             "feasible", "reason"]
EXTRA_COLUMNS: list[str] = ["prefill_s", "tensor_parallel", "pipeline_parallel", "expert_parallel", "compute_cards",
                            "bandwidth_cards", "capacity_cards", "comm_ms", "prefill_cards", "decode_cards"]
COLUMNS: list[str] = PUBLIC_COLUMNS + EXTRA_COLUMNS
COLUMN_UNITS: dict[str, str] = {
    "replica_cards": "card", "replicas": "", "cards": "card", "batch_per_replica": "", "ms_per_token": "ms/token",
    "ttft_s": "s", "tokens_per_s_per_card": "token/s/card", "cost_per_mtoken": "currency/Mtoken",
    "compute_cards": "card", "bandwidth_cards": "card", "capacity_cards": "card", "comm_ms": "ms/token",
    "prefill_cards": "card", "decode_cards": "card", "prefill_s": "s",
}
TTFT = args.ArgKind("s", "a time to first token", "2 s")
#: Fixed-point rounds for an MoE's batch (the experts read grow with the batch, which the
#: reads limit): four rounds move the batch by well under 1% on DeepSeek-V3 and Mixtral.
MOE_ITERATIONS = 4
#: Layout kinds (codes in the arrays).
TENSOR, PIPELINE, TENSOR_ACROSS, EXPERT = 0, 1, 2, 3
#: Between layouts of equal fleet and latency, the one with the least cross-server traffic first.
KIND_ORDER = {TENSOR: 0, PIPELINE: 1, EXPERT: 2, TENSOR_ACROSS: 3}


# -- the model as plain numbers ---------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    """The model in SI floats at one weight width: what the arrays read."""

    served: ServedModel
    shape: ModelShape | None
    held: float            # bytes of all weights
    expert_bytes: float    # bytes of all routed experts (0 for a dense model)
    dense_read: float      # bytes read every step besides routed experts
    experts: int
    active_experts: int
    moe_layers: int
    layers: int | None
    hidden: int | None
    heads: int | None
    kv_token: float        # KV bytes per token
    matmul_flop: float     # 2 x active parameters, FLOP per token
    attention_flop: float  # FLOP per token per attended position

    @property
    def is_moe(self) -> bool:
        return self.experts > 1


def _shape_of(model: Any) -> ModelShape | None:
    if isinstance(model, ModelShape):
        return model
    if is_model_name(model):
        return find_model(model)
    return None


#: Readings of (model, kv_bytes_per_token, weight, cached) made without a warning, kept up to MODEL_CACHE_SIZE.
_MODELS: dict[tuple[Any, ...], _Model] = {}
MODEL_CACHE_SIZE = 256


def _model(model: Any, kv_bytes_per_token: Any, weight: pint.Quantity, cached: pint.Quantity) -> _Model:
    """The model in SI floats, read once per hashable set of arguments (a reading that warned is not kept)."""
    key = (model, kv_bytes_per_token, weight, cached)
    try:
        found = _MODELS.get(key)
    except TypeError:  # an unhashable argument (an array of parameters): read it afresh
        return _read_model(model, kv_bytes_per_token, weight, cached)
    if found is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            found = _read_model(model, kv_bytes_per_token, weight, cached)
        for caught_warning in caught:
            warnings.warn(caught_warning.message, caught_warning.category, stacklevel=2)
        if not caught:
            if len(_MODELS) >= MODEL_CACHE_SIZE:
                _MODELS.clear()
            _MODELS[key] = found
    return found


def _read_model(model: Any, kv_bytes_per_token: Any, weight: pint.Quantity, cached: pint.Quantity) -> _Model:
    served = served_model(model, kv_bytes_per_token)
    shape = _shape_of(model)
    width = float(weight.to("B").m)
    held = float(served.total_params.to("parameter").m) * width
    active = float(served.active_params.to("parameter").m) * width
    expert_bytes, experts, active_experts, moe_layers = 0.0, 1, 1, 0
    if shape is not None and shape.is_moe:
        expert = shape.ffn_params() * width
        experts, active_experts, moe_layers = shape.experts, shape.active_experts, shape.moe_layers
        expert_bytes = expert * experts * moe_layers
        active -= expert * active_experts * moe_layers
    return _Model(served, shape, held, expert_bytes, active, experts, active_experts, moe_layers,
                  shape.layers if shape else None, shape.d_model if shape else None, shape.heads if shape else None,
                  float(served.kv_per_token(cached).to("B/token").m),
                  float(served.flop_per_token.to("FLOP/token").m), float(served.attention_flop))


# -- the card as plain numbers ----------------------------------------------------------------


@dataclass(frozen=True)
class _Card:
    """One card type in SI floats with its catalogue shares."""

    label: str
    name: str
    peak: float            # FLOP/s at the serving precision
    matmul: float          # share of peak
    memory: float          # bytes
    bandwidth: float       # bytes/s
    mbu: float             # share of bandwidth
    domain: int            # cards per scale-up domain
    up: float              # scale-up bytes/s per direction (nan: none)
    out: float             # scale-out bytes/s (nan: none)
    ar_up: tuple[float, float]     # all-reduce bus share, latency (s) over scale-up
    ar_out: tuple[float, float]
    a2a_up: float
    a2a_out: float


def _share(record_value: Any) -> float:
    return float(record_value)


def _seconds(value: Any) -> float:
    return float(Q(value).to("s").m)


def _card(reference: str, utilization: Any, efficiency: Any, scale: float = 1.0) -> _Card:
    """The card in SI floats with its shares (cached for hashable arguments; dropped when the catalogue changes)."""
    try:
        return _cached_card(reference, utilization, efficiency, scale)
    except TypeError:        # an unhashable argument (an array): read it afresh
        return _read_card(reference, utilization, efficiency, scale)


@on_catalogue_change
def _drop_cards() -> None:
    _cached_card.cache_clear()


def _read_card(reference: str, utilization: Any, efficiency: Any, scale: float = 1.0) -> _Card:
    device: ServingCard = serving_card(reference, "cards")
    record = find_card(device.peak.card)
    label = device.label
    matmul = (_share(catalogue_efficiency("matmul", device.peak.card, device.peak.precision).value)
              if utilization is None else float(as_utilization(utilization, "utilization").value))
    mbu = (_share(catalogue_efficiency("memory_bandwidth", device.peak.card).value) if efficiency is None
           else float(fraction_arg(efficiency, "efficiency")))
    matmul, mbu = min(matmul * scale, 1.0), min(mbu * scale, 1.0)
    up = float(record.scale_up_bandwidth.to("B/s/card").m) if record.scale_up_bandwidth is not None else math.nan
    out = (float(record.scale_out_bandwidth.to("Gbit/s/card").m) * 1e9 / BITS_PER_BYTE   # NIC bits -> bytes
           if record.scale_out_bandwidth is not None else math.nan)
    domain = int(record.scale_up_domain or 1) if not math.isnan(up) else 1

    def allreduce(link: str) -> tuple[float, float]:
        # Serving engines run one-shot all-reduce kernels under CUDA graphs: the latency
        # record's low bound is that case (see efficiencies.toml).
        return (_share(catalogue_efficiency("allreduce_busbw", device.peak.card, link=link).value),
                _seconds(catalogue_efficiency("allreduce_latency", device.peak.card, link=link).low))

    return _Card(label, device.peak.card, float(device.peak.rate.to("FLOP/s/card").m), matmul,
                 float(device.memory.to("B/card").m), float(device.bandwidth.to("B/s/card").m), mbu, domain, up, out,
                 allreduce("scale_up"), allreduce("scale_out"),
                 _share(catalogue_efficiency("alltoall_busbw", device.peak.card, link="scale_up").value),
                 _share(catalogue_efficiency("alltoall_busbw", device.peak.card, link="scale_out").value))


_cached_card = lru_cache(maxsize=256)(_read_card)


# -- layouts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """One layout: tensor-parallel cards per stage, pipeline stages, expert-parallel width."""

    kind: int
    tensor: int = 1
    stages: int = 1
    experts: int = 0

    @property
    def cards(self) -> int:
        return self.experts if self.kind == EXPERT else self.tensor * self.stages

    @property
    def label(self) -> str:
        if self.kind == EXPERT:
            return f"EP{self.experts}"
        if self.kind == PIPELINE:
            return f"TP{self.tensor}xPP{self.stages}"
        return f"TP{self.tensor}"


def _powers(limit: int) -> list[int]:
    return [2**power for power in range(limit.bit_length()) if 2**power <= limit]


def _layouts(model: _Model, card: _Card, memory_utilization: float) -> list[Layout]:
    """The layouts worth evaluating for one card type."""
    heads = model.heads or 2**20
    inside = [size for size in _powers(card.domain) if heads % size == 0]
    layouts = [Layout(TENSOR, size) for size in inside]
    widest = inside[-1]
    if not math.isnan(card.out):
        fewest = math.ceil(model.held * (1 + ROUNDING_SLACK) / (widest * card.memory * memory_utilization))
        if fewest >= 2:
            for stages in sorted({fewest, fewest + 1, 2 * fewest}):
                layouts.append(Layout(PIPELINE, widest, stages))
            layouts.append(Layout(TENSOR_ACROSS, widest * fewest))
    if model.is_moe:
        for width in EXPERT_PARALLEL_WIDTHS:
            if width > model.experts * MAX_EXPERT_REPLICATION or (width > card.domain and math.isnan(card.out)):
                continue
            layouts.append(Layout(EXPERT, experts=width))
    return layouts


def parse_layout(text: Any, model: _Model, card: _Card) -> Layout:
    """Read a pinned layout ("TP4", "TP8xPP2", "TP16", "EP32"); impossible ones are errors naming ``layout``."""
    given = str(text).strip().upper().replace(" ", "")
    match = re.fullmatch(r"TP(\d+)(?:[X×]PP(\d+))?|EP(\d+)", given)
    if match is None:
        raise InputError("layout", text, '"TP4", "TP8xPP2" (pipeline across servers), "TP16" or "EP32"')
    if match.group(3):
        width = int(match.group(3))
        if not model.is_moe:
            raise InputError("layout", text, "a TP or TP x PP layout: expert parallelism needs a mixture-of-experts "
                             "model shape", f"{model.served.name or 'this model'} is dense")
        if width < 2 or width > model.experts * MAX_EXPERT_REPLICATION:
            raise InputRangeError("layout", text, f"EP2 to EP{int(model.experts * MAX_EXPERT_REPLICATION)} "
                                  f"({model.experts} routed experts)")
        if width > card.domain and math.isnan(card.out):
            raise InputRangeError("layout", text, f"at most EP{card.domain}: {card.label} has no scale-out link")
        return Layout(EXPERT, experts=width)
    tensor, stages = int(match.group(1)), int(match.group(2) if match.group(2) is not None else 1)
    if stages < 1:
        raise InputRangeError("layout", text, "at least one pipeline stage (TP8xPP2)")
    if tensor < 1 or tensor & (tensor - 1):
        raise InputRangeError("layout", text, "a tensor-parallel degree of 1, 2, 4, 8 ... (a power of two: the "
                              "attention heads divide among the cards)")
    if model.heads and model.heads % tensor:
        raise InputRangeError("layout", text, f"a tensor-parallel degree that divides the {model.heads} heads")
    if stages > 1:
        if tensor > card.domain:
            raise InputRangeError("layout", text, f"a pipeline stage within one scale-up domain of {card.domain} "
                                  f"{card.name} cards")
        if math.isnan(card.out):
            raise InputRangeError("layout", text, f"one stage: {card.label} has no scale-out link")
        return Layout(PIPELINE, tensor, stages)
    if tensor > card.domain:
        if math.isnan(card.out) or tensor % card.domain:
            raise InputRangeError("layout", text, f"at most TP{card.domain}: one scale-up domain of {card.name} "
                                  f"(or whole domains joined by a scale-out link)")
        return Layout(TENSOR_ACROSS, tensor)
    return Layout(TENSOR, tensor)


def _pinned_by_cards(layouts: list[Layout], cards: int, card: _Card) -> list[Layout]:
    chosen = [layout for layout in layouts if layout.cards == cards]
    if chosen:
        return chosen
    if cards <= card.domain:
        if cards & (cards - 1):
            raise InputRangeError("replica_cards", f"{cards:g}", "1, 2, 4, 8 ... cards inside a server (a power "
                                  "of two) or whole servers")
        return [Layout(TENSOR, cards)]
    if cards % card.domain or math.isnan(card.out):
        raise InputRangeError("replica_cards", f"{cards:g}", f"whole scale-up domains of {card.domain} {card.name}")
    return [Layout(PIPELINE, card.domain, cards // card.domain), Layout(TENSOR_ACROSS, cards)]


# -- the load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Load:
    """A load as SI arrays (broadcastable): calls/s, tokens, targets."""

    call_rate: np.ndarray
    prompt: np.ndarray
    answer: np.ndarray
    latency: np.ndarray     # s per output token
    ttft: np.ndarray        # s (inf: none)
    cache_hit: np.ndarray   # share of prompt tokens served from cache

    @property
    def output_rate(self) -> np.ndarray:
        return self.call_rate * self.answer

    @property
    def token_rate(self) -> np.ndarray:
        return self.call_rate * (self.prompt + self.answer)


def _array(quantity: pint.Quantity, unit: str) -> np.ndarray:
    """The magnitude of ``quantity`` in ``unit`` as floats (one multiplication by a cached factor)."""
    factor = _factor(quantity.units, unit)
    magnitude = np.asarray(quantity.magnitude, dtype=float)
    return magnitude if factor == 1.0 else magnitude * factor


@lru_cache(maxsize=256)
def _factor(source: pint.Unit, target: str) -> float:
    """The factor from ``source`` to ``target`` units (multiplicative units: every unit the planner reads)."""
    return float(Q(1.0, source).to(target).magnitude)


def read_plan_load(calls_per_day: Any, prompt_tokens: Any, answer_tokens: Any, busy_hours: Any, latency: Any,
                   tokens_per_second: Any, ttft: Any, cache_hit_rate: Any) -> _Load:
    """Read a load (scalars or arrays of the same length) into SI arrays."""
    prompt = _array(_tokens_per_call(prompt_tokens, "prompt_tokens"), "token")
    answer = _array(_tokens_per_call(answer_tokens, "answer_tokens"), "token")
    if (calls_per_day is None) == (tokens_per_second is None):
        raise InputError("calls_per_day", calls_per_day, "either calls_per_day or tokens_per_second (one of them)")
    if calls_per_day is not None:
        rate = _array(busy_call_rate(calls_per_day, busy_hours), "call/s")
    else:
        tokens = _array(args.quantity_arg(tokens_per_second, "tokens_per_second", TOKEN_RATE), "token/s")
        rate = tokens / (prompt + answer)
    target = _array(latency_arg(latency), "s/token")
    first = np.inf if ttft is None else _array(args.quantity_arg(ttft, "ttft", TTFT), "s")
    hit = 0.0 if cache_hit_rate is None else _cache_share(cache_hit_rate)
    return _Load(*(np.asarray(value, dtype=float) for value in (rate, prompt, answer, target, first, hit)))


def _cache_share(value: Any) -> np.ndarray:
    """A share of prompt tokens in [0, 100%)."""
    share = np.asarray(args.quantity_arg(value, "cache_hit_rate", args.UTILIZATION, positive=False)
                       .to("dimensionless").magnitude, dtype=float)
    if np.any((share < 0) | (share >= 1)):
        raise InputRangeError("cache_hit_rate", args.shown(value), "a share in [0, 100%) of prompt tokens")
    return share


# -- the arithmetic, as arrays ----------------------------------------------------------------


def _expert_share(model: _Model, tokens: Any) -> Any:
    """Share of routed experts some token of a step routes to: ``1 - (1 - k/E)^tokens``."""
    if not model.is_moe:
        return 0.0
    return 1.0 - (1.0 - model.active_experts / model.experts) ** np.maximum(tokens, 1.0)


def plan_arrays(model: _Model, card: _Card, layouts: Sequence[Layout], load: _Load, memory_utilization: float,
                disaggregated: bool = False, requests: Any = None) -> dict[str, np.ndarray]:
    """Evaluate every layout for every load: arrays shaped (loads, layouts). SI units throughout.

    ``requests`` pins the requests decoding at once per replica (a published run's batch)
    instead of the largest batch the latency target and the memory allow.
    """
    kind = np.array([layout.kind for layout in layouts])[None, :]
    tensor = np.array([layout.tensor for layout in layouts], dtype=float)[None, :]
    stages = np.array([layout.stages for layout in layouts], dtype=float)[None, :]
    width = np.array([layout.experts for layout in layouts], dtype=float)[None, :]
    replica = np.array([layout.cards for layout in layouts], dtype=float)[None, :]
    expert = kind == EXPERT
    across = kind == TENSOR_ACROSS
    # cards that share one stage's weights (tensor parallel), and the step's stages
    share = np.where(expert, 1.0, np.where(across, replica, tensor))
    rate, prompt, answer = (np.atleast_1d(value)[:, None] for value in (load.call_rate, load.prompt, load.answer))
    target, first, hit = (np.atleast_1d(value)[:, None] for value in (load.latency, load.ttft, load.cache_hit))
    mean_context = prompt + (answer + 1.0) / 2.0
    kv_mean, kv_full = model.kv_token * mean_context, model.kv_token * (prompt + answer)
    new_prompt = prompt * (1.0 - hit)
    prefill_flop = model.matmul_flop * new_prompt + model.attention_flop * new_prompt * (prompt + 1.0) / 2.0
    decode_flop = model.matmul_flop + model.attention_flop * mean_context
    chunk = 0.0 if disaggregated else new_prompt / answer         # prefill tokens per decoded token
    step_flop = decode_flop + (0.0 if disaggregated else prefill_flop / answer)
    usable = card.memory * memory_utilization
    # memory: per stage (TP/PP) or per card (EP)
    expert_held = np.where(expert, model.expert_bytes / np.maximum(width, 1.0), model.expert_bytes / replica)
    room = np.where(expert, usable - (model.held - model.expert_bytes) - expert_held, replica * usable - model.held)
    per_request_room = np.where(expert, 1.0, stages)              # requests of a replica per stage batch unit
    fits = room >= kv_full
    batch_capacity = np.maximum(room, 0.0) / kv_mean / per_request_room
    bandwidth = card.bandwidth * card.mbu
    mem_slope = kv_mean / stages / (share * bandwidth)
    comp_slope = step_flop / stages / (share * card.peak * card.matmul)
    # communication per step: fixed (latency) and per request of the stage batch
    tokens_per_request = 1.0 + chunk
    layers = float(model.layers or 0)
    hidden = float(model.hidden or 0) * ACTIVATION_BYTES
    up_share, up_latency = card.ar_up
    out_share, out_latency = card.ar_out
    inside = (kind == TENSOR) | (kind == PIPELINE)
    link, busbw, lat = (np.where(inside, card.up, card.out), np.where(inside, up_share, out_share),
                        np.where(inside, up_latency, out_latency))
    # the template's TENSOR_PARALLEL_COMM_TIME: a fixed part (latency) and a part per request
    tp_fixed = np.where(share > 1, tensor_parallel_comm_seconds(layers / stages, 0.0, share, link, busbw, lat), 0.0)
    tp_slope = tensor_parallel_comm_seconds(layers / stages, hidden * tokens_per_request, share, link, busbw, lat)
    tp_slope = np.where(share > 1, np.nan_to_num(tp_slope - tp_fixed), 0.0)
    moe = ALL_TO_ALLS_PER_MOE_LAYER * model.moe_layers
    a2a_latency = np.where(width > card.domain, out_latency, up_latency)
    a2a_payload = model.active_experts * hidden * tokens_per_request
    a2a_slope = moe * (all_to_all_two_level_seconds(a2a_payload, width, card.domain, card.up * card.a2a_up,
                                                    np.nan_to_num(card.out, nan=1.0) * card.a2a_out, a2a_latency)
                       - a2a_latency)
    comm_fixed = np.where(expert, moe * a2a_latency, stages * tp_fixed + (stages - 1.0) * out_latency)
    pp_slope = np.where(kind == PIPELINE, (stages - 1.0) * np.nan_to_num(
        point_to_point_seconds(hidden * tokens_per_request, card.out * out_share, 0.0)), 0.0)
    comm_slope = np.where(expert, np.nan_to_num(a2a_slope), stages * tp_slope + pp_slope)
    # the largest batch per stage that meets the latency target (MoE: expert reads follow the batch)
    probability = np.ones_like(kv_mean * replica)
    global_tokens = np.where(expert, width, 1.0) * tokens_per_request
    for _ in range(MOE_ITERATIONS if model.is_moe else 1):
        weights_read = model.dense_read + model.expert_bytes * probability
        mem_fixed = np.where(expert, (model.dense_read + model.expert_bytes / np.maximum(width, 1.0) * probability),
                             weights_read / stages) / (share * bandwidth)
        by_memory, by_compute = latency_batches(target, comm_fixed, comm_slope, mem_fixed, mem_slope, comp_slope, stages)
        latency_batch = np.minimum(by_memory, by_compute)
        batch = np.maximum(np.minimum(latency_batch, batch_capacity), 1.0)
        probability = np.broadcast_to(_expert_share(model, global_tokens * batch), probability.shape)
    weights_read = model.dense_read + model.expert_bytes * probability
    mem_fixed = np.where(expert, model.dense_read + model.expert_bytes / np.maximum(width, 1.0) * probability,
                         weights_read / stages) / (share * bandwidth)

    def step(b: Any) -> tuple[Any, Any, Any, Any]:
        return step_parts(b, comm_fixed, comm_slope, mem_fixed, mem_slope, comp_slope, stages)

    one, _, _, _ = step(1.0)
    latency_ok = one <= target * (1 + ROUNDING_SLACK)
    batch = np.where(fits & latency_ok, np.maximum(np.minimum(latency_batch, batch_capacity), 1.0), np.nan)
    if requests is not None:
        batch = np.asarray(requests, dtype=float) / np.where(expert, width, stages) + 0.0 * batch
        updated = _expert_share(model, global_tokens * batch)
        weights_read = model.dense_read + model.expert_bytes * updated
        mem_fixed = np.where(expert, model.dense_read + model.expert_bytes / np.maximum(width, 1.0) * updated,
                             weights_read / stages) / (share * bandwidth)
    seconds, memory_time, compute_time, comm_time = step(batch)
    requests = batch * np.where(expert, width, stages)            # decoding at once per replica
    output = rate * answer
    replicas_needed = output * seconds / requests
    # prefill: one prompt on one replica (TTFT), and a separate pool when disaggregated
    prefill_share = np.where(expert, 1.0, share)
    prefill_comm = np.where(share > 1, np.nan_to_num(
        tensor_parallel_comm_seconds(layers, hidden * new_prompt, share, link, busbw, lat)), 0.0)
    prefill_seconds = prefill_flop / (prefill_share * card.peak * card.matmul) + np.where(expert, 0.0, prefill_comm)
    ttft = prefill_seconds + seconds
    ttft_ok = ttft <= first * (1 + ROUNDING_SLACK)
    feasible = fits & latency_ok & ttft_ok
    # A load is always > 0 (calls_per_day is checked): at least one replica, even when the load's
    # product underflowed to 0 (1e-300 calls of 1e-300 tokens): never a silent 0-card fleet. NaN stays NaN.
    decode_replicas = np.maximum(_round_up(replicas_needed), 1.0)
    if disaggregated:
        pool_seconds = prefill_flop / (replica * card.peak * card.matmul) + np.where(expert, 0.0, prefill_comm / stages)
        prefill_replicas = np.maximum(_round_up(rate * pool_seconds), 1.0)
    else:
        prefill_replicas = np.zeros_like(decode_replicas)
    replicas = decode_replicas + prefill_replicas
    cards = replicas * replica
    compute_cards = rate * (answer * decode_flop + prefill_flop) / (card.peak * card.matmul)
    concurrent = output * target
    memory_batch = np.where(np.isfinite(by_memory) & (by_memory > 0), by_memory, np.nan)
    bandwidth_cards = replica * concurrent / (memory_batch * np.where(expert, width, stages))
    capacity_cards = np.maximum(replica, replica * concurrent / (batch_capacity * np.where(expert, width, stages)))
    capacity_binds = batch_capacity < latency_batch
    largest = np.argmax(np.stack(np.broadcast_arrays(memory_time, compute_time, comm_time)), axis=0)
    binding = np.where(capacity_binds, 3, largest)
    # arrays shaped (loads, layouts), or (1, layouts) / (loads, 1) where they do not vary: broadcast them
    return {
        "kind": kind, "replica_cards": replica, "replicas": replicas, "cards": cards, "batch_per_replica": requests,
        "ms_per_token": seconds * 1e3, "ttft_s": ttft, "binding": binding,
        "tokens_per_s_per_card": rate * (prompt + answer) / cards, "feasible": feasible, "fits": fits,
        "latency_ok": latency_ok, "one_ms": one * 1e3, "compute_cards": compute_cards,
        "bandwidth_cards": bandwidth_cards, "capacity_cards": capacity_cards, "comm_ms": comm_time * 1e3,
        "prefill_cards": prefill_replicas * replica, "decode_cards": decode_replicas * replica, "room": room,
        "prefill_s": prefill_seconds,
    }


_round_up = round_up


BINDINGS = ("bandwidth", "compute", "communication", "capacity")


# -- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    utilization: Any
    efficiency: Any
    memory_utilization: float
    precision: Any
    kv_precision: Any
    replica_cards: int | None
    max_replica_cards: int | None
    layout: Any
    card_hour_price: Any
    objective: str
    disaggregated: bool
    scale: float = 1.0


def _cost(price: Any, per_card: np.ndarray) -> tuple[np.ndarray, str]:
    """Cost per million tokens at a card-hour price (NaN without one), and the currency."""
    if price is None:
        return np.full_like(per_card, np.nan), "currency"
    from .times import _price

    quantity, currency = _price(price)
    hourly = float(quantity.to(f"{currency}/card/hour").magnitude)
    with np.errstate(divide="ignore", invalid="ignore"):
        return hourly / (per_card * 3600.0) * 1e6, currency


#: Columns that hold a value only where the row is feasible (NaN elsewhere), and only where the weights fit.
_WHEN_FEASIBLE = frozenset({"replicas", "cards", "batch_per_replica", "ttft_s", "tokens_per_s_per_card",
                            "cost_per_mtoken", "prefill_s", "bandwidth_cards", "comm_ms", "prefill_cards",
                            "decode_cards"})
_WHEN_FITS = frozenset({"capacity_cards"})


@dataclass
class _Labels:
    """A text column as codes into its texts (a categorical column: cheap to sort and to spill).

    ``codes`` broadcast to the part's (loads, layouts) shape.
    """

    codes: np.ndarray
    names: list[str]


@dataclass
class _Part:
    """One card type's columns, shaped (loads, layouts) or broadcastable to it.

    ``numbers`` are floats in the table's units before masking; ``feasible`` and ``fits``
    say which rows hold a value (:data:`_WHEN_FEASIBLE`, :data:`_WHEN_FITS`); texts are
    :class:`_Labels`; ``kind_order`` ranks each layout's kind (:data:`KIND_ORDER`).
    """

    numbers: dict[str, np.ndarray]
    labels: dict[str, _Labels]
    feasible: np.ndarray
    fits: np.ndarray
    kind_order: np.ndarray

    @property
    def width(self) -> int:
        return int(self.feasible.shape[1])


def _table(parts: list[_Part], names: list[str], objective: str) -> dict[str, Any]:
    """Every card type's columns side by side, each load's rows sorted best first, as flat columns.

    The rows of one load are the card types' layouts in order; each load's rows are sorted on
    their own (feasible first, then the fewest cards or the lowest cost, the least
    cross-server layout kind, the shortest step), loads stay in order. Each number column is
    masked into one scratch (loads, layouts) array and gathered best first into its row of
    one matrix (one allocation for the table's numbers, which its DataFrame columns view);
    a column with one value per layout is gathered from that row of values. Returns the
    columns: floats, :class:`_Labels` and ``feasible`` (booleans).
    """
    loads = parts[0].feasible.shape[0]
    widths = [part.width for part in parts]
    total = sum(widths)
    numeric = [name for name in names if name in parts[0].numbers]
    textual = [name for name in names if name in parts[0].labels]
    masks = [{"feasible": np.where(part.feasible, 1.0, np.nan), "fits": np.where(part.fits, 1.0, np.nan)}
             for part in parts]

    def side_by_side(name: str, scratch: np.ndarray) -> np.ndarray:
        """One column of every card type in ``scratch`` (loads, layouts), NaN where the row holds no value."""
        mask_name = "feasible" if name in _WHEN_FEASIBLE else "fits" if name in _WHEN_FITS else None
        start = 0
        for part, part_masks in zip(parts, masks):
            block = scratch[:, start:start + part.width]
            if mask_name is None:
                block[...] = part.numbers[name]
            else:  # x * 1 is x exactly; x * NaN is NaN: the mask in the same pass as the copy
                np.multiply(part.numbers[name], part_masks[mask_name], out=block)
            start += part.width
        return scratch

    feasible = np.concatenate([part.feasible for part in parts], axis=1)
    primary = side_by_side("cost_per_mtoken" if objective == "cost" else "cards", np.empty((loads, total)))
    kind_order = np.broadcast_to(np.concatenate([part.kind_order for part in parts]), (loads, total))
    steps = side_by_side("ms_per_token", np.empty((loads, total)))
    # NaN sorts last, as an infinitely large fleet would
    best_first = np.lexsort((steps, kind_order, primary, ~feasible), axis=-1)
    order = (best_first + (np.arange(loads) * total)[:, None]).ravel()
    matrix = np.empty((len(numeric), loads * total))
    scratch = steps
    columns: dict[str, Any] = {}
    for row, name in enumerate(numeric):
        target = matrix[row]
        per_layout = None if name in _WHEN_FEASIBLE or name in _WHEN_FITS else _per_layout(
            [part.numbers[name] for part in parts], widths)
        if per_layout is not None:  # one value per layout: gathered from the layouts' row, not a (loads, layouts) copy
            np.take(per_layout, best_first, out=target.reshape(loads, total), mode="clip")
        else:
            np.take(side_by_side(name, scratch).ravel(), order, out=target, mode="clip")  # clip: unbuffered
        columns[name] = target
    fast.refuse_infinite(matrix)  # the table's every number at once (serving_plans is checked(tables=False))
    columns["feasible"] = feasible.ravel().take(order)
    columns.update({name: _label_column([part.labels[name] for part in parts], widths, best_first, order)
                    for name in textual})
    columns["load"] = np.repeat(np.arange(loads), total)
    return columns


def _label_column(parts: list[_Labels], widths: list[int], best_first: np.ndarray, order: np.ndarray) -> _Labels:
    """One text column of every card type, its codes in best-first order (the smallest integer type that holds them)."""
    offsets = np.cumsum([0] + [len(part.names) for part in parts[:-1]])
    shifted = [part.codes + offset for part, offset in zip(parts, offsets)]
    texts = [text for part in parts for text in part.names]
    code_type = np.int8 if len(texts) < 2 ** 7 else np.int16 if len(texts) < 2 ** 15 else np.int32
    per_layout = _per_layout(shifted, widths)
    if per_layout is not None:
        return _Labels(per_layout.astype(code_type).take(best_first).ravel(), texts)
    loads = best_first.shape[0]
    side_by_side = np.concatenate([np.broadcast_to(codes, (loads, width)) for codes, width in zip(shifted, widths)],
                                  axis=1)
    return _Labels(side_by_side.astype(code_type).ravel().take(order), texts)


def _per_layout(values: list[Any], widths: list[int]) -> np.ndarray | None:
    """The card types' parts of a column as one row of layouts, when each holds one value per layout; else None."""
    rows = []
    for value, width in zip(values, widths):
        array = np.asarray(value)
        if array.ndim == 2 and array.shape[0] != 1 and array.strides[0] != 0:
            return None
        rows.append(np.broadcast_to(array[:1] if array.ndim == 2 else array, (1, width))[0])
    return np.concatenate(rows)


@lru_cache(maxsize=256)
def _categories(texts: tuple[str, ...]) -> Any:
    """The categorical dtype of a text column's sorted distinct texts (built once per set of texts)."""
    import pandas as pd

    return pd.CategoricalDtype(list(texts))


def _frame(columns: dict[str, Any], names: list[str]) -> Any:
    """A DataFrame of the columns; a :class:`Rows` table where pandas is not installed.

    Text columns are pandas categoricals (their values read as plain text).
    """
    try:
        import pandas as pd
    except ModuleNotFoundError:
        plain = [[labels.names[code] for code in labels.codes] if isinstance(labels := columns[name], _Labels)
                 else _plain(columns[name]) for name in names]
        return Rows([dict(zip(names, values)) for values in zip(*plain)], list(names), {})
    data: dict[str, Any] = {}
    for name in names:
        column = columns[name]
        if isinstance(column, _Labels):
            unique = sorted(set(column.names))
            position = {text: index for index, text in enumerate(unique)}
            inverse = np.array([position[text] for text in column.names], dtype=column.codes.dtype)
            data[name] = pd.Categorical.from_codes(inverse[column.codes], dtype=_categories(tuple(unique)),
                                                   validate=False)
        else:
            data[name] = column
    return pd.DataFrame(data, columns=names, copy=False)


def _plain(array: np.ndarray) -> list[Any]:
    """Python values of a column (the plain table of the xlwings Lite bundle)."""
    return [value.item() if hasattr(value, "item") else value for value in array]


def _settings(utilization: Any, efficiency: Any, memory_utilization: Any, precision: Any, kv_precision: Any,
              replica_cards: Any, max_replica_cards: Any, layout: Any, card_hour_price: Any, objective: Any,
              disaggregated: Any, measured: Any = None) -> _Settings:
    if objective not in OBJECTIVES:
        raise InputError("objective", objective, '"cards" (fewest fleet cards) or "cost" (lowest cost per token)')
    if objective == "cost" and card_hour_price is None:
        raise InputError("objective", objective, '"cards", or "cost" with a card_hour_price')
    if utilization is not None:
        as_utilization(utilization, "utilization")
    if efficiency is not None:
        fraction_arg(efficiency, "efficiency")
    pinned = None if replica_cards is None else int(whole_number(replica_cards, "replica_cards"))
    most = None if max_replica_cards is None else int(whole_number(max_replica_cards, "max_replica_cards"))
    return _Settings(utilization, efficiency, float(fraction_arg(memory_utilization, "memory_utilization")), precision,
                     kv_precision, pinned, most, layout, card_hour_price, objective, bool(disaggregated),
                     1.0 if measured is None else _measured_scale(measured))


def _measured_scale(measured: Any) -> float:
    """The share of the roofline a published serving run achieved (planning with it scales both shares)."""
    return run_share(measured)


def _reasons(model: _Model, card: _Card, layouts: Sequence[Layout], values: dict[str, np.ndarray],
             load: _Load) -> _Labels:
    """Why each row is not feasible, the true reason first (the weights fit, then latency, then TTFT)."""
    shape = values["cards"].shape
    held = model.held / 1e9
    names = [""] + [f"cannot: {layout.cards:g} {card.name} ({layout.label}) do not hold {held:,.4g} GB of weights "
                    "and one request's KV cache (the weights do not fit); allow more cards per replica"
                    for layout in layouts]
    fits, latency_ok = values["fits"], values["latency_ok"]
    codes = np.where(fits, 0, np.arange(1, len(layouts) + 1)[None, :]).astype(np.int64)  # (1, layouts) if it may
    failing = np.broadcast_to(fits & ~values["feasible"], shape)  # the weights fit; latency or TTFT do not
    if not failing.any():
        return _Labels(codes, names)
    codes = np.array(np.broadcast_to(codes, shape))
    latency_ok = np.broadcast_to(latency_ok, shape)
    target = np.broadcast_to(np.atleast_1d(load.latency)[:, None] * 1e3, shape)
    limit = np.broadcast_to(np.atleast_1d(load.ttft)[:, None], shape)
    one_ms = np.broadcast_to(values["one_ms"], shape)
    ttft = np.broadcast_to(values["ttft_s"], shape)
    for row, column in zip(*np.nonzero(failing)):
        layout = layouts[column]
        if not latency_ok[row, column]:
            text = (f"cannot: one request alone steps in {one_ms[row, column]:,.4g} ms on "
                    f"{layout.cards:g} {card.name} ({layout.label}), slower than the {target[row, column]:g} ms/token "
                    "target; relax the target or allow more cards per replica")
        else:
            text = (f"cannot: time to first token {ttft[row, column]:,.4g} s on {layout.label}, over "
                    f"the ttft target of {limit[row, column]:g} s")
        codes[row, column] = len(names)
        names.append(text)
    return _Labels(codes, names)


def _card_columns(reference: str, model_arg: Any, kv_bytes_per_token: Any, load: _Load,
                  settings: _Settings) -> _Part:
    """The table's columns for one card type, shaped (loads, layouts); texts as :class:`_Labels`."""
    card = _card(reference, settings.utilization, settings.efficiency, settings.scale)
    device = serving_card(reference, "cards")
    weight, cached = _widths(device.peak.precision, settings.precision, settings.kv_precision)
    model = _model(model_arg, kv_bytes_per_token, weight, cached)
    if model.layers is None:
        warnings.warn(AssumptionWarning("communication not counted: a parameter count has no layers or hidden "
                                        "width (give a model shape)"), stacklevel=4)
    layouts = _layouts(model, card, settings.memory_utilization)
    if settings.layout is not None:
        layouts = [parse_layout(settings.layout, model, card)]
    elif settings.replica_cards is not None:
        layouts = _pinned_by_cards(layouts, settings.replica_cards, card)
    if settings.max_replica_cards is not None:
        kept = [layout for layout in layouts if layout.cards <= settings.max_replica_cards]
        layouts = kept or [min(layouts, key=lambda layout: layout.cards)]
    values = plan_arrays(model, card, layouts, load, settings.memory_utilization, settings.disaggregated)
    shape = values["cards"].shape
    feasible = np.broadcast_to(values["feasible"], shape)
    cost, _ = _cost(settings.card_hour_price, values["tokens_per_s_per_card"])
    layout_names = [layout.label + (" (across servers)" if layout.kind == TENSOR_ACROSS else "") for layout in layouts]
    per_layout = np.arange(len(layouts))[None, :]
    numbers = {name: values[name] for name in ("replica_cards", "replicas", "cards", "batch_per_replica", "ttft_s",
                                                "tokens_per_s_per_card", "prefill_s", "compute_cards",
                                                "bandwidth_cards", "capacity_cards", "comm_ms", "prefill_cards",
                                                "decode_cards")}
    numbers.update({
        "ms_per_token": np.where(feasible, values["ms_per_token"], values["one_ms"]), "cost_per_mtoken": cost,
        "tensor_parallel": np.array([[float(layout.tensor if layout.kind != EXPERT else 1) for layout in layouts]]),
        "pipeline_parallel": np.array([[float(layout.stages) for layout in layouts]]),
        "expert_parallel": np.array([[float(layout.experts) for layout in layouts]]),
    })
    labels = {
        "card": _Labels(np.zeros((1, len(layouts)), dtype=np.int64), [card.label]),
        "layout": _Labels(per_layout, layout_names),
        "binding": _Labels(np.where(feasible, values["binding"], len(BINDINGS)), [*BINDINGS, "cannot"]),
        "reason": _reasons(model, card, layouts, values, load),
    }
    kind_order = np.array([KIND_ORDER[layout.kind] for layout in layouts], dtype=float)
    return _Part(numbers, labels, feasible, np.broadcast_to(values["fits"], shape), kind_order)


@fast.checked(tables=False)
def serving_plans(model: Any, calls_per_day: Any = None, prompt_tokens: Any = DEFAULT_PROMPT_TOKENS,
                  answer_tokens: Any = DEFAULT_ANSWER_TOKENS, busy_hours: Any = HOURS_PER_DAY,
                  latency: Any = DEFAULT_LATENCY, cards: Any = DEFAULT_CARDS, utilization: Any = None,
                  efficiency: Any = None, card_hour_price: Any = None, *, tokens_per_second: Any = None,
                  ttft: Any = None, cache_hit_rate: Any = None, disaggregated: bool = False,
                  memory_utilization: Any = DEFAULT_MEMORY_UTILIZATION, precision: Any = None,
                  kv_precision: Any = None, replica_cards: Any = None, max_replica_cards: Any = None,
                  layout: Any = None, objective: str = "cards", kv_bytes_per_token: Any = None,
                  measured: Any = None) -> Any:
    """Return every layout of every card type sized for a load, best first.

    One row per card type x layout (``TP1`` ... ``TP8`` inside a server, ``TP8xPP2`` and
    ``TP16`` across servers where the weights need them, ``EP8`` ... ``EP320`` for MoE
    shapes): cards per replica, replicas, fleet cards, batch per replica, time per output
    token (TPOT), time to first token (TTFT), the binding bound, billed tokens per second
    per card, cost per million tokens, and ``feasible`` with the ``reason`` when not.
    Feasible rows come first, then the fewest fleet cards (``objective="cards"``) or the
    lowest cost (``objective="cost"``, with ``card_hour_price``).

    Parameters
    ----------
    model, calls_per_day, prompt_tokens, answer_tokens, busy_hours, latency, cards,
    card_hour_price, tokens_per_second, memory_utilization, precision, kv_precision,
    max_replica_cards, kv_bytes_per_token
        As :func:`flopsheet.serving_cards`. ``calls_per_day`` or ``tokens_per_second``
        may be an array (a sweep of loads): the table then has a ``load`` column.
    utilization : default None
        Share of the peak FLOP/s the matmuls achieve; None: the card's catalogue share
        (``efficiency("matmul", card)``, Bekman's MAMF table: 80.3% on H100 bf16).
    efficiency : default None
        Share of the peak memory bandwidth decoding achieves (MBU); None: the catalogue's
        ``efficiency("memory_bandwidth")`` (60%).
    ttft : optional
        Target time to first token, seconds (bare numbers): a layout whose prefill of one
        prompt plus one decode step takes longer is not feasible.
    cache_hit_rate : optional
        Share of prompt tokens served from a prompt cache (they skip prefill); DeepSeek
        reported 56.3% ("Inference System Overview", 2025-03).
    disaggregated : default False
        Separate prefill and decode pools (each in whole replicas of the layout, summed);
        ``prefill_cards`` and ``decode_cards`` report both.
    replica_cards : optional
        Pin the cards per replica: only the layouts of that many cards (TP3 is an error).
    layout : optional
        Pin one layout: ``"TP4"``, ``"TP8xPP2"``, ``"TP16"`` (tensor across servers) or
        ``"EP32"``; an impossible one (TP3, TP16 on a PCIe-only card, EP on a dense
        model) is an error naming ``layout``.
    objective : "cards" or "cost"
    measured : optional
        A published serving result to plan with instead of the roofline: its name in
        ``serving_runs.toml`` (:func:`published_serving_runs`). The planner then scales
        the matmul and memory-bandwidth shares by the share of the roofline that run
        achieved (:func:`implied_serving_efficiency`).

    Returns
    -------
    pandas.DataFrame
        Columns ``card, layout, replica_cards, replicas, cards, batch_per_replica,
        ms_per_token, ttft_s, binding, tokens_per_s_per_card, cost_per_mtoken, feasible,
        reason`` then ``tensor_parallel, pipeline_parallel, expert_parallel,
        compute_cards, bandwidth_cards, capacity_cards, comm_ms, prefill_cards,
        decode_cards``. ``attrs["units"]`` gives each column's unit.

    Examples
    --------
    >>> plans = serving_plans("Llama-2-70B", "100万", 1000, 500, busy_hours=12, cards="H100 bf16")
    >>> best = plans.iloc[0]
    >>> str(best["layout"]), float(best["cards"]), bool(best["feasible"])
    ('TP4', 8.0, True)
    >>> plans.set_index("layout").loc["TP2", "cards"] > 40
    np.True_
    >>> plans.set_index("layout").loc["TP1", "reason"][:60]
    'cannot: 1 H100 (TP1) do not hold 138 GB of weights and one r'
    """
    settings = _settings(utilization, efficiency, memory_utilization, precision, kv_precision, replica_cards,
                         max_replica_cards, layout, card_hour_price, objective, disaggregated, measured)
    load = read_plan_load(calls_per_day, prompt_tokens, answer_tokens, busy_hours, latency, tokens_per_second, ttft,
                          cache_hit_rate)
    served = served_model(model, kv_bytes_per_token)
    context = np.atleast_1d(load.prompt + load.answer)
    fast.finite(context, "token", prompt_tokens=load.prompt, answer_tokens=load.answer)
    # the context of a finished call is prompt + answer: name the answer when it alone is over the limit
    longer = ("answer_tokens" if served.max_context and np.any(np.asarray(load.answer) > served.max_context)
              else "prompt_tokens")
    served.check_context(Q(context, "token"), longer)
    scalar = all(np.ndim(value) == 0 for value in (load.call_rate, load.prompt, load.answer))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = [_card_columns(reference, model, kv_bytes_per_token, load, settings) for reference in _references(cards)]
    names = COLUMNS + ([] if scalar else ["load"])
    columns = _table(parts, names, settings.objective)
    frame = _frame(columns, names)
    frame.attrs["units"] = dict(COLUMN_UNITS)
    frame.attrs["objective"] = settings.objective
    frame.attrs["warnings"] = sorted({str(w.message) for w in caught if issubclass(w.category, AssumptionWarning)})
    return frame


def best_plan(frame: Any, card: str) -> dict[str, Any]:
    """The chosen row of one card type: the first feasible row, else the most telling "cannot" row."""
    rows = [dict(zip(frame.columns, values)) for values in frame.itertuples(index=False)]
    mine = [row for row in rows if row["card"] == card]
    feasible = [row for row in mine if row["feasible"]]
    if feasible:
        return feasible[0]
    fitting = [row for row in mine if "do not hold" not in row["reason"]]
    if fitting:
        return min(fitting, key=lambda row: row["ms_per_token"])
    return max(mine, key=lambda row: row["replica_cards"])


def _fleet_row(plan: dict[str, Any], model: Any, kv_bytes_per_token: Any, precision: Any) -> dict[str, Any]:
    """A serving_cards row (its historical columns plus ``layout``) from the planner's chosen row."""
    from .fleet import COLUMNS as FLEET_COLUMNS

    row = {column: plan.get(column, np.nan) for column in FLEET_COLUMNS}
    row["prefill_s"] = plan["prefill_s"]
    if not plan["feasible"]:
        row.update({"bandwidth_cards": np.nan, "capacity_cards": np.nan, "cards": np.nan, "prefill_s": np.nan,
                    "note": plan["reason"]})
        return row
    device = serving_card(plan["card"], "cards")
    weight, _ = _widths(device.peak.precision, precision, None)
    held = float(served_model(model, kv_bytes_per_token).total_params.to("parameter").m) * float(weight.to("B").m)
    replica = plan["replica_cards"]
    note = f"{plan['layout']}: replica: {replica:g} {device.peak.card} holding {held / 1e9:,.4g} GB of weights"
    domain = find_card(device.peak.card).scale_up_domain or 1
    if replica > domain and plan["expert_parallel"] == 0:
        how = "pipeline" if plan["pipeline_parallel"] > 1 else "tensor parallelism"
        note += f"; spans {replica / domain:g} servers of {domain} ({how} across servers)"
    elif replica > domain:
        note += f"; experts spread over {replica / domain:g} servers of {domain}"
    row["note"] = note
    return row


@fast.checked
def serving_cards(model: Any, calls_per_day: Any = None, prompt_tokens: Any = DEFAULT_PROMPT_TOKENS,
                  answer_tokens: Any = DEFAULT_ANSWER_TOKENS, busy_hours: Any = HOURS_PER_DAY,
                  latency: Any = DEFAULT_LATENCY, cards: Any = DEFAULT_CARDS,
                  utilization: Any = None, efficiency: Any = None,
                  card_hour_price: Any = None, *, tokens_per_second: Any = None,
                  memory_utilization: Any = DEFAULT_MEMORY_UTILIZATION, precision: Any = None,
                  kv_precision: Any = None, replica_cards: Any = None, max_replica_cards: Any = None,
                  kv_bytes_per_token: Any = None, ttft: Any = None, cache_hit_rate: Any = None,
                  disaggregated: bool = False, layout: Any = None, objective: str = "cards",
                  measured: Any = None) -> Any:
    """Return the fleet that serves a load on each card type: the serving planner's best layout per card.

    For each card the planner (:func:`serving_plans`) sizes every layout (TP1 ... TP8,
    pipeline or tensor parallelism across servers, expert parallelism for MoE shapes) and
    this keeps the best feasible one: the fewest fleet cards (``objective="cards"``) or
    the lowest cost (``objective="cost"``, with ``card_hour_price``). The row gives the
    cards under each bound (compute, bandwidth, capacity), the binding one, the fleet, its
    batch per replica, time per output token, time to first prefill, billed tokens per
    second per card, cost per million tokens, and the ``layout`` it chose.

    Parameters
    ----------
    model : parameter count or model shape
        A bare count needs ``kv_bytes_per_token`` (its KV cache is otherwise unknown),
        and has no layers: its communication is not counted (a warning says so).
    calls_per_day : quantity, number or text
        Calls a day (bare numbers in calls/day), served within ``busy_hours``. Give this
        or ``tokens_per_second``.
    prompt_tokens, answer_tokens : default 1000 and 1000
        Tokens asked and answered per call (Table 6's 2000 per call).
    busy_hours : default 24
        Hours a day the calls are spread over, in (0, 24].
    latency : default "50 ms/token"
        Target time per output token, TPOT (bare numbers in ms/token).
    cards : default A10, A100, H100, H20, H200 at bf16
        Catalogue references with their precision, one or a list.
    utilization : default None
        Share of the peak compute the matmuls achieve; None: the card's catalogue share
        (``efficiency("matmul", card)``).
    efficiency : default None
        Share of the peak memory bandwidth achieved while decoding (MBU); None: the
        catalogue's (60%).
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
        Pin the cards per replica (1, 2, 4, 8 inside a server, or whole servers); a
        replica too small to hold the model is a "cannot" row; TP3 is an error.
    max_replica_cards : optional
        The most cards one replica may span (8: one HGX server).
    kv_bytes_per_token : optional
        KV-cache bytes per token for a bare parameter count.
    ttft, cache_hit_rate, disaggregated, layout, objective, measured
        As :func:`serving_plans`.

    Returns
    -------
    pandas.DataFrame
        One row per card: card, replica_cards, compute_cards, bandwidth_cards,
        capacity_cards, binding ("compute", "bandwidth", "communication", "capacity" or
        "cannot"), cards (the fleet, whole replicas), batch_per_replica, ms_per_token,
        prefill_s, tokens_per_s_per_card, cost_per_mtoken, note, layout.
        ``attrs["units"]`` gives each column's unit, ``attrs["load"]`` the load as rates,
        ``attrs["warnings"]`` the assumption notes, ``attrs["plans"]`` the planner's
        table. A "cannot" row has NaN counts and says why in ``note``, the true reason
        first (the weights do not fit, then the latency target with the best achievable).

    Examples
    --------
    >>> frame = serving_cards("2000亿", "300万", busy_hours=12, cards="A10 fp16", utilization=0.3,
    ...                       kv_bytes_per_token="393216 B/token")
    >>> float(round(frame.loc[0, "compute_cards"], 2))
    1481.48
    >>> str(frame.loc[0, "binding"]), float(frame.loc[0, "cards"]), str(frame.loc[0, "layout"])
    ('bandwidth', 1560.0, 'TP24 (across servers)')
    """
    from .bounds import concurrency
    from .fleet import COLUMN_UNITS as FLEET_UNITS, read_load

    plans = serving_plans(model, calls_per_day, prompt_tokens, answer_tokens, busy_hours, latency, cards, utilization,
                          efficiency, card_hour_price, tokens_per_second=tokens_per_second, ttft=ttft,
                          cache_hit_rate=cache_hit_rate, disaggregated=disaggregated,
                          memory_utilization=memory_utilization, precision=precision, kv_precision=kv_precision,
                          replica_cards=replica_cards, max_replica_cards=max_replica_cards, layout=layout,
                          objective=objective, kv_bytes_per_token=kv_bytes_per_token, measured=measured)
    from .fleet import COLUMNS as FLEET_COLUMNS

    labels = dict.fromkeys(serving_card(reference, "cards").label for reference in _references(cards))
    rows = [_fleet_row(best_plan(plans, label), model, kv_bytes_per_token, precision) for label in labels]
    load = read_load(calls_per_day, prompt_tokens, answer_tokens, busy_hours, latency, tokens_per_second)
    frame = records_table(rows, FLEET_COLUMNS)
    frame.attrs["units"] = dict(FLEET_UNITS)
    frame.attrs["load"] = {"calls_per_s": load.call_rate.to("call/s").m, "output_tokens_per_s": load.output_rate.m,
                           "tokens_per_s": load.token_rate.m,
                           "concurrent_requests": concurrency(load.output_rate, load.latency)}
    frame.attrs["warnings"] = list(plans.attrs["warnings"])
    frame.attrs["plans"] = plans
    return frame


# --- published serving runs against the planner's roofline ------------------------------


def roofline_tokens_per_s_per_card(run: ServingRun) -> float:
    """What the planner's arithmetic gives for the run's setting, per card (output or, for prefill, input tokens)."""
    device = serving_card(run.card, "card")
    weight, cached = _widths(device.peak.precision, None, None)
    model = _model(run.model, None, weight, cached)
    card = _card(run.card, None, None)
    layout = parse_layout(run.layout, model, card)
    target = (run.ms_per_token or 1e9) / 1e3
    load = _Load(*(np.asarray(value, dtype=float) for value in
                   (1.0, run.prompt_tokens, run.answer_tokens, target, np.inf, run.cache_hit_rate)))
    if run.phase == "prefill":
        new = run.prompt_tokens * (1 - run.cache_hit_rate)
        flop = model.matmul_flop * new + model.attention_flop * new * (run.prompt_tokens + 1) / 2
        return float(run.prompt_tokens / (flop / (card.peak * card.matmul)))
    values = plan_arrays(model, card, [layout], load, 0.9, disaggregated=run.phase == "decode",
                         requests=run.batch)
    requests, ms = float(values["batch_per_replica"][0, 0]), float(values["ms_per_token"][0, 0])
    return requests / (ms / 1e3) / layout.cards


def implied_serving_efficiency(name: Any = None) -> Any:
    """Return each published serving run against the planner's roofline: the share it achieved.

    Parameters
    ----------
    name : optional
        One run's name; None: every run of ``serving_runs.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per run: run, model, card, layout, phase, published (tokens/s per card:
        output tokens, or input tokens for a prefill run), roofline (the planner's, with the
        catalogue shares), implied (published / roofline), source.

    Examples
    --------
    >>> frame = implied_serving_efficiency()
    >>> bool((frame["implied"] > 0).all()), len(frame) >= 8
    (True, True)
    """
    import pandas as pd

    runs = list(serving_runs().values()) if name is None else [find_serving_run(name, "name")]
    rows = []
    for run in runs:
        roofline = roofline_tokens_per_s_per_card(run)
        rows.append({"run": run.name, "model": run.model, "card": run.card, "layout": run.layout, "phase": run.phase,
                     "published": run.tokens_per_s_per_card, "roofline": roofline,
                     "implied": run.tokens_per_s_per_card / roofline, "source": run.source})
    frame = pd.DataFrame(rows)
    frame.attrs["units"] = {"published": "token/s/card", "roofline": "token/s/card", "implied": ""}
    return frame


def run_share(measured: Any) -> float:
    """The share of the roofline to plan with: a run's implied share (by name), or a share given as a number."""
    if isinstance(measured, str) and key(measured) in serving_runs():
        run = find_serving_run(measured)
        return run.tokens_per_s_per_card / roofline_tokens_per_s_per_card(run)
    if isinstance(measured, str):
        try:
            share = float(measured.rstrip("%")) / (100 if measured.strip().endswith("%") else 1)
        except ValueError:
            find_serving_run(measured)
            raise
    else:
        share = float(measured)
    if not 0 < share <= 1.5:
        raise InputRangeError("measured", f"{share:g}", "a serving run's name or a share of the roofline in (0, 1.5]")
    return share
