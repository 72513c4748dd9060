"""The XLSX import parser (CONTRACT-2 §5.9): mapped sheets → rows of the CSV import's seam.

Typed cells become the text the CSV import's row parser reads (:class:`~app.imports.rows.RowCells`);
dates, amounts, types, currencies, categories, row errors and the row ids (fingerprint with an
occurrence index) are then exactly the CSV import's (:mod:`app.imports.rows`,
:mod:`app.imports.fingerprints`), so an XLSX row and a CSV row of the same transaction get the
same ``source_id``. The bulk writer takes this parser as it takes the CSV one (``RowBatches``).

Two passes, bounded memory: :meth:`XlsxImport.prepare` reads the workbook once with openpyxl
and spools each non-blank row's cells to a temporary file while it infers the date order of
text dates; :meth:`XlsxImport.batches` reads the spool back, a batch at a time.
"""

from __future__ import annotations

import json
import marshal
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from app.errors import InvalidParams, MappingInvalid
from app.imports.amounts import (
    DECIMAL_COMMA,
    DECIMAL_POINT,
    HINT_DAY_FIRST,
    AmountFormat,
    SeparatorInference,
)
from app.imports.columns import find_column
from app.imports.dates import KIND_ABC, ORDER_DMY, ORDER_YMD, OrderInference
from app.imports.fingerprints import SourceIds
from app.imports.options import FIELD_ALIASES, REQUIRED_FIELDS, ImportOptions
from app.imports.rows import ParsedRow, RowCells, RowError, RowParser, TransactionRow
from app.imports.stats import ImportStats
from app.imports.xlsx.cells import Formula, date_text, number_text, to_json, to_text
from app.imports.xlsx.sheets import CellBudget, Sheet, SheetRow, Workbook

DEFAULT_BATCH_ROWS = 2000
SPOOL_CHUNK_ROWS = 2000
MAX_FORMULA_MAPPINGS = 500
MAX_CELL_REFS_PER_FORMULA = 20
NO_CACHED_VALUE = "formula without cached value"
XLSX_ALIASES = {**FIELD_ALIASES, "source_id": "sourceId"}
_FIELDS = ("description", "category", "currency", "type", "sourceId")
_DATE_REASONS = ("missing date", "invalid date")

#: ``progress(fraction)`` of the current pass; it may raise (a cancel) to stop.
Progress = Callable[[float], None]


def import_options(
    params: Mapping[str, Any], *, org_id: str, import_batch_id: str | None
) -> tuple[ImportOptions, str | None]:
    """The CSV import's options from ``mappingJson``, and the requested sheet (or None).

    ``columnMappings`` is ``{key: {csvColumn, targetField?, dataType?}}``; the target field is
    ``targetField`` when present, else the key (``source_id``, ``sourceId`` and ``id`` alias).

    Raises:
        InvalidParams: ``mappingJson`` is malformed.
        MappingInvalid: ``date`` or ``amount`` is not mapped.
    """
    mapping = params.get("mappingJson")
    if not isinstance(mapping, Mapping):
        raise InvalidParams("params.mappingJson must be an object with columnMappings")
    columns = mapping.get("columnMappings")
    if not isinstance(columns, Mapping):
        raise InvalidParams("params.mappingJson.columnMappings must be an object")
    mappings: dict[str, Any] = {}
    for key, spec in columns.items():
        target, column = str(key), spec
        if isinstance(spec, Mapping):
            explicit = spec.get("targetField")
            if isinstance(explicit, str) and explicit.strip():
                target = explicit.strip()
            column = spec.get("csvColumn")
        target = XLSX_ALIASES.get(target, target)
        if column is None or (isinstance(column, str) and not column.strip()):
            continue
        if target == "sourceId" and target in mappings and str(key) != target:
            continue  # an explicit sourceId wins over an alias
        mappings[target] = column
    for required in REQUIRED_FIELDS:
        if required not in mappings:
            raise MappingInvalid(f"required field '{required}' is not mapped to a column")
    sheet = mapping.get("sheetName")
    if sheet is not None and not isinstance(sheet, str):
        raise InvalidParams("params.mappingJson.sheetName must be a sheet name")
    options = ImportOptions.from_params(
        {**params, "mappings": mappings}, org_id=org_id, import_batch_id=import_batch_id
    )
    return options, (sheet if sheet and sheet.strip() else None)


@dataclass(frozen=True)
class _Plan:
    """Where the mapped fields are on one sheet (0-based columns; None when not there)."""

    sheet: Sheet
    date: int
    amount: int
    others: dict[str, int | None]


@dataclass
class FormulaStats:
    """Formula cells met in the imported rows."""

    detected: int = 0
    volatile: int = 0
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, formula: Formula, mapped: bool) -> None:
        self.detected += 1
        self.volatile += formula.volatile
        if not mapped:
            return
        entry = self.mappings.get(formula.hash)
        if entry is None:
            if len(self.mappings) >= MAX_FORMULA_MAPPINGS:
                return
            entry = self.mappings[formula.hash] = {
                "formula": formula.text[:500],
                "cell_refs": [],
                "cells": 0,
            }
        entry["cells"] += 1
        if len(entry["cell_refs"]) < MAX_CELL_REFS_PER_FORMULA:
            entry["cell_refs"].append(formula.cell_ref)


class XlsxImport:
    """One import of one workbook; :meth:`prepare` first, then :meth:`batches` (once).

    Args:
        book: the open workbook.
        options: the import's options (:func:`import_options`).
        sheet_name: ``mappingJson.sheetName``, or None for every sheet that has the mapped date
            and amount columns.
        budget: the cells this job may read.
        batch_size: rows per batch.
    """

    def __init__(
        self,
        book: Workbook,
        options: ImportOptions,
        sheet_name: str | None,
        budget: CellBudget,
        *,
        batch_size: int = DEFAULT_BATCH_ROWS,
    ) -> None:
        self.book = book
        self.options = options
        self.sheet_name = sheet_name
        self.budget = budget
        self.batch_size = max(1, batch_size)
        self.stats = ImportStats()
        self.formulas = FormulaStats()
        self.sheets_used: list[str] = []
        #: Called during :meth:`batches` with the fraction of spooled rows processed.
        self.batch_progress: Progress | None = None
        self._spool: IO[bytes] | None = None
        self._order = ORDER_YMD
        self._serial_dates = 0

    # -- pass 1 ---------------------------------------------------------------------------
    def prepare(self, progress: Progress | None = None) -> None:
        """Read the mapped sheets and spool their rows; infer the order of text dates."""
        plans = self._plans()
        self.sheets_used = [p.sheet.name for p in plans]
        inference = OrderInference()
        amounts = SeparatorInference() if self.options.decimal_separator is None else None
        expected = sum(p.sheet.row_elements or 0 for p in plans) or 1
        seen = 0
        spool = tempfile.TemporaryFile(prefix="finapilot-xlsx-")
        self._spool = spool
        chunk: list[tuple[Any, ...]] = []
        for plan in plans:
            for formula in plan.sheet.header_formulas():
                self.formulas.add(formula, mapped=False)
            for row in plan.sheet.rows(self.budget):
                seen += 1
                if progress is not None and seen % 1000 == 0:
                    progress(min(1.0, seen / expected))
                spooled = self._spool_row(plan, row, inference, amounts)
                if spooled is None:
                    continue
                chunk.append(spooled)
                if len(chunk) >= SPOOL_CHUNK_ROWS:
                    marshal.dump(chunk, spool)
                    chunk = []
        if chunk:
            marshal.dump(chunk, spool)
        order, warning = inference.order()
        self._order = order
        if warning:
            self.stats.warnings.append(warning)
        if amounts is None:
            self.stats.amount_format = AmountFormat(self.options.decimal_separator or DECIMAL_POINT)
        else:  # text amounts decide; number cells read the same under both conventions
            self.stats.amount_format = amounts.decide(
                [HINT_DAY_FIRST] if order == ORDER_DMY else []
            )
        if self._serial_dates:
            self.stats.warnings.append(
                f"{self._serial_dates} date cell(s) held plain numbers; read as serial dates of "
                "the workbook's date system"
            )
        spool.seek(0)

    def _plans(self) -> list[_Plan]:
        mappings = self.options.mappings
        for name in self.options.unknown_targets:
            self.stats.warnings.append(f"mapping for unknown field '{name}' ignored")
        if self.sheet_name is not None:
            sheet = self.book.sheet(self.sheet_name)
            if sheet is None:
                raise MappingInvalid(
                    "the mapped sheet is not in the workbook; sheets: " + _names(self.book.sheets)
                )
            candidates = [sheet]
        else:
            candidates = self.book.sheets
        plans = []
        for sheet in candidates:
            names = sheet.header.names
            date = find_column(names, mappings["date"])
            amount = find_column(names, mappings["amount"])
            if date is None or amount is None:
                if self.sheet_name is not None:
                    field_name = "date" if date is None else "amount"
                    raise MappingInvalid(
                        f"the column mapped to '{field_name}' is not in the header of the mapped "
                        f"sheet (row {sheet.header.row}): {_header_text(names)}"
                    )
                continue
            others = {f: _optional(names, mappings.get(f)) for f in _FIELDS}
            for target, index in others.items():
                if target in mappings and index is None:
                    self.stats.warnings.append(
                        f"the column mapped to optional field '{target}' is not in the header of "
                        f"sheet '{sheet.name[:60]}'; field ignored"
                    )
            plans.append(_Plan(sheet, date, amount, others))
        if not plans:
            raise MappingInvalid(
                "no sheet has both the columns mapped to 'date' and 'amount' in its header; "
                "sheets: " + _names(self.book.sheets)
            )
        if self.sheet_name is None:
            self.stats.warnings.append(
                "imported sheets: " + ", ".join(f"'{p.sheet.name[:60]}'" for p in plans)
            )
        return plans

    def _spool_row(
        self,
        plan: _Plan,
        row: SheetRow,
        inference: OrderInference,
        amounts: SeparatorInference | None,
    ) -> tuple[Any, ...] | None:
        if row.blank:
            return None
        self.stats.rows_total += 1
        sheet, values, formulas = plan.sheet, row.values, row.formulas or {}
        mapped = {plan.date, plan.amount, *(i for i in plan.others.values() if i is not None)}
        for column, formula in formulas.items():
            self.formulas.add(formula, column in mapped)
        date_ref = sheet.ref(plan.date, row.number)
        amount_ref = sheet.ref(plan.amount, row.number)
        pre_error = ""
        date_formula, amount_formula = formulas.get(plan.date), formulas.get(plan.amount)
        if date_formula is not None and date_formula.missing_cached_value:
            pre_error = date_ref
        elif amount_formula is not None and amount_formula.missing_cached_value:
            pre_error = amount_ref
        date, serial = date_text(values[plan.date], self.book.epoch)
        self._serial_dates += serial
        if date and not serial:
            inference.add(date)

        def text(target: str) -> str:
            index = plan.others[target]
            return "" if index is None else to_text(values[index])

        amount_value = values[plan.amount]
        numeric = isinstance(amount_value, (int, float)) and not isinstance(amount_value, bool)
        amount = number_text(amount_value) if numeric else to_text(amount_value)
        if amounts is not None and not numeric and amount:
            amounts.add(amount, row.data_row)
        payload = _payload(sheet, row)
        cells = RowCells(
            date,
            amount,
            text("description"),
            text("category"),
            text("currency"),
            text("type"),
            text("sourceId"),
            payload,
        )
        return (row.data_row, date_ref, amount_ref, pre_error, numeric, *cells)

    # -- pass 2 ---------------------------------------------------------------------------
    def batches(self) -> Iterator[list[TransactionRow]]:
        """The valid rows, in batches, with their ids; row errors go to ``stats``."""
        if self._spool is None:
            raise RuntimeError("prepare() must run before batches()")
        decimal = self.stats.amount_format.decimal_separator
        parser = RowParser(self.options, self._order, decimal)
        ids = SourceIds(self.options.org_id, self.options.import_batch_id)
        pending: list[ParsedRow] = []
        abc_seen = False
        done = 0
        try:
            for chunk in _read_spool(self._spool):
                for data_row, date_ref, amount_ref, pre_error, numeric, *fields in chunk:
                    done += 1
                    if pre_error:
                        self._error(data_row, pre_error, NO_CACHED_VALUE)
                        continue
                    cells = RowCells(*fields)
                    if numeric and decimal == DECIMAL_COMMA:  # a number cell, in the file's form
                        cells = cells._replace(amount=cells.amount.replace(".", ","))
                    parsed = parser.parse(cells, data_row)
                    if isinstance(parsed, RowError):
                        ref = date_ref if parsed.reason.startswith(_DATE_REASONS) else amount_ref
                        self._error(data_row, ref, parsed.reason)
                        continue
                    abc_seen = abc_seen or parsed.date_kind == KIND_ABC
                    pending.append(parsed)
                    if len(pending) >= self.batch_size:
                        yield ids.rows(pending)
                        pending = []
                if self.batch_progress is not None:
                    self.batch_progress(done / max(1, self.stats.rows_total))
            if pending:
                yield ids.rows(pending)
        finally:
            self.close()
        self.stats.date_order = self._order if abc_seen else ORDER_YMD

    def _error(self, data_row: int, ref: str, reason: str) -> None:
        self.stats.add_error(f"Row {data_row} ({ref}): {reason}")

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


def _read_spool(spool: IO[bytes]) -> Iterator[list[tuple[Any, ...]]]:
    while True:
        try:
            yield marshal.load(spool)
        except EOFError:
            return


def _payload(sheet: Sheet, row: SheetRow) -> str:
    """The row as ``raw_payload``: ``{header: cell}``, ``_sheet``, ``_row``, ``_formulas``."""
    names = sheet.header.names
    payload: dict[str, Any] = {
        name: to_json(value) for name, value in zip(names, row.values, strict=True)
    }
    payload["_sheet"] = sheet.name
    payload["_row"] = row.number
    if row.formulas:
        payload["_formulas"] = {
            names[column]: {"formula": f.text, "formula_hash": f.hash, "cell_ref": f.cell_ref}
            for column, f in row.formulas.items()
        }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _optional(names: list[str], column: Any) -> int | None:
    return find_column(names, column) if isinstance(column, str) else None


def _names(sheets: list[Sheet]) -> str:
    text = "[" + ", ".join(f"'{s.name[:40]}'" for s in sheets) + "]"
    return text if len(text) <= 300 else text[:298] + "…]"


def _header_text(names: list[str]) -> str:
    text = "[" + ", ".join(f"'{n[:40]}'" for n in names) + "]"
    return text if len(text) <= 300 else text[:298] + "…]"
