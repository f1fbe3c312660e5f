"""The bad-input matrix: every bad value through every face gets a clear answer.

Each (argument, bad value) pair runs through the Python API, the Excel call path
(``xlwings.server.custom_functions_call``), the command line (``--set``) and, for a
sample, the spec compiler. Every face must answer with one of flopsheet's own
``ValueError`` subclasses (the CLI: exit 2 and a one-line message; Excel: an
error-prefixed text) that names the argument; nothing else may escape.
"""

from __future__ import annotations

import inspect

import types
from collections.abc import Callable
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
    _assert_refused_naming(argument, lambda: _python(argument, value))


def _assert_refused_naming(argument: str, call: Callable[[], Any]) -> None:
    """``call`` raises a FlopsheetError (a ValueError) whose short message starts with the argument's name."""
    with pytest.raises(flopsheet.FlopsheetError) as caught:
        call()
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert message.startswith(f"{argument}:"), message[:200]  # never an internal value ("result:")
    assert len(message) < 2_000 and "Traceback" not in message


@pytest.mark.parametrize("argument, value", CASES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(CASES)])
def test_excel_shows_an_error_text_naming_the_argument(server: types.ModuleType, argument: str, value: str) -> None:
    (row,) = _excel(server, argument, value)
    (cell,) = row
    assert isinstance(cell, str) and cell.split(" ")[0] in {"#VALUE!", "#NUM!", "#N/A"}, cell[:200]
    assert f" {argument}:" in cell, cell[:200]
    assert "internal error" not in cell and "Traceback" not in cell


def test_cluster_excel_empty_optional_cell_is_its_default(server: types.ModuleType) -> None:
    given = office_call(server, "CLUSTER_CAPEX", 1024, "H100", "300000 USD/server")
    empty = office_call(server, "CLUSTER_CAPEX", 1024, "H100", "")
    assert empty == given and empty[1][1] == pytest.approx(128 * 300_000)


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
# --- the faces added since the first release (issue 23) ------------------------------------
#: The classes of bad input of the first faces, for every argument of the new ones: empty, text, wrong unit,
#: negative, zero, NaN, inf, 1e308 and beyond, huge and hostile strings, Excel's error and boolean texts.
NEW_CLASSES = [
    "", "   ", "abc", "nan", "NaN", "inf", "-inf", "1e308", "1e500", "9" * 400, "x" * 1_000_000, "-5", "-0.5", "0",
    "5e-400", "\x1b[31m5", "#N/A", "=1+1", "5 tokenz", "5 W", "5..6", "None", "١e999",
]
#: Each new formula (Excel name), a valid call (keyword -> value, in the Excel order) and the arguments varied.
NEW_FACES: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "TRAIN_MEMORY": ({"model": "Llama-2-7B", "cards": 8, "precision": "bf16", "optimizer": "adam", "zero_stage": 1,
                      "seq_len": 4096, "micro_batch": 1, "recompute": False, "tensor_parallel": 2,
                      "pipeline_parallel": 2, "sequence_parallel": False},
                     ("model", "cards", "precision", "optimizer", "zero_stage", "seq_len", "micro_batch", "recompute",
                      "tensor_parallel", "pipeline_parallel", "sequence_parallel")),
    "MIN_TRAIN_CARDS": ({"model": "Llama-2-7B", "tokens": "2T", "peak": "H100 bf16", "utilization": 0.4,
                         "duration": "30 days", "seq_len": None, "precision": "bf16", "optimizer": "adam",
                         "zero_stage": 3}, ("model", "tokens", "peak", "utilization", "duration", "zero_stage")),
    "WEIGHTS_MEMORY": ({"params": 7e10, "precision": "bf16"}, ("params", "precision")),
    "KV_CACHE_MEMORY": ({"layers": "Llama-2-70B", "kv_heads": None, "head_dim": None, "context_tokens": 4096,
                         "batch": 8}, ("context_tokens", "batch")),
    "PREFILL_TIME": ({"model": "Llama-2-70B", "prompt_tokens": 2000, "card": "H100 bf16", "batch": 1,
                      "utilization": 0.5}, ("model", "prompt_tokens", "card", "batch", "utilization")),
    "DECODE_TIME": ({"model": "Llama-2-70B", "card": "H100 bf16", "context_tokens": 2000, "batch": 8,
                     "efficiency": 0.6}, ("model", "card", "context_tokens", "batch", "efficiency")),
    "SERVING_CARDS": ({"model": "Llama-2-70B", "calls_per_day": "1e6", "prompt_tokens": 1000, "answer_tokens": 500,
                       "busy_hours": 12, "latency": "50 ms/token"},
                      ("model", "calls_per_day", "prompt_tokens", "answer_tokens", "busy_hours", "latency")),
    "PREDICTED_UTILIZATION": ({"model": "Llama 3.1 8B", "cards": 64, "card": "H100 bf16", "tokens_per_step": None,
                               "sequence": 8192, "global_batch": 512, "tensor_parallel": 2},
                              ("model", "cards", "card", "sequence", "global_batch", "tensor_parallel")),
    "PUBLISHED_UTILIZATION": ({"model": 176e9, "peak": "A100 bf16", "tokens_per_second_per_card": None,
                               "seconds_per_iteration": None, "global_batch": None, "cards": None,
                               "tflops_per_card": 156, "sequence": None, "recompute": "full"},
                              ("model", "peak", "tflops_per_card", "recompute")),
}
#: Values an argument accepts, so not bad for it: 0 is ZeRO stage 0 and an empty context; 0 is "no" and "None"
#: the recompute mode "none"; 1e308 cards is a (silly) whole number whose memory per card is finite.
NEW_VALID = {("zero_stage", "0"), ("context_tokens", "0"), ("recompute", "0"), ("sequence_parallel", "0"),
             ("recompute", "None"), ("cards", "1e308")}
#: Arguments whose empty cell is the default (Excel's optional arguments; in Python "" is still refused).
_FUNCTIONS = {record.excel_name: record.function for record in flopsheet.formulas.table.FUNCTIONS}
NEW_CASES = [(face, argument, value) for face, (_, arguments) in NEW_FACES.items() for argument in arguments
             for value in NEW_CLASSES if (argument, value) not in NEW_VALID]


def _new_call(face: str, argument: str, value: Any) -> dict[str, Any]:
    base, _ = NEW_FACES[face]
    return {name: value if name == argument else given for name, given in base.items()}


def test_the_new_faces_matrix_is_big_enough() -> None:
    assert len(NEW_CASES) >= 600 and set(NEW_FACES) <= set(_FUNCTIONS)


@pytest.mark.parametrize("face, argument, value", NEW_CASES, ids=[f"{f}-{a}-{i}" for i, (f, a, _) in enumerate(NEW_CASES)])
def test_python_refuses_bad_input_to_the_new_faces_naming_the_argument(face: str, argument: str, value: str) -> None:
    keywords = {name: given for name, given in _new_call(face, argument, value).items() if given is not None}
    with pytest.raises(flopsheet.FlopsheetError) as caught:
        _FUNCTIONS[face](**keywords)
    message = str(caught.value)
    assert message.startswith(f"{argument}:"), message[:300]
    assert len(message) < 2_000 and "Traceback" not in message


def _optional(face: str, argument: str) -> bool:
    """Whether the Python function gives ``argument`` a default (Excel's empty cell then means it)."""
    parameter = inspect.signature(_FUNCTIONS[face]).parameters.get(argument)
    return parameter is not None and parameter.default is not inspect.Parameter.empty


#: The Excel cases: every new case but an empty cell for an optional argument, which is its default there.
EXCEL_CASES = [(face, argument, value) for face, argument, value in NEW_CASES
               if not (value.strip() == "" and _optional(face, argument))]


def test_an_empty_cell_for_an_optional_argument_is_its_default_in_excel(server: types.ModuleType) -> None:
    optional = [(face, argument) for face, argument, value in NEW_CASES if value.strip() == "" and _optional(face, argument)]
    assert optional, "no optional argument is varied: the Excel cases would not need the filter"
    for face, argument in optional[:12]:
        cells = office_call(server, face, *_new_call(face, argument, "").values())
        flat = [cell for row in cells for cell in row]
        assert not any(isinstance(cell, str) and cell.startswith(f"#VALUE! {argument}:") for cell in flat), (face, argument)


@pytest.mark.parametrize("face, argument, value", EXCEL_CASES,
                         ids=[f"{f}-{a}-{i}" for i, (f, a, _) in enumerate(EXCEL_CASES)])
def test_excel_refuses_bad_input_to_the_new_faces_naming_the_argument(server: types.ModuleType, face: str,
                                                                      argument: str, value: str) -> None:
    cells = office_call(server, face, *_new_call(face, argument, value).values())
    assert len(cells) == 1 and len(cells[0]) == 1, f"a table where an error belongs: {str(cells)[:300]}"
    (cell,) = cells[0]
    assert isinstance(cell, str) and cell.split(" ")[0] in {"#VALUE!", "#NUM!", "#N/A"}, cell[:200]
    assert f" {argument}:" in cell, cell[:300]
    assert "internal error" not in cell and "Traceback" not in cell


#: The quick commands' options: a valid command line, and the options varied (each names itself in the error).
NEW_COMMANDS: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "train": (["train", "--params", "7e9", "--tokens", "1e12", "--card", "H100 bf16", "--mfu", "40%", "--days", "30",
               "--price", "2 USD/card_hour", "--pue", "1.2"],
              ("--params", "--tokens", "--card", "--mfu", "--days", "--price", "--pue")),
    "serve": (["serve", "--params", "Llama-2-70B", "--tokens-per-call", "2000", "--calls-per-day", "1e6", "--card",
               "H100 bf16", "--utilization", "30%", "--busy-hours", "12", "--latency", "50 ms/token"],
              ("--params", "--tokens-per-call", "--calls-per-day", "--card", "--utilization", "--busy-hours",
               "--latency")),
}
#: The command-line classes: a huge text is left to the Python matrix (argv of a megabyte is not a command line).
COMMAND_CLASSES = [value for value in NEW_CLASSES if len(value) < 1_000 and value.strip()]
COMMAND_CASES = [(command, option, value) for command, (_, options) in NEW_COMMANDS.items() for option in options
                 for value in COMMAND_CLASSES if not (option == "--pue" and value == "1e308")]


def _with(argv: list[str], option: str, value: str) -> list[str]:
    """``argv`` with ``option=value`` (the = form, so argparse reads "-inf" as a value, not an option)."""
    where = argv.index(option)
    return [*argv[:where], f"{option}={value}", *argv[where + 2:]]


@pytest.mark.parametrize("command, option, value", COMMAND_CASES,
                         ids=[f"{c}{o}-{i}" for i, (c, o, _) in enumerate(COMMAND_CASES)])
def test_the_quick_commands_exit_2_naming_the_option(capsys, command: str, option: str, value: str) -> None:
    argv, _ = NEW_COMMANDS[command]
    assert main(_with(argv, option, value)) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err[:300]
    assert captured.err.startswith(f"flopsheet: {option}"), captured.err[:300]
    assert "\x1b" not in captured.err and "inf " not in captured.err.split(";")[0]


#: Odd files a user can name: a FIFO, a folder, a device, a missing path, an empty file, binary junk, a huge file.
ODD_FILES = ["fifo", "folder", "device", "missing", "empty", "binary", "huge"]


def _odd_file(tmp_path: Path, kind: str, suffix: str) -> str:
    import os

    path = tmp_path / f"odd{suffix}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        return "/dev/zero"
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 64)
    elif kind == "huge":
        with path.open("wb") as handle:
            handle.truncate(30 * 2**20)
    return str(path)


@pytest.mark.parametrize("kind", ODD_FILES)
@pytest.mark.parametrize("face", ["--catalogue", "spec", "--from"])
def test_every_file_a_user_names_is_refused_when_odd(tmp_path: Path, capsys, face: str, kind: str) -> None:
    """Through the one guard (units/user_files.py); a FIFO returns at once (a hang would time the suite out)."""
    if face == "--catalogue":
        argv = ["--catalogue", _odd_file(tmp_path, kind, ".toml"), "cards"]
    elif face == "spec":
        argv = ["show", _odd_file(tmp_path, kind, ".toml")]
    else:
        argv = ["show", "table5_kimi_training", "--from", _odd_file(tmp_path, kind, ".xlsx")]
    spec_module._load_cached.cache_clear()
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("flopsheet: ") and captured.err.count("\n") == 1, captured.err[:300]


@pytest.mark.parametrize("target", ["missing/x.json", "/dev/null", "folder", "x.txt", "x\x1b[31m\n.json"])
def test_odd_output_paths_are_refused_or_written_whole(tmp_path: Path, capsys, target: str) -> None:
    (tmp_path / "folder").mkdir()
    path = target if target.startswith("/") else str(tmp_path / target)
    code = main(["simulate", "table5_kimi_training", "--range", "duration=90..120 days", "-n", "1000", "-o", path])
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err
    if target.startswith("x\x1b"):
        assert code == 0 and Path(path).stat().st_size > 0
    else:
        assert code == 2 and captured.err.startswith("flopsheet: ") and captured.err.count("\n") == 1, captured.err


#: Ranges a user may type for ``simulate --range``: the classes above, and broken range texts.
RANGE_CLASSES = [value for value in COMMAND_CLASSES if value != "5..6"] + [
    "120..90 days", "90..", "..120", "90..120 tokens", "gaussian 90..120 days", "lognormal 0..5 days",
    "normal 105 days ± -10 days", "triangular 1, 2", "lognormal 150% CI 60..180 days", "1e308..1e309 days"]


@pytest.mark.parametrize("value", RANGE_CLASSES)
def test_simulate_refuses_a_bad_range_naming_the_input(capsys, value: str) -> None:
    assert main(["simulate", "table5_kimi_training", f"--range=duration={value}", "-n", "1000"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err[:300]
    assert captured.err.startswith("flopsheet: ") and "duration" in captured.err, captured.err[:300]


#: The training planner (issue 25): every bad value of its counts through Python and Excel.
PLANNER_SPECIFIC = {
    "cards": ["30 TB", "2.5"],
    "sequence": ["30 days", "2.5", "200000"],
    "tensor_parallel": ["16", "3", "2.5"],
    "pipeline_parallel": ["33", "2.5"],
    "global_batch": ["3 TB", "2.5"],
}
PLANNER_CASES = [(argument, value) for argument in PLANNER_SPECIFIC
                 for value in UNIVERSAL[:30] + PLANNER_SPECIFIC[argument]]
_PLAN = {"model": "Llama 3.1 8B", "cards": 64, "card": "H100 bf16", "sequence": 8192, "global_batch": 512}


def _plan_call(argument: str, value: Any) -> dict[str, Any]:
    return {**_PLAN, argument: value}


@pytest.mark.parametrize("argument, value", PLANNER_CASES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(PLANNER_CASES)])
def test_the_planner_refuses_naming_the_argument(argument: str, value: str) -> None:
    for function in (flopsheet.training_plans, flopsheet.predicted_utilization):
        with pytest.raises(flopsheet.FlopsheetError) as caught:
            function(**_plan_call(argument, value))
        assert isinstance(caught.value, ValueError)
        assert str(caught.value).startswith(f"{argument}:"), str(caught.value)[:200]


@pytest.mark.parametrize("argument, value", PLANNER_CASES[::4], ids=[f"{a}-{i}" for i, (a, _) in
                                                                     enumerate(PLANNER_CASES[::4])])
def test_the_planner_in_excel_shows_an_error_text(server: types.ModuleType, argument: str, value: str) -> None:
    call = _plan_call(argument, value)
    order = ("model", "cards", "card", "tokens_per_step", "sequence", "global_batch", "tensor_parallel",
             "pipeline_parallel")
    (row,) = office_call(server, "PREDICTED_UTILIZATION", *(call.get(name) for name in order))
    (cell,) = row
    assert isinstance(cell, str) and cell.split(" ")[0] in {"#VALUE!", "#NUM!", "#N/A"}, cell[:200]
    assert f" {argument}:" in cell, cell[:200]


PUBLISHED_CASES = [(argument, value) for argument in ("tflops_per_card", "tokens_per_second_per_card")
                   for value in UNIVERSAL[:30] + ["30 TB", "5 days"]]


@pytest.mark.parametrize("argument, value", PUBLISHED_CASES,
                         ids=[f"{a}-{i}" for i, (a, _) in enumerate(PUBLISHED_CASES)])
def test_published_utilization_refuses_naming_the_argument(argument: str, value: str) -> None:
    with pytest.raises(flopsheet.FlopsheetError) as caught:
        flopsheet.published_utilization(176e9, "A100 bf16", **{argument: value})
    assert isinstance(caught.value, ValueError) and str(caught.value).startswith(f"{argument}:"), str(caught.value)[:200]


# --- cluster economics (issue 26): every value of the matrix through the new functions ----------

#: Wrong-kind values for one argument of the cluster functions (per card vs per server, per
#: hour vs per year, power vs energy, bits vs bytes, a second currency).
CLUSTER_SPECIFIC = {
    "cards": ["30 TB", "5 days", "100 servers"],
    "server_price": ["37500 USD/card", "300000 USD", "300000 USD/server/year", "10 kW/server"],
    "rental_price": ["17520 USD/card/year/year", "2 USD/hour", "2 USD/card", "2 CNY/card_hour"],
    "power_per_card": ["1.4 kWh/card", "1.4 kW", "12 MWh/card/year/year"],
    "budget": ["1e9 USD/year", "1e9 card", "1e9 CNY"],
    "card_hours": ["2.788e6 hours", "2.788e6 cards", "5 TB"],
    "fleet_cost": ["87072 USD/day", "87072 CNY", "87072 token"],
    "tokens_per_second": ["1500 token/s", "1500 token/card", "1500 TB/s"],
    "link_speed": ["400 GB", "400 Gbit", "400 W"],
}
#: (function, Excel name, the call with ``value`` in the argument's place).
CLUSTER_CALLS: dict[str, tuple[str, Any]] = {
    "cards": ("CLUSTER_NETWORK", lambda v: (v, "H100")),
    "server_price": ("CLUSTER_CAPEX", lambda v: (1024, "H100", v)),
    "rental_price": ("CARD_HOUR_COST", lambda v: ("40000 USD/card", "1.4 kW/card", OMIT, OMIT, OMIT, OMIT, OMIT, OMIT,
                                                  v)),
    "power_per_card": ("CARD_HOUR_COST", lambda v: ("40000 USD/card", v)),
    "budget": ("CAPEX_CARDS", lambda v: (v, "H100")),
    "card_hours": ("TRAINING_COST", lambda v: (v, "2 USD/card_hour")),
    "fleet_cost": ("SERVING_MARGIN", lambda v: ("608e9 token", "168e9 token", "0.55 USD/Mtoken", "2.19 USD/Mtoken",
                                                v)),
    "tokens_per_second": ("TOKEN_COST", lambda v: (v, "2 USD/card_hour")),
    "link_speed": ("CLUSTER_NETWORK", lambda v: (1024, "H100", 64, v)),
}
#: An omitted optional argument (None in Python, an empty cell in Excel).
OMIT = object()
#: Optional arguments: an empty cell is "omitted" in Excel (the default applies), not bad input.
CLUSTER_OPTIONAL = {"server_price", "rental_price", "link_speed"}
CLUSTER_CASES = [(argument, value) for argument in CLUSTER_SPECIFIC
                 for value in UNIVERSAL + CLUSTER_SPECIFIC[argument]]


def _cluster_python(argument: str, value: Any) -> Any:
    name, arguments = CLUSTER_CALLS[argument]
    function = getattr(flopsheet, name.lower())
    given = [None if item is OMIT else item for item in arguments(value)]
    return function(*given)


@pytest.mark.parametrize("argument, value", CLUSTER_CASES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(CLUSTER_CASES)])
def test_cluster_python_refuses_naming_the_argument(argument: str, value: str) -> None:
    _assert_refused_naming(argument, lambda: _cluster_python(argument, value))


#: The Excel sample: an optional argument's empty cell is its default (checked below), not a case.
CLUSTER_EXCEL = [(argument, value) for argument, value in CLUSTER_CASES[::7]
                 if not (argument in CLUSTER_OPTIONAL and not value.strip())]


@pytest.mark.parametrize("argument, value", CLUSTER_EXCEL, ids=[f"{a}-{i}" for i, (a, _) in enumerate(CLUSTER_EXCEL)])
def test_cluster_excel_shows_an_error_text_naming_the_argument(server: types.ModuleType, argument: str,
                                                               value: str) -> None:
    name, arguments = CLUSTER_CALLS[argument]
    cells = office_call(server, name, *("" if item is OMIT else item for item in arguments(value)))
    cell = cells[0][0]
    assert isinstance(cell, str) and cell.split(" ")[0] in {"#VALUE!", "#NUM!", "#N/A"}, str(cells)[:200]
    assert f" {argument}:" in cell, cell[:200]
    assert "internal error" not in cell and "Traceback" not in cell
