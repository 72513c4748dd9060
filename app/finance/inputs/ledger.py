"""What the ledger says: monthly totals, cost categories and the baseline window (§5.1.3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from app.errors import InvalidParams
from app.finance.inputs.records import LedgerRow
from app.finance.months import is_month_key, month_index
from app.finance.numeric import as_number

BASELINE_WINDOW_MONTHS = 12
BASELINE_LEVEL_MONTHS = 3
LEDGER_CAGR_CLAMP = 0.25
COGS_CATEGORY_MARKERS = ("cogs", "hosting", "aws", "stripe", "infrastructure", "cost of")


@dataclass
class MonthTotals:
    """One month of the ledger, summed over its categories."""

    inflow: float = 0.0
    outflow: float = 0.0
    cogs: float = 0.0
    count: int = 0

    @property
    def opex(self) -> float:
        """Outflow that is not cogs."""
        return self.outflow - self.cogs


#: Picks one flow of a month (``inflow`` for revenue, ``outflow`` for expenses).
Flow = Callable[[MonthTotals], float]


def inflow(totals: MonthTotals) -> float:
    """The month's inflow (revenue)."""
    return totals.inflow


def outflow(totals: MonthTotals) -> float:
    """The month's outflow (expenses)."""
    return totals.outflow


def is_cogs_category(category: str | None) -> bool:
    """Cost category rule of §5.1.3: case-insensitive substring match, else opex."""
    if not category:
        return False
    lowered = category.lower()
    return any(marker in lowered for marker in COGS_CATEGORY_MARKERS)


def ledger_by_month(rows: Sequence[LedgerRow]) -> dict[str, MonthTotals]:
    """Totals per month with transactions, in the order the rows first name the months.

    Raises:
        InvalidParams: a row with an invalid month key or a non-numeric total.
    """
    totals: dict[str, MonthTotals] = {}
    for row in rows:
        if not is_month_key(row.month):
            raise InvalidParams("ledger row has an invalid month key")
        received, paid = as_number(row.inflow), as_number(row.outflow)
        if received is None or paid is None:
            raise InvalidParams(f"ledger month {row.month} has a non-numeric total")
        t = totals.setdefault(row.month, MonthTotals())
        t.inflow += received
        t.outflow += paid
        if is_cogs_category(row.category):
            t.cogs += paid
        t.count += int(row.count)
    return {m: t for m, t in totals.items() if t.count > 0}


@dataclass(frozen=True)
class BaselineWindow:
    """The ledger months baselines come from: the 12 before the start, else all before it.

    Attributes:
        totals: month -> totals, in ledger order (sums run in this order).
        months: the same months in calendar order.
    """

    totals: dict[str, MonthTotals]
    months: list[str]

    @classmethod
    def before(cls, ledger: Mapping[str, MonthTotals], start_index: int) -> BaselineWindow:
        """The window of a forecast starting at month index ``start_index``."""
        first = start_index - BASELINE_WINDOW_MONTHS
        before = {m: t for m, t in ledger.items() if month_index(m) < start_index}
        window = {m: t for m, t in before.items() if month_index(m) >= first}
        if not window:
            window = before
        return cls(totals=window, months=sorted(window, key=month_index))

    def level(self, flow: Flow) -> float | None:
        """The mean of ``flow`` over the last three window months, or None for an empty window."""
        level_months = self.months[-BASELINE_LEVEL_MONTHS:]
        if not level_months:
            return None
        return sum(flow(self.totals[m]) for m in level_months) / len(level_months)

    def growth(self, flow: Flow) -> float | None:
        """The monthly CAGR of ``flow`` between its first and last positive month, clamped."""
        series = [(m, flow(self.totals[m])) for m in self.months]
        positive = [(m, v) for m, v in series if v > 0]
        if len(positive) < 2:
            return None
        (first_m, first_v), (last_m, last_v) = positive[0], positive[-1]
        months = month_index(last_m) - month_index(first_m)
        rate = (last_v / first_v) ** (1.0 / months) - 1.0
        return min(LEDGER_CAGR_CLAMP, max(-LEDGER_CAGR_CLAMP, rate))

    def cogs_share(self) -> float | None:
        """Cogs over revenue of the whole window, clamped to [0, 1]; None without revenue."""
        revenue = sum(t.inflow for t in self.totals.values())
        if not (self.totals and revenue > 0):
            return None
        share = sum(t.cogs for t in self.totals.values()) / revenue
        return min(1.0, max(0.0, share))


def latest_imported_at(rows: Sequence[LedgerRow]) -> str | None:
    """The latest ``last_imported_at`` of the rows, as given (unparseable stamps skipped)."""
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
