"""Slide geometry, colours and the font of a paragraph."""

from __future__ import annotations

from typing import Any

from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

SLIDE_WIDTH = Inches(13.333)  # 16:9
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.6)
CONTENT_TOP = Inches(1.45)
CONTENT_WIDTH = SLIDE_WIDTH - 2 * MARGIN
SIDE_CHART_WIDTH = Inches(8.4)  # a chart that leaves room for a column of facts on its right
LAYOUT_TITLE = 0  # indexes into the default template's slide layouts
LAYOUT_TITLE_ONLY = 5

INK = RGBColor(0x1F, 0x29, 0x37)
MUTED = RGBColor(0x6B, 0x72, 0x80)
BRAND = RGBColor(0x1D, 0x4E, 0xD8)
CARD = RGBColor(0xF3, 0xF4, 0xF6)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
REVENUE_COLOR = RGBColor(0x25, 0x63, 0xEB)
CASH_COLOR = RGBColor(0x05, 0x96, 0x69)
FAN_EDGE = RGBColor(0x93, 0xC5, 0xFD)
GRIDLINE = RGBColor(0xE5, 0xE7, 0xEB)
AXIS_LINE = RGBColor(0xD1, 0xD5, 0xDB)


def span(shape: Any, top: int, height: int) -> None:
    """Place ``shape`` across the content width, from ``top`` down ``height``."""
    shape.left, shape.top = MARGIN, top
    shape.width, shape.height = CONTENT_WIDTH, height


def style(
    paragraph: Any,
    size: int,
    *,
    bold: bool = False,
    color: RGBColor | None = None,
    align: Any = None,
) -> None:
    """Apply a font to every run of a paragraph."""
    if align is not None:
        paragraph.alignment = align
    runs = paragraph.runs or [paragraph.add_run()]
    for run in runs:
        run.font.size = Pt(size)
        run.font.bold = bold
        if color is not None:
            run.font.color.rgb = color
