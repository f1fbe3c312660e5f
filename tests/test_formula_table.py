"""The one formula table feeds every face; its native templates agree with Python in LibreOffice."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flopsheet
from flopsheet.addin import catalogue
from flopsheet.formulas import FUNCTIONS, Formula
from flopsheet.formulas.table import markdown_table
from flopsheet.units import AssumptionWarning, Q
from flopsheet.workbooks.model import expressions
from flopsheet.workbooks.model.expressions import number_text
from flopsheet.workbooks.xlsx.recalc import convert

ROOT = Path(__file__).resolve().parents[1]
#: Random valid input rows per formula in the LibreOffice comparison.
CASES_PER_FORMULA = 25
#: Rows drawn at most per formula to find CASES_PER_FORMULA that Python accepts.
MAX_DRAWS_PER_FORMULA = 4 * CASES_PER_FORMULA
#: LibreOffice and Python agree to this relative difference.
RELATIVE_TOLERANCE = 1e-9
NATIVE = [formula for formula in FUNCTIONS if formula.native is not None]


def test_every_face_lists_exactly_the_table() -> None:
    excel_names = {formula.excel_name for formula in FUNCTIONS}
    assert {function.name for function in catalogue.FUNCTIONS} == excel_names | {extra.name for extra in catalogue.EXTRAS}
    assert not excel_names & {extra.name for extra in catalogue.EXTRAS}
    assert set(expressions.FUNCTIONS) == {formula.name for formula in FUNCTIONS if not formula.table}
    for formula in FUNCTIONS:
        assert getattr(flopsheet, formula.name) is formula.function, formula.name
        assert len(formula.description) <= 255


def test_the_reference_function_table_is_generated_from_the_table() -> None:
    page = (ROOT / "docs" / "reference" / "functions.md").read_text(encoding="utf-8")
    assert markdown_table() in page, "the function reference is stale: run python docs/gen_reference.py"
    for formula in FUNCTIONS:
        assert f"`{formula.excel_name}`" in markdown_table()


NEW_FORMULA_PROBE = textwrap.dedent("""
    import asyncio, json, os
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    from flopsheet.formulas import args, table

    def context_flops(params, context):
        '''Attention-free FLOP of reading a context once: 2 * params * context.'''
        return (args.quantity_arg(params, "params", args.PARAMETERS)
                * args.quantity_arg(context, "context", args.TOKENS) * 2 * table.Q(1, "FLOP/parameter/token")).to("FLOP")

    record = table._with_defaults(table.Formula(
        "context_flops", "CONTEXT_FLOPS", context_flops,
        (table.Parameter("params", "Parameter count", args.PARAMETERS),
         table.Parameter("context", "Context tokens", args.TOKENS)),
        "FLOP", "TFLOP", "FLOP of one pass over a context: 2 * params * context.", native="2*{params}*{context}"))
    table.FUNCTIONS = table.FUNCTIONS + (record,)
    import flopsheet.formulas
    flopsheet.formulas.FUNCTIONS = table.FUNCTIONS

    from flopsheet.addin import catalogue, lite, server
    from flopsheet.workbooks.model import expressions
    import xlwings, xlwings.server
    meta = xlwings.server.custom_functions_meta(server)
    data = {"func_name": "CONTEXT_FLOPS", "args": [[[7e10]], [[4096]]], "version": xlwings.__version__,
            "runtime": "1.4", "caller_address": "Sheet1!A1", "formula_name": "CONTEXT_FLOPS",
            "culture_info_name": "en-US", "date_format": "M/d/yyyy"}
    parsed = expressions.parse_expression("context_flops(params, tokens)")
    print(json.dumps({
        "catalogue": "CONTEXT_FLOPS" in catalogue.by_name(),
        "server": any(entry["name"] == "CONTEXT_FLOPS" for entry in meta["functions"]),
        "server_call": asyncio.run(xlwings.server.custom_functions_call(data, server)),
        "lite": "flopsheet/formulas/table.py" in lite.bundle_zip_names() and "register_all" in lite.main_text(),
        "grammar": expressions.evaluate_expr(parsed, {"params": table.Q(7e10, "parameter"),
                                                       "tokens": table.Q(4096, "token")}).to("FLOP").m,
        "native": expressions.excel_formula(parsed, str),
        "readme": "CONTEXT_FLOPS" in table.markdown_table(),
    }))
""")


def test_a_new_formula_added_in_one_place_reaches_every_face() -> None:
    completed = subprocess.run([sys.executable, "-c", NEW_FORMULA_PROBE], capture_output=True, text=True,
                               env={**os.environ, "XLWINGS_LICENSE_KEY": "noncommercial"}, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    seen = json.loads(completed.stdout.splitlines()[-1])
    assert seen["catalogue"] and seen["server"] and seen["lite"] and seen["readme"]
    assert seen["server_call"] == [[2 * 7e10 * 4096]]
    assert seen["grammar"] == pytest.approx(2 * 7e10 * 4096)
    assert seen["native"] == "(IF(AND(params>0,tokens>0),2*params*tokens,NA()))"


# --- native templates against Python, in LibreOffice -------------------------------


def _base_unit(formula: Formula, name: str) -> str:
    """The base unit text of a parameter (what the native template reads)."""
    kind = next(param.kind for param in formula.params if param.name == name)
    assert kind is not None
    return f"{Q(1, kind.unit).to_base_units().units}"


def _value(param: Any, rng: random.Random) -> float:
    """A valid base-unit value of one parameter: positive, within its maximum, whole where it must be.

    Unbounded values are log-uniform over 1e-3 .. 1e15, so every scale is drawn.
    """
    if param.whole:
        return float(rng.randint(1, 10**6))
    limit = param.maximum_base()
    if limit is not None:
        return rng.uniform(limit * 1e-3, limit)
    return 10 ** rng.uniform(-3, 15)


def _python_result(formula: Formula, row: dict[str, float]) -> float | None:
    """The formula in Python on base-unit inputs, in base units; None where it refuses them."""
    arguments = [row[param.name] if param.kind is None or param.unit == "" else Q(row[param.name], _base_unit(formula, param.name))
                 for param in formula.params if param.name in row]
    try:
        with warnings.catch_warnings():  # random draws: a count under 1,000 parameters warns; the value is compared
            warnings.simplefilter("ignore", AssumptionWarning)
            return float(formula.function(*arguments).to_base_units().magnitude)
    except ValueError:
        return None


def _invalid_rows(formula: Formula, valid: dict[str, float]) -> list[dict[str, float]]:
    """Rows Python must refuse: each argument in turn zero, negative, or just over its maximum."""
    rows = []
    for param in formula.params:
        if param.name not in valid:
            continue
        for bad in (0.0, -1.0) + ((param.maximum_base() * (1 + 1e-6),) if param.maximum is not None else ()) \
                + ((valid[param.name] + 0.5,) if param.whole else ()):
            rows.append({**valid, param.name: bad})
    return rows


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_native_templates_agree_with_python_in_libreoffice(data: st.DataObject, soffice: str,
                                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    assert NATIVE, "no formula has a native template"
    # one drawn seed drives every row (hypothesis would run out of buffer on ~2,000 draws)
    rng = random.Random(data.draw(st.integers(min_value=0, max_value=2**32 - 1), label="seed"))
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    expected: dict[str, list[float | None]] = {}
    for formula in NATIVE:
        quantity_params = [param for param in formula.params if param.role == "quantity"]
        # Some formulas refuse combinations of valid arguments (a serving bound whose latency
        # target cannot be met): draw until CASES_PER_FORMULA rows are accepted (and compared),
        # the refused ones must be #N/A in the spreadsheet too.
        rows, accepted = [], 0
        while accepted < CASES_PER_FORMULA and len(rows) < MAX_DRAWS_PER_FORMULA:
            rows.append({param.name: _value(param, rng) for param in quantity_params})
            accepted += _python_result(formula, rows[-1]) is not None
        valid = next(row for row in rows if _python_result(formula, row) is not None)
        rows += _invalid_rows(formula, valid)
        sheet = workbook.create_sheet(formula.name[:31])
        expected[formula.name] = []
        for index, row in enumerate(rows, start=1):
            references = {}
            for column, param in enumerate(quantity_params, start=1):
                cell = sheet.cell(index, column, row[param.name])
                references[param.name] = cell.coordinate
            result = sheet.cell(index, len(quantity_params) + 1)
            result.value = "=" + formula.render_native(references, number_text)
            expected[formula.name].append(_python_result(formula, row))
        assert any(value is None for value in expected[formula.name]), formula.name
        assert sum(value is not None for value in expected[formula.name]) >= CASES_PER_FORMULA
    source = tmp_path_factory.mktemp("native") / "native_cases.xlsx"
    workbook.save(source)
    (recalculated,) = convert([source], tmp_path_factory.mktemp("native_recalculated"))
    values = openpyxl.load_workbook(recalculated, data_only=True)
    for formula in NATIVE:
        sheet = values[formula.name[:31]]
        column = sum(param.role == "quantity" for param in formula.params) + 1
        for index, python in enumerate(expected[formula.name], start=1):
            spreadsheet = sheet.cell(index, column).value
            if python is None:
                assert spreadsheet == "#N/A", (formula.name, index, spreadsheet)
            else:
                assert isinstance(spreadsheet, (int, float)) and math.isfinite(spreadsheet), (formula.name, spreadsheet)
                assert spreadsheet == pytest.approx(python, rel=RELATIVE_TOLERANCE), (formula.name, index)
