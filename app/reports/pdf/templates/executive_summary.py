"""The ``executive-summary`` template (the default): headline KPIs, charts, trends, outlook."""

from __future__ import annotations

from reportlab.platypus import Flowable

from app.reports.data import Needs
from app.reports.pdf.sections import (
    forecast_charts,
    forecast_table,
    headline_kpis,
    ledger_trends,
    model_notes,
    monte_carlo_section,
)
from app.reports.pdf.template import PdfTemplate, ReportContext


def build(ctx: ReportContext) -> list[Flowable]:
    """KPIs, forecast charts, ledger trends, the Monte Carlo fan, the forecast and notes."""
    story = headline_kpis(ctx, "Key metrics")
    story += forecast_charts(ctx)
    story += ledger_trends(ctx, "Recent monthly trends (ledger)")
    story += monte_carlo_section(ctx)
    story += forecast_table(ctx, "Forecast by month")
    story += model_notes(ctx)
    return story


TEMPLATE = PdfTemplate(
    name="executive-summary",
    title="Executive Summary Report",
    needs=Needs(ledger=True, monte_carlo=True),
    build=build,
)
