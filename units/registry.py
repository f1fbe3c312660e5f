"""The one pint registry of flopsheet, loaded from ``definitions.txt``.

Import ``ureg`` and ``Quantity`` from here (or from ``flopsheet.units``); never build a
second ``UnitRegistry``: quantities from two registries cannot be combined.
"""

from __future__ import annotations

from pathlib import Path

import pint

DEFINITIONS_FILE = Path(__file__).with_name("definitions.txt")

ureg: pint.UnitRegistry = pint.UnitRegistry(
    str(DEFINITIONS_FILE),
    autoconvert_offset_to_baseunit=False,
    on_redefinition="raise",
    cache_folder=None,
)
#: Shown with 12 significant digits: float noise (7.1999999999999994e25) is not shown; `:~P` keeps every digit.
ureg.formatter.default_format = ".12g~P"
pint.set_application_registry(ureg)

Quantity = ureg.Quantity
Unit = ureg.Unit
DimensionalityError = pint.DimensionalityError
