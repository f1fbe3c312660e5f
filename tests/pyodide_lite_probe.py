"""Call the xlwings Lite bundle's functions the way Excel does; the same file runs in Pyodide and CPython.

:func:`run` imports ``main`` (the generated bundle, which must be on ``sys.path``), reads its
metadata with ``xlwings.server.custom_functions_meta`` and calls functions through
``xlwings.server.custom_functions_call`` with Office.js-shaped requests. It returns JSON-ready
results and the seconds each step took. It needs ``XLWINGS_ON_SERVER=true`` (what makes
``xlwings.func`` the Office.js decorator, as in Lite) and an ``XLWINGS_LICENSE_KEY``.

A call is ``{"id", "name", "args", "repeat"}``: ``args`` holds one entry per Excel argument, a
scalar (one cell), a 2-D list (a range) or ``{"result_of": id}`` (the 2-D result of an earlier
call, as a cell that holds it); ``repeat`` (default 1) times the call that many times, and as
often the registered Python function alone (``main.NAME(*args)``, without xlwings' request
handling: ``seconds["function_only"]``). Besides
the given calls, every function of the metadata is called once with every argument an empty
cell (id ``"empty:<NAME>"``), so each registered function runs in both interpreters.
"""

from __future__ import annotations

import copy
import sys
import time
from typing import Any

#: Office.js request fields that do not change between calls.
REQUEST = {"runtime": "1.4", "caller_address": "Sheet1!B3", "culture_info_name": "en-US", "date_format": "M/d/yyyy"}
#: Prefix of the ids of the empty-argument calls.
EMPTY = "empty:"


def _host_argument(argument: Any, results: dict[str, Any]) -> list[list[Any]]:
    """One Excel argument as Office.js sends it: always a 2-D list."""
    if isinstance(argument, dict):
        return copy.deepcopy(results[argument["result_of"]])
    return argument if isinstance(argument, list) else [[argument]]


def _empty_calls(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """One call per registered function with every argument an empty cell."""
    return [{"id": EMPTY + function["name"], "name": function["name"], "args": [None] * len(function["parameters"])}
            for function in meta["functions"]]


def _time_function(function: Any, arguments: list[Any], repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` direct calls of a registered function."""
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        function(*arguments)
        times.append(time.perf_counter() - begin)
    return times


async def run(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Import main, then make every call; return metadata, results and timings (seconds)."""
    started = time.perf_counter()
    import main
    import_seconds = time.perf_counter() - started
    import flopsheet
    import xlwings
    from xlwings.server import custom_functions_call, custom_functions_meta

    meta = custom_functions_meta(main)
    results: dict[str, Any] = {}
    seconds: dict[str, list[float]] = {}
    function_only: dict[str, list[float]] = {}
    for call in [*calls, *_empty_calls(meta)]:
        arguments = [_host_argument(argument, results) for argument in call["args"]]
        request = {**REQUEST, "func_name": call["name"], "formula_name": call["name"], "version": xlwings.__version__,
                   "args": copy.deepcopy(arguments)}
        seconds[call["id"]] = []
        for _ in range(call.get("repeat", 1)):
            begin = time.perf_counter()
            results[call["id"]] = await custom_functions_call(request, main)
            seconds[call["id"]].append(time.perf_counter() - begin)
        if call.get("repeat", 1) > 1:
            function_only[call["id"]] = _time_function(getattr(main, call["name"]), arguments, call["repeat"])
    return {"meta": meta, "registered": list(main.REGISTERED), "results": results,
            "seconds": {"import_main": import_seconds, "calls": seconds, "function_only": function_only},
            "flopsheet_file": flopsheet.__file__, "python": sys.version.split()[0], "platform": sys.platform}
