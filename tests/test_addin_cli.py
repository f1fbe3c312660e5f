"""``flopsheet addin``: the xlwings config for desktop Excel and the Lite bundle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flopsheet.cli import main


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flopsheet", *args], capture_output=True, text=True, cwd=cwd,
                          check=False)


def test_addin_writes_the_xlwings_config_and_prints_the_steps(tmp_path: Path) -> None:
    completed = _run("addin", "--dir", str(tmp_path / "models"), "--interpreter", r"C:\Python311\pythonw.exe")
    assert completed.returncode == 0, completed.stderr
    config = (tmp_path / "models" / "xlwings.conf").read_text(encoding="utf-8")
    assert config == '"INTERPRETER_WIN","C:\\Python311\\pythonw.exe"\n"UDF MODULES","flopsheet.addin.udfs"\n'
    for step in ["xlwings addin install", "Import Functions", "Trust access to the VBA project object model",
                 "=TRAIN_CARDS(", "--lite"]:
        assert step in completed.stdout, step


def test_addin_defaults_to_the_current_folder_and_this_python(tmp_path: Path) -> None:
    completed = _run("addin", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert f'"INTERPRETER_WIN","{sys.executable}"' in (tmp_path / "xlwings.conf").read_text(encoding="utf-8")


def test_addin_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "xlwings.conf").write_text('"UDF MODULES","mine"\n', encoding="utf-8")
    refused = _run("addin", "--dir", str(tmp_path))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert "mine" in (tmp_path / "xlwings.conf").read_text(encoding="utf-8")
    assert main(["addin", "--dir", str(tmp_path), "--force"]) == 0
    assert "flopsheet.addin.udfs" in (tmp_path / "xlwings.conf").read_text(encoding="utf-8")


def test_addin_lite_writes_main_and_requirements(tmp_path: Path) -> None:
    assert main(["addin", "--lite", str(tmp_path / "lite")]) == 0
    assert sorted(path.name for path in (tmp_path / "lite").iterdir()) == ["main.py", "requirements.txt"]
    assert "from xlwings import arg, func" in (tmp_path / "lite" / "main.py").read_text(encoding="utf-8")


def test_addin_help_has_examples() -> None:
    completed = _run("addin", "--help")
    assert completed.returncode == 0
    assert "examples:" in completed.stdout and "flopsheet addin --lite" in completed.stdout
    assert "addin" in _run("--help").stdout


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    both = _run("addin", "--dir", str(tmp_path), "--lite", str(tmp_path))
    assert both.returncode == 2 and "not allowed with" in both.stderr
    assert _run("addin", "--bogus").returncode == 2
    assert _run("addin", "--lite").returncode == 2
