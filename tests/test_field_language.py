"""Issue 12: the bare-number rule, the quick calculator, listings, overrides that relabel, paper cuts."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import flopsheet
import flopsheet.workbooks.model.evaluate
from flopsheet.cli import build_parser, main
from flopsheet.formulas.catalogues import cards as catalogue_module
from flopsheet.units import ureg
from flopsheet.cli.values import check_ranges, counts_only
from flopsheet.workbooks.model.spec import load_spec
from flopsheet.workbooks.xlsx.templates import COL
from catalogue_support import X1, clean_catalogue  # noqa: F401 (clean_catalogue is an autouse fixture)
from cli_support import run

T5, T6 = "table5_kimi_training", "table6_kimi_inference"
#: The documentation page whose "Your own model" spec block users copy (tested below).
USER_SPEC_PAGE = Path(__file__).parents[1] / "docs" / "guides" / "templates.md"
SECONDS_PER_DAY = 86400
#: The issue's training example: 70B parameters, 15T tokens, H100 bf16 (989.5 TFLOPS), 40% MFU, 60 days.
TRAIN = ["train", "--params", "70B", "--tokens", "15T", "--card", "H100 bf16", "--mfu", "40%"]
TRAIN_FLOP = 6 * 70e9 * 15e12
TRAIN_CARDS = TRAIN_FLOP / (989.5e12 * 0.40 * 60 * SECONDS_PER_DAY)
#: Seed 001, Table 6 through the quick calculator.
SERVE = ["serve", "--params", "2000亿", "--tokens-per-call", "2000", "--calls-per-day", "300万", "--card", "A10 fp16",
         "--mfu", "30%"]


def line_of(out: str, start: str) -> str:
    return next(line for line in out.splitlines() if line.strip().startswith(start))


# --- one bare-number rule -------------------------------------------------------------


def test_a_bare_duration_on_the_command_line_needs_its_unit(capsys) -> None:
    code, out, err = run(capsys, "show", T5, "--set", "duration=105")
    assert (code, out) == (2, "")
    assert err == 'flopsheet: duration needs a unit; this model keeps it in month: write "105 days" or "3.45 months"\n'
    code, _, err = run(capsys, "sweep", T5, "--vary", "duration=60..180:30")
    assert code == 2 and err == ('flopsheet: --vary duration needs a unit; this model keeps it in month: write '
                                 '"60 days..180 days:30 days" or "1.97 months..5.91 months:0.986 months"\n')


@pytest.mark.parametrize(("model", "assignment", "message"), [
    (T5, "peak=156", 'peak needs a unit; this model keeps it in TFLOPS/card: write "156 TFLOPS/card" or "A100 tf32"'),
    (T5, "data=30", 'data needs a unit; this model keeps it in TB: write "30 TB"'),
    (T6, "busy_hours=12", 'busy_hours needs a unit; this model keeps it in hour: write "12 hours"'),
])
def test_time_data_and_rate_inputs_refuse_bare_numbers(capsys, model: str, assignment: str, message: str) -> None:
    code, _, err = run(capsys, "report", model, "-o", "never.json", "--set", assignment)
    assert code == 2 and message in err and not Path("never.json").exists()


@pytest.mark.parametrize(("model", "assignment"), [
    (T5, "params=2000亿"), (T5, "flop_per_param_token=8"), (T5, "utilization=0.4"), (T5, "chars_per_word=5"),
    (T6, "tokens_per_call=2000"), (T6, "dau=20万"),
])
def test_counts_and_fractions_keep_bare_numbers(capsys, model: str, assignment: str) -> None:
    assert run(capsys, "show", model, "--set", assignment)[0] == 0


@pytest.mark.parametrize(("unit", "bare_allowed"), [
    ("parameter", True), ("token", True), ("万card", True), ("FLOP/parameter/token", True), ("token/call", True),
    ("byte/char", False), ("", True), ("month", False), ("TB", False), ("TFLOPS/card", False), ("USD/card/hour", False),
    ("W", False), ("call/day", False), ("CNY/Mtoken", False), ("card_hour", False),
])
def test_which_units_a_bare_number_may_stand_for(unit: str, bare_allowed: bool) -> None:
    assert counts_only(unit) is bare_allowed


def test_python_keeps_reading_bare_numbers_in_default_units() -> None:
    in_days = flopsheet.train_cards("5.9e24 FLOP", "A100 tf32", 0.302, 105)
    assert in_days.m == pytest.approx(flopsheet.train_cards("5.9e24 FLOP", "A100 tf32", 0.302, "105 days").m)
    months = flopsheet.evaluate(T5, duration=105).set_index("name").loc["duration", "quantity"]
    assert months == ureg.Quantity(105, "month")


def test_sweep_help_examples_carry_units() -> None:
    parser = build_parser()
    help_text = parser._subparsers._group_actions[0].choices["sweep"].format_help()  # noqa: SLF001
    examples = [shlex.split(line) for line in help_text.splitlines() if line.strip().startswith("flopsheet sweep")]
    assert len(examples) == 3
    for words in examples:
        ranges = dict(words[index + 1].split("=", 1) for index, word in enumerate(words) if word == "--vary")
        assert ranges
        check_ranges(load_spec(words[2]), ranges)  # raises for a bare START of a time input


# --- the quick calculator ----------------------------------------------------------------


def test_train_prints_flop_cards_and_card_hours(capsys) -> None:
    code, out, err = run(capsys, *TRAIN, "--days", "60")
    assert code == 0 and err == ""
    assert "6.3e+24" in line_of(out, "training compute")
    assert "3,070" in line_of(out, "cards") and round(TRAIN_CARDS) == 3070
    assert f"{TRAIN_CARDS * 60 * 24:,.0f}" in line_of(out, "card-hours")


def test_train_json_cost_and_energy_from_hand_arithmetic(capsys) -> None:
    code, out, _ = run(capsys, *TRAIN, "--days", "60", "--price", "2 USD/card_hour", "--pue", "1.3", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["command"] == "train" and document["warnings"] == []
    results = {row["name"]: row for row in document["results"]}
    card_hours = TRAIN_FLOP / (989.5e12 * 0.40) / 3600
    assert results["flops"]["value"] == pytest.approx(TRAIN_FLOP) and results["flops"]["unit"] == "FLOP"
    assert results["cards"]["value"] == pytest.approx(TRAIN_CARDS)
    assert results["card_hours"]["value"] == pytest.approx(card_hours)
    assert (results["cost"]["value"], results["cost"]["unit"]) == (pytest.approx(2 * card_hours), "USD")
    assert results["energy"]["value"] == pytest.approx(card_hours * 700 * 1.3 / 1e6)  # W h -> MWh
    assert results["energy"]["unit"] == "MWh"
    inputs = {row["name"]: row["value"] for row in document["inputs"]}
    assert inputs == pytest.approx({"params": 70e9, "tokens": 15e12, "peak": 989.5, "mfu": 0.4, "duration": 60})


def test_train_goes_through_the_formula_functions(capsys) -> None:
    document = json.loads(run(capsys, *TRAIN, "--cards", "3070", "--price", "14 元/卡时", "--format", "json")[1])
    results = {row["name"]: row["value"] for row in document["results"]}
    flops = flopsheet.train_flops("70B", "15T")
    assert results["duration"] == pytest.approx(flopsheet.train_duration(flops, 3070, "H100 bf16", "40%").to("day").m)
    assert results["card_hours"] == pytest.approx(flopsheet.train_card_hours(flops, "H100 bf16", "40%").m)
    assert results["cost"] == pytest.approx(14 * results["card_hours"])
    assert "energy" not in results  # no --pue, no --tdp


def test_serve_gives_table_6s_cards(capsys) -> None:
    code, out, _ = run(capsys, *SERVE, "--busy-hours", "12")
    assert code == 0 and "1,481" in line_of(out, "cards (compute bound)")
    document = json.loads(run(capsys, *SERVE, "--busy-hours", "12", "--format", "json")[1])
    results = {row["name"]: row["value"] for row in document["results"]}
    assert results == pytest.approx({"flops_per_call": 8e14, "flops_per_day": 2.4e21,
                                     "cards": 8e14 * 3e6 / (125e12 * 0.3 * 12 * 3600)})
    assert results["cards"] == pytest.approx(flopsheet.infer_cards("8e14 FLOP", "300万", "A10 fp16", "30%", 12).m)
    default_day = json.loads(run(capsys, *SERVE, "--format", "json")[1])
    assert default_day["results"][-1]["value"] == pytest.approx(results["cards"] / 2)  # 24 busy hours


def test_quick_commands_warn_about_inconsistent_precisions(capsys) -> None:
    code, out, _ = run(capsys, "train", "--params", "700亿", "--tokens", "15万亿", "--card", "H100 bf16", "--mfu",
                       "40% @ H100 fp8", "--days", "60")
    assert code == 0 and "warning: utilization 40% was measured against H100 fp8" in out


@pytest.mark.parametrize(("extra", "message"), [
    (["--days", "60", "--price", "2"], 'flopsheet: --price needs a unit; it is a quantity in units like USD/card/hour: '
                                      'write "2 USD/card/hour"'),
    (["--days", "60", "--price", "2 USD"], "--price: expected a price per card-hour"),
    (["--days", "60", "--tdp", "700"], '--tdp needs a unit'),
    (["--days", "60 TB"], '--days: expected a duration (e.g. "90 days"), got "60 TB"'),
    (["--days", "0"], "--days: must be greater than 0"),
    (["--days", "60", "--pue", "0.8"], "--pue: must be at least 1"),
    (["--days", "60", "--mfu", "140%"], "--mfu: must be in (0, 100%]"),
])
def test_quick_command_errors_name_the_option(capsys, extra: list[str], message: str) -> None:
    code, out, err = run(capsys, *TRAIN, *extra)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


def test_the_quick_commands_want_exactly_one_of_days_and_cards(capsys) -> None:
    for extra in ([], ["--days", "60", "--cards", "10"]):
        with pytest.raises(SystemExit) as caught:
            main([*TRAIN, *extra])
        assert caught.value.code == 2
        assert "--days" in capsys.readouterr().err


def test_a_bare_card_rate_needs_its_unit(capsys) -> None:
    code, _, err = run(capsys, "train", "--params", "700亿", "--tokens", "15万亿", "--card", "989", "--mfu", "40%",
                       "--days", "60")
    assert code == 2 and 'write "989 TFLOPS/card" or a catalogue card like "H100 bf16"' in err
    code, out, _ = run(capsys, "train", "--params", "700亿", "--tokens", "15万亿", "--card", "989.5 TFLOPS", "--mfu",
                       "40%", "--days", "60", "--tdp", "700 W", "--pue", "1.3")
    assert code == 0 and "3,070" in line_of(out, "cards") and "TDP 700 W" in out


# --- listings ----------------------------------------------------------------------------


def test_cards_lists_the_whole_catalogue(capsys) -> None:
    code, out, _ = run(capsys, "cards")
    assert code == 0
    names = [line.split("  ")[0].strip() for line in out.splitlines()[2:2 + len(flopsheet.card_names())]]
    assert names == flopsheet.card_names()
    without = [name for name, record in flopsheet.catalogue().items() if "bf16" not in record.dense]
    assert f"no bf16 figure: {', '.join(without)}" in out
    assert "989.50" in line_of(out, "H100 ") and "1,979" in line_of(out, "H100 ")  # dense and sparse apart


def test_cards_json_at_one_precision(capsys) -> None:
    code, out, _ = run(capsys, "cards", "--precision", "FP8", "--format", "json")
    records = json.loads(out)
    assert code == 0
    assert [record["name"] for record in records] == [
        name for name, record in flopsheet.catalogue().items() if "fp8" in record.dense]
    h100 = next(record for record in records if record["name"] == "H100")
    assert (h100["dense"], h100["sparse"]) == ({"fp8": 1979.0}, {"fp8": 3958.0})
    assert (h100["memory_GB"], h100["bandwidth_GB_per_s"], h100["tdp_W"]) == (80.0, 3350.0, 700.0)
    everything = json.loads(run(capsys, "cards", "--format", "json")[1])
    tpu = next(record for record in everything if record["name"] == "TPU v4")
    assert tpu["tdp_W"] is None and tpu["memory_GB"] == pytest.approx(32 * 2**30 / 1e9)
    assert run(capsys, "cards", "--precision", "fp7")[0] == 2


def test_units_lists_what_may_be_typed(capsys) -> None:
    code, out, _ = run(capsys, "units")
    assert code == 0
    for text in ("month (月 个月)", "card (accelerator 张 卡)", "hanzi (汉字)", "万 (1e4)", "亿 (1e8)", "千亿 1e11",
                 "billion, bn, trillion", "70B parameters",
                 "KB -> kB (decimal) or KiB (binary)", "kb -> kB (decimal) or KiB (binary)"):
        assert text in out
    listing = json.loads(run(capsys, "units", "--format", "json")[1])
    listed = {unit["unit"] for group in listing["dimensions"] for unit in group["units"]}
    definitions = ureg._units.keys()  # noqa: SLF001 - every unit the registry was given
    assert listed and listed <= set(definitions)
    assert {"token", "card", "FLOP", "FLOPS", "byte", "day", "USD", "CNY", "watt"} <= listed
    assert {"KB", "kb"} <= {item["text"] for item in listing["refused"]}
    for word, factor in listing["magnitudes"]["chinese"].items():  # what the listing promises, Q reads
        assert flopsheet.Q(f"3{word}").m == 3 * factor
    for letter, factor in listing["magnitudes"]["english_letters_for_counts"].items():
        assert flopsheet.Q(f"3{letter}", "token").to("token").m == 3 * factor
    for refused in listing["refused"]:
        with pytest.raises(flopsheet.UnitInputError):
            flopsheet.Q(f"30 {refused['text']}")


# --- the user's catalogue on the command line ------------------------------------------


def test_catalogue_option_before_or_after_the_command(tmp_path: Path, capsys) -> None:
    path = tmp_path / "x1.toml"
    path.write_text(X1, encoding="utf-8")
    card = ["--card", "X1 bf16", "--mfu", "40%", "--days", "60", "--format", "json"]
    expected = TRAIN_FLOP / (2000e12 * 0.4 * 60 * SECONDS_PER_DAY)
    for argv in (["--catalogue", str(path), *TRAIN[:5], *card], [*TRAIN[:5], *card, "--catalogue", str(path)]):
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        assert json.loads(out)["results"][1]["value"] == pytest.approx(expected)
    assert "X1" not in flopsheet.card_names()  # the option lasts one command
    code, out, _ = run(capsys, "--catalogue", str(path), "show", T5, "--set", "peak=X1 bf16")
    assert code == 0 and "Peak per card (X1 bf16, dense)" in line_of(out, "* peak")
    code, out, _ = run(capsys, "--catalogue", str(path), "cards")
    assert "X1" in out and "2,000" in line_of(out, "X1")


def test_catalogue_from_the_environment(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "x1.toml"
    path.write_text(X1, encoding="utf-8")
    monkeypatch.setenv(catalogue_module.CATALOGUE_ENV, str(path))
    code, out, _ = run(capsys, *TRAIN[:5], "--card", "X1 bf16", "--mfu", "40%", "--days", "60")
    assert code == 0 and "X1 bf16 (2000 TFLOPS/card)" in out
    assert "X1" in json.dumps(json.loads(run(capsys, "cards", "--format", "json")[1]))


def test_a_bad_catalogue_file_exits_2_naming_it(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(X1.replace('source = "a hypothetical card for the tests"\n', ""), encoding="utf-8")
    code, out, err = run(capsys, "--catalogue", str(path), "cards")
    assert (code, out) == (2, "")
    assert err.startswith(f'flopsheet: catalogue: "{path}" is not a usable accelerator catalogue')
    assert "accelerator 'X1': missing 'source'" in err


# --- labels and comparisons follow overrides ---------------------------------------------


def test_show_names_the_peak_used_and_does_not_compare_changed_results(capsys) -> None:
    code, out, _ = run(capsys, "show", T5, "--set", "peak=H800 bf16")
    assert code == 0
    assert "Peak per card (H800 bf16, dense)" in line_of(out, "* peak")
    assert line_of(out, "cards").count("n/a: inputs changed") == 2
    assert "n/a" not in line_of(out, "tokens")  # tokens do not read the peak: still compared
    zh = run(capsys, "show", T5, "--lang", "zh", "--set", "peak=H100 bf16 sparse")[1]
    assert "H100 bf16 sparse 精度下算力" in line_of(zh, "* peak")
    unchanged = run(capsys, "show", T5, "--set", "duration=3 months")[1]
    assert "n/a: inputs" not in unchanged and "13,793" in line_of(unchanged, "cards")  # the spec's own value


def test_reports_say_n_a_for_changed_results(tmp_path: Path, capsys) -> None:
    overrides = ["--set", "peak=H800 bf16", "--set", "params=700亿"]
    for suffix in ("json", "csv", "md", "xlsx"):
        assert run(capsys, "report", T5, "-o", str(tmp_path / f"t5.{suffix}"), *overrides)[0] == 0
    rows = {row["name"]: row for row in json.loads((tmp_path / "t5.json").read_text(encoding="utf-8"))["rows"]}
    assert (rows["cards"]["printed"], rows["cards"]["difference"], rows["cards"]["printed_note"]) == (
        None, None, "n/a: inputs changed")
    assert rows["tokens"]["printed"] == 4_912_544_292_810 and rows["tokens"]["printed_note"] is None
    table = {row["name"]: row for row in csv.DictReader(io.StringIO((tmp_path / "t5.csv").read_text(encoding="utf-8")))}
    assert (table["flops"]["printed"], table["flops"]["difference"]) == ("n/a: inputs changed",) * 2
    assert table["peak"]["label_en"] == "Peak per card (H800 bf16, dense)"
    markdown = (tmp_path / "t5.md").read_text(encoding="utf-8")
    assert line_of(markdown, "| cards").count("n/a: inputs changed") == 2
    workbook = openpyxl.load_workbook(tmp_path / "t5.xlsx")
    summary = {row[0]: row for row in workbook["Summary"].iter_rows(values_only=True) if row[0]}
    # Issue 22: in a workbook, empty cells where numbers belong (text there broke sums and formats)
    assert summary["cards"][4:7] == (None, None, None)
    assert summary["peak"][1] == "Peak per card (H800 bf16, dense) / H800 bf16 精度下算力"
    sheet = workbook["Model"]
    labels = {sheet[f"{COL['en']}{row}"].value: row for row in range(1, sheet.max_row + 1)}
    cards_row = labels["Cards to train in the duration"]
    assert [sheet[f"{COL[column]}{cards_row}"].value for column in ("printed", "difference", "ratio")] == [None] * 3
    assert sheet[f"{COL['note']}{cards_row}"].value.startswith("Printed figure not compared (n/a: inputs changed)")
    assert "Peak per card (H800 bf16, dense)" in labels
    tokens_row = labels["Tokens"]  # reads no changed input: still compared, live
    assert str(sheet[f"{COL['difference']}{tokens_row}"].value).startswith("=")


# --- paper cuts --------------------------------------------------------------------------


def test_audit_writes_json_by_the_suffix(tmp_path: Path, capsys) -> None:
    target = tmp_path / "audit.json"
    assert run(capsys, "audit", T5, "-o", str(target))[0] == 0
    findings = json.loads(target.read_text(encoding="utf-8"))
    assert findings and all(finding["model"] == T5 for finding in findings)
    text = tmp_path / "audit.txt"
    assert run(capsys, "audit", T5, "-o", str(text))[0] == 0
    assert text.read_text(encoding="utf-8").startswith("model")
    forced = tmp_path / "forced.json"
    assert run(capsys, "audit", T5, "-o", str(forced), "--format", "table")[0] == 0
    assert not forced.read_text(encoding="utf-8").startswith("[")


def readme_spec() -> str:
    text = USER_SPEC_PAGE.read_text(encoding="utf-8")
    block = text.split("<!-- user-spec:start -->", 1)[1].split("<!-- user-spec:end -->", 1)[0]
    return block.split("```toml\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_spec_loads_and_shows(tmp_path: Path, capsys) -> None:
    path = tmp_path / "my_model.toml"
    path.write_text(readme_spec(), encoding="utf-8")
    code, out, _ = run(capsys, "show", str(path))
    assert code == 0 and "3,070" in line_of(out, "cards") and "6.3e+24" in line_of(out, "flops")
    frame = flopsheet.evaluate(str(path)).set_index("name")
    assert frame.loc["flops", "value"] == pytest.approx(TRAIN_FLOP)  # flop_per_param_token defaulted to 6
    assert run(capsys, "show", str(path), "--set", "duration=60")[0] == 2  # the bare-number rule applies
    assert run(capsys, "report", str(path), "-o", str(tmp_path / "mine.xlsx"), "--set", "peak=H800 bf16")[0] == 0


def test_trailing_optional_arguments_take_their_python_defaults_in_specs(tmp_path: Path) -> None:
    spec = readme_spec().replace('name = "my_model"', 'name = "serving"') + '''
[[row]]
name = "per_call"
label_en = "FLOP per call"
label_zh = "每次调用算力"
expr = "infer_flops(params, \\"2000 token\\")"
unit = "FLOP"

[[row]]
name = "serving_cards"
label_en = "Cards for 300万 calls a day"
label_zh = "推理卡数"
expr = "infer_cards(per_call, \\"300万 call/day\\", peak, utilization)"
unit = "card"
'''
    path = tmp_path / "serving.toml"
    path.write_text(spec, encoding="utf-8")
    frame = flopsheet.evaluate(str(path)).set_index("name")
    assert frame.loc["per_call", "value"] == pytest.approx(2 * 70e9 * 2000)  # 2 FLOP per parameter per token
    assert frame.loc["serving_cards", "value"] == pytest.approx(
        flopsheet.infer_cards(2 * 70e9 * 2000, "300万", "H100 bf16", "40%", 24).m)  # 24 busy hours


def test_pandas_series_and_columns_are_accepted_like_arrays() -> None:
    import pandas as pd
    params = pd.Series([7e10, 4.05e11], index=["70B", "405B"])
    flops = flopsheet.train_flops(params, "15万亿")
    assert isinstance(flops.magnitude, np.ndarray)
    assert flops.to("FLOP").magnitude == pytest.approx([6 * 7e10 * 15e12, 6 * 4.05e11 * 15e12])
    frame = pd.DataFrame({"mfu": [0.3, 0.4], "days": [60, 90]})
    cards = flopsheet.train_cards(flops, "H100 bf16", frame["mfu"], frame["days"])
    assert cards.to("card").magnitude == pytest.approx(
        flopsheet.train_cards(flops, "H100 bf16", np.array([0.3, 0.4]), np.array([60, 90])).to("card").magnitude)
    with_index = pd.Series(cards.to("card").magnitude, index=params.index)  # the units guide's way back to the index
    assert with_index["70B"] == pytest.approx(cards.to("card").magnitude[0])
    values, _ = flopsheet.workbooks.model.evaluate.evaluate_arrays(T5, {"params": params, "duration": "105 days"})
    assert values["cards"].to("card").magnitude == pytest.approx(
        flopsheet.workbooks.model.evaluate.evaluate_arrays(T5, {"params": params.to_numpy(), "duration": "105 days"})[0]
        ["cards"].to("card").magnitude)
    texts = pd.DataFrame({"data": ["30 TB", "35 TiB"]})["data"]  # a column of cell text
    assert flopsheet.data_tokens(texts).to("token").magnitude == pytest.approx(
        [flopsheet.data_tokens("30 TB").m, flopsheet.data_tokens("35 TiB").m])


@pytest.mark.parametrize("bad", [np.array([1e11, -5.0, 3e11]), np.array([1e11, np.nan] + [2e11] * 500)])
def test_range_errors_give_shape_and_first_bad_element_not_the_range(bad: np.ndarray) -> None:
    import pandas as pd

    for given in (bad, pd.Series(bad)):
        with pytest.raises(flopsheet.InputError) as caught:
            flopsheet.train_flops(given, "15万亿")
        message = str(caught.value)
        assert message.startswith("params: ") and len(message) < 200
        assert (f"nan at position 1 of a range of shape {bad.shape}" in message if np.isnan(bad).any()
                else 'must be greater than 0, got "-5 parameter"' in message)


@pytest.mark.parametrize("text", ["30 TB**", "1 TFLOPS/", "5 (TB", "3 card**card", "2 TB TB", "7 +", "1e5 ** 2 TB"])
def test_messages_never_leak_pint_internals(text: str, capsys) -> None:
    for reader in (lambda: flopsheet.Q(text), lambda: flopsheet.data_tokens(text),
                   lambda: flopsheet.train_cards(1e24, text, "30%", "90 days")):
        with pytest.raises(flopsheet.InputError) as caught:
            reader()
        assert "ParserHelper" not in str(caught.value) and "pint" not in str(caught.value).lower()
    code, _, err = run(capsys, "show", T5, "--set", f"data={text}")
    assert code == 2 and "ParserHelper" not in err


def precision_list(card: str) -> str:
    return ", ".join(f"{card} {precision}" for precision in flopsheet.catalogue()[card].dense)


def test_a_card_without_precision_lists_its_precisions_on_every_face(capsys) -> None:
    expected = f'unknown precision for "H100"; known: {precision_list("H100")}'
    with pytest.raises(flopsheet.UnknownNameError, match=re.escape(expected)):
        flopsheet.train_cards(1e24, "H100", "30%", "90 days")
    code, _, err = run(capsys, "show", T5, "--set", "peak=H100")
    assert code == 2 and f"peak: {expected}" in err
    code, _, err = run(capsys, *TRAIN[:5], "--card", "H100", "--mfu", "40%", "--days", "60")
    assert code == 2 and f"--card: {expected}" in err
    from flopsheet.addin.catalogue import by_name
    from flopsheet.addin.wrappers import evaluate as excel_cell  # what the Excel cell gets

    assert excel_cell(by_name()["TRAIN_CARDS"], [5.9e24, "H100", "30%", 90.0]) == f"#N/A peak: {expected}"


def test_an_unknown_card_lists_the_known_cards_on_every_face(capsys) -> None:
    expected = f'unknown accelerator "A1000"; known: {", ".join(flopsheet.card_names())}'
    with pytest.raises(flopsheet.UnknownNameError, match=re.escape(expected)):
        flopsheet.train_cards(1e24, "A1000 bf16", "30%", "90 days")
    code, _, err = run(capsys, "show", T5, "--set", "peak=A1000 bf16")
    assert code == 2 and expected in err
    code, _, err = run(capsys, *TRAIN[:5], "--card", "A1000 bf16", "--mfu", "40%", "--days", "60")
    assert code == 2 and expected in err


def test_simulate_follows_the_bare_number_rule(capsys) -> None:
    code, _, err = run(capsys, "simulate", T5, "-n", "100", "--range", "duration=lognormal 90% CI 60..180")
    assert code == 2 and err == ('flopsheet: --range duration needs a unit; this model keeps it in month: write it '
                                 'after the ends, e.g. "lognormal 90% CI 60..180 days"\n')
    code, _, err = run(capsys, "simulate", T5, "-n", "100", "--set", "duration=105")
    assert code == 2 and "duration needs a unit" in err
    assert run(capsys, "simulate", T5, "-n", "100", "--range", "utilization=30..46%", "--range", "params=1000亿..3000亿",
               "--set", "duration=105 days")[0] == 0


def test_the_security_limits_table_states_the_catalogue_constants() -> None:
    table = (Path(__file__).parents[1] / "SECURITY.md").read_text(encoding="utf-8")
    assert f"| {catalogue_module.MAX_CATALOGUE_BYTES:,} bytes (256 KiB) | `formulas/catalogues/cards.py` `MAX_CATALOGUE_BYTES` |" in table
    assert f"| {catalogue_module.MAX_RECORDS} | `MAX_RECORDS`" in table
    assert (f"| {catalogue_module.MAX_NAME_LENGTH} characters; {catalogue_module.MAX_ALIASES} | `MAX_NAME_LENGTH`; "
            "`MAX_ALIASES` |") in table
    assert f"| {catalogue_module.MAX_TEXT_LENGTH:,} characters, one line | `MAX_TEXT_LENGTH` |" in table
