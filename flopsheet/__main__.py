"""``python -m flopsheet`` and the ``flopsheet`` console script: :func:`flopsheet.cli.main`."""

from __future__ import annotations

import sys

from flopsheet.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
