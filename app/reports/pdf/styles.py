"""Colours, paragraph styles and the escaping every ``Paragraph`` text goes through.

Security (P30): ``Paragraph`` is the only markup parser of the PDF exports, so every string
from the database reaches it through :func:`esc`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle

from app.reports.data import MAX_TEXT_CHARS, clean_text
from app.reports.pdf.fonts import FontSet

INK = colors.HexColor("#1F2937")
MUTED = colors.HexColor("#6B7280")
RULE = colors.HexColor("#D1D5DB")
BAND = colors.HexColor("#F3F4F6")
BRAND = colors.HexColor("#1D4ED8")
REVENUE_COLOR = colors.HexColor("#2563EB")
EXPENSE_COLOR = colors.HexColor("#DC2626")
CASH_COLOR = colors.HexColor("#059669")
FAN_COLOR = colors.HexColor("#BFDBFE")
TABLE_HEADER = colors.HexColor("#E5E7EB")
TABLE_STRIPE = colors.HexColor("#F9FAFB")
CHART_GRID = colors.HexColor("#EEF0F3")


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of one report, in its fonts."""

    body: ParagraphStyle
    small: ParagraphStyle
    h2: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle

    @classmethod
    def for_fonts(cls, fonts: FontSet) -> Styles:
        """The styles set in ``fonts``."""
        body = ParagraphStyle(
            "body", fontName=fonts.regular, fontSize=9.5, leading=13, textColor=INK
        )
        cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5)
        return cls(
            body=body,
            small=ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=MUTED),
            h2=ParagraphStyle(
                "h2",
                parent=body,
                fontName=fonts.bold,
                fontSize=12.5,
                leading=16,
                spaceBefore=10,
                spaceAfter=6,
                textColor=BRAND,
                alignment=TA_LEFT,
            ),
            cell=cell,
            cell_bold=ParagraphStyle("cellb", parent=cell, fontName=fonts.bold),
        )


def esc(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """Database text made safe for ``Paragraph`` markup (``& < >`` escaped)."""
    return xml_escape(clean_text(value, limit))
