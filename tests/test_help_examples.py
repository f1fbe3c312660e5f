"""Every example any ``--help`` prints runs as pasted (issue 22: argparse's "%%" leaked into one).

The examples are read from the help text itself (the parser's own formatting), not from
a copy, so a new example is tested the day it is written. Each runs in a scratch folder
where the files an example reads exist (an edited template); Windows paths of the add-in
examples are the one rewrite, to a scratch folder (they name a Windows drive).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
import shutil
from pathlib import Path

import pytest

from flopsheet.__main__ import build_parser, main

#: The exit code of a command that succeeded.
EXIT_OK = 0
from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR

#: A line of an Example(s) block: "flopsheet ..." with, for the add-in, a description after two spaces.
_EXAMPLE = re.compile(r"^\s*(?:Example:\s*)?(flopsheet\s.*?|flopsheet)(?:\s{2,}\S.*)?$")
#: Files examples read, created in the scratch folder from the Table 5 template.
READ_FILES = ("edited.xlsx", "edited_template.xlsx")


def _parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found = {"flopsheet": parser}
    for action in parser._subparsers._group_actions:  # noqa: SLF001 - argparse exposes no public walk
        for name, command in action.choices.items():
            found[f"flopsheet {name}"] = command
    return found


def _examples() -> list[tuple[str, str]]:
    examples = []
    for name, parser in _parsers().items():
        text = parser.format_help()
        block = re.split(r"^(?:Examples?\b|examples:)", text, maxsplit=1, flags=re.MULTILINE | re.IGNORECASE)
        if len(block) < 2:
            continue
        for line in ("Example" + block[1]).splitlines():
            match = _EXAMPLE.match(line)
            if match:
                examples.append((name, match.group(1).strip()))
    return examples


EXAMPLES = _examples()


def test_every_command_prints_at_least_one_example() -> None:
    commands = {name for name in _parsers()}
    assert commands == {name for name, _ in EXAMPLES}


@pytest.mark.parametrize(("command", "example"), EXAMPLES, ids=[example for _, example in EXAMPLES])
def test_the_example_runs_as_pasted(command: str, example: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert "%%" not in example
    for name in READ_FILES:
        shutil.copy(TEMPLATE_DIR / "table5_kimi_training.xlsx", tmp_path / name)
    (tmp_path / "reports").mkdir()
    monkeypatch.chdir(tmp_path)
    text = re.sub(r"[A-Z]:\\\S*", lambda match: str(tmp_path / "windows"), example)
    text = text.replace("/tmp/templates", str(tmp_path / "templates"))
    argv = shlex.split(text)[1:]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    assert status == EXIT_OK, (example, err.getvalue())
    assert out.getvalue().strip(), example
