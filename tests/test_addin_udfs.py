"""The classic xlwings add-in module (Windows COM) on Linux.

It must import without Excel or pywin32, and its functions must run as plain Python.
The metadata xlwings' COM decorators attach is checked in a subprocess that imports
``xlwings.udfs`` (the module ``xlwings.func`` *is* on Windows) with empty stand-ins for
the Windows-only modules it imports at the top (pythoncom, pywintypes, win32com) -
none of their code is used by the decorators or by the VBA generator run here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from flopsheet.addin.catalogue import FUNCTIONS

#: Every Excel function of the catalogue (read from it, never a hand-kept list).
EXCEL_NAMES = {function.name for function in FUNCTIONS}
NOTE_NAMES = {f"{function.name}_NOTE" for function in FUNCTIONS if function.warns}

PROBE = textwrap.dedent("""
    import io, json, sys, types
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["win32com.client"].Dispatch = None
    sys.modules["pythoncom"].CoInitialize = None
    import xlwings
    import xlwings.udfs as classic
    # what xlwings/__init__.py binds on Windows with pywin32
    xlwings.func, xlwings.arg, xlwings.ret = classic.xlfunc, classic.xlarg, classic.xlret
    from flopsheet.addin import udfs
    meta = {name: getattr(udfs, name).__xlfunc__ for name in udfs.REGISTERED}
    vba = io.StringIO()
    classic.generate_vba_wrapper("flopsheet.addin.udfs", udfs, vba, types.SimpleNamespace(Name="model.xlsm"))
    print(json.dumps({"meta": meta, "vba": vba.getvalue()}, default=str, ensure_ascii=False))
""")


def _clean_env() -> dict[str, str]:
    """The environment without an xlwings licence key (the COM add-in needs none)."""
    return {key: value for key, value in os.environ.items() if key != "XLWINGS_LICENSE_KEY"}


def test_com_module_imports_on_linux_without_a_licence_and_runs_as_python() -> None:
    code = ("from flopsheet.addin import udfs; "
            "import json; print(json.dumps(udfs.REGISTERED)); "
            "print(round(udfs.TRAIN_CARDS(5.895053151373e24, 'A100 tf32', '30.2%', '105 days'))); "
            "print(udfs.TRAIN_FLOPS([[1e9], [2e9]], 1e12)); "
            "print(udfs.CARD_PEAK('A1000', 'tf32'))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_clean_env(),
                               check=False)
    assert completed.returncode == 0, completed.stderr
    names, cards, column, error = completed.stdout.splitlines()
    assert set(json.loads(names)) == EXCEL_NAMES | NOTE_NAMES
    assert cards == "13793"
    assert column == "[[6e+21], [1.2e+22]]"
    assert error.startswith('#N/A card: unknown accelerator "A1000"; known: A100, ')


@pytest.fixture(scope="module")
def classic_probe() -> dict:
    """The __xlfunc__ metadata and VBA that xlwings' classic decorators produce for udfs."""
    completed = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=_clean_env(),
                               check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_com_functions_carry_xlwings_metadata(classic_probe: dict) -> None:
    meta = classic_probe["meta"]
    assert EXCEL_NAMES <= set(meta)
    for name, info in meta.items():
        assert info["name"] == name and info["category"] == "flopsheet"
        assert 20 < len(info["ret"]["doc"]) <= 255
        for argument in info["args"]:
            assert not argument["doc"].startswith("Positional argument") and len(argument["doc"]) <= 255
    cards = meta["TRAIN_CARDS"]["args"]
    assert [a["name"] for a in cards] == ["flops", "peak", "utilization", "duration", "unit"]
    assert [a["options"].get("ndim") for a in cards] == [2, 2, 2, 2, None]
    assert "optional" in cards[4] and "optional" not in cards[3]
    assert meta["CARD_PEAK"]["args"][2]["doc"].endswith("default FALSE.")


def test_xlwings_generates_the_vba_wrappers_import_functions_would_add(classic_probe: dict) -> None:
    vba = classic_probe["vba"]
    assert "Function TRAIN_CARDS(flops, peak, utilization, duration, Optional unit)" in vba
    assert 'TRAIN_CARDS = XLPy.CallUDF("flopsheet.addin.udfs", "TRAIN_CARDS"' in vba
    assert "Function FLOPSHEET_VERSION()" in vba and "Function INFER_CARDS_NOTE(" in vba

