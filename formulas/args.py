"""Turn what a caller passes (quantity, number, text, array) into a checked quantity.

Every public formula reads its arguments through :func:`quantity_arg`, so every
function reports wrong dimensions, empty cells, NaN and non-positive counts the same
way: a ``ValueError`` subclass naming the argument, the value and the expectation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pint

from ..units import AssumptionWarning, InputRangeError, Q, UnitInputError, ureg
from ..units.format import unit_text
from ..units.parse import NUMBER_EXPECTED


@dataclass(frozen=True)
class ArgKind:
    """What one kind of argument must be.

    unit : the default unit of bare numbers, which also fixes the dimension.
    description : how the expectation reads in an error ("a data size in bytes").
    example : a valid value to show ("30 TB").
    """

    unit: str
    description: str
    example: str

    @property
    def dimensionality(self) -> Any:
        """The pint dimensionality every value of this kind must have."""
        return dimensionality_of(self.unit)

    @property
    def expected(self) -> str:
        """The expectation as an error message states it."""
        return f'{self.description} (e.g. "{self.example}")'


DATA = ArgKind("TB", "a data size in bytes", "30 TB")
PARAMETERS = ArgKind("parameter", "a parameter count", "2000亿")
TOKENS = ArgKind("token", "a token count", "4.9万亿 tokens")
FLOP = ArgKind("FLOP", "a FLOP count", "5.9e24 FLOP")
FLOP_PER_CALL = ArgKind("FLOP/call", "FLOP per call", "8e14 FLOP")
CARDS = ArgKind("card", "a card count", "13793 cards")
DURATION = ArgKind("day", "a duration", "90 days")
BUSY_HOURS = ArgKind("hour", "busy hours per day", "12 hours")
CALL_RATE = ArgKind("call/day", "calls per day", "300万 calls/day")
PEAK = ArgKind("TFLOPS/card", 'a peak rate per card or a catalogue reference like "A100 tf32"', "156 TFLOPS")
UTILIZATION = ArgKind("dimensionless", "a utilization fraction", "30.2%")
BYTES_PER_CHAR = ArgKind("byte/char", "bytes per character", "2 bytes/char")
CHARS_PER_WORD = ArgKind("char/word", "characters per word", "5.1 chars/word")
WORDS_PER_TOKEN = ArgKind("word/token", "words per token", "0.75 words/token")
FLOP_PER_PARAM_TOKEN = ArgKind("FLOP/parameter/token", "FLOP per parameter per token", "6")


@lru_cache(maxsize=256)
def dimensionality_of(unit: str) -> Any:
    """Return (and remember) the dimensionality of a unit text."""
    return ureg.Unit(unit).dimensionality


#: Significant digits of a number in an error message: enough that 24.0000001 h is not
#: shown as "24 h" (a float has 15-17).
MESSAGE_DIGITS = 15


def number_text(number: float) -> str:
    """A number for a message, with every digit that matters ("24.0000001", "1e+300")."""
    return f"{number:.{MESSAGE_DIGITS}g}"


def shown(value: Any) -> Any:
    """Return the value as the user gave it, for error messages (text stays text)."""
    if isinstance(value, pint.Quantity):
        if np.ndim(value.magnitude) == 0:
            return f"{number_text(float(value.magnitude))} {unit_text(value)}".strip()
        first = np.asarray(value.magnitude).ravel()
        where = f"first of {np.shape(value.magnitude)}" if first.size else "empty range"
        head = f"{number_text(float(first[0]))} " if first.size else ""
        return f"{head}{unit_text(value)} ({where})".strip()
    return value


def reshaped(error: UnitInputError, kind: ArgKind) -> UnitInputError:
    """Say what the argument expects instead of Q's generic 'a number ... such as "30 TB"'."""
    if error.expected != NUMBER_EXPECTED:
        return error
    return UnitInputError(error.argument, error.given, kind.expected, error.detail)


def plain_values(value: Any, argument: str | None) -> Any:
    """A pandas Series, Index or DataFrame column as its numpy values; a range with NaN refused by position.

    Duck-typed (``to_numpy``), so the formulas need no pandas. The index does not travel:
    results are pint quantities of arrays in the same order. A float range holding NaN
    or infinity is named by its first bad element and its shape, never printed whole.
    """
    if not isinstance(value, (np.ndarray, pint.Quantity, str)) and callable(getattr(value, "to_numpy", None)):
        value = value.to_numpy()
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size and not np.all(np.isfinite(value)):
        position = int(np.argmax(~np.isfinite(value.ravel())))
        raise UnitInputError(argument, f"{value.ravel()[position]} at position {position} of a range of shape "
                             f"{value.shape}", "finite numbers", "NaN or infinity in the range")
    return value


def quantity_arg(value: Any, argument: str, kind: ArgKind, *, positive: bool = True) -> pint.Quantity:
    """Parse ``value`` as a quantity of ``kind`` and check it.

    Parameters
    ----------
    value : quantity, number, text, numpy array or sequence
        Bare numbers are read in ``kind.unit``.
    argument : str
        The public argument name, used in messages.
    kind : ArgKind
        Default unit and dimension.
    positive : bool, default True
        Require every element to be greater than zero.

    Raises
    ------
    UnitInputError
        Unparseable text, empty, NaN, or the wrong dimension.
    InputRangeError
        A value that is zero or negative where ``positive`` is required.
    """
    value = plain_values(value, argument)
    try:
        quantity = Q(value, kind.unit, argument=argument)
    except UnitInputError as error:
        raise reshaped(error, kind) from None
    if quantity.dimensionality != kind.dimensionality:
        raise UnitInputError(argument, shown(value) if not isinstance(value, str) else value, kind.expected)
    quantity = quantity.to(kind.unit)
    if positive:
        require_positive(quantity, argument, value)
    return quantity


def require_positive(quantity: pint.Quantity, argument: str, given: Any) -> None:
    """Raise InputRangeError unless every element of ``quantity`` is > 0."""
    magnitudes = np.asarray(quantity.magnitude, dtype=float)
    if np.any(magnitudes <= 0):
        bad = magnitudes.ravel()[np.argmax(magnitudes.ravel() <= 0)]
        shown_value = (given if isinstance(given, str) and magnitudes.ndim == 0
                       else f"{number_text(bad)} {unit_text(quantity)}".strip())
        raise InputRangeError(argument, shown_value, "greater than 0")




#: Fewer parameters than this in a bare count is almost surely a slip (70 for 70B): warned.
MIN_PLAUSIBLE_PARAMS = 1000


def warn_tiny_params(parameters: Any, given: Any, argument: str = "params") -> None:
    """Warn (AssumptionWarning) when a bare parameter count is under :data:`MIN_PLAUSIBLE_PARAMS`.

    ``parameters`` is the count read (a float or an array, in parameters) and ``given``
    what the caller wrote; the warning says what was read and what was probably meant.
    It warns rather than refuses: a toy network is a legitimate, if rare, input.
    """
    values = np.asarray(parameters, dtype=float)
    small = values[(values > 0) & (values < MIN_PLAUSIBLE_PARAMS)] if values.size else values
    if small.size:
        smallest = float(small.min())
        warnings.warn(f"{argument}: read {_shown(given)} as {smallest:g} parameters, under {MIN_PLAUSIBLE_PARAMS:,}; "
                      f'a language model has millions to trillions: did you mean "{smallest:g}B" '
                      f"({smallest * 1e9:g} parameters)?", AssumptionWarning, stacklevel=3)


def _shown(given: Any) -> str:
    """A short text of what the caller passed, for a warning."""
    text = given if isinstance(given, str) else repr(given) if np.ndim(given) == 0 else "an array"
    return f'"{text}"' if isinstance(given, str) else text
