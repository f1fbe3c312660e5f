"""flopsheet.units: the one pint registry, cell-text parsing and formatting.

Bottom layer: imports nothing from the rest of flopsheet.
"""

from .errors import (
    AssumptionWarning,
    CatalogueError,
    ExpressionError,
    FlopsheetError,
    InputError,
    InputRangeError,
    MissingUnitError,
    OutputError,
    SpecError,
    UnitInputError,
    UnknownNameError,
    did_you_mean,
    UserFileError,
)
from .format import format_eng, format_quantity, format_zh
from .parse import Q, parse_unit
from .registry import DEFINITIONS_FILE, DimensionalityError, Quantity, Unit, ureg

__all__ = [
    "AssumptionWarning",
    "CatalogueError",
    "ExpressionError",
    "SpecError",
    "DEFINITIONS_FILE",
    "DimensionalityError",
    "FlopsheetError",
    "InputError",
    "InputRangeError",
    "MissingUnitError",
    "OutputError",
    "Q",
    "Quantity",
    "Unit",
    "UnitInputError",
    "UnknownNameError",
    "did_you_mean",
    "UserFileError",
    "format_eng",
    "format_quantity",
    "format_zh",
    "parse_unit",
    "ureg",
]
