"""Model shapes: the published architectures (``data/models.toml``) and custom ones.

A :class:`ModelShape` holds what the FLOP, memory and serving formulas need: layers,
widths, heads and key/value heads, the feed-forward width and whether it is gated
(SwiGLU), the vocabulary, experts for mixture-of-experts models and DeepSeek's latent
attention widths. Its parameter counts are computed from those numbers, so a custom
shape gets them too, and the catalogue's computed counts are checked against the
published ones (tests/test_shapes.py).

Names match like cards: case, spaces, hyphens and underscores are ignored
(``"llama-2-70b"`` is ``"Llama 2 70B"``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ...units import InputError, InputRangeError, Q, UnknownNameError, did_you_mean
from . import data_tables
from .cards import key

MODELS_FILE = Path(__file__).with_name("data") / "models.toml"
#: Matrices of a gated feed-forward block (SwiGLU: gate, up, down) and of a plain MLP (up, down).
GATED_FFN_MATRICES = 3
PLAIN_FFN_MATRICES = 2
#: FFN width of a custom shape when none is given: 4 x d_model (GPT-2/3, Gopher).
DEFAULT_FFN_RATIO = 4
POSITIONS = ("learned", "rope", "alibi", "relative")
NORMS = ("layernorm", "rmsnorm")
BIASES = ("none", "qkv", "all")
#: Parameters of one norm per d_model: LayerNorm has a gain and a bias, RMSNorm a gain.
NORM_PARAMS_PER_WIDTH = {"layernorm": 2, "rmsnorm": 1}
#: Norms per transformer block (pre-attention and pre-FFN).
NORMS_PER_LAYER = 2
#: The integer fields of a shape, in the order a custom shape lists them.
_INTEGER_FIELDS = ("layers", "d_model", "heads", "kv_heads", "head_dim", "ffn", "vocab", "experts",
                   "active_experts", "shared_experts", "dense_layers", "dense_ffn", "max_context",
                   "q_lora_rank", "kv_lora_rank", "qk_rope_head_dim")


@dataclass(frozen=True)
class ModelShape:
    """A transformer's architecture and, for catalogue models, the published counts.

    Widths are per layer and counts are plain integers. ``experts == 1`` is a dense
    model; in an MoE model ``ffn`` is the width of one expert.

    Examples
    --------
    >>> shape = model_shape("Llama 2 70B")
    >>> shape.layers, shape.kv_heads, shape.head_dim
    (80, 8, 128)
    >>> round(shape.params / 1e9, 2)
    68.98
    """

    name: str
    layers: int
    d_model: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    gated: bool = False
    tied_embeddings: bool = False
    positions: str = "rope"
    norm: str = "rmsnorm"
    bias: str = "none"
    max_context: int | None = None
    experts: int = 1
    active_experts: int = 1
    shared_experts: int = 0
    dense_layers: int = 0
    dense_ffn: int | None = None
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    published_params: float | None = None
    published_active_params: float | None = None
    active_params_excludes_input_embedding: bool = False
    aliases: tuple[str, ...] = ()
    source: str = ""
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    note: str = ""

    # -- what the formulas read ------------------------------------------------------
    @property
    def is_moe(self) -> bool:
        """True for a mixture-of-experts model (more than one routed expert)."""
        return self.experts > 1

    @property
    def is_mla(self) -> bool:
        """True for multi-head latent attention (a compressed key-value latent)."""
        return self.kv_lora_rank is not None

    @property
    def moe_layers(self) -> int:
        """Layers whose FFN is a mixture of experts (all but the leading dense ones)."""
        return self.layers - self.dense_layers if self.is_moe else 0

    @property
    def qk_head_dim(self) -> int:
        """Width of one head's query and key (head_dim, plus the RoPE part under MLA)."""
        return self.head_dim + (self.qk_rope_head_dim or 0)

    @property
    def kv_cache_width(self) -> int:
        """Cached elements per token per layer: 2 x kv_heads x head_dim, or MLA's latent + RoPE key."""
        if self.is_mla:
            return int(self.kv_lora_rank) + int(self.qk_rope_head_dim or 0)
        return 2 * self.kv_heads * self.head_dim

    def source_of(self, field_name: str) -> str:
        """Return the source of one field (``"vocab"``, ``"params"``...)."""
        return self.sources.get(field_name, self.source)

    # -- parameter counts ------------------------------------------------------------
    def qkv_weights(self) -> int:
        """Weights of one layer's query, key and value projections (matmul weights only).

        Under MLA: the query down/up projections and the key-value down projection (to the
        latent and the RoPE key) and up projection; with Transformer-XL relative positions,
        the per-layer position projection too.
        """
        d, heads = self.d_model, self.heads
        if self.is_mla:
            rope, latent = int(self.qk_rope_head_dim or 0), int(self.kv_lora_rank)
            query = (d * self.q_lora_rank + self.q_lora_rank * heads * self.qk_head_dim if self.q_lora_rank
                     else d * heads * self.qk_head_dim)
            weights = query + d * (latent + rope) + latent * heads * 2 * self.head_dim
        else:
            weights = d * (heads + 2 * self.kv_heads) * self.head_dim
        return weights + (d * d if self.positions == "relative" else 0)

    def out_weights(self) -> int:
        """Weights of one layer's attention output projection (heads x head_dim -> d_model)."""
        return self.heads * self.head_dim * self.d_model

    def attention_params(self) -> int:
        """Parameters of one layer's attention block (projections, their biases, MLA's latent norms)."""
        params = self.qkv_weights() + self.out_weights()
        if self.is_mla:
            return params + int(self.kv_lora_rank) + (self.q_lora_rank or 0)
        q_width, kv_width = self.heads * self.head_dim, self.kv_heads * self.head_dim
        if self.bias in ("qkv", "all"):
            params += q_width + 2 * kv_width
        if self.bias == "all":
            params += self.d_model
        return params

    def ffn_params(self, width: int | None = None) -> int:
        """Parameters of one feed-forward block (one expert) of ``width`` (default ``ffn``)."""
        width = self.ffn if width is None else width
        biases = width + self.d_model if self.bias == "all" else 0
        return self._ffn_weights(width) + biases

    def _ffn_weights(self, width: int) -> int:
        matrices = GATED_FFN_MATRICES if self.gated else PLAIN_FFN_MATRICES
        return matrices * self.d_model * width

    def ffn_weights(self, active: bool = True) -> int:
        """FFN matmul weights over all layers a token goes through (``active``) or that exist.

        MoE layers count the routed experts (active or all), the shared experts and the
        router; leading dense layers their dense FFN.
        """
        return self._ffn_total(active, self._ffn_weights)

    def embedding_params(self) -> int:
        """Input embedding table (plus a learned position table)."""
        positions = (self.max_context or 0) * self.d_model if self.positions == "learned" else 0
        return self.vocab * self.d_model + positions

    def head_params(self) -> int:
        """Output head (LM head): zero when tied to the input embedding."""
        return 0 if self.tied_embeddings else self.vocab * self.d_model

    def _norm_params(self) -> int:
        return NORM_PARAMS_PER_WIDTH[self.norm] * self.d_model

    def _ffn_total(self, active: bool, per_block: Any) -> int:
        """Sum ``per_block(width)`` over the FFN blocks of all layers, plus MoE routers."""
        if not self.is_moe:
            return self.layers * per_block(self.ffn)
        routed = self.active_experts if active else self.experts
        per_moe_layer = (routed + self.shared_experts) * per_block(self.ffn) + self.d_model * self.experts
        return self.dense_layers * per_block(self.dense_ffn or self.ffn) + self.moe_layers * per_moe_layer

    def param_count(self, active: bool = False, input_embedding: bool = True) -> int:
        """Parameters of the model, or those a token goes through (``active=True``).

        ``input_embedding=False`` leaves the embedding table out (a look-up, not a
        matmul; some publishers count active parameters that way).
        """
        layers = self.layers * (self.attention_params() + NORMS_PER_LAYER * self._norm_params())
        total = layers + self._ffn_total(active, self.ffn_params) + self.head_params() + self._norm_params()
        return total + (self.embedding_params() if input_embedding else 0)

    @property
    def params(self) -> int:
        """Total parameters computed from the shape."""
        return self.param_count()

    @property
    def active_params(self) -> int:
        """Parameters a token goes through (total for a dense model), embedding included."""
        return self.param_count(active=True)


# -- the catalogue -------------------------------------------------------------------
_CATALOGUE_KEYS = {"params": "published_params", "active_params": "published_active_params"}


def data_records(path: Path, table: str) -> list[dict[str, Any]]:
    """The records of a catalogue data file, with ``aliases`` as a tuple and ``sources`` as a dict."""
    return [{**record, "aliases": tuple(record.get("aliases", ())), "sources": dict(record.get("sources", {}))}
            for record in data_tables(path, table)]


@lru_cache(maxsize=1)
def shapes() -> dict[str, ModelShape]:
    """Load ``data/models.toml`` once; return the shapes by name, in file order."""
    loaded: dict[str, ModelShape] = {}
    for record in data_records(MODELS_FILE, "model"):
        values = {_CATALOGUE_KEYS.get(name, name): value for name, value in record.items()}
        shape = ModelShape(**values)
        validate(shape)
        loaded[shape.name] = shape
    return loaded


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Map every normalised name and alias to its shape name."""
    return {key(name): shape.name for shape in shapes().values() for name in (shape.name, *shape.aliases)}


def model_names() -> list[str]:
    """Return the catalogue's model names in file order."""
    return list(shapes())


def is_model_name(value: Any) -> bool:
    """True when ``value`` is text naming a catalogue model."""
    return isinstance(value, str) and key(value) in _index()


def find_model(name: str, argument: str = "model") -> ModelShape:
    """Return the catalogue shape called ``name`` or raise UnknownNameError listing them."""
    found = _index().get(key(name)) if isinstance(name, str) and name.strip() else None
    if found is None:
        raise UnknownNameError(argument, name if isinstance(name, str) else str(name), ", ".join(model_names()),
                               "model shape", did_you_mean(name, _spellings()))
    return shapes()[found]


def _spellings() -> dict[str, str]:
    """Every catalogue name and alias, mapped to its model's name (what a did-you-mean offers)."""
    return {spelling: shape.name for shape in shapes().values() for spelling in (shape.name, *shape.aliases)}


def misspelt_model(value: Any, argument: str, error: Exception, *, list_models: bool = False) -> Exception:
    """The error for text that is neither a count nor a model: a did-you-mean when a model name is close.

    ``error`` (the count's own error) is returned unchanged when no name is close, unless
    ``list_models`` (an option that takes either, such as ``--params``) and the text has a letter.
    """
    hint = did_you_mean(value, _spellings()) if isinstance(value, str) else ""
    if not hint and not (list_models and isinstance(value, str) and any(ch.isalpha() for ch in value)):
        return error
    return UnknownNameError(argument, value, "a parameter count, or one of " + ", ".join(model_names()),
                            "model shape", hint)


# -- building and checking a shape ---------------------------------------------------
def model_shape(name: str | ModelShape | None = None, **fields: Any) -> ModelShape:
    """Return a model shape: a catalogue model by name, or a custom one by keywords.

    Parameters
    ----------
    name : str or ModelShape, optional
        Catalogue name or alias ("Llama-2-70B", "llama 3.1 405b", "DeepSeek-V3"); case,
        spaces, hyphens and underscores are ignored. Keywords given with a name replace
        that model's fields (``model_shape("Llama 2 7B", max_context=32768)``). A name
        outside the catalogue given with ``layers=...`` labels a custom shape.
    **fields
        For a custom shape: ``layers``, ``d_model``, ``heads`` and ``vocab`` are required;
        ``kv_heads`` (default ``heads``), ``head_dim`` (default ``d_model / heads``),
        ``ffn`` (default 4 x d_model), ``gated`` (SwiGLU, default False),
        ``tied_embeddings``, ``experts`` and ``active_experts`` (default 1: dense),
        ``shared_experts``, ``dense_layers``, ``dense_ffn``, ``max_context`` (tokens),
        ``positions``, ``norm``, ``bias``, ``q_lora_rank``, ``kv_lora_rank``,
        ``qk_rope_head_dim`` and ``name``.

    Returns
    -------
    ModelShape
        With computed ``params`` and ``active_params`` (parameters, counts).

    Raises
    ------
    UnknownNameError
        A name that is not in the catalogue (the message lists the known ones).
    InputRangeError
        A shape that cannot exist: zero layers, heads that do not divide d_model,
        kv_heads that do not divide heads, more active experts than experts.

    Examples
    --------
    >>> model_shape("llama-2-7b").name
    'Llama 2 7B'
    >>> custom = model_shape(layers=2, d_model=256, heads=4, vocab=1000)
    >>> custom.params
    2086144
    >>> model_shape(layers=2, d_model=256, heads=3, vocab=1000)
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.InputRangeError: heads: must be a divisor of d_model (256), got 3
    """
    labels_custom = isinstance(name, str) and "layers" in fields and not is_model_name(name)
    if name is not None and not labels_custom:
        base = name if isinstance(name, ModelShape) else find_model(name)
        return _replaced(base, fields) if fields else base
    return _custom({**fields, "name": name} if labels_custom else fields)


def _replaced(base: ModelShape, fields: dict[str, Any]) -> ModelShape:
    """A catalogue shape with some fields replaced (published counts dropped if the shape changes)."""
    _check_known_fields(fields)
    values = {name: _read_field(name, value) for name, value in fields.items()}
    if set(values) - {"name", "max_context", "aliases", "note"}:
        values.setdefault("published_params", None)
        values.setdefault("published_active_params", None)
    shape = dataclasses.replace(base, **values)
    validate(shape)
    return shape


def _custom(fields: dict[str, Any]) -> ModelShape:
    """A shape from keywords, with the defaults documented in :func:`model_shape`."""
    _check_known_fields(fields)
    for required in ("layers", "d_model", "heads", "vocab"):
        if fields.get(required) is None:
            raise InputError(required, None, f"a whole number for a custom model shape "
                                             f"(layers, d_model, heads and vocab are required)")
    values = {name: _read_field(name, value) for name, value in fields.items() if value is not None}
    values.setdefault("name", "custom")
    values.setdefault("kv_heads", values["heads"])
    _check_divides(values["d_model"], "d_model", values["heads"], "heads")
    values.setdefault("head_dim", values["d_model"] // values["heads"])
    values.setdefault("ffn", DEFAULT_FFN_RATIO * values["d_model"])
    shape = ModelShape(**values)
    validate(shape)
    return shape


_FIELD_NAMES = {f.name for f in dataclasses.fields(ModelShape)} - {"sources", "source", "published_params",
                                                                  "published_active_params",
                                                                  "active_params_excludes_input_embedding"}


def _check_known_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - _FIELD_NAMES)
    if unknown:
        raise InputError(unknown[0], fields[unknown[0]], "a model-shape field: " + ", ".join(sorted(_FIELD_NAMES)))


def _read_field(name: str, value: Any) -> Any:
    """Read one keyword: whole numbers for counts, booleans, choice text."""
    if name in _INTEGER_FIELDS:
        return _whole(value, name)
    if name in ("gated", "tied_embeddings"):
        if not isinstance(value, (bool, np.bool_)):
            raise InputError(name, value, "TRUE or FALSE")
        return bool(value)
    choices = {"positions": POSITIONS, "norm": NORMS, "bias": BIASES}.get(name)
    if choices is not None:
        if not isinstance(value, str) or value.strip().lower() not in choices:
            raise InputError(name, value, "one of " + ", ".join(choices))
        return value.strip().lower()
    if name == "aliases":
        return tuple(value)
    if not isinstance(value, str):
        raise InputError(name, value, "text")
    return value


def _whole(value: Any, name: str) -> int:
    """A whole number from an int, an integral float or cell text ("4096"), at most :data:`MAX_SHAPE_FIELD`."""
    if isinstance(value, (bool, np.bool_)):
        raise InputError(name, value, "a whole number, not TRUE/FALSE")
    number = value if isinstance(value, (int, float, np.integer, np.floating)) else Q(value, "dimensionless", argument=name).to("dimensionless").magnitude
    if isinstance(number, (int, np.integer)) and abs(int(number)) > MAX_SHAPE_FIELD:
        raise InputRangeError(name, value if abs(int(number)) < 10**30 else f"a whole number of {len(str(abs(int(number)))):,} digits",
                              f"a whole number of at most {MAX_SHAPE_FIELD:,}")
    if not np.isscalar(number) or not math.isfinite(float(number)) or float(number) != int(number):
        raise InputRangeError(name, value, "a whole number")
    if abs(float(number)) > MAX_SHAPE_FIELD:
        raise InputRangeError(name, value, f"a whole number of at most {MAX_SHAPE_FIELD:,}")
    return int(number)


#: Largest value of a whole-number shape field (layers, d_model, vocab...): 2^53, the largest
#: whole number a float holds exactly, so every count computed from a shape stays a finite float.
MAX_SHAPE_FIELD = 2**53


def _check_divides(total: int, total_name: str, part: int, part_name: str) -> None:
    if part < 1:
        raise InputRangeError(part_name, part, "a whole number greater than 0")
    if total % part:
        raise InputRangeError(part_name, part, f"a divisor of {total_name} ({total})")


def validate(shape: ModelShape) -> None:
    """Raise InputRangeError for a shape that cannot exist.

    Examples
    --------
    >>> validate(model_shape(layers=2, d_model=256, heads=4, vocab=1000))
    >>> model_shape(layers=2, d_model=256, heads=4, kv_heads=3, vocab=1000)
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.InputRangeError: kv_heads: must be a divisor of heads (4), got 3
    """
    for name in ("layers", "d_model", "heads", "kv_heads", "head_dim", "ffn", "vocab", "experts", "active_experts"):
        if getattr(shape, name) < 1:
            raise InputRangeError(name, getattr(shape, name), "a whole number greater than 0")
    for name in ("shared_experts", "dense_layers"):
        if getattr(shape, name) < 0:
            raise InputRangeError(name, getattr(shape, name), "a whole number, 0 or more")
    for name in ("dense_ffn", "max_context", "q_lora_rank", "kv_lora_rank", "qk_rope_head_dim"):
        value = getattr(shape, name)
        if value is not None and value < 1:
            raise InputRangeError(name, value, "a whole number greater than 0")
    _check_divides(shape.d_model, "d_model", shape.heads, "heads")
    _check_divides(shape.heads, "heads", shape.kv_heads, "kv_heads")
    if shape.active_experts > shape.experts:
        raise InputRangeError("active_experts", shape.active_experts, f"at most experts ({shape.experts})")
    if shape.dense_layers >= shape.layers and shape.is_moe:
        raise InputRangeError("dense_layers", shape.dense_layers, f"fewer than layers ({shape.layers})")
    for name, choices in (("positions", POSITIONS), ("norm", NORMS), ("bias", BIASES)):
        if getattr(shape, name) not in choices:
            raise InputError(name, getattr(shape, name), "one of " + ", ".join(choices))
    if shape.positions == "learned" and shape.max_context is None:
        raise InputError("max_context", None, "a whole number: learned positions need a context length")


def as_shape(value: Any, argument: str = "model") -> ModelShape:
    """Read a shape argument: a ModelShape or a catalogue name."""
    if isinstance(value, ModelShape):
        return value
    return find_model(value, argument)


def model_shapes() -> Any:
    """Return the catalogue as a DataFrame: one row per model, computed and published counts.

    Returns
    -------
    pandas.DataFrame
        Indexed by name; ``params`` and ``active_params`` are computed (parameters),
        ``published_params`` and ``published_active_params`` as published.

    Examples
    --------
    >>> table = model_shapes()
    >>> int(table.loc["Mixtral 8x7B", "experts"])
    8
    """
    import pandas as pd

    rows = []
    for shape in shapes().values():
        row = {name: getattr(shape, name) for name in ("name", *_INTEGER_FIELDS, "gated", "tied_embeddings")}
        row.update(params=shape.params, active_params=shape.active_params,
                   published_params=shape.published_params, published_active_params=shape.published_active_params,
                   source=shape.source)
        rows.append(row)
    return pd.DataFrame(rows).set_index("name")
