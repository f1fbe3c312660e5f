"""flopsheet's benchmark suite: every figure a ratio against its baseline in the same run.

Run: ``.venv/bin/python bench/run.py [--quick]``. Prints a table and rewrites the suite
section of ``bench/results.md`` (between its markers; other sections stay).

Each benchmark is a pair (flopsheet, baseline). The two are run interleaved, A B A B
..., each timing a batch of calls; the reported figure is the median of the paired
ratios with their min and max, so a machine that slows down mid-run slows both sides.
Never used as a timed assertion in tests (the suite's tests only check that it runs).
"""

from __future__ import annotations

import argparse
import asyncio
import io
from copy import copy as copy_style
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings.server needs one; set before import
RESULTS = Path(__file__).with_name("results.md")
START, END = "<!-- suite:start (written by bench/run.py) -->", "<!-- suite:end -->"
#: Elements of the array benchmarks.
ARRAY_SIZE = 1_000_000
#: Cells of the add-in column benchmark.
ADDIN_CELLS = 10_000
#: A100 tf32 dense peak, FLOP/s per card (formulas/catalogues/data/accelerators.toml), for the baselines.
A100_TF32_FLOPS = 156e12
SECONDS_PER_DAY = 86_400
#: Table 5's printed training compute, FLOP.
TABLE5_FLOPS = 5.895053151373e24


@dataclass(frozen=True)
class Pair:
    """One benchmark: flopsheet's callable, the baseline's, how many calls per timing, the target."""

    name: str
    flopsheet: Callable[[], object]
    baseline: Callable[[], object]
    baseline_name: str
    calls: int
    target: str


def _batch_seconds(function: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def paired_ratios(pair: Pair, rounds: int) -> tuple[list[float], float, float]:
    """Interleave A B A B; return the paired ratios and the median seconds per call of each side."""
    pair.flopsheet(), pair.baseline()  # warm caches and imports
    ratios, ours, theirs = [], [], []
    for _ in range(rounds):
        mine = _batch_seconds(pair.flopsheet, pair.calls)
        base = _batch_seconds(pair.baseline, pair.calls)
        ratios.append(mine / base)
        ours.append(mine)
        theirs.append(base)
    return ratios, statistics.median(ours), statistics.median(theirs)


# --- the pairs -------------------------------------------------------------------------------


def _formula_pairs() -> list[Pair]:
    import pint

    import flopsheet

    default = pint.UnitRegistry()
    flops = flopsheet.Q(TABLE5_FLOPS, "FLOP")

    def naive_pint() -> object:
        return (default.Quantity(TABLE5_FLOPS, "") / (default.Quantity(156e12, "1/s") * 0.302
                                                       * default.Quantity(105, "day"))).to("")

    def text() -> object:
        return flopsheet.train_cards(flops, "A100 tf32", "30.2%", "105 days")

    def floats() -> object:
        return flopsheet.train_cards(TABLE5_FLOPS, 156, 0.302, 105)

    rng = np.random.default_rng(0)
    params, tokens = rng.uniform(1e9, 1e12, ARRAY_SIZE), rng.uniform(1e11, 1e13, ARRAY_SIZE)
    days = rng.uniform(30, 180, ARRAY_SIZE)
    work = params * tokens * 6

    return [
        Pair("scalar train_cards, text arguments", text, naive_pint, "naive pint expression (default registry)",
             2000, "<= 0.1"),
        Pair("scalar train_cards, plain floats", floats, text, "the same call with text arguments", 2000, "<= 1"),
        Pair("train_cards over 1e6 elements", lambda: flopsheet.train_cards(work, "A100 tf32", 0.302, days),
             lambda: work / (A100_TF32_FLOPS * 0.302 * days * SECONDS_PER_DAY), "raw numpy", 3, "<= 1.3"),
        Pair("train_flops over 1e6 elements", lambda: flopsheet.train_flops(params, tokens),
             lambda: params * tokens * 6, "raw numpy", 3, "<= 1.3"),
    ]


def _model_pairs() -> list[Pair]:
    import flopsheet

    vary = {"duration": "60 days..180 days:2.448979591836735 days", "utilization": "20%..50%:0.6122448979591837%"}
    assert flopsheet.sweep("table5_kimi_training", vary).shape == (50, 50)
    return [Pair("50 x 50 sweep of Table 5", lambda: flopsheet.sweep("table5_kimi_training", vary),
                 lambda: flopsheet.evaluate("table5_kimi_training"), "one evaluate of Table 5", 3, "<= 3")]


def _command_pairs() -> list[Pair]:
    script = Path(sys.executable).with_name("flopsheet")

    def run(*command: str) -> Callable[[], object]:
        return lambda: subprocess.run(command, capture_output=True, check=True)

    return [Pair("flopsheet show table5_kimi_training", run(str(script), "show", "table5_kimi_training"),
                 run(sys.executable, "-c", "import flopsheet"), 'python -c "import flopsheet"', 1, "<= 1.3")]


def _addin_pairs() -> list[Pair]:
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    import types

    import xlwings
    from xlwings.server import arg, custom_functions_call, func

    from flopsheet.addin import server

    identity = types.ModuleType("identity_udfs")

    @func
    @arg("values", "raw")
    def IDENTITY(values):  # noqa: N802, ANN001, ANN202 - an Excel function name
        return values

    @func
    @arg("values", ndim=2)
    def IDENTITY_CONVERTED(values):  # noqa: N802, ANN001, ANN202 - xlwings' default conversion
        return values

    identity.IDENTITY, identity.IDENTITY_CONVERTED = IDENTITY, IDENTITY_CONVERTED
    column = [[float(value)] for value in np.linspace(1e24, 1e25, ADDIN_CELLS)]

    def call(module: object, name: str, args: list) -> Callable[[], object]:
        data = {"func_name": name, "args": args, "version": xlwings.__version__, "runtime": "1.4",
                "caller_address": "Sheet1!A1", "formula_name": name, "culture_info_name": "en-US",
                "date_format": "M/d/yyyy"}
        return lambda: asyncio.run(custom_functions_call(data, module))

    ours = call(server, "TRAIN_CARDS", [column, [["A100 tf32"]], [["30.2%"]], [["105 days"]]])
    return [Pair(f"add-in: TRAIN_CARDS over a {ADDIN_CELLS:,}-cell column", ours,
                 call(identity, "IDENTITY", [column]), "the same column through an identity function (raw)", 1,
                 "flopsheet's share <= 5 µs/cell"),
            Pair(f"add-in: identity over {ADDIN_CELLS:,} cells, xlwings' per-cell conversion",
                 call(identity, "IDENTITY_CONVERTED", [column]), call(identity, "IDENTITY", [column]),
                 "the same declared raw (what flopsheet's value arguments do)", 1, "(upstream cost, for the record)")]


def _build_pairs() -> list[Pair]:
    import openpyxl

    from flopsheet.workbooks.xlsx.templates import TEMPLATE_DIR, build_templates

    outdir = Path(tempfile.mkdtemp(prefix="flopsheet-bench-"))
    loaded = [openpyxl.load_workbook(path) for path in sorted(TEMPLATE_DIR.glob("*.xlsx"))]

    def raw() -> object:
        """Write the same cells, formulas and styles with plain openpyxl, then save."""
        for source in loaded:
            target = openpyxl.Workbook()
            target.remove(target.active)
            for sheet in source.worksheets:
                copy = target.create_sheet(sheet.title)
                for row in sheet.iter_rows():
                    for cell in row:
                        if cell.value is None and not cell.has_style:
                            continue
                        new = copy.cell(cell.row, cell.column, cell.value)
                        if cell.has_style:
                            new.font, new.fill = copy_style(cell.font), copy_style(cell.fill)
                            new.alignment = copy_style(cell.alignment)
                            new.number_format = cell.number_format
                for key, dimension in sheet.column_dimensions.items():
                    copy.column_dimensions[key].width = dimension.width
            target.save(io.BytesIO())
        return None

    return [Pair("flopsheet build", lambda: build_templates(outdir), raw,
                 "raw openpyxl writing the same cells, formulas and styles, then saving", 1, "<= 1.5")]


def _simulate_pairs() -> list[Pair]:
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_simulate  # noqa: PLC0415 - the Monte Carlo benchmark module beside this one

    return [Pair("Monte Carlo of Table 5, 1e6 samples (simulate)", bench_simulate.with_flopsheet,
                 bench_simulate.raw_numpy, "the same sampling and arithmetic in raw numpy", 1, "<= 2")]


def _serving_pairs() -> list[Pair]:
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_serving  # noqa: PLC0415 - the serving planner benchmark module beside this one

    return [Pair("serving_plans: Llama 2 70B on 5 card types, all layouts, one load", bench_serving.five_cards,
                 bench_serving.raw_numpy_five, "the same arithmetic for the five cards in raw numpy (catalogue read "
                 "once)", 1, "< 50 ms"),
            Pair("serving_plans: sweep of 10,000 loads x all layouts (H100)", bench_serving.sweep,
                 bench_serving.raw_numpy, "the same table in raw numpy: its 18 number columns, binding and "
                 "feasible, sorted best first per load (tests/test_bench_baselines.py checks they are equal)", 1,
                 "<= 3"),
            Pair("serving_plans: the same sweep against a narrower baseline", bench_serving.sweep,
                 bench_serving.raw_numpy_core_only, "raw numpy of 7 of those columns only (cards, replicas, batch, "
                 "step, TTFT, tokens/s, feasible): the baseline of earlier runs", 1, "(for the record)")]


#: The planner benchmark (issue 25): Megatron-LM's 1T GPT (arXiv:2104.04473, Table 1) on 3,072 A100.
PLANNER_CARDS = 3072
PLANNER_BATCH = 3072


def _planner_case() -> tuple[object, dict[str, object]]:
    from flopsheet.formulas.catalogues.shapes import model_shape

    shape = model_shape("GPT 1T", layers=128, d_model=25600, heads=160, vocab=51200, positions="learned",
                        norm="layernorm", bias="all", max_context=2048)
    return shape, dict(cards=PLANNER_CARDS, card="A100 bf16", sequence=2048, global_batch=PLANNER_BATCH)


def planner_layouts() -> int:
    """Layouts one full search of the planner benchmark evaluates."""
    from flopsheet.formulas.training.planner import training_plans

    shape, keywords = _planner_case()
    return len(training_plans(shape, **keywords))


def _planner_pairs() -> list[Pair]:
    from flopsheet.formulas.training.planner import (Workload, enumerate_layouts, evaluate_layouts, system,
                                                     training_plans)

    shape, keywords = _planner_case()
    workload = Workload(shape, 2048, PLANNER_BATCH)
    card = system("A100 bf16")
    layouts = enumerate_layouts(workload, PLANNER_CARDS, card, {})
    return [Pair(f"training_plans: every layout of a 1T GPT on 3,072 A100 ({len(layouts):,} layouts)",
                 lambda: training_plans(shape, **keywords),
                 lambda: evaluate_layouts(workload, layouts, card, 0.8, PLANNER_CARDS),
                 "the same layouts already as arrays, evaluated in numpy (no reading, enumeration or table)", 1,
                 "< 1 s; ratio <= 5")]


def _cluster_pairs() -> list[Pair]:
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_cluster  # noqa: PLC0415 - the cluster fabric benchmark module beside this one

    return [Pair("cluster_network, 1,000,000 cards (DataFrame per tier)", bench_cluster.flopsheet_million,
                 bench_cluster.raw_million, "the same fat-tree arithmetic in raw numpy", 20, "< 10 ms absolute"),
            Pair("optics_per_card over 1,000 cluster sizes", bench_cluster.flopsheet_sweep, bench_cluster.raw_sweep,
                 "the same fat-tree arithmetic in raw numpy, vectorised", 10, "<= 20 (builds a 7-column DataFrame)")]


GROUPS: dict[str, Callable[[], list[Pair]]] = {
    "formulas": _formula_pairs, "model": _model_pairs, "commands": _command_pairs, "addin": _addin_pairs,
    "build": _build_pairs, "simulate": _simulate_pairs, "serving": _serving_pairs, "training": _planner_pairs,
    "cluster": _cluster_pairs,
}


# --- reporting -------------------------------------------------------------------------------


def machine() -> str:
    """Cores, CPU and versions, for the results table."""
    import pint
    import xlwings

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}, numpy {np.__version__}, "
            f"pint {pint.__version__}, xlwings {xlwings.__version__}")


def _seconds(value: float) -> str:
    return f"{value * 1e6:,.1f} µs" if value < 1e-3 else f"{value * 1e3:,.1f} ms" if value < 1 else f"{value:.2f} s"


def run(groups: list[str], rounds: int) -> str:
    """Run the chosen groups; return the Markdown table."""
    lines = [f"Machine: {machine()}. {rounds} interleaved rounds per figure; ratio = flopsheet / baseline, "
             "median (min-max) of the paired ratios.", "",
             "| figure | baseline | flopsheet | baseline time | ratio (min-max) | target |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for group in groups:
        for pair in GROUPS[group]():
            ratios, ours, theirs = paired_ratios(pair, rounds)
            extra = ""
            if pair.name.startswith("add-in: TRAIN_CARDS"):
                extra = f"; flopsheet's share {(ours - theirs) / ADDIN_CELLS * 1e6:.1f} µs/cell"
            if pair.name.startswith("training_plans:"):
                count = planner_layouts()
                extra = f"; {count / ours:,.0f} layouts/s searched ({count / theirs:,.0f} evaluated in numpy)"
            lines.append(f"| {pair.name} | {pair.baseline_name} | {_seconds(ours)} | {_seconds(theirs)} | "
                         f"{statistics.median(ratios):.3g}x ({min(ratios):.3g}-{max(ratios):.3g}){extra} | "
                         f"{pair.target} |")
            print(lines[-1], flush=True)
    return "\n".join(lines)


def write_results(table: str) -> None:
    """Replace the suite section of results.md (created if absent), keeping the rest."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    section = f"{START}\n## Suite (latest run)\n\n{table}\n{END}"
    if START in text and END in text:
        text = text[:text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="flopsheet benchmark suite (ratios against baselines)")
    parser.add_argument("--group", action="append", choices=sorted(GROUPS), help="run only these groups")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds per figure (default 7)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    options = parser.parse_args(argv)
    table = run(options.group or list(GROUPS), options.rounds)
    if not options.no_write:
        write_results(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
