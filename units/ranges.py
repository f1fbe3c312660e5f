"""Read a range or a distribution as people type it: ``"30%..46%"``, ``"90..120 days"``.

Forms (keywords are case-insensitive; every end is read by :func:`flopsheet.Q`)::

    30%..46%                          uniform between the ends ("uniform 30%..46%" too)
    90..120 days                      an end without a unit takes the unit written after
                                      the other end, else the argument's default unit
    lognormal 90% CI 60..180 days     lognormal whose 5th and 95th percentiles are the ends
                                      (any "P% CI"; 90% when left out)
    normal 90% CI 90..120 days        normal with that central interval
    normal 105 days ± 10 days         normal with mean 105 days and standard deviation
                                      10 days ("+-" and "+/-" work too)
    triangular 20%, 30%, 46%          triangular: low, mode, high (", " or ";" between)

A range's **low** and **high** are the ends as typed: the ends of a uniform or CI
range, the low and high of a triangular one, mean - sd and mean + sd of ``±``. The
tornado chart and the templates' low/high columns use them.

Every refusal is a ``ValueError`` of :mod:`.errors` naming the argument, the text and
what was expected: ends of different dimensions, a reversed range (LOW > HIGH), a
negative width or standard deviation, a lognormal end at or below zero, a CI outside
(0%, 100%), text longer than :data:`MAX_RANGE_TEXT` characters.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pint

from .errors import FlopsheetError, InputError, InputRangeError, UnitInputError
from .parse import Q
from .registry import Quantity, ureg

#: Longest range text read (characters); each end is capped by Q as well.
MAX_RANGE_TEXT = 600
#: The central interval of a lognormal or normal range given without "P% CI".
DEFAULT_CI = 0.90
#: The distributions, by keyword.
KINDS: tuple[str, ...] = ("uniform", "normal", "lognormal", "triangular")
#: What every refusal of unreadable range text expects.
RANGE_FORMS = ('a range such as "30%..46%", "90..120 days", "lognormal 90% CI 60..180 days", '
               '"normal 105 days ± 10 days" or "triangular 20%, 30%, 46%"')
#: What an unreadable end should have been.
_NUMBER_EXPECTED = 'a number or a quantity such as "30 TB"'
#: Two units of different dimensions, neither of data: an end read with both keeps its
#: own unit only when it has one (see :func:`_has_own_unit`).
_PROBE_UNITS = ("card", "token")

_HEAD = re.compile(r"\s*(?P<kind>uniform|normal|lognormal|log-normal|triangular)(?![\w])\s*", re.IGNORECASE)
_CI = re.compile(r"(?P<level>[0-9]{1,3}(?:\.[0-9]{1,6})?)\s*%\s*CI(?![\w])\s*", re.IGNORECASE)
#: A word before the numbers that is not a kind ("gaussian 90..120"): an unknown distribution.
_UNKNOWN_HEAD = re.compile(r"\s*(?P<word>[^\W\d_][\w-]*)\s+(?=[-+.\d])")
_PLUS_MINUS = re.compile(r"±|\+/-|\+-")
_LIST_SEPARATOR = re.compile(r";|,(?=\s)")
#: Full-width punctuation a range may be typed with ("90．．120", "20%，30%，46%"), folded to ASCII
#: before the range is split; each end is then read by Q with its own folding.
_FOLDS = str.maketrans({"．": ".", "，": ", ", "；": ";", "＋": "+", "－": "-", "／": "/"})


@dataclass(frozen=True)
class Distribution:
    """A range or distribution of one input, in one unit.

    kind : "uniform", "normal", "lognormal" or "triangular".
    text : the text it was read from (shown in messages and reports).
    unit : the pint unit of every number below.
    low, high : the ends as typed (see the module docstring), in ``unit``.
    parameters : what numpy samples with, in ``unit``: uniform (low, high); normal
        (mean, sd); lognormal (mu, sigma) of the natural log of the value in ``unit``;
        triangular (low, mode, high).
    """

    kind: str
    text: str
    unit: pint.Unit
    low: float
    high: float
    parameters: tuple[float, ...]

    @property
    def low_quantity(self) -> pint.Quantity:
        """The low end as a quantity."""
        return Quantity(self.low, self.unit)

    @property
    def high_quantity(self) -> pint.Quantity:
        """The high end as a quantity."""
        return Quantity(self.high, self.unit)

    def to(self, unit: pint.Unit | str) -> Distribution:
        """The same distribution expressed in ``unit`` (of the same dimension)."""
        target = ureg.Unit(unit) if isinstance(unit, str) else unit
        factor = float(Quantity(1.0, self.unit).to(target).magnitude)
        if self.kind == "lognormal":
            mu, sigma = self.parameters
            parameters: tuple[float, ...] = (mu + math.log(factor), sigma)
        else:
            parameters = tuple(value * factor for value in self.parameters)
        return Distribution(self.kind, self.text, target, self.low * factor, self.high * factor, parameters)

    def sample(self, rng: np.random.Generator, n: int) -> pint.Quantity:
        """``n`` samples drawn with ``rng``, as one array quantity in ``unit``.

        Examples
        --------
        >>> duration = parse_distribution("90..120 days")
        >>> samples = duration.sample(np.random.default_rng(1), 5)
        >>> print(f"{samples.units:D}", bool(((samples.magnitude >= 90) & (samples.magnitude <= 120)).all()))
        day True
        """
        if self.kind == "uniform":
            low, high = self.parameters
            values = rng.uniform(low, high, n)
        elif self.kind == "normal":
            mean, sd = self.parameters
            values = rng.normal(mean, sd, n)
        elif self.kind == "lognormal":
            mu, sigma = self.parameters
            values = rng.lognormal(mu, sigma, n)
        else:
            low, mode, high = self.parameters
            values = rng.triangular(low, mode, high, n) if high > low else np.full(n, low)
        return Quantity(values, self.unit)

    def __str__(self) -> str:
        return self.text


def looks_like_range(value: Any) -> bool:
    """True for a :class:`Distribution` or text written as a range or distribution.

    Examples
    --------
    >>> looks_like_range("90..120 days"), looks_like_range("normal 105 ± 10"), looks_like_range("105 days")
    (True, True, False)
    """
    if isinstance(value, Distribution):
        return True
    if not isinstance(value, str):
        return False
    folded = value[:MAX_RANGE_TEXT].translate(_FOLDS)
    return ".." in folded or _HEAD.match(folded) is not None


def parse_distribution(text: str | Distribution, default_unit: str | pint.Unit | None = None, *,
                       argument: str | None = None) -> Distribution:
    """Read a range or distribution (see the module docstring for the forms).

    Parameters
    ----------
    text : str or Distribution
        ``"30%..46%"``, ``"90..120 days"``, ``"lognormal 90% CI 60..180 days"``,
        ``"normal 105 days ± 10 days"``, ``"triangular 20%, 30%, 46%"``. A Distribution
        is returned unchanged.
    default_unit : str, optional
        Unit of an end without a unit when no other end names one ("30..46" for a
        duration in months); dimensionless when omitted.
    argument : str, optional
        The argument name used in error messages.

    Returns
    -------
    Distribution
        In the unit of the last end that names one (else ``default_unit``).

    Raises
    ------
    InputError
        Text that is not one of the forms.
    UnitInputError
        An unreadable end, or ends of different dimensions.
    InputRangeError
        LOW > HIGH, a mode outside [LOW, HIGH], a negative standard deviation, a
        lognormal end at or below zero, a CI outside (0%, 100%).

    Examples
    --------
    >>> parse_distribution("90..120 days")
    Distribution(kind='uniform', text='90..120 days', unit=<Unit('day')>, low=90.0, high=120.0, parameters=(90.0, 120.0))
    >>> parse_distribution("30%..46%").parameters
    (0.3, 0.46)
    >>> normal = parse_distribution("normal 105 days ± 10 days")
    >>> normal.parameters, (normal.low, normal.high)
    ((105.0, 10.0), (95.0, 115.0))
    >>> lognormal = parse_distribution("lognormal 90% CI 60..180 days")
    >>> round(math.exp(lognormal.parameters[0]), 4)  # the median: the geometric mean of the ends
    103.923
    >>> parse_distribution("120..90 days", argument="duration")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.InputRangeError: duration: must be a range with LOW <= HIGH, got "120..90 days"
    >>> parse_distribution("90 days..120 tokens", argument="duration")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: duration: expected ends of one dimension, got "90 days..120 tokens"; 90 day is [time], 120 token is [token]
    """
    if isinstance(text, Distribution):
        return text
    if not isinstance(text, str):
        raise InputError(argument, text, RANGE_FORMS)
    if len(text) > MAX_RANGE_TEXT:
        raise UnitInputError(argument, text, f"a range of at most {MAX_RANGE_TEXT} characters")
    folded = text.translate(_FOLDS)
    head = _HEAD.match(folded)
    unknown = None if head else _UNKNOWN_HEAD.match(folded)
    if unknown is not None:
        raise InputError(argument, text, f"a distribution of the kinds {', '.join(KINDS)} (or none: uniform); "
                         f"{RANGE_FORMS}", f"unknown distribution {unknown.group('word')!r}")
    kind = head.group("kind").lower().replace("-", "") if head else "uniform"
    body = folded[head.end():] if head else folded
    level = DEFAULT_CI
    ci = _CI.match(body)
    if ci is not None:
        if kind not in ("normal", "lognormal"):
            raise InputError(argument, text, f"a CI only with normal or lognormal; {RANGE_FORMS}")
        level = float(ci.group("level")) / 100
        if not 0 < level < 1:
            raise InputRangeError(argument, text, "a CI between 0% and 100% (exclusive)")
        body = body[ci.end():]
    if kind == "triangular":
        return _triangular(text, body, default_unit, argument)
    if kind == "normal" and _PLUS_MINUS.search(body):
        return _normal_plus_minus(text, body, default_unit, argument)
    ends = body.split("..")
    if len(ends) != 2:
        raise InputError(argument, text, RANGE_FORMS)
    unit, (low, high) = _read_ends(text, ends, default_unit, argument)
    if low > high:
        raise InputRangeError(argument, text, "a range with LOW <= HIGH")
    if kind == "uniform":
        return Distribution(kind, text, unit, low, high, (low, high))
    z = NormalDist().inv_cdf(0.5 + level / 2)
    if kind == "normal":
        return Distribution(kind, text, unit, low, high, ((low + high) / 2, (high - low) / (2 * z)))
    if low <= 0:
        raise InputRangeError(argument, text, "a lognormal range with ends greater than 0")
    return Distribution(kind, text, unit, low, high,
                        ((math.log(low) + math.log(high)) / 2, (math.log(high) - math.log(low)) / (2 * z)))


def _normal_plus_minus(text: str, body: str, default_unit: str | pint.Unit | None,
                       argument: str | None) -> Distribution:
    """``normal MEAN ± SD``: the standard deviation after the sign."""
    parts = _PLUS_MINUS.split(body)
    if len(parts) != 2:
        raise InputError(argument, text, RANGE_FORMS)
    unit, (mean, sd) = _read_ends(text, parts, default_unit, argument)
    if sd < 0:
        raise InputRangeError(argument, text, "a standard deviation (after ±) of at least 0")
    return Distribution("normal", text, unit, mean - sd, mean + sd, (mean, sd))


def _triangular(text: str, body: str, default_unit: str | pint.Unit | None, argument: str | None) -> Distribution:
    """``triangular LOW, MODE, HIGH``."""
    parts = _LIST_SEPARATOR.split(body)
    if len(parts) == 1 and body.count(",") == 2:  # "20%,30%,46%": no thousands separators possible
        parts = body.split(",")
    if len(parts) != 3:
        raise InputError(argument, text, 'a triangular range "triangular LOW, MODE, HIGH", e.g. "triangular 20%, 30%, 46%"')
    unit, (low, mode, high) = _read_ends(text, parts, default_unit, argument)
    if not low <= mode <= high:
        raise InputRangeError(argument, text, "a triangular range with LOW <= MODE <= HIGH")
    return Distribution("triangular", text, unit, low, high, (low, mode, high))


def _read_ends(text: str, ends: list[str], default_unit: str | pint.Unit | None,
               argument: str | None) -> tuple[pint.Unit, list[float]]:
    """Read every end in one unit: bare ends take the unit of the last end that has one.

    A ``%`` written after the last end applies to bare ends without one ("30..46%").
    """
    ends = [end.strip() for end in ends]
    if not all(ends):
        raise InputError(argument, text, RANGE_FORMS)
    own = [_has_own_unit(text, end, argument) for end in ends]
    typed = [_end(text, end, None, argument) for end, has_unit in zip(ends, own) if has_unit]
    if any(other.dimensionality != typed[0].dimensionality for other in typed[1:]):
        shown = ", ".join(f"{quantity.magnitude:g} {quantity.units:D} is {quantity.dimensionality}" for quantity in typed)
        raise UnitInputError(argument, text, "ends of one dimension", shown)
    unit = typed[-1].units if typed else _unit_of(default_unit, argument)
    if ends[-1].endswith("%") and not own[-1]:
        ends = [end if has_unit or end.endswith("%") else f"{end}%" for end, has_unit in zip(ends, own)]
    values = [float(_end(text, end, unit, argument).to(unit).magnitude) for end in ends]
    if not all(math.isfinite(value) for value in values):
        raise UnitInputError(argument, text, "finite ends", "NaN or infinity")
    return unit, values


def _has_own_unit(text: str, end: str, argument: str | None) -> bool:
    """True when an end names its unit ("120 days"), False when it takes a default ("120", "30%")."""
    first, second = (_end(text, end, probe, argument).units for probe in _PROBE_UNITS)
    return first == second


def _end(text: str, end: str, unit: str | pint.Unit | None, argument: str | None) -> pint.Quantity:
    """Read one end with :func:`Q`; a refusal names the whole range and the end."""
    try:
        return Q(end, unit, argument=argument)
    except UnitInputError as error:
        detail = f'in the end "{end}"' + (f": {error.detail}" if error.detail else "")
        raise type(error)(argument, text, error.expected, detail) from None
    except FlopsheetError:
        raise
    except Exception as error:  # noqa: BLE001 - pint's parser can fail outside the family; refuse, never crash
        raise UnitInputError(argument, text, _NUMBER_EXPECTED,
                             f'in the end "{end}": unreadable ({type(error).__name__})') from None


def _unit_of(default_unit: str | pint.Unit | None, argument: str | None) -> pint.Unit:
    """The default unit as a pint Unit (dimensionless when there is none)."""
    if default_unit is None or default_unit == "":
        return ureg.dimensionless
    if isinstance(default_unit, str):
        return Q(1, default_unit, argument=argument).units
    return default_unit
