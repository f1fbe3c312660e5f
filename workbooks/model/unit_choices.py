"""The units a template offers in its unit dropdowns, and their conversion factors.

Every unit text here must parse with :func:`flopsheet.units.parse_unit` (so a value
and unit read back from a workbook, "35 TiB", is valid ``flopsheet.Q`` input). A
dropdown offers the units of one dimension; the ``Units`` sheet lists, per unit, the
factor to the registry's base unit of that dimension (``TB`` -> 8e12 bit, ``month``
-> 2,629,800 s), computed by pint from ``units/definitions.txt``.

Excel's MATCH ignores case and treats ``* ? ~`` as wildcards: no two texts may differ
only in case, and none may contain a wildcard (both checked by the tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pint
from pint.util import UnitsContainer

from ...units import parse_unit

#: Unit texts offered in dropdowns, one group per dimension, in display order.
UNIT_CHOICES: tuple[tuple[str, ...], ...] = (
    ("s", "min", "hour", "day", "week", "month", "year"),
    ("B", "kB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "PiB"),
    ("FLOP", "TFLOP", "PFLOP", "EFLOP"),
    ("FLOPS", "TFLOPS", "PFLOPS", "EFLOPS", "FLOP/day", "TFLOP/day", "PFLOP/day", "EFLOP/day"),
    ("FLOPS/card", "TFLOPS/card", "PFLOPS/card"),
    ("parameter", "万parameter", "亿parameter"),
    ("token", "ktoken", "Mtoken", "万token", "亿token", "万亿token"),
    ("hanzi", "万hanzi"),
    ("char",),
    ("word",),
    ("card", "万card"),
    ("user", "万user"),
    ("call/day", "万call/day"),
    ("call/user/day",),
    ("byte/char",),
    ("char/word",),
    ("word/token",),
    ("hanzi/token",),
    ("FLOP/parameter/token",),
    ("CNY/Mtoken", "CNY/ktoken"),
    ("USD/Mtoken", "USD/ktoken"),
    ("CNY/USD",),
    # scenario models (seeds 000-004): token volumes, money, power, users
    ("token/day", "万token/day", "亿token/day", "万亿token/day", "token/week", "万亿token/week", "token/month",
     "万亿token/month"),
    ("token/s/card", "token/hour/card", "Mtoken/day/card"),
    ("FLOP/token", "TFLOP/token"),
    ("USD", "万USD", "亿USD"),
    ("CNY", "万CNY", "亿CNY"),
    ("USD/card",),
    ("CNY/card",),
    ("USD/card/hour", "USD/card/day"),
    ("CNY/card/hour", "CNY/card/day"),
    ("CNY/user",),
    ("user/day", "万user/day"),
    ("CNY/day", "万CNY/day", "亿CNY/day", "CNY/year", "万CNY/year", "亿CNY/year"),
    ("W/card", "kW/card"),
    ("W", "kW", "MW", "GW"),
)
#: Notes shown beside a unit on the Units sheet.
UNIT_NOTES: dict[str, str] = {
    "month": "pint's month: 1/12 Julian year = 30.4375 days (not 30); 3 months = 91.3125 days",
    "year": "Julian year = 365.25 days",
    "TB": "decimal: 1e12 bytes",
    "TiB": "binary: 2^40 bytes",
    "kB": "decimal: 1000 bytes (KB and kb are deliberately not offered)",
    "KiB": "binary: 1024 bytes",
    "万parameter": "万 = 1e4", "亿parameter": "亿 = 1e8", "万亿token": "万亿 = 1e12",
}


@dataclass(frozen=True)
class UnitRow:
    """One line of the Units sheet: a unit, its dimension and factor to the base unit."""

    unit: str
    dimension: str
    factor: float
    base: str
    note: str


def unit_of(text: str) -> pint.Unit:
    """Parse a unit text ("" is dimensionless)."""
    return parse_unit(text) if text else parse_unit("dimensionless")


@lru_cache(maxsize=512)
def factor(text: str) -> float:
    """Return the factor from ``text`` to the base unit of its dimension (TB -> 8e12)."""
    return float((1 * unit_of(text)).to_base_units().magnitude)


@lru_cache(maxsize=512)
def base_unit(text: str) -> str:
    """Return the base unit text of a unit's dimension ("TB" -> "bit")."""
    return f"{(1 * unit_of(text)).to_base_units().units:~P}" or "1"


def dimension_text(text: str) -> str:
    """Return the dimension of a unit as pint writes it ("[time]"), in a canonical order.

    pint caches a unit's dimensionality in the order it first derived it, so the same
    unit can print as ``[compute] / [time] / [card]`` or ``[compute] / [card] /
    [time]`` depending on what was computed before; templates must not depend on that,
    so the dimensions are sorted by name (numerator first, as pint writes them).

    Examples
    --------
    >>> dimension_text("TFLOPS/card"), dimension_text("USD/card/day")
    ('[compute] / [card] / [time]', '[currency_USD] / [card] / [time]')
    """
    dimensionality = unit_of(text).dimensionality
    return str(UnitsContainer(dict(sorted(dict(dimensionality).items())))) or "dimensionless"


def choices(text: str) -> tuple[str, ...]:
    """Return the dropdown choices for a unit: every listed unit of its dimension.

    A unit not listed is offered alone (plus its dimension's listed units).
    """
    dimensionality = unit_of(text).dimensionality
    for group in UNIT_CHOICES:
        if unit_of(group[0]).dimensionality == dimensionality:
            return group if text in group else (text, *group)
    return (text,)


def matching_choice(unit: pint.Unit, options: Iterable[str]) -> str | None:
    """Return the option that spells ``unit`` ("d" matches "day"), or None."""
    for option in options:
        if unit_of(option) == unit:
            return option
    return None


def unit_rows(units: Iterable[str]) -> list[UnitRow]:
    """Return the Units-sheet rows for the dimensions of ``units`` (each unit once)."""
    seen: dict[str, None] = {}
    for text in units:
        if text:
            for option in choices(text):
                seen.setdefault(option, None)
    return [UnitRow(text, dimension_text(text), factor(text), base_unit(text), UNIT_NOTES.get(text, ""))
            for text in seen]


def is_dimensionless(text: Any) -> bool:
    """True for the empty unit text (fractions such as utilization)."""
    return text == ""
