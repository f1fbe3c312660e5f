"""``python -m flopsheet`` and the ``flopsheet`` console script.

Composes the commands of the layers that may not import each other.
"""

import sys
from collections.abc import Sequence

from flopsheet.addin import cli as addin_cli
from flopsheet.workbooks import cli


def main(argv: Sequence[str] | None = None) -> int:
    """Run the flopsheet command line; return its exit code."""
    return cli.main(argv, registrars=(cli.register, addin_cli.register))


if __name__ == "__main__":
    sys.exit(main())
