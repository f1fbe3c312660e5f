"""flopsheet's Excel functions for xlwings Server (Office.js custom functions).

Point xlwings Server's ``custom_functions`` module at this one: every function of
:data:`flopsheet.addin.catalogue.FUNCTIONS` is bound here, decorated with
``xlwings.server.func`` / ``arg``. Importing ``xlwings.server`` needs an xlwings licence
key (``XLWINGS_LICENSE_KEY``; "noncommercial" for non-commercial use).
"""

from __future__ import annotations

from xlwings.server import arg, func

from .register import register_all

#: The Excel names this module registers (functions and _NOTE companions).
REGISTERED: list[str] = register_all(globals(), func, arg)
