"""``csv_import`` (contract §5.4): stream an upload into ``raw_transactions``, atomically.

The actor adapts the streaming parser (:mod:`app.imports`) and the bulk writer
(:mod:`app.import_writer`): every insert of the attempt, the batch's ``completed`` row, the
``auto_model_trigger`` follow-up and the job's completion are one transaction (§5.4.4), so the
counts are exact and a cancelled or failed attempt leaves no row behind.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import psycopg2.extras

from actors.base import job_actor
from app.db import execute, jsonb
from app.errors import InvalidParams, JobCancelled, NotFound, TransientError
from app.finalize import db_now, insert_followup
from app.ids import parse_uuid
from app.import_writer import INSERT_BATCH_ROWS, import_rows
from app.imports.csv_reader import CsvImport, ImportOptions, ImportStats
from app.imports.sources import select_source
from app.jobcontext import JobContext, current_job
from app.jobtypes import JOB_TYPES
from app.storage import make_object_store

logger = logging.getLogger(__name__)

SPEC = JOB_TYPES["csv_import"]

PROGRESS_OPEN = 10.0
PROGRESS_SPAN = 85.0
PROGRESS_INTERVAL_S = 1.0
MAX_LOG_ERRORS = 10
FOLLOWUP_JOB_TYPE = "auto_model_trigger"
FOLLOWUP_PRIORITY = 45

BATCH_CREATED = "created"
BATCH_COMPLETED = "completed"
BATCH_FAILED = "failed"
BATCH_DELETED = "deleted"


@dataclass(frozen=True)
class ImportBatch:
    """The ``data_import_batches`` row an import completes."""

    id: str
    org_id: str
    status: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ImportBatch:
        return cls(id=row["id"], org_id=row["org_id"], status=str(row["status"]))


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


def _load_batch(ctx: JobContext, batch_id: str, org_id: str | None) -> ImportBatch:
    with ctx.db.transaction() as cur:
        rows = execute(cur, "import_batch_get", {"batch_id": batch_id, "org_id": org_id})
    if not rows:
        where = f" in org {org_id}" if org_id else ""
        raise NotFound(f"import batch {batch_id} not found{where}")
    return ImportBatch.from_row(rows[0])


def _number(value: Any) -> float | None:
    """A finite number from a number or numeric text, else None (never a made-up default)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _insert_followup(
    cur: psycopg2.extras.RealDictCursor, ctx: JobContext, org_id: str, rows_imported: int
) -> None:
    """``auto_model_trigger`` (§4.9) when rows were inserted or the org already has some."""
    if FOLLOWUP_JOB_TYPE not in ctx.settings.followup_jobs:
        return
    if rows_imported == 0:
        found = execute(cur, "import_org_has_transactions", {"org_id": org_id})
        if not found[0]["found"]:
            return
    customers = _number(ctx.params.get("initialCustomers"))
    insert_followup(
        cur,
        ctx.settings,
        job_type=FOLLOWUP_JOB_TYPE,
        org_id=org_id,
        object_id=ctx.job.id,
        params={
            "triggerType": "csv_import",
            "triggerSource": ctx.job.id,
            "rowsImported": rows_imported,
            "cashOnHand": _number(ctx.params.get("initialCash")),
            "startingCustomers": int(customers) if customers is not None else None,
        },
        priority=FOLLOWUP_PRIORITY,
        idempotency_key=f"{FOLLOWUP_JOB_TYPE}:csv_import:{ctx.job.id}",
    )


def _complete_batch(
    cur: psycopg2.extras.RealDictCursor, batch: ImportBatch, stats_json: dict[str, Any]
) -> None:
    done = execute(
        cur,
        "import_batch_complete",
        {"batch_id": batch.id, "org_id": batch.org_id, "stats": jsonb(stats_json)},
    )
    if done:
        return
    rows = execute(cur, "import_batch_get", {"batch_id": batch.id, "org_id": batch.org_id})
    if not rows or rows[0]["status"] == BATCH_DELETED:
        raise JobCancelled(f"import batch {batch.id} was deleted during the import")
    raise TransientError(
        f"import batch {batch.id} changed to status '{rows[0]['status']}' during the import"
    )


def _success_meta(stats: ImportStats, rows_imported: int, rows_duplicate: int) -> dict[str, Any]:
    """The success entry (§5.4.6): the wizard reads snake_case keys, another screen camelCase."""
    return {
        "status": "completed",
        "progress": 100,
        "rows_imported": rows_imported,
        "rows_skipped": stats.rows_skipped,
        "rows_duplicate": rows_duplicate,
        "rowsImported": rows_imported,
        "rowsSkipped": stats.rows_skipped,
        "rowsDuplicate": rows_duplicate,
        "rowsTotal": stats.rows_total,
        "errors": stats.errors[:MAX_LOG_ERRORS],
    }


@job_actor(SPEC)
def csv_import(job_id: str) -> None:
    ctx = current_job()
    params = ctx.params
    org_id = ctx.job.org_id
    raw_batch_id = params.get("importBatchId")
    batch: ImportBatch | None = None
    if raw_batch_id not in (None, ""):
        batch = _load_batch(ctx, parse_uuid(raw_batch_id, "params.importBatchId"), org_id)
        if batch.status == BATCH_COMPLETED:
            ctx.succeed({"noop": True, "reason": "import batch already completed"})
            return
        if batch.status == BATCH_DELETED:
            raise JobCancelled(ctx.job.id)  # the user deleted the batch (§4.8)
        if batch.status not in (BATCH_CREATED, BATCH_FAILED):
            raise InvalidParams(f"import batch {batch.id} has unexpected status '{batch.status}'")
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
            _complete_batch(cur, batch, {**stats_json, "completedAt": completed_at})
        _insert_followup(cur, ctx, org_id, rows_imported)
        ctx.commit_success(cur, _success_meta(stats, rows_imported, rows_duplicate))
    logger.info(
        "csv_import_committed job_id=%s source=%s rows_total=%d rows_imported=%d "
        "rows_duplicate=%d rows_skipped=%d batches=%d write_s=%.2f",
        ctx.job.id,
        source.kind,
        stats.rows_total,
        rows_imported,
        rows_duplicate,
        stats.rows_skipped,
        totals.batches,
        totals.write_s,
    )
