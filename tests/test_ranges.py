"""Ranges and distributions as people type them (flopsheet.units.ranges)."""

from __future__ import annotations

import doctest
import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flopsheet
from flopsheet import InputError, InputRangeError, UnitInputError, parse_distribution
from flopsheet.units import ranges

#: Samples for the checks of each distribution's shape (standard errors ~0.2-0.5%).
N = 200_000


def test_docstring_examples() -> None:
    result = doctest.testmod(ranges, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(("text", "default", "kind", "unit", "low", "high"), [
    ("30%..46%", None, "uniform", "dimensionless", 0.30, 0.46),
    ("30..46%", None, "uniform", "dimensionless", 0.30, 0.46),             # a trailing % applies to both ends
    ("uniform 30%..46%", None, "uniform", "dimensionless", 0.30, 0.46),
    ("90..120 days", "month", "uniform", "day", 90, 120),                  # the unit after the last end wins
    ("90 days..120", "month", "uniform", "day", 90, 120),
    ("90..120", "month", "uniform", "month", 90, 120),                     # bare ends: the argument's unit
    ("90 days..0.5 year", None, "uniform", "year", 90 / 365.25, 0.5),
    ("2000亿..3000亿 parameters", None, "uniform", "parameter", 2e11, 3e11),
    ("1,000..2,000 tokens", None, "uniform", "token", 1000, 2000),
    ("９０..１２０ days", None, "uniform", "day", 90, 120),                  # full-width digits, as Q reads them
    ("UNIFORM 1..2", None, "uniform", "dimensionless", 1, 2),
    ("lognormal 90% CI 60..180 days", None, "lognormal", "day", 60, 180),
    ("lognormal 60..180 days", None, "lognormal", "day", 60, 180),          # 90% CI by default
    ("log-normal 80% CI 60..180 days", None, "lognormal", "day", 60, 180),
    ("normal 90% CI 90..120 days", None, "normal", "day", 90, 120),
    ("normal 105 days ± 10 days", None, "normal", "day", 95, 115),
    ("normal 105 ± 10 days", None, "normal", "day", 95, 115),
    ("normal 105 days +- 10 days", None, "normal", "day", 95, 115),
    ("normal 105 days +/- 10 days", None, "normal", "day", 95, 115),
    ("triangular 20%, 30%, 46%", None, "triangular", "dimensionless", 0.20, 0.46),
    ("triangular 20%,30%,46%", None, "triangular", "dimensionless", 0.20, 0.46),
    ("triangular 1,000; 1,500; 2,000 tokens", None, "triangular", "token", 1000, 2000),
    ("90..90 days", None, "uniform", "day", 90, 90),                        # zero width: a constant
    ("90．．120 days", None, "uniform", "day", 90, 120),                     # full-width punctuation
    ("triangular 20%，30%，46%", None, "triangular", "dimensionless", 0.20, 0.46),
])
def test_forms(text: str, default: str | None, kind: str, unit: str, low: float, high: float) -> None:
    distribution = parse_distribution(text, default)
    assert distribution.kind == kind and distribution.text == text
    assert distribution.unit == flopsheet.Q(1, unit).units
    assert (distribution.low, distribution.high) == (pytest.approx(low, rel=1e-12), pytest.approx(high, rel=1e-12))


@pytest.mark.parametrize(("text", "error", "fragments"), [
    ("120..90 days", InputRangeError, ["duration: must be a range with LOW <= HIGH", '"120..90 days"']),
    ("46%..30%", InputRangeError, ["LOW <= HIGH"]),
    ("90 days..120 tokens", UnitInputError, ["ends of one dimension", "90 day is [time], 120 token is [token]"]),
    ("90 days..3 TB", UnitInputError, ["ends of one dimension"]),
    ("normal 105 days ± -10 days", InputRangeError, ["standard deviation (after ±) of at least 0"]),
    ("normal 105 days ± 10 tokens", UnitInputError, ["ends of one dimension"]),
    ("lognormal 0..180 days", InputRangeError, ["lognormal range with ends greater than 0"]),
    ("lognormal -5..180 days", InputRangeError, ["lognormal range with ends greater than 0"]),
    ("lognormal 100% CI 60..180 days", InputRangeError, ["a CI between 0% and 100%"]),
    ("normal 0% CI 60..180 days", InputRangeError, ["a CI between 0% and 100%"]),
    ("uniform 90% CI 60..180 days", InputError, ["a CI only with normal or lognormal"]),
    ("triangular 20%, 50%, 46%", InputRangeError, ["LOW <= MODE <= HIGH"]),
    ("triangular 20%, 46%", InputError, ["triangular LOW, MODE, HIGH"]),
    ("1..2..3 days", InputError, ['a range such as "30%..46%"']),
    ("..", InputError, ['a range such as "30%..46%"']),
    ("90..", InputError, ['a range such as "30%..46%"']),
    ("", InputError, ['a range such as "30%..46%"']),
    ("normal 105 days", InputError, ['a range such as']),
    ("abc..120 days", UnitInputError, ['in the end "abc"', '"abc..120 days"']),
    ("90..120 dayz", UnitInputError, ['in the end "120 dayz"', "unknown unit"]),
    ("=cmd|' /C calc'!A0..2", UnitInputError, ["duration:"]),
    ("1..1" + "0" * 2000, UnitInputError, ["a range of at most 600 characters"]),
    ("nan..120 days", UnitInputError, ["duration:"]),
    ("1e500..1e501 days", UnitInputError, ["duration:"]),
])
def test_refusals_name_the_argument_the_text_and_the_rule(text: str, error: type, fragments: list[str]) -> None:
    with pytest.raises(error) as caught:
        parse_distribution(text, "month", argument="duration")
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert message.startswith("duration: "), message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize("value", [None, 5, 1.5, ["1..2"]])
def test_non_text_is_refused(value: object) -> None:
    with pytest.raises(InputError, match="x: expected a range such as"):
        parse_distribution(value, argument="x")  # type: ignore[arg-type]


def test_looks_like_range() -> None:
    assert [ranges.looks_like_range(text) for text in ("1..2", "lognormal 1..3", "triangular 1, 2, 3",
                                                        "normal 1 ± 1", "105 days", "30%", 5)] == [
        True, True, True, True, False, False, False]


def test_uniform_samples_stay_within_the_ends_in_their_unit() -> None:
    samples = parse_distribution("90..120 days").sample(np.random.default_rng(0), N)
    assert samples.units == flopsheet.Q(1, "day").units
    assert samples.magnitude.min() >= 90 and samples.magnitude.max() <= 120
    assert np.median(samples.magnitude) == pytest.approx(105, rel=2e-3)


def test_lognormal_ci_ends_are_its_5th_and_95th_percentiles() -> None:
    samples = parse_distribution("lognormal 90% CI 60..180 days").sample(np.random.default_rng(0), N).magnitude
    p5, p50, p95 = np.percentile(samples, [5, 50, 95])
    assert (p5, p50, p95) == (pytest.approx(60, rel=1e-2), pytest.approx(math.sqrt(60 * 180), rel=1e-2),
                              pytest.approx(180, rel=1e-2))
    eighty = parse_distribution("lognormal 80% CI 60..180 days").sample(np.random.default_rng(0), N).magnitude
    assert np.percentile(eighty, [10, 90]) == pytest.approx([60, 180], rel=1e-2)


def test_normal_plus_minus_is_mean_and_standard_deviation() -> None:
    samples = parse_distribution("normal 105 days ± 10 days").sample(np.random.default_rng(0), N).magnitude
    assert samples.mean() == pytest.approx(105, abs=0.1) and samples.std() == pytest.approx(10, rel=1e-2)
    ci = parse_distribution("normal 90% CI 90..120 days")
    assert ci.parameters == (105, pytest.approx(15 / NormalDist().inv_cdf(0.95)))


def test_triangular_mean_and_mode() -> None:
    samples = parse_distribution("triangular 20%, 30%, 46%").sample(np.random.default_rng(0), N).magnitude
    assert samples.min() >= 0.20 and samples.max() <= 0.46
    assert samples.mean() == pytest.approx((0.20 + 0.30 + 0.46) / 3, rel=2e-3)
    flat = parse_distribution("triangular 5, 5, 5").sample(np.random.default_rng(0), 10).magnitude
    assert flat.tolist() == [5.0] * 10


def test_to_another_unit_keeps_the_distribution() -> None:
    days = parse_distribution("lognormal 90% CI 60..180 days")
    hours = days.to("hour")
    assert (hours.low, hours.high) == (pytest.approx(1440), pytest.approx(4320))
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    assert hours.sample(rng_a, 100).magnitude == pytest.approx(days.sample(rng_b, 100).magnitude * 24, rel=1e-12)


@settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80) | st.from_regex(r"(lognormal |normal |triangular )?[-0-9.e%, ±万亿]{0,20}(\.\.[-0-9.e% ]{0,12})?"
                                            r"( ?(days|TB|%|tokens|card))?", fullmatch=True))
def test_any_text_gives_a_distribution_or_a_clear_error(text: str) -> None:
    """Hypothesis: no text makes the reader raise anything but flopsheet's ValueErrors."""
    try:
        distribution = parse_distribution(text, "day", argument="duration")
    except flopsheet.FlopsheetError as error:
        assert str(error).startswith("duration: ")
    else:
        assert distribution.low <= distribution.high and all(map(math.isfinite, distribution.parameters))
