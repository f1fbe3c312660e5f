"""Tables 5 and 6 of seed 001 recomputed with flopsheet, with the audit facts.

This is the first command's main job until the spec-driven reports take over: it
prints what the report printed, what its stated inputs really give, and why they differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import formulas
from ..units import Q, format_eng
from .outputs.text_table import render_table

#: Seed 001 Table 5, stated inputs.
TABLE5_PARAMS = "2000亿 parameters"
TABLE5_DATA_STATED = "30 TB"
TABLE5_DATA_PRINTED = "37,580,963,840 kB"  # printed as "kb"; 35 x 1024**3 (35 TiB in KiB) read as kB
TABLE5_PEAK = "A100 tf32"
TABLE5_UTILIZATION = "30.2%"
#: The peak the 30.2% MFU was measured against (PaLM paper, Table 3; MT-NLG on A100 bf16).
TABLE5_CONSISTENT_PEAK = "A100 bf16"
#: Seed 001 Table 5, printed results.
TABLE5_PRINTED_TOKENS = 4_912_544_292_810
TABLE5_PRINTED_CARDS = 13_793
#: Seed 001 Table 6, stated inputs and printed results.
TABLE6_PARAMS = "2000亿 parameters"
TABLE6_TOKENS_STATED = "1000 tokens"
TABLE6_TOKENS_IMPLIED = "2000 tokens"  # 1000 asked + 1000 answered
TABLE6_CALLS = "300万 calls/day"  # 10万 DAU x 30 calls per user per day
TABLE6_PEAK = "A10 fp16"
TABLE6_UTILIZATION = "30%"
TABLE6_BUSY_HOURS = "12 hours"
TABLE6_PRINTED_FLOPS_PER_CALL = 8.0e14
TABLE6_PRINTED_CARDS = 1481


@dataclass(frozen=True)
class Line:
    """One line of the summary: a label, flopsheet's value, the report's printed value."""

    label: str
    value: str
    printed: str = ""


def table5_lines() -> list[Line]:
    """Recompute Table 5 (Kimi training) under the printed and the stated inputs."""
    printed_tokens = formulas.data_tokens(TABLE5_DATA_PRINTED)
    printed_flops = formulas.train_flops(TABLE5_PARAMS, printed_tokens)
    stated_flops = formulas.train_flops(TABLE5_PARAMS, formulas.data_tokens(TABLE5_DATA_STATED))

    def cards(flops: object, duration: str) -> str:
        value = formulas.train_cards(flops, TABLE5_PEAK, TABLE5_UTILIZATION, duration)
        return f"{value.m:,.0f} card"

    consistent = formulas.train_cards(printed_flops, TABLE5_CONSISTENT_PEAK, formulas.mfu("Megatron-Turing NLG"), "105 days")
    data_tib = Q(TABLE5_DATA_PRINTED).to("TiB")
    return [
        Line("tokens from 37,580,963,840 kB", f"{printed_tokens.m:,.0f} token", f"{TABLE5_PRINTED_TOKENS:,}"),
        Line("training FLOP (6 x 2000亿 x tokens)", format_eng(printed_flops), "5.90E+24"),
        Line("cards, 105 days", cards(printed_flops, "105 days"), f"{TABLE5_PRINTED_CARDS:,}"),
        Line("cards, 90 days", cards(printed_flops, "90 days"), f"{TABLE5_PRINTED_CARDS:,}"),
        Line("cards, 3 months (pint month = 30.4375 days)", cards(printed_flops, "3 months"), f"{TABLE5_PRINTED_CARDS:,}"),
        Line("cards, stated 30 TB and 90 days", cards(stated_flops, "90 days"), f"{TABLE5_PRINTED_CARDS:,}"),
        Line("audit: the printed data figure", f"{Q(TABLE5_DATA_PRINTED).to('TB').m:.2f} TB = {data_tib.m:.2f} TiB",
             "30 TB"),
        Line("audit: 37,580,963,840 = 35 x 1024^3", "35 TiB written in KiB, then read as kB (x1000)"),
        Line("audit: 30.2% MFU is relative to A100 bf16 (312)", f"{consistent.m:,.0f} card at 105 days", f"{TABLE5_PRINTED_CARDS:,}"),
    ]


def table6_lines() -> list[Line]:
    """Recompute Table 6 (Kimi inference) under the stated and the implied tokens per call."""
    stated = formulas.infer_flops(TABLE6_PARAMS, TABLE6_TOKENS_STATED)
    implied = formulas.infer_flops(TABLE6_PARAMS, TABLE6_TOKENS_IMPLIED)
    daily = (implied / Q(1, "call") * Q(TABLE6_CALLS) * Q(1, "day")).to("TFLOP")

    def cards(flops_per_call: object) -> str:
        value = formulas.infer_cards(flops_per_call, TABLE6_CALLS, TABLE6_PEAK, TABLE6_UTILIZATION, TABLE6_BUSY_HOURS)
        return f"{value.m:,.1f} card"

    return [
        Line("FLOP per call, 1000 tokens (stated)", format_eng(stated), "8.0e14"),
        Line("FLOP per call, 2000 tokens (1000 in + 1000 out)", format_eng(implied), "8.0e14"),
        Line("daily compute, 300万 calls", format_eng(daily), "2.4e9 TFLOP"),
        Line("cards, A10 fp16 125 TFLOPS, 30%, 12 busy hours", cards(implied), f"{TABLE6_PRINTED_CARDS:,}"),
        Line("cards with the stated 1000 tokens", cards(stated), f"{TABLE6_PRINTED_CARDS:,}"),
    ]


def render(title: str, lines: list[Line]) -> str:
    """Render lines as an aligned plain-text table under ``title``."""
    rows = [(line.label, line.value, line.printed) for line in lines]
    return f"{title}\n{render_table(('', 'flopsheet', 'printed'), rows, align='<><')}"


def summary_text() -> str:
    """Return the Table 5 and Table 6 summary as printed by ``flopsheet summary``."""
    return "\n\n".join([
        render("Table 5 - Kimi training compute (seed 001)", table5_lines()),
        render("Table 6 - Kimi inference compute (seed 001)", table6_lines()),
        "A month is pint's 1/12 Julian year (30.4375 days): '3 months' = 91.31 days, not 90.",
    ])
