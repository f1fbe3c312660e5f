"""The Examples sections of the training-physics modules (issue 14) run as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "flopsheet.formulas.shapes",
    "flopsheet.formulas.flops",
    "flopsheet.formulas.runs",
    "flopsheet.formulas.memory",
    "flopsheet.formulas.scaling",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
