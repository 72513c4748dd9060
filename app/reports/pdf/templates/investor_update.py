"""The ``investor-update`` template: highlights, runway, charts, risk range and outlook."""

from __future__ import annotations

from reportlab.platypus import Flowable, KeepTogether, Paragraph

from app.reports.data import Needs, lowest_cash, month_records
from app.reports.money import month_label
from app.reports.pdf.sections import (
    forecast_charts,
    forecast_table,
    model_notes,
    monte_carlo_section,
)
from app.reports.pdf.styles import esc
from app.reports.pdf.tables import kpi_section
from app.reports.pdf.template import PdfTemplate, ReportContext


def build(ctx: ReportContext) -> list[Flowable]:
    """Highlights, runway and cash-out, charts, the Monte Carlo fan, the outlook and notes."""
    s, f = ctx.summary, ctx.fmt
    first_year = ctx.first_year_length()
    story = kpi_section(
        ctx,
        "Performance highlights",
        [
            (f"Revenue (first {first_year} mo.)", f.money(s.get("totalRevenue", s.get("revenue")))),
            (f"Net income (first {first_year} mo.)", f.money(s.get("netIncome"))),
            (f"Gross margin (first {first_year} mo.)", f.percent(s.get("grossMargin"))),
            ("MRR (horizon end)", f.money(s.get("mrr"))),
            ("ARR (horizon end)", f.money(s.get("arr"))),
            ("Cash (horizon end)", f.money(s.get("cashBalance"))),
            ("Burn (horizon end)", f.money(s.get("burnRate"))),
            ("Runway (horizon end)", f.runway(s.get("runwayMonths"), s.get("burnRate"))),
        ],
    )
    story += runway_section(ctx)
    story += forecast_charts(ctx)
    story += monte_carlo_section(ctx)
    story += forecast_table(ctx, "Forward outlook")
    story += model_notes(ctx)
    return story


def runway_section(ctx: ReportContext) -> list[Flowable]:
    """Runway at the end and from the start, and the month cash runs out (if it does)."""
    s, f = ctx.summary, ctx.fmt
    months = [m for m, _ in month_records(s.get("monthly"))]
    cash_out = s.get("cashOutMonth")
    if isinstance(cash_out, str) and cash_out:
        cash_text = f"Cash is projected to reach zero in {esc(month_label(cash_out))}."
    elif months:
        cash_text = (
            f"Cash stays above zero through {esc(month_label(months[-1]))}, the end of the "
            f"{len(months)}-month forecast."
        )
    else:
        cash_text = "No monthly forecast is available."
    burn = s.get("burnRate")
    lines = [
        f"Runway at the horizon end: {esc(f.runway(s.get('runwayMonths'), burn))}.",
        f"Runway from the forecast start: {esc(f.runway(s.get('runwayFromStartMonths'), burn))}.",
        cash_text,
    ]
    low = lowest_cash(s)
    if low is not None:
        lines.append(
            f"Lowest cash in the forecast: {esc(f.money(low[1]))} in {esc(month_label(low[0]))}."
        )
    heading = Paragraph("Runway and cash-out", ctx.styles.h2)
    return [KeepTogether([heading, *(Paragraph(text, ctx.styles.body) for text in lines)])]


TEMPLATE = PdfTemplate(
    name="investor-update",
    title="Investor Update Report",
    needs=Needs(monte_carlo=True),
    build=build,
)
