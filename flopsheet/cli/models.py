"""The model commands of ``flopsheet``: list, show, report, build, sweep, audit, summary.

A thin layer over the workbooks (spec -> evaluate -> audit, sweep, report):
:func:`register` adds the sub-parsers and sets ``handler=callable(options) -> int`` on
each; :mod:`flopsheet.cli` composes them with the other command families.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..units import InputError, OutputError
from ..workbooks.model.spec import load_spec, spec_names
from ..workbooks.outputs.formats import FORMATS, format_value
from ..workbooks.outputs.safe_io import strict_json, visible_path, visible_text
from ..workbooks.outputs.text_table import render_table
from .values import EXIT_OK, HELP_FORMAT, check_assignments

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


def _summary(options: argparse.Namespace) -> int:
    """Print seed 001 Tables 5 and 6 recomputed."""
    from ..workbooks.outputs.summary import summary_text

    print(summary_text())
    return EXIT_OK


def _build(options: argparse.Namespace) -> int:
    """Regenerate every template workbook and print the paths."""
    from ..workbooks.xlsx.templates import TEMPLATE_DIR, build_templates

    for path in build_templates(options.outdir or TEMPLATE_DIR):
        print(visible_path(path))
    return EXIT_OK


def _audit(options: argparse.Namespace) -> int:
    """Print (or write) the audit findings of one model or all."""
    from ..workbooks.model.audit import audit, audit_all
    from ..workbooks.outputs.safe_io import atomic_write

    findings = audit_all() if options.model == "all" else audit(options.model)
    if _audit_format(options) == "json":
        text = strict_json([finding.as_dict() for finding in findings]) + "\n"
    elif not findings:
        where = "any model" if options.model == "all" else options.model
        text = (f"nothing to report: every printed number of {where} matches its recomputed value "
                "(or the model prints none)\n")
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
        print(visible_path(options.output))
    else:
        print(text, end="")
    return EXIT_OK


def _audit_format(options: argparse.Namespace) -> str:
    """``--format``, else JSON for an ``-o`` file ending in .json, else the table."""
    if options.format:
        return options.format
    return "json" if options.output and Path(options.output).suffix.lower() == ".json" else "table"


#: Width of ``flopsheet list`` when neither COLUMNS nor a terminal says.
LIST_WIDTH = 120


def _list(options: argparse.Namespace) -> int:
    """Print every model with its titles and source."""
    import shutil

    from ..workbooks.outputs.text_table import render_blocks

    width = shutil.get_terminal_size((LIST_WIDTH, 24)).columns  # COLUMNS wins, then the terminal
    rows = [(spec.name, (f"{spec.title_en} / {spec.title_zh}", f"source: {spec.citation}"))
            for spec in map(load_spec, spec_names())]
    print(render_blocks(("model", "title / 标题, source"), rows, width))
    return EXIT_OK


def _overrides(options: argparse.Namespace, spec_name: str) -> dict[str, str]:
    """Merge ``--from`` (read back from a workbook) and ``--set`` (wins) into overrides."""
    overrides: dict[str, str] = {}
    if getattr(options, "from_workbook", None):
        from ..workbooks.xlsx.read_back import read_assumptions

        overrides.update(read_assumptions(options.from_workbook, load_spec(spec_name)))
    overrides.update(checked_assignments(options, spec_name))
    return overrides


def checked_assignments(options: argparse.Namespace, spec_name: str) -> dict[str, str]:
    """The ``--set`` values, each checked by the command line's bare-number rule."""
    assignments = parse_assignments(options.set or [])
    check_assignments(load_spec(spec_name), assignments)
    return assignments


def _show(options: argparse.Namespace) -> int:
    """Print one model as an aligned table with printed-vs-recomputed and warnings."""
    from ..workbooks.model.evaluate import evaluate_records

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
    from ..workbooks.report import report

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
        print(visible_path(written))
    return EXIT_OK


def _sweep(options: argparse.Namespace) -> int:
    """Run a one- or two-way sensitivity sweep; print it or write it."""
    from ..workbooks.model.sweep import ProgressBar, sweep
    from ..workbooks.outputs.safe_io import atomic_write
    from ..workbooks.xlsx.sweep_workbook import write_sweep_xlsx
    from .values import check_ranges

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
        print(visible_path(output))
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
    """Add the model commands: summary, build, list, show, report, audit, sweep."""
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
