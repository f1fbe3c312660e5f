"""`flopsheet serve` reports the three bounds of issue 15 when it knows the KV cache."""

from __future__ import annotations

import json

import pytest

import flopsheet
from flopsheet.cli import main

LLAMA = ["serve", "--params", "Llama-2-70B", "--tokens-per-call", "1500", "--answer-tokens", "500",
         "--calls-per-day", "100万", "--card", "H100 bf16", "--mfu", "50%", "--busy-hours", "12"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_serve_with_a_shape_prints_the_three_bounds_of_serving_cards(capsys) -> None:
    code, out, _ = run(capsys, *LLAMA, "--format", "json")
    assert code == 0
    results = {row["name"]: row["value"] for row in json.loads(out)["results"]}
    frame = flopsheet.serving_cards("Llama-2-70B", "100万", 1000, 500, 12, cards="H100 bf16", utilization=0.5)
    expected = frame.iloc[0]
    assert results["replica_cards"] == expected["replica_cards"] == 2
    assert results["bandwidth_cards"] == pytest.approx(expected["bandwidth_cards"])
    assert results["capacity_cards"] == pytest.approx(expected["capacity_cards"])
    assert results["serving_cards"] == expected["cards"] == 80
    code, out, _ = run(capsys, *LLAMA)
    assert "cards that serve (capacity binds)" in out


def test_serve_with_a_bare_count_says_what_the_bounds_need(capsys) -> None:
    table6 = ["serve", "--params", "2000亿", "--tokens-per-call", "2000", "--calls-per-day", "300万", "--card",
              "A10 fp16", "--mfu", "30%", "--busy-hours", "12"]
    code, out, _ = run(capsys, *table6)
    assert code == 0 and "need a model shape (--params Llama-2-70B) or --kv-bytes-per-token" in out
    code, out, _ = run(capsys, *table6, "--kv-bytes-per-token", "393216 B/token", "--format", "json")
    results = {row["name"]: row["value"] for row in json.loads(out)["results"]}
    assert results["cards"] == pytest.approx(1481.48, abs=0.01)
    assert results["replica_cards"] == 24 and results["serving_cards"] > results["cards"]


@pytest.mark.parametrize(("extra", "message"), [
    (["--answer-tokens", "1500"], "--answer-tokens: must be fewer than the 1500 tokens per call"),
    (["--latency", "50"], "--latency needs a unit"),
    (["--efficiency", "150%"], "--efficiency: must be in (0, 100%]"),
    (["--params", "Llama-9"], "--params"),
])
def test_serve_bound_options_are_checked(capsys, extra: list[str], message: str) -> None:
    argv = list(LLAMA)
    if extra[0] in argv:
        argv[argv.index(extra[0]) + 1] = extra[1]
    else:
        argv += extra
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and message in err and "Traceback" not in err
