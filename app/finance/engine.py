"""The one forecast + three-statement engine, vectorised over paths (contract §5.1.4–5.1.5).

A model run is one path; Monte Carlo sends N paths through the same function. Draws are
``(paths, H)`` at the interface and month-major ``(H, paths)`` inside, so that each month is a
contiguous vector. The only Python loop is over the ≤ 36 months: the operating forecast and the
roll-up advance together, with numpy over paths (tax and NOL per path).
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


Value = np.ndarray | float  # a per-path vector, or one number shared by every path


class _Operating:
    """Rule-4 revenue, cogs and opex (§5.1.4), advanced month by month.

    The growth and expense-growth products run over every month; a month's draws enter only if
    it is a forecast month (manual, actual and driver months are not perturbed). Values stay
    plain floats until a drawn input makes them per-path vectors.
    """

    def __init__(self, res: Resolved, rows: Mapping[str, np.ndarray]):
        self.res = res
        self.rows = rows
        self.growth_product: Value = 1.0
        self.expense_product: Value = 1.0
        self.people = res.headcount_cost + res.hiring_cost

    def _input(self, name: str, base: float, i: int, drawn: bool) -> Value:
        row = self.rows.get(name) if drawn else None
        return base if row is None else row[i]

    def advance(self, i: int, drawn: bool) -> None:
        """Multiply in month i's growth factor f_i and expense step (1 + eg_i), for i ≥ 1."""
        if i == 0:
            return
        res = self.res
        growth = self._input("revenueGrowth", res.revenue_growth, i, drawn)
        churn = self._input("churnRate", res.churn_math, i, drawn)
        factor = (1.0 + growth) * (1.0 - churn) / (1.0 - res.churn_base_math)
        self.growth_product = self.growth_product * factor
        step = 1.0 + self._input("expenseGrowth", res.expense_growth, i, drawn)
        self.expense_product = self.expense_product * step

    def lines(self, i: int, drawn: bool) -> tuple[Value, Value, Value]:
        """Revenue, cogs and opex of month i from the current products."""
        res = self.res
        revenue = res.opening_revenue * self.growth_product
        cogs = revenue * self._input("cogsPercentage", res.cogs_percentage, i, drawn)
        opex_rate = self.rows.get("opexPercentage") if drawn else None
        if opex_rate is not None:
            base_opex = revenue * opex_rate[i]
        else:
            base_opex = res.opex_base * self.expense_product
        variance = self.rows.get("opexVariance") if drawn else None
        if variance is not None:
            base_opex = base_opex * (1.0 + variance[i])
        return revenue, cogs, base_opex + float(self.people[i])


def _fixed_lines(res: Resolved) -> list[tuple[float, float, float]]:
    """Revenue, cogs and opex of each non-forecast month: given, else computed without draws."""
    deterministic = _Operating(res, {})
    out = []
    for i in range(res.horizon):
        deterministic.advance(i, drawn=False)
        revenue, cogs, opex = (float(v) for v in deterministic.lines(i, drawn=False))
        out.append(
            (
                float(res.given_revenue[i]) if res.given_mask_revenue[i] else revenue,
                float(res.given_cogs[i]) if res.given_mask_cogs[i] else cogs,
                float(res.given_opex[i]) if res.given_mask_opex[i] else opex,
            )
        )
    return out


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
    rows = {}
    for name, x in (draws or {}).items():
        if np.shape(x) != (paths, res.horizon):
            raise ValueError(f"draws for {name} must have shape (paths, H)")
        rows[name] = np.ascontiguousarray(np.asarray(x, dtype=float).T)
    return run_engine_rows(res, rows, paths=paths, full=full)


def run_engine_rows(
    res: Resolved, rows: Mapping[str, np.ndarray], *, paths: int, full: bool = False
) -> EngineResult:
    """:func:`run_engine` with draws given month-major, ``(H, paths)`` (views are fine)."""
    for name, x in rows.items():
        if name not in ENGINE_INPUTS:
            raise ValueError(f"unknown engine input {name}")
        if x.shape != (res.horizon, paths):
            raise ValueError(f"rows for {name} must have shape (H, paths)")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # Overflow/NaN is not silenced: the finiteness checks turn it into ComputeError.
        return _run(res, rows, paths, full)


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


def _run(res: Resolved, rows: Mapping[str, np.ndarray], paths: int, full: bool) -> EngineResult:
    horizon = res.horizon
    forecast = res.forecast_mask
    operating = _Operating(res, rows)
    fixed = _fixed_lines(res)
    tax_rows = rows.get("taxRate")
    ar_rows = rows.get("arDays")
    ap_rows = rows.get("apDays")
    capex_rows = rows.get("capexPercentage")
    interest, repayment, closing_debt = _debt_schedule(res)

    ar_open = res.opening_revenue * res.ar_days / DAYS_PER_MONTH
    ap_open = res.opening_expenses * res.ap_days / DAYS_PER_MONTH
    common_stock = res.initial_cash + ar_open + res.ppe - ap_open - res.debt

    cash_prev = np.full(paths, res.initial_cash)
    ar_prev: Value = ar_open
    ap_prev: Value = ap_open
    gross_ppe = np.full(paths, res.ppe)
    acc_dep = np.zeros(paths)
    nol = np.full(paths, res.nol_balance)
    retained = np.zeros(paths)

    cash = np.empty((horizon, paths))
    net_cash = np.empty((horizon, paths))
    gap = np.empty((horizon, paths))
    kept: dict[str, np.ndarray] = {}  # line -> (H, paths), when full

    for i in range(horizon):
        drawn = bool(forecast[i])
        operating.advance(i, drawn)
        rev, cg, ox = operating.lines(i, drawn) if drawn else fixed[i]
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
            if not kept:  # the row names every line the roll-up keeps
                kept = {name: np.empty((horizon, paths)) for name in row}
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
