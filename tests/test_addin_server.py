"""The Excel functions through xlwings' own Office.js entry point (xlwings Server / Lite).

Every call goes through ``xlwings.server.custom_functions_call`` with arguments shaped
as Excel sends them: one 2-D list per parameter, None for an empty cell, floats and
strings. The licence key is set for these tests only.
"""

from __future__ import annotations

import math
import types
import warnings

import pytest

import flopsheet
from flopsheet.addin.catalogue import FUNCTIONS, MAX_DESCRIPTION
from addin_support import office_call, scalar, server  # noqa: F401 (server is a fixture)

#: Every Excel function and _NOTE companion, read from the catalogue (never a hand-kept list).
EXCEL_NAMES = [function.name for function in FUNCTIONS]
NOTE_NAMES = [f"{function.name}_NOTE" for function in FUNCTIONS if function.warns]
#: Names released in 0.1: users' formulas rely on them, so they may never disappear.
RELEASED = {"TRAIN_FLOPS", "DATA_TOKENS", "TRAIN_CARDS", "TRAIN_DURATION", "TRAIN_CARD_HOURS", "INFER_FLOPS",
            "INFER_CARDS", "CARD_PEAK", "CARD_MEMORY", "CARD_BANDWIDTH", "CARD_POWER", "CARD_LIST", "UNIT_CONVERT",
            "QTY", "FLOPSHEET_VERSION", "TRAIN_CARDS_NOTE", "TRAIN_DURATION_NOTE", "TRAIN_CARD_HOURS_NOTE",
            "INFER_CARDS_NOTE"}
REL = 1e-12


def test_catalogue_names_are_the_public_interface(server: types.ModuleType) -> None:
    assert sorted(server.REGISTERED) == sorted(EXCEL_NAMES + NOTE_NAMES)
    assert RELEASED <= set(server.REGISTERED)
    assert len(set(EXCEL_NAMES)) == len(EXCEL_NAMES)


def test_meta_lists_every_function_with_descriptions(server: types.ModuleType) -> None:
    from xlwings.server import custom_functions_meta

    meta = {entry["name"]: entry for entry in custom_functions_meta(server)["functions"]}
    assert sorted(meta) == sorted(EXCEL_NAMES + NOTE_NAMES)
    for name, entry in meta.items():
        assert entry["id"] == name
        assert 20 < len(entry["description"]) <= MAX_DESCRIPTION, name
        assert "Python function" not in entry["description"]
        for parameter in entry["parameters"]:
            assert 10 < len(parameter["description"]) <= MAX_DESCRIPTION, (name, parameter)
            assert not parameter["description"].startswith("Positional argument"), (name, parameter)
    cards = meta["TRAIN_CARDS"]
    assert [p["name"] for p in cards["parameters"]] == ["flops", "peak", "utilization", "duration", "unit"]
    assert [p.get("optional", False) for p in cards["parameters"]] == [False, False, False, False, True]
    assert "bare numbers in day" in cards["parameters"][3]["description"]
    assert 'default "card"' in cards["parameters"][4]["description"]
    tokens = meta["DATA_TOKENS"]["parameters"]
    assert "bare numbers in TB" in tokens[0]["description"] and "default 2" in tokens[1]["description"]
    assert "default 5.1" in tokens[2]["description"] and "default 0.75" in tokens[3]["description"]
    assert "default 24" in meta["INFER_CARDS"]["parameters"][4]["description"]


def _close(value: float, expected: float) -> bool:
    return math.isclose(value, expected, rel_tol=REL)


def test_table5_through_the_udf_path_equals_the_python_api(server: types.ModuleType) -> None:
    tokens = scalar(server, "DATA_TOKENS", "37,580,963,840 kB")
    assert round(tokens) == 4_912_544_292_810
    assert _close(tokens, flopsheet.data_tokens("37,580,963,840 kB").m)
    flops = scalar(server, "TRAIN_FLOPS", "2000亿", tokens)
    api_flops = flopsheet.train_flops("2000亿", flopsheet.data_tokens("37,580,963,840 kB"))
    assert _close(flops, api_flops.to("FLOP").m)
    assert _close(scalar(server, "TRAIN_FLOPS", "2000亿", tokens, None, "TFLOP"), api_flops.to("TFLOP").m)
    cards = scalar(server, "TRAIN_CARDS", flops, "A100 tf32", "30.2%", "105 days")
    assert abs(cards - 13_793) <= 0.5
    assert _close(cards, flopsheet.train_cards(api_flops, "A100 tf32", "30.2%", "105 days").m)
    assert abs(scalar(server, "TRAIN_CARDS", flops, "A100 tf32", "30.2%", 90.0) - 16_092) <= 0.5
    assert abs(scalar(server, "TRAIN_CARDS", flops, "A100 tf32", "30.2%", "3 months") - 15_860) <= 0.5
    days = scalar(server, "TRAIN_DURATION", flops, 13_793.0, "A100 tf32", "30.2%")
    assert abs(days - 105) < 0.01
    card_days = scalar(server, "TRAIN_CARD_HOURS", flops, "A100 tf32", 0.302, "card_day")
    assert _close(card_days, flopsheet.train_card_hours(api_flops, "A100 tf32", 0.302).to("card_day").m)


def test_table6_through_the_udf_path(server: types.ModuleType) -> None:
    per_call = scalar(server, "INFER_FLOPS", "2000亿", 2000.0)
    assert per_call == pytest.approx(8e14, rel=REL)
    assert scalar(server, "INFER_FLOPS", "2000亿", 2000.0, None, "TFLOP") == pytest.approx(800, rel=REL)
    cards = scalar(server, "INFER_CARDS", per_call, "300万", "A10 fp16", "30%", 12.0)
    assert abs(cards - 1481) <= 0.5
    api = flopsheet.infer_cards(flopsheet.infer_flops("2000亿", 2000), "300万", "A10 fp16", "30%", 12)
    assert _close(cards, api.m)
    assert _close(scalar(server, "INFER_CARDS", per_call, "300万", "A10 fp16", "30%"), api.m / 2)


def test_a_column_of_1000_parameter_counts_spills_1000_values(server: types.ModuleType) -> None:
    column = [[float(i + 1) * 1e9] for i in range(1000)]
    result = office_call(server, "TRAIN_FLOPS", column, "1万亿 tokens")
    assert len(result) == 1000 and all(len(row) == 1 for row in result)
    assert result[0][0] == pytest.approx(6e21, rel=REL) and result[-1][0] == pytest.approx(6e24, rel=REL)
    row = office_call(server, "TRAIN_FLOPS", [[1e9, 2e9, 3e9]], [[1e12], [2e12]])
    assert [len(r) for r in row] == [3, 3] and row[1][2] == pytest.approx(6 * 3e9 * 2e12, rel=REL)


def test_ranges_of_text_cells_are_parsed_cell_by_cell(server: types.ModuleType) -> None:
    result = office_call(server, "DATA_TOKENS", [["30 TB"], ["35 TiB"], [30.0]])
    expected = [flopsheet.data_tokens(value).m for value in ("30 TB", "35 TiB", 30)]
    assert [row[0] for row in result] == pytest.approx(expected, rel=REL)


@pytest.mark.parametrize(("name", "values", "expected"), [
    ("TRAIN_CARDS", (5.895053151373e24, "A100 tf32", "30.2%", "105 days", "万张"), 1.3792822),
    ("TRAIN_CARDS", (5.895053151373e24, "A100 tf32", "30.2%", "105 days", "card"), 13792.822),
    ("TRAIN_DURATION", (5.895053151373e24, 13793.0, "156 TFLOPS", "30.2%", "month"), 105 / 30.4375),
    ("TRAIN_DURATION", (5.895053151373e24, "1.38万张", "A100 tf32", 0.302, "hour"), 104.94 * 24),
    ("TRAIN_CARD_HOURS", (5.895053151373e24, "A100 tf32", "30.2%"), 1448246 * 24),
    ("INFER_FLOPS", ("2000亿", "2000 tokens/call", None, "TFLOP"), 800.0),
    ("DATA_TOKENS", ("30 TB", None, None, None, "万亿token"), 3.92156863),
    ("CARD_PEAK", ("A100", "tf32"), 156.0),
    ("CARD_PEAK", ("A100", "bf16", True), 624.0),
    ("CARD_PEAK", ("A100", "bf16", "sparse", "PFLOPS"), 0.624),
    ("CARD_PEAK", ("a100 sxm", "INT8"), 624.0),
    ("CARD_MEMORY", ("H200",), 141.0),
    ("CARD_MEMORY", ("H200", "GiB"), 141e9 / 2**30),
    ("CARD_BANDWIDTH", ("A100", "TB/s"), 2.039),
    ("CARD_POWER", ("H100",), 700.0),
    ("CARD_POWER", ("H100", "kW/card"), 0.7),
    ("UNIT_CONVERT", ("30 TB", "TiB"), 30e12 / 2**40),
    ("UNIT_CONVERT", ("3 months", "day"), 91.3125),
    ("UNIT_CONVERT", ("30.2%", "%"), 30.2),
    ("QTY", ("2000亿",), 2e11),
    ("QTY", ("1.38万张", "card"), 13800.0),
    ("QTY", ("4.9万亿 tokens", "token"), 4.9e12),
])
def test_result_units(server: types.ModuleType, name: str, values: tuple, expected: float) -> None:
    assert scalar(server, name, *values) == pytest.approx(expected, rel=1e-4)


def test_card_list_spills_the_catalogue_with_headers(server: types.ModuleType) -> None:
    table = office_call(server, "CARD_LIST")
    header, *rows = table
    assert header[:4] == ["card", "vendor", "variant", "released"] and "tf32 (TFLOPS/card)" in header
    assert [row[0] for row in rows] == flopsheet.card_names()
    assert len({len(row) for row in table}) == 1
    a100 = rows[0]
    assert a100[header.index("tf32 (TFLOPS/card)")] == 156.0 and a100[header.index("TDP (W)")] == 400.0
    in_pflops = office_call(server, "CARD_LIST", "PFLOPS")
    assert in_pflops[1][in_pflops[0].index("bf16 (PFLOPS/card)")] == pytest.approx(0.312)


def test_version_and_plain_numbers(server: types.ModuleType) -> None:
    assert scalar(server, "FLOPSHEET_VERSION") == flopsheet.__version__
    assert scalar(server, "TRAIN_FLOPS", 2e11, 1e12) == pytest.approx(1.2e24, rel=REL)
    assert scalar(server, "TRAIN_FLOPS", 2e11, 1e12, 2.0) == pytest.approx(4e23, rel=REL)


def test_an_assumption_warning_is_kept_as_a_note(server: types.ModuleType) -> None:
    args = (5.895053151373e24, "A100 tf32", "30.2% @ A100 bf16", "105 days")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cards = scalar(server, "TRAIN_CARDS", *args)
        note = scalar(server, "TRAIN_CARDS_NOTE", *args)
    assert abs(cards - 13_793) <= 0.5
    assert note.startswith("Note: utilization 30.2% was measured against A100 bf16 but the peak is A100 tf32")
    assert "6,896.41 card instead of 13,792.8 card" in note
    assert scalar(server, "TRAIN_CARDS_NOTE", 5.9e24, "A100 tf32", "30.2%", "105 days") == ""
    assert "was measured against A100 bf16" in scalar(server, "TRAIN_DURATION_NOTE", 5.9e24, 13793.0, "A100 tf32",
                                                      "30.2% @ A100 bf16")
    infer_note = scalar(server, "INFER_CARDS_NOTE", 8e14, "300万", "A100 tf32", "30% @ A100 bf16", 12.0)
    assert infer_note.startswith("Note: utilization 30% was measured against A100 bf16") and "cards is" in infer_note
    assert scalar(server, "TRAIN_CARDS_NOTE", 5.9e24, "A100 tf32", "130%", "105 days").startswith("#NUM! ")
