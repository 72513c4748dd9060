"""The counters, row errors and warnings of one import (its ``stats_json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.imports.amounts import AmountFormat
from app.imports.dates import ORDER_YMD

MAX_ERRORS = 50


@dataclass
class ImportStats:
    """Counters of one parse; final once the reader's batches are exhausted.

    Attributes:
        rows_total: non-blank data rows.
        rows_skipped: invalid rows (each has an error, the first 50 are kept).
        errors: ``Row N: …`` strings, at most 50 (N = data-row number, header excluded,
            blank rows included so that N + 1 is the spreadsheet line of simple files).
        warnings: file-level warnings (encoding fallback, ambiguous dates, ignored mappings).
        date_order: ``YMD``, ``MDY`` or ``DMY`` (contract §5.4.3).
        amount_format: the decimal convention the amounts were read with, and its source.
        encoding: the encoding the file was read with.
        bytes_total: size of the source in bytes (per pass).
    """

    rows_total: int = 0
    rows_skipped: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    date_order: str = ORDER_YMD
    amount_format: AmountFormat = field(default_factory=AmountFormat)
    encoding: str = "utf-8"
    bytes_total: int = 0

    @property
    def rows_valid(self) -> int:
        """Rows handed to the caller (``rowsImported + rowsDuplicate``)."""
        return self.rows_total - self.rows_skipped

    def add_error(self, message: str) -> None:
        """Count a skipped row; keep its message if fewer than 50 are kept."""
        self.rows_skipped += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def stats_json(self, *, rows_imported: int, rows_duplicate: int) -> dict[str, Any]:
        """``data_import_batches.stats_json`` without ``completedAt`` (the database sets it)."""
        return {
            "rowsImported": rows_imported,
            "rowsSkipped": self.rows_skipped,
            "rowsDuplicate": rows_duplicate,
            "rowsTotal": self.rows_total,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "dateOrder": self.date_order,
            **self.amount_format.stats_json(),
        }
