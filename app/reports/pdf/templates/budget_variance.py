"""The ``budget-variance`` template: budget against actual expenses, by month and category."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportlab.platypus import Flowable, Paragraph

from app.reports.data import Needs, mapping_rows, num
from app.reports.money import Formatter, month_label
from app.reports.pdf.sections import LEDGER_TREND_MONTHS, ledger_trends
from app.reports.pdf.styles import esc
from app.reports.pdf.tables import table
from app.reports.pdf.template import PdfTemplate, ReportContext

VARIANCE_HEADER = ["Budget", "Actual", "Variance", "Variance %"]
TOP_CATEGORIES = 10


def build(ctx: ReportContext) -> list[Flowable]:
    """Monthly budget against actual with a total, then the largest category variances.

    Without budgets the report says so and shows the ledger's actual expenses instead.
    """
    styles = ctx.styles
    rows = mapping_rows(ctx.data.budget_rows)
    story: list[Flowable] = [Paragraph("Budget vs actual expenses by month", styles.h2)]
    if not rows:
        story.append(
            Paragraph("No budgets found for this organisation. Actual expenses only.", styles.body)
        )
        story += ledger_trends(ctx, "Actual expenses (ledger)", expenses_only=True)
        return story
    f = ctx.fmt
    monthly: list[list[Any]] = [["Month", *VARIANCE_HEADER]]
    total_budget = total_actual = 0.0
    for row in rows[-LEDGER_TREND_MONTHS:]:
        budget, actual = num(row.get("budget")), num(row.get("actual"))
        total_budget += budget or 0.0
        total_actual += actual or 0.0
        monthly.append(_variance_row(f, month_label(str(row.get("month", ""))), budget, actual))
    monthly.append(_variance_row(f, "Total", total_budget, total_actual))
    story.append(table(ctx, monthly, [1.3, 1.3, 1.3, 1.3, 1.0], total_row=True))
    story.append(
        Paragraph(
            "Variance = actual − budget; a positive variance means spending above budget.",
            styles.small,
        )
    )
    categories = mapping_rows(ctx.data.budget_categories)
    if categories:
        ranked = sorted(categories, key=_variance_size, reverse=True)[:TOP_CATEGORIES]
        by_category: list[list[Any]] = [["Category", *VARIANCE_HEADER]]
        for row in ranked:
            label = Paragraph(esc(row.get("category", "")), styles.cell)
            by_category.append(
                _variance_row(f, label, num(row.get("budget")), num(row.get("actual")))
            )
        story.append(Paragraph("Largest category variances", styles.h2))
        story.append(table(ctx, by_category, [1.8, 1.2, 1.2, 1.2, 0.9]))
    return story


def _variance(budget: float | None, actual: float | None) -> tuple[float | None, float | None]:
    """``actual − budget`` and that as a fraction of the budget (None where undefined)."""
    if budget is None or actual is None:
        return None, None
    variance = actual - budget
    return variance, (variance / budget if budget else None)


def _variance_row(
    fmt: Formatter, label: Any, budget: float | None, actual: float | None
) -> list[Any]:
    """``label``, budget, actual, variance and variance %, formatted."""
    variance, pct = _variance(budget, actual)
    return [label, fmt.money(budget), fmt.money(actual), fmt.money(variance), fmt.percent(pct)]


def _variance_size(row: Mapping[str, Any]) -> float:
    """How far a category is off budget (−1 when unknown, so it ranks last)."""
    variance, _ = _variance(num(row.get("budget")), num(row.get("actual")))
    return abs(variance) if variance is not None else -1.0


TEMPLATE = PdfTemplate(
    name="budget-variance",
    title="Budget Variance Report",
    needs=Needs(ledger=True, budgets=True),
    build=build,
)
