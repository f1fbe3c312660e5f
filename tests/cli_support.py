"""Running the command line in-process and capturing what it prints (shared by the CLI tests)."""

from __future__ import annotations

import pytest

from flopsheet.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``flopsheet ARGV``; return its exit code, standard output and standard error."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
