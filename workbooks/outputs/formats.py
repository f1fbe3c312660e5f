"""Report formats and how numbers read for people; light (no pandas, no openpyxl), so commands start fast."""

from __future__ import annotations

import math
from typing import Any

#: Output formats and the file suffix each is recognised by.
FORMATS: dict[str, str] = {"xlsx": ".xlsx", "csv": ".csv", "md": ".md", "json": ".json"}


def _number(value: Any) -> float | None:
    """A JSON-safe number: NaN and None become None."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def format_value(value: Any, unit: str = "") -> str:
    """Format a number for people: thousands separators, scientific beyond 1e15."""
    number = _number(value)
    if number is None:
        return ""
    if number != 0 and (abs(number) >= 1e15 or abs(number) < 1e-3):
        return f"{number:.4g}"
    if abs(number) >= 100 or number == int(number):
        return f"{number:,.0f}" if abs(number - round(number)) < 1e-9 or abs(number) >= 1000 else f"{number:,.2f}"
    return f"{number:.4g}"
