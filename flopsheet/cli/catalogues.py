"""The catalogue commands of ``flopsheet``: cards (the accelerator catalogue) and units.

What a user may look up before typing a value: every card with its peaks, memory,
bandwidth, power and source, and every unit with its aliases, magnitudes and refused
spellings (:mod:`.listings` renders them).
"""

from __future__ import annotations

import argparse

from ..workbooks.outputs.safe_io import strict_json
from .values import EXIT_OK, HELP_FORMAT, add_format


def _cards(options: argparse.Namespace) -> int:
    """List the accelerator catalogue (built-in and the user's)."""
    from .listings import card_records, render_cards

    if options.format == "json":
        print(strict_json(card_records(options.precision)))
    else:
        print(render_cards(options.precision), end="")
    return EXIT_OK


def _units(options: argparse.Namespace) -> int:
    """List what a user may type: units by dimension, aliases, magnitudes, refused spellings."""
    from .listings import render_units, unit_listing

    if options.format == "json":
        print(strict_json(unit_listing()))
    else:
        print(render_units(), end="")
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Add cards and units."""
    cards = commands.add_parser(
        "cards", help="list the accelerator catalogue", formatter_class=HELP_FORMAT,
        description="Every card of the catalogue (the built-in one plus --catalogue/FLOPSHEET_CATALOGUE files): "
                    "dense and sparse peaks at one precision, memory, bandwidth, TDP and source.",
        epilog="Examples:\n  flopsheet cards\n  flopsheet cards --precision fp8 --format json")
    cards.add_argument("--precision", help="the precision of the peak columns (default bf16; given: only cards "
                                           "that have it)")
    add_format(cards)
    cards.set_defaults(handler=_cards)

    units = commands.add_parser(
        "units", help="list the units and spellings flopsheet reads", formatter_class=HELP_FORMAT,
        description="What a value may be written in: units by dimension with their aliases (Chinese included), "
                    "magnitudes, and the spellings refused as ambiguous (KB, kb).",
        epilog="Example: flopsheet units --format json")
    add_format(units)
    units.set_defaults(handler=_units)
