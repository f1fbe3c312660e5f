"""Issue 23: one guard (units/user_files.py) for every file a user names; nothing blocks on a FIFO.

Each FIFO case runs in a child process with a timeout, so a regression fails the test
instead of hanging the suite.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import flopsheet
from flopsheet.formulas.catalogues import cards
from flopsheet.units import InputError, UserFileError
from flopsheet.units.user_files import open_user_file, read_user_file
from catalogue_support import X1, clean_catalogue  # noqa: F401 (autouse)

#: Seconds a refused FIFO may take (it takes milliseconds; a plain open() never returns).
FIFO_TIMEOUT = 60


def _flopsheet(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flopsheet", *argv], capture_output=True, text=True,
                          timeout=FIFO_TIMEOUT, env={**os.environ, **(env or {})})


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=FIFO_TIMEOUT)


@pytest.fixture()
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


def test_the_guard_refuses_every_kind_of_non_regular_file(tmp_path: Path, fifo: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    sock = tmp_path / "s.toml"
    server.bind(str(sock))
    try:
        for path, kind in ((fifo, "FIFO"), (tmp_path, "folder"), (Path("/dev/zero"), "device"), (sock, "socket")):
            with pytest.raises(UserFileError, match=f"x: expected a file, got .*not a regular file: it is a.? {kind}"):
                read_user_file(path, "x", "a file", 10)
    finally:
        server.close()
    with pytest.raises(UserFileError, match="does not exist"):
        read_user_file(tmp_path / "missing", "x", "a file", 10)
    for not_a_path in (None, 3, "", "  "):
        with pytest.raises(UserFileError, match="a file path is needed"):
            read_user_file(not_a_path, "x", "a file", 10)  # type: ignore[arg-type]
    with pytest.raises(UserFileError, match="not a usable path"):
        read_user_file("a\0b", "x", "a file", 10)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 11)
    with pytest.raises(UserFileError, match="it has 11 bytes; at most 10 bytes are read"):
        read_user_file(big, "x", "a file", 10)
    with open_user_file(big, "x", "a file", 11) as handle:
        assert handle.read() == b"x" * 11


def test_a_fifo_catalogue_is_refused_by_load_catalogue_not_waited_on(fifo: Path) -> None:
    done = _python(f"import flopsheet\ntry:\n    flopsheet.load_catalogue({str(fifo)!r})\n"
                   "except flopsheet.InputError as error:\n    print(error)\n")
    assert done.returncode == 0, done.stderr
    assert f'catalogue: "{fifo}" is not a usable accelerator catalogue' in done.stdout
    assert "not a regular file: it is a FIFO" in done.stdout


def test_a_fifo_catalogue_is_refused_through_the_environment_and_the_cli(fifo: Path) -> None:
    through_environment = _flopsheet("cards", env={cards.CATALOGUE_ENV: str(fifo)})
    through_option = _flopsheet("--catalogue", str(fifo), "cards")
    for done in (through_environment, through_option):
        assert done.returncode == 2, done.stderr
        assert "not a regular file: it is a FIFO" in done.stderr and "Traceback" not in done.stderr
    assert "FLOPSHEET_CATALOGUE" in through_environment.stderr


def test_a_fifo_spec_and_a_fifo_workbook_are_refused(tmp_path: Path, fifo: Path) -> None:
    spec = _flopsheet("show", str(fifo))
    assert spec.returncode == 2 and "Traceback" not in spec.stderr, spec.stderr
    workbook = tmp_path / "sent.xlsx"
    os.mkfifo(workbook)
    sent = _flopsheet("show", "table5_kimi_training", "--from", str(workbook))
    assert sent.returncode == 2 and "not a regular file: it is a FIFO" in sent.stderr, sent.stderr


def test_a_spec_read_through_the_guard_refuses_a_fifo_at_load(fifo: Path) -> None:
    from flopsheet.workbooks.model import spec
    done = _python("from flopsheet.workbooks.model import spec\nfrom pathlib import Path\n"
                   f"try:\n    spec._load_cached(Path({str(fifo)!r}), 0)\n"
                   "except Exception as error:\n    print(type(error).__name__, error)\n")
    assert done.stdout.startswith("SpecError") and "not a regular file: it is a FIFO" in done.stdout, done
    assert spec.MAX_SPEC_BYTES == 1_000_000


def test_load_catalogue_of_none_is_a_catalogue_error_not_a_type_error() -> None:
    for bad in (None, 3, b"x.toml"):
        with pytest.raises(flopsheet.CatalogueError, match="named by a file path"):
            flopsheet.load_catalogue(bad)  # type: ignore[arg-type]


def test_a_catalogue_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + X1.encode("utf-8"))
    assert flopsheet.load_catalogue(path) == ["X1"]
    latin = tmp_path / "latin.toml"
    latin.write_bytes(X1.replace("Hypothetical", "Hypoth\xe9tique").encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        flopsheet.load_catalogue(latin)


def test_several_catalogues_load_in_order_and_a_later_one_overrides_only_when_it_says_so(tmp_path: Path) -> None:
    first, second, clash = tmp_path / "a.toml", tmp_path / "b.toml", tmp_path / "c.toml"
    first.write_text(X1, encoding="utf-8")
    second.write_text(X1.replace('"X1"', '"X2"').replace('["X-1 module"]', "[]"), encoding="utf-8")
    done = _flopsheet("--catalogue", str(first), "cards", "--catalogue", str(second))
    assert done.returncode == 0, done.stderr
    assert "X1" in done.stdout and "X2" in done.stdout  # the second did not replace the first
    clash.write_text(X1.replace('"2000 TFLOPS"', '"2500 TFLOPS"'), encoding="utf-8")
    refused = _flopsheet("--catalogue", str(first), "--catalogue", str(clash), "cards")
    assert refused.returncode == 2 and "clashes with 'X1'" in refused.stderr and "override = true" in refused.stderr
    clash.write_text(X1.replace('"2000 TFLOPS"', '"2500 TFLOPS"').replace('name = "X1"', 'name = "X1"\noverride = true')
                     .replace('aliases = ["X-1 module"]', "aliases = []"), encoding="utf-8")
    replaced = _flopsheet("--catalogue", str(first), "--catalogue", str(clash), "train", "--card", "X1 bf16",
                          "--params", "7e9", "--tokens", "1e12", "--days", "60", "--mfu", "40%", "--format", "json")
    assert replaced.returncode == 0, replaced.stderr
    assert "2500" in replaced.stdout  # the later file's override is the card in use


def test_a_fifo_price_catalogue_is_refused_by_load_prices_and_through_the_environment(fifo: Path) -> None:
    done = _python(f"import flopsheet\nfrom flopsheet.formulas.catalogues import prices\ntry:\n"
                   f"    prices.load_prices({str(fifo)!r})\n"
                   "except flopsheet.InputError as error:\n    print(error)\n")
    assert done.returncode == 0, done.stderr
    assert "not a regular file: it is a FIFO" in done.stdout
    through_environment = _flopsheet("cluster", "1024", "--card", "H100", env={"FLOPSHEET_PRICES": str(fifo)})
    assert through_environment.returncode == 2, through_environment.stderr
    assert "not a regular file: it is a FIFO" in through_environment.stderr
    assert "Traceback" not in through_environment.stderr
