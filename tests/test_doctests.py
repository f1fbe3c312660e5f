"""The Examples sections of the public docstrings run as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "flopsheet",
    "flopsheet.units.parse",
    "flopsheet.units.format",
    "flopsheet.formulas.cards",
    "flopsheet.formulas.efficiencies",
    "flopsheet.formulas.collectives",
    "flopsheet.formulas.training",
    "flopsheet.formulas.inference",
    "flopsheet.formulas.utilization",
    "flopsheet.formulas.shapes",
    "flopsheet.formulas.flops",
    "flopsheet.formulas.runs",
    "flopsheet.formulas.memory",
    "flopsheet.formulas.scaling",
    "flopsheet.formulas.inference_memory",
    "flopsheet.formulas.served_model",
    "flopsheet.formulas.serving",
    "flopsheet.formulas.serving_bounds",
    "flopsheet.formulas.serving_fleet",
    "flopsheet.workbooks.model.audit",
    "flopsheet.workbooks.model.sweep",
    "flopsheet.workbooks.outputs.safe_io",
    "flopsheet.workbooks.command_values",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
