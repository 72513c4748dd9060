"""Number formatting of the exports (contract §5.3): currency, thousands, 2 dp, ``n/a``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.reports.data import num

NOT_AVAILABLE = "n/a"
NO_BURN_RUNWAY_MONTHS = 999  # the engine's "no burn" sentinel (§5.1.5): never printed
NO_BURN = "No burn"
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
        x = num(value)
        if x is None:
            return NOT_AVAILABLE
        sign = "-" if x < 0 and round(abs(x), 2) != 0 else ""
        return f"{sign}{self.prefix}{abs(x):,.2f}"

    def compact(self, value: Any) -> str:
        """Short money for chart axes: ``$1.25M``, ``$350K``, ``-$2.5B``."""
        x = num(value)
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
        return _fixed(value, decimals=decimals)

    @staticmethod
    def count(value: Any) -> str:
        """A count: ``1,234`` when integral, else 2 dp."""
        x = num(value)
        if x is None:
            return NOT_AVAILABLE
        if x.is_integer():
            return f"{x:,.0f}"
        return f"{x:,.2f}"

    @staticmethod
    def percent(fraction: Any) -> str:
        """A fraction as a percentage: ``0.725`` → ``72.50%``."""
        return _fixed(fraction, scale=100, suffix="%")

    @staticmethod
    def points(value: Any) -> str:
        """A value already in percent: ``45.2`` → ``45.20%``."""
        return _fixed(value, suffix="%")

    @staticmethod
    def ratio(value: Any) -> str:
        """A multiple: ``3.2`` → ``3.20x``."""
        return _fixed(value, suffix="x")

    @staticmethod
    def months(value: Any) -> str:
        """Months; the engine's 999 "no burn" sentinel reads ``No burn``, never a number."""
        if is_no_burn(value):
            return NO_BURN
        return _fixed(value, suffix=" months")

    @staticmethod
    def runway(value: Any, burn: Any = None) -> str:
        """A runway: ``No burn`` when the engine's sentinel stands for a zero burn, else months.

        Args:
            value: ``runwayMonths`` (or ``runwayFromStartMonths``).
            burn: the burn of the same month, when known: a real runway of 999 months (a burn
                above 0) is then printed as the figure it is.
        """
        if is_no_burn(value, burn):
            return NO_BURN
        return _fixed(value, suffix=" months")


def is_no_burn(runway: Any, burn: Any = None) -> bool:
    """Whether ``runway`` is the engine's 999 sentinel for "no burn" (§5.1.5).

    The engine writes exactly 999 when the burn is 0 (and cash is positive); with the burn at
    hand a 999 beside a positive burn is a real figure.
    """
    x = num(runway)
    if x is None or x != NO_BURN_RUNWAY_MONTHS:
        return False
    b = num(burn)
    return b is None or b <= 0


def _fixed(value: Any, *, scale: int = 1, suffix: str = "", decimals: int = 2) -> str:
    """``value × scale`` with thousands separators, ``decimals`` places and ``suffix``; else n/a."""
    x = num(value)
    if x is None:
        return NOT_AVAILABLE
    return f"{x * scale:,.{decimals}f}{suffix}"


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


def period_label(months: Sequence[str], default: str = "") -> str:
    """``Jan 2025 – Dec 2025`` from the first to the last of ``months``; ``default`` if none."""
    if not months:
        return default
    return f"{month_label(months[0])} – {month_label(months[-1])}"
