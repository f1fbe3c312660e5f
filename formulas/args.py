"""Turn what a caller passes (quantity, number, text, array) into a checked quantity.

Every public formula reads its arguments through :func:`quantity_arg`, so every
function reports wrong dimensions, empty cells, NaN and non-positive counts the same
way: a ``ValueError`` subclass naming the argument, the value and the expectation.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pint

from ..units import AssumptionWarning, InputError, InputRangeError, Q, UnitInputError, ureg
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


#: The words a yes/no argument accepts as text (any case, surrounding spaces ignored): what
#: people type and what Excel writes (TRUE/FALSE), 1/0, and Chinese 是/否.
BOOLEAN_WORDS: dict[str, bool] = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False,
                                  "是": True, "否": False}
#: How a yes/no argument's expectation reads in an error.
BOOLEAN_EXPECTED = "TRUE or FALSE (also the text true/false, yes/no, 1/0, 是/否)"


def read_bool(value: Any, argument: str, extra_words: dict[str, bool] | None = None,
              expected: str = BOOLEAN_EXPECTED) -> bool:
    """Read a yes/no argument strictly: a bool, the number 1 or 0, or one of :data:`BOOLEAN_WORDS`.

    Anything else (``"no way"``, ``"banana"``, ``2``, ``None``, an empty cell) is refused,
    never read by Python's truthiness (where ``"no"`` and ``"FALSE"`` are True).
    ``extra_words`` adds words of one argument (``sparse``/``dense`` for ``sparse``).

    Examples
    --------
    >>> read_bool("FALSE", "sequence_parallel"), read_bool("是", "x"), read_bool(1, "x"), read_bool(" no ", "x")
    (False, True, True, False)
    >>> read_bool("banana", "sequence_parallel")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: sequence_parallel: expected TRUE or FALSE (also the text true/false, yes/no, 1/0, 是/否), got "banana"
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        words = {**BOOLEAN_WORDS, **(extra_words or {})}
        if word in words:
            return words[word]
    given = value if isinstance(value, (str, int, float)) and not isinstance(value, bool) else repr(value)[:60]
    raise UnitInputError(argument, given, expected)


@contextmanager
def renamed_arguments(names: dict[str, str]) -> Iterator[None]:
    """Re-raise an InputError of an inner call under the caller's name for that argument.

    ``min_train_cards(model=...)`` calls ``train_flops(params=...)``; the command line
    calls the formulas with ``duration`` for ``--days``. The user must read the name
    they typed, never an inner one.

    Examples
    --------
    >>> with renamed_arguments({"duration": "--days"}):
    ...     quantity_arg("-3", "duration", DURATION)
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.InputRangeError: --days: must be greater than 0, got "-3"
    """
    try:
        yield
    except InputError as error:
        name = names.get(error.argument or "")
        if name is None:
            raise
        renamed = copy.copy(error)
        renamed.argument = name
        renamed.args = (renamed._message(),)
        raise renamed from None


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


#: Distinct texts and numbers whose readings a :func:`read_once` reader keeps (a reading is a scalar: immutable).
READ_CACHE_SIZE = 4096


def read_once(reader: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an argument reader so a text or a plain number is read once per set of arguments.

    A recalculated cell passes the same "50 ms/token" or 0.9 again; arrays and quantities
    are read afresh. The cache is typed (1 and 1.0 read apart); errors are not kept.
    """
    cached = lru_cache(maxsize=READ_CACHE_SIZE, typed=True)(reader)

    @functools.wraps(reader)
    def read(value: Any, *rest: Any, **keywords: Any) -> Any:
        if type(value) in (str, float, int):
            return cached(value, *rest, **keywords)
        return reader(value, *rest, **keywords)

    return read


@read_once
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
