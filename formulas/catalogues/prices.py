"""The price and power catalogue (``catalogues/data/prices.toml``) and the files users add to it.

Every number of cluster economics (a server's price and power, a switch, a module, a
cable, facility cost per MW, electricity, PUE, rental prices...) is one ``[[item]]``
with a value, a low and a high, a source and a date (schema in the file's header). The
``kind`` of an item fixes its dimension, so "USD/card" cannot stand where "USD/server"
is meant, nor "USD/card_hour" where "USD/card/year" is.

Users extend it like the card catalogue: :func:`load_prices` (or the environment
variable ``FLOPSHEET_PRICES=FILE``) reads a TOML file of the same schema, untrusted:
at most :data:`MAX_PRICES_BYTES`, TOML only, every key checked; an item whose kind and
variant exist already is refused unless it says ``override = true``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pint

from ...units import CatalogueError, InputError, Q, UnknownNameError
from .cards import read_toml_tables

PRICES_FILE = Path(__file__).resolve().parent / "data" / "prices.toml"
PRICES_ENV = "FLOPSHEET_PRICES"
MAX_PRICES_BYTES = 256 * 1024
MAX_ITEMS = 1000
MAX_TEXT = 2000
PRICES_EXPECTED = "a usable price catalogue (TOML, the schema of formulas/catalogues/data/prices.toml)"
#: Each kind and a unit that fixes its dimension (``currency`` stands for USD or CNY).
KINDS: dict[str, str] = {
    "server_price": "currency/server", "server_power": "kW/server", "server_cards": "card/server",
    "scale_up_switches": "switch/server", "scale_up_cables": "cable/server",
    "switch_price": "currency/switch", "switch_power": "W/switch",
    "transceiver_price": "currency/module", "transceiver_power": "W/module", "cable_price": "currency/cable",
    "facility_price": "currency/MW", "electricity_price": "currency/kWh", "pue": "dimensionless",
    "storage_share": "dimensionless", "operations_share": "1/year", "depreciation_life": "year",
    "cost_of_capital": "1/year", "rental_price": "currency/card_hour",
}
CURRENCIES: tuple[str, ...] = ("USD", "CNY")
_KEYS = frozenset({"kind", "variant", "value", "low", "high", "source", "source_date", "note", "override"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PriceItem:
    """One catalogue number with its range and source."""

    kind: str
    variant: str
    value: pint.Quantity
    low: pint.Quantity
    high: pint.Quantity
    source: str
    source_date: str
    note: str = ""
    origin: str = "built-in"


def variant_key(text: str) -> str:
    """Normalise a variant ("H100 SXM" -> "h100sxm", "800 G" -> "800g")."""
    return re.sub(r"[\s\-_]+", "", text).lower()


def dimension_matches(quantity: pint.Quantity, unit: str) -> bool:
    """True when ``quantity`` has the dimension of ``unit`` (``currency`` = USD or CNY)."""
    if "currency" not in unit:
        return quantity.dimensionality == Q(1, unit).dimensionality
    return any(quantity.dimensionality == Q(1, unit.replace("currency", money)).dimensionality
               for money in CURRENCIES)


class _Fault(Exception):
    """A problem in one item."""


def _text(raw: Mapping[str, Any], name: str, required: bool = True) -> str:
    value = raw.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT or _CONTROL.search(value):
        raise _Fault(f"{name!r} must be one line of text of at most {MAX_TEXT} characters, got {str(value)[:60]!r}")
    return value.strip()


def _quantity(raw: Mapping[str, Any], name: str, kind: str) -> pint.Quantity:
    text = raw.get(name)
    if not isinstance(text, str):
        raise _Fault(f"{name!r} must be a quantity text with its unit, e.g. \"{KINDS[kind]}\", got {str(text)[:60]!r}")
    try:
        quantity = Q(text, argument=name)
    except InputError as error:
        raise _Fault(str(error)) from None
    if not dimension_matches(quantity, KINDS[kind]):
        raise _Fault(f"{name} {text!r} is not in {KINDS[kind]} (the unit of kind {kind!r})")
    if not float(quantity.magnitude) > 0:
        raise _Fault(f"{name} {text!r} must be greater than 0")
    return quantity


def _item(raw: Any, origin: str) -> tuple[PriceItem, bool]:
    if not isinstance(raw, dict):
        raise _Fault("each [[item]] must be a table")
    extra = sorted(set(raw) - _KEYS)
    if extra:
        raise _Fault(f"unknown key(s) {', '.join(str(k)[:30] for k in extra)}; allowed: {', '.join(sorted(_KEYS))}")
    kind = _text(raw, "kind")
    if kind not in KINDS:
        raise _Fault(f"unknown kind {kind[:40]!r}; known: {', '.join(KINDS)}")
    override = raw.get("override", False)
    if not isinstance(override, bool):
        raise _Fault("'override' must be true or false")
    value, low, high = (_quantity(raw, name, kind) for name in ("value", "low", "high"))
    if not low.to(value.units) <= value <= high.to(value.units):
        raise _Fault(f"low <= value <= high must hold, got {raw['low']!r}, {raw['value']!r}, {raw['high']!r}")
    item = PriceItem(kind, _text(raw, "variant"), value, low.to(value.units), high.to(value.units),
                     _text(raw, "source"), _text(raw, "source_date"), _text(raw, "note", required=False), origin)
    return item, override


def _error(origin: str, reason: str) -> CatalogueError:
    return CatalogueError("prices", origin, PRICES_EXPECTED, reason)


def read_prices_file(path: str | Path, origin: str | None = None) -> list[tuple[PriceItem, bool]]:
    """Read and check one price file; return its items with their override flags.

    Raises
    ------
    CatalogueError
        Not .toml, unreadable, too large, not TOML, or an item that breaks the schema.
    """
    origin, items = read_toml_tables(path, origin, what="prices", noun="a price catalogue",
                                     expected=PRICES_EXPECTED, max_bytes=MAX_PRICES_BYTES, table="item",
                                     max_tables=MAX_ITEMS, plural="items", error=_error)
    read = []
    for number, raw in enumerate(items, start=1):
        try:
            read.append(_item(raw, origin))
        except _Fault as fault:
            raise _error(origin, f"item #{number}: {fault}") from None
    return read


def _merge(base: dict[tuple[str, str], PriceItem], extra: list[tuple[PriceItem, bool]], origin: str
           ) -> dict[tuple[str, str], PriceItem]:
    merged = dict(base)
    for item, override in extra:
        where = (item.kind, variant_key(item.variant))
        if where in merged and not override:
            raise _error(origin, f"{item.kind} {item.variant!r} exists already (from {merged[where].origin}); "
                                 "set override = true to replace it")
        merged[where] = item
    return merged


_LOADED: list[str] = []


@lru_cache(maxsize=8)
def _catalogue(loaded: tuple[str, ...], environment: str) -> dict[tuple[str, str], PriceItem]:
    items = _merge({}, read_prices_file(PRICES_FILE, "built-in"), "built-in")
    for path in ((environment,) if environment else ()) + loaded:
        items = _merge(items, read_prices_file(path), path)
    return items


def price_catalogue() -> dict[tuple[str, str], PriceItem]:
    """Every item, keyed by (kind, normalised variant): the built-in file, then user files."""
    return _catalogue(tuple(_LOADED), os.environ.get(PRICES_ENV, ""))


def load_prices(path: str | Path) -> list[str]:
    """Add a user price file (schema of ``data/prices.toml``); return its items as "kind variant".

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mine.toml"
    >>> _ = path.write_text('[[item]]\\nkind = "rental_price"\\nvariant = "H20"\\nvalue = "1.2 USD/card_hour"\\n'
    ...                     'low = "1 USD/card_hour"\\nhigh = "1.5 USD/card_hour"\\nsource = "my quote"\\n'
    ...                     'source_date = "2025-06"\\n', encoding="utf-8")
    >>> load_prices(path)
    ['rental_price H20']
    >>> price("rental_price", "H20").value
    <Quantity(1.2, 'USD / card_hour')>
    >>> unload_prices(path)
    """
    path_text = str(Path(path))
    items = read_prices_file(path_text)
    _merge(price_catalogue(), items, path_text)
    if path_text not in _LOADED:
        _LOADED.append(path_text)
    return [f"{item.kind} {item.variant}" for item, _ in items]


def unload_prices(path: str | Path | None = None) -> None:
    """Forget one loaded price file, or all of them."""
    if path is None:
        _LOADED.clear()
    elif str(Path(path)) in _LOADED:
        _LOADED.remove(str(Path(path)))


def price(kind: str, variant: str = "default", argument: str = "card") -> PriceItem:
    """One catalogue item.

    Raises
    ------
    UnknownNameError
        No item of that kind and variant; the message lists the variants there are.

    Examples
    --------
    >>> price("server_power", "H100").value
    <Quantity(10.2, 'kilowatt / server')>
    """
    items = price_catalogue()
    found = items.get((kind, variant_key(variant)))
    if found is None:
        known = sorted(item.variant for (k, _), item in items.items() if k == kind)
        raise UnknownNameError(argument, variant, ", ".join(known) or "none", f"{kind} variant (price catalogue)")
    return found
