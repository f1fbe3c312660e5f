"""The accelerator catalogue (``data/accelerators.toml``) and its lookups.

Names match ignoring case, spaces and hyphens ("tpu-v4" is "TPU v4"). Peaks are per
card and dense unless ``sparse=True`` is asked for explicitly.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pint

from ..units import Q, UnitInputError, UnknownNameError

CATALOGUE_FILE = Path(__file__).with_name("data") / "accelerators.toml"
PRECISIONS: tuple[str, ...] = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4")
_PER_CARD = "card"
#: Text accepted for the ``sparse`` switch of :func:`card_peak`.
SPARSE_WORDS: dict[str, bool] = {"true": True, "false": False, "sparse": True, "dense": False}


@dataclass(frozen=True)
class Accelerator:
    """One catalogue record; quantities are per card, each number with its source."""

    name: str
    aliases: tuple[str, ...]
    vendor: str
    variant: str
    released: str
    dense: dict[str, pint.Quantity]
    sparse: dict[str, pint.Quantity]
    memory: pint.Quantity | None
    bandwidth: pint.Quantity | None
    tdp: pint.Quantity | None
    source: str
    source_date: str
    sources: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def source_of(self, field_name: str) -> str:
        """Return the source of one field (``"tdp"``, ``"dense.bf16"``...)."""
        return self.sources.get(field_name, self.source)


def key(name: str) -> str:
    """Normalise a card or precision name for matching ("TPU-v4" -> "tpuv4")."""
    return re.sub(r"[\s\-_]+", "", name).lower()


def _per_card(text: str) -> pint.Quantity:
    """Parse a catalogue quantity string and make it per card."""
    return Q(text) / Q(1, _PER_CARD)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Accelerator]:
    """Load the catalogue once; return records by name, in file order."""
    with CATALOGUE_FILE.open("rb") as handle:
        records = tomllib.load(handle)["accelerator"]
    loaded: dict[str, Accelerator] = {}
    for record in records:
        optional = {name: _per_card(record[name]) if name in record else None for name in ("memory", "bandwidth", "tdp")}
        loaded[record["name"]] = Accelerator(
            name=record["name"],
            aliases=tuple(record.get("aliases", ())),
            vendor=record["vendor"],
            variant=record["variant"],
            released=record["released"],
            dense={precision: _per_card(text) for precision, text in record["dense"].items()},
            sparse={precision: _per_card(text) for precision, text in record.get("sparse", {}).items()},
            source=record["source"],
            source_date=record["source_date"],
            sources=dict(record.get("sources", {})),
            note=record.get("note", ""),
            **optional,
        )
    return loaded


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Map every normalised name and alias to its record name."""
    index: dict[str, str] = {}
    for record in catalogue().values():
        for name in (record.name, *record.aliases):
            index[key(name)] = record.name
    return index


def card_names() -> list[str]:
    """Return the catalogue's card names in file order."""
    return list(catalogue())


def find_card(name: str, argument: str = "card") -> Accelerator:
    """Return the record for ``name`` or raise UnknownNameError listing the known names."""
    if not isinstance(name, str) or not name.strip():
        raise UnknownNameError(argument, name if isinstance(name, str) else str(name), ", ".join(card_names()), "accelerator")
    record_name = _index().get(key(name))
    if record_name is None:
        raise UnknownNameError(argument, name, ", ".join(card_names()), "accelerator")
    return catalogue()[record_name]


def read_sparse(value: Any, argument: str = "sparse") -> bool:
    """Read the sparsity switch: a bool, or the text TRUE/FALSE/sparse/dense (any case).

    Any other value is refused: a truthy string such as "no" must not select the
    sparse figure.

    Examples
    --------
    >>> read_sparse(True), read_sparse("FALSE"), read_sparse("sparse")
    (True, False, True)
    >>> read_sparse("no")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: sparse: expected True or False (or the text "TRUE", "FALSE", "sparse", "dense"), got "no"
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in SPARSE_WORDS:
        return SPARSE_WORDS[value.strip().lower()]
    raise UnitInputError(argument, value, 'True or False (or the text "TRUE", "FALSE", "sparse", "dense")')


def card_peak(name: str, precision: str, sparse: bool = False) -> pint.Quantity:
    """Return a card's peak throughput per card at a precision.

    Parameters
    ----------
    name : str
        Catalogue card name or alias ("A100", "H100 SXM", "TPU v4").
    precision : str
        One of fp64, fp32, tf32, bf16, fp16, fp8, int8, fp4 (where the card has it).
    sparse : bool, default False
        Return the 2:4 structured-sparsity figure instead of the dense one. Also the
        text "TRUE"/"FALSE"/"sparse"/"dense"; anything else is refused.

    Returns
    -------
    pint.Quantity
        TFLOPS per card (TOPS per card for int8).

    Examples
    --------
    >>> print(card_peak("A100", "tf32"))
    156.0 TFLOPS/card
    >>> print(card_peak("A100", "bf16", sparse=True))
    624.0 TFLOPS/card
    >>> card_peak("A1000", "tf32")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnknownNameError: card: unknown accelerator "A1000"; known: A100, A800, H100, ...
    """
    record = find_card(name)
    sparse = read_sparse(sparse)
    table = record.sparse if sparse else record.dense
    precision_key = key(precision) if isinstance(precision, str) else ""
    if precision_key not in table:
        kind = "sparse precision" if sparse else "precision"
        raise UnknownNameError("precision", precision, f"{', '.join(table) or 'none'} for {record.name}", kind)
    return table[precision_key]


def _card_field(name: str, field_name: str, description: str) -> pint.Quantity:
    """Return one per-card field or say that the catalogue has no such number."""
    record = find_card(name)
    value = getattr(record, field_name)
    if value is None:
        raise UnknownNameError("card", name, f"cards with a published {description}: "
                               + ", ".join(r.name for r in catalogue().values() if getattr(r, field_name) is not None),
                               f"{description} for")
    return value


def card_memory(name: str) -> pint.Quantity:
    """Return a card's memory capacity per card (GB or GiB as the vendor states it).

    Examples
    --------
    >>> print(card_memory("H200"))
    141.0 GB/card
    """
    return _card_field(name, "memory", "memory")


def card_bandwidth(name: str) -> pint.Quantity:
    """Return a card's memory bandwidth per card (GB/s or TB/s).

    Examples
    --------
    >>> print(card_bandwidth("A100").to("TB/s/card"))
    2.039 TB/card/s
    """
    return _card_field(name, "bandwidth", "bandwidth")


def card_power(name: str) -> pint.Quantity:
    """Return a card's thermal design power (TDP) per card, in W.

    Examples
    --------
    >>> print(card_power("H100"))
    700.0 W/card
    """
    return _card_field(name, "tdp", "TDP")
