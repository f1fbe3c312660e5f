"""The template compiler: layout, names, dropdowns, styles, cached values, determinism.

Nothing here runs a spreadsheet; tests/test_workbooks_libreoffice.py recalculates.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import flopsheet
from flopsheet.workbooks.xlsx.templates import (COL, addin_specs, MODEL_SHEET, TEMPLATE_DIR, build_templates,
                                         compile_workbook, template_name)
from flopsheet.workbooks.model.evaluate import evaluate
from flopsheet.workbooks.model.spec import load_spec, spec_names

#: Functions a native template may use: in both Excel 2016 and LibreOffice 7.4.
PORTABLE_FUNCTIONS = {"INDEX", "MATCH", "IF", "AND", "NA", "MAX", "ROUNDUP", "INT",  # MAX, ROUNDUP, INT: serving
                      "OR", "MIN", "VALUE", "TRIM"}  # the range flag and clamped ends; VALUE reads a typed "40%"
#: Excel functions an add-in variant may call: every computing function of the formula table.
ADDIN_FUNCTIONS = {formula.excel_name for formula in flopsheet.formulas.FUNCTIONS}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return build_templates(tmp_path_factory.mktemp("templates"))


def _cell(workbook: openpyxl.Workbook, name: str) -> openpyxl.cell.Cell:
    (sheet, reference), = workbook.defined_names[name].destinations
    return workbook[sheet][reference.replace("$", "")]


def test_build_writes_every_template_then_the_addin_variants(built: list[Path]) -> None:
    assert [path.name for path in built] == [f"{name}.xlsx" for name in spec_names()] + [
        f"{name}_addin.xlsx" for name in addin_specs()]
    assert addin_specs()[:2] == ["table5_kimi_training", "table6_kimi_inference"]


def test_committed_templates_are_up_to_date(built: list[Path]) -> None:
    for path in built:
        committed = TEMPLATE_DIR / path.name
        assert committed.exists(), f"{committed} is missing: run `flopsheet build`"
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed.name} is stale (its spec or the compiler changed): run `flopsheet build` and commit")


def test_same_spec_gives_the_same_bytes(tmp_path: Path) -> None:
    overrides = {"duration": "105 days", "data": "35 TiB"}
    first = compile_workbook("table5_kimi_training", tmp_path / "a.xlsx", overrides=overrides).read_bytes()
    second = compile_workbook(load_spec("table5_kimi_training"), tmp_path / "b.xlsx", overrides=overrides).read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
        assert core.count("2024-04-01T00:00:00Z") == 2


def test_every_row_is_a_defined_name_with_a_unit_cell(built: list[Path]) -> None:
    for path in built:
        spec = load_spec(path.stem.removesuffix("_addin"))
        workbook = openpyxl.load_workbook(path)
        for name in spec.names:
            value, unit = _cell(workbook, name), _cell(workbook, f"{name}_unit")
            assert value.column_letter == COL["value"] and unit.column_letter == COL["unit"]
            assert unit.row == value.row and value.parent.title == MODEL_SHEET


def test_unit_dropdowns_offer_only_units_of_the_rows_dimension(built: list[Path]) -> None:
    workbook = openpyxl.load_workbook(built[0])
    sheet = workbook[MODEL_SHEET]
    lists = {str(validation.sqref): validation.formula1.strip('"').split(",")
             for validation in sheet.data_validations.dataValidation}
    duration, data = _cell(workbook, "duration_unit").coordinate, _cell(workbook, "data_unit").coordinate
    assert lists[duration] == ["s", "min", "hour", "day", "week", "month", "year"]
    assert {"TB", "TiB", "kB", "KiB"} <= set(lists[data]) and "KB" not in lists[data]
    assert lists[_cell(workbook, "cards_unit").coordinate] == ["card", "万card"]
    for coordinate, options in lists.items():
        dimensions = {flopsheet.Q(1, option).dimensionality for option in options}
        assert len(dimensions) == 1, (coordinate, options)
    assert _cell(workbook, "utilization_unit").value is None  # a fraction has no unit


def test_formulas_read_names_and_use_portable_functions_only(built: list[Path]) -> None:
    for path in built:
        workbook = openpyxl.load_workbook(path)
        allowed = PORTABLE_FUNCTIONS | (ADDIN_FUNCTIONS if "addin" in path.name else set())
        for row in workbook[MODEL_SHEET].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    functions = set(re.findall(r"([A-Z_][A-Z0-9_.]*)\(", cell.value))
                    assert functions <= allowed, (path.name, cell.coordinate, cell.value)
                    assert not re.search(r"(?<![A-Za-z_])\$?[A-Z]{1,3}\$?\d+(?![\w(])", cell.value.replace("E+", "")), \
                        (path.name, cell.coordinate, cell.value)


def test_derived_formulas_read_like_the_spec(built: list[Path]) -> None:
    workbook = openpyxl.load_workbook(built[0])
    # A fraction input is read through VALUE(): "40%" typed as text in LibreOffice or Gnumeric reads as 0.4.
    assert _cell(workbook, "cards_base").value == ("=(IF(AND(flops_base>0,peak_base>0,VALUE(utilization)>0,"
                                                   "duration_base>0,VALUE(utilization)<=1),flops_base/(peak_base*"
                                                   "VALUE(utilization)*duration_base),NA()))")
    assert _cell(workbook, "cards").value == "=cards_base/cards_factor"
    assert _cell(workbook, "chars_base").value == "=data_base/bytes_per_char_base"
    assert _cell(workbook, "duration_factor").value == "=INDEX(unit_factors,MATCH(duration_unit,unit_names,0))"
    assert _cell(workbook, "duration_base").value == "=duration*duration_factor"
    table6 = openpyxl.load_workbook(built[1])
    assert _cell(table6, "daily_flops_base").value == "=flops_per_call_base*calls_per_day_base/1"


def test_addin_variants_call_the_flopsheet_functions_with_a_result_unit(built: list[Path]) -> None:
    formulas = {}
    by_name = {path.name: path for path in built}
    for path in (by_name["table5_kimi_training_addin.xlsx"], by_name["table6_kimi_inference_addin.xlsx"]):
        workbook = openpyxl.load_workbook(path)
        for name in load_spec(path.stem.removesuffix("_addin")).names:
            formulas[name] = _cell(workbook, name).value
    assert formulas["tokens"] == ('=DATA_TOKENS(data&" "&data_unit, bytes_per_char&" "&bytes_per_char_unit, '
                                  'chars_per_word&" "&chars_per_word_unit, words_per_token&" "&words_per_token_unit, '
                                  'tokens_unit)')
    assert formulas["flops"].startswith("=TRAIN_FLOPS(params&\" \"&params_unit, tokens&\" \"&tokens_unit,")
    assert formulas["cards"] == ('=INFER_CARDS(flops_per_call&" "&flops_per_call_unit, calls_per_day&" "&'
                                 'calls_per_day_unit, peak&" "&peak_unit, utilization, busy_hours&" "&busy_hours_unit,'
                                 ' cards_unit)')
    assert formulas["flops_per_call"].startswith("=INFER_FLOPS(")
    table5 = openpyxl.load_workbook(by_name["table5_kimi_training_addin.xlsx"])
    assert _cell(table5, "cards").value.startswith("=TRAIN_CARDS(flops&\" \"&flops_unit, peak&\" \"&peak_unit, utilization,")
    assert _cell(table5, "chars").value == "=chars_base/chars_factor"  # plain arithmetic stays native
    assert {"table5_kimi_training", "table6_kimi_inference"} <= set(addin_specs())


def test_cached_values_are_visible_without_recalculation(built: list[Path]) -> None:
    for path in built:
        spec_name = path.stem.removesuffix("_addin")
        workbook = openpyxl.load_workbook(path, data_only=True)
        for record in evaluate(spec_name).itertuples():
            assert _cell(workbook, record.name).value == pytest.approx(record.value, rel=1e-12), (path.name, record.name)
            if record.printed == record.printed:  # not NaN
                assert _cell(workbook, f"{record.name}_printed").value == pytest.approx(record.printed, rel=1e-12)
    frame = pd.read_excel(built[0], sheet_name=MODEL_SHEET, header=4)
    cards = frame[frame["Item"] == "Cards to train in the duration"].iloc[0]
    assert round(cards["Value 数值"]) == 12_661 and cards["Printed 报告数值"] == 13_793
    with zipfile.ZipFile(built[0]) as archive:
        assert 'fullCalcOnLoad="1"' in archive.read("xl/workbook.xml").decode()


def test_banker_styles_frozen_header_and_print_setup(built: list[Path]) -> None:
    workbook = openpyxl.load_workbook(built[0])
    sheet = workbook[MODEL_SHEET]
    params, cards = _cell(workbook, "params"), _cell(workbook, "cards")
    assert params.font.color.rgb == "000000FF" and params.fill.fgColor.rgb == "00FFF2CC"
    assert _cell(workbook, "data_unit").font.color.rgb == "000000FF"
    assert cards.font.color.rgb == "00000000" and cards.fill.fgColor.rgb != "00FFF2CC"
    assert _cell(workbook, "flops").number_format == "0.00E+00"
    assert _cell(workbook, "tokens").number_format == "#,##0"
    assert _cell(workbook, "utilization").number_format == "0.0%"
    assert sheet.freeze_panes == "C6"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert all(sheet.column_dimensions[column].width >= 8 for column in "ABCDEFGH")


def test_readme_and_units_sheets_explain_the_numbers(built: list[Path]) -> None:
    workbook = openpyxl.load_workbook(built[0])
    assert workbook.sheetnames == ["Model", "Units", "README"]
    readme = "\n".join(str(cell.value) for cell in workbook["README"]["A"] if cell.value)
    for fragment in ["seed report 001_7b29be997465feb3.txt", "35 x 1024^3", "105 days", "30.4375 days",
                     "312 TFLOPS", "How to change units", "flopsheet build", "cards = train_cards(flops, peak, "
                     "utilization, duration)", "with the consistent peak"]:
        assert fragment in readme, fragment
    units = {row[0].value: row for row in workbook["Units"].iter_rows(min_row=2)}
    assert units["month"][2].value == 2_629_800 and "30.4375 days" in units["month"][4].value
    assert units["TiB"][2].value == 8 * 2**40 and units["TB"][2].value == 8e12
    assert "month = 30.4375 days" in workbook[MODEL_SHEET]["A3"].value.replace("1/12 Julian year = ", "month = ")


def test_overrides_are_written_in_their_own_unit(tmp_path: Path) -> None:
    path = compile_workbook("table5_kimi_training", tmp_path / "t5.xlsx",
                            overrides={"duration": "105 days", "data": "37,580,963,840 kB"})
    workbook = openpyxl.load_workbook(path, data_only=True)
    assert (_cell(workbook, "duration").value, _cell(workbook, "duration_unit").value) == (105, "day")
    assert (_cell(workbook, "data").value, _cell(workbook, "data_unit").value) == (37_580_963_840, "kB")
    assert round(_cell(workbook, "cards").value) == 13_793


def test_bad_variant_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(flopsheet.InputError, match='variant: expected "native" or "addin", got "vba"'):
        compile_workbook("table5_kimi_training", tmp_path / "x.xlsx", variant="vba")
    assert template_name("table6_kimi_inference", "addin") == "table6_kimi_inference_addin.xlsx"


def test_cli_build_writes_and_prints_every_template(tmp_path: Path) -> None:
    completed = subprocess.run([sys.executable, "-m", "flopsheet", "build", "--outdir", str(tmp_path)],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    printed = [Path(line) for line in completed.stdout.split()]
    assert [path.name for path in printed] == [template_name(name) for name in spec_names()] + [
        template_name(name, "addin") for name in addin_specs()]
    assert all(path.parent == tmp_path and path.exists() for path in printed)


def _calls(formula: str) -> list[tuple[str, int]]:
    """(function name, argument count) of every call in an Excel formula text."""
    found = []
    for match in re.finditer(r"([A-Z_][A-Z0-9_.]*)\(", formula):
        depth, count, quoted = 1, 1, False
        for character in formula[match.end():]:
            if character == '"':
                quoted = not quoted
            elif quoted:
                continue
            elif character == "(":
                depth += 1
            elif character == ")":
                depth -= 1
                if depth == 0:
                    break
            elif character == "," and depth == 1:
                count += 1
        empty = formula[match.end():].startswith(")")
        found.append((match.group(1), 0 if empty else count))
    return found


def test_every_addin_variant_calls_only_registered_functions_with_their_argument_counts(built: list[Path]) -> None:
    from flopsheet.addin.catalogue import by_name

    registered = by_name()
    variants = [path for path in built if path.stem.endswith("_addin")]
    assert len(variants) == len(addin_specs()) >= 3
    for path in variants:
        calls = [call for row in openpyxl.load_workbook(path)[MODEL_SHEET].iter_rows() for cell in row
                 if isinstance(cell.value, str) and cell.value.startswith("=") for call in _calls(cell.value)]
        flopsheet_calls = [(name, count) for name, count in calls if name not in PORTABLE_FUNCTIONS]
        assert flopsheet_calls, path.name
        for name, count in flopsheet_calls:
            assert name in registered, (path.name, name)
            function = registered[name]
            required = sum(not param.optional for param in function.params)
            assert required <= count <= len(function.argument_names), (path.name, name, count)
