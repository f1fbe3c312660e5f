"""Issue 23: `flopsheet train` and `serve` under hostile numbers: no inf, no silent 0, errors name the option."""

from __future__ import annotations

import json

import pytest

from flopsheet.units import OutputError
from flopsheet.workbooks.outputs.safe_io import strict_json

from cli_support import run

TRAIN = ["train", "--params", "7e9", "--tokens", "1e12", "--card", "H100 bf16", "--mfu", "40%"]
SERVE = ["serve", "--params", "7e9", "--tokens-per-call", "2000", "--calls-per-day", "1e6", "--card", "H100 bf16",
         "--mfu", "30%"]


@pytest.mark.parametrize(("argv", "option", "became"), [
    (TRAIN + ["--days", "30", "--price", "1e305 USD/card_hour"], "--price", "overflows to infinity"),
    (TRAIN + ["--days", "30", "--price", "1e305 USD/card_hour", "--format", "json"], "--price", "overflows"),
    (TRAIN + ["--days", "30", "--pue", "1e306"], "--pue", "overflows to infinity"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--card", "1000 TFLOPS", "--mfu", "40%", "--days", "30",
      "--tdp", "1e305 W"], "--tdp", "overflows to infinity"),
    (TRAIN + ["--days", "1e300"], "--days", "underflows to 0"),
    (TRAIN + ["--cards", "1e308"], "--cards", "underflows to 0"),
    (TRAIN + ["--days", "1", "--params", "1e300", "--tokens", "1e300"], "--params", "overflows to infinity"),
    (["serve", "--params", "7e9", "--tokens-per-call", "2000", "--calls-per-day", "1e6", "--card", "1e294 TFLOPS",
      "--mfu", "30%"], "--card", "underflows to 0"),
], ids=["price", "price-json", "pue", "tdp", "days", "cards", "params", "serve-card"])
def test_overflow_and_underflow_are_errors_naming_the_option(capsys, argv: list[str], option: str, became: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "", out
    assert err.startswith(f"flopsheet: {option}: must be a value that keeps the result") and became in err, err
    assert "inf" not in out and "Infinity" not in out


def test_json_is_strict() -> None:
    assert json.loads(strict_json({"a": 1.5})) == {"a": 1.5}
    for bad in (float("inf"), float("nan"), -float("inf")):
        with pytest.raises(OutputError, match="infinite or NaN"):
            strict_json({"value": bad})


def test_the_context_limit_error_names_the_option(capsys) -> None:
    code, _, err = run(capsys, "serve", "--params", "Llama-2-70B", "--tokens-per-call", "2000000", "--calls-per-day",
                       "1e6", "--card", "H100 bf16", "--mfu", "30%")
    assert code == 2 and err.startswith("flopsheet: --tokens-per-call: must be at most 4096 tokens"), err
    assert "prompt_tokens" not in err


def test_tokens_per_call_reads_tokens_per_call_as_the_api_does(capsys) -> None:
    with_unit = run(capsys, *SERVE[:4], "2000 tokens/call", *SERVE[5:], "--format", "json")
    bare = run(capsys, *SERVE, "--format", "json")
    assert with_unit[0] == 0 and json.loads(with_unit[1]) == json.loads(bare[1])
    code, _, err = run(capsys, *SERVE[:4], "2000 W", *SERVE[5:])
    assert code == 2 and "--tokens-per-call: expected a token count" in err


def test_train_refuses_an_integer_peak(capsys) -> None:
    code, _, err = run(capsys, "train", "--params", "7e9", "--tokens", "1e12", "--card", "H100 int8", "--mfu", "40%",
                       "--days", "30")
    assert code == 2 and err.startswith('flopsheet: --card: expected a floating-point peak for training'), err


def test_simulate_serving_writes_the_xlsx_it_prints(tmp_path, capsys, caplog) -> None:
    """The -o run must not fail on a combination of ends the printed run never evaluates."""
    import openpyxl

    argv = ["simulate", "serving", "--range", "params=1e11..3e11", "-n", "2000"]
    printed = run(capsys, *argv)
    assert printed[0] == 0, printed[2]
    target = tmp_path / "x.xlsx"
    code, out, err = run(capsys, *argv, "-o", str(target))
    assert code == 0 and out.strip() == str(target), err
    assert "no low/high columns" in caplog.text and "latency" in caplog.text  # on stderr outside pytest
    workbook = openpyxl.load_workbook(target)
    warnings_text = " ".join(str(cell.value) for row in workbook["Simulation"].iter_rows() for cell in row if cell.value)
    assert "no low/high columns" in warnings_text


def test_simulate_from_a_low_cell_holding_text_is_an_error(tmp_path, capsys) -> None:
    import openpyxl
    from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR

    for low, high, shown in (("abc", 120, '"abc"'), (90, None, "an empty cell"), (True, 120, "True")):
        workbook = openpyxl.load_workbook(TEMPLATE_DIR / "table5_kimi_training.xlsx")
        for name, value in (("duration_low", low), ("duration_high", high)):
            ((sheet, reference),) = workbook.defined_names[name].destinations
            workbook[sheet][reference.replace("$", "")].value = value
        edited = tmp_path / "edited.xlsx"
        workbook.save(edited)
        code, _, err = run(capsys, "simulate", "table5_kimi_training", "--from", str(edited), "-n", "1000")
        assert code == 2, err
        assert "--from edited.xlsx: expected a number in duration_" in err and shown in err, err


def test_a_range_in_bytes_reads_b_as_the_byte(capsys) -> None:
    code, out, err = run(capsys, "simulate", "serving", "--range", "precision=1..2 B", "-n", "1000")
    assert code == 0, err
    assert "precision = 1..2 B (uniform, 1 to 2 B)" in out
    code, _, err = run(capsys, "simulate", "serving", "--range", "precision=1..2", "-n", "1000")
    assert code == 2 and "--range precision needs a unit" in err


def test_an_unknown_distribution_lists_the_kinds(capsys) -> None:
    code, _, err = run(capsys, "simulate", "table5_kimi_training", "--range", "duration=gaussian 90..120 days")
    assert code == 2, err
    assert "uniform, normal, lognormal, triangular" in err and "unknown distribution 'gaussian'" in err


def test_an_unknown_model_name_lists_the_shapes(capsys) -> None:
    code, _, err = run(capsys, *SERVE[:2], "Llama-9-70B", *SERVE[3:])
    assert code == 2 and err.startswith('flopsheet: --params: unknown model shape') and "Llama 2 70B" in err, err
    import flopsheet
    for call in (lambda: flopsheet.train_memory("Llama-9-70B"), lambda: flopsheet.decode_time("Llama-9-70B", "H100 bf16")):
        with pytest.raises(flopsheet.UnknownNameError, match='^model: unknown model shape .*"Llama-9-70B"; known: .*Llama 2 7B'):
            call()


@pytest.mark.parametrize("value", [1e308, 10**400, "1e308", 2**53 + 1])
def test_a_shape_with_huge_fields_is_an_error_not_an_overflow(value) -> None:
    import flopsheet
    with pytest.raises(flopsheet.InputRangeError, match="^layers: must be a whole number of at most 9,007,199,254,740,992"):
        flopsheet.model_shape("Llama-2-7B", layers=value)


def test_a_unitless_count_is_not_printed_as_a_percentage(capsys) -> None:
    code, out, err = run(capsys, "simulate", "serving", "--range", "params=1e11..3e11", "-n", "1000")
    assert code == 0, err
    concurrent = next(line for line in out.splitlines() if line.strip().startswith("concurrent"))
    assert "%" not in concurrent and "3,472" in concurrent
    code, out, _ = run(capsys, "simulate", "table5_kimi_training", "--range", "utilization=30%..46%", "-n", "1000")
    assert code == 0 and "utilization = 30%..46% (uniform, 30% to 46%)" in out  # a fraction stays a percentage


def test_control_bytes_in_an_output_path_are_escaped_on_the_terminal(tmp_path, capsys) -> None:
    target = tmp_path / "x\x1b[31m\n.json"
    code, out, err = run(capsys, "simulate", "table5_kimi_training", "--range", "duration=90..120 days", "-n", "1000",
                         "-o", str(target))
    assert code == 0, err
    assert target.exists()
    assert "\x1b" not in out and out.count("\n") == 1 and out.strip().endswith("x\\x1b[31m\\x0a.json")


def test_kv_bytes_per_token_over_a_shape_says_it_replaces_the_shapes(capsys) -> None:
    code, out, err = run(capsys, "serve", "--params", "Llama-2-70B", "--tokens-per-call", "2000", "--calls-per-day",
                         "1e6", "--card", "H100 bf16", "--mfu", "30%", "--kv-bytes-per-token", "1 MB/token")
    assert code == 0, err
    assert "warning: kv_bytes_per_token 1000000 B/token replaces the KV cache of Llama 2 70B's own shape" in out
    code, out, _ = run(capsys, "serve", "--params", "7e10", "--tokens-per-call", "2000", "--calls-per-day",
                       "1e6", "--card", "H100 bf16", "--mfu", "30%", "--kv-bytes-per-token", "1 MB/token")
    assert code == 0 and "replaces" not in out  # a bare count has no KV size of its own
