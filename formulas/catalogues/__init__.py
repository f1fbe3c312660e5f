"""Catalogues: what the formulas look up, as data files with a source for every number.

Accelerators and their peaks, memory, bandwidth, power and links (``cards``), model
shapes (``shapes``), published training runs (``runs``), achievable efficiencies
(``efficiencies``), and the reading of a peak or a utilization that remembers which
card and precision it belongs to (``peaks``). The records live in ``data/*.toml``; this
room sits below training and serving and imports neither.
"""

import tomllib
from pathlib import Path
from typing import Any

#: The folder of the catalogue data files (accelerators, models, runs, mfu, efficiencies).
DATA_DIR = Path(__file__).with_name("data")


def data_tables(path: Path, table: str) -> list[dict[str, Any]]:
    """The ``[[table]]`` records of one of the package's own data files, as TOML gives them.

    The one reader of the shipped catalogues (models, runs, mfu, efficiencies, serving
    runs); each caller checks its records. Users' files go through
    :func:`~flopsheet.formulas.catalogues.cards.read_toml_tables` instead.
    """
    with path.open("rb") as handle:
        return tomllib.load(handle)[table]
