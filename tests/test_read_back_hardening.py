"""Issue 11: workbooks users send (``--from``) are read safely.

Each hostile workbook is built here from a real template: a zip bomb, a billion-laughs
part, macros and external links, formulas and error values in input cells, defined
names that point at a column, a row, row 0 or a deleted sheet, non-files and oversized
files. Each gives an InputError (exit 2 on the command line) that names the file and
states the rule or limit, or a note saying what was ignored.
"""

from __future__ import annotations

import logging
import os
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import defusedxml
import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from flopsheet.cli import main
from flopsheet.units import InputError
from flopsheet.workbooks.model.spec import load_spec
from flopsheet.workbooks.xlsx import read_back
from flopsheet.workbooks.xlsx.package import save_deterministic
from flopsheet.workbooks.xlsx.read_back import read_assumptions
from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR

T5 = "table5_kimi_training"
TEMPLATE = TEMPLATE_DIR / f"{T5}.xlsx"
#: A 16 MiB run of zeros; deflated with a full flush it is a self-contained ~16 kB block.
ZERO_BLOCK_BYTES = 16 * 2**20
#: Blocks in the zip bomb: 160 x 16 MiB = 2.5 GiB unpacked from about 2.6 MB.
BOMB_BLOCKS = 160
#: The classic billion laughs: nine levels of ten, 10**9 "lol"s (3 GB) from under 1 kB.
LAUGHS_DTD = ('<!DOCTYPE workbook [\n <!ENTITY lol "lol">\n'
              + "".join(f' <!ENTITY lol{level} "{("&lol%d;" % (level - 1) if level > 1 else "&lol;") * 10}">\n'
                        for level in range(1, 10)) + "]>\n")
WORKBOOK_PART = "xl/workbook.xml"


def _with_dtd(xml: bytes, dtd: str, reference: str, encoding: str = "utf-8") -> bytes:
    """The part ``xml`` with a DTD before its root and ``reference`` as text in its <sheets>."""
    text = xml.decode("utf-8").replace("<sheets>", f"<sheets>{reference}", 1)
    return (f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n{dtd}{text}').encode(encoding)


@pytest.fixture(scope="module")
def spec():
    return load_spec(T5)


def _parts(path: Path = TEMPLATE) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _write_zip(path: Path, parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _raw_zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> Path:
    """Write a zip from (name, raw deflate data, declared size, crc) entries, byte by byte."""
    local, central, offset = bytearray(), bytearray(), 0
    for name, data, size, crc in entries:
        encoded = name.encode()
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        local += header + encoded + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                               len(encoded), 0, 0, 0, 0, 0, offset) + encoded
        offset += len(header) + len(encoded) + len(data)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), offset, 0)
    path.write_bytes(bytes(local + central + end))
    return path


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _zip_bomb(path: Path) -> Path:
    """A template plus one part of 2.5 GiB of zeros, about 2.6 MB on disk (a real deflate stream)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(ZERO_BLOCK_BYTES)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)  # no reference to earlier blocks
    stream = block * BOMB_BLOCKS + zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # final empty block
    crc = 0
    for _ in range(BOMB_BLOCKS):
        crc = zlib.crc32(zeros, crc)
    entries = [(name, _deflate(data), len(data), zlib.crc32(data)) for name, data in _parts().items()]
    entries.append(("xl/media/padding.bin", stream, ZERO_BLOCK_BYTES * BOMB_BLOCKS, crc))
    return _raw_zip(path, entries)


def _edited(**edits) -> openpyxl.Workbook:
    """The template with ``edits`` typed into the cells of the named inputs."""
    workbook = openpyxl.load_workbook(TEMPLATE)
    for key, value in edits.items():
        sheet, cell = next(iter(workbook.defined_names[key].destinations))
        workbook[sheet][cell.replace("$", "")] = value
    return workbook


def _refused(path: Path, spec, *fragments: str) -> str:
    with pytest.raises(InputError) as caught:
        read_assumptions(path, spec)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message and "Error" not in message.split(":")[0]
    return message


def test_a_real_2_5_mb_zip_bomb_is_refused_from_its_directory(tmp_path: Path, spec) -> None:
    bomb = _zip_bomb(tmp_path / "bomb.xlsx")
    assert 2_000_000 < bomb.stat().st_size < 3_000_000
    with zipfile.ZipFile(bomb) as archive:  # a valid archive: the first MiB really unpacks to zeros
        with archive.open("xl/media/padding.bin") as stream:
            assert stream.read(2**20) == bytes(2**20)
    message = _refused(bomb, spec, "16 MiB each", "32 MiB in total", "xl/media/padding.bin", "2,560.0 MiB")
    assert message.startswith("--from: ")


def test_parts_under_the_part_limit_are_capped_in_total(tmp_path: Path, spec) -> None:
    parts = _parts()
    parts.update({f"xl/media/zeros{index}.bin": bytes(15 * 2**20) for index in range(3)})
    _refused(_write_zip(tmp_path / "three.xlsx", parts), spec, "32 MiB in total", "its parts unpack to 45.")


def test_a_directory_that_understates_a_part_fails_its_crc_and_never_grows(tmp_path: Path, spec) -> None:
    blank_xml = b"<a>" + b" " * (64 * 2**20) + b"</a>"
    entries = [(name, _deflate(data), len(data), zlib.crc32(data)) for name, data in _parts().items()]
    entries.append(("customXml/item1.xml", _deflate(blank_xml), 1024, zlib.crc32(blank_xml)))
    _refused(_raw_zip(tmp_path / "liar.xlsx", entries), spec, "damaged", "CRC")


def _laughs(path: Path) -> Path:
    parts = _parts()
    parts[WORKBOOK_PART] = _with_dtd(parts[WORKBOOK_PART], LAUGHS_DTD, "&lol9;")
    return _write_zip(path, parts)


def test_billion_laughs_inside_an_xlsx_is_refused_before_parsing(tmp_path: Path, spec) -> None:
    laughs = _laughs(tmp_path / "laughs.xlsx")
    _refused(laughs, spec, "declares no document type or entities", "xl/workbook.xml has a <!DOCTYPE>")


def test_openpyxl_itself_parses_with_defusedxml(tmp_path: Path) -> None:
    """The second layer: even without our scan, openpyxl refuses entity declarations."""
    assert openpyxl.DEFUSEDXML is True
    with pytest.raises(ValueError) as caught:  # openpyxl wraps the parser's refusal
        openpyxl.load_workbook(_laughs(tmp_path / "laughs.xlsx"))
    assert isinstance(caught.value.__cause__ or caught.value.__context__, defusedxml.EntitiesForbidden)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_external_entities_are_refused_in_any_encoding(tmp_path: Path, spec, encoding: str) -> None:
    parts = _parts()
    dtd = '<!DOCTYPE workbook [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
    parts[WORKBOOK_PART] = _with_dtd(parts[WORKBOOK_PART], dtd, "&e;", encoding)
    _refused(_write_zip(tmp_path / "xxe.xlsx", parts), spec, "xl/workbook.xml has a <!DOCTYPE>")


def test_macros_and_external_links_are_ignored_and_reported(tmp_path: Path, spec, caplog) -> None:
    parts = _parts(save_deterministic(_edited(duration=105, duration_unit="day"), tmp_path / "e.xlsx", {}))
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 Sub Auto_Open(): Shell \"calc\": End Sub"
    parts["xl/externalLinks/externalLink1.xml"] = (b'<externalLink xmlns="http://schemas.openxmlformats.org/'
                                                   b'spreadsheetml/2006/main"/>')
    sent = _write_zip(tmp_path / "sent.xlsm", parts)
    with caplog.at_level(logging.WARNING, logger=read_back.__name__):
        assumptions = read_assumptions(sent, spec)
    assert assumptions == {"duration": "105.0 day"}
    assert any("macros were ignored" in note for note in assumptions.notes)
    assert any("external links were ignored" in note for note in assumptions.notes)
    logged = [record.getMessage() for record in caplog.records]
    assert any("sent.xlsm" in text and "macros were ignored" in text for text in logged)


def test_a_formula_in_an_input_cell_is_read_as_its_saved_value_never_evaluated(tmp_path: Path, spec) -> None:
    workbook = _edited(duration="=1+1", duration_unit="day")
    sheet, cell = next(iter(workbook.defined_names["duration"].destinations))
    saved = save_deterministic(workbook, tmp_path / "formula.xlsx", {sheet: {cell.replace("$", ""): 105}})
    assumptions = read_assumptions(saved, spec)
    assert assumptions["duration"] == "105.0 day"  # the saved 105, not our evaluation of 1+1
    assert any("duration" in note and "saved values" in note for note in assumptions.notes)


def test_a_formula_never_calculated_and_an_error_value_are_refused(tmp_path: Path, spec) -> None:
    uncalculated = _edited(duration="=1+1")
    uncalculated.save(tmp_path / "uncalculated.xlsx")
    _refused(tmp_path / "uncalculated.xlsx", spec, "duration", "never calculated")
    errors = _edited(duration="#DIV/0!")
    errors.save(tmp_path / "error.xlsx")
    _refused(tmp_path / "error.xlsx", spec, "duration", "the cell shows the error #DIV/0!")


@pytest.mark.parametrize(("reference", "shown"), [
    ("Model!$C:$C", "Model!$C:$C"), ("Model!$15:$15", "Model!$15:$15"), ("Model!$C$0", "Model!$C$0"),
    ("Model!$C$15:$C$16", "Model!$C$15:$C$16"), ("Model!$C$15,Model!$C$16", "Model!$C$15,Model!$C$16"),
    ("Model!#REF!", "Model!#REF!"), ("#REF!", "#REF!"), ("1+1", "1+1"), ("Model!$XFE$1", "Model!$XFE$1"),
])
def test_defined_names_that_are_not_one_cell_are_refused(tmp_path: Path, spec, reference: str, shown: str) -> None:
    workbook = openpyxl.load_workbook(TEMPLATE)
    del workbook.defined_names["duration"]
    workbook.defined_names["duration"] = DefinedName("duration", attr_text=reference)
    workbook.save(tmp_path / "names.xlsx")
    _refused(tmp_path / "names.xlsx", spec, "duration", "a defined name that points to one cell", shown)


def test_a_deleted_sheet_or_a_foreign_workbook_is_not_a_template(tmp_path: Path, spec, capsys) -> None:
    workbook = openpyxl.load_workbook(TEMPLATE)
    del workbook["Model"]
    workbook.save(tmp_path / "no_model.xlsx")
    _refused(tmp_path / "no_model.xlsx", spec, "on an existing sheet", "'Model'")
    openpyxl.Workbook().save(tmp_path / "foreign.xlsx")
    _refused(tmp_path / "foreign.xlsx", spec, f"a {T5} template", "none of its input names")
    for name in ("no_model.xlsx", "foreign.xlsx"):
        code = main(["report", T5, "--from", str(tmp_path / name), "-o", str(tmp_path / "out.json")])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("flopsheet: --from") and "Traceback" not in err
    assert not (tmp_path / "out.json").exists()


def test_non_files_and_oversized_files_are_refused_without_reading(tmp_path: Path, spec) -> None:
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    _refused(fifo, spec, "not a regular file")  # returns at once: a FIFO is never read
    _refused(tmp_path, spec, "not a regular file")
    _refused(Path("/dev/zero"), spec, "not a regular file")
    _refused(tmp_path / "missing.xlsx", spec, "an existing .xlsx file", "does not exist")
    huge = tmp_path / "huge.xlsx"
    with open(huge, "wb") as handle:
        handle.truncate(read_back.MAX_WORKBOOK_BYTES + 1)  # sparse: nothing is written
    _refused(huge, spec, "at most 20 MiB")
    (tmp_path / "notes.xlsx").write_text("hello")
    _refused(tmp_path / "notes.xlsx", spec, "an .xlsx workbook", "not a zip archive")


def test_odd_archives_are_refused(tmp_path: Path, spec) -> None:
    _refused(_write_zip(tmp_path / "bz2.xlsx", _parts(), zipfile.ZIP_BZIP2), spec, "compression method 12")
    parts = _parts()
    parts.update({f"xl/media/p{index}.bin": b"" for index in range(read_back.MAX_PARTS)})
    _refused(_write_zip(tmp_path / "many.xlsx", parts), spec, "at most 1,000")
    encrypted = bytearray(TEMPLATE.read_bytes())
    central = encrypted.find(b"PK\x01\x02")
    encrypted[central + 8] |= 0x1  # the "encrypted" flag of the first part in the directory
    (tmp_path / "encrypted.xlsx").write_bytes(bytes(encrypted))
    _refused(tmp_path / "encrypted.xlsx", spec, "is encrypted")


def test_an_overlong_cell_is_refused_at_once(tmp_path: Path, spec) -> None:
    workbook = _edited(duration="9" * 1_000_000)
    workbook.save(tmp_path / "long.xlsx")
    _refused(tmp_path / "long.xlsx", spec, "duration", "at most 1,000 characters")


def test_openpyxl_warnings_never_reach_the_user(tmp_path: Path, spec, capfd) -> None:
    parts = _parts()
    del parts["xl/styles.xml"]  # openpyxl warns "Workbook contains no default style"
    bare = _write_zip(tmp_path / "bare.xlsx", parts)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read_assumptions(bare, spec) == {}
    assert caught == []
    assert capfd.readouterr().err == ""


def test_an_edited_template_still_reads_back(tmp_path: Path, spec) -> None:
    edited = _edited(data=37_580_963_840, data_unit="kB", duration=105, duration_unit="day")
    edited.save(tmp_path / "edited.xlsx")
    assumptions = read_assumptions(tmp_path / "edited.xlsx", spec)
    assert assumptions == {"data": "37580963840.0 kB", "duration": "105.0 day"} and assumptions.notes == []
    assert read_assumptions(TEMPLATE, spec) == {}
