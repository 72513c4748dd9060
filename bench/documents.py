"""Document and CSV-import benchmark.

Run from the repository root: ``.venv/bin/python bench/documents.py``. It prints:

* PDF (every template) and PPTX render times for a 36-month run with charts and a Monte Carlo
  fan, against the 2 s target, and the CSV export time;
* CSV import parse throughput over 1 000 000 generated rows: the parser with the default
  ``dateFormat`` (two passes: order inference, then rows) and with an explicit one (one pass),
  each as a ratio against a baseline measured in the same run (the bare ``csv`` module reading
  the same file), plus the tracemalloc peak of a traced one-pass parse;
* the database insert part, left to the pipeline work (:func:`bench_database_insert`).
"""

from __future__ import annotations

import csv
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.imports.csv_reader import CsvImport, ImportOptions  # noqa: E402
from app.reports.csv_export import render_csv  # noqa: E402
from app.reports.pdf import TEMPLATE_TITLES, render_pdf  # noqa: E402
from app.reports.pptx_deck import render_pptx  # noqa: E402
from tests.reports.sample_summary import make_report_data  # noqa: E402

RENDER_TARGET_S = 2.0
RENDER_REPEATS = 5
CSV_ROWS = 1_000_000
MAPPINGS = {
    "date": "Date",
    "amount": "Amount",
    "description": "Description",
    "category": "Category",
    "type": "Type",
}
CATEGORIES = ("Payroll", "AWS hosting", "Marketing", "Rent", "Software", "Travel", "Meals")


@dataclass(frozen=True)
class _FileSource:
    path: Path
    kind: str = "file"

    def open(self) -> tuple[BinaryIO, int]:
        return self.path.open("rb"), self.path.stat().st_size


def _median_s(fn: Callable[[], Any], repeats: int = RENDER_REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_renders() -> None:
    """PDF per template, PPTX and CSV export for the 36-month sample run."""
    data = make_report_data()
    months = len(data.summary["monthly"])
    print(f"== Renders: {months}-month run, charts, Monte Carlo fan (median of {RENDER_REPEATS})")
    start = time.perf_counter()
    pdf, _ = render_pdf(data, "executive-summary")
    cold = time.perf_counter() - start
    print(f"pdf  executive-summary  cold {cold:6.3f} s (font registration included)")
    for template in TEMPLATE_TITLES:
        seconds = _median_s(lambda t=template: render_pdf(data, t))
        size = len(render_pdf(data, template)[0])
        print(
            f"pdf  {template:<22} {seconds:6.3f} s  {size / 1024:6.1f} KiB  "
            f"{seconds / RENDER_TARGET_S:5.1%} of the 2 s target"
        )
    seconds = _median_s(lambda: render_pptx(data))
    size = len(render_pptx(data))
    print(
        f"pptx investor deck          {seconds:6.3f} s  {size / 1024:6.1f} KiB  "
        f"{seconds / RENDER_TARGET_S:5.1%} of the 2 s target"
    )
    seconds = _median_s(lambda: render_csv(data.summary))
    print(f"csv  export                 {seconds:6.3f} s  {len(render_csv(data.summary))} bytes")
    del pdf


def write_rows(path: Path, rows: int) -> None:
    """A CSV of ``rows`` card-ledger rows, DD/MM/YYYY dates, ~2 % exact duplicates."""
    rnd = random.Random(42)
    with path.open("w", newline="", encoding="utf-8") as out:
        out.write("Date,Amount,Description,Category,Type,Reference\r\n")
        for n in range(rows):
            if rnd.random() < 0.02:
                out.write("15/03/2024,4.50,Coffee,Meals,debit,\r\n")
                continue
            day, month = rnd.randint(1, 28), rnd.randint(1, 12)
            out.write(
                f"{day:02d}/{month:02d}/20{rnd.randint(20, 24)},"
                f'"{rnd.uniform(1, 20_000):,.2f}",Invoice {rnd.randint(1, 10**9)},'
                f"{rnd.choice(CATEGORIES)},{rnd.choice(('debit', 'credit'))},REF-{n}\r\n"
            )


def _parse(path: Path, date_format: str | None) -> tuple[int, float, CsvImport]:
    params: dict[str, Any] = {"mappings": MAPPINGS}
    if date_format:
        params["dateFormat"] = date_format
    options = ImportOptions.from_params(params, org_id="bench-org", import_batch_id=None)
    parser = CsvImport(_FileSource(path), options)
    start = time.perf_counter()
    rows = sum(len(batch) for batch in parser.batches())
    return rows, time.perf_counter() - start, parser


def _csv_module_baseline(path: Path) -> tuple[int, float]:
    start = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
    return rows, time.perf_counter() - start


def bench_csv_parse(rows: int = CSV_ROWS) -> None:
    """Throughput and traced peak memory of the import parser."""
    with tempfile.TemporaryDirectory(prefix="fp-bench-") as tmp:
        path = Path(tmp) / "ledger.csv"
        write_rows(path, rows)
        size_mib = path.stat().st_size / 2**20
        print(f"== CSV import parse: {rows:,} rows, {size_mib:.1f} MiB file")
        base_rows, base_s = _csv_module_baseline(path)
        print(
            f"baseline csv.reader only         {base_s:6.2f} s  {base_rows / base_s:>10,.0f} rows/s"
        )
        for label, date_format in (
            ("parser, inferred order (2 passes)", None),
            ("parser, dateFormat DD/MM/YYYY", "DD/MM/YYYY"),
        ):
            count, seconds, parser = _parse(path, date_format)
            print(
                f"{label:<33}{seconds:6.2f} s  {count / seconds:>10,.0f} rows/s  "
                f"{seconds / base_s:5.1f}x baseline  (valid {count:,}, skipped "
                f"{parser.stats.rows_skipped}, dateOrder {parser.stats.date_order})"
            )
        tracemalloc.start()
        try:
            count, seconds, _ = _parse(path, "DD/MM/YYYY")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        print(
            f"traced one-pass parse            {seconds:6.2f} s (tracemalloc slows it down)  "
            f"peak {peak / 2**20:.1f} MiB for {count:,} rows"
        )
        bench_database_insert(path)


def bench_database_insert(path: Path) -> None:
    """PIPELINE WORK GOES HERE: time inserting the parsed rows into ``raw_transactions``.

    To be added by the engineer who owns the database layer: parse ``path`` with
    :class:`CsvImport` and insert every batch inside one transaction with
    ``INSERT … ON CONFLICT (org_id, source_id) DO NOTHING``, comparing COPY into a temp table
    (or multi-row VALUES) against a row-at-a-time INSERT baseline measured in the same run,
    and print the ratio. ``bench/common.py`` has ``fresh_database``.
    """
    print("== Database insert: not measured yet (bench_database_insert is a placeholder)")


def main() -> None:
    bench_renders()
    bench_csv_parse()


if __name__ == "__main__":
    main()
