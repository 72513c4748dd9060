"""The rule-based risk flags of the Key Risks slide; every number comes from the summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.reports.data import clean_text, first_cash_out, num, warnings_of
from app.reports.money import Formatter, month_label

RUNWAY_FLAG_MONTHS = 6
MAX_LISTED_WARNINGS = 3
MAX_WARNING_CHARS = 120
NO_RISK_FLAGS = "No risk flags triggered by the model"


def risk_flags(summary: Mapping[str, Any], fmt: Formatter) -> list[str]:
    """The flags whose rule fires, in order (empty when none does).

    The rules: runway under six months, a first-year loss, a month with cash at or below zero,
    expenses growing faster than revenue, and warnings of the model run.
    """
    flags: list[str] = []
    runway = num(summary.get("runwayMonths"))
    if runway is not None and runway < RUNWAY_FLAG_MONTHS:
        flags.append(
            f"Runway at the end of the forecast is {fmt.months(runway)}, "
            f"below {RUNWAY_FLAG_MONTHS} months."
        )
    net_income = num(summary.get("netIncome"))
    if net_income is not None and net_income < 0:
        flags.append(f"Net income over the first 12 months is negative: {fmt.money(net_income)}.")
    cash_out = first_cash_out(summary)
    if cash_out is not None:
        month, cash = cash_out
        flags.append(
            f"Cash falls to zero or below in {month_label(month)} (ending cash {fmt.money(cash)})."
        )
    revenue_growth = num(summary.get("revenueGrowth"))
    expense_growth = num(summary.get("expenseGrowth"))
    if (
        revenue_growth is not None
        and expense_growth is not None
        and expense_growth > revenue_growth
    ):
        flags.append(
            f"Expense growth ({fmt.percent(expense_growth)} per month) exceeds revenue growth "
            f"({fmt.percent(revenue_growth)} per month)."
        )
    warnings = warnings_of(summary)
    if warnings:
        listed = "; ".join(clean_text(w, MAX_WARNING_CHARS) for w in warnings[:MAX_LISTED_WARNINGS])
        extra = len(warnings) - MAX_LISTED_WARNINGS
        more = f" (and {extra} more)" if extra > 0 else ""
        flags.append(f"The model reported {len(warnings)} warning(s): {listed}{more}.")
    return flags
