"""Training memory per card and the fewest cards that both fit the model and finish in time.

Model states (Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training
Trillion Parameter Models", arXiv:1910.02054, section 3.1): mixed-precision Adam keeps,
per parameter, 2 bytes of 16-bit weights, 2 of 16-bit gradients and K = 12 of optimizer
states (fp32 master weights, momentum and variance, 4 bytes each). ZeRO stage 1 shards
the optimizer states over the data-parallel cards, stage 2 the gradients too, stage 3
the weights too. Tensor and pipeline parallelism split every state by their degrees.

Activations (Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
Transformer Models", arXiv:2205.05198, Table 2), bytes per layer with 16-bit
activations, sequence length s, micro-batch b, hidden h, heads a, tensor-parallel t:

- no recomputation: ``s b h (10 + 24/t + 5 a s / (h t))``; with sequence parallelism
  ``s b h (34/t + 5 a s / (h t))``;
- selective recomputation (attention scores recomputed): ``s b h (10 + 24/t)``, with
  sequence parallelism ``s b h 34/t``;
- full recomputation: only each layer's input, ``2 s b h`` (``/t`` with sequence parallelism).

Times the layers (with 1F1B pipelining the first stage holds about all of them). The
coefficients are derived for GPT's architecture (4h MLP, multi-head attention); for
SwiGLU or grouped-query shapes they are an approximation. Embeddings, the loss and
framework buffers are left out.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from ...units import AssumptionWarning, InputError, InputRangeError, Q, UnitInputError
from .. import args
from ..catalogues.cards import PRECISIONS, card_memory, find_card, key
from .flops import part_table
from ..catalogues.shapes import ModelShape, find_model, is_model_name, misspelt_model
from .compute import train_cards, train_flops
from .memory_parts import OPTIMIZER_ALIASES, RECOMPUTE_MODES, STATE_BYTES, ZERO_STAGES, activation_bytes
from .. import magnitudes as fast
from ..catalogues.peaks import Peak, as_peak

PARTS = ("weights", "gradients", "optimizer states", "activations")
#: The ``note`` a table carries when activations cannot be computed (a parameter count, or no seq_len).
NOT_COUNTED = "not counted"
#: Precisions whose catalogue peaks count integer operations (TOPS), not floating point.
INTEGER_PRECISIONS = ("int8",)
COUNT = args.ArgKind("dimensionless", "a whole number", "8")


def _recompute_mode(recompute: Any) -> str:
    """"none", "selective" or "full" from a mode's name or a strict yes/no (yes = full)."""
    if recompute is None:
        return "none"
    if isinstance(recompute, str) and recompute.strip().lower() in RECOMPUTE_MODES:
        return recompute.strip().lower()
    expected = 'TRUE (full), FALSE, "selective" or "full" (also yes/no, 1/0, 是/否)'
    return "full" if args.read_bool(recompute, "recompute", expected=expected) else "none"


def _choice(value: Any, argument: str, choices: dict[str, Any] | tuple[Any, ...]) -> Any:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in choices:
        raise InputError(argument, value, "one of " + ", ".join(str(choice) for choice in choices))
    return choices[text] if isinstance(choices, dict) else text


def _whole(value: Any, argument: str, positive: bool = True) -> int:
    number = float(np.asarray(args.quantity_arg(value, argument, COUNT, positive=positive).magnitude))
    if number != int(number):
        raise InputRangeError(argument, value, "a whole number")
    return int(number)


def _card_capacity(card: str, argument: str = "card") -> float:
    """Bytes of memory of a catalogue card, spelt as train/serve take it: "H100" or "H100 bf16"."""
    words = card.split() if isinstance(card, str) else []
    if len(words) > 1 and key(words[-1]) in PRECISIONS:
        card = " ".join(words[:-1])
    return float(card_memory(find_card(card, argument).name).to("B/card").magnitude)


def _advice(zero_stage: int, tensor_parallel: int, sequence_parallel: bool, recompute: str,
            micro_batch: Any, activations: float) -> str:
    """What can still shrink the per-card memory that more data-parallel cards do not."""
    steps = [] if zero_stage >= 3 else ["raise zero_stage"]
    steps.append("raise tensor_parallel" + ("" if sequence_parallel or activations == 0 else
                                           " (with sequence_parallel for the activations)"))
    steps.append("raise pipeline_parallel (splits the model states; the first stage keeps its activations)")
    if activations:
        if recompute != "full":
            steps.append('recompute ("selective" or "full")')
        if micro_batch is not None and _whole(micro_batch, "micro_batch") > 1:
            steps.append("a smaller micro_batch")
    steps.append("a card with more memory")
    return "; ".join(steps[:1]) + ("" if len(steps) == 1 else ", " + ", ".join(steps[1:-1]) + " or " + steps[-1])


def _model(model: Any) -> tuple[ModelShape | None, float]:
    """(shape or None, total parameters) of a shape, a catalogue name or a parameter count."""
    if isinstance(model, ModelShape):
        return model, float(model.params)
    if is_model_name(model):
        shape = find_model(model, "model")
        return shape, float(shape.params)
    try:
        params = float(args.quantity_arg(model, "model", args.PARAMETERS).magnitude)
    except UnitInputError as error:
        raise misspelt_model(model, "model", error) from None
    args.warn_tiny_params(params, model, "model")
    return None, params


@dataclass(frozen=True)
class _Plan:
    """The per-card bytes of one training set-up, split into the parts that shard and those that do not."""

    replicated: float        # model-state bytes per card that do not shrink with more data-parallel cards
    sharded: float           # model-state bytes that ZeRO divides by the data-parallel degree
    activations: float       # 0.0 when not counted (see ``missing``)
    parts: dict[str, tuple[float, bool]]   # part -> (bytes over the model-parallel group, sharded?)
    missing: str = ""        # why activations are not counted ("" when they are)


def _read_plan(model: Any, precision: Any, optimizer: Any, zero_stage: Any, seq_len: Any, micro_batch: Any,
               recompute: Any, tensor_parallel: Any, pipeline_parallel: Any,
               sequence_parallel: Any) -> tuple[ModelShape | None, float, _Plan, int, int, str]:
    """Read the set-up arguments; return (shape, params, plan, tensor_parallel, pipeline_parallel, recompute mode)."""
    shape, params = _model(model)
    tp, pp = _whole(tensor_parallel, "tensor_parallel"), _whole(pipeline_parallel, "pipeline_parallel")
    mode = _recompute_mode(recompute)
    # Every argument given is checked, also where this call does not use it (no shape, no seq_len).
    length = None if seq_len is None else float(np.asarray(args.quantity_arg(seq_len, "seq_len", args.TOKENS).magnitude))
    batch = _whole(micro_batch, "micro_batch")
    split = args.read_bool(sequence_parallel, "sequence_parallel")
    if shape is not None:
        check_layout(shape, tp, pp)
    plan = _plan(params, shape, _choice(precision, "precision", tuple(STATE_BYTES)),
                 _choice(optimizer, "optimizer", OPTIMIZER_ALIASES),
                 _choice(_whole(zero_stage, "zero_stage", positive=False), "zero_stage", ZERO_STAGES),
                 seq_len, micro_batch, mode, tp, pp, split)
    inputs = {"model": params, "seq_len": length or 1.0, "micro_batch": batch}
    fast.finite(plan.replicated + plan.sharded + plan.activations, "B/card", **inputs)
    return shape, params, plan, tp, pp, mode


def check_layout(shape: ModelShape, tensor_parallel: int, pipeline_parallel: int) -> None:
    """Refuse a model-parallel layout the shape cannot take.

    Tensor parallelism splits the attention heads (and the KV heads of grouped-query
    attention) over the cards, so it must divide them (Megatron-LM asserts the same);
    pipeline parallelism gives each stage at least one layer.

    Raises
    ------
    InputRangeError
        ``tensor_parallel`` not dividing the heads, or ``pipeline_parallel`` above the layers.
    """
    heads = [("attention heads", shape.heads)] + ([("KV heads", shape.kv_heads)]
                                                   if shape.kv_heads and shape.kv_heads >= tensor_parallel else [])
    for what, count in heads:
        if count % tensor_parallel:
            raise InputRangeError("tensor_parallel", tensor_parallel,
                                  f"a divisor of the {count} {what} of {shape.name} (each card holds whole heads)")
    if pipeline_parallel > shape.layers:
        raise InputRangeError("pipeline_parallel", pipeline_parallel,
                              f"at most the {shape.layers} layers of {shape.name} (each stage holds at least one layer)")


def _plan(params: float, shape: ModelShape | None, precision: str, optimizer: str, zero_stage: int,
          seq_len: Any, micro_batch: Any, recompute: str, tensor_parallel: int, pipeline_parallel: int,
          sequence_parallel: bool) -> _Plan:
    weight, gradient, state = STATE_BYTES[precision][optimizer]
    model_parallel = tensor_parallel * pipeline_parallel
    sharded_from = {0: 4, 1: 2, 2: 1, 3: 0}[zero_stage]     # parts from this index on are sharded
    parts = {}
    for index, (name, per_param) in enumerate(zip(PARTS[:3], (weight, gradient, state))):
        parts[name] = (per_param * params / model_parallel, index >= sharded_from)
    activations, missing = 0.0, _missing_activations(shape, seq_len)
    if not missing:
        length = float(np.asarray(args.quantity_arg(seq_len, "seq_len", args.TOKENS).magnitude))
        batch = _whole(micro_batch, "micro_batch")
        activations = activation_bytes(shape, length, batch, recompute, tensor_parallel, sequence_parallel)
    replicated = sum(value for value, sharded in parts.values() if not sharded)
    sharded = sum(value for value, sharded in parts.values() if sharded)
    return _Plan(replicated, sharded, activations, parts, missing)


def _missing_activations(shape: ModelShape | None, seq_len: Any) -> str:
    """Why activations cannot be computed ("" when they can): they need a shape and a sequence length."""
    if shape is None:
        return "activations not counted: they need a model shape (a catalogue name such as \"Llama 2 70B\") and seq_len, not a parameter count"
    if seq_len is None:
        context = f" ({shape.name} was trained at up to {shape.max_context:,} tokens)" if shape.max_context else ""
        return f"activations not counted: give seq_len{context}"
    return ""


def train_memory(model: Any, cards: Any = 1, precision: str = "bf16", optimizer: str = "adam", zero_stage: Any = 0,
                 seq_len: Any = None, micro_batch: Any = 1, recompute: Any = False, tensor_parallel: Any = 1,
                 pipeline_parallel: Any = 1, sequence_parallel: bool = False, card: str | None = None) -> Any:
    """Return the training memory per card: weights, gradients, optimizer states, activations.

    Parameters
    ----------
    model : ModelShape, str or parameter count
        A shape or catalogue name (activations need one), or a parameter count ("7.5e9").
    cards : whole number, default 1
        Cards in the job; the data-parallel degree is cards / (tensor_parallel x
        pipeline_parallel).
    precision : {"bf16", "fp16", "fp32"}, default "bf16"
        Training precision: bf16/fp16 is mixed precision (16-bit weights and gradients,
        fp32 master weights in the optimizer).
    optimizer : {"adam", "adamw", "sgd"}, default "adam"
        Adam keeps 12 bytes per parameter in mixed precision (master, momentum,
        variance); SGD with momentum 8.
    zero_stage : 0, 1, 2 or 3, default 0
        ZeRO: 1 shards optimizer states, 2 gradients too, 3 weights too, over the
        data-parallel cards.
    seq_len : tokens, optional
        Sequence length; with a shape, activations are counted.
    micro_batch : whole number, default 1
        Sequences per card per step.
    recompute : bool or {"selective", "full"}, default False
        Activation recomputation (True means full).
    tensor_parallel, pipeline_parallel : whole numbers, default 1
        Model-parallel degrees; tensor_parallel also divides activations.
    sequence_parallel : bool, default False
        Megatron sequence parallelism (splits the rest of the activations by tensor_parallel).
    card : str, optional
        Catalogue card, as train/serve spell it ("H100" or "H100 bf16"; the precision
        is ignored): adds its memory and whether the total fits.

    Returns
    -------
    pandas.DataFrame
        Rows weights, gradients, optimizer states, activations, total; columns
        ``bytes`` (per card) and ``GB`` (decimal); with ``card``, the total row's
        ``fits`` and the card's memory in ``card_GB``. Activations need a shape and
        ``seq_len``: without them the activations row is empty (NaN, never 0), the total
        holds the model states only, a ``note`` column says "not counted" and ``fits`` is
        None (unknown) unless the model states alone already overflow the card. In Excel
        (TRAIN_MEMORY) it spills under a header row, the part first.

    Examples
    --------
    >>> train_memory(7.5e9, cards=64, zero_stage=1).loc["total", "GB"].round(1)
    np.float64(31.4)
    >>> print(train_memory(7.5e9, cards=64, zero_stage=1).loc["activations", "note"])
    not counted: they need a model shape (a catalogue name such as "Llama 2 70B") and seq_len, not a parameter count
    """
    _, _, plan, tp, pp, _ = _read_plan(model, precision, optimizer, zero_stage, seq_len, micro_batch, recompute,
                                       tensor_parallel, pipeline_parallel, sequence_parallel)
    data_parallel = _data_parallel(_whole(cards, "cards"), tp, pp)
    rows = {name: value / data_parallel if sharded else value for name, (value, sharded) in plan.parts.items()}
    rows["activations"] = np.nan if plan.missing else plan.activations
    rows["total"] = sum(value for value in rows.values() if not np.isnan(value))
    fast.result(float(rows["total"]), "B/card", model=_params_of(model), cards=float(data_parallel))
    records = [{"part": name, "bytes": value, "GB": value / 1e9} for name, value in rows.items()]
    columns = ["bytes", "GB"]
    if card is not None:
        capacity = _card_capacity(card)
        states_fit = bool(rows["total"] <= capacity)
        for record in records:
            total = record["part"] == "total"
            # Without activations only a "no" is certain: states that fit say nothing about the whole.
            verdict = (None if plan.missing and states_fit else states_fit) if total else None
            record.update(card_GB=capacity / 1e9 if total else np.nan, fits=verdict)
        columns += ["card_GB", "fits"]
    if plan.missing:
        for record in records:
            record["note"] = {"activations": NOT_COUNTED + ": " + plan.missing.split(": ", 1)[1],
                              "total": "model states only; " + plan.missing}.get(record["part"], "")
        columns.append("note")
    return part_table(records, columns)


def _params_of(model: Any) -> float:
    """The parameter count of what ``model`` names (for naming an argument in an overflow error)."""
    return _model(model)[1]


def refuse_integer_peak(peak: Peak, given: Any, argument: str = "peak") -> None:
    """Training runs in floating point: an int8 peak (TOPS of integer operations) is not its rate.

    Raises
    ------
    InputError
        A catalogue peak at an integer precision ("H100 int8").
    """
    if peak.precision in INTEGER_PRECISIONS:
        raise InputError(argument, given, "a floating-point peak for training (bf16, fp16, tf32, fp8...)",
                         f"{peak.precision} counts integer operations (TOPS), which training does not run on")


def _data_parallel(cards: int, tensor_parallel: int, pipeline_parallel: int) -> int:
    model_parallel = tensor_parallel * pipeline_parallel
    if cards < 1 or cards % model_parallel:
        raise InputRangeError("cards", cards, f"a positive multiple of tensor_parallel x pipeline_parallel ({model_parallel})")
    return cards // model_parallel


@dataclass(frozen=True)
class MinTrainCards:
    """The fewest cards for a training job, and which requirement binds.

    cards : card count (pint quantity) meeting both requirements.
    binding : "compute" (finishing within the duration) or "memory" (fitting the model).
    compute_cards, memory_cards : what each requirement alone needs.
    reason : one sentence saying why.

    In Excel (MIN_TRAIN_CARDS) it spills as one row under the header :attr:`columns`.
    """

    cards: pint.Quantity
    binding: str
    compute_cards: pint.Quantity
    memory_cards: pint.Quantity
    reason: str

    #: The add-in's spill of the answer: a header row, then one row (see :attr:`columns`).
    columns = ("cards", "binding", "compute_cards", "memory_cards", "reason")

    @property
    def attrs(self) -> dict[str, Any]:
        """No notes beyond the formula's warnings (the add-in reads a table's ``attrs``)."""
        return {}

    def itertuples(self, index: bool = False) -> Iterator[tuple[Any, ...]]:
        """The answer as one row in :attr:`columns` order, card counts as numbers (``index`` is ignored)."""
        yield (self.cards.m, self.binding, self.compute_cards.m, self.memory_cards.m, self.reason)

    def to_frame(self) -> Any:
        """The two requirements and the answer as a DataFrame (cards, binding)."""
        import pandas as pd

        return pd.DataFrame({"cards": {"compute (finish within the duration)": self.compute_cards.m,
                                       "memory (fit the model)": self.memory_cards.m, "needed": self.cards.m}},
                            ).assign(binding=["", "", self.binding])


def min_train_cards(model: Any, tokens: Any, peak: Any, utilization: Any, duration: Any, seq_len: Any = None,
                    precision: str = "bf16", optimizer: str = "adam", zero_stage: Any = 0, micro_batch: Any = 1,
                    recompute: Any = False, tensor_parallel: Any = 1, pipeline_parallel: Any = 1,
                    sequence_parallel: bool = False, card: str | None = None) -> MinTrainCards:
    """Return the fewest cards that both fit the model in memory and finish within ``duration``.

    Compute: :func:`flopsheet.train_cards` of the training FLOP (from the shape with
    ``seq_len``, else 6ND; ``recompute`` adds its forward pass). Memory: the smallest
    multiple of tensor_parallel x pipeline_parallel whose per-card
    :func:`train_memory` fits the card (ZeRO sharding shrinks it as cards grow).

    Parameters
    ----------
    model, tokens
        As in :func:`flopsheet.train_flops` (a shape, a name or a parameter count).
    peak, utilization, duration
        As in :func:`flopsheet.train_cards`; a catalogue peak ("H100 bf16") also names the card.
    seq_len, precision, optimizer, zero_stage, micro_batch, recompute, tensor_parallel,
    pipeline_parallel, sequence_parallel
        As in :func:`train_memory`.
    card : str, optional
        The card whose memory must hold the job (default: the card of ``peak``).

    Returns
    -------
    MinTrainCards
        ``cards`` (card), ``binding`` ("compute" or "memory"), each requirement's cards, ``reason``.

    Raises
    ------
    InputRangeError
        When no card count fits (replicated states and activations exceed one card):
        the message says what can still change (zero_stage below 3, tensor or
        pipeline parallelism, recompute, a smaller micro_batch, a larger card).

    Warns
    -----
    AssumptionWarning
        When activations cannot be counted (a parameter count, or no ``seq_len``): the
        memory requirement then covers the model states only, and ``reason`` says so.

    Examples
    --------
    >>> answer = min_train_cards(7.5e9, 300e9, "A100 bf16", 0.4, "365 days")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.InputRangeError: model: must be small enough for one card's 80 GB at zero_stage 0, tensor_parallel 1 and pipeline_parallel 1 (120 GB per card of replicated states; activations not counted), got "7.5e+09"; raise zero_stage, raise tensor_parallel, raise pipeline_parallel (splits the model states; the first stage keeps its activations) or a card with more memory
    >>> answer = min_train_cards(7.5e9, 300e9, "A100 bf16", 0.4, "365 days", zero_stage=3)
    >>> int(answer.cards.m), answer.binding, int(answer.memory_cards.m)
    (4, 'compute', 2)
    """
    shape, params, plan, tp, pp, mode = _read_plan(model, precision, optimizer, zero_stage, seq_len, micro_batch,
                                                   recompute, tensor_parallel, pipeline_parallel, sequence_parallel)
    peak_info = as_peak(peak)
    refuse_integer_peak(peak_info, peak)
    # The compute requirement first: every argument is read and checked before the memory verdict.
    with args.renamed_arguments({"params": "model", "flops": "model"}):
        flops = train_flops(shape if shape is not None and seq_len is not None else params, tokens,
                            seq_len=seq_len if shape is not None else None, recompute=mode == "full")
        compute_cards = math.ceil(float(np.asarray(train_cards(flops, peak_info, utilization, duration).to("card").m)))
    card_name = card or peak_info.card
    if card_name is None:
        raise InputError("card", None, 'a catalogue card (or a catalogue peak such as "H100 bf16") for its memory')
    capacity = _card_capacity(card_name)
    room = capacity - plan.replicated - plan.activations
    counted = "replicated states and activations" if not plan.missing else "replicated states; activations not counted"
    if room <= 0:
        fixed = (plan.replicated + plan.activations) / 1e9
        stage = _whole(zero_stage, "zero_stage", positive=False)
        raise InputRangeError("model", model if isinstance(model, str) else f"{params:g}",
                              f"small enough for one card's {capacity / 1e9:g} GB at zero_stage {zero_stage}, "
                              f"tensor_parallel {tp} and pipeline_parallel {pp} ({fixed:,.4g} GB per card of "
                              f"{counted})", _advice(stage, tp, bool(sequence_parallel), mode, micro_batch,
                                                    plan.activations))
    if plan.missing:
        warnings.warn(f"min_train_cards: memory_cards hold the model states only; {plan.missing}",
                      AssumptionWarning, stacklevel=2)
    data_parallel = max(1, math.ceil(fast.finite(plan.sharded / room, "card", model=params))) if plan.sharded else 1
    memory_cards = data_parallel * tp * pp
    cards = max(compute_cards, memory_cards)
    binding = "memory" if memory_cards > compute_cards else "compute"
    held = "the model states (activations not counted)" if plan.missing else "the model states and activations"
    reason = (f"{memory_cards:,} cards hold {held} in {capacity / 1e9:g} GB each; "
              f"{compute_cards:,} cards finish the training in time; the {binding} requirement binds")
    return MinTrainCards(Q(cards, "card"), binding, Q(compute_cards, "card"), Q(memory_cards, "card"), reason)
