"""The ``growth-metrics`` template: ledger month-over-month growth and forecast growth KPIs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportlab.platypus import Flowable, Paragraph

from app.reports.data import Needs, kpi, mapping_rows, num
from app.reports.money import month_label
from app.reports.pdf.sections import (
    LEDGER_TREND_MONTHS,
    NO_LEDGER_NOTICE,
    forecast_charts,
)
from app.reports.pdf.tables import kpi_section, table
from app.reports.pdf.template import PdfTemplate, ReportContext


def build(ctx: ReportContext) -> list[Flowable]:
    """Ledger revenue growth by month, growth KPIs (the known ones) and the revenue chart."""
    s, f = ctx.summary, ctx.fmt
    story: list[Flowable] = [Paragraph("Month-over-month revenue growth (ledger)", ctx.styles.h2)]
    ledger = mapping_rows(ctx.data.ledger_monthly)
    if not ledger:
        story.append(Paragraph(NO_LEDGER_NOTICE, ctx.styles.body))
    else:
        rows: list[list[Any]] = [["Month", "Revenue", "MoM growth"]]
        start = max(0, len(ledger) - LEDGER_TREND_MONTHS)
        for i in range(start, len(ledger)):
            revenue = num(ledger[i].get("revenue"))
            prev = num(ledger[i - 1].get("revenue")) if i > 0 else None
            growth = (revenue / prev - 1) if revenue is not None and prev else None
            rows.append(
                [month_label(str(ledger[i].get("month", ""))), f.money(revenue), f.percent(growth)]
            )
        story.append(table(ctx, rows, [1.5, 1.8, 1.4]))
    pairs = [
        ("Revenue growth (monthly)", f.percent(s.get("revenueGrowth"))),
        ("MRR (horizon end)", f.money(s.get("mrr"))),
        ("ARR (horizon end)", f.money(s.get("arr"))),
    ]
    optional: list[tuple[str, Any, Callable[[Any], str]]] = [
        ("Customers", s.get("customerCount", s.get("activeCustomers")), f.count),
        ("LTV", kpi(s, "ltv"), f.money),
        ("CAC", kpi(s, "cac"), f.money),
        ("LTV / CAC", kpi(s, "ltvCacRatio"), f.ratio),
    ]
    missing = []
    for label, value, formatter in optional:
        if num(value) is None:
            missing.append(label)
        else:
            pairs.append((label, formatter(value)))
    story += kpi_section(ctx, "Forecast growth metrics", pairs)
    if missing:
        story.append(
            Paragraph(
                f"Not available from the model inputs: {', '.join(missing)}.", ctx.styles.small
            )
        )
    story += forecast_charts(ctx, cash=False)
    return story


TEMPLATE = PdfTemplate(
    name="growth-metrics",
    title="Growth Metrics Report",
    needs=Needs(ledger=True),
    build=build,
)
