"""The investor deck (contract §5.3.2): one presentation, its slides in the contract's order."""

from __future__ import annotations

import io

from pptx import Presentation

from app.reports.data import ReportData, fan_series
from app.reports.money import Formatter
from app.reports.pptx_deck import slides
from app.reports.pptx_deck.layout import SLIDE_HEIGHT, SLIDE_WIDTH


def render_pptx(data: ReportData, include_monte_carlo: bool = True) -> bytes:
    """Render the investor deck.

    Args:
        data: the report inputs.
        include_monte_carlo: ``params.includeMonteCarlo``; the Monte Carlo slide also needs a
            usable ``data.monte_carlo``.

    Returns:
        The ``.pptx`` bytes.
    """
    prs = Presentation()
    prs.slide_width = SLIDE_WIDTH
    prs.slide_height = SLIDE_HEIGHT
    # Slides are text, not PDF glyphs: every currency symbol is available.
    deck = slides.Deck(data=data, fmt=Formatter(data.currency), prs=prs)
    slides.cover(deck)
    slides.executive_summary(deck)
    slides.kpis(deck)
    slides.revenue_trend(deck)
    slides.cash_position(deck)
    if include_monte_carlo and fan_series(data.monte_carlo) is not None:
        slides.monte_carlo(deck)
    slides.risks(deck)
    slides.statements(deck)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
