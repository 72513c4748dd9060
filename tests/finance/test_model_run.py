"""Model run: operating forecast (§5.1.4), three statements (§5.1.5) and summary_json (§5.1.6)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pytest

from app.errors import ComputeError
from app.finance import engine
from app.finance import summary as summary_module
from app.finance.engine import ENGINE_VERSION, run_engine
from app.finance.inputs import ModelInputs, resolve_inputs
from app.finance.summary import ModelRunResult, build_model_run
from tests.factories import SUMMARY_KEYS
from tests.finance.conftest import build_inputs, ledger_row, plan, rich_inputs

GENERATED_AT = "2024-06-01T12:00:00+00:00"
ROUNDING_SLACK = 0.015  # three values each rounded to the cent: at most 3 × 0.005 apart


def run(mi: ModelInputs) -> ModelRunResult:
    return build_model_run(
        mi, model_run_id="run-1", model_id="model-1", org_id="org-1", generated_at=GENERATED_AT
    )


def simple(**assumptions: Any) -> dict[str, Any]:
    """A model with no side effects: no cogs, tax, working capital, PPE or debt."""
    base: dict[str, Any] = {
        "initialCash": 100_000,
        "baselineRevenue": 10_000,
        "baselineExpenses": 30_000,
        "cogsPercentage": 0,
        "taxRate": 0,
    }
    base.update(assumptions)
    return base


MODELS = {
    "rich": rich_inputs,
    "rich-36-months": lambda: rich_inputs(params={"horizon": "36months"}),
    "burning-to-negative-cash": lambda: build_inputs(assumptions=simple(), params={"horizon": 9}),
    "profitable-with-nol-and-debt": lambda: build_inputs(
        assumptions={
            "initialCash": 5_000,
            "baselineRevenue": 50_000,
            "baselineExpenses": 20_000,
            "nolBalance": 40_000,
            "debt": 80_000,
            "debtRepaymentRate": 0.05,
            "ppe": 10_000,
            "arDays": 45,
            "apDays": 10,
            "capexPercentage": 0.1,
            "revenueGrowth": -0.02,
        }
    ),
}


# --- statements hold together ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cash_is_continuous_and_assets_equal_liabilities_plus_equity_every_month(
    name: str,
) -> None:
    mi = MODELS[name]()
    summary = run(mi).summary
    statements = summary["statements"]
    previous = resolve_inputs(mi).initial_cash
    for key, month in summary["monthly"].items():
        cash_flow = statements["cashFlow"]["monthly"][key]
        balance = statements["balanceSheet"]["monthly"][key]
        assert (
            abs(cash_flow["endingCash"] - (previous + cash_flow["netCashFlow"])) <= ROUNDING_SLACK
        )
        flows = cash_flow["operatingCashFlow"] + cash_flow["investingCashFlow"]
        assert abs(cash_flow["netCashFlow"] - (flows + cash_flow["financingCashFlow"])) <= (
            ROUNDING_SLACK
        )
        equation = balance["totalLiabilities"] + balance["totalEquity"]
        assert abs(balance["totalAssets"] - equation) <= ROUNDING_SLACK
        assert balance["balanceCheck"] == 0.0
        assert month["cashBalance"] == month["endingCash"] == cash_flow["endingCash"]
        assert balance["cash"] == month["cash"] == month["cashBalance"]
        previous = cash_flow["endingCash"]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_unrounded_engine_lines_satisfy_the_invariants_exactly(name: str) -> None:
    res = resolve_inputs(MODELS[name]())
    lines = {k: v[0] for k, v in run_engine(res, full=True).lines.items()}
    cash = lines["endingCash"]
    opening = np.concatenate([[res.initial_cash], cash[:-1]])
    np.testing.assert_allclose(cash, opening + lines["netCashFlow"], rtol=0, atol=1e-6)
    flows = lines["operatingCashFlow"] + lines["capex"] + lines["debtRepayment"]
    np.testing.assert_allclose(lines["netCashFlow"], flows, rtol=0, atol=1e-6)
    equation = lines["totalLiabilities"] + lines["totalEquity"]
    np.testing.assert_allclose(lines["totalAssets"], equation, rtol=0, atol=1e-6)
    retained = np.cumsum(lines["netIncome"])
    np.testing.assert_allclose(lines["retainedEarnings"], retained, rtol=0, atol=1e-6)


def test_a_broken_invariant_is_a_compute_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "BALANCE_TOLERANCE", -1.0)
    with pytest.raises(ComputeError, match="cash continuity broken in 2024-01"):
        run(rich_inputs())


@pytest.mark.parametrize(("growth", "horizon"), [(1e200, 36), (1e26, 3)])
def test_a_non_finite_forecast_is_a_compute_error_never_zero_filled(
    growth: float, horizon: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Explicit inputs are range-checked (issue 9): such a growth reaches the engine and the
    # summary only from a resolution that skips the check.
    mi = build_inputs(assumptions=simple(), params={"horizon": horizon})
    res = dataclasses.replace(resolve_inputs(mi), revenue_growth=growth)
    monkeypatch.setattr(summary_module, "resolve_inputs", lambda _: res)
    with pytest.raises(ComputeError, match="non-finite"):
        run(mi)


# --- operating forecast ----------------------------------------------------------------------


def test_forecast_revenue_compounds_the_growth_factor_and_cogs_is_a_share() -> None:
    mi = build_inputs(
        assumptions=simple(revenueGrowth=0.05, churnRate=0.02, cogsPercentage=0.3),
        params={"overrides": {"churnRate": 0.04}},
    )
    monthly = list(run(mi).summary["monthly"].values())
    factor = 1.05 * (1 - 0.04) / (1 - 0.02)
    for i, month in enumerate(monthly):
        assert month["revenue"] == pytest.approx(10_000 * factor**i, abs=0.005)
        assert month["cogs"] == pytest.approx(10_000 * factor**i * 0.3, abs=0.005)
        assert month["source"] == "forecast"


def test_opex_base_excludes_cogs_and_grows_with_expense_growth() -> None:
    mi = build_inputs(assumptions=simple(cogsPercentage=0.2, expenseGrowth=0.01))
    monthly = list(run(mi).summary["monthly"].values())
    opex_base = 30_000 - 10_000 * 0.2
    for i, month in enumerate(monthly):
        assert month["opex"] == pytest.approx(opex_base * 1.01**i, abs=0.005)
        assert month["expenses"] == pytest.approx(month["cogs"] + month["opex"], abs=0.01)


def test_actual_months_take_the_ledger_values_instead_of_the_forecast() -> None:
    monthly = run(rich_inputs()).summary["monthly"]
    february = monthly["2024-02"]
    assert february["source"] == "actual"
    assert (february["revenue"], february["cogs"], february["opex"]) == (46_000, 9_000, 50_000)
    assert february["headcountCost"] == 0.0


def test_manual_inputs_override_and_their_missing_lines_are_computed_unperturbed() -> None:
    mi = rich_inputs()
    res = resolve_inputs(mi)
    may = run(mi).summary["monthly"]["2024-05"]
    assert may["source"] == "manual"
    assert (may["revenue"], may["opex"]) == (80_000, 20_000)
    computed_revenue = res.opening_revenue * res.growth_factor**4
    assert may["cogs"] == pytest.approx(computed_revenue * res.cogs_percentage, abs=0.005)


def test_driver_months_use_the_driver_value() -> None:
    july = run(rich_inputs()).summary["monthly"]["2024-07"]
    assert july["source"] == "driver"
    assert july["revenue"] == 70_000


def test_headcount_cost_ramps_for_new_hires_only() -> None:
    plans = [
        plan(quantity=2, salary=120_000, benefits_multiplier=1.25, start_month="2024-03"),
        plan(quantity=9, salary=100_000, start_month="2023-05"),
    ]
    with_plan = run(build_inputs(assumptions=simple(), plans=plans)).summary["monthly"]
    without = run(build_inputs(assumptions=simple())).summary["monthly"]
    full = 2 * 120_000 * 1.25 / 12
    expected = [0, 0, full / 3, full * 2 / 3, full, full, full]
    for key, cost in zip(list(with_plan)[:7], expected, strict=True):
        assert with_plan[key]["headcountCost"] == pytest.approx(cost, abs=0.005)
        assert with_plan[key]["opex"] - without[key]["opex"] == pytest.approx(cost, abs=0.01)
    assert with_plan["2024-03"]["headcount"] == 2


def test_headcount_plans_end_and_missing_salary_or_multiplier_are_disclosed() -> None:
    plans = [
        plan(quantity=1, salary=None, start_month="2024-02"),
        plan(
            quantity=1,
            salary=60_000,
            benefits_multiplier=None,
            start_month="2024-02",
            end_month="2024-03",
            ramp_months=0,
        ),
    ]
    result = run(build_inputs(assumptions=simple(), plans=plans))
    monthly = list(result.summary["monthly"].values())
    assert [m["headcountCost"] for m in monthly[:5]] == [0, 6_500, 6_500, 0, 0]
    assert [m["headcount"] for m in monthly[:5]] == [0, 2, 2, 1, 1]
    assert "1 headcount plan(s) have no salary; their cost is 0" in result.summary["warnings"]
    assert "1 headcount plan(s) have no benefits multiplier; 1.3 used" in result.summary["warnings"]


def test_hiring_plan_costs_recur_every_month_from_their_start() -> None:
    hiring = [{"month": 3, "salary": 60_000}, {"month": 2, "salary": 3_000, "quantity": 2}]
    monthly = list(
        run(build_inputs(assumptions=simple(hiringPlan=hiring))).summary["monthly"].values()
    )
    assert [m["headcountCost"] for m in monthly] == [0, 6_000] + [11_000] * 10
    assert [m["headcount"] for m in monthly[:3]] == [0, 2, 3]


def test_people_costs_apply_only_in_forecast_months() -> None:
    mi = build_inputs(
        assumptions=simple(hiringPlan=[{"month": 1, "salary": 120_000}]),
        manual={"2024-03": {"revenue": 12_345}},
    )
    monthly = run(mi).summary["monthly"]
    assert monthly["2024-02"]["headcountCost"] == 10_000
    assert monthly["2024-03"]["headcountCost"] == 0
    assert monthly["2024-03"]["opex"] == 30_000
    assert monthly["2024-04"]["headcountCost"] == 10_000


def test_tax_uses_the_nol_balance_then_taxes_the_rest() -> None:
    mi = build_inputs(
        assumptions={
            "initialCash": 0,
            "baselineRevenue": 20_000,
            "baselineExpenses": 10_000,
            "cogsPercentage": 0,
            "nolBalance": 15_000,
            "depreciationRate": 0,
        }
    )
    monthly = list(run(mi).summary["monthly"].values())
    assert [m["ebt"] for m in monthly[:3]] == [10_000, 10_000, 10_000]
    assert [m["incomeTax"] for m in monthly[:3]] == [0, 1_250, 2_500]


def test_losses_build_the_nol_that_later_profits_use() -> None:
    manual = {"2024-01": {"revenue": 0.0}}
    mi = build_inputs(
        assumptions={
            "initialCash": 10,
            "baselineRevenue": 20_000,
            "baselineExpenses": 10_000,
            "cogsPercentage": 0,
            "depreciationRate": 0,
        },
        manual=manual,
    )
    monthly = list(run(mi).summary["monthly"].values())
    assert monthly[0]["ebt"] == -10_000 and monthly[0]["incomeTax"] == 0
    assert monthly[1]["incomeTax"] == 0
    assert monthly[2]["incomeTax"] == 2_500


# --- summary ---------------------------------------------------------------------------------

MONTHLY_KEYS = {
    "revenue", "cogs", "grossProfit", "grossMargin", "opex", "operatingExpenses", "expenses",
    "ebitda", "depreciation", "ebit", "interestExpense", "ebt", "incomeTax", "netIncome",
    "headcount", "headcountCost", "workingCapitalChange", "operatingCashFlow", "capex",
    "investingCashFlow", "financingCashFlow", "netCashFlow", "endingCash", "cash", "cashBalance",
    "burnRate", "runwayMonths", "source",
}  # fmt: skip
KPI_KEYS = {
    "ltv", "cac", "ltvCacRatio", "ltvCac", "paybackPeriod", "nrr", "grr", "ruleOf40",
    "burnMultiple", "magicNumber", "opex", "headcount", "activeCustomers", "churnRate",
}  # fmt: skip


def test_summary_has_exactly_the_contract_keys_and_no_metrics() -> None:
    result = run(rich_inputs())
    summary = result.summary
    assert set(summary) == SUMMARY_KEYS
    assert "metrics" not in summary and "fullResult" not in summary
    assert set(summary["kpis"]) == KPI_KEYS
    for key in (
        "valuation",
        "lbo",
        "accretionDilution",
        "valuationSummary",
        "sensitivities",
        "currentPrice",
        "nrr",
    ):
        assert summary[key] is None
    assert summary["marketImplications"] == [] and summary["varianceBridge"] == []
    assert all(set(m) == MONTHLY_KEYS for m in summary["monthly"].values())
    assert list(summary["monthly"]) == result.months
    assert result.start_month == summary["startMonth"] == "2024-01"
    assert summary["forecastMonths"] == 24 == len(result.months)


def test_statements_have_monthly_and_annual_blocks_with_the_contract_lines() -> None:
    statements = run(rich_inputs()).summary["statements"]
    income = statements["incomeStatement"]["monthly"]["2024-01"]
    cash_flow = statements["cashFlow"]["monthly"]["2024-01"]
    balance = statements["balanceSheet"]["monthly"]["2024-01"]
    assert set(income) == {
        "revenue", "cogs", "grossProfit", "grossMargin", "operatingExpenses", "depreciation",
        "ebitda", "ebit", "interestExpense", "ebt", "incomeTax", "netIncome",
    }  # fmt: skip
    assert set(cash_flow) == {
        "netIncome", "depreciation", "arChange", "apChange", "inventoryChange",
        "workingCapitalChange", "operatingCashFlow", "capex", "investingCashFlow",
        "debtRepayment", "newDebt", "equityFinancing", "financingCashFlow", "netCashFlow",
        "endingCash",
    }  # fmt: skip
    assert set(balance) == {
        "cash", "accountsReceivable", "inventory", "currentAssets", "ppe",
        "accumulatedDepreciation", "fixedAssets", "totalAssets", "accountsPayable",
        "currentLiabilities", "longTermDebt", "totalLiabilities", "commonStock",
        "retainedEarnings", "totalEquity", "balanceCheck", "assets", "liabilities", "equity",
    }  # fmt: skip
    assert set(balance["assets"]) == {"cash", "ar", "ppe", "fixedAssets", "totalAssets"}
    assert set(balance["liabilities"]) == {"ap", "debt", "totalLiabilities"}
    assert set(balance["equity"]) == {"commonStock", "retainedEarnings", "totalEquity"}
    assert cash_flow["inventoryChange"] == cash_flow["newDebt"] == cash_flow["equityFinancing"] == 0
    assert statements["validation"] == {"passed": True, "checks": []}
    assert statements["metadata"]["horizonMonths"] == 24
    assert statements["metadata"]["assumptions"]["taxRate"] == 0.25


def test_annual_statements_sum_the_year_and_copy_the_year_end_balance() -> None:
    statements = run(rich_inputs()).summary["statements"]
    income = statements["incomeStatement"]
    months_2024 = [k for k in income["monthly"] if k.startswith("2024")]
    assert set(income["annual"]) == {"2024", "2025"}
    revenue = sum(income["monthly"][k]["revenue"] for k in months_2024)
    assert income["annual"]["2024"]["revenue"] == pytest.approx(revenue, abs=0.01 * 12)
    annual = income["annual"]["2024"]
    assert annual["grossMargin"] == round(annual["grossProfit"] / annual["revenue"], 2)
    cash_flow = statements["cashFlow"]
    assert (
        cash_flow["annual"]["2024"]["endingCash"] == cash_flow["monthly"]["2024-12"]["endingCash"]
    )
    balance = statements["balanceSheet"]
    assert balance["annual"]["2025"] == balance["monthly"]["2025-12"]


def test_first_year_totals_cover_only_the_first_twelve_months() -> None:
    summary = run(rich_inputs()).summary
    first_year = list(summary["monthly"].values())[:12]
    assert summary["revenue"] == pytest.approx(sum(m["revenue"] for m in first_year), abs=0.06)
    assert summary["totalExpenses"] == pytest.approx(
        sum(m["expenses"] for m in first_year), abs=0.06
    )
    last = list(summary["monthly"].values())[-1]
    assert summary["cashBalance"] == last["endingCash"]
    assert summary["mrr"] == last["revenue"] and summary["arr"] == pytest.approx(
        12 * last["revenue"]
    )
    assert summary["runwayMonths"] == last["runwayMonths"]


def test_every_number_is_finite_and_has_at_most_two_decimals() -> None:
    summary = run(rich_inputs()).summary
    json.dumps(summary, allow_nan=False)
    stack: list[Any] = [summary["monthly"], summary["statements"], summary["kpis"]]
    seen = 0
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, float):
            seen += 1
            assert math.isfinite(node) and round(node, 2) == node
    assert seen > 1_000


def test_result_document_carries_the_run_ids_and_the_summary_numbers() -> None:
    result = run(rich_inputs())
    document = result.document
    assert set(document) == {
        "modelRunId", "modelId", "orgId", "generatedAt", "startMonth", "horizonMonths",
        "assumptionsUsed", "warnings", "monthly", "statements", "kpis",
    }  # fmt: skip
    assert (document["modelRunId"], document["modelId"], document["orgId"]) == (
        "run-1", "model-1", "org-1",
    )  # fmt: skip
    assert document["monthly"] == result.summary["monthly"]
    assert document["horizonMonths"] == 24


def test_metadata_and_echoes_come_from_the_inputs() -> None:
    mi = rich_inputs(params={"horizon": 24, "modelType": "prophet"}, run_type="scenario", version=7)
    summary = run(mi).summary
    assert summary["modelType"] == "prophet"
    assert (summary["runType"], summary["modelVersion"]) == ("scenario", 7)
    assert summary["metadata"] == {
        "dataIngestedAt": "2024-03-01T08:00:00+00:00",
        "source": "finapilot-worker",
        "engineVersion": ENGINE_VERSION,
        "transactionMonthsUsed": 5,
    }
    assert summary["assumptions"] == mi.model_json["assumptions"]
    plain = run(build_inputs(metadata={"startMonth": "2024-01", "modelType": "custom"})).summary
    assert plain["modelType"] == "custom"
    assert plain["metadata"]["dataIngestedAt"] == GENERATED_AT
    default = run(build_inputs()).summary
    assert default["modelType"] == "3-statement"


# --- KPIs: formulas, and null instead of invented numbers ------------------------------------


def test_unit_economics_follow_the_contract_formulas() -> None:
    mi = build_inputs(
        assumptions=simple(
            baselineExpenses=5_000, cogsPercentage=0.2, churnRate=0.05, customerCount=100, cac=200
        )
    )
    summary = run(mi).summary
    arpu, margin = 100.0, 0.8
    assert summary["ltv"] == pytest.approx(min(arpu * margin / 0.05, 60 * arpu * margin))
    assert summary["paybackPeriod"] == pytest.approx(200 / (arpu * margin))
    assert summary["ltvCacRatio"] == summary["kpis"]["ltvCac"] == pytest.approx(1_600 / 200)
    assert summary["grr"] == pytest.approx(95.0)
    assert summary["nrr"] is None


def test_ltv_is_capped_at_sixty_months_of_margin_when_churn_is_zero() -> None:
    mi = build_inputs(
        assumptions=simple(churnRate=0, customerCount=50, cac=100, cogsPercentage=0.5)
    )
    summary = run(mi).summary
    assert summary["ltv"] == pytest.approx(60 * (10_000 / 50) * 0.5)


@pytest.mark.parametrize(
    ("assumptions", "null_keys"),
    [
        ({}, {"ltv", "cac", "ltvCacRatio", "paybackPeriod", "grr", "churnRate", "customerCount",
              "activeCustomers", "magicNumber"}),
        ({"customerCount": 100}, {"ltv", "cac", "ltvCacRatio", "paybackPeriod", "grr"}),
        ({"customerCount": 100, "churnRate": 0.05}, {"cac", "ltvCacRatio", "paybackPeriod"}),
        ({"cac": 300, "churnRate": 0.05}, {"ltv", "ltvCacRatio", "paybackPeriod"}),
        ({"cac": 300, "customerCount": 0, "churnRate": 0.05}, {"ltv", "ltvCacRatio",
                                                                 "paybackPeriod"}),
        ({"cac": 0, "customerCount": 10, "churnRate": 0.05}, {"ltvCacRatio"}),
        ({"ltv": 5_000, "cac": 250}, {"paybackPeriod", "grr"}),
    ],
)  # fmt: skip
def test_kpis_are_null_when_an_input_is_missing_or_a_divisor_is_not_positive(
    assumptions: dict[str, Any], null_keys: set[str]
) -> None:
    summary = run(build_inputs(assumptions=simple(**assumptions))).summary
    for key in null_keys:
        assert summary[key] is None, key
        if key in summary["kpis"]:
            assert summary["kpis"][key] is None, key
    for key in {"ltv", "cac", "ltvCacRatio", "paybackPeriod", "grr"} - null_keys:
        assert isinstance(summary[key], float), key


def test_explicit_ltv_is_used_as_given() -> None:
    summary = run(build_inputs(assumptions=simple(ltv=5_000, cac=250))).summary
    assert (summary["ltv"], summary["ltvCacRatio"]) == (5_000, 20)


def test_rule_of_40_annualises_the_growth_factor() -> None:
    mi = build_inputs(assumptions=simple(revenueGrowth=0.02, baselineExpenses=8_000))
    summary = run(mi).summary
    annual_growth = (1.02**12 - 1) * 100
    ebitda_margin = summary["ebitda"] / summary["revenue"]  # unrounded, unlike ebitdaMargin
    assert summary["ruleOf40"] == pytest.approx(annual_growth + ebitda_margin * 100, abs=0.01)


def test_burn_multiple_is_zero_without_burn_null_without_growth_else_burn_over_new_arr() -> None:
    profitable = run(build_inputs(assumptions=simple(baselineExpenses=5_000))).summary
    assert profitable["burnMultiple"] == 0
    flat = run(build_inputs(assumptions=simple())).summary
    assert flat["burnMultiple"] is None
    mi = build_inputs(assumptions=simple(revenueGrowth=0.05))
    growing = run(mi).summary
    monthly = list(growing["monthly"].values())
    new_arr = (monthly[11]["revenue"] - monthly[0]["revenue"]) * 12
    burn = sum(m["burnRate"] for m in monthly)
    assert growing["burnMultiple"] == pytest.approx(burn / new_arr, abs=0.01)


def test_magic_number_needs_marketing_and_six_months() -> None:
    mi = build_inputs(assumptions=simple(revenueGrowth=0.05, marketing=2_000))
    summary = run(mi).summary
    revenue = [m["revenue"] for m in summary["monthly"].values()]
    expected = 4 * (np.mean(revenue[-3:]) - np.mean(revenue[-6:-3])) / 2_000
    assert summary["magicNumber"] == pytest.approx(expected, abs=0.01)
    short = build_inputs(assumptions=simple(marketing=2_000), params={"horizon": 5})
    assert run(short).summary["magicNumber"] is None
    assert run(build_inputs(assumptions=simple())).summary["magicNumber"] is None


def test_runway_from_start_interpolates_the_month_cash_runs_out() -> None:
    summary = run(build_inputs(assumptions=simple())).summary
    # −20 000 a month from 100 000: zero at the end of month 5 (index 4).
    assert summary["runwayFromStartMonths"] == 5.0
    assert summary["cashOutMonth"] == "2024-05"
    assert summary["runwayMonths"] == 0


def test_runway_beyond_the_horizon_extends_by_cash_over_burn_or_is_999() -> None:
    rich = simple(initialCash=1_000_000)
    summary = run(build_inputs(assumptions=rich)).summary
    assert summary["cashOutMonth"] is None
    assert summary["runwayFromStartMonths"] == pytest.approx(12 + 760_000 / 20_000)
    assert summary["runwayMonths"] == pytest.approx(760_000 / 20_000)
    profitable = run(build_inputs(assumptions=simple(baselineExpenses=5_000))).summary
    assert profitable["runwayFromStartMonths"] == 999 and profitable["runwayMonths"] == 999


def test_levels_are_never_invented_when_ledger_and_assumptions_are_silent() -> None:
    ledger = [
        ledger_row("2023-12", "Sales", inflow=12_000),
        ledger_row("2023-12", "Rent", outflow=9_000),
    ]
    summary = run(build_inputs(assumptions={"initialCash": 50_000}, ledger=ledger)).summary
    used = summary["assumptionsUsed"]
    assert used["baseRevenue"] == {"value": 12_000, "source": "ledger"}
    assert used["baseExpenses"] == {"value": 9_000, "source": "ledger"}
    assert summary["monthly"]["2024-01"]["revenue"] == 12_000
    assert summary["customerCount"] is None and summary["cac"] is None
