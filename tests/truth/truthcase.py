"""One published figure set against flopsheet's value: the record every truth module lists.

A truth module (``tests/truth/test_*.py``) defines ``CASES: list[TruthCase]`` and runs
:func:`check` over them. The docs build reads the same lists to print the table of cases
(case, reference, flopsheet, error), misses as plainly as hits.

A case states its tolerance (relative: 0.02 for arithmetic facts such as weights, KV bytes
and FLOP counts; wider and stated for throughput and utilization). A case that flopsheet
is known to miss is ``expected="miss"``: the test then asserts the miss (so a change that
silently turns it into a hit, or moves it, is seen) and the table shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class TruthCase:
    """A published figure, where it is published, and how flopsheet computes the same figure.

    ``reference`` and the result of ``compute`` are plain numbers in ``unit``.
    """

    id: str
    what: str
    citation: str
    reference: float
    unit: str
    tolerance: float
    compute: Callable[[], float]
    expected: Literal["hit", "miss"] = "hit"
    note: str = ""

    def error(self) -> float:
        """flopsheet's relative error against the reference (signed)."""
        return self.compute() / self.reference - 1.0


def check(case: TruthCase) -> None:
    """Assert a hit within the tolerance, or a recorded miss outside it, with a readable message."""
    value = case.compute()
    error = value / case.reference - 1.0
    message = (f"{case.id}: flopsheet {value:.6g} {case.unit} vs published {case.reference:.6g} "
               f"({error:+.1%}, tolerance {case.tolerance:.0%}; {case.citation})")
    if case.expected == "hit":
        assert abs(error) <= case.tolerance, message
    else:
        assert abs(error) > case.tolerance, "now within tolerance, record it as a hit: " + message
