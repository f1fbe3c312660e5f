"""``flopsheet addin``: set up the Excel functions for desktop Excel or xlwings Lite."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import config, lite

EXIT_OK, EXIT_USAGE = 0, 2

EXAMPLES = """\
examples:
  flopsheet addin                      write ./xlwings.conf for the classic (Windows COM) add-in
  flopsheet addin --dir C:\\models      write it next to your workbooks
  flopsheet addin --interpreter C:\\py\\pythonw.exe --force
  flopsheet addin --lite lite_bundle   write main.py + requirements.txt for xlwings Lite
"""


def _addin(options: argparse.Namespace) -> int:
    """Write the xlwings config or the Lite bundle and print the remaining steps."""
    if options.lite is not None:
        print(lite.next_steps(lite.write_bundle(Path(options.lite))))
        return EXIT_OK
    try:
        path = config.write_config(Path(options.dir), options.interpreter, options.force)
    except FileExistsError as error:
        print(f"flopsheet addin: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(config.next_steps(path))
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``addin`` command."""
    parser = commands.add_parser(
        "addin", help="set up the Excel functions (xlwings.conf for desktop Excel, or an xlwings Lite bundle)",
        description="Write the xlwings config that makes flopsheet's functions (=TRAIN_CARDS(...) ...) "
                    "available in desktop Excel on Windows, or with --lite the main.py and requirements.txt "
                    "for xlwings Lite (Excel on the web, Mac, Windows); then print the remaining steps.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--dir", default=".", metavar="DIR",
                        help="folder for xlwings.conf (default: the current folder)")
    target.add_argument("--lite", metavar="DIR", help="write the xlwings Lite bundle into DIR instead")
    parser.add_argument("--interpreter", metavar="PYTHON",
                        help="Python for INTERPRETER_WIN (default: the one running flopsheet)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing xlwings.conf")
    parser.set_defaults(handler=_addin)
