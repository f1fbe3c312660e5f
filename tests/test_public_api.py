"""The public interface, listed: an accidental rename or removal fails here.

``tests/public_api.json`` holds the names as they were before the move of issue 24
(generated once with ``python tests/test_public_api.py --write``): the Python API
(``flopsheet.__all__`` and ``flopsheet.formulas.__all__``), the Excel names of the
formula table, every CLI verb with its flags, the defined names of each generated
template, and the JSON fields of ``flopsheet report --format json`` and of the quick
calculator. A name may be added later; one missing from today's interface fails the
test, which prints the missing names.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPECTED_FILE = Path(__file__).with_name("public_api.json")
#: The model whose report JSON fields are listed.
JSON_MODEL = "table5_kimi_training"
#: Quick-calculator runs whose JSON fields are listed (seed 001, Tables 5 and 6).
CALCULATOR_RUNS = {
    "train": ["train", "--params", "2000亿", "--tokens", "4.9万亿", "--card", "A100 tf32", "--mfu", "30.2%",
              "--days", "90", "--format", "json"],
    "serve": ["serve", "--params", "2000亿", "--tokens-per-call", "2000", "--calls-per-day", "300万",
              "--card", "A10 fp16", "--mfu", "30%", "--busy-hours", "12", "--format", "json"],
}


def _python_names() -> dict[str, list[str]]:
    import flopsheet
    import flopsheet.formulas

    return {"flopsheet": sorted(flopsheet.__all__), "flopsheet.formulas": sorted(flopsheet.formulas.__all__)}


def _excel_names() -> list[str]:
    from flopsheet.formulas import FUNCTIONS

    return sorted(f"{record.excel_name}({', '.join(param.excel_name for param in record.params)})"
                  for record in FUNCTIONS)


def _cli_flags() -> dict[str, list[str]]:
    from flopsheet.cli import build_parser

    def flags(parser: argparse.ArgumentParser) -> list[str]:
        found = []
        for action in parser._actions:  # noqa: SLF001 - argparse keeps no public list of its actions
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                continue
            found.extend(action.option_strings or [action.dest])
        return sorted(found)

    parser = build_parser()
    commands = next(action for action in parser._actions  # noqa: SLF001
                    if isinstance(action, argparse._SubParsersAction))  # noqa: SLF001
    listed = {"": flags(parser)}
    listed.update({verb: flags(command) for verb, command in commands.choices.items()})
    return listed


def _defined_names() -> dict[str, list[str]]:
    import openpyxl

    from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR

    listed = {}
    for path in sorted(Path(TEMPLATE_DIR).glob("*.xlsx")):
        workbook = openpyxl.load_workbook(path)
        names = set(workbook.defined_names)
        for sheet in workbook.worksheets:
            names.update(f"{sheet.title}!{name}" for name in sheet.defined_names)
        listed[path.name] = sorted(names)
    return listed


def _flopsheet(*arguments: str) -> str:
    completed = subprocess.run([sys.executable, "-m", "flopsheet", *arguments], capture_output=True, text=True,
                               check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def _fields(document: Any) -> list[str]:
    """Top-level keys, and ``key.field`` for a list of records or a mapping under a key."""
    fields = set()
    for key, value in document.items():
        fields.add(key)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            fields.update(f"{key}[].{field}" for record in value for field in record)
        elif isinstance(value, dict):
            fields.update(f"{key}.{field}" for field in value)
    return sorted(fields)


def _json_fields(tmp_path: Path) -> dict[str, list[str]]:
    target = tmp_path / "report.json"
    _flopsheet("report", JSON_MODEL, "-o", str(target), "--format", "json")
    listed = {f"report {JSON_MODEL}": _fields(json.loads(target.read_text(encoding="utf-8")))}
    listed.update({verb: _fields(json.loads(_flopsheet(*arguments))) for verb, arguments in CALCULATOR_RUNS.items()})
    return listed


def collect(tmp_path: Path) -> dict[str, Any]:
    """Today's public interface, by kind."""
    return {"python": _python_names(), "excel": _excel_names(), "cli": _cli_flags(),
            "defined_names": _defined_names(), "json": _json_fields(tmp_path)}


def _missing(expected: Any, found: Any, where: str = "") -> list[str]:
    """Every expected name (a list item or a mapping key) not found, with where it was expected."""
    if isinstance(expected, dict):
        missing = []
        for key, value in expected.items():
            if key not in found:
                missing.append(f"{where}{key!r} (all of it)")
            else:
                missing.extend(_missing(value, found[key], f"{where}{key or '(global)'}: "))
        return missing
    return [f"{where}{name}" for name in expected if name not in set(found)]


@pytest.fixture(scope="module")
def current(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return collect(tmp_path_factory.mktemp("public_api"))


EXPECTED = json.loads(EXPECTED_FILE.read_text(encoding="utf-8")) if EXPECTED_FILE.exists() else {}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_no_public_name_went_missing(kind: str, current: dict[str, Any]) -> None:
    missing = _missing(EXPECTED[kind], current[kind])
    assert not missing, f"{len(missing)} public {kind} name(s) missing or renamed:\n" + "\n".join(missing)


def test_the_list_is_not_empty() -> None:
    """The listing covers every kind, and each with something in it (a test that can fail)."""
    assert set(EXPECTED) == {"python", "excel", "cli", "defined_names", "json"}
    assert len(EXPECTED["python"]["flopsheet"]) > 50 and len(EXPECTED["excel"]) > 20
    assert {"train", "serve", "cards", "units", "show", "report", "addin"} <= set(EXPECTED["cli"])
    assert len(EXPECTED["defined_names"]) >= 20


def test_a_renamed_name_is_reported() -> None:
    expected = {"cli": {"train": ["--params", "--mfu"]}}
    assert _missing(expected, {"cli": {"train": ["--params", "--utilization"]}}) == ["cli: train: --mfu"]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        listing = collect(Path(folder))
    EXPECTED_FILE.write_text(json.dumps(listing, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                             encoding="utf-8")
    print(EXPECTED_FILE)
