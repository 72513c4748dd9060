"""A new model's starting assumptions (CONTRACT-2 §2.9), from the user's answers and the ledger.

Pure: answers, ledger aggregates and the stored assumptions in; the assumptions to store, their
sources, the required levels still missing and the driver rates out. Each value is written only
if its source exists: the user, the ledger (the same baseline window and rules as a model run,
contract §5.1.3) or a disclosed business-type rate default. Levels are never invented: without
initial cash, a revenue baseline or an expense baseline from the user or the ledger no run is
queued and the missing inputs are listed (DECISION-1).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.finance.auto_answers import BUSINESS_RATES, Answers
from app.finance.inputs.ledger import BaselineWindow, inflow, ledger_by_month, outflow
from app.finance.inputs.lookups import flatten_groups
from app.finance.inputs.records import LedgerRow
from app.finance.months import add_months, month_index, parse_month
from app.finance.numeric import as_number

USER = "user"
LEDGER = "ledger"
DEFAULT = "default"
DERIVED = "derived"
#: A default is written only where the model has no value; the model's value is kept.
MODEL = "model"
TAX_RATE_DEFAULT = 0.25
EXPONENTIAL_BUSINESSES = ("saas", "technology")
MISSING_CASH = "cash.initialCash"
MISSING_REVENUE = "revenue.baselineRevenue"
MISSING_EXPENSES = "costs.baselineExpenses"
#: Where a run finds each required level in stored assumptions (contract §5.1.3, flattened).
_CASH_KEYS = ("initialCash", "cashOnHand", "cash")
_REVENUE_KEYS = ("baselineRevenue", "mrr")
_EXPENSE_KEYS = ("baselineExpenses", "payroll", "marketing", "infrastructure")


@dataclass(frozen=True)
class Generated:
    """Assumptions to merge into ``model_json.assumptions``.

    Attributes:
        values: ``"group.key"`` → value (generated), or top-level keys (manual assumptions).
        sources: ``"group.key"`` → user | ledger | default | derived (``{"*": "user"}`` manual).
        missing: required levels neither the user nor the ledger gave.
    """

    values: dict[str, Any]
    sources: dict[str, str]
    missing: tuple[str, ...]
    manual: bool
    transaction_count: int


def start_month(metadata: Mapping[str, Any], ledger: Sequence[LedgerRow], created: str) -> str:
    """The forecast start as a run finds it: metadata, the month after the ledger, creation."""
    for key in ("startMonth", "start_month"):
        found = parse_month(metadata.get(key))
        if found is not None:
            return found
    months = [row.month for row in ledger if row.count > 0]
    if months:
        return add_months(max(months, key=month_index), 1)
    return created


def generate(answers: Answers, ledger: Sequence[LedgerRow], start: str) -> Generated:
    """The assumptions of §2.9's table, or the user's own (``params.assumptions``)."""
    totals = ledger_by_month(ledger)
    window = BaselineWindow.before(totals, month_index(start))
    count = sum(t.count for t in totals.values())
    if answers.manual is not None:
        return Generated(
            values=dict(answers.manual),
            sources={"*": USER},
            missing=_missing_manual(answers.manual, window),
            manual=True,
            transaction_count=count,
        )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    def put(path: str, value: Any, source: str | None) -> None:
        values[path] = value
        if source is not None:
            sources[path] = source

    growth, churn, expense_growth, cogs_ratio = BUSINESS_RATES[answers.business_type]
    mrr, mrr_source = _revenue_level(answers, window)
    if mrr is not None:
        put("revenue.baselineRevenue", mrr, mrr_source)
        put("revenue.mrr", mrr, mrr_source)
        put("revenue.arr", 12 * mrr, mrr_source)
    cagr = window.growth(inflow)
    put("revenue.revenueGrowth", *((cagr, LEDGER) if cagr is not None else (growth, DEFAULT)))
    if answers.retention_rate is not None:
        put("revenue.churnRate", min(1.0, max(0.0, 1 - answers.retention_rate / 100)), USER)
    else:
        put("revenue.churnRate", churn, DEFAULT)
    if answers.starting_customers is not None:
        put("revenue.customerCount", answers.starting_customers, USER)
    if answers.starting_aov is not None:
        put("revenue.aov", answers.starting_aov, USER)
    elif mrr is not None and answers.starting_customers:
        put("revenue.aov", mrr / answers.starting_customers, DERIVED)
    exponential = answers.business_type in EXPONENTIAL_BUSINESSES
    put("revenue.growthModel", "exponential" if exponential else "linear", None)

    expenses, expense_source = _expense_level(answers, window)
    if expenses is not None:
        put("costs.baselineExpenses", expenses, expense_source)
    for part, value in answers.major_costs.items():
        put(f"costs.{part}", value, USER)
    put("costs.expenseGrowth", expense_growth, DEFAULT)
    put("costs.cogsRatio", cogs_ratio, DEFAULT)
    put("costs.taxRate", TAX_RATE_DEFAULT, DEFAULT)
    if answers.hiring_plan is not None:
        put("costs.hiringPlan", answers.hiring_plan, USER)
    if answers.cash_on_hand is not None:
        put("cash.initialCash", answers.cash_on_hand, USER)
    if answers.cac is not None:
        put("unitEconomics.cac", answers.cac, USER)
    if answers.payback is not None:
        put("unitEconomics.paybackPeriod", answers.payback, USER)
    missing = [
        path
        for path, known in (
            (MISSING_CASH, answers.cash_on_hand is not None),
            (MISSING_REVENUE, mrr is not None),
            (MISSING_EXPENSES, expenses is not None),
        )
        if not known
    ]
    return Generated(values, sources, tuple(missing), manual=False, transaction_count=count)


def _revenue_level(answers: Answers, window: BaselineWindow) -> tuple[float | None, str]:
    if answers.starting_mrr is not None:
        return answers.starting_mrr, USER
    if answers.starting_revenue is not None:
        return answers.starting_revenue, USER  # monthly, as the form asks for it (DECISION-7)
    return window.level(inflow), LEDGER


def _expense_level(answers: Answers, window: BaselineWindow) -> tuple[float | None, str]:
    if any(v > 0 for v in answers.major_costs.values()):
        return sum(answers.major_costs.values()), USER
    return window.level(outflow), LEDGER


def _missing_manual(manual: Mapping[str, Any], window: BaselineWindow) -> tuple[str, ...]:
    """The required levels that neither the user's assumptions nor the ledger give, found
    where a run looks for them (contract §5.1.3, groups flattened one level)."""
    flat, _ = flatten_groups(manual)

    def given(*keys: str) -> bool:
        return any(as_number(flat.get(k)) is not None for k in keys)

    def nested(group: str, key: str) -> bool:
        node = manual.get(group)
        return isinstance(node, Mapping) and as_number(node.get(key)) is not None

    ledger = bool(window.totals)
    missing = []
    if not given(*_CASH_KEYS):
        missing.append(MISSING_CASH)
    if not (ledger or given(*_REVENUE_KEYS) or nested("revenue", "baseline")):
        missing.append(MISSING_REVENUE)
    if not (ledger or given(*_EXPENSE_KEYS) or nested("expenses", "baseline")):
        missing.append(MISSING_EXPENSES)
    return tuple(missing)


def merge(
    existing: Mapping[str, Any], generated: Generated
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """``existing`` with ``generated`` merged in: keys from data or user input overwrite; a
    default fills a gap only; every other key stays as the model has it.

    Returns:
        The assumptions to store, the sources (defaults the model already had become
        ``model``) and warnings.
    """
    out = copy.deepcopy(dict(existing))
    if generated.manual:
        out.update(copy.deepcopy(generated.values))
        return out, dict(generated.sources), []
    sources = dict(generated.sources)
    warnings: list[str] = []
    for path, value in generated.values.items():
        group, key = path.split(".", 1)
        node = out.get(group)
        source = sources.get(path)
        if source in (DEFAULT, None) and (
            (isinstance(node, Mapping) and key in node) or (key in out and key != group)
        ):
            if source is not None:
                sources[path] = MODEL
            continue
        if not isinstance(node, dict):
            if node is not None:
                warnings.append(f"assumptions.{group} was not an object; it is replaced")
            node = {}
            out[group] = node
        node[key] = copy.deepcopy(value)
        # A run reads a flat key before the nested one (OPEN-1): a flat twin must agree.
        if key in out and key != group and out[key] != value:
            out[key] = copy.deepcopy(value)
            warnings.append(f"assumptions.{key} is replaced by the value of {path} ({source})")
    return out, sources, warnings


def flat_rate(assumptions: Mapping[str, Any], key: str) -> float | None:
    """A rate as a run reads it (flat key first, then one level down), or None."""
    flat, _ = flatten_groups(assumptions)
    return as_number(flat.get(key))
