"""Register the catalogue with one host's xlwings decorators.

The three hosts differ only in which ``func`` and ``arg`` decorators they apply:

- classic COM add-in (Windows): ``xlwings.func`` / ``xlwings.arg`` (:mod:`.udfs`);
- xlwings Server / Office.js: ``xlwings.server.func`` / ``arg`` (:mod:`.server`);
- xlwings Lite: ``xlwings.func`` / ``arg`` inside Pyodide (the generated ``main.py``).

:func:`register_all` decorates fresh wrappers (one per function and per host, because
xlwings stores its metadata on the function object) and puts them into a module's
namespace, where xlwings looks for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from .catalogue import FUNCTIONS, ExcelFunction
from .wrappers import make_udf

Decorator = Callable[..., Any]


def udfs() -> Iterator[tuple[ExcelFunction, Callable[..., Any]]]:
    """Every Excel function of the catalogue, then the _NOTE companions, as fresh wrappers."""
    for function in FUNCTIONS:
        yield function, make_udf(function)
    for function in FUNCTIONS:
        if function.warns:
            yield function, make_udf(function, note=True)


#: How range-capable arguments are declared on the Office.js hosts (xlwings Server, Lite):
#: "raw" hands flopsheet the cell values as Excel sent them, skipping xlwings' per-cell
#: clean-up (about 70 µs a cell outside Pyodide, see docs/xlwings-per-cell-cost.md);
#: :mod:`.cells` does that clean-up itself (empty cells, Excel error values, JsNull) in
#: one pass. The classic COM host keeps xlwings' own conversion with ``ndim=2``.
OFFICEJS_VALUE_OPTIONS: dict[str, Any] = {"convert": "raw"}
COM_VALUE_OPTIONS: dict[str, Any] = {"ndim": 2}


def register_all(namespace: MutableMapping[str, Any], func: Decorator, arg: Decorator,
                 value_options: dict[str, Any] | None = None, **func_options: Any) -> list[str]:
    """Decorate every wrapper with ``func``/``arg`` and bind it in ``namespace``.

    Range-capable arguments get ``value_options`` (:data:`OFFICEJS_VALUE_OPTIONS` unless
    given: a column stays a column); one-cell arguments (names, flags, units) arrive as
    scalars. ``func_options`` go to ``func`` (the classic add-in takes ``category``).
    Returns the Excel names registered.
    """
    value_options = OFFICEJS_VALUE_OPTIONS if value_options is None else value_options
    names = []
    for function, udf in udfs():
        udf.__module__ = str(namespace.get("__name__", udf.__module__))
        kinds = {param.name: param.kind for param in function.params}
        for name, doc in function.argument_docs().items():
            options = value_options if kinds.get(name) == "value" else {}
            udf = arg(name, doc=doc, **options)(udf)
        namespace[udf.__name__] = func(**func_options)(udf)
        names.append(udf.__name__)
    return names

