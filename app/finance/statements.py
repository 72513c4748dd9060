"""The per-month lines of a model run and the statements built from them (contract §5.1.6).

:func:`month_lines` is the one table of lines: the engine's, plus the aliases and zero lines
the result shows. The monthly records and the three statements (income, cash flow, balance
sheet; monthly and annual) each pick from it in their own contract order.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from app.finance.inputs import Resolved
from app.finance.output import RATE_DECIMALS, rounded, rounded_or_none

MONTHLY_LINES = (
    "revenue",
    "cogs",
    "grossProfit",
    "grossMargin",
    "opex",
    "operatingExpenses",
    "expenses",
    "ebitda",
    "depreciation",
    "ebit",
    "interestExpense",
    "ebt",
    "incomeTax",
    "netIncome",
    "headcount",
    "headcountCost",
    "workingCapitalChange",
    "operatingCashFlow",
    "capex",
    "investingCashFlow",
    "financingCashFlow",
    "netCashFlow",
    "endingCash",
    "cash",
    "cashBalance",
    "burnRate",
    "runwayMonths",
)
INCOME_STATEMENT_LINES = (
    "revenue",
    "cogs",
    "grossProfit",
    "grossMargin",
    "operatingExpenses",
    "depreciation",
    "ebitda",
    "ebit",
    "interestExpense",
    "ebt",
    "incomeTax",
    "netIncome",
)
CASH_FLOW_LINES = (
    "netIncome",
    "depreciation",
    "arChange",
    "apChange",
    "inventoryChange",
    "workingCapitalChange",
    "operatingCashFlow",
    "capex",
    "investingCashFlow",
    "debtRepayment",
    "newDebt",
    "equityFinancing",
    "financingCashFlow",
    "netCashFlow",
    "endingCash",
)
# Resolved rates echoed in the statements' metadata.assumptions (6 dp).
METADATA_RATE_INPUTS = (
    "revenueGrowth",
    "expenseGrowth",
    "baseChurnRate",
    "churnRate",
    "cogsPercentage",
    "taxRate",
    "arDays",
    "apDays",
    "capexPercentage",
    "depreciationRate",
    "interestRate",
    "debtRepaymentRate",
)


def month_lines(res: Resolved, lines: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every per-month line of §5.1.6 from one path's engine lines, unrounded, shape (H,)."""
    zeros = np.zeros(res.horizon)
    out = dict(lines)
    out.update(
        operatingExpenses=lines["opex"],
        expenses=lines["cogs"] + lines["opex"],
        investingCashFlow=lines["capex"],
        financingCashFlow=lines["debtRepayment"],
        cash=lines["endingCash"],
        cashBalance=lines["endingCash"],
        headcount=res.headcount,
        headcountCost=res.headcount_cost + res.hiring_cost,
        inventoryChange=zeros,
        newDebt=zeros,
        equityFinancing=zeros,
        currentAssets=lines["endingCash"] + lines["accountsReceivable"],
        fixedAssets=lines["grossPPE"] - lines["accumulatedDepreciation"],
    )
    return out


def margin(numerator: float, revenue: float) -> float:
    """``numerator / revenue``, 0 without positive revenue."""
    return numerator / revenue if revenue > 0 else 0.0


def monthly_records(res: Resolved, v: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """``summary_json.monthly``: month -> the rounded monthly lines and the month's source."""
    monthly: dict[str, Any] = {}
    for i, key in enumerate(res.months):
        record: dict[str, Any] = {name: rounded(v[name][i]) for name in MONTHLY_LINES}
        record["source"] = res.sources[i]
        monthly[key] = record
    return monthly


def statements(res: Resolved, v: Mapping[str, np.ndarray], generated_at: str) -> dict[str, Any]:
    """``summary_json.statements``: the three statements by month and by calendar year."""
    months = res.months
    income_m: dict[str, Any] = {}
    cash_m: dict[str, Any] = {}
    balance_m: dict[str, Any] = {}
    for i, key in enumerate(months):
        income_m[key] = {name: rounded(v[name][i]) for name in INCOME_STATEMENT_LINES}
        cash_m[key] = {name: rounded(v[name][i]) for name in CASH_FLOW_LINES}
        balance_m[key] = _balance_sheet(v, i)

    income_a: dict[str, Any] = {}
    cash_a: dict[str, Any] = {}
    balance_a: dict[str, Any] = {}
    years = sorted({key[:4] for key in months})
    for year in years:
        idx = [i for i, key in enumerate(months) if key[:4] == year]
        last = months[idx[-1]]
        sums = {
            name: float(np.sum(v[name][idx]))
            for name in INCOME_STATEMENT_LINES
            if name != "grossMargin"
        }
        sums["grossMargin"] = margin(sums["grossProfit"], sums["revenue"])
        income_a[year] = {name: rounded(sums[name]) for name in INCOME_STATEMENT_LINES}
        flows = {name: rounded(float(np.sum(v[name][idx]))) for name in CASH_FLOW_LINES}
        flows["endingCash"] = cash_m[last]["endingCash"]
        cash_a[year] = flows
        balance_a[year] = copy.deepcopy(balance_m[last])

    rate_inputs = {
        name: rounded_or_none(res.assumptions_used[name]["value"], RATE_DECIMALS)
        for name in METADATA_RATE_INPUTS
    }
    return {
        "incomeStatement": {"monthly": income_m, "annual": income_a},
        "cashFlow": {"monthly": cash_m, "annual": cash_a},
        "balanceSheet": {"monthly": balance_m, "annual": balance_a},
        "validation": {"passed": True, "checks": []},
        "metadata": {
            "startMonth": res.start_month,
            "horizonMonths": res.horizon,
            "generatedAt": generated_at,
            "assumptions": rate_inputs,
        },
    }


def _balance_sheet(v: Mapping[str, np.ndarray], i: int) -> dict[str, Any]:
    """Month ``i`` of the balance sheet, flat and grouped, rounded."""

    def line(name: str) -> float:
        return rounded(float(v[name][i]))

    cash, ar, ppe = line("endingCash"), line("accountsReceivable"), line("grossPPE")
    fixed, assets = line("fixedAssets"), line("totalAssets")
    ap, debt, liabilities = line("accountsPayable"), line("debt"), line("totalLiabilities")
    stock, retained, equity = line("commonStock"), line("retainedEarnings"), line("totalEquity")
    return {
        "cash": cash,
        "accountsReceivable": ar,
        "inventory": 0.0,
        "currentAssets": line("currentAssets"),
        "ppe": ppe,
        "accumulatedDepreciation": line("accumulatedDepreciation"),
        "fixedAssets": fixed,
        "totalAssets": assets,
        "accountsPayable": ap,
        "currentLiabilities": ap,
        "longTermDebt": debt,
        "totalLiabilities": liabilities,
        "commonStock": stock,
        "retainedEarnings": retained,
        "totalEquity": equity,
        "balanceCheck": line("balanceCheck"),
        "assets": {"cash": cash, "ar": ar, "ppe": ppe, "fixedAssets": fixed, "totalAssets": assets},
        "liabilities": {"ap": ap, "debt": debt, "totalLiabilities": liabilities},
        "equity": {"commonStock": stock, "retainedEarnings": retained, "totalEquity": equity},
    }
