"""Resolution of one model run's inputs, step by step as contract §5.1.2–5.1.4 orders it."""

from __future__ import annotations

from collections.abc import Sequence

from app.finance.inputs.headcount import resolve_people
from app.finance.inputs.ledger import BaselineWindow, latest_imported_at, ledger_by_month
from app.finance.inputs.levels import resolve_kpi_inputs, resolve_opening_levels
from app.finance.inputs.lookups import Context, mapping
from app.finance.inputs.month_sources import month_sources
from app.finance.inputs.rates import resolve_rates
from app.finance.inputs.records import ModelInputs
from app.finance.inputs.resolved import Resolved, forecast_mask
from app.finance.inputs.rollup import resolve_rollup
from app.finance.inputs.timeline import resolve_timeline


def resolve_inputs(mi: ModelInputs) -> Resolved:
    """Resolve the timeline, the inputs and the per-month sources of a model run.

    Levels come only from data or user input; every rate default is disclosed in
    ``assumptions_used``. The steps run in contract order, which is also the order of
    ``assumptions_used`` and of the warnings.

    Raises:
        InsufficientData: no initial cash, no revenue baseline or no expense baseline.
        InvalidParams: a resolved rate is outside its meaningful range.
    """
    model_json = mapping(mi.model_json)
    params = mapping(mi.params_json)
    meta = mapping(model_json.get("metadata"))
    assumptions = mapping(model_json.get("assumptions"))
    ctx = Context(mapping(params.get("overrides")), params, assumptions)
    ledger = ledger_by_month(mi.ledger)

    timeline = resolve_timeline(ctx, params, meta, ledger, mi.model_created_month)
    window = BaselineWindow.before(ledger, timeline.start_index)
    levels = resolve_opening_levels(ctx, window)
    rates = resolve_rates(ctx, window)
    kpi = resolve_kpi_inputs(ctx)
    rollup = resolve_rollup(ctx)
    by_month = month_sources(ctx, model_json, ledger, mi.drivers, timeline.months)
    people = resolve_people(
        ctx,
        mi.headcount_plans,
        ctx.assumptions.get("hiringPlan"),
        timeline.start_index,
        kpi.base_headcount,
        forecast_mask(by_month.sources),
    )
    _warn_mixed_currencies(ctx, mi.ledger_currencies)

    return Resolved(
        start_month=timeline.start,
        horizon=timeline.horizon,
        months=timeline.months,
        sources=by_month.sources,
        initial_cash=levels.initial_cash,
        base_revenue=levels.base_revenue,
        revenue_multiplier=levels.revenue_multiplier,
        base_expenses=levels.base_expenses,
        expense_multiplier=levels.expense_multiplier,
        revenue_growth=rates.revenue_growth,
        expense_growth=rates.expense_growth,
        cogs_percentage=rates.cogs_percentage,
        base_churn=rates.base_churn,
        churn_rate=rates.churn_rate,
        customer_count=kpi.customer_count,
        cac=kpi.cac,
        ltv=kpi.ltv,
        marketing=kpi.marketing,
        base_headcount=kpi.base_headcount,
        tax_rate=rollup["taxRate"],
        ar_days=rollup["arDays"],
        ap_days=rollup["apDays"],
        capex_percentage=rollup["capexPercentage"],
        depreciation_rate=rollup["depreciationRate"],
        ppe=rollup["ppe"],
        debt=rollup["debt"],
        interest_rate=rollup["interestRate"],
        debt_repayment_rate=rollup["debtRepaymentRate"],
        nol_balance=rollup["nolBalance"],
        given_revenue=by_month.given["revenue"],
        given_cogs=by_month.given["cogs"],
        given_opex=by_month.given["opex"],
        given_mask_revenue=by_month.given_mask["revenue"],
        given_mask_cogs=by_month.given_mask["cogs"],
        given_mask_opex=by_month.given_mask["opex"],
        headcount=people.headcount,
        headcount_cost=people.headcount_cost,
        hiring_cost=people.hiring_cost,
        assumptions_used=ctx.used,
        warnings=tuple(ctx.warnings),
        data_ingested_at=latest_imported_at(mi.ledger),
        transaction_months_used=len(set(window.months) | by_month.actual_months),
        ledger_baseline=bool(window.totals),
    )


def _warn_mixed_currencies(ctx: Context, currencies: Sequence[str]) -> None:
    codes = sorted({c.strip().upper() for c in currencies if c and c.strip()})
    if len(codes) > 1:
        ctx.warn(
            f"ledger mixes {len(codes)} currencies ({', '.join(codes)}); "
            "amounts are summed without FX conversion"
        )
