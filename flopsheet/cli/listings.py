"""What ``flopsheet cards`` and ``flopsheet units`` list, read from the catalogue and the unit definitions.

Nothing here is a hand-kept list: the cards come from :func:`flopsheet.formulas.catalogue`
(the built-in file plus the user's), the units from ``units/definitions.txt`` (the one
place units are defined) through the registry, the magnitudes and refused spellings
from :mod:`flopsheet.units.parse`.
"""

from __future__ import annotations

import re
from typing import Any

import pint

from ..formulas.catalogues.cards import PRECISIONS, Accelerator, catalogue, key
from ..units import DEFINITIONS_FILE, UnknownNameError, ureg  # noqa: F401 - ureg for per-card fields
from ..units.format import unit_text
from ..units.parse import BYTE_SLIPS, CHINESE_MAGNITUDE_WORDS, ENGLISH_MAGNITUDE_LETTERS, ENGLISH_MAGNITUDE_WORDS
from ..workbooks.model.unit_choices import dimension_text
from ..workbooks.outputs.formats import format_value
from ..workbooks.outputs.text_table import render_table

#: Precision of the peak columns when none is asked for.
DEFAULT_PRECISION = "bf16"
#: Unit of the peak columns (int8 figures are TOPS: the same scale, OP = FLOP).
PEAK_UNIT = "TFLOPS/card"
#: JSON units of the per-card fields.
FIELD_UNITS: dict[str, str] = {"memory": "GB/card", "bandwidth": "GB/s/card", "tdp": "W/card"}
#: Significant digits of a converted field in JSON (3.35 TB/s is 3350 GB/s, not 3350.0000000000005).
JSON_DIGITS = 12
#: Characters of a source shown in the text listing (JSON has it whole).
SOURCE_WIDTH = 60


# --- cards ---------------------------------------------------------------------------


def _checked_precision(precision: str | None) -> str | None:
    if precision is None:
        return None
    if key(precision) not in PRECISIONS:
        raise UnknownNameError("--precision", precision, ", ".join(PRECISIONS), "precision")
    return key(precision)


def _stated(quantity: pint.Quantity | None) -> str:
    """A per-card field as the vendor states it ("80 GB", "32 GiB", "3.35 TB/s"), "" when unknown."""
    if quantity is None:
        return ""
    per_card = quantity * ureg.Quantity(1, "card")
    return f"{per_card.magnitude:g} {unit_text(per_card)}"


def _peak(table: dict[str, pint.Quantity], precision: str) -> float | None:
    return float(table[precision].to(PEAK_UNIT).magnitude) if precision in table else None


def _selected(precision: str | None) -> list[Accelerator]:
    records = list(catalogue().values())
    return records if precision is None else [record for record in records if precision in record.dense]


def render_cards(precision: str | None = None) -> str:
    """The catalogue as a text table: dense and sparse peaks at one precision, memory, bandwidth, TDP, source."""
    chosen = _checked_precision(precision)
    shown = chosen or DEFAULT_PRECISION
    rows = []
    for record in _selected(chosen):
        dense, sparse = _peak(record.dense, shown), _peak(record.sparse, shown)
        source = record.source if len(record.source) <= SOURCE_WIDTH else record.source[:SOURCE_WIDTH - 3] + "..."
        rows.append((record.name, record.vendor, format_value(dense), format_value(sparse), _stated(record.memory),
                     _stated(record.bandwidth), _stated(record.tdp), source))
    header = ("card", "vendor", f"{shown} dense (TFLOPS)", f"{shown} sparse", "memory", "bandwidth", "TDP", "source")
    missing = [] if chosen else [record.name for record in _selected(None) if shown not in record.dense]
    text = render_table(header, rows, align="<<>><<><") + "\n"
    if missing:
        text += f"\nno {shown} figure: {', '.join(missing)} (flopsheet cards --precision fp16)\n"
    return text + "\nPeaks per card; sparse = 2:4 structured sparsity, never a default. --format json has every " \
                  "precision and the full sources.\n"


def card_records(precision: str | None = None) -> list[dict[str, Any]]:
    """The catalogue as JSON records (docs/guides/command-line.md: "flopsheet cards").

    Peaks in TFLOPS per card (``dense``/``sparse``: precision -> number, only
    ``precision`` when given), ``memory_GB``, ``bandwidth_GB_per_s``, ``tdp_W`` (null
    when unpublished), ``source``, ``sources`` (per field), ``note``, ``origin``.
    """
    chosen = _checked_precision(precision)
    records = []
    for record in _selected(chosen):
        wanted = [chosen] if chosen else list(record.dense)
        records.append({
            "name": record.name, "aliases": list(record.aliases), "vendor": record.vendor, "variant": record.variant,
            "released": record.released,
            "dense": {p: _peak(record.dense, p) for p in wanted if p in record.dense},
            "sparse": {p: _peak(record.sparse, p) for p in (wanted if chosen else record.sparse) if p in record.sparse},
            **{f"{name}_{unit.split('/card')[0].replace('/', '_per_')}": _field(record, name, unit)
               for name, unit in FIELD_UNITS.items()},
            "source": record.source, "source_date": record.source_date, "sources": dict(record.sources),
            "note": record.note, "origin": record.origin})
    return records


def _field(record: Accelerator, name: str, unit: str) -> float | None:
    value = getattr(record, name)
    return None if value is None else float(f"{value.to(unit).magnitude:.{JSON_DIGITS}g}")


# --- units ---------------------------------------------------------------------------

#: What each dimension is called in the listing (pint's dimensionality text -> words).
DIMENSION_NAMES: dict[str, str] = {
    "[compute]": "compute (a count of operations)", "[compute] / [time]": "compute rate",
    "[information]": "data", "[time]": "time", "[card] * [time]": "card time",
    "[length] ** 2 * [mass] / [time] ** 3": "power", "[length] ** 2 * [mass] / [time] ** 2": "energy",
    "[length]": "length (defines power)", "[mass]": "mass (defines power)",
    "[currency_USD]": "money, USD", "[currency_CNY]": "money, CNY (separate from USD)",
    "dimensionless": "plain numbers and fractions",
}
#: A unit definition line of definitions.txt: ``name = definition [= symbol] [= alias ...]``.
_DEFINITION = re.compile(r"^(?P<name>[^\s=#-][^\s=]*)\s*=\s*(?P<rest>.+)$")


def _definitions() -> list[tuple[str, list[str]]]:
    """Each unit of definitions.txt with its symbol and aliases, in file order (prefixes apart)."""
    units = []
    for line in DEFINITIONS_FILE.read_text(encoding="utf-8").splitlines():
        match = _DEFINITION.match(line.split("#", 1)[0].strip())
        if match is None or match.group("name").endswith("-"):
            continue
        spellings = [part.strip() for part in match.group("rest").split("=")[1:]]
        units.append((match.group("name"), [spelling for spelling in spellings if spelling and spelling != "_"]))
    return units


def _prefixes() -> list[str]:
    """The prefixes of definitions.txt ("kilo- = 1e3 = k-" -> "k (1e3)")."""
    shown = []
    for line in DEFINITIONS_FILE.read_text(encoding="utf-8").splitlines():
        parts = [part.strip() for part in line.split("#", 1)[0].split("=")]
        if len(parts) >= 2 and parts[0].endswith("-"):
            symbols = [part.rstrip("-") for part in parts[2:] if part.endswith("-")] or [parts[0].rstrip("-")]
            shown.append(f"{symbols[0]} ({parts[1]})")
    return shown


def _dimension_name(unit: str) -> str:
    text = dimension_text(unit)
    if text in DIMENSION_NAMES:
        return DIMENSION_NAMES[text]
    return text.strip("[]") if text.count("[") == 1 else text


def unit_listing() -> dict[str, Any]:
    """What a user may type, as JSON: units by dimension, prefixes, magnitudes, refused spellings."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for name, spellings in _definitions():
        groups.setdefault(_dimension_name(name), []).append({"unit": name, "also": spellings})
    refused = [{"text": slip, "write": f"{decimal} (decimal) or {binary} (binary)"}
               for lowered, (decimal, binary) in BYTE_SLIPS.items() for slip in (lowered, lowered.upper())
               if slip != decimal]
    refused.append({"text": "tflops", "write": "TFLOP (a count) or TFLOPS (a rate)"})
    return {
        "dimensions": [{"dimension": dimension, "units": units} for dimension, units in groups.items()],
        "prefixes": _prefixes(),
        "magnitudes": {"chinese": dict(sorted(CHINESE_MAGNITUDE_WORDS.items(), key=lambda item: item[1])),
                       "english_words": dict(ENGLISH_MAGNITUDE_WORDS),
                       "english_letters_for_counts": dict(ENGLISH_MAGNITUDE_LETTERS)},
        "percent": "30.2% = 0.302",
        "refused": refused,
    }


def render_units() -> str:
    """The unit listing as text, one dimension per line."""
    listing = unit_listing()
    rows = [(group["dimension"], ", ".join(unit["unit"] + (f" ({' '.join(unit['also'])})" if unit["also"] else "")
                                           for unit in group["units"]))
            for group in listing["dimensions"]]
    magnitudes = listing["magnitudes"]
    chinese = ", ".join(f"{word} 1e{len(str(factor)) - 1}" for word, factor in magnitudes["chinese"].items())  # 10**n
    english = ", ".join(magnitudes["english_words"])
    letters = ", ".join(magnitudes["english_letters_for_counts"])
    lines = [render_table(("dimension", "units (aliases)"), rows), "",
             f"prefixes: {', '.join(listing['prefixes'])}",
             f"Chinese magnitudes: {chinese} (2000亿, 4.9万亿 tokens)",
             f"English magnitudes: {english} (70 billion); {letters} where a count is expected (70B parameters, "
             "15T tokens, 32k; 70B alone is 70 bytes where data is expected)",
             f"percent: {listing['percent']}; thousands separators: 13,793",
             "refused (ambiguous): " + ", ".join(f"{item['text']} -> {item['write']}" for item in listing["refused"]),
             "Every unit is defined in units/definitions.txt; bare numbers on the command line only for counts."]
    return "\n".join(lines) + "\n"
