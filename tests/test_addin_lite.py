"""The xlwings Lite bundle: main.py + requirements.txt run in a clean venv.

The venv is made without system site-packages and gets only requirements.txt plus
xlwings (which xlwings Lite provides itself). Lite binds ``xlwings.func`` to the
Office.js decorators; outside Lite, ``XLWINGS_ON_SERVER=true`` does the same, and the
non-commercial licence key is set for this subprocess only.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import xlwings

import flopsheet.formulas
from flopsheet.addin import lite
from flopsheet.addin.catalogue import FUNCTIONS

PROBE = """
import asyncio, json, sys
import main, flopsheet, xlwings
from xlwings.server import custom_functions_call, custom_functions_meta

def call(name, *args):
    data = {"func_name": name, "args": [[[a]] for a in args], "version": xlwings.__version__, "runtime": "1.4"}
    return asyncio.run(custom_functions_call(data, main))[0][0]

print(json.dumps({
    "flopsheet": flopsheet.__file__,
    "registered": main.REGISTERED,
    "meta": [f["name"] for f in custom_functions_meta(main)["functions"]],
    "cards": call("TRAIN_CARDS", 5.895053151373e24, "A100 tf32", "30.2%", "105 days", None),
    "infer": call("INFER_CARDS", 8e14, "300万", "A10 fp16", "30%", 12.0, None),
    "error": call("DATA_TOKENS", "30 tokens", None, None, None, None),
    "modules": sorted(m.split(".")[0] for m in sys.modules if m.split(".")[0] in {"pandas", "openpyxl"}),
}))
"""


def test_requirements_are_pure_python_or_pyodide_packages() -> None:
    lines = lite.requirements_text().split()
    assert [line.split(">")[0] for line in lines] == ["pint", "numpy"]
    assert not any("xlwings" in line for line in lines)


def test_main_py_is_valid_python_without_eval_or_exec() -> None:
    tree = ast.parse(lite.main_text())
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not calls & {"eval", "exec", "compile", "__import__"}
    names = set(lite.bundle_zip_names())
    assert {"flopsheet/units/definitions.txt", "flopsheet/formulas/catalogues/data/accelerators.toml",
            "flopsheet/formulas/catalogues/data/mfu.toml", "flopsheet/formulas/catalogues/__init__.py",
            "flopsheet/formulas/training/utilization.py", "flopsheet/formulas/serving/fleet.py",
            "flopsheet/formulas/rows.py", "flopsheet/addin/catalogue.py"} <= names
    # every module and data file of formulas/, in its room (the bundle follows the layout)
    formulas = Path(flopsheet.formulas.__file__).parent
    assert {f"flopsheet/formulas/{path.relative_to(formulas).as_posix()}" for path in formulas.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts} <= names
    assert not any(name.startswith(("flopsheet/workbooks", "flopsheet/cli", "flopsheet/__main__",
                                    "flopsheet/addin/server", "flopsheet/addin/udfs")) for name in names)


def test_lite_bundle_imports_and_runs_in_a_clean_venv(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    written = subprocess.run([sys.executable, "-m", "flopsheet", "addin", "--lite", str(bundle)],
                             capture_output=True, text=True, check=False)
    assert written.returncode == 0, written.stderr
    assert "requirements.txt" in written.stdout and "xlwings Lite" in written.stdout
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                                "-r", str(bundle / "requirements.txt"), f"xlwings=={xlwings.__version__}"],
                               capture_output=True, text=True, check=False)
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "XLWINGS", "VIRTUAL_ENV"))}
    env.update(XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    probe = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, cwd=bundle, env=env,
                           check=False)
    assert probe.returncode == 0, probe.stderr[-3000:]
    result = json.loads(probe.stdout)
    assert str(tmp_path) not in result["flopsheet"] and "flopsheet-" in result["flopsheet"]
    assert "/work/" not in result["flopsheet"] and "site-packages" not in result["flopsheet"]
    expected = [function.name for function in FUNCTIONS] + [f"{function.name}_NOTE" for function in FUNCTIONS
                                                             if function.warns]
    assert sorted(result["registered"]) == sorted(expected) and sorted(result["meta"]) == sorted(expected)
    assert abs(result["cards"] - 13_793) <= 0.5
    assert abs(result["infer"] - 1481) <= 0.5
    assert result["error"] == '#VALUE! data: expected a data size in bytes (e.g. "30 TB"), got "30 tokens"'
    assert result["modules"] == []
