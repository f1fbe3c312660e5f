"""The one table of flopsheet's computing functions: :data:`FUNCTIONS`.

Every face reads this table and nothing else:

- the Python API (the ``function`` of each record is the public formula);
- the spec grammar of model specs (which calls an expression may make, with how many
  arguments; :mod:`flopsheet.workbooks.model.expressions`);
- the native-Excel template writer (``native``: the same arithmetic as an Excel formula
  over arguments in base units, with the formula's range checks as an ``IF`` guard that
  gives ``#N/A`` where Python would refuse the input;
  :mod:`flopsheet.workbooks.xlsx.templates`);
- the Excel add-in on all three hosts (COM, xlwings Server, xlwings Lite;
  :mod:`flopsheet.addin.catalogue`), with the argument help Excel shows;
- the function reference of the documentation (:func:`markdown_table`, docs/reference/functions.md).

Adding a formula is one function in ``formulas/`` plus one :class:`Formula` record here.

A record's parameters are in the Python function's order; their defaults are read from
the function's signature (the one source of every default). ``native`` is a
:meth:`str.format` template over the parameter names (``"{flops}/({peak}*{utilization}*
{duration})"``) whose fields receive Excel text of each argument in coherent base units;
``constants`` names extra fields given as quantities (``{"day": "1 day"}``), written as
their base-unit numbers. Lookup functions (``lookup=True``: catalogue reads such as
``card_peak("A100", "bf16")``) take text constants and are written as the looked-up value.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..units import Q
from . import args
from .catalogues.cards import card_bandwidth, card_memory, card_peak, card_power
from .training.flops import SEQ_LEN, SEQUENCES, flops_breakdown, forward_flops
from .serving.inference import HOURS_PER_DAY, infer_cards, infer_flops
from .catalogues.runs import CARD_HOURS, implied_utilization
from .training.memory import COUNT as WHOLE_COUNT, min_train_cards, train_memory
from .training.scaling import TOKENS_PER_PARAM_KIND, chinchilla_optimal
from .serving.memory import BYTES_PER_VALUE_KIND, KEY_AND_VALUE, kv_cache_memory, weights_memory
from .serving.model import BATCH, CONTEXT, COUNT, FORWARD_FLOP_PER_PARAM
from .serving.times import (PRICE, PRICE_EXAMPLE, THROUGHPUT, cost_per_million_tokens, decode_throughput, decode_time,
                      prefill_time)
from .serving.bounds import (CARD_BANDWIDTH, CARD_MEMORY, LATENCY, MEMORY, OUTPUT_RATE, ROUNDING_SLACK,
                             bandwidth_bound_cards, capacity_bound_cards, fleet_cards, replica_cards,
                             tensor_parallel_group, tensor_parallel_native)
from .serving.planner import serving_cards, serving_plans
from .serving.steps import (ALLREDUCES_PER_LAYER, COMM_TIME, LINK_BANDWIDTH, PAYLOAD, STEP_FLOP, fewest_cards,
                            plan_batch,
                            plan_binding, plan_cards, plan_status, plan_step_time, tensor_parallel_comm_time)
from .training.compute import data_tokens, train_card_hours, train_cards, train_duration, train_flops
from .training.planner import predicted_utilization, training_plans
from .training.utilization import RATE, SECONDS, TFLOPS_PER_CARD, published_utilization
from .cluster import (capex_cards, card_hour_cost, cluster_capex, cluster_network, cluster_power, optics_per_card,
                      serving_margin, token_cost, training_cost)
from .cluster.cost import CARD_HOURS as CLUSTER_CARD_HOURS
from .cluster.ratios import COUNT as FABRIC_COUNT, fabric_optics_per_card, fabric_switches_per_card, fabric_tiers, tiers_native

#: Marks a parameter without a default (the caller must give it).
REQUIRED: Any = inspect.Parameter.empty
#: Excel's function wizard and Office.js cut descriptions longer than this.
MAX_DESCRIPTION = 255
#: Parameter roles: a quantity (numbers, text, ranges), a one-cell catalogue name, a TRUE/FALSE flag.
ROLES = ("quantity", "name", "flag")


@dataclass(frozen=True)
class Parameter:
    """One argument of a formula.

    name : the Python keyword and Excel argument name (also used in error messages).
    label : what the argument is, in a few words (Excel's argument help).
    kind : default unit and dimension of a quantity (:class:`flopsheet.formulas.args.ArgKind`);
        None for names and flags.
    role : "quantity", "name" (one text cell: a card, a precision) or "flag" (TRUE/FALSE).
    example : a valid value for help texts; the kind's example when empty.
    maximum : the largest allowed value, as quantity text ("24 hour", "100%"); the
        native template refuses more, as the Python does.
    positive : every value must be greater than zero (the native template checks it too).
    whole : every value must be a whole number (layers, heads; the native template checks
        ``INT(x)=x`` too).
    excel : the Excel argument name when it differs from the Python keyword.
    default : filled in from the function's signature.
    """

    name: str
    label: str
    kind: args.ArgKind | None = None
    role: str = "quantity"
    example: str = ""
    maximum: str | None = None
    positive: bool = True
    whole: bool = False
    excel: str = ""
    default: Any = REQUIRED

    @property
    def excel_name(self) -> str:
        """The argument's name in Excel (help texts and error messages there)."""
        return self.excel or self.name

    @property
    def unit(self) -> str:
        """Default unit of bare numbers ("" for names, flags and fractions)."""
        if self.kind is None or self.kind.unit == "dimensionless":
            return ""
        return self.kind.unit

    @property
    def optional(self) -> bool:
        """True when the argument may be omitted."""
        return self.default is not REQUIRED

    @property
    def shown_example(self) -> str:
        """The example of the help texts."""
        return self.example or (self.kind.example if self.kind is not None else "")

    def maximum_base(self) -> float | None:
        """The maximum in base units (what the native template compares with), or None."""
        if self.maximum is None:
            return None
        return float(Q(self.maximum, self.kind.unit if self.kind else None).to_base_units().magnitude)

    def default_base(self) -> float:
        """The default value in base units, for a native template whose call omits it."""
        if self.kind is None:
            raise ValueError(f"{self.name} has no unit: it cannot be written as a number")
        return float(Q(self.default, self.kind.unit).to_base_units().magnitude)


@dataclass(frozen=True)
class Formula:
    """One computing function and how every face writes it.

    name : the Python name (``train_cards``), also the spec grammar's name.
    excel_name : the Excel function name (``TRAIN_CARDS``).
    function : the formula itself.
    params : its parameters, in the function's order.
    result_unit : the unit of the Excel result and of the template row by default.
    result_example : another unit of the result's dimension, for the help text.
    summary : one sentence, Excel's function help (with the result unit it must fit
        :data:`MAX_DESCRIPTION`).
    native : Excel template over base-unit argument texts, or None (lookups, and
        formulas that need the catalogue or a model shape at run time: add-in only).
    constants : extra template fields as quantity text, written in base units.
    lookup : a catalogue read; its arguments are text constants in specs.
    warns : the formula may emit an AssumptionWarning (Excel gets a ``_NOTE`` companion).
    table : the formula returns a pandas DataFrame: Excel spills it under a header row
        (no result unit); specs cannot call it.
    """

    name: str
    excel_name: str
    function: Callable[..., Any]
    params: tuple[Parameter, ...]
    result_unit: str
    result_example: str
    summary: str
    native: str | None = None
    constants: Mapping[str, str] = field(default_factory=dict)
    lookup: bool = False
    warns: bool = False
    table: bool = False

    @property
    def description(self) -> str:
        """The function help Excel shows."""
        if self.table:
            return f"{self.summary} Spills a table under a header row."
        return f"{self.summary} Result in {self.result_unit} unless unit is given."

    @property
    def required(self) -> int:
        """How many leading arguments a call must give."""
        return sum(1 for param in self.params if not param.optional)

    def render_native(self, texts: Mapping[str, str], number: Callable[[float], str]) -> str:
        """The native Excel formula for argument texts in base units (omitted ones take defaults).

        ``number`` writes a float as Excel text. The result is guarded: an argument
        Python would refuse (zero, negative, over its maximum) gives ``#N/A``.

        Examples
        --------
        >>> by_name()["train_flops"].render_native({"params": "p", "tokens": "t"}, str)
        'IF(AND(p>0,t>0),p*t*6.0,NA())'
        """
        if self.native is None:
            raise ValueError(f"{self.name} has no native template")
        fields = {param.name: texts[param.name] if param.name in texts else number(param.default_base())
                  for param in self.params}
        fields.update({name: number(Q(text).to_base_units().magnitude) for name, text in self.constants.items()})
        body = self.native.format(**fields)
        given = [param for param in self.params if param.name in texts]
        guards = [f"{texts[param.name]}>0" for param in given if param.positive and param.role == "quantity"]
        guards += [f"{texts[param.name]}<={number(limit)}" for param in given if (limit := param.maximum_base()) is not None]
        guards += [f"INT({texts[param.name]})={texts[param.name]}" for param in given if param.whole]
        return f"IF(AND({','.join(guards)}),{body},NA())" if guards else body


def _with_defaults(formula: Formula) -> Formula:
    """Fill each parameter's default from the function's signature, checking names and order."""
    signature = inspect.signature(formula.function).parameters
    names = [param.name for param in formula.params]
    if names != list(signature)[:len(names)]:
        raise ValueError(f"{formula.name}: parameters {names} do not match the signature {list(signature)}")
    params = tuple(Parameter(**{**param.__dict__, "default": signature[param.name].default}) for param in formula.params)
    if any(param.role not in ROLES for param in params):
        raise ValueError(f"{formula.name}: a parameter role is not one of {ROLES}")
    if len(formula.description) > MAX_DESCRIPTION:
        raise ValueError(f"{formula.name}: description longer than {MAX_DESCRIPTION} characters")
    return Formula(**{**formula.__dict__, "params": params})


_PEAK = Parameter("peak", 'Peak per card, or a catalogue reference like "A100 tf32" ("A100 tf32 sparse")',
                  args.PEAK, example="156 TFLOPS")
_UTILIZATION = Parameter("utilization", 'Fraction of peak achieved (MFU), in (0, 100%]; "30.2% @ A100 bf16" '
                         "states the precision it was measured on", args.UTILIZATION, maximum="100%")
_FLOPS = Parameter("flops", "Training compute (a count)", args.FLOP)
_CARD = Parameter("name", "An accelerator name or alias from the catalogue (see CARD_LIST)", role="name",
                  example="A100", excel="card")
_PER_PARAM_TOKEN = Parameter("flop_per_param_token", "FLOP per parameter per token", args.FLOP_PER_PARAM_TOKEN)


def _card_field(name: str, function: Callable[..., Any], what: str, unit: str, example: str) -> Formula:
    """A per-card catalogue lookup (memory, bandwidth, power)."""
    return Formula(name, name.upper(), function, (_CARD,), unit, example,
                   f"{what} of an accelerator, per card, from the catalogue.", lookup=True)


_MODEL = Parameter("model", 'Parameter count, or a model shape name ("Llama-2-70B", names in flopsheet.model_shapes())', args.PARAMETERS,
                   example="2000亿")
_SERVING_CARD = Parameter("card", 'A catalogue card with its precision ("A100 bf16"): peak, memory and bandwidth',
                          role="name", example="H20 bf16")
_SERVING_UTILIZATION = Parameter("utilization", "Share of the peak compute achieved, in (0, 100%]; 1 is the ideal bound; "
                                 "blank in a planner: the card's catalogue matmul share",
                                 args.UTILIZATION, maximum="100%")
_EFFICIENCY = Parameter("efficiency", "Share of the peak memory bandwidth achieved (MBU), in (0, 100%]; 1 is ideal; "
                        "blank in a planner: the catalogue's",
                        args.UTILIZATION, maximum="100%")
_MEMORY_UTILIZATION = Parameter("memory_utilization", "Share of card memory for weights and KV cache, in (0, 100%]",
                                args.UTILIZATION, maximum="100%")
_BATCH = Parameter("batch", "Sequences processed together", BATCH)
_CONTEXT = Parameter("context_tokens", "Tokens in each sequence's KV cache (prompt plus answer so far)", CONTEXT,
                     positive=False)
_OUTPUT_RATE = Parameter("output_rate", "Output (answer) tokens per second of the whole load", OUTPUT_RATE)
_LATENCY = Parameter("latency", "Target time per output token", LATENCY)
_REPLICA = Parameter("replica_cards", "Cards per replica (REPLICA_CARDS)", args.CARDS)
_KV_MEAN = Parameter("kv_per_request", "KV cache of one request at its mean context while decoding", MEMORY)
_CARD_MEMORY = Parameter("memory", "Memory per card (CARD_MEMORY)", CARD_MEMORY)
_CARD_BANDWIDTH = Parameter("bandwidth", "Memory bandwidth per card (CARD_BANDWIDTH)", CARD_BANDWIDTH)
_WEIGHTS_READ = Parameter("weights_read", "Weights read per step (active experts of an MoE)", MEMORY)
_DECODE_PARAMS = (_MODEL, _SERVING_CARD, _CONTEXT, _BATCH, _EFFICIENCY, _SERVING_UTILIZATION)
#: The parameters of the serving planners (SERVING_CARDS and SERVING_PLANS): a load and the cards to size it on.
_SERVING_LOAD_PARAMS = (
    _MODEL, Parameter("calls_per_day", "Calls a day, served within busy_hours", args.CALL_RATE),
    Parameter("prompt_tokens", "Tokens asked per call", CONTEXT),
    Parameter("answer_tokens", "Tokens answered per call", CONTEXT),
    Parameter("busy_hours", f"Hours a day the calls are spread over, in (0, {HOURS_PER_DAY}]", args.BUSY_HOURS,
              maximum=f"{HOURS_PER_DAY} hour"),
    _LATENCY,
    Parameter("cards", 'Cards with their precision, a range ("A10 bf16", "H20 bf16" ...)', role="quantity",
              example="H100 bf16"),
    _SERVING_UTILIZATION, _EFFICIENCY,
    Parameter("card_hour_price", "Price of one card for an hour, for the cost column", PRICE, example=PRICE_EXAMPLE))

#: The serving formulas (issue 15): memory, prefill and decode, cost, the three fleet bounds.
SERVING_RECORDS: tuple[Formula, ...] = (
    Formula(
        "weights_memory", "WEIGHTS_MEMORY", weights_memory,
        (Parameter("params", "Parameter count (all experts of an MoE)", args.PARAMETERS),
         Parameter("precision", "fp32, bf16, fp16, fp8, int8, int4, or bytes per weight", BYTES_PER_VALUE_KIND)),
        "GB", "GiB", "Memory that holds a model's weights: params * bytes per weight at the precision.",
        native="{params}*{precision}"),
    Formula(
        "kv_cache_memory", "KV_CACHE_MEMORY", kv_cache_memory,
        (Parameter("layers", 'Transformer layers, or a model shape name (then give context_tokens)', COUNT,
                   example="80", whole=True),
         Parameter("kv_heads", "Key/value heads per layer (GQA; 1 for MQA)", COUNT, example="8", whole=True),
         Parameter("head_dim", "Width of one attention head", COUNT, example="128", whole=True),
         Parameter("context_tokens", "Tokens cached per sequence", CONTEXT),
         _BATCH,
         Parameter("precision", "Cache precision (bf16, fp8 ...) or bytes per value", BYTES_PER_VALUE_KIND)),
        "GB", "GiB", "KV-cache memory: 2 * layers * kv_heads * head_dim * context_tokens * batch * bytes per value.",
        native=f"{KEY_AND_VALUE}*{{layers}}*{{kv_heads}}*{{head_dim}}*{{context_tokens}}*{{batch}}*{{precision}}"),
    Formula(
        "prefill_time", "PREFILL_TIME", prefill_time,
        (_MODEL, Parameter("prompt_tokens", "Tokens per prompt", CONTEXT),
         Parameter("card", 'A card with its precision ("A100 bf16") or a peak per card', args.PEAK, example="H100 bf16"),
         _BATCH, _SERVING_UTILIZATION),
        "s", "ms", "Time to process prompts, compute-bound: FLOP / (peak * utilization); a shape adds attention.",
        native=f"{FORWARD_FLOP_PER_PARAM}*{{model}}*{{prompt_tokens}}*{{batch}}/({{card}}*{{utilization}})",
        warns=True),
    Formula(
        "decode_time", "DECODE_TIME", decode_time, _DECODE_PARAMS, "ms/token", "s/token",
        "Time per output token: max(bytes read / (bandwidth * efficiency), FLOP / (peak * utilization)).",
        warns=True),
    Formula(
        "decode_throughput", "DECODE_THROUGHPUT", decode_throughput, _DECODE_PARAMS, "token/s/card", "token/h/card",
        "Output tokens per second per card of a decoding replica: batch / time per output token.", warns=True),
    Formula(
        "cost_per_million_tokens", "COST_PER_MILLION_TOKENS", cost_per_million_tokens,
        (Parameter("card_hour_price", "Price of one card for an hour (USD or CNY)", PRICE, example=PRICE_EXAMPLE),
         Parameter("tokens_per_second", "Tokens served per second per card", THROUGHPUT)),
        "USD/Mtoken", "CNY/Mtoken", "Cost of a million tokens: card-hour price / tokens per card-hour.",
        native="{card_hour_price}/{tokens_per_second}"),
    Formula(
        "replica_cards", "REPLICA_CARDS", replica_cards,
        (Parameter("weights", "Weights held (all experts of an MoE)", MEMORY),
         _WEIGHTS_READ, Parameter("kv_per_request", "KV cache of one request at its full context", MEMORY),
         _CARD_MEMORY, _CARD_BANDWIDTH, _LATENCY, _MEMORY_UTILIZATION, _EFFICIENCY),
        "card", "万张", "Fewest cards of one replica: they hold the weights and one request, and step it within latency.",
        native=("MAX(ROUNDUP(({weights}+{kv_per_request})/({memory}*{memory_utilization})*(1-{slack}),0),"
                "ROUNDUP(({weights_read}+{kv_per_request})/({latency}*{token}*{bandwidth}*{efficiency})*(1-{slack}),0))"),
        constants={"slack": str(ROUNDING_SLACK), "token": "1 token"}),
    Formula(
        "tensor_parallel_group", "TENSOR_PARALLEL_GROUP", tensor_parallel_group,
        (Parameter("cards", "Cards a replica needs at least (REPLICA_CARDS)", args.CARDS),),
        "card", "万张", "A deployable replica: 1, 2, 4 or 8 cards of one server, or whole 8-card servers.",
        native=tensor_parallel_native(), constants={"slack": str(ROUNDING_SLACK)}),
    Formula(
        "bandwidth_bound_cards", "BANDWIDTH_BOUND_CARDS", bandwidth_bound_cards,
        (_OUTPUT_RATE, _LATENCY, _WEIGHTS_READ, _KV_MEAN, _REPLICA, _CARD_BANDWIDTH, _EFFICIENCY),
        "card", "万张", "Cards that decode output_rate within latency per token when memory bandwidth binds.",
        native=("IF({latency}*{token}*{replica_cards}*{bandwidth}*{efficiency}-{weights_read}>={kv_per_request},"
                "{replica_cards}*{output_rate}*{latency}*{kv_per_request}"
                "/({latency}*{token}*{replica_cards}*{bandwidth}*{efficiency}-{weights_read}),NA())"),
        constants={"token": "1 token"}),
    Formula(
        "capacity_bound_cards", "CAPACITY_BOUND_CARDS", capacity_bound_cards,
        (_OUTPUT_RATE, _LATENCY, Parameter("weights", "Weights held per replica (all experts of an MoE)", MEMORY),
         _KV_MEAN, _REPLICA, _CARD_MEMORY, _MEMORY_UTILIZATION),
        "card", "万张", "Cards whose memory holds every replica's weights and every decoding request's KV cache.",
        native=("IF({replica_cards}*{memory}*{memory_utilization}-{weights}>={kv_per_request},"
                "MAX({replica_cards},{replica_cards}*{output_rate}*{latency}*{kv_per_request}"
                "/({replica_cards}*{memory}*{memory_utilization}-{weights})),NA())")),
    Formula(
        "fleet_cards", "FLEET_CARDS", fleet_cards,
        (Parameter("compute_cards", "Cards under the compute bound (INFER_CARDS)", args.CARDS),
         Parameter("bandwidth_cards", "Cards under the bandwidth bound", args.CARDS),
         Parameter("capacity_cards", "Cards under the capacity bound", args.CARDS), _REPLICA),
        "card", "万张", "The serving fleet: the largest of the three bounds, rounded up to whole replicas.",
        native=("ROUNDUP(MAX({compute_cards},{bandwidth_cards},{capacity_cards})/{replica_cards}*(1-{slack}),0)"
                "*{replica_cards}"),
        constants={"slack": str(ROUNDING_SLACK)}),
    Formula(
        "serving_cards", "SERVING_CARDS", serving_cards,
        _SERVING_LOAD_PARAMS,
        "card", "万张", "Cards a load needs per card type: the best layout's fleet, bounds (compute, bandwidth, "
        "capacity), the binding one, latency, throughput and cost.", table=True),
    Formula(
        "serving_plans", "SERVING_PLANS", serving_plans,
        _SERVING_LOAD_PARAMS,
        "card", "万张", "Every layout (TP1-8, across servers, EP for MoE) of every card sized for a load, best first: "
        "fleet, batch, TPOT, TTFT, binding bound, cost, feasible, reason.", table=True),
)



# -- one tensor-parallel plan row in native Excel (the serving planner's step; formulas/serving/steps.py) --
#: Excel text of the pieces of a plan row (over the PLAN_* parameters in base units).
_STEP_T = "{latency}*{token}"
_STEP_BW = "({replica_cards}*{bandwidth}*{efficiency})"
_STEP_CR = "({replica_cards}*{peak}*{utilization})"
_STEP_ROOM = "({replica_cards}*{memory}*{memory_utilization}-{weights})"
_STEP_MF, _STEP_MS = f"{{weights}}/{_STEP_BW}", f"{{kv_mean}}/{_STEP_BW}"
_STEP_CS = f"{{step_flop}}*{{token}}/{_STEP_CR}"
_STEP_BY_MEMORY = f"({_STEP_T}-{{comm_fixed}}-{_STEP_MF})/({{comm_per_request}}+{_STEP_MS})"
_STEP_BY_COMPUTE = f"({_STEP_T}-{{comm_fixed}})/({{comm_per_request}}+{_STEP_CS})"
_STEP_CAPACITY = f"MAX({_STEP_ROOM},0)/{{kv_mean}}"
_STEP_ONE = f"MAX({_STEP_MF}+{_STEP_MS},{_STEP_CS})+{{comm_fixed}}+{{comm_per_request}}"
_STEP_OK = f"AND({_STEP_ROOM}>={{kv_full}},{_STEP_ONE}<={_STEP_T}*(1+{{slack}}))"
_STEP_BATCH = f"MAX(MIN({_STEP_BY_MEMORY},{_STEP_BY_COMPUTE},{_STEP_CAPACITY}),1)"
_STEP_MEMORY_TIME = f"({_STEP_MF}+{_STEP_MS}*{_STEP_BATCH})"
_STEP_COMPUTE_TIME = f"({_STEP_CS}*{_STEP_BATCH})"
_STEP_COMM_TIME = f"({{comm_fixed}}+{{comm_per_request}}*{_STEP_BATCH})"
_STEP_CONSTANTS = {"slack": str(ROUNDING_SLACK), "token": "1 token"}
_PLAN_PARAMS = (
    _LATENCY, Parameter("weights", "Weights held by a replica", MEMORY),
    Parameter("kv_mean", "KV cache of one request at its mean context while decoding", MEMORY),
    Parameter("kv_full", "KV cache of one request at its full context", MEMORY),
    Parameter("step_flop", "FLOP per decoded token, the prefill chunk included (FLOP per call / answer tokens)",
              STEP_FLOP),
    Parameter("replica_cards", "Cards of the tensor-parallel group (1, 2, 4, 8)", args.CARDS),
    _CARD_MEMORY, _CARD_BANDWIDTH, Parameter("peak", "Peak per card at the serving precision", args.PEAK),
    Parameter("comm_fixed", "Fixed communication time of a step (TENSOR_PARALLEL_COMM_TIME with payload 0)",
              COMM_TIME, positive=False),
    Parameter("comm_per_request", "Communication time a step adds per request", COMM_TIME, positive=False),
    _MEMORY_UTILIZATION, _EFFICIENCY, _SERVING_UTILIZATION)

#: The serving planner's tensor-parallel row, one record per column (issue 21's template).
PLAN_RECORDS: tuple[Formula, ...] = (
    Formula(
        "tensor_parallel_comm_time", "TENSOR_PARALLEL_COMM_TIME", tensor_parallel_comm_time,
        (Parameter("layers", "Transformer layers", COUNT, example="80", whole=True),
         Parameter("payload", "Bytes each card all-reduces (tokens x hidden x 2 bytes); 0: the fixed part", PAYLOAD,
                   positive=False),
         Parameter("tensor_parallel", "Cards of the tensor-parallel group", COUNT, example="4", whole=True),
         Parameter("link_bandwidth", "Scale-up link per card and direction (NVLink, PCIe)", LINK_BANDWIDTH),
         Parameter("busbw", "Share of the link an all-reduce achieves (NCCL bus bandwidth)", args.UTILIZATION,
                   maximum="100%"),
         Parameter("latency", "Fixed time of one all-reduce", COMM_TIME, positive=False)),
        "ms", "s", "Tensor-parallel communication of a decode step: 2 ring all-reduces per layer over the scale-up "
        "link.",
        native=("IF({tensor_parallel}>1,{allreduces}*{layers}*(2*({tensor_parallel}-1)/{tensor_parallel}*{payload}"
                "/({link_bandwidth}*{busbw})+{latency}),0)"),
        constants={"allreduces": str(ALLREDUCES_PER_LAYER)}),
    Formula(
        "plan_batch", "PLAN_BATCH", plan_batch, _PLAN_PARAMS, "dimensionless", "dimensionless",
        "Requests a tensor-parallel replica decodes at once within latency and memory; 0 where it cannot serve.",
        native=f"IF({_STEP_OK},{_STEP_BATCH},0)", constants=_STEP_CONSTANTS),
    Formula(
        "plan_step_time", "PLAN_STEP_TIME", plan_step_time,
        (Parameter("batch", "Requests stepped together (PLAN_BATCH; 0 is taken as 1)", BATCH, positive=False),
         *(param for param in _PLAN_PARAMS if param.name in ("weights", "kv_mean", "step_flop", "replica_cards",
                                                               "bandwidth", "peak", "comm_fixed", "comm_per_request",
                                                               "efficiency", "utilization"))),
        "ms/token", "s/token", "Time per output token of a tensor-parallel replica stepping batch requests.",
        native=("(MAX(({weights}+{kv_mean}*MAX({batch},1))/" + _STEP_BW + ",{step_flop}*{token}*MAX({batch},1)/"
                + _STEP_CR + ")+{comm_fixed}+{comm_per_request}*MAX({batch},1))/{token}"),
        constants={"token": "1 token"}),
    Formula(
        "plan_cards", "PLAN_CARDS", plan_cards,
        (_OUTPUT_RATE, Parameter("step_time", "Time per output token (PLAN_STEP_TIME)", LATENCY),
         Parameter("batch", "Requests per replica (PLAN_BATCH); 0: the row cannot serve", BATCH, positive=False),
         _REPLICA),
        "card", "万张", "Fleet of a plan row: whole replicas serving output_rate at step_time; 0 where batch is 0.",
        native="IF({batch}>=1,ROUNDUP({output_rate}*{step_time}/{batch}*(1-{slack}),0)*{replica_cards},0)",
        constants={"slack": str(ROUNDING_SLACK)}),
    Formula(
        "plan_status", "PLAN_STATUS", plan_status, _PLAN_PARAMS, "dimensionless", "dimensionless",
        "Plan row status: 1 feasible, 2 one request misses the latency target, 0 the weights do not fit.",
        native=f"IF({_STEP_OK},1,IF({_STEP_ROOM}>={{kv_full}},2,0))", constants=_STEP_CONSTANTS),
    Formula(
        "plan_binding", "PLAN_BINDING", plan_binding, _PLAN_PARAMS, "dimensionless", "dimensionless",
        "Plan row binding bound: 1 bandwidth, 2 compute, 3 communication, 4 capacity, 0 cannot.",
        native=(f"IF({_STEP_OK},IF({_STEP_CAPACITY}<MIN({_STEP_BY_MEMORY},{_STEP_BY_COMPUTE}),4,"
                f"IF(AND({_STEP_MEMORY_TIME}>={_STEP_COMPUTE_TIME},{_STEP_MEMORY_TIME}>={_STEP_COMM_TIME}),1,"
                f"IF({_STEP_COMPUTE_TIME}>={_STEP_COMM_TIME},2,3))),0)"),
        constants=_STEP_CONSTANTS),
    Formula(
        "fewest_cards", "FEWEST_CARDS", fewest_cards,
        tuple(Parameter(f"cards_{letter}", "Fleet cards of a plan row (PLAN_CARDS; 0: cannot serve)", args.CARDS,
                        positive=False) for letter in "abcd"),
        "card", "万张", "The fewest fleet cards among plan rows that can serve (the best row); 0 when none can.",
        native=("IF(MIN({cards_a},{cards_b},{cards_c},{cards_d})<0,NA(),IF(MAX({cards_a},{cards_b},{cards_c},{cards_d})>0,MIN(IF({cards_a}>0,{cards_a},9E+307),"
                "IF({cards_b}>0,{cards_b},9E+307),IF({cards_c}>0,{cards_c},9E+307),IF({cards_d}>0,{cards_d},9E+307)),0))")),
)

_SHAPE = Parameter("shape", 'A model shape name from the catalogue ("Llama-2-7B", "Mixtral 8x7B")', role="name",
                   example="Llama-2-7B")
_SEQ_LEN = Parameter("seq_len", "Tokens per sequence (attention grows with its square)", SEQ_LEN)
_TRAIN_MODEL = Parameter("model", 'Parameter count, or a model shape name ("Llama-2-70B"; activations need a shape)',
                         args.PARAMETERS, example="7.5e9")
_ACTIVATION_SEQ_LEN = Parameter("seq_len", "Tokens per sequence; with a shape name, activations are counted", SEQ_LEN)
_PRECISION = Parameter("precision", "Training precision: bf16 or fp16 (mixed, 16-bit weights) or fp32", role="name",
                       example="bf16")
_OPTIMIZER = Parameter("optimizer", "adam (12 bytes per parameter in mixed precision), adamw or sgd", role="name",
                       example="adam")
_ZERO_STAGE = Parameter("zero_stage", "ZeRO stage 0-3: 1 shards optimizer states, 2 gradients too, 3 weights too",
                        WHOLE_COUNT, example="1", positive=False, whole=True)
_MICRO_BATCH = Parameter("micro_batch", "Sequences per card per step (whole number)", WHOLE_COUNT, example="1",
                         whole=True)
_RECOMPUTE = Parameter("recompute", 'Activation recomputation: FALSE, TRUE (full) or "selective"', example="TRUE")
_TENSOR_PARALLEL = Parameter("tensor_parallel", "Tensor-parallel degree (cards; also divides activations)",
                             WHOLE_COUNT, example="8", whole=True)
_PIPELINE_PARALLEL = Parameter("pipeline_parallel", "Pipeline-parallel degree (cards)", WHOLE_COUNT, example="1",
                               whole=True)
_SEQUENCE_PARALLEL = Parameter("sequence_parallel", "TRUE for Megatron sequence parallelism", role="flag")
_MEMORY_CARD = Parameter("card", 'A catalogue card whose memory must hold the job ("H100")', role="name",
                         example="H100")

#: Training beyond 6ND (issue 14): forward FLOP of a shape, training memory, cards, compute-optimal size.
TRAINING_RECORDS: tuple[Formula, ...] = (
    Formula(
        "forward_flops", "FORWARD_FLOPS", forward_flops,
        (_SHAPE, _SEQ_LEN, Parameter("sequences", "Sequences (a plain count)", SEQUENCES, example="1")),
        "FLOP", "TFLOP", "Forward-pass FLOP of sequences of seq_len tokens through a model shape: matmuls, attention "
        "(grows with seq_len squared) and the LM head."),
    Formula(
        "flops_breakdown", "FLOPS_BREAKDOWN", flops_breakdown,
        (_SHAPE, _SEQ_LEN,
         Parameter("tokens", "Tokens processed; default one sequence (seq_len)", args.TOKENS),
         Parameter("train", "TRUE for a training step (forward + backward, 3x the forward)", role="flag"),
         Parameter("recompute", "TRUE, with train: full activation recomputation (one more forward of the layers)",
                   role="flag")),
        "FLOP", "TFLOP", "FLOP and share of each part of a model shape (qkv, attention, projection, ffn, "
        "embedding/head, total).", table=True),
    Formula(
        "train_memory", "TRAIN_MEMORY", train_memory,
        (_TRAIN_MODEL,
         Parameter("cards", "Cards in the job (whole); data-parallel = cards / (tensor x pipeline parallel)",
                   WHOLE_COUNT, example="64", whole=True),
         _PRECISION, _OPTIMIZER, _ZERO_STAGE, _ACTIVATION_SEQ_LEN, _MICRO_BATCH, _RECOMPUTE, _TENSOR_PARALLEL,
         _PIPELINE_PARALLEL, _SEQUENCE_PARALLEL,
         Parameter("card", 'A catalogue card ("H100"): adds its memory in GB and whether the total fits', role="name",
                   example="H100")),
        "byte", "GB", "Training memory per card in bytes and GB: weights, gradients, optimizer states (ZeRO), "
        "activations (Korthikanti 2022), total.", table=True),
    Formula(
        "min_train_cards", "MIN_TRAIN_CARDS", min_train_cards,
        (_TRAIN_MODEL, Parameter("tokens", "Training tokens", args.TOKENS),
         Parameter("peak", 'Peak per card, or a catalogue peak ("H100 bf16") that also names the card', args.PEAK,
                   example="H100 bf16"),
         _UTILIZATION, Parameter("duration", "Wall-clock training time", args.DURATION),
         _ACTIVATION_SEQ_LEN, _PRECISION, _OPTIMIZER, _ZERO_STAGE, _MICRO_BATCH, _RECOMPUTE, _TENSOR_PARALLEL,
         _PIPELINE_PARALLEL, _SEQUENCE_PARALLEL, _MEMORY_CARD),
        "card", "万张", "Fewest cards that both fit the model in memory and finish within duration: cards, the binding "
        "requirement, each requirement's cards, the reason.", warns=True, table=True),
    Formula(
        "chinchilla_optimal", "CHINCHILLA_OPTIMAL", chinchilla_optimal,
        (Parameter("flops", "Training compute budget (a count)", args.FLOP),
         Parameter("tokens_per_param", 'Tokens per parameter for method "ratio" (token/parameter)',
                   TOKENS_PER_PARAM_KIND),
         Parameter("method", '"ratio" (tokens_per_param) or "fitted" (Hoffmann 2022 Approach 3)', role="name",
                   example="ratio")),
        "parameter", "token", "Compute-optimal parameters and tokens for a budget (Hoffmann et al. 2022, C = 6ND): "
        "a row per budget.", table=True),
)

_TRAIN_MODEL_FLOP = Parameter("model", 'Parameter count, or a model shape name ("Llama 3.1 405B"; attention needs a '
                              "shape and sequence)", args.PARAMETERS, example="176e9")
_PLAN_PARAMS = (
    Parameter("model", 'A model shape name from the catalogue ("Llama 3.1 405B")', role="name",
              example="Llama 3.1 405B"),
    Parameter("cards", "Cards in the job (whole)", WHOLE_COUNT, example="16384", whole=True),
    Parameter("card", 'A catalogue card with its precision ("H100 bf16"): peak, memory, links', role="name",
              example="H100 bf16"),
    Parameter("tokens_per_step", "Tokens per optimizer step (or give global_batch)", args.TOKENS, example="16e6"),
    Parameter("sequence", "Tokens per sequence", SEQ_LEN, example="8192"),
    Parameter("global_batch", "Sequences per optimizer step (or give tokens_per_step)", WHOLE_COUNT, example="2048",
              whole=True),
    Parameter("tensor_parallel", "Pin the tensor-parallel degree (searched if empty)", WHOLE_COUNT, example="8",
              whole=True),
    Parameter("pipeline_parallel", "Pin the pipeline-parallel degree (searched if empty)", WHOLE_COUNT, example="16",
              whole=True),
    Parameter("data_parallel", "Pin the data-parallel degree (searched if empty)", WHOLE_COUNT, example="128",
              whole=True),
    Parameter("expert_parallel", "Pin the expert-parallel degree, MoE (searched if empty)", WHOLE_COUNT, example="8",
              whole=True),
    Parameter("context_parallel", "Pin the context-parallel degree (searched over 8k tokens if empty)", WHOLE_COUNT,
              example="1", whole=True),
    Parameter("micro_batch", "Pin sequences per micro-batch (searched if empty)", WHOLE_COUNT, example="1", whole=True),
    Parameter("zero_stage", "Pin the ZeRO stage 0-3 (searched if empty)", WHOLE_COUNT, example="1", positive=False,
              whole=True),
    Parameter("recompute", 'Pin recomputation: "none", "selective", "full" (searched if empty)', example="selective"),
    Parameter("virtual_stages", "Pin interleaved pipeline chunks per rank (searched if empty)", WHOLE_COUNT,
              example="2", whole=True),
)

#: The training planner (issue 25): every layout, and the best one's MFU.
PLANNER_RECORDS: tuple[Formula, ...] = (
    Formula(
        "training_plans", "TRAINING_PLANS", training_plans, _PLAN_PARAMS, "s", "ms",
        "Parallel layouts of a model on cards, best first: memory per card, fits, step time and its parts, "
        "tokens/s, MFU, HFU.", table=True),
    Formula(
        "published_utilization", "PUBLISHED_UTILIZATION", published_utilization,
        (_TRAIN_MODEL_FLOP, Parameter("peak", 'Dense peak per card of the precision used ("A100 bf16")', args.PEAK,
                                      example="A100 bf16"),
         Parameter("tokens_per_second_per_card", "Published tokens per second per card", RATE),
         Parameter("seconds_per_iteration", "Published seconds per iteration (with global_batch, sequence, cards)",
                   SECONDS),
         Parameter("global_batch", "Sequences per iteration", WHOLE_COUNT, example="2048", whole=True),
         Parameter("cards", "Cards of the run", args.CARDS),
         Parameter("tflops_per_card", 'Published "TFLOP/s per GPU"', TFLOPS_PER_CARD),
         Parameter("sequence", "Tokens per sequence", SEQ_LEN, example="2048"),
         Parameter("recompute", 'What the run recomputed: "none", "selective" or "full"', role="name", example="full"),
         Parameter("counts", 'What tflops_per_card counts: "hardware" (recompute in) or "model"', role="name",
                   example="hardware")),
        "dimensionless", "%", "MFU and HFU a published throughput implies (tokens/s per card, seconds per iteration "
        "or TFLOP/s per GPU).", table=True),
    Formula(
        "predicted_utilization", "PREDICTED_UTILIZATION", predicted_utilization, _PLAN_PARAMS, "dimensionless", "%",
        "MFU of the best parallel layout of a model on cards (TRAINING_PLANS' first row)."),
)


_CLUSTER_CARDS = Parameter("cards", "Cards in the cluster (rounded up to whole servers)", args.CARDS, example="100000")
_CLUSTER_CARD = Parameter("card", 'A catalogue card ("H100", "B200", "GB200"): its server, NICs and prices', role="name",
                          example="H100")
_RADIX = Parameter("switch_radix", "Ports per switch at link_speed", role="quantity", example="64")
_LINK_SPEED = Parameter("link_speed", "Port speed in bits per second (default the card's NIC share)", role="quantity",
                        example="400 Gbit/s")
_OVERSUBSCRIPTION = Parameter("oversubscription", "Leaf downlink:uplink ratio, 1 or more (1 = non-blocking)",
                              role="quantity", example="1")
_TIERS = Parameter("tiers", "Switch tiers (default the fewest that hold the cluster)", role="quantity", example="3")
_NICS = Parameter("nics_per_card", "NIC ports (rails) per card", role="quantity", example="1")
_RAIL = Parameter("rail_optimized", "TRUE: leaves per rail (NVIDIA SuperPOD layout)", role="flag")
_TWIN = Parameter("twin_port", "TRUE: one 800G module ends two 400G links", role="flag")
_LEAF_CABLE = Parameter("leaf_cable", 'Server-to-leaf links: "optics", "aoc", "dac" or "acc"', role="name",
                        example="optics")
_FABRIC = (_CLUSTER_CARDS, _CLUSTER_CARD, _RADIX, _LINK_SPEED, _NICS, _RAIL, _OVERSUBSCRIPTION, _TIERS, _TWIN,
           _LEAF_CABLE)


def _price(name: str, label: str, example: str) -> Parameter:
    """A price or share argument read with its basis (default: the price catalogue's)."""
    return Parameter(name, label, role="quantity", example=example)


_PUE = _price("pue", "Facility power / IT power (default the catalogue's 1.3)", "1.3")
_CARD_HOUR_PRICE = Parameter("card_hour_price", "Cost or price of one card-hour", role="quantity",
                             example="2 USD/card_hour")

#: Cluster economics (issue 26): fabric, optics, power, capex, cost per card-hour, training, tokens, margin.
CLUSTER_RECORDS: tuple[Formula, ...] = (
    Formula(
        "cluster_network", "CLUSTER_NETWORK", cluster_network, _FABRIC, "switch", "module",
        "Scale-out fat-tree of a cluster per tier (leaf, spine, core...) and total: switches, links, modules, "
        "cables by kind, each per card; the NVLink domain apart.", table=True),
    Formula(
        "optics_per_card", "OPTICS_PER_CARD", optics_per_card,
        (Parameter("cards", "Cluster sizes (a range of card counts)", role="quantity", example="1000"),
         *_FABRIC[1:]), "module/card", "module",
        "Optical modules, switches and links per card for each cluster size (tiers grow with size).", table=True),
    Formula(
        "cluster_power", "CLUSTER_POWER", cluster_power,
        (_CLUSTER_CARDS, _CLUSTER_CARD, _PUE,
         Parameter("server_load", "Share of the servers' maximum power drawn, (0, 100%]", role="quantity", example="1"),
         _RADIX, _LINK_SPEED, _OVERSUBSCRIPTION, _TIERS), "MW", "kW",
        "Power of servers (system figures, not TDP alone), switches and modules; IT and facility (PUE), MW and "
        "MWh a year.", table=True),
    Formula(
        "cluster_capex", "CLUSTER_CAPEX", cluster_capex,
        (_CLUSTER_CARDS, _CLUSTER_CARD, _price("server_price", "Per server (USD/server)", "300000 USD/server"),
         _price("switch_price", "Per scale-out switch (USD/switch)", "36000 USD/switch"),
         _price("transceiver_price", "Per optical module (USD/module)", "1100 USD/module"),
         _price("cable_price", "Per fiber cable (USD/cable)", "60 USD/cable"),
         _price("storage_share", "Storage, a share of servers and network", "3%"),
         _price("facility_price", "Building, power and cooling per MW of IT (USD/MW)", "11000000 USD/MW"),
         _RADIX, _LINK_SPEED, _OVERSUBSCRIPTION, _TIERS), "USD", "CNY",
        "Capex by part (servers, switches, modules, cables, storage, facility) and total, per card and share.",
        table=True),
    Formula(
        "capex_cards", "CAPEX_CARDS", capex_cards,
        (Parameter("budget", "Capex budget (USD or CNY)", role="quantity", example="1e9 USD"), _CLUSTER_CARD,
         _price("server_price", "Per server (USD/server)", "300000 USD/server"),
         _price("switch_price", "Per scale-out switch (USD/switch)", "36000 USD/switch"),
         _price("transceiver_price", "Per optical module (USD/module)", "1100 USD/module"),
         _price("facility_price", "Per MW of IT (USD/MW)", "11000000 USD/MW"), _RADIX, _TIERS), "card", "server",
        "What a capex budget buys: cards in whole servers, switches, modules, MW, with the fabric and facility.",
        table=True),
    Formula(
        "fabric_tiers", "FABRIC_TIERS", fabric_tiers,
        (Parameter("cards", "Cards in the cluster", args.CARDS, example="100000"),
         Parameter("switch_radix", "Ports per switch", FABRIC_COUNT, example="64", whole=True),
         Parameter("nics_per_card", "NIC ports per card", FABRIC_COUNT, example="1", whole=True)),
        "dimensionless", "dimensionless", "Fewest fat-tree tiers whose k-port switches hold the NIC ports: "
        "k²/2 at two tiers, k³/4 at three.",
        native=tiers_native()),
    Formula(
        "fabric_switches_per_card", "FABRIC_SWITCHES_PER_CARD", fabric_switches_per_card,
        (Parameter("switch_radix", "Ports per switch", FABRIC_COUNT, example="64", whole=True),
         Parameter("tiers", "Fat-tree tiers (FABRIC_TIERS)", FABRIC_COUNT, example="3", whole=True),
         Parameter("nics_per_card", "NIC ports per card", FABRIC_COUNT, example="1", whole=True)),
        "switch/card", "switch/card", "Switches per card of a full non-blocking fat-tree: "
        "nics * (2 * (tiers - 1) + 1) / switch_radix.",
        native="{nics_per_card}*(2*({tiers}-1)+1)/{switch_radix}"),
    Formula(
        "fabric_optics_per_card", "FABRIC_OPTICS_PER_CARD", fabric_optics_per_card,
        (Parameter("tiers", "Fat-tree tiers (FABRIC_TIERS)", FABRIC_COUNT, example="3", whole=True),
         Parameter("nics_per_card", "NIC ports per card", FABRIC_COUNT, example="1", whole=True),
         Parameter("ports_per_module", "Links one module ends: 2 for a twin-port 800G, 1 for single", FABRIC_COUNT,
                   example="2", whole=True)),
        "module/card", "module/card", "Optical modules per card: nics * tiers * 2 / ports_per_module (a link per "
        "tier, a module at each end).",
        native="{nics_per_card}*{tiers}*2/{ports_per_module}"),
    Formula(
        "card_hour_cost", "CARD_HOUR_COST", card_hour_cost,
        (Parameter("capex_per_card", "All-in capex per card (USD/card)", role="quantity", example="63000 USD/card"),
         Parameter("power_per_card", "IT power per card (kW/card)", role="quantity", example="1.42 kW/card"),
         _price("depreciation_life", "Years written off over", "5 years"),
         _price("cost_of_capital", "Cost of capital a year", "8 percent/year"),
         _price("electricity_price", "Per kWh", "0.081 USD/kWh"), _PUE,
         Parameter("utilization", "Share of hours used or sold, (0, 100%]", role="quantity", example="80%"),
         _price("operations_share", "Operations a year, share of capex", "4 percent/year"),
         _price("rental_price", "Rental price per card-hour: adds profit and both margins", "2 USD/card_hour")),
        "USD/card_hour", "CNY/card_hour",
        "Cost of ownership per card-hour (depreciation, capital, electricity, operations) and the rental margin.",
        table=True),
    Formula(
        "training_cost", "TRAINING_COST", training_cost,
        (Parameter("card_hours", "Accelerator time (card-hours), or cards when duration is given", CLUSTER_CARD_HOURS),
         _CARD_HOUR_PRICE,
         Parameter("duration", "Wall-clock time, when card_hours is a card count", role="quantity", example="56 days")),
        "USD", "CNY", "Cost of a training run: card-hours x price per card-hour (or cards x duration x price)."),
    Formula(
        "token_cost", "TOKEN_COST", token_cost,
        (Parameter("tokens_per_second", "Output tokens per second per card, or a serving plan", role="quantity",
                   example="1500 token/s/card"),
         _CARD_HOUR_PRICE,
         Parameter("input_tokens_per_second", "Prompt tokens per second per card (default as output)", role="quantity",
                   example="15000 token/s/card"),
         Parameter("cached_input_cost", "A cached input token's cost, share of a fresh one", role="quantity",
                   example="25%"),
         Parameter("output_share", "With a plan: answer tokens' share of prompt plus answer", role="quantity",
                   example="33%")),
        "USD/Mtoken", "CNY/Mtoken", "Cost per million output, input and cached-input tokens from throughput per "
        "card and a card-hour cost.", table=True),
    Formula(
        "serving_margin", "SERVING_MARGIN", serving_margin,
        (Parameter("input_tokens", "Input tokens in the period, cache hits included", role="quantity",
                   example="608e9 token"),
         Parameter("output_tokens", "Output tokens in the same period", role="quantity", example="168e9 token"),
         Parameter("input_price", "Per million input tokens (cache miss)", role="quantity", example="0.55 USD/Mtoken"),
         Parameter("output_price", "Per million output tokens", role="quantity", example="2.19 USD/Mtoken"),
         Parameter("fleet_cost", "Fleet cost over the same period", role="quantity", example="87072 USD"),
         Parameter("cache_hit_share", "Share of input tokens that hit the cache", role="quantity", example="56%"),
         Parameter("cached_input_price", "Per million cache-hit input tokens", role="quantity",
                   example="0.14 USD/Mtoken")),
        "USD", "CNY", "Revenue, cost, profit, margin_on_revenue (profit/revenue) and profit_over_cost (profit/cost).",
        table=True),
)


_RECORDS: tuple[Formula, ...] = (
    Formula(
        "data_tokens", "DATA_TOKENS", data_tokens,
        (Parameter("data", "Training data size (TB is decimal, TiB binary)", args.DATA),
         Parameter("bytes_per_char", "Bytes per character (2 = UTF-16)", args.BYTES_PER_CHAR),
         Parameter("chars_per_word", "Characters per word", args.CHARS_PER_WORD),
         Parameter("words_per_token", "Words per token", args.WORDS_PER_TOKEN)),
        "token", "万亿token",
        "Tokens in a training-data size: data / bytes_per_char / chars_per_word / words_per_token.",
        native="{data}/({bytes_per_char}*{chars_per_word}*{words_per_token})"),
    Formula(
        "train_flops", "TRAIN_FLOPS", train_flops,
        (Parameter("params", "Parameter count", args.PARAMETERS), Parameter("tokens", "Training tokens", args.TOKENS),
         _PER_PARAM_TOKEN),
        "FLOP", "TFLOP", "Training compute of a dense model: params * tokens * flop_per_param_token.",
        native="{params}*{tokens}*{flop_per_param_token}"),
    Formula(
        "train_cards", "TRAIN_CARDS", train_cards,
        (_FLOPS, _PEAK, _UTILIZATION,
         Parameter("duration", "Wall-clock training time (a month is 30.4375 days)", args.DURATION)),
        "card", "万张", "Cards needed to train flops within duration: flops / (peak * utilization * duration).",
        native="{flops}/({peak}*{utilization}*{duration})", warns=True),
    Formula(
        "train_duration", "TRAIN_DURATION", train_duration,
        (_FLOPS, Parameter("cards", "Cards in the cluster", args.CARDS), _PEAK, _UTILIZATION),
        "day", "month", "Wall-clock time for cards to train flops: flops / (cards * peak * utilization).",
        native="{flops}/({cards}*{peak}*{utilization})", warns=True),
    Formula(
        "train_card_hours", "TRAIN_CARD_HOURS", train_card_hours,
        (_FLOPS, _PEAK, _UTILIZATION),
        "card_hour", "card_day", "Accelerator time that flops of training consume: flops / (peak * utilization).",
        native="{flops}/({peak}*{utilization})", warns=True),
    Formula(
        "implied_utilization", "IMPLIED_UTILIZATION", implied_utilization,
        (_FLOPS, Parameter("card_hours", "Accelerator time the training took", CARD_HOURS), _PEAK),
        "dimensionless", "%", "Utilization that training compute and its card-hours imply: flops / (card_hours * peak).",
        native="{flops}/({card_hours}*{peak})"),
    Formula(
        "infer_flops", "INFER_FLOPS", infer_flops,
        (Parameter("params", "Parameter count (active parameters for MoE)", args.PARAMETERS),
         Parameter("tokens", "Tokens per call, prompt plus answer", args.TOKENS), _PER_PARAM_TOKEN),
        "FLOP", "TFLOP", "Compute of one inference call: params * tokens * flop_per_param_token.",
        native="{params}*{tokens}*{flop_per_param_token}"),
    Formula(
        "infer_cards", "INFER_CARDS", infer_cards,
        (Parameter("flops_per_call", "Compute per call", args.FLOP_PER_CALL),
         Parameter("calls_per_day", "Calls a day (DAU x calls per user)", args.CALL_RATE),
         _PEAK, _UTILIZATION,
         Parameter("busy_hours", f"Hours a day the demand is spread over, in (0, {HOURS_PER_DAY}]", args.BUSY_HOURS,
                   maximum=f"{HOURS_PER_DAY} hour")),
        "card", "万张", "Cards that serve a day's calls within its busy hours.",
        native="{flops_per_call}*{calls_per_day}*{seconds_per_day}/({peak}*{utilization}*{busy_hours})",
        constants={"seconds_per_day": "1 day"}, warns=True),
    Formula(
        "card_peak", "CARD_PEAK", card_peak,
        (_CARD, Parameter("precision", "fp64, fp32, tf32, bf16, fp16, fp8, int8 or fp4", role="name", example="tf32"),
         Parameter("sparse", "TRUE for the 2:4 structured-sparsity figure", role="flag")),
        "TFLOPS/card", "PFLOPS", "Peak throughput of an accelerator per card at a precision (dense unless sparse).",
        lookup=True),
    _card_field("card_memory", card_memory, "Memory capacity", "GB/card", "GiB"),
    _card_field("card_bandwidth", card_bandwidth, "Memory bandwidth", "GB/s/card", "TB/s"),
    _card_field("card_power", card_power, "Thermal design power (TDP)", "W/card", "kW"),
    *TRAINING_RECORDS,
    *PLANNER_RECORDS,
    *SERVING_RECORDS,
    *PLAN_RECORDS,
    *CLUSTER_RECORDS,
)

#: Every computing function, in the order the documentation and Excel list them.
FUNCTIONS: tuple[Formula, ...] = tuple(_with_defaults(record) for record in _RECORDS)


def by_name() -> dict[str, Formula]:
    """The table keyed by Python name."""
    return {formula.name: formula for formula in FUNCTIONS}


def _signature_text(formula: Formula) -> str:
    """``train_flops(params, tokens, flop_per_param_token=6)`` for the function reference."""
    parts = []
    for param in formula.params:
        if not param.optional:
            parts.append(param.name)
        else:
            default = param.default
            shown = f"{default:g}" if isinstance(default, (int, float)) and not isinstance(default, bool) else repr(default)
            parts.append(f"{param.name}={shown}")
    return f"{formula.name}({', '.join(parts)})"


#: How the function reference describes arguments that are not quantities.
_ROLE_TEXT = {"name": "text", "flag": "TRUE/FALSE"}


def _bare_kind(param: Parameter) -> str:
    """What a unitless argument is: text, a flag, a fraction (maximum 100%) or a plain number."""
    if param.role in _ROLE_TEXT:
        return _ROLE_TEXT[param.role]
    if param.kind is None:
        return "text"
    return "fraction" if param.maximum is not None else "number"


def markdown_table() -> str:
    """The function reference's table, generated from :data:`FUNCTIONS`.

    One row per function: Python call with defaults, Excel name, result unit, the unit
    of bare numbers per argument, and the native-Excel template where there is one.
    """
    lines = ["| Python | Excel | result | bare numbers in | native Excel (base units) |",
             "| --- | --- | --- | --- | --- |"]
    for formula in FUNCTIONS:
        units = ", ".join(f"{param.name}: {param.unit or _bare_kind(param)}"
                          for param in formula.params)
        named = {name: name for name in [*(param.name for param in formula.params), *formula.constants]}
        native = (f"`{formula.native.format(**named)}`" if formula.native
                  else "catalogue value" if formula.lookup else "add-in only (table)" if formula.table
                  else "add-in only (reads the catalogue or a model shape)")
        result = "table (DataFrame)" if formula.table else formula.result_unit
        lines.append(f"| `{_signature_text(formula)}` | `{formula.excel_name}` | {result} | {units} "
                     f"| {native} |")
    return "\n".join(lines)
