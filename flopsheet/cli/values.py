"""The command line's one bare-number rule (``--set``, ``--vary`` and the quick commands).

A bare number (``105``, ``2000亿``, ``13,793``) on the command line is accepted only
for count and plain-number inputs: units made only of parameter, token, word, char,
hanzi, card, user, call and FLOP counts, or dimensionless fractions. An input whose
unit involves time, data, rates, money or power needs its unit, and the message says
where the model keeps it and shows a spelling that works::

    duration needs a unit; this model keeps it in month: write "105 days" or "3.45 months"

Python and Excel keep reading bare numbers in their default units: the rule is the
command line's, where a spec's unit (months) and a user's habit (days) meet unseen.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from ..units import InputError, MissingUnitError, Q
from ..workbooks.model.spec import ModelSpec, load_spec  # noqa: F401 - load_spec for the doctests
from ..workbooks.model.unit_choices import unit_of

#: Dimensions a bare number may stand for: counts (FLOP is a count of operations).
COUNT_DIMENSIONS = frozenset({"[compute]", "[parameter]", "[token]", "[word]", "[char]", "[hanzi]", "[card]",
                              "[user]", "[call]"})
#: Everyday units of a dimension, for the spelling a message suggests: the model's own
#: unit when it is one of these, else the first ("105 days" for a model kept in months).
EVERYDAY_UNITS: tuple[tuple[str, ...], ...] = (
    ("day", "hour", "minute", "second", "week", "year"),
    ("TB", "GB", "MB", "kB", "B", "PB", "TiB", "GiB", "MiB", "KiB"),
)
#: How these units read after a number other than 1 ("105 days").
PLURALS: dict[str, str] = {"day": "days", "hour": "hours", "minute": "minutes", "second": "seconds",
                           "week": "weeks", "month": "months", "year": "years"}
#: A unit no range text is written in, to find out whether a range's ends carry their own.
PROBE_UNIT = "hanzi/user"
#: Significant digits of a converted number in a suggestion ("3.45 months").
SUGGESTION_DIGITS = 3


def counts_only(unit: str) -> bool:
    """True when ``unit`` is made only of counts and plain numbers, so a bare number may stand for it.

    Examples
    --------
    >>> counts_only("parameter"), counts_only("FLOP/parameter/token"), counts_only("")
    (True, True, True)
    >>> counts_only("month"), counts_only("TFLOPS/card"), counts_only("USD/card/hour"), counts_only("call/day")
    (False, False, False, False)
    """
    return all(dimension in COUNT_DIMENSIONS for dimension in unit_of(unit).dimensionality)


def is_bare(text: str) -> bool:
    """True for text that is a number without a unit ("105", "2000亿", "13,793").

    Text that does not parse is not bare: the reader of the value reports it.
    """
    try:
        return bool(Q(text).dimensionless) and not text.strip().endswith("%")
    except InputError:
        return False


def _unit_word(unit: str, number: float) -> str:
    """The unit as it reads after ``number`` ("days" after 105, "TB" after 30)."""
    return PLURALS.get(unit, unit) if number != 1 else unit


def _number_text(number: float) -> str:
    """A number rounded to three significant digits, without an exponent below 1e15."""
    rounded = float(f"{number:.{SUGGESTION_DIGITS}g}")
    return f"{rounded:,.15g}" if abs(rounded) < 1e15 else f"{rounded:.{SUGGESTION_DIGITS}g}"


def everyday_unit(unit: str) -> str:
    """The unit a suggestion writes a number in: ``unit`` itself when it is an everyday one ("hour"), else
    its dimension's first everyday unit ("day" for "month"), else ``unit``."""
    dimensionality = unit_of(unit).dimensionality
    for group in EVERYDAY_UNITS:
        if unit_of(group[0]).dimensionality == dimensionality:
            return unit if unit in group else group[0]
    return unit


def spellings(number: float, unit: str) -> list[str]:
    """How to write a bare ``number`` meant for an input kept in ``unit``.

    The number in the dimension's everyday unit and, when the model keeps another,
    the same value in the model's unit.

    Examples
    --------
    >>> spellings(105, "month")
    ['105 days', '3.45 months']
    >>> spellings(12, "hour"), spellings(30, "TB"), spellings(2, "USD/card/hour")
    (['12 hours'], ['30 TB'], ['2 USD/card/hour'])
    """
    everyday = everyday_unit(unit)
    written = [f"{_number_text(number)} {_unit_word(everyday, number)}"]
    if everyday != unit:
        converted = float(Q(number, everyday).to(unit_of(unit)).magnitude)
        written.append(f"{_number_text(converted)} {_unit_word(unit, converted)}")
    return written


def _quoted(texts: list[str]) -> str:
    return " or ".join(f'"{text}"' for text in texts)


def require_unit(name: str, text: str, unit: str, where: str = "this model keeps it in", also: str = "") -> None:
    """Raise MissingUnitError when ``text`` is a bare number for an input kept in a non-count ``unit``.

    ``also`` names another accepted spelling (a peak's catalogue reference).

    Examples
    --------
    >>> require_unit("duration", "105", "month")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.MissingUnitError: duration needs a unit; this model keeps it in month: write "105 days" or "3.45 months"
    >>> require_unit("params", "2000亿", "parameter")  # a count: fine
    """
    if counts_only(unit) or not is_bare(text):
        return
    number = float(Q(text).magnitude)
    suggestion = _quoted(spellings(number, unit)) + (f" or {also}" if also else "")
    raise MissingUnitError(name, text, f"{where} {unit}: write {suggestion}")


def check_assignments(spec: ModelSpec, assignments: Mapping[str, str]) -> None:
    """Apply the rule to ``--set NAME=VALUE`` texts of a model's inputs (other names are left to the reader)."""
    inputs = {item.name: item for item in spec.inputs}
    for name, text in assignments.items():
        if name in inputs:
            item = inputs[name]
            also = '"A100 tf32" (a catalogue card)' if item.kind == "peak" else ""
            require_unit(name, text, item.unit, also=also)


def range_parts(text: str) -> tuple[str, str, str]:
    """Split ``START..STOP[:STEP]`` into its three texts (STEP "" when absent)."""
    start, _, rest = text.partition("..")
    stop, _, step = rest.partition(":")
    return start, stop, step


def check_ranges(spec: ModelSpec, ranges: Mapping[str, str]) -> None:
    """Apply the rule to ``--vary NAME=START..STOP[:STEP]``: START must carry the unit (it sets the axis's).

    The message shows the whole range in the everyday unit and in the model's.
    """
    inputs = {item.name: item for item in spec.inputs}
    for name, text in ranges.items():
        item = inputs.get(name)
        parts = range_parts(text)
        if item is None or counts_only(item.unit) or not is_bare(parts[0]):
            continue
        texts = [part.strip() for part in parts if part.strip()]
        if len(texts) < 2:
            continue  # not a range: the sweep's own reader says what a range looks like
        everyday, kept = [], []
        for part in texts:
            forms = spellings(float(Q(part).magnitude), item.unit) if is_bare(part) else [part]
            everyday.append(forms[0])
            kept.append(forms[-1])
        written = [f"{forms[0]}..{forms[1]}" + (f":{forms[2]}" if len(forms) > 2 else "") for forms in (everyday, kept)]
        raise MissingUnitError(f"--vary {name}", text,
                               f"this model keeps it in {item.unit}: write {_quoted(list(dict.fromkeys(written)))}")


def _unit_in_context(text: str, unit: str, probed: Any) -> bool:
    """True when the range's letters are a unit in the input's own context: "1..2 B" for bytes is the byte.

    The probe unit is a count, where "B" reads as billion; read in the input's unit the
    same text gives other ends (1..2 byte, not 1e9..2e9), so the ends carry a unit.
    """
    from ..units.ranges import parse_distribution

    try:
        own = parse_distribution(text, unit)
    except InputError:
        return False
    return (own.low, own.high) != (probed.low, probed.high)


def check_distributions(spec: ModelSpec, ranges: Mapping[str, str]) -> None:
    """Apply the rule to ``simulate --range NAME=TEXT``: a range whose ends carry no unit needs one.

    ``"90..120"`` for Table 5's duration would be months; ``"90..120 days"`` says what
    it means. Text that does not read as a range is left to the simulation's reader.

    Examples
    --------
    >>> check_distributions(load_spec("table5_kimi_training"), {"duration": "lognormal 90% CI 60..180"})
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.MissingUnitError: --range duration needs a unit; this model keeps it in month: write it after the ends, e.g. "lognormal 90% CI 60..180 days"
    """
    from ..units.ranges import parse_distribution

    inputs = {item.name: item for item in spec.inputs}
    for name, text in ranges.items():
        item = inputs.get(name)
        if item is None or counts_only(item.unit):
            continue
        try:  # ends without a unit take the default one: a probe unit shows whether they have their own
            probed = parse_distribution(text, PROBE_UNIT)
        except InputError:
            continue
        if probed.unit == unit_of(PROBE_UNIT) and not _unit_in_context(text, item.unit, probed):
            example = f"{text.strip()} {PLURALS.get(everyday_unit(item.unit), everyday_unit(item.unit))}"
            raise MissingUnitError(f"--range {name}", text,
                                   f'this model keeps it in {item.unit}: write it after the ends, e.g. "{example}"')


# --- shared by the command families ---------------------------------------------------

#: Exit code of a command that succeeded.
EXIT_OK = 0

HELP_FORMAT = argparse.RawDescriptionHelpFormatter


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output (default table)")
