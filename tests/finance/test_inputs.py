"""Input resolution: timeline (§5.1.2), lookups (§5.1.3) and per-month sources (§5.1.4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.errors import InsufficientData, InvalidParams
from app.finance.inputs import DriverInput, is_cogs_category, resolve_inputs
from tests.finance.conftest import build_inputs, ledger_row, plan, rich_inputs

# --- timeline --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "metadata", "expected"),
    [
        ({}, {"startMonth": "2024-01"}, 12),
        ({"horizon": 1}, {"startMonth": "2024-01"}, 3),
        ({"horizon": 0}, {"startMonth": "2024-01"}, 3),
        ({"horizon": -5}, {"startMonth": "2024-01"}, 3),
        ({"horizon": 3}, {"startMonth": "2024-01"}, 3),
        ({"horizon": 36}, {"startMonth": "2024-01"}, 36),
        ({"horizon": 40}, {"startMonth": "2024-01"}, 36),
        ({"horizon": 18.0}, {"startMonth": "2024-01"}, 18),
        ({"horizon": "24"}, {"startMonth": "2024-01"}, 24),
        ({"horizon": "3months"}, {"startMonth": "2024-01"}, 3),
        ({"horizon": "6months"}, {"startMonth": "2024-01"}, 6),
        ({"horizon": "9months"}, {"startMonth": "2024-01"}, 9),
        ({"horizon": "12months"}, {"startMonth": "2024-01"}, 12),
        ({"horizon": "18months"}, {"startMonth": "2024-01"}, 18),
        ({"horizon": "24months"}, {"startMonth": "2024-01"}, 24),
        ({"horizon": "36months"}, {"startMonth": "2024-01"}, 36),
        ({"forecast_horizon": "18months"}, {"startMonth": "2024-01"}, 18),
        ({"forecastMonths": 9}, {"startMonth": "2024-01"}, 9),
        ({"horizon": 6, "forecastMonths": 9}, {"startMonth": "2024-01"}, 6),
        ({}, {"startMonth": "2024-01", "forecastDuration": 24}, 24),
        ({}, {"startMonth": "2024-01", "duration": "36 months"}, 36),
        ({}, {"startMonth": "2024-01", "forecastDuration": 24, "duration": "6"}, 24),
        ({"horizon": 6}, {"startMonth": "2024-01", "forecastDuration": 24}, 6),
        ({}, {"startMonth": "2024-01", "forecastDuration": 48}, 36),
    ],
)
def test_horizon_follows_the_lookup_order_and_is_clamped_to_3_36(
    params: dict[str, Any], metadata: dict[str, Any], expected: int
) -> None:
    res = resolve_inputs(build_inputs(params=params, metadata=metadata))
    assert res.horizon == expected
    assert len(res.months) == expected
    assert res.months[0] == "2024-01"


@pytest.mark.parametrize("bad", ["forever", {"months": 12}, [12], True])
def test_an_unreadable_run_horizon_is_an_input_error(bad: object) -> None:
    with pytest.raises(InvalidParams, match="params_json.horizon is not a number of months"):
        resolve_inputs(build_inputs(params={"horizon": bad}, metadata={"startMonth": "2024-01"}))


def test_an_unreadable_model_duration_is_skipped_with_a_warning() -> None:
    res = resolve_inputs(
        build_inputs(metadata={"startMonth": "2024-01", "forecastDuration": "forever"})
    )
    assert res.horizon == 12
    assert "metadata.forecastDuration is not a horizon in months; ignored" in res.warnings


@pytest.mark.parametrize(
    ("metadata", "params", "ledger_months", "expected"),
    [
        ({"startMonth": "2024-05"}, {"startMonth": "2023-01"}, ["2024-08"], "2024-05"),
        ({"start_month": "2024-06"}, {"startMonth": "2023-01"}, ["2024-08"], "2024-06"),
        ({"startMonth": "2024-05-17"}, {}, [], "2024-05"),
        ({}, {"startMonth": "2023-02"}, ["2024-08"], "2023-02"),
        ({}, {}, ["2024-03", "2024-08", "2023-12"], "2024-09"),
        ({}, {}, ["2024-12"], "2025-01"),
        ({}, {}, [], "2023-06"),
        ({"startMonth": "next spring"}, {}, [], "2023-06"),
    ],
)
def test_start_month_is_metadata_then_params_then_after_the_ledger_then_model_creation(
    metadata: dict[str, Any], params: dict[str, Any], ledger_months: list[str], expected: str
) -> None:
    ledger = [ledger_row(m, inflow=1_000) for m in ledger_months]
    res = resolve_inputs(
        build_inputs(metadata=metadata, params=params, ledger=ledger, created_month="2023-06")
    )
    assert res.start_month == expected
    assert res.months[0] == expected


def test_an_invalid_start_month_is_disclosed_in_the_warnings() -> None:
    res = resolve_inputs(build_inputs(metadata={"startMonth": "next spring"}))
    assert "metadata.startMonth is not a YYYY-MM month; ignored" in res.warnings


def test_months_cross_the_year_boundary() -> None:
    res = resolve_inputs(build_inputs(metadata={"startMonth": "2024-11"}, params={"horizon": 3}))
    assert res.months == ("2024-11", "2024-12", "2025-01")


# --- permanent errors ------------------------------------------------------------------------


def test_no_initial_cash_is_a_permanent_insufficient_data_error() -> None:
    with pytest.raises(InsufficientData, match="^no initial cash$") as caught:
        resolve_inputs(build_inputs(assumptions={"baselineRevenue": 1, "baselineExpenses": 1}))
    assert caught.value.last_error() == "InsufficientData: no initial cash"
    assert caught.value.retryable is False


def test_cash_on_hand_of_zero_in_params_means_not_provided() -> None:
    mi = build_inputs(
        assumptions={"baselineRevenue": 1, "baselineExpenses": 1},
        params={"cashOnHand": 0},
    )
    with pytest.raises(InsufficientData, match="no initial cash"):
        resolve_inputs(mi)


def test_no_revenue_baseline_is_a_permanent_error() -> None:
    with pytest.raises(InsufficientData, match="no revenue baseline"):
        resolve_inputs(build_inputs(assumptions={"initialCash": 10, "baselineExpenses": 1}))


def test_no_expense_baseline_is_a_permanent_error() -> None:
    with pytest.raises(InsufficientData, match="no expense baseline"):
        resolve_inputs(build_inputs(assumptions={"initialCash": 10, "baselineRevenue": 1}))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"churnRate": 1.0}, r"assumptions.churnRate must be in \[0, 1\)"),
        ({"churnRate": -0.1}, r"assumptions.churnRate must be in \[0, 1\)"),
        ({"revenueGrowth": -1.0}, r"assumptions.revenueGrowth must be in \(-1, 10\]"),
        ({"expenseGrowth": -2}, r"assumptions.expenseGrowth must be in \(-1, 10\]"),
    ],
)
def test_rates_outside_their_meaningful_range_are_invalid_params(
    extra: dict[str, Any], message: str
) -> None:
    assumptions = {"initialCash": 10, "baselineRevenue": 1, "baselineExpenses": 1, **extra}
    with pytest.raises(InvalidParams, match=message):
        resolve_inputs(build_inputs(assumptions=assumptions))


# --- lookups ---------------------------------------------------------------------------------


def test_initial_cash_lookup_order_is_overrides_then_params_then_assumptions() -> None:
    assumptions = {"initialCash": 1, "baselineRevenue": 1, "baselineExpenses": 1}
    both = {"overrides": {"cash": {"initial": 300}, "initialCash": 200}, "cashOnHand": 100}
    assert resolve_inputs(build_inputs(assumptions=assumptions, params=both)).initial_cash == 300
    flat = {"overrides": {"initialCash": 200}, "cashOnHand": 100}
    assert resolve_inputs(build_inputs(assumptions=assumptions, params=flat)).initial_cash == 200
    res = resolve_inputs(build_inputs(assumptions=assumptions, params={"cashOnHand": 100}))
    assert res.initial_cash == 100
    assert res.assumptions_used["initialCash"] == {"value": 100, "source": "params"}
    res = resolve_inputs(build_inputs(assumptions=assumptions))
    assert res.assumptions_used["initialCash"] == {"value": 1, "source": "assumption"}


@pytest.mark.parametrize(
    ("assumptions", "expected"),
    [
        ({"cash": {"initialCash": 70}}, 70),
        ({"cashOnHand": 60}, 60),
        ({"cash": 50}, 50),
        ({"cash": "40.5"}, 40.5),
        ({"initialCash": 0, "cash": 50}, 0),
        ({"initialCash": "", "cash": 50}, 50),
    ],
)
def test_initial_cash_accepts_nested_numeric_strings_and_an_explicit_zero(
    assumptions: dict[str, Any], expected: float
) -> None:
    res = resolve_inputs(
        build_inputs(assumptions={"baselineRevenue": 1, "baselineExpenses": 1, **assumptions})
    )
    assert res.initial_cash == expected


def test_a_non_numeric_value_fails_naming_the_field_instead_of_falling_through() -> None:
    assumptions = {"initialCash": "lots", "cash": 50, "baselineRevenue": 1, "baselineExpenses": 1}
    with pytest.raises(InvalidParams) as info:
        resolve_inputs(build_inputs(assumptions=assumptions))
    assert info.value.message == "assumptions.initialCash must be a finite number"


def test_starting_customers_in_params_count_only_when_positive() -> None:
    assumptions = {**_BASE, "customers": 40}
    res = resolve_inputs(build_inputs(assumptions=assumptions, params={"startingCustomers": 0}))
    assert res.customer_count == 40
    res = resolve_inputs(build_inputs(assumptions=assumptions, params={"startingCustomers": 75}))
    assert res.assumptions_used["customerCount"] == {"value": 75, "source": "params"}


_BASE = {"initialCash": 1_000, "baselineRevenue": 10_000, "baselineExpenses": 8_000}


def test_rate_defaults_are_used_and_disclosed_with_source_default() -> None:
    res = resolve_inputs(build_inputs(assumptions=_BASE))
    used = res.assumptions_used
    expected_defaults = {
        "revenueGrowth": 0.0,
        "expenseGrowth": 0.0,
        "cogsPercentage": 0.20,
        "taxRate": 0.25,
        "arDays": 0.0,
        "apDays": 0.0,
        "capexPercentage": 0.0,
        "depreciationRate": 0.02,
        "ppe": 0.0,
        "debt": 0.0,
        "interestRate": 0.08,
        "debtRepaymentRate": 0.01,
        "nolBalance": 0.0,
        "revenueMultiplier": 1.0,
        "expenseMultiplier": 1.0,
        "baseHeadcount": 0.0,
    }
    for name, value in expected_defaults.items():
        assert used[name] == {"value": value, "source": "default"}, name
    for name in ("customerCount", "cac", "ltv", "marketing", "churnRate", "baseChurnRate"):
        assert used[name] == {"value": None, "source": "default"}, name
    assert set(used) >= {"initialCash", "baseRevenue", "baseExpenses"}


def test_any_flat_numeric_override_replaces_the_assumption_of_the_same_name() -> None:
    assumptions = {**_BASE, "cac": 500, "taxRate": 0.3, "headcount": 4}
    params = {"overrides": {"cac": 650, "taxRate": 0.21, "headcount": 7}}
    res = resolve_inputs(build_inputs(assumptions=assumptions, params=params))
    assert (res.cac, res.tax_rate, res.base_headcount) == (650, 0.21, 7)
    assert res.assumptions_used["cac"]["source"] == "override"


def test_churn_override_changes_only_the_effective_churn_not_the_base() -> None:
    assumptions = {**_BASE, "churnRate": 0.02, "revenueGrowth": 0.05}
    params = {"overrides": {"churnRate": 0.04}}
    res = resolve_inputs(build_inputs(assumptions=assumptions, params=params))
    assert res.base_churn == 0.02
    assert res.churn_rate == 0.04
    assert res.growth_factor == pytest.approx(1.05 * 0.96 / 0.98)
    nested = resolve_inputs(
        build_inputs(assumptions=assumptions, params={"overrides": {"revenue": {"churn": 0.03}}})
    )
    assert nested.churn_rate == 0.03
    without = resolve_inputs(build_inputs(assumptions=assumptions))
    assert without.growth_factor == pytest.approx(1.05)


def test_revenue_and_expense_multipliers_scale_the_baselines() -> None:
    params = {"overrides": {"revenue": {"baseline": 1.2}, "costs": {"baseline": 0.5}}}
    res = resolve_inputs(build_inputs(assumptions=_BASE, params=params))
    assert res.opening_revenue == pytest.approx(12_000)
    assert res.opening_expenses == pytest.approx(4_000)
    assert res.assumptions_used["revenueMultiplier"] == {"value": 1.2, "source": "override"}


def test_expense_components_sum_when_no_baseline_is_given() -> None:
    assumptions = {
        "initialCash": 1,
        "baselineRevenue": 1,
        "payroll": 10_000,
        "expenses": {"marketing": 2_000},
    }
    params = {"overrides": {"costs": {"payroll": 12_000}}}
    res = resolve_inputs(build_inputs(assumptions=assumptions, params=params))
    assert res.base_expenses == 14_000
    assert res.assumptions_used["baseExpenses"]["source"] == "override"
    plain = resolve_inputs(build_inputs(assumptions=assumptions))
    assert plain.base_expenses == 12_000
    assert plain.assumptions_used["baseExpenses"]["source"] == "assumption"


def test_cost_overrides_do_not_change_ledger_expenses_and_say_so() -> None:
    ledger = [
        ledger_row("2023-12", "Sales", inflow=10_000),
        ledger_row("2023-12", "Rent", outflow=7_000),
    ]
    params = {"overrides": {"costs": {"payroll": 99_999}}}
    res = resolve_inputs(build_inputs(assumptions={"initialCash": 1}, ledger=ledger, params=params))
    assert res.base_expenses == 7_000
    assert any(
        "overrides.costs.payroll does not change baseline expenses" in w for w in res.warnings
    )


# --- ledger baseline -------------------------------------------------------------------------


def test_ledger_baseline_is_the_mean_of_the_last_three_months_with_transactions() -> None:
    ledger = [
        ledger_row("2023-06", "Sales", inflow=1_000, outflow=0),
        ledger_row("2023-09", "Sales", inflow=10_000),
        ledger_row("2023-09", "Payroll", outflow=9_000),
        ledger_row("2023-10", "Sales", inflow=12_000),
        ledger_row("2023-10", "Payroll", outflow=9_500),
        ledger_row("2023-12", "Sales", inflow=14_000),
        ledger_row("2023-12", "Payroll", outflow=10_000),
    ]
    res = resolve_inputs(
        build_inputs(assumptions={"initialCash": 1, "baselineRevenue": 5}, ledger=ledger)
    )
    assert res.base_revenue == pytest.approx(12_000)
    assert res.base_expenses == pytest.approx(9_500)
    assert res.assumptions_used["baseRevenue"]["source"] == "ledger"
    assert res.ledger_baseline is True
    assert res.transaction_months_used == 4


def test_the_baseline_window_is_the_twelve_months_before_the_start() -> None:
    ledger = [
        ledger_row("2022-12", "Sales", inflow=99_000),
        ledger_row("2023-01", "Sales", inflow=20_000),
        ledger_row("2024-03", "Sales", inflow=77_000),
    ]
    res = resolve_inputs(
        build_inputs(assumptions={"initialCash": 1, "baselineExpenses": 1}, ledger=ledger)
    )
    assert res.base_revenue == 20_000
    assert res.sources[2] == "actual"


def test_an_empty_window_falls_back_to_all_months_before_the_start() -> None:
    ledger = [
        ledger_row("2021-05", "Sales", inflow=8_000),
        ledger_row("2021-06", "Sales", inflow=9_000),
    ]
    res = resolve_inputs(
        build_inputs(assumptions={"initialCash": 1, "baselineExpenses": 1}, ledger=ledger)
    )
    assert res.base_revenue == pytest.approx(8_500)
    assert res.ledger_baseline is True


def test_an_override_beats_the_ledger_and_the_ledger_beats_assumptions() -> None:
    ledger = [ledger_row("2023-12", "Sales", inflow=10_000)]
    assumptions = {"initialCash": 1, "baselineRevenue": 3, "baselineExpenses": 1}
    res = resolve_inputs(build_inputs(assumptions=assumptions, ledger=ledger))
    assert res.base_revenue == 10_000
    params = {"overrides": {"baselineRevenue": 4_000}}
    res = resolve_inputs(build_inputs(assumptions=assumptions, ledger=ledger, params=params))
    assert res.assumptions_used["baseRevenue"] == {"value": 4_000, "source": "override"}


def test_ledger_cagr_uses_first_and_last_positive_months_and_calendar_distance() -> None:
    ledger = [
        ledger_row("2023-08", "Sales", inflow=10_000),
        ledger_row("2023-09", "Sales", inflow=0, outflow=5, count=2),
        ledger_row("2023-11", "Sales", inflow=12_100),
    ]
    res = resolve_inputs(
        build_inputs(assumptions={"initialCash": 1, "baselineExpenses": 1}, ledger=ledger)
    )
    assert res.revenue_growth == pytest.approx(1.21 ** (1 / 3) - 1)
    assert res.assumptions_used["revenueGrowth"]["source"] == "ledger"


def test_ledger_cagr_is_clamped_to_plus_minus_25_percent() -> None:
    up = [
        ledger_row("2023-11", "Sales", inflow=1_000),
        ledger_row("2023-12", "Sales", inflow=9_000),
    ]
    down = [
        ledger_row("2023-11", "Sales", inflow=9_000),
        ledger_row("2023-12", "Sales", inflow=1_000),
    ]
    base = {"initialCash": 1, "baselineExpenses": 1}
    assert resolve_inputs(build_inputs(assumptions=base, ledger=up)).revenue_growth == 0.25
    assert resolve_inputs(build_inputs(assumptions=base, ledger=down)).revenue_growth == -0.25


def test_a_single_positive_month_gives_no_cagr_and_growth_defaults_to_zero() -> None:
    ledger = [ledger_row("2023-12", "Sales", inflow=1_000)]
    res = resolve_inputs(
        build_inputs(assumptions={"initialCash": 1, "baselineExpenses": 1}, ledger=ledger)
    )
    assert res.assumptions_used["revenueGrowth"] == {"value": 0.0, "source": "default"}


@pytest.mark.parametrize(
    ("category", "is_cogs"),
    [
        ("COGS - materials", True),
        ("Web hosting", True),
        ("AWS", True),
        ("stripe fees", True),
        ("Infrastructure", True),
        ("Cost of revenue", True),
        ("Payroll", False),
        ("Marketing", False),
        (None, False),
        ("", False),
    ],
)
def test_cost_categories_are_cogs_by_case_insensitive_substring_else_opex(
    category: str | None, is_cogs: bool
) -> None:
    assert is_cogs_category(category) is is_cogs


def test_cogs_share_comes_from_the_ledger_window_and_is_clamped() -> None:
    ledger = [
        ledger_row("2023-11", "Sales", inflow=10_000),
        ledger_row("2023-11", "AWS", outflow=1_500),
        ledger_row("2023-12", "Sales", inflow=10_000),
        ledger_row("2023-12", "Hosting", outflow=2_500),
        ledger_row("2023-12", "Rent", outflow=4_000),
    ]
    res = resolve_inputs(build_inputs(assumptions={"initialCash": 1}, ledger=ledger))
    assert res.cogs_percentage == pytest.approx(0.2)
    assert res.assumptions_used["cogsPercentage"]["source"] == "ledger"
    heavy = [ledger_row("2023-12", "Sales", inflow=100), ledger_row("2023-12", "COGS", outflow=500)]
    assert (
        resolve_inputs(build_inputs(assumptions={"initialCash": 1}, ledger=heavy)).cogs_percentage
        == 1.0
    )


def test_mixed_currencies_and_formula_drivers_are_warned_about() -> None:
    drivers = [
        DriverInput("Revenue", True, False, {"2024-02": 1.0}),
        DriverInput("LTV", False, True, {}),
    ]
    res = resolve_inputs(build_inputs(currencies=["USD", "eur", "USD"], drivers=drivers))
    assert "driver 'Revenue' is formula-based; formulas are not evaluated" in res.warnings
    assert "driver 'LTV' is formula-based; formulas are not evaluated" in res.warnings
    assert any("EUR, USD" in w and "without FX conversion" in w for w in res.warnings)
    assert res.sources[1] == "forecast"


# --- per-month sources -----------------------------------------------------------------------


def test_month_sources_follow_manual_then_actual_then_driver_then_forecast() -> None:
    res = resolve_inputs(rich_inputs())
    by_month = dict(zip(res.months, res.sources, strict=True))
    assert by_month["2024-01"] == "forecast"
    assert by_month["2024-02"] == "actual"
    assert by_month["2024-05"] == "manual"
    assert by_month["2024-07"] == "driver"
    assert by_month["2024-08"] == "forecast"


def test_manual_inputs_beat_actuals_in_the_same_month() -> None:
    manual = {"2024-02": {"revenue": 1.0}}
    res = resolve_inputs(rich_inputs(manual=manual))
    assert res.sources[1] == "manual"
    assert res.given_mask_revenue[1] and not res.given_mask_cogs[1]


def test_driver_months_give_only_the_lines_they_have() -> None:
    drivers = [
        DriverInput("Revenue", False, False, {"2024-03": 5.0}),
        DriverInput(" operating expenses ", False, False, {"2024-03": 7.0, "2024-04": 8.0}),
        DriverInput("Churn", False, False, {"2024-05": 1.0}),
    ]
    res = resolve_inputs(build_inputs(drivers=drivers))
    assert res.sources[2:5] == ("driver", "driver", "forecast")
    assert res.given_revenue[2] == 5.0 and res.given_opex[2] == 7.0
    assert res.given_mask_opex[3] and not res.given_mask_revenue[3]


def test_headcount_counts_new_hires_and_hiring_plan_but_not_existing_staff() -> None:
    plans = [
        plan(quantity=2, start_month="2024-03", end_month="2024-05"),
        plan(quantity=5, start_month="2023-01"),
    ]
    assumptions = {
        **_BASE,
        "headcount": 10,
        "hiringPlan": [{"month": 2, "salary": 60_000, "quantity": 3}],
    }
    res = resolve_inputs(build_inputs(assumptions=assumptions, plans=plans, params={"horizon": 6}))
    assert list(res.headcount) == [10, 13, 15, 15, 15, 13]


def test_numeric_columns_may_arrive_as_decimal() -> None:
    drivers = [DriverInput("revenue", False, False, {"2024-02": Decimal("1234.5000")})]
    plans = [plan(quantity=1, salary=Decimal("120000.0000"), benefits_multiplier=Decimal("1.00"),
                  start_month="2024-01", ramp_months=1)]  # fmt: skip
    ledger = [ledger_row("2023-12", "Sales", inflow=Decimal("10.5"), outflow=Decimal("2.25"))]
    res = resolve_inputs(
        build_inputs(assumptions={"initialCash": 1}, drivers=drivers, plans=plans, ledger=ledger)
    )
    assert res.given_revenue[1] == 1234.5 and res.sources[1] == "driver"
    assert res.headcount_cost[0] == 10_000
    assert (res.base_revenue, res.base_expenses) == (10.5, 2.25)
    assert res.warnings == ()


def test_a_negative_nol_balance_is_invalid() -> None:
    with pytest.raises(InvalidParams, match="nolBalance"):
        resolve_inputs(build_inputs(assumptions={**_BASE, "nolBalance": -5}))


# --- explicit values must be usable (issue 9, item 4) -----------------------------------------


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("A.revenueGrowth", "NaN", "assumptions.revenueGrowth must be a finite number"),
        ("A.revenueGrowth", "Infinity", "assumptions.revenueGrowth must be a finite number"),
        ("A.revenueGrowth", "-inf", "assumptions.revenueGrowth must be a finite number"),
        ("A.revenueGrowth", "1e400", "assumptions.revenueGrowth must be a finite number"),
        ("A.revenueGrowth", 1e6, "assumptions.revenueGrowth must be in (-1, 10]"),
        ("A.revenueGrowth", True, "assumptions.revenueGrowth must be a finite number"),
        ("A.revenueGrowth", [0.05], "assumptions.revenueGrowth must be a finite number"),
        ("A.expenses.growth", "fast", "assumptions.expenses.growth must be a finite number"),
        ("A.cogsPercentage", 35, "assumptions.cogsPercentage must be in [0, 10]"),
        ("A.churnRate", 5, "assumptions.churnRate must be in [0, 1)"),
        ("A.taxRate", 2.5, "assumptions.taxRate must be in [0, 1]"),
        ("A.arDays", 1e9, "assumptions.arDays must be in [0, 3650]"),
        ("A.initialCash", 1e300, "assumptions.initialCash must be in [-1e+15, 1e+15]"),
        ("A.baselineRevenue", -5, "assumptions.baselineRevenue must be in [0, 1e+15]"),
        ("A.customers", "NaN", "assumptions.customers must be a finite number"),
        ("A.interestRate", -0.1, "assumptions.interestRate must be in [0, 10]"),
        ("O.revenue.growth", "NaN", "overrides.revenue.growth must be a finite number"),
        ("O.revenue.baseline", 1e9, "overrides.revenue.baseline must be in [0, 100]"),
        ("O.churnRate", "Infinity", "overrides.churnRate must be a finite number"),
        ("O.taxRate", "NaN", "overrides.taxRate must be a finite number"),
        ("P.cashOnHand", "NaN", "params.cashOnHand must be a finite number"),
    ],
)
def test_a_present_value_that_is_not_a_finite_number_in_range_fails_naming_the_field(
    where: str, value: Any, message: str
) -> None:
    assumptions: dict[str, Any] = dict(_BASE)
    params: dict[str, Any] = {}
    root, *keys = where.split(".")
    target = {"A": assumptions, "P": params}.get(root)
    if root == "O":
        target = params.setdefault("overrides", {})
    assert target is not None
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value
    with pytest.raises(InvalidParams) as info:
        resolve_inputs(build_inputs(assumptions=assumptions, params=params))
    assert info.value.message.startswith(message)


@pytest.mark.parametrize("absent", [None, "", "  ", {}])
def test_an_absent_value_keeps_its_disclosed_default(absent: Any) -> None:
    res = resolve_inputs(build_inputs(assumptions={**_BASE, "revenueGrowth": absent}))
    assert res.revenue_growth == 0.0
    assert res.assumptions_used["revenueGrowth"] == {"value": 0.0, "source": "default"}
    assert res.assumptions_used["taxRate"] == {"value": 0.25, "source": "default"}


def test_the_issues_nan_growth_no_longer_completes_at_the_zero_default() -> None:
    with pytest.raises(InvalidParams, match="assumptions.revenueGrowth must be a finite number"):
        resolve_inputs(build_inputs(assumptions={**_BASE, "revenueGrowth": "NaN"}))


def test_a_manual_input_or_hiring_plan_value_that_is_not_a_number_fails_naming_it() -> None:
    with pytest.raises(InvalidParams, match=r"^manualInputs.2024-02.revenue must be in"):
        resolve_inputs(build_inputs(assumptions=_BASE, manual={"2024-02": {"revenue": "NaN"}}))
    res = resolve_inputs(build_inputs(assumptions=_BASE, manual={"2024-02": {"revenue": ""}}))
    assert res.sources[1] == "forecast"
    for item, field in (
        ({"month": 2, "salary": "NaN"}, "salary"),
        ({"month": "Infinity", "salary": 90_000}, "month"),
        ({"month": 2, "salary": 90_000, "quantity": -1}, "quantity"),
    ):
        with pytest.raises(InvalidParams, match=rf"^assumptions.hiringPlan\[0\].{field} must be"):
            resolve_inputs(build_inputs(assumptions={**_BASE, "hiringPlan": [item]}))
    res = resolve_inputs(build_inputs(assumptions={**_BASE, "hiringPlan": [{"salary": 90_000}]}))
    assert "assumptions.hiringPlan[0] lacks a month or a salary; ignored" in res.warnings
