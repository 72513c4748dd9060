"""The ``kpi-dashboard`` template: every KPI the model has, as cards, and the forecast charts."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import Flowable, Paragraph

from app.reports.data import Needs, kpi, month_records, num
from app.reports.money import NOT_AVAILABLE, Formatter, month_label
from app.reports.pdf.sections import forecast_charts
from app.reports.pdf.tables import kpi_section
from app.reports.pdf.template import PdfTemplate, ReportContext

MISSING_INPUTS_NOTE = (
    "Values marked n/a need inputs the model does not have (for example customer "
    "count, churn, CAC or marketing spend)."
)


def build(ctx: ReportContext) -> list[Flowable]:
    """Fourteen KPI cards (those of one period say which), a note on the n/a ones, and the
    forecast charts."""
    s, f = ctx.summary, ctx.fmt
    first = f"first {ctx.first_year_length()} mo."
    months = [m for m, _ in month_records(s.get("monthly"))]
    end = month_label(months[-1]) if months else "horizon end"
    story = kpi_section(
        ctx,
        "Key performance indicators",
        [
            (f"MRR ({end})", f.money(s.get("mrr"))),
            (f"ARR ({end})", f.money(s.get("arr"))),
            (f"Gross margin ({first})", f.percent(s.get("grossMargin"))),
            (f"EBITDA margin ({first})", f.percent(s.get("ebitdaMargin"))),
            (f"Monthly burn ({end})", f.money(s.get("burnRate"))),
            (f"Runway ({end})", f.runway(s.get("runwayMonths"), s.get("burnRate"))),
            ("LTV", f.money(kpi(s, "ltv"))),
            ("CAC", f.money(kpi(s, "cac"))),
            ("LTV / CAC", f.ratio(kpi(s, "ltvCacRatio"))),
            ("CAC payback", _payback_months(f, kpi(s, "paybackPeriod"))),
            ("Churn (monthly)", f.percent(kpi(s, "churnRate"))),
            ("Rule of 40", f.points(kpi(s, "ruleOf40"))),
            ("Burn multiple", f.ratio(kpi(s, "burnMultiple"))),
            ("Magic number", f.number(kpi(s, "magicNumber"))),
        ],
    )
    story.append(Paragraph(MISSING_INPUTS_NOTE, ctx.styles.small))
    story += forecast_charts(ctx)
    return story


def _payback_months(fmt: Formatter, value: Any) -> str:
    """Months, never the runway's "no burn" reading (a payback is never the sentinel)."""
    x = num(value)
    return NOT_AVAILABLE if x is None else f"{fmt.number(x)} months"


TEMPLATE = PdfTemplate(
    name="kpi-dashboard",
    title="KPI Dashboard Report",
    needs=Needs(),
    build=build,
)
