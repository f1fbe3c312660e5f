"""The ``flopsheet`` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._version import __version__
from ..units import FlopsheetError
from .summary import summary_text

#: Exit codes: success, anything unexpected, bad usage or bad input.
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="flopsheet",
        description="Unit-safe AI-compute arithmetic: tokens, FLOP, cards, card-days.",
        epilog="Example: flopsheet summary",
    )
    parser.add_argument("--version", action="version", version=f"flopsheet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("summary", help="print seed 001 Tables 5 and 6 recomputed, with the audit facts",
                        description="Print seed 001 Tables 5 and 6 recomputed, with the audit facts.",
                        epilog="Example: flopsheet summary")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    options = parser.parse_args(argv)
    try:
        if options.command == "summary":
            print(summary_text())
            return EXIT_OK
        parser.print_help()
        return EXIT_USAGE
    except FlopsheetError as error:
        print(f"flopsheet: {error}", file=sys.stderr)
        return EXIT_USAGE
