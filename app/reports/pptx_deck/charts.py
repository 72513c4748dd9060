"""Native line charts over months, with money axes and thinned month labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
)
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from app.reports.money import short_month_label
from app.reports.pptx_deck.layout import (
    AXIS_LINE,
    CONTENT_TOP,
    CONTENT_WIDTH,
    FAN_EDGE,
    GRIDLINE,
    MARGIN,
    MUTED,
    SLIDE_HEIGHT,
)
from app.reports.pptx_deck.shapes import caption

MAX_MONTH_LABELS = 12
SKIP_TAGS = ("c:tickLblSkip", "c:tickMarkSkip")

Series = tuple[str, Sequence[float | None], RGBColor]


def line_chart(
    slide: Any,
    months: Sequence[str],
    series: Sequence[Series],
    *,
    currency_prefix: str,
    width: int | None = None,
    legend: bool = False,
) -> None:
    """A line chart of ``series`` over ``months``; a caption instead when there are no months."""
    if not months:
        caption(slide, "The model run has no monthly forecast.", top=CONTENT_TOP)
        return
    chart_data = CategoryChartData(number_format="#,##0.00")
    chart_data.categories = [short_month_label(m) for m in months]
    values: list[float | None] = []
    for name, points, _ in series:
        rounded = [round(v, 2) if v is not None else None for v in points]
        chart_data.add_series(name, rounded)
        values.extend(rounded)
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.LINE,
        MARGIN,
        CONTENT_TOP,
        width if width is not None else CONTENT_WIDTH,
        SLIDE_HEIGHT - CONTENT_TOP - Inches(1.15),
        chart_data,
    )
    chart = frame.chart
    chart.has_title = False
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(12)
    chart.font.size = Pt(11)
    chart.font.color.rgb = MUTED
    value_axis = chart.value_axis
    value_axis.tick_labels.number_format = axis_format(currency_prefix, values)
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = GRIDLINE
    value_axis.format.line.fill.background()
    category_axis = chart.category_axis
    category_axis.tick_labels.font.size = Pt(10)
    # Month labels stay under the plot even when cash goes negative.
    category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    category_axis.format.line.color.rgb = AXIS_LINE
    _skip_category_labels(category_axis, max(1, -(-len(months) // MAX_MONTH_LABELS)))
    for plot_series, (_, _, color) in zip(chart.plots[0].series, series, strict=True):
        plot_series.smooth = False
        plot_series.format.line.color.rgb = color
        plot_series.format.line.width = Pt(1.5 if color == FAN_EDGE else 2.75)
        plot_series.marker.style = XL_MARKER_STYLE.NONE


def axis_format(prefix: str, values: Sequence[float | None]) -> str:
    """An Excel number format for a money axis, scaled to K or M."""
    present = [abs(v) for v in values if v is not None]
    peak = max(present) if present else 0.0
    quoted = '"' + prefix.replace('"', "") + '"'
    if peak >= 1e6:
        return quoted + '#,##0.0,,"M"'
    if peak >= 1e4:
        return quoted + '#,##0,"K"'
    return quoted + "#,##0"


def _skip_category_labels(category_axis: Any, every: int) -> None:
    """Label (and tick) every ``every``-th month; python-pptx has no API for ``tickLblSkip``."""
    axis = category_axis._element
    for tag in SKIP_TAGS:
        for old in axis.findall(qn(tag)):
            axis.remove(old)
    skips = [axis.makeelement(qn(tag), {"val": str(every)}) for tag in SKIP_TAGS]
    anchor = axis.find(qn("c:noMultiLvlLbl"))
    if anchor is None:
        anchor = axis.find(qn("c:extLst"))
    for element in skips:
        if anchor is None:
            axis.append(element)
        else:
            anchor.addprevious(element)
