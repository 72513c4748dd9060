"""Typed spreadsheet cells: as JSON (preview, ``raw_payload``), as text (the row seam), formulas.

openpyxl hands over ``str``, ``int``, ``float``, ``bool``, ``datetime``/``date``/``time``/
``timedelta`` (cells with a date or time number format) and ``None``; Excel errors such as
``#DIV/0!`` arrive as their text. CONTRACT-2 §5.9 "Cell serialisation" fixes the JSON forms.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl.utils.datetime import from_excel

PREVIEW_TEXT_CHARS = 500
FORMULA_HASH_CHARS = 16
#: Functions whose result changes on every recalculation (the cached value may be stale).
VOLATILE_FUNCTIONS = ("NOW", "TODAY", "RAND", "RANDBETWEEN", "RANDARRAY", "OFFSET", "INDIRECT",
                      "CELL", "INFO")  # fmt: skip
_VOLATILE = re.compile(r"(?<![A-Z0-9_.])(" + "|".join(VOLATILE_FUNCTIONS) + r")\s*\(")
_STRING_LITERAL = re.compile(r'"(?:[^"]|"")*"')
#: ``[1]Sheet!A1``, ``'[Book.xlsx]My sheet'!A1``, ``Sheet2!A1``, ``'My sheet'!A1``.
_EXTERNAL_REF = re.compile(r"'?\[([^\]]+)\]([^'!]*)'?!")
_SHEET_REF = re.compile(r"(?:'((?:[^']|'')+)'|([A-Za-z_][\w.]*))!")
#: Serial numbers that are dates within 1900–2100 in either date system.
MAX_DATE_SERIAL = 73_415
INTEGRAL_FLOAT_LIMIT = 1e15


def to_json(value: Any, *, limit: int | None = None) -> Any:
    """A cell as JSON: ISO dates, ``HH:MM:SS`` times, finite numbers, booleans, text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.replace(microsecond=0, tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.replace(microsecond=0).isoformat(timespec="seconds")
    if isinstance(value, datetime.timedelta):
        return _duration(value)
    text = str(value)
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def to_text(value: Any) -> str:
    """A cell as the trimmed text the row parser reads (``""`` for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < INTEGRAL_FLOAT_LIMIT:
            return str(int(value))
        return repr(value)  # the shortest text that reads back as the same double
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0, 0):
        return value.date().isoformat()
    return str(to_json(value))


def number_text(value: int | float) -> str:
    """A number cell as plain digits with a decimal point (shortest form, never an exponent)."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    return format(Decimal(repr(value)), "f")


def date_text(value: Any, epoch: datetime.datetime) -> tuple[str, bool]:
    """A date cell as text for the date parser, and whether it was a serial number.

    A real date cell gives its ISO date. A number gives the date of that serial number in the
    file's date system (``epoch``: 1900 or 1904) when it is a whole or fractional day within
    1900–2100; any other number is handed over as text (and then reported as an invalid date).
    """
    if isinstance(value, datetime.datetime):
        return value.date().isoformat(), False
    if isinstance(value, datetime.date):
        return value.isoformat(), False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value <= MAX_DATE_SERIAL:
            try:
                day = from_excel(value, epoch)
            except (OverflowError, ValueError):
                return to_text(value), False
            if isinstance(day, datetime.datetime):
                return day.date().isoformat(), True
        return to_text(value), False
    return to_text(value), False


def _duration(value: datetime.timedelta) -> str:
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


@dataclass(frozen=True)
class Formula:
    """A formula cell: its text (``=…``), where it is and what its cached value is."""

    text: str
    cell_ref: str
    row: int
    col: int
    cached: Any

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:FORMULA_HASH_CHARS]

    @property
    def missing_cached_value(self) -> bool:
        return self.cached is None

    @property
    def volatile(self) -> bool:
        return is_volatile(self.text)

    def cell_json(self, *, limit: int | None = None) -> dict[str, Any]:
        """The cell as the preview and ``raw_payload`` show a formula cell."""
        out: dict[str, Any] = {
            "value": to_json(self.cached, limit=limit),
            "formula": _clip(self.text, limit),
            "formula_hash": self.hash,
            "is_formula": True,
            "cell_ref": self.cell_ref,
        }
        if self.missing_cached_value:
            out["missingCachedValue"] = True
        return out

    def entry(self, *, limit: int | None = None) -> dict[str, Any]:
        """The preview's ``formulas[]`` entry."""
        external, sheets = references(self.text)
        return {
            "cell_ref": self.cell_ref,
            "formula": _clip(self.text, limit),
            "formula_hash": self.hash,
            "calculated_value": to_json(self.cached, limit=limit),
            "references": {
                "external_references": external,
                "sheet_references": sheets,
                "volatile": self.volatile,
            },
            "row": self.row,
            "col": self.col,
        }


def formula_text(value: Any) -> str:
    """The text of an openpyxl formula value (a string, or an array / data-table formula)."""
    text = getattr(value, "text", None)
    if isinstance(text, str):
        return text if text.startswith("=") else "=" + text
    if isinstance(value, str):
        return value
    ref = getattr(value, "ref", None)
    return f"=TABLE({ref})" if ref else "=" + type(value).__name__


def is_volatile(formula: str) -> bool:
    """Whether the formula calls a volatile function (outside string literals)."""
    return bool(_VOLATILE.search(_STRING_LITERAL.sub('""', formula.upper())))


def references(formula: str) -> tuple[list[dict[str, str]], list[str]]:
    """External workbook references ``[{workbook, sheet}]`` and other-sheet references."""
    text = _STRING_LITERAL.sub('""', formula)
    external = []
    for workbook, sheet in _EXTERNAL_REF.findall(text):
        item = {"workbook": workbook, "sheet": sheet.replace("''", "'")}
        if item not in external:
            external.append(item)
    stripped = _EXTERNAL_REF.sub("", text)
    sheets: list[str] = []
    for quoted, plain in _SHEET_REF.findall(stripped):
        name = quoted.replace("''", "'") if quoted else plain
        if name and name not in sheets:
            sheets.append(name)
    return external, sheets


def _clip(text: str, limit: int | None) -> str:
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text
