"""The training planner: parallel layouts of a model on a cluster, their step time and utilization.

Three records are kept apart, as Calculon does: the *workload* (a :class:`ModelShape`, the
sequence length and the global batch), the *layouts* (arrays of tensor, pipeline, virtual
stage, data, expert and context parallel degrees, micro-batch, ZeRO stage, recompute) and
the *system* (the card's peak, memory and links from the catalogue, each multiplied by its
achieved share from ``data/efficiencies.toml``). :func:`evaluate_layouts` computes every
layout at once with numpy; :func:`training_plans` enumerates the layouts, evaluates them
and returns a table, best first; :func:`predicted_utilization` is its best row's MFU.

The step of one layout (one data-parallel replica's view; all replicas run in step):

- per micro-batch and pipeline stage, the matmul FLOP of the stage's layers (forward,
  backward = 2 x forward, plus the recomputed forward; :mod:`flopsheet.formulas.flops`)
  over ``peak x efficiency("matmul")``, the LM head on the last stage;
- the element-wise work (norms, softmax, dropout, activations) as memory traffic:
  :data:`ELEMENTWISE_PASSES` times the activation bytes of Korthikanti et al. 2022
  (:func:`flopsheet.formulas.memory.activation_bytes`) over the achieved HBM bandwidth;
- tensor parallelism: 4 all-reduces (or reduce-scatter + all-gather pairs, the same bytes)
  of the layer's activations per layer and micro-batch, 6 with full recomputation, on the
  scale-up link (Megatron-LM, Shoeybi et al. 2019, Figure 3); not overlapped;
- pipeline parallelism: one activation send forward and one gradient send backward per
  micro-batch and virtual stage, a ``1/t`` share when tensor-parallel ranks split it
  (Narayanan et al. 2021, section 4.1); the bubble is ``(p - 1) / v`` stage times for the
  interleaved 1F1B schedule (Narayanan et al. 2021, section 2.2.2: ``(p-1)/(v m)`` of
  the ``m`` micro-batches' time);
- data parallelism: the gradient all-reduce (reduce-scatter + all-gather under ZeRO 1-2,
  one more all-gather of weights under ZeRO 3) over the scale-out fabric, of which
  ``dp_overlap`` is hidden behind the backward pass; the fabric has as many switch tiers
  as the cluster needs (``switch_radix``) and each tier beyond the first keeps
  ``efficiency("fabric_tier_busbw")`` of the bus bandwidth and adds its latency;
- expert parallelism: 4 all-to-alls (dispatch, combine, forward and backward) per MoE
  layer and micro-batch, 6 with full recomputation, inside the scale-up domain and across
  servers at the all-to-all shares DeepEP measured (``alltoall_busbw``), not overlapped
  with compute; context parallelism: the ring of key
  and value blocks (an all-gather forward, twice that backward);
- the optimizer step: every state byte read and written once at the achieved HBM bandwidth.

MFU counts the model's FLOP (no recomputation) in the step time; HFU counts what the card
ran (with the recomputed forward). Failures and stragglers are not in either: ``goodput``
states them apart (Llama 3: about 90% of wall-clock time trained).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ...units import InputError, InputRangeError, Q
from .. import args
from ..catalogues.cards import card_peak, find_card, on_catalogue_change
from ..catalogues.efficiencies import card_and_precision, efficiency
from ..catalogues.shapes import ModelShape, as_shape
from ..rows import Rows
from ..collectives import (all_gather_seconds, all_to_all_two_level_seconds, allreduce_seconds, link,
                           point_to_point_seconds)
from .flops import RECOMPUTE_PASSES, TRAIN_PASSES, forward_parts_per_token
from .memory_parts import RECOMPUTE_MODES, STATE_BYTES, ZERO_STAGES, activation_bytes

#: Memory traffic of the element-wise kernels per activation byte Korthikanti et al. count:
#: written in the forward pass, read in the backward pass, its gradient written there
#: (a model assumption, stated: fused kernels move less, unfused more).
ELEMENTWISE_PASSES = 3
#: Tensor-parallel all-reduces per layer and micro-batch: 2 forward (after attention and
#: after the MLP), 2 backward (Shoeybi et al. 2019, Figure 3); full recomputation repeats the forward's 2.
TP_COLLECTIVES = 4
#: All-to-alls per MoE layer and micro-batch: dispatch and combine, forward and backward.
EP_COLLECTIVES = 4
#: Collectives a full recomputation repeats (the forward's).
RECOMPUTED_COLLECTIVES = 2
#: Bytes per activation element (bf16/fp16 activations).
ACTIVATION_ELEMENT_BYTES = 2
#: Unfused gradient accumulation (``main_grad.add_(grad)`` per micro-batch, Megatron-LM's
#: local DDP before ``--gradient-accumulation-fusion``): read the 16-bit gradient (2 bytes),
#: read and write the fp32 accumulator (4 + 4) per parameter and micro-batch.
UNFUSED_ACCUMULATION_BYTES = 2 + 4 + 4
#: Bytes per parameter of the data-parallel gradient reduce: Megatron-LM accumulates and
#: reduces 16-bit training's gradients in fp32 (``--accumulate-allreduce-grads-in-fp32``,
#: forced for bf16; ``main_grad`` buffers).
GRADIENT_REDUCE_BYTES = 4
#: Optimizer step: each state byte read once and written once.
OPTIMIZER_PASSES = 2
#: Ports of one switch of the scale-out fabric: NVIDIA Quantum-2 QM9700, 64 x 400 Gbit/s
#: InfiniBand NDR (datasheet, 2022). A fat tree of such switches holds radix cards with one
#: tier, radix^2/2 with two, radix^3/4 with three.
SWITCH_RADIX = 64
#: The degrees the search tries (pins may name others).
SEARCH_MICRO_BATCHES = (1, 2, 4, 8)
SEARCH_VIRTUAL_STAGES = (1, 2, 4, 8)
#: Context parallelism is searched only for sequences longer than this (tokens), and
#: flagged on shorter ones: a 2k-8k sequence fits without it (Megatron-Core docs recommend CP from about 8k).
CONTEXT_PARALLEL_FROM = 8192
#: The shortest sequence share a context-parallel rank keeps in the search (tokens).
MIN_CONTEXT_SHARE = 1024
#: Rounds of the fixed point of train_cards(..., "predicted", ...) (cards -> plan -> MFU -> cards).
PLAN_ROUNDS = 6
#: Card counts the fixed point tries: servers x 2^k x one of these odd factors, the first PLAN_COUNT_TRIES from
#: the count needed up.
PLAN_COUNT_FACTORS = (1, 3, 5, 7, 9, 15)
PLAN_COUNT_TRIES = 12
#: Recompute codes in the layout arrays.
RECOMPUTE_CODES = {mode: code for code, mode in enumerate(RECOMPUTE_MODES)}
#: Time components of a step, in the order the table lists them (seconds).
TIME_COMPONENTS = ("compute", "memory_bound", "grad_accumulation", "tp_comm", "cp_comm", "ep_comm", "pp_comm",
                   "dp_comm", "bubble", "optimizer")
#: Pinning keywords of :func:`training_plans`, in the table's column order.
PINS = ("tensor_parallel", "pipeline_parallel", "data_parallel", "expert_parallel", "context_parallel",
        "micro_batch", "zero_stage", "recompute")
COUNT = args.ArgKind("dimensionless", "a whole number", "8")
#: The largest count a layout array holds exactly (2^53, a float's whole-number range).
MAX_COUNT = 2 ** 53


# -- the three records -----------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    """What is trained: the shape, tokens per sequence and sequences per step (global batch)."""

    shape: ModelShape
    sequence: int
    global_batch: int

    @property
    def tokens_per_step(self) -> int:
        """Tokens in one optimizer step."""
        return self.sequence * self.global_batch


@dataclass(frozen=True)
class System:
    """One card type of the cluster, with every peak already multiplied by its achieved share (SI units)."""

    card: str
    precision: str
    peak_flops: float               # FLOP/s per card, datasheet dense peak of the precision
    matmul_share: float
    memory_bytes: float             # HBM per card
    hbm_bytes_per_second: float     # achieved
    scale_up_bytes_per_second: float
    scale_up_latency: float
    scale_out_bytes_per_second: float
    scale_out_latency: float
    scale_up_domain: int
    server_cards: int
    tier_share: float
    alltoall_up_bytes_per_second: float      # achieved all-to-all bus bandwidth (DeepEP measurements)
    alltoall_out_bytes_per_second: float

    @property
    def matmul_flops(self) -> float:
        """Achieved matmul FLOP/s per card."""
        return self.peak_flops * self.matmul_share


def system(card: str, precision: str | None = None) -> System:
    """Return the :class:`System` record of a catalogue card ("A100 bf16", "H100").

    Read once per card and precision (the cache empties when the catalogue changes).

    Raises
    ------
    InputError
        A card whose record gives no scale-up or scale-out link.
    """
    name, precision = card_and_precision(card, precision)
    return _system(name, precision or "bf16")


@lru_cache(maxsize=64)
def _system(name: str, precision: str) -> System:
    record = find_card(name, "card")
    up, out = link(name, "scale_up"), link(name, "scale_out")
    domain = record.scale_up_domain or 1
    return System(
        card=name, precision=precision, peak_flops=float(card_peak(name, precision).to("FLOP/s/card").m),
        matmul_share=float(efficiency("matmul", name, precision).value),
        memory_bytes=float(record.memory.to("B/card").m),
        hbm_bytes_per_second=float(record.bandwidth.to("B/s/card").m) * float(efficiency("memory_bandwidth", name).value),
        scale_up_bytes_per_second=up.bytes_per_second, scale_up_latency=up.latency_s,
        scale_out_bytes_per_second=out.bytes_per_second, scale_out_latency=out.latency_s,
        scale_up_domain=domain, server_cards=record.server_cards or domain,
        tier_share=float(efficiency("fabric_tier_busbw").value),
        alltoall_up_bytes_per_second=up.peak_bytes_per_second * float(efficiency("alltoall_busbw", name, link="scale_up").value),
        alltoall_out_bytes_per_second=out.peak_bytes_per_second * float(
            efficiency("alltoall_busbw", name, link="scale_out").value))


on_catalogue_change(_system.cache_clear)


@dataclass
class Layouts:
    """Parallel layouts as equal-length integer arrays (one element per layout)."""

    tensor_parallel: np.ndarray
    pipeline_parallel: np.ndarray
    virtual_stages: np.ndarray
    data_parallel: np.ndarray
    expert_parallel: np.ndarray
    context_parallel: np.ndarray
    micro_batch: np.ndarray
    zero_stage: np.ndarray
    recompute: np.ndarray           # RECOMPUTE_CODES
    sequence_parallel: np.ndarray   # bool

    def __len__(self) -> int:
        return len(self.tensor_parallel)

    def take(self, keep: np.ndarray) -> "Layouts":
        """The layouts where ``keep`` is true."""
        return Layouts(**{name: getattr(self, name)[keep] for name in self.__dataclass_fields__})


def fabric_tiers(cards: Any, radix: int = SWITCH_RADIX) -> Any:
    """Switch tiers of a fat tree of ``radix``-port switches that holds ``cards`` NICs (1, 2, 3...).

    One tier holds ``radix`` cards, each further tier multiplies that by ``radix / 2``.

    Examples
    --------
    >>> [int(fabric_tiers(n)) for n in (8, 64, 2048, 2049, 16384, 100_000)]
    [1, 1, 2, 3, 3, 4]
    """
    cards = np.asarray(cards, dtype=float)
    tiers = 1 + np.ceil(np.log(np.maximum(cards / radix, 1.0)) / np.log(radix / 2) - 1e-12)
    return np.maximum(tiers, 1).astype(int)


# -- evaluation ------------------------------------------------------------------------
def _param_split(shape: ModelShape) -> tuple[float, float]:
    """(parameters every expert-parallel rank holds, parameters split over expert-parallel ranks)."""
    experts = float(shape.moe_layers * shape.experts * shape.ffn_params()) if shape.is_moe else 0.0
    return float(shape.params) - experts, experts


def evaluate_layouts(workload: Workload, layouts: Layouts, system: System, dp_overlap: float,
                     cards: int, precision: str = "bf16", optimizer: str = "adam",
                     radix: int = SWITCH_RADIX, accumulation_fusion: bool = True,
                     flash_attention: bool = True) -> dict[str, np.ndarray]:
    """Evaluate every layout at once: memory per card (bytes), time components (s), step time, MFU, HFU.

    Returns a dict of arrays named like the columns of :func:`training_plans` (memory in bytes).
    """
    shape, seq = workload.shape, float(workload.sequence)
    t = layouts.tensor_parallel.astype(float)
    p = layouts.pipeline_parallel.astype(float)
    v = layouts.virtual_stages.astype(float)
    d = layouts.data_parallel.astype(float)
    e = layouts.expert_parallel.astype(float)
    c = layouts.context_parallel.astype(float)
    b = layouts.micro_batch.astype(float)
    zero, code, sp = layouts.zero_stage, layouts.recompute, layouts.sequence_parallel
    full = code == RECOMPUTE_CODES["full"]
    selective = code == RECOMPUTE_CODES["selective"]
    layers = shape.layers

    # FLOP per token (forward), split into the layers, their attention scores and the LM head.
    parts = forward_parts_per_token(shape, seq)
    head_per_token = float(parts["embedding/head"])
    layers_per_token = float(sum(value for name, value in parts.items() if name != "embedding/head"))
    attention_per_token = float(parts["attention"])
    micro_tokens = b * seq                                   # tokens of one micro-batch of one replica
    stage_layers = np.ceil(layers / (p * v)) * v             # uneven stages: the slowest holds the ceiling
    layer_share = stage_layers / layers
    passes = TRAIN_PASSES + np.where(full, RECOMPUTE_PASSES, 0)
    recomputed = np.where(full, layers_per_token, np.where(selective, attention_per_token, 0.0))
    stage_flop = micro_tokens / (t * c) * layer_share * (TRAIN_PASSES * layers_per_token + recomputed)
    head_flop = micro_tokens / (t * c) * TRAIN_PASSES * head_per_token
    matmul = (stage_flop + head_flop) / system.matmul_flops

    # Element-wise traffic: the activations of the stage's layers, written, read, their gradients written;
    # a fused attention kernel (FlashAttention, Dao et al. 2022) never writes the s x s scores to HBM.
    stored = np.empty_like(t)
    for flag in (False, True):
        rows = sp == flag
        if np.any(rows):
            stored[rows] = activation_bytes(shape, seq / c[rows], b[rows], "selective" if flash_attention else "none",
                                            t[rows], flag)
    elementwise = stored * layer_share * (ELEMENTWISE_PASSES + np.where(full, 1, 0)) / system.hbm_bytes_per_second

    # Tensor parallel: all-reduces of the micro-batch's activations on the scale-up link.
    activation_payload = micro_tokens / c * shape.d_model * ACTIVATION_ELEMENT_BYTES
    tp_count = TP_COLLECTIVES + np.where(full, RECOMPUTED_COLLECTIVES, 0)
    tp_each = allreduce_seconds(activation_payload, t, system.scale_up_bytes_per_second, system.scale_up_latency)
    tp_time = stage_layers * tp_count * tp_each

    # Context parallel: the key/value blocks go round the ring (all-gather forward, twice backward).
    kv_payload = micro_tokens * shape.kv_cache_width * ACTIVATION_ELEMENT_BYTES / t
    cp_on_scale_up = t * c <= system.scale_up_domain
    cp_bw = np.where(cp_on_scale_up, system.scale_up_bytes_per_second, system.scale_out_bytes_per_second)
    cp_lat = np.where(cp_on_scale_up, system.scale_up_latency, system.scale_out_latency)
    cp_time = stage_layers * (1 + 2) * all_gather_seconds(kv_payload, c, cp_bw, cp_lat)

    # Expert parallel: all-to-alls of the routed tokens.
    if shape.is_moe:
        moe_share = shape.moe_layers / layers
        ep_payload = micro_tokens / (c * t) * shape.active_experts * shape.d_model * ACTIVATION_ELEMENT_BYTES
        ep_count = EP_COLLECTIVES + np.where(full, RECOMPUTED_COLLECTIVES, 0)
        # Expert ranks fill the scale-up domain left over by tensor parallelism, then cross servers.
        ep_domain = np.maximum(system.scale_up_domain // t, 1)
        ep_each = all_to_all_two_level_seconds(ep_payload, e, ep_domain, system.alltoall_up_bytes_per_second,
                                               system.alltoall_out_bytes_per_second,
                                               np.where(t * e <= system.scale_up_domain, system.scale_up_latency,
                                                        system.scale_out_latency))
        ep_time = stage_layers * moe_share * ep_count * ep_each
    else:
        ep_time = np.zeros_like(t)

    # Pipeline: sends between stages (a 1/t share each with scatter/gather), v times per micro-batch.
    stage_on_scale_up = t * c * p <= system.server_cards
    pp_bw = np.where(stage_on_scale_up, system.scale_up_bytes_per_second, system.scale_out_bytes_per_second)
    pp_lat = np.where(stage_on_scale_up, system.scale_up_latency, system.scale_out_latency)
    pp_time = np.where(p > 1, 2 * v * point_to_point_seconds(activation_payload / t, pp_bw, pp_lat), 0.0)

    shared, experts = _param_split(shape)
    params_card = shared / (t * p) + experts / (t * p * e)
    accumulation = (0.0 if accumulation_fusion else
                    UNFUSED_ACCUMULATION_BYTES * params_card / system.hbm_bytes_per_second)
    stage_time = matmul + elementwise + accumulation + tp_time + cp_time + ep_time + pp_time
    micro_batches = workload.global_batch / (d * b)
    bubble = (p - 1) / v * stage_time

    # Memory per card (bytes): model states (ZeRO over the data x context group), activations.
    weight_b, gradient_b, state_b = STATE_BYTES[precision][optimizer]
    shard = d * c
    weights = weight_b * params_card / np.where(zero >= 3, shard, 1)
    gradients = gradient_b * params_card / np.where(zero >= 2, shard, 1)
    states = state_b * params_card / np.where(zero >= 1, shard, 1)
    held = np.empty_like(t)
    for mode, number in RECOMPUTE_CODES.items():
        for flag in (False, True):
            rows = (code == number) & (sp == flag)
            if np.any(rows):
                held[rows] = activation_bytes(shape, seq / c[rows], b[rows], mode, t[rows], flag)
    in_flight = np.minimum(p, micro_batches)
    interleave = np.where(v > 1, 1 + (p - 1) / (p * v), 1.0)
    activations = held / p * in_flight * interleave
    memory = weights + gradients + states + activations

    # Data parallel: the gradient reduce over the fabric, the overlapped share hidden.
    dp_group = d * c
    in_one_server = cards <= system.server_cards
    tiers = fabric_tiers(cards, radix)
    dp_bw = (system.scale_up_bytes_per_second if in_one_server
             else system.scale_out_bytes_per_second * system.tier_share ** (tiers - 1))
    dp_lat = system.scale_up_latency if in_one_server else system.scale_out_latency * tiers
    gradient_bytes = GRADIENT_REDUCE_BYTES * params_card
    dp_full = allreduce_seconds(gradient_bytes, dp_group, dp_bw, dp_lat) * np.where(zero >= 3, 1.5, 1.0)
    dp_exposed = (1 - dp_overlap) * dp_full

    optimizer_time = OPTIMIZER_PASSES * (weight_b + gradient_b + state_b) * params_card / np.where(zero >= 1, shard, 1) \
        / system.hbm_bytes_per_second

    components = {
        "compute": micro_batches * matmul, "memory_bound": micro_batches * elementwise,
        "grad_accumulation": micro_batches * accumulation * np.ones_like(t),
        "tp_comm": micro_batches * tp_time, "cp_comm": micro_batches * cp_time, "ep_comm": micro_batches * ep_time,
        "pp_comm": micro_batches * pp_time, "dp_comm": dp_exposed, "bubble": bubble, "optimizer": optimizer_time,
    }
    step_time = sum(components.values())
    tokens = workload.tokens_per_step
    model_flop = tokens * (TRAIN_PASSES * (layers_per_token + head_per_token))
    hardware_flop = model_flop + tokens * recomputed
    capacity = cards * system.peak_flops
    return {**components, "step_time": step_time, "micro_batches": micro_batches, "memory_per_card": memory,
            "tokens_per_second": tokens / step_time, "mfu": model_flop / (step_time * capacity),
            "hfu": hardware_flop / (step_time * capacity),
            "hardware_tflops_per_card": hardware_flop / (step_time * cards) / 1e12}


# -- reading the arguments --------------------------------------------------------------
def _whole(value: Any, argument: str, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise InputError(argument, value, "a whole number, not TRUE/FALSE")
    number = float(np.asarray(args.quantity_arg(value, argument, COUNT, positive=minimum > 0).magnitude))
    if not math.isfinite(number) or number != int(number) or number < minimum:
        raise InputRangeError(argument, value, f"a whole number, at least {minimum}")
    if number > MAX_COUNT:
        raise InputRangeError(argument, value, f"at most {MAX_COUNT:,} (a count the layout arrays hold exactly)")
    return int(number)


def _recompute_code(value: Any) -> int:
    if value is True:
        return RECOMPUTE_CODES["full"]
    if value is False:
        return RECOMPUTE_CODES["none"]
    if isinstance(value, str) and value.strip().lower() in RECOMPUTE_CODES:
        return RECOMPUTE_CODES[value.strip().lower()]
    raise InputError("recompute", value, '"none", "selective" or "full" (TRUE is full, FALSE none)')


def _workload(model: Any, sequence: Any, tokens_per_step: Any, global_batch: Any) -> Workload:
    shape = as_shape(model, "model")
    if sequence is None:
        raise InputError("sequence", None, "a sequence length in tokens (e.g. 4096)")
    length = _whole(args.quantity_arg(sequence, "sequence", args.ArgKind("token", "tokens", "4096")).to("token").m,
                    "sequence")
    if shape.max_context is not None and length > shape.max_context:
        raise InputRangeError("sequence", length, f"at most {shape.name}'s max context ({shape.max_context} tokens)")
    if (tokens_per_step is None) == (global_batch is None):
        raise InputError("global_batch", global_batch, "either tokens_per_step or global_batch (sequences), not both "
                         "and not neither")
    if global_batch is None:
        tokens = float(args.quantity_arg(tokens_per_step, "tokens_per_step", args.TOKENS).to("token").m)
        batch = tokens / length
        if batch < 1 or abs(batch - round(batch)) > 1e-9 * batch:
            raise InputRangeError("tokens_per_step", tokens_per_step, f"a whole number of {length}-token sequences")
        return Workload(shape, length, int(round(batch)))
    return Workload(shape, length, _whole(global_batch, "global_batch"))


def _powers_of_two(limit: int) -> list[int]:
    return [2 ** k for k in range(int(math.log2(max(limit, 1))) + 1)]


def _candidates(workload: Workload, cards: int, sys: System, pins: dict[str, Any]) -> dict[str, list[int]]:
    """The values each degree takes in the search (a pinned one only its value), checking pins."""
    shape = workload.shape
    found: dict[str, list[int]] = {}
    tp = pins.get("tensor_parallel")
    if tp is not None:
        if tp > sys.scale_up_domain:
            raise InputRangeError("tensor_parallel", tp, f"at most the {sys.card}'s scale-up domain "
                                  f"({sys.scale_up_domain} cards): tensor parallelism runs on the scale-up link")
        if shape.heads % tp:
            raise InputRangeError("tensor_parallel", tp, f"a divisor of {shape.name}'s attention heads ({shape.heads})")
        found["tensor_parallel"] = [tp]
    else:
        found["tensor_parallel"] = [n for n in _powers_of_two(sys.scale_up_domain) if shape.heads % n == 0]
    pp = pins.get("pipeline_parallel")
    if pp is not None:
        if pp > shape.layers:
            raise InputRangeError("pipeline_parallel", pp, f"at most {shape.name}'s layers ({shape.layers}): "
                                  "a stage holds at least one layer")
        found["pipeline_parallel"] = [pp]
    else:
        found["pipeline_parallel"] = [n for n in range(1, shape.layers + 1) if shape.layers % n == 0 and n <= cards]
    cp = pins.get("context_parallel")
    if cp is not None:
        if workload.sequence % cp:
            raise InputRangeError("context_parallel", cp, f"a divisor of the sequence ({workload.sequence} tokens)")
        found["context_parallel"] = [cp]
    elif workload.sequence > CONTEXT_PARALLEL_FROM:
        found["context_parallel"] = [n for n in _powers_of_two(workload.sequence // MIN_CONTEXT_SHARE)
                                     if workload.sequence % n == 0]
    else:
        found["context_parallel"] = [1]
    ep = pins.get("expert_parallel")
    if ep is not None:
        if ep > 1 and shape.experts % ep:
            raise InputRangeError("expert_parallel", ep, f"a divisor of {shape.name}'s experts ({shape.experts})")
        found["expert_parallel"] = [ep]
    else:
        found["expert_parallel"] = [n for n in _powers_of_two(shape.experts) if shape.experts % n == 0]
    found["micro_batch"] = [pins["micro_batch"]] if "micro_batch" in pins else list(SEARCH_MICRO_BATCHES)
    found["virtual_stages"] = [pins["virtual_stages"]] if "virtual_stages" in pins else list(SEARCH_VIRTUAL_STAGES)
    found["zero_stage"] = [pins["zero_stage"]] if "zero_stage" in pins else list(ZERO_STAGES)
    found["recompute"] = [pins["recompute"]] if "recompute" in pins else list(RECOMPUTE_CODES.values())
    return found


def enumerate_layouts(workload: Workload, cards: int, sys: System, pins: dict[str, Any],
                      sequence_parallel: bool = True) -> Layouts:
    """Every layout of ``cards`` the pins allow, as arrays (degrees that do not divide are left out).

    Raises
    ------
    InputRangeError
        A pin that cannot hold (beyond the scale-up domain, more stages than layers, cards
        not divisible by the model-parallel degrees, a global batch no layout divides).
    """
    found = _candidates(workload, cards, sys, pins)
    order = ("tensor_parallel", "pipeline_parallel", "context_parallel", "expert_parallel", "micro_batch",
             "virtual_stages", "zero_stage", "recompute")
    grids = np.meshgrid(*(np.asarray(found[name], dtype=np.int64) for name in order), indexing="ij")
    columns = {name: grid.ravel() for name, grid in zip(order, grids)}
    t, p, c, e, b, v = (columns[name] for name in order[:6])
    model_parallel = t * p * c
    d = cards // model_parallel
    keep = cards % model_parallel == 0
    fixed = [pins[name] for name in ("tensor_parallel", "pipeline_parallel", "context_parallel") if name in pins]
    if fixed and not np.any(keep):
        product = math.prod(fixed)
        raise InputRangeError("cards", cards, f"a multiple of tensor_parallel x pipeline_parallel x context_parallel "
                              f"({product})")
    if "data_parallel" in pins:
        keep &= d == pins["data_parallel"]
        if not np.any(keep):
            raise InputRangeError("data_parallel", pins["data_parallel"], f"cards / (tensor_parallel x "
                                  f"pipeline_parallel x context_parallel) with {cards} cards")
    keep &= (e == 1) | (d % np.maximum(e, 1) == 0)
    batch = workload.global_batch
    keep &= (batch % np.maximum(d, 1) == 0) & ((batch // np.maximum(d, 1)) % b == 0)
    if not np.any(keep):
        raise InputRangeError("global_batch", batch, f"divisible by data_parallel x micro_batch for some layout of "
                              f"{cards} cards")
    keep &= (v == 1) | ((p > 1) & (p * v <= workload.shape.layers))
    if "virtual_stages" in pins and pins["virtual_stages"] > 1 and not np.any(keep):
        raise InputRangeError("virtual_stages", pins["virtual_stages"], "1, or a count that divides layers / "
                              "pipeline_parallel (with pipeline_parallel > 1)")
    layouts = Layouts(tensor_parallel=t, pipeline_parallel=p, virtual_stages=v, data_parallel=d,
                      expert_parallel=e, context_parallel=c, micro_batch=b, zero_stage=columns["zero_stage"],
                      recompute=columns["recompute"], sequence_parallel=(t > 1) & bool(sequence_parallel))
    return layouts.take(keep)


def _pins(keywords: dict[str, Any]) -> dict[str, Any]:
    pins: dict[str, Any] = {}
    for name, value in keywords.items():
        if value is None:
            continue
        if name == "recompute":
            pins[name] = _recompute_code(value)
        elif name == "zero_stage":
            stage = _whole(value, name, minimum=0)
            if stage not in ZERO_STAGES:
                raise InputRangeError(name, value, "0, 1, 2 or 3")
            pins[name] = stage
        else:
            pins[name] = _whole(value, name)
    return pins


def _overlap(dp_overlap: Any) -> float:
    if dp_overlap is None:
        return float(efficiency("dp_overlap").value)
    share = float(np.asarray(args.quantity_arg(dp_overlap, "dp_overlap", args.UTILIZATION, positive=False).m))
    if not 0 <= share <= 1:
        raise InputRangeError("dp_overlap", dp_overlap, "a share in [0, 100%]")
    return share


def _plan_arrays(model: Any, cards: Any, card: Any, tokens_per_step: Any, sequence: Any, global_batch: Any,
                 keywords: dict[str, Any], sequence_parallel: bool, dp_overlap: Any, precision: str,
                 optimizer: str, accumulation_fusion: bool = True, flash_attention: bool = True
                 ) -> tuple[Workload, System, int, Layouts, dict[str, np.ndarray]]:
    workload = _workload(model, sequence, tokens_per_step, global_batch)
    count = _whole(cards, "cards")
    if not isinstance(card, str):
        raise InputError("card", card, 'a catalogue card and precision ("H100 bf16")')
    sys = system(card)
    layouts = enumerate_layouts(workload, count, sys, _pins(keywords), sequence_parallel)
    results = evaluate_layouts(workload, layouts, sys, _overlap(dp_overlap), count, precision, optimizer,
                               accumulation_fusion=bool(accumulation_fusion), flash_attention=bool(flash_attention))
    return workload, sys, count, layouts, results


def _smallest_fitting(model: Any, card: str, workload: Workload, cards: int, keywords: dict[str, Any],
                      sequence_parallel: bool, precision: str, optimizer: str) -> int | None:
    """The fewest cards (a multiple of the server) on which some layout fits, or None up to 1,000x."""
    sys = system(card)
    pins = {name: value for name, value in _pins(keywords).items() if name != "data_parallel"}
    step = sys.server_cards

    def fits(count: int) -> bool:
        batch = Workload(workload.shape, workload.sequence, count * max(SEARCH_MICRO_BATCHES))
        try:
            layouts = enumerate_layouts(batch, count, sys, pins, sequence_parallel)
        except InputRangeError:
            return False
        memory = evaluate_layouts(batch, layouts, sys, 0.0, count, precision, optimizer)["memory_per_card"]
        return bool(np.any(memory <= sys.memory_bytes))

    low, high = cards, max(step, (cards // step + 1) * step)
    while not fits(high):
        low, high = high, high * 2
        if high > 1000 * max(cards, step):
            return None
    while high - low > step:
        middle = (low + high) // 2 // step * step
        if middle <= low:
            break
        low, high = (low, middle) if fits(middle) else (middle, high)
    return high


def training_plans(model: Any, cards: Any, card: str, tokens_per_step: Any = None, sequence: Any = None,
                   global_batch: Any = None, tensor_parallel: Any = None, pipeline_parallel: Any = None,
                   data_parallel: Any = None, expert_parallel: Any = None, context_parallel: Any = None,
                   micro_batch: Any = None, zero_stage: Any = None, recompute: Any = None,
                   virtual_stages: Any = None, sequence_parallel: bool = True, dp_overlap: Any = None,
                   goodput: Any = None, precision: str = "bf16", optimizer: str = "adam",
                   gradient_accumulation_fusion: bool = True, flash_attention: bool = True, top: Any = None) -> Any:
    """Return the parallel layouts of a model on ``cards`` cards with step time and utilization, best first.

    Every layout the pins allow is evaluated (see the module docstring for the arithmetic);
    the rows that fit in memory come first, fastest first.

    Parameters
    ----------
    model : ModelShape or str
        A model shape or its catalogue name ("Llama 3.1 405B").
    cards : whole number
        Cards in the job.
    card : str
        The catalogue card and the precision of the matmuls ("H100 bf16", "A100 bf16").
    tokens_per_step : tokens, optional
        Tokens per optimizer step (give this or ``global_batch``).
    sequence : tokens
        Tokens per sequence.
    global_batch : whole number, optional
        Sequences per optimizer step.
    tensor_parallel, pipeline_parallel, data_parallel, expert_parallel, context_parallel, micro_batch : whole numbers, optional
        Pin a degree; any left out is searched (tensor parallel within the card's
        scale-up domain, pipeline over divisors of the layers, context parallel only for
        sequences over 8k tokens).
    zero_stage : 0-3, optional
        Pin the ZeRO stage (searched otherwise).
    recompute : "none", "selective", "full" or TRUE/FALSE, optional
        Pin activation recomputation (searched otherwise).
    virtual_stages : whole number, optional
        Interleaved 1F1B: model chunks per pipeline rank (searched over 1, 2, 4, 8 otherwise;
        layers need not divide evenly: the slowest stage holds the ceiling).
    sequence_parallel : bool, default True
        Megatron sequence parallelism with tensor parallelism.
    dp_overlap : share in [0, 1], optional
        Share of the gradient reduce hidden behind the backward pass (default: the
        catalogue's ``dp_overlap`` record, 0.8).
    goodput : share in (0, 1] or "catalogue", optional
        Share of wall-clock time spent training (failures, restarts); adds a
        ``goodput_tokens_per_second`` column. Not part of MFU.
    precision, optimizer : str
        Training precision and optimizer of the model states (as in :func:`flopsheet.train_memory`).
    gradient_accumulation_fusion : bool, default True
        Gradients accumulate inside the weight-gradient GEMM (Megatron's flag of that
        name). False: each micro-batch adds its gradients to the fp32 buffer in a separate
        memory-bound pass (``grad_accumulation`` column; Megatron-LM 2021).
    flash_attention : bool, default True
        A fused attention kernel that never writes the attention scores to memory; False
        counts their element-wise traffic (Megatron-LM 2021).
    top : whole number, optional
        Keep only the first ``top`` rows.

    Returns
    -------
    pandas.DataFrame
        One row per layout: the degrees (``tensor_parallel`` ... ``recompute``,
        ``virtual_stages``, ``micro_batches``), ``fits``, ``memory_per_card`` (GB,
        decimal), ``step_time`` (s), ``tokens_per_second``, ``mfu``, ``hfu``,
        ``hardware_tflops_per_card`` (what papers quote as "TFLOP/s per GPU"), one column per
        time component in seconds (``compute``, ``memory_bound``, ``tp_comm``, ``cp_comm``,
        ``ep_comm``, ``pp_comm``, ``dp_comm`` exposed, ``bubble``, ``optimizer``),
        ``best`` (True on the first row), ``note`` (flags such as context parallel on a
        short sequence). ``attrs["fabric_tiers"]`` is the switch tiers the cluster implies.

    Raises
    ------
    InputRangeError
        No layout fits in memory in a free search (the message gives the fewest cards
        on which one does; with pins, the rows come back with ``fits`` False), or a pin
        that cannot hold (named).

    Examples
    --------
    >>> plans = training_plans("Llama 3.1 8B", 64, "H100 bf16", sequence=8192, global_batch=512)
    >>> best = plans.iloc[0]
    >>> bool(best["fits"]), int(best["tensor_parallel"]) * int(best["pipeline_parallel"]) <= 8
    (True, True)
    >>> bool(0.3 < best["mfu"] < 0.7)
    True
    """
    keywords = dict(tensor_parallel=tensor_parallel, pipeline_parallel=pipeline_parallel, data_parallel=data_parallel,
                    expert_parallel=expert_parallel, context_parallel=context_parallel, micro_batch=micro_batch,
                    zero_stage=zero_stage, recompute=recompute, virtual_stages=virtual_stages)
    workload, sys, count, layouts, results = _plan_arrays(model, cards, card, tokens_per_step, sequence, global_batch,
                                                          keywords, sequence_parallel, dp_overlap, precision, optimizer,
                                                          gradient_accumulation_fusion, flash_attention)
    fits = results["memory_per_card"] <= sys.memory_bytes
    pinned = any(value is not None for value in keywords.values())
    if not np.any(fits) and not pinned:
        smallest = _smallest_fitting(model, card, workload, count, keywords, sequence_parallel, precision, optimizer)
        least = float(np.min(results["memory_per_card"])) / 1e9
        detail = (f"the fewest {sys.card} cards on which a layout fits: {smallest:,}" if smallest
                  else "no layout fits even on 1,000 times as many cards")
        raise InputRangeError("cards", count, f"enough cards to hold {workload.shape.name}: no layout fits in "
                              f"{sys.memory_bytes / 1e9:g} GB per card (the smallest needs {least:,.4g} GB)", detail)
    order = np.lexsort((results["step_time"], ~fits))
    if top is not None:
        order = order[:_whole(top, "top")]
    columns: dict[str, Any] = {
        "best": np.arange(len(order)) == 0,
        "tensor_parallel": layouts.tensor_parallel[order], "pipeline_parallel": layouts.pipeline_parallel[order],
        "virtual_stages": layouts.virtual_stages[order], "data_parallel": layouts.data_parallel[order],
        "expert_parallel": layouts.expert_parallel[order], "context_parallel": layouts.context_parallel[order],
        "micro_batch": layouts.micro_batch[order], "micro_batches": results["micro_batches"][order].astype(int),
        "zero_stage": layouts.zero_stage[order],
        "recompute": np.asarray(RECOMPUTE_MODES, dtype=object)[layouts.recompute[order]],
        "sequence_parallel": layouts.sequence_parallel[order],
        "fits": fits[order], "memory_per_card": results["memory_per_card"][order] / 1e9,
        "step_time": results["step_time"][order], "tokens_per_second": results["tokens_per_second"][order],
        "mfu": results["mfu"][order], "hfu": results["hfu"][order],
        "hardware_tflops_per_card": results["hardware_tflops_per_card"][order],
        **{name: results[name][order] for name in TIME_COMPONENTS},
    }
    if goodput is not None:
        share = (float(efficiency("goodput").value) if isinstance(goodput, str) and goodput.strip().lower() == "catalogue"
                 else float(np.asarray(args.quantity_arg(goodput, "goodput", args.UTILIZATION).m)))
        if not 0 < share <= 1:
            raise InputRangeError("goodput", goodput, "a share in (0, 100%]")
        columns["goodput_tokens_per_second"] = columns["tokens_per_second"] * share
    short = (columns["context_parallel"] > 1) & (workload.sequence <= CONTEXT_PARALLEL_FROM)
    columns["note"] = np.where(short, f"context parallel on a {workload.sequence}-token sequence that fits without it",
                               np.where(columns["fits"], "", "does not fit in memory")).astype(object)
    attrs = {"fabric_tiers": int(fabric_tiers(count)), "card": f"{sys.card} {sys.precision}"}
    return _table(columns, attrs)


def _table(columns: dict[str, Any], attrs: dict[str, Any]) -> Any:
    """A DataFrame of the columns; where pandas is missing (xlwings Lite) a plain :class:`Rows` table."""
    try:
        import pandas as pd
    except ModuleNotFoundError:
        names = list(columns)
        count = len(columns[names[0]])
        records = [{name: columns[name][row].item() if hasattr(columns[name][row], "item") else columns[name][row]
                    for name in names} for row in range(count)]
        return Rows(records, names, attrs)
    table = pd.DataFrame(columns)
    table.attrs.update(attrs)
    return table


def _first(table: Any, column: str) -> Any:
    """The first row's value of a column of a DataFrame or a :class:`Rows` table."""
    if isinstance(table, Rows):
        return table.records[0][column]
    return table.iloc[0][column]


def predicted_utilization(model: Any, cards: Any, card: str, tokens_per_step: Any = None, sequence: Any = None,
                          global_batch: Any = None, tensor_parallel: Any = None, pipeline_parallel: Any = None,
                          data_parallel: Any = None, expert_parallel: Any = None, context_parallel: Any = None,
                          micro_batch: Any = None, zero_stage: Any = None, recompute: Any = None,
                          virtual_stages: Any = None) -> Any:
    """Return the MFU of the best layout ``training_plans`` finds (a fraction).

    Takes the arguments of :func:`training_plans` (pins optional). The result is a
    dimensionless quantity, accepted wherever a utilization is; ``train_cards(flops,
    "H100 bf16", "predicted", duration, model=..., sequence=..., global_batch=...)`` calls
    it for you (see :func:`plan_utilization`).

    Examples
    --------
    >>> used = predicted_utilization("Llama 3.1 8B", 64, "H100 bf16", sequence=8192, global_batch=512)
    >>> used.dimensionless, bool(0.3 < used.m < 0.7)
    (True, True)
    """
    best = training_plans(model, cards, card, tokens_per_step, sequence, global_batch, tensor_parallel,
                          pipeline_parallel, data_parallel, expert_parallel, context_parallel, micro_batch, zero_stage,
                          recompute, virtual_stages, top=1)
    return Q(float(_first(best, "mfu")), "dimensionless")


def plan_utilization(card: str, plan: dict[str, Any], flops: float, duration_s: float) -> tuple[Any, int]:
    """The utilization ``train_cards(..., "predicted", ...)`` uses, and the card count it was planned at.

    ``plan`` holds :func:`training_plans` keywords (``model``, ``sequence``, ``global_batch``
    or ``tokens_per_step``, pins, and optionally ``cards``: the cluster the plan assumes).
    Without ``cards`` the count is found by fixed point: cards from a first utilization
    (the catalogue's matmul share), then the plan's MFU at that count (rounded up to whole
    servers), repeated until the count settles (at most :data:`PLAN_ROUNDS` rounds).
    """
    from ..catalogues.peaks import Utilization

    keywords = dict(plan)
    if "model" not in keywords or keywords.get("model") is None:
        raise InputError("model", None, 'a model shape for utilization "predicted" (train_cards(..., model=...))')
    name, precision = card_and_precision(card, None)
    sys = system(card)
    fixed = keywords.pop("cards", None)
    model = keywords.pop("model")
    if fixed is not None:
        count = _whole(fixed, "cards")
        used = float(predicted_utilization(model, count, card, **keywords).m)
        return Utilization(used, name, precision or "bf16", "predicted"), count
    used, count = sys.matmul_share, 0
    for _ in range(PLAN_ROUNDS):
        needed = flops / (sys.peak_flops * used * duration_s)
        rounded = max(sys.server_cards, math.ceil(needed / sys.server_cards) * sys.server_cards)
        if rounded == count:
            break
        count, used = _planned(model, rounded, card, keywords, sys.server_cards)
    return Utilization(used, name, precision or "bf16", "predicted"), count


def _planned(model: Any, cards: int, card: str, keywords: dict[str, Any], step: int) -> tuple[int, float]:
    """(cards, MFU) at the first count from ``cards`` up that the global batch divides.

    Counts tried: whole servers times a power of two times a small odd factor
    (:data:`PLAN_COUNT_FACTORS`), the shapes data parallelism over a power-of-two batch takes.
    """
    counts = sorted({step * 2 ** power * odd for power in range(24) for odd in PLAN_COUNT_FACTORS
                     if step * 2 ** power * odd >= cards})[:PLAN_COUNT_TRIES]
    for count in counts:
        try:
            return count, float(predicted_utilization(model, count, card, **keywords).m)
        except InputRangeError as error:
            if error.argument != "global_batch":
                raise
    raise InputRangeError("global_batch", keywords.get("global_batch") or keywords.get("tokens_per_step"),
                          f"divisible by the data-parallel degree of some layout of {cards:,} to {counts[-1]:,} cards")
