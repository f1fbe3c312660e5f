"""Monte Carlo: give inputs as ranges or distributions, get percentiles of every result.

``flopsheet.simulate("table5_kimi_training", duration="90..120 days")`` draws ``n``
samples of each ranged input (:mod:`flopsheet.units.ranges`), evaluates the model
**once** over the sample arrays (:func:`.evaluate.evaluate_arrays`: numpy arrays inside
the pint quantities, no Python loop per sample) and summarises each result row by its
5th, 50th and 95th percentile and mean, in the row's unit. A tornado table (one input
at a time at its low and high end, the others at base) comes from one more evaluation
over 2 x (ranged inputs) points.

Reproducible: input number ``i`` of the spec draws from the ``i``-th stream spawned from
``numpy.random.default_rng(seed)`` (PCG64), so the same seed gives the same numbers on
any machine with the same numpy, and adding a range on one input leaves the samples of
the others unchanged. Inputs are sampled independently: correlated inputs are out of
scope (a correlation would need a joint distribution; none of the seed tables states one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pint

from ...units import InputError, InputRangeError, Q, UnitInputError, UnknownNameError, ureg
from ...units.ranges import Distribution, looks_like_range, parse_distribution
from . import unit_choices
from .evaluate import evaluate, evaluate_arrays
from .spec import InputSpec, ModelSpec, load_spec

#: Most samples one simulation may draw: about 8 MB per column per million, so a model
#: of a dozen rows at this size stays under half a gigabyte. The speed issue's Monte
#: Carlo benchmark runs 1e6.
MAX_SAMPLES = 2_000_000
#: Samples drawn when ``n`` is not given.
DEFAULT_SAMPLES = 100_000
#: The seed used when none is given: a report is reproducible by default.
DEFAULT_SEED = 0
#: The percentiles reported by default, by column name (``percentiles=`` chooses others).
PERCENTILES: dict[str, float] = {"p5": 5.0, "p50": 50.0, "p95": 95.0}
#: Columns of :attr:`Simulation.percentiles`, in order.
PERCENTILE_COLUMNS: tuple[str, ...] = ("label_en", "label_zh", "unit", "base", *PERCENTILES, "mean")
#: Columns of :attr:`Simulation.tornado`, in order.
TORNADO_COLUMNS: tuple[str, ...] = ("input", "unit", "low", "high", "distribution", "target_at_low",
                                    "target_at_high", "swing")
#: Distributions whose samples are not bounded by their ends (a draw may overflow).
_UNBOUNDED = frozenset({"normal", "lognormal"})
#: Longest refused sample text an error message quotes.
_SHOWN_SAMPLE = 40
#: Where a FLOPS range for a per-card peak is read per card.
_PEAK_RATE = "FLOPS"


@dataclass(frozen=True)
class Simulation:
    """The result of :func:`simulate`.

    model : the spec name.
    quantiles : the reported percentiles, column name -> percent (``{"p5": 5.0, ...}``).
    spec : the spec simulated (a user's spec file as much as a built-in one).
    n, seed : samples drawn and the seed they were drawn with.
    target : the main result row (histogram, tornado); the spec's last row by default.
    target_unit : its unit.
    ranges : input name -> :class:`~flopsheet.units.ranges.Distribution`, in the input's unit.
    percentiles : one row per result row (index: name) with ``label_en``, ``label_zh``,
        ``unit``, ``base`` (the value at the base inputs), one column per percentile
        (``p5``, ``p50``, ``p95`` by default; see ``quantiles``) and ``mean``, all in ``unit``.
    samples : ``n`` rows; one column per ranged input and per result row, each in its
        unit (``samples.attrs["units"]``).
    tornado : one row per ranged input, largest swing first: ``input``, ``unit``,
        ``low``, ``high`` (the input's ends), ``distribution``, ``target_at_low``,
        ``target_at_high`` (the target with that input at that end, the others at base)
        and ``swing`` (their absolute difference), in ``target_unit``.
    base : the model evaluated at the base inputs (:func:`flopsheet.evaluate`).
    warnings : the AssumptionWarning texts of the evaluation at the base inputs, with each
        ranged input at the middle of its range (a warning about a value the user replaced
        with a range is not repeated).
    """

    model: str
    n: int
    seed: int | None
    target: str
    target_unit: str
    ranges: dict[str, Distribution]
    percentiles: pd.DataFrame
    samples: pd.DataFrame
    tornado: pd.DataFrame
    base: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    quantiles: dict[str, float] = field(default_factory=lambda: dict(PERCENTILES))
    spec: ModelSpec | None = field(default=None, repr=False, compare=False)

    @property
    def model_spec(self) -> ModelSpec:
        """The spec simulated (loaded by name when the simulation does not carry it)."""
        return self.spec if self.spec is not None else load_spec(self.model)


def read_percentiles(value: Any, argument: str = "percentiles") -> dict[str, float]:
    """Read the percentiles to report: numbers in [0, 100] as a sequence or text ("10,50,90").

    Returns column name -> percent, in the order given (``{"p10": 10.0, "p50": 50.0, "p90": 90.0}``).

    Examples
    --------
    >>> read_percentiles("10, 50, 90")
    {'p10': 10.0, 'p50': 50.0, 'p90': 90.0}
    >>> read_percentiles([2.5, 97.5])
    {'p2.5': 2.5, 'p97.5': 97.5}
    >>> read_percentiles("50, 150")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.InputRangeError: percentiles: must be numbers from 0 to 100, got "50, 150"
    """
    if value is None:
        return dict(PERCENTILES)
    shown = value if isinstance(value, str) else ", ".join(map(str, np.atleast_1d(value)))
    parts = value.replace("%", "").split(",") if isinstance(value, str) else list(np.atleast_1d(value))
    try:
        numbers = [float(part) for part in parts if not isinstance(part, bool) and str(part).strip()]
    except (TypeError, ValueError):
        raise UnitInputError(argument, shown, 'percentiles as numbers from 0 to 100 ("10,50,90")') from None
    if not numbers or len(numbers) != len(parts) or len(set(numbers)) != len(numbers):
        raise UnitInputError(argument, shown, 'distinct percentiles as numbers from 0 to 100 ("10,50,90")')
    if not all(0 <= number <= 100 for number in numbers):
        raise InputRangeError(argument, shown, "numbers from 0 to 100")
    return {f"p{number:g}": number for number in numbers}


def sample_count(value: Any, option: str = "n") -> int:
    """Read a sample count (``100000``, ``"1e6"``, ``"10万"``) and check it against the cap.

    Raises
    ------
    InputRangeError
        Not a whole number, below 1 or above :data:`MAX_SAMPLES`.

    Examples
    --------
    >>> sample_count("1e5"), sample_count("10万")
    (100000, 100000)
    >>> sample_count(10**8)
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.InputRangeError: n: must be a whole number of samples from 1 to 2,000,000, got 100000000
    """
    if isinstance(value, (bool, np.bool_)):
        raise InputRangeError(option, value, f"a whole number of samples from 1 to {MAX_SAMPLES:,}")
    number = Q(value, argument=option)
    if not number.dimensionless or np.ndim(number.magnitude) != 0:
        raise UnitInputError(option, value, "a number of samples, e.g. 100000")
    count = float(number.to("dimensionless").magnitude)
    if not count.is_integer() or not 1 <= count <= MAX_SAMPLES:
        raise InputRangeError(option, value, f"a whole number of samples from 1 to {MAX_SAMPLES:,}")
    return int(count)


def check_seed(seed: Any, option: str = "seed") -> int | None:
    """A seed is None (fresh entropy) or a whole number >= 0."""
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputRangeError(option, seed, "a whole number >= 0 (or None for a fresh seed)")
    return int(seed)


def input_distribution(item: InputSpec, value: Any) -> Distribution:
    """Read ``value`` as a range of input ``item``, in the input's unit, with its ends checked.

    Bare numbers are in the input's spec unit; the ends must have the input's dimension
    and pass its range checks (greater than 0; a utilization at most 100%). The result
    keeps the unit typed when the input's unit dropdown offers it ("90..120 days" stays
    in days), else it is in the input's spec unit.
    """
    distribution = parse_distribution(value, item.unit or None, argument=item.name)
    unit = unit_choices.unit_of(item.unit)
    if item.kind == "peak" and distribution.unit.dimensionality == unit_choices.unit_of(_PEAK_RATE).dimensionality:
        distribution = Distribution(distribution.kind, distribution.text, distribution.unit / ureg.card,
                                    distribution.low, distribution.high, distribution.parameters)
    if distribution.unit.dimensionality != unit.dimensionality:
        raise UnitInputError(item.name, distribution.text, f"a range in units like {item.unit} "
                             f"({unit_choices.dimension_text(item.unit)})" if item.unit else "a range of plain numbers or percentages")
    unit_text = range_unit(item, distribution)
    distribution = distribution.to(unit_choices.unit_of(unit_text))
    for end in (distribution.low_quantity, distribution.high_quantity):
        try:
            item.read(end)
        except InputRangeError as error:
            raise InputRangeError(item.name, distribution.text, f"a range whose ends are {error.expected}",
                                  f"{_shown(end.magnitude, unit_text)} is not") from None
    return distribution


def _shown(value: float, unit: str) -> str:
    """A value and its unit text for a message ("-10 day", "146%")."""
    return f"{value:.6g} {unit}" if unit else f"{value * 100:.6g}%"


def range_unit(item: InputSpec, distribution: Distribution) -> str:
    """The unit text a range of ``item`` is shown in: a dropdown unit spelling its unit, else the spec unit."""
    if not item.unit:
        return ""
    return unit_choices.matching_choice(distribution.unit, item.choices) or item.unit


def split_ranges(spec: ModelSpec, values: Mapping[str, Any]) -> tuple[dict[str, Distribution], dict[str, Any]]:
    """Split keyword values into ranges (range text or Distribution) and fixed overrides.

    With no range at all, every input whose spec gives ``low`` and ``high`` is ranged
    uniformly between them.

    Raises
    ------
    UnknownNameError
        A name that is not an input of the spec.
    InputError
        No range given and none in the spec.
    """
    inputs = {item.name: item for item in spec.inputs}
    for name in values:
        if name not in inputs:
            raise UnknownNameError(name, name, ", ".join(inputs), f"input of {spec.name}")
    ranges = {name: input_distribution(inputs[name], value) for name, value in values.items() if looks_like_range(value)}
    fixed = {name: value for name, value in values.items() if name not in ranges}
    if not ranges:
        ranges = {item.name: input_distribution(item, item.spread) for item in spec.inputs
                  if item.spread is not None and item.name not in fixed}
    if not ranges:
        example = f'{spec.inputs[-1].name}="LOW..HIGH"'
        raise InputError("ranges", "no range", f"at least one input given as a range, e.g. {example}",
                         f"inputs of {spec.name}: {', '.join(inputs)}")
    return dict(sorted(ranges.items(), key=lambda pair: list(inputs).index(pair[0]))), fixed


def simulate(model: str | ModelSpec, n: Any = DEFAULT_SAMPLES, seed: int | None = DEFAULT_SEED, *,
             target: str | None = None, percentiles: Any = None, **ranges: Any) -> Simulation:
    """Monte Carlo of ``model`` with inputs given as ranges: percentiles of every result row.

    Parameters
    ----------
    model : str, Path or ModelSpec
        A spec name (``flopsheet list``), a spec file (``my_model.toml``) or a loaded spec.
    n : int, default 100,000
        Samples to draw (at most :data:`MAX_SAMPLES`).
    seed : int or None, default 0
        Seed of ``numpy.random.default_rng``; the same seed gives the same numbers.
    target : str, optional
        The main result row (tornado, histogram); the spec's last row by default.
    percentiles : sequence of numbers or text, optional
        The percentiles to report, from 0 to 100 (``[10, 50, 90]`` or ``"10,50,90"``);
        default 5, 50, 95. Columns are named ``p10``, ``p50``, ``p90``.
    **ranges
        Input name -> range or distribution text (``"90..120 days"``, ``"30%..46%"``,
        ``"lognormal 90% CI 60..180 days"``, ``"normal 105 days ± 10 days"``,
        ``"triangular 20%, 30%, 46%"``; bare numbers in the input's spec unit) or a
        :class:`~flopsheet.units.ranges.Distribution`. Any other value is a fixed
        override for every sample (``data="37,580,963,840 kB"``). Without any range,
        the spec's ``low``/``high`` ranges are used.

    Returns
    -------
    Simulation
        ``percentiles`` (p5, p50, p95 or those asked, and the mean per result row, in its unit), ``samples``
        (a DataFrame), ``tornado``, ``base`` and more; see :class:`Simulation`.

    Raises
    ------
    ValueError
        A :mod:`flopsheet.units.errors` class naming the input: an unreadable or
        reversed range, ends of another dimension than the input, a range whose
        samples the model refuses (a normal range reaching below zero), too many samples.

    Examples
    --------
    >>> result = simulate("table5_kimi_training", n=20_000, seed=1,
    ...                   duration="90..120 days", data="37,580,963,840 kB")
    >>> cards = result.percentiles.loc["cards"]
    >>> round(cards.p50), cards.unit  # 13,793 at 105 days, the median duration
    (13789, 'card')
    >>> result.tornado.input.tolist()
    ['duration']
    >>> simulate("table5_kimi_training", n=1000, percentiles=[10, 90]).percentiles.columns.tolist()[4:]
    ['p10', 'p90', 'mean']
    """
    spec = model if isinstance(model, ModelSpec) else load_spec(model)
    count, seed = sample_count(n), check_seed(seed)
    quantiles = read_percentiles(percentiles)
    distributions, fixed = split_ranges(spec, ranges)
    rows = [row.name for row in spec.rows]
    chosen = target or rows[-1]
    if chosen not in rows:
        raise UnknownNameError("target", chosen, ", ".join(rows), "result row")
    streams = np.random.default_rng(seed).spawn(len(spec.inputs))
    position = {item.name: index for index, item in enumerate(spec.inputs)}
    drawn = {name: distribution.sample(streams[position[name]], count) for name, distribution in distributions.items()}
    for name, samples in drawn.items():  # uniform and triangular samples lie between finite ends
        if distributions[name].kind in _UNBOUNDED and not np.all(np.isfinite(samples.magnitude)):
            raise InputRangeError(name, distributions[name].text, "a range whose samples are finite numbers",
                                  "some overflow; use a narrower range")
    values, _ = _evaluate(spec, {**fixed, **drawn}, distributions)
    base = evaluate(spec, fixed)
    table = _percentiles(spec, values, base, quantiles)
    samples = _samples(spec, values, distributions, count)
    tornado = _tornado(spec, distributions, fixed, base, chosen)
    return Simulation(spec.name, count, seed, chosen, spec.row(chosen).unit, distributions, table, samples,
                      tornado, base, _warnings(spec, fixed, distributions, base), quantiles, spec)


def _warnings(spec: ModelSpec, fixed: Mapping[str, Any], distributions: Mapping[str, Distribution],
              base: pd.DataFrame) -> list[str]:
    """The AssumptionWarnings that still apply: the base evaluated with each ranged input at its range's middle.

    A warning about a spec value the user replaced with a range (the MT-NLG utilization
    measured against another peak) does not describe the simulation.
    """
    if not distributions:
        return list(base.attrs["warnings"])
    middles = {name: Q((distribution.low + distribution.high) / 2, distribution.unit)
               for name, distribution in distributions.items()}
    return list(evaluate(spec, {**fixed, **middles}).attrs["warnings"])


def _evaluate(spec: ModelSpec, overrides: Mapping[str, Any], distributions: Mapping[str, Distribution]
              ) -> tuple[dict[str, pint.Quantity], list[str]]:
    """Evaluate over the samples; a sample the model refuses is an error naming its range."""
    try:
        return evaluate_arrays(spec, overrides)
    except InputRangeError as error:
        if error.argument not in distributions:
            raise
        given = str(error.given)
        drew = f"it drew {given}" if len(given) <= _SHOWN_SAMPLE else "some samples are not"
        raise InputRangeError(error.argument, distributions[error.argument].text,
                              f"a range whose samples are all {error.expected}",
                              f"{drew}; use a narrower range, or a lognormal or triangular one") from None


def _row_magnitudes(spec: ModelSpec, values: Mapping[str, pint.Quantity], name: str) -> Any:
    """A row's values in its own unit (a float, or an array over the samples)."""
    return values[name].to(unit_choices.unit_of(spec.row(name).unit)).magnitude


def _percentiles(spec: ModelSpec, values: Mapping[str, pint.Quantity], base: pd.DataFrame,
                 quantiles: Mapping[str, float]) -> pd.DataFrame:
    """The percentiles (``quantiles``: column -> percent) and the mean of every result row, in its unit."""
    base_values = base.set_index("name")["value"]
    records = []
    for row in spec.rows:
        magnitudes = _row_magnitudes(spec, values, row.name)
        if np.ndim(magnitudes) == 0:  # the row does not depend on any ranged input
            summary = [float(magnitudes)] * (len(quantiles) + 1)
        else:
            summary = [*map(float, np.percentile(magnitudes, list(quantiles.values()))), float(np.mean(magnitudes))]
        records.append([row.label_en, row.label_zh, row.unit, float(base_values[row.name]), *summary])
    return pd.DataFrame(records, columns=["label_en", "label_zh", "unit", "base", *quantiles, "mean"],
                        index=pd.Index([row.name for row in spec.rows], name="name"))


def _samples(spec: ModelSpec, values: Mapping[str, pint.Quantity], distributions: Mapping[str, Distribution],
             count: int) -> pd.DataFrame:
    """The samples: each ranged input and each result row, in its unit, one row per sample."""
    columns: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    for name, distribution in distributions.items():
        columns[name] = values[name].to(distribution.unit).magnitude
        units[name] = range_unit(spec.input(name), distribution)
    for row in spec.rows:
        columns[row.name] = np.broadcast_to(np.asarray(_row_magnitudes(spec, values, row.name), dtype=float), (count,))
        units[row.name] = row.unit
    frame = pd.DataFrame(columns, copy=False)
    frame.attrs["units"] = units
    return frame


def _tornado(spec: ModelSpec, distributions: Mapping[str, Distribution], fixed: Mapping[str, Any],
             base: pd.DataFrame, target: str) -> pd.DataFrame:
    """One input at a time at its low and high end (the others at base), in one evaluation.

    Point ``2 i`` puts ranged input ``i`` at its low end, point ``2 i + 1`` at its high end.
    """
    names = list(distributions)
    points = 2 * len(names)
    base_quantities = base.set_index("name")["quantity"]
    overrides: dict[str, Any] = dict(fixed)
    for index, name in enumerate(names):
        distribution = distributions[name]
        column = np.full(points, float(base_quantities[name].to(distribution.unit).magnitude))
        column[2 * index: 2 * index + 2] = (distribution.low, distribution.high)
        overrides[name] = Q(column, distribution.unit)
    values, _ = evaluate_arrays(spec, overrides)
    results = np.broadcast_to(np.asarray(_row_magnitudes(spec, values, target), dtype=float), (points,))
    records = [(name, range_unit(spec.input(name), distributions[name]), distributions[name].low, distributions[name].high,
                distributions[name].text, float(results[2 * index]), float(results[2 * index + 1]),
                abs(float(results[2 * index + 1] - results[2 * index])))
               for index, name in enumerate(names)]
    table = pd.DataFrame(records, columns=list(TORNADO_COLUMNS))
    return table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
