"""FLOP of a transformer from its shape: forward pass, training, recomputation.

The convention (Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on
GPU Clusters Using Megatron-LM", arXiv:2104.04473, section 5.1 and appendix; the same
as Hoffmann et al. 2022, appendix F, and the EleutherAI cookbook's
``calc/calc_transformer_flops.py``): a matmul of an ``m x k`` by a ``k x n`` matrix
costs ``2 m k n`` FLOP. Per token and per layer the forward pass costs

- qkv: ``2 x d_model x (heads + 2 kv_heads) x head_dim`` (MLA: twice its down and up
  projection weights; Transformer-XL: plus the position projection);
- attention: ``2 x seq_len x heads x qk_head_dim`` for the scores ``Q K^T`` and
  ``2 x seq_len x heads x head_dim`` for ``softmax x V``: the full ``seq_len x seq_len``
  matrix, as Megatron-LM, Chinchilla and the cookbook count it (a causal kernel that skips
  the masked half does half of this work);
- projection: ``2 x heads x head_dim x d_model``;
- ffn: twice the FFN weights a token goes through (2 or 3 matrices; for MoE the active
  and shared experts and the router);

and once per token the LM head, ``2 x d_model x vocab`` (the input embedding is a
look-up: no FLOP). Norms, softmax, activations and residual additions are element-wise
and left out (under 1% of the total for the models in the catalogue).

Training adds the backward pass, twice the forward (``3x`` in all, hence ``6ND``); full
activation recomputation runs the layers' forward once more (``4x`` for the layers, the
head is not recomputed: Megatron-LM's ``72 B s l h^2 (1 + s/6h + V/(12 l h))``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pint

from ...units import InputRangeError, Q
from .. import args
from ..rows import records_table
from ..catalogues.shapes import ModelShape, as_shape

#: The parts of the forward FLOP, in the order the breakdown lists them.
FLOP_PARTS = ("qkv", "attention", "projection", "ffn", "embedding/head")
#: FLOP per multiply-accumulate.
FLOP_PER_MAC = 2
#: Backward pass FLOP per forward FLOP (gradients of activations and of weights).
BACKWARD_PER_FORWARD = 2
#: Passes of a training step in forward units: forward 1 + backward 2.
TRAIN_PASSES = 1 + BACKWARD_PER_FORWARD
#: Extra forward passes of the layers under full activation recomputation.
RECOMPUTE_PASSES = 1
_LAYER_PARTS = FLOP_PARTS[:-1]
#: Argument kinds of the shape formulas.
SEQ_LEN = args.ArgKind("token", "a sequence length in tokens", "4096 tokens")
SEQUENCES = args.ArgKind("dimensionless", "a number of sequences", "8")


def part_table(records: list[dict[str, Any]], columns: list[str]) -> Any:
    """A table of per-part records indexed by ``part`` (the first column).

    A pandas DataFrame; where pandas is missing (the xlwings Lite bundle) a plain
    :class:`~flopsheet.formulas.rows.Rows` table with ``part`` as its first
    column, which the add-in spills into the same cells.
    """
    return records_table(records, ["part", *columns], index="part")


def forward_parts_per_token(shape: ModelShape, seq_len: Any) -> dict[str, Any]:
    """Forward FLOP per token of each part, as floats or arrays over ``seq_len`` (tokens).

    ``seq_len`` is a plain number or array of tokens per sequence.
    """
    attention_width = shape.heads * (shape.qk_head_dim + shape.head_dim)
    layers = shape.layers
    return {
        "qkv": FLOP_PER_MAC * layers * shape.qkv_weights() + 0 * seq_len,
        "attention": FLOP_PER_MAC * layers * attention_width * seq_len,
        "projection": FLOP_PER_MAC * layers * shape.out_weights() + 0 * seq_len,
        "ffn": FLOP_PER_MAC * shape.ffn_weights(active=True) + 0 * seq_len,
        "embedding/head": FLOP_PER_MAC * shape.d_model * shape.vocab + 0 * seq_len,
    }


def _seq_len(value: Any, shape: ModelShape) -> np.ndarray | float:
    """Read and check a sequence length (tokens) against the shape's max context."""
    length = args.quantity_arg(value, "seq_len", SEQ_LEN).magnitude
    limit = shape.max_context
    if limit is not None and np.any(np.asarray(length) > limit):
        worst = float(np.max(length))
        raise InputRangeError("seq_len", f"{worst:g} tokens",
                              f"at most {shape.name}'s max context ({limit} tokens)",
                              f'model_shape("{shape.name}", max_context=...) studies a longer context')
    return length


def forward_flops(shape: Any, seq_len: Any, sequences: Any = 1) -> pint.Quantity:
    """Return the forward-pass FLOP of ``sequences`` sequences of ``seq_len`` tokens.

    ``sequences x seq_len x (2 x matmul weights per token + attention + LM head)``: the
    Megatron-LM convention written out in this module's docstring, attention growing with
    ``seq_len`` squared. MoE shapes count the active and shared experts only.

    Parameters
    ----------
    shape : ModelShape or str
        A shape from :func:`flopsheet.model_shape` or a catalogue name ("Llama 2 7B").
    seq_len : quantity, number or text
        Tokens per sequence; bare numbers in tokens. At most the shape's max context.
    sequences : number, default 1
        Sequences (a plain count).

    Returns
    -------
    pint.Quantity
        FLOP (a count).

    Examples
    --------
    >>> flops = forward_flops("GPT-3 175B", 2048)
    >>> round(flops.to("TFLOP").m)
    735
    >>> round((flops / (2048 * 2 * 174.6e9)).m, 3)   # 2N per token plus attention
    1.027
    """
    model = as_shape(shape, "shape")
    length = _seq_len(seq_len, model)
    count = args.quantity_arg(sequences, "sequences", SEQUENCES).magnitude
    per_token = sum(forward_parts_per_token(model, length).values())
    return Q(count * length * per_token, "FLOP")


def train_flops_of_shape(shape: ModelShape, tokens: Any, seq_len: Any, recompute: bool = False) -> pint.Quantity:
    """Training FLOP of ``tokens`` for a shape: 3 forward passes, 4 for recomputed layers.

    ``tokens`` is a token quantity; ``seq_len`` is read like :func:`forward_flops`'s.
    """
    length = _seq_len(seq_len, shape)
    token_count = tokens.to("token").magnitude
    return Q(token_count * _train_flop_per_token(shape, length, recompute), "FLOP")


def _train_flop_per_token(shape: ModelShape, length: Any, recompute: bool) -> Any:
    parts = forward_parts_per_token(shape, length)
    layer_passes = TRAIN_PASSES + (RECOMPUTE_PASSES if recompute else 0)
    return layer_passes * sum(parts[name] for name in _LAYER_PARTS) + TRAIN_PASSES * parts["embedding/head"]


def flops_breakdown(shape: Any, seq_len: Any, tokens: Any = None, train: bool = False,
                    recompute: bool = False) -> Any:
    """Return the FLOP of each part (qkv, attention, projection, ffn, embedding/head) as a table.

    Parameters
    ----------
    shape : ModelShape or str
        A shape or a catalogue name.
    seq_len : quantity, number or text
        Tokens per sequence.
    tokens : quantity, number or text, optional
        Tokens processed; default one sequence (``seq_len``).
    train : bool, default False
        Count a training step (forward + backward, 3x) instead of the forward pass.
    recompute : bool, default False
        With ``train``: full activation recomputation (one more forward of the layers;
        the LM head is not recomputed).

    Returns
    -------
    pandas.DataFrame
        Indexed by part, with a ``total`` row: ``FLOP`` and ``share`` (of the total). In
        Excel (FLOPS_BREAKDOWN) it spills under a header row, the part first.

    Examples
    --------
    >>> table = flops_breakdown("Llama 2 7B", 4096)
    >>> table["share"].round(3).to_dict()
    {'qkv': 0.21, 'attention': 0.14, 'projection': 0.07, 'ffn': 0.564, 'embedding/head': 0.017, 'total': 1.0}
    """
    model = as_shape(shape, "shape")
    length = float(_seq_len(seq_len, model))
    token_count = length if tokens is None else float(args.quantity_arg(tokens, "tokens", args.TOKENS).magnitude)
    parts = forward_parts_per_token(model, length)
    layer_passes = (TRAIN_PASSES + (RECOMPUTE_PASSES if recompute else 0)) if train else 1
    head_passes = TRAIN_PASSES if train else 1
    flop = {name: token_count * value * (head_passes if name == "embedding/head" else layer_passes)
            for name, value in parts.items()}
    total = sum(flop.values())
    flop["total"] = total
    return part_table([{"part": name, "FLOP": value, "share": value / total} for name, value in flop.items()],
                      ["FLOP", "share"])
