"""Tables: the striped data table with a header row, and the grid of KPI cards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table, TableStyle

from app.reports.pdf.styles import BAND, BRAND, INK, MUTED, TABLE_HEADER, TABLE_STRIPE, esc
from app.reports.pdf.template import ReportContext

TABLE_FONT_SIZE = 8.5
FULL_WIDTH_WEIGHTS = 4.5  # column weights summing to more than this stretch to the page width
KPI_CARDS_PER_ROW = 4
KPI_VALUE_SIZE = (13.0, 8.0)  # largest and smallest font size of a KPI value
KPI_LABEL_SIZE = (8.0, 6.5)


def table(
    ctx: ReportContext,
    rows: list[list[Any]],
    weights: Sequence[float],
    *,
    bold_rows: Sequence[int] = (),
    total_row: bool = False,
) -> Table:
    """A table whose first row is the header; columns after the first are right-aligned.

    Args:
        ctx: the report.
        rows: the header row, then the body rows.
        weights: relative column widths; in inches unless they sum past ``FULL_WIDTH_WEIGHTS``.
        bold_rows: indexes of rows set in bold.
        total_row: set the last row in bold under a rule.
    """
    bold, size = ctx.fonts.bold, TABLE_FONT_SIZE
    scale = ctx.page.content_width / sum(weights) if sum(weights) > FULL_WIDTH_WEIGHTS else inch
    widths = [w * scale for w in weights]
    result = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), ctx.fonts.regular, size),
        ("FONT", (0, 0), (-1, 0), bold, size),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), TABLE_HEADER),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, MUTED),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    for r in range(2, len(rows), 2):
        commands.append(("BACKGROUND", (0, r), (-1, r), TABLE_STRIPE))
    for r in bold_rows:
        commands.append(("FONT", (0, r), (-1, r), bold, size))
    if total_row:
        commands.append(("FONT", (0, -1), (-1, -1), bold, size))
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.75, MUTED))
    result.setStyle(TableStyle(commands))
    return result


def kpi_section(
    ctx: ReportContext,
    heading: str,
    pairs: Sequence[tuple[str, str]],
    per_row: int = KPI_CARDS_PER_ROW,
) -> list[Flowable]:
    """A heading over (label, value) cards, ``per_row`` a row, kept on one page."""
    col_width = ctx.page.content_width / per_row
    text_width = col_width - 14
    cells: list[list[Any]] = []
    row: list[Any] = []
    for label, value in pairs:
        row.append([_kpi_label(ctx, label, text_width), _kpi_value(ctx, value, text_width)])
        if len(row) == per_row:
            cells.append(row)
            row = []
    if row:
        cells.append(row + [""] * (per_row - len(row)))
    grid = Table(cells, colWidths=[col_width] * per_row)
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 7),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
    ]
    for r, cells_row in enumerate(cells):
        for c, content in enumerate(cells_row):
            if content != "":
                commands.append(("BACKGROUND", (c, r), (c, r), BAND))
                commands.append(("LINEBEFORE", (c, r), (c, r), 2, BRAND))
    grid.setStyle(TableStyle(commands))
    return [KeepTogether([Paragraph(esc(heading), ctx.styles.h2), grid])]


def _kpi_value(ctx: ReportContext, value: str, width: float) -> Paragraph:
    """A KPI value in bold, shrunk in half points until it fits ``width``."""
    size = _fitting_size(value, ctx.fonts.bold, KPI_VALUE_SIZE, 0.5, width)
    style = ParagraphStyle("kpi", parent=ctx.styles.cell_bold, fontSize=size, leading=size + 3)
    return Paragraph(esc(value), style)


def _kpi_label(ctx: ReportContext, label: str, width: float) -> Paragraph:
    """A KPI label, shrunk in quarter points until it fits ``width``."""
    size = _fitting_size(label, ctx.fonts.regular, KPI_LABEL_SIZE, 0.25, width)
    style = ParagraphStyle("kpil", parent=ctx.styles.small, fontSize=size, leading=size + 2)
    return Paragraph(esc(label), style)


def _fitting_size(
    text: str, font: str, sizes: tuple[float, float], step: float, width: float
) -> float:
    """The largest of ``sizes[0]``, less ``step`` at a time, at which ``text`` fits ``width``.

    Stops at ``sizes[1]``; text too wide even there overflows its cell.
    """
    size, smallest = sizes
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= step
    return size
