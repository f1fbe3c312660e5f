"""The serving functions in Excel, through xlwings' Office.js entry point (as Excel sends them)."""

from __future__ import annotations

import sys
import types

import pytest

import flopsheet
from addin_support import office_call, scalar, server  # noqa: F401 (server is a fixture)


def test_memory_functions_in_excel(server: types.ModuleType) -> None:
    assert scalar(server, "WEIGHTS_MEMORY", 70e9, "bf16") == pytest.approx(140)
    assert scalar(server, "WEIGHTS_MEMORY", "671e9", "fp8", "TB") == pytest.approx(0.671)
    assert scalar(server, "KV_CACHE_MEMORY", 80, 8, 128, 4096, 1, "bf16", "B") == pytest.approx(1_342_177_280)
    assert scalar(server, "KV_CACHE_MEMORY", "Llama-2-70B", 4096, None, None, None, None, "B") == pytest.approx(
        1_342_177_280)
    assert scalar(server, "KV_CACHE_MEMORY", "Llama-2-70B", 8192).startswith("#NUM! context_tokens: must be at most")


def test_decode_time_and_its_note_in_excel(server: types.ModuleType) -> None:
    ideal = scalar(server, "DECODE_TIME", "Llama-2-70B", "H200 bf16", 0, 1, 1, 1)
    assert ideal == pytest.approx(flopsheet.decode_time("Llama-2-70B", "H200 bf16", efficiency=1.0).m)
    assert "do not fit" in scalar(server, "DECODE_TIME_NOTE", "Llama-2-70B", "H100 bf16")
    assert scalar(server, "DECODE_TIME", "Llama-2-70B", "H200 bf16", 0, 0).startswith("#NUM! batch")


def test_serving_cards_spills_a_table_with_a_header_and_cannot_rows(server: types.ModuleType) -> None:
    cards = [["A10 bf16"], ["H200 bf16"]]
    table = office_call(server, "SERVING_CARDS", "2000亿", "300万", 1000, 1000, 12, "50 ms/token", cards)
    assert table[0][0] == "#VALUE! model: expected a model shape (layers, KV heads, head width) or kv_bytes_per_token, " \
                          'got "2e+11 parameters"; a parameter count alone does not size the KV cache'
    table = office_call(server, "SERVING_CARDS", "Llama-2-70B", "100万", 1000, 500, 12, "50 ms/token", cards, 0.3)
    header, *rows = table
    assert header[:7] == ["card", "replica_cards", "compute_cards", "bandwidth_cards", "capacity_cards", "binding",
                          "cards"]
    assert [row[0] for row in rows] == ["A10 bf16", "H200 bf16"]
    assert all(len(row) == len(header) for row in rows)
    frame = flopsheet.serving_cards("Llama-2-70B", "100万", 1000, 500, 12, "50 ms/token", ["A10 bf16", "H200 bf16"], 0.3)
    for row, expected in zip(rows, frame.itertuples(index=False)):
        for cell, value in zip(row, expected):
            assert cell == ("" if value != value else pytest.approx(value) if isinstance(value, float) else value)


def test_without_pandas_serving_cards_spills_the_same_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """The xlwings Lite bundle carries no pandas: the add-in gets the same cells from a plain table."""
    from flopsheet.addin.cells import frame_cells

    arguments = ("Llama-2-70B", "100万", 1000, 500, 12, "50 ms/token", ["A10 bf16", "H200 bf16"])
    with_pandas = frame_cells(flopsheet.serving_cards(*arguments))
    monkeypatch.setitem(sys.modules, "pandas", None)
    plain = flopsheet.serving_cards(*arguments)
    assert type(plain).__name__ == "Rows" and plain.attrs["load"]["concurrent_requests"] > 0
    assert frame_cells(plain) == with_pandas


def test_serving_plans_spills_every_layout_best_first(server: types.ModuleType) -> None:
    """Issue 21: SERVING_PLANS through xlwings' Office.js call path, against the Python table."""
    cards = [["H100 bf16"], ["H200 bf16"]]
    table = office_call(server, "SERVING_PLANS", "Llama-2-70B", "100万", 1000, 500, 12, "50 ms/token", cards)
    header, *rows = table
    assert header[:13] == ["card", "layout", "replica_cards", "replicas", "cards", "batch_per_replica", "ms_per_token",
                           "ttft_s", "binding", "tokens_per_s_per_card", "cost_per_mtoken", "feasible", "reason"]
    frame = flopsheet.serving_plans("Llama-2-70B", "100万", 1000, 500, 12, "50 ms/token", ["H100 bf16", "H200 bf16"])
    assert len(rows) == len(frame) and all(len(row) == len(header) for row in rows)
    assert rows[0][11] is True and rows[-1][11] is False  # feasible first
    for row, expected in zip(rows, frame.itertuples(index=False)):
        for cell, value in zip(row, expected):
            assert cell == ("" if value != value else pytest.approx(value) if isinstance(value, float) else value)
    refused = office_call(server, "SERVING_PLANS", "Llama-2-70B", "100万", 1000, 500, 12, "50 GB", cards)
    assert refused[0][0].startswith("#VALUE! latency") and "Traceback" not in refused[0][0]
