"""flopsheet.formulas: pure, vectorised, unit-aware AI-compute formulas.

Middle layer: imports only from flopsheet.units. Each formula is written once here;
the Excel add-in, the template compiler and the CLI all call these.
"""

from .cards import (Accelerator, card_bandwidth, card_memory, card_names, card_peak, card_power, catalogue, find_card,
                    load_catalogue, unload_catalogue)
from .inference import infer_cards, infer_flops
from .shapes import ModelShape, model_names, model_shape, model_shapes
from .training import data_tokens, train_card_hours, train_cards, train_duration, train_flops
from .flops import flops_breakdown, forward_flops
from .runs import implied_utilization, published_runs, utilization_by_generation
from .memory import MinTrainCards, min_train_cards, train_memory
from .scaling import chinchilla_optimal
from .table import FUNCTIONS, Formula, Parameter
from .utilization import Peak, Utilization, as_peak, as_utilization, mfu, mfu_runs

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
    "FUNCTIONS",
    "Accelerator",
    "Formula",
    "Parameter",
    "ModelShape",
    "Peak",
    "Utilization",
    "as_peak",
    "as_utilization",
    "card_bandwidth",
    "card_memory",
    "card_names",
    "card_peak",
    "card_power",
    "catalogue",
    "data_tokens",
    "find_card",
    "infer_cards",
    "infer_flops",
    "load_catalogue",
    "mfu",
    "model_names",
    "model_shape",
    "model_shapes",
    "mfu_runs",
    "train_card_hours",
    "train_cards",
    "train_duration",
    "train_flops",
    "unload_catalogue",
]
