"""The investor deck (contract §5.3.2) built with python-pptx, 16:9, native charts.

Every number on a slide comes from ``summary_json`` or ``percentiles_json``; there are no
benchmarks or claims of our own (P29). Slides, in order: cover, Executive Summary, Key
Performance Indicators, Revenue Trend, Cash Position & Runway, Monte Carlo Risk Analysis (only
with a simulation and ``include_monte_carlo``), Key Risks & Considerations, and a closing
first-year statements slide.

Layout: :mod:`.layout` holds geometry, colours and fonts; :mod:`.shapes` the text boxes, cards
and tables; :mod:`.charts` the line charts; :mod:`.risks` the risk rules; :mod:`.slides` one
function a slide; :mod:`.render` puts them in order.
"""

from __future__ import annotations

from app.reports.pptx_deck.render import render_pptx
from app.reports.pptx_deck.risks import NO_RISK_FLAGS, risk_flags

__all__ = [
    # Rendering.
    "render_pptx",
    # The Key Risks slide.
    "NO_RISK_FLAGS",
    "risk_flags",
]
