"""The ``flopsheet`` command line: a thin layer over the Python API.

Each sub-command is registered by a function ``register(commands)`` that adds a
sub-parser and sets ``handler=callable(options) -> int``. ``flopsheet.__main__``
composes the registrars of ``workbooks`` and ``addin`` (which must not import each
other), so every layer owns its own commands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .._version import __version__
from ..units import FlopsheetError
from .summary import summary_text

#: Exit codes: success, anything unexpected, bad usage or bad input.
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

Registrar = Callable[[argparse._SubParsersAction], None]


def _summary(options: argparse.Namespace) -> int:
    """Print seed 001 Tables 5 and 6 recomputed."""
    print(summary_text())
    return EXIT_OK


def _build(options: argparse.Namespace) -> int:
    """Regenerate every template workbook and print the paths."""
    from .compile import TEMPLATE_DIR, build_templates

    for path in build_templates(options.outdir or TEMPLATE_DIR):
        print(path)
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Add the workbook-side commands (summary, build, ...)."""
    summary = commands.add_parser(
        "summary", help="print seed 001 Tables 5 and 6 recomputed, with the audit facts",
        description="Print seed 001 Tables 5 and 6 recomputed, with the audit facts.",
        epilog="Example: flopsheet summary", formatter_class=argparse.RawDescriptionHelpFormatter)
    summary.set_defaults(handler=_summary)
    build = commands.add_parser(
        "build", help="regenerate the template workbooks from the model specs",
        description="Compile every spec in workbooks/specs/ to its template workbook (plus the add-in variants "
                    "of Tables 5 and 6) and print the paths. Same specs, same bytes.",
        epilog="Example: flopsheet build --outdir /tmp/templates", formatter_class=argparse.RawDescriptionHelpFormatter)
    build.add_argument("--outdir", metavar="DIR", help="where to write (default: the package's workbooks/templates)")
    build.set_defaults(handler=_build)


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a one-line message on bad usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(registrars: Sequence[Registrar] = (register,)) -> argparse.ArgumentParser:
    """Return the argument parser with the commands of every registrar."""
    parser = _Parser(
        prog="flopsheet",
        description="Unit-safe AI-compute arithmetic: tokens, FLOP, cards, card-days.",
        epilog="Example: flopsheet summary",
    )
    parser.add_argument("--version", action="version", version=f"flopsheet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add_commands in registrars:
        add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None, registrars: Sequence[Registrar] = (register,)) -> int:
    """Run the command line; return the exit code (0 ok, 2 bad input, 1 other)."""
    parser = build_parser(registrars)
    options = parser.parse_args(argv)
    handler = getattr(options, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return handler(options)
    except FlopsheetError as error:
        print(f"flopsheet: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, RuntimeError) as error:
        print(f"flopsheet: {error}", file=sys.stderr)
        return EXIT_ERROR
