"""Catalogues: what the formulas look up, as data files with a source for every number.

Accelerators and their peaks, memory, bandwidth, power and links (``cards``), model
shapes (``shapes``), published training runs (``runs``), achievable efficiencies
(``efficiencies``), and the reading of a peak or a utilization that remembers which
card and precision it belongs to (``peaks``). The records live in ``data/*.toml``; this
room sits below training and serving and imports neither.
"""

from pathlib import Path

#: The folder of the catalogue data files (accelerators, models, runs, mfu, efficiencies).
DATA_DIR = Path(__file__).with_name("data")
