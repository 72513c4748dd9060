"""The answers of the model creation form, as ``auto_model`` receives them (CONTRACT-2 §2.2),
checked: a value that is present but unusable is an input error, never a silent default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.errors import InvalidParams
from app.finance.numeric import as_number

#: Rate defaults by business type (§2.4): monthly growth, churn, expense growth, cogs ratio.
BUSINESS_RATES: dict[str, tuple[float, float, float, float]] = {
    "saas": (0.12, 0.03, 0.05, 0.15),
    "ecommerce": (0.18, 0.10, 0.08, 0.60),
    "services": (0.06, 0.05, 0.04, 0.40),
    "technology": (0.15, 0.04, 0.07, 0.20),
}
DEFAULT_BUSINESS = "saas"  # ``mixed`` and anything unknown (§2.2)
COST_PARTS = ("payroll", "infrastructure", "marketing")
#: Levels above this are a typo or an attack, not a plan (``numeric(20,4)`` holds < 1e16).
MAX_LEVEL = 1e15
MAX_CUSTOMERS = 1_000_000_000
MAX_HIRES = 1000
MAX_JSON_DEPTH = 32


@dataclass(frozen=True)
class Answers:
    """What the user told the form; None where a field was not given."""

    business_type: str = DEFAULT_BUSINESS
    starting_mrr: float | None = None
    starting_revenue: float | None = None  # monthly (DECISION-7)
    starting_aov: float | None = None
    starting_customers: int | None = None
    cash_on_hand: float | None = None
    retention_rate: float | None = None  # percent
    major_costs: dict[str, float] = field(default_factory=dict)
    cac: float | None = None
    payback: float | None = None
    hiring_plan: list[Any] | None = None
    manual: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Answers:
        """Raises: InvalidParams: a given value of the wrong type or out of range."""
        warnings: list[str] = []
        efficiency = _object(params.get("acquisitionEfficiency"), "acquisitionEfficiency")
        costs = _object(params.get("majorCosts"), "majorCosts")
        return cls(
            business_type=_business(params.get("businessType"), warnings),
            starting_mrr=_amount(params, "startingMrr", zero_is_absent=True),
            starting_revenue=_amount(params, "startingRevenue", zero_is_absent=True),
            starting_aov=_amount(params, "startingAov", zero_is_absent=True),
            starting_customers=_customers(params.get("startingCustomers")),
            cash_on_hand=_amount(params, "cashOnHand"),
            retention_rate=_retention(params.get("retentionRate"), warnings),
            major_costs={
                part: value
                for part in COST_PARTS
                if (value := _amount(costs, part, label=f"majorCosts.{part}")) is not None
            },
            cac=_amount(efficiency, "caac", label="acquisitionEfficiency.caac"),
            payback=_amount(efficiency, "payback", label="acquisitionEfficiency.payback"),
            hiring_plan=_hiring_plan(params.get("hiringPlan")),
            manual=_manual(params.get("assumptions")),
            warnings=tuple(warnings),
        )


def _object(raw: object, key: str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidParams(f"params.{key} must be an object")
    return raw


def _amount(
    source: Mapping[str, Any], key: str, *, label: str | None = None, zero_is_absent: bool = False
) -> float | None:
    raw = source.get(key)
    if raw is None or raw == "":
        return None
    number = as_number(raw)
    if number is None or not 0 <= number <= MAX_LEVEL:
        raise InvalidParams(f"params.{label or key} must be a number from 0 to {MAX_LEVEL:.0e}")
    return None if zero_is_absent and number == 0 else number


def _customers(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    number = as_number(raw)
    if number is None or not number.is_integer() or not 0 <= number <= MAX_CUSTOMERS:
        raise InvalidParams("params.startingCustomers must be a whole number of customers")
    return int(number)


def _retention(raw: object, warnings: list[str]) -> float | None:
    if raw is None or raw == "":
        return None
    number = as_number(raw)
    if number is None:
        raise InvalidParams("params.retentionRate must be a percentage")
    if not 0 <= number <= 100:
        warnings.append("params.retentionRate is outside 0-100 %; the churn derived is clamped")
    return number


def _business(raw: object, warnings: list[str]) -> str:
    if raw is None or raw == "":
        return DEFAULT_BUSINESS
    key = raw.strip().lower() if isinstance(raw, str) else ""
    if key in BUSINESS_RATES:
        return key
    if key != "mixed":
        warnings.append(
            "params.businessType is not one of saas, ecommerce, services, mixed; "
            "the saas rate defaults apply"
        )
    return DEFAULT_BUSINESS


def _hiring_plan(raw: object) -> list[Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_HIRES:
        raise InvalidParams(f"params.hiringPlan must be a list of at most {MAX_HIRES} hires")
    if not all(isinstance(item, Mapping) for item in raw):
        raise InvalidParams("params.hiringPlan must hold one object per hire")
    _check_finite(raw, "hiringPlan")
    return [dict(item) for item in raw]


def _manual(raw: object) -> dict[str, Any] | None:
    """``params.assumptions``: when a non-empty object, written instead of generated ones."""
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidParams("params.assumptions must be an object")
    _check_finite(raw, "assumptions")
    return dict(raw)


def _check_finite(root: object, key: str) -> None:
    """Every number inside ``root`` is finite, and it nests at most :data:`MAX_JSON_DEPTH`."""
    stack: list[tuple[object, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidParams(f"params.{key} is nested too deeply")
        if isinstance(node, Mapping):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, float | int) and not isinstance(node, bool):
            if as_number(node) is None:
                raise InvalidParams(f"params.{key} holds a number that is not finite")
