"""The bad-input matrix: every bad value through every face gets a clear answer.

Each (argument, bad value) pair runs through the Python API, the Excel call path
(``xlwings.server.custom_functions_call``), the command line (``--set``) and, for a
sample, the spec compiler. Every face must answer with one of flopsheet's own
``ValueError`` subclasses (the CLI: exit 2 and a one-line message; Excel: an
error-prefixed text) that names the argument; nothing else may escape.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

import flopsheet
from flopsheet.cli import main
from flopsheet.workbooks.model import spec as spec_module
from addin_support import office_call, server  # noqa: F401 (server is a fixture)

#: Table 5's printed training compute, FLOP.
FLOPS = 5.895053151373e24
#: Values no argument accepts: garbage, signs, non-finite, overflow, huge, injected, careless.
UNIVERSAL = [
    "", "   ", "abc", "nan", "NaN days", "inf", "-inf", "1e500", "9" * 400, "x" * 1_000_000,
    "=cmd|' /C calc'!A0", "@SUM(1)", "+1+1", "70亿。", "3²", "½", "3亿万万亿", "万万", "45 %%",
    "#N/A", "#DIV/0!", "TRUE", "FALSE", "2024-01-01", "../../etc/passwd", "\x1b[31m5", "5\r\n6", "1,2,3",
    "-5", "0", "-0.0", "5 tokenz", "5 kb", "5 KB", "5 tflops", "(5", "5)", "5 TB TB", "5;", "5,",
    "５ｘ", "5 ** 400", "5e-400", "1/0", "5 =", "None", "[5]", "{5}", "5 5", "0x10",
    "5\u00a0days\u00a0days", "\u202e5", "5\u0000", "五", "5，", "5。", "5 亿亿", "１e999", "٥", "5e", ".", "-",
    "e5", "5..6", "5 days days", "%", "5 %% %", "1_000", "0b101", "5j",
]
#: Values of the wrong kind for one argument only.
SPECIFIC = {
    "params": ["30 TB", "5 days", "156 TFLOPS", "30 tokens"],
    "data": ["30 days", "30 tokens", "30 cards", "15T", "2000亿"],
    "duration": ["30 TB", "5 cards", "156 TFLOPS", "30 tokens"],
    "utilization": ["130%", "1.0000001", "30 days", "-30%", "30% @ A100 fp7", "30% @ H999 bf16"],
    "peak": ["A100", "A100 fp7", "H999 bf16", "30 TB", "A100 tf32 sparse dense", "5 days"],
}
CASES = [(argument, value) for argument in SPECIFIC for value in UNIVERSAL + SPECIFIC[argument]]


def _python(argument: str, value: Any) -> Any:
    """The Python API call that reads ``argument``."""
    calls = {
        "params": lambda: flopsheet.train_flops(value, "4.9万亿 tokens"),
        "data": lambda: flopsheet.data_tokens(value),
        "duration": lambda: flopsheet.train_cards(FLOPS, "A100 tf32", "30.2%", value),
        "utilization": lambda: flopsheet.train_cards(FLOPS, "A100 tf32", value, "105 days"),
        "peak": lambda: flopsheet.train_cards(FLOPS, value, "30.2%", "105 days"),
    }
    return calls[argument]()


def _excel(module: types.ModuleType, argument: str, value: Any) -> Any:
    """The same through xlwings' Office.js call path."""
    calls = {
        "params": lambda: office_call(module, "TRAIN_FLOPS", value, "4.9万亿 tokens"),
        "data": lambda: office_call(module, "DATA_TOKENS", value),
        "duration": lambda: office_call(module, "TRAIN_CARDS", FLOPS, "A100 tf32", "30.2%", value),
        "utilization": lambda: office_call(module, "TRAIN_CARDS", FLOPS, "A100 tf32", value, "105 days"),
        "peak": lambda: office_call(module, "TRAIN_CARDS", FLOPS, value, "30.2%", "105 days"),
    }
    return calls[argument]()


def test_the_matrix_is_big_enough() -> None:
    assert len({value for _, value in CASES}) >= 80 and len(CASES) >= 250


@pytest.mark.parametrize("argument, value", CASES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(CASES)])
def test_python_refuses_with_a_flopsheet_error_naming_the_argument(argument: str, value: str) -> None:
    with pytest.raises(flopsheet.FlopsheetError) as caught:
        _python(argument, value)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert message.startswith(f"{argument}:") or message.startswith("result:"), message[:200]
    assert len(message) < 2_000 and "Traceback" not in message


@pytest.mark.parametrize("argument, value", CASES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(CASES)])
def test_excel_shows_an_error_text_naming_the_argument(server: types.ModuleType, argument: str, value: str) -> None:
    (row,) = _excel(server, argument, value)
    (cell,) = row
    assert isinstance(cell, str) and cell.split(" ")[0] in {"#VALUE!", "#NUM!", "#N/A"}, cell[:200]
    assert f" {argument}:" in cell or " result:" in cell, cell[:200]
    assert "internal error" not in cell and "Traceback" not in cell


@pytest.mark.parametrize("argument, value", CASES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(CASES)])
def test_the_command_line_exits_2_naming_the_argument(capsys, argument: str, value: str) -> None:
    assert main(["show", "table5_kimi_training", "--set", f"{argument}={value}"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    error = captured.err
    assert error.startswith("flopsheet: ") and error.count("\n") == 1, error[:300]
    assert argument in error or "--set" in error, error[:300]


SPEC = '''name = "model"
title_en = "t"
title_zh = "t"
[citation]
seed = "s"
table = "t"
page = "p"
[[input]]
name = "duration"
label_en = "d"
label_zh = "d"
value = {value}
unit = "day"
[[row]]
name = "weeks"
label_en = "w"
label_zh = "w"
expr = "duration"
unit = "week"
'''


@pytest.mark.parametrize("value", UNIVERSAL[:30] + SPECIFIC["duration"])
def test_the_spec_compiler_names_the_file_and_the_input(tmp_path: Path, value: str) -> None:
    path = tmp_path / "model.toml"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
    path.write_text(SPEC.format(value=f'"{escaped}"'), encoding="utf-8")
    spec_module._load_cached.cache_clear()
    with pytest.raises(flopsheet.SpecError) as caught:
        spec_module.load_spec(path)
    message = str(caught.value)
    assert message.startswith("model.toml, row 'duration'") or message.startswith("model.toml: "), message[:200]


# -- the serving planner (issue 21): the same classes of input through serving_plans --------

#: Values these arguments accept although the matrix lists them as bad for others.
PLAN_VALID = {"cache_hit_rate": {"0", "-0.0"}}
PLAN_SPECIFIC = {
    "calls_per_day": ["30 TB", "5 days", "30 tokens"],
    "latency": ["50 GB", "5 tokens", "50 ms/GB"],
    "ttft": ["2 GB", "2 ms/token", "5 tokens"],
    "cache_hit_rate": ["100%", "1.5", "30 days", "-30%"],
    "utilization": ["130%", "30 days", "-30%"],
    "layout": ["TP3", "TP16xPP2", "EP8", "PP2", "TP0", "TP8xPP0"],
    "replica_cards": ["3", "12", "2.5", "5 days"],
}
PLAN_CASES = [(argument, value) for argument in PLAN_SPECIFIC
              for value in UNIVERSAL + PLAN_SPECIFIC[argument] if value not in PLAN_VALID.get(argument, set())]
#: The serving planner's arguments Excel passes (SERVING_PLANS' own parameters); a blank cell is the default.
PLAN_EXCEL = ("calls_per_day", "latency", "utilization")


def _plan(argument: str, value: Any) -> Any:
    load: dict[str, Any] = {"calls_per_day": "100万", "prompt_tokens": 1000, "answer_tokens": 500, "busy_hours": 12,
                            "cards": "H100 bf16"}
    return flopsheet.serving_plans("Llama-2-70B", **{**load, argument: value})


@pytest.mark.parametrize("argument, value", PLAN_CASES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(PLAN_CASES)])
def test_the_serving_planner_refuses_with_a_flopsheet_error_naming_the_argument(argument: str, value: str) -> None:
    with pytest.raises(flopsheet.FlopsheetError) as caught:
        _plan(argument, value)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError) and message.startswith(f"{argument}:"), message[:200]
    assert len(message) < 2_000 and "Traceback" not in message


@pytest.mark.parametrize("argument, value", [case for case in PLAN_CASES if case[0] in PLAN_EXCEL
                                             and case[1].strip()][::3])
def test_serving_plans_in_excel_shows_an_error_text_naming_the_argument(server: types.ModuleType, argument: str,
                                                                        value: str) -> None:
    arguments = {"calls_per_day": "100万", "latency": "50 ms/token", "utilization": None, **{argument: value}}
    table = office_call(server, "SERVING_PLANS", "Llama-2-70B", arguments["calls_per_day"], 1000, 500, 12,
                        arguments["latency"], "H100 bf16", arguments["utilization"])
    cell = table[0][0]
    assert isinstance(cell, str) and cell.split(" ")[0] in {"#VALUE!", "#NUM!", "#N/A"}, cell[:200]
    assert f" {argument}:" in cell and "Traceback" not in cell, cell[:200]
