"""Run the xlwings Lite bundle in real Pyodide 0.27.7 under Node.js, offline, and in CPython; compare.

Usage (from the repository root; prints the checks and the timings)::

    .venv/bin/python tests/pyodide_lite.py [--runs N]

What it does, as xlwings Lite does it:

1. writes the bundle (``flopsheet.addin.lite.write_bundle``: ``main.py``, ``requirements.txt``);
2. installs the npm package ``pyodide@0.27.7`` into a cache outside the source tree
   (``$FLOPSHEET_PYODIDE_CACHE``, default ``~/.cache/flopsheet/pyodide-0.27.7``), once;
3. checks Pyodide's own numpy, micropip and packaging wheels (``../shared/pyodide`` beside the
   clone, or ``$FLOPSHEET_PYODIDE_WHEELS``) against the sha256 in that package's
   ``pyodide-lock.json``, at every run;
4. downloads the pure wheels the requirements need (``pip download --only-binary=:all:
   --platform any --python-version 3.12``, pinned to the versions this CPython runs, and to the
   lock's version for packages the lock lists) into the same cache, once per requirement set;
5. runs ``tests/pyodide_lite.mjs`` under Node: boot, micropip install of Lite's own
   ``xlwings`` line plus the bundle's lines, ``import main``, the calls of :func:`lite_calls`
   through ``xlwings.server.custom_functions_call`` (``tests/pyodide_lite_probe.py``), with
   every network request answered from disk or refused;
6. runs the same probe on the same bundle in this CPython, and compares.

:class:`MissingPiece` means something the run needs is not on this machine (node, npm, the
shared wheels, a download); :class:`IntegrityError` that a wheel is not the one the lock names.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from flopsheet.addin import lite

#: The Pyodide the bundle is tested in, and its Python (pip downloads wheels for it).
PYODIDE_VERSION, PYODIDE_PYTHON = lite.TESTED_PYODIDE, lite.TESTED_PYTHON
#: Pyodide's own builds, from the shared folder; everything else comes from pip download.
SHARED_WHEELS = ("numpy", "micropip", "packaging")
CACHE_ENV, WHEELS_ENV = "FLOPSHEET_PYODIDE_CACHE", "FLOPSHEET_PYODIDE_WHEELS"
#: Where the offline fetch serves wheels (".invalid" never resolves).
FILES_URL = "https://wheels.flopsheet.invalid/files/"
#: The environment xlwings Lite gives main.py: xlwings.func is the Office.js decorator.
LITE_ENV = {"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"}
#: Lite's own requirements.txt names xlwings; the run pins the version this CPython has.
LITE_OWN_REQUIREMENTS = ("xlwings",)
TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
RUNNER, PROBE = TESTS / "pyodide_lite.mjs", TESTS / "pyodide_lite_probe.py"
#: A pure package of pyodide-lock.json the bundle never needs: installing it must be refused.
CANARY_PACKAGE = "six"
#: Node's oldest release that runs Pyodide 0.27.
NODE_MAJOR = 18
#: Calls timed more than once, and how often.
SCALAR_REPEAT, COLUMN_REPEAT = 20, 5
COLUMN_CELLS = 1000
SUBPROCESS_SECONDS = 600


class MissingPiece(RuntimeError):
    """Something the Pyodide run needs is not on this machine."""


class IntegrityError(RuntimeError):
    """A wheel's sha256 differs from the one pyodide-lock.json lists."""


@dataclass(frozen=True)
class Wheel:
    """A wheel file the offline index serves."""

    project: str
    path: Path
    sha256: str


def project_name(name: str) -> str:
    """A distribution name normalised as package indexes spell it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_project(line: str) -> str:
    """The project a requirement line names ("pint>=0.24" -> "pint")."""
    return project_name(re.split(r"[<>=!~;\[ ]", line.strip(), maxsplit=1)[0])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_dir() -> Path:
    """The npm package and downloaded wheels: $FLOPSHEET_PYODIDE_CACHE, else ~/.cache/flopsheet/pyodide-X."""
    default = Path.home() / ".cache" / "flopsheet" / f"pyodide-{PYODIDE_VERSION}"
    return Path(os.environ.get(CACHE_ENV) or default)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MissingPiece(f"{name} is not installed; the Pyodide run needs Node.js (>= {NODE_MAJOR}) and npm")
    return path


def _run(command: list[str], what: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """Run a preparation step; a failure is a MissingPiece naming the step and its output."""
    completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=SUBPROCESS_SECONDS,
                               **options)
    if completed.returncode != 0:
        raise MissingPiece(f"{what} failed ({completed.returncode}): {(completed.stderr or completed.stdout)[-1500:]}")
    return completed


def node() -> str:
    """Node.js, checked to be new enough for Pyodide."""
    path = _tool("node")
    version = _run([path, "--version"], "node --version").stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < NODE_MAJOR:
        raise MissingPiece(f"node {version} is too old; Pyodide {PYODIDE_VERSION} needs Node.js >= {NODE_MAJOR}")
    return path


def install_pyodide(cache: Path) -> Path:
    """The npm package pyodide@PYODIDE_VERSION in ``cache`` (installed on first use); its folder."""
    package = cache / "node_modules" / "pyodide"
    manifest = package / "package.json"
    if not (manifest.is_file() and json.loads(manifest.read_text(encoding="utf-8")).get("version") == PYODIDE_VERSION):
        cache.mkdir(parents=True, exist_ok=True)
        _run([_tool("npm"), "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--no-save",
              "--no-package-lock", f"pyodide@{PYODIDE_VERSION}"], f"npm install pyodide@{PYODIDE_VERSION}")
    return package


def lock_packages(package: Path) -> dict[str, dict[str, Any]]:
    """The packages of the npm package's pyodide-lock.json, keyed by normalised name."""
    lock = json.loads((package / "pyodide-lock.json").read_text(encoding="utf-8"))
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise IntegrityError(f"pyodide-lock.json is for Pyodide {lock['info']['version']}, not {PYODIDE_VERSION}")
    return {project_name(name): entry for name, entry in lock["packages"].items()}


def shared_wheel_dir() -> Path:
    """Pyodide's own wheels: $FLOPSHEET_PYODIDE_WHEELS, else ../shared/pyodide beside the clone; must exist."""
    folder = Path(os.environ.get(WHEELS_ENV) or ROOT.parent / "shared" / "pyodide")
    if not folder.is_dir():
        raise MissingPiece(f"{folder} does not exist: it holds Pyodide {PYODIDE_VERSION}'s own numpy, micropip and "
                           f"packaging wheels (numpy for Pyodide is on neither PyPI nor npm); clone the repository "
                           f"with shared/ beside it or set {WHEELS_ENV}")
    return folder


def verified_shared_wheels(lock: dict[str, dict[str, Any]], folder: Path) -> list[Path]:
    """Pyodide's own numpy, micropip and packaging wheels, each checked against the lock's sha256."""
    wheels = []
    for name in SHARED_WHEELS:
        entry = lock[name]
        path = folder / entry["file_name"]
        if not path.is_file():
            raise MissingPiece(f"{path} is missing (Pyodide {PYODIDE_VERSION}'s own {name})")
        if _sha256(path) != entry["sha256"]:
            raise IntegrityError(f"{path}: sha256 {_sha256(path)} differs from pyodide-lock.json's {entry['sha256']}")
        wheels.append(path)
    return wheels


def lite_requirements(bundle: Path) -> list[str]:
    """What Lite installs after "add these lines": its own xlwings line, then the bundle's lines."""
    own = [f"{name}=={metadata.version(name)}" for name in LITE_OWN_REQUIREMENTS]
    lines = (bundle / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return own + [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def installed_closure(projects: list[str]) -> dict[str, str]:
    """Versions this CPython has of ``projects`` and what they require (requirements without markers)."""
    versions: dict[str, str] = {}
    pending = list(projects)
    while pending:
        name = pending.pop()
        if name in versions:
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        versions[name] = distribution.version
        pending += [requirement_project(line) for line in distribution.requires or [] if ";" not in line]
    return versions


def _constraints(wanted: list[str], lock: dict[str, dict[str, Any]]) -> list[str]:
    """Pins for pip download: the lock's version for what the lock lists, else the version this CPython runs."""
    pins = installed_closure([requirement_project(line) for line in wanted])
    pins.update({name: entry["version"] for name, entry in lock.items()})
    return sorted(f"{name}=={version}" for name, version in pins.items())


def download_wheels(cache: Path, requirements: list[str], lock: dict[str, dict[str, Any]]) -> list[Wheel]:
    """The pure wheels of ``requirements`` (minus Pyodide's own builds), downloaded once per requirement set."""
    wanted = [line for line in requirements if requirement_project(line) not in SHARED_WHEELS]
    constraints = _constraints(wanted, lock)
    key = hashlib.sha256(json.dumps([wanted, constraints]).encode()).hexdigest()[:16]
    folder = cache / "wheels" / key
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=folder.parent))
        try:
            pins = partial / "constraints.txt"
            pins.write_text("\n".join(constraints) + "\n", encoding="utf-8")
            _run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                  "--only-binary=:all:", "--platform", "any", "--python-version", PYODIDE_PYTHON,
                  "-d", str(partial), "-c", str(pins), *wanted], "pip download of the Lite requirements")
            pins.unlink()
            if not folder.is_dir():  # another run may have finished the same download meanwhile
                partial.rename(folder)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    return [Wheel(project_name(path.name.split("-")[0]), path, _sha256(path))
            for path in sorted(folder.glob("*.whl")) if project_name(path.name.split("-")[0]) not in SHARED_WHEELS]


def _call(call_id: str, name: str, *args: Any, repeat: int = 1) -> dict[str, Any]:
    return {"id": call_id, "name": name, "args": list(args), "repeat": repeat}


def _result_of(call_id: str) -> dict[str, str]:
    return {"result_of": call_id}


#: Params of the 1,000-cell column: 1e9 .. 1e12 parameters.
COLUMN_PARAMS = [[1e9 * (row + 1)] for row in range(COLUMN_CELLS)]
#: Bad inputs and the Excel error name each must give (docs/guides/addin.md: Errors in cells).
BAD_CALLS = (
    ("#VALUE!", "DATA_TOKENS", "30 tokens"),
    ("#VALUE!", "DATA_TOKENS", "thirty TB"),
    ("#VALUE!", "DATA_TOKENS", "30 KB"),
    ("#VALUE!", "TRAIN_CARDS", 5.9e24, None, "30.2%", "105 days"),
    ("#VALUE!", "TRAIN_CARDS", 5.9e24, "A100 tf32", "30.2%", "105 days", "TB"),
    ("#VALUE!", "TRAIN_FLOPS", [[1e9], ["two"]], 1e12),
    ("#VALUE!", "CARD_MEMORY", [["A100", "H100"], ["H20", "B200"]]),
    ("#VALUE!", "CARD_PEAK", "A100", "tf32", "maybe"),
    ("#VALUE!", "UNIT_CONVERT", "30 TB"),
    ("#NUM!", "TRAIN_CARDS", 5.9e24, "A100 tf32", "130%", "105 days"),
    ("#NUM!", "TRAIN_CARDS", 5.9e24, "A100 tf32", "30.2%", "-5 days"),
    ("#NUM!", "INFER_CARDS", 8e14, "300万", "A10 fp16", "30%", 30),
    ("#NUM!", "TRAIN_FLOPS", 1e308, 1e308),
    ("#N/A", "CARD_PEAK", "A1000", "tf32"),
    ("#N/A", "CARD_PEAK", "A100", "fp7"),
)


def lite_calls() -> list[dict[str, Any]]:
    """The calls both interpreters make: Tables 5 and 6, notes, 1,000-cell columns, bad inputs, timings."""
    return [
        _call("t5_tokens", "DATA_TOKENS", "37,580,963,840 kB"),
        _call("t5_flops", "TRAIN_FLOPS", "2000亿", _result_of("t5_tokens")),
        _call("t5_cards", "TRAIN_CARDS", _result_of("t5_flops"), "A100 tf32", "30.2%", "105 days"),
        _call("t5_cards_wan", "TRAIN_CARDS", _result_of("t5_flops"), "A100 tf32", "30.2%", "105 days", "万张"),
        _call("t5_stated_tokens", "DATA_TOKENS", "30 TB"),
        _call("t5_stated_flops", "TRAIN_FLOPS", "2000亿", _result_of("t5_stated_tokens")),
        _call("t5_stated_cards", "TRAIN_CARDS", _result_of("t5_stated_flops"), "A100 tf32", "30.2%", "90 days"),
        _call("t6_flops", "INFER_FLOPS", "2000亿", 2000),
        _call("t6_cards", "INFER_CARDS", _result_of("t6_flops"), "300万", "A10 fp16", "30%", 12),
        _call("note", "TRAIN_CARDS_NOTE", _result_of("t5_flops"), "A100 tf32", "30.2% @ A100 bf16", "105 days"),
        _call("note_consistent", "TRAIN_CARDS_NOTE", _result_of("t5_flops"), "A100 bf16", "30.2% @ A100 bf16",
              "105 days"),
        _call("scalar", "TRAIN_CARDS", 5.895053151373e24, "A100 tf32", "30.2%", "105 days", repeat=SCALAR_REPEAT),
        _call("column", "TRAIN_FLOPS", COLUMN_PARAMS, 1e12, repeat=COLUMN_REPEAT),
        _call("column_text", "DATA_TOKENS", [[f"{row + 1} TB"] for row in range(COLUMN_CELLS)]),
        *(_call(f"bad{index}:{error}", name, *args) for index, (error, name, *args) in enumerate(BAD_CALLS)),
    ]


def _clean_env() -> dict[str, str]:
    """This environment without Python, xlwings or virtualenv variables, plus Lite's."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "XLWINGS", "VIRTUAL_ENV"))}
    return {**env, **LITE_ENV}


def run_cpython(bundle: Path, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The probe in this CPython on the same bundle (a fresh process, as Lite's environment)."""
    code = ("import asyncio, json, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import pyodide_lite_probe; "
            "print(json.dumps(asyncio.run(pyodide_lite_probe.run(json.load(sys.stdin)))))")
    completed = subprocess.run([sys.executable, "-c", code, str(bundle), str(TESTS)], input=json.dumps(calls),
                               capture_output=True, text=True, cwd=bundle, env=_clean_env(), check=False,
                               timeout=SUBPROCESS_SECONDS)
    if completed.returncode != 0:
        raise RuntimeError(f"the probe failed in CPython: {completed.stderr[-3000:]}")
    return json.loads(completed.stdout)


def run_pyodide(bundle: Path, calls: list[dict[str, Any]], workdir: Path) -> dict[str, Any]:
    """Prepare the pieces, run the probe in Pyodide under Node; the runner's JSON."""
    folder = shared_wheel_dir()
    node_path = node()
    cache = cache_dir()
    package = install_pyodide(cache)
    lock = lock_packages(package)
    shared = verified_shared_wheels(lock, folder)
    requirements = lite_requirements(bundle)
    wheels = download_wheels(cache, requirements, lock)
    packages = workdir / "pyodide-packages"
    packages.mkdir()
    for path in shared:
        (packages / path.name).symlink_to(path)
    config = {
        "pyodide_dir": str(package), "package_cache_dir": str(packages), "files_url": FILES_URL,
        "wheels": [{"project": wheel.project, "filename": wheel.path.name, "path": str(wheel.path),
                    "sha256": wheel.sha256} for wheel in wheels],
        "preinstall": [wheel.path.name for wheel in wheels if wheel.project in lock],
        "requirements": requirements, "main_py": str(bundle / "main.py"), "probe_py": str(PROBE),
        "calls": calls, "env": LITE_ENV, "canary": CANARY_PACKAGE, "output": str(workdir / "pyodide-result.json"),
    }
    config_path = workdir / "pyodide-config.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    completed = subprocess.run([node_path, str(RUNNER), str(config_path)], capture_output=True, text=True,
                               check=False, timeout=SUBPROCESS_SECONDS)
    output = Path(config["output"])
    if completed.returncode != 0 or not output.is_file():
        raise RuntimeError(f"node {RUNNER.name} failed ({completed.returncode}): {completed.stderr[-3000:]}")
    result = json.loads(output.read_text(encoding="utf-8"))
    result["log"] = completed.stdout + completed.stderr
    result["requirements"] = requirements
    return result


def run_both(workdir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Write the bundle into ``workdir``; return (Pyodide run, CPython probe) of :func:`lite_calls`."""
    bundle = workdir / "bundle"
    lite.write_bundle(bundle)
    calls = lite_calls()
    return run_pyodide(bundle, calls, workdir), run_cpython(bundle, calls)


def differences(pyodide: dict[str, Any], cpython: dict[str, Any]) -> list[str]:
    """Where the Pyodide probe differs from the CPython one (metadata, registered names, every result)."""
    found = [key for key in ("meta", "registered") if pyodide[key] != cpython[key]]
    found += [call for call in sorted(set(pyodide["results"]) | set(cpython["results"]))
              if pyodide["results"].get(call) != cpython["results"].get(call)]
    return found


def problems(pyodide: dict[str, Any], cpython: dict[str, Any]) -> list[str]:
    """Why the run does not show what it should: differences, refused or missing requests, a canary let through."""
    found = [f"differs from CPython: {name}" for name in differences(pyodide["probe"], cpython)]
    found += [f"refused: {url}" for url in pyodide["requests"]["refused"]]
    found += [f"not in the offline index: {url}" for url in pyodide["requests"]["not_found"]]
    if pyodide["canary"]["installed"] or not pyodide["canary"]["refused"]:
        found.append(f"the canary {pyodide['canary']['package']} was not refused: {pyodide['canary']}")
    return found


def timings(probe: dict[str, Any], steps: dict[str, float] | None = None) -> dict[str, float]:
    """Seconds per step: boot and install (Pyodide only), import main, first call, a scalar call and a
    1,000-cell column (each also without xlwings' request handling: the registered function alone)."""
    calls = probe["seconds"]["calls"]
    first = next(iter(calls.values()))[0]
    figures = {name: steps[name] for name in ("boot", "load_micropip", "install") if steps and name in steps}
    alone = probe["seconds"]["function_only"]
    return {**figures, "import_main": probe["seconds"]["import_main"], "first_call": first,
            "scalar_call": statistics.median(calls["scalar"]), "scalar_function_only": statistics.median(alone["scalar"]),
            "column_1000": statistics.median(calls["column"]), "column_function_only": statistics.median(alone["column"])}


def _show(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} µs"



def _timing_row(samples: list[float]) -> str:
    """One step's median, with the range when there are several runs."""
    if not samples:
        return ""
    spread = f" ({_show(min(samples))}-{_show(max(samples))})" if len(samples) > 1 else ""
    return _show(statistics.median(samples)) + spread


def report(runs: list[tuple[dict[str, Any], dict[str, Any]]]) -> str:
    """The text the script prints: what ran, whether it was offline, what differs, the timings of every run."""
    pyodide, cpython = runs[0]
    packages = pyodide["packages"]
    lines = [f"Pyodide {pyodide['pyodide']} (Python {pyodide['python']}, {pyodide['platform']}) under Node.js; "
             f"CPython {cpython['python']}",
             "installed with micropip: " + ", ".join(f"{name} {packages[name]}" for name in sorted(packages)),
             f"offline: {len(pyodide['requests']['served'])} requests served from disk, "
             f"{len(pyodide['requests']['refused'])} refused {pyodide['requests']['refused']}, "
             f"{len(pyodide['requests']['not_found'])} not in the index {pyodide['requests']['not_found']}",
             f"canary: installing {pyodide['canary']['package']} (not on disk) was refused "
             f"{pyodide['canary']['refused']}, installed: {pyodide['canary']['installed']}",
             f"{len(pyodide['probe']['results'])} calls, metadata of {len(pyodide['probe']['meta']['functions'])} "
             f"functions: " + ("; ".join(found for run in runs for found in problems(*run))
                                or f"equal in Pyodide and CPython ({len(runs)} run(s))")]
    in_pyodide = [timings(run[0]["probe"], run[0]["seconds"]) for run in runs]
    in_cpython = [timings(run[1]) for run in runs]
    title = f"median of {len(runs)} runs (min-max)" if len(runs) > 1 else "one run"
    lines.append(f"{'step, ' + title:<38} {'Pyodide':>30} {'CPython':>30}")
    for step in in_pyodide[0]:
        cpython_samples = [figures[step] for figures in in_cpython if step in figures]
        lines.append(f"{step:<38} {_timing_row([figures[step] for figures in in_pyodide]):>30} "
                     f"{_timing_row(cpython_samples):>30}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run both (--runs times), print the report; exit 1 when a run differs, was not offline or failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="boot Pyodide this many times and give each step's median")
    options = parser.parse_args(argv)
    runs = []
    for _ in range(max(options.runs, 1)):
        with tempfile.TemporaryDirectory(prefix="flopsheet-pyodide-") as folder:
            try:
                pyodide, cpython = run_both(Path(folder))
            except MissingPiece as error:
                print(f"pyodide_lite: {error}", file=sys.stderr)
                return 2
        if not pyodide["ok"]:
            print(pyodide["log"][-3000:], pyodide["error"], pyodide["requests"], sep="\n", file=sys.stderr)
            return 1
        runs.append((pyodide, cpython))
    print(report(runs))
    return 1 if any(problems(*run) for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
