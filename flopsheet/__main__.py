"""``python -m flopsheet`` and the ``flopsheet`` console script."""

import sys

from flopsheet.workbooks.cli import main

if __name__ == "__main__":
    sys.exit(main())
