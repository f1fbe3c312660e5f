"""Packaging, the console script, and the architecture rules of design.md."""

from __future__ import annotations

import ast
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import flopsheet

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"units": set(), "formulas": {"units"}, "workbooks": {"units", "formulas"}, "addin": {"units", "formulas"}}


def _run(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)


def test_console_script_version_and_summary() -> None:
    flopsheet_script = Path(sys.executable).with_name("flopsheet")
    version = _run(str(flopsheet_script), "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"flopsheet {flopsheet.__version__}"
    summary = _run(sys.executable, "-m", "flopsheet", "summary")
    assert summary.returncode == 0, summary.stderr
    for expected in ["4,912,544,292,810 token", "13,793 card", "16,092 card", "15,860 card", "12,846 card",
                     "37.58 TB = 34.18 TiB", "6,896 card", "1,481.5 card", "740.7 card", "30.4375 days"]:
        assert expected in summary.stdout, expected


def test_cli_without_a_command_is_usage_error() -> None:
    completed = _run(sys.executable, "-m", "flopsheet")
    assert completed.returncode == 2


def test_non_editable_wheel_installs_and_carries_its_data(tmp_path: Path) -> None:
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT))
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(tmp_path.glob("flopsheet-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for member in ["flopsheet/units/definitions.txt", "flopsheet/formulas/catalogues/data/accelerators.toml",
                   "flopsheet/formulas/catalogues/data/mfu.toml", "flopsheet/formulas/catalogues/data/runs.toml",
                   "flopsheet/formulas/catalogues/data/models.toml", "flopsheet/formulas/catalogues/data/efficiencies.toml",
                   "flopsheet/formulas/training/utilization.py", "flopsheet/formulas/serving/fleet.py",
                   "flopsheet/cli/__init__.py", "flopsheet/cli/models.py", "flopsheet/__main__.py"]:
        assert member in names
    assert not any(name.split("/")[0] in {"units", "formulas", "workbooks", "addin", "tests"} for name in names)
    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", str(venv)).returncode == 0
    python = venv / "bin" / "python"
    # The dependencies come from the test interpreter's own site-packages (the .venv that
    # setup.sh filled), never from the base Python, which on a fresh machine has no pint.
    # A path line in a .pth file adds the folder without running its .pth files, so the
    # editable flopsheet installed there stays invisible: the wheel is what gets imported.
    purelib = _run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    dependencies = [path for path in site.getsitepackages() if Path(path).is_dir()]
    (Path(purelib) / "flopsheet_test_dependencies.pth").write_text("\n".join(dependencies) + "\n", encoding="utf-8")
    installed = _run(str(python), "-m", "pip", "install", "--no-deps", "--force-reinstall", "-q", str(wheel))
    assert installed.returncode == 0, installed.stderr[-2000:]
    probe = _run(str(python), "-c", "import flopsheet; print(flopsheet.__file__); "
                 "print(round(flopsheet.train_cards('1e24 FLOP', 'A100 tf32', '30%', 90).m))", cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    location, cards = probe.stdout.split()
    assert str(venv) in location and cards == "2748"
    shown = _run(str(python), "-m", "flopsheet", "show", "table5_kimi_training", cwd=tmp_path)
    assert shown.returncode == 0 and "4,912,544,292,810" in shown.stdout, shown.stderr


#: Root-package modules a layer may import: they import nothing of flopsheet.
ROOT_MODULES = {"_version"}


def _package_of(path: Path) -> list[str]:
    """The dotted package of a source file (``workbooks/model/spec.py`` -> flopsheet.workbooks.model)."""
    folders = list(path.relative_to(ROOT).parts[:-1])
    return folders if folders[:1] == ["flopsheet"] else ["flopsheet", *folders]


def _resolved(node: ast.ImportFrom, package: list[str]) -> list[str]:
    """The dotted module a ``from ... import`` names, relative levels resolved against ``package``."""
    base = package[:len(package) - node.level + 1] if node.level else []
    return base + (node.module.split(".") if node.module else [])


def _imports(path: Path) -> set[str]:
    """What a module imports of flopsheet: top-level subpackages, or ``flopsheet`` for the root's own names.

    Relative imports are resolved (``from .. import formulas`` in workbooks/x.py is
    flopsheet.formulas); ``from flopsheet import train_cards`` counts as importing the root.
    """
    found: set[str] = set()
    package = _package_of(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = _resolved(node, package)
            if not module or module[0] != "flopsheet":
                continue
            if len(module) >= 2:
                found.add(module[1])
            else:  # from flopsheet import X, or from .. import X at the top
                found.update(alias.name if alias.name in LAYERS or alias.name in ROOT_MODULES else "flopsheet"
                             for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "flopsheet":
                    found.add(parts[1] if len(parts) > 1 else "flopsheet")
    return found - ROOT_MODULES


def test_the_import_reader_sees_every_form() -> None:
    module = ROOT / "workbooks" / "model" / "_probe_imports.py"
    module.write_text("from ... import formulas\nfrom ...addin import cells\nfrom flopsheet import train_cards\n"
                      "import flopsheet.units\nfrom .. import xlsx\nfrom ..._version import __version__\n")
    try:
        assert _imports(module) == {"formulas", "addin", "flopsheet", "units", "workbooks"}
    finally:
        module.unlink()


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_imports_flow_one_way(layer: str) -> None:
    checked = 0
    for path in (ROOT / layer).rglob("*.py"):
        illegal = _imports(path) & ((set(LAYERS) | {"flopsheet"}) - LAYERS[layer] - {layer})
        assert not illegal, f"{path.relative_to(ROOT)} imports {illegal}"
        checked += 1
    assert checked >= 3, f"no modules found under {layer}/"


def test_no_eval_or_exec_in_the_package() -> None:
    for folder in ["flopsheet", *LAYERS]:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
            assert not calls & {"eval", "exec", "compile", "__import__"}, path


def test_root_package_holds_no_logic() -> None:
    assert sorted(path.name for path in (ROOT / "flopsheet").glob("*.py")) == ["__init__.py", "__main__.py", "_version.py"]
    assert sorted(path.name for path in (ROOT / "flopsheet").iterdir()
                  if path.is_dir() and path.name != "__pycache__") == ["cli"]


def test_only_the_entry_point_imports_the_command_line() -> None:
    """flopsheet.cli sits on top: ``flopsheet/__main__.py`` imports it, no layer below does."""
    importers = sorted(path.relative_to(ROOT).as_posix() for folder in ["flopsheet", *LAYERS]
                       for path in (ROOT / folder).rglob("*.py")
                       if (ROOT / "flopsheet" / "cli") not in path.parents and "cli" in _imports(path))
    assert importers == ["flopsheet/__main__.py"]


def test_the_command_line_imports_only_the_layers() -> None:
    for path in (ROOT / "flopsheet" / "cli").rglob("*.py"):
        illegal = _imports(path) - {"units", "formulas", "workbooks", "addin", "cli"}
        assert not illegal, f"{path.relative_to(ROOT)} imports {illegal}"


def test_a_closed_pipe_ends_quietly() -> None:
    """``flopsheet ... | head``: the reader is gone before anything is written; no BrokenPipeError text."""
    flopsheet_script = Path(sys.executable).with_name("flopsheet")
    process = subprocess.Popen([str(flopsheet_script), "audit", "all"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the read end closes first: the command's first write meets a broken pipe
    stderr = process.stderr.read().decode()
    assert process.wait() == 0 and stderr == "", stderr


def test_the_command_line_is_composed_at_the_top() -> None:
    from flopsheet.cli import REGISTRARS, build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"summary", "build", "show", "report", "audit", "sweep", "addin"} <= set(commands)
    assert [registrar.__module__ for registrar in REGISTRARS] == [
        "flopsheet.cli.models", "flopsheet.cli.simulate", "flopsheet.cli.calculators", "flopsheet.cli.catalogues",
        "flopsheet.addin.cli"]


def test_the_benchmark_suite_runs_and_reports_ratios() -> None:
    """The suite runs (one quick round, nothing written); its numbers are never asserted."""
    completed = _run(sys.executable, str(ROOT / "bench" / "run.py"), "--group", "formulas", "--group", "model",
                     "--rounds", "1", "--no-write")
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.count("x (") == 5 and "raw numpy" in completed.stdout


#: What each part of formulas/ may import of formulas/ (rooms in one direction:
#: args < catalogues < magnitudes, rows, collectives < training, serving, cluster < table < __init__).
FORMULA_ROOMS = {
    "args": set(),
    "catalogues": {"args"},
    "magnitudes": {"args", "catalogues"},
    "rows": set(),
    "collectives": {"catalogues"},
    "training": {"args", "catalogues", "magnitudes", "rows", "collectives"},
    "serving": {"args", "catalogues", "magnitudes", "rows", "collectives"},
    "cluster": {"args", "catalogues", "magnitudes"},
    "table": {"args", "catalogues", "training", "serving", "cluster"},
}


def _formula_imports(path: Path) -> set[str]:
    """The parts of formulas/ a module under formulas/ imports (first name after flopsheet.formulas)."""
    found: set[str] = set()
    package = _package_of(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = _resolved(node, package)
            if module[:2] != ["flopsheet", "formulas"]:
                continue
            found.update(module[2:3] or [alias.name for alias in node.names])
    return found


@pytest.mark.parametrize("room", sorted(FORMULA_ROOMS))
def test_formula_rooms_import_one_way(room: str) -> None:
    paths = [ROOT / "formulas" / f"{room}.py"] if (ROOT / "formulas" / f"{room}.py").exists() else \
        sorted((ROOT / "formulas" / room).rglob("*.py"))
    assert paths and all(path.exists() for path in paths)
    for path in paths:
        illegal = _formula_imports(path) - FORMULA_ROOMS[room] - {room}
        assert not illegal, f"{path.relative_to(ROOT)} imports {illegal}"


def test_every_formulas_module_has_a_room() -> None:
    parts = {path.stem for path in (ROOT / "formulas").glob("*.py")} | \
        {path.name for path in (ROOT / "formulas").iterdir() if (path / "__init__.py").exists()}
    assert parts - {"__init__"} == set(FORMULA_ROOMS)
