"""Issue 11: every file flopsheet writes is atomic, lands only on a regular file, honours
permissions, carries no formula, extra line or escape code from user text, and is
byte-identical for the same inputs.

Kill tests use real processes and real signals; permission tests use the kernel's
checks (as user ``nobody`` when the suite runs as root).
"""

from __future__ import annotations

import csv
import errno
import json
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import flopsheet
from flopsheet.cli import main
from flopsheet.units import InputRangeError, OutputError
from flopsheet.workbooks.model import sweep as sweeps
from flopsheet.workbooks.model.spec import SPEC_DIR, load_spec
from flopsheet.workbooks.outputs import safe_io
from flopsheet.workbooks.outputs.safe_io import FORMULA_TRIGGERS, atomic_write, inert_text, visible_text
from flopsheet.workbooks.outputs.text_table import render_table
from flopsheet.workbooks.xlsx.recalc import convert
from flopsheet.workbooks.xlsx.sweep_workbook import write_sweep_xlsx

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")

T5, T6 = "table5_kimi_training", "table6_kimi_inference"
OLD = b"the previous report, intact\n"
#: Chunks of the slow writer: 500 x 5 ms (2.5 s or more), so a signal within the first second lands
#: mid-write even when a busy machine delays the parent (200 chunks failed once under load).
SLOW_CHUNKS = 500
#: A crafted label: a CSV/DDE payload after a carriage return, ANSI colour, CSI clear-screen
#: (C1), a line separator before a formula, and a right-to-left override.
HOSTILE_LABEL = "x\r=cmd|' /C calc'!A0 \x1b[31mred\x1b[0m \x9b2J\u2028@SUM(1)\u202eevil"
RAW_CONTROLS = ("\x1b", "\x9b", "\u2028", "\u202e", "\r")


def _forked_writer(target: Path, fill: bytes = b"n", chunks: int = SLOW_CHUNKS, repeats: int = 1) -> tuple[int, int]:
    """Fork a process that writes ``target`` slowly through atomic_write ``repeats`` times.

    Returns the child's pid and a pipe that yields one byte once the first chunk is written.
    The child exits 0 only when every write finished.
    """
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(reader)

            def slow(path: Path) -> None:
                with open(path, "wb") as handle:
                    for index in range(chunks):
                        handle.write(fill * 4096)
                        handle.flush()
                        if index == 0:
                            os.write(writer, b"w")
                        time.sleep(0.005)

            for _ in range(repeats):
                atomic_write(target, slow)
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    return child, reader


def _exit_code(child: int) -> int:
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])


@pytest.mark.parametrize(("signal_number", "existing", "count"), [
    (signal.SIGKILL, True, 10), (signal.SIGKILL, False, 5), (signal.SIGINT, True, 5), (signal.SIGINT, False, 3),
    (signal.SIGTERM, True, 3),
])
def test_a_killed_writer_leaves_the_old_file_or_none_and_no_leftovers(tmp_path: Path, signal_number: int,
                                                                     existing: bool, count: int) -> None:
    delays = random.Random(11).sample([step / 100 for step in range(0, 90, 3)], count)
    children = []
    for index in range(count):
        target = tmp_path / f"run{index}" / "report.csv"
        target.parent.mkdir()
        if existing:
            target.write_bytes(OLD)
        children.append((target, *_forked_writer(target)))
    for _, _, started in children:
        assert os.read(started, 1) == b"w"
        os.close(started)
    begin = time.monotonic()
    for (target, child, _), delay in sorted(zip(children, delays), key=lambda pair: pair[1]):
        time.sleep(max(0.0, begin + delay - time.monotonic()))
        os.kill(child, signal_number)
    window_leftovers = 0
    for target, child, _ in children:
        assert _exit_code(child) != 0, "the signal arrived after the write finished"
        names = sorted(os.listdir(target.parent))
        if signal_number == signal.SIGKILL and existing and len(names) == 2 and names[0].endswith(".part"):
            # SIGKILL between linkat and rename (microseconds; see safe_io's docstring) leaves one
            # hidden name; a busy machine can deschedule the writer right there, so allow one per run.
            window_leftovers += 1
            names = names[1:]
        assert names == (["report.csv"] if existing else [])
        assert not existing or target.read_bytes() == OLD
    assert window_leftovers <= 1, f"{window_leftovers} of {count} kills left a hidden file"


def test_two_processes_writing_one_path_leave_one_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "shared.csv"
    contents = {fill: fill * 4096 * 40 for fill in (b"a", b"b", b"c", b"d")}
    children = [_forked_writer(target, fill, chunks=40, repeats=8) for fill in contents]
    reads, running, exit_codes = 0, {child for child, _ in children}, []
    while running:
        try:
            seen = target.read_bytes()
        except FileNotFoundError:
            seen = None
        assert seen is None or seen in contents.values(), f"a reader saw a partial or mixed file of {len(seen)} bytes"
        reads += seen is not None
        for child in list(running):
            pid, status = os.waitpid(child, os.WNOHANG)
            if pid:
                running.discard(child)
                exit_codes.append(os.waitstatus_to_exitcode(status))
    for _, started in children:
        os.close(started)
    assert exit_codes == [0] * len(contents)
    assert reads > 0 and target.read_bytes() in contents.values()
    assert os.listdir(tmp_path) == ["shared.csv"]


@pytest.mark.parametrize(("signal_number", "after"), [(signal.SIGKILL, 3), (signal.SIGINT, 6)])
def test_report_all_killed_midway_leaves_whole_reports(tmp_path: Path, signal_number: int, after: int) -> None:
    """``flopsheet report all`` killed after some reports: each file is the old one or the whole new one."""
    reference = tmp_path / "reference"
    reference.mkdir()
    names = flopsheet.workbooks.model.spec.spec_names()
    for name in names:
        flopsheet.report(name, reference / f"{name}.md")
    out = tmp_path / "out"
    out.mkdir()
    for name in names:
        (out / f"{name}.md").write_bytes(OLD)
    child = subprocess.Popen([sys.executable, "-m", "flopsheet", "report", "all", "-o", str(out), "--format", "md"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for _ in range(after):
        assert child.stdout.readline().strip()
    child.send_signal(signal_number)
    child.wait(timeout=60)
    assert child.returncode != 0, "report all finished before the signal"
    assert sorted(os.listdir(out)) == sorted(f"{name}.md" for name in names)
    replaced = [name for name in names if (out / f"{name}.md").read_bytes() != OLD]
    assert after <= len(replaced) < len(names)
    for name in replaced:
        assert (out / f"{name}.md").read_bytes() == (reference / f"{name}.md").read_bytes(), name


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_files_get_the_umask_permissions(tmp_path: Path, mask: int) -> None:
    previous = os.umask(mask)
    try:
        atomic_write(tmp_path / "new.json", lambda path: path.write_text("{}"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o755])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "kept.md"
    target.write_bytes(OLD)
    target.chmod(mode)
    atomic_write(target, lambda path: path.write_text("new"))
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == mode


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket(path: Path) -> Path:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _symlink(path: Path) -> Path:
    (path.parent / "real.csv").write_bytes(OLD)
    path.symlink_to(path.parent / "real.csv")
    return path


@pytest.mark.parametrize(("make", "reason"), [
    (_fifo, "it is a named pipe (FIFO)"), (_socket, "it is a socket"), (_directory, "it is a folder"),
    (_symlink, "it is a symbolic link"),
])
def test_non_regular_targets_are_refused_and_left_alone(tmp_path: Path, make, reason: str) -> None:
    target = make(tmp_path / "out.csv")
    before, listing = os.lstat(target), sorted(os.listdir(tmp_path))
    with pytest.raises(OutputError) as caught:
        atomic_write(target, lambda path: path.write_text("new"))
    assert str(caught.value) == f'-o: cannot write "{target}": {reason}; expected a regular file or a new name'
    after = os.lstat(target)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert sorted(os.listdir(tmp_path)) == listing


def test_dev_null_is_never_replaced(capsys) -> None:
    before = os.stat("/dev/null")
    code = main(["report", T5, "-o", "/dev/null", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == 'flopsheet: -o: cannot write "/dev/null": it is a character device; expected a regular file ' \
                  "or a new name\n"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and os.stat("/dev/null").st_ino == before.st_ino


def test_a_read_only_report_is_not_replaced(tmp_path: Path, capsys) -> None:
    target = tmp_path / "final.json"
    target.write_bytes(OLD)
    target.chmod(0o444)
    assert main(["report", T5, "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert f'cannot write "{target}": the file is read-only' in err
    assert target.read_bytes() == OLD and [path.name for path in tmp_path.iterdir()] == ["final.json"]


@pytest.mark.parametrize(("relative", "reason"), [
    ("missing/x.json", 'the folder "{folder}/missing" does not exist'),
    ("file.txt/x.json", '"{folder}/file.txt" is not a folder'),
    ("file.txt/x.xlsx", '"{folder}/file.txt" is not a folder'),  # xlsx reports create missing folders
    ("file.txt/sub/x.xlsx", 'the folder "{folder}/file.txt/sub" does not exist'),
])
def test_output_errors_name_the_path_and_the_reason(tmp_path: Path, capsys, relative: str, reason: str) -> None:
    (tmp_path / "file.txt").write_text("a file")
    target = tmp_path / relative
    assert main(["report", T5, "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err == f'flopsheet: -o: cannot write "{target}": {reason.format(folder=tmp_path)}\n'


def _clean_message(text: str) -> None:
    for leak in ("Error", ".part", "/proc/", "Traceback", "Errno"):
        assert leak not in text, text


def _write_as_nobody(target: Path) -> str:
    """Run atomic_write in a forked child that became user nobody; return its message."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(reader)
        message = "written"
        try:
            os.setgid(65534)
            os.setuid(65534)
            atomic_write(target, lambda path: path.write_text("new"))
        except OutputError as error:
            message = str(error)
        except BaseException as error:  # noqa: BLE001 - report anything to the parent
            message = f"unexpected {type(error).__name__}: {error}"
        os.write(writer, message.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        message = pipe.read()
    os.waitpid(child, 0)
    return message


def test_permission_denied_names_the_folder(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="flopsheet-perm-"))
    try:
        folder.chmod(0o755)
        locked = folder / "locked"
        locked.mkdir(mode=0o555)
        existing = folder / "writable_in_locked"
        existing.mkdir(mode=0o755)
        (existing / "r.csv").write_bytes(OLD)
        (existing / "r.csv").chmod(0o666)
        existing.chmod(0o555)
        attempts = [locked / "r.csv", existing / "r.csv"]
        if os.geteuid() == 0:
            messages = [_write_as_nobody(target) for target in attempts]
        else:
            messages = []
            for target in attempts:
                with pytest.raises(OutputError) as caught:
                    atomic_write(target, lambda path: path.write_text("new"))
                messages.append(str(caught.value))
        for target, message in zip(attempts, messages):
            assert message == (f'-o: cannot write "{target}": permission denied: cannot create files in the folder '
                               f'"{target.parent}"'), message
        assert (existing / "r.csv").read_bytes() == OLD and sorted(os.listdir(locked)) == []
    finally:
        for path in (folder / "locked", folder / "writable_in_locked"):
            path.chmod(0o755)
        shutil.rmtree(folder)


def test_the_system_refusing_a_write_is_an_output_error(tmp_path: Path) -> None:
    """A file-size limit (RLIMIT_FSIZE) makes the kernel refuse the write with EFBIG."""
    target = tmp_path / "big.csv"
    target.write_bytes(OLD)
    script = (
        "import resource, signal, sys\n"
        "from flopsheet.workbooks.outputs.safe_io import atomic_write\n"
        "from flopsheet.units import OutputError\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "try:\n"
        "    atomic_write(sys.argv[1], lambda path: path.write_bytes(b'x' * 100_000))\n"
        "except OutputError as error:\n"
        "    print(error)\n")
    completed = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True,
                               check=True)
    assert completed.stdout == f'-o: cannot write "{target}": {os.strerror(errno.EFBIG)}\n'
    assert target.read_bytes() == OLD and [path.name for path in tmp_path.iterdir()] == ["big.csv"]


def test_errors_about_other_files_pass_through(tmp_path: Path) -> None:
    def reads_a_missing_template(path: Path) -> None:
        path.write_text("half")
        (tmp_path / "no_template.xlsx").read_bytes()

    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "out.xlsx", reads_a_missing_template)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("folder_fd", [True, False], ids=["folder-fd", "paths"])
@pytest.mark.parametrize("interrupt", [RuntimeError("boom"), KeyboardInterrupt()])
def test_the_named_fallback_cleans_up_and_keeps_the_suffix(tmp_path: Path, monkeypatch, interrupt,
                                                           folder_fd: bool) -> None:
    """Where O_TMPFILE is missing the file is staged under a hidden name, removed on failure.

    ``paths`` is how systems without ``dir_fd`` (Windows) name files.
    """
    monkeypatch.setattr(safe_io, "_unnamed_stage", lambda destination, folder_fd: None)
    monkeypatch.setattr(safe_io, "_DIR_FD", folder_fd)
    target = tmp_path / "report.xlsx"
    target.write_bytes(OLD)
    staged: list[Path] = []

    def fails(path: Path) -> None:
        staged.append(path)
        path.write_text("half")
        raise interrupt

    with pytest.raises(type(interrupt)):
        atomic_write(target, fails)
    assert staged[0].parent == tmp_path and staged[0].name.startswith(".report.xlsx.") and staged[0].suffix == ".xlsx"
    assert target.read_bytes() == OLD and [path.name for path in tmp_path.iterdir()] == ["report.xlsx"]
    target.chmod(0o640)
    atomic_write(target, lambda path: path.write_text("new"))
    assert target.read_text() == "new" and [path.name for path in tmp_path.iterdir()] == ["report.xlsx"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    atomic_write(tmp_path / "new.csv", lambda path: path.write_text("x"))
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    """The process umask (read by setting it, as POSIX offers no other way before Python 3.13)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_the_unnamed_stage_is_used_on_this_system(tmp_path: Path) -> None:
    """On Linux the writer gets an unnamed file: nothing beside the target while it writes."""
    during: list[list[str]] = []
    atomic_write(tmp_path / "x.csv", lambda path: (path.write_text("x"), during.append(os.listdir(tmp_path))))
    assert during == [[]]


# --- user text: no formula, no extra line, no escape code --------------------------------------------


@pytest.fixture(scope="module")
def hostile_spec(tmp_path_factory):
    text = (SPEC_DIR / f"{T6}.toml").read_text(encoding="utf-8")
    escaped = HOSTILE_LABEL.encode("unicode_escape").decode("ascii").replace("\\x", "\\u00")
    crafted = text
    for label in ("Model parameters", "Compute per call"):  # an input and a derived row
        crafted = crafted.replace(f'label_en = "{label}"', f'label_en = "{escaped}"', 1)
    assert crafted.count(escaped) == 2
    path = tmp_path_factory.mktemp("hostile") / f"{T6}.toml"
    path.write_text(crafted, encoding="utf-8")
    spec = load_spec(path)
    assert spec.inputs[0].label_en == HOSTILE_LABEL and spec.rows[0].label_en == HOSTILE_LABEL
    return spec


def test_inert_text_quotes_every_line_that_starts_like_a_formula() -> None:
    assert inert_text("label\r=cmd|' /C calc'!A0") == "label\r'=cmd|' /C calc'!A0"
    assert inert_text("\n@SUM(1)\u2028+1\r\n-2") == "'\n'@SUM(1)\u2028'+1\r\n'-2"
    assert inert_text("plain\nlines") == "plain\nlines"


def test_visible_text_shows_controls_on_one_line() -> None:
    assert visible_text(HOSTILE_LABEL) == "x =cmd|' /C calc'!A0 \\x1b[31mred\\x1b[0m \\x9b2J @SUM(1)\\u202eevil"
    assert visible_text("汉字 a\tb") == "汉字 a\\x09b"


def test_csv_is_rfc_4180_with_one_record_per_row(tmp_path: Path, hostile_spec) -> None:
    path = flopsheet.report(hostile_spec, tmp_path / "hostile.csv")
    raw = path.read_bytes().decode("utf-8")
    frame = flopsheet.evaluate(hostile_spec)
    records = raw.split("\r\n")
    assert records[-1] == "" and len(records) - 1 == len(frame) + 1
    assert not any(character in raw for character in RAW_CONTROLS[:-1]) and "\n" not in raw.replace("\r\n", "")
    rows = list(csv.reader(raw.splitlines()))
    assert len(rows) == len(frame) + 1 and {len(row) for row in rows} == {9}
    text_fields = [field for row in rows for field in row if not _is_number(field)]
    assert len(text_fields) > 4 * len(rows) and not any(field.startswith(FORMULA_TRIGGERS) for field in text_fields)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_libreoffice_imports_the_csv_without_a_formula(tmp_path: Path, hostile_spec) -> None:
    """LibreOffice is the independent reader: the same import turns a raw formula line into a formula."""
    ours = flopsheet.report(hostile_spec, tmp_path / "hostile.csv")
    control = tmp_path / "control.csv"
    control.write_text("name,label\r\nrow,=1+1\r\n", encoding="utf-8")
    converted = convert([ours, control], tmp_path / "lo")
    control_sheet = openpyxl.load_workbook(converted[1]).active
    assert control_sheet["B2"].data_type == "f", "LibreOffice no longer imports formulas: the check is void"
    sheet = openpyxl.load_workbook(converted[0]).active
    assert sheet.max_row == len(flopsheet.evaluate(hostile_spec)) + 1
    assert [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"] == []


def test_markdown_gets_no_extra_line_or_escape_code(tmp_path: Path, hostile_spec) -> None:
    raw = flopsheet.report(hostile_spec, tmp_path / "hostile.md").read_bytes().decode("utf-8")
    frame = flopsheet.evaluate(hostile_spec)
    assert not any(character in raw for character in RAW_CONTROLS)
    table = [line for line in raw.split("\n") if line.startswith("|")]
    assert len(table) == len(frame) + 2
    params = next(line for line in table if line.startswith("| params "))
    assert params.replace("\\|", "").count("|") == 7  # six cells: the pipe inside the label is escaped
    assert "'=" not in params and "x =cmd\\|' /C calc'!A0 \\\\x1b[31mred" in params


def test_json_keeps_the_text_but_no_raw_control(tmp_path: Path, hostile_spec) -> None:
    raw = flopsheet.report(hostile_spec, tmp_path / "hostile.json").read_bytes().decode("utf-8")
    assert not any(character in raw for character in RAW_CONTROLS)
    assert json.loads(raw)["rows"][0]["label_en"] == HOSTILE_LABEL  # the same data, escaped bytes


def test_terminal_tables_never_print_escape_codes(capsys, hostile_spec) -> None:
    table = render_table(("name", "label"), [("params", HOSTILE_LABEL), ("x", "汉字")])
    assert len(table.splitlines()) == 4 and not any(character in table for character in RAW_CONTROLS)
    assert main(["show", str(hostile_spec.path)]) == 0
    out = capsys.readouterr().out
    assert "\\x1b[31mred" in out and not any(character in out for character in RAW_CONTROLS)


def test_text_safety_is_light_and_matches_openpyxl() -> None:
    """Terminal tables import neither openpyxl nor pandas; the xlsx rule is openpyxl's own."""
    code = ("import sys, flopsheet.workbooks.outputs.text_table, flopsheet.workbooks.outputs.safe_io;"
            "print(sorted({'openpyxl', 'pandas'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    assert [bool(safe_io.XLSX_ILLEGAL.match(chr(code))) for code in range(0x3000)] == \
        [bool(ILLEGAL_CHARACTERS_RE.match(chr(code))) for code in range(0x3000)]


def test_xlsx_cells_hold_control_characters_as_visible_text(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    safe_io.set_text_cell(workbook.active["A1"], "a\x1b[31mb\x00c\nd")
    workbook.save(tmp_path / "cells.xlsx")
    assert openpyxl.load_workbook(tmp_path / "cells.xlsx").active["A1"].value == "a\\x1b[31mb\\x00c\nd"


# --- sweeps: total size, non-finite results, same bytes -------------------------------------------------


def test_the_total_points_of_a_sweep_are_capped(capsys) -> None:
    assert sweeps.MAX_EVALUATIONS == 10_000 and sweeps.check_evaluations([100, 100]) == 10_000
    code = main(["sweep", T5, "--vary", "duration=1 month..200:1", "--vary", "utilization=1%..100%:1%"])
    err = capsys.readouterr().err
    assert code == 2 and err == ('flopsheet: --vary: must be at most 10,000 evaluations in total (the product of '
                                 'the axes), got "200 x 100 = 20,000"\n')
    with pytest.raises(InputRangeError, match="10,000 evaluations"):
        flopsheet.sweep(T5, {"duration": "1..10000:1", "utilization": "1%..2%:1%"})
    with pytest.raises(InputRangeError, match="at most 10,000 points, not 10,001"):
        flopsheet.sweep(T5, {"duration": "1..10001:1"})


def test_non_finite_sweep_results_are_error_cells(tmp_path: Path) -> None:
    table = pd.DataFrame({"cards": [1.0, np.inf, np.nan]}, index=pd.Index([1.0, 2.0, 3.0], name="duration"))
    table.attrs.update(model=T5, target="cards", target_unit="card", inputs=[("duration", "d")])
    sheet = openpyxl.load_workbook(write_sweep_xlsx(table, tmp_path / "inf.xlsx"))["Sweep"]
    assert [(cell.value, cell.data_type) for (cell,) in sheet["B4:B6"]] == [(1.0, "n"), ("#NUM!", "e"),
                                                                          ("#NUM!", "e")]


#: Writes every output this module owns, from the CLI and the Python API, into argv[1].
ALL_OUTPUTS = """
import sys
from pathlib import Path
import flopsheet
from flopsheet.cli import main
out = Path(sys.argv[1])
for suffix in ("csv", "md", "json"):
    flopsheet.report("table5_kimi_training", out / f"t5.{suffix}", duration="105 days", data="37,580,963,840 kB")
    flopsheet.report("table6_kimi_inference", out / f"t6.{suffix}")
assert main(["sweep", "table5_kimi_training", "--vary", "duration=60 days..180 days:30 days",
             "-o", str(out / "one.xlsx")]) == 0
assert main(["sweep", "table5_kimi_training", "--vary", "duration=2 months..6 months:1 month", "--vary", "utilization=20%..50%:10%",
             "-o", str(out / "two.xlsx")]) == 0
assert main(["sweep", "table6_kimi_inference", "--vary", "busy_hours=6 hours..24 hours:6 hours", "-o", str(out / "sweep.csv")]) == 0
"""


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    runs = []
    for seed in ("0", "1"):
        folder = tmp_path / f"run{seed}"
        folder.mkdir()
        runs.append((folder, subprocess.Popen([sys.executable, "-W", "error", "-c", ALL_OUTPUTS, str(folder)],
                                              env={**os.environ, "PYTHONHASHSEED": seed},
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        time.sleep(1.1)  # a second apart: any clock in the output would differ
    for folder, child in runs:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        assert err == "", err  # no warning (numpy, openpyxl) printed any path
    names = sorted(path.name for path in runs[0][0].iterdir())
    assert names == ["one.xlsx", "sweep.csv", "t5.csv", "t5.json", "t5.md", "t6.csv", "t6.json", "t6.md", "two.xlsx"]
    for name in names:
        assert (runs[0][0] / name).read_bytes() == (runs[1][0] / name).read_bytes(), name


def test_writing_outputs_raises_no_warning(tmp_path: Path) -> None:
    table = flopsheet.sweep(T5, {"duration": "2..4:1"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_sweep_xlsx(table, tmp_path / "w.xlsx")
        for suffix in ("csv", "md", "json"):
            flopsheet.report(T5, tmp_path / f"w.{suffix}")
