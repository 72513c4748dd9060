"""The ``export_csv`` file (contract §5.3.3): exact bytes, RFC 4180, CRLF, no BOM."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.reports.data import month_records

METRIC_KEYS: tuple[str, ...] = (
    "revenue",
    "expenses",
    "netIncome",
    "grossMargin",
    "ebitda",
    "ebitdaMargin",
    "cashBalance",
    "burnRate",
    "runwayMonths",
    "runwayFromStartMonths",
    "cashOutMonth",
    "mrr",
    "arr",
    "opex",
    "headcount",
    "activeCustomers",
    "churnRate",
    "cac",
    "ltv",
    "ltvCacRatio",
    "paybackPeriod",
    "nrr",
    "grr",
    "ruleOf40",
    "burnMultiple",
    "magicNumber",
    "initialCash",
    "revenueGrowth",
    "expenseGrowth",
    "startMonth",
    "forecastMonths",
    "modelType",
    "generatedAt",
)
MONTH_KEYS: tuple[str, ...] = (
    "revenue",
    "cogs",
    "grossProfit",
    "opex",
    "expenses",
    "ebitda",
    "netIncome",
    "operatingCashFlow",
    "netCashFlow",
    "cashBalance",
    "burnRate",
    "runwayMonths",
    "headcount",
    "source",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One CSV cell: ``.2f`` numbers, integers as they are, null and nested values empty.

    Text that a spreadsheet would read as a formula gets a leading ``'``; numbers never do.
    """
    if value is None or isinstance(value, (Mapping, list, tuple)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, Decimal)):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        return format(value, ".2f")
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def render_csv(summary: Mapping[str, Any]) -> bytes:
    """The CSV export of a ``summary_json``: the metric section, an empty line, the months."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["Metric", "Value"])
    for key in METRIC_KEYS:
        writer.writerow([key, cell(summary.get(key))])
    out.write("\r\n")
    writer.writerow(["Month", *MONTH_KEYS])
    for month, record in month_records(summary.get("monthly")):
        writer.writerow([cell(month), *(cell(record.get(key)) for key in MONTH_KEYS)])
    return out.getvalue().encode("utf-8")
