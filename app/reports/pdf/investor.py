"""The investor memo PDF (CONTRACT-2 §6.9): data-only, built from the exports' own parts.

Page template, KPI cards, tables, charts, the forecast table, the Monte Carlo fan and the model
notes are the ones the report templates use (:mod:`.page`, :mod:`.tables`, :mod:`.sections`);
this module only orders them and adds the sections an investor memo has besides: budget vs
actual, headcount by department, unit economics, risk flags and labelled commentary. Every
number comes from the run's summary, the simulation, the headcount plans or the budget data
the backend computed; a section without data says so in one line.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import inch
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer

from app.reports.data import ReportData, kpi, lowest_cash, month_records, num
from app.reports.investor import BUDGET_HEADING, COMMENTARY_HEADING, HEADCOUNT_NOTE, InvestorContent
from app.reports.money import month_label
from app.reports.pdf.fonts import FontSet, resolve_fonts
from app.reports.pdf.page import build_document
from app.reports.pdf.sections import (
    forecast_charts,
    forecast_table,
    model_notes,
    monte_carlo_section,
)
from app.reports.pdf.styles import esc
from app.reports.pdf.tables import kpi_section, table
from app.reports.pdf.template import ReportContext
from app.reports.pptx_deck.risks import NO_RISK_FLAGS, risk_flags

#: (label, key, how to format) of the unit-economics KPIs; only the non-null ones print.
UNIT_ECONOMICS: tuple[tuple[str, str, str], ...] = (
    ("Customer lifetime value (LTV)", "ltv", "money"),
    ("Customer acquisition cost (CAC)", "cac", "money"),
    ("LTV / CAC", "ltvCacRatio", "ratio"),
    ("CAC payback", "paybackPeriod", "months"),
    ("Net revenue retention", "nrr", "points"),
    ("Gross revenue retention (monthly)", "grr", "points"),
    ("Rule of 40", "ruleOf40", "points"),
    ("Burn multiple", "burnMultiple", "ratio"),
)


def render_investor_pdf(
    data: ReportData, content: InvestorContent, *, fonts: FontSet | None = None
) -> tuple[bytes, list[str]]:
    """The memo's bytes and the names of the sections it holds, in order."""
    ctx = ReportContext.create(data, fonts or resolve_fonts())
    sections: list[str] = []
    story: list[Flowable] = []

    def add(name: str, flowables: list[Flowable]) -> None:
        if flowables:
            sections.append(name)
            story.extend(flowables)

    add("cover", _cover(ctx, content))
    add("kpis", _kpis(ctx))
    add("revenueChart", forecast_charts(ctx))
    add("forecastTable", forecast_table(ctx, "Monthly forecast"))
    add("budgetVsActual", _budget_actual(ctx, content))
    add("headcount", _headcount(ctx, content))
    add("unitEconomics", _unit_economics(ctx))
    if content.include_monte_carlo:
        add("monteCarlo", monte_carlo_section(ctx) or _note(ctx, "Monte Carlo", _NO_SIMULATION))
    add("riskFlags", _risks(ctx))
    add("modelNotes", model_notes(ctx))
    add("commentary", _commentary(ctx, content))
    return build_document(ctx, content.title, story), sections


_NO_SIMULATION = "No finished Monte Carlo simulation exists for this model run."


def _note(ctx: ReportContext, heading: str, text: str) -> list[Flowable]:
    return [
        KeepTogether(
            [Paragraph(esc(heading), ctx.styles.h2), Paragraph(esc(text), ctx.styles.body)]
        )
    ]


def _cover(ctx: ReportContext, content: InvestorContent) -> list[Flowable]:
    """What the memo covers; the title and the org are in every page header already."""
    styles, data = ctx.styles, ctx.data
    lines: list[Flowable] = []
    if content.reporting_period:
        lines.append(Paragraph("Reporting period: " + esc(content.reporting_period), styles.body))
    months = [m for m, _ in month_records(ctx.summary.get("monthly"))]
    horizon = (
        f"Forecast {esc(month_label(months[0]))} – {esc(month_label(months[-1]))}"
        f" ({len(months)} months), model run {esc(data.short_run_id, 8)}."
        if months
        else f"Model run {esc(data.short_run_id, 8)}."
    )
    lines.append(Paragraph(horizon, styles.body))
    prepared = data.generated_on.strftime("%B %d, %Y")
    lines.append(
        Paragraph(f"Prepared {prepared} (UTC) from the model run's results.", styles.small)
    )
    return [KeepTogether(lines), Spacer(1, 4)]


def _kpis(ctx: ReportContext) -> list[Flowable]:
    s, f = ctx.summary, ctx.fmt
    months = [m for m, _ in month_records(s.get("monthly"))]
    end = f" ({month_label(months[-1])})" if months else ""
    first_year = ctx.first_year_length()
    low = lowest_cash(s)
    return kpi_section(
        ctx,
        "Headline figures",
        [
            (
                f"Revenue (first {first_year} months)",
                f.money(s.get("totalRevenue", s.get("revenue"))),
            ),
            (
                f"Expenses (first {first_year} months)",
                f.money(s.get("totalExpenses", s.get("expenses"))),
            ),
            (f"Net income (first {first_year} months)", f.money(s.get("netIncome"))),
            ("Gross margin", f.percent(s.get("grossMargin"))),
            (f"Cash at end of forecast{end}", f.money(s.get("cashBalance"))),
            (
                f"Lowest cash ({month_label(low[0])})" if low else "Lowest cash",
                f.money(low[1] if low else None),
            ),
            ("Runway from forecast start", f.months(s.get("runwayFromStartMonths"))),
            (f"ARR{end}", f.money(s.get("arr"))),
        ],
    )


def _budget_actual(ctx: ReportContext, content: InvestorContent) -> list[Flowable]:
    budget = content.budget_actual
    if budget.empty:
        return []
    f, styles = ctx.fmt, ctx.styles
    story: list[Flowable] = [CondPageBreak(2.2 * inch), Paragraph(esc(BUDGET_HEADING), styles.h2)]
    if budget.periods:
        rows: list[list[Any]] = [
            [
                "Period",
                "Rev. budget",
                "Rev. actual",
                "Exp. budget",
                "Exp. actual",
                "Variance",
                "Var. %",
            ]  # fmt: skip
        ]
        for p in budget.periods:
            rows.append(
                [
                    esc(p.get("period", ""), 20),
                    f.money(p.get("budgetRevenue")),
                    f.money(p.get("actualRevenue")),
                    f.money(p.get("budgetExpenses")),
                    f.money(p.get("actualExpenses")),
                    f.money(p.get("variance")),
                    f.points(p.get("variancePercent")),
                ]
            )
        story.append(table(ctx, rows, [0.8, 1.1, 1.1, 1.1, 1.1, 1.0, 0.8]))
    if budget.categories:
        rows = [["Category", "Budget", "Actual", "Variance", "Variance %"]]
        for c in budget.categories:
            rows.append(
                [
                    esc(c.get("category", ""), 40),
                    f.money(c.get("budget")),
                    f.money(c.get("actual")),
                    f.money(c.get("variance")),
                    f.points(c.get("variancePercent")),
                ]
            )
        story += [Spacer(1, 6), table(ctx, rows, [2.2, 1.2, 1.2, 1.2, 0.9])]
    return story


def _headcount(ctx: ReportContext, content: InvestorContent) -> list[Flowable]:
    heading = Paragraph("Headcount plans by department", ctx.styles.h2)
    if not content.headcount:
        return [
            KeepTogether(
                [heading, Paragraph("The org has no active headcount plans.", ctx.styles.body)]
            )
        ]
    rows: list[list[Any]] = [["Department", "Hired (filled)", "Planned", "Total"]]
    for line in content.headcount:
        rows.append([esc(line.department, 60), str(line.hired), str(line.planned), str(line.total)])
    hired = sum(line.hired for line in content.headcount)
    planned = sum(line.planned for line in content.headcount)
    rows.append(["All departments", str(hired), str(planned), str(hired + planned)])
    note = Paragraph(
        HEADCOUNT_NOTE,
        ctx.styles.small,
    )
    return [KeepTogether([heading, table(ctx, rows, [2.6, 1.2, 1.2, 1.0], total_row=True), note])]


def _unit_economics(ctx: ReportContext) -> list[Flowable]:
    s, f = ctx.summary, ctx.fmt
    formats = {"money": f.money, "ratio": f.ratio, "months": f.months, "points": f.points}
    pairs = [
        (label, formats[how](kpi(s, key)))
        for label, key, how in UNIT_ECONOMICS
        if num(kpi(s, key)) is not None
    ]
    if not pairs:
        return _note(
            ctx,
            "Unit economics",
            "The model run has no unit-economics figures (no customer or CAC data).",
        )
    return kpi_section(ctx, "Unit economics (from the model run)", pairs)


def _risks(ctx: ReportContext) -> list[Flowable]:
    flags = risk_flags(ctx.summary, ctx.fmt) or [NO_RISK_FLAGS]
    story: list[Flowable] = [Paragraph("Risk flags", ctx.styles.h2)]
    story += [Paragraph("• " + esc(flag, 400), ctx.styles.body) for flag in flags]
    return [KeepTogether(story)]


def _commentary(ctx: ReportContext, content: InvestorContent) -> list[Flowable]:
    commentary = content.commentary
    if commentary.empty:
        return []
    styles = ctx.styles
    story: list[Flowable] = [
        CondPageBreak(1.5 * inch),
        Paragraph(esc(COMMENTARY_HEADING), styles.h2),
    ]
    if commentary.executive_summary:
        story.append(Paragraph(esc(commentary.executive_summary, 2_000), styles.body))
    for heading, items in (
        ("Highlights", commentary.highlights),
        ("Areas of focus", commentary.areas_of_focus),
    ):
        if items:
            story.append(Paragraph(heading, styles.small))
            story += [Paragraph("• " + esc(item, 300), styles.body) for item in items]
    return story
