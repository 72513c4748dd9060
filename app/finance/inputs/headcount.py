"""Headcount and people costs: new hires from ``headcount_plans`` and ``hiringPlan`` (§5.1.4).

Plans that start before the forecast are existing staff, already in the expense baseline.
People costs enter only forecast months: other months' lines are given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from app.errors import InvalidParams
from app.finance.inputs.bounds import HEADCOUNT, LEVEL, Bounds
from app.finance.inputs.lookups import Context
from app.finance.inputs.records import HeadcountPlan
from app.finance.months import month_index, parse_month
from app.finance.numeric import as_number

DEFAULT_BENEFITS_MULTIPLIER = 1.3
HIRING_MONTHLY_SALARY_MAX = 5000.0  # a hiringPlan salary above this is annual
MONTHS_PER_YEAR = 12.0
HIRING_MONTH = Bounds(1.0, 1200.0, unit="a 1-based forecast month")


@dataclass(frozen=True)
class People:
    """Per month, shape (H,): headcount, ramped new-hire cost and ``hiringPlan`` cost."""

    headcount: np.ndarray
    headcount_cost: np.ndarray
    hiring_cost: np.ndarray


def resolve_people(
    ctx: Context,
    plans: Sequence[HeadcountPlan],
    hiring_plan: object,
    start_index: int,
    base_headcount: float,
    forecast: np.ndarray,
) -> People:
    """Base headcount plus planned hires; their costs kept only where ``forecast`` is true."""
    horizon = forecast.size
    headcount = np.full(horizon, base_headcount, dtype=float)
    plan_cost = np.zeros(horizon)
    hiring_cost = np.zeros(horizon)
    _add_plans(ctx, plans, start_index, headcount, plan_cost)
    _add_hiring_plan(ctx, hiring_plan, headcount, hiring_cost)
    plan_cost[~forecast] = 0.0
    hiring_cost[~forecast] = 0.0
    return People(headcount, plan_cost, hiring_cost)


def _add_plans(
    ctx: Context,
    plans: Sequence[HeadcountPlan],
    start_index: int,
    headcount: np.ndarray,
    cost: np.ndarray,
) -> None:
    """New hires of ``headcount_plans``: their cost ramps up over ``ramp_months``."""
    no_salary = no_multiplier = 0
    for plan in plans:
        plan_start = parse_month(plan.start_month)
        plan_end = parse_month(plan.end_month) if plan.end_month else None
        if plan_start is None or (plan.end_month and plan_end is None):
            ctx.warn("a headcount plan has an invalid start or end month; ignored")
            continue
        first = month_index(plan_start)
        if first < start_index:
            continue  # existing staff: their payroll is already in the baseline
        last = month_index(plan_end) if plan_end else None
        salary = as_number(plan.salary)
        multiplier = as_number(plan.benefits_multiplier)
        if salary is None:
            no_salary += 1
            salary = 0.0
        if multiplier is None:
            no_multiplier += 1
            multiplier = DEFAULT_BENEFITS_MULTIPLIER
        ramp = max(1, int(plan.ramp_months))
        for i in range(headcount.size):
            k = start_index + i
            if k < first or (last is not None and k > last):
                continue
            headcount[i] += plan.quantity
            share = min(1.0, (k - first + 1) / ramp)
            cost[i] += salary * plan.quantity * multiplier * share / MONTHS_PER_YEAR
    if no_salary:
        ctx.warn(f"{no_salary} headcount plan(s) have no salary; their cost is 0")
    if no_multiplier:
        ctx.warn(
            f"{no_multiplier} headcount plan(s) have no benefits multiplier; "
            f"{DEFAULT_BENEFITS_MULTIPLIER} used"
        )


def _add_hiring_plan(
    ctx: Context, hiring_plan: object, headcount: np.ndarray, cost: np.ndarray
) -> None:
    """``assumptions.hiringPlan``: each hire costs its monthly salary from its month on."""
    if hiring_plan is not None and not isinstance(hiring_plan, list):
        ctx.warn("assumptions.hiringPlan is not a list; ignored")
        hiring_plan = []
    for index, item in enumerate(hiring_plan or []):
        fields = item if isinstance(item, Mapping) else {}
        label = f"assumptions.hiringPlan[{index}]"
        month = _hiring_number(fields, "month", HIRING_MONTH, label)
        salary = _hiring_number(fields, "salary", LEVEL, label)
        given_quantity = _hiring_number(fields, "quantity", HEADCOUNT, label)
        quantity = 1.0 if given_quantity is None else given_quantity
        if month is None or salary is None:
            ctx.warn(f"{label} lacks a month or a salary; ignored")
            continue
        if not month.is_integer():
            raise InvalidParams(f"{label}.month must be a whole month number")
        monthly = salary if salary <= HIRING_MONTHLY_SALARY_MAX else salary / MONTHS_PER_YEAR
        first_i = int(month) - 1
        cost[first_i:] += monthly * quantity
        headcount[first_i:] += quantity


def _hiring_number(
    item: Mapping[str, object], key: str, bounds: Bounds, label: str
) -> float | None:
    """A ``hiringPlan`` item's number; None when absent.

    Raises:
        InvalidParams: present but not a finite number in ``bounds``.
    """
    raw = item.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    number = as_number(raw)
    if number is None or not bounds.contains(number):
        raise InvalidParams(f"{label}.{key} must be {bounds.describe()}")
    return number
