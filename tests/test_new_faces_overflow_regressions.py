"""Regressions for the bugs the new faces' property tests found (tests/test_numeric_properties_new_faces.py, issue 23)."""

from __future__ import annotations

import pytest

import flopsheet
from flopsheet.units import AssumptionWarning, FlopsheetError


def test_training_cost_underflow_to_zero_is_an_error_naming_an_argument() -> None:
    with pytest.raises(FlopsheetError, match=r"^card_hours: .*underflows to 0"):
        flopsheet.training_cost("1e-300 card_hour", "1e-300 USD/card_hour")


def test_published_utilization_infinite_mfu_is_an_error_naming_an_argument() -> None:
    with pytest.raises(FlopsheetError, match=r"^peak: .*overflows to infinity"):
        flopsheet.published_utilization("Llama-2-7B", "1e-300 TFLOPS", tokens_per_second_per_card=1.0,
                                         sequence=10**300)


def test_cluster_power_overflow_error_escaping_is_an_error_naming_cards() -> None:
    with pytest.raises(FlopsheetError, match=r"^cards: "):
        flopsheet.cluster_power(10**300, "H100")


def test_card_hour_cost_zero_division_is_an_error_naming_an_argument() -> None:
    try:
        table = flopsheet.card_hour_cost("1e-300 USD/card", "1e-300 W/card", "1e-300 year", utilization=1e-300,
                                         electricity_price="1e-300 USD/kWh")
    except FlopsheetError as error:
        assert str(error).split(":")[0] in {"capex_per_card", "power_per_card", "depreciation_life", "utilization",
                                            "electricity_price"}
    else:
        assert (table["cost"] > 0).all() and table["cost"].map(float).lt(float("inf")).all()


def test_serving_margin_underflowed_revenue_and_nan_margin_are_an_error() -> None:
    with pytest.raises(FlopsheetError, match=r"^input_tokens: .*underflows to 0"):
        flopsheet.serving_margin(1e-300, 1e-300, "1e-300 USD/Mtoken", "1e-300 USD/Mtoken", "1e-300 USD")


def test_serving_margin_zero_tokens_still_an_answer() -> None:
    table = flopsheet.serving_margin(0, 1e8, "1 USD/Mtoken", "4 USD/Mtoken", "1e4 USD")
    assert table["revenue"].iloc[0] == pytest.approx(400.0)


def test_token_cost_underflowed_input_cost_is_an_error() -> None:
    with pytest.raises(FlopsheetError, match=r"^(tokens_per_second|card_hour_price|input_tokens_per_second): "):
        flopsheet.token_cost(1e300, "1e-300 USD/card_hour", 1e300)


def test_cluster_network_huge_oversubscription_no_index_error() -> None:
    with pytest.warns(AssumptionWarning, match="rounded up to 2 servers = 16 cards"):
        table = flopsheet.cluster_network(9, "H100", 8, oversubscription=9007199254740992.0)
    assert table.loc["total", "switches"] > 0


def test_cluster_network_overflowing_oversubscription_no_nan_value_error() -> None:
    with pytest.warns(AssumptionWarning, match="^1 card does not fill whole 8-card servers: rounded up to 1 server = 8"):
        table = flopsheet.cluster_network(1, "H100", 128, oversubscription=1.4044477616111843e306)
    assert table.loc["total", "switches"] > 0


def test_cluster_network_down_ports_unchanged_for_ordinary_oversubscription() -> None:
    from flopsheet.formulas.cluster.network import fabric
    assert fabric("H100", 64, None, 1, True, [3.0, 1.0], None, True, "optics").down(3) == [48, 32]


def test_optics_per_card_int64_wrap_to_zero_cards_is_an_error_naming_cards() -> None:
    with pytest.raises(FlopsheetError, match=r"^cards: must be at most"):
        flopsheet.optics_per_card(10**30, "H100", 8)


def test_serving_plans_underflowed_load_gives_zero_cards_no_more() -> None:
    table = flopsheet.serving_plans("Llama-2-7B", 1e-300, 1e-300, 1e-300, cards=("H100 bf16",))
    feasible = table[table["feasible"].astype(bool)]
    assert len(feasible) and (feasible["cards"] >= feasible["replica_cards"]).all()
    assert (feasible["replicas"] >= 1).all()


def test_serving_plans_disaggregated_underflowed_load_has_a_prefill_replica() -> None:
    table = flopsheet.serving_plans("Llama-2-7B", 1e-300, 1e-300, 1e-300, cards=("H100 bf16",), disaggregated=True)
    feasible = table[table["feasible"].astype(bool)]
    assert len(feasible) and (feasible["prefill_cards"] > 0).all() and (feasible["decode_cards"] > 0).all()
