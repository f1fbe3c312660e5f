"""Recalculate xlsx files with LibreOffice headless, the real spreadsheet engine.

openpyxl writes formulas without cached values; LibreOffice, told by a private profile
to always recalculate on load (``OOXMLRecalcMode`` = 0), computes every formula and
writes a copy with the values. Many files go through one ``soffice`` start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

#: Seconds one LibreOffice conversion call may take before it is abandoned.
SOFFICE_TIMEOUT_SECONDS = 300
#: LibreOffice setting: recalculate OOXML files on load: 0 = always, 1 = never, 2 = ask.
RECALC_ALWAYS = 0

_PROFILE_SETTINGS = f"""<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>{RECALC_ALWAYS}</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>{RECALC_ALWAYS}</value></prop></item>
</oor:items>
"""


class LibreOfficeMissing(RuntimeError):
    """soffice is not installed (``apt-get install -y libreoffice-calc-nogui``)."""


def soffice_path() -> str:
    """Return the path of ``soffice`` or raise LibreOfficeMissing."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise LibreOfficeMissing("LibreOffice (soffice) not found: apt-get install -y libreoffice-calc-nogui")
    return found


def _profile(directory: Path) -> str:
    """Create a private LibreOffice profile that recalculates on load; return its URL."""
    user = directory / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS, encoding="utf-8")
    return directory.resolve().as_uri()


def convert(paths: Iterable[Path], outdir: Path, target: str = "xlsx") -> list[Path]:
    """Open each file in LibreOffice, recalculate fully, save as ``target`` in ``outdir``.

    Parameters
    ----------
    paths : iterable of Path
        Input workbooks (xlsx).
    outdir : Path
        Where the converted copies go (same stem, extension ``target``).
    target : str, default "xlsx"
        LibreOffice filter extension: "xlsx", "pdf", "csv".

    Returns
    -------
    list of Path
        The written files, in input order.
    """
    sources = [Path(path).resolve() for path in paths]
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flopsheet-lo-") as profile_dir:
        command = [soffice_path(), f"-env:UserInstallation={_profile(Path(profile_dir))}", "--headless",
                   "--norestore", "--convert-to", target, "--outdir", str(outdir.resolve()), *map(str, sources)]
        environment = {**os.environ, "HOME": profile_dir}
        completed = subprocess.run(command, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT_SECONDS,
                                   env=environment, check=False)
    results = [outdir / f"{source.stem}.{target}" for source in sources]
    missing = [str(path) for path in results if not path.exists()]
    if completed.returncode != 0 or missing:
        raise RuntimeError(f"LibreOffice conversion failed (exit {completed.returncode}); missing {missing}; "
                           f"stderr: {completed.stderr.strip()[:500]}")
    return results


class GnumericMissing(RuntimeError):
    """Gnumeric's ssconvert is not installed (``apt-get install -y gnumeric``)."""


def ssconvert_path() -> str:
    """Return the path of Gnumeric's ``ssconvert`` or raise GnumericMissing."""
    found = shutil.which("ssconvert")
    if found is None:
        raise GnumericMissing("Gnumeric (ssconvert) not found: apt-get install -y gnumeric")
    return found


def gnumeric_recalculate(source: Path, target: Path) -> Path:
    """Open ``source`` in Gnumeric, recalculate every formula, save the values to ``target`` (xlsx)."""
    command = [ssconvert_path(), "--recalc", str(Path(source).resolve()), str(Path(target).resolve())]
    with tempfile.TemporaryDirectory(prefix="flopsheet-gnumeric-") as home:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT_SECONDS,
                                   env={**os.environ, "HOME": home}, check=False)
    if completed.returncode != 0 or not Path(target).exists():
        raise RuntimeError(f"Gnumeric recalculation failed (exit {completed.returncode}); "
                           f"stderr: {completed.stderr.strip()[:500]}")
    return Path(target)
