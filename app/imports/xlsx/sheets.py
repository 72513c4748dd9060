"""Reading a checked workbook with openpyxl in read-only mode: sheets, header rows, data rows.

Two read-only workbooks are opened on the same file: one with ``data_only=True`` (the cached
values a spreadsheet application stored) and, only when the scan found formula elements, one
with ``data_only=False`` (the formula texts), read in lockstep row by row. Formulas are never
evaluated. Dimensions recorded in the file are ignored (``reset_dimensions``): a wrong
``<dimension>`` would otherwise cut rows off silently.

Work is bounded: a sheet's rows × header columns are charged to a :class:`CellBudget` of
``XLSX_MAX_CELLS`` before and while it is read, and row numbers past Excel's limit stop it.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from app.errors import UnsupportedFile
from app.imports.columns import payload_keys
from app.imports.xlsx.cells import Formula, formula_text, to_text
from app.imports.xlsx.guard import WorkbookScan

HEADER_SCAN_ROWS = 100
HEADER_KEY_CELLS = 10
HEADER_MIN_KEYWORDS = 2
HEADER_KEYWORDS = ("date", "amount", "description", "category", "currency", "source",
                   "transaction")  # fmt: skip
MAX_EXCEL_ROW = 1_048_576
#: Keys of ``raw_payload`` that the import adds beside the headers.
RESERVED_KEYS = ("_sheet", "_row", "_formulas")
#: What openpyxl raises on a damaged part (ParseError and defusedxml's refusals included).
READ_ERRORS = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    EOFError,
    OSError,
    zipfile.BadZipFile,
    ElementTree.ParseError,
)


class CellBudget:
    """The cells one job may read (rows × header columns), ``XLSX_MAX_CELLS`` in all."""

    def __init__(self, max_cells: int) -> None:
        self.max_cells = max_cells
        self.used = 0

    def check(self, sheet: str, rows: int, width: int) -> None:
        """Fail at once when a sheet of ``rows`` rows × ``width`` columns would not fit."""
        if self.used + rows * width > self.max_cells:
            raise UnsupportedFile(
                f"sheet '{sheet[:60]}' spans {rows:,} rows × {width:,} columns, above "
                f"XLSX_MAX_CELLS ({self.max_cells:,} cells for the job)"
            )

    def charge(self, sheet: str, cells: int) -> None:
        self.used += cells
        if self.used > self.max_cells:
            raise UnsupportedFile(
                f"sheet '{sheet[:60]}' holds more cells than XLSX_MAX_CELLS "
                f"({self.max_cells:,}) allows"
            )


@dataclass(frozen=True)
class Header:
    """The header row of a sheet.

    Attributes:
        row: its 1-based row number (1 for an empty sheet).
        names: one unique name per column up to the last non-empty header cell (empty ones
            ``Column<n>``, repeats ``#2``, ``#3``).
    """

    row: int
    names: list[str]

    @property
    def width(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class SheetRow:
    """One row below the header.

    Attributes:
        number: the spreadsheet's row number.
        data_row: 1-based position below the header (blank rows counted).
        values: cached values, one per header column.
        formulas: the formula cells of the row by column index (0-based), or None.
    """

    number: int
    data_row: int
    values: tuple[Any, ...]
    formulas: dict[int, Formula] | None

    @property
    def blank(self) -> bool:
        return all(v is None or (isinstance(v, str) and not v.strip()) for v in self.values) and (
            not self.formulas
        )


class Sheet:
    """One worksheet of the workbook."""

    def __init__(self, book: Workbook, index: int, values_ws: Any, formulas_ws: Any) -> None:
        self.book = book
        self.index = index
        self.name = str(values_ws.title)
        self._values_ws = values_ws
        self._formulas_ws = formulas_ws
        counts = book.scan.counts(getattr(values_ws, "_worksheet_path", None))
        self.row_elements = counts.rows if counts else None
        values_ws.reset_dimensions()
        if formulas_ws is not None:
            formulas_ws.reset_dimensions()

    def ref(self, column: int, row: int) -> str:
        """``Sheet!B7`` for a 0-based column and a row number."""
        return f"{self.name}!{get_column_letter(column + 1)}{row}"

    @cached_property
    def header(self) -> Header:
        """The first of rows 1–100 whose first ten cells hold two header keywords, else the
        first non-empty one (row 1 when all are empty)."""
        first_filled: tuple[int, list[str]] | None = None
        rows = self._values_ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, values_only=True)
        for number, values in enumerate(_guarded(rows, self.name), start=1):
            texts = [to_text(v) for v in values]
            if first_filled is None and any(texts):
                first_filled = (number, texts)
            lowered = [t.lower() for t in texts[:HEADER_KEY_CELLS]]
            found = {k for k in HEADER_KEYWORDS if any(k in cell for cell in lowered)}
            if len(found) >= HEADER_MIN_KEYWORDS:
                return _header(number, texts)
        if first_filled is None:
            return Header(1, [])
        return _header(*first_filled)

    def header_formulas(self) -> list[Formula]:
        """The formula cells of the header row and the rows above it."""
        if self._formulas_ws is None:
            return []
        header = self.header
        found: list[Formula] = []
        cached_rows = self._values_ws.iter_rows(max_row=header.row, values_only=True)
        cells = self._formulas_ws.iter_rows(max_row=header.row)
        pairs = zip(_guarded(cells, self.name), _guarded(cached_rows, self.name), strict=False)
        for number, (row_cells, row_values) in enumerate(pairs, start=1):
            found.extend((self._formulas(row_cells, row_values, number) or {}).values())
        return found

    def rows(self, budget: CellBudget) -> Iterator[SheetRow]:
        """Every row below the header, cut to the header's columns."""
        header = self.header
        width = header.width
        if width == 0:
            return
        if self.row_elements is not None:
            budget.check(self.name, max(0, self.row_elements - header.row), width)
        start = header.row + 1
        values = _guarded(
            self._values_ws.iter_rows(min_row=start, max_col=width, values_only=True), self.name
        )
        cells: Iterator[Any] | None = None
        if self._formulas_ws is not None:
            cells = _guarded(self._formulas_ws.iter_rows(min_row=start, max_col=width), self.name)
        for offset, row_values in enumerate(values):
            number = start + offset
            if number > MAX_EXCEL_ROW:
                raise UnsupportedFile(
                    f"sheet '{self.name[:60]}' has rows past Excel's limit of "
                    f"{MAX_EXCEL_ROW:,} rows"
                )
            budget.charge(self.name, width)
            formulas = None
            if cells is not None:
                formulas = self._formulas(next(cells, ()), row_values, number)
            padded = tuple(row_values) + (None,) * (width - len(row_values))
            yield SheetRow(number, offset + 1, padded, formulas)

    def _formulas(
        self, cells: tuple[Any, ...], values: tuple[Any, ...], number: int
    ) -> dict[int, Formula] | None:
        found: dict[int, Formula] = {}
        for column, cell in enumerate(cells):
            if getattr(cell, "data_type", None) != "f":
                continue
            cached = values[column] if column < len(values) else None
            found[column] = Formula(
                formula_text(cell.value), self.ref(column, number), number, column + 1, cached
            )
        return found or None


class Workbook:
    """An open workbook; use as a context manager (the file handles are closed on exit)."""

    def __init__(self, path: Path, scan: WorkbookScan) -> None:
        self.scan = scan
        self._values = _load(path, data_only=True)
        self._formulas: Any = None
        try:
            if any(p.formulas for p in scan.parts.values()):
                self._formulas = _load(path, data_only=False)
            self.epoch: datetime.datetime = self._values.epoch
            self.sheets = self._sheets()
        except BaseException:
            self.close()
            raise

    def _sheets(self) -> list[Sheet]:
        sheets = []
        for index, ws in enumerate(self._values.worksheets):
            if not hasattr(ws, "iter_rows"):
                continue  # a chart sheet
            formulas_ws = self._formulas[ws.title] if self._formulas is not None else None
            sheets.append(Sheet(self, index, ws, formulas_ws))
        return sheets

    def sheet(self, name: str) -> Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)

    def close(self) -> None:
        for book in (self._values, self._formulas):
            if book is not None:
                book.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _load(path: Path, *, data_only: bool) -> Any:
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only, keep_links=False)
    except READ_ERRORS as exc:
        raise UnsupportedFile(f"the workbook cannot be read ({type(exc).__name__})") from None
    except Exception as exc:  # openpyxl's own InvalidFileException and kin
        raise UnsupportedFile(f"the workbook cannot be read ({type(exc).__name__})") from None


def _guarded(rows: Iterator[Any], sheet: str) -> Iterator[Any]:
    """openpyxl's rows, with a damaged part reported as an unreadable sheet."""
    iterator = iter(rows)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except READ_ERRORS as exc:
            raise UnsupportedFile(
                f"sheet '{sheet[:60]}' cannot be read ({type(exc).__name__})"
            ) from None
        yield row


def _header(number: int, texts: list[str]) -> Header:
    last = max((i for i, t in enumerate(texts) if t), default=-1)
    raw = [t if t else f"Column{i + 1}" for i, t in enumerate(texts[: last + 1])]
    names = payload_keys([*RESERVED_KEYS, *raw])[len(RESERVED_KEYS) :]
    return Header(number, names)
