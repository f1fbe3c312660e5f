"""``flopsheet simulate``: Monte Carlo of a model from the command line.

``flopsheet simulate MODEL --range NAME=LOW..HIGH [--range ...] [-n N] [--seed S]
[-o out.xlsx|out.json]`` prints the percentile table (p5, p50, p95, mean of every
result row) and the tornado of the main result, or writes the xlsx (percentile table,
histogram and tornado charts, samples, the live model) or the JSON report with
``percentiles`` per row. :func:`register` adds the command; :mod:`flopsheet.cli` composes it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..units import InputError
from ..workbooks.model.spec import load_spec
from ..workbooks.outputs.formats import format_value
from ..workbooks.outputs.safe_io import visible_path, visible_text
from ..workbooks.outputs.text_table import render_table
from .values import HELP_FORMAT

if TYPE_CHECKING:  # the handler imports pandas and openpyxl only when it runs
    from ..workbooks.model.simulate import Simulation

#: Exit code of a command that succeeded.
EXIT_OK = 0
#: Output suffixes ``-o`` accepts.
SUFFIXES = (".xlsx", ".json")
#: Defaults shown in ``--help`` (the same as :func:`flopsheet.simulate`'s, checked by the tests).
DEFAULT_SAMPLES, DEFAULT_SEED = 100_000, 0


def shown(value: float, unit: str, number_format: str = "") -> str:
    """A number for the table: a fraction (no unit) as a percentage, else :func:`format_value`.

    A unitless row whose spec format is not a percentage (``"#,##0"``: requests at once,
    a count) is a plain number, not "3.472e+05%".
    """
    if unit == "" and (not number_format or "%" in number_format):
        return f"{value * 100:.4g}%"
    return format_value(value)


def simulation_text(simulation: Simulation) -> str:
    """The percentile table and the tornado, as printed."""
    spec = simulation.model_spec
    formats = {item.name: item.format for item in (*spec.inputs, *spec.rows)}
    lines = [visible_text(f"{spec.title_en} / {spec.title_zh}: {simulation.n:,} samples, seed {simulation.seed}"),
             "ranges:"]
    units = simulation.tornado.set_index("input")["unit"]
    for name, distribution in simulation.ranges.items():
        unit = f" {units[name]}" if units[name] else ""
        lines.append(f"  {name} = {distribution.text} ({distribution.kind}, "
                     f"{shown(distribution.low, units[name], formats.get(name, ''))} to "
                     f"{shown(distribution.high, units[name], formats.get(name, ''))}{unit})")
    columns = ["base", *simulation.quantiles, "mean"]
    rows = [[("* " if name == simulation.target else "  ") + str(name), record["unit"],
             *(shown(record[column], record["unit"], formats.get(name, "")) for column in columns)]
            for name, record in simulation.percentiles.iterrows()]
    lines += ["", render_table(["row", "unit", *columns], rows, align="<<" + ">" * len(columns))]
    target = f"{simulation.target} ({simulation.target_unit})" if simulation.target_unit else simulation.target
    lines += ["", f"tornado of {target}: one input at a time at its low and high, the others at base"]
    target_format = formats.get(simulation.target, "")
    tornado = [[record.input, shown(record.low, record.unit, formats.get(record.input, "")),
                shown(record.high, record.unit, formats.get(record.input, "")), record.unit,
                *(shown(value, simulation.target_unit, target_format) for value in (record.target_at_low,
                                                                                    record.target_at_high, record.swing))]
               for record in simulation.tornado.itertuples()]
    lines.append(render_table(["input", "low", "high", "unit", "at low", "at high", "swing"], tornado,
                              align="<>><>>>"))
    lines += [visible_text(f"warning: {text}") for text in simulation.warnings]
    return "\n".join(lines) + "\n"


def _simulate(options: argparse.Namespace) -> int:
    """Run the simulation; print it or write it."""
    from .models import checked_assignments, parse_assignments
    from .values import check_distributions
    from ..workbooks.model.spec import load_spec
    from ..workbooks.model.simulate import simulate
    from ..workbooks.outputs.safe_io import atomic_write
    from ..workbooks.outputs.simulation_json import write_simulation_json
    from ..workbooks.xlsx.simulate_workbook import write_simulation_xlsx

    output = Path(options.output) if options.output else None
    if output is not None and output.suffix.lower() not in SUFFIXES:
        raise InputError("-o", str(output), "a .xlsx or .json file")
    values: dict[str, str] = {}
    ranges: dict[str, str] = {}
    if options.from_workbook:  # the edited template's values and typed low/high; --set and --range win
        from ..workbooks.xlsx.read_back import read_assumptions

        assumptions = read_assumptions(options.from_workbook, load_spec(options.model))
        values.update(assumptions)
        ranges.update(assumptions.ranges)
    values.update(checked_assignments(options, options.model))  # --set under the command line's bare-number rule
    typed_ranges = parse_assignments(options.range or [], option="--range")
    check_distributions(load_spec(options.model), typed_ranges)
    ranges.update(typed_ranges)
    for name in ranges:
        values.pop(name, None)
    values.update(ranges)
    simulation = simulate(options.model, options.n, options.seed, target=options.target,
                          percentiles=options.percentiles, **values)
    if output is None:
        print(simulation_text(simulation), end="")
        return EXIT_OK
    if output.suffix.lower() == ".xlsx":
        write_simulation_xlsx(simulation, output)
    else:
        atomic_write(output, lambda target: write_simulation_json(simulation, target))
    print(visible_path(output))  # a path's control bytes shown as text, never sent to the terminal
    return EXIT_OK


def _seed(text: str) -> int:
    """argparse type of --seed: a whole number >= 0."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``simulate`` to the command line."""
    parser = commands.add_parser(
        "simulate", help="Monte Carlo: inputs as ranges, percentiles of every result", formatter_class=HELP_FORMAT,
        description="Give inputs as ranges or distributions; draw N samples of each (independently), evaluate the "
                    "model once over them and print p5, p50, p95 (or --percentiles) and the mean of every result row, and a tornado "
                    "of the main result (one input at a time at its low and high). Bare numbers are in the "
                    "input's spec unit; an end without a unit takes the unit after the other end (90..120 days). "
                    "Without --range, the spec's own low/high ranges are used.",
        epilog='Examples:\n  flopsheet simulate table5_kimi_training --range duration=90..120days -n 20000 --seed 1\n'
               '  flopsheet simulate table5_kimi_training --range utilization=30%..46% '
               '--range "duration=lognormal 90% CI 60..180 days"\n'
               '  flopsheet simulate table6_kimi_inference --range "tokens_per_call=triangular 1000, 1500, 2000" '
               '-o kimi.xlsx\n  flopsheet simulate table6_kimi_inference -o kimi.json\n'
               '  flopsheet simulate table5_kimi_training --from edited_template.xlsx\n'
               '  flopsheet simulate table6_kimi_inference --percentiles 10,50,90 -n 20000')
    parser.add_argument("model", help="model name (see flopsheet list) or a spec file (my_model.toml)")
    parser.add_argument("--percentiles", metavar="P,P,...",
                        help="percentiles to report, from 0 to 100 (default 5,50,95), e.g. 10,50,90")
    parser.add_argument("--range", action="append", metavar="NAME=LOW..HIGH",
                        help='an input as a range or distribution: 30%%..46%%, "90..120 days", "lognormal 90%% CI '
                             '60..180 days", "normal 105 days ± 10 days", "triangular 20%%, 30%%, 46%%"')
    parser.add_argument("-n", default=DEFAULT_SAMPLES, metavar="N",
                        help=f"samples (default {DEFAULT_SAMPLES:,}; 1e6 and 10万 work)")
    parser.add_argument("--seed", type=_seed, default=DEFAULT_SEED, metavar="S",
                        help=f"seed of numpy's default_rng (default {DEFAULT_SEED}): the same seed, the same numbers")
    parser.add_argument("--target", help="the main result row (default: the last row)")
    parser.add_argument("--set", action="append", metavar="NAME=VALUE", help="a fixed input value for every sample")
    parser.add_argument("--from", dest="from_workbook", metavar="XLSX",
                        help="read the inputs and their typed low/high (sampled as uniform ranges) from an edited "
                             "template; --set and --range win")
    parser.add_argument("-o", "--output", help="write .xlsx (tables, histogram, tornado, samples) or .json")
    parser.set_defaults(handler=_simulate)
