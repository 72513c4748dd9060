"""The range of each explicit model input (issue 9, item 4).

A value that is given (in the overrides, the run's params or the model's assumptions) must be
a finite number inside the range of what it means; otherwise the run fails with
``InvalidParams`` naming the field, instead of falling back to a default. The ranges are
generous: they reject what cannot be meant (a monthly growth of 1e6, a churn of 5, a negative
revenue), not what is merely unusual.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Money levels beyond this are absurd (a quadrillion in any currency).
MONEY_LIMIT = 1e15


@dataclass(frozen=True)
class Bounds:
    """A closed or half-open interval, and what the unit is (for the message).

    Attributes:
        low, high: the limits (None: unbounded on that side).
        low_open, high_open: the limit itself is excluded.
        unit: how the value is read, e.g. ``a monthly fraction: 0.05 = 5 %``.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    unit: str = ""

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside."""
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return self.high is None or not (
            value > self.high or (self.high_open and value == self.high)
        )

    def describe(self) -> str:
        """``in (-1, 10] (a monthly fraction: 0.05 = 5 %)``, ``>= 0``."""
        unit = f" ({self.unit})" if self.unit else ""
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"in {left}{_text(self.low)}, {_text(self.high)}{right}{unit}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {_text(self.low)}{unit}"
        if self.high is not None:
            return f"{'<' if self.high_open else '<='} {_text(self.high)}{unit}"
        return f"a finite number{unit}"


def _text(limit: float) -> str:
    return f"{limit:g}" if abs(limit) < 1e6 else f"{limit:.0e}"


MONEY = Bounds(-MONEY_LIMIT, MONEY_LIMIT, unit="an amount")
LEVEL = Bounds(0.0, MONEY_LIMIT, unit="an amount")
MULTIPLIER = Bounds(0.0, 100.0, unit="a multiplier: 1.2 = +20 %")
GROWTH = Bounds(-1.0, 10.0, low_open=True, unit="a monthly fraction: 0.05 = 5 %")
SHARE = Bounds(0.0, 10.0, unit="a fraction of revenue: 0.25 = 25 %")
BASE_CHURN = Bounds(0.0, 1.0, high_open=True, unit="a monthly fraction: 0.02 = 2 %")
CHURN = Bounds(0.0, 1.0, unit="a monthly fraction: 0.02 = 2 %")
FRACTION = Bounds(0.0, 1.0, unit="a fraction: 0.25 = 25 %")
ANNUAL_RATE = Bounds(0.0, 10.0, unit="an annual fraction: 0.08 = 8 %")
DAYS = Bounds(0.0, 3650.0, unit="days")
COUNT = Bounds(0.0, 1e12, unit="a count")
HEADCOUNT = Bounds(0.0, 1e7, unit="people")
