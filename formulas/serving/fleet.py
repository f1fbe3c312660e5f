"""What :func:`flopsheet.serving_cards` and the serving planner share: the load, the card list, defaults.

:func:`flopsheet.serving_cards` itself is the serving planner's best row per card type
(:mod:`flopsheet.formulas.serving.planner`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from ...units import InputError, Q
from .. import args
from .inference import _per_call_to_count, busy_call_rate
from .model import CONTEXT
from .bounds import latency_arg

#: The cards of the issue's comparison: Table 6's A10, the A100 of Table 5, the H100, the
#: China-market H20 (low FLOPS, high bandwidth) and the H200, all at bf16.
DEFAULT_CARDS: tuple[str, ...] = ("A10 bf16", "A100 bf16", "H100 bf16", "H20 bf16", "H200 bf16")
#: Default latency target per output token: 20 tokens/s per user, faster than people read
#: (an assumption; set your service's target).
DEFAULT_LATENCY = "50 ms/token"
#: Default tokens per call: Table 6's 1000 asked and 1000 answered (its printed 8.0e14
#: FLOP per call implies both).
DEFAULT_PROMPT_TOKENS = 1000
DEFAULT_ANSWER_TOKENS = 1000
TOKEN_RATE = args.ArgKind("token/s", "tokens per second (prompt plus answer)", "138889 tokens/s")
BOUNDS: tuple[str, ...] = ("compute", "bandwidth", "capacity")
#: What each column holds, in which unit (``frame.attrs["units"]``).
COLUMN_UNITS: dict[str, str] = {
    "replica_cards": "card", "compute_cards": "card", "bandwidth_cards": "card", "capacity_cards": "card",
    "cards": "card", "batch_per_replica": "", "ms_per_token": "ms/token", "prefill_s": "s",
    "tokens_per_s_per_card": "token/s/card", "cost_per_mtoken": "currency/Mtoken",
}
COLUMNS: list[str] = ["card", "replica_cards", "compute_cards", "bandwidth_cards", "capacity_cards", "binding", "cards",
                      "batch_per_replica", "ms_per_token", "prefill_s", "tokens_per_s_per_card", "cost_per_mtoken",
                      "note", "layout"]


@dataclass(frozen=True)
class Load:
    """A serving load as rates: calls per second, tokens per call, latency target."""

    call_rate: pint.Quantity
    prompt: pint.Quantity
    answer: pint.Quantity
    latency: pint.Quantity

    @property
    def output_rate(self) -> pint.Quantity:
        """Output (answer) tokens per second."""
        return (self.call_rate * self.answer / Q(1, "call")).to("token/s")

    @property
    def token_rate(self) -> pint.Quantity:
        """Prompt plus answer tokens per second."""
        return (self.call_rate * (self.prompt + self.answer) / Q(1, "call")).to("token/s")

    @property
    def full_context(self) -> pint.Quantity:
        """Tokens of a finished call (prompt plus answer)."""
        return self.prompt + self.answer

    @property
    def mean_context(self) -> pint.Quantity:
        """Mean tokens in the KV cache while the answer is decoded: prompt + (answer + 1) / 2."""
        return self.prompt + (self.answer + Q(1, "token")) / 2


def _tokens_per_call(value: Any, argument: str) -> pint.Quantity:
    """Read tokens per call ("1000", "1000 tokens", "1000 tokens/call")."""
    return args.quantity_arg(_per_call_to_count(value, "token", argument), argument, CONTEXT)


def _scalar(quantity: pint.Quantity, argument: str) -> pint.Quantity:
    """serving_cards sizes one load: refuse arrays."""
    if np.ndim(quantity.magnitude) != 0:
        raise InputError(argument, "a range of values", "one value (serving_cards sizes one load; loop for a sweep)")
    return quantity


def read_load(calls_per_day: Any, prompt_tokens: Any, answer_tokens: Any, busy_hours: Any, latency: Any,
              tokens_per_second: Any) -> Load:
    """Read a load given as calls per day (within busy hours) or as tokens per second.

    Examples
    --------
    >>> load = read_load("100万", 1000, 500, 12, "50 ms/token", None)
    >>> round(load.call_rate.to("call/s").m, 2), round(load.output_rate.m)
    (23.15, 11574)
    """
    prompt = _scalar(_tokens_per_call(prompt_tokens, "prompt_tokens"), "prompt_tokens")
    answer = _scalar(_tokens_per_call(answer_tokens, "answer_tokens"), "answer_tokens")
    if (calls_per_day is None) == (tokens_per_second is None):
        raise InputError("calls_per_day", calls_per_day, "either calls_per_day or tokens_per_second (one of them)")
    if calls_per_day is not None:
        rate = busy_call_rate(calls_per_day, busy_hours)
    else:
        tokens = args.quantity_arg(tokens_per_second, "tokens_per_second", TOKEN_RATE)
        rate = (tokens / (prompt + answer) * Q(1, "call")).to("call/s")
    return Load(_scalar(rate, "calls_per_day"), prompt, answer, _scalar(latency_arg(latency), "latency"))


def _references(cards: Any) -> list[str]:
    """Card references from one text, a list, or an Excel range (rows of cells); blanks skipped."""
    if isinstance(cards, str):
        return [cards]
    found: list[str] = []
    for item in cards if isinstance(cards, Iterable) else [cards]:
        if isinstance(item, (list, tuple)):
            found += _references(item)
        elif isinstance(item, str) and item.strip():
            found.append(item.strip())
        elif item is not None and not (isinstance(item, str)):
            raise InputError("cards", item, 'catalogue references with their precision, like "A100 bf16"')
    if not found:
        raise InputError("cards", cards, 'at least one catalogue reference, like "A100 bf16"')
    return found
