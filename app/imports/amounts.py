"""Amount, type and currency cells of an import (contract §5.4.2, as issue 9 overrules it).

An amount is read under one decimal convention (:class:`AmountFormat`): a decimal point with
``,`` grouping thousands, or a decimal comma with ``.`` grouping them; spaces (also no-break
and thin ones) and apostrophes group thousands in both. Groups must be well formed (``1,234``,
``12,34,567`` in Indian grouping, never ``1,234,56``), so a cell read under the wrong convention
is an error rather than another number. When the import does not say which convention its file
uses, :class:`SeparatorInference` decides it from the file's amount cells, as the date order is
decided from its date cells; the convention belongs to the parser, not to a file format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

from app.errors import InvalidFile, InvalidParams

AMOUNT_LIMIT = Decimal(10) ** 16  # numeric(20,4): |amount| must stay below 10^16
AMOUNT_QUANTUM = Decimal("0.0001")
_CONTEXT = Context(prec=40, rounding=ROUND_HALF_EVEN)
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")

DECIMAL_POINT = "."
DECIMAL_COMMA = ","
DECIMAL_SEPARATORS = (DECIMAL_POINT, DECIMAL_COMMA)
#: Marks that group thousands whatever the decimal separator.
SPACE_MARKS = " \u00a0\u202f\u2009"
APOSTROPHE_MARKS = "'\u2019"
#: Stripped from both ends of a cell (and inside a sign or parentheses).
_EDGE = SPACE_MARKS + "\t$€£¥₹"

#: Where the convention came from (``stats_json.decimalSeparatorSource``).
SOURCE_PARAMS = "params"
SOURCE_INFERRED = "inferred"
SOURCE_EITHER = "either"  # no amount of the file reads differently under the other convention
#: Supporting evidence for a decimal comma (never proof on its own).
HINT_SEMICOLON = "the ';' delimiter"
HINT_DAY_FIRST = "day-first dates"

DEBIT_TYPES = frozenset(
    "debit dr withdrawal expense payment purchase charge fee out outflow".split()
)
CREDIT_TYPES = frozenset("credit cr deposit income revenue inflow in".split())


class AmountOutOfRange(ValueError):
    """|amount| ≥ 10^16."""


def other_separator(separator: str) -> str:
    """``,`` for ``.`` and ``.`` for ``,``."""
    return DECIMAL_COMMA if separator == DECIMAL_POINT else DECIMAL_POINT


def _number_pattern(decimal: str) -> re.Pattern[str]:
    """A plain number (exponent allowed), or well-formed thousands groups and a fraction."""
    d = re.escape(decimal)
    marks = re.escape(SPACE_MARKS + APOSTROPHE_MARKS + other_separator(decimal))
    western = rf"[1-9]\d{{0,2}}(?P<g>[{marks}])\d{{3}}(?:(?P=g)\d{{3}})*"
    grouped = western
    if decimal == DECIMAL_POINT:  # lakh/crore grouping: 12,34,567.89
        grouped += r"|[1-9]\d?,(?:\d{2},)+\d{3}"
    return re.compile(
        rf"(?P<plain>\d+(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d{{1,4}})?"
        rf"|(?P<grouped>{grouped})(?:{d}(?P<frac>\d*))?"
    )


_PATTERNS = {separator: _number_pattern(separator) for separator in DECIMAL_SEPARATORS}
#: A cell's shape: every digit a 9. Which conventions read a cell depends only on its shape and
#: on whether its number starts with 0 (a thousands group never does).
_SHAPE = str.maketrans("0123456789", "9999999999")
_BEFORE_NUMBER = _EDGE + "(+-"
SHAPE_CACHE_ENTRIES = 4096
_READS_COMMA, _READS_POINT, _READS_BOTH, _READS_NEITHER = range(4)


def _split_sign(cell: str) -> tuple[bool, str] | None:
    """``(negative, unsigned text)``: ``(x)``, a trailing or leading ``-``, a leading ``+``."""
    text = cell.strip(_EDGE)
    negative = False
    if len(text) > 2 and text[0] == "(" and text[-1] == ")":
        text, negative = text[1:-1].strip(_EDGE), True
    elif len(text) > 1 and text[-1] == "-":
        text, negative = text[:-1].strip(_EDGE), True
    if text[:1] in ("+", "-"):
        if negative:
            return None  # two signs
        negative = text[0] == "-"
        text = text[1:].strip(_EDGE)
    return negative, text


def _canonical(text: str, decimal: str) -> str | None:
    """The unsigned number in Python's notation (``1234.56``), or None if malformed."""
    match = _PATTERNS[decimal].fullmatch(text)
    if match is None:
        return None
    if match["plain"] is not None:
        return text if decimal == DECIMAL_POINT else text.replace(DECIMAL_COMMA, DECIMAL_POINT)
    digits = match["grouped"].replace(match["g"] or DECIMAL_COMMA, "")  # Indian groups use ","
    fraction = match["frac"]
    return digits if fraction is None else f"{digits}.{fraction}"


def _value(negative: bool, canonical: str) -> Decimal:
    value = Decimal(canonical)
    return -value if negative else value


def parse_amount(cell: str, decimal_separator: str = DECIMAL_POINT) -> Decimal | None:
    """A trimmed amount cell as a Decimal quantised to 4 dp (half-even), or None if invalid.

    Currency symbols ``$ € £ ¥ ₹`` and spaces around the number are ignored; ``(x)`` and a
    trailing ``-`` mean negative; a leading ``+`` is allowed. ``decimal_separator`` is ``.``
    (``,`` groups thousands) or ``,`` (``.`` groups thousands).

    Raises:
        AmountOutOfRange: when |amount| ≥ 10^16.
    """
    signed = _split_sign(cell)
    if signed is None:
        return None
    negative, text = signed
    canonical = _canonical(text, decimal_separator)
    if canonical is None:
        return None
    try:
        value = _value(negative, canonical)
    except InvalidOperation:
        return None
    if abs(value) >= AMOUNT_LIMIT:  # before rounding: huge values cannot be quantized
        raise AmountOutOfRange(cell)
    value = value.quantize(AMOUNT_QUANTUM, context=_CONTEXT)
    if abs(value) >= AMOUNT_LIMIT:  # after: 9999999999999999.99999 rounds up to 10^16
        raise AmountOutOfRange(cell)
    return value


@dataclass(frozen=True)
class AmountFormat:
    """The decimal convention of one file's amounts, and where it came from.

    Attributes:
        decimal_separator: ``.`` or ``,``.
        source: ``params``, ``inferred`` (some amount reads only one way) or ``either`` (every
            amount reads the same both ways; supporting evidence picked the one reported).
    """

    decimal_separator: str = DECIMAL_POINT
    source: str = SOURCE_PARAMS

    @property
    def thousands_separator(self) -> str:
        """The separator that groups thousands: the other of ``.`` and ``,``."""
        return other_separator(self.decimal_separator)

    def stats_json(self) -> dict[str, str]:
        """The keys ``stats_json`` and the success log entry carry."""
        return {
            "decimalSeparator": self.decimal_separator,
            "thousandsSeparator": self.thousands_separator,
            "decimalSeparatorSource": self.source,
        }


def _plain(value: Decimal) -> str:
    """A reading as plain digits with a decimal point (``1234``, ``-1.234``)."""
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


class SeparatorInference:
    """Decides one file's decimal separator from all its amount cells (first pass).

    A cell that reads only with a decimal comma (``-1.234,56``, ``12,50``) or only with a
    decimal point (``1,234.56``, ``-4.5``) is evidence; a cell whose two readings differ
    (``1.234``) is ambiguous; a cell that reads the same either way (``100``, ``1 234``) says
    nothing. The delimiter and the date order are supporting evidence only.
    """

    def __init__(self) -> None:
        self.comma_row: int | None = None  # first row that reads only with a decimal comma
        self.point_row: int | None = None  # first row that reads only with a decimal point
        self.ambiguous: tuple[int, Decimal, Decimal] | None = None  # (row, comma, point)
        self._shapes: dict[str, int] = {}

    def add(self, cell: str, row_number: int) -> None:
        """Look at one trimmed amount cell of data row ``row_number``."""
        if DECIMAL_COMMA not in cell and DECIMAL_POINT not in cell:
            return
        shape = cell.translate(_SHAPE)
        if cell.lstrip(_BEFORE_NUMBER)[:1] == "0":
            shape += "0"
        reads = self._shapes.get(shape)
        if reads is None:
            if len(self._shapes) >= SHAPE_CACHE_ENTRIES:
                self._shapes.clear()
            reads = self._shapes[shape] = _reads(cell)
        if reads == _READS_COMMA:
            if self.comma_row is None:
                self.comma_row = row_number
        elif reads == _READS_POINT:
            if self.point_row is None:
                self.point_row = row_number
        elif reads == _READS_BOTH and self.ambiguous is None:
            self.ambiguous = _readings(cell, row_number)

    def decide(self, hints: Iterable[str] = ()) -> AmountFormat:
        """The convention the evidence proves; ``hints`` name supporting evidence for a comma.

        Raises:
            InvalidFile: some amounts read only with a comma and others only with a point.
            InvalidParams: amounts read differently under the two conventions and none decides.
        """
        hints = list(hints)
        if self.comma_row is not None and self.point_row is not None:
            raise InvalidFile(
                f"amounts mix decimal conventions: row {self.comma_row} reads only with a "
                f"decimal comma and row {self.point_row} only with a decimal point; set "
                "decimalSeparator or fix the file"
            )
        if self.comma_row is not None:
            return AmountFormat(DECIMAL_COMMA, SOURCE_INFERRED)
        if self.point_row is not None:
            return AmountFormat(DECIMAL_POINT, SOURCE_INFERRED)
        if self.ambiguous is not None:
            row, comma, point = self.ambiguous
            suggested = (
                f" ({' and '.join(hints)} suggest a decimal comma, which is not proof)"
                if hints
                else ""
            )
            raise InvalidParams(
                f"amounts are ambiguous: row {row} reads as {_plain(comma)} with a decimal comma "
                f"or as {_plain(point)} with a decimal point, and no amount decides{suggested}; "
                "set decimalSeparator to ',' or '.'"
            )
        return AmountFormat(DECIMAL_COMMA if hints else DECIMAL_POINT, SOURCE_EITHER)


def _reads(cell: str) -> int:
    """Which conventions read ``cell``: only the comma, only the point, both, or neither."""
    signed = _split_sign(cell)
    if signed is None:
        return _READS_NEITHER
    comma = _canonical(signed[1], DECIMAL_COMMA) is not None
    point = _canonical(signed[1], DECIMAL_POINT) is not None
    if comma and point:
        return _READS_BOTH  # one separator, a decimal mark in one reading, a group in the other
    return _READS_COMMA if comma else _READS_POINT if point else _READS_NEITHER


def _readings(cell: str, row_number: int) -> tuple[int, Decimal, Decimal] | None:
    """``(row, comma reading, point reading)`` of a cell both conventions read differently.

    They always differ: the reading that groups thousands is at least 1000 (its first group
    does not start with 0), the one with a decimal mark has at most three integer digits.
    """
    signed = _split_sign(cell)
    if signed is None:
        return None
    negative, text = signed
    comma, point = _canonical(text, DECIMAL_COMMA), _canonical(text, DECIMAL_POINT)
    if comma is None or point is None:
        return None
    try:
        readings = _value(negative, comma), _value(negative, point)
    except InvalidOperation:
        return None
    return (row_number, *readings) if readings[0] != readings[1] else None


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
