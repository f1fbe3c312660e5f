"""flopsheet's Excel functions for the classic xlwings add-in (Windows desktop Excel, COM).

Set ``UDF Modules`` to ``flopsheet.addin.udfs`` (``flopsheet addin`` writes the config)
and click *Import Functions* on the xlwings ribbon. Every function of
:data:`flopsheet.addin.catalogue.FUNCTIONS` is bound here, decorated with
``xlwings.func`` / ``xlwings.arg``. On Windows with pywin32 those are xlwings' COM
decorators; elsewhere xlwings makes them no-ops, so this module still imports (Linux,
macOS) and its functions still run as plain Python.
"""

from __future__ import annotations

import xlwings

from .register import COM_VALUE_OPTIONS, register_all

#: Excel function-wizard category of every function.
CATEGORY = "flopsheet"

#: The Excel names this module registers (functions and _NOTE companions).
REGISTERED: list[str] = register_all(globals(), xlwings.func, xlwings.arg, COM_VALUE_OPTIONS, category=CATEGORY)
