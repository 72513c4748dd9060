"""What the slides are made of: a titled slide, bullets, captions, facts, cards and tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import PP_ALIGN
from pptx.presentation import Presentation
from pptx.util import Inches, Pt

from app.reports.pptx_deck.layout import (
    BRAND,
    CARD,
    CONTENT_TOP,
    CONTENT_WIDTH,
    INK,
    LAYOUT_TITLE_ONLY,
    MARGIN,
    MUTED,
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    WHITE,
    span,
    style,
)

LABEL_COLUMN_SHARE = 0.58  # of a two-column table's width
LONG_CARD_VALUE_CHARS = 16  # longer KPI values get a smaller font


def titled_slide(prs: Presentation, title: str, footer: str) -> Any:
    """A new slide with ``title``, a brand bar under it and ``footer`` at the bottom."""
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY])
    shape = slide.shapes.title
    span(shape, Inches(0.35), Inches(0.9))
    shape.text = title
    style(shape.text_frame.paragraphs[0], 32, bold=True, color=INK, align=PP_ALIGN.LEFT)
    bar = slide.shapes.add_shape(
        MSO_SHAPE.RECTANGLE, MARGIN, Inches(1.22), Inches(1.2), Inches(0.06)
    )
    bar.fill.solid()
    bar.fill.fore_color.rgb = BRAND
    bar.line.fill.background()
    box = slide.shapes.add_textbox(MARGIN, SLIDE_HEIGHT - Inches(0.45), CONTENT_WIDTH, Inches(0.3))
    box.text_frame.word_wrap = True
    box.text_frame.text = footer
    style(box.text_frame.paragraphs[0], 10, color=MUTED, align=PP_ALIGN.LEFT)
    return slide


def bullets(slide: Any, lines: Sequence[str], *, top: int, size: int) -> None:
    """One bullet a line, across the slide from ``top`` down."""
    box = slide.shapes.add_textbox(MARGIN, top, CONTENT_WIDTH, SLIDE_HEIGHT - top - Inches(0.8))
    frame = box.text_frame
    frame.word_wrap = True
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = f"•  {line}"
        paragraph.space_after = Pt(14)
        style(paragraph, size, color=INK, align=PP_ALIGN.LEFT)


def caption(slide: Any, text: str, top: int | None = None) -> None:
    """A line of muted text, by default near the bottom of the slide."""
    top = top if top is not None else SLIDE_HEIGHT - Inches(1.05)
    box = slide.shapes.add_textbox(MARGIN, top, CONTENT_WIDTH, Inches(0.45))
    box.text_frame.word_wrap = True
    box.text_frame.text = text
    style(box.text_frame.paragraphs[0], 14, color=MUTED, align=PP_ALIGN.LEFT)


def facts(slide: Any, pairs: Sequence[tuple[str, str]], *, left: int) -> None:
    """A column of (label, value) pairs from ``left`` to the right margin, values in bold."""
    box = slide.shapes.add_textbox(
        left, CONTENT_TOP + Inches(0.2), SLIDE_WIDTH - left - MARGIN, Inches(5.0)
    )
    frame = box.text_frame
    frame.word_wrap = True
    for index, (label, value) in enumerate(pairs):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = label
        style(paragraph, 14, color=MUTED, align=PP_ALIGN.LEFT)
        value_paragraph = frame.add_paragraph()
        value_paragraph.text = value
        value_paragraph.space_after = Pt(14)
        style(value_paragraph, 22, bold=True, color=INK, align=PP_ALIGN.LEFT)


def card(
    slide: Any, label: str, value: str, *, left: int, top: int, width: int, height: int
) -> None:
    """A grey KPI card: the label, and under it the value in large bold type."""
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height)
    shape.fill.solid()
    shape.fill.fore_color.rgb = CARD
    shape.line.fill.background()
    shape.shadow.inherit = False
    frame = shape.text_frame
    frame.word_wrap = True
    frame.text = label
    style(frame.paragraphs[0], 16, color=MUTED, align=PP_ALIGN.LEFT)
    value_paragraph = frame.add_paragraph()
    value_paragraph.text = value
    style(
        value_paragraph,
        28 if len(value) <= LONG_CARD_VALUE_CHARS else 22,
        bold=True,
        color=INK,
        align=PP_ALIGN.LEFT,
    )


def table(
    slide: Any, rows: Sequence[tuple[str, str]], left: int, width: int, bold: set[str]
) -> None:
    """A (label, value) table whose first row is a header; rows labelled in ``bold`` are bold."""
    row_height = Inches(0.36)
    shape = slide.shapes.add_table(len(rows), 2, left, CONTENT_TOP, width, row_height * len(rows))
    grid = shape.table
    grid.columns[0].width = int(width * LABEL_COLUMN_SHARE)
    grid.columns[1].width = width - int(width * LABEL_COLUMN_SHARE)
    for r, (label, value) in enumerate(rows):
        for c, text in enumerate((label, value)):
            cell = grid.cell(r, c)
            cell.text = text
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            style(
                cell.text_frame.paragraphs[0],
                13,
                bold=r == 0 or label in bold,
                color=WHITE if r == 0 else INK,
                align=PP_ALIGN.RIGHT if c == 1 else PP_ALIGN.LEFT,
            )
