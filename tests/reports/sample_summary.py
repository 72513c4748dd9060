"""A realistic ``summary_json`` (contract §5.1.6) and Monte Carlo ``percentiles_json`` (§5.2.5).

Built by a small deterministic roll-up that follows the contract's formulas closely enough for
the numbers to be consistent (cash continuity, first-year sums, top-level keys). Shared by the
report tests and ``bench/documents.py``.
"""

from __future__ import annotations

import datetime
from typing import Any

from app.reports.data import ReportData

SAMPLE_ORG_NAME = "Acme Analytics & Co"
SAMPLE_RUN_ID = "3f2a9c1e-7b44-4d0e-9a51-0c6e2b7d8f10"


def month_key(start: str, offset: int) -> str:
    """``start`` (``YYYY-MM``) plus ``offset`` months."""
    year, month = (int(p) for p in start.split("-"))
    index = year * 12 + (month - 1) + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def build_summary(
    *,
    months: int = 36,
    start: str = "2025-01",
    initial_cash: float = 2_400_000.0,
    base_revenue: float = 120_000.0,
    revenue_growth: float = 0.045,
    base_opex: float = 160_000.0,
    expense_growth: float = 0.015,
    cogs_pct: float = 0.22,
    tax_rate: float = 0.25,
    depreciation_rate: float = 0.02,
    capex_pct: float = 0.03,
    ppe: float = 300_000.0,
    debt: float = 500_000.0,
    interest_rate: float = 0.08,
    repayment_rate: float = 0.01,
    customer_count: int | None = 480,
    churn_rate: float | None = 0.02,
    cac: float | None = 1_800.0,
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    """A full ``summary_json`` for a ``months``-month run."""
    monthly: dict[str, dict[str, Any]] = {}
    income: dict[str, dict[str, Any]] = {}
    cash_flow: dict[str, dict[str, Any]] = {}
    balance: dict[str, dict[str, Any]] = {}
    cash, gross_ppe, acc_dep, debt_bal, nol, retained = initial_cash, ppe, 0.0, debt, 0.0, 0.0
    common_stock = initial_cash + ppe - debt
    for i in range(months):
        key = month_key(start, i)
        revenue = base_revenue * (1 + revenue_growth) ** i
        cogs = revenue * cogs_pct
        opex = base_opex * (1 + expense_growth) ** i
        gross = revenue - cogs
        ebitda = gross - opex
        dep = (gross_ppe - acc_dep) * depreciation_rate
        ebit = ebitda - dep
        interest = debt_bal * interest_rate / 12
        ebt = ebit - interest
        if ebt <= 0:
            nol += -ebt
            tax = 0.0
        else:
            used = min(nol, ebt)
            nol -= used
            tax = (ebt - used) * tax_rate
        net = ebt - tax
        ocf = net + dep
        capex = -revenue * capex_pct
        repay = -min(debt_bal, debt_bal * repayment_rate)
        ncf = ocf + capex + repay
        cash += ncf
        gross_ppe += -capex
        acc_dep += dep
        debt_bal += repay
        retained += net
        burn = max(0.0, -ncf)
        runway = 0.0 if cash <= 0 else (cash / burn if burn > 0 else 999.0)
        record = {
            "revenue": revenue,
            "cogs": cogs,
            "grossProfit": gross,
            "grossMargin": gross / revenue,
            "opex": opex,
            "operatingExpenses": opex,
            "expenses": cogs + opex,
            "ebitda": ebitda,
            "depreciation": dep,
            "ebit": ebit,
            "interestExpense": interest,
            "ebt": ebt,
            "incomeTax": tax,
            "netIncome": net,
            "headcount": 24 + i // 3,
            "headcountCost": 0.0,
            "workingCapitalChange": 0.0,
            "operatingCashFlow": ocf,
            "capex": capex,
            "investingCashFlow": capex,
            "financingCashFlow": repay,
            "netCashFlow": ncf,
            "endingCash": cash,
            "cash": cash,
            "cashBalance": cash,
            "burnRate": burn,
            "runwayMonths": runway,
            "source": "forecast",
        }
        monthly[key] = record
        income[key] = {
            k: record[k]
            for k in (
                "revenue cogs grossProfit grossMargin operatingExpenses depreciation ebitda ebit "
                "interestExpense ebt incomeTax netIncome"
            ).split()
        }
        cash_flow[key] = {
            "netIncome": net,
            "depreciation": dep,
            "arChange": 0.0,
            "apChange": 0.0,
            "inventoryChange": 0.0,
            "workingCapitalChange": 0.0,
            "operatingCashFlow": ocf,
            "capex": capex,
            "investingCashFlow": capex,
            "debtRepayment": repay,
            "newDebt": 0.0,
            "equityFinancing": 0.0,
            "financingCashFlow": repay,
            "netCashFlow": ncf,
            "endingCash": cash,
        }
        fixed = gross_ppe - acc_dep
        balance[key] = {
            "cash": cash,
            "accountsReceivable": 0.0,
            "inventory": 0.0,
            "currentAssets": cash,
            "ppe": gross_ppe,
            "accumulatedDepreciation": acc_dep,
            "fixedAssets": fixed,
            "totalAssets": cash + fixed,
            "accountsPayable": 0.0,
            "currentLiabilities": 0.0,
            "longTermDebt": debt_bal,
            "totalLiabilities": debt_bal,
            "commonStock": common_stock,
            "retainedEarnings": retained,
            "totalEquity": common_stock + retained,
            "balanceCheck": 0.0,
        }

    keys = list(monthly)
    first = [monthly[k] for k in keys[:12]]
    last = monthly[keys[-1]]
    revenue_y1 = sum(r["revenue"] for r in first)
    expenses_y1 = sum(r["expenses"] for r in first)
    ebitda_y1 = sum(r["ebitda"] for r in first)
    gross_margin = sum(r["grossProfit"] for r in first) / revenue_y1
    ebitda_margin = ebitda_y1 / revenue_y1 if revenue_y1 > 0 else 0.0
    mrr = last["revenue"]
    ltv = ltv_cac = payback = None
    if customer_count and churn_rate and cac:
        arpu_gm = mrr / customer_count * gross_margin
        ltv = min(arpu_gm / churn_rate, 60 * arpu_gm)
        ltv_cac = ltv / cac
        payback = cac / arpu_gm
    grr = (1 - churn_rate) * 100 if churn_rate is not None else None
    rule_of_40 = ((1 + revenue_growth) ** 12 - 1) * 100 + ebitda_margin * 100
    burn_y1 = sum(r["burnRate"] for r in first)
    new_arr = (monthly[keys[min(11, months - 1)]]["revenue"] - monthly[keys[0]]["revenue"]) * 12
    burn_multiple = 0.0 if burn_y1 == 0 else (burn_y1 / new_arr if new_arr > 0 else None)

    cash_out = next((k for k in keys if monthly[k]["endingCash"] <= 0), None)
    if cash_out is None:
        runway_from_start = (
            999.0 if last["burnRate"] == 0 else months + last["endingCash"] / last["burnRate"]
        )
    else:
        i = keys.index(cash_out)
        prev = initial_cash if i == 0 else monthly[keys[i - 1]]["endingCash"]
        cur = monthly[cash_out]["endingCash"]
        runway_from_start = i + prev / (prev - cur)

    def annual(block: dict[str, dict[str, Any]], how: str) -> dict[str, dict[str, Any]]:
        years: dict[str, list[dict[str, Any]]] = {}
        for k, rec in block.items():
            years.setdefault(k[:4], []).append(rec)
        out: dict[str, dict[str, Any]] = {}
        for year, recs in years.items():
            if how == "copy":
                out[year] = dict(recs[-1])
                continue
            sums = {f: sum(r[f] for r in recs) for f in recs[0]}
            if how == "income":
                sums["grossMargin"] = sums["grossProfit"] / sums["revenue"]
            else:
                sums["endingCash"] = recs[-1]["endingCash"]
            out[year] = sums
        return out

    kpis = {
        "ltv": ltv,
        "cac": cac,
        "ltvCacRatio": ltv_cac,
        "ltvCac": ltv_cac,
        "paybackPeriod": payback,
        "nrr": None,
        "grr": grr,
        "ruleOf40": rule_of_40,
        "burnMultiple": burn_multiple,
        "magicNumber": None,
        "opex": sum(r["opex"] for r in first),
        "headcount": last["headcount"],
        "activeCustomers": customer_count,
        "churnRate": churn_rate,
    }
    generated_at = "2025-01-15T09:30:00.000Z"
    return {
        "revenue": revenue_y1,
        "totalRevenue": revenue_y1,
        "expenses": expenses_y1,
        "totalExpenses": expenses_y1,
        "opex": kpis["opex"],
        "netIncome": sum(r["netIncome"] for r in first),
        "ebitda": ebitda_y1,
        "ebitdaMargin": ebitda_margin,
        "grossMargin": gross_margin,
        "cashBalance": last["endingCash"],
        "burnRate": last["burnRate"],
        "monthlyBurn": last["burnRate"],
        "runwayMonths": last["runwayMonths"],
        "runway": last["runwayMonths"],
        "runwayFromStartMonths": runway_from_start,
        "cashOutMonth": cash_out,
        "mrr": mrr,
        "monthlyRevenue": mrr,
        "arr": 12 * mrr,
        "headcount": last["headcount"],
        "initialCash": initial_cash,
        "revenueGrowth": revenue_growth,
        "expenseGrowth": expense_growth,
        "churnRate": churn_rate,
        "activeCustomers": customer_count,
        "customerCount": customer_count,
        "cac": cac,
        "ltv": ltv,
        "ltvCacRatio": ltv_cac,
        "paybackPeriod": payback,
        "grr": grr,
        "nrr": None,
        "ruleOf40": rule_of_40,
        "burnMultiple": burn_multiple,
        "magicNumber": None,
        "kpis": kpis,
        "monthly": monthly,
        "statements": {
            "incomeStatement": {"monthly": income, "annual": annual(income, "income")},
            "cashFlow": {"monthly": cash_flow, "annual": annual(cash_flow, "cash")},
            "balanceSheet": {"monthly": balance, "annual": annual(balance, "copy")},
        },
        "validation": {"passed": True, "checks": []},
        "assumptions": {"initialCash": initial_cash},
        "assumptionsUsed": {"initialCash": {"value": initial_cash, "source": "assumption"}},
        "warnings": list(warnings or []),
        "startMonth": start,
        "forecastMonths": months,
        "modelType": "3-statement",
        "modelVersion": 1,
        "runType": "baseline",
        "generatedAt": generated_at,
        "metadata": {
            "dataIngestedAt": generated_at,
            "source": "finapilot-worker",
            "engineVersion": "1.0.0",
            "transactionMonthsUsed": 12,
        },
        "valuation": None,
        "lbo": None,
        "accretionDilution": None,
        "valuationSummary": None,
        "sensitivities": None,
        "currentPrice": None,
        "marketImplications": [],
        "varianceBridge": [],
    }


def build_monte_carlo(summary: dict[str, Any], survival: float = 0.87) -> dict[str, Any]:
    """A ``percentiles_json`` whose fan widens around the summary's cash path."""
    months = [k for k in summary["monthly"]]
    base = [summary["monthly"][k]["cashBalance"] for k in months]
    spreads = {
        "p5": -1.64,
        "p10": -1.28,
        "p25": -0.67,
        "p50": 0.0,
        "p75": 0.67,
        "p90": 1.28,
        "p95": 1.64,
    }
    series = {
        name: [round(b + z * 45_000 * (i + 1) ** 0.5, 2) for i, b in enumerate(base)]
        for name, z in spreads.items()
    }
    n = 2000
    survived = round(n * survival)
    return {
        "meta": {"numSimulations": n, "months": len(months), "startMonth": months[0]},
        "monthly": {m: {name: series[name][i] for name in series} for i, m in enumerate(months)},
        "series": series,
        "percentiles_table": {"months": months, **series},
        "survival_probability": {
            "overall": {
                "probabilitySurvivingFullPeriod": survival,
                "percentageSurvivingFullPeriod": survival * 100,
                "totalSimulations": n,
                "simulationsSurvived": survived,
                "simulationsFailed": n - survived,
            }
        },
    }


def sample_ledger(end: str = "2024-12") -> list[dict[str, Any]]:
    """12 months of ledger revenue and expenses, oldest first."""
    return [
        {
            "month": month_key(end, i - 11),
            "revenue": round(82_000 * 1.035**i, 2),
            "expenses": round(131_000 * 1.01**i + (4_500 if i % 4 == 0 else 0), 2),
        }
        for i in range(12)
    ]


def make_report_data(**overrides: Any) -> ReportData:
    """A :class:`ReportData` for a 36-month run with ledger, budgets and Monte Carlo."""
    summary = overrides.pop("summary") if "summary" in overrides else build_summary()
    values: dict[str, Any] = {
        "org_name": SAMPLE_ORG_NAME,
        "currency": "USD",
        "model_run_id": SAMPLE_RUN_ID,
        "run_type": "baseline",
        "summary": summary,
        "generated_on": datetime.date(2025, 1, 15),
        "ledger_monthly": sample_ledger(),
        "top_expense_categories": [
            {"category": "Payroll", "amount": 301_250.0, "count": 36},
            {"category": "AWS hosting", "amount": 48_310.55, "count": 3},
            {"category": "Marketing", "amount": 39_900.0, "count": 17},
            {"category": "Rent", "amount": 27_000.0, "count": 3},
            {"category": "Software", "amount": 8_412.4, "count": 41},
        ],
        "budget_rows": [
            {"month": month_key("2024-07", i), "budget": 135_000.0, "actual": a}
            for i, a in enumerate(
                [128_500.0, 141_220.5, 133_010.0, 139_875.25, 131_400.0, 146_002.0]
            )
        ],
        "budget_categories": [
            {"category": "Payroll", "budget": 600_000.0, "actual": 612_400.0},
            {"category": "Marketing", "budget": 90_000.0, "actual": 71_250.0},
            {"category": "Rent", "budget": 54_000.0, "actual": 54_000.0},
        ],
        "monte_carlo": None,
    }
    if "monte_carlo" not in overrides:
        values["monte_carlo"] = build_monte_carlo(summary)
    values.update(overrides)
    return ReportData(**values)
