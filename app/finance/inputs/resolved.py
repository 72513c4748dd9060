"""The resolved inputs of one model run and the per-month sources (contract §5.1.3–5.1.4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: The lines a month's source may fix: a manual input, the ledger or a driver.
LINES = ("revenue", "cogs", "opex")

SOURCE_MANUAL = "manual"
SOURCE_ACTUAL = "actual"
SOURCE_DRIVER = "driver"
SOURCE_FORECAST = "forecast"


@dataclass(frozen=True)
class Resolved:
    """Resolved inputs and the per-month sources of one model run.

    Arrays have shape (H,). ``given_*`` hold the revenue/cogs/opex values fixed by a manual input,
    the ledger or a driver, where ``given_mask_*`` is true; elsewhere the value is computed.
    ``headcount_cost`` and ``hiring_cost`` are zero outside forecast-source months.
    """

    start_month: str
    horizon: int
    months: tuple[str, ...]
    sources: tuple[str, ...]
    initial_cash: float
    base_revenue: float
    revenue_multiplier: float
    base_expenses: float
    expense_multiplier: float
    revenue_growth: float
    expense_growth: float
    cogs_percentage: float
    base_churn: float | None
    churn_rate: float | None
    customer_count: float | None
    cac: float | None
    ltv: float | None
    marketing: float | None
    base_headcount: float
    tax_rate: float
    ar_days: float
    ap_days: float
    capex_percentage: float
    depreciation_rate: float
    ppe: float
    debt: float
    interest_rate: float
    debt_repayment_rate: float
    nol_balance: float
    given_revenue: np.ndarray
    given_cogs: np.ndarray
    given_opex: np.ndarray
    given_mask_revenue: np.ndarray
    given_mask_cogs: np.ndarray
    given_mask_opex: np.ndarray
    headcount: np.ndarray
    headcount_cost: np.ndarray
    hiring_cost: np.ndarray
    assumptions_used: dict[str, dict[str, Any]]
    warnings: tuple[str, ...]
    data_ingested_at: str | None
    transaction_months_used: int
    ledger_baseline: bool

    @property
    def forecast_mask(self) -> np.ndarray:
        """True for months whose source is ``forecast`` (the only ones Monte Carlo perturbs)."""
        return forecast_mask(self.sources)

    @property
    def opening_revenue(self) -> float:
        """``R·mult`` (= revenue_0 of a forecast month 0)."""
        return self.base_revenue * self.revenue_multiplier

    @property
    def opening_expenses(self) -> float:
        """``E·emult``."""
        return self.base_expenses * self.expense_multiplier

    @property
    def opex_base(self) -> float:
        """``O_base = max(0, E·emult − R·mult·cogsPercentage)``."""
        return max(0.0, self.opening_expenses - self.opening_revenue * self.cogs_percentage)

    @property
    def churn_base_math(self) -> float:
        """c₀ as used in the growth factor (null counts as 0)."""
        return 0.0 if self.base_churn is None else self.base_churn

    @property
    def churn_math(self) -> float:
        """The effective churn c as used in the growth factor (null counts as c₀, then 0)."""
        return self.churn_base_math if self.churn_rate is None else self.churn_rate

    @property
    def growth_factor(self) -> float:
        """The deterministic monthly growth factor ``f = (1 + g)(1 − c)/(1 − c₀)``."""
        return (1.0 + self.revenue_growth) * (1.0 - self.churn_math) / (1.0 - self.churn_base_math)


def forecast_mask(sources: Sequence[str]) -> np.ndarray:
    """True for each month whose source is ``forecast``."""
    return np.array([s == SOURCE_FORECAST for s in sources], dtype=bool)
