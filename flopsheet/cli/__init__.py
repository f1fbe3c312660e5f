"""The ``flopsheet`` command line, composed in one place.

One module per command family, each with a ``register(commands)`` that adds its
sub-commands: :mod:`.models` (summary, build, list, show, report, audit, sweep),
:mod:`.simulate`, :mod:`.calculators` (train, serve), :mod:`.catalogues` (cards,
units), and ``flopsheet addin`` from :mod:`flopsheet.addin.cli`. This module builds the
parser from them and runs the chosen handler; ``flopsheet.__main__`` calls :func:`main`.
Bad usage and bad input exit 2 with a one-line message, anything unexpected exits 1
with a message (never a traceback), and a closed pipe (``| head``) ends quietly.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from flopsheet._version import __version__
from flopsheet.addin import cli as addin_cli
from flopsheet.formulas.catalogues.cards import CATALOGUE_ENV, using_catalogues
from flopsheet.units import FlopsheetError
from flopsheet.workbooks.outputs.safe_io import visible_text

from . import calculators, catalogues, models, simulate

#: Exit codes: success, anything unexpected, bad usage or bad input.
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
#: Exit code after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

#: Help of the global --catalogue option.
CATALOGUE_HELP = (f"extra accelerators: a TOML file of the built-in catalogue's schema (also {CATALOGUE_ENV}=FILE); "
                  "may be given several times: files load in order, and a later file may replace an earlier "
                  "card only with override = true")

Registrar = Callable[[argparse._SubParsersAction], None]
#: Every layer's commands, in the order ``--help`` lists them.
REGISTRARS: tuple[Registrar, ...] = (models.register, simulate.register, calculators.register,
                                     catalogues.register, addin_cli.register)


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a one-line message on bad usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(registrars: Sequence[Registrar] = REGISTRARS) -> argparse.ArgumentParser:
    """Return the argument parser with the commands of every registrar."""
    parser = _Parser(
        prog="flopsheet",
        description="Unit-safe AI-compute arithmetic: tokens, FLOP, cards, card-days.",
        epilog="Example: flopsheet summary",
    )
    parser.add_argument("--version", action="version", version=f"flopsheet {__version__}")
    parser.add_argument("--catalogue", metavar="FILE", action="append", default=[], help=CATALOGUE_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add_commands in registrars:
        add_commands(commands)
    for command in commands.choices.values():  # also after the command: flopsheet train --catalogue FILE ...
        command.add_argument("--catalogue", metavar="FILE", action="append", dest="catalogue_after",
                             default=argparse.SUPPRESS, help=CATALOGUE_HELP)
    return parser


def _quiet_broken_pipe() -> int:
    """The reader went away (``flopsheet ... | head``): stop without a message."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the flopsheet command line; return the exit code (0 ok, 2 bad input, 1 other)."""
    parser = build_parser()
    options = parser.parse_args(argv)
    handler = getattr(options, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        with using_catalogues([*options.catalogue, *getattr(options, "catalogue_after", [])]):
            status = handler(options)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        print("flopsheet: interrupted; nothing was written at a final name", file=sys.stderr)
        return EXIT_INTERRUPTED
    except FlopsheetError as error:
        print(f"flopsheet: {visible_text(str(error))}", file=sys.stderr)  # one line, no control characters
        return EXIT_USAGE
    except Exception as error:  # noqa: BLE001 - the CLI shows a message, never a traceback
        print(f"flopsheet: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_ERROR

