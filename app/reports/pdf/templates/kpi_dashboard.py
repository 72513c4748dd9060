"""The ``kpi-dashboard`` template: every KPI the model has, as cards, and the forecast charts."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import Flowable, Paragraph

from app.reports.data import Needs, kpi, num
from app.reports.money import NOT_AVAILABLE, Formatter
from app.reports.pdf.sections import forecast_charts
from app.reports.pdf.tables import kpi_section
from app.reports.pdf.template import PdfTemplate, ReportContext

MISSING_INPUTS_NOTE = (
    "Values marked n/a need inputs the model does not have (for example customer "
    "count, churn, CAC or marketing spend)."
)


def build(ctx: ReportContext) -> list[Flowable]:
    """Fourteen KPI cards, a note on the n/a ones, and the forecast charts."""
    s, f = ctx.summary, ctx.fmt
    story = kpi_section(
        ctx,
        "Key performance indicators",
        [
            ("MRR", f.money(s.get("mrr"))),
            ("ARR", f.money(s.get("arr"))),
            ("Gross margin", f.percent(s.get("grossMargin"))),
            ("EBITDA margin", f.percent(s.get("ebitdaMargin"))),
            ("Monthly burn", f.money(s.get("burnRate"))),
            ("Runway", f.runway(s.get("runwayMonths"), s.get("burnRate"))),
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
