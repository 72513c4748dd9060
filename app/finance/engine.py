"""The one forecast + three-statement engine, vectorised over paths (contract §5.1.4–5.1.5).

A model run is one path; Monte Carlo sends N paths through the same function. Arrays are
``(paths, H)`` at the interface; inside the roll-up they are ``(H, paths)`` so that each month
is a contiguous vector. The only Python loop is over the ≤ 36 months; tax and NOL are per path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from app.errors import ComputeError
from app.finance.inputs import Resolved

ENGINE_VERSION = "finapilot-finance-1.0.0"

BALANCE_TOLERANCE = 0.01
RUNWAY_NO_BURN_MONTHS = 999.0
DAYS_PER_MONTH = 30.0

# Engine inputs a Monte Carlo driver may replace per path and month (§5.2.4).
OPERATING_INPUTS = (
    "revenueGrowth",
    "churnRate",
    "cogsPercentage",
    "opexPercentage",
    "opexVariance",
    "expenseGrowth",
)
ROLLUP_INPUTS = ("arDays", "apDays", "taxRate", "capexPercentage")
ENGINE_INPUTS = OPERATING_INPUTS + ROLLUP_INPUTS

Draws = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class EngineResult:
    """Ending cash per path and month, plus every statement line when asked for.

    Attributes:
        cash: ``(paths, H)`` ending cash.
        lines: line name -> ``(paths, H)``; empty unless ``full=True``.
    """

    cash: np.ndarray
    lines: dict[str, np.ndarray]


def _rows(draws: Draws | None, name: str) -> np.ndarray | None:
    """An owned ``(H, paths)`` copy of one input's draws, or None when it is not drawn."""
    x = None if draws is None else draws.get(name)
    return None if x is None else np.array(np.asarray(x, dtype=float).T, order="C")


def _per_month(rows: np.ndarray | None, base: float, fixed: np.ndarray) -> np.ndarray | float:
    """Draws in forecast months and the base value in the others, or the scalar base."""
    if rows is None:
        return base
    rows[fixed] = base
    return rows


def _product(step: np.ndarray | float, horizon: int) -> np.ndarray:
    """``∏_{j=1..i} step_j`` down the months (month 0 is the empty product 1)."""
    steps = np.full((horizon, 1), step) if isinstance(step, float) else step
    steps[0] = 1.0
    return np.cumprod(steps, axis=0, out=steps)


def _computed(res: Resolved, draws: Draws | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rule-4 revenue, cogs and opex, ``(H, 1)`` without draws else ``(H, paths)``."""
    horizon = res.horizon
    fixed = ~res.forecast_mask
    growth = _per_month(_rows(draws, "revenueGrowth"), res.revenue_growth, fixed)
    churn = _per_month(_rows(draws, "churnRate"), res.churn_math, fixed)
    factor = (1.0 + growth) * (1.0 - churn) / (1.0 - res.churn_base_math)
    revenue = res.opening_revenue * _product(factor, horizon)
    cogs_rate = _per_month(_rows(draws, "cogsPercentage"), res.cogs_percentage, fixed)
    cogs = revenue * cogs_rate
    opex_rate = _rows(draws, "opexPercentage")
    if opex_rate is not None:
        base_opex = revenue * _per_month(opex_rate, 0.0, fixed)
    else:
        expense_growth = _per_month(_rows(draws, "expenseGrowth"), res.expense_growth, fixed)
        base_opex = res.opex_base * _product(1.0 + expense_growth, horizon)
    variance = _rows(draws, "opexVariance")
    if variance is not None:
        base_opex = base_opex * (1.0 + _per_month(variance, 0.0, fixed))
    opex = base_opex + (res.headcount_cost + res.hiring_cost)[:, None]
    return revenue, cogs, opex


def operating_rows(
    res: Resolved, draws: Draws | None, paths: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Revenue, cogs and opex, each ``(H, paths)``.

    Manual, actual and driver months take their given values; their missing lines are computed
    without draws (those months are not perturbed).
    """
    fixed = ~res.forecast_mask
    deterministic = _computed(res, None)
    stochastic = _computed(res, draws) if draws else deterministic
    out = []
    for det, sto, given, mask in zip(
        deterministic,
        stochastic,
        (res.given_revenue, res.given_cogs, res.given_opex),
        (res.given_mask_revenue, res.given_mask_cogs, res.given_mask_opex),
        strict=True,
    ):
        line = np.empty((res.horizon, paths))
        line[...] = sto
        line[fixed] = np.where(mask, given, det[:, 0])[fixed][:, None]
        out.append(line)
    return out[0], out[1], out[2]


def run_engine(
    res: Resolved, draws: Draws | None = None, *, paths: int = 1, full: bool = False
) -> EngineResult:
    """Forecast and roll up ``paths`` paths; check the invariants I1–I6.

    Args:
        res: resolved inputs.
        draws: engine input name -> ``(paths, H)`` per-month values (see ``ENGINE_INPUTS``).
        paths: number of paths (rows of every draw array).
        full: keep every statement line (a model run) instead of the cash only.

    Raises:
        ComputeError: a non-finite value or a broken invariant.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # Overflow/NaN is not silenced: the finiteness checks below turn it into ComputeError.
        return _run(res, draws, paths, full)


def _debt_schedule(res: Resolved) -> tuple[list[float], list[float], list[float]]:
    """Interest, repayment (negative) and closing debt per month: the same on every path."""
    interest, repayment, closing = [], [], []
    debt = res.debt
    for _ in range(res.horizon):
        interest.append(debt * (res.interest_rate / 12.0))
        repaid = -min(debt, debt * res.debt_repayment_rate)
        repayment.append(repaid)
        debt = debt + repaid
        closing.append(debt)
    return interest, repayment, closing


def _run(res: Resolved, draws: Draws | None, paths: int, full: bool) -> EngineResult:
    horizon = res.horizon
    for name, x in (draws or {}).items():
        if name not in ENGINE_INPUTS:
            raise ValueError(f"unknown engine input {name}")
        if np.shape(x) != (paths, horizon):
            raise ValueError(f"draws for {name} must have shape (paths, H)")
    revenue, cogs, opex = operating_rows(res, draws, paths)
    tax_rows = _rows(draws, "taxRate")
    ar_rows = _rows(draws, "arDays")
    ap_rows = _rows(draws, "apDays")
    capex_rows = _rows(draws, "capexPercentage")
    interest, repayment, closing_debt = _debt_schedule(res)

    ar_open = res.opening_revenue * res.ar_days / DAYS_PER_MONTH
    ap_open = res.opening_expenses * res.ap_days / DAYS_PER_MONTH
    common_stock = res.initial_cash + ar_open + res.ppe - ap_open - res.debt

    cash_prev = np.full(paths, res.initial_cash)
    ar_prev = np.full(paths, ar_open)
    ap_prev = np.full(paths, ap_open)
    gross_ppe = np.full(paths, res.ppe)
    acc_dep = np.zeros(paths)
    nol = np.full(paths, res.nol_balance)
    retained = np.zeros(paths)

    cash = np.empty((horizon, paths))
    net_cash = np.empty((horizon, paths))
    gap = np.empty((horizon, paths))
    kept: dict[str, np.ndarray] = {}
    if full:
        kept = {name: np.empty((horizon, paths)) for name in _FULL_LINES}

    for i in range(horizon):
        rev, cg, ox = revenue[i], cogs[i], opex[i]
        gross_profit = rev - cg
        ebitda = gross_profit - ox
        depreciation = (gross_ppe - acc_dep) * res.depreciation_rate
        ebit = ebitda - depreciation
        ebt = ebit - interest[i]
        # Tax with a non-negative NOL: use min(NOL, ebt) of a profit, add a loss to the NOL.
        profit = np.maximum(ebt, 0.0)
        nol_used = np.minimum(profit, nol)
        tax_rate = res.tax_rate if tax_rows is None else tax_rows[i]
        tax = (profit - nol_used) * tax_rate
        nol = (nol - nol_used) - np.minimum(ebt, 0.0)
        net_income = ebt - tax
        ar_days = res.ar_days if ar_rows is None else ar_rows[i]
        ap_days = res.ap_days if ap_rows is None else ap_rows[i]
        ar = rev * ar_days / DAYS_PER_MONTH
        ap = (cg + ox) * ap_days / DAYS_PER_MONTH
        ar_change = ar_prev - ar
        ap_change = ap - ap_prev
        wc_change = ar_change + ap_change
        ocf = net_income + depreciation + wc_change
        capex_rate = res.capex_percentage if capex_rows is None else capex_rows[i]
        capex = -(rev * capex_rate)
        ncf = ocf + capex + repayment[i]
        ending = cash_prev + ncf

        gross_ppe = gross_ppe - capex
        acc_dep = acc_dep + depreciation
        retained = retained + net_income
        total_assets = ending + ar + (gross_ppe - acc_dep)
        total_liabilities = ap + closing_debt[i]
        total_equity = common_stock + retained
        gap[i] = total_assets - (total_liabilities + total_equity)
        cash[i] = ending
        net_cash[i] = ncf
        if full:
            row = {
                "revenue": rev,
                "cogs": cg,
                "opex": ox,
                "grossProfit": gross_profit,
                "ebitda": ebitda,
                "depreciation": depreciation,
                "ebit": ebit,
                "interestExpense": interest[i],
                "ebt": ebt,
                "incomeTax": tax,
                "netIncome": net_income,
                "accountsReceivable": ar,
                "accountsPayable": ap,
                "arChange": ar_change,
                "apChange": ap_change,
                "workingCapitalChange": wc_change,
                "operatingCashFlow": ocf,
                "capex": capex,
                "debtRepayment": repayment[i],
                "grossPPE": gross_ppe,
                "accumulatedDepreciation": acc_dep,
                "debt": closing_debt[i],
                "retainedEarnings": retained,
                "totalAssets": total_assets,
                "totalLiabilities": total_liabilities,
                "totalEquity": total_equity,
                "nolBalance": nol,
            }
            for name, value in row.items():
                kept[name][i] = value
        cash_prev, ar_prev, ap_prev = ending, ar, ap

    _check(res, cash, net_cash, gap)
    if not full:
        return EngineResult(cash=cash.T, lines={})
    kept["endingCash"] = cash
    kept["netCashFlow"] = net_cash
    kept["balanceCheck"] = gap
    kept["commonStock"] = np.full((horizon, paths), common_stock)
    _derived(kept)
    _check_full(res, kept)
    return EngineResult(cash=cash.T, lines={name: a.T for name, a in kept.items()})


_FULL_LINES = (
    "revenue",
    "cogs",
    "opex",
    "grossProfit",
    "ebitda",
    "depreciation",
    "ebit",
    "interestExpense",
    "ebt",
    "incomeTax",
    "netIncome",
    "accountsReceivable",
    "accountsPayable",
    "arChange",
    "apChange",
    "workingCapitalChange",
    "operatingCashFlow",
    "capex",
    "debtRepayment",
    "grossPPE",
    "accumulatedDepreciation",
    "debt",
    "retainedEarnings",
    "totalAssets",
    "totalLiabilities",
    "totalEquity",
    "nolBalance",
)


def _derived(kept: dict[str, np.ndarray]) -> None:
    """Lines that are pure functions of others: margin, burn, runway."""
    revenue = kept["revenue"]
    margin = np.zeros_like(revenue)
    np.divide(kept["grossProfit"], revenue, out=margin, where=revenue > 0)
    kept["grossMargin"] = margin
    burn = np.maximum(0.0, -kept["netCashFlow"])
    kept["burnRate"] = burn
    ending = kept["endingCash"]
    runway = np.full_like(ending, RUNWAY_NO_BURN_MONTHS)
    np.divide(ending, burn, out=runway, where=burn > 0)
    runway[ending <= 0] = 0.0
    kept["runwayMonths"] = runway


def _first_bad_month(res: Resolved, bad: np.ndarray) -> str:
    """The month key of the first month (row of an ``(H, paths)`` mask) with a true entry."""
    return res.months[int(np.argmax(bad.any(axis=1)))]


def _check(res: Resolved, cash: np.ndarray, net_cash: np.ndarray, gap: np.ndarray) -> None:
    """I6 (finite) on what the roll-up produced, I1 (cash continuity) and I4 (balance)."""
    for values in (cash, net_cash, gap):
        finite = np.isfinite(values)
        if not finite.all():
            month = _first_bad_month(res, ~finite)
            raise ComputeError(f"non-finite value in the forecast (first in {month})")
    previous = np.empty_like(cash)
    previous[0] = res.initial_cash
    previous[1:] = cash[:-1]
    continuity = np.abs(cash - (previous + net_cash)) >= BALANCE_TOLERANCE
    if continuity.any():
        month = _first_bad_month(res, continuity)
        raise ComputeError(f"cash continuity broken in {month}")
    unbalanced = np.abs(gap) >= BALANCE_TOLERANCE
    if unbalanced.any():
        month = _first_bad_month(res, unbalanced)
        raise ComputeError(f"balance sheet does not balance in {month}")


def _check_full(res: Resolved, kept: Mapping[str, np.ndarray]) -> None:
    """I6 on every line, I2 (net cash = OCF + ICF + FCF) and I5 (retained earnings roll)."""
    for name, values in kept.items():
        finite = np.isfinite(values)
        if not finite.all():
            month = _first_bad_month(res, ~finite)
            raise ComputeError(f"non-finite {name} in the forecast (first in {month})")
    flows = kept["operatingCashFlow"] + kept["capex"] + kept["debtRepayment"]
    broken = np.abs(kept["netCashFlow"] - flows) >= BALANCE_TOLERANCE
    if broken.any():
        raise ComputeError(
            f"net cash flow differs from its parts in {_first_bad_month(res, broken)}"
        )
    retained = kept["retainedEarnings"]
    previous = np.zeros_like(retained)
    previous[1:] = retained[:-1]
    broken = np.abs(retained - (previous + kept["netIncome"])) >= BALANCE_TOLERANCE
    if broken.any():
        raise ComputeError(f"retained earnings do not roll in {_first_bad_month(res, broken)}")
