"""``python -m flopsheet`` and the ``flopsheet`` console script: :func:`flopsheet.cli.main`.

The command line is built in :mod:`flopsheet.cli`; ``main`` (the console script's
entry point), ``build_parser`` and ``REGISTRARS`` are importable from here as before.
"""

from __future__ import annotations

import sys

from flopsheet.cli import REGISTRARS, build_parser, main

__all__ = ["REGISTRARS", "build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
