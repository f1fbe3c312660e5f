"""Bad arguments through the Office.js call path: each cell gets a readable Excel error.

The text starts with the Excel error name (#VALUE!, #NUM!, #N/A), names the argument,
shows the value and the rule. A Python traceback never reaches a cell.
"""

from __future__ import annotations

import types
from typing import Any

import pytest

import flopsheet

from flopsheet.addin.catalogue import ExcelFunction, Param, ResultUnit
from flopsheet.addin.wrappers import evaluate, make_udf
from addin_support import scalar, server  # noqa: F401 (server is a fixture)

F = 5.9e24
KNOWN = ", ".join(flopsheet.card_names())
#: A misspelled card gets a did-you-mean (difflib) after the list.
A1000_HINT = '; did you mean "A100" or "A100 40GB" or "A10"?'
#: The A100's dense precisions, as the catalogue lists them.
A100_KNOWN = ", ".join(f"A100 {precision}" for precision in flopsheet.catalogue()["A100"].dense)
CASES: list[tuple[str, tuple[Any, ...], str]] = [
    ('DATA_TOKENS', ('30 tokens',), '#VALUE! data: expected a data size in bytes (e.g. "30 TB"), got "30 tokens"'),
    ('DATA_TOKENS', (None,), '#VALUE! data: expected a data size in bytes (e.g. "30 TB"), got ""; the cell is empty'),
    ('DATA_TOKENS', ('37,580,963,840 kb',), '#VALUE! data: expected a known unit, got "37,580,963,840 kb"; write kB (decimal) or KiB (binary) for bytes'),
    ('DATA_TOKENS', ('-5 TB',), '#NUM! data: must be greater than 0, got "-5 TB"'),
    ('DATA_TOKENS', ('30 TB', 0.0), '#NUM! bytes_per_char: must be greater than 0, got "0 B/char"'),
    ('DATA_TOKENS', ('30 TB', None, '5 chars'), '#VALUE! chars_per_word: expected characters per word (e.g. "5.1 chars/word"), got "5 chars"'),
    ('TRAIN_FLOPS', ('2000亿', '30 TB'), '#VALUE! tokens: expected a token count (e.g. "4.9万亿 tokens"), got "30 TB"'),
    ('TRAIN_FLOPS', ('abc', 1000000000000.0), '#VALUE! params: expected a parameter count (e.g. "2000亿"), got "abc"'),
    ('TRAIN_FLOPS', (True, 1000000000000.0), '#VALUE! params: expected a number or a quantity, not TRUE/FALSE, got True'),
    ('TRAIN_FLOPS', ([[200000000000.0], ['30 TB']], 1000000000000.0), '#VALUE! params: expected values of one dimension like 200000000000.0 parameter, got "30.0 TB"'),
    ('TRAIN_FLOPS', (200000000000.0, 1000000000000.0, None, 'card'), '#VALUE! unit: expected a unit of the same dimension as "FLOP" (e.g. "TFLOP"), got "card"'),
    ('TRAIN_FLOPS', (200000000000.0, 1000000000000.0, None, 'tflops'), '#VALUE! unit: expected a known unit, got "tflops"; write FLOP (a count, e.g. TFLOP) or FLOPS (a rate, e.g. TFLOPS)'),
    ('TRAIN_FLOPS', (1e+300, 1e+300), '#NUM! params: must be a value that keeps the result (FLOP) a finite number greater than 0, got 1e+300; with it the result overflows to infinity (above the largest float, about 1.8e308)'),
    ('TRAIN_CARDS', (F, 'A1000 tf32', '30%', 90.0), '#N/A peak: unknown accelerator "A1000"; known: ' + KNOWN + A1000_HINT),
    ('TRAIN_CARDS', (F, 'A100', '30%', 90.0), '#N/A peak: unknown precision for "A100"; known: ' + A100_KNOWN),
    ('TRAIN_CARDS', (F, 'A100 fp4', '30%', 90.0), '#N/A peak: unknown precision "A100 fp4"; known: ' + A100_KNOWN),
    ('TRAIN_CARDS', (F, 'A100 tf32', '130%', 90.0), '#NUM! utilization: must be in (0, 100%], got "130%"'),
    ('TRAIN_CARDS', (F, 'A100 tf32', 0.0, 90.0), '#NUM! utilization: must be in (0, 100%], got "0%"'),
    ('TRAIN_CARDS', (F, 'A100 tf32', '30% @ A1000 bf16', 90.0), '#N/A utilization: unknown accelerator "A1000"; known: ' + KNOWN + A1000_HINT),
    ('TRAIN_CARDS', (F, 'A100 tf32', '30%', '105 tokens'), '#VALUE! duration: expected a duration (e.g. "90 days"), got "105 tokens"'),
    ('TRAIN_CARDS', (F, 'A100 tf32', '30%', 0.0), '#NUM! duration: must be greater than 0, got "0 d"'),
    ('TRAIN_CARDS', ('5.9e24 FLOPS', 'A100 tf32', '30%', 90.0), '#VALUE! flops: expected a FLOP count (e.g. "5.9e24 FLOP"), got "5.9e24 FLOPS"'),
    ('TRAIN_CARDS', (F, 'A100 tf32', '30%', 90.0, 'TFLOP'), '#VALUE! unit: expected a unit of the same dimension as "card" (e.g. "万张"), got "TFLOP"'),
    ('TRAIN_CARDS', (F, 'A100 tf32', '30%', None), '#VALUE! duration: expected a duration (e.g. "90 days"), got ""; the cell is empty'),
    ('TRAIN_CARDS', (F, '156 TB', '30%', 90.0), '#VALUE! peak: expected a peak rate per card or a catalogue reference like "A100 tf32" (e.g. "156 TFLOPS"), got "156 TB"'),
    ('TRAIN_DURATION', (F, -1.0, 'A100 tf32', '30%'), '#NUM! cards: must be greater than 0, got "-1 card"'),
    ('INFER_CARDS', (800000000000000.0, '300万', 'A10 fp16', '30%', 30.0), '#NUM! busy_hours: must be at most 24 hours a day, got "30 h"'),
    ('INFER_CARDS', (800000000000000.0, '300万 tokens', 'A10 fp16', '30%', 12.0), '#VALUE! calls_per_day: expected calls per day (e.g. "300万 calls/day"), got "300万 tokens"'),
    ('INFER_FLOPS', ('2000亿', '2000 words'), '#VALUE! tokens: expected a token count (e.g. "4.9万亿 tokens"), got "2000 words"'),
    ('CARD_PEAK', ('A1000', 'tf32'), '#N/A card: unknown accelerator "A1000"; known: ' + KNOWN + A1000_HINT),
    ('CARD_PEAK', ('A100', 'fp4'), '#N/A precision: unknown precision "fp4"; known: ' + ", ".join(flopsheet.catalogue()["A100"].dense) + ' for A100'),
    ('CARD_PEAK', ('A100', None), '#VALUE! precision: expected fp64, fp32, tf32, bf16, fp16, fp8, int8 or fp4 (e.g. "tf32"), got ""; the cell is empty'),
    ('CARD_PEAK', ('A100', 'tf32', 'maybe'), '#VALUE! sparse: expected TRUE or FALSE (also the text true/false, yes/no, 1/0, 是/否, sparse/dense), got "maybe"'),
    ('TRAIN_FLOPS', ([[{'type': 'Error', 'basicValue': '#N/A'}]], 1e12), '#VALUE! params: expected a number or a quantity, got "#N/A"; the cell holds the Excel error #N/A'),
    ('TRAIN_FLOPS', ([[1e9], [{'type': 'Error', 'basicValue': '#DIV/0!'}]], 1e12), '#VALUE! params: expected a number or a quantity, got "#DIV/0!"; the cell holds the Excel error #DIV/0!'),
    ('TRAIN_FLOPS', ([[1e9], [2e9], [3e9]], [[1e12], [2e12]]), '#VALUE! tokens: expected values of a shape that combines with params (3, 1): one value, or a range of the same shape, got "a range of shape (2, 1)"'),
    ('CARD_PEAK', ([['A100'], ['H100']], 'tf32'), '#VALUE! card: expected a single cell, got "a range of 2 cells"'),
    ('CARD_PEAK', (42.0, 'tf32'), '#VALUE! card: expected an accelerator name or alias from the catalogue (e.g. "A100") as text, got 42.0'),
    ('CARD_MEMORY', ('H100', 'W'), '#VALUE! unit: expected a unit of the same dimension as "GB/card" (e.g. "GiB"), got "W"'),
    ('CARD_POWER', (None,), '#VALUE! card: expected an accelerator name or alias from the catalogue (e.g. "A100"), got ""; the cell is empty'),
    ('UNIT_CONVERT', ('30 TB', 'day'), '#VALUE! to_unit: expected a unit of the same dimension as "TB", got "day"'),
    ('UNIT_CONVERT', ('30 TB', None), '#VALUE! to_unit: expected a unit such as "TiB", got ""; the cell is empty'),
    ('UNIT_CONVERT', ('30 TB', 'parsecs'), '#VALUE! to_unit: expected a known unit, got "parsecs"; unknown unit: \'parsecs\' is not defined in the unit registry'),
    ('UNIT_CONVERT', ('30 TB', 5.0), '#VALUE! to_unit: expected a unit as text, such as "TiB", got 5.0'),
    ('QTY', ('hello',), '#VALUE! text: expected a number or a quantity such as "30 TB", got "hello"'),
    ('QTY', ('30 TB', 'token'), '#VALUE! unit: expected a unit of the same dimension as "TB", got "token"'),
    ('CARD_LIST', ('TB',), '#VALUE! unit: expected a peak rate unit such as "TFLOPS/card" or "PFLOPS", got "TB"'),
    ('TRAIN_CARD_HOURS', (F, 'A100 tf32', '30%', 'card'), '#VALUE! unit: expected a unit of the same dimension as "card_hour" (e.g. "card_day"), got "card"'),
]


@pytest.mark.parametrize(("name", "values", "message"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_argument_gives_a_readable_excel_error(server: types.ModuleType, name: str, values: tuple,
                                                   message: str) -> None:
    assert scalar(server, name, *values) == message


def test_there_are_at_least_30_cases_and_every_one_names_an_excel_error() -> None:
    assert len(CASES) >= 30
    for _, _, message in CASES:
        assert message.split(" ", 1)[0] in {"#VALUE!", "#NUM!", "#N/A"}
        assert "Traceback" not in message


def _explode(value: Any) -> float:
    """A formula with a bug, to exercise the catch-all."""
    return 1 / 0


BROKEN = ExcelFunction("BROKEN", _explode, "A function whose formula fails.",
                       (Param("value", "anything", unit="token", example="1"),), ResultUnit("token", "token"))


def test_an_unexpected_exception_becomes_an_internal_error_text_not_a_traceback() -> None:
    assert evaluate(BROKEN, [[[1.0]]]) == "#VALUE! internal error: ZeroDivisionError: division by zero"
    assert make_udf(BROKEN)(1.0) == "#VALUE! internal error: ZeroDivisionError: division by zero"


def test_too_many_arguments_is_a_cell_error_too() -> None:
    assert make_udf(BROKEN)(1.0, "token", 3.0) == (
        "#VALUE! internal error: TypeError: BROKEN takes at most 2 arguments, got 3")
