"""The Chart sheet of a template whose spec has a ``[chart]``: a live bar chart of rows.

The sheet holds a small grid, one line per category and one column per series, whose
cells are formulas reading the Model sheet's defined names (``=a10_compute``), so the
chart follows every edit of the assumptions; the bars are a native clustered column
chart over that grid (Excel, LibreOffice and WPS draw it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from ..model.spec import ChartSpec, TableSpec
from . import styles

CHART_SHEET = "Chart"
#: First line of the grid (its header), below the title and the note.
GRID_HEADER_ROW = 3
#: Size of the chart in centimetres (openpyxl's units), and where it sits.
CHART_HEIGHT, CHART_WIDTH = 11, 24
LABEL_WIDTH, SERIES_WIDTH = 12, 22
#: A series header: wrapped, right-aligned like the numbers under it.
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="bottom", horizontal="right")


def write_chart_sheet(workbook: Workbook, chart: ChartSpec, values: Mapping[str, float], unit: str,
                      index: int = 1) -> dict[str, float]:
    """Add the Chart sheet at ``index``; return the cached values of its formula cells.

    ``values`` gives each charted row's value in its own unit (for the cached values),
    ``unit`` the rows' unit (the axis title).
    """
    sheet = workbook.create_sheet(chart.sheet, index)
    sheet["A1"] = chart.title
    sheet["A1"].font = styles.TITLE_FONT
    sheet["A2"] = f"Values in {unit}, read from the Model sheet: change an assumption there and the bars follow."
    sheet["A2"].font = styles.SUBTITLE_FONT
    sheet.cell(GRID_HEADER_ROW, 1, "").fill = styles.HEADER_FILL
    cached: dict[str, float] = {}
    for column, (name, rows) in enumerate(chart.series, start=2):
        header = sheet.cell(GRID_HEADER_ROW, column, name)
        # right-aligned over the right-aligned numbers of its column (left, it sat out of line with them)
        header.font, header.fill, header.alignment = styles.HEADER_FONT, styles.HEADER_FILL, HEADER_ALIGNMENT
        sheet.column_dimensions[get_column_letter(column)].width = SERIES_WIDTH
        for offset, row_name in enumerate(rows, start=1):
            cell = sheet.cell(GRID_HEADER_ROW + offset, column, f"={row_name}")
            cell.number_format = "#,##0"
            cached[cell.coordinate] = values[row_name]
    for offset, label in enumerate(chart.categories, start=1):
        sheet.cell(GRID_HEADER_ROW + offset, 1, label).font = styles.SECTION_FONT
    sheet.column_dimensions["A"].width = LABEL_WIDTH
    last_row, last_column = GRID_HEADER_ROW + len(chart.categories), 1 + len(chart.series)
    bars = BarChart()
    bars.type, bars.grouping = "col", "clustered"
    bars.y_axis.title = unit
    bars.legend.position = "b"
    bars.y_axis.number_format = "#,##0"
    bars.add_data(Reference(sheet, min_col=2, max_col=last_column, min_row=GRID_HEADER_ROW, max_row=last_row),
                  titles_from_data=True)
    bars.set_categories(Reference(sheet, min_col=1, min_row=GRID_HEADER_ROW + 1, max_row=last_row))
    bars.height, bars.width = CHART_HEIGHT, CHART_WIDTH
    sheet.add_chart(bars, f"A{last_row + 2}")
    sheet.row_dimensions[GRID_HEADER_ROW].height = 32
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = sheet.page_setup.fitToHeight = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return cached


#: Width of a table sheet's label column and of its value columns.
TABLE_LABEL_WIDTH, TABLE_COLUMN_WIDTH = 24, 15


def write_table_sheet(workbook: Workbook, table: TableSpec, values: Mapping[str, float], formats: Mapping[str, str],
                      units: Mapping[str, str], index: int) -> dict[str, float]:
    """Add a ``[table]`` sheet at ``index``: one line per label, cells reading the Model sheet's names.

    Each cell shows its row's number format (``formats``), so coded rows read as text
    ("feasible", "cannot: weights do not fit"); a column's header gains its rows' unit
    when they share one. Returns the cached values of the formula cells.
    """
    sheet = workbook.create_sheet(table.sheet, index)
    sheet["A1"] = table.title
    sheet["A1"].font = styles.TITLE_FONT
    sheet["A2"] = table.note or "Read from the Model sheet: change an assumption there and the table follows."
    sheet["A2"].font = styles.SUBTITLE_FONT
    sheet.cell(GRID_HEADER_ROW, 1, "").fill = styles.HEADER_FILL
    cached: dict[str, float] = {}
    for column, header in enumerate(table.columns, start=2):
        shared = {units[cells[column - 2]] for _, cells in table.lines if cells[column - 2]}
        text = f"{header} ({shared.pop()})" if len(shared) == 1 and "" not in shared else header
        cell = sheet.cell(GRID_HEADER_ROW, column, text)
        cell.font, cell.fill, cell.alignment = styles.HEADER_FONT, styles.HEADER_FILL, styles.WRAP
        texts = [text for _, cells in table.lines if cells[column - 2]
                 for text in re.findall(r'"([^"]*)"', formats.get(cells[column - 2]) or "")]
        sheet.column_dimensions[get_column_letter(column)].width = max([TABLE_COLUMN_WIDTH, *(len(text) + 3 for text in texts)])
    for offset, (label, cells) in enumerate(table.lines, start=1):
        sheet.cell(GRID_HEADER_ROW + offset, 1, label).font = styles.SECTION_FONT
        for column, name in enumerate(cells, start=2):
            if not name:
                continue
            cell = sheet.cell(GRID_HEADER_ROW + offset, column, f"={name}")
            cell.number_format = formats.get(name) or "#,##0.##"
            cached[cell.coordinate] = values[name]
    sheet.column_dimensions["A"].width = TABLE_LABEL_WIDTH
    sheet.row_dimensions[GRID_HEADER_ROW].height = 48
    sheet.freeze_panes = sheet.cell(GRID_HEADER_ROW + 1, 2)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = sheet.page_setup.fitToHeight = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return cached
