"""Date cells of a CSV import (contract §5.4.3): ``dateFormat``, per-file order inference.

Year-first values (``2024-01-15``, ``2024/1/5``, ``2024.01.15``, ``20240115``) and English
month-name values (``15 Jan 2024``, ``Jan 15, 2024``, ``15-Jan-24``) are unambiguous.
``A/B/C`` values (separators ``/ - .``, C of 2 or 4 digits) take their order from a day-first
or month-first ``dateFormat``, else from :class:`OrderInference` over the whole column.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from app.errors import InvalidFile, InvalidParams

DEFAULT_DATE_FORMAT = "YYYY-MM-DD"
YEAR_FIRST_FORMATS = frozenset({"YYYY-MM-DD", "YYYY/MM/DD", "YYYYMMDD"})
DAY_FIRST_FORMATS = frozenset({"DD/MM/YYYY", "DD.MM.YYYY", "DD-MM-YYYY", "DD/MM/YY"})
MONTH_FIRST_FORMATS = frozenset({"MM/DD/YYYY", "MM-DD-YYYY", "MM/DD/YY"})
ACCEPTED_FORMATS = YEAR_FIRST_FORMATS | DAY_FIRST_FORMATS | MONTH_FIRST_FORMATS

ORDER_YMD = "YMD"
ORDER_MDY = "MDY"
ORDER_DMY = "DMY"
MIN_YEAR, MAX_YEAR = 1900, 2100
AMBIGUOUS_WARNING = "ambiguous dates read as MM/DD"

# Shapes of a date cell.
KIND_YEAR_FIRST = "ymd"
KIND_MONTH_NAME = "name"
KIND_ABC = "abc"

_TIME_SUFFIX = re.compile(
    r"^(?P<date>.*?\d)"
    r"(?:T\d.*"
    r"|\s+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
    r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)$"
)
_YEAR_FIRST = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_EIGHT_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ABC = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})$")
_DAY_MONTH_NAME = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]+([A-Za-z]{3,9})\.?,?[\s\-/.]+(\d{4}|\d{2})$"
)
_MONTH_NAME_DAY = re.compile(
    r"^([A-Za-z]{3,9})\.?[\s\-/.]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/.]+(\d{4}|\d{2})$"
)
_MONTHS = {
    name: index + 1
    for index, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}


def normalise_date_format(value: object) -> str:
    """``params.dateFormat`` upper-cased and checked; absent → ``YYYY-MM-DD``.

    Raises:
        InvalidParams: for a value outside the accepted list.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_DATE_FORMAT
    if not isinstance(value, str):
        raise InvalidParams("params.dateFormat must be a string")
    fmt = value.strip().upper()
    if fmt not in ACCEPTED_FORMATS:
        accepted = ", ".join(sorted(ACCEPTED_FORMATS))
        # The value itself is not repeated: parameters never go into last_error or logs (§3.1).
        raise InvalidParams(f"unsupported dateFormat; use one of {accepted}")
    return fmt


def format_order(date_format: str) -> str | None:
    """``DMY`` / ``MDY`` for a day- or month-first format; None when the file decides."""
    if date_format in DAY_FIRST_FORMATS:
        return ORDER_DMY
    if date_format in MONTH_FIRST_FORMATS:
        return ORDER_MDY
    return None


def strip_time(cell: str) -> str:
    """Drop a trailing ``T…`` or `` HH:MM[:SS]`` time part."""
    match = _TIME_SUFFIX.match(cell)
    return match.group("date") if match else cell


def full_year(digits: str) -> int:
    """A 2- or 4-digit year: 00–68 → 20xx, 69–99 → 19xx."""
    year = int(digits)
    if len(digits) == 2:
        return 2000 + year if year <= 68 else 1900 + year
    return year


def make_date(year: int, month: int, day: int) -> datetime.date | None:
    """A calendar date within 1900–2100, or None."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class ParsedDate:
    """A parsed cell: the date (None when invalid) and the cell's shape (None if unknown)."""

    value: datetime.date | None
    kind: str | None


def parse_date(cell: str, order: str) -> ParsedDate:
    """Parse one trimmed, non-empty date cell; ``order`` (MDY/DMY) applies to A/B/C values."""
    text = strip_time(cell)
    match = _YEAR_FIRST.match(text) or _EIGHT_DIGITS.match(text)
    if match:
        groups = match.groups()
        year, month, day = groups[0], groups[-2], groups[-1]
        return ParsedDate(make_date(int(year), int(month), int(day)), KIND_YEAR_FIRST)
    match = _ABC.match(text)
    if match:
        a, _, b, c = match.groups()
        month, day = (int(a), int(b)) if order == ORDER_MDY else (int(b), int(a))
        return ParsedDate(make_date(full_year(c), month, day), KIND_ABC)
    match = _DAY_MONTH_NAME.match(text)
    if match:
        day_text, name, year_text = match.groups()
    else:
        match = _MONTH_NAME_DAY.match(text)
        if not match:
            return ParsedDate(None, None)
        name, day_text, year_text = match.groups()
    month_number = _MONTHS.get(name.lower())
    if month_number is None:
        return ParsedDate(None, None)
    return ParsedDate(make_date(full_year(year_text), month_number, int(day_text)), KIND_MONTH_NAME)


class OrderInference:
    """Decides the A/B/C order of one file from all its date cells (first pass).

    A value counts as day-first evidence when A is 13–31 and B ≤ 12, and as month-first
    evidence when B is 13–31 and A ≤ 12; a value impossible in both orders counts for
    neither (it is reported later as an invalid date).
    """

    def __init__(self) -> None:
        self.day_first = False
        self.month_first = False
        self.abc_seen = False

    def add(self, cell: str) -> None:
        """Look at one trimmed date cell."""
        match = _ABC.match(strip_time(cell))
        if not match:
            return
        self.abc_seen = True
        a, b = int(match.group(1)), int(match.group(3))
        if 12 < a <= 31 and 1 <= b <= 12:
            self.day_first = True
        elif 12 < b <= 31 and 1 <= a <= 12:
            self.month_first = True

    def order(self) -> tuple[str, str | None]:
        """The order for A/B/C values and an optional warning.

        Raises:
            InvalidFile: when the file holds both day-first and month-first values.
        """
        if self.day_first and self.month_first:
            raise InvalidFile(
                "ambiguous date order: some dates have a day above 12 first (DD/MM) and others "
                "second (MM/DD); set dateFormat or fix the file"
            )
        if self.day_first:
            return ORDER_DMY, None
        if self.month_first:
            return ORDER_MDY, None
        return ORDER_MDY, (AMBIGUOUS_WARNING if self.abc_seen else None)
