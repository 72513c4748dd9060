"""Alert rules as pure code (CONTRACT-2 §4.9): metric names, comparison, messages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.alerts.rules import Hit, Rule, Skip, compare, evaluate, format_threshold, metric_of
from app.errors import InvalidAlertRule
from tests.factories import ALERT_SUMMARY


def _rule(metric: str = "runway_months", operator: str = "<", threshold: Any = "12", **kw: Any):
    fields: dict[str, Any] = {
        "id": "r1",
        "name": "Rule",
        "metric": metric,
        "operator": operator,
        "threshold": Decimal(str(threshold)),
        "severity": "warning",
        "notify_email": False,
        "notify_slack": False,
        "slack_webhook": None,
        "created_by_id": None,
        **kw,
    }
    return Rule(**fields)


@pytest.mark.parametrize(
    ("metric", "key", "value"),
    [
        ("runway_months", "runwayFromStartMonths", 7.5),
        ("runwayMonths", "runwayFromStartMonths", 7.5),
        ("runway", "runwayFromStartMonths", 7.5),
        ("cash_balance", "cashBalance", 120_000),
        ("cashBalance", "cashBalance", 120_000),
        ("burn_rate", "burnRate", 15_000),
        ("monthlyBurn", "burnRate", 15_000),
        ("revenue_growth", "revenueGrowth", 5.0),
        ("expense_growth", "expenseGrowth", 2.0),
        ("net_income", "netIncome", -90_000),
        ("kpis.ltv", "kpis.ltv", 4_200),
    ],
)
def test_each_backend_metric_name_and_alias_reads_its_summary_key(metric, key, value):
    hit = evaluate(_rule(metric, "!=", "-1"), summary=ALERT_SUMMARY, simulation=None)
    assert isinstance(hit, Hit)
    assert hit.value_key == key and hit.value == pytest.approx(value)


def test_the_legacy_runway_is_read_when_a_run_has_no_runway_from_start():
    summary = {k: v for k, v in ALERT_SUMMARY.items() if k != "runwayFromStartMonths"}
    hit = evaluate(_rule(), summary=summary, simulation=None)
    assert isinstance(hit, Hit) and hit.value_key == "runwayMonths" and hit.value == 3.25


@pytest.mark.parametrize(
    ("value", "operator", "threshold", "fires"),
    [
        (11.99994, "<", "12", True),
        (11.99995, "<", "12", False),  # rounded to the column's 4 decimals: 12.0000
        (12.00004, "==", "12", True),
        (12.0, "!=", "12", False),
        (12.0, "<=", "12", True),
        (12.0, ">=", "12", True),
        (12.00006, ">", "12", True),
        (-3.0, "<", "-2.5", True),
        (1e300, ">", "9999999999999999.9999", True),
        (float("inf"), ">", "24", True),
        (float("inf"), ">=", "24", True),
        (float("inf"), "<", "1000", False),
        (float("inf"), "<=", "1000", False),
        (float("inf"), "==", "999", False),
        (float("inf"), "!=", "999", True),
    ],
)
def test_values_compare_rounded_to_four_decimals_and_infinity_is_above_every_threshold(
    value: float, operator: str, threshold: str, fires: bool
):
    assert compare(value, operator, Decimal(threshold)) is fires


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (_rule("unknown_metric"), "names an unknown metric"),
        (_rule("runway; DROP TABLE"), "names an unknown metric"),
        (_rule(operator="=>"), "has an unknown operator"),
        (_rule(operator="<script>"), "has an unknown operator"),
        (_rule(threshold="NaN"), "has a threshold that is not a finite number"),
        (_rule(threshold="1e20"), "has a threshold that is not a finite number"),
    ],
)
def test_a_rule_that_cannot_be_read_is_an_error_naming_the_rule_not_its_text(rule, message):
    with pytest.raises(InvalidAlertRule) as caught:
        metric_of(rule)
    assert caught.value.last_error() == f"InvalidAlertRule: alert rule r1 {message}"


def test_a_missing_value_or_the_other_results_metric_is_skipped_with_a_reason():
    missing = evaluate(_rule("kpis.magicNumber"), summary=ALERT_SUMMARY, simulation=None)
    assert isinstance(missing, Skip) and missing.reason == "metric unavailable"
    boolean = evaluate(_rule("kpis.flag"), summary={"kpis": {"flag": True}}, simulation=None)
    assert isinstance(boolean, Skip)
    survival = evaluate(_rule("survival_probability"), summary=ALERT_SUMMARY, simulation=None)
    assert isinstance(survival, Skip) and "Monte Carlo" in survival.reason
    on_mc = evaluate(_rule(), summary=None, simulation={"survival_probability": {}})
    assert isinstance(on_mc, Skip) and "model run summaries" in on_mc.reason


def test_a_999_runway_is_a_real_runway_while_something_burns():
    summary = {**ALERT_SUMMARY, "runwayFromStartMonths": 999.0}
    hit = evaluate(_rule(operator=">", threshold="998"), summary=summary, simulation=None)
    assert isinstance(hit, Hit) and hit.value == 999.0 and not hit.no_burn


def test_messages_round_the_value_and_drop_trailing_zeros_of_the_threshold():
    hit = evaluate(
        _rule("cash_balance", "<", "150000.0000", name="Cash <b>low</b>", severity="Critical"),
        summary=ALERT_SUMMARY,
        simulation=None,
    )
    assert isinstance(hit, Hit)
    assert hit.message == "cash_balance is 120000.00 (< 150000)"
    assert hit.title == "CRITICAL: Cash <b>low</b>"  # text stays literal; renderers escape it
    assert hit.priority == "high"
    assert format_threshold(Decimal("12.5000")) == "12.5"
    assert format_threshold(Decimal("0.0000")) == "0"
    assert format_threshold(Decimal("-0.2500")) == "-0.25"


def test_a_rule_that_does_not_fire_returns_nothing():
    assert evaluate(_rule(threshold="5"), summary=ALERT_SUMMARY, simulation=None) is None
