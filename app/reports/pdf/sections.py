"""Report sections that more than one template shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib.units import inch
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer

from app.reports.data import (
    fan_series,
    lowest_cash,
    mapping_rows,
    month_records,
    monthly_series,
    num,
    survival_probability,
    warnings_of,
)
from app.reports.money import NOT_AVAILABLE, month_label
from app.reports.pdf.charts import Series, line_chart
from app.reports.pdf.styles import BRAND, CASH_COLOR, EXPENSE_COLOR, FAN_COLOR, REVENUE_COLOR, esc
from app.reports.pdf.tables import kpi_section, table
from app.reports.pdf.template import ReportContext

LEDGER_TREND_MONTHS = 6
HEADLINE_CARDS_PER_ROW = 3
MAX_LISTED_WARNINGS = 10
CHART_BLOCK_PT = 2.9 * inch  # room a titled chart needs, else it starts a new page
NO_LEDGER_NOTICE = "No ledger transactions in the last 12 months."


def headline_kpis(ctx: ReportContext, heading: str) -> list[Flowable]:
    """The headline KPI cards, three a row, each labelled with its period: first-year flows,
    then cash, burn and runway at the horizon end, then the margin, MRR and the lowest cash
    with its month."""
    s, f = ctx.summary, ctx.fmt
    first = f"first {ctx.first_year_length()} mo."
    months = [m for m, _ in month_records(s.get("monthly"))]
    end = month_label(months[-1]) if months else "horizon end"
    low = lowest_cash(s)
    return kpi_section(
        ctx,
        heading,
        [
            (f"Total revenue ({first})", f.money(s.get("totalRevenue", s.get("revenue")))),
            (f"Total expenses ({first})", f.money(s.get("totalExpenses", s.get("expenses")))),
            (f"Net income ({first})", f.money(s.get("netIncome"))),
            (f"Cash balance ({end})", f.money(s.get("cashBalance"))),
            (f"Monthly burn ({end})", f.money(s.get("burnRate"))),
            (f"Runway ({end})", f.runway(s.get("runwayMonths"), s.get("burnRate"))),
            (f"Gross margin ({first})", f.percent(s.get("grossMargin"))),
            (f"MRR ({end})", f.money(s.get("mrr"))),
            (
                f"Lowest cash ({month_label(low[0])})" if low else "Lowest cash",
                f.money(low[1] if low else None),
            ),
        ],
        per_row=HEADLINE_CARDS_PER_ROW,
    )


def forecast_charts(ctx: ReportContext, cash: bool = True) -> list[Flowable]:
    """Revenue and expenses by forecast month, then (with ``cash``) the cash balance."""
    months, revenue = monthly_series(ctx.summary, "revenue")
    _, expenses = monthly_series(ctx.summary, "expenses")
    story: list[Flowable] = []
    if months and any(v is not None for v in revenue):
        story += _chart_block(
            ctx,
            "Revenue and expenses (forecast, monthly)",
            months,
            [("Revenue", revenue, REVENUE_COLOR), ("Expenses", expenses, EXPENSE_COLOR)],
        )
    if cash:
        _, cash_values = monthly_series(ctx.summary, "cashBalance")
        if months and any(v is not None for v in cash_values):
            story += _chart_block(
                ctx,
                "Cash balance (forecast, end of month)",
                months,
                [("Cash balance", cash_values, CASH_COLOR)],
            )
    return story


def _chart_block(
    ctx: ReportContext, heading: str, months: Sequence[str], series: Sequence[Series]
) -> list[Flowable]:
    """A heading and its chart, moved to a new page when the rest of this one is too short."""
    return [
        CondPageBreak(CHART_BLOCK_PT),
        Paragraph(heading, ctx.styles.h2),
        line_chart(ctx, months, series),
    ]


def monte_carlo_section(ctx: ReportContext) -> list[Flowable]:
    """The P5–P95 ending-cash fan and the survival probability; nothing without a simulation."""
    monte_carlo = ctx.data.monte_carlo
    fan = fan_series(monte_carlo)
    if fan is None:
        return []
    f, styles = ctx.fmt, ctx.styles
    meta = monte_carlo.get("meta") if monte_carlo else None
    n = num(meta.get("numSimulations")) if isinstance(meta, Mapping) else None
    survival = survival_probability(monte_carlo)
    heading = Paragraph("Monte Carlo: ending cash range (P5–P95, median)", styles.h2)
    chart = line_chart(
        ctx,
        fan.months,
        [
            ("P5–P95 range", list(fan.p95), FAN_COLOR),
            ("_p5", list(fan.p5), FAN_COLOR),
            ("Median (P50)", list(fan.p50), BRAND),
        ],
        band=True,
    )
    last = fan.months[-1]
    lines = [
        f"{esc(month_label(last))}: P5 {esc(f.money(fan.p5[-1]))}, "
        f"median {esc(f.money(fan.p50[-1]))}, P95 {esc(f.money(fan.p95[-1]))}.",
        f"Probability of keeping cash above zero for the whole period: "
        f"{esc(f.percent(survival))}"
        + (f" ({esc(f.count(n))} simulations)." if n is not None else "."),
    ]
    return [
        CondPageBreak(3.3 * inch),
        heading,
        chart,
        Spacer(1, 4),
        *[Paragraph(text, styles.body) for text in lines],
    ]


def forecast_table(ctx: ReportContext, heading: str) -> list[Flowable]:
    """Revenue, expenses, net income and cash of every forecast month."""
    records = month_records(ctx.summary.get("monthly"))
    if not records:
        return [
            Paragraph(esc(heading), ctx.styles.h2),
            Paragraph("The model run has no monthly forecast.", ctx.styles.body),
        ]
    f = ctx.fmt
    rows: list[list[Any]] = [["Month", "Revenue", "Expenses", "Net income", "Cash balance"]]
    for month, record in records:
        rows.append(
            [
                month_label(month),
                f.money(record.get("revenue")),
                f.money(record.get("expenses")),
                f.money(record.get("netIncome")),
                f.money(record.get("cashBalance")),
            ]
        )
    return [
        CondPageBreak(2.0 * inch),
        Paragraph(esc(heading), ctx.styles.h2),
        table(ctx, rows, [1.0, 1.3, 1.3, 1.3, 1.3]),
    ]


def ledger_trends(
    ctx: ReportContext, heading: str, *, with_margin: bool = False, expenses_only: bool = False
) -> list[Flowable]:
    """The last six ledger months: revenue, expenses and net (or actual expenses only)."""
    ledger = mapping_rows(ctx.data.ledger_monthly)
    story: list[Flowable] = [Paragraph(esc(heading), ctx.styles.h2)]
    if not ledger:
        story.append(Paragraph(NO_LEDGER_NOTICE, ctx.styles.body))
        return story
    f = ctx.fmt
    if expenses_only:
        header = ["Month", "Actual expenses"]
        widths = [1.5, 2.0]
    else:
        header = ["Month", "Revenue", "Expenses", "Net"] + (["Net margin"] if with_margin else [])
        widths = [1.2, 1.4, 1.4, 1.4] + ([1.0] if with_margin else [])
    rows: list[list[Any]] = [header]
    for row in ledger[-LEDGER_TREND_MONTHS:]:
        revenue, expenses = num(row.get("revenue")), num(row.get("expenses"))
        month = month_label(str(row.get("month", "")))
        if expenses_only:
            rows.append([month, f.money(expenses)])
            continue
        net = revenue - expenses if revenue is not None and expenses is not None else None
        line = [month, f.money(revenue), f.money(expenses), f.money(net)]
        if with_margin:
            line.append(f.percent(net / revenue) if net is not None and revenue else NOT_AVAILABLE)
        rows.append(line)
    story.append(table(ctx, rows, widths))
    return [KeepTogether(story)]


def model_notes(ctx: ReportContext) -> list[Flowable]:
    """The first warnings of the model run; nothing when it has none."""
    warnings = warnings_of(ctx.summary)
    if not warnings:
        return []
    small = ctx.styles.small
    story: list[Flowable] = [Paragraph("Model notes", ctx.styles.h2)]
    for text in warnings[:MAX_LISTED_WARNINGS]:
        story.append(Paragraph("• " + esc(text, 300), small))
    if len(warnings) > MAX_LISTED_WARNINGS:
        story.append(Paragraph(f"… and {len(warnings) - MAX_LISTED_WARNINGS} more.", small))
    return story
