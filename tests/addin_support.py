"""Calling the add-in the way Excel's Office.js requests arrive (shared by test_addin_*)."""

from __future__ import annotations

import asyncio
import importlib
import types
from collections.abc import Iterator
from typing import Any

import pytest
import xlwings

#: The licence key xlwings accepts for non-commercial use; set for the tests only.
NONCOMMERCIAL = "noncommercial"


@pytest.fixture(scope="session")
def server() -> Iterator[types.ModuleType]:
    """flopsheet.addin.server, with XLWINGS_LICENSE_KEY=noncommercial for the session.

    xlwings registers its Office.js engine when it is first imported and only if a key
    is set then; another test may have imported xlwings before, so the engine is added
    here the way ``xlwings/__init__.py`` adds it.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", NONCOMMERCIAL)
        if "officejs" not in [engine.name for engine in xlwings.engines]:
            from xlwings.main import Engine
            from xlwings.pro import _xlofficejs

            xlwings.engines.add(Engine(impl=_xlofficejs.engine))
        yield importlib.import_module("flopsheet.addin.server")


def cell_args(*values: Any) -> list[Any]:
    """Host arguments: a scalar becomes a 1 x 1 range, a 2-D list stays a range."""
    return [value if isinstance(value, list) else [[value]] for value in values]


def office_call(module: types.ModuleType, name: str, *values: Any) -> list[list[Any]]:
    """Call ``name`` through ``xlwings.server.custom_functions_call`` as Excel does."""
    from xlwings.server import custom_functions_call

    data = {
        "func_name": name,
        "args": cell_args(*values),
        "version": xlwings.__version__,
        "runtime": "1.4",
        "caller_address": "Sheet1!B3",
        "formula_name": name,
        "culture_info_name": "en-US",
        "date_format": "M/d/yyyy",
    }
    return asyncio.run(custom_functions_call(data, module))


def scalar(module: types.ModuleType, name: str, *values: Any) -> Any:
    """The single cell value of a call."""
    result = office_call(module, name, *values)
    assert len(result) == 1 and len(result[0]) == 1, result
    return result[0][0]
