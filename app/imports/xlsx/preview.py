"""The preview the import wizard reads (CONTRACT-2 §5.9 "``xlsx_preview`` result").

Per sheet: its name, header row and headers, the first rows (formula cells as objects with
their cached value), the first 200 formulas, and the count of all non-empty data rows. Text is
cut to 500 characters; if the entry still exceeds 1 MB, the rows per sheet are halved (not below
10) until it fits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.imports.xlsx.cells import PREVIEW_TEXT_CHARS, to_json
from app.imports.xlsx.sheets import CellBudget, Sheet, Workbook

MAX_FORMULAS_PER_SHEET = 200
MAX_ENTRY_BYTES = 1_000_000
MIN_ROWS_PER_SHEET = 10
TICK_EVERY_ROWS = 2000

#: ``progress(sheets_done, sheets_total)``; it may raise to stop (a cancel).
SheetProgress = Callable[[int, int], None]


@dataclass
class Preview:
    """The preview document and the numbers of its log entry."""

    document: dict[str, Any]
    rows_per_sheet: int

    @property
    def meta(self) -> dict[str, Any]:
        doc = self.document
        return {
            "sheets": len(doc["sheets"]),
            "totalRows": doc["total_rows"],
            "formulasDetected": doc["formulas_detected"],
            "volatileFormulas": doc["volatile_formulas"],
            "previewRowsPerSheet": self.rows_per_sheet,
        }


def build_preview(
    book: Workbook,
    *,
    file_hash: str,
    rows_per_sheet: int,
    budget: CellBudget,
    progress: SheetProgress | None = None,
    tick: Callable[[], None] | None = None,
) -> Preview:
    """Read every sheet once and build the preview.

    Args:
        progress: called after each sheet.
        tick: a safe point, called every 2,000 rows (it may raise to stop).
    """
    sheets = []
    for done, sheet in enumerate(book.sheets):
        sheets.append(_sheet(sheet, rows_per_sheet, budget, tick))
        if progress is not None:
            progress(done + 1, len(book.sheets))
    document = {
        "sheets": [s["doc"] for s in sheets],
        "formulas_detected": sum(s["formulas"] for s in sheets),
        "volatile_formulas": sum(s["volatile"] for s in sheets),
        "total_rows": sum(s["doc"]["total_rows"] for s in sheets),
        "file_hash": file_hash,
    }
    shown = rows_per_sheet
    while len(json.dumps(document).encode()) > MAX_ENTRY_BYTES and shown > MIN_ROWS_PER_SHEET:
        shown = max(MIN_ROWS_PER_SHEET, shown // 2)
        for sheet_doc in document["sheets"]:
            sheet_doc["rows"] = sheet_doc["rows"][:shown]
    return Preview(document, shown)


def _sheet(
    sheet: Sheet, rows_per_sheet: int, budget: CellBudget, tick: Callable[[], None] | None
) -> dict[str, Any]:
    header = sheet.header
    rows: list[dict[str, Any]] = []
    formulas: list[dict[str, Any]] = []
    formula_count = volatile_count = total = 0
    for formula in sheet.header_formulas():
        formula_count += 1
        volatile_count += formula.volatile
        formulas.append(formula.entry(limit=PREVIEW_TEXT_CHARS))
    for row in sheet.rows(budget):
        if tick is not None and row.data_row % TICK_EVERY_ROWS == 0:
            tick()
        for formula in (row.formulas or {}).values():
            formula_count += 1
            volatile_count += formula.volatile
            if len(formulas) < MAX_FORMULAS_PER_SHEET:
                formulas.append(formula.entry(limit=PREVIEW_TEXT_CHARS))
        if row.blank:
            continue
        total += 1
        if len(rows) < rows_per_sheet:
            rows.append({"row_index": row.number, "data": _data(header.names, row)})
    doc = {
        "name": sheet.name,
        "header_row": header.row,
        "headers": header.names,
        "rows": rows,
        "formulas": formulas,
        "total_rows": total,
    }
    return {"doc": doc, "formulas": formula_count, "volatile": volatile_count}


def _data(names: list[str], row: Any) -> dict[str, Any]:
    formulas = row.formulas or {}
    data: dict[str, Any] = {}
    for column, name in enumerate(names):
        formula = formulas.get(column)
        if formula is not None:
            data[name] = formula.cell_json(limit=PREVIEW_TEXT_CHARS)
        else:
            data[name] = to_json(row.values[column], limit=PREVIEW_TEXT_CHARS)
    return data
