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
occurrence counter (about 8 bytes per distinct row). When the date order must be inferred
(a year-first or absent ``dateFormat``), the source is read twice: a first pass reads only
the date column. No row content is ever logged; per-row problems go to ``stats.errors``.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from app.errors import InvalidFile, InvalidParams
from app.imports.amounts import AmountOutOfRange, apply_type, currency_code, parse_amount
from app.imports.dates import (
    KIND_ABC,
    ORDER_YMD,
    OrderInference,
    ParsedDate,
    format_order,
    normalise_date_format,
    parse_date,
)
from app.imports.decoding import TextDecoder, lines, normalise_encoding
from app.imports.occurrences import OccurrenceCounter
from app.imports.sources import Source

DEFAULT_BATCH_ROWS = 2000
MAX_ERRORS = 50
MAX_CELL_IN_ERROR_CHARS = 60
MAX_HEADER_IN_ERROR_CHARS = 300
DATE_CACHE_ENTRIES = 8192
DEFAULT_CURRENCY = "USD"
DEFAULT_CATEGORY = "Uncategorized"

REQUIRED_FIELDS = ("date", "amount")
OPTIONAL_FIELDS = (
    "description",
    "category",
    "currency",
    "type",
    "account",
    "reference",
    "sourceId",
)
FIELD_ALIASES = {"id": "sourceId"}

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

#: ``progress(bytes_done, bytes_total)``; it may raise (e.g. ``JobCancelled``) to abort.
ProgressHook = Callable[[int, int], None]


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


@dataclass(frozen=True)
class ImportOptions:
    """The parser's settings, checked once.

    Attributes:
        org_id: the org of every row (also part of the fingerprint).
        import_batch_id: ``data_import_batches.id`` or None.
        mappings: target field → CSV column name (``id`` already folded into ``sourceId``).
        date_format: an accepted ``dateFormat``, upper-case.
        currency: the default currency code.
        default_category: the category of rows without one.
        encoding: ``utf-8``, ``cp1252``, ``latin-1``, or None (UTF-8 with cp1252 fallback).
        unknown_targets: mapping keys that are not target fields (ignored with a warning).
    """

    org_id: str
    import_batch_id: str | None
    mappings: Mapping[str, str]
    date_format: str = "YYYY-MM-DD"
    currency: str = DEFAULT_CURRENCY
    default_category: str = DEFAULT_CATEGORY
    encoding: str | None = None
    unknown_targets: tuple[str, ...] = ()

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], *, org_id: str, import_batch_id: str | None
    ) -> ImportOptions:
        """Read ``mappings``, ``dateFormat``, ``currency``, ``defaultCategory``, ``encoding``.

        Raises:
            InvalidParams: for a malformed value.
        """
        raw = params.get("mappings")
        if not isinstance(raw, Mapping):
            raise InvalidParams("params.mappings must be an object {targetField: columnName}")
        mappings: dict[str, str] = {}
        unknown: list[str] = []
        for target, spec in raw.items():
            name = FIELD_ALIASES.get(str(target), str(target))
            if isinstance(spec, Mapping):
                spec = spec.get("csvColumn")
            if spec is None or (isinstance(spec, str) and not spec.strip()):
                continue
            if not isinstance(spec, str):
                raise InvalidParams(f"params.mappings.{str(target)[:40]} must be a column name")
            if name not in REQUIRED_FIELDS and name not in OPTIONAL_FIELDS:
                unknown.append(str(target)[:40])
                continue
            if name == "sourceId" and name in mappings and str(target) == "id":
                continue  # an explicit sourceId wins over its alias
            mappings[name] = spec
        currency = params.get("currency")
        if currency is None or (isinstance(currency, str) and not currency.strip()):
            currency = DEFAULT_CURRENCY
        if not isinstance(currency, str) or not currency.strip().isalpha():
            raise InvalidParams("params.currency must be a 3-letter currency code")
        currency = currency.strip().upper()
        if len(currency) != 3 or not currency.isascii():
            raise InvalidParams("params.currency must be a 3-letter currency code")
        category = params.get("defaultCategory")
        if not isinstance(category, str) or not category.strip():
            category = DEFAULT_CATEGORY
        return cls(
            org_id=str(org_id),
            import_batch_id=str(import_batch_id) if import_batch_id else None,
            mappings=mappings,
            date_format=normalise_date_format(params.get("dateFormat")),
            currency=currency,
            default_category=category.strip(),
            encoding=normalise_encoding(params.get("encoding")),
            unknown_targets=tuple(unknown),
        )


@dataclass
class ImportStats:
    """Counters of one parse; final once :meth:`CsvImport.batches` is exhausted.

    Attributes:
        rows_total: non-blank data rows.
        rows_skipped: invalid rows (each has an error, the first 50 are kept).
        errors: ``Row N: …`` strings, at most 50 (N = data-row number, header excluded,
            blank rows included so that N + 1 is the spreadsheet line of simple files).
        warnings: file-level warnings (encoding fallback, ambiguous dates, ignored mappings).
        date_order: ``YMD``, ``MDY`` or ``DMY`` (contract §5.4.3).
        encoding: the encoding the file was read with.
        bytes_total: size of the source in bytes (per pass).
    """

    rows_total: int = 0
    rows_skipped: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    date_order: str = ORDER_YMD
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
        }


@dataclass(frozen=True)
class _Columns:
    """Header positions of the mapped fields; an unmapped field points at ``blank``."""

    json_keys: list[str]  # '"name":' per column; duplicates suffixed #2, #3, …
    blank: int  # = number of header columns; rows get one extra "" cell at this index
    date: int
    amount: int
    description: int
    category: int
    currency: int
    type: int
    source_id: int


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
        self._passes = 1 if format_order(options.date_format) else 2
        self._bytes_done = 0
        self._total = 0
        self._date_cache: dict[str, ParsedDate] = {}

    def batches(self) -> Iterator[list[TransactionRow]]:
        """Yield valid rows in batches; raises a PermanentError for a bad file or mapping."""
        options = self.options
        fixed_order = format_order(options.date_format)
        warnings: list[str] = [
            f"mapping for unknown field '{name}' ignored" for name in options.unknown_targets
        ]
        if fixed_order is None:
            inference = OrderInference()
            for record, columns, _ in self._records(first_pass=True):
                if columns.date < len(record):
                    cell = record[columns.date].strip()
                    if cell:
                        inference.add(cell)
            order, warning = inference.order()
            if warning:
                warnings.append(warning)
        else:
            order = fixed_order
        abc_seen = False
        counter = OccurrenceCounter()
        pending: list[tuple[Any, ...]] = []
        keys: list[int] = []
        for record, columns, row_number in self._records(first_pass=False):
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            self.stats.rows_total += 1
            parsed = self._row(cells, columns, row_number, order)
            if parsed is None:
                continue
            if parsed[-1] == KIND_ABC:
                abc_seen = True
            pending.append(parsed)
            keys.append(parsed[1])
            if len(pending) >= self.batch_size:
                yield self._finish(pending, keys, counter)
                pending, keys = [], []
        if pending:
            yield self._finish(pending, keys, counter)
        self.stats.date_order = order if abc_seen else ORDER_YMD
        self.stats.warnings = warnings + self.stats.warnings

    # --------------------------------------------------------------- reading

    def _records(self, *, first_pass: bool) -> Iterator[tuple[list[str], _Columns, int]]:
        stream, total = self.source.open()
        self._total = total
        self.stats.bytes_total = total
        decoder = TextDecoder(self.options.encoding, self._on_bytes)
        try:
            line_iter = lines(decoder.chunks(stream))
            header_line = next((line for line in line_iter if line.strip()), None)
            if header_line is None:
                raise InvalidFile("the file is empty: no header row")
            reader = csv.reader(
                itertools.chain([header_line], line_iter),
                delimiter=_delimiter(header_line),
                quotechar='"',
                doublequote=True,
                strict=False,
            )
            row_number = 0
            header_read = False
            try:
                header = next(reader)
                header_read = True
                columns = self._columns(header, warn=not first_pass)
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

    def _columns(self, header: list[str], *, warn: bool) -> _Columns:
        names = _payload_keys(header)
        mapped: dict[str, int] = {}
        for target, column in self.options.mappings.items():
            index = _find_column(header, column)
            if index is not None:
                mapped[target] = index
            elif target in REQUIRED_FIELDS:
                raise InvalidFile(
                    f"column '{column[:60]}' mapped to required field '{target}' is not in the "
                    f"CSV header: {_header_text(header)}"
                )
            elif warn:
                self.stats.warnings.append(
                    f"column '{column[:60]}' mapped to optional field '{target}' is not in the "
                    "CSV header; field ignored"
                )
        for target in REQUIRED_FIELDS:
            if target not in self.options.mappings:
                raise InvalidFile(
                    f"required field '{target}' is not mapped; CSV header: {_header_text(header)}"
                )
        blank = len(header)
        return _Columns(
            json_keys=[encode_basestring(name) + ":" for name in names],
            blank=blank,
            date=mapped["date"],
            amount=mapped["amount"],
            description=mapped.get("description", blank),
            category=mapped.get("category", blank),
            currency=mapped.get("currency", blank),
            type=mapped.get("type", blank),
            source_id=mapped.get("sourceId", blank),
        )

    # --------------------------------------------------------------- one row

    def _row(
        self, cells: list[str], columns: _Columns, n: int, order: str
    ) -> tuple[Any, ...] | None:
        blank = columns.blank
        if len(cells) == blank:
            cells.append("")
        else:  # short rows are padded, extra cells dropped
            cells = (cells + [""] * blank)[:blank] + [""]
        date_cell, amount_cell = cells[columns.date], cells[columns.amount]
        if not date_cell:
            self.stats.add_error(f"Row {n}: missing date")
            return None
        if not amount_cell:
            self.stats.add_error(f"Row {n}: missing amount")
            return None
        parsed_date = self._parse_date(date_cell, order)
        if parsed_date.value is None:
            self.stats.add_error(f"Row {n}: invalid date '{_clip(date_cell)}'")
            return None
        try:
            amount = parse_amount(amount_cell)
        except AmountOutOfRange:
            self.stats.add_error(f"Row {n}: amount out of range '{_clip(amount_cell)}'")
            return None
        if amount is None:
            self.stats.add_error(f"Row {n}: invalid amount '{_clip(amount_cell)}'")
            return None
        if columns.type != blank:
            amount = apply_type(amount, cells[columns.type])
        options = self.options
        currency = options.currency
        if columns.currency != blank:
            currency = currency_code(cells[columns.currency], options.currency)
        category = cells[columns.category] or options.default_category
        description = cells[columns.description]
        # The JSON object {header: cell}, built like json.dumps(ensure_ascii=False) would.
        pairs = zip(columns.json_keys, cells[:blank], strict=True)
        raw_payload = "{" + ",".join([key + encode_basestring(cell) for key, cell in pairs]) + "}"
        explicit_id = cells[columns.source_id]
        day = parsed_date.value
        if explicit_id:
            base, key, digest = explicit_id, -1, b""
        else:
            base = f"{options.org_id}|{day.isoformat()}|{float(amount)}|{description}|{category}"
            digest = hashlib.sha256(base.encode()).digest()
            key = int.from_bytes(digest[:8], "little")
        return (
            base,
            key,
            digest,
            day,
            amount,
            currency,
            category,
            description,
            raw_payload,
            parsed_date.kind,
        )

    def _parse_date(self, cell: str, order: str) -> ParsedDate:
        cached = self._date_cache.get(cell)
        if cached is None:
            if len(self._date_cache) >= DATE_CACHE_ENTRIES:
                self._date_cache.clear()
            cached = parse_date(cell, order)
            self._date_cache[cell] = cached
        return cached

    def _finish(
        self, pending: list[tuple[Any, ...]], keys: list[int], counter: OccurrenceCounter
    ) -> list[TransactionRow]:
        fingerprinted = [key for key in keys if key >= 0]
        indices = iter(counter.next_indices(fingerprinted))
        org_id, batch_id = self.options.org_id, self.options.import_batch_id
        rows: list[TransactionRow] = []
        for base, key, digest, day, amount, currency, category, description, payload, _ in pending:
            if key < 0:
                source_id = base
            else:
                k = next(indices)
                source_id = (
                    digest.hex() if k == 0 else hashlib.sha256(f"{base}|{k}".encode()).hexdigest()
                )
            rows.append(
                TransactionRow(
                    org_id,
                    batch_id,
                    source_id,
                    day,
                    amount,
                    currency,
                    category,
                    description,
                    payload,
                    False,
                )
            )
        return rows


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


def _payload_keys(header: list[str]) -> list[str]:
    """Header names with duplicates suffixed ``#2``, ``#3``, … (unique even against clashes)."""
    seen: dict[str, int] = {}
    used: set[str] = set()
    keys: list[str] = []
    for name in header:
        count = seen.get(name, 0) + 1
        seen[name] = count
        key = name if count == 1 else f"{name}#{count}"
        while key in used:
            count += 1
            key = f"{name}#{count}"
        used.add(key)
        keys.append(key)
    return keys


def _find_column(header: list[str], column: str) -> int | None:
    """Exact match first, then trimmed and case-insensitive."""
    for index, name in enumerate(header):
        if name == column:
            return index
    wanted = column.strip().casefold()
    for index, name in enumerate(header):
        if name.strip().casefold() == wanted:
            return index
    return None


def _header_text(header: list[str]) -> str:
    text = "[" + ", ".join(f"'{name.strip()[:40]}'" for name in header) + "]"
    if len(text) > MAX_HEADER_IN_ERROR_CHARS:
        text = text[: MAX_HEADER_IN_ERROR_CHARS - 2] + "…]"
    return text


def _clip(cell: str) -> str:
    return cell if len(cell) <= MAX_CELL_IN_ERROR_CHARS else cell[:MAX_CELL_IN_ERROR_CHARS] + "…"
