"""flopsheet: unit-safe AI-compute arithmetic for Excel, Python and the shell.

The public API, re-exported from the subpackages (no logic lives here).

>>> import flopsheet
>>> tokens = flopsheet.data_tokens("37,580,963,840 kB")
>>> flops = flopsheet.train_flops("2000亿", tokens)
>>> round(flopsheet.train_cards(flops, "A100 tf32", "30.2%", "105 days").m)
13793
"""

from ._version import __version__
from . import formulas as _formulas
from . import units as _units
from .formulas import *  # noqa: F403 - the formulas' public names, listed once in formulas.__all__
from .units import *  # noqa: F403 - the units' public names, listed once in units.__all__
from .units.ranges import Distribution, parse_distribution

#: Names of flopsheet.formulas.__all__ that stay there (the formula table and helpers the
#: add-in and the compiler use); every other name of it is re-exported here.
_FORMULAS_ONLY = frozenset({"FUNCTIONS", "Formula", "Parameter", "as_peak", "as_utilization", "find_card", "mfu_runs",
                            "precision_bytes"})
#: Names of flopsheet.units.__all__ that stay there.
_UNITS_ONLY = frozenset({"DEFINITIONS_FILE", "Unit", "did_you_mean", "parse_unit"})

__all__ = [
    *(name for name in _formulas.__all__ if name not in _FORMULAS_ONLY),
    *(name for name in _units.__all__ if name not in _UNITS_ONLY),
    "Distribution",
    "parse_distribution",
    "__version__",
    "evaluate",
    "report",
    "simulate",
    "sweep",
]

#: The model API lives in flopsheet.workbooks (pandas, openpyxl); it is imported on first
#: use so that ``import flopsheet`` stays light and the xlwings Lite bundle (units,
#: formulas and addin only) imports without it.
_WORKBOOK_API = {"evaluate": "flopsheet.workbooks.model.evaluate", "report": "flopsheet.workbooks.report",
                 "sweep": "flopsheet.workbooks.model.sweep", "audit": "flopsheet.workbooks.model.audit",
                 "simulate": "flopsheet.workbooks.model.simulate"}


def __getattr__(name: str) -> object:
    """Import ``evaluate``, ``report``, ``sweep``, ``audit`` and ``simulate`` from flopsheet.workbooks on first use."""
    if name in _WORKBOOK_API:
        import importlib

        return getattr(importlib.import_module(_WORKBOOK_API[name]), name)
    raise AttributeError(f"module 'flopsheet' has no attribute {name!r}")
