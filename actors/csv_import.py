"""``csv_import`` (contract §5.4): stream an upload into ``raw_transactions``, atomically.

The actor adapts the streaming parser (:mod:`app.imports`) and the bulk writer
(:mod:`app.jobtypes.ledger_import`): every insert of the attempt, the batch's ``completed``
row, the ``auto_model_trigger`` follow-up and the job's completion are one transaction
(§5.4.4), so the counts are exact and a cancelled or failed attempt leaves no row behind.
"""

from __future__ import annotations

import logging
import time

from actors.base import job_actor
from app.db import db_now
from app.errors import InvalidParams
from app.ids import parse_uuid
from app.imports.csv_reader import CsvImport, ImportOptions
from app.imports.sources import select_source
from app.jobcontext import JobContext, current_job
from app.jobtypes import csv_import as decl
from app.jobtypes.ledger_import import INSERT_BATCH_ROWS, import_rows
from app.logging_setup import log_event
from app.storage import make_object_store

logger = logging.getLogger(__name__)

PROGRESS_OPEN = 10.0
PROGRESS_SPAN = 85.0
PROGRESS_INTERVAL_S = 1.0


class _Progress:
    """The parser's progress hook: ``10 + 85 · bytes/total``, at most once a second."""

    def __init__(self, ctx: JobContext) -> None:
        self._ctx = ctx
        self._last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last = now
        fraction = min(1.0, done / total) if total > 0 else 0.0
        self._ctx.progress(PROGRESS_OPEN + PROGRESS_SPAN * fraction)


@job_actor(decl.JOB_TYPE)
def csv_import(job_id: str) -> None:
    ctx = current_job()
    params = ctx.params
    org_id = ctx.job.org_id
    raw_batch_id = params.get("importBatchId")
    batch: decl.ImportBatch | None = None
    if raw_batch_id not in (None, ""):
        with ctx.db.transaction() as cur:
            batch = decl.load_batch(cur, parse_uuid(raw_batch_id, "params.importBatchId"), org_id)
        if not decl.start_batch(batch, ctx.job.id):
            ctx.succeed_noop("import batch already completed")
            return
        org_id = batch.org_id
    if org_id is None:
        raise InvalidParams("csv_import needs the job's org_id or params.importBatchId")

    options = ImportOptions.from_params(
        params, org_id=org_id, import_batch_id=batch.id if batch else None
    )
    settings = ctx.settings
    store = make_object_store(settings.s3_bucket, settings.aws_region, settings.s3_endpoint_url)
    source = select_source(params, store)
    ctx.progress(PROGRESS_OPEN, "Reading CSV file")
    parser = CsvImport(source, options, batch_size=INSERT_BATCH_ROWS, progress=_Progress(ctx))
    with ctx.db.transaction() as cur:
        totals = import_rows(cur, parser, before_batch=ctx.checkpoint)
        rows_imported = totals.rows_inserted
        stats = parser.stats
        rows_duplicate = stats.rows_valid - rows_imported
        if batch is not None:
            _, completed_at = db_now(cur)
            stats_json = stats.stats_json(
                rows_imported=rows_imported, rows_duplicate=rows_duplicate
            )
            decl.complete_batch(cur, batch, {**stats_json, "completedAt": completed_at})
        decl.insert_trigger(
            cur,
            settings,
            job_id=ctx.job.id,
            org_id=org_id,
            params=params,
            rows_imported=rows_imported,
        )
        meta = decl.success_meta(
            rows_total=stats.rows_total,
            rows_imported=rows_imported,
            rows_duplicate=rows_duplicate,
            rows_skipped=stats.rows_skipped,
            errors=stats.errors,
            amount_format=stats.amount_format.stats_json(),
        )
        ctx.commit_success(cur, meta)
    log_event(
        logger,
        logging.INFO,
        "csv_import_committed",
        source=source.kind,
        rows_total=stats.rows_total,
        rows_imported=rows_imported,
        rows_duplicate=rows_duplicate,
        rows_skipped=stats.rows_skipped,
        batches=totals.batches,
        write_ms=round(totals.write_s * 1000),
        **ctx.log_fields(),
    )
