"""Serving beyond FLOPs: memory, prefill and decode, throughput and cost, the three fleet bounds.

Hand-checked numbers come from published figures, not from flopsheet: Llama 2 70B's
config (80 layers, 8 KV heads, head width 128, vocabulary 32000, d_model 8192) and its
published fp16 checkpoint size; the datasheets' bandwidths; Table 6 of seed 001.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import flopsheet
from flopsheet import AssumptionWarning, InputError, InputRangeError, Q, UnitInputError, UnknownNameError

#: Llama 2 70B, from meta-llama/Llama-2-70b-hf config.json.
LAYERS, KV_HEADS, HEAD_DIM, VOCAB, D_MODEL = 80, 8, 128, 32_000, 8_192
#: Its published fp16 checkpoint: model.safetensors.index.json total_size, bytes.
LLAMA2_70B_CHECKPOINT_BYTES = 137_953_316_864
#: Datasheet bandwidths, bytes per second per card.
H100_BANDWIDTH, H200_BANDWIDTH, H20_BANDWIDTH = 3.35e12, 4.8e12, 4.0e12


def quiet(function, *args, **kwargs):
    """Call a formula with its memory warnings silenced (they are tested on their own)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        return function(*args, **kwargs)


# -- weights and KV cache ---------------------------------------------------------------


def test_weights_memory_of_the_issue() -> None:
    assert flopsheet.weights_memory(70e9, "bf16").to("GB").m == pytest.approx(140)
    assert flopsheet.weights_memory(671e9, "fp8").to("GB").m == pytest.approx(671)
    assert flopsheet.weights_memory("2000亿", "fp32").to("GB").m == pytest.approx(800)
    assert flopsheet.weights_memory(70e9, "int8").to("GB").m == pytest.approx(70)
    assert flopsheet.weights_memory(70e9, "FP16").to("GB").m == pytest.approx(140)


def test_int4_group_scale_overhead_is_an_option() -> None:
    assert flopsheet.weights_memory(70e9, "int4").to("GB").m == pytest.approx(35)
    # GPTQ/AWQ: one fp16 scale per 128 weights -> 0.5 + 2/128 bytes per weight
    assert flopsheet.weights_memory(70e9, "int4", group_size=128).to("GB").m == pytest.approx(70 * (0.5 + 2 / 128))
    assert flopsheet.weights_memory(70e9, "0.5 B").to("GB").m == pytest.approx(35)


def test_weights_of_the_llama2_70b_shape_match_its_published_checkpoint() -> None:
    held = flopsheet.weights_memory(flopsheet.model_shape("Llama-2-70B").params, "fp16")
    assert held.to("B").m == pytest.approx(LLAMA2_70B_CHECKPOINT_BYTES, rel=1e-6)


def test_kv_cache_of_llama2_70b() -> None:
    per_token = 2 * LAYERS * KV_HEADS * HEAD_DIM * 2  # key and value, bf16
    assert per_token == 327_680
    explicit = flopsheet.kv_cache_memory(LAYERS, KV_HEADS, HEAD_DIM, 4096, 1, "bf16")
    assert explicit.to("B").m == pytest.approx(1_342_177_280, abs=1e-3)
    assert flopsheet.kv_cache_memory(LAYERS, KV_HEADS, HEAD_DIM, 1, 1, "bf16").to("B").m == pytest.approx(per_token)
    from_shape = flopsheet.kv_cache_memory("Llama-2-70B", 4096)
    assert from_shape.to("B").m == pytest.approx(1_342_177_280, abs=1e-3)
    assert flopsheet.kv_cache_memory(flopsheet.model_shape("Llama 2 70B"), context_tokens=4096, batch=8,
                                     precision="fp8").to("B").m == pytest.approx(8 * 1_342_177_280 / 2)


def test_kv_cache_multi_query_and_latent_attention() -> None:
    # multi-query attention: one KV head
    assert flopsheet.kv_cache_memory(LAYERS, 1, HEAD_DIM, 4096).to("B").m == pytest.approx(1_342_177_280 / 8)
    # DeepSeek-V3 caches its 512-wide latent plus the 64-wide decoupled RoPE key per layer
    assert flopsheet.kv_cache_memory("DeepSeek-V3", 4096).to("B").m == pytest.approx(61 * (512 + 64) * 2 * 4096)


def test_kv_cache_broadcasts_over_context_and_batch() -> None:
    memory = flopsheet.kv_cache_memory(LAYERS, KV_HEADS, HEAD_DIM, np.array([1024, 2048, 4096]), np.array([[1], [2]]))
    assert memory.shape == (2, 3)
    assert memory[1, 2].to("B").m == pytest.approx(2 * 1_342_177_280)


@pytest.mark.parametrize(("call", "error", "text"), [
    (lambda: flopsheet.weights_memory(70e9, "fp12"), UnknownNameError, 'unknown precision "fp12"'),
    (lambda: flopsheet.weights_memory(70e9, "bf16", group_size=128), InputError, "group scales apply"),
    (lambda: flopsheet.weights_memory(70e9, "int4", group_size=0), InputRangeError, "group_size"),
    (lambda: flopsheet.weights_memory("70 tokens", "bf16"), UnitInputError, "params"),
    (lambda: flopsheet.kv_cache_memory(80.5, 8, 128, 4096), InputRangeError, "layers: must be a whole number"),
    (lambda: flopsheet.kv_cache_memory(80, 0, 128, 4096), InputRangeError, "kv_heads"),
    (lambda: flopsheet.kv_cache_memory(80, 8, 128, 4096, 0), InputRangeError, "batch: must be greater than 0"),
    (lambda: flopsheet.kv_cache_memory(80, 8, 128), InputError, "context_tokens"),
    (lambda: flopsheet.kv_cache_memory("Llama-2-70B", 8192), InputRangeError, "at most 4096 tokens"),
    (lambda: flopsheet.kv_cache_memory("Llama-2-70B", 8, 128, 4096), InputError, "no KV heads"),
])
def test_bad_memory_inputs_are_clear_errors(call, error, text) -> None:
    with pytest.raises(error, match=text):
        call()


# -- prefill and decode -----------------------------------------------------------------


def _llama2_70b_read_bytes() -> float:
    """Weights a decode step reads: every matrix, not the input-embedding table (a row look-up)."""
    return (flopsheet.model_shape("Llama 2 70B").params - VOCAB * D_MODEL) * 2


def test_decode_time_per_token_from_bandwidth() -> None:
    # Llama 2 70B in bf16 fits one H200 (141 GB); batch 1 reads the weights once per token
    ideal = flopsheet.decode_time("Llama-2-70B", "H200 bf16", efficiency=1.0)
    assert ideal.to("ms/token").m == pytest.approx(_llama2_70b_read_bytes() / H200_BANDWIDTH * 1e3, rel=1e-9)
    assert ideal.to("ms/token").m == pytest.approx(28.63, abs=0.01)
    with_context = flopsheet.decode_time("Llama-2-70B", "H200 bf16", context_tokens=4096, efficiency=1.0)
    expected = (_llama2_70b_read_bytes() + 1_342_177_280) / H200_BANDWIDTH * 1e3
    assert with_context.to("ms/token").m == pytest.approx(expected, rel=1e-9)
    # the default efficiency (0.6) scales the bandwidth-bound time
    default = flopsheet.decode_time("Llama-2-70B", "H200 bf16")
    assert default.m == pytest.approx(ideal.m / flopsheet.formulas.serving.times.DEFAULT_EFFICIENCY)


def test_decode_with_a_bare_parameter_count_is_table6s_arithmetic() -> None:
    assert flopsheet.decode_time(70e9, "H200 bf16", efficiency=1.0).to("ms/token").m == pytest.approx(
        140e9 / H200_BANDWIDTH * 1e3)
    with pytest.raises(InputError, match="does not size the KV cache"):
        flopsheet.decode_time(70e9, "H200 bf16", context_tokens=4096)
    sized = quiet(flopsheet.decode_time, 70e9, "H200 bf16", context_tokens=4096, efficiency=1.0,
                  kv_bytes_per_token="327680 B/token")
    assert sized.to("ms/token").m == pytest.approx((140e9 + 1_342_177_280) / H200_BANDWIDTH * 1e3)


def test_the_binding_bound_switches_from_bandwidth_to_compute_as_the_batch_grows() -> None:
    def step(batch, **rates):
        return flopsheet.decode_time("Llama-2-70B", "H100 bf16", context_tokens=128, batch=batch, cards=8,
                                     **rates).m

    # small batch: bandwidth binds, so the compute utilization does not matter
    assert step(1, utilization=0.2) == pytest.approx(step(1, utilization=1.0))
    assert step(1, efficiency=0.3) == pytest.approx(2 * step(1, efficiency=0.6))
    # large batch: compute binds, so the bandwidth efficiency does not matter
    assert step(2048, efficiency=0.3) == pytest.approx(step(2048, efficiency=1.0))
    assert step(2048, utilization=0.25) == pytest.approx(2 * step(2048, utilization=0.5))
    times = step(np.array([1, 16, 256, 2048]))
    assert np.all(np.diff(times) > 0)


def test_h20_beats_h100_per_card_when_bandwidth_binds_and_loses_when_compute_binds() -> None:
    def per_card(card, batch):
        return flopsheet.decode_throughput("Llama 3.1 8B", card, context_tokens=256, batch=batch).m

    assert per_card("H20 bf16", 1) > per_card("H100 bf16", 1)
    assert per_card("H20 bf16", 1) / per_card("H100 bf16", 1) == pytest.approx(H20_BANDWIDTH / H100_BANDWIDTH,
                                                                                rel=1e-3)
    assert per_card("H20 bf16", 1024) < per_card("H100 bf16", 1024)
    assert per_card("H100 bf16", 1024) / per_card("H20 bf16", 1024) == pytest.approx(989.5 / 148, rel=1e-6)


def test_moe_reads_only_active_experts_per_token_but_holds_all_of_them() -> None:
    shape = flopsheet.model_shape("Mixtral 8x7B")
    assert shape.active_params < shape.params / 3
    read = (shape.param_count(active=True, input_embedding=False)) * 2
    step = flopsheet.decode_time(shape, "H200 bf16", efficiency=1.0)
    assert step.to("ms/token").m == pytest.approx(read / H200_BANDWIDTH * 1e3, rel=1e-9)
    # a dense model of the same total size reads all of it
    dense = flopsheet.decode_time(shape.params, "H200 bf16", efficiency=1.0)
    assert dense.m / step.m == pytest.approx(shape.params / shape.param_count(active=True, input_embedding=False))
    # ... but every expert is held: on one 80 GB H100 the 93 GB of weights do not fit
    with pytest.warns(AssumptionWarning, match="do not fit in 80 GB"):
        flopsheet.decode_time(shape, "H100 bf16")
    frame = flopsheet.serving_cards(shape, "100万", cards=["H100 bf16", "H200 bf16"])
    assert frame.loc[0, "replica_cards"] >= 2  # 93 GB: at least two H100s
    assert "93.41 GB of weights" in frame.loc[0, "note"]
    plans = frame.attrs["plans"].set_index(["card", "layout"])
    assert plans.loc[("H200 bf16", "TP1"), "feasible"]  # one H200 holds it
    assert "do not hold 93.41 GB" in plans.loc[("H100 bf16", "TP1"), "reason"]
    assert plans.loc[("H100 bf16", "EP8"), "feasible"]  # experts over 8 cards, attention data-parallel


def test_prefill_is_compute_bound_with_causal_attention() -> None:
    shape = flopsheet.model_shape("Llama 2 70B")
    seconds = quiet(flopsheet.prefill_time, shape, 4096, "H100 bf16", utilization=1.0)
    matmul = shape.params - VOCAB * D_MODEL
    attention = 2 * LAYERS * 64 * (HEAD_DIM + HEAD_DIM) * 4096 * 4097 / 2
    assert seconds.to("s").m == pytest.approx((2 * matmul * 4096 + attention) / 989.5e12, rel=1e-9)
    assert quiet(flopsheet.prefill_time, 70e9, 1000, "312 TFLOPS", 4, 0.5).to("s").m == pytest.approx(
        4 * 2 * 70e9 * 1000 / (312e12 * 0.5))


def test_decode_warns_when_the_model_does_not_fit_the_cards() -> None:
    with pytest.warns(AssumptionWarning, match="give more cards"):
        flopsheet.decode_time("Llama-2-70B", "H100 bf16")
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumptionWarning)
        flopsheet.decode_time("Llama-2-70B", "H100 bf16", cards=2)


@pytest.mark.parametrize(("call", "error", "text"), [
    (lambda: flopsheet.decode_time("Llama-2-70B", "H200 bf16", batch=0), InputRangeError, "batch"),
    (lambda: flopsheet.decode_time("Llama-2-70B", "H200 bf16", context_tokens=5000), InputRangeError,
     "context limit of Llama 2 70B"),
    (lambda: flopsheet.decode_time("Llama-2-70B", "H200 bf16", context_tokens=-1), InputError, "0 or more"),
    (lambda: flopsheet.decode_time("Llama-2-70B", "312 TFLOPS"), InputError, "memory and bandwidth come from"),
    (lambda: flopsheet.decode_time("Llama-2-70B", "H200"), UnknownNameError, "precision"),
    (lambda: flopsheet.decode_time("Llama-2-70B", "H200 bf16", efficiency=1.5), InputRangeError, "efficiency"),
    (lambda: flopsheet.decode_time("Llama-9", "H200 bf16"), UnknownNameError, "model"),
    (lambda: flopsheet.prefill_time("Llama-2-70B", 0, "H200 bf16"), InputRangeError, "prompt_tokens"),
])
def test_bad_decode_inputs_are_clear_errors(call, error, text) -> None:
    with pytest.raises(error, match=text):
        quiet(call)


# -- throughput and cost --------------------------------------------------------------


def test_cost_per_million_tokens() -> None:
    assert flopsheet.cost_per_million_tokens("2 USD/card/hour", 1000).m == pytest.approx(2 / 3.6)
    assert flopsheet.cost_per_million_tokens("2 USD/hour", "1000 tokens/s").units == Q(1, "USD/Mtoken").units
    cny = flopsheet.cost_per_million_tokens("15 元/card_hour", "500 token/s/card")
    assert cny.units == Q(1, "CNY/Mtoken").units and cny.m == pytest.approx(15 / 1.8)
    with pytest.raises(UnitInputError, match="card_hour_price"):
        flopsheet.cost_per_million_tokens("2 USD", 1000)
    with pytest.raises(InputRangeError, match="tokens_per_second"):
        flopsheet.cost_per_million_tokens("2 USD/card/hour", 0)


# -- the fleet --------------------------------------------------------------------------

KIMI_KV = "393216 B/token"  # 96 layers x 8 KV heads x 128 x 2 (K and V) x 2 bytes


def _kimi(**overrides):
    load = dict(busy_hours=12, utilization=0.3, kv_bytes_per_token=KIMI_KV)
    return flopsheet.serving_cards("2000亿", "300万", **{**load, **overrides})


def test_serving_cards_compute_bound_is_table6() -> None:
    frame = _kimi(cards="A10 fp16")
    assert frame.loc[0, "compute_cards"] == pytest.approx(1481.48, abs=0.01)  # Table 6's 1481 A10
    assert list(frame.columns) == ["card", "replica_cards", "compute_cards", "bandwidth_cards", "capacity_cards",
                                   "binding", "cards", "batch_per_replica", "ms_per_token", "prefill_s",
                                   "tokens_per_s_per_card", "cost_per_mtoken", "note", "layout"]


def test_serving_cards_bounds_by_hand() -> None:
    frame = _kimi(card_hour_price="2 USD/card/hour").set_index("card")
    load = frame.attrs["load"]
    assert load["output_tokens_per_s"] == pytest.approx(3e6 * 1000 / (12 * 3600))
    concurrent = load["output_tokens_per_s"] * 0.05
    kv_mean = 393_216 * (1000 + 1001 / 2)
    kv_full = 393_216 * 2000
    a100 = frame.loc["A100 bf16"]
    # fewest cards: max(memory: (400 GB + one request) / (80 GB x 0.9), latency: (400 GB + KV) / (50 ms x 2039 GB/s x 0.6))
    fewest = max(math.ceil((400e9 + kv_full) / 72e9), math.ceil((400e9 + kv_full) / (0.05 * 2039e9 * 0.6)))
    assert fewest == 7 and a100["replica_cards"] == 8  # a tensor-parallel group of one 8-card server
    batch = (0.05 * 8 * 2039e9 * 0.6 - 400e9) / kv_mean
    assert a100["bandwidth_cards"] == pytest.approx(8 * concurrent / batch)
    assert a100["capacity_cards"] == pytest.approx(8 * concurrent / ((8 * 72e9 - 400e9) / kv_mean))
    assert a100["binding"] == "compute" and a100["cards"] == 8 * math.ceil(a100["compute_cards"] / 8)
    assert a100["tokens_per_s_per_card"] == pytest.approx(load["tokens_per_s"] / a100["cards"])
    assert a100["cost_per_mtoken"] == pytest.approx(2 / (a100["tokens_per_s_per_card"] * 3600 / 1e6))
    # Table 6's A10: 400 GB need 23 A10s per replica (three servers), and bandwidth binds
    a10 = frame.loc["A10 bf16"]
    assert a10["replica_cards"] == 24 and "spans 3 servers" in a10["note"]
    assert a10["binding"] == "bandwidth" and a10["cards"] > a10["compute_cards"] > 1481
    assert frame.loc["H20 bf16", "binding"] == "compute"


def test_multi_head_attention_makes_memory_bind_where_flop_alone_would_not() -> None:
    gqa, mha = _kimi().set_index("card"), _kimi(kv_bytes_per_token=f"{393_216 * 12} B/token").set_index("card")
    assert set(gqa.loc[["A100 bf16", "H100 bf16", "H200 bf16"], "binding"]) == {"compute"}
    assert mha.loc["H100 bf16", "binding"] == "capacity" and mha.loc["A100 bf16", "binding"] == "bandwidth"
    assert mha.loc["H100 bf16", "cards"] > 4 * mha.loc["H100 bf16", "compute_cards"]
    # the H20's 4.0 TB/s and 96 GB keep it compute-bound: the one card whose FLOP-only count holds
    assert mha.loc["H20 bf16", "binding"] == "compute" and mha.loc["H20 bf16", "cards"] == gqa.loc["H20 bf16", "cards"]


def test_h20_serves_more_per_card_than_h100_when_bandwidth_binds() -> None:
    long_answers = flopsheet.serving_cards("Llama 3.1 8B", tokens_per_second=1_000_000, prompt_tokens=200,
                                           answer_tokens=8000, latency="20 ms/token",
                                           cards=["H100 bf16", "H20 bf16"]).set_index("card")
    assert set(long_answers["binding"]) == {"bandwidth"}
    assert long_answers.loc["H20 bf16", "cards"] < long_answers.loc["H100 bf16", "cards"]
    assert long_answers.loc["H20 bf16", "tokens_per_s_per_card"] > long_answers.loc["H100 bf16", "tokens_per_s_per_card"]
    compute_heavy = flopsheet.serving_cards("Llama 3.1 8B", tokens_per_second=2_000_000, prompt_tokens=1000,
                                            answer_tokens=10, latency="200 ms/token",
                                            cards=["H100 bf16", "H20 bf16"]).set_index("card")
    assert set(compute_heavy["binding"]) == {"compute"}
    assert compute_heavy.loc["H20 bf16", "cards"] > compute_heavy.loc["H100 bf16", "cards"]


def test_a_latency_target_no_card_meets_gives_cannot_rows() -> None:
    frame = _kimi(latency="10 ms/token", max_replica_cards=8)
    assert set(frame["binding"]) == {"cannot"}
    assert frame["cards"].isna().all() and frame["bandwidth_cards"].isna().all()
    # the true reason first: eight A10s do not even hold the 400 GB of weights
    assert frame.loc[0, "note"].startswith("cannot: 8 A10 (TP8) do not hold 400 GB")
    assert all(note.startswith("cannot: one request alone steps in") for note in frame["note"][1:])
    assert "A100" in frame.loc[1, "note"] and "slower than the 10 ms/token target" in frame.loc[1, "note"]


def test_a_replica_too_small_gives_a_cannot_row() -> None:
    frame = _kimi(cards="H100 bf16", replica_cards=4)
    assert frame.loc[0, "binding"] == "cannot"
    assert "do not hold 400 GB" in frame.loc[0, "note"]


@pytest.mark.parametrize(("overrides", "error", "text"), [
    ({"busy_hours": 25}, InputRangeError, "busy_hours"),
    ({"latency": 0}, InputRangeError, "latency"),
    ({"latency": "50 GB"}, UnitInputError, "latency"),
    ({"cards": "H100"}, UnknownNameError, "precision"),
    ({"cards": []}, InputError, "at least one"),
    ({"answer_tokens": 0}, InputRangeError, "answer_tokens"),
    ({"tokens_per_second": 1000}, InputError, "either calls_per_day or tokens_per_second"),
    ({"kv_bytes_per_token": None}, InputError, "does not size the KV cache"),
    ({"efficiency": 0}, InputRangeError, "efficiency"),
])
def test_bad_loads_are_clear_errors(overrides, error, text) -> None:
    with pytest.raises(error, match=text):
        _kimi(**overrides)


def test_context_beyond_the_shape_limit_is_an_error() -> None:
    with pytest.raises(InputRangeError, match="context limit of Llama 2 70B"):
        flopsheet.serving_cards("Llama-2-70B", "100万", prompt_tokens=4000, answer_tokens=500)


def test_the_bounds_agree_with_the_single_formulas() -> None:
    frame = _kimi(cards="H200 bf16")
    row = frame.iloc[0]
    rate = frame.attrs["load"]["output_tokens_per_s"]
    kv_mean, kv_full = Q(393_216 * 1500.5, "B"), Q(393_216 * 2000, "B")
    fewest = flopsheet.replica_cards("400 GB", "400 GB", kv_full, "141 GB", "4.8 TB/s", "50 ms/token")
    replica = flopsheet.tensor_parallel_group(fewest)
    assert (fewest.m, replica.m) == (4, row["replica_cards"])
    bandwidth = flopsheet.bandwidth_bound_cards(rate, "50 ms/token", "400 GB", kv_mean, replica, "4.8 TB/s")
    capacity = flopsheet.capacity_bound_cards(rate, "50 ms/token", "400 GB", kv_mean, replica, "141 GB")
    assert (bandwidth.m, capacity.m) == pytest.approx((row["bandwidth_cards"], row["capacity_cards"]))
    assert flopsheet.fleet_cards(row["compute_cards"], bandwidth, capacity, replica).m == row["cards"]


def test_replicas_are_tensor_parallel_groups_or_whole_servers() -> None:
    cards = [1, 2, 3, 4, 5, 8, 9, 17, 23]
    assert [flopsheet.tensor_parallel_group(n).m for n in cards] == [1, 2, 4, 4, 8, 8, 16, 24, 24]
    assert flopsheet.tensor_parallel_group(np.array(cards, dtype=float)).m.tolist() == [1, 2, 4, 4, 8, 8, 16, 24, 24]
