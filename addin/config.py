"""The xlwings configuration of the classic (Windows COM) add-in.

xlwings reads ``"KEY","VALUE"`` lines from ``xlwings.conf`` in the workbook's folder or
in ``%USERPROFILE%\\.xlwings\\``; ``UDF MODULES`` names the module whose functions
*Import Functions* turns into Excel functions, ``INTERPRETER_WIN`` the Python that runs
them.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The module the classic add-in imports.
UDF_MODULE = "flopsheet.addin.udfs"
CONFIG_NAME = "xlwings.conf"


def config_text(interpreter: str | None = None) -> str:
    """Return the xlwings.conf lines for flopsheet's functions."""
    python = interpreter or sys.executable
    entries = {"INTERPRETER_WIN": python, "UDF MODULES": UDF_MODULE}
    return "".join(f'"{key}","{value}"\n' for key, value in entries.items())


def write_config(directory: Path, interpreter: str | None = None, force: bool = False) -> Path:
    """Write ``directory/xlwings.conf``; refuse to overwrite unless ``force``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CONFIG_NAME
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to overwrite it")
    path.write_text(config_text(interpreter), encoding="utf-8")
    return path


def next_steps(path: Path) -> str:
    """The steps left to the user after the config is written."""
    return "\n".join([
        f"wrote {path}",
        "Next, on Windows with desktop Excel:",
        "  1. install flopsheet and pywin32 into the Python named in INTERPRETER_WIN",
        "  2. xlwings addin install           (adds the xlwings ribbon tab to Excel)",
        f"  3. keep {path.name} in the folder of your workbook, or copy it to %USERPROFILE%\\.xlwings\\{path.name}",
        "  4. Excel: File > Options > Trust Center > Macro Settings > tick 'Trust access to the VBA project object model'",
        "  5. Excel: xlwings tab > Import Functions; then type =TRAIN_CARDS(5.9e24, \"A100 tf32\", \"30.2%\", \"105 days\")",
        "Excel on the web or Mac: use xlwings Lite instead (flopsheet addin --lite DIR).",
    ])
