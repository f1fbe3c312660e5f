"""Issue 11: no eval, exec, pickle or shell anywhere in flopsheet's source, outside an allow-list.

The source tree is read with :mod:`ast` (not grep, so comments and strings do not count
and aliases such as ``from os import system`` do). Every construct that can run code
from data, load code from bytes, start a shell or parse XML unsafely is a finding;
each allowed one is listed below with its reason, and an allowed entry that no longer
occurs fails too, so the list stays exact.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The package's source folders (tests/ and bench/ are not shipped).
SOURCE_FOLDERS = ("flopsheet", "units", "formulas", "workbooks", "addin")
#: Built-ins that run or compile code from text.
CODE_BUILTINS = frozenset({"eval", "exec", "compile", "__import__", "breakpoint"})
#: Modules that unpickle, run code, start processes, load native code or parse XML with entities.
RISKY_MODULES = frozenset({
    "pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "joblib", "subprocess", "pty",
    "code", "codeop", "runpy", "importlib", "ctypes", "builtins", "numexpr", "multiprocessing", "xml", "lxml",
})
#: ``os`` functions that start a shell or replace the process.
OS_PROCESS_PREFIXES = ("system", "popen", "exec", "spawn", "posix_spawn", "startfile", "fork")
#: Methods that evaluate expression strings (pandas ``eval``/``query``) or unpickle.
EVALUATING_METHODS = frozenset({"eval", "query", "read_pickle", "to_pickle"})
#: Allowed findings: (file, finding) -> why it is safe.
ALLOWED: dict[tuple[str, str], str] = {
    ("workbooks/xlsx/recalc.py", "import subprocess"):
        "runs LibreOffice (soffice) with an argument list, no shell, on files flopsheet wrote",
    ("flopsheet/__init__.py", "import importlib"):
        "imports one of four fixed module names on first use (lazy API), never a name from data",
    ("addin/lite.py", "import importlib.metadata"): "reads the installed version of flopsheet",
    ("workbooks/xlsx/read_back.py", "import xml.parsers.expat"):
        "streams parts of a sent workbook to refuse any <!DOCTYPE> before openpyxl parses them",
}


def _findings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Yield (line, finding) for every risky construct in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in RISKY_MODULES or alias.name == "os.system":
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            for alias in node.names:
                if top in RISKY_MODULES:
                    yield node.lineno, f"import {node.module}.{alias.name}"
                elif top == "os" and alias.name.startswith(OS_PROCESS_PREFIXES):
                    yield node.lineno, f"import os.{alias.name}"
        elif isinstance(node, ast.Name) and node.id in CODE_BUILTINS | {"__builtins__"}:
            yield node.lineno, f"name {node.id}"
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else ""
            if owner == "os" and node.attr.startswith(OS_PROCESS_PREFIXES):
                yield node.lineno, f"os.{node.attr}"
            elif node.attr in CODE_BUILTINS and owner in {"builtins", "__builtins__"}:
                yield node.lineno, f"{owner}.{node.attr}"
            elif node.attr in EVALUATING_METHODS:
                yield node.lineno, f"method .{node.attr}"
        elif isinstance(node, ast.keyword):
            constant = node.value.value if isinstance(node.value, ast.Constant) else None
            if node.arg == "shell" and constant is not False:
                yield node.lineno, "shell=True"
            elif node.arg == "allow_pickle" and constant is not False:
                yield node.lineno, "allow_pickle=True"


def _source_files() -> list[Path]:
    files = sorted(path for folder in SOURCE_FOLDERS for path in (ROOT / folder).rglob("*.py"))
    assert len(files) > 20, "the source tree was not found"
    return files


def test_no_code_from_data_outside_the_allow_list() -> None:
    found: set[tuple[str, str]] = set()
    unexpected = []
    for path in _source_files():
        relative = path.relative_to(ROOT).as_posix()
        for line, finding in _findings(ast.parse(path.read_text(encoding="utf-8"), filename=relative)):
            found.add((relative, finding))
            if (relative, finding) not in ALLOWED:
                unexpected.append(f"{relative}:{line}: {finding}")
    assert unexpected == [], "new eval/exec/pickle/shell constructs (allow them in ALLOWED with a reason):\n" + \
        "\n".join(unexpected)
    assert set(ALLOWED) <= found, f"allowed entries that no longer occur: {sorted(set(ALLOWED) - found)}"


def test_the_subprocess_call_passes_an_argument_list() -> None:
    tree = ast.parse((ROOT / "workbooks/xlsx/recalc.py").read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and isinstance(node.func.value, ast.Name) and node.func.value.id == "subprocess"]
    # LibreOffice's and Gnumeric's (ssconvert) recalculation: each one subprocess.run of an argument list
    assert [call.func.attr for call in calls] == ["run", "run"]
    for call in calls:
        assert not isinstance(call.args[0], (ast.Constant, ast.JoinedStr, ast.BinOp))  # a list, not a command line


@pytest.mark.parametrize(("code", "finding"), [
    ("eval(text)", "name eval"),
    ("exec(code, {})", "name exec"),
    ("f = compile(src, 'x', 'exec')", "name compile"),
    ("m = __import__(name)", "name __import__"),
    ("import builtins\nbuiltins.eval(t)", "builtins.eval"),
    ("getattr(__builtins__, 'ev' + 'al')", "name __builtins__"),
    ("import pickle", "import pickle"),
    ("from pickle import loads", "import pickle.loads"),
    ("import marshal as m", "import marshal"),
    ("frame = pd.read_pickle(path)", "method .read_pickle"),
    ("frame.query(user_text)", "method .query"),
    ("pd.eval(user_text)", "method .eval"),
    ("np.load(path, allow_pickle=True)", "allow_pickle=True"),
    ("import subprocess", "import subprocess"),
    ("run(cmd, shell=True)", "shell=True"),
    ("run(cmd, shell=flag)", "shell=True"),
    ("os.system('ls')", "os.system"),
    ("os.popen(cmd)", "os.popen"),
    ("os.execvp('sh', args)", "os.execvp"),
    ("from os import system", "import os.system"),
    ("import xml.etree.ElementTree as ET", "import xml.etree.ElementTree"),
    ("from lxml import etree", "import lxml.etree"),
    ("import importlib\nimportlib.import_module(name)", "import importlib"),
])
def test_the_scanner_finds_each_construct(code: str, finding: str) -> None:
    assert finding in {found for _, found in _findings(ast.parse(code))}


@pytest.mark.parametrize("code", [
    "import re\npattern = re.compile('x')",
    "tree = ast.parse(text, mode='eval')",
    "value = evaluate(spec)",
    "run(cmd, shell=False)",
    "# eval(x) in a comment\ntext = 'exec(y) in a string'",
])
def test_the_scanner_ignores_safe_lookalikes(code: str) -> None:
    assert list(_findings(ast.parse(code))) == []
