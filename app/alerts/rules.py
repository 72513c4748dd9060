"""Alert rules against a run's results (CONTRACT-2 §4.9): which value a metric names, how a
rule compares, what its notification says. Pure: plain values in, plain values out.

A rule the worker cannot evaluate as written (an unknown operator or metric name, a threshold
that is not a finite number) is an :class:`~app.errors.InvalidAlertRule`: the check stops
before writing anything and names the rule (never its text), so a broken rule is fixed instead
of staying silent. A rule whose value is missing from these results is skipped with a reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import StrEnum
from typing import Any

from app.errors import InvalidAlertRule

OPERATORS = ("<", ">", "<=", ">=", "==", "!=")
#: The column's scale: values are compared rounded to it (``numeric(20,4)``).
THRESHOLD_SCALE = Decimal("0.0001")
#: Above the column's precision (``numeric(20,4)``): only a drifted schema could hold it.
THRESHOLD_MAX = Decimal("1e16")
#: ``runwayMonths``/``runwayFromStartMonths`` when nothing burns (contract §5.1.6).
NO_BURN_SENTINEL = 999.0
SEVERITY_CRITICAL = "critical"
_WIDE = Context(prec=400)  # a float's full decimal expansion fits
_PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")


class Unit(StrEnum):
    MONTHS = "months"
    MONEY = "money"
    MONEY_PER_MONTH = "money_per_month"
    PERCENT_PER_MONTH = "percent_per_month"
    FRACTION = "fraction"
    AS_STORED = "as_stored"


@dataclass(frozen=True)
class Metric:
    """A rule metric: the result keys that hold it (first numeric wins), its unit and scale.

    Attributes:
        simulation: read from a Monte Carlo result, not from a run summary.
    """

    name: str
    keys: tuple[str, ...]
    unit: Unit
    scale: float = 1.0
    simulation: bool = False


RUNWAY = Metric("runway_months", ("runwayFromStartMonths", "runwayMonths"), Unit.MONTHS)
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        # DECISION-3: the runway from the start (risk-relevant), else the horizon-end runway.
        RUNWAY,
        Metric("cash_balance", ("cashBalance",), Unit.MONEY),
        Metric("burn_rate", ("burnRate", "monthlyBurn"), Unit.MONEY_PER_MONTH),
        # DECISION-4: growth thresholds are percent (the UI's "Revenue Growth %").
        Metric("revenue_growth", ("revenueGrowth",), Unit.PERCENT_PER_MONTH, 100.0),
        Metric("expense_growth", ("expenseGrowth",), Unit.PERCENT_PER_MONTH, 100.0),
        Metric("net_income", ("netIncome",), Unit.MONEY),
        Metric(
            "survival_probability",
            ("survival_probability.overall.probabilitySurvivingFullPeriod",),
            Unit.FRACTION,
            simulation=True,
        ),
    )
}
ALIASES = {
    "runwayMonths": "runway_months",
    "runway": "runway_months",
    "cashBalance": "cash_balance",
    "burnRate": "burn_rate",
    "monthlyBurn": "burn_rate",
    "revenueGrowth": "revenue_growth",
    "expenseGrowth": "expense_growth",
    "netIncome": "net_income",
    "survivalProbability": "survival_probability",
}


@dataclass(frozen=True)
class Rule:
    """An enabled ``alert_rules`` row, as stored."""

    id: str
    name: str
    metric: str
    operator: str
    threshold: Decimal
    severity: str
    notify_email: bool
    notify_slack: bool
    slack_webhook: str | None
    created_by_id: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Rule:
        return cls(
            id=row["id"],
            name=str(row["name"]),
            metric=str(row["metric"]),
            operator=str(row["operator"]),
            threshold=Decimal(row["threshold"]),
            severity=str(row["severity"] or ""),
            notify_email=bool(row["notify_email"]),
            notify_slack=bool(row["notify_slack"]),
            slack_webhook=row["slack_webhook"],
            created_by_id=row["created_by_id"],
        )

    @property
    def critical(self) -> bool:
        return self.severity.strip().lower() == SEVERITY_CRITICAL


def metric_of(rule: Rule) -> Metric:
    """The metric a rule names: a known name or alias, else a legacy dotted path.

    Raises:
        InvalidAlertRule: an unknown operator, metric or a non-finite threshold.
    """
    if rule.operator.strip() not in OPERATORS:
        raise InvalidAlertRule(f"alert rule {rule.id} has an unknown operator")
    if not rule.threshold.is_finite() or abs(rule.threshold) >= THRESHOLD_MAX:
        raise InvalidAlertRule(f"alert rule {rule.id} has a threshold that is not a finite number")
    name = rule.metric.strip()
    known = METRICS.get(name) or METRICS.get(name.lower()) or METRICS.get(ALIASES.get(name, ""))
    if known is not None:
        return known
    if _PATH_RE.match(name):
        return Metric(name, (name,), Unit.AS_STORED)
    raise InvalidAlertRule(f"alert rule {rule.id} names an unknown metric")


@dataclass(frozen=True)
class Hit:
    """A rule that fired, and what its notification says."""

    rule: Rule
    metric: Metric
    value: float  # +inf when a runway has no burn
    value_key: str
    title: str
    message: str

    @property
    def no_burn(self) -> bool:
        return math.isinf(self.value)

    @property
    def priority(self) -> str:
        return "high" if self.rule.critical else "medium"


@dataclass(frozen=True)
class Skip:
    rule: Rule
    reason: str


def evaluate(
    rule: Rule, *, summary: Mapping[str, Any] | None, simulation: Mapping[str, Any] | None
) -> Hit | Skip | None:
    """Evaluate ``rule`` against a run ``summary`` or a Monte Carlo result (``simulation``).

    Returns:
        A :class:`Hit`, None when the rule holds no alarm, or a :class:`Skip` with its reason.
    """
    metric = metric_of(rule)
    on_simulation = simulation is not None
    if metric.simulation != on_simulation:
        where = "Monte Carlo results" if metric.simulation else "model run summaries"
        return Skip(rule, f"metric evaluated on {where} only")
    found = _read(metric, simulation if on_simulation else summary)
    if found is None:
        return Skip(rule, "metric unavailable")
    value, key = found
    operator = rule.operator.strip()
    if not compare(value, operator, rule.threshold):
        return None
    title = ("CRITICAL: " if rule.critical else "") + rule.name
    return Hit(rule, metric, value, key, title, message(rule.metric.strip(), value, rule))


def compare(value: float, operator: str, threshold: Decimal) -> bool:
    """``value`` (rounded to the column's scale) ``operator`` ``threshold``; +inf compares as
    larger than any threshold."""
    if math.isinf(value):
        return operator in (">", ">=", "!=") if value > 0 else operator in ("<", "<=", "!=")
    rounded = Decimal(value).quantize(THRESHOLD_SCALE, ROUND_HALF_EVEN, context=_WIDE)
    return {
        "<": rounded < threshold,
        ">": rounded > threshold,
        "<=": rounded <= threshold,
        ">=": rounded >= threshold,
        "==": rounded == threshold,
        "!=": rounded != threshold,
    }[operator]


def message(metric: str, value: float, rule: Rule) -> str:
    """``<metric> is <value> (<operator> <threshold>)``; a runway without burn says so."""
    limit = f"({rule.operator.strip()} {format_threshold(rule.threshold)})"
    if math.isinf(value):
        return f"{metric} is unlimited: no burn {limit}"
    shown = f"{value:.4f}" if abs(value) < 1 else f"{value:.2f}"
    return f"{metric} is {shown} {limit}"


def format_threshold(threshold: Decimal) -> str:
    """The threshold without trailing zeros (``12.5000`` → ``12.5``, ``100.0000`` → ``100``)."""
    text = format(threshold.normalize(_WIDE), "f")
    return "0" if text in ("-0", "") else text


def _number(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        return None
    try:
        number = float(raw)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _dig(root: object, dotted: str) -> object:
    node = root
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _read(metric: Metric, result: Mapping[str, Any] | None) -> tuple[float, str] | None:
    """The metric's value (scaled) and the key it came from, or None."""
    if not isinstance(result, Mapping):
        return None
    places: list[tuple[object, str]] = [(result, key) for key in metric.keys]
    if metric.unit is Unit.AS_STORED:
        places.append((result.get("kpis"), metric.keys[0]))
    for root, key in places:
        number = _number(_dig(root, key))
        if number is None:
            continue
        if metric is RUNWAY and _no_burn(number, result):
            return math.inf, key
        return number * metric.scale, key
    return None


def _no_burn(runway: float, summary: Mapping[str, Any]) -> bool:
    """The engine's 999 runway means "nothing burns" (the last burn is 0), never 999 months."""
    burn = _number(summary.get("burnRate"))
    if burn is None:
        burn = _number(summary.get("monthlyBurn"))
    return runway == NO_BURN_SENTINEL and burn == 0
