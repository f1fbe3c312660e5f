"""Compute-optimal model size (Hoffmann et al. 2022, "Training Compute-Optimal Large
Language Models", arXiv:2203.15556).

Two readings of the paper:

- ``method="ratio"`` (default): about 20 training tokens per parameter, the rule of
  thumb of its Table 3 (Chinchilla: 70B parameters, 1.4T tokens). With ``C = 6 N D``
  and ``D = r N``: ``N = sqrt(C / (6 r))``, ``D = r N``.
- ``method="fitted"``: the parametric loss of its Approach 3 (section 3.3, eq. 10),
  ``L(N, D) = E + A / N^alpha + B / D^beta`` with E = 1.69, A = 406.4, B = 410.7,
  alpha = 0.34, beta = 0.28, minimised under ``C = 6 N D``:
  ``N = G (C/6)^(beta/(alpha+beta))``, ``D = (C/6)^(alpha/(alpha+beta)) / G``,
  ``G = (alpha A / (beta B))^(1/(alpha+beta))``. It favours smaller models than the
  ratio (about 32B parameters for Gopher's budget with the published, rounded constants).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import pint

from ...units import InputError, Q
from .. import args

#: Training tokens per parameter at the compute optimum (Hoffmann et al. 2022, Table 3: 20.2 for 70B).
TOKENS_PER_PARAM = 20
#: FLOP per parameter per token (C = 6ND).
FLOP_PER_PARAM_TOKEN = 6
#: Approach 3 fit (Hoffmann et al. 2022, section 3.3, eq. 10).
FIT_A = 406.4
FIT_B = 410.7
FIT_ALPHA = 0.34
FIT_BETA = 0.28
METHODS = ("ratio", "fitted")
TOKENS_PER_PARAM_KIND = args.ArgKind("token/parameter", "tokens per parameter", "20")


class ComputeOptimal(NamedTuple):
    """Compute-optimal parameters (parameter) and training tokens (token).

    In Excel (CHINCHILLA_OPTIMAL) it spills under the header ``params, tokens``: one row
    per budget (a range of budgets gives a row each).
    """

    params: pint.Quantity
    tokens: pint.Quantity

    @property
    def columns(self) -> tuple[str, ...]:
        """The spill header: the field names."""
        return self._fields

    @property
    def attrs(self) -> dict[str, Any]:
        """No notes (the add-in reads a table's ``attrs``)."""
        return {}

    def itertuples(self, index: bool = False) -> Iterator[tuple[float, float]]:
        """One (parameters, tokens) row per budget, as plain numbers (``index`` is ignored)."""
        params = np.ravel(self.params.to("parameter").magnitude)
        tokens = np.ravel(self.tokens.to("token").magnitude)
        return zip(params.tolist(), tokens.tolist())


def chinchilla_optimal(flops: Any, tokens_per_param: Any = TOKENS_PER_PARAM, method: str = "ratio") -> ComputeOptimal:
    """Return the compute-optimal parameters and tokens for a training budget.

    Parameters
    ----------
    flops : quantity, number or text
        Training compute; bare numbers in FLOP.
    tokens_per_param : default 20
        Tokens per parameter for ``method="ratio"`` (token/parameter).
    method : {"ratio", "fitted"}, default "ratio"
        ``"fitted"`` uses the paper's parametric loss fit (Approach 3).

    Returns
    -------
    ComputeOptimal
        ``params`` (parameter) and ``tokens`` (token); ``6 x params x tokens = flops``.

    Examples
    --------
    >>> optimal = chinchilla_optimal("5.76e23 FLOP")
    >>> round(optimal.params.m / 1e9, 1), round(optimal.tokens.m / 1e12, 2)
    (69.3, 1.39)
    >>> round(chinchilla_optimal(5.76e23, method="fitted").params.m / 1e9)
    32
    """
    budget = args.quantity_arg(flops, "flops", args.FLOP).to("FLOP").magnitude
    if method not in METHODS:
        raise InputError("method", method, 'one of "ratio", "fitted"')
    if method == "ratio":
        ratio = args.quantity_arg(tokens_per_param, "tokens_per_param", TOKENS_PER_PARAM_KIND).magnitude
        params = np.sqrt(budget / (FLOP_PER_PARAM_TOKEN * ratio))
        tokens = ratio * params
    else:
        scale = (FIT_ALPHA * FIT_A / (FIT_BETA * FIT_B)) ** (1 / (FIT_ALPHA + FIT_BETA))
        per_six = budget / FLOP_PER_PARAM_TOKEN
        params = scale * per_six ** (FIT_BETA / (FIT_ALPHA + FIT_BETA))
        tokens = per_six ** (FIT_ALPHA / (FIT_ALPHA + FIT_BETA)) / scale
    return ComputeOptimal(Q(params, "parameter"), Q(tokens, "token"))
