"""Model-run inputs as the database layer hands them over, and their resolution.

Implements contract §5.1.2 (timeline), §5.1.3 (resolved inputs) and the per-month sources of
§5.1.4 (manual > actual > driver > forecast). Levels come only from data or user input; every
rate default is disclosed in ``assumptions_used`` (§1.1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.errors import InsufficientData, InvalidParams
from app.finance.months import add_months, is_month_key, month_index, month_key, parse_month
from app.finance.numeric import as_number

HORIZON_DEFAULT_MONTHS = 12
HORIZON_MIN_MONTHS = 3
HORIZON_MAX_MONTHS = 36
BASELINE_WINDOW_MONTHS = 12
BASELINE_LEVEL_MONTHS = 3
LEDGER_CAGR_CLAMP = 0.25
DEFAULT_COGS_PERCENTAGE = 0.20
DEFAULT_BENEFITS_MULTIPLIER = 1.3
HIRING_MONTHLY_SALARY_MAX = 5000.0
COGS_CATEGORY_MARKERS = ("cogs", "hosting", "aws", "stripe", "infrastructure", "cost of")
LINES = ("revenue", "cogs", "opex")
# Trimmed, lower-cased driver name -> line, in priority order when two drivers give one line.
INPUT_DRIVER_NAMES: dict[str, str] = {
    "revenue": "revenue",
    "cogs": "cogs",
    "cost of goods sold": "cogs",
    "opex": "opex",
    "operating expenses": "opex",
    "expenses": "opex",
}

SOURCE_MANUAL = "manual"
SOURCE_ACTUAL = "actual"
SOURCE_DRIVER = "driver"
SOURCE_FORECAST = "forecast"

_ROOT_SOURCE = {"O": "override", "P": "params", "A": "assumption"}
_ROOT_LABEL = {"O": "overrides", "P": "params", "A": "assumptions"}
_HORIZON_STRING_RE = re.compile(r"^(\d+)\s*months?$", re.IGNORECASE)
_DIGITS_RE = re.compile(r"\d+")


@dataclass(frozen=True)
class LedgerRow:
    """One (month, category) aggregate of ``raw_transactions``, as summed in SQL."""

    month: str  # 'YYYY-MM'
    category: str | None
    inflow: float  # sum of positive amounts
    outflow: float  # sum of |negative amounts|
    count: int
    last_imported_at: str | None  # ISO timestamp


@dataclass(frozen=True)
class HeadcountPlan:
    """One active ``headcount_plans`` row (start/end truncated to ``YYYY-MM``)."""

    quantity: int
    salary: float | None
    benefits_multiplier: float | None
    start_month: str
    end_month: str | None
    ramp_months: int


@dataclass(frozen=True)
class DriverInput:
    """One ``drivers`` row of the model with its values in the chosen scenario, by month."""

    name: str
    is_calculated: bool
    has_formula: bool
    values: dict[str, float]


@dataclass(frozen=True)
class ModelInputs:
    """Everything a model run (or a Monte Carlo re-resolution) reads from the database."""

    model_json: dict[str, Any]
    model_version: int
    model_created_month: str  # 'YYYY-MM' of models.created_at (UTC)
    params_json: dict[str, Any]
    run_type: str
    ledger: list[LedgerRow]
    ledger_currencies: list[str]
    headcount_plans: list[HeadcountPlan]
    drivers: list[DriverInput]


@dataclass(frozen=True)
class Resolved:
    """Resolved inputs and the per-month sources of one model run.

    Arrays have shape (H,). ``given_*`` hold the revenue/cogs/opex values fixed by a manual input,
    the ledger or a driver, where ``given_mask_*`` is true; elsewhere the value is computed.
    ``headcount_cost`` and ``hiring_cost`` are zero outside forecast-source months.
    """

    start_month: str
    horizon: int
    months: tuple[str, ...]
    sources: tuple[str, ...]
    initial_cash: float
    base_revenue: float
    revenue_multiplier: float
    base_expenses: float
    expense_multiplier: float
    revenue_growth: float
    expense_growth: float
    cogs_percentage: float
    base_churn: float | None
    churn_rate: float | None
    customer_count: float | None
    cac: float | None
    ltv: float | None
    marketing: float | None
    base_headcount: float
    tax_rate: float
    ar_days: float
    ap_days: float
    capex_percentage: float
    depreciation_rate: float
    ppe: float
    debt: float
    interest_rate: float
    debt_repayment_rate: float
    nol_balance: float
    given_revenue: np.ndarray
    given_cogs: np.ndarray
    given_opex: np.ndarray
    given_mask_revenue: np.ndarray
    given_mask_cogs: np.ndarray
    given_mask_opex: np.ndarray
    headcount: np.ndarray
    headcount_cost: np.ndarray
    hiring_cost: np.ndarray
    assumptions_used: dict[str, dict[str, Any]]
    warnings: tuple[str, ...]
    data_ingested_at: str | None
    transaction_months_used: int
    ledger_baseline: bool

    @property
    def forecast_mask(self) -> np.ndarray:
        """True for months whose source is ``forecast`` (the only ones Monte Carlo perturbs)."""
        return np.array([s == SOURCE_FORECAST for s in self.sources], dtype=bool)

    @property
    def opening_revenue(self) -> float:
        """``R·mult`` (= revenue_0 of a forecast month 0)."""
        return self.base_revenue * self.revenue_multiplier

    @property
    def opening_expenses(self) -> float:
        """``E·emult``."""
        return self.base_expenses * self.expense_multiplier

    @property
    def opex_base(self) -> float:
        """``O_base = max(0, E·emult − R·mult·cogsPercentage)``."""
        return max(0.0, self.opening_expenses - self.opening_revenue * self.cogs_percentage)

    @property
    def churn_base_math(self) -> float:
        """c₀ as used in the growth factor (null counts as 0)."""
        return 0.0 if self.base_churn is None else self.base_churn

    @property
    def churn_math(self) -> float:
        """The effective churn c as used in the growth factor (null counts as c₀, then 0)."""
        return self.churn_base_math if self.churn_rate is None else self.churn_rate

    @property
    def growth_factor(self) -> float:
        """The deterministic monthly growth factor ``f = (1 + g)(1 − c)/(1 − c₀)``."""
        return (1.0 + self.revenue_growth) * (1.0 - self.churn_math) / (1.0 - self.churn_base_math)


# --- lookups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ref:
    root: str  # "O" overrides, "P" params_json, "A" assumptions
    keys: tuple[str, ...]
    positive_only: bool = False

    @property
    def label(self) -> str:
        return ".".join((_ROOT_LABEL[self.root], *self.keys))


def _refs(*specs: str) -> list[_Ref]:
    """``"O.cash.initial"``, ``"P.cashOnHand+"`` (counts only when > 0) → refs."""
    refs = []
    for spec in specs:
        positive = spec.endswith("+")
        root, *keys = spec.rstrip("+").split(".")
        refs.append(_Ref(root, tuple(keys), positive))
    return refs


def _with_flat_overrides(chain: list[_Ref]) -> list[_Ref]:
    """Put ``O.<x>`` before every flat ``A.<x>`` ("any other flat numeric key in O overrides")."""
    present = {(ref.root, ref.keys) for ref in chain}
    out: list[_Ref] = []
    for ref in chain:
        if ref.root == "A" and len(ref.keys) == 1 and ("O", ref.keys) not in present:
            out.append(_Ref("O", ref.keys))
        out.append(ref)
    return out


def _dig(root: object, keys: Sequence[str]) -> object:
    node = root
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


class _Context:
    """The three lookup roots plus the warnings collected while resolving."""

    def __init__(self, overrides: Mapping[str, Any], params: Mapping[str, Any], assumptions: Any):
        self.roots: dict[str, Any] = {"O": overrides, "P": params, "A": assumptions}
        self.warnings: list[str] = []
        self.used: dict[str, dict[str, Any]] = {}

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def value(self, ref: _Ref) -> float | None:
        """The numeric value at ``ref``; a present non-numeric scalar is skipped with a warning."""
        raw = _dig(self.roots[ref.root], ref.keys)
        if raw is None or isinstance(raw, Mapping):
            return None
        number = as_number(raw)
        if number is None:
            self.warn(f"{ref.label} is not numeric; ignored")
            return None
        if ref.positive_only and number <= 0:
            return None
        return number

    def first(self, chain: Iterable[_Ref]) -> tuple[float, str] | None:
        for ref in chain:
            number = self.value(ref)
            if number is not None:
                return number, _ROOT_SOURCE[ref.root]
        return None

    def record(self, name: str, value: float | None, source: str) -> None:
        self.used[name] = {"value": value, "source": source}


# --- ledger ----------------------------------------------------------------------------------


@dataclass
class _MonthTotals:
    inflow: float = 0.0
    outflow: float = 0.0
    cogs: float = 0.0
    count: int = 0

    @property
    def opex(self) -> float:
        return self.outflow - self.cogs


def is_cogs_category(category: str | None) -> bool:
    """Cost category rule of §5.1.3: case-insensitive substring match, else opex."""
    if not category:
        return False
    lowered = category.lower()
    return any(marker in lowered for marker in COGS_CATEGORY_MARKERS)


def _ledger_by_month(rows: Sequence[LedgerRow]) -> dict[str, _MonthTotals]:
    totals: dict[str, _MonthTotals] = {}
    for row in rows:
        if not is_month_key(row.month):
            raise InvalidParams("ledger row has an invalid month key")
        inflow, outflow = as_number(row.inflow), as_number(row.outflow)
        if inflow is None or outflow is None:
            raise InvalidParams(f"ledger month {row.month} has a non-numeric total")
        t = totals.setdefault(row.month, _MonthTotals())
        t.inflow += inflow
        t.outflow += outflow
        if is_cogs_category(row.category):
            t.cogs += outflow
        t.count += int(row.count)
    return {m: t for m, t in totals.items() if t.count > 0}


def _ledger_cagr(series: Sequence[tuple[str, float]]) -> float | None:
    """Monthly CAGR between the first and last month with a positive value, clamped."""
    positive = [(m, v) for m, v in series if v > 0]
    if len(positive) < 2:
        return None
    (first_m, first_v), (last_m, last_v) = positive[0], positive[-1]
    months = month_index(last_m) - month_index(first_m)
    rate = (last_v / first_v) ** (1.0 / months) - 1.0
    return min(LEDGER_CAGR_CLAMP, max(-LEDGER_CAGR_CLAMP, rate))


def _latest_imported_at(rows: Sequence[LedgerRow]) -> str | None:
    best: tuple[datetime, str] | None = None
    for row in rows:
        if not row.last_imported_at:
            continue
        try:
            stamp = datetime.fromisoformat(row.last_imported_at.replace("Z", "+00:00"))
        except ValueError:
            continue
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        if best is None or stamp > best[0]:
            best = (stamp, row.last_imported_at)
    return None if best is None else best[1]


# --- timeline --------------------------------------------------------------------------------


def _parse_horizon(raw: object, *, digits_anywhere: bool) -> int | None:
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if math.isfinite(raw) and raw.is_integer() else None
    if isinstance(raw, str):
        text = raw.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        match = _HORIZON_STRING_RE.match(text)
        if match:
            return int(match.group(1))
        if digits_anywhere:
            found = _DIGITS_RE.search(text)
            return int(found.group()) if found else None
    return None


def _resolve_horizon(ctx: _Context, params: Mapping[str, Any], meta: Mapping[str, Any]) -> int:
    candidates = [
        ("params.horizon", params.get("horizon"), False),
        ("params.forecast_horizon", params.get("forecast_horizon"), False),
        ("params.forecastMonths", params.get("forecastMonths"), False),
        ("metadata.forecastDuration", meta.get("forecastDuration"), False),
        ("metadata.duration", meta.get("duration"), True),
    ]
    horizon = HORIZON_DEFAULT_MONTHS
    for label, raw, digits_anywhere in candidates:
        if raw is None:
            continue
        parsed = _parse_horizon(raw, digits_anywhere=digits_anywhere)
        if parsed is None and label.startswith("params."):
            # This run's own input: a nonsense value is an input error, not a silent default.
            raise InvalidParams(
                f"params_json.{label.removeprefix('params.')} is not a number of months "
                "(or one of 3months, 6months, 9months, 12months, 18months, 24months, 36months)"
            )
        if parsed is None:
            ctx.warn(f"{label} is not a horizon in months; ignored")
            continue
        horizon = parsed
        break
    return min(HORIZON_MAX_MONTHS, max(HORIZON_MIN_MONTHS, horizon))


def _resolve_start(
    ctx: _Context,
    params: Mapping[str, Any],
    meta: Mapping[str, Any],
    ledger: Mapping[str, _MonthTotals],
    created_month: str,
) -> str:
    for label, raw in (
        ("metadata.startMonth", meta.get("startMonth")),
        ("metadata.start_month", meta.get("start_month")),
        ("params.startMonth", params.get("startMonth")),
    ):
        if raw is None:
            continue
        key = parse_month(raw)
        if key is not None:
            return key
        ctx.warn(f"{label} is not a YYYY-MM month; ignored")
    if ledger:
        return add_months(max(ledger, key=month_index), 1)
    key = parse_month(created_month)
    if key is None:
        raise InvalidParams("model creation month is not a YYYY-MM month")
    return key


# --- resolution ------------------------------------------------------------------------------


def _mapping(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _lookup(ctx: _Context, name: str, chain: list[_Ref], default: float) -> float:
    """First value of ``chain`` (flat overrides included), else ``default``; recorded."""
    value = _lookup_optional(ctx, name, chain)
    if value is None:
        ctx.record(name, default, "default")
        return default
    return value


def _lookup_optional(ctx: _Context, name: str, chain: list[_Ref]) -> float | None:
    """First value of ``chain`` (flat overrides included), else None; recorded."""
    found = ctx.first(_with_flat_overrides(chain))
    if found is None:
        ctx.record(name, None, "default")
        return None
    ctx.record(name, *found)
    return found[0]


_ROLLUP_DEFAULTS: dict[str, float] = {
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
}


def resolve_inputs(mi: ModelInputs) -> Resolved:
    """Resolve the timeline, the inputs and the per-month sources of a model run.

    Raises:
        InsufficientData: no initial cash, no revenue baseline or no expense baseline.
        InvalidParams: a resolved rate is outside its meaningful range.
    """
    model_json = _mapping(mi.model_json)
    params = _mapping(mi.params_json)
    meta = _mapping(model_json.get("metadata"))
    overrides = _mapping(params.get("overrides"))
    assumptions = _mapping(model_json.get("assumptions"))
    ctx = _Context(overrides, params, assumptions)
    ledger = _ledger_by_month(mi.ledger)

    start = _resolve_start(ctx, params, meta, ledger, mi.model_created_month)
    horizon = _resolve_horizon(ctx, params, meta)
    start_idx = month_index(start)
    months = tuple(month_key(start_idx + i) for i in range(horizon))

    before = {m: t for m, t in ledger.items() if month_index(m) < start_idx}
    window = {
        m: t for m, t in before.items() if month_index(m) >= start_idx - BASELINE_WINDOW_MONTHS
    }
    if not window:
        window = before
    baseline_months = sorted(window, key=month_index)
    level_months = baseline_months[-BASELINE_LEVEL_MONTHS:]

    # initialCash
    found = ctx.first(
        _with_flat_overrides(
            _refs(
                "O.cash.initial",
                "O.initialCash",
                "P.cashOnHand+",
                "A.initialCash",
                "A.cash.initialCash",
                "A.cashOnHand",
                "A.cash",
            )
        )
    )
    if found is None:
        raise InsufficientData("no initial cash")
    initial_cash = found[0]
    ctx.record("initialCash", *found)

    # baseRevenue R
    found = ctx.first(_refs("O.baselineRevenue"))
    if found is None and level_months:
        found = (sum(window[m].inflow for m in level_months) / len(level_months), "ledger")
    if found is None:
        found = ctx.first(
            _with_flat_overrides(
                _refs("A.baselineRevenue", "A.revenue.baseline", "A.revenue.mrr", "A.mrr")
            )
        )
    if found is None:
        raise InsufficientData("no revenue baseline")
    base_revenue = found[0]
    ctx.record("baseRevenue", *found)

    # baseExpenses E
    found = ctx.first(_refs("O.baselineExpenses"))
    if found is None and level_months:
        found = (sum(window[m].outflow for m in level_months) / len(level_months), "ledger")
    if found is None:
        found = ctx.first(_with_flat_overrides(_refs("A.baselineExpenses", "A.expenses.baseline")))
    from_components = False
    if found is None:
        parts = [
            ctx.first(_refs(f"O.costs.{n}", f"O.{n}", f"A.{n}", f"A.expenses.{n}"))
            for n in ("payroll", "marketing", "infrastructure")
        ]
        present = [p for p in parts if p is not None]
        if present:
            from_components = True
            source = "override" if any(s == "override" for _, s in present) else "assumption"
            found = (sum(v for v, _ in present), source)
    if found is None:
        raise InsufficientData("no expense baseline")
    base_expenses = found[0]
    ctx.record("baseExpenses", *found)
    if not from_components:
        for part in ("payroll", "marketing", "infrastructure"):
            if ctx.value(_Ref("O", ("costs", part))) is not None:
                ctx.warn(
                    f"overrides.costs.{part} does not change baseline expenses "
                    f"(taken from {found[1]})"
                )

    revenue_multiplier = _lookup(ctx, "revenueMultiplier", _refs("O.revenue.baseline"), 1.0)
    expense_multiplier = _lookup(ctx, "expenseMultiplier", _refs("O.costs.baseline"), 1.0)

    # growth rates: explicit, else the ledger CAGR, else 0
    def growth(name: str, chain: list[_Ref], series: list[tuple[str, float]]) -> float:
        explicit = ctx.first(_with_flat_overrides(chain))
        if explicit is not None:
            ctx.record(name, *explicit)
            return explicit[0]
        cagr = _ledger_cagr(series)
        if cagr is not None:
            ctx.record(name, cagr, "ledger")
            return cagr
        ctx.record(name, 0.0, "default")
        return 0.0

    revenue_growth = growth(
        "revenueGrowth",
        _refs("O.revenue.growth", "O.revenueGrowth", "A.revenueGrowth", "A.revenue.growth"),
        [(m, window[m].inflow) for m in baseline_months],
    )
    expense_growth = growth(
        "expenseGrowth",
        _refs("O.costs.growth", "O.expenseGrowth", "A.expenseGrowth", "A.expenses.growth"),
        [(m, window[m].outflow) for m in baseline_months],
    )

    # cogsPercentage
    found = ctx.first(_refs("O.cogsPercentage", "A.cogsPercentage"))
    window_revenue = sum(t.inflow for t in window.values())
    if found is None and window and window_revenue > 0:
        share = sum(t.cogs for t in window.values()) / window_revenue
        found = (min(1.0, max(0.0, share)), "ledger")
    if found is None:
        found = (DEFAULT_COGS_PERCENTAGE, "default")
    cogs_percentage = found[0]
    ctx.record("cogsPercentage", *found)

    # churn: base c0 (assumptions only) and the effective c
    found = ctx.first(_refs("A.churnRate", "A.revenue.churnRate"))
    base_churn = None if found is None else found[0]
    ctx.record("baseChurnRate", base_churn, "default" if found is None else found[1])
    found_c = ctx.first(_refs("O.revenue.churn", "O.churnRate"))
    if found_c is None:
        churn_rate = base_churn
        ctx.record("churnRate", base_churn, "default" if found is None else found[1])
    else:
        churn_rate = found_c[0]
        ctx.record("churnRate", *found_c)

    customer_count = _lookup_optional(
        ctx,
        "customerCount",
        _refs(
            "O.customerCount",
            "P.startingCustomers+",
            "A.customerCount",
            "A.customers",
            "A.startingCustomers",
        ),
    )
    cac = _lookup_optional(ctx, "cac", _refs("A.cac", "A.unitEconomics.cac"))
    ltv = _lookup_optional(ctx, "ltv", _refs("A.ltv", "A.unitEconomics.ltv"))
    marketing = _lookup_optional(
        ctx,
        "marketing",
        _refs("O.costs.marketing", "A.marketing", "A.marketingSpend", "A.expenses.marketing"),
    )
    base_headcount = _lookup(
        ctx, "baseHeadcount", _refs("A.headcount", "A.currentHeadcount", "A.employees"), 0.0
    )
    rollup = {
        name: _lookup(ctx, name, _refs(f"O.{name}", f"A.{name}"), default)
        for name, default in _ROLLUP_DEFAULTS.items()
    }

    _check_rates(base_churn, churn_rate, revenue_growth, expense_growth)
    if rollup["nolBalance"] < 0:
        raise InvalidParams("nolBalance must be >= 0")

    sources, given, given_mask, actual_months = _month_sources(
        ctx, model_json, ledger, mi.drivers, months
    )
    forecast = np.array([s == SOURCE_FORECAST for s in sources], dtype=bool)
    headcount, headcount_cost, hiring_cost = _people(
        ctx, mi.headcount_plans, assumptions.get("hiringPlan"), start_idx, horizon, base_headcount
    )
    headcount_cost[~forecast] = 0.0
    hiring_cost[~forecast] = 0.0

    currencies = sorted({c.strip().upper() for c in mi.ledger_currencies if c and c.strip()})
    if len(currencies) > 1:
        ctx.warn(
            f"ledger mixes {len(currencies)} currencies ({', '.join(currencies)}); "
            "amounts are summed without FX conversion"
        )

    return Resolved(
        start_month=start,
        horizon=horizon,
        months=months,
        sources=tuple(sources),
        initial_cash=initial_cash,
        base_revenue=base_revenue,
        revenue_multiplier=revenue_multiplier,
        base_expenses=base_expenses,
        expense_multiplier=expense_multiplier,
        revenue_growth=revenue_growth,
        expense_growth=expense_growth,
        cogs_percentage=cogs_percentage,
        base_churn=base_churn,
        churn_rate=churn_rate,
        customer_count=customer_count,
        cac=cac,
        ltv=ltv,
        marketing=marketing,
        base_headcount=base_headcount,
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
        given_revenue=given["revenue"],
        given_cogs=given["cogs"],
        given_opex=given["opex"],
        given_mask_revenue=given_mask["revenue"],
        given_mask_cogs=given_mask["cogs"],
        given_mask_opex=given_mask["opex"],
        headcount=headcount,
        headcount_cost=headcount_cost,
        hiring_cost=hiring_cost,
        assumptions_used=ctx.used,
        warnings=tuple(ctx.warnings),
        data_ingested_at=_latest_imported_at(mi.ledger),
        transaction_months_used=len(set(baseline_months) | actual_months),
        ledger_baseline=bool(window),
    )


def _check_rates(
    base_churn: float | None, churn: float | None, growth: float, expense_growth: float
) -> None:
    if base_churn is not None and not 0.0 <= base_churn < 1.0:
        raise InvalidParams("base churnRate must be in [0, 1)")
    if churn is not None and not 0.0 <= churn <= 1.0:
        raise InvalidParams("churnRate must be in [0, 1]")
    if growth <= -1.0:
        raise InvalidParams("revenueGrowth must be greater than -1")
    if expense_growth <= -1.0:
        raise InvalidParams("expenseGrowth must be greater than -1")


def _input_drivers(ctx: _Context, drivers: Sequence[DriverInput]) -> dict[str, dict[str, float]]:
    """Per line, month -> value from the input drivers (formula-based ones are ignored)."""
    priority = list(INPUT_DRIVER_NAMES)
    matched: list[tuple[int, int, str, DriverInput]] = []
    for position, driver in enumerate(drivers):
        if driver.is_calculated or driver.has_formula:
            ctx.warn(f"driver '{driver.name}' is formula-based; formulas are not evaluated")
            continue
        norm = driver.name.strip().lower()
        if norm in INPUT_DRIVER_NAMES:
            matched.append((priority.index(norm), position, INPUT_DRIVER_NAMES[norm], driver))
    by_line: dict[str, dict[str, float]] = {line: {} for line in LINES}
    seen: dict[str, str] = {}
    for _, _, line, driver in sorted(matched, key=lambda item: (item[0], item[1])):
        if line in seen:
            ctx.warn(
                f"drivers '{seen[line]}' and '{driver.name}' both give {line}; "
                f"'{seen[line]}' wins where both have a value"
            )
        else:
            seen[line] = driver.name
        for month, raw in driver.values.items():
            value = as_number(raw)
            if value is None or not is_month_key(month):
                ctx.warn(f"driver '{driver.name}' has a non-numeric or misdated value; ignored")
                continue
            by_line[line].setdefault(month, value)
    return by_line


def _month_sources(
    ctx: _Context,
    model_json: Mapping[str, Any],
    ledger: Mapping[str, _MonthTotals],
    drivers: Sequence[DriverInput],
    months: Sequence[str],
) -> tuple[list[str], dict[str, np.ndarray], dict[str, np.ndarray], set[str]]:
    horizon = len(months)
    given = {line: np.zeros(horizon) for line in LINES}
    mask = {line: np.zeros(horizon, dtype=bool) for line in LINES}
    manual = _mapping(model_json.get("manualInputs"))
    driver_values = _input_drivers(ctx, drivers)
    sources: list[str] = []
    actual_months: set[str] = set()
    for i, key in enumerate(months):
        values: dict[str, float] = {}
        entry = manual.get(key)
        if isinstance(entry, Mapping):
            for line in LINES:
                raw = entry.get(line)
                if raw is None:
                    continue
                number = as_number(raw)
                if number is None:
                    ctx.warn(f"manualInputs.{key}.{line} is not numeric; ignored")
                    continue
                values[line] = number
        if values:
            source = SOURCE_MANUAL
        elif key in ledger:
            totals = ledger[key]
            values = {"revenue": totals.inflow, "cogs": totals.cogs, "opex": totals.opex}
            source = SOURCE_ACTUAL
            actual_months.add(key)
        else:
            values = {
                line: driver_values[line][key] for line in LINES if key in driver_values[line]
            }
            source = SOURCE_DRIVER if values else SOURCE_FORECAST
        for line, number in values.items():
            given[line][i] = number
            mask[line][i] = True
        sources.append(source)
    return sources, given, mask, actual_months


def _people(
    ctx: _Context,
    plans: Sequence[HeadcountPlan],
    hiring_plan: object,
    start_idx: int,
    horizon: int,
    base_headcount: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monthly headcount, new-hire cost (ramped) and hiringPlan cost (recurring)."""
    headcount = np.full(horizon, base_headcount, dtype=float)
    plan_cost = np.zeros(horizon)
    hiring_cost = np.zeros(horizon)
    no_salary = no_multiplier = 0
    for plan in plans:
        plan_start = parse_month(plan.start_month)
        plan_end = parse_month(plan.end_month) if plan.end_month else None
        if plan_start is None or (plan.end_month and plan_end is None):
            ctx.warn("a headcount plan has an invalid start or end month; ignored")
            continue
        first = month_index(plan_start)
        if first < start_idx:
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
        for i in range(horizon):
            k = start_idx + i
            if k < first or (last is not None and k > last):
                continue
            headcount[i] += plan.quantity
            share = min(1.0, (k - first + 1) / ramp)
            plan_cost[i] += salary * plan.quantity * multiplier * share / 12.0
    if no_salary:
        ctx.warn(f"{no_salary} headcount plan(s) have no salary; their cost is 0")
    if no_multiplier:
        ctx.warn(
            f"{no_multiplier} headcount plan(s) have no benefits multiplier; "
            f"{DEFAULT_BENEFITS_MULTIPLIER} used"
        )
    if hiring_plan is not None and not isinstance(hiring_plan, list):
        ctx.warn("assumptions.hiringPlan is not a list; ignored")
        hiring_plan = []
    for index, item in enumerate(hiring_plan or []):
        month = as_number(item.get("month")) if isinstance(item, Mapping) else None
        salary = as_number(item.get("salary")) if isinstance(item, Mapping) else None
        raw_qty = item.get("quantity") if isinstance(item, Mapping) else None
        quantity = 1.0 if raw_qty is None else as_number(raw_qty)
        if month is None or not month.is_integer() or salary is None or quantity is None:
            ctx.warn(f"assumptions.hiringPlan[{index}] lacks a numeric month or salary; ignored")
            continue
        monthly = salary if salary <= HIRING_MONTHLY_SALARY_MAX else salary / 12.0
        first_i = max(0, int(month) - 1)
        hiring_cost[first_i:] += monthly * quantity
        headcount[first_i:] += quantity
    return headcount, plan_cost, hiring_cost
