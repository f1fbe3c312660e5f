"""flopsheet.formulas: pure, vectorised, unit-aware AI-compute formulas.

Middle layer: imports only from flopsheet.units. Each formula is written once here;
the Excel add-in, the template compiler and the CLI all call these. Grouped by what
they compute, imported one way: ``args`` (argument reading) < ``catalogues/`` (cards,
shapes, runs, efficiencies, peaks, with their data) < ``magnitudes``, ``rows``,
``collectives`` < ``training/`` and ``serving/`` (neither imports the other) <
``table`` (the formula table, ``FUNCTIONS``) < this module's re-exports.
"""

from .catalogues.cards import (Accelerator, card_bandwidth, card_memory, card_names, card_peak, card_power, catalogue, find_card,
                    load_catalogue, unload_catalogue)
from .serving.inference import infer_cards, infer_flops
from .serving.memory import kv_cache_memory, precision_bytes, weights_memory
from .serving.times import cost_per_million_tokens, decode_throughput, decode_time, prefill_time
from .serving.bounds import bandwidth_bound_cards, capacity_bound_cards, fleet_cards, replica_cards, tensor_parallel_group
from .serving.planner import serving_cards, serving_plans
from .serving.steps import (fewest_cards, plan_batch, plan_binding, plan_cards, plan_status, plan_step_time,
                            tensor_parallel_comm_time)
from .serving.planner import implied_serving_efficiency
from .serving.runs import serving_runs
from .catalogues.shapes import ModelShape, model_names, model_shape, model_shapes
from .training.compute import data_tokens, train_card_hours, train_cards, train_duration, train_flops
from .training.flops import flops_breakdown, forward_flops
from .catalogues.runs import implied_utilization, published_runs, utilization_by_generation
from .training.memory import MinTrainCards, min_train_cards, train_memory
from .training.scaling import chinchilla_optimal
from .training.utilization import published_utilization
from .training.planner import predicted_utilization, training_plans
from .cluster import (capex_cards, card_hour_cost, cluster_capex, cluster_network, cluster_power, fabric_optics_per_card,
                      fabric_switches_per_card, fabric_tiers, load_prices, optics_per_card, price_catalogue, serving_margin,
                      token_cost, training_cost, unload_prices)
from .table import FUNCTIONS, Formula, Parameter
from .catalogues.peaks import Peak, Utilization, as_peak, as_utilization
from .training.utilization import mfu, mfu_runs

__all__ = [
    "fabric_optics_per_card",
    "fabric_switches_per_card",
    "fabric_tiers",
    "capex_cards",
    "card_hour_cost",
    "cluster_capex",
    "cluster_network",
    "cluster_power",
    "load_prices",
    "optics_per_card",
    "price_catalogue",
    "serving_margin",
    "token_cost",
    "training_cost",
    "unload_prices",
    "chinchilla_optimal",
    "MinTrainCards",
    "min_train_cards",
    "train_memory",
    "training_plans",
    "predicted_utilization",
    "published_utilization",
    "implied_utilization",
    "published_runs",
    "implied_serving_efficiency",
    "serving_runs",
    "utilization_by_generation",
    "forward_flops",
    "flops_breakdown",
    "FUNCTIONS",
    "Accelerator",
    "FUNCTIONS",
    "Formula",
    "ModelShape",
    "Parameter",
    "Peak",
    "Utilization",
    "as_peak",
    "as_utilization",
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
    "find_card",
    "fleet_cards",
    "infer_cards",
    "infer_flops",
    "load_catalogue",
    "kv_cache_memory",
    "mfu",
    "mfu_runs",
    "model_names",
    "model_shape",
    "model_shapes",
    "precision_bytes",
    "prefill_time",
    "replica_cards",
    "serving_cards",
    "serving_plans",
    "fewest_cards",
    "plan_batch",
    "plan_binding",
    "plan_cards",
    "plan_status",
    "plan_step_time",
    "tensor_parallel_comm_time",
    "tensor_parallel_group",
    "train_card_hours",
    "train_cards",
    "train_duration",
    "train_flops",
    "unload_catalogue",
    "weights_memory",
]
