"""Model shapes: the catalogue's numbers, their sources, computed parameter counts, bad shapes."""

from __future__ import annotations

import tomllib

import pytest

import flopsheet
from flopsheet.formulas.catalogues.shapes import MODELS_FILE, ModelShape, shapes
from flopsheet.units import InputError, InputRangeError, UnknownNameError

REQUIRED_MODELS = ["GPT-3 175B", "LLaMA 7B", "LLaMA 13B", "LLaMA 33B", "LLaMA 65B", "Llama 2 7B", "Llama 2 70B",
                   "Llama 3.1 8B", "Llama 3.1 70B", "Llama 3.1 405B", "Mixtral 8x7B", "DeepSeek-V3", "Qwen2-72B",
                   "Chinchilla 70B"]
#: Published parameter counts agree with the shape's computed ones within this (issue 14).
PARAM_TOLERANCE = 0.01


def test_required_models_are_present() -> None:
    assert set(REQUIRED_MODELS) <= set(flopsheet.model_names())


@pytest.mark.parametrize("name", REQUIRED_MODELS)
def test_total_parameters_match_the_published_count(name: str) -> None:
    shape = flopsheet.model_shape(name)
    assert shape.published_params is not None
    assert shape.params == pytest.approx(shape.published_params, rel=PARAM_TOLERANCE)


MOE_MODELS = [name for name in REQUIRED_MODELS if shapes()[name].is_moe]


@pytest.mark.parametrize("name", MOE_MODELS)
def test_active_parameters_match_the_published_count(name: str) -> None:
    shape = flopsheet.model_shape(name)
    counted = shape.param_count(active=True, input_embedding=not shape.active_params_excludes_input_embedding)
    assert shape.published_active_params is not None
    assert counted == pytest.approx(shape.published_active_params, rel=PARAM_TOLERANCE)
    assert shape.active_params < shape.params / 3


def test_dense_models_use_every_parameter() -> None:
    for shape in shapes().values():
        if not shape.is_moe:
            assert shape.active_params == shape.params


def test_hand_counted_llama_2_7b() -> None:
    shape = flopsheet.model_shape("Llama 2 7B")
    per_layer = 4 * 4096 * 4096 + 3 * 4096 * 11008 + 2 * 4096     # q, k, v, o; SwiGLU; two RMSNorms
    assert shape.params == 32 * per_layer + 2 * 32000 * 4096 + 4096  # embedding, head, final norm
    assert shape.params == 6_738_415_616


def test_hand_counted_deepseek_v3_latent_attention() -> None:
    shape = flopsheet.model_shape("DeepSeek-V3")
    query = 7168 * 1536 + 1536 + 1536 * 128 * (128 + 64)
    key_value = 7168 * (512 + 64) + 512 + 512 * 128 * (128 + 128)
    assert shape.attention_params() == query + key_value + 128 * 128 * 7168
    assert shape.kv_cache_width == 512 + 64
    assert (shape.dense_layers, shape.moe_layers, shape.dense_ffn) == (3, 58, 18432)
    assert (shape.experts, shape.active_experts, shape.shared_experts) == (256, 8, 1)
    assert (shape.q_lora_rank, shape.kv_lora_rank, shape.qk_rope_head_dim) == (1536, 512, 64)


def test_fields_serving_needs() -> None:
    shape = flopsheet.model_shape("Llama-2-70B")
    assert (shape.layers, shape.kv_heads, shape.head_dim, shape.max_context) == (80, 8, 128, 4096)
    assert shape.kv_cache_width == 2 * 8 * 128
    assert shape.gated and not shape.tied_embeddings
    gpt3 = flopsheet.model_shape("GPT-3")
    assert gpt3.tied_embeddings and not gpt3.gated and gpt3.max_context == 2048


@pytest.mark.parametrize("text", ["Llama-2-7B", "llama 2 7b", "LLAMA_2_7B", "Llama-2-7b-hf", " llama2 7b "])
def test_names_match_like_cards(text: str) -> None:
    assert flopsheet.model_shape(text).name == "Llama 2 7B"


def test_unknown_name_lists_the_catalogue() -> None:
    with pytest.raises(UnknownNameError, match=r'model: unknown model shape "Llama 9 7B"; known: GPT-3 175B, LLaMA 7B.*; '
                                                 r'did you mean "LLaMA 7B" or "Llama 2 7B"'):
        flopsheet.model_shape("Llama 9 7B")


def test_every_record_and_field_has_a_source() -> None:
    with MODELS_FILE.open("rb") as handle:
        records = tomllib.load(handle)["model"]
    for record in records:
        assert record["source"].strip()
        assert set(record.get("sources", {})) <= set(record) | {"max_context"}
    for shape in shapes().values():
        for name in ("layers", "d_model", "heads", "vocab", "params", "max_context"):
            assert shape.source_of(name)


def test_custom_shape_defaults_and_counts() -> None:
    shape = flopsheet.model_shape(layers=2, d_model=256, heads=4, vocab=1000)
    assert isinstance(shape, ModelShape)
    assert (shape.kv_heads, shape.head_dim, shape.ffn, shape.experts) == (4, 64, 1024, 1)
    assert shape.params == 2 * (4 * 256 ** 2 + 2 * 256 * 1024 + 2 * 256) + 2 * 1000 * 256 + 256
    moe = flopsheet.model_shape(layers=2, d_model=256, heads=4, kv_heads=2, ffn=512, gated=True, vocab=1000,
                                experts=8, active_experts=2)
    expert = 3 * 256 * 512
    assert moe.params - moe.active_params == 2 * 6 * expert


def test_named_shape_with_replaced_field_drops_published_counts_only_when_the_shape_changes() -> None:
    longer = flopsheet.model_shape("Llama 2 7B", max_context=32768)
    assert longer.max_context == 32768 and longer.published_params is not None
    deeper = flopsheet.model_shape("Llama 2 7B", layers=40)
    assert deeper.published_params is None and deeper.params > longer.params


BAD_SHAPES = [
    (dict(layers=2, d_model=256, heads=3, vocab=1000), InputRangeError, "heads: must be a divisor of d_model (256), got 3"),
    (dict(layers=2, d_model=256, heads=4, kv_heads=3, vocab=1000), InputRangeError, "kv_heads: must be a divisor of heads (4), got 3"),
    (dict(layers=0, d_model=256, heads=4, vocab=1000), InputRangeError, "layers: must be a whole number greater than 0, got 0"),
    (dict(layers=2, d_model=256, heads=4, vocab=1000, experts=8, active_experts=9), InputRangeError,
     "active_experts: must be at most experts (8), got 9"),
    (dict(layers=2.5, d_model=256, heads=4, vocab=1000), InputRangeError, "layers: must be a whole number, got 2.5"),
    (dict(layers=2, d_model=256, heads=0, vocab=1000), InputRangeError, "heads: must be a whole number greater than 0, got 0"),
    (dict(d_model=256, heads=4, vocab=1000), InputError, "layers: expected a whole number for a custom model shape"),
    (dict(layers=2, d_model=256, heads=4, vocab=1000, colour="red"), InputError, "colour: expected a model-shape field"),
    (dict(layers=2, d_model=256, heads=4, vocab=1000, gated="yes"), InputError, 'gated: expected TRUE or FALSE, got "yes"'),
]


@pytest.mark.parametrize(("fields", "error", "message"), BAD_SHAPES)
def test_bad_shapes_are_clear_errors(fields, error, message) -> None:
    with pytest.raises(error) as raised:
        flopsheet.model_shape(**fields)
    assert isinstance(raised.value, ValueError)
    assert message in str(raised.value)


def test_model_shapes_table() -> None:
    table = flopsheet.model_shapes()
    assert list(table.index[:2]) == ["GPT-3 175B", "LLaMA 7B"]
    assert table.loc["DeepSeek-V3", "params"] == pytest.approx(671e9, rel=PARAM_TOLERANCE)
