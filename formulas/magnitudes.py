"""The formulas' fast path: arguments as plain magnitudes in their default unit, checked once.

A formula reads each argument with :func:`magnitude` (a float or a float array in the
argument kind's default unit), does its arithmetic on plain numbers, and builds one
pint quantity at the end with :func:`result`, scaled by a constant from
:func:`conversion` (cached per formula). What it costs per call:

- text ("105 days", "A100 tf32", "30.2%") is parsed and checked once per distinct text
  (cached), then it is a float;
- a bare number is checked (finite, > 0) and used as it is;
- a quantity is converted with a cached factor per unit;
- an array is checked with one min and one max (no copy, no temporary), and used as it is.

Anything that fails a check goes through :func:`flopsheet.formulas.args.quantity_arg`
(or :func:`~flopsheet.formulas.catalogues.peaks.throughput`) again, so every error message
is exactly what the slow path says.
"""

from __future__ import annotations

import functools
import inspect
import math
import warnings
from collections.abc import Callable
import sys
from functools import lru_cache
from typing import Any

import numpy as np
import pint

from ..units import InputRangeError, Q, Quantity, UnitInputError, ureg
from . import args
from .catalogues.cards import on_catalogue_change
from .catalogues.peaks import MAX_UTILIZATION, Utilization, as_peak, as_utilization, throughput

#: Distinct argument texts remembered per kind (cell text repeats: "30.2%", "A100 tf32").
TEXT_CACHE_SIZE = 4096
_PEAK_UNIT = args.PEAK.unit
#: Largest finite float: a bigger int (10**400) or inf takes the slow path and its message.
_LARGEST = sys.float_info.max


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _text(text: str, argument: str, kind: args.ArgKind, positive: bool) -> float:
    """Parse and check one argument text once; its magnitude in ``kind.unit``."""
    return float(args.quantity_arg(text, argument, kind, positive=positive).magnitude)


@lru_cache(maxsize=256)
def _unit_factor(units: Any, kind: args.ArgKind) -> float | None:
    """The factor from ``units`` (a pint UnitsContainer) to ``kind.unit``, or None for another dimension."""
    quantity = ureg.Quantity(1.0, units)
    if quantity.dimensionality != kind.dimensionality:
        return None
    return float(quantity.to(kind.unit).magnitude)


def _checked_array(values: np.ndarray, positive: bool) -> bool:
    """True when every element is finite (and > 0 when ``positive``): one min, one max."""
    if values.size == 0:
        return False
    low, high = values.min(), values.max()  # NaN propagates into both
    return bool((low > 0 if positive else low > -math.inf) and high < math.inf)


def magnitude(value: Any, argument: str, kind: args.ArgKind, *, positive: bool = True) -> Any:
    """Read ``value`` as a float or float array in ``kind.unit``, checked.

    Accepts what :func:`~flopsheet.formulas.args.quantity_arg` accepts and raises the
    same errors; only faster.
    """
    kind_of_value = type(value)
    if kind_of_value is float or kind_of_value is int:
        if (value > 0 if positive else True) and -_LARGEST < value < _LARGEST:
            return float(value)
    elif kind_of_value is str:
        return _text(value, argument, kind, positive)
    elif kind_of_value is np.ndarray and value.dtype.kind in "fiu":
        values = value if value.dtype.kind == "f" else value.astype(float)
        if _checked_array(values, positive):
            return values
    elif isinstance(value, pint.Quantity) and value._REGISTRY is ureg:
        factor = _unit_factor(value._units, kind)  # the UnitsContainer: hashable, no Unit object built
        raw = value.magnitude
        if factor is not None:
            if isinstance(raw, np.ndarray) and raw.dtype.kind == "f":
                if _checked_array(raw, positive):
                    return raw if factor == 1.0 else raw * factor
            elif isinstance(raw, (int, float)) and (raw > 0 if positive else True) and -_LARGEST < raw < _LARGEST:
                return float(raw) * factor
    # Anything else, or anything that failed a check: the slow path, for its exact message.
    return args.quantity_arg(value, argument, kind, positive=positive).magnitude


def same_shape(**arguments: Any) -> None:
    """Check that the array arguments broadcast together; name the one that does not.

    Raises
    ------
    UnitInputError
        Two ranges of shapes that cannot combine element by element.

    Examples
    --------
    >>> same_shape(params=np.ones(3), tokens=np.ones((2, 1)), per=6.0)
    >>> same_shape(params=np.ones(3), tokens=np.ones(2))
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: tokens: expected values of a shape that combines with params (3,): one value, or a range of the same shape, got a range of shape (2,)
    """
    shaped = [(name, value.shape) for name, value in arguments.items()
              if type(value) is np.ndarray and value.ndim]  # plain numbers: nothing to check
    if len(shaped) < 2:
        return
    combined = shaped[0][1]
    for index, (name, shape) in enumerate(shaped[1:], start=1):
        try:
            combined = np.broadcast_shapes(combined, shape)
        except ValueError:
            first = ", ".join(f"{other} {other_shape}" for other, other_shape in shaped[:index])
            raise UnitInputError(name, f"a range of shape {shape}", f"values of a shape that combines with {first}: "
                                 "one value, or a range of the same shape") from None


@lru_cache(maxsize=64)
def _units_container(text: str) -> Any:
    """The UnitsContainer of a unit text, parsed once (what a Quantity stores; building from it skips a conversion)."""
    return ureg.Unit(text)._units


@lru_cache(maxsize=256)
def conversion(source: str, target: str) -> float:
    """The number that turns a magnitude in ``source`` units into ``target`` units (cached).

    Examples
    --------
    >>> conversion("FLOP/(TFLOPS/card*day)", "card") == 1 / (1e12 * 86400)
    True
    """
    return float(ureg.Quantity(1.0, source).to(target).magnitude)


#: What a result that is not a finite number says when no argument can be named (the add-in's last check).
NOT_FINITE = ("result", "infinity or NaN", "a finite number (an input is too large or too small for a float)")


def _extremity(value: Any) -> float:
    """How far a magnitude is from 1 in decades (the input most likely to have left the float range)."""
    values = np.abs(_plain_number(value)).ravel()
    values = values[np.isfinite(values) & (values > 0)]
    return float(np.max(np.abs(np.log10(values)))) if values.size else 0.0


def _plain_number(value: Any) -> np.ndarray:
    """An argument as float magnitudes for naming it in an error; text is parsed, anything else is 1."""
    try:
        if isinstance(value, str):
            value = Q(value).magnitude
        elif isinstance(value, pint.Quantity):
            value = value.magnitude
        numbers = np.asarray(value, dtype=float)
    except (ValueError, TypeError, pint.PintError):
        return np.ones(1)
    return numbers if numbers.dtype.kind == "f" else np.ones(1)


def out_of_range(value: Any, unit_text: str, inputs: dict[str, Any]) -> InputRangeError:
    """The error for a result that is infinite, NaN or an underflowed 0, naming the user's argument.

    ``inputs`` maps the formula's public argument names to the magnitudes they were
    read as (in their kinds' default units); the error names the most extreme of them
    (the farthest from 1 in decades), shows its value and says what the result became.
    Without inputs it falls back to :data:`NOT_FINITE`.

    Examples
    --------
    >>> print(out_of_range(0.0, "card", {"flops": 4.2e22, "duration": 1e300}))
    duration: must be a value that keeps the result (card) a finite number greater than 0, got 1e+300; with it the result underflows to 0 (below the smallest float, about 1e-308)
    """
    if not inputs:
        return InputRangeError(*NOT_FINITE)
    values = np.asarray(value, dtype=float)
    name, given = max(inputs.items(), key=lambda item: _extremity(item[1]))
    shown = np.abs(_plain_number(given)).ravel()
    text = float(shown[np.argmax([_extremity(number) for number in shown])]) if shown.size else math.nan
    if np.any(np.isnan(values)):
        became = "is not a number (NaN)"
    elif np.any(np.isinf(values)):
        became = "overflows to infinity (above the largest float, about 1.8e308)"
    else:
        became = "underflows to 0 (below the smallest float, about 1e-308)"
    result_text = f"the result ({unit_text})" if unit_text else "the result"
    return InputRangeError(name, text, f"a value that keeps {result_text} a finite number greater than 0",
                           f"with it the result {became}")


def result(value: Any, unit_text: str, /, **inputs: Any) -> pint.Quantity:
    """The formula's result: one pint quantity in ``unit_text``; inf, NaN or 0 is an InputRangeError.

    Every input is finite, positive and checked, so a non-finite result means the
    arithmetic left the float range (``train_flops(1e300, 1e300)``) and a 0 means it
    underflowed (``train_cards(..., duration=1e300)``). ``inputs`` are the formula's
    arguments as read (name -> magnitude): the error names the one that did it.
    """
    if type(value) is float:
        if not 0 < value < math.inf:
            raise out_of_range(value, unit_text, inputs)
    elif not _checked_array(np.asarray(value), positive=True):
        raise out_of_range(value, unit_text, inputs)
    return Quantity(value, _units_container(unit_text))


def finite(value: Any, unit_text: str, /, **inputs: Any) -> Any:
    """``value`` itself if every element is finite (0 allowed); else :func:`out_of_range` naming the input.

    For results that may be 0 (no activations without a sequence length) but never inf or NaN.
    """
    values = np.asarray(value, dtype=float)
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise out_of_range(values, unit_text, inputs)
    return value


def _zero_given(given: Any) -> bool:
    """True when an argument is 0 (an empty context): a 0 result is then an answer, not an underflow."""
    return any(np.any(_plain_number(value) == 0) for value in given.values() if not isinstance(value, bool))


def checked(function: Callable[..., Any] | None = None, *, tables: bool = True) -> Any:
    """:func:`guarded`, and the quantity it returns must be finite, and not 0 unless an argument is 0.

    inf, NaN or an underflowed 0 is :func:`out_of_range` naming the most extreme argument.

    For formulas written in pint arithmetic (memory, serving times) whose result does not
    pass through :func:`result`. A table (DataFrame) may hold 0 and NaN but not inf; with
    ``tables=False`` (``@checked(tables=False)``) the formula refuses inf in its table itself
    (:func:`refuse_infinite` over its numbers before they become a DataFrame: one pass,
    where reading a DataFrame column by column costs a Series and a copy of its attrs each).
    """
    if function is None:
        return functools.partial(checked, tables=tables)
    signature = inspect.signature(function)
    inner = guarded(function)

    @functools.wraps(function)
    def formula(*arguments: Any, **keywords: Any) -> Any:
        try:
            with warnings.catch_warnings(record=True) as caught:  # said only if the formula succeeds: no
                warnings.simplefilter("always")                      # "inf GB do not fit" before an overflow error
                answer = inner(*arguments, **keywords)
        except (UnitInputError, InputRangeError) as error:
            # An intermediate value (``compute_cards``, a Q() without a name) left the float range: infinite
            # when read back, or 0 where it must be positive. Name the user's argument instead.
            overflow = isinstance(error, UnitInputError) and error.expected == "a finite number"
            underflow = isinstance(error, InputRangeError) and error.expected == "greater than 0"
            if not (overflow or underflow) or error.argument in signature.parameters:
                raise
            given = signature.bind_partial(*arguments, **keywords).arguments
            raise out_of_range(math.inf if overflow else 0.0, "", dict(given)) from None
        given = signature.bind_partial(*arguments, **keywords).arguments
        if hasattr(answer, "dtypes"):  # a DataFrame: each float column at once, no copy (tables=False: checked)
            if tables and any(dtype.kind == "f" and np.isinf(answer[name].to_numpy()).any()  # NaN: no value
                              for name, dtype in answer.dtypes.items()):
                raise out_of_range(math.inf, "", dict(given))
        elif hasattr(answer, "columns"):  # a plain table (Rows, where pandas is missing): row by row
            numbers = [value for row in answer.itertuples(index=False) for value in row
                       if isinstance(value, (float, np.floating))]
            if np.any(np.isinf(numbers)):
                raise out_of_range(math.inf, "", dict(given))
        else:
            magnitudes = np.asarray(getattr(answer, "magnitude", answer), dtype=float)
            if not np.all(np.isfinite(magnitudes)) or (np.any(magnitudes == 0) and not _zero_given(given)):
                raise out_of_range(magnitudes, str(getattr(answer, "units", "")), dict(given))
        for caught_warning in caught:
            warnings.warn(caught_warning.message, caught_warning.category, stacklevel=2)
        return answer

    return formula


def refuse_infinite(numbers: np.ndarray) -> None:
    """Raise the error :func:`checked` names the user's argument by if ``numbers`` holds inf (NaN allowed).

    For a formula under ``@checked(tables=False)``: its table's numbers, checked at once.
    """
    if np.isinf(numbers).any():
        raise UnitInputError("result", "inf", "a finite number")


def checked_positive(*columns: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """:func:`checked` for a table whose ``columns`` must hold finite numbers greater than 0.

    A table may hold a legitimate 0 (no scale-up switches, a profit of nothing), so
    :func:`checked` refuses only inf in a table; the columns named here are quantities
    that finite, positive inputs always make positive (a cost, a revenue): a 0 (or less)
    there is an underflow, :func:`out_of_range` naming the most extreme argument (unless
    an argument is 0). NaN passes: it stands for "no value" (token_cost of an infeasible
    serving plan row).
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(function)
        inner = checked(function)

        @functools.wraps(function)
        def formula(*arguments: Any, **keywords: Any) -> Any:
            answer = inner(*arguments, **keywords)
            given = signature.bind_partial(*arguments, **keywords).arguments
            for column in columns:
                values = np.asarray(answer[column], dtype=float)
                if np.any(values <= 0) and not _zero_given(given):  # NaN is "no value" (an infeasible plan row)
                    raise out_of_range(values, "", dict(given))
            return answer

        return formula

    return decorate


def guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    """Turn float arithmetic errors of a formula (a division by an underflowed zero) into :func:`out_of_range`.

    The error names the most extreme of the arguments given as plain numbers (text was
    read into a checked number before any arithmetic, so it is not the one that left the range).
    """
    signature = inspect.signature(function)

    @functools.wraps(function)
    def formula(*arguments: Any, **keywords: Any) -> Any:
        try:
            if any(isinstance(argument, np.ndarray) for argument in arguments):
                # Overflow or a zero divisor in an array gives inf or NaN, which result() refuses as
                # our error; numpy must not print a RuntimeWarning with a file path ("raise" would
                # also cost a third of the arithmetic).
                with np.errstate(all="ignore"):
                    return function(*arguments, **keywords)
            return function(*arguments, **keywords)
        except (ZeroDivisionError, OverflowError, FloatingPointError):
            bound = signature.bind_partial(*arguments, **keywords).arguments
            numbers = {name: value for name, value in bound.items()
                       if type(value) in (float, int) or (type(value) is np.ndarray and value.dtype.kind in "fiu")}
            raise out_of_range(math.inf, "", numbers) from None  # a division by an underflowed 0, or an overflow

    return formula


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _peak_text(text: str) -> float:
    """A peak text ("A100 tf32", "156 TFLOPS") read once: its rate in TFLOPS/card."""
    return float(as_peak(text).rate.to(_PEAK_UNIT).magnitude)


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _utilization_text(text: str) -> Utilization:
    return as_utilization(text)


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _throughput_text(peak: str, utilization: str) -> tuple[float, float | None, str]:
    """:func:`throughput` of two texts, once per pair (the precision check included)."""
    rate, factor, message = throughput(peak, utilization)
    return float(rate.to(_PEAK_UNIT).magnitude), factor, message


for _reading in (_peak_text, _utilization_text, _throughput_text):  # they read card references
    on_catalogue_change(_reading.cache_clear)


def effective_rate(peak: Any, utilization: Any) -> tuple[Any, float | None, str]:
    """Peak times utilization in TFLOPS/card, with the precision check of :func:`throughput`.

    Returns (rate magnitude, consistency factor or None, warning text) as
    :func:`~flopsheet.formulas.catalogues.peaks.throughput` does, on plain numbers.
    """
    peak_kind = type(peak)
    if peak_kind is str and type(utilization) is str:
        return _throughput_text(peak, utilization)
    if peak_kind in (float, int, str) or (peak_kind is np.ndarray and peak.dtype.kind in "fiu"):
        fraction = _fraction(utilization)
        if fraction is not None:
            rate = _peak_text(peak) if peak_kind is str else magnitude(peak, "peak", args.PEAK)
            return rate * fraction, None, ""
    rate_quantity, factor, message = throughput(peak, utilization)
    return rate_quantity.to(_PEAK_UNIT).magnitude, factor, message


def _fraction(utilization: Any) -> Any:
    """A utilization given as a plain number or float array in (0, 100%]; None when it needs the slow path."""
    kind_of_value = type(utilization)
    if kind_of_value is float or kind_of_value is int:
        return float(utilization) if 0 < utilization <= MAX_UTILIZATION else None
    if kind_of_value is np.ndarray and utilization.dtype.kind == "f" and utilization.size:
        low, high = utilization.min(), utilization.max()
        return utilization if low > 0 and high <= MAX_UTILIZATION else None
    if kind_of_value is str:
        used = _utilization_text(utilization)
        return used.value if used.precision is None else None
    return None


#: The units of param_token_flops' plain-number arithmetic (its arguments' default units).
_PARAM_TOKEN_FLOP_UNITS = f"{args.PARAMETERS.unit}*{args.TOKENS.unit}*({args.FLOP_PER_PARAM_TOKEN.unit})"


def param_token_flops(params: Any, tokens: Any, flop_per_param_token: Any, passes: float = 1.0) -> pint.Quantity:
    """``params * tokens * flop_per_param_token * passes`` in FLOP: the arithmetic of train_flops and infer_flops.

    ``passes`` scales the FLOP per parameter per token (recomputation's extra forward).
    """
    parameters = magnitude(params, "params", args.PARAMETERS)
    args.warn_tiny_params(parameters, params)
    token_count = magnitude(tokens, "tokens", args.TOKENS)
    per = magnitude(flop_per_param_token, "flop_per_param_token", args.FLOP_PER_PARAM_TOKEN)
    same_shape(params=parameters, tokens=token_count, flop_per_param_token=per)
    return result(parameters * token_count * (per * passes * conversion(_PARAM_TOKEN_FLOP_UNITS, "FLOP")), "FLOP",
                  params=parameters, tokens=token_count, flop_per_param_token=per)
