"""Number formatting of the exports (contract §5.3): currency, thousands, 2 dp, ``n/a``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

NOT_AVAILABLE = "n/a"
NO_BURN_RUNWAY_MONTHS = 999  # the engine's "no burn" sentinel (§5.1.5)
CURRENCY_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥"}
MONTH_NAMES = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        result = float(value)
        return result if math.isfinite(result) else None
    return None


def currency_prefix(currency: str, unavailable_glyphs: Iterable[str] = ()) -> str:
    """``$`` / ``€`` / ``£`` / ``₹`` / ``¥`` for the five known codes, else ``"<CODE> "``.

    Args:
        currency: the ISO code (any case).
        unavailable_glyphs: symbols the output font cannot draw; those fall back to the code.
    """
    code = (currency or "USD").strip().upper() or "USD"
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol is None or symbol in set(unavailable_glyphs):
        return f"{code} "
    return symbol


@dataclass(frozen=True)
class Formatter:
    """Formats numbers of one report in one currency.

    Attributes:
        currency: the org currency code.
        unavailable_glyphs: currency symbols the output font lacks (fall back to ``CODE ``).
    """

    currency: str = "USD"
    unavailable_glyphs: frozenset[str] = field(default_factory=frozenset)

    @property
    def prefix(self) -> str:
        """The currency prefix (symbol, or ``CODE ``)."""
        return currency_prefix(self.currency, self.unavailable_glyphs)

    def money(self, value: Any) -> str:
        """``-$1,234.56``; ``n/a`` for null."""
        x = _finite(value)
        if x is None:
            return NOT_AVAILABLE
        sign = "-" if x < 0 and round(abs(x), 2) != 0 else ""
        return f"{sign}{self.prefix}{abs(x):,.2f}"

    def compact(self, value: Any) -> str:
        """Short money for chart axes: ``$1.25M``, ``$350K``, ``-$2.5B``."""
        x = _finite(value)
        if x is None:
            return NOT_AVAILABLE
        sign = "-" if x < 0 else ""
        a = abs(x)
        for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if a >= limit:
                text = f"{a / limit:,.2f}".rstrip("0").rstrip(".")
                return f"{sign}{self.prefix}{text}{suffix}"
        return f"{sign}{self.prefix}{a:,.0f}"

    @staticmethod
    def number(value: Any, decimals: int = 2) -> str:
        """``1,234.56``; ``n/a`` for null."""
        x = _finite(value)
        if x is None:
            return NOT_AVAILABLE
        return f"{x:,.{decimals}f}"

    @staticmethod
    def count(value: Any) -> str:
        """A count: ``1,234`` when integral, else 2 dp."""
        x = _finite(value)
        if x is None:
            return NOT_AVAILABLE
        if x.is_integer():
            return f"{x:,.0f}"
        return f"{x:,.2f}"

    @staticmethod
    def percent(fraction: Any) -> str:
        """A fraction as a percentage: ``0.725`` → ``72.50%``."""
        x = _finite(fraction)
        if x is None:
            return NOT_AVAILABLE
        return f"{x * 100:,.2f}%"

    @staticmethod
    def points(value: Any) -> str:
        """A value already in percent: ``45.2`` → ``45.20%``."""
        x = _finite(value)
        if x is None:
            return NOT_AVAILABLE
        return f"{x:,.2f}%"

    @staticmethod
    def ratio(value: Any) -> str:
        """A multiple: ``3.2`` → ``3.20x``."""
        x = _finite(value)
        if x is None:
            return NOT_AVAILABLE
        return f"{x:,.2f}x"

    @staticmethod
    def months(value: Any) -> str:
        """Months, with the 999 "no burn" sentinel spelled out."""
        x = _finite(value)
        if x is None:
            return NOT_AVAILABLE
        if x >= NO_BURN_RUNWAY_MONTHS:
            return "No burn (999)"
        return f"{x:,.2f} months"


def month_label(month: str) -> str:
    """``2025-03`` → ``Mar 2025`` (other text is returned unchanged)."""
    try:
        year, mon = month.split("-")
        return f"{MONTH_NAMES[int(mon) - 1]} {int(year)}"
    except (ValueError, IndexError):
        return month


def short_month_label(month: str) -> str:
    """``2025-03`` → ``Mar '25`` for chart axes."""
    try:
        year, mon = month.split("-")
        return f"{MONTH_NAMES[int(mon) - 1]} '{year[-2:]}"
    except (ValueError, IndexError):
        return month
