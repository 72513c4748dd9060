"""Amount, type and currency cells of a CSV import (contract §5.4.2)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

AMOUNT_LIMIT = Decimal(10) ** 16  # numeric(20,4): |amount| must stay below 10^16
AMOUNT_QUANTUM = Decimal("0.0001")
_CONTEXT = Context(prec=40, rounding=ROUND_HALF_EVEN)
_REMOVED = str.maketrans("", "", " \t\u00a0\u202f$€£¥₹,")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?")
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")

DEBIT_TYPES = frozenset(
    "debit dr withdrawal expense payment purchase charge fee out outflow".split()
)
CREDIT_TYPES = frozenset("credit cr deposit income revenue inflow in".split())


class AmountOutOfRange(ValueError):
    """|amount| ≥ 10^16."""


def parse_amount(cell: str) -> Decimal | None:
    """A trimmed amount cell as a Decimal quantised to 4 dp (half-even), or None if invalid.

    Spaces, ``$ € £ ¥ ₹`` and ``,`` (always a thousands separator) are removed; ``(x)`` and a
    trailing ``-`` mean negative; a leading ``+`` is allowed.

    Raises:
        AmountOutOfRange: when |amount| ≥ 10^16.
    """
    text = cell.translate(_REMOVED)
    negative = False
    if len(text) > 2 and text[0] == "(" and text[-1] == ")":
        text, negative = text[1:-1], True
    elif len(text) > 1 and text[-1] == "-":
        text, negative = text[:-1], True
    if not _NUMBER.fullmatch(text) or (negative and text[0] in "+-"):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if negative:
        value = -value
    if abs(value) >= AMOUNT_LIMIT:  # before rounding: huge values cannot be quantized
        raise AmountOutOfRange(cell)
    value = value.quantize(AMOUNT_QUANTUM, context=_CONTEXT)
    if abs(value) >= AMOUNT_LIMIT:  # after: 9999999999999999.99999 rounds up to 10^16
        raise AmountOutOfRange(cell)
    return value


def apply_type(amount: Decimal, type_cell: str) -> Decimal:
    """Sign from a ``type`` cell: debits negative, credits positive, anything else unchanged."""
    kind = type_cell.strip().lower()
    if kind in DEBIT_TYPES:
        return -abs(amount)
    if kind in CREDIT_TYPES:
        return abs(amount)
    return amount


def currency_code(cell: str, default: str) -> str:
    """The cell upper-cased when it is three letters A–Z, else ``default``."""
    code = cell.strip().upper()
    return code if _CURRENCY_CODE.fullmatch(code) else default
