"""Read the assumptions back from a template a user edited (``report --from``).

The workbook is untrusted input: someone may have sent it. Before openpyxl parses a
byte of it, :func:`read_assumptions`

1. opens it without following it into a FIFO or device and refuses anything but a
   regular file of at most :data:`MAX_WORKBOOK_BYTES`;
2. checks the zip directory: at most :data:`MAX_PARTS` parts, none encrypted or
   compressed other than stored/deflate, each part unpacking to at most
   :data:`MAX_PART_BYTES` and all together to at most :data:`MAX_UNPACKED_BYTES`
   (a zip bomb is refused from its directory, in milliseconds). Python's zipfile never
   unpacks more than a part's declared size, so a directory that lies about sizes
   fails its CRC check instead of growing;
3. streams every part through expat and refuses any document type declaration
   (``<!DOCTYPE``), so no entity is ever declared, let alone expanded (billion
   laughs, external entities). openpyxl then parses with defusedxml (a dependency;
   openpyxl uses it whenever it is installed), which forbids entities as well.

It then opens the workbook read-only (only the sheets holding the inputs are parsed,
and only down to the input rows), reads the cell behind each input's defined name
(``<name>`` and ``<name>_unit``), and checks each value with the same parser and
dimension rules as ``--set``. A cell holding a formula is read as the value the
spreadsheet program saved with it (flopsheet never evaluates it); macros, external
links, embedded objects and data connections are never run or followed, and each kind
found is reported in :attr:`Assumptions.notes` and as a logged warning.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
import xml.parsers.expat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import openpyxl
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook

from ...units import InputError
from ...units.user_files import open_user_file
from ..model.evaluate import differs_from_spec
from ..model.spec import ModelSpec

#: Largest workbook we open (bytes): templates are ~30 kB, reports ~40 kB.
MAX_WORKBOOK_BYTES = 20 * 2**20
#: Largest unpacked size of one part of the workbook (a template's largest is ~30 kB).
MAX_PART_BYTES = 16 * 2**20
#: Largest unpacked size of all parts together (a template unpacks to ~100 kB).
MAX_UNPACKED_BYTES = 32 * 2**20
#: Most parts (files inside the zip) a workbook may have (a report has ~20).
MAX_PARTS = 1_000
#: Longest text read from an input or unit cell (an input is "37,580,963,840 kB").
MAX_CELL_CHARACTERS = 1_000
#: Excel's grid: the last row and column a defined name may point to.
MAX_ROW, MAX_COLUMN = 1_048_576, 16_384
#: Zip compression methods of real workbooks (stored, deflate); bzip2/lzma are refused
#: because Python unpacks them without a bound per read.
ALLOWED_COMPRESSION = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
#: Bytes read from a part per expat call.
_SCAN_CHUNK = 64 * 1024
#: Cells whose first character would make a spreadsheet compute them.
_FORMULA_START = "="
#: Parts flopsheet ignores on purpose, and what the user is told about them.
IGNORED_CONTENT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(^|/)vbaProject\.bin$|^xl/macrosheets/|^xl/dialogsheets/", re.IGNORECASE),
     "macros were ignored (flopsheet never runs them)"),
    (re.compile(r"^xl/externalLinks/", re.IGNORECASE),
     "external links were ignored (cells linked to other workbooks are read as their saved values)"),
    (re.compile(r"^xl/(embeddings|activeX)/", re.IGNORECASE), "embedded objects and ActiveX controls were ignored"),
    (re.compile(r"^xl/(connections\.xml|queryTables/)", re.IGNORECASE),
     "data connections and queries were ignored (never refreshed)"),
)

logger = logging.getLogger(__name__)


class Assumptions(dict[str, str]):
    """``{input name: "value unit"}`` read from a workbook, with ``notes`` on what was ignored.

    ``ranges`` holds ``{input name: "LOW..HIGH unit"}`` for every input whose low and high
    cells (``<name>_low``, ``<name>_high``) hold numbers: what ``flopsheet simulate --from``
    samples.
    """

    def __init__(self, values: dict[str, str], notes: list[str], ranges: dict[str, str] | None = None) -> None:
        super().__init__(values)
        #: One sentence per kind of content ignored or read specially (macros, links, formulas).
        self.notes = list(notes)
        #: The typed low..high of each input that has both, in its unit cell's unit.
        self.ranges = dict(ranges or {})


def read_assumptions(path: str | Path, spec: ModelSpec) -> Assumptions:
    """Return the inputs of ``spec`` as typed in the edited workbook at ``path``.

    Parameters
    ----------
    path : str or Path
        An xlsx made by ``flopsheet build`` (or a report) and edited by a user.
    spec : ModelSpec
        The model whose inputs to read.

    Returns
    -------
    Assumptions
        A dict ``{input name: "value unit"}`` of the inputs that differ from the spec's
        defaults, ready to pass as overrides; its ``notes`` say what was ignored
        (macros, external links, ...) or read as a saved formula result.

    Raises
    ------
    InputError
        Not a regular file, too large, too large unpacked, not an xlsx, XML with a
        document type declaration, not a template of this model (names or sheet gone,
        a name pointing at more than one cell), or a cell without a usable value.
    """
    source = Path(path)
    with _opened(source) as handle:
        if not zipfile.is_zipfile(handle):
            _not_a_workbook(source)
        with zipfile.ZipFile(handle) as archive:
            notes = _check_archive(archive, source)
        values, formulas = (_load(handle, source, data_only) for data_only in (True, False))
        try:
            overrides = _read_inputs(values, formulas, spec, source, notes)
            ranges = _read_ranges(values, formulas, spec, source)
        finally:
            values.close()
            formulas.close()
    for note in notes:
        logger.warning("warning: --from %s: %s", source.name, note)
    return Assumptions(overrides, notes, ranges)


@contextlib.contextmanager
def _opened(source: Path) -> Iterator[IO[bytes]]:
    """Open ``source`` for reading if it is a regular file within the size limit (the shared guard)."""
    with open_user_file(source, "--from", f"an existing .xlsx file of at most {MAX_WORKBOOK_BYTES // 2**20} MiB",
                        MAX_WORKBOOK_BYTES) as handle:
        yield handle


def _not_a_workbook(source: Path, detail: str = "it is not a zip archive") -> Any:
    raise InputError("--from", str(source), "an .xlsx workbook", detail)


def _check_archive(archive: zipfile.ZipFile, source: Path) -> list[str]:
    """Refuse zip bombs, odd compression and DTDs; return notes on ignored content."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        _not_a_workbook(source, f"it has {len(parts):,} parts; a workbook may have at most {MAX_PARTS:,}")
    limit = (f"a workbook whose parts unpack to at most {MAX_PART_BYTES // 2**20} MiB each and "
             f"{MAX_UNPACKED_BYTES // 2**20} MiB in total")
    for part in parts:
        if part.file_size > MAX_PART_BYTES:
            raise InputError("--from", str(source), limit,
                             f"part {part.filename} unpacks to {part.file_size / 2**20:,.1f} MiB")
        if part.flag_bits & 0x1:
            _not_a_workbook(source, f"part {part.filename} is encrypted")
        if part.compress_type not in ALLOWED_COMPRESSION:
            _not_a_workbook(source, f"part {part.filename} uses zip compression method {part.compress_type}")
    total = sum(part.file_size for part in parts)
    if total > MAX_UNPACKED_BYTES:
        raise InputError("--from", str(source), limit, f"its parts unpack to {total / 2**20:,.1f} MiB")
    try:
        for part in parts:
            _refuse_doctype(archive, part, source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
        _not_a_workbook(source, f"the zip archive is damaged ({error})")
    return [note for pattern, note in IGNORED_CONTENT if any(pattern.search(part.filename) for part in parts)]


class _DoctypeFound(Exception):
    """Raised from expat's handler at the first ``<!DOCTYPE``."""


def _refuse_doctype(archive: zipfile.ZipFile, part: zipfile.ZipInfo, source: Path) -> None:
    """Stream ``part`` through expat; refuse a document type declaration (entities live there).

    A part that is not XML (a picture, a macro binary) stops expat at its first bytes.
    """
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_: Any) -> None:
        raise _DoctypeFound

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_SCAN_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _DoctypeFound:
        raise InputError("--from", str(source), "a workbook whose XML declares no document type or entities",
                         f"part {part.filename} has a <!DOCTYPE> (entity expansion is refused)") from None
    except xml.parsers.expat.ExpatError:
        return  # not XML, or broken XML that openpyxl will refuse in turn


def _load(handle: IO[bytes], source: Path, data_only: bool) -> Workbook:
    """Open the workbook read-only: saved values (``data_only``) or formulas; never run anything."""
    handle.seek(0)
    try:
        with warnings.catch_warnings():  # openpyxl warns (with its file paths) about parts it drops
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(handle, read_only=True, data_only=data_only, keep_vba=False,
                                          keep_links=False)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many types for a broken workbook
        _not_a_workbook(source, _plain_reason(error))
        raise  # unreachable: _not_a_workbook raises


def _plain_reason(error: Exception) -> str:
    """A short reason without library class names or paths."""
    text = str(error).split("\n")[0][:200]
    return f"it cannot be read as one ({text})" if text else "it cannot be read as one"


def _read_inputs(values: Workbook, formulas: Workbook, spec: ModelSpec, source: Path,
                 notes: list[str]) -> dict[str, str]:
    """Read every input of ``spec``; the workbook must define all of their names."""
    option = f"--from {source.name}"
    missing = [item.name for item in spec.inputs if item.name not in values.defined_names]
    if missing:
        found = (f"none of its input names ({', '.join(missing)}) is defined in the workbook"
                 if len(missing) == len(spec.inputs) else f"the defined names {', '.join(missing)} are missing")
        raise InputError("--from", source.name, f"a {spec.name} template (from flopsheet build or report)", found)
    overrides: dict[str, str] = {}
    from_formulas = []
    for item in spec.inputs:
        value = _input_cell(values, formulas, item.name, source, from_formulas)
        unit = (_input_cell(values, formulas, f"{item.name}_unit", source, from_formulas)
                if f"{item.name}_unit" in values.defined_names else None)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InputError(option, item.name, "a value in the input cell",
                             "the cell is empty, or holds a formula that was never calculated (save it in Excel or "
                             "LibreOffice)")
        text = _cell_text(value, option, item.name)
        if text.startswith(_FORMULA_START):
            raise InputError(option, item.name, "a value, not formula text")
        unit_text = _cell_text(unit, option, f"{item.name}_unit") if unit is not None else ""
        typed = f"{text} {unit_text}".strip() if unit_text.strip() else text
        if differs_from_spec(item, item.read(typed)):
            overrides[item.name] = typed
    if from_formulas:
        notes.append(f"formulas in {', '.join(from_formulas)} were read as their saved values (flopsheet does not "
                     "recalculate them)")
    return overrides


def _read_ranges(values: Workbook, formulas: Workbook, spec: ModelSpec, source: Path) -> dict[str, str]:
    """``{input: "LOW..HIGH unit"}`` from the low and high cells, where both hold numbers.

    Both cells empty (or equal) means no range; anything else that is not a number in
    both (text such as "abc", a TRUE, one end left empty) is an error naming the cell,
    never a range silently dropped.
    """
    option = f"--from {source.name}"
    ranges: dict[str, str] = {}
    for item in spec.inputs:
        names = (f"{item.name}_low", f"{item.name}_high")
        if not all(name in values.defined_names for name in names):
            continue
        ends = [_input_cell(values, formulas, name, source, []) for name in names]
        if all(_blank(end) for end in ends):
            continue  # an input without a range
        for end, name in zip(ends, names):
            if not isinstance(end, (int, float)) or isinstance(end, bool):
                shown_end = "an empty cell" if _blank(end) else (end if isinstance(end, str) else str(end))
                raise InputError(option, shown_end, f"a number in {name} (the {'low' if name.endswith('_low') else 'high'} "
                                 f"end of {item.name}'s range), or both {names[0]} and {names[1]} empty")
        if ends[0] == ends[1]:
            continue  # low equal to high: no range
        unit = (_input_cell(values, formulas, f"{item.name}_unit", source, [])
                if f"{item.name}_unit" in values.defined_names else None)
        unit_text = _cell_text(unit, option, f"{item.name}_unit") if unit is not None else ""
        low, high = (_cell_text(end, option, name) for end, name in zip(ends, names))
        ranges[item.name] = f"{low}..{high} {unit_text}".strip()
    return ranges


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _input_cell(values: Workbook, formulas: Workbook, name: str, source: Path, from_formulas: list[str]) -> Any:
    """The saved value of the one cell ``name`` points to; records the name if it holds a formula."""
    sheet, coordinate = _single_cell(values, name, source)
    cell = values[sheet][coordinate]
    if cell.data_type == "e":
        raise InputError(f"--from {source.name}", name, "a value in the input cell",
                         f"the cell shows the error {cell.value}")
    if formulas[sheet][coordinate].data_type == "f":
        from_formulas.append(name)
    return cell.value


def _single_cell(workbook: Workbook, name: str, source: Path) -> tuple[str, str]:
    """Sheet title and coordinate ("C7") of the single cell a defined name points to."""
    option = f"--from {source.name}"
    defined = workbook.defined_names[name]
    destinations = list(defined.destinations) if defined.type == "RANGE" else []
    if len(destinations) != 1:
        raise InputError(option, name, "a defined name that points to one cell",
                         f"it refers to {defined.attr_text!r} (was its sheet or cell deleted?)")
    sheet, reference = destinations[0]
    if sheet not in workbook.sheetnames:
        raise InputError(option, name, f"a defined name on an existing sheet, not {sheet!r}",
                         f"the workbook has {', '.join(workbook.sheetnames)}")
    try:
        first_column, first_row, last_column, last_row = range_boundaries(reference.replace("$", ""))
    except (ValueError, TypeError):
        first_column = first_row = last_column = last_row = None
    bounds = (first_column, first_row, last_column, last_row)
    if (None in bounds or first_column != last_column or first_row != last_row
            or not (1 <= first_row <= MAX_ROW and 1 <= first_column <= MAX_COLUMN)):  # type: ignore[operator]
        raise InputError(option, name, "a defined name that points to one cell",
                         f"it refers to {defined.attr_text}")
    return sheet, f"{openpyxl.utils.get_column_letter(first_column)}{first_row}"  # type: ignore[arg-type]


def _cell_text(value: Any, option: str, name: str) -> str:
    """A cell's value as the text ``--set`` would get: numbers in full precision."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    text = str(value).strip()
    if len(text) > MAX_CELL_CHARACTERS:
        raise InputError(option, name, f"a value of at most {MAX_CELL_CHARACTERS:,} characters",
                         f"the cell holds {len(text):,}")
    return text
