"""The accelerator catalogue (``data/accelerators.toml``), catalogues users add, and lookups.

Names match ignoring case, spaces and hyphens ("tpu-v4" is "TPU v4"). Peaks are per
card and dense unless ``sparse=True`` is asked for explicitly.

Users extend the catalogue with TOML files of the same schema as the built-in one
(see the header of ``data/accelerators.toml``), named by :func:`load_catalogue` in
Python, by the environment variable ``FLOPSHEET_CATALOGUE=FILE`` (every face: the
command line, the Excel add-in's Python, scripts) or by ``flopsheet --catalogue FILE``.
Such a file is untrusted input: at most :data:`MAX_CATALOGUE_BYTES`, read as TOML and
nothing else, every key and value checked (a record needs a source like any other);
anything wrong is an :class:`~flopsheet.units.InputError` naming the file, the record
and the field. A record whose name or alias is already in the catalogue is refused
unless it says ``override = true`` (it then replaces the record of that name).

Every lookup reads :func:`catalogue`, cached per set of files: loading or unloading a
file starts a new cache and calls at once the hooks other modules registered with
:func:`on_catalogue_change` to drop their own caches (the formulas' cached readings of
"H100 bf16", the runs' card names); a changed ``FLOPSHEET_CATALOGUE`` is noticed at
the next catalogue lookup, so set it before the process starts.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pint

from ...units import CatalogueError, InputError, Q, UnitInputError, UnknownNameError, UserFileError, did_you_mean
from ...units.user_files import read_user_file, user_text
from ..args import BOOLEAN_EXPECTED, read_bool

CATALOGUE_FILE = Path(__file__).with_name("data") / "accelerators.toml"
PRECISIONS: tuple[str, ...] = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4")
_PER_CARD = "card"
#: Text the ``sparse`` switch of :func:`card_peak` accepts beyond the shared yes/no words.
SPARSE_WORDS: dict[str, bool] = {"sparse": True, "dense": False}
#: Environment variable naming a user catalogue file (read by every face).
CATALOGUE_ENV = "FLOPSHEET_CATALOGUE"
#: Largest catalogue file read (bytes); the built-in one of 30 cards has about 20 KB.
MAX_CATALOGUE_BYTES = 256 * 1024
#: Most records one catalogue file may hold.
MAX_RECORDS = 500
#: Longest card name or alias (characters).
MAX_NAME_LENGTH = 64
#: Longest text field (source, note, variant...) in characters.
MAX_TEXT_LENGTH = 2000
#: Most aliases of one record.
MAX_ALIASES = 20
#: What a catalogue file must be, as error messages say it.
CATALOGUE_EXPECTED = "a usable accelerator catalogue (TOML, the schema of formulas/catalogues/data/accelerators.toml)"
#: Where the built-in records come from (``Accelerator.origin``).
BUILT_IN = "built-in"
_REQUIRED_TEXT = ("name", "vendor", "variant", "released", "source", "source_date")
#: Per-card quantity fields and a unit that fixes each one's dimension.
_QUANTITY_FIELDS: dict[str, str] = {"memory": "GB", "bandwidth": "GB/s", "tdp": "W",
                                     "scale_up_bandwidth": "GB/s", "scale_out_bandwidth": "Gbit/s"}
#: Whole-number fields (cards) and the largest value each may hold.
_COUNT_FIELDS: dict[str, int] = {"scale_up_domain": 100_000, "server_cards": 1_000}
#: Optional one-line text fields.
_OPTIONAL_TEXT = ("note", "scale_up_link", "links_source", "links_source_date")
#: The fields whose source is ``links_source`` (unless ``sources`` names one).
LINK_FIELDS = ("scale_up_bandwidth", "scale_up_domain", "scale_up_link", "scale_out_bandwidth", "server_cards")
_RECORD_KEYS = frozenset({*_REQUIRED_TEXT, *_QUANTITY_FIELDS, *_COUNT_FIELDS, *_OPTIONAL_TEXT, "aliases", "dense",
                          "sparse", "sources", "override"})
#: Words that end a peak reference ("H100 bf16 sparse"); no card name may end with one.
_REFERENCE_WORDS = frozenset({*PRECISIONS, "sparse", "dense"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: An example per dimension, for messages.
_EXAMPLES = {"TFLOPS": "2000 TFLOPS", "GB": "80 GB", "GB/s": "3.35 TB/s", "W": "700 W",
             "Gbit/s": "400 Gbit/s"}


@dataclass(frozen=True)
class Accelerator:
    """One catalogue record; quantities are per card, each number with its source.

    ``origin`` is the file the record came from ("built-in" for the package's own).
    """

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
    origin: str = BUILT_IN
    #: Scale-up link bandwidth per card and direction (NVLink, Infinity Fabric, or the
    #: card's PCIe slot where it has no such link), GB/s/card.
    scale_up_bandwidth: pint.Quantity | None = None
    #: Cards that reach each other over the scale-up link (8 on an HGX board, 72 in NVL72).
    scale_up_domain: int | None = None
    #: The scale-up link's name ("NVLink 4", "PCIe Gen5 x16").
    scale_up_link: str = ""
    #: Scale-out (NIC) bandwidth per card, Gbit/s/card: the back-end network share of one card.
    scale_out_bandwidth: pint.Quantity | None = None
    #: Cards in one server (or compute tray) of the reference system.
    server_cards: int | None = None
    #: Where the link fields (:data:`LINK_FIELDS`) come from, and its date.
    links_source: str = ""
    links_source_date: str = ""

    def source_of(self, field_name: str) -> str:
        """Return the source of one field (``"tdp"``, ``"dense.bf16"``...)."""
        if field_name in LINK_FIELDS and field_name not in self.sources and self.links_source:
            return self.links_source
        return self.sources.get(field_name, self.source)


def key(name: str) -> str:
    """Normalise a card or precision name for matching ("TPU-v4" -> "tpuv4")."""
    return re.sub(r"[\s\-_]+", "", name).lower()


# --- reading one catalogue file ----------------------------------------------------


class _Fault(Exception):
    """A problem in one record, turned into an InputError naming the file."""


def _catalogue_error(origin: str, reason: str) -> CatalogueError:
    """The error for a catalogue file that cannot be used."""
    return CatalogueError("catalogue", origin, CATALOGUE_EXPECTED, reason)


def _text(record: Mapping[str, Any], name: str, required: bool = True) -> str:
    """A text field: present when required, a string of printable characters, bounded."""
    if name not in record:
        if required:
            raise _Fault(f"missing {name!r} (every record needs {', '.join(_REQUIRED_TEXT)} and dense)")
        return ""
    value = record[name]
    if not isinstance(value, str) or not value.strip():
        raise _Fault(f"{name!r} must be a non-empty text, got {str(value)[:60]!r}")
    if len(value) > MAX_TEXT_LENGTH or _CONTROL.search(value):
        raise _Fault(f"{name!r} must be one line of at most {MAX_TEXT_LENGTH} characters")
    return value.strip()


def _card_name(value: Any, what: str) -> str:
    """A card name or alias users can type before a precision ("X1" in "X1 bf16").

    A name must not start like a number; an alias may ("910B"), but then only the
    lookups by name (``card_peak("910B", "fp16")``) find it, not a peak reference.
    """
    if not isinstance(value, str) or not value.strip():
        raise _Fault(f"{what} must be a non-empty text, got {str(value)[:60]!r}")
    name = " ".join(value.split())
    if len(name) > MAX_NAME_LENGTH or _CONTROL.search(value):
        raise _Fault(f"{what} {name[:MAX_NAME_LENGTH]!r} must be one line of at most {MAX_NAME_LENGTH} characters")
    if what == "name" and name[0] in "0123456789+-.":
        raise _Fault(f"{what} {name!r} must not start like a number (it would read as a quantity)")
    if key(name.split()[-1]) in _REFERENCE_WORDS:
        raise _Fault(f"{what} {name!r} must not end with a precision or sparse/dense "
                     "(\"X1 bf16\" names the card X1 at bf16)")
    return name


def _per_card(text: Any, where: str, dimension_unit: str) -> pint.Quantity:
    """Parse a quantity text of the record and make it per card ("80 GB" -> 80 GB/card)."""
    if not isinstance(text, str):
        raise _Fault(f"{where} must be a quantity text with its unit, e.g. \"{_EXAMPLES[dimension_unit]}\", "
                     f"got {str(text)[:60]!r}")
    try:
        quantity = Q(text, argument=where)
    except InputError as error:
        raise _Fault(str(error)) from None
    per_card = Q(1, dimension_unit) / Q(1, _PER_CARD)
    if quantity.dimensionality == Q(1, dimension_unit).dimensionality:
        quantity = quantity / Q(1, _PER_CARD)
    if quantity.dimensionality != per_card.dimensionality:
        raise _Fault(f"{where} {text!r} is not in units like {dimension_unit} (e.g. \"{_EXAMPLES[dimension_unit]}\")")
    magnitude = float(quantity.magnitude)
    if not math.isfinite(magnitude) or magnitude <= 0:
        raise _Fault(f"{where} {text!r} must be greater than 0")
    return quantity


def _count(value: Any, where: str, largest: int) -> int:
    """A whole number of cards of the record (``scale_up_domain = 8``)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= largest:
        raise _Fault(f"{where} must be a whole number of cards from 1 to {largest:,}, got {str(value)[:60]!r}")
    return value


def _peaks(record: Mapping[str, Any], name: str, required: bool) -> dict[str, pint.Quantity]:
    """The dense or sparse peak table: precision -> rate per card."""
    table = record.get(name, {})
    if not isinstance(table, dict) or (required and not table):
        raise _Fault(f"{name!r} must be a table of precision = \"peak\" "
                     f"(e.g. {name} = {{ bf16 = \"2000 TFLOPS\" }}), got {str(table)[:60]!r}")
    peaks = {}
    for precision, text in table.items():
        if precision not in PRECISIONS:
            raise _Fault(f"{name}.{precision[:20]}: unknown precision; known: {', '.join(PRECISIONS)}")
        peaks[precision] = _per_card(text, f"{name}.{precision}", "TFLOPS")
    return peaks


def _record(raw: Any, origin: str) -> tuple[Accelerator, bool]:
    """Check one ``[[accelerator]]`` table; return the record and whether it overrides."""
    if not isinstance(raw, dict):
        raise _Fault(f"each [[accelerator]] must be a table, got {str(raw)[:60]!r}")
    extra = sorted(set(raw) - _RECORD_KEYS)
    if extra:
        raise _Fault(f"unknown key(s) {', '.join(str(k)[:30] for k in extra)}; allowed: {', '.join(sorted(_RECORD_KEYS))}")
    name = _card_name(raw.get("name"), "name")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or len(aliases) > MAX_ALIASES:
        raise _Fault(f"'aliases' must be a list of at most {MAX_ALIASES} names")
    override = raw.get("override", False)
    if not isinstance(override, bool):
        raise _Fault(f"'override' must be true or false, got {str(override)[:20]!r}")
    texts = {name: _text(raw, name) for name in _REQUIRED_TEXT if name != "name"}
    dense, sparse = _peaks(raw, "dense", required=True), _peaks(raw, "sparse", required=False)
    quantities = {field_name: _per_card(raw[field_name], field_name, unit) if field_name in raw else None
                  for field_name, unit in _QUANTITY_FIELDS.items()}
    sources = raw.get("sources", {})
    counts = {field_name: _count(raw[field_name], field_name, largest) if field_name in raw else None
              for field_name, largest in _COUNT_FIELDS.items()}
    known_fields = {*(f"dense.{p}" for p in dense), *(f"sparse.{p}" for p in sparse),
                    *(name for name, value in quantities.items() if value is not None),
                    *(name for name, value in counts.items() if value is not None),
                    *(name for name in ("scale_up_link",) if name in raw)}
    if not isinstance(sources, dict) or not set(sources) <= known_fields:
        raise _Fault(f"'sources' must map fields of this record ({', '.join(sorted(known_fields))}) to texts")
    record = Accelerator(
        name=name, aliases=tuple(_card_name(alias, "alias") for alias in aliases), dense=dense, sparse=sparse,
        sources={field_name: _text(sources, field_name) for field_name in sources},
        origin=origin, **{name: _text(raw, name, required=False) for name in _OPTIONAL_TEXT}, **texts,
        **quantities, **counts)
    return record, override


def read_toml_tables(path: str | Path, origin: str | None, *, what: str, noun: str, expected: str, max_bytes: int,
                     table: str, max_tables: int, plural: str, error: Callable[[str, str], CatalogueError]
                     ) -> tuple[str, list[Any]]:
    """Read a user's catalogue TOML file that holds ``[[table]]`` tables and nothing else.

    The one reader of the catalogues users add (cards, prices): a path only, ``.toml``
    only, read through the user-file guard (at most ``max_bytes``, never a FIFO or a
    device), valid TOML, ``1..max_tables`` tables named ``table``. Returns the origin
    (default: the path) and the raw tables, unchecked; ``error(origin, reason)`` makes
    the error raised.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise error(origin or repr(path)[:80], f"{noun} is named by a file path (str or Path)")
    path = Path(path)
    origin = origin or str(path)
    if path.suffix.lower() != ".toml":
        raise error(origin, "the file must be TOML and end in .toml")
    try:  # the one guard for files users name: never blocks on a FIFO, never reads a device
        data = read_user_file(path, what, expected, max_bytes)
        text = user_text(data, what, path, expected)
    except UserFileError as failure:
        raise error(origin, failure.detail) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as failure:
        raise error(origin, f"not valid TOML: {str(failure)[:200]}") from None
    except (RecursionError, MemoryError):
        raise error(origin, "not valid TOML: nested too deeply") from None
    tables = document.get(table)
    if set(document) != {table} or not isinstance(tables, list) or not tables:
        raise error(origin, f"the file must hold [[{table}]] tables and nothing else")
    if len(tables) > max_tables:
        raise error(origin, f"at most {max_tables} {plural} per file, got {len(tables)}")
    return origin, tables


def read_catalogue_file(path: str | Path, origin: str | None = None) -> list[tuple[Accelerator, bool]]:
    """Read and check one catalogue file; return its records with their override flags.

    ``origin`` is what the records' ``origin`` says (default: the path).

    Raises
    ------
    CatalogueError
        Not a .toml file, missing, too large, not valid TOML, or a record that breaks
        the schema; the message names the file, the record and the field.
    """
    origin, records = read_toml_tables(path, origin, what="catalogue", noun="a catalogue",
                                       expected=CATALOGUE_EXPECTED, max_bytes=MAX_CATALOGUE_BYTES,
                                       table="accelerator", max_tables=MAX_RECORDS, plural="records",
                                       error=_catalogue_error)
    read = []
    for number, raw in enumerate(records, start=1):
        label = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else f"#{number}"
        try:
            read.append(_record(raw, origin))
        except _Fault as fault:
            raise _catalogue_error(origin, f"accelerator {label[:MAX_NAME_LENGTH]!r}: {fault}") from None
    return read


def _merge(base: Mapping[str, Accelerator], extra: list[tuple[Accelerator, bool]]) -> dict[str, Accelerator]:
    """Add records to a catalogue; a clash of names or aliases is an error unless the record overrides."""
    merged = dict(base)
    for record, override in extra:
        owners = {key(name): existing.name for existing in merged.values() for name in (existing.name, *existing.aliases)}
        clashes = {owners[key(name)] for name in (record.name, *record.aliases) if key(name) in owners}
        if override:
            target = owners.get(key(record.name))
            if target is None:
                raise _catalogue_error(record.origin, f"accelerator {record.name!r} says override = true, but the "
                                       f"catalogue has no card of that name to override")
            clashes.discard(target)
            merged = {(record.name if name == target else name): (record if name == target else existing)
                      for name, existing in merged.items()}
        if clashes:
            other = sorted(clashes)[0]
            where = "the built-in catalogue" if merged[other].origin == BUILT_IN else merged[other].origin
            raise _catalogue_error(record.origin, f"accelerator {record.name!r} clashes with {other!r} of {where} "
                                   "(a name or alias already taken); rename it, or write override = true to replace "
                                   f"the record {other!r}")
        merged[record.name] = record
    return merged


# --- the catalogue in use ------------------------------------------------------------

#: Files added with load_catalogue, in load order (resolved path -> its records).
_loaded: dict[str, list[tuple[Accelerator, bool]]] = {}
#: Bumped whenever _loaded changes, so the cache of :func:`_built` starts afresh.
_generation = 0
#: Callables that drop caches built over the catalogue (see on_catalogue_change).
_hooks: list[Callable[[], None]] = []
_last_state: tuple[str, int] | None = None


@dataclass(frozen=True)
class _Catalogue:
    records: dict[str, Accelerator]
    index: dict[str, str]


@lru_cache(maxsize=4)
def _base(environment_file: str) -> dict[str, Accelerator]:
    """The built-in records, then those of the FLOPSHEET_CATALOGUE file."""
    records = _merge({}, read_catalogue_file(CATALOGUE_FILE, origin=BUILT_IN))
    if environment_file:
        try:
            records = _merge(records, read_catalogue_file(environment_file))
        except CatalogueError as error:
            raise CatalogueError(f"catalogue ({CATALOGUE_ENV})", error.given, error.expected, error.detail) from None
    return records


def _with_loaded(environment_file: str, skip: str | None = None) -> dict[str, Accelerator]:
    """The base records, then those of every file loaded with load_catalogue (but ``skip``)."""
    records = _base(environment_file)
    for origin, extra in _loaded.items():
        if origin != skip:
            records = _merge(records, extra)
    return records


@lru_cache(maxsize=4)
def _built(environment_file: str, generation: int) -> _Catalogue:
    """The catalogue in use and its index of normalised names and aliases."""
    records = _with_loaded(environment_file)
    index = {key(name): record.name for record in records.values() for name in (record.name, *record.aliases)}
    return _Catalogue(records, index)


def _environment_file() -> str:
    return os.environ.get(CATALOGUE_ENV, "").strip()


def _current() -> _Catalogue:
    """The catalogue for the present environment and loaded files; hooks run when that changed.

    Loading and unloading run the hooks at once (:func:`_changed`); a new
    ``FLOPSHEET_CATALOGUE`` is noticed at the next lookup that reads the catalogue, so
    set it before the process starts (a cached reading of "H100 bf16" would not look).
    """
    global _last_state
    state = (_environment_file(), _generation)
    if state != _last_state:
        _last_state = state
        _run_hooks()
    return _built(*state)


def _run_hooks() -> None:
    for hook in _hooks:
        hook()


def _changed() -> None:
    """The loaded files changed: a new cache generation, and every other cache dropped now."""
    global _generation
    _generation += 1
    _run_hooks()


def on_catalogue_change(hook: Callable[[], None]) -> Callable[[], None]:
    """Register a callable (a cache's ``cache_clear``) run whenever the catalogue changes."""
    _hooks.append(hook)
    return hook


def _file_key(path: str | Path) -> str:
    return str(Path(path).resolve())


def load_catalogue(path: str | Path) -> list[str]:
    """Add the accelerators of a TOML file to the catalogue; return their names.

    The file has the schema of the built-in ``formulas/catalogues/data/accelerators.toml``:
    ``[[accelerator]]`` tables with name, vendor, variant, released, dense peaks,
    source and source_date (optional: aliases, sparse, memory, bandwidth, tdp,
    sources, note, override). A name or alias the catalogue already has is refused
    unless the record says ``override = true``. Loading the same file again replaces
    its records; :func:`unload_catalogue` removes them.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` file of at most :data:`MAX_CATALOGUE_BYTES` bytes.

    Returns
    -------
    list of str
        The names of the cards the file added or replaced.

    Raises
    ------
    CatalogueError
        The file cannot be read, is not TOML, breaks the schema or clashes; the
        message names the file, the record and the field. Nothing is loaded then.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x1.toml"
    >>> _ = path.write_text('''
    ... [[accelerator]]
    ... name = "X1"
    ... vendor = "Hypothetical"
    ... variant = "X1 module"
    ... released = "2026-01"
    ... dense = { bf16 = "2000 TFLOPS" }
    ... source = "made up for this example"
    ... source_date = "2026-01"
    ... ''')
    >>> load_catalogue(path)
    ['X1']
    >>> print(card_peak("X1", "bf16"))
    2000 TFLOPS/card
    >>> unload_catalogue(path)
    """
    records = read_catalogue_file(path)
    name = _file_key(path)
    _merge(_with_loaded(_environment_file(), skip=name), records)  # a clash raises before anything changes
    _loaded[name] = records
    _changed()
    return [record.name for record, _ in records]


def unload_catalogue(path: str | Path | None = None) -> None:
    """Remove the records of a file added with :func:`load_catalogue` (of every such file when None)."""
    if path is None:
        _loaded.clear()
    else:
        _loaded.pop(_file_key(path), None)
    _changed()


@contextmanager
def using_catalogue(path: str | Path | None) -> Iterator[None]:
    """Load a catalogue file for the duration of a ``with`` block (nothing when ``path`` is None)."""
    if path is None:
        yield
        return
    load_catalogue(path)
    try:
        yield
    finally:
        unload_catalogue(path)


@contextmanager
def using_catalogues(paths: list[str | Path]) -> Iterator[None]:
    """Load several catalogue files in order for a ``with`` block (``flopsheet --catalogue A --catalogue B``).

    Each file is merged over the ones before it, so a later file replaces an earlier
    card only where its record says ``override = true``; any other clash is refused.
    """
    with ExitStack() as stack:
        for path in paths:
            stack.enter_context(using_catalogue(path))
        yield


def catalogue() -> dict[str, Accelerator]:
    """Return the catalogue's records by name: the built-in ones in file order, then the users'."""
    return _current().records


def card_names() -> list[str]:
    """Return the catalogue's card names in file order."""
    return list(catalogue())


def find_card(name: str, argument: str = "card") -> Accelerator:
    """Return the record for ``name`` or raise UnknownNameError listing the known names."""
    if not isinstance(name, str) or not name.strip():
        raise UnknownNameError(argument, name if isinstance(name, str) else str(name), ", ".join(card_names()), "accelerator")
    state = _current()
    record_name = state.index.get(key(name))
    if record_name is None:
        raise UnknownNameError(argument, name, ", ".join(state.records), "accelerator",
                               did_you_mean(name, list(state.records)))
    return state.records[record_name]


def read_sparse(value: Any, argument: str = "sparse") -> bool:
    """Read the sparsity switch through the shared yes/no reader, with "sparse"/"dense" as extra words.

    Any other value is refused: a truthy string such as "banana" must not select the
    sparse figure.

    Examples
    --------
    >>> read_sparse(True), read_sparse("FALSE"), read_sparse("sparse"), read_sparse("no")
    (True, False, True, False)
    >>> read_sparse("maybe")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: sparse: expected TRUE or FALSE (also the text true/false, yes/no, 1/0, 是/否, sparse/dense), got "maybe"
    """
    return read_bool(value, argument, SPARSE_WORDS, f"{BOOLEAN_EXPECTED[:-1]}, sparse/dense)")


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
    156 TFLOPS/card
    >>> print(card_peak("A100", "bf16", sparse=True))
    624 TFLOPS/card
    >>> card_peak("A1000", "tf32")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnknownNameError: card: unknown accelerator "A1000"; known: A100, ...
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
    141 GB/card
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
    700 W/card
    """
    return _card_field(name, "tdp", "TDP")
