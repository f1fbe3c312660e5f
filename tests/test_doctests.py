"""The Examples sections of the public docstrings run as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "flopsheet",
    "flopsheet.units.parse",
    "flopsheet.units.format",
    "flopsheet.formulas.catalogues.cards",
    "flopsheet.formulas.catalogues.efficiencies",
    "flopsheet.formulas.collectives",
    "flopsheet.formulas.training.compute",
    "flopsheet.formulas.serving.inference",
    "flopsheet.formulas.catalogues.peaks",
    "flopsheet.formulas.training.utilization",
    "flopsheet.formulas.catalogues.shapes",
    "flopsheet.formulas.training.flops",
    "flopsheet.formulas.catalogues.runs",
    "flopsheet.formulas.training.memory",
    "flopsheet.formulas.training.planner",
    "flopsheet.formulas.training.scaling",
    "flopsheet.formulas.serving.memory",
    "flopsheet.formulas.serving.model",
    "flopsheet.formulas.serving.times",
    "flopsheet.formulas.serving.bounds",
    "flopsheet.formulas.serving.fleet",
    "flopsheet.formulas.serving.planner",
    "flopsheet.formulas.serving.steps",
    "flopsheet.workbooks.model.audit",
    "flopsheet.workbooks.model.sweep",
    "flopsheet.workbooks.outputs.safe_io",
    "flopsheet.cli.values",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
