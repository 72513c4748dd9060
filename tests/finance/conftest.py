"""Factories for the pure finance tests (no database: plain dataclasses in, plain values out)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from app.finance.inputs import DriverInput, HeadcountPlan, LedgerRow, ModelInputs

DEFAULT_ASSUMPTIONS: dict[str, Any] = {
    "initialCash": 100_000,
    "baselineRevenue": 20_000,
    "baselineExpenses": 25_000,
}


def build_inputs(
    *,
    assumptions: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    manual: dict[str, Any] | None = None,
    ledger: Sequence[LedgerRow] = (),
    currencies: Sequence[str] = ("USD",),
    plans: Sequence[HeadcountPlan] = (),
    drivers: Sequence[DriverInput] = (),
    created_month: str = "2023-06",
    run_type: str = "baseline",
    version: int = 1,
) -> ModelInputs:
    """ModelInputs with a small valid default model (start 2024-01, 12 months)."""
    model_json: dict[str, Any] = {
        "assumptions": dict(DEFAULT_ASSUMPTIONS if assumptions is None else assumptions),
        "metadata": {"startMonth": "2024-01"} if metadata is None else metadata,
    }
    if manual is not None:
        model_json["manualInputs"] = manual
    return ModelInputs(
        model_json=model_json,
        model_version=version,
        model_created_month=created_month,
        params_json={} if params is None else params,
        run_type=run_type,
        ledger=list(ledger),
        ledger_currencies=list(currencies),
        headcount_plans=list(plans),
        drivers=list(drivers),
    )


def ledger_row(
    month: str,
    category: str | None = "sales",
    inflow: float = 0.0,
    outflow: float = 0.0,
    count: int = 1,
    last_imported_at: str | None = None,
) -> LedgerRow:
    """One aggregated ledger row."""
    return LedgerRow(month, category, inflow, outflow, count, last_imported_at)


def plan(
    *,
    quantity: int = 1,
    salary: float | None = 120_000,
    benefits_multiplier: float | None = 1.25,
    start_month: str = "2024-03",
    end_month: str | None = None,
    ramp_months: int = 3,
) -> HeadcountPlan:
    """One headcount plan."""
    return HeadcountPlan(quantity, salary, benefits_multiplier, start_month, end_month, ramp_months)


def rich_inputs(**overrides: Any) -> ModelInputs:
    """A model that exercises every path: ledger, actuals, manual and driver months, hires,
    working capital, PPE, debt, losses then profits (NOL)."""
    ledger = [
        ledger_row("2023-09", "Sales", inflow=38_000),
        ledger_row("2023-09", "Payroll", outflow=30_000),
        ledger_row("2023-10", "Sales", inflow=40_000, last_imported_at="2023-11-02T10:00:00+00:00"),
        ledger_row("2023-10", "AWS hosting", outflow=6_000),
        ledger_row("2023-10", "Payroll", outflow=31_000),
        ledger_row("2023-11", "Sales", inflow=42_000),
        ledger_row("2023-11", "Stripe fees", outflow=1_200),
        ledger_row("2023-11", "Payroll", outflow=32_000),
        ledger_row("2023-12", "Sales", inflow=45_000),
        ledger_row("2023-12", None, outflow=36_000),
        ledger_row("2024-02", "Sales", inflow=46_000, last_imported_at="2024-03-01T08:00:00+00:00"),
        ledger_row("2024-02", "Cost of sales", outflow=9_000),
        ledger_row("2024-02", "Rent", outflow=50_000),
    ]
    kwargs: dict[str, Any] = {
        "assumptions": {
            "initialCash": 400_000,
            "revenueGrowth": 0.03,
            "expenseGrowth": 0.01,
            "churnRate": 0.02,
            "cogsPercentage": 0.25,
            "arDays": 30,
            "apDays": 20,
            "capexPercentage": 0.02,
            "ppe": 50_000,
            "debt": 100_000,
            "nolBalance": 5_000,
            "customerCount": 120,
            "cac": 900,
            "marketing": 4_000,
            "headcount": 6,
            "hiringPlan": [
                {"month": 4, "salary": 96_000},
                {"month": 6, "salary": 4_000, "quantity": 2},
            ],
        },
        "metadata": {"startMonth": "2024-01"},
        "params": {"horizon": 24},
        "manual": {"2024-05": {"revenue": 80_000, "opex": 20_000}, "lastUpdated": "2024-01-01"},
        "ledger": ledger,
        "plans": [plan(quantity=2, start_month="2024-03", ramp_months=3)],
        "drivers": [DriverInput("Revenue", False, False, {"2024-07": 70_000})],
    }
    kwargs.update(overrides)
    return build_inputs(**kwargs)


@pytest.fixture
def make_inputs() -> Callable[..., ModelInputs]:
    """Factory fixture for ModelInputs (see :func:`build_inputs`)."""
    return build_inputs
