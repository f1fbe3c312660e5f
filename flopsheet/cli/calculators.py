"""The calculator commands: ``flopsheet train``, ``flopsheet serve`` and ``flopsheet cluster`` without a spec.

Each command reads its options under the command line's bare-number rule
(:mod:`.values`; an option whose name states its unit, ``--days``,
``--busy-hours``, ``--calls-per-day``, reads a bare number in that unit) and computes
through the formulas of :mod:`flopsheet.formulas`, the functions the Python API, the
Excel add-in and the specs call: the numbers are the same on every face.

``flopsheet train --params 70B --tokens 15T --card "H100 bf16" --mfu 40% --days 60``::

    training compute  6.3e+24    FLOP
    cards             3,070      card
    card-hours        4,421,634  card_hour

Light on purpose (no pandas, no openpyxl): it starts as fast as ``import flopsheet``.
"""

from __future__ import annotations

import argparse
import inspect
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pint

from ..formulas import FUNCTIONS, args, infer_cards, infer_flops, train_card_hours, train_cards, train_duration, train_flops
from ..formulas import magnitudes as fast
from ..formulas.catalogues.cards import card_power
from ..formulas.catalogues.peaks import Peak, Utilization, as_peak, as_utilization
from ..formulas.training.memory import refuse_integer_peak
from ..units import AssumptionWarning, InputError, InputRangeError, Q, UnitInputError
from ..workbooks.outputs.safe_io import strict_json
from .values import EXIT_OK, HELP_FORMAT, add_format, is_bare, require_unit

#: How a price per card-hour is checked: either currency per card per hour.
PRICE_UNITS: tuple[str, ...] = ("USD/card/hour", "CNY/card/hour")
#: Unit of the energy line.
ENERGY_UNIT = "MWh"
#: Smallest power usage effectiveness: the facility draws at least what the cards do.
MIN_PUE = 1.0
#: A power per card: what --tdp reads ("700 W" is per card).
TDP = args.ArgKind("W/card", "a power per card", "700 W")
#: Where the messages of the quick commands say the unit is kept.
KEPT_IN = "it is a quantity in units like"


@dataclass(frozen=True)
class Line:
    """One line of the calculator's output: a quantity shown in ``unit``.

    name : the JSON key ("cards"). label : what the line is ("cards").
    """

    name: str
    label: str
    quantity: pint.Quantity
    unit: str

    @property
    def value(self) -> float:
        """The magnitude in ``unit``."""
        return float(self.quantity.to(self.unit or "dimensionless").magnitude)

    def as_dict(self) -> dict[str, Any]:
        """The line as JSON: name, label, value, unit."""
        return {"name": self.name, "label": self.label, "value": self.value, "unit": self.unit}


@dataclass(frozen=True)
class Calculation:
    """What a quick command computed: its title, the inputs as read, the results, the warnings."""

    command: str
    title: str
    inputs: list[Line]
    results: list[Line]
    warnings: list[str]
    plans: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON document (docs/guides/command-line.md: "Quick calculator"); ``plans`` with ``serve --plans``."""
        document = {"command": self.command, "title": self.title, "inputs": [line.as_dict() for line in self.inputs],
                    "results": [line.as_dict() for line in self.results], "warnings": self.warnings}
        if self.plans:
            document["plans"] = self.plans
        return document


# --- reading options -----------------------------------------------------------------


#: The formulas' argument names as ``flopsheet train`` spells them (its errors name the option the user typed).
TRAIN_OPTIONS: dict[str, str] = {"params": "--params", "tokens": "--tokens", "flop_per_param_token": "--flop-per-param-token",
                                 "peak": "--card", "utilization": "--mfu", "duration": "--days", "cards": "--cards"}
#: The formulas' argument names as ``flopsheet serve`` spells them.
SERVE_OPTIONS: dict[str, str] = {"params": "--params", "model": "--params", "tokens": "--tokens-per-call",
                                 "flop_per_param_token": "--flop-per-param-token", "peak": "--card", "utilization": "--utilization",
                                 "calls_per_day": "--calls-per-day", "busy_hours": "--busy-hours",
                                 "prompt_tokens": "--tokens-per-call", "answer_tokens": "--answer-tokens",
                                 "latency": "--latency", "efficiency": "--efficiency",
                                 "kv_bytes_per_token": "--kv-bytes-per-token", "cards": "--card"}


def as_options(options: dict[str, str]) -> Any:
    """Re-raise a formula's InputError under the command-line option the user typed (``duration`` -> ``--days``)."""
    return args.renamed_arguments(options)


def read_tokens_per_call(text: str, option: str) -> pint.Quantity:
    """Read a token count of one call: "2000" (bare: tokens), "2000 tokens" or "2000 tokens/call", as the API reads it."""
    if not is_bare(text):
        try:
            quantity = Q(text, argument=option)
        except InputError:
            quantity = None
        if quantity is not None and quantity.dimensionality == args.dimensionality_of("token/call"):
            return args.quantity_arg(quantity * Q(1, "call"), option, args.TOKENS)
    return read_quantity(text, option, args.TOKENS)


def read_quantity(text: str, option: str, kind: args.ArgKind, bare_unit: str | None = None) -> pint.Quantity:
    """Read an option's text as a positive quantity of ``kind``, under the bare-number rule.

    ``bare_unit`` is the unit the option's name states ("day" for ``--days``): a bare
    number is read in it. Otherwise a bare number needs ``kind`` to be a count.
    """
    if bare_unit is not None and is_bare(text):
        return args.quantity_arg(Q(text, bare_unit, argument=option), option, kind)
    require_unit(option, text, kind.unit, where=KEPT_IN)
    return args.quantity_arg(text, option, kind)


def read_peak(text: str, option: str = "--card") -> Peak:
    """Read a catalogue reference ("H100 bf16") or a peak rate with its unit ("989.5 TFLOPS")."""
    require_unit(option, text, args.PEAK.unit, where=KEPT_IN, also='a catalogue card like "H100 bf16"')
    return as_peak(text, argument=option)


def read_price(text: str, option: str = "--price") -> pint.Quantity:
    """Read a price per card-hour in USD or CNY ("2 USD/card_hour", "14 元/卡时")."""
    require_unit(option, text, PRICE_UNITS[0], where=KEPT_IN)
    price = Q(text, argument=option)
    if any(price.dimensionality == Q(1, unit).dimensionality for unit in PRICE_UNITS):
        args.require_positive(price, option, text)
        return price
    raise UnitInputError(option, text, 'a price per card-hour (e.g. "2 USD/card_hour" or "14 CNY/card_hour")')


def read_tdp(text: str, option: str = "--tdp") -> pint.Quantity:
    """Read a power per card: "700 W" (per card) or "700 W/card"."""
    require_unit(option, text, TDP.unit, where=KEPT_IN)
    power = Q(text, argument=option)
    if power.dimensionality == Q(1, "W").dimensionality:
        power = power / Q(1, "card")
    return args.quantity_arg(power, option, TDP)


def _currency(price: pint.Quantity) -> str:
    """The currency of a price per card-hour ("USD")."""
    return next(unit.split("/")[0] for unit in PRICE_UNITS if price.dimensionality == Q(1, unit).dimensionality)


def read_pue(text: str, option: str = "--pue") -> float:
    """Read a power usage effectiveness: a plain number of at least 1."""
    value = args.quantity_arg(text, option, args.UTILIZATION)
    number = float(value.magnitude)
    if number < MIN_PUE:
        raise InputRangeError(option, text, f"at least {MIN_PUE:g} (facility power / IT power)")
    return number


# --- the calculations ----------------------------------------------------------------


def _recorded(compute: Callable[[], Any]) -> tuple[Any, list[str]]:
    """Run ``compute`` and return its result with the AssumptionWarning texts it emitted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AssumptionWarning)
        result = compute()
    return result, [str(item.message) for item in caught if issubclass(item.category, AssumptionWarning)]


def _peak_line(peak: Peak) -> Line:
    label = f"peak per card ({peak.card} {peak.precision})" if peak.card else "peak per card"
    return Line("peak", label, peak.rate, "TFLOPS/card")


def _utilization_line(utilization: Utilization, option: str) -> Line:
    return Line(option, option, Q(utilization.value), "")


def _energy(card_hours: pint.Quantity, peak: Peak, pue: float | None, tdp: pint.Quantity | None) -> Line:
    """Energy of the card-hours: card TDP x PUE (the TDP from the catalogue unless given)."""
    if tdp is None:
        if peak.card is None:
            raise InputError("--tdp", "", 'a power per card (e.g. "700 W") when --card is a rate, not a catalogue card')
        tdp = card_power(peak.card)
    factor = pue if pue is not None else MIN_PUE
    watts = float(tdp.to("W/card").magnitude)
    label = f"energy (TDP {watts:g} W x PUE {factor:g})"
    energy = checked(card_hours * tdp * factor, ENERGY_UNIT, {"--tdp": watts, "--pue": factor})
    return Line("energy", label, energy, ENERGY_UNIT)


def checked(quantity: pint.Quantity, unit: str, options: dict[str, float]) -> pint.Quantity:
    """``quantity`` in ``unit`` through the formulas' result check: inf, NaN or an underflowed 0 is an
    InputRangeError naming the most extreme of the user's ``options`` (``--pue``, ``--price``)."""
    return fast.result(float(quantity.to(unit).magnitude), unit, **options)


def train(params: pint.Quantity, tokens: pint.Quantity, peak: Peak, utilization: Utilization, *,
          duration: pint.Quantity | None = None, cards: pint.Quantity | None = None,
          flop_per_param_token: pint.Quantity | None = None, price: pint.Quantity | None = None,
          pue: float | None = None, tdp: pint.Quantity | None = None) -> Calculation:
    """Training: FLOP, cards for a duration (or the duration on a number of cards), card-hours, cost, energy.

    Exactly one of ``duration`` and ``cards`` is given. Cost needs ``price`` (per
    card-hour); energy is computed when ``pue`` or ``tdp`` is given.
    """
    if (duration is None) == (cards is None):
        raise InputError("--days/--cards", "", "exactly one of --days (how long) and --cards (how many)")
    refuse_integer_peak(peak, f"{peak.card} {peak.precision}")
    extra = () if flop_per_param_token is None else (flop_per_param_token,)
    flops = train_flops(params, tokens, *extra)
    inputs = [Line("params", "parameters", params, "parameter"), Line("tokens", "training tokens", tokens, "token"),
              _peak_line(peak), _utilization_line(utilization, "mfu")]
    if duration is not None:
        needed, notes = _recorded(lambda: train_cards(flops, peak, utilization, duration))
        inputs.append(Line("duration", "training time", duration, "day"))
        results = [Line("flops", "training compute", flops, "FLOP"), Line("cards", "cards", needed, "card")]
    else:
        taken, notes = _recorded(lambda: train_duration(flops, cards, peak, utilization))
        inputs.append(Line("cards", "cards", cards, "card"))
        results = [Line("flops", "training compute", flops, "FLOP"), Line("duration", "training time", taken, "day")]
    card_hours, _ = _recorded(lambda: train_card_hours(flops, peak, utilization))
    results.append(Line("card_hours", "card-hours", card_hours, "card_hour"))
    if price is not None:
        currency = _currency(price)
        per_hour = float(price.to(f"{currency}/card/hour").magnitude)
        cost = checked(card_hours * price, currency, {"--price": per_hour})
        results.append(Line("cost", f"cost at {per_hour:g} {currency}/card-hour", cost, currency))
    if pue is not None or tdp is not None:
        results.append(_energy(card_hours, peak, pue, tdp))
    when = f"{_compact(duration, 'day')} days" if duration is not None else f"{_compact(cards, 'card')} cards"
    title = (f"Training {_compact(params, 'parameter')} parameters on {_compact(tokens, 'token')} tokens, "
             f"{_peak_text(peak)}, MFU {_percent(utilization)}, {when}")
    return Calculation("train", title, inputs, results, notes)


def serve(params: pint.Quantity, tokens_per_call: pint.Quantity, calls_per_day: pint.Quantity, peak: Peak,
          utilization: Utilization, *, busy_hours: pint.Quantity | None = None,
          flop_per_param_token: pint.Quantity | None = None, bounds: ServingOptions | None = None,
          plans: bool = False) -> Calculation:
    """Inference: FLOP per call and per day, and the cards that serve the day's calls in the busy hours.

    The cards are the compute bound (``infer_cards``); with a model shape or a KV-cache size
    per token (``bounds``) and a catalogue card, the bandwidth and capacity bounds of
    :func:`flopsheet.serving_cards` follow as further lines.
    """
    extra = () if flop_per_param_token is None else (flop_per_param_token,)
    per_call = infer_flops(params, tokens_per_call, *extra)
    shaped = bounds is not None and bounds.model is not None and flop_per_param_token is None
    if shaped:
        # one definition of compute with a shape: 2 x params per token plus causal attention,
        # as the serving bounds count it (issue 22: two figures that disagreed)
        from ..formulas.serving.model import served_model

        per_call = served_model(bounds.model).sequence_flops(tokens_per_call)
    hours = busy_hours if busy_hours is not None else Q(_default(infer_cards, "busy_hours"), args.BUSY_HOURS.unit)
    needed, notes = _recorded(lambda: infer_cards(per_call, calls_per_day, peak, utilization, hours))
    inputs = [Line("params", "parameters", params, "parameter"),
              Line("tokens_per_call", "tokens per call", tokens_per_call, "token"),
              Line("calls_per_day", "calls per day", calls_per_day, "call/day"), _peak_line(peak),
              Line("mfu", "utilization", Q(utilization.value), ""),
              Line("busy_hours", "busy hours a day", hours, "hour")]
    what = "compute per call (2 x params x tokens + attention)" if shaped else "compute per call (2 x params x tokens)"
    results = [Line("flops_per_call", what, per_call, "FLOP"),
               Line("flops_per_day", "compute per day", per_call * calls_per_day / Q(1, "call"), "FLOP/day"),
               Line("cards", "cards (compute bound)", needed, "card")]
    table: list[dict[str, Any]] = []
    results += _serving_bounds(params, tokens_per_call, calls_per_day, peak, utilization, hours, bounds or ServingOptions(),
                               notes, table if plans else None)
    title = (f"Serving {_compact(params, 'parameter')} parameters, {_compact(tokens_per_call, 'token')} tokens a call, "
             f"{_compact(calls_per_day, 'call/day')} calls a day in {_compact(hours, 'hour')} busy hours, "
             f"{_peak_text(peak)}, utilization {_percent(utilization)}")
    return Calculation("serve", title, inputs, results, notes, table)


@dataclass(frozen=True)
class ServingOptions:
    """What the bandwidth and capacity bounds of ``serve`` need beyond Table 6's inputs.

    model : a model shape (or its name) instead of the bare parameter count.
    answer_tokens : tokens answered per call (default: half the tokens per call, as Table 6's 1000 + 1000).
    latency, efficiency, kv_bytes_per_token : as :func:`flopsheet.serving_cards` reads them (None: its defaults).
    """

    model: Any = None
    answer_tokens: pint.Quantity | None = None
    latency: pint.Quantity | None = None
    efficiency: Any = None
    kv_bytes_per_token: pint.Quantity | None = None


def _serving_bounds(params: pint.Quantity, tokens_per_call: pint.Quantity, calls_per_day: pint.Quantity, peak: Peak,
                    utilization: Utilization, hours: pint.Quantity, options: ServingOptions,
                    notes: list[str], plans: list[dict[str, Any]] | None = None) -> list[Line]:
    """The replica and the bandwidth and capacity bounds as lines, or a note saying what they need."""
    from ..formulas import serving_cards
    from ..formulas.serving.fleet import COLUMN_UNITS

    if options.model is None and options.kv_bytes_per_token is None:
        notes.append("the bandwidth and capacity bounds need a model shape (--params Llama-2-70B) or "
                     "--kv-bytes-per-token")
        return []
    if peak.card is None:
        notes.append("the bandwidth and capacity bounds need a catalogue card (--card \"H100 bf16\")")
        return []
    answer = options.answer_tokens if options.answer_tokens is not None else tokens_per_call / 2
    if answer >= tokens_per_call:
        raise InputRangeError("--answer-tokens", f"{answer.to('token').m:g} tokens",
                              f"fewer than the {tokens_per_call.to('token').m:g} tokens per call")
    chosen = {name: value for name, value in (("latency", options.latency), ("efficiency", options.efficiency),
                                              ("kv_bytes_per_token", options.kv_bytes_per_token)) if value is not None}
    frame, outer = _recorded(lambda: serving_cards(options.model if options.model is not None else params, calls_per_day,
                                               tokens_per_call - answer, answer, hours, cards=f"{peak.card} {peak.precision}",
                                               utilization=utilization, **chosen))
    row = frame.iloc[0]
    notes += [note for note in (*outer, *frame.attrs["warnings"]) if note not in notes]
    if plans is not None:
        plans += _plan_records(frame.attrs["plans"], row)
    if row["binding"] == "cannot":
        notes.append(row["note"])
        return []
    card = COLUMN_UNITS["cards"]
    return [Line("replica_cards", "cards per replica", Q(row["replica_cards"], card), card),
            Line("bandwidth_cards", "cards (bandwidth bound)", Q(row["bandwidth_cards"], card), card),
            Line("capacity_cards", "cards (capacity bound)", Q(row["capacity_cards"], card), card),
            Line("serving_cards", f"cards that serve ({row['binding']} binds, {row['layout']})", Q(row["cards"], card),
                 card)]


#: The planner columns ``serve --plans`` prints, with their headings.
PLAN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("layout", "layout"), ("replica_cards", "replica"), ("replicas", "replicas"), ("cards", "cards"),
    ("batch_per_replica", "batch"), ("ms_per_token", "ms/token"), ("ttft_s", "TTFT s"), ("binding", "binding"),
    ("tokens_per_s_per_card", "tokens/s/card"), ("reason", "reason"))
#: How ``serve --plans`` writes each number column (one format per column, so a column lines up:
#: whole cards, a batch and a latency to one decimal, throughput in whole tokens).
PLAN_FORMATS: dict[str, str] = {"replica_cards": "{:,.0f}", "replicas": "{:,.0f}", "cards": "{:,.0f}",
                                "batch_per_replica": "{:,.1f}", "ms_per_token": "{:,.1f}", "ttft_s": "{:.3g}",
                                "tokens_per_s_per_card": "{:,.0f}"}


def _plan_records(frame: Any, chosen: Any) -> list[dict[str, Any]]:
    """The planner's rows as plain records, the chosen one marked."""
    records = []
    for values in frame.itertuples(index=False):
        record = {column: (None if isinstance(value, float) and value != value else
                           value.item() if hasattr(value, "item") else value)
                  for column, value in zip(frame.columns, values)}
        record["chosen"] = record["layout"] == chosen["layout"] and bool(record["feasible"])
        records.append(record)
    return records


def render_plans(plans: list[dict[str, Any]]) -> str:
    """The planner's table as text, the chosen row marked with *."""
    from ..workbooks.outputs.formats import format_value
    from ..workbooks.outputs.text_table import render_table

    header = ("", *(heading for _, heading in PLAN_COLUMNS))
    def cell(column: str, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return PLAN_FORMATS[column].format(value) if column in PLAN_FORMATS else format_value(float(value))
        return str(value)

    rows = [("*" if plan["chosen"] else "", *(cell(column, plan[column]) for column, _ in PLAN_COLUMNS))
            for plan in plans]
    return "\n\nlayouts (serving planner; * = chosen)\n" + render_table(header, rows, align="<<>>>>>>><>")


def read_model(text: str, option: str = "--params") -> tuple[pint.Quantity, Any]:
    """Read --params: a parameter count, or a model shape's name (then its active parameters and the shape)."""
    from ..formulas.serving.model import served_model
    from ..formulas.catalogues.shapes import find_model, is_model_name, misspelt_model

    if is_model_name(text):
        shape = find_model(text, option)
        return served_model(shape).active_params, shape
    try:
        return read_quantity(text, option, args.PARAMETERS), None
    except UnitInputError as error:  # "Llama-3-7OB": a model name misspelt, listed with the shapes
        raise misspelt_model(text, option, error, list_models=True) from None


def _default(function: Callable[..., Any], parameter: str) -> Any:
    """A formula's default for one parameter (its signature is the one source of defaults)."""
    return inspect.signature(function).parameters[parameter].default


def render(calculation: Calculation) -> str:
    """The calculation as text: the title, the results as an aligned table, the warnings."""
    from ..workbooks.outputs.formats import format_value
    from ..workbooks.outputs.text_table import render_table

    rows = [(line.label, format_value(line.value), line.unit) for line in calculation.results]
    text = f"{calculation.title}\n\n" + render_table(("result", "value", "unit"), rows, align="<><")
    if calculation.plans:
        text += render_plans(calculation.plans)
    return text + "".join(f"\nwarning: {note}" for note in calculation.warnings) + "\n"


#: English magnitudes for titles, largest first (the spellings the parser reads back).
_TITLE_MAGNITUDES = ((1e12, "T"), (1e9, "B"), (1e6, "M"))


def _compact(quantity: pint.Quantity, unit: str) -> str:
    """A quantity's magnitude in ``unit`` for a title: "70B", "15T", "3M", "60", "3,070"."""
    number = float(quantity.to(unit).magnitude)
    if abs(number) < 1e6:
        return f"{number:,.6g}"
    if abs(number) >= 1e15:
        return f"{number:.4g}"
    scale, suffix = next((scale, suffix) for scale, suffix in _TITLE_MAGNITUDES if abs(number) >= scale)
    return f"{number / scale:.4g}{suffix}"


def _percent(utilization: Utilization) -> str:
    """The utilization for a title, to 4 significant digits (a predicted 41.78%, not 41.7817%)."""
    return f"{float(utilization.value) * 100:.4g}%"


def _peak_text(peak: Peak) -> str:
    rate = f"{float(peak.rate.to('TFLOPS/card').magnitude):g} TFLOPS/card"
    return f"{peak.card} {peak.precision} ({rate})" if peak.card else rate


# --- the commands: flopsheet train, flopsheet serve ----------------------------------


#: Columns of the plan table ``flopsheet train ... --plans`` prints: (table column, header).
TRAIN_PLAN_COLUMNS = (("tensor_parallel", "tp"), ("pipeline_parallel", "pp"), ("virtual_stages", "v"),
                ("data_parallel", "dp"), ("expert_parallel", "ep"), ("context_parallel", "cp"),
                ("micro_batch", "mb"), ("zero_stage", "zero"), ("recompute", "recompute"))
TRAIN_PLAN_TIMES = (("compute", "compute"), ("memory_bound", "memory"), ("tp_comm", "tp"), ("pp_comm", "pp"),
              ("dp_comm", "dp"), ("ep_comm", "ep"), ("cp_comm", "cp"), ("bubble", "bubble"))
#: The pins ``--plans`` passes through (option dest = training_plans keyword).
TRAIN_PLAN_PINS = ("tensor_parallel", "pipeline_parallel", "data_parallel", "expert_parallel", "context_parallel",
             "micro_batch", "zero_stage", "recompute")


def render_training_plans(table: Any, top: int) -> str:
    """The first ``top`` rows of a :func:`flopsheet.training_plans` table as text, the best marked ``*``."""
    header = ["", *(short for _, short in TRAIN_PLAN_COLUMNS), "GB/card", "fits", "step s", "tokens/s", "MFU", "HFU",
              *(f"{short} s" for _, short in TRAIN_PLAN_TIMES)]
    rows = [header]
    for _, row in table.head(top).iterrows():
        rows.append(["*" if row["best"] else "", *(str(row[name]) for name, _ in TRAIN_PLAN_COLUMNS),
                     f"{row['memory_per_card']:.1f}", "yes" if row["fits"] else "no", f"{row['step_time']:.3g}",
                     f"{row['tokens_per_second']:,.0f}", f"{row['mfu']:.1%}", f"{row['hfu']:.1%}",
                     *(f"{row[name]:.3g}" for name, _ in TRAIN_PLAN_TIMES)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.append(f"* best of {len(table):,} layouts on {table.attrs.get('card', '')} (showing {min(top, len(table))}); "
                 f"fabric tiers: {table.attrs.get('fabric_tiers', '?')}; seconds per optimizer step, exposed "
                 "communication only")
    return "\n".join(lines) + "\n"


def _plans(options: argparse.Namespace) -> tuple[Any, Utilization, pint.Quantity]:
    """(plan table, the best plan's utilization, the model's active parameters) for ``--plans`` / ``--mfu predicted``."""
    from ..formulas.catalogues.shapes import find_model
    from ..formulas.training.planner import training_plans

    if options.cards is None:
        raise InputError("--cards", None, "a card count with --plans or --mfu predicted (the cluster to plan)")
    if options.sequence is None:
        raise InputError("--sequence", None, "tokens per sequence with --plans or --mfu predicted (e.g. 8192)")
    shape = find_model(options.params, "--params")
    pins = {name: getattr(options, name) for name in TRAIN_PLAN_PINS if getattr(options, name) is not None}
    table = training_plans(shape, options.cards, options.card, tokens_per_step=options.tokens_per_step,
                           sequence=options.sequence, global_batch=options.global_batch, **pins)
    *card, precision = table.attrs["card"].split()
    used = Utilization(float(table.iloc[0]["mfu"]), " ".join(card), precision, "predicted by training_plans")
    return table, used, Q(float(shape.active_params), "parameter")   # 6ND counts the active parameters (MoE)


def _train_plans(options: argparse.Namespace, predicted: bool) -> int:
    """``train --plans`` / ``--mfu predicted``: the calculation at the plan's MFU, then the plan table."""
    table, used, params = _plans(options)
    with as_options(TRAIN_OPTIONS):
        result = train(
            params, read_quantity(options.tokens, "--tokens", args.TOKENS), read_peak(options.card),
            used if predicted else as_utilization(options.mfu, argument="--mfu"),
            cards=read_quantity(options.cards, "--cards", args.CARDS),
            price=None if options.price is None else read_price(options.price),
            pue=None if options.pue is None else read_pue(options.pue),
            tdp=None if options.tdp is None else read_tdp(options.tdp))
    if options.format == "json":
        document = {**result.as_dict(), "plans": json.loads(table.head(options.top).to_json(orient="records"))}
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(render(result), end="")
    if options.plans:
        print()
        print(render_training_plans(table, options.top), end="")
    return EXIT_OK


def _train(options: argparse.Namespace) -> int:
    """Training FLOP, cards (or duration), card-hours, cost and energy without a spec."""
    predicted = isinstance(options.mfu, str) and options.mfu.strip().lower() == "predicted"
    if options.plans or predicted:
        return _train_plans(options, predicted)
    with as_options(TRAIN_OPTIONS):
        result = train(
            _train_params(options.params),
            read_quantity(options.tokens, "--tokens", args.TOKENS), read_peak(options.card),
            as_utilization(options.mfu, argument="--mfu"),
            duration=None if options.days is None else read_quantity(options.days, "--days", args.DURATION, "day"),
            cards=None if options.cards is None else read_quantity(options.cards, "--cards", args.CARDS),
            flop_per_param_token=_optional(options.flop_per_param_token, "--flop-per-param-token",
                                           args.FLOP_PER_PARAM_TOKEN),
            price=None if options.price is None else read_price(options.price),
            pue=None if options.pue is None else read_pue(options.pue),
            tdp=None if options.tdp is None else read_tdp(options.tdp))
    return _print_calculation(result, options.format)


def _train_params(text: str) -> Any:
    """--params of train: a count, or a catalogue shape's parameters (active ones for an MoE model: 6ND's N)."""
    count, shape = read_model(text)
    return count if shape is None else Q(shape.active_params, "parameter")


def _serve(options: argparse.Namespace) -> int:
    """Inference FLOP per call and per day and the cards that serve them, without a spec."""
    from ..formulas.serving.model import KV_BYTES_PER_TOKEN
    from ..formulas.serving.bounds import LATENCY

    params, model = read_model(options.params)
    # without --answer-tokens the answer is half of --tokens-per-call: name the option the user typed
    names = SERVE_OPTIONS if options.answer_tokens is not None else {**SERVE_OPTIONS, "answer_tokens": "--tokens-per-call"}
    with as_options(names):
        result = _serve_calculation(options, params, model, KV_BYTES_PER_TOKEN, LATENCY)
    return _print_calculation(result, options.format)


def _serve_calculation(options: argparse.Namespace, params: Any, model: Any, kv_kind: Any, latency_kind: Any) -> Any:
    """``flopsheet serve``'s calculation from its options (formula errors renamed by the caller)."""
    return serve(
        params,
        read_tokens_per_call(options.tokens_per_call, "--tokens-per-call"),
        read_quantity(options.calls_per_day, "--calls-per-day", args.CALL_RATE, "call/day"),
        read_peak(options.card), as_utilization(options.mfu, argument="--utilization"),
        busy_hours=None if options.busy_hours is None else
        read_quantity(options.busy_hours, "--busy-hours", args.BUSY_HOURS, "hour"),
        flop_per_param_token=_optional(options.flop_per_param_token, "--flop-per-param-token",
                                       args.FLOP_PER_PARAM_TOKEN),
        bounds=ServingOptions(
            model, None if options.answer_tokens is None else read_tokens_per_call(options.answer_tokens,
                                                                                    "--answer-tokens"),
            None if options.latency is None else read_quantity(options.latency, "--latency", latency_kind),
            None if options.efficiency is None else as_utilization(options.efficiency, argument="--efficiency").value,
            _optional(options.kv_bytes_per_token, "--kv-bytes-per-token", kv_kind)),
        plans=options.plans)


def _optional(text: str | None, option: str, kind: Any) -> Any:
    """An optional quantity option: None when absent, else read under the bare-number rule."""
    return None if text is None else read_quantity(text, option, kind)


def _print_calculation(result: Any, fmt: str) -> int:
    if fmt == "json":
        print(strict_json(result.as_dict()))
    else:
        print(render(result), end="")
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Add train and serve (the quick calculator)."""
    train = commands.add_parser(
        "train", help="training FLOP, cards, card-hours, cost and energy without a spec", formatter_class=HELP_FORMAT,
        description="Training compute from parameters and tokens, and the cards for a duration (--days) or the "
                    "duration on a number of cards (--cards); cost with --price, energy (card TDP x PUE) with --pue. "
                    "--days reads a bare number in days; --price and --tdp need their unit.",
        epilog='Examples:\n  flopsheet train --params 2000亿 --tokens 4.9万亿 --card "H100 bf16" --mfu 40% --days 60\n'
               '  flopsheet train --params 70B --tokens 15T --card "H100 bf16" --mfu 40% --cards 4096 '
               '--price "2 USD/card_hour" --pue 1.3 --format json\n'
               '  flopsheet train --params "Llama 3.1 405B" --tokens 15.6T --card "H100 bf16" --mfu predicted '
               '--cards 16384 --sequence 8192 --global-batch 2048 --plans')
    train.add_argument("--params", required=True, help="parameter count (2000亿, 7e10, 70b) or a model shape "
                                                        "(Llama-3-70B; see flopsheet.model_shapes())")
    train.add_argument("--tokens", required=True, help="training tokens (4.9万亿, 1.5e13)")
    _add_card_options(train)
    when = train.add_mutually_exclusive_group(required=True)
    when.add_argument("--days", metavar="TIME", help='training time: 60 (days) or "2 months"')
    when.add_argument("--cards", metavar="N", help="number of cards: prints the training time")
    train.add_argument("--price", help='price per card-hour, e.g. "2 USD/card_hour" (prints the cost)')
    train.add_argument("--pue", help="power usage effectiveness, e.g. 1.3 (prints the energy: card TDP x PUE)")
    train.add_argument("--tdp", help='power per card when --card is a rate, e.g. "700 W" (default: the catalogue TDP)')
    plans = train.add_argument_group("training plans (--plans, or --mfu predicted; --params is then a model shape name)")
    plans.add_argument("--plans", action="store_true", help="print the parallel layouts on --cards, best first (*)")
    plans.add_argument("--sequence", help="tokens per sequence (e.g. 8192)")
    plans.add_argument("--global-batch", dest="global_batch", help="sequences per optimizer step")
    plans.add_argument("--tokens-per-step", dest="tokens_per_step", help="tokens per optimizer step (or --global-batch)")
    for pin in TRAIN_PLAN_PINS[:-1]:
        plans.add_argument(f"--{pin.replace('_', '-')}", dest=pin, metavar="N", help=f"pin the {pin.replace('_', ' ')}")
    plans.add_argument("--recompute", help="pin recomputation: none, selective or full")
    plans.add_argument("--top", type=int, default=15, help="rows of the plan table to print (default 15)")
    _finish_quick_command(train, "train_flops", _train)

    serve = commands.add_parser(
        "serve", help="inference FLOP and cards without a spec", formatter_class=HELP_FORMAT,
        description="Inference compute per call and per day and the cards that serve the day's calls within the "
                    "busy hours (the compute bound); with a model shape or --kv-bytes-per-token and a catalogue card, "
                    "also the cards per replica and the memory-bandwidth and capacity bounds (flopsheet.serving_cards). "
                    "--calls-per-day and --busy-hours read bare numbers in their units.",
        epilog='Examples (seed 001, Table 6: 1,481 cards; then Llama 2 70B on H100s, all three bounds):\n'
               '  flopsheet serve --params 2000亿 --tokens-per-call 2000 --calls-per-day 300万 --card "A10 fp16" '
               '--utilization 30% --busy-hours 12\n'
               '  flopsheet serve --params Llama-2-70B --tokens-per-call 1500 --answer-tokens 500 '
               '--calls-per-day 100万 --card "H100 bf16" --utilization 50% --busy-hours 12 --plans')
    serve.add_argument("--params", required=True, help="parameter count (active parameters for MoE), or a model "
                                                       "shape name (\"Llama-2-70B\"): then all three bounds")
    serve.add_argument("--tokens-per-call", required=True, help="tokens per call, prompt plus answer")
    serve.add_argument("--calls-per-day", required=True, help="calls a day (300万)")
    _add_card_options(serve, serving=True)
    serve.add_argument("--busy-hours", help="hours a day the demand is spread over, at most 24 (default 24)")
    serve.add_argument("--answer-tokens", help="tokens answered per call (default: half of --tokens-per-call)")
    serve.add_argument("--latency", help='target time per output token, e.g. "50 ms/token" (the default)')
    serve.add_argument("--efficiency", help="share of the peak memory bandwidth decoding achieves (default 60%%)")
    serve.add_argument("--plans", action="store_true",
                       help="also print every layout the serving planner sized (flopsheet.serving_plans), the chosen "
                            "one marked *")
    serve.add_argument("--kv-bytes-per-token", help='KV-cache bytes per token for a bare --params, e.g. '
                                                   '"327680 B/token" (a shape knows its own)')
    _finish_quick_command(serve, "infer_flops", _serve)
    _register_cluster(commands)


def _finish_quick_command(parser: argparse.ArgumentParser, formula: str, handler: Any) -> None:
    """--flop-per-param-token (its default read from the formula), --format, the handler."""
    default = next(param.default for record in FUNCTIONS if record.name == formula for param in record.params
                   if param.name == "flop_per_param_token")
    parser.add_argument("--flop-per-param-token", help=f"FLOP per parameter per token (default {default:g})")
    add_format(parser)
    parser.set_defaults(handler=handler)


def _add_card_options(parser: argparse.ArgumentParser, serving: bool = False) -> None:
    parser.add_argument("--card", required=True, help='catalogue card and precision ("H100 bf16") or a peak rate '
                                                      '("989.5 TFLOPS"); see flopsheet cards')
    if serving:
        parser.add_argument("--utilization", "--mfu", dest="mfu", metavar="UTILIZATION", required=True,
                            help="share of the peak compute achieved: 50%% or 0.5 (--mfu is an alias)")
    else:
        parser.add_argument("--mfu", required=True, help="utilization: 40%% or 0.4")


# --- flopsheet cluster (issue 26): bill of materials, power, capex, cost per card-hour ----------

#: The keys ``--fabric`` takes (cluster_network's keywords) and how each is read.
FABRIC_KEYS: dict[str, str] = {"switch_radix": "number", "link_speed": "text", "nics_per_card": "number",
                               "rail_optimized": "flag", "oversubscription": "number", "tiers": "number",
                               "twin_port": "flag", "leaf_cable": "text"}
#: The price options, the unit each states, and its kind in the price catalogue.
PRICE_OPTIONS: dict[str, str] = {"--rental-price": "USD/card_hour", "--electricity-price": "USD/kWh"}


def read_fabric(text: str | None) -> dict[str, Any]:
    """``--fabric "switch_radix=128,tiers=3"`` -> keywords of cluster_network."""
    if not text:
        return {}
    fabric: dict[str, Any] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in FABRIC_KEYS or not value:
            raise UnitInputError("--fabric", part.strip(), f"KEY=VALUE pairs, KEY one of {', '.join(FABRIC_KEYS)}")
        if FABRIC_KEYS[key] == "flag":
            fabric[key] = args.read_bool(value, "--fabric", expected=f"{key}=true or {key}=false (yes/no, 1/0)")
        else:
            fabric[key] = value
    if "link_speed" in fabric:
        require_unit("link_speed", fabric["link_speed"], "Gbit/s", where="--fabric reads it in units like")
    return fabric


def cluster_report(cards: str, card: str, fabric: dict[str, Any], pue: str | None, server_load: str | None,
                   rental_price: str | None, utilization: str | None, tokens_per_second: str | None,
                   electricity_price: str | None) -> dict[str, Any]:
    """Every table of the command as plain records (what --format json prints)."""
    from ..formulas.cluster import card_hour_cost, cluster_capex, cluster_network, cluster_power, token_cost

    for option, text in (("--rental-price", rental_price), ("--electricity-price", electricity_price)):
        if text is not None:
            require_unit(option, text, PRICE_OPTIONS[option], where="it is a price in units like")
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AssumptionWarning)
        network = cluster_network(cards, card, **fabric)
        sizing = {key: fabric[key] for key in ("switch_radix", "link_speed", "oversubscription", "tiers") if key in fabric}
        power = cluster_power(network.attrs["cards"], card, pue=pue, server_load=1.0 if server_load is None
                              else server_load, **sizing)
        capex = cluster_capex(network.attrs["cards"], card, **sizing)
    notes += sorted({str(warning.message) for warning in caught})
    cost = card_hour_cost(f"{capex.loc['total', 'per_card']} {capex.attrs['currency']}/card",
                          f"{power.loc['it', 'power_per_card']} kW/card", pue=pue,
                          utilization=1.0 if utilization is None else utilization,
                          rental_price=rental_price, electricity_price=electricity_price)
    report: dict[str, Any] = {
        "cards": network.attrs["cards"], "card": card, "servers": network.attrs["servers"],
        "tiers": network.attrs["tiers"], "link_speed": network.attrs["link_speed"],
        "module_speed": network.attrs["module_speed"], "notes": notes,
        "network": _records(network, "tier"), "power": _records(power, "part", power.attrs["units"]),
        "capex": _records(capex, "part", capex.attrs["units"]),
        "card_hour_cost": _records(cost, "item", {"cost": cost.attrs["units"]}),
    }
    if tokens_per_second is not None:
        tokens = token_cost(tokens_per_second, f"{cost.loc['total', 'cost']} {cost.attrs['currency']}/card_hour")
        report["token_cost"] = _records(tokens, None, tokens.attrs["units"])
    return report


def _plain(value: Any) -> Any:
    """A JSON-safe scalar: NaN and infinities become null."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) or hasattr(value, "item"):
        number = float(value)
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and abs(number) < 2 ** 53 else number
    return value


def _records(frame: Any, label: str | None, units: dict[str, Any] | None = None) -> dict[str, Any]:
    rows = []
    for name, row in frame.iterrows():
        record = {label: str(name)} if label else {}
        record.update({str(column): _plain(value) for column, value in row.items()})
        rows.append(record)
    return {"rows": rows, "units": {str(key): value for key, value in (units or {}).items()}}


def render_cluster(report: dict[str, Any]) -> str:
    """The report as text tables."""
    lines = [f"{report['cards']:,} x {report['card']} in {report['servers']:,} servers; {report['tiers']}-tier "
             f"fabric of {report['link_speed']} links, {report['module_speed']} modules"]
    lines += [f"note: {note}" for note in report["notes"]]
    sections = [("bill of materials (scale-out fabric; scale_up apart)", "network",
                 ("switches", "links", "transceivers", "cables", "transceivers_per_card", "switches_per_card")),
                ("power", "power", ("power", "power_per_card", "energy_per_year")),
                ("capex", "capex", ("capex", "per_card", "share")),
                ("cost per card-hour", "card_hour_cost", ("cost",)), ("cost per million tokens", "token_cost",
                                                                     ("output", "input", "cached_input"))]
    for title, key, columns in sections:
        if key not in report:
            continue
        table = report[key]
        units = table["units"]
        lines += ["", title]
        header = [""] + [f"{column} ({units[column]})" if units.get(column) else column for column in columns]
        body = []
        for row in table["rows"]:
            name = next(iter(row.values())) if key != "token_cost" else "per Mtoken"
            unit_of_row = units.get("cost", {}).get(name, "") if key == "card_hour_cost" else ""
            cells = [str(name)] + [_shown(row.get(column), unit_of_row) for column in columns]
            body.append(cells)
        if key == "card_hour_cost":
            header = ["", "value", "unit"]
            body = [[cells[0], cells[1], units.get("cost", {}).get(cells[0], "")] for cells in body]
        widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
        lines += ["  ".join(str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
                            for i, (cell, width) in enumerate(zip(line, widths))) for line in [header, *body]]
    return "\n".join(lines) + "\n"


def _shown(value: Any, unit: str = "") -> str:
    if value is None:
        return ""
    if unit == "" and isinstance(value, float) and abs(value) < 10 and value != int(value):
        return f"{value:.4g}"
    if isinstance(value, float) and abs(value) < 100 and value != int(value):
        return f"{value:,.4g}"
    return f"{value:,.0f}" if isinstance(value, (int, float)) else str(value)


def _cluster(options: argparse.Namespace) -> int:
    """The handler of ``flopsheet cluster``."""
    report = cluster_report(options.cards, options.card, read_fabric(options.fabric), options.pue, options.server_load,
                            options.rental_price, options.utilization, options.tokens_per_second,
                            options.electricity_price)
    if options.format == "json":
        print(strict_json(report))
    else:
        print(render_cluster(report), end="")
    return EXIT_OK


def _register_cluster(commands: argparse._SubParsersAction) -> None:
    """Add ``flopsheet cluster`` (issue 26)."""
    parser = commands.add_parser(
        "cluster", help="cluster bill of materials, power, capex and cost per card-hour", formatter_class=HELP_FORMAT,
        description="The scale-out fabric of CARDS cards (switches, links, optical modules and cables per tier), the "
                    "power of servers, switches and modules with PUE, capex by part and the cost per card-hour "
                    "(depreciation, capital, electricity, operations) from the price catalogue "
                    "(formulas/catalogues/data/prices.toml). Cards are rounded up to whole servers.",
        epilog='Examples:\n  flopsheet cluster 100000 --card H100\n'
               '  flopsheet cluster 1016 --card H100 --fabric "switch_radix=64,tiers=2"\n'
               '  flopsheet cluster 100000 --card H100 --fabric "switch_radix=128" --rental-price "2 USD/card_hour" '
               '--utilization 80% --tokens-per-second 1500 --format json')
    parser.add_argument("cards", metavar="CARDS", help="cards in the cluster (100000, 10万)")
    parser.add_argument("--card", default="H100", help="catalogue card (default H100; see flopsheet cards)")
    parser.add_argument("--fabric", help='fabric options as KEY=VALUE pairs: ' + ", ".join(FABRIC_KEYS)
                        + ' (e.g. "switch_radix=128,tiers=3,leaf_cable=dac")')
    parser.add_argument("--pue", help="facility power / IT power (default: the catalogue's)")
    parser.add_argument("--server-load", help="share of the servers' maximum power drawn (default 100%%)")
    parser.add_argument("--rental-price", help='rental price per card-hour, e.g. "2 USD/card_hour": the rental margin')
    parser.add_argument("--utilization", help="share of card-hours used or sold (default 100%%)")
    parser.add_argument("--electricity-price", help='e.g. "0.08 USD/kWh" (default: the catalogue\'s)')
    parser.add_argument("--tokens-per-second", help="output tokens per second per card: the cost per million tokens")
    add_format(parser)
    parser.set_defaults(handler=_cluster)
