"""The fonts of the PDF exports.

reportlab's built-in Helvetica has no ``₹`` glyph. When DejaVu Sans exists on the machine (the
Debian ``fonts-dejavu-core`` package) it is embedded and every currency symbol renders;
otherwise Helvetica is used and INR amounts fall back to the ``INR `` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_CANDIDATES: tuple[tuple[str, str], ...] = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
)
HELVETICA_MISSING_GLYPHS = frozenset({"₹"})  # Helvetica (WinAnsi) has $ € £ ¥ but not ₹


@dataclass(frozen=True)
class FontSet:
    """Font names registered with reportlab, and the currency glyphs they lack."""

    regular: str
    bold: str
    missing_glyphs: frozenset[str]


@lru_cache(maxsize=4)
def resolve_fonts(candidates: tuple[tuple[str, str], ...] = FONT_CANDIDATES) -> FontSet:
    """Register the first complete (regular, bold) TTF pair found, else use Helvetica."""
    for regular_path, bold_path in candidates:
        if Path(regular_path).is_file() and Path(bold_path).is_file():
            pdfmetrics.registerFont(TTFont("FinaSans", regular_path))
            pdfmetrics.registerFont(TTFont("FinaSans-Bold", bold_path))
            return FontSet("FinaSans", "FinaSans-Bold", frozenset())
    return FontSet("Helvetica", "Helvetica-Bold", HELVETICA_MISSING_GLYPHS)
