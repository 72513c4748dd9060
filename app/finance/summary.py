"""The model run's ``summary_json`` and result document (contract §5.1.6)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import ComputeError
from app.finance.engine import ENGINE_VERSION, RUNWAY_NO_BURN_MONTHS, EngineResult, run_engine
from app.finance.inputs import ModelInputs, Resolved, resolve_inputs
from app.finance.output import (
    RATE_DECIMALS,
    assumptions_used_json,
    check_finite,
    rounded,
    rounded_or_none,
)
from app.finance.statements import margin, month_lines, monthly_records, statements

RESULT_SOURCE = "finapilot-worker"
DEFAULT_MODEL_TYPE = "3-statement"
FIRST_YEAR_MONTHS = 12
LTV_MAX_MONTHS = 60.0
MAGIC_NUMBER_MIN_MONTHS = 6


@dataclass(frozen=True)
class ModelRunResult:
    """What a model run persists.

    Attributes:
        summary: ``model_runs.summary_json`` without ``fullResult`` (the caller adds it when S3
            is off).
        document: the result document (``result.json`` or ``fullResult``).
        months: the forecast month keys, in order.
        start_month: the first forecast month.
    """

    summary: dict[str, Any]
    document: dict[str, Any]
    months: list[str]
    start_month: str


def build_model_run(
    mi: ModelInputs,
    *,
    model_run_id: str,
    model_id: str,
    org_id: str,
    generated_at: str,
    engine_version: str = ENGINE_VERSION,
    on_stage: Callable[[str], None] | None = None,
) -> ModelRunResult:
    """Resolve, forecast, roll up and summarise one model run.

    Args:
        mi: the inputs loaded by the database layer.
        model_run_id: ``model_runs.id``.
        model_id: ``models.id``.
        org_id: the org of the run.
        generated_at: ISO timestamp from the database clock.
        engine_version: echoed in ``metadata.engineVersion``.
        on_stage: called with ``"inputs"`` after resolution and ``"statements"`` after the
            engine (safe points for the actor); it may raise to stop the run.

    Raises:
        InsufficientData: no initial cash / revenue baseline / expense baseline.
        InvalidParams: an input is out of range.
        ComputeError: a non-finite value or a broken statement invariant.
    """
    res = resolve_inputs(mi)
    if on_stage is not None:
        on_stage("inputs")
    result = run_engine(res, full=True)
    if on_stage is not None:
        on_stage("statements")
    summary = build_summary(
        mi, res, result, generated_at=generated_at, engine_version=engine_version
    )
    document = {
        "modelRunId": model_run_id,
        "modelId": model_id,
        "orgId": org_id,
        "generatedAt": generated_at,
        "startMonth": res.start_month,
        "horizonMonths": res.horizon,
        "assumptionsUsed": summary["assumptionsUsed"],
        "warnings": summary["warnings"],
        "monthly": summary["monthly"],
        "statements": summary["statements"],
        "kpis": summary["kpis"],
    }
    return ModelRunResult(
        summary=summary, document=document, months=list(res.months), start_month=res.start_month
    )


def _echo_model_type(params: Mapping[str, Any], meta: Mapping[str, Any]) -> str:
    for source in (params, meta):
        for key in ("modelType", "model_type"):
            value = source.get(key)
            if isinstance(value, str) and value:
                return value
    return DEFAULT_MODEL_TYPE


def _runway_from_start(
    res: Resolved, cash: np.ndarray, burn: np.ndarray
) -> tuple[float, str | None]:
    """Months from the start until cash runs out (interpolated), and that month's key."""
    out = np.flatnonzero(cash <= 0)
    if out.size:
        i = int(out[0])
        previous = res.initial_cash if i == 0 else float(cash[i - 1])
        if previous <= 0:
            return 0.0, res.months[i]
        return i + previous / (previous - float(cash[i])), res.months[i]
    if burn[-1] > 0:
        return res.horizon + float(cash[-1]) / float(burn[-1]), None
    return RUNWAY_NO_BURN_MONTHS, None


def _unit_economics(res: Resolved, mrr: float, gross_margin: float) -> dict[str, float | None]:
    """LTV, CAC, LTV/CAC, payback, GRR: null whenever an input is missing or a divisor ≤ 0."""
    customers, churn, cac = res.customer_count, res.churn_rate, res.cac
    arpu = mrr / customers if customers is not None and customers > 0 else None
    ltv = res.ltv
    if ltv is None and arpu is not None and churn is not None:
        cap = LTV_MAX_MONTHS * arpu * gross_margin
        ltv = cap if churn == 0 else min(arpu * gross_margin / churn, cap)
    unit_margin = None if arpu is None else arpu * gross_margin
    payback = cac / unit_margin if cac is not None and unit_margin and unit_margin > 0 else None
    ratio = ltv / cac if ltv is not None and cac is not None and cac > 0 else None
    grr = (1.0 - churn) * 100.0 if churn is not None else None
    return {"ltv": ltv, "cac": cac, "ltvCacRatio": ratio, "paybackPeriod": payback, "grr": grr}


def build_summary(
    mi: ModelInputs,
    res: Resolved,
    result: EngineResult,
    *,
    generated_at: str,
    engine_version: str = ENGINE_VERSION,
) -> dict[str, Any]:
    """The exact ``summary_json`` of §5.1.6 (every number rounded here, at output)."""
    horizon = res.horizon
    v = month_lines(res, {name: line[0] for name, line in result.lines.items()})
    monthly = monthly_records(res, v)

    first_year = slice(0, min(FIRST_YEAR_MONTHS, horizon))
    revenue = v["revenue"]
    fy_revenue = float(np.sum(revenue[first_year]))
    fy_expenses = float(np.sum(v["expenses"][first_year]))
    fy_opex = float(np.sum(v["opex"][first_year]))
    fy_net_income = float(np.sum(v["netIncome"][first_year]))
    fy_ebitda = float(np.sum(v["ebitda"][first_year]))
    ebitda_margin = margin(fy_ebitda, fy_revenue)
    gross_margin = margin(float(np.sum(v["grossProfit"][first_year])), fy_revenue)
    cash, burn = v["endingCash"], v["burnRate"]
    mrr = float(revenue[-1])
    runway_start, cash_out_month = _runway_from_start(res, cash, burn)

    fy_burn = float(np.sum(burn[first_year]))
    net_new_arr = (float(revenue[min(11, horizon - 1)]) - float(revenue[0])) * 12.0
    if fy_burn == 0:
        burn_multiple: float | None = 0.0
    else:
        burn_multiple = fy_burn / net_new_arr if net_new_arr > 0 else None
    magic_number = None
    if res.marketing is not None and res.marketing > 0 and horizon >= MAGIC_NUMBER_MIN_MONTHS:
        recent = float(np.mean(revenue[-3:])) - float(np.mean(revenue[-6:-3]))
        magic_number = 4.0 * recent / res.marketing
    try:
        rule_of_40 = (res.growth_factor**12 - 1.0) * 100.0 + ebitda_margin * 100.0
    except OverflowError as exc:
        raise ComputeError("non-finite ruleOf40 (growth factor overflows)") from exc
    unit = _unit_economics(res, mrr, gross_margin)

    money = rounded_or_none
    kpis = {
        "ltv": money(unit["ltv"]),
        "cac": money(unit["cac"]),
        "ltvCacRatio": money(unit["ltvCacRatio"]),
        "ltvCac": money(unit["ltvCacRatio"]),
        "paybackPeriod": money(unit["paybackPeriod"]),
        "nrr": None,
        "grr": money(unit["grr"]),
        "ruleOf40": rounded(rule_of_40),
        "burnMultiple": money(burn_multiple),
        "magicNumber": money(magic_number),
        "opex": rounded(fy_opex),
        "headcount": rounded(res.headcount[-1]),
        "activeCustomers": money(res.customer_count),
        "churnRate": rounded_or_none(res.churn_rate, RATE_DECIMALS),
    }
    assumptions_used = assumptions_used_json(res.assumptions_used)
    model_json = mi.model_json if isinstance(mi.model_json, Mapping) else {}
    params = mi.params_json if isinstance(mi.params_json, Mapping) else {}
    meta = model_json.get("metadata")
    assumptions = model_json.get("assumptions")

    summary: dict[str, Any] = {
        "revenue": rounded(fy_revenue),
        "totalRevenue": rounded(fy_revenue),
        "expenses": rounded(fy_expenses),
        "totalExpenses": rounded(fy_expenses),
        "opex": rounded(fy_opex),
        "netIncome": rounded(fy_net_income),
        "ebitda": rounded(fy_ebitda),
        "ebitdaMargin": rounded(ebitda_margin),
        "grossMargin": rounded(gross_margin),
        "cashBalance": rounded(cash[-1]),
        "burnRate": rounded(burn[-1]),
        "monthlyBurn": rounded(burn[-1]),
        "runwayMonths": rounded(v["runwayMonths"][-1]),
        "runway": rounded(v["runwayMonths"][-1]),
        "runwayFromStartMonths": rounded(runway_start),
        "cashOutMonth": cash_out_month,
        "mrr": rounded(mrr),
        "monthlyRevenue": rounded(mrr),
        "arr": rounded(12.0 * mrr),
        "headcount": rounded(res.headcount[-1]),
        "initialCash": rounded(res.initial_cash),
        "revenueGrowth": rounded(res.revenue_growth, RATE_DECIMALS),
        "expenseGrowth": rounded(res.expense_growth, RATE_DECIMALS),
        "churnRate": rounded_or_none(res.churn_rate, RATE_DECIMALS),
        "activeCustomers": money(res.customer_count),
        "customerCount": money(res.customer_count),
        "cac": kpis["cac"],
        "ltv": kpis["ltv"],
        "ltvCacRatio": kpis["ltvCacRatio"],
        "paybackPeriod": kpis["paybackPeriod"],
        "grr": kpis["grr"],
        "nrr": None,
        "ruleOf40": kpis["ruleOf40"],
        "burnMultiple": kpis["burnMultiple"],
        "magicNumber": kpis["magicNumber"],
        "kpis": kpis,
        "monthly": monthly,
        "statements": statements(res, v, generated_at),
        "assumptions": copy.deepcopy(assumptions) if isinstance(assumptions, Mapping) else {},
        "assumptionsUsed": assumptions_used,
        "warnings": list(res.warnings),
        "startMonth": res.start_month,
        "forecastMonths": horizon,
        "modelType": _echo_model_type(params, meta if isinstance(meta, Mapping) else {}),
        "modelVersion": mi.model_version,
        "runType": mi.run_type,
        "generatedAt": generated_at,
        "metadata": {
            "dataIngestedAt": res.data_ingested_at or generated_at,
            "source": RESULT_SOURCE,
            "engineVersion": engine_version,
            "transactionMonthsUsed": res.transaction_months_used,
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
    check_finite(summary, "model run summary")
    return summary
