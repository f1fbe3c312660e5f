"""Property-based tests (hypothesis) of the numeric paths added this session (issue 23).

The planners (serving_plans, training_plans, predicted_utilization, published_utilization)
and cluster economics (cluster_network, optics_per_card, cluster_power, cluster_capex,
capex_cards, card_hour_cost, training_cost, token_cost, serving_margin): finite, positive
inputs anywhere in the float range give finite results (positive where the quantity must
be) or one of flopsheet's errors naming one of the call's arguments; never inf, NaN, a
result silently 0, another exception type, or a hang.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import flopsheet
from flopsheet.units import AssumptionWarning, FlopsheetError

#: Few examples (the planners take ~0.1-0.3 s a call), a fixed seed, no deadline (no timing asserted).
FEW = settings(max_examples=25, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow])
#: The closed-form cluster economics are fast: more examples.
SOME = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

#: Any finite positive float, weighted towards the ends of the range where overflow and underflow live.
positive = st.one_of(st.floats(min_value=1e-300, max_value=1e308, allow_nan=False, allow_infinity=False),
                     st.sampled_from([1e-300, 1e-200, 1e-12, 1.0, 1e12, 1e200, 1e300, 1e308, 5e-324, 2.2e-308]))
#: Whole numbers from 1 to far beyond what any count holds.
whole = st.one_of(st.integers(min_value=1, max_value=4096), st.sampled_from([10**6, 10**15, 10**30, 10**300]))
fraction = st.floats(min_value=1e-300, max_value=1.0, allow_nan=False)


def _answer(call: Callable[[], Any], arguments: set[str]) -> Any:
    """The result, or None after a flopsheet error that names one of ``arguments`` (those the call passes)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AssumptionWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            return call()
    except FlopsheetError as error:
        message = str(error)
        assert message.split(":")[0] in arguments, message[:300]
        return None


def _numbers(table: Any, columns: list[str] | None = None) -> np.ndarray:
    picked = table if columns is None else table[columns]
    numeric = picked.select_dtypes(include="number")
    return numeric.to_numpy(dtype=float).ravel()


def _no_inf(table: Any) -> None:
    """No infinity anywhere (NaN may stand for "no value", e.g. a cost without a price)."""
    values = _numbers(table)
    assert not np.isinf(values).any(), table.to_string()[:600]


def _finite_positive(values: Any, what: Any = "") -> None:
    values = np.asarray(getattr(values, "magnitude", values), dtype=float)
    assert np.all(np.isfinite(values)) and np.all(values > 0), (values, str(what)[:600])


@FEW
@given(positive, positive, positive)
def test_serving_plans(calls: float, prompt: float, answer: float) -> None:
    table = _answer(lambda: flopsheet.serving_plans("Llama-2-7B", calls, prompt, answer, cards=("H100 bf16",)),
                    {"model", "calls_per_day", "prompt_tokens", "answer_tokens", "cards"})
    if table is not None:
        _no_inf(table)
        feasible = table[table["feasible"].astype(bool)]
        if len(feasible):
            _finite_positive(feasible["cards"], table)


training_arguments = {"model", "cards", "card", "sequence", "global_batch", "top"}


@settings(FEW, max_examples=80)  # most draws are refused in a millisecond (no layout divides them)
@given(st.one_of(st.sampled_from([8 << k for k in range(0, 16, 3)]), whole),
       st.one_of(st.sampled_from([1, 512, 2048, 4096]), st.integers(min_value=1, max_value=1 << 20),
                 st.sampled_from([10**15, 10**300])),
       st.one_of(st.sampled_from([1 << k for k in range(0, 22, 3)]), st.integers(min_value=1, max_value=1 << 16),
                 st.sampled_from([10**15, 10**300])))
def test_training_plans_and_predicted_utilization(cards: int, sequence: int, global_batch: int) -> None:
    plans = _answer(lambda: flopsheet.training_plans("Llama-2-7B", cards, "H100", sequence=sequence,
                                                     global_batch=global_batch, top=2), training_arguments)
    event("planned" if plans is not None else "refused")  # shown by --hypothesis-show-statistics
    if plans is not None:
        _no_inf(plans)
        _finite_positive(plans[["step_time", "tokens_per_second", "mfu"]].to_numpy(dtype=float), plans)
    predicted = _answer(lambda: flopsheet.predicted_utilization("Llama-2-7B", cards, "H100", sequence=sequence,
                                                                global_batch=global_batch), training_arguments)
    if predicted is not None:
        _finite_positive(predicted)


@FEW
@given(positive, positive, st.one_of(st.integers(min_value=1, max_value=1 << 20), st.sampled_from([10**300])))
def test_published_utilization(per_card: float, peak: float, sequence: int) -> None:
    arguments = {"model", "peak", "tokens_per_second_per_card", "sequence"}
    table = _answer(lambda: flopsheet.published_utilization("Llama-2-7B", f"{peak!r} TFLOPS",
                                                            tokens_per_second_per_card=per_card,
                                                            sequence=sequence), arguments)
    if table is not None:
        _no_inf(table)
        _finite_positive(_numbers(table), table)


#: Too many cards for the default 64-port switch in 6 tiers names switch_radix (what to raise), not cards.
DEFAULT_RADIX_NAMED = ("switch_radix",)
network_arguments = {"cards", "card", "switch_radix", "oversubscription"}


@SOME
@given(whole, st.sampled_from([8, 16, 32, 64, 128, 10**6]), positive)
def test_cluster_network_and_optics(cards: int, radix: int, oversubscription: float) -> None:
    network = _answer(lambda: flopsheet.cluster_network(cards, "H100", radix, oversubscription=oversubscription),
                      network_arguments)
    if network is not None:
        _no_inf(network)
        assert not np.isnan(_numbers(network)).any(), network
    optics = _answer(lambda: flopsheet.optics_per_card(cards, "H100", radix, oversubscription=oversubscription),
                     network_arguments)
    if optics is not None:
        _no_inf(optics)
        _finite_positive(optics["switches"], optics)


@SOME
@given(whole, positive, fraction)
def test_cluster_power(cards: int, pue: float, load: float) -> None:
    table = _answer(lambda: flopsheet.cluster_power(cards, "H100", pue, load),
                    {"cards", "card", "pue", "server_load", *DEFAULT_RADIX_NAMED})
    if table is not None:
        _no_inf(table)
        _finite_positive(table.loc[["it", "facility"]].to_numpy(dtype=float), table)


@SOME
@given(whole, positive, positive, positive)
def test_cluster_capex(cards: int, server: float, switch: float, facility: float) -> None:
    table = _answer(lambda: flopsheet.cluster_capex(cards, "H100", f"{server!r} USD", f"{switch!r} USD",
                                                    facility_price=f"{facility!r} USD/W"),
                    {"cards", "card", "server_price", "switch_price", "facility_price", *DEFAULT_RADIX_NAMED})
    if table is not None:
        _no_inf(table)
        _finite_positive(table.loc["total", ["capex", "per_card"]].to_numpy(dtype=float), table)


@SOME
@given(positive, positive)
def test_capex_cards(budget: float, server: float) -> None:
    table = _answer(lambda: flopsheet.capex_cards(f"{budget!r} USD", "H100", f"{server!r} USD"),
                    {"budget", "card", "server_price", *DEFAULT_RADIX_NAMED})
    if table is not None:
        _no_inf(table)


@SOME
@given(positive, positive, positive, fraction, positive)
def test_card_hour_cost(capex: float, power: float, life: float, utilization: float, price: float) -> None:
    table = _answer(lambda: flopsheet.card_hour_cost(f"{capex!r} USD/card", f"{power!r} W/card", f"{life!r} year",
                                                     electricity_price=f"{price!r} USD/kWh",
                                                     utilization=utilization),
                    {"capex_per_card", "power_per_card", "depreciation_life", "electricity_price", "utilization"})
    if table is not None:
        _no_inf(table)
        _finite_positive(table.loc["total"].to_numpy(dtype=float), table)


@SOME
@given(positive, positive)
def test_training_cost(hours: float, price: float) -> None:
    cost = _answer(lambda: flopsheet.training_cost(f"{hours!r} card_hour", f"{price!r} USD/card_hour"),
                   {"card_hours", "card_hour_price"})
    if cost is not None:
        _finite_positive(cost)


@SOME
@given(positive, positive, positive)
def test_token_cost(tokens: float, price: float, inputs: float) -> None:
    arguments = {"tokens_per_second", "card_hour_price", "input_tokens_per_second"}
    table = _answer(lambda: flopsheet.token_cost(tokens, f"{price!r} USD/card_hour"), arguments)
    if table is not None:
        _no_inf(table)
        _finite_positive(_numbers(table), table)
    split = _answer(lambda: flopsheet.token_cost(tokens, f"{price!r} USD/card_hour", inputs), arguments)
    if split is not None:
        _no_inf(split)
        _finite_positive(_numbers(split), split)


@SOME
@given(positive, positive, positive, positive, positive)
def test_serving_margin(inputs: float, outputs: float, in_price: float, out_price: float, fleet: float) -> None:
    table = _answer(lambda: flopsheet.serving_margin(inputs, outputs, f"{in_price!r} USD/Mtoken",
                                                     f"{out_price!r} USD/Mtoken", f"{fleet!r} USD"),
                    {"input_tokens", "output_tokens", "input_price", "output_price", "fleet_cost"})
    if table is not None:
        _no_inf(table)
        assert not np.isnan(_numbers(table)).any(), table
        _finite_positive(table[["revenue", "cost"]].to_numpy(dtype=float), table)
