"""The ``financial-performance`` template: first-year P&L and cash flow, ledger detail."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import Flowable, KeepTogether, Paragraph

from app.reports.data import (
    CASH_FLOW_LINES,
    INCOME_STATEMENT_LINES,
    Needs,
    first_year_cash_flow,
    first_year_income_statement,
    first_year_months,
    mapping_rows,
    num,
)
from app.reports.money import NOT_AVAILABLE, month_label, period_label
from app.reports.pdf.sections import ledger_trends
from app.reports.pdf.styles import esc
from app.reports.pdf.tables import table
from app.reports.pdf.template import PdfTemplate, ReportContext

TOP_CATEGORIES = 10
BOLD_INCOME_LINES = ("Gross profit", "EBITDA", "Net income")


def build(ctx: ReportContext) -> list[Flowable]:
    """Profit and loss, cash flow, top expense categories and monthly ledger performance."""
    story = income_statement_section(ctx)
    story += cash_flow_section(ctx)
    story += top_categories_section(ctx)
    story += ledger_trends(ctx, "Monthly performance (ledger)", with_margin=True)
    return story


def income_statement_section(ctx: ReportContext) -> list[Flowable]:
    """First-year income statement lines with their share of revenue."""
    months = first_year_months(ctx.summary)
    lines = first_year_income_statement(ctx.summary)
    period = period_label(months, "first 12 months")
    f = ctx.fmt
    revenue = lines.get("revenue")
    rows: list[list[Any]] = [["Line", f"First {len(months) or 12} months", "% of revenue"]]
    for label, key in INCOME_STATEMENT_LINES:
        value = lines.get(key)
        share = value / revenue if value is not None and revenue else None
        rows.append([label, f.money(value), f.percent(share)])
        if key == "grossProfit":
            rows.append(["Gross margin", "", f.percent(lines.get("grossMargin"))])
    bold_rows = [i for i, r in enumerate(rows) if r[0] in BOLD_INCOME_LINES]
    return [
        Paragraph(f"Profit and loss ({esc(period)})", ctx.styles.h2),
        table(ctx, rows, [2.4, 1.8, 1.2], bold_rows=bold_rows),
    ]


def cash_flow_section(ctx: ReportContext) -> list[Flowable]:
    """First-year cash flow lines and the ending cash, kept on one page."""
    months = first_year_months(ctx.summary)
    sums = first_year_cash_flow(ctx.summary)
    f = ctx.fmt
    rows: list[list[Any]] = [["Line", f"First {len(months) or 12} months"]]
    for label, key in CASH_FLOW_LINES:
        rows.append([label, f.money(sums.get(key))])
    end_label = f"Ending cash ({month_label(months[-1])})" if months else "Ending cash"
    rows.append([end_label, f.money(sums.get("endingCash"))])
    return [
        KeepTogether(
            [
                Paragraph("Cash flow", ctx.styles.h2),
                table(ctx, rows, [2.4, 1.8], bold_rows=[len(rows) - 2, len(rows) - 1]),
            ]
        )
    ]


def top_categories_section(ctx: ReportContext) -> list[Flowable]:
    """The largest ledger expense categories of the last three months, with their shares."""
    categories = mapping_rows(ctx.data.top_expense_categories)[:TOP_CATEGORIES]
    story: list[Flowable] = [
        Paragraph("Top expense categories (ledger, last 3 months)", ctx.styles.h2)
    ]
    if not categories:
        story.append(Paragraph("No expense transactions in the last 3 months.", ctx.styles.body))
        return story
    total = sum(num(r.get("amount")) or 0.0 for r in categories)
    f = ctx.fmt
    rows: list[list[Any]] = [["Category", "Amount", "Transactions", "Share of top 10"]]
    for row in categories:
        amount = num(row.get("amount"))
        rows.append(
            [
                Paragraph(esc(row.get("category", "")), ctx.styles.cell),
                f.money(amount),
                f.count(row.get("count")),
                f.percent(amount / total) if amount is not None and total else NOT_AVAILABLE,
            ]
        )
    story.append(table(ctx, rows, [2.2, 1.5, 1.0, 1.1]))
    return [KeepTogether(story)]


TEMPLATE = PdfTemplate(
    name="financial-performance",
    title="Financial Performance Report",
    needs=Needs(ledger=True),
    build=build,
)
