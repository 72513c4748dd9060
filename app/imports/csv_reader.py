"""The streaming CSV import parser (contract §5.4.2–§5.4.5).

Usage by the actor (the database part is the caller's)::

    options = ImportOptions.from_params(params, org_id=org_id, import_batch_id=batch_id)
    parser = CsvImport(select_source(params, store), options, progress=report_progress)
    for batch in parser.batches():          # lists of TransactionRow, ≤ batch_size rows
        check_cancel_and_lease()            # safe point between batches
        inserted += insert_batch(batch)     # INSERT … ON CONFLICT DO NOTHING, count rows
    stats_json = parser.stats.stats_json(rows_imported=inserted,
                                         rows_duplicate=parser.stats.rows_valid - inserted)

Rows are processed as they are read: memory holds one read chunk (1 MiB), one batch and the
occurrence counter (about 8 bytes per distinct row). When the date order or the decimal
separator must be inferred (a year-first or absent ``dateFormat``, no ``decimalSeparator``),
the source is read twice: a first pass reads only the date and amount columns. No row content
is ever logged; per-row problems go to ``stats.errors``.

This module holds what is CSV: text lines, the delimiter, quoting, the passes over the file.
The header mapping (:mod:`app.imports.columns`), one row's parsing (:mod:`app.imports.rows`)
and the row ids (:mod:`app.imports.fingerprints`) know no file format.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator

from app.errors import InvalidFile
from app.imports.amounts import (
    HINT_DAY_FIRST,
    HINT_SEMICOLON,
    AmountFormat,
    SeparatorInference,
)
from app.imports.columns import Columns, map_columns
from app.imports.dates import KIND_ABC, ORDER_DMY, ORDER_YMD, OrderInference, format_order
from app.imports.decoding import TextDecoder, lines
from app.imports.fingerprints import SourceIds
from app.imports.options import ImportOptions
from app.imports.rows import ROW_COLUMNS, ParsedRow, RowError, RowParser, TransactionRow
from app.imports.sources import Source
from app.imports.stats import ImportStats

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "ROW_COLUMNS",
    "CsvImport",
    "ImportOptions",
    "ImportStats",
    "ProgressHook",
    "TransactionRow",
]

DEFAULT_BATCH_ROWS = 2000

#: ``progress(bytes_done, bytes_total)``; it may raise (e.g. ``JobCancelled``) to abort.
ProgressHook = Callable[[int, int], None]


class CsvImport:
    """One parse of one upload.

    Args:
        source: the upload (opened once or twice).
        options: the parsed parameters.
        batch_size: rows per yielded batch (1 000–5 000 suits a multi-row INSERT).
        progress: called after each 1 MiB read with ``(bytes_done, bytes_total)``; with a
            first pass both count two reads of the file. It may raise to abort the parse.
    """

    def __init__(
        self,
        source: Source,
        options: ImportOptions,
        *,
        batch_size: int = DEFAULT_BATCH_ROWS,
        progress: ProgressHook | None = None,
    ) -> None:
        self.source = source
        self.options = options
        self.batch_size = max(1, batch_size)
        self.stats = ImportStats()
        self._progress = progress
        one_pass = format_order(options.date_format) and options.decimal_separator
        self._passes = 1 if one_pass else 2
        self._delimiter = ","
        self._bytes_done = 0
        self._total = 0

    def batches(self) -> Iterator[list[TransactionRow]]:
        """Yield valid rows in batches; raises a PermanentError for a bad file or mapping."""
        options = self.options
        warnings: list[str] = [
            f"mapping for unknown field '{name}' ignored" for name in options.unknown_targets
        ]
        order, amount_format = self._conventions(warnings)
        self.stats.amount_format = amount_format
        parser = RowParser(options, order, amount_format.decimal_separator)
        ids = SourceIds(options.org_id, options.import_batch_id)
        abc_seen = False
        pending: list[ParsedRow] = []
        for record, columns, row_number in self._records(first_pass=False):
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            self.stats.rows_total += 1
            parsed = parser.parse(columns.row_cells(cells), row_number)
            if isinstance(parsed, RowError):
                self.stats.add_error(parsed.message)
                continue
            if parsed.date_kind == KIND_ABC:
                abc_seen = True
            pending.append(parsed)
            if len(pending) >= self.batch_size:
                yield ids.rows(pending)
                pending = []
        if pending:
            yield ids.rows(pending)
        self.stats.date_order = order if abc_seen else ORDER_YMD
        self.stats.warnings = warnings + self.stats.warnings

    def _conventions(self, warnings: list[str]) -> tuple[str, AmountFormat]:
        """The date order and the decimal convention: the parameters', else the file's.

        What the parameters leave open is inferred from a first pass over the date and amount
        columns; the ``;`` delimiter and day-first dates are supporting evidence for a decimal
        comma, never proof.

        Raises:
            InvalidFile: the dates or the amounts contradict each other.
            InvalidParams: the amounts read differently under the two conventions.
        """
        fixed_order = format_order(self.options.date_format)
        fixed_decimal = self.options.decimal_separator
        if fixed_order is not None and fixed_decimal is not None:
            return fixed_order, AmountFormat(fixed_decimal)
        dates, amounts = OrderInference(), SeparatorInference()
        for record, columns, row_number in self._records(first_pass=True):
            if fixed_order is None and columns.date < len(record):
                cell = record[columns.date].strip()
                if cell:
                    dates.add(cell)
            if fixed_decimal is None and columns.amount < len(record):
                cell = record[columns.amount].strip()
                if cell:
                    amounts.add(cell, row_number)
        if fixed_order is None:
            order, warning = dates.order()
            if warning:
                warnings.append(warning)
        else:
            order = fixed_order
        if fixed_decimal is not None:
            return order, AmountFormat(fixed_decimal)
        hints = [HINT_SEMICOLON] if self._delimiter == ";" else []
        if order == ORDER_DMY:
            hints.append(HINT_DAY_FIRST)
        return order, amounts.decide(hints)

    def _records(self, *, first_pass: bool) -> Iterator[tuple[list[str], Columns, int]]:
        """The data records of one pass with the header's columns and their row numbers."""
        stream, total = self.source.open()
        self._total = total
        self.stats.bytes_total = total
        decoder = TextDecoder(self.options.encoding, self._on_bytes)
        try:
            line_iter = lines(decoder.chunks(stream))
            header_line = next((line for line in line_iter if line.strip()), None)
            if header_line is None:
                raise InvalidFile("the file is empty: no header row")
            self._delimiter = _delimiter(header_line)
            reader = csv.reader(
                itertools.chain([header_line], line_iter),
                delimiter=self._delimiter,
                quotechar='"',
                doublequote=True,
                strict=False,
            )
            row_number = 0
            header_read = False
            try:
                header = next(reader)
                header_read = True
                # The header's warnings count once, on the pass that reads the rows.
                warnings = [] if first_pass else self.stats.warnings
                columns = map_columns(header, self.options.mappings, warnings)
                for row_number, record in enumerate(reader, start=1):
                    yield record, columns, row_number
            except csv.Error as exc:
                where = f"data row {row_number + 1}" if header_read else "the header"
                raise InvalidFile(f"CSV syntax error at {where}: {exc}") from None
        finally:
            stream.close()
        if not first_pass:
            self.stats.encoding = decoder.encoding
            self.stats.warnings.extend(decoder.warnings)

    def _on_bytes(self, count: int) -> None:
        self._bytes_done += count
        if self._progress is not None:
            self._progress(self._bytes_done, max(self._bytes_done, self._total * self._passes))


def _delimiter(header_line: str) -> str:
    """``,`` unless the header has ``;`` and no tab (``;``) or a tab and no ``;`` (tab)."""
    if "," in header_line:
        return ","
    has_semicolon, has_tab = ";" in header_line, "\t" in header_line
    if has_semicolon and not has_tab:
        return ";"
    if has_tab and not has_semicolon:
        return "\t"
    return ","
