"""Monte Carlo over a model (flopsheet.simulate): closed forms, seeds, errors, tornado."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import flopsheet
from flopsheet import InputError, InputRangeError, SpecError, UnitInputError, UnknownNameError
from flopsheet.workbooks.model import simulate as simulate_module
from flopsheet.workbooks.model.evaluate import evaluate
from flopsheet.workbooks.model.spec import load_spec

TABLE5, TABLE6 = "table5_kimi_training", "table6_kimi_inference"
#: The printed data figure: with it, 105 days gives the printed 13,793 cards.
PRINTED_DATA = "37,580,963,840 kB"
#: Samples of the closed-form checks, and how many standard errors they may miss by.
N, SIGMAS = 20_000, 4.0


def _cards(duration: str) -> float:
    frame = evaluate(TABLE5, {"data": PRINTED_DATA, "duration": duration})
    return float(frame.set_index("name").loc["cards", "value"])


def test_docstring_examples() -> None:
    result = doctest.testmod(simulate_module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_percentiles_of_cards_over_a_uniform_duration_match_the_closed_form() -> None:
    """cards = K / duration with duration ~ U(90, 120) days: a decreasing map, so the
    p-th percentile of cards is K / (the (100 - p)-th percentile of duration), and the
    mean is K ln(120/90) / 30. Tolerances: SIGMAS standard errors of each estimate."""
    low, high = 90.0, 120.0
    result = flopsheet.simulate(TABLE5, n=N, seed=7, duration=f"{low:g}..{high:g} days", data=PRINTED_DATA)
    cards = result.percentiles.loc["cards"]
    constant = _cards("105 days") * 105  # card x day
    for column, fraction in (("p5", 0.05), ("p50", 0.50), ("p95", 0.95)):
        duration = low + (1 - fraction) * (high - low)
        standard_error = math.sqrt(fraction * (1 - fraction) / N) * (high - low)  # of the duration quantile
        assert cards[column] == pytest.approx(constant / duration, rel=SIGMAS * standard_error / duration), column
    mean = constant * math.log(high / low) / (high - low)
    second_moment = constant**2 * (1 / low - 1 / high) / (high - low)
    assert cards["mean"] == pytest.approx(mean, abs=SIGMAS * math.sqrt((second_moment - mean**2) / N))
    assert cards["p50"] == pytest.approx(_cards("105 days"), rel=0.01)
    assert cards.unit == "card" and cards.base == pytest.approx(_cards("3 months"))


def test_rows_that_do_not_depend_on_a_range_are_their_base_value() -> None:
    result = flopsheet.simulate(TABLE5, n=1000, duration="90..120 days")
    tokens = result.percentiles.loc["tokens"]
    assert tokens[["p5", "p50", "p95", "mean"]].tolist() == [tokens.base] * 4


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others() -> None:
    first = flopsheet.simulate(TABLE5, n=5000, seed=11, duration="90..120 days", utilization="30%..46%")
    again = flopsheet.simulate(TABLE5, n=5000, seed=11, duration="90..120 days", utilization="30%..46%")
    other = flopsheet.simulate(TABLE5, n=5000, seed=12, duration="90..120 days", utilization="30%..46%")
    assert first.samples.equals(again.samples) and first.percentiles.equals(again.percentiles)
    assert not np.array_equal(first.samples["cards"], other.samples["cards"])


def test_samples_come_from_the_documented_numpy_streams() -> None:
    """Input i draws from default_rng(seed).spawn(number of inputs)[i]: any machine can redo it."""
    spec = load_spec(TABLE5)
    result = flopsheet.simulate(TABLE5, n=3000, seed=5, duration="90..120 days", utilization="30%..46%")
    streams = np.random.default_rng(5).spawn(len(spec.inputs))
    names = [item.name for item in spec.inputs]
    duration = streams[names.index("duration")].uniform(90, 120, 3000)
    utilization = streams[names.index("utilization")].uniform(0.30, 0.46, 3000)
    assert result.samples["duration"].to_numpy().tolist() == duration.tolist()
    assert result.samples["utilization"].to_numpy().tolist() == utilization.tolist()
    # the same arithmetic in raw numpy: 30 TB / (2 B/char x 5.1 char/word x 0.75 word/token) x 6 x 2e11
    flops = 30e12 / (2 * 5.1 * 0.75) * 6 * 2e11
    cards = flops / (156e12 * utilization * duration * 86_400)
    assert result.samples["cards"].to_numpy() == pytest.approx(cards, rel=1e-12)
    assert result.percentiles.loc["cards", ["p5", "p50", "p95"]].tolist() == pytest.approx(
        np.percentile(cards, [5, 50, 95]).tolist(), rel=1e-12)


def test_a_range_on_another_input_leaves_the_samples_of_the_first_unchanged() -> None:
    alone = flopsheet.simulate(TABLE5, n=2000, seed=3, duration="90..120 days")
    both = flopsheet.simulate(TABLE5, n=2000, seed=3, duration="90..120 days", utilization="30%..46%")
    assert alone.samples["duration"].equals(both.samples["duration"])


def test_samples_frame_has_ranged_inputs_and_every_row_in_their_units() -> None:
    result = flopsheet.simulate(TABLE6, n=500, tokens_per_call="1000..2000", busy_hours="triangular 8, 12, 20 hours")
    assert list(result.samples.columns) == ["tokens_per_call", "busy_hours", "flops_per_call", "calls_per_day",
                                            "daily_flops", "cards"]
    assert len(result.samples) == 500
    assert result.samples.attrs["units"]["busy_hours"] == "hour"
    assert result.samples.attrs["units"]["daily_flops"] == "TFLOP/day"
    flops = result.samples["flops_per_call"].to_numpy()
    assert flops == pytest.approx(2 * 2e11 * result.samples["tokens_per_call"].to_numpy(), rel=1e-12)


def test_every_distribution_form_runs_through_a_model() -> None:
    forms = {"duration": "lognormal 90% CI 60..180 days", "utilization": "triangular 20%, 30%, 46%",
             "params": "normal 2000亿 ± 100亿", "data": "30..40 TB"}
    result = flopsheet.simulate(TABLE5, n=4000, **forms)
    assert set(result.ranges) == set(forms)
    assert result.percentiles.loc["cards", "p5"] < result.percentiles.loc["cards", "p50"] < \
        result.percentiles.loc["cards", "p95"]


def test_the_tornado_is_one_input_at_a_time_sorted_by_swing() -> None:
    result = flopsheet.simulate(TABLE6, n=1000, tokens_per_call="1000..2000", utilization="21.3%..46.2%",
                                busy_hours="12..24")
    tornado = result.tornado
    assert tornado["swing"].is_monotonic_decreasing
    for row in tornado.itertuples():
        at = {end: evaluate(TABLE6, {row.input: f"{value} {row.unit}".strip()}).set_index("name").loc["cards", "value"]
              for end, value in (("low", row.low), ("high", row.high))}
        assert (row.target_at_low, row.target_at_high) == (pytest.approx(at["low"], rel=1e-12),
                                                           pytest.approx(at["high"], rel=1e-12))
        assert row.swing == pytest.approx(abs(at["high"] - at["low"]), rel=1e-12)
    assert tornado.input.tolist() == ["tokens_per_call", "utilization", "busy_hours"]


def test_without_ranges_the_specs_low_and_high_are_used() -> None:
    result = flopsheet.simulate(TABLE5, n=1000)
    assert {name: (distribution.low, distribution.high) for name, distribution in result.ranges.items()} == {
        "data": (30, pytest.approx(37.58096384)), "utilization": (0.213, 0.462), "duration": (90, 105)}
    fixed = flopsheet.simulate(TABLE5, n=1000, duration="105 days")
    assert set(fixed.ranges) == {"data", "utilization"}


def test_target_and_ranges_keep_the_unit_typed_when_the_dropdown_offers_it() -> None:
    result = flopsheet.simulate(TABLE5, n=100, target="flops", duration="13..15 weeks", params="1000亿..3000亿")
    assert result.target == "flops" and result.target_unit == "FLOP"
    assert result.tornado.set_index("input").loc["duration", "unit"] == "week"
    assert result.tornado.set_index("input").loc["duration", "swing"] == 0  # flops does not depend on time


def test_a_peak_range_in_flops_is_read_per_card() -> None:
    result = flopsheet.simulate(TABLE5, n=100, peak="150..312 TFLOPS")
    assert result.ranges["peak"].low == 150 and result.tornado.unit.tolist() == ["TFLOPS/card"]


@pytest.mark.parametrize(("ranges", "error", "fragments"), [
    ({"duration": "120..90 days"}, InputRangeError, ["duration: must be a range with LOW <= HIGH"]),
    ({"duration": "90..120 tokens"}, UnitInputError, ["duration: expected a range in units like month ([time])"]),
    ({"duration": "90 days..120 tokens"}, UnitInputError, ["ends of one dimension"]),
    ({"duration": "normal 105 days ± -1 day"}, InputRangeError, ["standard deviation"]),
    ({"duration": "-10..120 days"}, InputRangeError, ["a range whose ends are greater than 0", "-10 day is not"]),
    ({"duration": "normal 10 days ± 20 days"}, InputRangeError, ["a range whose ends are greater than 0"]),
    ({"utilization": "30%..146%"}, InputRangeError, ["utilization: must be a range whose ends are", "146%"]),
    ({"duration": "normal 30 days ± 12 days"}, InputRangeError,
     ["duration: must be a range whose samples are all greater than 0", "lognormal or triangular"]),
    ({"utilization": "lognormal 30%..90%"}, InputRangeError, ["utilization: must be a range whose samples are all"]),
    ({"duration": "lognormal 50% CI 1e-300..1e300 days"}, InputRangeError,
     ["duration: must be a range whose samples are finite numbers"]),
    ({"durations": "90..120 days"}, UnknownNameError, ["unknown input of table5_kimi_training", "duration"]),
    ({"cards": "1..2"}, UnknownNameError, ["unknown input"]),
    ({"duration": "abc"}, UnitInputError, ["duration:"]),
])
def test_range_errors_are_clear(ranges: dict[str, str], error: type, fragments: list[str]) -> None:
    with pytest.raises(error) as caught:
        flopsheet.simulate(TABLE5, n=2000, **ranges)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(("keywords", "fragment"), [
    ({"n": 10**7}, "n: must be a whole number of samples from 1 to 2,000,000, got 10000000"),
    ({"n": 0}, "from 1 to"),
    ({"n": 2.5}, "from 1 to"),
    ({"n": "lots"}, "n: expected"),
    ({"n": "5 days"}, "n: expected a number of samples"),
    ({"n": True}, "from 1 to"),
    ({"seed": -1}, "seed: must be a whole number >= 0"),
    ({"seed": 1.5}, "seed: must be a whole number >= 0"),
    ({"target": "nope"}, "target: unknown result row"),
])
def test_sample_count_seed_and_target_errors(keywords: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=None) as caught:
        flopsheet.simulate(TABLE5, **{"duration": "90..120 days", **keywords})
    assert isinstance(caught.value, flopsheet.FlopsheetError)
    assert fragment in str(caught.value)


def test_a_model_without_ranges_asks_for_one() -> None:
    with pytest.raises(InputError, match="at least one input given as a range"):
        flopsheet.simulate("table4_mfu", n=100)


def test_cap_is_the_named_constant() -> None:
    assert simulate_module.sample_count(simulate_module.MAX_SAMPLES) == simulate_module.MAX_SAMPLES
    with pytest.raises(InputRangeError):
        simulate_module.sample_count(simulate_module.MAX_SAMPLES + 1)


SPEC_HEAD = """name = "{name}"
title_en = "t"
title_zh = "t"
[citation]
seed = "s"
table = "t"
page = "p"
[[row]]
name = "doubled"
label_en = "d"
label_zh = "d"
expr = "hours * 2"
unit = "hour"
[[input]]
name = "hours"
label_en = "h"
label_zh = "h"
unit = "hour"
value = 10
"""


@pytest.mark.parametrize(("extra", "fragment"), [
    ('low = 5', "give both low and high"),
    ('high = 5', "give both low and high"),
    ('low = 12\nhigh = 20', "low 12 <= value 10 <= high 20 does not hold"),
    ('low = "5 tokens"\nhigh = 20', "low '5 tokens'"),
    ('low = -5\nhigh = 20', "low -5"),
    ('low = true\nhigh = 20', "'low' must be"),
])
def test_spec_low_and_high_are_checked(tmp_path, extra: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ranged.toml"
    path.write_text(SPEC_HEAD.format(name="ranged") + extra + "\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert fragment in str(caught.value) and "ranged.toml, row 'hours'" in str(caught.value)
