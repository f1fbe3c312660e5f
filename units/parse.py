"""Read what people type in a spreadsheet cell as a pint quantity.

``Q("30 TB")``, ``Q("2000亿")``, ``Q("4.9万亿 tokens")``, ``Q("1.38万张")``,
``Q("30.2%")``, ``Q("13,793")``, ``Q("156 TFLOPS")``, ``Q("3 months")``, ``Q("70B",
"parameter")``, full-width digits and spaces ("３０ ＴＢ"). Numbers, numpy arrays and
quantities pass through. Anything else raises :class:`UnitInputError` naming the text.

A cell is read in one left-to-right pass, in this order (see :func:`Q` for the rules)::

    [sign] number [magnitude] [%] [unit]

- number: ``13,793``, ``1.5``, ``.5``, ``1e24`` (ASCII digits after folding);
- magnitude: a Chinese word (十万 百万 千万 十亿 百亿 千亿 万亿 ..., see
  :data:`CHINESE_MAGNITUDE_WORDS`), an English word (thousand, million, billion, bn,
  trillion) or, where a count is expected, a letter (k, K, M, B, T);
- unit: names joined by ``*`` and ``/``, with integer powers (``TB**2``, ``TB^2``,
  ``TB²``) and parentheses; read by :func:`parse_unit`, never by pint's expression parser.

Every pattern here runs in linear time, and text longer than :data:`MAX_CELL_TEXT`
characters is refused before it is read.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import product
from typing import Any

import numpy as np
import pint
from pint.util import to_units_container

from .errors import UnitInputError
from .registry import Quantity, ureg

#: Longest cell text (characters) flopsheet reads; "4.9万亿 tokens/day" has 15. Longer
#: text is refused at once, so no input can make parsing slow.
MAX_CELL_TEXT = 256
#: Largest power of ten a number may carry after its magnitude (floats end at 1.8e308).
MAX_DECIMAL_EXPONENT = 308
#: Largest power a unit may be raised to ("TB**2"); no flopsheet unit needs more.
MAX_UNIT_EXPONENT = 6
#: Deepest nesting of parentheses in a unit ("FLOP/(parameter*token)" is one level).
MAX_UNIT_DEPTH = 3

#: Chinese magnitude characters (10^n).
CHINESE_MAGNITUDES: dict[str, int] = {"十": 10, "百": 10**2, "千": 10**3, "万": 10**4, "亿": 10**8}
#: The magnitude words standard usage builds from them, small to large: [十|百|千][万][亿]
#: (十万 = 1e5, 千万 = 1e7, 十亿 = 1e9, 千亿 = 1e11, 万亿 = 1e12, 十万亿 = 1e13). Any other
#: run ("万万", "亿万", "3亿万万亿") is refused rather than multiplied out.
CHINESE_MAGNITUDE_WORDS: dict[str, int] = {
    small + ten_thousand + hundred_million: math.prod(CHINESE_MAGNITUDES[c] for c in small + ten_thousand + hundred_million)
    for small, ten_thousand, hundred_million in product(("", "十", "百", "千"), ("", "万"), ("", "亿"))
    if small + ten_thousand + hundred_million
}
#: English magnitude words, read wherever they appear ("70 billion", "70bn", "1.5 trillion").
ENGLISH_MAGNITUDE_WORDS: dict[str, int] = {
    "thousand": 10**3, "million": 10**6, "billion": 10**9, "bn": 10**9, "trillion": 10**12}
#: English magnitude letters of the field ("70B parameters", "15T tokens", "32k context").
#: "B" is also the byte, so a letter is a magnitude only when a unit follows it ("1.5T
#: tokens") or the argument expects something other than data (see :func:`Q`).
ENGLISH_MAGNITUDE_LETTERS: dict[str, int] = {"k": 10**3, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
#: The same letters typed in lowercase ("70b", "15t"): read only last in a cell where a
#: count is expected, since before a unit "m", "b" and "t" are the metre, the bit and the tonne
#: (and "3m" where a duration is expected must stay an error, not 3 million days).
LOWERCASE_MAGNITUDE_LETTERS: dict[str, int] = {"m": 10**6, "b": 10**9, "t": 10**12}
#: The counts whose cells read a trailing lowercase magnitude letter.
LOWERCASE_COUNT_DIMENSIONS = frozenset({"[parameter]", "[token]", "[compute]", "[call]", "[user]"})
#: "30.2%" means 30.2 / PERCENT.
PERCENT = Decimal(100)

#: What every refusal of unreadable text expects.
NUMBER_EXPECTED = 'a number or a quantity such as "30 TB"'
#: What every refusal of an unreadable unit expects.
UNIT_EXPECTED = "a known unit"
#: Byte units people mistype ("kb", "KB", "tb"): lower-cased text -> (decimal, binary) spelling.
BYTE_SLIPS: dict[str, tuple[str, str]] = {
    "kb": ("kB", "KiB"), "mb": ("MB", "MiB"), "gb": ("GB", "GiB"), "tb": ("TB", "TiB"), "pb": ("PB", "PiB")}

QuantityLike = Any  # number | str | pint.Quantity | numpy array | sequence of those

# Folding: full-width forms (U+FF01..U+FF5E, "３０ ＴＢ", "３０％") become ASCII, odd spaces a
# space, zero-width characters nothing, the signs people paste from PDFs their ASCII
# twins. Nothing else: NFKC would also turn "3²" into "32" and "½" into "1/2".
_FULL_WIDTH_OFFSET = 0xFEE0
_FOLDS: dict[int, str] = {code: chr(code - _FULL_WIDTH_OFFSET) for code in range(0xFF01, 0xFF5F)}
_FOLDS.update({ord(space): " " for space in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
               "\u2007\u2008\u2009\u200a\u202f\u205f\u3000"})
_FOLDS.update({ord(invisible): "" for invisible in "\u200b\u2060\ufeff"})
_FOLDS.update({ord("×"): "*", ord("·"): "*", ord("⋅"): "*", ord("∙"): "*", ord("−"): "-", ord("μ"): "µ"})

_NUMBER = re.compile(r"(?:[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)?")
_CHINESE_RUN = re.compile(r"[十百千万亿]+")
_ENGLISH_WORD = re.compile(r"(?:thousand|million|billion|trillion|bn)(?!\w)", re.IGNORECASE)
_ENGLISH_LETTER = re.compile(r"[kKMBTmbt](?![^\s])")
_SPACES = re.compile(r"\s*")
_STARTS_A_NAME = re.compile(r"\s+[^\W\d_]")

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_UNIT_TOKEN = re.compile(
    rf"""(?P<space>\s+)
    |(?P<name>(?:(?![{_SUPERSCRIPTS}⁻])[^\W\d_])(?:(?![{_SUPERSCRIPTS}⁻])\w)*)
    |(?P<number>[0-9]+)
    |(?P<power>\*\*|\^)
    |(?P<operator>[*/])
    |(?P<open>\()
    |(?P<close>\))
    |(?P<minus>-)
    |(?P<superscript>⁻?[{_SUPERSCRIPTS}]+)
    """,
    re.VERBOSE,
)


def normalise_text(text: str) -> str:
    """Fold full-width characters, odd spaces and pasted signs; strip the ends.

    Examples
    --------
    >>> normalise_text("３０　ＴＢ")
    '30 TB'
    >>> normalise_text("3²")
    '3²'
    """
    return text.translate(_FOLDS).strip()


def check_length(text: str, argument: str | None) -> None:
    """Refuse text longer than :data:`MAX_CELL_TEXT` before anything else reads it."""
    if len(text) > MAX_CELL_TEXT:
        raise UnitInputError(argument, text, f"a text of at most {MAX_CELL_TEXT} characters")


def parse_unit(text: str, *, argument: str | None = None) -> pint.Unit:
    """Parse a unit expression (``"TFLOPS/card"``, ``"万张"``, ``"%"``) or raise UnitInputError.

    Grammar: unit names joined by ``*`` or ``/`` (left to right), each with an optional
    integer power (``**2``, ``^2``, ``²``, ``⁻¹``) of at most :data:`MAX_UNIT_EXPONENT`,
    parentheses up to :data:`MAX_UNIT_DEPTH` deep, and ``1/`` in front ("1/day"). Names
    next to each other without an operator ("TB TB"), commas, quotes and anything else
    are refused.

    Examples
    --------
    >>> parse_unit("TFLOPS/card")
    <Unit('teraFLOPS / card')>
    >>> parse_unit("TB,")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: expected a known unit, got "TB,"; "," cannot be part of a unit
    """
    if not isinstance(text, str):
        raise UnitInputError(argument, text, 'a unit such as "TB", "day" or "TFLOPS"')
    check_length(text, argument)
    try:
        return _parse_unit_cached(text)
    except UnitInputError as error:
        raise UnitInputError(argument, text, error.expected, error.detail) from None


@lru_cache(maxsize=1024)
def _parse_unit_cached(text: str) -> pint.Unit:
    """Parse a unit text once; units are immutable, so the result is shared."""
    unit_text = normalise_text(text)
    if unit_text == "%":
        return ureg.Unit("percent")
    if not unit_text:
        raise UnitInputError(None, text, 'a unit such as "TB", "day" or "TFLOPS"')
    return _UnitReader(text, unit_text).read()


@dataclass
class _Token:
    kind: str
    text: str


class _UnitReader:
    """A recursive-descent reader of the unit grammar in :func:`parse_unit`."""

    def __init__(self, given: str, text: str) -> None:
        self.given = given
        self.tokens = self._tokens(text)
        self.position = 0

    def _tokens(self, text: str) -> list[_Token]:
        tokens: list[_Token] = []
        position = 0
        while position < len(text):
            match = _UNIT_TOKEN.match(text, position)
            if match is None:
                self._fail(f'"{text[position]}" cannot be part of a unit')
            if match.lastgroup != "space":
                tokens.append(_Token(match.lastgroup, match.group()))
            position = match.end()
        return tokens

    def _fail(self, detail: str) -> None:
        raise UnitInputError(None, self.given, UNIT_EXPECTED, detail)

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self, what: str) -> _Token:
        token = self._peek()
        if token is None:
            self._fail(f"the unit ends where {what} should follow")
        self.position += 1
        return token

    def read(self) -> pint.Unit:
        unit = self._product(0)
        extra = self._peek()
        if extra is not None:
            after = self.tokens[self.position - 1].text
            if extra.kind == "close":
                self._fail('")" without a matching "("')
            self._fail(f'write "*" or "/" between "{after}" and "{extra.text}"')
        return unit

    def _product(self, depth: int) -> pint.Unit:
        first = self._peek()
        following = self.tokens[self.position + 1] if self.position + 1 < len(self.tokens) else None
        if first is not None and first.text == "1" and following is not None and following.text == "/":
            self.position += 1
            unit = ureg.dimensionless
        else:
            unit = self._power(depth)
        while (token := self._peek()) is not None and token.kind == "operator":
            self.position += 1
            factor = self._power(depth)
            unit = unit * factor if token.text == "*" else unit / factor
        return unit

    def _power(self, depth: int) -> pint.Unit:
        base = self._atom(depth)
        token = self._peek()
        if token is None:
            return base
        if token.kind == "power":
            self.position += 1
            return base ** self._exponent()
        if token.kind == "superscript":
            self.position += 1
            return base ** self._checked_exponent(_superscript_value(token.text), token.text)
        return base

    def _exponent(self) -> int:
        token = self._next("a power")
        sign = 1
        if token.kind == "minus":
            sign, token = -1, self._next("a power")
        if token.kind != "number":
            self._fail(f'a power is a whole number, not "{token.text}"')
        return self._checked_exponent(sign * int(token.text), token.text)

    def _checked_exponent(self, exponent: int, shown: str) -> int:
        if exponent == 0 or abs(exponent) > MAX_UNIT_EXPONENT:
            self._fail(f"a power is a whole number from -{MAX_UNIT_EXPONENT} to {MAX_UNIT_EXPONENT} "
                       f"other than 0, not {shown}")
        return exponent

    def _atom(self, depth: int) -> pint.Unit:
        token = self._next("a unit name")
        if token.kind == "name":
            return _unit_of_name(token.text)
        if token.kind == "open":
            if depth >= MAX_UNIT_DEPTH:
                self._fail(f"at most {MAX_UNIT_DEPTH} levels of parentheses")
            unit = self._product(depth + 1)
            closing = self._next('")"')
            if closing.kind != "close":
                self._fail(f'write "*" or "/" before "{closing.text}"')
            return unit
        if token.kind == "superscript":
            self._fail(f'"{token.text}" is a power and belongs after a unit ("TB²"); it is not a digit')
        self._fail(f'a unit name should come where "{token.text}" is')
        raise AssertionError("unreachable")  # _fail always raises


def _superscript_value(text: str) -> int:
    """The integer a run of superscript digits spells ("⁻¹" -> -1)."""
    sign = -1 if text.startswith("⁻") else 1
    digits = "".join(str(_SUPERSCRIPTS.index(character)) for character in text.lstrip("⁻"))
    return sign * int(digits)


@lru_cache(maxsize=1024)
def _unit_of_name(name: str) -> pint.Unit:
    """Look one unit name up in the registry ("TFLOPS", "tokens", "万张")."""
    if not name.isidentifier():
        raise UnitInputError(None, name, UNIT_EXPECTED, f'"{name}" is not a unit name')
    try:
        return ureg.parse_units(name)
    except pint.UndefinedUnitError as error:
        raise UnitInputError(None, name, UNIT_EXPECTED, _unit_hint(name, error)) from None
    except (pint.PintError, ValueError, TypeError, AttributeError, KeyError, SyntaxError) as error:
        # a single identifier is one token to pint; anything it still dislikes is unknown
        raise UnitInputError(None, name, UNIT_EXPECTED, f"unknown unit: {error}") from None


def _unit_hint(unit_text: str, error: Exception) -> str:
    """Explain the common unit slips (kb, KB, tflops, a lone T) in an error message."""
    lowered = unit_text.lower()
    if lowered in BYTE_SLIPS and unit_text != BYTE_SLIPS[lowered][0]:
        decimal, binary = BYTE_SLIPS[lowered]
        return f"write {decimal} (decimal) or {binary} (binary) for bytes"
    if "flop" in lowered and "FLOP" not in unit_text:
        return "write FLOP (a count, e.g. TFLOP) or FLOPS (a rate, e.g. TFLOPS)"
    return f"unknown unit: {error}"


@dataclass(frozen=True)
class _Reading:
    """The parts of a cell's text, before they become a quantity."""

    number: str
    magnitude: int
    percent: bool
    unit: str
    magnitude_text: str


def _split_cell(text: str, given: str, argument: str | None, letters_are_magnitudes: bool,
                counts: bool = False) -> _Reading:
    """Split folded text into number, magnitude, percent and unit (one linear pass)."""
    number = _NUMBER.match(text).group()
    position = _SPACES.match(text, len(number)).end()
    factor, magnitude_text = 1, ""
    run = _CHINESE_RUN.match(text, position)
    word = _ENGLISH_WORD.match(text, position)
    letter = _ENGLISH_LETTER.match(text, position)
    if run is not None:
        magnitude_text = run.group()
        if magnitude_text not in CHINESE_MAGNITUDE_WORDS:
            raise UnitInputError(argument, given, NUMBER_EXPECTED,
                                 f'"{magnitude_text}" is not a magnitude; use one of 万, 亿, 万亿, 十万, 百万, '
                                 "千万, 十亿, 百亿, 千亿 (small to large)")
        factor = CHINESE_MAGNITUDE_WORDS[magnitude_text]
    elif word is not None:
        magnitude_text = word.group()
        factor = ENGLISH_MAGNITUDE_WORDS[magnitude_text.lower()]
    elif letter is not None and _letter_is_magnitude(text, letter.end(), letters_are_magnitudes,
                                                     letter.group() in LOWERCASE_MAGNITUDE_LETTERS, counts):
        magnitude_text = letter.group()
        factor = ENGLISH_MAGNITUDE_LETTERS.get(magnitude_text) or LOWERCASE_MAGNITUDE_LETTERS[magnitude_text]
    if magnitude_text:
        position = _SPACES.match(text, position + len(magnitude_text)).end()
    percent = text.startswith("%", position)
    if percent:
        position = _SPACES.match(text, position + 1).end()
    unit = text[position:]
    if not any(character.isdigit() for character in number):
        bare_word = number == "" and len(magnitude_text) > 1 and magnitude_text in CHINESE_MAGNITUDE_WORDS
        if not bare_word:
            raise UnitInputError(argument, given, NUMBER_EXPECTED)
    if percent and "%" in unit:
        raise UnitInputError(argument, given, 'a percentage with one "%" sign ("45%" is 0.45)')
    return _Reading(number, factor, percent, unit, magnitude_text)


def _letter_is_magnitude(text: str, end: int, letters_are_magnitudes: bool, lowercase: bool = False,
                         counts: bool = False) -> bool:
    """A letter is a magnitude before a unit name ("1.5T tokens"), or last where counts are read.

    A lowercase m, b or t ("70b") is a magnitude only last, where a count (parameters,
    tokens, FLOP, calls, users) is read.
    """
    if end == len(text):
        return counts if lowercase else letters_are_magnitudes
    return not lowercase and _STARTS_A_NAME.match(text, end) is not None


def _exact_value(reading: _Reading, given: str, argument: str | None) -> float:
    """The number as a float, computed exactly in Decimal; refuse overflow and underflow."""
    try:
        exact = Decimal(reading.number.replace(",", "")) if reading.number else Decimal(1)
    except InvalidOperation:
        raise UnitInputError(argument, given, NUMBER_EXPECTED) from None
    if exact != 0 and exact.adjusted() > MAX_DECIMAL_EXPONENT:
        raise UnitInputError(argument, given, "a finite number", "too large for a float (over 1.8e308)")
    exact *= reading.magnitude
    if reading.percent:
        exact /= PERCENT
    number = float(exact)
    if not math.isfinite(number):
        raise UnitInputError(argument, given, "a finite number", "too large for a float (over 1.8e308)")
    if exact != 0 and abs(number) < sys.float_info.min:
        raise UnitInputError(argument, given, "a number of at least 2.2e-308 in size, or 0",
                             "too small: a float would lose its digits or read it as 0")
    return number


def _parse_text(text: str, default_unit: str | pint.Unit | None, argument: str | None) -> pint.Quantity:
    """Parse one cell's text into a scalar quantity."""
    check_length(text, argument)
    cleaned = normalise_text(text)
    if not cleaned:
        raise UnitInputError(argument, text, NUMBER_EXPECTED, "the cell is empty")
    default = _default_unit(default_unit, argument)
    reading = _split_cell(cleaned, text, argument, _letters_are_magnitudes(default), _is_count(default))
    number = _exact_value(reading, text, argument)
    if reading.unit in ENGLISH_MAGNITUDE_LETTERS and reading.unit not in ureg:
        raise UnitInputError(argument, text, UNIT_EXPECTED, _lone_letter_hint(reading, default))
    if reading.unit:
        if reading.unit.startswith("%"):
            raise UnitInputError(argument, text, NUMBER_EXPECTED, '"%" comes right after the number: "45%"')
        try:
            unit = parse_unit(reading.unit, argument=argument)
        except UnitInputError as error:
            raise UnitInputError(argument, text, error.expected, error.detail) from None
    elif default is not None:
        if reading.magnitude_text and _is_prefixed(default):
            raise UnitInputError(argument, text, f'a unit after "{reading.magnitude_text}", since this value is '
                                 f"kept in {default:~P}, a unit with a magnitude of its own",
                                 f'write "{cleaned} {_unprefixed_example(default)}" or a number of {default:~P}')
        unit = default
    else:
        unit = ureg.dimensionless
    _check_scale(number, unit, text, argument)
    return Quantity(number, unit)


def _lone_letter_hint(reading: _Reading, default: pint.Unit | None) -> str:
    """Say how to write "15T" where a lone letter is not a magnitude (data or no default)."""
    letter, number = reading.unit, reading.number
    if default is not None:  # a data size: the letter was meant as a byte prefix
        prefix = "k" if letter == "K" else letter
        return f'"{letter}" alone is not a unit: write "{number} {prefix}B" for bytes'
    word = next(w for w, f in ENGLISH_MAGNITUDE_WORDS.items() if f == ENGLISH_MAGNITUDE_LETTERS[letter])
    return (f'"{letter}" alone is a magnitude only where a count is expected: write "{number} {word}" '
            f'or give the unit ("{number}{letter} tokens")')


def _default_unit(default_unit: str | pint.Unit | None, argument: str | None) -> pint.Unit | None:
    """The default unit as a pint Unit (None when there is none)."""
    if default_unit is None or isinstance(default_unit, pint.Unit):
        return default_unit
    return parse_unit(default_unit, argument=argument)


def _letters_are_magnitudes(default: pint.Unit | None) -> bool:
    """Whether a lone k/K/M/B/T after a number is a magnitude: a default other than data.

    With no default unit text is read as written ("70B" is 70 bytes, as before); where a
    data size is expected "70B" is 70 bytes; anywhere else (counts, plain numbers,
    rates, money) it is 70e9.
    """
    return default is not None and "[information]" not in default.dimensionality


def _is_count(default: pint.Unit | None) -> bool:
    """Whether the default unit is one plain count (parameter, token, FLOP, call, user)."""
    if default is None:
        return False
    dimensions = dict(default.dimensionality)
    return len(dimensions) == 1 and next(iter(dimensions.items())) in {(name, 1) for name in LOWERCASE_COUNT_DIMENSIONS}


@lru_cache(maxsize=256)
def _is_prefixed(unit: pint.Unit) -> bool:
    """True when a unit carries a prefix (亿parameter, ktoken, TFLOPS/card, TB)."""
    return any(prefix for name in to_units_container(unit) for prefix, _, _ in ureg.parse_unit_name(name))


def _unprefixed_example(unit: pint.Unit) -> str:
    """The unit without its prefixes, to show a spelling that works ("parameters")."""
    parts = [((ureg.parse_unit_name(name) or (("", name, ""),))[0][1], power)
             for name, power in to_units_container(unit).items()]
    numerator = "*".join(name for name, power in parts if power > 0) or "1"
    denominator = "".join(f"/{name}" for name, power in parts if power < 0)
    return numerator + denominator


@lru_cache(maxsize=1024)
def _base_factor(unit: pint.Unit) -> float:
    """How many base units one ``unit`` is (1 TB = 8e12 bit)."""
    return float(ureg.get_base_units(unit)[0])


def _check_scale(magnitude: Any, unit: pint.Unit, given: Any, argument: str | None) -> None:
    """Refuse values that are finite in ``unit`` but overflow in base units (1e300 EB)."""
    factor = _base_factor(unit)
    if isinstance(magnitude, float):
        finite = math.isfinite(magnitude * factor)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            finite = bool(np.all(np.isfinite(np.asarray(magnitude, dtype=float) * factor)))
    if not finite:
        raise UnitInputError(argument, given, "a finite number",
                             f"too large: over 1.8e308 {ureg.get_base_units(unit)[1]:~P} in base units")


def Q(value: QuantityLike, default_unit: str | pint.Unit | None = None, *,
      argument: str | None = None) -> pint.Quantity:
    """Return ``value`` as a pint quantity of flopsheet's registry.

    Parameters
    ----------
    value : str, number, numpy array, pint.Quantity or sequence of these
        Text as typed in a cell ("30 TB", "2000亿 parameters", "30.2%", "13,793",
        "70B"), a plain number (read in ``default_unit``), or a quantity (returned
        unchanged). Text is at most :data:`MAX_CELL_TEXT` characters.
    default_unit : str, optional
        Unit of bare numbers; dimensionless when omitted. It also decides what a lone
        letter after a number means: where the default is not a data unit, k/K, M, B
        and T are magnitudes (``Q("70B", "parameter")`` is 7e10 parameter); with a
        data default or none, "70B" is 70 bytes. A magnitude before a unit always
        counts ("1.5T tokens"), and so do the words ("70 billion", "70bn").
    argument : str, optional
        The argument name used in error messages.

    Returns
    -------
    pint.Quantity
        Never infinite or NaN.

    Raises
    ------
    UnitInputError
        Text that is not a quantity, an empty cell, NaN, infinity or overflow, an
        unknown unit, text over :data:`MAX_CELL_TEXT` characters.

    Examples
    --------
    >>> Q("2000亿 parameters")
    <Quantity(2e+11, 'parameter')>
    >>> print(Q("1.38万张").to("card"))
    13800 card
    >>> Q("30.2%")
    <Quantity(0.302, 'dimensionless')>
    >>> Q("13,793", "card")
    <Quantity(13793.0, 'card')>
    >>> Q("70B", "parameter"), Q("70B")
    (<Quantity(7e+10, 'parameter')>, <Quantity(70.0, 'byte')>)
    >>> Q("1.5T tokens")
    <Quantity(1.5e+12, 'token')>
    >>> Q("30 tokenz")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: expected a known unit, got "30 tokenz"; unknown unit: 'tokenz' is not defined in the unit registry
    >>> Q("1e500")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: expected a finite number, got "1e500"; too large for a float (over 1.8e308)
    """
    if isinstance(value, pint.Quantity):
        if value._REGISTRY is not ureg:
            raise UnitInputError(argument, value, "a quantity of flopsheet's registry (flopsheet.Q)")
        _check_finite(value.magnitude, value, argument)
        _check_scale(value.magnitude, value.units, value, argument)
        return value
    if isinstance(value, str):
        return _parse_text(value, default_unit, argument)
    if value is None:
        raise UnitInputError(argument, "", NUMBER_EXPECTED, "the cell is empty")
    if isinstance(value, (bool, np.bool_)):
        raise UnitInputError(argument, value, "a number or a quantity, not TRUE/FALSE")
    if isinstance(value, (numbers.Real, Decimal, np.integer, np.floating)):
        unit = _default_unit(default_unit, argument) or ureg.dimensionless
        number = _finite_float(value, value, argument)
        _check_scale(number, unit, value, argument)
        return Quantity(number, unit)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        unit = _default_unit(default_unit, argument) or ureg.dimensionless
        array = value.astype(float)
        _check_finite(array, value, argument)
        _check_scale(array, unit, value, argument)
        return Quantity(array, unit)
    if isinstance(value, (list, tuple, np.ndarray)):
        return _stack(value, default_unit, argument)
    raise UnitInputError(argument, value, "a number, text or a pint quantity")


def _finite_float(value: Any, given: Any, argument: str | None) -> float:
    """A plain number as a finite float, or UnitInputError (NaN, infinity, 10**400)."""
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        number = math.inf
    if not math.isfinite(number):
        raise UnitInputError(argument, given, "a finite number", "NaN, infinity or over 1.8e308")
    return number


def _stack(values: Iterable[Any], default_unit: str | pint.Unit | None, argument: str | None) -> pint.Quantity:
    """Parse a (nested) sequence of cells into one array quantity in the first cell's unit."""
    try:
        array = np.asarray(values, dtype=object)
    except ValueError:
        raise UnitInputError(argument, "a ragged range", "rows of equal length") from None
    cells = [Q(cell, default_unit, argument=argument) for cell in array.ravel()]
    if not cells:
        raise UnitInputError(argument, "[]", "at least one value", "the range is empty")
    if any(np.ndim(cell.magnitude) for cell in cells):
        raise UnitInputError(argument, "a range of ranges", "one value per cell")
    unit = cells[0].units
    magnitudes = []
    for cell in cells:
        try:
            magnitudes.append(cell.to(unit).magnitude)
        except pint.DimensionalityError:
            raise UnitInputError(argument, f"{cell.magnitude} {cell.units:~P}",
                                 f"values of one dimension like {cells[0].magnitude} {cells[0].units:~P}") from None
    return Quantity(np.asarray(magnitudes, dtype=float).reshape(array.shape), unit)


def _check_finite(magnitude: Any, given: Any, argument: str | None) -> None:
    """Reject NaN and infinities."""
    if isinstance(magnitude, (numbers.Real, np.integer, np.floating)) and not isinstance(magnitude, bool):
        _finite_float(magnitude, given, argument)
    elif isinstance(magnitude, np.ndarray) and magnitude.dtype.kind == "f":
        if not np.all(np.isfinite(magnitude)):
            raise UnitInputError(argument, given, "finite numbers", "NaN or infinity in the range")
