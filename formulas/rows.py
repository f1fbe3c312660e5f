"""A table of records for where pandas is missing (the xlwings Lite bundle).

Shared by the training and serving formulas that return a DataFrame
(:func:`~flopsheet.formulas.serving.fleet.serving_cards`,
:func:`~flopsheet.formulas.training.flops.flops_breakdown`), so that neither room
imports the other for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass
class Rows:
    """The table of :func:`serving_cards` where pandas is missing (the xlwings Lite bundle).

    The columns, ``itertuples(index=False)`` and ``attrs`` of a DataFrame, as the add-in
    reads them; the Python API, with pandas installed, returns a DataFrame.
    """

    records: list[dict[str, Any]]
    columns: list[str]
    attrs: dict[str, Any]

    def itertuples(self, index: bool = False) -> Iterable[tuple[Any, ...]]:
        """One tuple per row, in column order (``index`` is accepted and ignored)."""
        return (tuple(record[column] for column in self.columns) for record in self.records)


def records_table(records: list[dict[str, Any]], columns: list[str], index: str | None = None) -> Any:
    """A DataFrame of row records in ``columns`` order; a :class:`Rows` table where pandas is missing.

    ``index`` names a column to index the DataFrame by (the :class:`Rows` table keeps it
    as its first column, which the add-in spills into the same cells).
    """
    try:
        import pandas as pd
    except ModuleNotFoundError:   # the xlwings Lite bundle
        return Rows(records, list(columns), {})
    frame = pd.DataFrame(records, columns=columns)
    return frame if index is None else frame.set_index(index)
