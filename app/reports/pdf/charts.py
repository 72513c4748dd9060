"""Line charts over months (reportlab graphics), with an optional filled P5–P95 band."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.charts.utils import FillPairedData
from reportlab.graphics.shapes import Drawing, Line
from reportlab.lib import colors
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, KeepTogether, Spacer

from app.reports.money import short_month_label
from app.reports.pdf.styles import CHART_GRID, MUTED, RULE
from app.reports.pdf.template import ReportContext

CHART_HEIGHT_PT = 2.1 * inch
MAX_MONTH_TICKS = 12
AXIS_TICKS = 5
HIDDEN_SERIES_PREFIX = "_"  # a series named so draws but stays out of the legend

Series = tuple[str, Sequence[float | None], colors.Color]


def line_chart(
    ctx: ReportContext,
    months: Sequence[str],
    series: Sequence[Series],
    *,
    band: bool = False,
    height: float = CHART_HEIGHT_PT,
) -> Flowable:
    """A line chart over months; with ``band`` the first two series bound a filled range."""
    width = ctx.page.content_width
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 62, 34
    plot.width, plot.height = width - 75, height - 56
    data: list[Any] = []
    all_values: list[float] = []
    for index, (_, values, _) in enumerate(series):
        points = [(float(i), float(v)) for i, v in enumerate(values) if v is not None]
        all_values.extend(p[1] for p in points)
        data.append(FillPairedData(points, 1) if band and index == 0 else points)
    if not all_values:
        return Spacer(1, 0)
    plot.data = data
    for index, (_, _, color) in enumerate(series):
        line = plot.lines[index]
        line.strokeColor = color
        line.strokeWidth = 0.6 if band and index < 2 else 1.8
        if band and index == 0:
            line.fillColor = color
    n = len(months)
    step = max(1, -(-n // MAX_MONTH_TICKS))
    ticks = list(range(0, n, step))
    labels = [short_month_label(m) for m in months]
    x_axis = plot.xValueAxis
    x_axis.valueMin, x_axis.valueMax = 0, max(1, n - 1)
    x_axis.valueSteps = ticks
    x_axis.labelTextFormat = lambda v: labels[int(v)] if 0 <= int(v) < n else ""
    x_axis.labels.fontName = ctx.fonts.regular
    x_axis.labels.fontSize = 7
    x_axis.labels.fillColor = MUTED
    x_axis.strokeColor = RULE
    x_axis.tickDown = 3
    low, high = min(all_values), max(all_values)
    y_min, y_max, y_step = _nice_range(min(0.0, low), max(0.0, high))
    y_axis = plot.yValueAxis
    y_axis.valueMin, y_axis.valueMax, y_axis.valueStep = y_min, y_max, y_step
    y_axis.labelTextFormat = ctx.fmt.compact
    y_axis.labels.fontName = ctx.fonts.regular
    y_axis.labels.fontSize = 7
    y_axis.labels.fillColor = MUTED
    y_axis.strokeColor = RULE
    y_axis.visibleGrid = True
    y_axis.gridStrokeColor = CHART_GRID
    y_axis.gridStrokeWidth = 0.5
    drawing.add(plot)
    if y_min < 0 < y_max:
        zero_y = plot.y + plot.height * (0 - y_min) / (y_max - y_min)
        drawing.add(
            Line(plot.x, zero_y, plot.x + plot.width, zero_y, strokeColor=MUTED, strokeWidth=0.6)
        )
    visible = [
        (color, name) for name, _, color in series if not name.startswith(HIDDEN_SERIES_PREFIX)
    ]
    if len(visible) > 1 or band:
        drawing.add(_legend(ctx, visible, x=plot.x, y=height - 6))
    return KeepTogether([drawing])


def _legend(
    ctx: ReportContext, pairs: list[tuple[colors.Color, str]], *, x: float, y: float
) -> Legend:
    """A one-row legend whose top-left corner is at ``(x, y)``."""
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 110
    legend.dx, legend.dy = 8, 8
    legend.fontName = ctx.fonts.regular
    legend.fontSize = 7.5
    legend.strokeWidth = 0
    legend.colorNamePairs = pairs
    legend.boxAnchor = "nw"
    return legend


def _nice_range(low: float, high: float, ticks: int = AXIS_TICKS) -> tuple[float, float, float]:
    """Round axis bounds and a step of 1, 2, 2.5 or 5 × 10^k."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step * math.floor(low / step), step * math.ceil(high / step), step
