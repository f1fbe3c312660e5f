"""What serving needs to know about a model: a parameter count, or a shape.

A bare parameter count (``"2000亿"``) gives the weights and the 2 FLOP per parameter per
token of Table 6, but no KV cache and no attention FLOP: those need a model shape
(layers, KV heads, head width) or an explicit ``kv_bytes_per_token``. A shape gives
both, the MoE split of total (held) and active (read per token) parameters, and the
context limit where the shape states one. :func:`served_model` reads either into a
:class:`ServedModel`; the serving formulas read nothing else.
"""

from __future__ import annotations

import warnings

from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from ...units import AssumptionWarning, InputError, InputRangeError, Q, UnitInputError
from .. import args
from ..catalogues.shapes import ModelShape, find_model, is_model_name, misspelt_model

COUNT = args.ArgKind("dimensionless", "a whole number", "80")
CONTEXT = args.ArgKind("token", "a context length in tokens", "4096 tokens")
BATCH = args.ArgKind("dimensionless", "a number of concurrent sequences (the batch)", "8")
KV_BYTES_PER_TOKEN = args.ArgKind("B/token", "KV-cache bytes per token", "327680 B/token")
#: Attention FLOP per context position per layer and per unit of head width: one
#: multiply-add (2 FLOP) for the query-key score and one for the weighted value
#: (PaLM, Chowdhery et al. 2022, Appendix B: 6N + 12·L·H·Q·T training = 3 x forward).
ATTENTION_FLOP_PER_HEAD_WIDTH = 2
#: FLOP per active parameter per token of a forward pass (one multiply-add).
FORWARD_FLOP_PER_PARAM = 2


@dataclass(frozen=True)
class ServedModel:
    """The numbers serving needs, from a parameter count or a shape.

    total_params : parameters held in memory (every expert of an MoE).
    active_params : parameters read and multiplied per token (active experts of an MoE;
        for a shape without the input embedding look-up).
    kv_values_per_token : values cached per token over all layers (2·layers·kv_heads·
        head_dim; layers·(latent + rope width) for multi-head latent attention); None
        when unknown (a bare parameter count).
    attention_flop : FLOP per token per context position (2·layers·heads·(qk + v head width));
        0 for a bare parameter count (Table 6's 2 FLOP per parameter per token).
    max_context : the context limit the shape states, in tokens, or None.
    kv_bytes : explicit KV-cache bytes per token (overrides kv_values_per_token).
    name : the shape's name, or None.
    """

    total_params: pint.Quantity
    active_params: pint.Quantity
    kv_values_per_token: float | None = None
    attention_flop: float = 0.0
    max_context: float | None = None
    kv_bytes: pint.Quantity | None = None
    name: str | None = None

    @property
    def flop_per_token(self) -> pint.Quantity:
        """Dense forward FLOP per token, without attention: 2 x active parameters."""
        return (FORWARD_FLOP_PER_PARAM * self.active_params / Q(1, "parameter") * Q(1, "FLOP/token")).to("FLOP/token")

    def attention_flops(self, context: pint.Quantity) -> pint.Quantity:
        """Attention FLOP of one token that attends ``context`` positions."""
        return (self.attention_flop * context.to("token").magnitude * Q(1, "FLOP/token")).to("FLOP/token")

    def sequence_flops(self, tokens: pint.Quantity) -> pint.Quantity:
        """Forward FLOP of a sequence of ``tokens`` processed causally (token i attends i positions).

        ``2 * active params * tokens + attention_flop * tokens * (tokens + 1) / 2``.
        """
        count = tokens.to("token").magnitude
        return (self.flop_per_token * tokens + self.attention_flop * count * (count + 1) / 2 * Q(1, "FLOP")).to("FLOP")

    def kv_per_token(self, width: pint.Quantity) -> pint.Quantity:
        """KV-cache bytes per token at ``width`` bytes per value.

        Raises
        ------
        InputError
            The model is a bare parameter count and no ``kv_bytes_per_token`` was given.
        """
        if self.kv_bytes is not None:
            return self.kv_bytes
        if self.kv_values_per_token is None:
            raise InputError("model", _shown_params(self.total_params),
                             "a model shape (layers, KV heads, head width) or kv_bytes_per_token",
                             "a parameter count alone does not size the KV cache")
        return (self.kv_values_per_token * width / Q(1, "token")).to("B/token")

    def check_context(self, context: pint.Quantity, argument: str = "context_tokens") -> None:
        """Refuse a context beyond the shape's stated limit."""
        if self.max_context is None:
            return
        tokens = np.asarray(context.to("token").magnitude, dtype=float)
        if np.any(tokens > self.max_context):
            worst = float(tokens.max())
            raise InputRangeError(argument, f"{worst:g} tokens",
                                  f"at most {self.max_context:g} tokens, the context limit of {self.name}")


def _shown_params(params: pint.Quantity) -> str:
    """A parameter count as an error message shows it."""
    return f"{np.asarray(params.to('parameter').magnitude).ravel()[0]:g} parameters"


def whole_number(value: Any, argument: str, kind: args.ArgKind = COUNT) -> Any:
    """Read a positive whole number (layers, heads, head width); return its magnitude.

    Raises
    ------
    InputRangeError
        Zero, negative or fractional.
    """
    number = np.asarray(args.quantity_arg(value, argument, kind).to("dimensionless").magnitude, dtype=float)
    fractional = number != np.round(number)
    if np.any(fractional):
        raise InputRangeError(argument, f"{number.ravel()[np.argmax(fractional.ravel())]:g}", "a whole number")
    return float(number) if number.ndim == 0 else number


def from_shape(shape: ModelShape) -> ServedModel:
    """The serving numbers of a model shape.

    Held: every parameter (all experts). Read and multiplied per token: the active
    parameters without the input embedding table (a look-up of one row; a tied table is
    still read in full as the output head). KV cache: ``layers * kv_cache_width`` values
    per token (2 x kv_heads x head_dim, or the latent plus RoPE key width of multi-head
    latent attention). Attention: ``2 * layers * heads * (qk_head_dim + head_dim)`` FLOP
    per context position (scores and weighted values).

    Examples
    --------
    >>> served = from_shape(find_model("Llama 2 70B"))
    >>> served.kv_values_per_token, served.max_context
    (163840, 4096)
    """
    head = shape.vocab * shape.d_model if shape.tied_embeddings else 0
    matmul = shape.param_count(active=True, input_embedding=False) + head
    attention = ATTENTION_FLOP_PER_HEAD_WIDTH * shape.layers * shape.heads * (shape.qk_head_dim + shape.head_dim)
    return ServedModel(Q(float(shape.params), "parameter"), Q(float(matmul), "parameter"),
                       shape.layers * shape.kv_cache_width, float(attention), shape.max_context, name=shape.name)


def served_model(model: Any, kv_bytes_per_token: Any = None, argument: str = "model") -> ServedModel:
    """Read ``model``: a shape or its catalogue name, a :class:`ServedModel`, or a parameter count.

    ``kv_bytes_per_token`` sizes the KV cache of a bare parameter count (and overrides a
    shape's own figure).
    """
    if isinstance(model, ServedModel):
        read = model
    elif isinstance(model, ModelShape):
        read = from_shape(model)
    elif is_model_name(model):
        read = from_shape(find_model(model, argument))
    else:
        try:
            params = args.quantity_arg(model, argument, args.PARAMETERS)
        except UnitInputError as error:
            raise misspelt_model(model, argument, error) from None
        args.warn_tiny_params(params.to("parameter").magnitude, model, argument)
        read = ServedModel(params, params)
    if kv_bytes_per_token is None:
        return read
    kv_bytes = args.quantity_arg(kv_bytes_per_token, "kv_bytes_per_token", KV_BYTES_PER_TOKEN)
    if read.kv_values_per_token:
        warnings.warn(AssumptionWarning(
            f"kv_bytes_per_token {args.shown(kv_bytes)} replaces the KV cache of {read.name or 'the shape'}'s own shape "
            f"({read.kv_values_per_token:,.0f} cached values per token at the KV precision); leave it out to use the "
            "shape's"), stacklevel=2)
    return ServedModel(read.total_params, read.active_params, read.kv_values_per_token, read.attention_flop,
                       read.max_context, kv_bytes, read.name)


def is_model(value: Any) -> bool:
    """True when ``value`` is a model (shape or ServedModel) rather than a number."""
    return isinstance(value, (ServedModel, ModelShape)) or is_model_name(value)
