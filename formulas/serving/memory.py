"""Serving memory: bytes per stored value, the weights, and the KV cache.

A served model holds its weights (every expert of an MoE) and, per request, the keys
and values of every token in its context (the KV cache). Both are bytes; per card they
are set against the card's memory (:func:`flopsheet.card_memory`).

Precisions are stored widths, not compute modes: ``tf32`` is a Tensor Core mode over
fp32 storage, so it stores 4 bytes.
"""

from __future__ import annotations

from typing import Any

import pint

from ...units import InputError, Q, UnitInputError, UnknownNameError
from .. import args
from .. import magnitudes as fast
from ..catalogues.cards import key
from .model import BATCH, CONTEXT, is_model, served_model, whole_number

#: Bytes one stored value takes, by precision. fp64, fp32 and fp16 are IEEE 754 binary64/32/16;
#: tf32 computes over fp32 storage (NVIDIA A100 whitepaper, 2020); bf16 is Google's bfloat16
#: (16 bits); fp8 is E4M3/E5M2 (OCP 8-bit Floating Point Specification, 2023); int8 one byte;
#: int4 and fp4 pack two values per byte (fp4 = E2M1 of the OCP Microscaling Formats v1.0, 2023).
BYTES_PER_VALUE: dict[str, float] = {"fp64": 8, "fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1,
                                     "int4": 0.5, "fp4": 0.5}
#: Precisions that are stored with one scale per group of values (quantized formats).
GROUPED_PRECISIONS: tuple[str, ...] = ("fp8", "int8", "int4", "fp4")
#: Bytes of one group scale: an fp16 scale per group of weights, as GPTQ (Frantar et al. 2022,
#: arXiv:2210.17323) and AWQ (Lin et al. 2023, arXiv:2306.00978) store int4 weights; their
#: common group size is 128, i.e. 0.5 + 2/128 = 0.515625 bytes per weight.
GROUP_SCALE_BYTES = 2
#: A key and a value are cached per KV head per layer (standard and grouped-query attention).
KEY_AND_VALUE = 2

BYTES_PER_VALUE_KIND = args.ArgKind("B", 'a precision ("bf16", "fp8", "int4") or bytes per value', "bf16")
GROUP_SIZE = args.ArgKind("dimensionless", "values per group scale", "128")


def precision_bytes(precision: Any, argument: str = "precision", group_size: Any = None) -> pint.Quantity:
    """Return the bytes one stored value takes at ``precision``.

    Parameters
    ----------
    precision : str or quantity
        A precision name (fp64, fp32, tf32, bf16, fp16, fp8, int8, int4, fp4; case,
        spaces and hyphens ignored) or bytes per value ("0.5 B", "4 bit", 2 = 2 bytes).
    argument : str, default "precision"
        The argument name used in error messages.
    group_size : int, optional
        Values per group scale of a quantized precision (fp8, int8, int4, fp4): adds
        one fp16 scale (2 bytes) per ``group_size`` values. None: no scales.

    Returns
    -------
    pint.Quantity
        B (per value).

    Examples
    --------
    >>> precision_bytes("bf16")
    <Quantity(2.0, 'byte')>
    >>> precision_bytes("int4", group_size=128)
    <Quantity(0.515625, 'byte')>
    >>> precision_bytes("fp12")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnknownNameError: precision: unknown precision "fp12"; known: fp64, fp32, tf32, bf16, fp16, fp8, int8, int4, fp4, or bytes per value like "0.5 B"
    """
    name = key(precision) if isinstance(precision, str) else None
    if name in BYTES_PER_VALUE:
        width = Q(float(BYTES_PER_VALUE[name]), "B")
    elif isinstance(precision, str) and not precision.strip()[:1].isdigit():
        raise UnknownNameError(argument, precision, ", ".join(BYTES_PER_VALUE) + ', or bytes per value like "0.5 B"',
                               "precision")
    else:
        width = _bytes_per_value(precision, argument)
    if group_size is None:
        return width
    if name not in GROUPED_PRECISIONS:
        raise InputError("group_size", group_size, f"no group size for {precision!r}: group scales apply to the "
                         f"quantized precisions {', '.join(GROUPED_PRECISIONS)}")
    groups = whole_number(group_size, "group_size", GROUP_SIZE)
    return width + Q(GROUP_SCALE_BYTES, "B") / groups


def _bytes_per_value(value: Any, argument: str) -> pint.Quantity:
    """Read bytes per value from a quantity or number; "2 B/parameter" is 2 B per value."""
    quantity = Q(value, "B", argument=argument)
    for per in ("parameter", "token"):
        if quantity.dimensionality == args.dimensionality_of(f"B/{per}"):
            quantity = quantity * Q(1, per)
    if quantity.dimensionality != BYTES_PER_VALUE_KIND.dimensionality:
        raise UnitInputError(argument, args.shown(value), BYTES_PER_VALUE_KIND.expected)
    args.require_positive(quantity, argument, value)
    return quantity.to("B")


@fast.checked
def weights_memory(params: Any, precision: Any, group_size: Any = None) -> pint.Quantity:
    """Return the memory that holds a model's weights: ``params * bytes per value``.

    For an MoE model pass the total parameters: every expert is held, though only the
    active ones are read per token (a shape or name does: its total count).

    Parameters
    ----------
    params : quantity, number, text, model shape or catalogue name
        Parameter count; bare numbers in parameters ("2000亿" = 2e11); a shape or a
        catalogue name ("Llama 2 70B") gives its total parameters.
    precision : str or quantity
        fp32, bf16, fp16, fp8, int8, int4 (also fp64, tf32, fp4), or bytes per value.
    group_size : int, optional
        With int4/int8/fp8/fp4: one fp16 scale per ``group_size`` weights (GPTQ and AWQ
        use 128: int4 then takes 0.515625 bytes per weight). None: no scales counted.

    Returns
    -------
    pint.Quantity
        GB (decimal: 1e9 bytes, as card memory is stated).

    Examples
    --------
    >>> weights_memory(70e9, "bf16")
    <Quantity(140.0, 'gigabyte')>
    >>> weights_memory("671e9", "fp8")
    <Quantity(671.0, 'gigabyte')>
    >>> weights_memory(70e9, "int4", group_size=128)
    <Quantity(36.09375, 'gigabyte')>
    >>> round(weights_memory("Llama 2 70B", "bf16").m, 2)
    137.95
    """
    parameters = served_model(params, argument="params").total_params if is_model(params) else \
        args.quantity_arg(params, "params", args.PARAMETERS)
    width = precision_bytes(precision, "precision", group_size)
    return (parameters * width / Q(1, "parameter")).to("GB")


@fast.checked
def kv_bytes_per_token(layers: Any, kv_heads: Any, head_dim: Any, precision: Any = "bf16") -> pint.Quantity:
    """Return the KV-cache bytes of one token: ``2 * layers * kv_heads * head_dim * bytes``.

    Examples
    --------
    >>> kv_bytes_per_token(80, 8, 128, "bf16")
    <Quantity(327680.0, 'byte / token')>
    """
    values = (KEY_AND_VALUE * whole_number(layers, "layers") * whole_number(kv_heads, "kv_heads")
              * whole_number(head_dim, "head_dim"))
    return (values * precision_bytes(precision) / Q(1, "token")).to("B/token")


def _shape_arguments(kv_heads: Any, head_dim: Any, context_tokens: Any, batch: Any, precision: Any
                     ) -> tuple[Any, Any, Any]:
    """(context_tokens, batch, precision) of the shape form, written positionally or by keyword.

    ``kv_cache_memory(shape, 4096, 1, "fp16")`` fills the kv_heads, head_dim and
    context_tokens slots; ``kv_cache_memory(shape, context_tokens=4096)`` (and Excel, which
    passes every slot) leaves kv_heads empty. A value given both ways is refused.
    """
    if kv_heads is None:
        if head_dim is not None:
            raise InputError("head_dim", head_dim, "no head width with a model shape: call "
                             "kv_cache_memory(shape, context_tokens, batch, precision)")
        return context_tokens, batch, precision
    if context_tokens is not None and (head_dim is None or _is_bare_number(context_tokens)):
        # kv_cache_memory(shape, 8, 128, 4096): the layers form's arguments after a shape, not a precision
        raise InputError("kv_heads", kv_heads, "no KV heads with a model shape: call "
                         "kv_cache_memory(shape, context_tokens, batch, precision)")
    if head_dim is not None:
        if batch != DEFAULT_BATCH:
            raise InputError("batch", batch, f"the batch once (it is also the third argument, {head_dim!r})")
        batch = head_dim
    if context_tokens is not None:
        if precision != DEFAULT_KV_PRECISION:
            raise InputError("precision", precision,
                             f"the precision once (it is also the fourth argument, {context_tokens!r})")
        precision = context_tokens
    return kv_heads, batch, precision


def _is_bare_number(value: Any) -> bool:
    """A plain number (not a precision name or bytes with a unit)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: Defaults of kv_cache_memory's batch and precision (the shape form reads them positionally too).
DEFAULT_BATCH, DEFAULT_KV_PRECISION = 1, "bf16"


@fast.checked
def kv_cache_memory(layers: Any, kv_heads: Any = None, head_dim: Any = None, context_tokens: Any = None,
                    batch: Any = DEFAULT_BATCH, precision: Any = DEFAULT_KV_PRECISION) -> pint.Quantity:
    """Return the KV-cache memory of ``batch`` sequences of ``context_tokens`` each.

    ``2 * layers * kv_heads * head_dim * context_tokens * batch * bytes``: a key and a
    value per KV head per layer per token. Grouped-query attention (GQA) and multi-query
    attention (MQA, ``kv_heads=1``) are set by ``kv_heads``; multi-head attention has
    ``kv_heads = heads``.

    The same from a model shape: ``kv_cache_memory(shape, context_tokens, batch=1,
    precision="bf16")``, positionally or by keyword (``shape`` a :class:`ServedModel`, a
    shape of :func:`flopsheet.model_shape` or a catalogue name). A shape with multi-head latent attention (DeepSeek)
    caches its latent width plus the decoupled RoPE key per layer instead.

    Parameters
    ----------
    layers : int, or a model shape
        Transformer layers.
    kv_heads : int
        Key/value heads per layer.
    head_dim : int
        Width of one head.
    context_tokens : quantity, number or text
        Tokens cached per sequence (prompt plus answer so far); bare numbers in tokens.
    batch : default 1
        Sequences in the batch.
    precision : default "bf16"
        Cache precision: a name (bf16, fp8 ...) or bytes per value.

    Returns
    -------
    pint.Quantity
        GB (decimal).

    Examples
    --------
    >>> kv_cache_memory(80, 8, 128, 4096, 1, "bf16").to("B")
    <Quantity(1.34217728e+09, 'byte')>
    >>> kv_cache_memory("Llama 2 70B", 4096, 1, "fp16") == kv_cache_memory("Llama 2 70B", 4096, precision="fp16")
    True
    >>> kv_cache_memory(80, 8, 128, 0)
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.InputRangeError: context_tokens: must be greater than 0, got "0 token"
    """
    if is_model(layers):
        context, batch, precision = _shape_arguments(kv_heads, head_dim, context_tokens, batch, precision)
        model = served_model(layers, argument="layers")
        per_token = model.kv_per_token(precision_bytes(precision))
    else:
        for name, value in (("kv_heads", kv_heads), ("head_dim", head_dim), ("context_tokens", context_tokens)):
            if value is None:
                raise InputError(name, "nothing", f"{name} with layers (or a model shape as the first argument)")
        model, context = None, context_tokens
        per_token = kv_bytes_per_token(layers, kv_heads, head_dim, precision)
    tokens = args.quantity_arg(context, "context_tokens", CONTEXT)
    if model is not None:
        model.check_context(tokens)
    sequences = args.quantity_arg(batch, "batch", BATCH)
    return (per_token * tokens * sequences).to("GB")
