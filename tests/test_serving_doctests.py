"""The Examples sections of the serving modules run as doctests."""

from __future__ import annotations

import doctest
import importlib
import warnings

import pytest

from flopsheet import AssumptionWarning

MODULES = [
    "flopsheet.formulas.inference_memory",
    "flopsheet.formulas.served_model",
    "flopsheet.formulas.serving",
    "flopsheet.formulas.serving_bounds",
    "flopsheet.formulas.serving_fleet",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumptionWarning)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
