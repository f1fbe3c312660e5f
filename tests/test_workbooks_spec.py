"""Model specs, the safe expression grammar and the headless evaluator (no spreadsheet)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import numpy as np
import pytest

import flopsheet
from flopsheet.workbooks.model import unit_choices
from flopsheet.workbooks.model.evaluate import COLUMNS, evaluate
from flopsheet.workbooks.model.expressions import ExpressionError, excel_formula, parse_expression
from flopsheet.workbooks.model.spec import Citation, SpecError, load_spec, spec_names

TABLE5 = "table5_kimi_training"
TABLE6 = "table6_kimi_inference"


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("name")


# --- specs ------------------------------------------------------------------------


def test_the_five_table_specs_load_in_table_order() -> None:
    tables = [name for name in spec_names() if name.startswith("table")]
    assert spec_names()[:5] == tables == [TABLE5, TABLE6, "table4_mfu", "table3_api_prices", "table2_context_windows"]
    for name in tables:
        spec = load_spec(name)
        assert spec.name == name and spec.title_en and spec.title_zh and spec.audit
        assert spec.citation.seed == "001_7b29be997465feb3.txt" and spec.citation.page.startswith("p. ")
        assert isinstance(spec.citation, str) and spec.citation.table in spec.citation
        assert spec.path == (Path(flopsheet.workbooks.model.spec.SPEC_DIR) / f"{name}.toml").resolve()


def test_table5_and_table6_use_the_names_of_the_issue() -> None:
    table5, table6 = load_spec(TABLE5), load_spec(TABLE6)
    assert [item.name for item in table5.inputs] == ["params", "data", "bytes_per_char", "chars_per_word",
                                                     "words_per_token", "flop_per_param_token", "peak",
                                                     "utilization", "duration"]
    assert [row.name for row in table5.rows] == ["chars", "words", "tokens", "flops", "cards"]
    assert [item.name for item in table6.inputs] == ["params", "tokens_per_call", "dau", "calls_per_user_day",
                                                     "flop_per_param_token", "peak", "utilization", "busy_hours"]
    assert [row.name for row in table6.rows] == ["flops_per_call", "calls_per_day", "daily_flops", "cards"]


def test_input_quantity_and_dimensionality() -> None:
    data = load_spec(TABLE5).input("data")
    assert data.quantity == flopsheet.Q("30 TB")
    assert data.dimensionality == flopsheet.Q("1 TiB").dimensionality
    assert "TiB" in data.choices and "kB" in data.choices and "KB" not in data.choices


def test_table4_mfu_rows_agree_with_the_mfu_catalogue() -> None:
    spec = load_spec("table4_mfu")
    runs = {"gpt3": "GPT-3", "gopher": "Gopher", "mtnlg": "Megatron-Turing NLG", "palm": "PaLM"}
    for prefix, model in runs.items():
        run = flopsheet.mfu(model)
        item = spec.input(f"{prefix}_mfu")
        reading = item.read()
        assert reading.quantity.m == pytest.approx(run.value)
        assert (reading.rich.card, reading.rich.precision) == (run.card, run.precision)
        peak = spec.input(f"{prefix}_peak").read().rich
        assert (peak.card, peak.precision) == (run.card, run.precision)


def test_citation_survives_pickling_and_reads_as_text() -> None:
    import pickle

    citation = Citation("001.txt", "表5", "p. 11", "page text")
    again = pickle.loads(pickle.dumps(citation))
    assert again == "seed 001.txt, 表5, p. 11" and again.text == "page text"


# --- build errors name file, row and expression -------------------------------------

_GOOD_INPUT = '''
[[input]]
name = "data"
label_en = "Data"
label_zh = "数据"
value = 30
unit = "TB"

[[input]]
name = "tokens_in"
label_en = "Tokens"
label_zh = "Tokens"
value = 10
unit = "token"
'''


def _spec_file(tmp_path: Path, rows: str, inputs: str = _GOOD_INPUT, name: str = "broken") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'''name = "{name}"
title_en = "T"
title_zh = "T"
[citation]
seed = "s.txt"
table = "t"
page = "p. 1"
{inputs}
{rows}''', encoding="utf-8")
    return path


def _row(name: str, expr: str, unit: str) -> str:
    return f'''
[[row]]
name = "{name}"
label_en = "x"
label_zh = "x"
expr = '{expr}'
unit = "{unit}"
'''


@pytest.mark.parametrize(("rows", "fragments"), [
    (_row("bad", "data + tokens_in", "token"), ["broken.toml", "row 'bad'", "expr 'data + tokens_in'", "dimension"]),
    (_row("bad", "data / 2", "token"), ["row 'bad'", "expr 'data / 2'", "[information]", "unit 'token'"]),
    (_row("bad", "nothing * 2", "token"), ["row 'bad'", "unknown name 'nothing'", "known: data, tokens_in"]),
    (_row("a", "b * 2", "token") + _row("b", "a * 2", "token"), ["cycle: a -> b -> a", "expr 'b * 2'"]),
    (_row("bad", "tokens_in", "tokenz"), ["row 'bad'", "unknown unit 'tokenz'"]),
    (_row("bad", "data.real", "TB"), ["row 'bad'", "expr 'data.real'", "attribute access is not allowed"]),
    (_row("bad", "train_cards(data)", "card"), ["row 'bad'", "train_cards() takes 4 arguments, got 1"]),
    (_row("bad", "tokens_in", "token") + _row("bad", "tokens_in", "token"), ["row 'bad'", "duplicate name"]),
    (_row("ab12", "tokens_in", "token"), ["row 'ab12'", "cell reference"]),
    (_row("data_unit", "tokens_in", "token"), ["'data_unit' is taken by the _unit helper of 'data'"]),
    (_row("bad", "tokens_in", "token").replace("unit =", "colour = 1\nunit ="), ["unknown key(s) colour"]),
])
def test_build_errors_name_the_file_row_and_expression(tmp_path: Path, rows: str, fragments: list[str]) -> None:
    with pytest.raises(SpecError) as raised:
        load_spec(_spec_file(tmp_path, rows))
    for fragment in fragments:
        assert fragment in str(raised.value), (fragment, str(raised.value))
    assert isinstance(raised.value, ValueError)


def test_bad_input_value_and_bad_toml_are_build_errors(tmp_path: Path) -> None:
    inputs = _GOOD_INPUT.replace("value = 30", 'value = "30 tokens"')
    with pytest.raises(SpecError, match=r"broken.toml, row 'data': value '30 tokens': data: expected a quantity"):
        load_spec(_spec_file(tmp_path, _row("t", "tokens_in", "token"), inputs))
    path = tmp_path / "broken.toml"
    path.write_text("name = ", encoding="utf-8")
    with pytest.raises(SpecError, match="broken.toml: not valid TOML"):
        load_spec(path)


def test_unknown_spec_name_lists_the_known_ones() -> None:
    with pytest.raises(flopsheet.UnknownNameError, match="unknown model spec \"table9\"; known: table5_kimi_training"):
        load_spec("table9")


# --- the expression grammar -----------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("params.__class__", "attribute access is not allowed"),
    ("params[0]", "subscripts is not allowed"),
    ("(lambda: 1)()", "lambdas is not allowed"),
    ("__import__('os')", "unknown function __import__()"),
    ("eval('1')", "unknown function eval()"),
    ("open('x')", "unknown function open()"),
    ("params.upper()", "attribute access is not allowed"),
    ("params if tokens else 1", "if/else is not allowed"),
    ("params < 1", "comparisons is not allowed"),
    ("params % 2", "the operator Mod is not allowed"),
    ("train_flops(params, tokens, flop_per_param_token=6)", "keyword arguments are not allowed"),
    ("[params]", "lists is not allowed"),
    ("f'{params}'", "f-strings is not allowed"),
    ("True", "the constant True is not allowed"),
    ("'30 tokenz'", "cannot be read"),
    ("train_flops(1, 2, 3, 4)", "train_flops() takes 2 to 3 arguments, got 4"),
    ("params +", "not a valid expression"),
    ("", "empty"),
    ("card_peak(params, 'bf16')", "takes text constants"),
])
def test_grammar_rejects_everything_outside_it(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse_expression(text)


@pytest.mark.parametrize(("text", "excel"), [
    ("flops / (peak * utilization * duration)", "f/(p*u*d)"),
    ("a - (b - c)", "a-(b-c)"),
    ("a - b - c", "a-b-c"),
    ("a / (b / c)", "a/(b/c)"),
    ("(a + b) * c", "(a+b)*c"),
    ("-a ** 2", "(-(a^2))"),
    ("(-a) ** 2", "(-a)^2"),
    ("(a ** 2) ** 3", "(a^2)^3"),
    ("2.5e-3 * a", "0.0025*a"),
    ("1e20 * a", "1E+20*a"),
    ('a / "1 day"', "a/86400"),
    ("train_cards(f, p, u, d) * 2", "(IF(AND(f>0,p>0,u>0,d>0,u<=1),f/(p*u*d),NA()))*2"),
    ("infer_cards(f, c, p, u, h)", "(IF(AND(f>0,c>0,p>0,u>0,h>0,u<=1,h<=86400),f*c*86400/(p*u*h),NA()))"),
    ("train_flops(p, t)", "(IF(AND(p>0,t>0),p*t*6,NA()))"),
    ("card_peak('A100', 'bf16')", "312000000000000"),
])
def test_excel_rendering_keeps_python_precedence(text: str, excel: str) -> None:
    short = {"flops": "f", "peak": "p", "utilization": "u", "duration": "d"}
    assert excel_formula(parse_expression(text), lambda name: short.get(name, name)) == excel


def test_rendering_and_pint_agree_on_precedence() -> None:
    values = {name: flopsheet.Q(value) for name, value in {"a": 3.0, "b": 5.0, "c": 7.0}.items()}
    from flopsheet.workbooks.model.expressions import evaluate_expr

    for text in ["a - b - c", "a / b / c", "-a ** 2", "(a ** 2) ** 0.5", "(a - b) * -c", "a / (b * c) - -a"]:
        tree = parse_expression(text)
        formula = excel_formula(tree, lambda name: str(values[name].m))
        # Excel and Python agree once every power and negation is parenthesised as rendered
        python_text = formula.replace("^", "**")
        assert float(evaluate_expr(parse_expression(python_text), {}).m) == pytest.approx(
            float(evaluate_expr(tree, values).m)), (text, formula)


# --- the evaluator ------------------------------------------------------------------


def test_evaluate_returns_the_documented_columns_and_kinds() -> None:
    frame = evaluate(TABLE5)
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["kind"]) == ["input"] * 9 + ["derived"] * 5
    assert frame["overridden"].dtype == bool and not frame["overridden"].any()
    assert all(isinstance(value, flopsheet.Quantity) for value in frame["quantity"])
    assert frame.attrs["model"] == TABLE5


def test_table5_at_its_stated_defaults_and_the_printed_figures() -> None:
    rows = _rows(evaluate(TABLE5))
    assert rows.loc["cards", "value"] == pytest.approx(12_661, abs=0.5)
    assert rows.loc["cards", "printed"] == 13_793
    assert rows.loc["cards", "difference"] == pytest.approx(12_661 - 13_793, abs=0.5)
    assert rows.loc["data", "printed"] == pytest.approx(37.58096384)  # the printed kB figure, in TB
    assert rows.loc["chars", "printed"] == 1.88e13
    assert rows.loc["words", "printed"] == 3_684_408_219_608
    assert rows.loc["tokens", "printed"] == 4_912_544_292_810
    assert rows.loc["flops", "printed"] == pytest.approx(5.895053151373e24)
    assert rows.loc["utilization", "value"] == 0.302 and rows.loc["utilization", "unit"] == ""


def test_table5_warns_that_its_utilization_belongs_to_another_precision() -> None:
    (warning,) = evaluate(TABLE5).attrs["warnings"]
    assert warning.startswith("cards: utilization 30.2% was measured against A100 bf16 but the peak is A100 tf32")
    assert "6,330.46 card instead of 12,660.9 card" in warning
    assert evaluate(TABLE5, {"peak": "A100 bf16"}).attrs["warnings"] == []


def test_table5_with_the_figures_the_report_really_used_gives_every_printed_number() -> None:
    rows = _rows(evaluate(TABLE5, {"data": "37,580,963,840 kB", "duration": "105 days"}))
    assert rows.loc["tokens", "value"] == pytest.approx(4_912_544_292_810, abs=1)
    assert rows.loc["words", "value"] == pytest.approx(3_684_408_219_608, abs=1)
    assert rows.loc["chars", "value"] == pytest.approx(1.88e13, rel=1e-3)
    assert rows.loc["flops", "value"] == pytest.approx(5.895053151373e24, rel=1e-12)
    assert rows.loc["cards", "value"] == pytest.approx(13_793, abs=0.5)
    assert rows.loc["duration", "unit"] == "day" and rows.loc["duration", "value"] == 105
    assert rows.loc["data", "unit"] == "kB" and rows.loc["data", "overridden"]


@pytest.mark.parametrize(("overrides", "cards"), [
    ({"data": "37,580,963,840 kB", "duration": "90 days"}, 16_092),
    ({"data": "37,580,963,840 kB", "duration": "3 months"}, 15_860),
    ({"duration": "90 days"}, 12_846),
    ({"data": "37,580,963,840 kB", "duration": "105 days", "peak": "A100 bf16"}, 6_896),
])
def test_table5_audit_facts(overrides: dict[str, str], cards: int) -> None:
    assert _rows(evaluate(TABLE5, overrides)).loc["cards", "value"] == pytest.approx(cards, abs=0.5)


def test_table5_35_tib() -> None:
    assert _rows(evaluate(TABLE5, {"data": "35 TiB"})).loc["tokens", "value"] == pytest.approx(5_030_445_355_838, abs=1)


def test_table6_stated_and_implied_tokens() -> None:
    stated = _rows(evaluate(TABLE6))
    assert stated.loc["flops_per_call", "value"] == pytest.approx(4e14)
    assert stated.loc["flops_per_call", "printed"] == 8e14
    assert stated.loc["cards", "value"] == pytest.approx(740.74, abs=0.01)
    implied = _rows(evaluate(TABLE6, {"tokens_per_call": 2000}))
    assert implied.loc["flops_per_call", "value"] == pytest.approx(8e14)
    assert implied.loc["calls_per_day", "value"] == pytest.approx(3e6)
    assert implied.loc["daily_flops", "value"] == pytest.approx(2.4e9)
    assert implied.loc["daily_flops", "value"] == pytest.approx(implied.loc["daily_flops", "printed"], abs=1e-3)
    assert round(implied.loc["cards", "value"]) == 1481
    assert implied.loc["cards", "printed"] == 1481  # the report's figure stays in the frame ...
    assert implied.loc["cards", "printed_note"] == "n/a: inputs changed"  # ... but is not compared
    assert np.isnan(implied.loc["cards", "difference"])


def test_tables_2_3_4_printed_inputs_and_derived_rows() -> None:
    table4 = _rows(evaluate("table4_mfu"))
    assert table4.loc["mtnlg_mfu_vs_tf32", "value"] == pytest.approx(0.604)
    assert table4.loc["mtnlg_throughput", "value"] == pytest.approx(94.224)
    assert list(table4.loc[["gpt3_mfu", "gopher_mfu", "mtnlg_mfu", "palm_mfu"], "printed"]) == [0.213, 0.325, 0.302, 0.462]
    table3 = _rows(evaluate("table3_api_prices"))
    assert list(table3.loc[["price_8k", "price_32k", "price_128k"], "printed"]) == [12, 24, 60]
    assert table3.loc["gpt4_turbo_input_cny", "unit"] == "CNY/Mtoken"
    assert _rows(evaluate("table3_api_prices", {"usd_cny": "7.25 CNY/USD"})).loc["gpt4_turbo_input_cny", "value"] == 72.5
    table2 = _rows(evaluate("table2_context_windows"))
    assert table2.loc["kimi", "unit"] == "hanzi" and table2.loc["kimi", "value"] == 2e6
    assert table2.loc["gpt4_turbo", "unit"] == "ktoken" and table2.loc["gpt4_turbo", "printed"] == 128
    assert table2.loc["hanzi_per_token", "value"] == pytest.approx(350_000 / 192_000)
    assert table2.loc["kimi_vs_gpt4_turbo", "value"] == pytest.approx(2e6 / (350_000 / 192_000) / 128_000)


def test_currencies_stay_apart() -> None:
    with pytest.raises(flopsheet.UnitInputError, match=r'usd_cny: expected a quantity in units like CNY/USD'):
        evaluate("table3_api_prices", {"usd_cny": "7.1 USD/CNY"})


def test_overrides_parse_like_cells_and_catalogue_references() -> None:
    rows = _rows(evaluate(TABLE5, {"params": "1万亿", "peak": "H100 bf16", "utilization": "40% @ H100 bf16",
                                   "duration": flopsheet.Q(60, "day")}))
    assert rows.loc["params", "value"] == 1e12
    assert rows.loc["peak", "value"] == 989.5 and rows.loc["peak", "unit"] == "TFLOPS/card"
    assert rows.loc["utilization", "value"] == 0.4
    assert rows.loc["duration", "unit"] == "day"
    assert rows.loc[["params", "peak", "utilization", "duration"], "overridden"].all()
    # a bare number is read in the input's unit; a unit outside the dropdown converts to it
    assert _rows(evaluate(TABLE5, {"duration": 4})).loc["duration", "value"] == 4
    converted = _rows(evaluate(TABLE5, {"duration": "2160 h"}))
    assert (converted.loc["duration", "unit"], converted.loc["duration", "value"]) == ("hour", 2160)
    peak = _rows(evaluate(TABLE5, {"peak": "0.312 PFLOPS"}))
    assert (peak.loc["peak", "unit"], peak.loc["peak", "value"]) == ("PFLOPS/card", 0.312)


@pytest.mark.parametrize(("overrides", "error", "message"), [
    ({"paramz": 1}, flopsheet.UnknownNameError,
     'paramz: unknown input of table5_kimi_training "paramz"; known: params, data, bytes_per_char'),
    ({"cards": 1}, flopsheet.UnknownNameError, "cards: unknown row (only inputs can be set) of table5_kimi_training"),
    ({"data": "30 tokens"}, flopsheet.UnitInputError,
     'data: expected a quantity in units like TB ([information]), e.g. "30 TB", got "30 tokens"'),
    ({"duration": "three months"}, flopsheet.UnitInputError, 'duration: expected a quantity in units like month'),
    ({"duration": "0 days"}, flopsheet.InputRangeError, 'duration: must be greater than 0, got "0 days"'),
    ({"params": -5}, flopsheet.InputRangeError, "params: must be greater than 0, got -5"),
    ({"utilization": "130%"}, flopsheet.InputRangeError, 'utilization: must be in (0, 100%], got "130%"'),
    ({"peak": "A1000 bf16"}, flopsheet.UnknownNameError, 'peak: unknown accelerator "A1000"'),
    ({"peak": "30 TB"}, flopsheet.UnitInputError, "peak: expected a quantity in units like TFLOPS/card"),
])
def test_override_errors_name_the_input_value_and_expectation(overrides: dict, error: type, message: str) -> None:
    with pytest.raises(error) as raised:
        evaluate(TABLE5, overrides)
    assert message in str(raised.value)


def test_formula_range_errors_pass_through() -> None:
    with pytest.raises(flopsheet.InputRangeError, match="busy_hours: must be at most 24 hours a day"):
        evaluate(TABLE6, {"busy_hours": "30 hours"})


def test_unit_choices_are_safe_for_excel_match() -> None:
    texts = [text for group in unit_choices.UNIT_CHOICES for text in group]
    assert len({text.lower() for text in texts}) == len(texts), "MATCH ignores case"
    assert not any(character in text for text in texts for character in "*?~,\""), "MATCH wildcards / list separators"
    for group in unit_choices.UNIT_CHOICES:
        assert len({unit_choices.dimension_text(text) for text in group}) == 1, group
    dimensions = [unit_choices.dimension_text(group[0]) for group in unit_choices.UNIT_CHOICES]
    assert len(set(dimensions)) == len(dimensions), "one group per dimension"
    assert all(math.isfinite(unit_choices.factor(group[0])) for group in unit_choices.UNIT_CHOICES)
    assert unit_choices.factor("month") == 30.4375 * 86400


@pytest.mark.parametrize("module", ["flopsheet.workbooks.model.expressions", "flopsheet.workbooks.model.spec",
                                    "flopsheet.workbooks.model.evaluate"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
