"""Monte Carlo of Table 5 with 1e6 samples: flopsheet.simulate against the same arithmetic in raw numpy.

Run: .venv/bin/python bench/bench_simulate.py  (never used as a timed test assertion)

Both sides draw the same samples (input ``i`` from ``default_rng(seed).spawn(inputs)[i]``:
duration uniform 90..120 days, utilization uniform 30%..46%), compute the model's cards
and take its 5th/50th/95th percentiles and mean. flopsheet also evaluates the base case,
the tornado (one more evaluation over 4 points) and builds the samples DataFrame: all
of that is in its time. The two are timed interleaved (A B A B ...) in one run; the
table reports the median of the paired ratios with their min and max, the machine and
the versions. Target (issue 16): <= 2x.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pint

import flopsheet
from flopsheet.workbooks.model.spec import load_spec

#: Samples per Monte Carlo run (the issue's figure).
SAMPLES = 1_000_000
#: Paired runs; the median ratio is reported.
PAIRS = 11
SEED = 1
MODEL = "table5_kimi_training"
#: Table 5 at its stated inputs, for the raw-numpy side: 30 TB, 2 bytes/char, 5.1 chars/word,
#: 0.75 words/token, 6 FLOP/parameter/token, 2000亿 parameters, A100 tf32 156 TFLOPS/card.
DATA_BYTES, BYTES_PER_CHAR, CHARS_PER_WORD, WORDS_PER_TOKEN = 30e12, 2, 5.1, 0.75
FLOP_PER_PARAMETER_TOKEN, PARAMETERS, PEAK_FLOPS = 6, 2e11, 156e12
SECONDS_PER_DAY = 86_400
#: The ranges, in flopsheet's text and as numbers for numpy.
DURATION_DAYS, UTILIZATION = (90.0, 120.0), (0.30, 0.46)
TARGET = 2.0


@dataclass(frozen=True)
class Ratio:
    """One benchmark figure: flopsheet time / baseline time, paired runs."""

    name: str
    baseline: str
    median: float
    low: float
    high: float
    flopsheet_seconds: float
    baseline_seconds: float
    target: float


def _seconds(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def raw_numpy() -> np.ndarray:
    """Draw the samples, compute cards, return p5, p50, p95 and the mean."""
    names = [item.name for item in load_spec(MODEL).inputs]
    streams = np.random.default_rng(SEED).spawn(len(names))
    utilization = streams[names.index("utilization")].uniform(*UTILIZATION, SAMPLES)
    duration = streams[names.index("duration")].uniform(*DURATION_DAYS, SAMPLES)
    tokens = DATA_BYTES / (BYTES_PER_CHAR * CHARS_PER_WORD * WORDS_PER_TOKEN)
    flops = PARAMETERS * tokens * FLOP_PER_PARAMETER_TOKEN
    cards = flops / (PEAK_FLOPS * utilization * duration * SECONDS_PER_DAY)
    return np.append(np.percentile(cards, [5, 50, 95]), cards.mean())


def with_flopsheet() -> np.ndarray:
    """The same Monte Carlo through flopsheet.simulate."""
    result = flopsheet.simulate(MODEL, n=SAMPLES, seed=SEED, duration=f"{DURATION_DAYS[0]:g}..{DURATION_DAYS[1]:g} days",
                                utilization=f"{UTILIZATION[0]:.0%}..{UTILIZATION[1]:.0%}")
    return result.percentiles.loc["cards", ["p5", "p50", "p95", "mean"]].to_numpy(dtype=float)


def run(pairs: int = PAIRS) -> list[Ratio]:
    """Time flopsheet and raw numpy interleaved; return the ratios (and print the table)."""
    np.testing.assert_allclose(with_flopsheet(), raw_numpy(), rtol=1e-12)  # same numbers, and warmed up
    ratios, ours, theirs = [], [], []
    for _ in range(pairs):
        baseline = _seconds(raw_numpy)
        mine = _seconds(with_flopsheet)
        ratios.append(mine / baseline)
        ours.append(mine)
        theirs.append(baseline)
    result = [Ratio(f"simulate {MODEL}, {SAMPLES:,} samples, 2 ranges", "raw numpy (same samples, percentiles)",
                    statistics.median(ratios), min(ratios), max(ratios), statistics.median(ours),
                    statistics.median(theirs), TARGET)]
    print(table(result))
    return result


def machine() -> str:
    """Cores, CPU and versions, for the table's footer."""
    return (f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
            f"numpy {np.__version__}, pint {pint.__version__}, flopsheet {flopsheet.__version__}")


def table(ratios: list[Ratio]) -> str:
    """A Markdown table of the ratios."""
    lines = ["| figure | baseline | flopsheet | baseline | ratio (median) | min | max | target |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {ratio.name} | {ratio.baseline} | {ratio.flopsheet_seconds * 1e3:.1f} ms | "
              f"{ratio.baseline_seconds * 1e3:.1f} ms | {ratio.median:.2f}x | {ratio.low:.2f}x | {ratio.high:.2f}x | "
              f"<= {ratio.target:g}x |" for ratio in ratios]
    return "\n".join(lines) + f"\n\n{machine()}"


if __name__ == "__main__":
    run()
