"""The Monte Carlo workbook: percentile table, histogram and tornado charts, samples, the live model.

Sheets, in order:

``Simulation``
    The model, the sample count and seed, the ranges (input, distribution, low, high,
    unit) and the percentile table: one row per result row with base, p5, p50, p95
    and mean in the row's unit (over all ``n`` samples).
``Histogram``
    The main result's samples in :data:`HISTOGRAM_BINS` equal bins (from, to, count,
    share = count / total as a formula) and a column chart of the shares.
``Tornado``
    One row per ranged input, largest swing first: the input's low and high, the main
    result with that input at each end (the others at base), their change from the base
    result and the swing (formulas), and a bar chart of the two changes.
``Samples``
    The first :data:`SHEET_SAMPLES` samples (all of them when ``n`` is not larger), one
    column per ranged input and result row, under native PERCENTILE/AVERAGE formulas
    over the rows shown.
``Model``, ``Units``, ``README``
    The model's live template (:func:`.templates.build_workbook`) at the base inputs, its
    low/high columns holding the simulation's ranges.

Formulas keep cached values (saved with :func:`.package.save_deterministic`), so the
same simulation gives the same bytes and viewers that do not calculate show numbers.
"""

from __future__ import annotations

import dataclasses
import logging

from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...units import InputError
from ..model.simulate import Simulation
from ..outputs.safe_io import set_text_cell, visible_text
from . import styles
from .package import save_deterministic
from .templates import build_workbook

logger = logging.getLogger(__name__)

#: Equal-width bins of the histogram of the main result.
HISTOGRAM_BINS = 40
#: Most samples written to the Samples sheet (the percentile table uses all of them).
SHEET_SAMPLES = 5_000
#: Sheet names.
SIMULATION_SHEET, HISTOGRAM_SHEET, TORNADO_SHEET, SAMPLES_SHEET = "Simulation", "Histogram", "Tornado", "Samples"
#: Row of the column headers on the Histogram, Tornado and Samples sheets.
TABLE_HEADER_ROW = 4
#: Chart size in centimetres (width, height).
CHART_SIZE = (18, 9)
#: The histogram's size (wider: forty bins) and how many of its bin labels are shown.
HISTOGRAM_SIZE = (26, 11)
HISTOGRAM_LABELS = 8
#: The Samples sheet: width of its statistics labels, its wrapped column headers and their row height (points).
SAMPLE_LABEL_WIDTH = 16
SAMPLE_HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="bottom", wrap_text=True)
SAMPLE_HEADER_HEIGHT = 30
#: The histogram's bin text, set off from the numbers beside it.
BIN_ALIGNMENT = Alignment(horizontal="center")
BOLD = Font(bold=True)

#: The unit of a plain number's format (not a fraction, which shows as a percentage).
PLAIN = "dimensionless"

Cached = dict[str, float]


def _headers(sheet: Worksheet, row: int, headers: list[str], widths: list[int] | None = None) -> None:
    """A bold header row (and column widths)."""
    for column, header in enumerate(headers, start=1):
        set_text_cell(sheet.cell(row, column), header).font = styles.HEADER_FONT
        sheet.cell(row, column).fill = styles.HEADER_FILL
        if widths:
            sheet.column_dimensions[get_column_letter(column)].width = widths[column - 1]


def _number(sheet: Worksheet, row: int, column: int, value: float, unit: str = PLAIN) -> None:
    """A number cell with the templates' format for its magnitude and unit."""
    sheet.cell(row, column, float(value)).number_format = styles.number_format(float(value), unit)


def _formula(sheet: Worksheet, row: int, column: int, text: str, value: float, cached: Cached,
             unit: str = PLAIN) -> None:
    """A formula cell of our own making, with its cached value."""
    cell = sheet.cell(row, column, text)
    cell.number_format = styles.number_format(float(value), unit)
    cached[cell.coordinate] = float(value)


def _title(sheet: Worksheet, simulation: Simulation, what: str) -> None:
    """Title and subtitle lines; the sheet prints landscape, one page wide."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    spec = simulation.model_spec
    set_text_cell(sheet.cell(1, 1), f"{spec.title_en} / {spec.title_zh}: {what}").font = styles.TITLE_FONT
    set_text_cell(sheet.cell(2, 1), f"{simulation.n:,} samples, seed {simulation.seed}; inputs sampled "
                  "independently (numpy default_rng). Source: " + str(spec.citation)).font = styles.SUBTITLE_FONT


def _simulation_sheet(sheet: Worksheet, simulation: Simulation) -> None:
    """Ranges, then the percentile table of every result row."""
    sheet.title = SIMULATION_SHEET
    _title(sheet, simulation, "Monte Carlo")
    row = TABLE_HEADER_ROW
    set_text_cell(sheet.cell(row - 1, 1), "Ranges 区间").font = styles.SECTION_FONT
    _headers(sheet, row, ["input", "distribution", "kind", "low", "high", "unit"], [22, 34, 12, 16, 16, 16, 16, 16])
    for row, (name, distribution) in enumerate(simulation.ranges.items(), start=row + 1):
        unit = simulation.tornado.set_index("input").loc[name, "unit"]
        for column, text in ((1, name), (2, distribution.text), (3, distribution.kind), (6, unit)):
            set_text_cell(sheet.cell(row, column), text)
        _number(sheet, row, 4, distribution.low, unit)
        _number(sheet, row, 5, distribution.high, unit)
    row += 2
    set_text_cell(sheet.cell(row, 1), "Percentiles 分位数 (over all samples)").font = styles.SECTION_FONT
    headers = ["row", "label", "unit", "base", *simulation.quantiles, "mean"]
    labels = [f"{record.label_en} / {record.label_zh}" for record in simulation.percentiles.itertuples()]
    _headers(sheet, row + 1, headers, [22, styles.fit_width(labels, 34), 12, *[18] * (len(headers) - 3)])
    for row, record in enumerate(simulation.percentiles.itertuples(), start=row + 2):
        for column, text in ((1, record.Index), (2, f"{record.label_en} / {record.label_zh}"), (3, record.unit)):
            set_text_cell(sheet.cell(row, column), text)
        for column, key in enumerate(["base", *simulation.quantiles, "mean"], start=4):
            _number(sheet, row, column, simulation.percentiles.loc[record.Index, key], record.unit)
        if record.Index == simulation.target:
            for column in range(1, len(headers) + 1):
                sheet.cell(row, column).font = BOLD
    row += 2
    set_text_cell(sheet.cell(row, 1), "Warnings").font = styles.SECTION_FONT
    for row, text in enumerate(simulation.warnings or ["none"], start=row + 1):
        set_text_cell(sheet.cell(row, 1), text)


def _histogram_sheet(sheet: Worksheet, simulation: Simulation, cached: Cached) -> None:
    """The main result in equal bins, with a column chart of each bin's share."""
    _title(sheet, simulation, f"histogram of {simulation.target} ({simulation.target_unit})")
    unit = simulation.target_unit
    values = simulation.samples[simulation.target].to_numpy()
    low, high = float(values.min()), float(values.max())
    counts, edges = np.histogram(values, bins=HISTOGRAM_BINS if high > low else 1)
    _headers(sheet, TABLE_HEADER_ROW, [f"from ({unit})", f"to ({unit})", "bin", "count", "share", "axis label"],
             [16, 16, 22, 10, 10, 12])
    first = TABLE_HEADER_ROW + 1
    last = first + len(counts) - 1
    skip = max(1, len(counts) // HISTOGRAM_LABELS)  # every bin labelled on the axis was unreadable
    for row, (start, stop, count) in enumerate(zip(edges[:-1], edges[1:], counts), start=first):
        _number(sheet, row, 1, start, unit)
        _number(sheet, row, 2, stop, unit)
        set_text_cell(sheet.cell(row, 3), f"{_short(start)}–{_short(stop)}").alignment = BIN_ALIGNMENT
        set_text_cell(sheet.cell(row, 6), _short(start) if (row - first) % skip == 0 else "").alignment = BIN_ALIGNMENT
        sheet.cell(row, 4, int(count))
        _formula(sheet, row, 5, f"=D{row}/SUM($D${first}:$D${last})", count / counts.sum(), cached, "")
    chart = BarChart()
    chart.type, chart.gapWidth, chart.legend = "col", 10, None
    chart.title = f"{simulation.target}: share of {simulation.n:,} samples per bin"
    chart.x_axis.title, chart.y_axis.title = f"{simulation.target} ({unit})", "share of samples"
    chart.y_axis.number_format = "0%"
    chart.add_data(Reference(sheet, min_col=5, min_row=TABLE_HEADER_ROW, max_row=last), titles_from_data=True)
    _text_categories(chart, Reference(sheet, min_col=6, min_row=first, max_row=last))
    chart.width, chart.height = HISTOGRAM_SIZE
    sheet.add_chart(chart, "H4")


def _text_categories(chart: BarChart, reference: Reference) -> None:
    """Category labels read from text cells (openpyxl's set_categories would declare numbers); axes shown."""
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 hides both axes in Excel otherwise
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(reference)))


def _short(value: float) -> str:
    """A bin edge for a chart label: 4 significant digits."""
    return f"{value:,.0f}" if 1e3 <= abs(value) < 1e7 else f"{value:.4g}"


def _tornado_sheet(sheet: Worksheet, simulation: Simulation, cached: Cached) -> None:
    """Each input at its low and high end, the change of the main result, and a tornado chart."""
    unit = simulation.target_unit
    _title(sheet, simulation, f"tornado of {simulation.target} ({unit}), one input at a time")
    base = float(simulation.percentiles.loc[simulation.target, "base"])
    set_text_cell(sheet.cell(3, 1), f"base {simulation.target} ({unit})").font = BOLD
    _number(sheet, 3, 4, base, unit)
    headers = ["input", "low", "high", "unit", f"at low ({unit})", f"at high ({unit})", "change at low",
               "change at high", "swing"]
    _headers(sheet, TABLE_HEADER_ROW, headers, [22, 14, 14, 14, 18, 18, 16, 16, 16])
    first = TABLE_HEADER_ROW + 1
    for row, record in enumerate(simulation.tornado.itertuples(), start=first):
        set_text_cell(sheet.cell(row, 1), record.input)
        _number(sheet, row, 2, record.low, record.unit)
        _number(sheet, row, 3, record.high, record.unit)
        set_text_cell(sheet.cell(row, 4), record.unit)
        _number(sheet, row, 5, record.target_at_low, unit)
        _number(sheet, row, 6, record.target_at_high, unit)
        _formula(sheet, row, 7, f"=E{row}-$D$3", record.target_at_low - base, cached, unit)
        _formula(sheet, row, 8, f"=F{row}-$D$3", record.target_at_high - base, cached, unit)
        _formula(sheet, row, 9, f"=ABS(F{row}-E{row})", record.swing, cached, unit)
    last = first + len(simulation.tornado) - 1
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "bar", "clustered", 100, 40
    chart.title = f"{simulation.target}: change from base ({unit}) with each input at its low / high"
    chart.x_axis.scaling.orientation = "maxMin"  # the largest swing on top
    chart.x_axis.tickLblPos = "low"  # input names left of the bars, not on the zero line
    chart.y_axis.title = f"change of {simulation.target} ({unit})"
    chart.add_data(Reference(sheet, min_col=7, max_col=8, min_row=TABLE_HEADER_ROW, max_row=last),
                   titles_from_data=True)
    _text_categories(chart, Reference(sheet, min_col=1, min_row=first, max_row=last))
    chart.width, chart.height = CHART_SIZE[0], max(6, 2 + 1.2 * len(simulation.tornado))
    sheet.add_chart(chart, "A" + str(last + 3))


def _samples_sheet(sheet: Worksheet, simulation: Simulation, cached: Cached) -> None:
    """The first samples under native PERCENTILE/AVERAGE formulas over the rows shown."""
    shown = simulation.samples.iloc[:SHEET_SAMPLES]
    units = simulation.samples.attrs["units"]
    what = "all" if len(shown) == simulation.n else f"the first {len(shown):,} of {simulation.n:,}"
    set_text_cell(sheet.cell(1, 1), f"Samples ({what}); the statistics rows compute over the samples shown.").font = BOLD
    statistics = {**{key: f"PERCENTILE({{range}},{value / 100:g})" for key, value in simulation.quantiles.items()},
                  "mean": "AVERAGE({range})"}
    first = 2 + len(statistics) + 2  # the statistics, a blank row, the header
    last = first + len(shown) - 1
    for offset, key in enumerate(statistics):
        set_text_cell(sheet.cell(2 + offset, 1), f"{key} of these").font = BOLD
    for column, name in enumerate(shown.columns, start=2):
        letter = get_column_letter(column)
        values = shown[name].to_numpy()
        unit = units[name]
        header = set_text_cell(sheet.cell(first - 1, column), f"{name} ({unit})" if unit else name)
        header.font, header.alignment = BOLD, SAMPLE_HEADER_ALIGNMENT
        sheet.column_dimensions[letter].width = 18
        exact = {**dict(zip(simulation.quantiles, np.percentile(values, list(simulation.quantiles.values())))),
                 "mean": np.mean(values)}
        for offset, (key, template) in enumerate(statistics.items()):
            _formula(sheet, 2 + offset, column, "=" + template.format(range=f"{letter}{first}:{letter}{last}"),
                     exact[key], cached, unit)
        for row, value in enumerate(values, start=first):
            sheet.cell(row, column, float(value))
    sheet.column_dimensions["A"].width = SAMPLE_LABEL_WIDTH
    sheet.row_dimensions[first - 1].height = SAMPLE_HEADER_HEIGHT
    sheet.freeze_panes = f"B{first}"
    # Samples are data, not a printout: print the statistics and the header only (5,000 rows were 330 pages).
    sheet.print_area = f"A1:{get_column_letter(len(shown.columns) + 1)}{first - 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def build_simulation_workbook(simulation: Simulation) -> tuple[Workbook, dict[str, Cached]]:
    """The whole workbook in memory and the cached values of its formulas, by sheet."""
    ranges = {name: (distribution.low_quantity, distribution.high_quantity)
              for name, distribution in simulation.ranges.items()}
    overrides = {record.name: record.quantity for record in simulation.base.itertuples() if record.overridden}
    try:
        workbook, cached = build_workbook(simulation.model_spec, overrides=overrides, frame=simulation.base,
                                          ranges=ranges)
    except InputError as error:
        # The live model's low/high columns combine each value at its own end (interval arithmetic), which can
        # pair ends the model refuses (the largest model's weights with the smallest replica); the simulation
        # itself evaluated consistent samples, as the printed run did. Write the model without those columns.
        workbook, cached = build_workbook(simulation.model_spec, overrides=overrides, frame=simulation.base)
        note = (f"the model sheet has no low/high columns: combining each value at its own end of its range gives "
                f"inputs the model refuses ({error}); the percentiles, histogram and tornado come from consistent "
                "samples")
        simulation = dataclasses.replace(simulation, warnings=[*simulation.warnings, note])
        logger.warning("warning: %s", visible_text(note))
    sheets: dict[str, Cached] = {name: {} for name in (HISTOGRAM_SHEET, TORNADO_SHEET, SAMPLES_SHEET)}
    _simulation_sheet(workbook.create_sheet(SIMULATION_SHEET, 0), simulation)
    _histogram_sheet(workbook.create_sheet(HISTOGRAM_SHEET, 1), simulation, sheets[HISTOGRAM_SHEET])
    _tornado_sheet(workbook.create_sheet(TORNADO_SHEET, 2), simulation, sheets[TORNADO_SHEET])
    _samples_sheet(workbook.create_sheet(SAMPLES_SHEET, 3), simulation, sheets[SAMPLES_SHEET])
    workbook.active = 0
    workbook.properties.creator = "flopsheet simulate"
    return workbook, {**cached, **sheets}


def write_simulation_xlsx(simulation: Simulation, path: str | Path) -> Path:
    """Write the Monte Carlo workbook of ``simulation`` atomically; the same simulation gives the same bytes."""
    workbook, cached = build_simulation_workbook(simulation)
    return save_deterministic(workbook, Path(path), cached)
