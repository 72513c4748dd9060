"""The document benchmark's parts for CONTRACT-2 §5–§6 (run through ``bench/documents.py``).

* :func:`bench_investor_renders`: investor memo PDF and deck PPTX for the 36-month sample run
  (charts, Monte Carlo fan, budget vs actual, headcount, commentary), median of 5, against the
  2 s target.
* :func:`bench_xlsx_import`: 100 000 rows written once as a CSV and once as a workbook (real date
  cells, shared strings and a ``<dimension>`` as Excel writes them), each imported through its
  job's real path into a fresh database in one committed transaction: CSV = ``CsvImport`` +
  ``import_rows``; XLSX = the safety scan, openpyxl's read-only pass spooled to disk, the CSV
  import's row parser and ``import_rows``. Peak RSS (VmHWM, reset before each import) and rows/s
  of each, and the ratio.
"""

from __future__ import annotations

import datetime
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extras

from app.imports.csv_reader import CsvImport, ImportOptions
from app.imports.xlsx.guard import inspect_workbook
from app.imports.xlsx.importer import XlsxImport, import_options
from app.imports.xlsx.sheets import CellBudget, Workbook
from app.jobtypes.ledger_import import INSERT_BATCH_ROWS, import_rows
from app.reports.investor import InvestorContent
from app.reports.pdf.investor import render_investor_pdf
from app.reports.pptx_deck.investor import render_investor_pptx
from bench.common import FileSource, fresh_database, median_s, proc_status_bytes, reset_peak_rss
from tests.imports.xlsx_builder import sheet_xml, workbook_bytes
from tests.reports.sample_summary import make_report_data

RENDER_TARGET_S = 2.0
XLSX_ROWS = 100_000
HEADER = ["Date", "Amount", "Description", "Category", "Type"]
CATEGORIES = ("Payroll", "AWS hosting", "Marketing", "Rent", "Software", "Travel", "Meals")
MAPPINGS = {"date": "Date", "amount": "Amount", "description": "Description",
            "category": "Category", "type": "Type"}  # fmt: skip
BOARD_META: dict[str, Any] = {
    "reportType": "board-report",
    "reportTitle": "Q3 Board Report",
    "reportingPeriod": "Q3 2025",
    "aiContent": {"executiveSummary": "Pipeline doubled.", "keyHighlights": ["Two deals"]},
    "budgetActualData": {
        "periods": [
            {
                "period": f"2025-0{m}",
                "budgetRevenue": 150_000,
                "actualRevenue": 140_000 + m,
                "budgetExpenses": 190_000,
                "actualExpenses": 181_000 + m,
                "variance": 1_000 + m,
            }
            for m in range(1, 7)
        ],  # fmt: skip
        "categories": [{"category": c, "budget": 90_000, "actual": 91_000} for c in CATEGORIES],
    },
}
HEADCOUNT = [
    {"department": d, "status": s, "quantity": q}
    for d, s, q in (("Engineering", "filled", 14), ("Engineering", "hiring", 3),
                    ("Sales", "filled", 6), ("Sales", "approved", 2), ("G&A", "planned", 1))
]  # fmt: skip


def bench_investor_renders() -> None:
    data = make_report_data()
    content = InvestorContent.build(BOARD_META, HEADCOUNT, template=None, include_monte_carlo=True)
    months = len(data.summary["monthly"])
    print(
        f"== Investor documents: {months}-month run, Monte Carlo, budget, headcount (median of 5)"
    )
    pdf, sections = render_investor_pdf(data, content)
    seconds = median_s(lambda: render_investor_pdf(data, content))
    print(
        f"investor memo PDF   {seconds:6.3f} s  {len(pdf) / 1024:6.1f} KiB  "
        f"{seconds / RENDER_TARGET_S:5.1%} of the 2 s target  ({len(sections)} sections)"
    )
    deck, slides, _ = render_investor_pptx(data, content)
    seconds = median_s(lambda: render_investor_pptx(data, content))
    print(
        f"investor deck PPTX  {seconds:6.3f} s  {len(deck) / 1024:6.1f} KiB  "
        f"{seconds / RENDER_TARGET_S:5.1%} of the 2 s target  ({slides} slides)"
    )


def _rows(count: int) -> list[list[Any]]:
    rnd = random.Random(7)
    start = datetime.date(2023, 1, 1)
    return [
        [
            start + datetime.timedelta(days=rnd.randint(0, 730)),
            round(rnd.uniform(1, 20_000), 2) * (-1 if rnd.random() < 0.7 else 1),
            f"Invoice {rnd.randint(1, 10**9)}",
            rnd.choice(CATEGORIES),
            rnd.choice(("debit", "credit")),
        ]
        for _ in range(count)
    ]


def _write_files(folder: Path, rows: list[list[Any]]) -> tuple[Path, Path]:
    csv_path, xlsx_path = folder / "ledger.csv", folder / "ledger.xlsx"
    with csv_path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\r\n")
        for day, amount, description, category, kind in rows:
            out.write(f"{day.isoformat()},{amount:.2f},{description},{category},{kind}\r\n")
    strings: dict[str, int] = {}
    xml = sheet_xml([HEADER, *rows], dimension=f"A1:E{len(rows) + 1}", strings=strings)
    xlsx_path.write_bytes(workbook_bytes({"Ledger": xml}, strings=strings))
    return csv_path, xlsx_path


def _org(conn: Any, name: str) -> tuple[str, str]:
    with conn.cursor() as cur:
        cur.execute("INSERT INTO orgs (name) VALUES (%s) RETURNING id::text AS id", (name,))
        org = cur.fetchone()["id"]
        cur.execute(
            "INSERT INTO data_import_batches (org_id, source_type) VALUES (%s, 'bench')"
            " RETURNING id::text AS id",
            (org,),
        )
        batch = cur.fetchone()["id"]
    conn.commit()
    return org, batch


def _measured(conn: Any, run: Any) -> tuple[float, int, int]:
    """``run(cur)`` in one committed transaction: seconds, rows inserted, peak RSS bytes."""
    reset_peak_rss()
    started = time.perf_counter()
    with conn.cursor() as cur:
        inserted = run(cur)
    conn.commit()
    return time.perf_counter() - started, inserted, proc_status_bytes("VmHWM")


def bench_xlsx_import(rows: int = XLSX_ROWS) -> None:
    url, drop = fresh_database("documents_xlsx")
    try:
        with tempfile.TemporaryDirectory(prefix="fp-bench-xlsx-") as tmp:
            csv_path, xlsx_path = _write_files(Path(tmp), _rows(rows))
            csv_mib, xlsx_mib = (p.stat().st_size / 2**20 for p in (csv_path, xlsx_path))
            print(
                f"== XLSX import vs csv_import: {rows:,} rows; CSV {csv_mib:.1f} MiB, "
                f"XLSX {xlsx_mib:.1f} MiB"
            )
            conn = psycopg2.connect(url, cursor_factory=psycopg2.extras.RealDictCursor)
            csv_org, csv_batch = _org(conn, "csv")
            xlsx_org, xlsx_batch = _org(conn, "xlsx")

            def run_csv(cur: Any) -> int:
                options = ImportOptions.from_params(
                    {"mappings": MAPPINGS}, org_id=csv_org, import_batch_id=csv_batch
                )
                parser = CsvImport(FileSource(csv_path), options, batch_size=INSERT_BATCH_ROWS)
                return import_rows(cur, parser).rows_inserted

            def run_xlsx(cur: Any) -> int:
                columns = {k: {"csvColumn": v} for k, v in MAPPINGS.items()}
                options, sheet = import_options(
                    {"mappingJson": {"columnMappings": columns}},
                    org_id=xlsx_org,
                    import_batch_id=xlsx_batch,
                )
                scan = inspect_workbook(
                    xlsx_path, max_uncompressed_bytes=1 << 30, max_cells=5_000_000
                )
                with Workbook(xlsx_path, scan) as book:
                    parser = XlsxImport(book, options, sheet, CellBudget(5_000_000))
                    parser.prepare()
                return import_rows(cur, parser).rows_inserted

            rss_before = proc_status_bytes("VmRSS")
            csv_s, csv_rows, csv_peak = _measured(conn, run_csv)
            xlsx_s, xlsx_rows, xlsx_peak = _measured(conn, run_xlsx)
            conn.close()
        for label, seconds, inserted, peak in (
            ("csv_import  (baseline)", csv_s, csv_rows, csv_peak),
            ("xlsx_import", xlsx_s, xlsx_rows, xlsx_peak),
        ):
            print(
                f"{label:<24}{seconds:7.2f} s  {inserted / seconds:>9,.0f} rows/s  "
                f"inserted {inserted:,}  peak RSS {peak / 2**20:6.0f} MiB"
            )
        print(
            f"xlsx / csv time ratio    {xlsx_s / csv_s:5.1f}x (same rows, same run); RSS of the "
            f"process before both: {rss_before / 2**20:.0f} MiB"
        )
    finally:
        drop()
