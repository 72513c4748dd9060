"""One row's cells to a parsed row or a row error, whatever the file format (contract §5.4.2).

A reader (CSV today) finds each row's cells of the mapped fields and its JSON payload and hands
them over as :class:`RowCells`; :meth:`RowParser.parse` checks and converts them into a
:class:`ParsedRow` or says why the row is skipped (:class:`RowError`). Ids come after, per batch
(:class:`~app.imports.fingerprints.SourceIds`), as they depend on the rows before.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from app.imports.amounts import (
    DECIMAL_POINT,
    AmountOutOfRange,
    apply_type,
    currency_code,
    parse_amount,
)
from app.imports.dates import ParsedDate, parse_date
from app.imports.options import ImportOptions

MAX_CELL_IN_ERROR_CHARS = 60
DATE_CACHE_ENTRIES = 8192

#: Columns of ``raw_transactions`` in the order of :class:`TransactionRow`.
ROW_COLUMNS: tuple[str, ...] = (
    "org_id",
    "import_batch_id",
    "source_id",
    "date",
    "amount",
    "currency",
    "category",
    "description",
    "raw_payload",
    "is_duplicate",
)


class TransactionRow(NamedTuple):
    """One ``raw_transactions`` row, fields in :data:`ROW_COLUMNS` order."""

    org_id: str
    import_batch_id: str | None
    source_id: str
    date: datetime.date
    amount: Decimal
    currency: str
    category: str
    description: str
    raw_payload: str  # JSON object text
    is_duplicate: bool


class RowCells(NamedTuple):
    """The cells of one row that an import reads, trimmed; ``""`` when empty or not mapped."""

    date: str
    amount: str
    description: str
    category: str
    currency: str
    type: str
    source_id: str
    payload: str  # the whole row as JSON object text, {header: cell}


class ParsedRow(NamedTuple):
    """A valid row before its id: the values of its :class:`TransactionRow`.

    Attributes:
        explicit_id: the row's own ``sourceId`` cell, or ``""`` (the id is then the fingerprint).
        date_kind: the shape of the date cell (``KIND_ABC`` values depend on the date order).
    """

    date: datetime.date
    amount: Decimal
    currency: str
    category: str
    description: str
    raw_payload: str
    explicit_id: str
    date_kind: str | None


@dataclass(frozen=True)
class RowError:
    """Why one row is skipped.

    Attributes:
        row_number: the data-row number (header excluded, blank rows included).
        reason: e.g. ``missing date`` or ``invalid amount '12,3'``.
    """

    row_number: int
    reason: str

    @property
    def message(self) -> str:
        """The ``stats.errors`` line: ``Row N: reason``."""
        return f"Row {self.row_number}: {self.reason}"


class RowParser:
    """Parses the rows of one file: dates in one ``A/B/C`` order, amounts in one decimal
    convention, the file's defaults.

    Args:
        options: the import's parameters (default currency and category, decimal separator).
        date_order: ``MDY`` or ``DMY``, the order of ``A/B/C`` date cells in this file.
        decimal_separator: ``.`` or ``,`` for this file's amount cells (e.g. inferred by the
            reader); default ``options.decimal_separator``, else ``.``.
    """

    def __init__(
        self, options: ImportOptions, date_order: str, decimal_separator: str | None = None
    ) -> None:
        self.options = options
        self.date_order = date_order
        self.decimal_separator = decimal_separator or options.decimal_separator or DECIMAL_POINT
        self._date_cache: dict[str, ParsedDate] = {}

    def parse(self, cells: RowCells, row_number: int) -> ParsedRow | RowError:
        """One row's cells as a :class:`ParsedRow`, or the first reason to skip it.

        Checks, in order: missing date, missing amount, invalid date, amount out of range,
        invalid amount. A ``type`` cell then sets the sign; a currency cell that is not a
        three-letter code falls back to the default currency.
        """
        if not cells.date:
            return RowError(row_number, "missing date")
        if not cells.amount:
            return RowError(row_number, "missing amount")
        parsed_date = self._parse_date(cells.date)
        if parsed_date.value is None:
            return RowError(row_number, f"invalid date '{_clip(cells.date)}'")
        try:
            amount = parse_amount(cells.amount, self.decimal_separator)
        except AmountOutOfRange:
            return RowError(row_number, f"amount out of range '{_clip(cells.amount)}'")
        if amount is None:
            return RowError(row_number, f"invalid amount '{_clip(cells.amount)}'")
        if cells.type:
            amount = apply_type(amount, cells.type)
        currency = self.options.currency
        if cells.currency:
            currency = currency_code(cells.currency, currency)
        return ParsedRow(  # positional, as in Columns.row_cells: this runs once per row
            parsed_date.value,
            amount,
            currency,
            cells.category or self.options.default_category,
            cells.description,
            cells.payload,
            cells.source_id,
            parsed_date.kind,
        )

    def _parse_date(self, cell: str) -> ParsedDate:
        cached = self._date_cache.get(cell)
        if cached is None:
            if len(self._date_cache) >= DATE_CACHE_ENTRIES:
                self._date_cache.clear()
            cached = parse_date(cell, self.date_order)
            self._date_cache[cell] = cached
        return cached


def _clip(cell: str) -> str:
    return cell if len(cell) <= MAX_CELL_IN_ERROR_CHARS else cell[:MAX_CELL_IN_ERROR_CHARS] + "…"
