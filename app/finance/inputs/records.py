"""Model-run inputs as the database layer hands them over (``app/modelinputs.py`` loads them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LedgerRow:
    """One (month, category) aggregate of ``raw_transactions``, as summed in SQL."""

    month: str  # 'YYYY-MM'
    category: str | None
    inflow: float  # sum of positive amounts
    outflow: float  # sum of |negative amounts|
    count: int
    last_imported_at: str | None  # ISO timestamp


@dataclass(frozen=True)
class HeadcountPlan:
    """One active ``headcount_plans`` row (start/end truncated to ``YYYY-MM``)."""

    quantity: int
    salary: float | None
    benefits_multiplier: float | None
    start_month: str
    end_month: str | None
    ramp_months: int


@dataclass(frozen=True)
class DriverInput:
    """One ``drivers`` row of the model with its values in the chosen scenario, by month."""

    name: str
    is_calculated: bool
    has_formula: bool
    values: dict[str, float]


@dataclass(frozen=True)
class ModelInputs:
    """Everything a model run (or a Monte Carlo re-resolution) reads from the database."""

    model_json: dict[str, Any]
    model_version: int
    model_created_month: str  # 'YYYY-MM' of models.created_at (UTC)
    params_json: dict[str, Any]
    run_type: str
    ledger: list[LedgerRow]
    ledger_currencies: list[str]
    headcount_plans: list[HeadcountPlan]
    drivers: list[DriverInput]
