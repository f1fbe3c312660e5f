"""The workbook-side commands of ``flopsheet``: a thin layer over the Python API.

:func:`register` adds the sub-parsers (summary, build, list, show, report, audit,
sweep, simulate from :mod:`.cli_simulate`, train, serve, cards, units) and sets
``handler=callable(options) -> int`` on each.
``flopsheet.__main__`` composes the registrars of ``workbooks`` and ``addin`` (which
must not import each other) into the one command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..units import InputError, OutputError
from . import cli_simulate
from .model.spec import load_spec, spec_names
from .outputs.formats import FORMATS, format_value
from .outputs.safe_io import visible_text
from .outputs.text_table import render_table

# Each handler imports what it needs (pandas, openpyxl, the xlsx writers) when it runs,
# so a command that only prints starts as fast as ``import flopsheet``.

def parse_assignments(pairs: Sequence[str], option: str = "--set") -> dict[str, str]:
    """Split ``NAME=VALUE`` strings into a dict; a malformed one is an InputError naming the option."""
    assignments: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name.strip() or not value.strip():
            raise InputError(option, pair, 'NAME=VALUE, e.g. duration="105 days"')
        assignments[name.strip()] = value.strip()
    return assignments


#: Exit code of a command that succeeded.
EXIT_OK = 0

HELP_FORMAT = argparse.RawDescriptionHelpFormatter


def _summary(options: argparse.Namespace) -> int:
    """Print seed 001 Tables 5 and 6 recomputed."""
    from .outputs.summary import summary_text

    print(summary_text())
    return EXIT_OK


def _build(options: argparse.Namespace) -> int:
    """Regenerate every template workbook and print the paths."""
    from .xlsx.templates import TEMPLATE_DIR, build_templates

    for path in build_templates(options.outdir or TEMPLATE_DIR):
        print(path)
    return EXIT_OK


def _audit(options: argparse.Namespace) -> int:
    """Print (or write) the audit findings of one model or all."""
    from .model.audit import audit, audit_all
    from .outputs.safe_io import atomic_write

    findings = audit_all() if options.model == "all" else audit(options.model)
    if _audit_format(options) == "json":
        text = json.dumps([finding.as_dict() for finding in findings], ensure_ascii=False, indent=2) + "\n"
    else:
        rows = [(finding.model, finding.row, format_value(finding.printed),
                 format_value(finding.recomputed), finding.unit,
                 "" if finding.implied is None else
                 f"{finding.implied.input} = {format_value(finding.implied.value)} {finding.implied.unit}")
                for finding in findings]
        text = render_table(("model", "row", "printed", "recomputed", "unit", "implied"), rows, align="<<>><<")
        text += "\n\n" + "\n".join(f"- {finding.message}" for finding in findings) + "\n"
    if options.output:
        atomic_write(Path(options.output), lambda target: target.write_text(text, encoding="utf-8"))
        print(options.output)
    else:
        print(text, end="")
    return EXIT_OK


def _audit_format(options: argparse.Namespace) -> str:
    """``--format``, else JSON for an ``-o`` file ending in .json, else the table."""
    if options.format:
        return options.format
    return "json" if options.output and Path(options.output).suffix.lower() == ".json" else "table"


def _list(options: argparse.Namespace) -> int:
    """Print every model with its titles and source."""
    rows = [(spec.name, spec.title_en, spec.title_zh, spec.citation) for spec in map(load_spec, spec_names())]
    print(render_table(("model", "title", "标题", "source"), rows))
    return EXIT_OK


def _overrides(options: argparse.Namespace, spec_name: str) -> dict[str, str]:
    """Merge ``--from`` (read back from a workbook) and ``--set`` (wins) into overrides."""
    overrides: dict[str, str] = {}
    if getattr(options, "from_workbook", None):
        from .xlsx.read_back import read_assumptions

        overrides.update(read_assumptions(options.from_workbook, load_spec(spec_name)))
    overrides.update(checked_assignments(options, spec_name))
    return overrides


def checked_assignments(options: argparse.Namespace, spec_name: str) -> dict[str, str]:
    """The ``--set`` values, each checked by the command line's bare-number rule."""
    from .command_values import check_assignments

    assignments = parse_assignments(options.set or [])
    check_assignments(load_spec(spec_name), assignments)
    return assignments


def _show(options: argparse.Namespace) -> int:
    """Print one model as an aligned table with printed-vs-recomputed and warnings."""
    from .model.evaluate import evaluate_records

    records, notes, spec = evaluate_records(options.model, _overrides(options, options.model))
    label = "label_zh" if options.lang == "zh" else "label_en"
    percent = {item.name for item in spec.inputs if item.kind == "utilization"}

    def shown(name: str, value: float) -> str:
        return f"{value * 100:.4g}%" if name in percent and value == value else format_value(value)

    rows = [(("* " if row["overridden"] else "  ") + row["name"], row[label], shown(row["name"], row["value"]),
             row["unit"], *((row["printed_note"],) * 2 if row["printed_note"] else
                            (shown(row["name"], row["printed"]), shown(row["name"], row["difference"]))))
            for row in records]
    title = spec.title_zh if options.lang == "zh" else spec.title_en
    print(f"{visible_text(title)}\n{visible_text(spec.citation)}\n")
    print(render_table(("name", "label", "value", "unit", "printed", "difference"), rows, align="<<><>>"))
    if any(row["overridden"] for row in records):
        print("\n* set by --set/--from; a result that reads a changed input is not compared with the report's "
              "printed figure (n/a)")
    for text in notes:
        print(f"warning: {visible_text(text)}")
    return EXIT_OK


def _report(options: argparse.Namespace) -> int:
    """Write one model's report, or every model's into a folder (``all``)."""
    from .report import report

    names = spec_names() if options.model == "all" else [options.model]
    output = Path(options.output)
    if options.model == "all":
        if output.exists() and not output.is_dir():
            raise OutputError("-o", str(output), "with all, -o names a folder, and this is a file")
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError("-o", str(output), f"the folder cannot be created ({error.strerror})") from None
        fmt = options.format or "xlsx"
        targets = [output / f"{name}{FORMATS[fmt]}" for name in names]
    else:
        fmt, targets = options.format, [output]
    for name, target in zip(names, targets):
        written = report(name, target, fmt, **_overrides(options, name))
        print(written)
    return EXIT_OK


def _sweep(options: argparse.Namespace) -> int:
    """Run a one- or two-way sensitivity sweep; print it or write it."""
    from .model.sweep import ProgressBar, sweep
    from .outputs.safe_io import atomic_write
    from .xlsx.sweep_workbook import write_sweep_xlsx
    from .command_values import check_ranges

    vary = parse_assignments(options.vary, option="--vary")
    check_ranges(load_spec(options.model), vary)
    progress = ProgressBar(sys.stderr)
    table = sweep(options.model, vary, target=options.target, progress=progress,
                  **checked_assignments(options, options.model))
    if options.output:
        output = Path(options.output)
        if output.suffix.lower() == ".xlsx":
            write_sweep_xlsx(table, output)
        elif output.suffix.lower() == ".csv":
            atomic_write(output, lambda target: table.to_csv(target))
        else:
            raise InputError("-o", str(output), "a .xlsx or .csv file")
        print(output)
    else:
        names = [f"{name} ({unit})" if unit else name for name, unit in table.attrs["inputs"]]
        columns = [str(column) for column in table.columns] if len(names) == 1 else \
            [f"{names[1]}={format_value(column)}" for column in table.columns]
        header = [names[0]] + columns
        rows = [[format_value(label)] + [format_value(value) for value in values]
                for label, values in table.iterrows()]
        print(f"{table.attrs['target']} ({table.attrs['target_unit']})")
        print(render_table(header, rows, align=">" * len(header)))
    return EXIT_OK


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", metavar="NAME=VALUE",
                        help='override an input, e.g. --set duration="105 days" --set params=2000亿 (a bare number '
                             'only for counts and fractions: time, data, rates, money and power need their unit)')


def register(commands: argparse._SubParsersAction) -> None:
    """Add the workbook-side commands: summary, build, list, show, report, audit, sweep."""
    commands.add_parser(
        "summary", help="print seed 001 Tables 5 and 6 recomputed, with the audit facts",
        description="Print seed 001 Tables 5 and 6 recomputed, with the audit facts.",
        epilog="Example: flopsheet summary", formatter_class=HELP_FORMAT).set_defaults(handler=_summary)
    build = commands.add_parser(
        "build", help="regenerate the template workbooks from the model specs",
        description="Compile every spec in workbooks/specs/ to its template workbook (plus the add-in variants "
                    "of Tables 5 and 6) and print the paths. Same specs, same bytes.",
        epilog="Example: flopsheet build --outdir /tmp/templates", formatter_class=HELP_FORMAT)
    build.add_argument("--outdir", metavar="DIR", help="where to write (default: the package's workbooks/templates)")
    build.set_defaults(handler=_build)
    commands.add_parser(
        "list", help="list every model with its title and source", description="List every model.",
        epilog="Example: flopsheet list", formatter_class=HELP_FORMAT).set_defaults(handler=_list)

    show = commands.add_parser(
        "show", help="print a model as a table (values, units, printed vs recomputed)",
        description="Evaluate a model and print it; warnings follow the table.", formatter_class=HELP_FORMAT,
        epilog='Examples:\n  flopsheet show table5_kimi_training\n'
               '  flopsheet show table5_kimi_training --set duration="105 days" --lang zh')
    show.add_argument("model", help="model name (see flopsheet list)")
    _add_overrides(show)
    show.add_argument("--from", dest="from_workbook", metavar="XLSX", help="read inputs from an edited template")
    show.add_argument("--lang", choices=("zh", "en"), default="en", help="label language (default en)")
    show.set_defaults(handler=_show)

    report = commands.add_parser(
        "report", help="write a report: xlsx, csv, md or json", formatter_class=HELP_FORMAT,
        description="Evaluate a model (or all) and write a report file; a failed run writes nothing.",
        epilog='Examples:\n  flopsheet report table5_kimi_training -o kimi.xlsx --set duration="105 days"\n'
               '  flopsheet report table6_kimi_inference -o kimi.json --set tokens_per_call=2000\n'
               '  flopsheet report table5_kimi_training --from edited.xlsx -o edited_report.xlsx\n'
               '  flopsheet report all -o reports/ --format md')
    report.add_argument("model", help='model name, or "all" (then -o is a folder)')
    report.add_argument("-o", "--output", required=True, help="output file (or folder with all)")
    report.add_argument("--format", choices=tuple(FORMATS), help="default: from the file suffix (all: xlsx)")
    _add_overrides(report)
    report.add_argument("--from", dest="from_workbook", metavar="XLSX", help="read inputs from an edited template")
    report.set_defaults(handler=_report)

    audit_parser = commands.add_parser(
        "audit", help="find the assumption behind every printed number", formatter_class=HELP_FORMAT,
        description="Check each printed figure against its own row's formula applied to the printed figures it "
                    "reads; where it does not follow, solve for the input that reproduces it.",
        epilog="Examples:\n  flopsheet audit table5_kimi_training\n  flopsheet audit all --format json -o audit.json")
    audit_parser.add_argument("model", help='model name, or "all"')
    audit_parser.add_argument("--format", choices=("table", "json"),
                              help="default: json for an -o file ending in .json, else table")
    audit_parser.add_argument("-o", "--output", help="write to a file instead of printing")
    audit_parser.set_defaults(handler=_audit)

    sweep_parser = commands.add_parser(
        "sweep", help="one- or two-way sensitivity grid", formatter_class=HELP_FORMAT,
        description="Vary one or two inputs over START..STOP[:STEP]. START carries the unit (it sets the axis's: "
                    "60 days..180 days:30 days); a bare number is accepted only for counts and fractions "
                    "(params, tokens, cards, utilization).",
        epilog='Examples:\n  flopsheet sweep table5_kimi_training --vary "duration=60 days..180 days:30 days"\n'
               '  flopsheet sweep table5_kimi_training --vary "duration=2 months..6 months:1 month" '
               '--vary utilization=20%..50%:10% -o grid.xlsx\n'
               '  flopsheet sweep table6_kimi_inference --vary "busy_hours=6 hours..24 hours:6 hours" --target cards')
    sweep_parser.add_argument("model", help="model name")
    sweep_parser.add_argument("--vary", action="append", required=True, metavar="NAME=START..STOP[:STEP]")
    sweep_parser.add_argument("--target", help="result row to tabulate (default: the last row)")
    sweep_parser.add_argument("-o", "--output", help="write .xlsx (with chart) or .csv instead of printing")
    _add_overrides(sweep_parser)
    sweep_parser.set_defaults(handler=_sweep)

    cli_simulate.add_command(commands, HELP_FORMAT)
    _register_quick_commands(commands)


# --- the quick calculator and the listings (no spec) -----------------------------------


def _train(options: argparse.Namespace) -> int:
    """Training FLOP, cards (or duration), card-hours, cost and energy without a spec."""
    from ..formulas import args
    from ..formulas.utilization import as_utilization
    from . import calculator as calc

    result = calc.train(
        calc.read_quantity(options.params, "--params", args.PARAMETERS),
        calc.read_quantity(options.tokens, "--tokens", args.TOKENS), calc.read_peak(options.card),
        as_utilization(options.mfu, argument="--mfu"),
        duration=None if options.days is None else calc.read_quantity(options.days, "--days", args.DURATION, "day"),
        cards=None if options.cards is None else calc.read_quantity(options.cards, "--cards", args.CARDS),
        flop_per_param_token=_optional(options.flop_per_param_token, "--flop-per-param-token",
                                       args.FLOP_PER_PARAM_TOKEN),
        price=None if options.price is None else calc.read_price(options.price),
        pue=None if options.pue is None else calc.read_pue(options.pue),
        tdp=None if options.tdp is None else calc.read_tdp(options.tdp))
    return _print_calculation(result, options.format)


def _serve(options: argparse.Namespace) -> int:
    """Inference FLOP per call and per day and the cards that serve them, without a spec."""
    from ..formulas import args
    from ..formulas.served_model import KV_BYTES_PER_TOKEN
    from ..formulas.serving_bounds import LATENCY
    from ..formulas.utilization import as_utilization
    from . import calculator as calc

    params, model = calc.read_model(options.params)
    result = calc.serve(
        params,
        calc.read_quantity(options.tokens_per_call, "--tokens-per-call", args.TOKENS),
        calc.read_quantity(options.calls_per_day, "--calls-per-day", args.CALL_RATE, "call/day"),
        calc.read_peak(options.card), as_utilization(options.mfu, argument="--mfu"),
        busy_hours=None if options.busy_hours is None else
        calc.read_quantity(options.busy_hours, "--busy-hours", args.BUSY_HOURS, "hour"),
        flop_per_param_token=_optional(options.flop_per_param_token, "--flop-per-param-token",
                                       args.FLOP_PER_PARAM_TOKEN),
        bounds=calc.ServingOptions(
            model, _optional(options.answer_tokens, "--answer-tokens", args.TOKENS),
            None if options.latency is None else calc.read_quantity(options.latency, "--latency", LATENCY),
            None if options.efficiency is None else as_utilization(options.efficiency, argument="--efficiency").value,
            _optional(options.kv_bytes_per_token, "--kv-bytes-per-token", KV_BYTES_PER_TOKEN)))
    return _print_calculation(result, options.format)


def _optional(text: str | None, option: str, kind: Any) -> Any:
    """An optional quantity option: None when absent, else read under the bare-number rule."""
    from .calculator import read_quantity

    return None if text is None else read_quantity(text, option, kind)


def _print_calculation(result: Any, fmt: str) -> int:
    from .calculator import render

    if fmt == "json":
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(render(result), end="")
    return EXIT_OK


def _cards(options: argparse.Namespace) -> int:
    """List the accelerator catalogue (built-in and the user's)."""
    from .listings import card_records, render_cards

    if options.format == "json":
        print(json.dumps(card_records(options.precision), ensure_ascii=False, indent=2))
    else:
        print(render_cards(options.precision), end="")
    return EXIT_OK


def _units(options: argparse.Namespace) -> int:
    """List what a user may type: units by dimension, aliases, magnitudes, refused spellings."""
    from .listings import render_units, unit_listing

    if options.format == "json":
        print(json.dumps(unit_listing(), ensure_ascii=False, indent=2))
    else:
        print(render_units(), end="")
    return EXIT_OK


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output (default table)")


def _register_quick_commands(commands: argparse._SubParsersAction) -> None:
    """Add train, serve (the quick calculator), cards and units."""
    train = commands.add_parser(
        "train", help="training FLOP, cards, card-hours, cost and energy without a spec", formatter_class=HELP_FORMAT,
        description="Training compute from parameters and tokens, and the cards for a duration (--days) or the "
                    "duration on a number of cards (--cards); cost with --price, energy (card TDP x PUE) with --pue. "
                    "--days reads a bare number in days; --price and --tdp need their unit.",
        epilog='Examples:\n  flopsheet train --params 2000亿 --tokens 4.9万亿 --card "H100 bf16" --mfu 40% --days 60\n'
               '  flopsheet train --params 70B --tokens 15T --card "H100 bf16" --mfu 40% --cards 4096 '
               '--price "2 USD/card_hour" --pue 1.3 --format json')
    train.add_argument("--params", required=True, help="parameter count (2000亿, 7e10)")
    train.add_argument("--tokens", required=True, help="training tokens (4.9万亿, 1.5e13)")
    _add_card_options(train)
    when = train.add_mutually_exclusive_group(required=True)
    when.add_argument("--days", metavar="TIME", help='training time: 60 (days) or "2 months"')
    when.add_argument("--cards", metavar="N", help="number of cards: prints the training time")
    train.add_argument("--price", help='price per card-hour, e.g. "2 USD/card_hour" (prints the cost)')
    train.add_argument("--pue", help="power usage effectiveness, e.g. 1.3 (prints the energy: card TDP x PUE)")
    train.add_argument("--tdp", help='power per card when --card is a rate, e.g. "700 W" (default: the catalogue TDP)')
    _finish_quick_command(train, "train_flops", _train)

    serve = commands.add_parser(
        "serve", help="inference FLOP and cards without a spec", formatter_class=HELP_FORMAT,
        description="Inference compute per call and per day and the cards that serve the day's calls within the "
                    "busy hours (the compute bound); with a model shape or --kv-bytes-per-token and a catalogue card, "
                    "also the cards per replica and the memory-bandwidth and capacity bounds (flopsheet.serving_cards). "
                    "--calls-per-day and --busy-hours read bare numbers in their units.",
        epilog='Examples (seed 001, Table 6: 1,481 cards; then Llama 2 70B on H100s, all three bounds):\n'
               '  flopsheet serve --params 2000亿 --tokens-per-call 2000 --calls-per-day 300万 --card "A10 fp16" '
               '--mfu 30% --busy-hours 12\n'
               '  flopsheet serve --params Llama-2-70B --tokens-per-call 1500 --answer-tokens 500 '
               '--calls-per-day 100万 --card "H100 bf16" --mfu 50% --busy-hours 12')
    serve.add_argument("--params", required=True, help="parameter count (active parameters for MoE), or a model "
                                                       "shape name (\"Llama-2-70B\"): then all three bounds")
    serve.add_argument("--tokens-per-call", required=True, help="tokens per call, prompt plus answer")
    serve.add_argument("--calls-per-day", required=True, help="calls a day (300万)")
    _add_card_options(serve)
    serve.add_argument("--busy-hours", help="hours a day the demand is spread over, at most 24 (default 24)")
    serve.add_argument("--answer-tokens", help="tokens answered per call (default: half of --tokens-per-call)")
    serve.add_argument("--latency", help='target time per output token, e.g. "50 ms/token" (the default)')
    serve.add_argument("--efficiency", help="share of the peak memory bandwidth decoding achieves (default 60%%)")
    serve.add_argument("--kv-bytes-per-token", help='KV-cache bytes per token for a bare --params, e.g. '
                                                   '"327680 B/token" (a shape knows its own)')
    _finish_quick_command(serve, "infer_flops", _serve)

    cards = commands.add_parser(
        "cards", help="list the accelerator catalogue", formatter_class=HELP_FORMAT,
        description="Every card of the catalogue (the built-in one plus --catalogue/FLOPSHEET_CATALOGUE files): "
                    "dense and sparse peaks at one precision, memory, bandwidth, TDP and source.",
        epilog="Examples:\n  flopsheet cards\n  flopsheet cards --precision fp8 --format json")
    cards.add_argument("--precision", help="the precision of the peak columns (default bf16; given: only cards "
                                           "that have it)")
    _add_format(cards)
    cards.set_defaults(handler=_cards)

    units = commands.add_parser(
        "units", help="list the units and spellings flopsheet reads", formatter_class=HELP_FORMAT,
        description="What a value may be written in: units by dimension with their aliases (Chinese included), "
                    "magnitudes, and the spellings refused as ambiguous (KB, kb).",
        epilog="Example: flopsheet units --format json")
    _add_format(units)
    units.set_defaults(handler=_units)


def _finish_quick_command(parser: argparse.ArgumentParser, formula: str, handler: Any) -> None:
    """--flop-per-param-token (its default read from the formula), --format, the handler."""
    from ..formulas import FUNCTIONS

    default = next(param.default for record in FUNCTIONS if record.name == formula for param in record.params
                   if param.name == "flop_per_param_token")
    parser.add_argument("--flop-per-param-token", help=f"FLOP per parameter per token (default {default:g})")
    _add_format(parser)
    parser.set_defaults(handler=handler)


def _add_card_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--card", required=True, help='catalogue card and precision ("H100 bf16") or a peak rate '
                                                      '("989.5 TFLOPS"); see flopsheet cards')
    parser.add_argument("--mfu", required=True, help="utilization: 40%% or 0.4")
