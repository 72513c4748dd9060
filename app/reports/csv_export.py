"""The ``export_csv`` file (contract §5.3.3): exact bytes, RFC 4180, CRLF, no BOM.

Issue 9 adds to the contract's format: a ``currency`` row first (the org currency the money
columns are in), and the engine's 999 runway sentinel written as ``No burn``, never as a
number.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from app.reports.data import month_records
from app.reports.money import NO_BURN, is_no_burn

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
RUNWAY_KEYS = frozenset({"runwayMonths", "runwayFromStartMonths"})
CURRENCY_KEY = "currency"


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


def _value(record: Mapping[str, Any], key: str) -> str:
    """The cell of ``record[key]``; a runway that is the no-burn sentinel reads ``No burn``."""
    value = record.get(key)
    if key in RUNWAY_KEYS and is_no_burn(value, record.get("burnRate")):
        return NO_BURN
    return cell(value)


def render_csv(summary: Mapping[str, Any], currency: str | None = None) -> bytes:
    """The CSV export of a ``summary_json``: the metric section, an empty line, the months.

    Args:
        summary: ``model_runs.summary_json``.
        currency: the org currency; when given, the first metric row states it.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["Metric", "Value"])
    if currency is not None:
        writer.writerow([CURRENCY_KEY, cell(currency.strip().upper())])
    for key in METRIC_KEYS:
        writer.writerow([key, _value(summary, key)])
    out.write("\r\n")
    writer.writerow(["Month", *MONTH_KEYS])
    for month, record in month_records(summary.get("monthly")):
        writer.writerow([cell(month), *(_value(record, key) for key in MONTH_KEYS)])
    return out.getvalue().encode("utf-8")
