"""Does pandas earn its place? The CSV import parse with pandas against today's reader.

Run from the repository root: ``.venv/bin/python -m bench.pandas_parse [rows]`` (1 000 000 by
default, the file of ``bench/documents.py``). pandas is no longer a dependency (this benchmark
is why, issue 9): install it for the run with ``.venv/bin/pip install pandas==3.1.1``. In one
run, on the same file, it prints:

* the tokenizer alone: ``csv.reader`` against ``pandas.read_csv(dtype=str)`` in chunks (the
  most pandas could save);
* the whole parse as the import needs it: today's :class:`~app.imports.csv_reader.CsvImport`
  against a pandas-based parse that keeps every row-level error and warning the reader
  produces (blank rows counted nowhere, ``Row N`` numbers, invalid dates and amounts, the
  ``type`` sign, payloads, fingerprints), both with the web UI's defaults (date order and
  decimal separator inferred: two passes) and with both given (one pass);
* whether the two parses agree row for row and error for error, on the big file and on a
  small file full of problems (ragged rows, blank rows, bad cells, duplicate headers).

The pandas parse reuses the reader's cell rules (dates, amounts, ids) so that only the parsing
machinery differs: pandas tokenises and vectorises what it can (trimming, blank rows, the
default category, payload text), the per-cell rules run once per distinct value.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

try:
    import pandas as pd
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("bench.pandas_parse needs pandas: .venv/bin/pip install pandas==3.1.1")

from app.imports.amounts import (  # noqa: E402
    HINT_DAY_FIRST,
    AmountFormat,
    AmountOutOfRange,
    SeparatorInference,
    apply_type,
    currency_code,
    parse_amount,
)
from app.imports.columns import map_columns  # noqa: E402
from app.imports.csv_reader import CsvImport, ImportOptions, TransactionRow  # noqa: E402
from app.imports.dates import (  # noqa: E402
    KIND_ABC,
    ORDER_DMY,
    ORDER_YMD,
    OrderInference,
    format_order,
    parse_date,
)
from app.imports.fingerprints import SourceIds  # noqa: E402
from app.imports.rows import MAX_CELL_IN_ERROR_CHARS, ParsedRow  # noqa: E402
from app.imports.stats import ImportStats  # noqa: E402
from bench.documents import MAPPINGS, write_rows  # noqa: E402
from tests.imports.helpers import FileSource  # noqa: E402

DEFAULT_ROWS = 1_000_000
CHUNK_ROWS = 50_000
ORG = "bench-org"
#: A small file with every kind of row problem the reader reports.
PROBLEM_FILE = (
    "Date,Amount,Description,Category,Type,Reference,Date\r\n"
    "15/03/2024,4.50,Coffee,Meals,debit,,x\r\n"
    ",,,,,,\r\n"
    "\r\n"
    "31/02/2024,1.00,Bad day,Meals,,,\r\n"
    "16/03/2024,,No amount,Meals,,,\r\n"
    ',"1,234,56",Bad amount,Meals,,,\r\n'
    '17/03/2024,"1,234,56",Bad amount,Meals,,,\r\n'
    "18/03/2024,1e20,Huge,Sales,credit,,\r\n"
    "19/03/2024,12.5\r\n"
    "20/03/2024,(7.25),Extra cells,Meals,,,,,,\r\n"
    "21/03/2024,4.50,Coffee,,debit,,\r\n"
    "15/03/2024,4.50,Coffee,Meals,debit,,x\r\n"
)


def _clip(cell: str) -> str:
    return cell if len(cell) <= MAX_CELL_IN_ERROR_CHARS else cell[:MAX_CELL_IN_ERROR_CHARS] + "…"


class PandasImport:
    """The reader's parse with pandas doing the tokenising and the column work.

    Known gaps against :class:`CsvImport`, which the benchmark states rather than hides:
    ragged rows need the Python engine (the C engine refuses extra cells), pandas renames
    duplicate headers itself (``Date.1``; the payload needs the reader's ``#2``), and decoding
    (cp1252 fallback, byte offsets of bad UTF-8) stays the reader's, handed over as text.
    """

    def __init__(self, path: Path, options: ImportOptions, *, python_engine: bool = False):
        self.path = path
        self.options = options
        self.engine = "python" if python_engine else "c"
        self.stats = ImportStats()

    def _chunks(self) -> Iterator[tuple[pd.DataFrame, list[str]]]:
        with self.path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader([handle.readline()]))
            handle.seek(0)
            reader = pd.read_csv(
                handle,
                dtype=str,
                header=None,
                skiprows=1,
                names=list(range(len(header))),
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                chunksize=CHUNK_ROWS,
                engine=self.engine,
                quotechar='"',
                doublequote=True,
                **(
                    {"on_bad_lines": lambda cells: cells[: len(header)]}
                    if self.engine == "python"
                    else {}
                ),
            )
            for frame in reader:
                yield frame.fillna(""), header

    def batches(self) -> Iterator[list[TransactionRow]]:
        options = self.options
        warnings: list[str] = []
        order = format_order(options.date_format)
        decimal = options.decimal_separator
        if order is None or decimal is None:
            dates, amounts = OrderInference(), SeparatorInference()
            for frame, header in self._chunks():
                columns = map_columns(header, options.mappings, [])
                if order is None:
                    for cell in frame[columns.date].str.strip().unique():
                        if cell:
                            dates.add(cell)
                if decimal is None:
                    cells = frame[columns.amount].str.strip()
                    for row_number, cell in zip(cells.index + 1, cells, strict=True):
                        if cell:
                            amounts.add(cell, int(row_number))
            if order is None:
                order, warning = dates.order()
                if warning:
                    warnings.append(warning)
            if decimal is None:
                hints = [HINT_DAY_FIRST] if order == ORDER_DMY else []
                self.stats.amount_format = amounts.decide(hints)
                decimal = self.stats.amount_format.decimal_separator
            else:
                self.stats.amount_format = AmountFormat(decimal)
        else:
            self.stats.amount_format = AmountFormat(decimal)
        ids = SourceIds(options.org_id, options.import_batch_id)
        abc_seen = False
        date_cache: dict[str, Any] = {}
        for frame, header in self._chunks():
            columns = map_columns(header, options.mappings, self.stats.warnings)
            cells = frame.apply(lambda column: column.str.strip())
            blank = (cells == "").all(axis=1)
            cells = cells[~blank]
            self.stats.rows_total += len(cells)
            payload = _payloads(cells, columns.json_keys)
            empty = pd.Series("", index=cells.index)

            def column(
                position: int,
                cells: pd.DataFrame = cells,
                empty: pd.Series = empty,
                blank_at: int = columns.blank,
            ) -> pd.Series:
                return cells[position] if position < blank_at else empty

            category = column(columns.category).where(
                column(columns.category) != "", options.default_category
            )
            parsed: list[ParsedRow] = []
            for row_number, date_cell, amount_cell, kind, cur, cat, desc, sid, text in zip(
                cells.index + 1,
                column(columns.date),
                column(columns.amount),
                column(columns.type),
                column(columns.currency),
                category,
                column(columns.description),
                column(columns.source_id),
                payload,
                strict=True,
            ):
                if not date_cell:
                    self.stats.add_error(f"Row {row_number}: missing date")
                    continue
                if not amount_cell:
                    self.stats.add_error(f"Row {row_number}: missing amount")
                    continue
                day = date_cache.get(date_cell)
                if day is None:
                    day = date_cache[date_cell] = parse_date(date_cell, order)
                if day.value is None:
                    self.stats.add_error(f"Row {row_number}: invalid date '{_clip(date_cell)}'")
                    continue
                try:
                    amount = parse_amount(amount_cell, decimal)
                except AmountOutOfRange:
                    self.stats.add_error(
                        f"Row {row_number}: amount out of range '{_clip(amount_cell)}'"
                    )
                    continue
                if amount is None:
                    self.stats.add_error(f"Row {row_number}: invalid amount '{_clip(amount_cell)}'")
                    continue
                if kind:
                    amount = apply_type(amount, kind)
                currency = currency_code(cur, options.currency) if cur else options.currency
                abc_seen = abc_seen or day.kind == KIND_ABC
                parsed.append(
                    ParsedRow(day.value, amount, currency, cat, desc, text, sid, day.kind)
                )
            if parsed:
                yield ids.rows(parsed)
        self.stats.date_order = order if abc_seen else ORDER_YMD
        self.stats.warnings = warnings + self.stats.warnings


def _payloads(cells: pd.DataFrame, json_keys: list[str]) -> pd.Series:
    """``{header: cell}`` JSON text per row, built a column at a time."""
    text = pd.Series("{", index=cells.index)
    for position, key in enumerate(json_keys):
        values = cells[position] if position in cells.columns else pd.Series("", index=cells.index)
        text = text + ("," if position else "") + key + values.map(encode_basestring)
    return text + "}"


def _options(date_format: str | None, decimal: str | None) -> ImportOptions:
    params: dict[str, Any] = {"mappings": MAPPINGS}
    if date_format:
        params["dateFormat"] = date_format
    if decimal:
        params["decimalSeparator"] = decimal
    return ImportOptions.from_params(params, org_id=ORG, import_batch_id=None)


def _run(parser: Any) -> tuple[list[TransactionRow], float]:
    start = time.perf_counter()
    rows = [row for batch in parser.batches() for row in batch]
    return rows, time.perf_counter() - start


def _verdict(a: tuple[list[TransactionRow], ImportStats], b: tuple[list[Any], ImportStats]) -> str:
    rows_a, stats_a = a
    rows_b, stats_b = b
    same_rows = rows_a == rows_b
    same_stats = json.dumps(stats_a.stats_json(rows_imported=0, rows_duplicate=0), default=str) == (
        json.dumps(stats_b.stats_json(rows_imported=0, rows_duplicate=0), default=str)
    )
    if same_rows and same_stats:
        return "identical rows and stats"
    diff = []
    if not same_rows:
        first = next(
            (i for i, (x, y) in enumerate(zip(rows_a, rows_b, strict=False)) if x != y),
            min(len(rows_a), len(rows_b)),
        )
        diff.append(f"rows differ ({len(rows_a)} vs {len(rows_b)}, first at {first})")
    if not same_stats:
        diff.append(
            f"stats differ: errors {stats_a.errors[:4]} vs {stats_b.errors[:4]}, totals "
            f"{stats_a.rows_total}/{stats_a.rows_skipped} vs {stats_b.rows_total}/"
            f"{stats_b.rows_skipped}"
        )
    return "; ".join(diff)


def bench(rows: int) -> None:
    with tempfile.TemporaryDirectory(prefix="fp-bench-pandas-") as tmp:
        path = Path(tmp) / "ledger.csv"
        write_rows(path, rows)
        size_mib = path.stat().st_size / 2**20
        print(f"== pandas vs today's reader: {rows:,} rows, {size_mib:.1f} MiB")
        print(f"pandas {pd.__version__}")

        start = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as handle:
            count = sum(1 for _ in csv.reader(handle)) - 1
        csv_s = time.perf_counter() - start
        start = time.perf_counter()
        count_pd = 0
        for frame in pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, chunksize=CHUNK_ROWS
        ):
            count_pd += len(frame)
        pd_s = time.perf_counter() - start
        print(
            f"tokenizer only   csv.reader {csv_s:6.2f} s   pandas.read_csv {pd_s:6.2f} s  "
            f"(pandas takes {pd_s / csv_s:4.2f}x the time; {count:,} / {count_pd:,} rows)"
        )

        for label, date_format, decimal in (
            ("inferred order and separator (2 passes)", None, None),
            ("dateFormat + decimalSeparator (1 pass)", "DD/MM/YYYY", "."),
        ):
            options = _options(date_format, decimal)
            reader = CsvImport(FileSource(path), options)
            rows_a, reader_s = _run(reader)
            pandas_parser = PandasImport(path, options)
            rows_b, pandas_s = _run(pandas_parser)
            print(
                f"whole parse, {label}: reader {reader_s:6.2f} s  "
                f"{len(rows_a) / reader_s:>9,.0f} rows/s   pandas {pandas_s:6.2f} s  "
                f"{len(rows_b) / pandas_s:>9,.0f} rows/s   ratio reader/pandas "
                f"{reader_s / pandas_s:4.2f}x"
            )
            print(f"  agreement: {_verdict((rows_a, reader.stats), (rows_b, pandas_parser.stats))}")
            if decimal is not None:
                # The engine that keeps ragged rows as the reader does (see the problem file).
                python_parser = PandasImport(path, options, python_engine=True)
                rows_c, python_s = _run(python_parser)
                print(
                    f"  pandas python engine (keeps ragged rows): {python_s:6.2f} s  "
                    f"{len(rows_c) / python_s:>9,.0f} rows/s   ratio reader/pandas "
                    f"{reader_s / python_s:4.2f}x; "
                    f"{_verdict((rows_a, reader.stats), (rows_c, python_parser.stats))}"
                )
                del rows_c
            del rows_a, rows_b

        problems = Path(tmp) / "problems.csv"
        problems.write_text(PROBLEM_FILE, encoding="utf-8", newline="")
        options = _options("DD/MM/YYYY", ".")
        reader = CsvImport(FileSource(problems), options)
        reader_rows, _ = _run(reader)
        print("problem file (ragged rows, blank rows, bad cells, duplicate header):")
        print(f"  reader: {len(reader_rows)} rows, errors {reader.stats.errors}")
        for python_engine in (False, True):
            engine = "python" if python_engine else "c"
            parser = PandasImport(problems, options, python_engine=python_engine)
            try:
                pandas_rows, _ = _run(parser)
            except Exception as exc:  # noqa: BLE001 - reported, it is the finding
                print(f"  pandas ({engine} engine): fails: {type(exc).__name__}: {exc}")
                continue
            print(
                f"  pandas ({engine} engine): "
                f"{_verdict((reader_rows, reader.stats), (pandas_rows, parser.stats))}"
            )


def main() -> None:
    bench(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ROWS)


if __name__ == "__main__":
    main()
