"""flopsheet: unit-safe AI-compute arithmetic for Excel, Python and the shell.

The public API, re-exported from the subpackages (no logic lives here).

>>> import flopsheet
>>> tokens = flopsheet.data_tokens("37,580,963,840 kB")
>>> flops = flopsheet.train_flops("2000亿", tokens)
>>> round(flopsheet.train_cards(flops, "A100 tf32", "30.2%", "105 days").m)
13793
"""

from ._version import __version__
from .formulas import (
    chinchilla_optimal,
    MinTrainCards,
    min_train_cards,
    train_memory,
    implied_utilization,
    published_runs,
    utilization_by_generation,
    forward_flops,
    flops_breakdown,
    Accelerator,
    ModelShape,
    Peak,
    Utilization,
    bandwidth_bound_cards,
    capacity_bound_cards,
    card_bandwidth,
    card_memory,
    card_names,
    card_peak,
    card_power,
    catalogue,
    cost_per_million_tokens,
    data_tokens,
    decode_throughput,
    decode_time,
    fleet_cards,
    infer_cards,
    infer_flops,
    load_catalogue,
    kv_cache_memory,
    mfu,
    model_names,
    model_shape,
    model_shapes,
    prefill_time,
    replica_cards,
    serving_cards,
    tensor_parallel_group,
    train_card_hours,
    train_cards,
    train_duration,
    train_flops,
    unload_catalogue,
    weights_memory,
)
from .units.ranges import Distribution, parse_distribution
from .units import (
    AssumptionWarning,
    CatalogueError,
    DimensionalityError,
    ExpressionError,
    FlopsheetError,
    InputError,
    InputRangeError,
    MissingUnitError,
    OutputError,
    Q,
    Quantity,
    SpecError,
    UnitInputError,
    UnknownNameError,
    format_eng,
    format_quantity,
    format_zh,
    ureg,
)

__all__ = [
    "chinchilla_optimal",
    "MinTrainCards",
    "min_train_cards",
    "train_memory",
    "implied_utilization",
    "published_runs",
    "utilization_by_generation",
    "forward_flops",
    "flops_breakdown",
    "Accelerator",
    "AssumptionWarning",
    "CatalogueError",
    "DimensionalityError",
    "ExpressionError",
    "FlopsheetError",
    "InputError",
    "InputRangeError",
    "MissingUnitError",
    "OutputError",
    "ModelShape",
    "Distribution",
    "Peak",
    "Q",
    "Quantity",
    "SpecError",
    "UnitInputError",
    "UnknownNameError",
    "Utilization",
    "__version__",
    "bandwidth_bound_cards",
    "capacity_bound_cards",
    "card_bandwidth",
    "card_memory",
    "card_names",
    "card_peak",
    "card_power",
    "catalogue",
    "cost_per_million_tokens",
    "data_tokens",
    "decode_throughput",
    "decode_time",
    "evaluate",
    "fleet_cards",
    "format_eng",
    "format_quantity",
    "format_zh",
    "infer_cards",
    "infer_flops",
    "load_catalogue",
    "kv_cache_memory",
    "mfu",
    "model_names",
    "model_shape",
    "model_shapes",
    "parse_distribution",
    "report",
    "simulate",
    "prefill_time",
    "replica_cards",
    "serving_cards",
    "sweep",
    "tensor_parallel_group",
    "train_card_hours",
    "train_cards",
    "train_duration",
    "train_flops",
    "unload_catalogue",
    "ureg",
    "weights_memory",
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
