"""Rates: revenue and expense growth, the cogs share and churn (§5.1.3), range-checked.

A rate is explicit (overrides, then assumptions), else derived from the ledger where the
contract allows it, else a default; each is disclosed with its source in ``assumptions_used``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.finance.inputs.bounds import BASE_CHURN, CHURN, GROWTH, SHARE
from app.finance.inputs.ledger import BaselineWindow, Flow, inflow, outflow
from app.finance.inputs.lookups import (
    SOURCE_DEFAULT,
    SOURCE_LEDGER,
    Context,
    Ref,
    refs,
    with_flat_overrides,
)

DEFAULT_GROWTH = 0.0
DEFAULT_COGS_PERCENTAGE = 0.20


@dataclass(frozen=True)
class Rates:
    """The operating rates of the forecast.

    Attributes:
        base_churn: c₀, the churn already in the baseline (assumptions only), or None.
        churn_rate: c, the effective churn (an override, else c₀), or None.
    """

    revenue_growth: float
    expense_growth: float
    cogs_percentage: float
    base_churn: float | None
    churn_rate: float | None


def resolve_rates(ctx: Context, window: BaselineWindow) -> Rates:
    """Growth rates, then cogsPercentage, then churn; an explicit one checked against its range.

    Raises:
        InvalidParams: an explicit rate that is not a finite number in its range (a churn
            outside [0, 1) (c₀) or [0, 1] (c), a growth ≤ −1 or above 10, …).
    """
    revenue_growth = _growth(
        ctx,
        "revenueGrowth",
        refs(
            "O.revenue.growth",
            "O.revenueGrowth",
            "A.revenueGrowth",
            "A.revenue.growth",
            bounds=GROWTH,
        ),
        window,
        inflow,
    )
    expense_growth = _growth(
        ctx,
        "expenseGrowth",
        refs(
            "O.costs.growth",
            "O.expenseGrowth",
            "A.expenseGrowth",
            "A.expenses.growth",
            bounds=GROWTH,
        ),
        window,
        outflow,
    )
    cogs_percentage = _cogs_percentage(ctx, window)
    base_churn, churn_rate = _churn(ctx)
    return Rates(revenue_growth, expense_growth, cogs_percentage, base_churn, churn_rate)


def _growth(ctx: Context, name: str, chain: list[Ref], window: BaselineWindow, flow: Flow) -> float:
    """Explicit, else the ledger CAGR of ``flow``, else 0."""
    explicit = ctx.first(with_flat_overrides(chain))
    if explicit is not None:
        ctx.record(name, *explicit)
        return explicit[0]
    cagr = window.growth(flow)
    if cagr is not None:
        ctx.record(name, cagr, SOURCE_LEDGER)
        return cagr
    ctx.record(name, DEFAULT_GROWTH, SOURCE_DEFAULT)
    return DEFAULT_GROWTH


def _cogs_percentage(ctx: Context, window: BaselineWindow) -> float:
    """Explicit, else the ledger's cogs share of revenue, else the default."""
    found = ctx.first(refs("O.cogsPercentage", "A.cogsPercentage", bounds=SHARE))
    if found is None:
        share = window.cogs_share()
        if share is not None:
            found = (share, SOURCE_LEDGER)
    if found is None:
        found = (DEFAULT_COGS_PERCENTAGE, SOURCE_DEFAULT)
    ctx.record("cogsPercentage", *found)
    return found[0]


def _churn(ctx: Context) -> tuple[float | None, float | None]:
    """c₀ from the assumptions only; c from an override, else c₀ (with c₀'s source)."""
    found = ctx.first(refs("A.churnRate", "A.revenue.churnRate", bounds=BASE_CHURN))
    base_churn = None if found is None else found[0]
    base_source = SOURCE_DEFAULT if found is None else found[1]
    ctx.record("baseChurnRate", base_churn, base_source)
    override = ctx.first(refs("O.revenue.churn", "O.churnRate", bounds=CHURN))
    if override is None:
        ctx.record("churnRate", base_churn, base_source)
        return base_churn, base_churn
    ctx.record("churnRate", *override)
    return base_churn, override[0]
