"""The xlwings Lite bundle inside real Pyodide 0.27.7 (Node.js, offline) against the same calls in CPython.

One Node process per test module boots Pyodide, installs the bundle's requirements with
micropip as Lite does, imports the generated main.py and makes every call of
:func:`pyodide_lite.lite_calls` through ``xlwings.server.custom_functions_call``; the same
probe runs on the same bundle in CPython. Outside CI a machine without the pieces (node, npm,
``../shared/pyodide``) skips with the reason; under ``CI=true`` that is a failure.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

import pyodide_lite
from flopsheet.addin import catalogue, lite
from flopsheet.addin.wrappers import NOTE_SUFFIX

Runs = tuple[dict[str, Any], dict[str, Any]]
#: Excel error names a bad input may give (docs/guides/addin.md: Errors in cells).
EXCEL_ERRORS = ("#VALUE!", "#NUM!", "#N/A")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """(Pyodide run, CPython probe) of the same bundle and calls."""
    try:
        pyodide, cpython = pyodide_lite.run_both(tmp_path_factory.mktemp("lite"))
    except pyodide_lite.MissingPiece as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"under CI=true a missing piece of the Pyodide run is a failure: {error}")
        pytest.skip(f"the Lite bundle cannot be run in Pyodide on this machine: {error}")
    assert pyodide["ok"], f"{pyodide['log'][-3000:]}\n{pyodide['error']}\n{pyodide['requests']}"
    return pyodide, cpython


def _cell(result: list[list[Any]]) -> Any:
    assert len(result) == 1 and len(result[0]) == 1, result
    return result[0][0]


def test_the_run_is_offline_and_a_refused_request_is_caught(runs: Runs) -> None:
    pyodide, _ = runs
    assert pyodide["requests"]["refused"] == [] and pyodide["requests"]["not_found"] == []
    assert all(url.endswith((".whl", "/")) for url in pyodide["requests"]["served"])
    canary = pyodide["canary"]
    assert canary["refused"] and not canary["installed"], canary


def test_runtime_is_pyodide_0_27_7_with_the_lite_requirements(runs: Runs, tmp_path: Any) -> None:
    pyodide, cpython = runs
    assert pyodide["pyodide"] == pyodide_lite.PYODIDE_VERSION and pyodide["platform"] == "emscripten"
    assert pyodide["python"].startswith(pyodide_lite.PYODIDE_PYTHON + ".")
    assert pyodide["probe"]["python"] == pyodide["python"] and cpython["platform"] != "emscripten"
    lite.write_bundle(tmp_path)
    bundle_lines = (tmp_path / "requirements.txt").read_text(encoding="utf-8").split()
    assert pyodide["requirements"][0].startswith("xlwings==") and pyodide["requirements"][1:] == bundle_lines
    for line in pyodide["requirements"]:
        assert pyodide_lite.requirement_project(line) in pyodide["packages"], line
    lock = pyodide_lite.lock_packages(pyodide_lite.install_pyodide(pyodide_lite.cache_dir()))
    for name in pyodide_lite.SHARED_WHEELS:
        assert pyodide["packages"][name] == lock[name]["version"], name
    for probe in (pyodide["probe"], cpython):
        assert "/flopsheet-" in probe["flopsheet_file"] and "site-packages" not in probe["flopsheet_file"]


def test_metadata_is_the_same_and_covers_the_catalogue(runs: Runs) -> None:
    pyodide, cpython = runs
    assert pyodide["probe"]["meta"] == cpython["meta"]
    names = [function["name"] for function in pyodide["probe"]["meta"]["functions"]]
    assert sorted(names) == sorted(pyodide["probe"]["registered"]) == sorted(cpython["registered"])
    expected = {function.name for function in catalogue.FUNCTIONS}
    assert expected <= set(names)
    assert {name.removesuffix(NOTE_SUFFIX) for name in names} == expected


def test_tables_5_and_6_equal_cpython_exactly(runs: Runs) -> None:
    pyodide, cpython = runs
    results = pyodide["probe"]["results"]
    for call in [call["id"] for call in pyodide_lite.lite_calls() if call["id"].startswith(("t5_", "t6_"))]:
        assert results[call] == cpython["results"][call], call
    assert round(_cell(results["t5_cards"])) == 13_793 and round(_cell(results["t5_stated_cards"])) == 12_846
    assert _cell(results["t5_cards_wan"]) == pytest.approx(1.3793, abs=1e-4)
    assert _cell(results["t6_flops"]) == 8e14 and round(_cell(results["t6_cards"])) == 1481


def test_note_companion_equals_cpython(runs: Runs) -> None:
    pyodide, cpython = runs
    results = pyodide["probe"]["results"]
    assert results["note"] == cpython["results"]["note"]
    assert _cell(results["note"]).startswith("Note: utilization 30.2% was measured against A100 bf16")
    assert "6,896.41 card instead of 13,792.8 card" in _cell(results["note"])
    assert results["note_consistent"] == cpython["results"]["note_consistent"] == [[""]]


def test_a_1000_cell_column_spills_the_same_values(runs: Runs) -> None:
    pyodide, cpython = runs
    for call in ("column", "column_text"):
        column = pyodide["probe"]["results"][call]
        assert column == cpython["results"][call]
        assert len(column) == pyodide_lite.COLUMN_CELLS and {len(row) for row in column} == {1}
    flops = [row[0] for row in pyodide["probe"]["results"]["column"]]
    assert flops == pytest.approx([6 * params * 1e12 for [params] in pyodide_lite.COLUMN_PARAMS], rel=1e-12)


def test_bad_inputs_give_the_same_error_texts(runs: Runs) -> None:
    pyodide, cpython = runs
    bad = [call["id"] for call in pyodide_lite.lite_calls() if call["id"].startswith("bad")]
    assert len(bad) == len(pyodide_lite.BAD_CALLS)
    for call in bad:
        text = _cell(pyodide["probe"]["results"][call])
        assert text == _cell(cpython["results"][call]), call
        assert text.startswith(call.split(":", 1)[1] + " ") and "internal error" not in text, (call, text)


def test_every_registered_function_runs_the_same_with_empty_cells(runs: Runs) -> None:
    pyodide, cpython = runs
    empty = {call: result for call, result in pyodide["probe"]["results"].items() if call.startswith("empty:")}
    assert len(empty) == len(pyodide["probe"]["meta"]["functions"])
    for call, result in empty.items():
        assert result == cpython["results"][call], call
        assert "internal error" not in str(result), (call, result)
    assert pyodide_lite.differences(pyodide["probe"], cpython) == []
