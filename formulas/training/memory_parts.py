"""The bytes training keeps per card: model states per parameter and activations per layer.

The arithmetic both :mod:`flopsheet.formulas.training.memory` (``train_memory``,
``min_train_cards``) and the training planner read, kept below both so that neither
imports the other's callers (the planner feeds ``train_cards``; ``min_train_cards`` calls
``train_cards``).

Model states: Rajbhandari et al. 2020, "ZeRO" (arXiv:1910.02054), section 3.1.
Activations: Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
Transformer Models" (arXiv:2205.05198), Table 2; see :mod:`flopsheet.formulas.training.memory`.
"""

from __future__ import annotations

from ..catalogues.shapes import ModelShape

#: Bytes per parameter of weights, gradients and optimizer states, by training precision
#: and optimizer (ZeRO, section 3.1: mixed-precision Adam is 2 + 2 + 12).
STATE_BYTES: dict[str, dict[str, tuple[int, int, int]]] = {
    "bf16": {"adam": (2, 2, 12), "sgd": (2, 2, 8)},
    "fp16": {"adam": (2, 2, 12), "sgd": (2, 2, 8)},
    "fp32": {"adam": (4, 4, 8), "sgd": (4, 4, 4)},
}
OPTIMIZER_ALIASES = {"adam": "adam", "adamw": "adam", "sgd": "sgd", "momentum": "sgd"}
ZERO_STAGES = (0, 1, 2, 3)
RECOMPUTE_MODES = ("none", "selective", "full")
#: Korthikanti et al. 2022, Table 2: activation bytes per s*b*h per layer.
ACTIVATION_REPLICATED = 10          # not split by tensor parallelism without sequence parallelism
ACTIVATION_SPLIT = 24               # split by tensor parallelism
ACTIVATION_ATTENTION = 5            # times a*s/h: the attention scores, softmax, dropout
ACTIVATION_FULL_RECOMPUTE = 2       # each layer's input, 16-bit


def activation_bytes(shape: ModelShape, seq_len: float, micro_batch: float, recompute: str,
                     tensor_parallel: int, sequence_parallel: bool) -> float:
    """Activation bytes per card for one micro-batch (Korthikanti et al. 2022, Table 2) x layers."""
    sbh = seq_len * micro_batch * shape.d_model
    t = tensor_parallel
    attention = ACTIVATION_ATTENTION * shape.heads * seq_len / (shape.d_model * t)
    if recompute == "full":
        per_layer = ACTIVATION_FULL_RECOMPUTE * sbh / (t if sequence_parallel else 1)
    elif sequence_parallel:
        per_layer = sbh * ((ACTIVATION_REPLICATED + ACTIVATION_SPLIT) / t + (attention if recompute == "none" else 0))
    else:
        per_layer = sbh * (ACTIVATION_REPLICATED + ACTIVATION_SPLIT / t + (attention if recompute == "none" else 0))
    return shape.layers * per_layer
