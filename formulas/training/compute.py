"""Training compute: text to tokens, tokens to FLOP, FLOP to cards, time and card-hours.

All functions accept pint quantities, bare numbers (in the default unit stated per
parameter), text as typed in a cell (parsed by :func:`flopsheet.Q`) and numpy arrays,
broadcast, and return pint quantities.
"""

from __future__ import annotations

from typing import Any

import pint

from ...units import InputError, UnitInputError
from .. import args
from .. import magnitudes as fast
from .flops import RECOMPUTE_PASSES, TRAIN_PASSES, train_flops_of_shape
from ..catalogues.shapes import ModelShape, find_model, is_model_name, misspelt_model
from ..catalogues.peaks import warn_inconsistent

#: Bytes per character under the report's "Unicode rule" (seed 001, Table 5): UTF-16.
DEFAULT_BYTES_PER_CHAR = 2
#: Average English word length in letters (seed 001, Table 5: "平均 word 长度 5.1").
DEFAULT_CHARS_PER_WORD = 5.1
#: Words per token (seed 001, Table 5: "word/tokens 比例 0.75", OpenAI's rule of thumb).
DEFAULT_WORDS_PER_TOKEN = 0.75
#: Training FLOP per parameter per token: forward 2 + backward 4 (Kaplan et al. 2020).
TRAIN_FLOP_PER_PARAM_TOKEN = 6
#: Full activation recomputation runs the forward once more: (3 + 1) / 3 passes (8ND for 6ND).
RECOMPUTE_FACTOR = (TRAIN_PASSES + RECOMPUTE_PASSES) / TRAIN_PASSES

# The units each formula's plain-number arithmetic is in (the arguments' default units),
# converted once to the result unit by magnitudes.conversion.
_DATA_TOKENS_UNITS = f"{args.DATA.unit}/(({args.BYTES_PER_CHAR.unit})*({args.CHARS_PER_WORD.unit})*({args.WORDS_PER_TOKEN.unit}))"
_CARDS_UNITS = f"{args.FLOP.unit}/(({args.PEAK.unit})*{args.DURATION.unit})"
_DURATION_UNITS = f"{args.FLOP.unit}/({args.CARDS.unit}*({args.PEAK.unit}))"
_CARD_HOURS_UNITS = f"{args.FLOP.unit}/({args.PEAK.unit})"


@fast.guarded
def data_tokens(data: Any, bytes_per_char: Any = DEFAULT_BYTES_PER_CHAR,
                chars_per_word: Any = DEFAULT_CHARS_PER_WORD,
                words_per_token: Any = DEFAULT_WORDS_PER_TOKEN) -> pint.Quantity:
    """Convert a training-data size to a token count.

    ``tokens = data / bytes_per_char / chars_per_word / words_per_token``.

    Parameters
    ----------
    data : quantity, number or text
        Data size; bare numbers in TB (decimal, 1e12 B). "35 TiB" is binary.
    bytes_per_char : default 2
        Bytes per character (byte/char); 2 is the report's "Unicode rule" (UTF-16).
    chars_per_word : default 5.1
        Characters per word (char/word).
    words_per_token : default 0.75
        Words per token (word/token).

    Returns
    -------
    pint.Quantity
        token.

    Examples
    --------
    >>> round(data_tokens("37,580,963,840 kB").to("token").m)
    4912544292810
    >>> data_tokens("30 TB")
    <Quantity(3.92156863e+12, 'token')>
    >>> data_tokens("30 tokens")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UnitInputError: data: expected a data size in bytes (e.g. "30 TB"), got "30 tokens"
    """
    data_bytes = fast.magnitude(data, "data", args.DATA)
    per_char = fast.magnitude(bytes_per_char, "bytes_per_char", args.BYTES_PER_CHAR)
    per_word = fast.magnitude(chars_per_word, "chars_per_word", args.CHARS_PER_WORD)
    per_token = fast.magnitude(words_per_token, "words_per_token", args.WORDS_PER_TOKEN)
    fast.same_shape(data=data_bytes, bytes_per_char=per_char, chars_per_word=per_word, words_per_token=per_token)
    scale = fast.conversion(_DATA_TOKENS_UNITS, "token")
    return fast.result(data_bytes * (scale / (per_char * per_word * per_token)), "token", data=data_bytes,
                       bytes_per_char=per_char, chars_per_word=per_word, words_per_token=per_token)


@fast.guarded
def train_flops(params: Any, tokens: Any, flop_per_param_token: Any = TRAIN_FLOP_PER_PARAM_TOKEN,
                seq_len: Any = None, recompute: bool = False) -> pint.Quantity:
    """Return the training compute: ``params * tokens * 6``, or counted from a model shape.

    With a parameter count: ``params * tokens * flop_per_param_token`` (forward 2 +
    backward 4); ``recompute=True`` adds one forward pass (x 4/3: Megatron-LM's 8ND).

    With a model shape (a :class:`ModelShape` or a catalogue name such as
    ``"Llama-2-70B"``) the FLOP are counted from the shape (see
    :mod:`flopsheet.formulas.training.flops`): attention included, so ``seq_len`` is required,
    and an MoE model counts its active experts only. Then the third argument is the
    sequence length, as in Excel's ``=TRAIN_FLOPS("Llama-2-70B", "2T", 4096)``.

    Parameters
    ----------
    params : quantity, number, text or ModelShape
        Parameter count; bare numbers in parameters ("2000亿" = 2e11); or a model shape
        or its catalogue name.
    tokens : quantity, number or text
        Training tokens; bare numbers in tokens.
    flop_per_param_token : default 6
        FLOP per parameter per token (forward 2 + backward 4). With a shape: the
        sequence length, when ``seq_len`` is not given.
    seq_len : quantity, number or text, optional
        Tokens per training sequence (required with a shape).
    recompute : bool, default False
        Full activation recomputation: one more forward pass of the layers.

    Returns
    -------
    pint.Quantity
        FLOP (a count; TFLOP is 1e12 FLOP, not a rate).

    Examples
    --------
    >>> train_flops("2000亿", "4,912,544,292,810 tokens")
    <Quantity(5.89505315e+24, 'FLOP')>
    >>> train_flops(175e9, 300e9, recompute=True)          # Megatron-LM's 8ND
    <Quantity(4.2e+23, 'FLOP')>
    >>> round(train_flops("Llama-2-70B", 2e12, 4096).to("FLOP").m / (6 * 68.98e9 * 2e12), 3)
    1.074
    """
    shape = _shape_or_none(params)
    if shape is not None:
        length = seq_len if seq_len is not None else _seq_len_from_third(flop_per_param_token)
        token_count = args.quantity_arg(tokens, "tokens", args.TOKENS)
        return train_flops_of_shape(shape, token_count, length, recompute=bool(recompute))
    if seq_len is not None:
        raise InputError("seq_len", seq_len, "no sequence length with a bare parameter count "
                                             "(give a model shape to count attention)")
    try:
        return fast.param_token_flops(params, tokens, flop_per_param_token, RECOMPUTE_FACTOR if recompute else 1.0)
    except UnitInputError as error:
        raise (misspelt_model(params, "params", error) if error.argument == "params" else error) from None

def _shape_or_none(params: Any) -> ModelShape | None:
    """The shape ``params`` names, or None for a parameter count."""
    if isinstance(params, ModelShape):
        return params
    return find_model(params, "params") if is_model_name(params) else None


def _seq_len_from_third(value: Any) -> Any:
    """With a shape, the third argument is the sequence length; the default 6 means it is missing."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == TRAIN_FLOP_PER_PARAM_TOKEN:
        raise InputError("seq_len", None, "a sequence length in tokens with a model shape (e.g. 4096)")
    return value


#: The utilization text that asks the training planner (train_cards(..., "predicted", ...)).
PREDICTED = "predicted"


@fast.guarded
def train_cards(flops: Any, peak: Any, utilization: Any, duration: Any, **plan: Any) -> pint.Quantity:
    """Return the cards needed to do ``flops`` of training within ``duration``.

    ``cards = flops / (peak * utilization * duration)``. With ``utilization="predicted"``
    the utilization is the MFU of the best layout :func:`flopsheet.training_plans` finds
    for the model on that many cards of the peak's card (keywords ``model``, ``sequence``,
    ``global_batch`` or ``tokens_per_step``, any pin such as ``tensor_parallel``, and
    ``plan_cards``: the cluster the plan assumes; without it the planner and the card
    count are iterated to a fixed point).

    Parameters
    ----------
    flops : quantity, number or text
        Training compute; bare numbers in FLOP.
    peak : quantity, number or text
        Peak per card: "156 TFLOPS", a catalogue reference "A100 tf32", or a bare
        number in TFLOPS per card.
    utilization : float, text or Utilization
        Fraction of peak achieved (MFU), in (0, 100%]: 0.302, "30.2%", or
        "30.2% @ A100 bf16" to state the precision it was measured against.
    duration : quantity, number or text
        Wall-clock training time; bare numbers in days. A month is 30.4375 days.

    Returns
    -------
    pint.Quantity
        card.

    Warns
    -----
    AssumptionWarning
        When the utilization was measured against another precision than the peak.

    Examples
    --------
    >>> round(train_cards("5.895053151373e24 FLOP", "A100 tf32", "30.2%", "105 days").m, 1)
    13792.8
    >>> train_cards("5.9e24 FLOP", "156 TFLOPS", "130%", "90 days")
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.InputRangeError: utilization: must be in (0, 100%], got "130%"
    >>> cards = train_cards(3.8e25, "H100 bf16", "predicted", "54 days", model="Llama 3.1 405B", sequence=8192,
    ...                     tokens_per_step=16 * 2**20, plan_cards=16384)
    >>> 12_000 < cards.m < 22_000
    True
    """
    if plan or (isinstance(utilization, str) and utilization.strip().lower() == PREDICTED):
        utilization = _predicted(flops, peak, utilization, duration, plan)
    work = fast.magnitude(flops, "flops", args.FLOP)
    rate, factor, message = fast.effective_rate(peak, utilization)
    time = fast.magnitude(duration, "duration", args.DURATION)
    fast.same_shape(flops=work, peak_and_utilization=rate, duration=time)
    cards = fast.result(work / (time * (rate / fast.conversion(_CARDS_UNITS, "card"))), "card", flops=work, peak=rate,
                        duration=time)
    warn_inconsistent(cards, factor, message, "cards")
    return cards


def _predicted(flops: Any, peak: Any, utilization: Any, duration: Any, plan: dict[str, Any]) -> Any:
    """The planner's utilization for train_cards(..., "predicted", ..., model=...)."""
    from .planner import plan_utilization

    if not (isinstance(utilization, str) and utilization.strip().lower() == PREDICTED):
        raise InputError("utilization", utilization, f'"{PREDICTED}" when planning keywords ({", ".join(plan)}) are given')
    if not isinstance(peak, str):
        raise InputError("peak", peak, 'a catalogue peak ("H100 bf16") with utilization "predicted": the plan needs the card')
    if "plan_cards" in plan:
        plan = {**{name: value for name, value in plan.items() if name != "plan_cards"}, "cards": plan["plan_cards"]}
    work = float(args.quantity_arg(flops, "flops", args.FLOP).to("FLOP").m)
    seconds = float(args.quantity_arg(duration, "duration", args.DURATION).to("s").m)
    used, _ = plan_utilization(peak, plan, work, seconds)
    return used


@fast.guarded
def train_duration(flops: Any, cards: Any, peak: Any, utilization: Any) -> pint.Quantity:
    """Return the wall-clock time ``cards`` need for ``flops`` of training.

    ``duration = flops / (cards * peak * utilization)``; inverts :func:`train_cards`.

    Parameters
    ----------
    flops : quantity, number or text
        Training compute; bare numbers in FLOP.
    cards : quantity, number or text
        Cards in the cluster; bare numbers in cards.
    peak, utilization
        As in :func:`train_cards`.

    Returns
    -------
    pint.Quantity
        day.

    Examples
    --------
    >>> round(train_duration("5.895053151373e24 FLOP", 13793, "156 TFLOPS", "30.2%").m, 2)
    105.0
    """
    work = fast.magnitude(flops, "flops", args.FLOP)
    card_count = fast.magnitude(cards, "cards", args.CARDS)
    rate, factor, message = fast.effective_rate(peak, utilization)
    fast.same_shape(flops=work, cards=card_count, peak_and_utilization=rate)
    duration = fast.result(work / (card_count * (rate / fast.conversion(_DURATION_UNITS, "day"))), "day", flops=work,
                           cards=card_count, peak=rate)
    warn_inconsistent(duration, factor, message, "duration")
    return duration


@fast.guarded
def train_card_hours(flops: Any, peak: Any, utilization: Any) -> pint.Quantity:
    """Return the accelerator time ``flops`` of training consume.

    ``card_hours = flops / (peak * utilization)``.

    Parameters
    ----------
    flops : quantity, number or text
        Training compute; bare numbers in FLOP.
    peak, utilization
        As in :func:`train_cards`.

    Returns
    -------
    pint.Quantity
        card_hour.

    Examples
    --------
    >>> round(train_card_hours("5.895053151373e24 FLOP", "A100 tf32", 0.302).to("card_day").m)
    1448246
    """
    work = fast.magnitude(flops, "flops", args.FLOP)
    rate, factor, message = fast.effective_rate(peak, utilization)
    fast.same_shape(flops=work, peak_and_utilization=rate)
    card_hours = fast.result(work / (rate / fast.conversion(_CARD_HOURS_UNITS, "card_hour")), "card_hour", flops=work,
                             peak=rate)
    warn_inconsistent(card_hours, factor, message, "card-hours")
    return card_hours
