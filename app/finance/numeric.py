"""Numbers read from JSON and database values: a finite float, or nothing."""

from __future__ import annotations

import math
from decimal import Decimal


def as_number(value: object) -> float | None:
    """A finite float from a number (``Decimal`` too) or a numeric string; else None (bools too)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float | Decimal):
            number = float(value)
        elif isinstance(value, str):
            number = float(value.strip())
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None
