"""Install steps: what ``flopsheet addin`` prints and generates, checked against the catalogue.

- xlwings Lite: the printed steps say to *add* the bundle's requirement lines to Lite's own
  requirements.txt (replacing it would drop Lite's xlwings line) and name the tested Pyodide.
- Classic COM add-in: for every function of :data:`flopsheet.addin.catalogue.FUNCTIONS` (and its
  ``_NOTE`` companion), the metadata xlwings' COM decorators attach (what *Import Functions* hands
  to Excel's ``MacroOptions``: description, category, argument help) and the VBA wrapper xlwings
  generates, computed from the catalogue, so functions added later are covered by themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_addin_udfs import PROBE as CLASSIC_PROBE

from flopsheet.addin import catalogue, lite, udfs
from flopsheet.addin.wrappers import NOTE_SUFFIX, note_description

#: Excel's limit on a function's or an argument's help text.
HELP_LIMIT = 255


def test_lite_steps_say_add_these_lines_and_name_the_tested_pyodide(tmp_path: Path) -> None:
    completed = subprocess.run([sys.executable, "-m", "flopsheet", "addin", "--lite", str(tmp_path)],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    steps = completed.stdout
    assert "ADD these lines below the ones already there" in steps and "name xlwings" in steps
    assert "replace the editor's requirements.txt" not in steps
    printed = [line.strip() for line in steps.splitlines() if line.startswith("       ")]
    assert printed == (tmp_path / "requirements.txt").read_text(encoding="utf-8").split()
    assert f"Pyodide {lite.TESTED_PYODIDE} (Python {lite.TESTED_PYTHON})" in steps
    assert f"Tested in Pyodide {lite.TESTED_PYODIDE}" in (tmp_path / "main.py").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def classic() -> dict[str, Any]:
    """The __xlfunc__ metadata and the VBA that xlwings' COM decorators give flopsheet.addin.udfs."""
    env = {key: value for key, value in os.environ.items() if key != "XLWINGS_LICENSE_KEY"}
    completed = subprocess.run([sys.executable, "-c", CLASSIC_PROBE], capture_output=True, text=True, env=env,
                               check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def _expected() -> dict[str, tuple[catalogue.ExcelFunction, str]]:
    """Excel name -> (catalogue function, description) for every function and _NOTE companion."""
    expected = {function.name: (function, function.description) for function in catalogue.FUNCTIONS}
    expected |= {function.name + NOTE_SUFFIX: (function, note_description(function))
                 for function in catalogue.FUNCTIONS if function.warns}
    return expected


def _optional(function: catalogue.ExcelFunction) -> list[bool]:
    """Per Excel argument, in order: may it be omitted?"""
    result = [] if function.result is None else [not function.result.required]
    return [param.optional for param in function.params] + result


def test_com_metadata_matches_the_catalogue_for_every_function(classic: dict[str, Any]) -> None:
    meta = classic["meta"]
    expected = _expected()
    assert sorted(meta) == sorted(expected)
    for name, (function, description) in expected.items():
        info = meta[name]
        assert info["name"] == name and info["category"] == udfs.CATEGORY, name
        assert info["ret"]["doc"] == description and len(description) <= HELP_LIMIT, name
        arguments = info["args"]
        assert [argument["name"] for argument in arguments] == list(function.argument_names), name
        assert [argument["doc"] for argument in arguments] == list(function.argument_docs().values()), name
        assert all(len(argument["doc"]) <= HELP_LIMIT and argument["vba"] is None for argument in arguments), name
        assert ["optional" in argument for argument in arguments] == _optional(function), name


def test_com_vba_wrapper_of_every_function_follows_the_catalogue(classic: dict[str, Any]) -> None:
    vba = classic["vba"]
    for name, (function, _) in _expected().items():
        arguments = ", ".join(f"Optional {argument}" if optional else argument
                              for argument, optional in zip(function.argument_names, _optional(function)))
        assert f"Function {name}({arguments})\n" in vba.replace("\r\n", "\n"), name
        call = f'{name} = XLPy.CallUDF("{udfs.__name__}", "{name}", Array({", ".join(function.argument_names)})'
        assert call in vba, name
    assert vba.count("End Function") == len(_expected())
