"""Month keys (``YYYY-MM``) and the arithmetic on them."""

from __future__ import annotations

import re

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_MONTH_PREFIX_RE = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2}(?:[T ].*)?)?$")


def is_month_key(value: object) -> bool:
    """Whether ``value`` is a ``YYYY-MM`` string with a month in 1..12."""
    if not isinstance(value, str):
        return False
    match = _MONTH_RE.match(value)
    return match is not None and 1 <= int(match.group(2)) <= 12


def parse_month(value: object) -> str | None:
    """A ``YYYY-MM`` key from ``YYYY-MM`` or an ISO date/datetime string, else None."""
    if not isinstance(value, str):
        return None
    match = _MONTH_PREFIX_RE.match(value.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{match.group(1)}-{match.group(2)}"


def month_index(key: str) -> int:
    """Months since year 0 for a ``YYYY-MM`` key (so differences count calendar months)."""
    if not is_month_key(key):
        raise ValueError("not a YYYY-MM month key")
    return int(key[:4]) * 12 + int(key[5:7]) - 1


def month_key(index: int) -> str:
    """The ``YYYY-MM`` key of a month index (inverse of :func:`month_index`)."""
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def add_months(key: str, months: int) -> str:
    """``key`` shifted by ``months`` calendar months."""
    return month_key(month_index(key) + months)
