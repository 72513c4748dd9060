"""A new model's starting assumptions (CONTRACT-2 §2.9), pure: answers and ledger in, assumptions,
sources and missing levels out; nothing is invented."""

from __future__ import annotations

from typing import Any

import pytest

from app.errors import InvalidParams
from app.finance.auto_answers import Answers
from app.finance.auto_assumptions import flat_rate, generate, merge, start_month
from tests.finance.conftest import ledger_row

START = "2025-07"
#: Six months of ledger before the start: revenue 10k → 15k, expenses 8k a month.
LEDGER = [
    ledger_row(f"2025-0{m}", "sales", inflow=10_000 + 1_000 * (m - 1)) for m in range(1, 7)
] + [ledger_row(f"2025-0{m}", "payroll", outflow=8_000) for m in range(1, 7)]


def _gen(params: dict[str, Any], ledger=LEDGER, start: str = START):
    return generate(Answers.from_params(params), ledger, start)


def test_the_users_answers_win_and_starting_revenue_is_monthly():
    g = _gen({"startingMrr": 20_000, "startingRevenue": 99_000, "cashOnHand": 300_000})
    assert g.values["revenue.baselineRevenue"] == 20_000 == g.values["revenue.mrr"]
    assert g.values["revenue.arr"] == 240_000
    assert g.sources["revenue.mrr"] == "user" and g.sources["cash.initialCash"] == "user"
    monthly = _gen({"startingRevenue": 12_000, "cashOnHand": 1})
    assert monthly.values["revenue.mrr"] == 12_000  # DECISION-7: never divided by 12


def test_without_answers_the_ledger_gives_the_levels_and_the_growth():
    g = _gen({"cashOnHand": 50_000})
    assert g.values["revenue.baselineRevenue"] == pytest.approx(14_000)  # mean of the last 3
    assert g.sources["revenue.baselineRevenue"] == "ledger"
    assert g.values["costs.baselineExpenses"] == pytest.approx(8_000)
    assert g.values["revenue.revenueGrowth"] == pytest.approx((15 / 10) ** (1 / 5) - 1)
    assert g.sources["revenue.revenueGrowth"] == "ledger"
    assert g.transaction_count == 12 and g.missing == ()


def test_no_level_is_invented_when_neither_the_user_nor_the_ledger_gives_one():
    g = _gen({}, ledger=[])
    assert g.missing == ("cash.initialCash", "revenue.baselineRevenue", "costs.baselineExpenses")
    invented = {"revenue.baselineRevenue", "revenue.mrr", "revenue.customerCount", "revenue.aov"}
    assert invented.isdisjoint(g.values)
    assert {"costs.baselineExpenses", "cash.initialCash", "unitEconomics.cac"}.isdisjoint(g.values)
    assert {"costs.payroll", "costs.marketing", "costs.infrastructure"}.isdisjoint(g.values)
    # Only rates default, and each says so.
    assert {p for p, s in g.sources.items() if s == "default"} == {
        "revenue.revenueGrowth",
        "revenue.churnRate",
        "costs.expenseGrowth",
        "costs.cogsRatio",
        "costs.taxRate",
    }


@pytest.mark.parametrize(
    ("business", "growth", "churn"),
    [("saas", 0.12, 0.03), ("ecommerce", 0.18, 0.10), ("services", 0.06, 0.05),
     ("mixed", 0.12, 0.03), ("Technology", 0.15, 0.04)],
)  # fmt: skip
def test_rate_defaults_follow_the_business_type(business, growth, churn):
    g = _gen({"businessType": business}, ledger=[])
    assert (g.values["revenue.revenueGrowth"], g.values["revenue.churnRate"]) == (growth, churn)


def test_retention_sets_churn_clamped_and_costs_split_only_as_the_user_gave_them():
    g = _gen({"retentionRate": 97, "majorCosts": {"payroll": 30_000, "marketing": 5_000}})
    assert g.values["revenue.churnRate"] == pytest.approx(0.03)
    assert g.sources["revenue.churnRate"] == "user"
    assert g.values["costs.baselineExpenses"] == 35_000
    assert (g.values["costs.payroll"], g.values["costs.marketing"]) == (30_000, 5_000)
    assert "costs.infrastructure" not in g.values
    over = Answers.from_params({"retentionRate": 130})
    assert generate(over, [], START).values["revenue.churnRate"] == 0
    assert over.warnings and "clamped" in over.warnings[0]


def test_aov_comes_from_the_user_or_from_revenue_per_customer():
    assert _gen({"startingMrr": 10_000, "startingCustomers": 40}).values["revenue.aov"] == 250
    assert (
        _gen({"startingMrr": 10_000, "startingCustomers": 40}).sources["revenue.aov"] == "derived"
    )
    assert "revenue.aov" not in _gen({"startingMrr": 10_000, "startingCustomers": 0}).values


def test_data_and_user_values_overwrite_defaults_fill_only_gaps_other_keys_stay():
    stored = {
        "initialCash": 500_000,  # a template's invented flat level: the user's value must win
        "revenue": {"revenueGrowth": 0.02, "note": "kept"},
        "costs": 5,
        "custom": {"x": 1},
    }
    g = _gen({"cashOnHand": 80_000})
    merged, sources, warnings = merge(stored, g)
    assert merged["initialCash"] == 80_000 == merged["cash"]["initialCash"]
    assert merged["revenue"]["revenueGrowth"] == g.values["revenue.revenueGrowth"]  # from data
    assert sources["revenue.revenueGrowth"] == "ledger"
    assert merged["revenue"]["note"] == "kept" and merged["custom"] == {"x": 1}
    assert merged["costs"]["taxRate"] == 0.25
    assert any("assumptions.costs was not an object" in w for w in warnings)
    assert any("assumptions.initialCash is replaced" in w for w in warnings)
    no_ledger = _gen({}, ledger=[])
    kept, kept_sources, _ = merge({"revenue": {"revenueGrowth": 0.02}}, no_ledger)
    assert (
        kept["revenue"]["revenueGrowth"] == 0.02
        and kept_sources["revenue.revenueGrowth"] == "model"
    )
    assert flat_rate(kept, "revenueGrowth") == 0.02


def test_manual_assumptions_replace_top_level_keys_and_say_what_is_still_missing():
    manual = {"revenue": {"mrr": 9_000}, "costs": {"payroll": 4_000}, "revenueGrowth": 0.01}
    g = _gen({"assumptions": manual}, ledger=[])
    assert g.sources == {"*": "user"} and g.missing == ("cash.initialCash",)
    merged, _, _ = merge({"revenue": {"aov": 3}, "other": 1}, g)
    assert merged == {
        "revenue": {"mrr": 9_000},
        "costs": {"payroll": 4_000},
        "revenueGrowth": 0.01,
        "other": 1,
    }
    with_cash = _gen({"assumptions": {**manual, "cash": 1_000}}, ledger=[])
    assert with_cash.missing == ()


def test_the_start_month_is_the_models_else_after_the_ledger_else_its_creation():
    assert start_month({"startMonth": "2026-02"}, LEDGER, "2020-01") == "2026-02"
    assert start_month({"start_month": "2026-03-01"}, LEDGER, "2020-01") == "2026-03"
    assert start_month({"startMonth": "soon"}, LEDGER, "2020-01") == "2025-07"
    assert start_month({}, [], "2020-01") == "2020-01"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cashOnHand": "lots"}, "params.cashOnHand must be a number"),
        ({"cashOnHand": -5}, "params.cashOnHand must be a number"),
        ({"cashOnHand": float("nan")}, "params.cashOnHand must be a number"),
        ({"startingMrr": 1e300}, "params.startingMrr must be a number"),
        ({"startingCustomers": 2.5}, "params.startingCustomers must be a whole number"),
        ({"retentionRate": "high"}, "params.retentionRate must be a percentage"),
        ({"majorCosts": [1, 2]}, "params.majorCosts must be an object"),
        ({"majorCosts": {"payroll": "x"}}, "params.majorCosts.payroll must be a number"),
        ({"acquisitionEfficiency": {"caac": -1}}, "acquisitionEfficiency.caac must be a number"),
        ({"hiringPlan": "three engineers"}, "params.hiringPlan must be a list"),
        ({"hiringPlan": [1]}, "params.hiringPlan must hold one object per hire"),
        ({"assumptions": "lots"}, "params.assumptions must be an object"),
        ({"assumptions": {"x": float("inf")}}, "params.assumptions holds a number that is not"),
        ({"assumptions": {"x": 10**400}}, "params.assumptions holds a number that is not"),
    ],
)
def test_an_answer_that_is_given_but_unusable_is_an_input_error(params, message):
    with pytest.raises(InvalidParams, match=message):
        Answers.from_params(params)
