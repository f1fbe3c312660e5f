"""Cluster economics (issue 26): fabric, optics, power, capex, card-hour, training, token cost, margins."""

from __future__ import annotations

import doctest
import importlib
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import flopsheet
from flopsheet import AssumptionWarning, InputRangeError, UnitInputError, UnknownNameError
from flopsheet.formulas.cluster.network import fabric, tier_counts
from addin_support import office_call, server  # noqa: F401 (server is a fixture)

MODULES = ["flopsheet.formulas.cluster.network", "flopsheet.formulas.cluster.power",
           "flopsheet.formulas.cluster.capex", "flopsheet.formulas.cluster.cost", "flopsheet.formulas.cluster.margin",
           "flopsheet.formulas.catalogues.prices", "flopsheet.formulas.cluster.ratios"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# --- hand-computed fat-trees, radix 8 (4 down, 4 up), one 400G NIC per card ----------

@pytest.mark.parametrize(("cards", "tiers", "switches", "links"), [
    # 2 tiers hold k²/2 = 32: 32/4 = 8 leaves, 8*4 = 32 uplinks / 8 ports = 4 spines
    (32, 2, [8, 4], [32, 32]),
    # 3 tiers hold k³/4 = 128: 32 leaves, 32 spines, 128/8 = 16 cores (5k²/4 = 80 switches)
    (128, 3, [32, 32, 16], [128, 128, 128]),
    # 4 tiers hold k⁴/8 = 512: 128, 128, 128, 64 = (2*4-1)(k/2)^3 = 448 switches
    (512, 4, [128, 128, 128, 64], [512, 512, 512, 512]),
])
def test_hand_fat_trees(cards: int, tiers: int, switches: list[int], links: list[int]) -> None:
    net = flopsheet.cluster_network(cards, "H100", switch_radix=8, rail_optimized=False)
    rows = list(net.index[:tiers])
    assert net.attrs["tiers"] == tiers
    assert net.loc[rows, "switches"].tolist() == switches
    assert net.loc[rows, "links"].tolist() == links
    assert net.loc["total", "switches"] == sum(switches)
    # twin-port modules: one module per link end pair = one per link
    assert net.loc["total", "transceivers"] == sum(links)
    assert net.loc["total", "transceivers_per_card"] == tiers


def test_one_more_card_than_the_tiers_hold_adds_a_tier() -> None:
    assert flopsheet.cluster_network(2048, "H100").attrs["tiers"] == 2     # 64²/2
    assert flopsheet.cluster_network(2056, "H100").attrs["tiers"] == 3
    assert flopsheet.cluster_network(65536, "H100").attrs["tiers"] == 3    # 64³/4
    assert flopsheet.cluster_network(65544, "H100").attrs["tiers"] == 4


def test_oversubscription_thins_the_uplinks() -> None:
    blocking = flopsheet.cluster_network(1024, "H100", oversubscription=3, rail_optimized=False)
    # 64 ports: 48 down, 16 up; 1024/48 -> 22 leaves, 22*16 = 352 uplinks -> 6 spines -> 8 (divides 16)
    assert blocking.loc["leaf", "switches"] == 22
    assert blocking.loc["spine", "links"] == 352
    assert blocking.loc["spine", "switches"] == 8
    assert blocking.loc["total", "transceivers"] < flopsheet.cluster_network(1024, "H100").loc["total", "transceivers"]


def test_module_speed_cable_kinds_and_no_twin_ports() -> None:
    net = flopsheet.cluster_network(1024, "H100", leaf_cable="dac")
    assert net.loc["leaf", "transceivers"] == 0 and net.loc["leaf", "copper_cables"] == 1024
    assert "transceivers_800G" in net.columns
    single = flopsheet.cluster_network(1024, "H100", twin_port=False)
    assert single.loc["total", "transceivers"] == 2 * single.loc["total", "links"]
    assert "transceivers_400G" in single.columns
    fast = flopsheet.cluster_network(1024, "H100", link_speed="800 Gbit/s")
    assert "transceivers_1.6T" in fast.columns
    assert flopsheet.cluster_network(1024, "H100", link_speed="50 GB/s").attrs["link_speed"] == "400 Gbit/s"


def test_nvl72_scale_up_domain() -> None:
    net = flopsheet.cluster_network(72 * 8, "GB200")
    assert net.attrs["servers"] == 8
    assert net.loc["scale_up", "switches"] == 9 * 8
    assert net.loc["scale_up", "copper_cables"] == 5000 * 8
    assert net.loc["total", "switches"] == net.loc[["leaf", "spine"], "switches"].sum()


def test_cards_round_up_to_servers_and_say_so() -> None:
    with pytest.warns(AssumptionWarning, match="rounded up to 126 servers"):
        net = flopsheet.cluster_network(1001, "H100")
    assert net.attrs["cards"] == 1008 and "rounded up" in net.attrs["note"]
    with pytest.warns(AssumptionWarning, match="72-card"):
        flopsheet.cluster_network(100, "GB200")


def test_optics_per_card_curve_is_vectorised_and_steps_with_tiers() -> None:
    from flopsheet.formulas.cluster.network import DEFAULT_SIZES

    curve = flopsheet.optics_per_card(DEFAULT_SIZES)
    assert curve.index[0] == 1000 and curve.index[-1] == 1_000_000
    assert curve["tiers"].is_monotonic_increasing
    assert curve["transceivers_per_card"].iloc[-1] > curve["transceivers_per_card"].iloc[0]
    sweep = flopsheet.optics_per_card(np.arange(1, 1001) * 1000)
    one = flopsheet.cluster_network(500_000, "H100")
    assert sweep.loc[500_000, "switches"] == one.loc["total", "switches"]
    assert sweep.loc[500_000, "transceivers"] == one.loc["total", "transceivers"]


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: flopsheet.cluster_network(5000, "H100", tiers=2), "switch_radix"),
    (lambda: flopsheet.cluster_network(1000, "H100", oversubscription=0.5), "oversubscription"),
    (lambda: flopsheet.cluster_network(1000, "H100", switch_radix=2), "switch_radix"),
    (lambda: flopsheet.cluster_network(1000, "H100", tiers=9), "tiers"),
    (lambda: flopsheet.cluster_network(1000, "H100", link_speed="400 GB"), "link_speed"),
    (lambda: flopsheet.cluster_network("1000 TB", "H100"), "cards"),
    (lambda: flopsheet.cluster_network(-5, "H100"), "cards"),
    (lambda: flopsheet.cluster_network(1000, "H999"), "card"),
    (lambda: flopsheet.cluster_network(1000, "H100", leaf_cable="string"), "leaf_cable"),
    (lambda: flopsheet.cluster_capex(1000, "H100", server_price="37500 USD/card"), "server_price"),
    (lambda: flopsheet.cluster_capex(1000, "H100", switch_price="36000 CNY/switch"), "switch_price"),
    (lambda: flopsheet.cluster_capex(1000, "H100", facility_price="11 USD/W/year"), "facility_price"),
    (lambda: flopsheet.cluster_power(1000, "H100", pue=0.9), "pue"),
    (lambda: flopsheet.card_hour_cost("40000 USD/card", "1.4 kW/card", rental_price="17520 USD/year"),
     "rental_price"),
    (lambda: flopsheet.card_hour_cost("40000 USD/card", "1.4 kW/card", depreciation_life="5 kW"),
     "depreciation_life"),
    (lambda: flopsheet.card_hour_cost("40000 USD/card", "1.4 kWh/card"), "power_per_card"),
    (lambda: flopsheet.card_hour_cost("40000 USD/card", "1.4 kW/card", electricity_price="0.7 CNY/kWh"),
     "electricity_price"),
    (lambda: flopsheet.card_hour_cost("320000 USD/server", "1.4 kW/card"), "capex_per_card"),
    (lambda: flopsheet.training_cost("2.788e6 card_hour", "2 USD/card"), "card_hour_price"),
    (lambda: flopsheet.training_cost("2048 card", "2 USD/card_hour"), "card_hours"),
    (lambda: flopsheet.token_cost("1000 token/s", "2 USD/card_hour"), "tokens_per_second"),
    (lambda: flopsheet.serving_margin("1e9 token/day", "1e8 token/day", "1 USD/Mtoken", "2 USD/Mtoken", "100 USD"),
     "fleet_cost"),
    (lambda: flopsheet.serving_margin("1e9 token", "1e8 token", "1 USD/Mtoken", "2 CNY/Mtoken", "100 USD"),
     "output_price"),
    (lambda: flopsheet.serving_margin("1e9 token", "1e8 token", "1 USD/card_hour", "2 USD/Mtoken", "100 USD"),
     "input_price"),
    (lambda: flopsheet.serving_margin("1e9 token", "1e8 token", "1 USD/Mtoken", "2 USD/Mtoken", "100 USD",
                                      cache_hit_share=1.5), "cache_hit_share"),
    (lambda: flopsheet.capex_cards("1e9 CNY", "H100"), "budget"),
    (lambda: flopsheet.capex_cards("1e9 TB", "H100"), "budget"),
    (lambda: flopsheet.capex_cards("1000 USD", "H100"), "budget"),
])
def test_bad_input_names_the_argument(call, argument: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        with pytest.raises((UnitInputError, InputRangeError, UnknownNameError)) as caught:
            call()
    assert str(caught.value).startswith(f"{argument}:"), str(caught.value)


def test_power_is_server_figures_plus_network_and_energy_is_power_times_a_year() -> None:
    power = flopsheet.cluster_power(1016, "H100", pue=1.25)
    assert power.loc["servers", "power"] == pytest.approx(127 * 10.2e-3)
    net = flopsheet.cluster_network(1016, "H100")
    assert power.loc["switches", "power"] == pytest.approx(net.loc["total", "switches"] * 747e-6)
    assert power.loc["transceivers", "power"] == pytest.approx(net.loc["total", "transceivers"] * 16e-6)
    assert power.loc["facility", "power"] == pytest.approx(1.25 * power.loc["it", "power"])
    assert power.loc["it", "energy_per_year"] == pytest.approx(power.loc["it", "power"] * 8766)
    assert power.attrs["units"] == {"power": "MW", "power_per_card": "kW/card", "energy_per_year": "MWh"}
    half = flopsheet.cluster_power(1016, "H100", server_load=0.5)
    assert half.loc["servers", "power"] == pytest.approx(power.loc["servers", "power"] / 2)


def test_capex_parts_sum_and_follow_the_prices() -> None:
    capex = flopsheet.cluster_capex(100_000, "H100")
    parts = capex.drop(index="total")
    assert parts["capex"].sum() == pytest.approx(capex.loc["total", "capex"])
    assert capex.loc["servers", "capex"] == pytest.approx(12_500 * 300_000)
    dearer = flopsheet.cluster_capex(100_000, "H100", transceiver_price="2200 USD/module")
    assert dearer.loc["transceivers", "capex"] == pytest.approx(2 * capex.loc["transceivers", "capex"])
    yuan = flopsheet.cluster_capex(1024, "H100", server_price="2200000 CNY/server", switch_price="260000 CNY/switch",
                                   transceiver_price="8000 CNY/module", cable_price="400 CNY/cable",
                                   facility_price="80000000 CNY/MW")
    assert yuan.attrs["currency"] == "CNY"


def test_capex_cards_is_the_inverse() -> None:
    bought = flopsheet.capex_cards("2e9 USD", "H100")
    cards = int(bought.loc[0, "cards"])
    assert bought.loc[0, "capex"] <= 2e9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        assert flopsheet.cluster_capex(cards + 8, "H100").loc["total", "capex"] > 2e9
    assert bought.loc[0, "capex"] == pytest.approx(flopsheet.cluster_capex(cards, "H100").loc["total", "capex"])


def test_a_price_per_year_converts_exactly_to_per_hour() -> None:
    hourly = flopsheet.card_hour_cost("40000 USD/card", "1.4 kW/card", rental_price="2 USD/card_hour")
    yearly = flopsheet.card_hour_cost("40000 USD/card", "1.4 kW/card", rental_price=f"{2 * 8766} USD/card/year")
    assert yearly.loc["profit", "cost"] == pytest.approx(hourly.loc["profit", "cost"])


def test_card_hour_cost_by_hand() -> None:
    cost = flopsheet.card_hour_cost("50000 USD/card", "1.5 kW/card", depreciation_life="5 years",
                                    cost_of_capital="10 percent/year", electricity_price="0.1 USD/kWh", pue=1.2,
                                    utilization="80%", operations_share="5 percent/year",
                                    rental_price="2.5 USD/card_hour")
    hours = 365.25 * 24
    annuity = 50000 * 0.1 / (1 - 1.1 ** -5)
    assert cost.loc["depreciation", "cost"] == pytest.approx(50000 / 5 / hours / 0.8)
    assert cost.loc["cost_of_capital", "cost"] == pytest.approx((annuity - 10000) / hours / 0.8)
    assert cost.loc["electricity", "cost"] == pytest.approx(1.5 * 1.2 * 0.1 / 0.8)
    assert cost.loc["operations", "cost"] == pytest.approx(2500 / hours / 0.8)
    total = cost.loc["total", "cost"]
    assert cost.loc["margin_on_revenue", "cost"] == pytest.approx((2.5 - total) / 2.5)
    assert cost.loc["profit_over_cost", "cost"] == pytest.approx((2.5 - total) / total)


def test_token_cost_takes_a_number_a_range_or_a_plan() -> None:
    single = flopsheet.token_cost(1000, "2 USD/card_hour")
    assert single.loc[0, "output"] == pytest.approx(2 / 3.6)
    plan = pd.DataFrame({"card": ["H100", "H20"], "tokens_per_s_per_card": [2000.0, 500.0], "cards": [8, 16]},
                        index=["a", "b"])
    costs = flopsheet.token_cost(plan, "2 USD/card_hour")
    assert list(costs.index) == ["a", "b"]
    assert costs.loc["b", "tokens"] == pytest.approx(4 * costs.loc["a", "tokens"])
    assert np.isnan(costs.loc["a", "output"])            # a plan's rate counts prompt and answer
    row = flopsheet.token_cost(plan.iloc[0], "2 USD/card_hour", output_share=0.5)
    assert row["output"].iloc[0] == pytest.approx(2 * costs.loc["a", "tokens"])
    serving = flopsheet.serving_cards("Llama-2-70B", "100万", 1000, 500, cards=["H100 bf16"],
                                     card_hour_price="2 USD/card/hour")
    from_fleet = flopsheet.token_cost(serving, "2 USD/card_hour")
    assert from_fleet["tokens"].iloc[0] > 0 and np.isnan(from_fleet["output"].iloc[0])


def test_a_serving_plan_goes_to_token_cost() -> None:
    """serving_plans (issue 21) -> token_cost: the plan's rate counts prompt plus answer tokens."""
    plans = flopsheet.serving_plans("Llama-2-70B", "100万", 1000, 500, cards=["A10 bf16", "H100 bf16"])
    costs = flopsheet.token_cost(plans, "2 USD/card_hour", output_share=500 / 1500)
    feasible = plans["feasible"].to_numpy(dtype=bool)
    assert list(costs.index) == list(plans.index)
    rate = plans["tokens_per_s_per_card"].to_numpy()[feasible]
    assert costs["tokens"].to_numpy()[feasible] == pytest.approx(2 / (rate * 3600) * 1e6)
    assert costs["output"].to_numpy()[feasible] == pytest.approx(3 * costs["tokens"].to_numpy()[feasible])
    assert np.all(np.isnan(costs["tokens"].to_numpy()[~feasible]))
    best = flopsheet.token_cost(plans.iloc[0], "2 USD/card_hour")
    assert best["tokens"].iloc[0] == pytest.approx(costs["tokens"].iloc[0])
    # the plan's own cost column at the same price agrees
    priced = flopsheet.serving_plans("Llama-2-70B", "100万", 1000, 500, cards=["H100 bf16"],
                                     card_hour_price="2 USD/card/hour")
    ours = flopsheet.token_cost(priced, "2 USD/card_hour")
    assert ours["tokens"].iloc[0] == pytest.approx(priced["cost_per_mtoken"].iloc[0], rel=1e-9)


def test_serving_margin_names_both_margins() -> None:
    day = flopsheet.serving_margin("1e9 token/day", "1e9 token/day", "1 USD/Mtoken", "3 USD/Mtoken", "2000 USD/day")
    assert list(day.columns) == ["revenue", "cost", "profit", "margin_on_revenue", "profit_over_cost"]
    assert day.loc[0, "revenue"] == pytest.approx(4000)
    assert day.loc[0, "margin_on_revenue"] == pytest.approx(0.5)
    assert day.loc[0, "profit_over_cost"] == pytest.approx(1.0)
    assert day.attrs["units"]["revenue"] == "USD / d"


def test_user_price_file_extends_and_overrides(tmp_path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[[item]]\nkind = "server_price"\nvariant = "H100"\nvalue = "250000 USD/server"\n'
                    'low = "200000 USD/server"\nhigh = "300000 USD/server"\nsource = "my quote"\n'
                    'source_date = "2025-06"\n', encoding="utf-8")
    with pytest.raises(flopsheet.CatalogueError, match="override = true"):
        flopsheet.load_prices(path)
    path.write_text(path.read_text(encoding="utf-8") + "override = true\n", encoding="utf-8")
    try:
        flopsheet.load_prices(path)
        assert flopsheet.cluster_capex(1024, "H100").loc["servers", "capex"] == pytest.approx(128 * 250_000)
    finally:
        flopsheet.unload_prices(path)
    assert flopsheet.cluster_capex(1024, "H100").loc["servers", "capex"] == pytest.approx(128 * 300_000)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[item]]\nkind = "server_price"\nvariant = "X"\nvalue = "250000 USD/card"\n'
                   'low = "1 USD/card"\nhigh = "300000 USD/card"\nsource = "s"\nsource_date = "2025"\n',
                   encoding="utf-8")
    with pytest.raises(flopsheet.CatalogueError, match="currency/server"):
        flopsheet.load_prices(bad)


def test_every_catalogue_item_has_a_source_a_date_and_a_range() -> None:
    from flopsheet.formulas.catalogues.prices import price_catalogue

    for item in price_catalogue().values():
        assert item.source and item.source_date
        assert item.low <= item.value <= item.high


def test_excel_spills_cluster_tables(server) -> None:  # noqa: F811
    table = office_call(server, "CLUSTER_NETWORK", 1016, "H100")
    assert table[0][:3] == ["tier", "switches", "ports"]
    assert [row[0] for row in table[1:]] == ["leaf", "spine", "total", "scale_up"]
    assert table[1][1] == 32 and table[2][1] == 16
    margin = office_call(server, "SERVING_MARGIN", "608e9 token", "168e9 token", "0.55 USD/Mtoken", "2.19 USD/Mtoken",
                         "87072 USD", 342 / 608, "0.14 USD/Mtoken")
    assert margin[0] == ["revenue", "cost", "profit", "margin_on_revenue", "profit_over_cost"]
    assert margin[1][4] == pytest.approx(5.4556, abs=1e-3)
    error = office_call(server, "CLUSTER_CAPEX", 1000, "H100", "37500 USD/card")
    assert str(error[0][0]).startswith("#") or "server_price" in str(error[0][0])


@pytest.mark.parametrize("cards", [2048, 65536, 1_048_576, 3_000_000])
def test_scalar_ratios_are_the_large_cluster_limit_of_cluster_network(cards: int) -> None:
    net = flopsheet.cluster_network(cards, "H100", rail_optimized=False)
    tiers = flopsheet.fabric_tiers(cards).m
    assert tiers == net.attrs["tiers"]
    assert flopsheet.fabric_optics_per_card(tiers).m == pytest.approx(net.loc["total", "transceivers_per_card"],
                                                                     rel=2e-3)
    assert flopsheet.fabric_switches_per_card(64, tiers).m == pytest.approx(net.loc["total", "switches_per_card"],
                                                                           rel=2e-3)


def test_monte_carlo_over_the_price_ranges_works_through_simulate() -> None:
    run = flopsheet.simulate("cluster_economics", n=2000, seed=1, target="card_hour_cost")
    table = run.percentiles
    row = table.loc["card_hour_cost"] if "card_hour_cost" in table.index else table.set_index("name").loc["card_hour_cost"]
    assert row["p5"] < row["p50"] < row["p95"]
    base = flopsheet.evaluate("cluster_economics").set_index("name").loc["card_hour_cost", "value"]
    assert row["p5"] < base < row["p95"]


def test_cluster_economics_spec_agrees_with_the_python_functions() -> None:
    rows = flopsheet.evaluate("cluster_economics").set_index("name")["value"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        capex = flopsheet.cluster_capex(100_000, "H100")
        power = flopsheet.cluster_power(100_000, "H100")
    # the spec's fabric is the full fat-tree's ratio; the Python counts whole switches
    assert rows["total_capex"] * 1e6 == pytest.approx(capex.loc["total", "capex"], rel=2e-3)
    assert rows["it_power"] == pytest.approx(power.loc["it", "power"], rel=2e-3)
    cost = flopsheet.card_hour_cost(f"{capex.loc['total', 'per_card']} USD/card",
                                    f"{power.loc['it', 'power_per_card']} kW/card", utilization=0.8)
    assert rows["card_hour_cost"] == pytest.approx(cost.loc["total", "cost"], rel=2e-3)


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_cli_cluster_prints_bom_power_and_cost(capsys) -> None:
    from flopsheet.__main__ import main

    assert main(["cluster", "1016", "--card", "H100", "--rental-price", "2 USD/card_hour"]) == 0
    text = capsys.readouterr().out
    for part in ("bill of materials", "power", "capex", "cost per card-hour", "profit_over_cost", "margin_on_revenue"):
        assert part in text
    assert main(["cluster", "100000", "--card", "H100", "--fabric", "switch_radix=128,leaf_cable=dac",
                 "--tokens-per-second", "1500", "--utilization", "80%", "--format", "json"]) == 0
    report = _strict(capsys.readouterr().out)
    assert report["tiers"] == 3
    assert report["network"]["rows"][0]["copper_cables"] == 100_000
    assert report["token_cost"]["rows"][0]["output"] > 0
    assert report["power"]["units"]["energy_per_year"] == "MWh"


def test_cli_cluster_json_is_strict_with_a_rounding_note(capsys) -> None:
    from flopsheet.__main__ import main

    assert main(["cluster", "1001", "--format", "json"]) == 0
    report = _strict(capsys.readouterr().out)
    assert report["cards"] == 1008 and "rounded up" in report["notes"][0]


@pytest.mark.parametrize(("argv", "named"), [
    (["cluster", "1000", "--fabric", "tiers=1"], "switch_radix"),
    (["cluster", "1000", "--fabric", "radix=64"], "--fabric"),
    (["cluster", "1000", "--rental-price", "2"], "--rental-price"),
    (["cluster", "1000", "--fabric", "oversubscription=0.5"], "oversubscription"),
    (["cluster", "abc"], "cards"),
    (["cluster", "1000", "--card", "H999"], "card"),
])
def test_cli_cluster_bad_input_exits_2_naming_the_option(argv: list[str], named: str, capsys) -> None:
    from flopsheet.__main__ import main

    assert main(argv) == 2
    assert named in capsys.readouterr().err


def test_the_guide_examples_run() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "guides" / "cluster.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in text.split("```python\n")[1:]]
    assert len(blocks) >= 5
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        runner.run(parser.get_doctest("\n".join(blocks), {}, "cluster.md", "cluster.md", 0))
    assert runner.failures == 0 and runner.tries > 10


def test_a_price_file_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path) -> None:
    import os

    fifo = tmp_path / "prices.toml"
    os.mkfifo(fifo)
    with pytest.raises(flopsheet.CatalogueError, match="FIFO"):
        flopsheet.load_prices(fifo)
    with pytest.raises(flopsheet.CatalogueError, match=".toml"):
        flopsheet.load_prices(tmp_path)


def test_fabric_flags_read_yes_no_strictly() -> None:
    with pytest.warns(AssumptionWarning, match="^100 cards do not fill whole 8-card servers: rounded up to 13 servers"):
        assert flopsheet.cluster_network(100, "H100", rail_optimized="no").attrs["tiers"] == 2
    single = flopsheet.cluster_network(1024, "H100", twin_port="FALSE")
    assert single.loc["total", "transceivers"] == 2 * single.loc["total", "links"]
    with pytest.raises(UnitInputError, match="^twin_port:"):
        flopsheet.cluster_network(1024, "H100", twin_port="banana")
