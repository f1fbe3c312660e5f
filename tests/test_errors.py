"""The one error family: every flopsheet error is a ValueError and survives pickling."""

from __future__ import annotations

import inspect
import pickle
from pathlib import Path

import pytest

import flopsheet
from flopsheet.units import errors

ERROR_CLASSES = [value for value in vars(errors).values()
                 if inspect.isclass(value) and issubclass(value, Exception) and not issubclass(value, Warning)
                 and value.__module__ == errors.__name__]

SAMPLES = [
    errors.InputError("data", "30 tokens", "a data size in bytes"),
    errors.UnitInputError("data", "30 tokenz", "a known unit", "unknown unit"),
    errors.InputRangeError("utilization", "130%", "in (0, 100%]"),
    errors.CatalogueError("catalogue", "/tmp/cards.toml", "a usable accelerator catalogue", "accelerator 'X1': missing 'source'"),
    errors.MissingUnitError("duration", "105", 'this model keeps it in month: write "105 days" or "3.45 months"'),
    errors.UnknownNameError("card", "A1000", "A100, H100", "accelerator"),
    errors.OutputError("-o", "out/report.xlsx", 'the folder "out" does not exist'),
    errors.UserFileError("--from", "/tmp/pipe.xlsx", "an existing .xlsx file", "it is not a regular file: it is a FIFO"),
    errors.ExpressionError("attribute access is not allowed"),
    errors.SpecError(Path("/tmp/my_model.toml"), "cycle: a -> b -> a", "a", "b * 2"),
]


def test_every_error_class_is_in_the_family_and_sampled() -> None:
    assert ERROR_CLASSES, "errors.py defines no error classes"
    for cls in ERROR_CLASSES:
        assert issubclass(cls, flopsheet.FlopsheetError) and issubclass(cls, ValueError), cls
    assert {type(sample) for sample in SAMPLES} >= set(ERROR_CLASSES) - {errors.FlopsheetError}


@pytest.mark.parametrize("error", SAMPLES, ids=lambda error: type(error).__name__)
def test_errors_survive_pickling_with_their_fields(error: Exception) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error) and str(error)
    assert vars(copy) == vars(error)


def test_spec_and_expression_errors_are_exported_at_the_top() -> None:
    assert flopsheet.SpecError is errors.SpecError and flopsheet.ExpressionError is errors.ExpressionError
