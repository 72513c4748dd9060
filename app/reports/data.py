"""The plain inputs of every export renderer, and read helpers over ``summary_json``.

The database layer fills :class:`ReportData`; the renderers never touch the database, the
network or the file system (P30). Shapes of the ledger lists are documented on the fields.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

FIRST_YEAR_MONTHS = 12
MAX_TEXT_CHARS = 200
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")

# First-year income statement lines: (label, key in statements.incomeStatement.monthly[k]).
INCOME_STATEMENT_LINES: tuple[tuple[str, str], ...] = (
    ("Revenue", "revenue"),
    ("Cost of goods sold", "cogs"),
    ("Gross profit", "grossProfit"),
    ("Operating expenses", "operatingExpenses"),
    ("EBITDA", "ebitda"),
    ("Depreciation", "depreciation"),
    ("EBIT", "ebit"),
    ("Interest expense", "interestExpense"),
    ("Income tax", "incomeTax"),
    ("Net income", "netIncome"),
)
CASH_FLOW_LINES: tuple[tuple[str, str], ...] = (
    ("Operating cash flow", "operatingCashFlow"),
    ("Investing cash flow", "investingCashFlow"),
    ("Financing cash flow", "financingCashFlow"),
    ("Net cash flow", "netCashFlow"),
)


@dataclass(frozen=True)
class ReportData:
    """Everything an export shows; every number comes from these fields.

    Attributes:
        org_name: ``orgs.name`` (untrusted text; renderers escape it).
        currency: ``orgs.currency`` (ISO code).
        model_run_id: ``model_runs.id``.
        run_type: ``model_runs.run_type``.
        summary: ``model_runs.summary_json`` (contract §5.1.6).
        generated_on: the generation date (UTC), printed in headers and footers.
        ledger_monthly: last 12 months of the ledger, oldest first:
            ``[{"month": "YYYY-MM", "revenue": float, "expenses": float}]`` where ``revenue`` is
            Σ positive amounts and ``expenses`` Σ |negative amounts| (both ≥ 0).
        top_expense_categories: top 10 expense categories of the last 3 months, largest first:
            ``[{"category": str, "amount": float (Σ|amount| ≥ 0), "count": int}]``.
        budget_rows: up to the last 6 months that have ``budgets`` rows, oldest first:
            ``[{"month": "YYYY-MM", "budget": float, "actual": float}]`` where ``budget`` is Σ
            budget amounts and ``actual`` Σ |negative ledger amounts| of that month.
        budget_categories: per budget category over the same months:
            ``[{"category": str, "budget": float, "actual": float}]`` (actual = ledger expenses
            whose category equals the budget category, case-insensitive).
        monte_carlo: ``percentiles_json`` (§5.2.5) of the newest ``done`` simulation, or None.
        generated_at: the moment of generation (database clock), for document metadata;
            None means midnight UTC of ``generated_on``.
    """

    org_name: str
    currency: str
    model_run_id: str
    run_type: str
    summary: Mapping[str, Any]
    generated_on: datetime.date
    ledger_monthly: Sequence[Mapping[str, Any]] = field(default_factory=list)
    top_expense_categories: Sequence[Mapping[str, Any]] = field(default_factory=list)
    budget_rows: Sequence[Mapping[str, Any]] = field(default_factory=list)
    budget_categories: Sequence[Mapping[str, Any]] = field(default_factory=list)
    monte_carlo: Mapping[str, Any] | None = None
    generated_at: datetime.datetime | None = None

    @property
    def created_at(self) -> datetime.datetime:
        """When the document was made, timezone-aware (UTC when only the date is known)."""
        if self.generated_at is not None:
            moment = self.generated_at
            return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
        return datetime.datetime.combine(self.generated_on, datetime.time(), datetime.UTC)

    @property
    def short_run_id(self) -> str:
        """The first 8 characters of the model run id."""
        return str(self.model_run_id)[:8]


@dataclass(frozen=True)
class Needs:
    """Which optional inputs of :class:`ReportData` a renderer reads (the loader skips the rest).

    Attributes:
        ledger: ``ledger_monthly`` and ``top_expense_categories``.
        budgets: ``budget_rows`` and ``budget_categories``.
        monte_carlo: ``monte_carlo``.
    """

    ledger: bool = False
    budgets: bool = False
    monte_carlo: bool = False


@dataclass(frozen=True)
class FanSeries:
    """Monte Carlo ending-cash percentiles by month, for the fan chart."""

    months: list[str]
    p5: list[float]
    p50: list[float]
    p95: list[float]


def clean_text(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """Database text as one line of plain text: no control characters, length capped."""
    text = " ".join(_CONTROL_CHARS.sub(" ", str(value)).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def num(value: Any) -> float | None:
    """A finite float, or None for null, booleans, text and non-finite numbers."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        result = float(value)
        return result if math.isfinite(result) else None
    return None


def mapping_rows(rows: Sequence[Any]) -> list[Mapping[str, Any]]:
    """The mappings of a row list, in order (anything else in it is skipped)."""
    return [row for row in rows if isinstance(row, Mapping)]


def kpi(summary: Mapping[str, Any], key: str) -> Any:
    """A KPI from the top level of ``summary_json``, else from its ``kpis`` block."""
    value = summary.get(key)
    if value is None and isinstance(summary.get("kpis"), Mapping):
        value = summary["kpis"].get(key)
    return value


def month_records(monthly: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """``(month key, record)`` pairs in month order.

    Accepts the contract's ``{"YYYY-MM": {...}}`` mapping and, defensively, a list of records
    that carry a ``month`` key.
    """
    if isinstance(monthly, Mapping):
        pairs = [(str(k), v) for k, v in monthly.items() if isinstance(v, Mapping)]
        return sorted(pairs, key=lambda pair: pair[0])
    if isinstance(monthly, Sequence) and not isinstance(monthly, (str, bytes)):
        return [(str(item.get("month", "")), item) for item in monthly if isinstance(item, Mapping)]
    return []


def monthly_series(summary: Mapping[str, Any], key: str) -> tuple[list[str], list[float | None]]:
    """Month keys and the values of ``summary.monthly[*][key]``."""
    records = month_records(summary.get("monthly"))
    return [m for m, _ in records], [num(r.get(key)) for _, r in records]


def statement_months(summary: Mapping[str, Any], statement: str) -> list[Mapping[str, Any]]:
    """``statements.<statement>.monthly`` records in order, else ``summary.monthly`` records."""
    statements = summary.get("statements")
    if isinstance(statements, Mapping):
        block = statements.get(statement)
        if isinstance(block, Mapping):
            records = month_records(block.get("monthly"))
            if records:
                return [r for _, r in records]
    return [r for _, r in month_records(summary.get("monthly"))]


def first_year_months(summary: Mapping[str, Any]) -> list[str]:
    """Keys of the first ``min(12, H)`` forecast months."""
    return [m for m, _ in month_records(summary.get("monthly"))][:FIRST_YEAR_MONTHS]


def first_year_sums(
    summary: Mapping[str, Any], statement: str, keys: Sequence[str]
) -> dict[str, float | None]:
    """Σ of each key over the first ``min(12, H)`` months of a statement (None if absent)."""
    records = statement_months(summary, statement)[:FIRST_YEAR_MONTHS]
    sums: dict[str, float | None] = {}
    for key in keys:
        values = [num(r.get(key)) for r in records]
        present = [v for v in values if v is not None]
        sums[key] = sum(present) if present and len(present) == len(values) else None
    return sums


def first_year_income_statement(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """First-year income statement lines, with ``grossMargin`` recomputed as a fraction."""
    sums = first_year_sums(summary, "incomeStatement", [k for _, k in INCOME_STATEMENT_LINES])
    revenue, gross = sums.get("revenue"), sums.get("grossProfit")
    if revenue is None or gross is None:
        sums["grossMargin"] = None
    else:
        sums["grossMargin"] = gross / revenue if revenue > 0 else 0.0
    return sums


def first_year_cash_flow(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """First-year Σ OCF / ICF / FCF / net cash flow, and ending cash of the last such month."""
    sums = first_year_sums(summary, "cashFlow", [k for _, k in CASH_FLOW_LINES])
    records = statement_months(summary, "cashFlow")[:FIRST_YEAR_MONTHS]
    last = records[-1] if records else {}
    ending = num(last.get("endingCash"))
    if ending is None:
        ending = num(last.get("cashBalance"))
    sums["endingCash"] = ending
    return sums


def fan_series(monte_carlo: Mapping[str, Any] | None) -> FanSeries | None:
    """P5 / P50 / P95 ending cash by month from ``percentiles_json``, or None if unusable."""
    if not isinstance(monte_carlo, Mapping):
        return None
    table = monte_carlo.get("percentiles_table")
    series = monte_carlo.get("series")
    months: list[str] = []
    if isinstance(table, Mapping) and isinstance(table.get("months"), list):
        months = [str(m) for m in table["months"]]
        source: Mapping[str, Any] = table
    elif isinstance(series, Mapping):
        monthly = monte_carlo.get("monthly")
        months = sorted(str(m) for m in monthly) if isinstance(monthly, Mapping) else []
        source = series
    else:
        return None
    columns = {}
    for name in ("p5", "p50", "p95"):
        values = source.get(name)
        if not isinstance(values, list):
            values = series.get(name) if isinstance(series, Mapping) else None
        if not isinstance(values, list):
            return None
        floats = [num(v) for v in values]
        if any(v is None for v in floats):
            return None
        columns[name] = [float(v) for v in floats if v is not None]
    size = len(columns["p50"])
    if size == 0 or any(len(c) != size for c in columns.values()):
        return None
    if len(months) != size:
        months = [str(i + 1) for i in range(size)]
    return FanSeries(months=months, p5=columns["p5"], p50=columns["p50"], p95=columns["p95"])


def survival_probability(monte_carlo: Mapping[str, Any] | None) -> float | None:
    """``survival_probability.overall.probabilitySurvivingFullPeriod`` (a fraction), or None."""
    if not isinstance(monte_carlo, Mapping):
        return None
    survival = monte_carlo.get("survival_probability")
    if not isinstance(survival, Mapping):
        return None
    overall = survival.get("overall")
    if not isinstance(overall, Mapping):
        return None
    return num(overall.get("probabilitySurvivingFullPeriod"))


def warnings_of(summary: Mapping[str, Any]) -> list[str]:
    """``summary_json.warnings`` as strings."""
    warnings = summary.get("warnings")
    if not isinstance(warnings, list):
        return []
    return [str(w) for w in warnings if w is not None and str(w).strip()]


def lowest_cash(summary: Mapping[str, Any]) -> tuple[str, float] | None:
    """The forecast month with the lowest ending cash (the first of equals), and that cash."""
    lowest: tuple[str, float] | None = None
    for month, record in month_records(summary.get("monthly")):
        cash = num(record.get("cashBalance"))
        if cash is None:
            cash = num(record.get("endingCash"))
        if cash is not None and (lowest is None or cash < lowest[1]):
            lowest = (month, cash)
    return lowest


def first_cash_out(summary: Mapping[str, Any]) -> tuple[str, float] | None:
    """The first month whose ending cash is ≤ 0, with that cash, or None."""
    for month, record in month_records(summary.get("monthly")):
        cash = num(record.get("cashBalance"))
        if cash is None:
            cash = num(record.get("endingCash"))
        if cash is not None and cash <= 0:
            return month, cash
    return None
