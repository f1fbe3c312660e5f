"""The small, safe expression language of model specs.

A derived row's ``expr`` is parsed with :func:`ast.parse` and walked; nothing is ever
evaluated by Python itself. The grammar:

- numbers (``6``, ``1e3``) and quantity literals in quotes (``"1 day"``, ``"1 call"``),
  read by :func:`flopsheet.Q`;
- names of inputs and other rows (``params``, ``tokens``);
- ``+ - * /``, unary ``-`` and ``+``, parentheses;
- ``**`` with a number as exponent (``context_ratio ** 2``), or with a computed
  exponent when base and exponent are both plain numbers (``(1 + growth) ** (years /
  "1 year")``: compound growth; Excel's ``^`` computes the same);
- calls of the formulas of the formula table (:data:`flopsheet.formulas.FUNCTIONS`:
  ``train_cards(flops, peak, utilization, duration)``), positional arguments only;
  trailing optional arguments may be left out (their Python defaults apply, and the
  native Excel formula writes them as numbers).

Anything else (attribute access, subscripts, lambdas, comparisons, keyword arguments,
unknown functions) is an :class:`ExpressionError`. A parsed :class:`Expr` can be
evaluated with pint quantities (:func:`evaluate_expr`) and rendered as a native Excel
formula over defined names in coherent base units (:func:`excel_formula`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from ...formulas import FUNCTIONS as FORMULA_TABLE
from ...formulas import Formula
from ...units import ExpressionError, Q

#: Excel precedence of the binary operators (higher binds tighter).
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}
#: Python's operator for each Excel one, for evaluation with pint.
_APPLY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "^": lambda a, b: a**b,
}


#: The formulas an expression may call, by spec name: the formula table, nothing else
#: (but not the formulas that return a table: a row holds one quantity).
FUNCTIONS: dict[str, Formula] = {formula.name: formula for formula in FORMULA_TABLE if not formula.table}


def number_text(value: float) -> str:
    """Write a float as Excel formula text, exactly (``1.88E+13``, ``86400``)."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number).upper()


# --- the tree -------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    """Base class of parsed expression nodes."""

    def names(self) -> set[str]:
        """The row names the expression reads."""
        return set()


@dataclass(frozen=True)
class Number(Expr):
    """A plain number (dimensionless)."""

    value: float


@dataclass(frozen=True)
class Literal(Expr):
    """A quantity in quotes, read by flopsheet.Q ("1 day")."""

    text: str

    @property
    def quantity(self) -> pint.Quantity:
        """The literal as a pint quantity."""
        return Q(self.text)


@dataclass(frozen=True)
class Text(Expr):
    """A text constant passed to a catalogue function ("A100", "bf16")."""

    text: str


@dataclass(frozen=True)
class Name(Expr):
    """A reference to an input or another row."""

    name: str

    def names(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True)
class Negate(Expr):
    """Unary minus."""

    operand: Expr

    def names(self) -> set[str]:
        return self.operand.names()


@dataclass(frozen=True)
class Binary(Expr):
    """A binary operation; ``op`` is the Excel operator (+ - * / ^)."""

    op: str
    left: Expr
    right: Expr

    def names(self) -> set[str]:
        return self.left.names() | self.right.names()


@dataclass(frozen=True)
class Call(Expr):
    """A call of a whitelisted formula."""

    function: str
    arguments: tuple[Expr, ...]

    def names(self) -> set[str]:
        found: set[str] = set()
        for argument in self.arguments:
            found |= argument.names()
        return found


def formula_call(expr: Expr) -> Call | None:
    """The call when ``expr`` is one call of a formula-table function on names, else None.

    Such a row is what the add-in variant writes as a flopsheet Excel function
    (``=TRAIN_CARDS(flops&" "&flops_unit, ...)``); catalogue lookups stay numbers.
    """
    if isinstance(expr, Call) and not FUNCTIONS[expr.function].lookup \
            and all(isinstance(argument, Name) for argument in expr.arguments):
        return expr
    return None


# --- parsing --------------------------------------------------------------------


def parse_expression(text: str) -> Expr:
    """Parse an expression of the spec grammar into an :class:`Expr` tree.

    Raises
    ------
    ExpressionError
        Syntax errors and every construct outside the grammar.

    Examples
    --------
    >>> parse_expression("flops / (peak * utilization * duration)").names() == {"flops", "peak", "utilization", "duration"}
    True
    >>> parse_expression("params.__class__")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.ExpressionError: attribute access is not allowed (only names, numbers, ... calls of data_tokens, ...)
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"the expression has {len(text):,} characters; at most {MAX_EXPRESSION_LENGTH:,} "
                              "are allowed")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"not a valid expression: {error.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(f"the expression is nested too deeply (at most {MAX_DEPTH} levels)") from None
    _check_depth(tree.body)
    return _convert(tree.body)


#: Longest expression text a spec may hold (characters).
MAX_EXPRESSION_LENGTH = 2_000
#: Deepest nesting of an expression (a sum of n terms nests n deep).
MAX_DEPTH = 64
#: Largest absolute constant exponent of ``**`` (2**64 is already past any unit's use).
MAX_EXPONENT = 64


def _check_depth(root: ast.AST) -> None:
    """Refuse trees deeper than :data:`MAX_DEPTH` before anything recurses over them."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested too deeply (at most {MAX_DEPTH} levels; "
                                  "split it into rows)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


_ALLOWED = "only names, numbers, + - * / **, parentheses and calls of " + ", ".join(FUNCTIONS)
#: Why a computed exponent needs plain numbers: a unit raised to a cell's value has no fixed unit.
_POWER_RULE = ("a computed exponent needs a dimensionless base and exponent "
               "(a unit raised to a value that can change has no fixed unit)")
_NODE_NAMES = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
    ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.IfExp: "if/else", ast.List: "lists",
    ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets", ast.ListComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.NamedExpr: "assignments", ast.JoinedStr: "f-strings",
    ast.Starred: "star arguments", ast.Await: "await",
}


def _reject(node: ast.AST, what: str | None = None) -> ExpressionError:
    """The error for a node outside the grammar: what it is, and what is allowed."""
    described = what or _NODE_NAMES.get(type(node), f"{type(node).__name__} nodes")
    return ExpressionError(f"{described} is not allowed ({_ALLOWED})")


def _convert(node: ast.AST) -> Expr:
    """Turn one Python AST node into our tree, or reject it."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float, str)):
            raise ExpressionError(f"the constant {node.value!r} is not allowed ({_ALLOWED})")
        if isinstance(node.value, str):
            try:
                Q(node.value)
            except ValueError as error:
                raise ExpressionError(f'the quantity "{node.value}" cannot be read: {error}') from None
            return Literal(node.value)
        return Number(float(node.value))
    if isinstance(node, ast.Name):
        return Name(node.id)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return Negate(_convert(node.operand))
        if isinstance(node.op, ast.UAdd):
            return _convert(node.operand)
        raise _reject(node, f"the operator {type(node.op).__name__}")
    if isinstance(node, ast.Call):
        return _convert_call(node)
    if isinstance(node, ast.BinOp):
        op = _BINARY.get(type(node.op))
        if op is None:
            raise _reject(node, f"the operator {type(node.op).__name__}")
        if op == "^" and isinstance(node.right, ast.Constant) and isinstance(node.right.value, (int, float)) \
                and not isinstance(node.right.value, bool) and abs(node.right.value) > MAX_EXPONENT:
            raise ExpressionError(f"the exponent {node.right.value!r} is too large (at most {MAX_EXPONENT} in size)")
        return Binary(op, _convert(node.left), _convert(node.right))
    raise _reject(node)


def _arity(function: Formula) -> str:
    """How many arguments a call takes, in words ("3", "2 to 3")."""
    most = len(function.params)
    return str(most) if function.required == most else f"{function.required} to {most}"


def _convert_call(node: ast.Call) -> Call:
    """Check a call against the whitelist and its arity."""
    if not isinstance(node.func, ast.Name):
        raise _reject(node.func)
    name = node.func.id
    function = FUNCTIONS.get(name)
    if function is None:
        raise ExpressionError(f"unknown function {name}(); known: {', '.join(FUNCTIONS)}")
    if node.keywords:
        raise ExpressionError(f"{name}(): keyword arguments are not allowed; give the arguments in order "
                              f"({', '.join(param.name for param in function.params)})")
    if not function.required <= len(node.args) <= len(function.params):
        raise ExpressionError(f"{name}() takes {_arity(function)} arguments, got {len(node.args)}")
    if function.lookup:
        if not all(isinstance(argument, ast.Constant) and isinstance(argument.value, str) for argument in node.args):
            raise ExpressionError(f'{name}() takes text constants, e.g. {name}("A100", "bf16")')
        return Call(name, tuple(Text(argument.value) for argument in node.args))  # type: ignore[union-attr]
    return Call(name, tuple(_convert(argument) for argument in node.args))


# --- evaluation with pint ---------------------------------------------------------


def evaluate_expr(expr: Expr, values: Mapping[str, pint.Quantity], rich: Mapping[str, Any] | None = None) -> Any:
    """Evaluate ``expr`` with pint quantities.

    Parameters
    ----------
    expr : Expr
    values : mapping of name to pint.Quantity
        Every name the expression reads.
    rich : mapping of name to object, optional
        What a formula receives instead of the bare quantity when a name is passed
        directly as an argument (a :class:`flopsheet.Peak` that knows its card and
        precision, a :class:`flopsheet.Utilization` that knows what it was measured on).

    Returns
    -------
    pint.Quantity
    """
    rich = rich or {}
    if isinstance(expr, Number):
        return Q(expr.value)
    if isinstance(expr, Literal):
        return expr.quantity
    if isinstance(expr, Name):
        return values[expr.name]
    if isinstance(expr, Negate):
        return -evaluate_expr(expr.operand, values, rich)
    if isinstance(expr, Binary):
        left, right = evaluate_expr(expr.left, values, rich), evaluate_expr(expr.right, values, rich)
        if expr.op == "^" and not isinstance(expr.right, Number):
            return _computed_power(left, right)
        return _APPLY[expr.op](left, right)
    if isinstance(expr, Call):
        function = FUNCTIONS[expr.function]
        if function.lookup:
            return function.function(*(argument.text for argument in expr.arguments if isinstance(argument, Text)))
        arguments = [rich.get(argument.name, values[argument.name]) if isinstance(argument, Name)
                     else evaluate_expr(argument, values, rich) for argument in expr.arguments]
        return function.function(*arguments)
    raise ExpressionError(f"cannot evaluate {expr!r}")


def _computed_power(base: Any, exponent: Any) -> pint.Quantity:
    """``base ** exponent`` for a computed exponent: both must be plain numbers.

    Raises
    ------
    ExpressionError
        The base or the exponent carries a unit (``tokens ** 2.5`` is fine with a number
        exponent; ``tokens ** years_ratio`` is not).

    Examples
    --------
    >>> round(_computed_power(Q(1.4), Q("7 year") / Q("1 year")).m, 6)
    10.54135
    """
    base, exponent = Q(base), Q(exponent)
    for part, what in ((base, "base"), (exponent, "exponent")):
        if not part.dimensionless:
            raise ExpressionError(f"the {what} of ** is in {part.units:~P}: {_POWER_RULE}")
    power = exponent.to("dimensionless").magnitude
    if np.any(np.abs(power) > MAX_EXPONENT):
        raise ExpressionError(f"the computed exponent {power} is too large (at most {MAX_EXPONENT} in size)")
    return Q(base.to("dimensionless").magnitude ** power)


# --- Excel rendering ----------------------------------------------------------------


def _precedence(expr: Expr) -> int:
    """Excel precedence of a node (atoms bind tightest)."""
    return _PRECEDENCE[expr.op] if isinstance(expr, Binary) else 9


def excel_formula(expr: Expr, reference: Callable[[str], str],
                  call: Callable[[Call], str | None] | None = None) -> str:
    """Render ``expr`` as Excel formula text (without the leading ``=``).

    Parameters
    ----------
    expr : Expr
    reference : callable
        Excel text for a row name (the defined name of its value in base units).
    call : callable, optional
        Excel text for a call (the add-in variant); None falls back to the native
        formula of the formula table, guarded so that inputs Python refuses give #N/A.

    Examples
    --------
    >>> excel_formula(parse_expression("flops / (peak * utilization * duration)"), lambda n: n + "_base")
    'flops_base/(peak_base*utilization_base*duration_base)'
    >>> excel_formula(parse_expression("-a ** 2 - (b - c)"), str)
    '(-(a^2))-(b-c)'
    """
    if isinstance(expr, Number):
        return number_text(expr.value)
    if isinstance(expr, Literal):
        return number_text(expr.quantity.to_base_units().magnitude)
    if isinstance(expr, Name):
        return reference(expr.name)
    if isinstance(expr, Negate):
        return f"(-{_wrapped(expr.operand, reference, call, always=True)})"
    if isinstance(expr, Binary):
        mine = _PRECEDENCE[expr.op]
        left = _wrapped(expr.left, reference, call, always=_precedence(expr.left) < mine or expr.op == "^")
        right_precedence = _precedence(expr.right)
        needs = right_precedence < mine or (right_precedence == mine and expr.op in "-/^") or expr.op == "^"
        return f"{left}{expr.op}{_wrapped(expr.right, reference, call, always=needs)}"
    if isinstance(expr, Call):
        custom = call(expr) if call is not None else None
        if custom is not None:
            return custom
        function = FUNCTIONS[expr.function]
        if function.lookup:
            looked_up = function.function(*(argument.text for argument in expr.arguments if isinstance(argument, Text)))
            return number_text(looked_up.to_base_units().magnitude)
        texts = {param.name: _wrapped(argument, reference, call, always=isinstance(argument, (Binary, Negate)))
                 for param, argument in zip(function.params, expr.arguments)}
        return "(" + function.render_native(texts, number_text) + ")"
    raise ExpressionError(f"cannot render {expr!r}")


def _wrapped(expr: Expr, reference: Callable[[str], str], call: Callable[[Call], str | None] | None,
             always: bool) -> str:
    """Render a sub-expression, in parentheses when precedence requires."""
    text = excel_formula(expr, reference, call)
    if always and isinstance(expr, (Binary,)):
        return f"({text})"
    return text
