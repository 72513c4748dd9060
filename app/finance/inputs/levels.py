"""Levels: initial cash, the revenue and expense baselines, and the KPI inputs (§5.1.3).

Initial cash and the two baselines come only from data or user input, never from a default:
a missing one is :class:`~app.errors.InsufficientData`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import InsufficientData
from app.finance.inputs.bounds import COUNT, HEADCOUNT, LEVEL, MONEY, MULTIPLIER
from app.finance.inputs.ledger import BaselineWindow, Flow, inflow, outflow
from app.finance.inputs.lookups import (
    SOURCE_ASSUMPTION,
    SOURCE_LEDGER,
    SOURCE_OVERRIDE,
    Context,
    Found,
    Ref,
    refs,
    with_flat_overrides,
)

#: Expense parts summed into the expense baseline when no baseline is given.
EXPENSE_COMPONENTS = ("payroll", "marketing", "infrastructure")


@dataclass(frozen=True)
class OpeningLevels:
    """Cash and the baselines R and E, with their multipliers."""

    initial_cash: float
    base_revenue: float
    revenue_multiplier: float
    base_expenses: float
    expense_multiplier: float


@dataclass(frozen=True)
class KpiInputs:
    """Inputs only the KPIs read (null when absent), and the headcount already on staff."""

    customer_count: float | None
    cac: float | None
    ltv: float | None
    marketing: float | None
    base_headcount: float


def resolve_opening_levels(ctx: Context, window: BaselineWindow) -> OpeningLevels:
    """Initial cash, then baseRevenue R, then baseExpenses E, then the two multipliers.

    Raises:
        InsufficientData: no initial cash, no revenue baseline or no expense baseline.
    """
    initial_cash = _initial_cash(ctx)
    base_revenue = _base_revenue(ctx, window)
    base_expenses = _base_expenses(ctx, window)
    revenue_multiplier = ctx.lookup(
        "revenueMultiplier", refs("O.revenue.baseline", bounds=MULTIPLIER), 1.0
    )
    expense_multiplier = ctx.lookup(
        "expenseMultiplier", refs("O.costs.baseline", bounds=MULTIPLIER), 1.0
    )
    return OpeningLevels(
        initial_cash=initial_cash,
        base_revenue=base_revenue,
        revenue_multiplier=revenue_multiplier,
        base_expenses=base_expenses,
        expense_multiplier=expense_multiplier,
    )


def resolve_kpi_inputs(ctx: Context) -> KpiInputs:
    """Customer count, CAC, LTV, marketing spend (each null when absent) and base headcount."""
    customer_count = ctx.lookup_optional(
        "customerCount",
        refs(
            "O.customerCount",
            "P.startingCustomers+",
            "A.customerCount",
            "A.customers",
            "A.startingCustomers",
            bounds=COUNT,
        ),
    )
    cac = ctx.lookup_optional("cac", refs("A.cac", "A.unitEconomics.cac", bounds=LEVEL))
    ltv = ctx.lookup_optional("ltv", refs("A.ltv", "A.unitEconomics.ltv", bounds=LEVEL))
    marketing = ctx.lookup_optional(
        "marketing",
        refs(
            "O.costs.marketing",
            "A.marketing",
            "A.marketingSpend",
            "A.expenses.marketing",
            bounds=LEVEL,
        ),
    )
    base_headcount = ctx.lookup(
        "baseHeadcount",
        refs("A.headcount", "A.currentHeadcount", "A.employees", bounds=HEADCOUNT),
        0.0,
    )
    return KpiInputs(customer_count, cac, ltv, marketing, base_headcount)


def _initial_cash(ctx: Context) -> float:
    found = ctx.first(
        with_flat_overrides(
            refs(
                "O.cash.initial",
                "O.initialCash",
                "P.cashOnHand+",
                "A.initialCash",
                "A.cash.initialCash",
                "A.cashOnHand",
                "A.cash",
                bounds=MONEY,
            )
        )
    )
    return _required(ctx, "initialCash", found, "no initial cash")


def _required(ctx: Context, name: str, found: Found | None, missing: str) -> float:
    """A level that data or the user must give: recorded, or ``InsufficientData(missing)``."""
    if found is None:
        raise InsufficientData(missing)
    ctx.record(name, *found)
    return found[0]


def _baseline(
    ctx: Context, name: str, window: BaselineWindow, flow: Flow, *assumptions: str
) -> Found | None:
    """The override ``O.<name>``, else the ledger level, else the assumptions (flat overrides)."""
    found = ctx.first(refs(f"O.{name}", bounds=LEVEL))
    if found is None:
        level = window.level(flow)
        if level is not None:
            found = (level, SOURCE_LEDGER)
    if found is None:
        found = ctx.first(with_flat_overrides(refs(*assumptions, bounds=LEVEL)))
    return found


def _base_revenue(ctx: Context, window: BaselineWindow) -> float:
    found = _baseline(
        ctx,
        "baselineRevenue",
        window,
        inflow,
        "A.baselineRevenue",
        "A.revenue.baseline",
        "A.revenue.mrr",
        "A.mrr",
    )
    return _required(ctx, "baseRevenue", found, "no revenue baseline")


def _base_expenses(ctx: Context, window: BaselineWindow) -> float:
    """A given baseline (cost overrides do not change it, and say so), else the parts' sum."""
    found = _baseline(
        ctx, "baselineExpenses", window, outflow, "A.baselineExpenses", "A.expenses.baseline"
    )
    if found is None:
        found = _expense_components(ctx)
    else:
        for part in EXPENSE_COMPONENTS:
            if ctx.value(Ref("O", ("costs", part), bounds=LEVEL)) is not None:
                ctx.warn(
                    f"overrides.costs.{part} does not change baseline expenses "
                    f"(taken from {found[1]})"
                )
    return _required(ctx, "baseExpenses", found, "no expense baseline")


def _expense_components(ctx: Context) -> Found | None:
    """The sum of the expense parts that are given; an override among them makes it one."""
    parts = [
        ctx.first(refs(f"O.costs.{n}", f"O.{n}", f"A.{n}", f"A.expenses.{n}", bounds=LEVEL))
        for n in EXPENSE_COMPONENTS
    ]
    present = [p for p in parts if p is not None]
    if not present:
        return None
    source = SOURCE_OVERRIDE if any(s == SOURCE_OVERRIDE for _, s in present) else SOURCE_ASSUMPTION
    return sum(v for v, _ in present), source
