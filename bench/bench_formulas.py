"""Benchmark flopsheet formulas against raw numpy in the same run; prints ratios.

Run: .venv/bin/python bench/bench_formulas.py  (never used as a timed test assertion)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

import flopsheet

#: Elements in the vectorised benchmark.
ARRAY_SIZE = 1_000_000
#: Repeats per measurement; the median is reported.
REPEATS = 5
#: Seconds per day, for the raw-numpy baseline.
SECONDS_PER_DAY = 86_400
#: A100 tf32 peak in FLOP/s per card (catalogue), for the raw-numpy baseline.
A100_TF32_FLOPS = 156e12


def median_seconds(function: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median wall time of ``function`` over ``repeats`` calls."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    """Print flopsheet / numpy time ratios for an array and a scalar workload."""
    rng = np.random.default_rng(0)
    params = rng.uniform(1e9, 1e12, ARRAY_SIZE)
    tokens = rng.uniform(1e11, 1e13, ARRAY_SIZE)
    days = rng.uniform(30, 180, ARRAY_SIZE)

    def raw_numpy() -> np.ndarray:
        return params * tokens * 6 / (A100_TF32_FLOPS * 0.302 * days * SECONDS_PER_DAY)

    def with_flopsheet() -> object:
        flops = flopsheet.train_flops(params, tokens)
        return flopsheet.train_cards(flops, "A100 tf32", 0.302, days)

    assert np.allclose(raw_numpy(), with_flopsheet().magnitude)
    array_raw, array_fs = median_seconds(raw_numpy), median_seconds(with_flopsheet)

    def scalar_raw() -> float:
        return 2e11 * 4.9e12 * 6 / (A100_TF32_FLOPS * 0.302 * 90 * SECONDS_PER_DAY)

    def scalar_fs() -> object:
        return flopsheet.train_cards(flopsheet.train_flops(2e11, 4.9e12), "A100 tf32", 0.302, 90)

    loops = 200
    scalar_raw_s = median_seconds(lambda: [scalar_raw() for _ in range(loops)]) / loops
    scalar_fs_s = median_seconds(lambda: [scalar_fs() for _ in range(loops)]) / loops
    print(f"array of {ARRAY_SIZE:,}: numpy {array_raw * 1e3:.1f} ms, flopsheet {array_fs * 1e3:.1f} ms, "
          f"ratio {array_fs / array_raw:.2f}x")
    print(f"scalar: plain floats {scalar_raw_s * 1e6:.2f} us, flopsheet {scalar_fs_s * 1e6:.1f} us, "
          f"ratio {scalar_fs_s / scalar_raw_s:,.0f}x")


if __name__ == "__main__":
    main()
