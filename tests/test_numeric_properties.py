"""Property-based tests (hypothesis) of the numeric paths added since the first release (issue 23).

Finite, positive inputs anywhere in the float range give a finite, positive result or
one of flopsheet's errors naming one of the call's arguments: never inf, NaN, a result
silently 0, or another exception type (OverflowError, ZeroDivisionError, TypeError...).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flopsheet
from flopsheet.units import AssumptionWarning, FlopsheetError

#: Enough examples to reach both ends of the float range, without a deadline (no timing asserted).
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

#: Any finite positive float, weighted towards the ends of the range where overflow and underflow live.
positive = st.one_of(st.floats(min_value=1e-300, max_value=1e308, allow_nan=False, allow_infinity=False),
                     st.sampled_from([1e-300, 1e-200, 1e-12, 1.0, 1e12, 1e200, 1e300, 1e308, 5e-324, 2.2e-308]))
#: Whole numbers from 1 to far beyond what any count holds.
whole = st.one_of(st.integers(min_value=1, max_value=64), st.sampled_from([10**6, 10**15, 10**30, 10**300]))
fraction = st.floats(min_value=1e-300, max_value=1.0, allow_nan=False, exclude_min=False)


def _answer(call: Callable[[], Any], arguments: set[str]) -> Any:
    """The result, or None after a flopsheet error that names one of ``arguments``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AssumptionWarning)
            return call()
    except FlopsheetError as error:
        message = str(error)
        assert message.split(":")[0] in arguments, message[:300]
        assert "inf " not in message.split(";")[0] or "infinity" in message, message[:300]
        return None


def _finite_positive(quantity: Any) -> None:
    magnitudes = np.asarray(quantity.magnitude, dtype=float)
    assert np.all(np.isfinite(magnitudes)) and np.all(magnitudes > 0), quantity


def _finite_table(table: Any) -> None:
    numbers = [value for row in table.itertuples(index=False) for value in row if isinstance(value, float)]
    assert not any(math.isinf(value) for value in numbers), numbers


@FAST
@given(positive, positive, positive)
def test_train_flops_and_cards(params: float, tokens: float, days: float) -> None:
    flops = _answer(lambda: flopsheet.train_flops(params, tokens), {"params", "tokens", "flop_per_param_token"})
    if flops is not None:
        _finite_positive(flops)
        cards = _answer(lambda: flopsheet.train_cards(flops, "H100 bf16", 0.4, days), {"flops", "peak", "duration"})
        if cards is not None:
            _finite_positive(cards)
        taken = _answer(lambda: flopsheet.train_duration(flops, days, "H100 bf16", 0.4), {"flops", "cards", "peak"})
        if taken is not None:
            _finite_positive(taken)


@FAST
@given(positive, positive, positive, fraction, st.floats(min_value=1e-300, max_value=24))
def test_infer_cards(per_call: float, calls: float, peak: float, utilization: float, hours: float) -> None:
    cards = _answer(lambda: flopsheet.infer_cards(per_call, calls, peak, utilization, hours),
                    {"flops_per_call", "calls_per_day", "peak", "utilization", "busy_hours"})
    if cards is not None:
        _finite_positive(cards)


@FAST
@given(positive, st.sampled_from(["bf16", "fp8", "int4", "fp32"]))
def test_weights_memory(params: float, precision: str) -> None:
    memory = _answer(lambda: flopsheet.weights_memory(params, precision), {"params", "precision"})
    if memory is not None:
        _finite_positive(memory)


@FAST
@given(positive, positive)
def test_kv_cache_memory(context: float, batch: float) -> None:
    memory = _answer(lambda: flopsheet.kv_cache_memory("Llama-2-7B", context_tokens=context, batch=batch),
                     {"context_tokens", "batch", "layers"})
    if memory is not None:
        _finite_positive(memory)


@FAST
@given(positive, positive, positive, fraction)
def test_prefill_and_decode_time(params: float, tokens: float, batch: float, utilization: float) -> None:
    arguments = {"model", "prompt_tokens", "context_tokens", "batch", "utilization", "card", "kv_bytes_per_token"}
    prefill = _answer(lambda: flopsheet.prefill_time(params, tokens, "H100 bf16", batch, utilization,
                                                     kv_bytes_per_token="100000 B/token"), arguments)
    if prefill is not None:
        _finite_positive(prefill)
    decode = _answer(lambda: flopsheet.decode_time(params, "H100 bf16", tokens, batch, utilization=utilization,
                                                   kv_bytes_per_token="100000 B/token"), arguments)
    if decode is not None:
        _finite_positive(decode)


@FAST
@given(positive, whole, st.sampled_from([0, 1, 2, 3]), positive, whole)
def test_train_memory(params: float, cards: int, stage: int, seq_len: float, micro_batch: int) -> None:
    arguments = {"model", "cards", "zero_stage", "seq_len", "micro_batch"}
    table = _answer(lambda: flopsheet.train_memory(params, cards, zero_stage=stage), arguments)
    if table is not None:
        _finite_table(table)
        assert table.loc["total", "bytes"] > 0
    shaped = _answer(lambda: flopsheet.train_memory("Llama-2-7B", 8, zero_stage=stage, seq_len=seq_len,
                                                    micro_batch=micro_batch), arguments)
    if shaped is not None:
        _finite_table(shaped)


@FAST
@given(positive, positive, positive)
def test_min_train_cards(params: float, tokens: float, days: float) -> None:
    answer = _answer(lambda: flopsheet.min_train_cards(params, tokens, "H100 bf16", 0.4, days, zero_stage=3),
                     {"model", "tokens", "peak", "utilization", "duration"})
    if answer is not None:
        assert answer.cards.m >= 1 and math.isfinite(answer.cards.m)


@FAST
@given(positive, positive, positive, st.floats(min_value=1e-300, max_value=24), positive)
def test_serving_cards(calls: float, prompt: float, answer: float, hours: float, latency: float) -> None:
    arguments = {"model", "calls_per_day", "prompt_tokens", "answer_tokens", "busy_hours", "latency"}
    table = _answer(lambda: flopsheet.serving_cards("Llama-2-7B", calls, prompt, answer, hours,
                                                    f"{latency!r} ms/token"), arguments)
    if table is not None:
        _finite_table(table)
