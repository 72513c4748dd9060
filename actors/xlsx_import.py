"""``xlsx_import`` (CONTRACT-2 §5.9): the mapped sheets of a workbook into ``raw_transactions``.

Role and batch checks, the bytes into a temporary file, the safety checks, one read-only pass
over the mapped sheets (spooled, with the date order inferred), then one transaction: the CSV
import's bulk writer, the batch ``completed``, the ``excel_syncs`` row, the gated
``auto_model_trigger`` follow-up and the job. A failed or cancelled attempt leaves nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from actors.base import job_actor
from app.db import db_now
from app.errors import InvalidParams
from app.ids import parse_uuid
from app.imports.xlsx.importer import XlsxImport, import_options
from app.jobcontext import JobContext, current_job
from app.jobtypes import csv_import as batches
from app.jobtypes import xlsx_import as decl
from app.jobtypes.ledger_import import INSERT_BATCH_ROWS, import_rows
from app.jobtypes.workbooks import check_access, fetch_upload, open_workbook
from app.logging_setup import log_event

logger = logging.getLogger(__name__)

PROGRESS_OPEN, PROGRESS_PARSED, PROGRESS_ROWS_END = 10.0, 40.0, 95.0
PROGRESS_INTERVAL_S = 1.0


def _span(ctx: JobContext, start: float, end: float) -> Callable[[float], None]:
    """A progress hook mapping a fraction to ``start``–``end``, at most once a second."""
    last = [0.0]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_INTERVAL_S:
            ctx.checkpoint()
            return
        last[0] = now
        ctx.progress(start + (end - start) * min(1.0, max(0.0, fraction)))

    return report


@job_actor(decl.JOB_TYPE)
def xlsx_import(job_id: str) -> None:
    ctx = current_job()
    params, settings = ctx.params, ctx.settings
    raw_batch = params.get("importBatchId")
    if raw_batch in (None, ""):
        raise InvalidParams("params.importBatchId is required")
    batch_id = parse_uuid(raw_batch, "params.importBatchId")
    raw_mapping = params.get("mappingId")
    mapping_id = None if raw_mapping in (None, "") else parse_uuid(raw_mapping, "params.mappingId")
    with ctx.db.transaction() as cur:
        check_access(cur, ctx.job)
        batch = batches.load_batch(cur, batch_id, ctx.job.org_id)
        if not batches.start_batch(batch, ctx.job.id):
            ctx.succeed_noop("import batch already completed")
            return
        if mapping_id is not None:
            decl.check_mapping(cur, mapping_id, batch.org_id)
    org_id = batch.org_id
    options, sheet_name = import_options(params, org_id=org_id, import_batch_id=batch.id)
    with fetch_upload(params, org_id, settings) as upload:
        ctx.progress(PROGRESS_OPEN, "Reading workbook")
        with open_workbook(upload, settings) as (book, scan, budget):
            parser = XlsxImport(book, options, sheet_name, budget, batch_size=INSERT_BATCH_ROWS)
            parser.prepare(_span(ctx, PROGRESS_OPEN, PROGRESS_PARSED))
    ctx.progress(PROGRESS_PARSED, "Importing rows")
    parser.batch_progress = _span(ctx, PROGRESS_PARSED, PROGRESS_ROWS_END)
    with ctx.db.transaction() as cur:
        totals = import_rows(cur, parser, before_batch=ctx.checkpoint)
        rows_imported = totals.rows_inserted
        stats, formulas = parser.stats, parser.formulas
        rows_duplicate = stats.rows_valid - rows_imported
        _, completed_at = db_now(cur)
        stats_json = {
            **stats.stats_json(rows_imported=rows_imported, rows_duplicate=rows_duplicate),
            "transactionsCreated": rows_imported,
            "formulasDetected": formulas.detected,
            "volatileFormulas": formulas.volatile,
            "sheets": parser.sheets_used,
            "completedAt": completed_at,
        }
        batches.complete_batch(cur, batch, stats_json)
        decl.record_sync(
            cur,
            org_id=org_id,
            file_hash=upload.sha256,
            mapping_id=mapping_id,
            metadata={
                "transactions_created": rows_imported,
                "formulas_detected": formulas.detected,
                "volatile_formulas": formulas.volatile,
                "formula_mappings": formulas.mappings,
            },
        )
        decl.insert_trigger(
            cur, settings, job_id=ctx.job.id, org_id=org_id, rows_imported=rows_imported
        )
        meta = {
            **batches.success_meta(
                rows_total=stats.rows_total,
                rows_imported=rows_imported,
                rows_duplicate=rows_duplicate,
                rows_skipped=stats.rows_skipped,
                errors=stats.errors,
                amount_format=stats.amount_format.stats_json(),
            ),
            "transactions_created": rows_imported,
            "formulas_detected": formulas.detected,
            "volatile_formulas": formulas.volatile,
            "sheets": parser.sheets_used,
            "warnings": stats.warnings[:10],
        }
        ctx.commit_success(cur, meta)
    log_event(
        logger,
        logging.INFO,
        "xlsx_import_committed",
        source=upload.source,
        bytes=upload.size,
        cells_scanned=scan.cells,
        rows_total=stats.rows_total,
        rows_imported=rows_imported,
        rows_duplicate=rows_duplicate,
        rows_skipped=stats.rows_skipped,
        batches=totals.batches,
        write_ms=round(totals.write_s * 1000),
        **ctx.log_fields(),
    )
