"""``csv_import``: its declaration and database code (contract §5.4).

Every insert of one attempt, the batch's ``completed`` row, the ``auto_model_trigger``
follow-up and the job's completion share one transaction (§5.4.4); the bulk writer is
:mod:`app.jobtypes.ledger_import`. Per-type database code lives under ``app/jobtypes`` and not
beside the actor because importing ``actors`` builds the broker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeAlias

import psycopg2.extras

from app.db import execute, jsonb
from app.errors import InvalidParams, JobCancelled, NotFound, TransientError
from app.jobtypes import auto_model_trigger
from app.jobtypes.base import MINUTE_MS, QUEUE_DEFAULT, DomainRow, FollowUp, JobType, merge_columns
from app.jobtypes.followups import insert_followup
from app.jobtypes.ledger_import import LEDGER_IMPORT_INDEXES, LEDGER_IMPORT_TABLES
from app.settings import Settings

Cursor: TypeAlias = psycopg2.extras.RealDictCursor

AUTO_MODEL_TRIGGER = FollowUp(auto_model_trigger.JOB_TYPE, priority=45)
#: The batch an import completes (shared by the import types: CSV, XLSX).
IMPORT_BATCH_DOMAIN = DomainRow(
    table="data_import_batches",
    ref=("importBatchId",),
    fail_sql="import_domain_fail",
    show_sql="import_domain_show",
)
JOB_TYPE = JobType(
    name="csv_import",
    queue=QUEUE_DEFAULT,
    priority=50,
    summary="stream an uploaded CSV into the ledger (raw_transactions), atomically",
    domain=IMPORT_BATCH_DOMAIN,
    time_limit_ms=30 * MINUTE_MS,
    tables=merge_columns(
        LEDGER_IMPORT_TABLES, {"data_import_batches": ("id", "org_id", "status", "stats_json")}
    ),
    unique_indexes=LEDGER_IMPORT_INDEXES,
    followups=(AUTO_MODEL_TRIGGER,),
)

BATCH_CREATED = "created"
BATCH_COMPLETED = "completed"
BATCH_FAILED = "failed"
BATCH_DELETED = "deleted"
MAX_LOG_ERRORS = 10


@dataclass(frozen=True)
class ImportBatch:
    """The ``data_import_batches`` row an import completes."""

    id: str
    org_id: str
    status: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ImportBatch:
        return cls(id=row["id"], org_id=row["org_id"], status=str(row["status"]))


def load_batch(cur: Cursor, batch_id: str, org_id: str | None) -> ImportBatch:
    """The batch, in the job's org.

    Raises:
        NotFound: no such batch (in that org).
    """
    rows = execute(cur, "import_batch_get", {"batch_id": batch_id, "org_id": org_id})
    if not rows:
        where = f" in org {org_id}" if org_id else ""
        raise NotFound(f"import batch {batch_id} not found{where}")
    return ImportBatch.from_row(rows[0])


def start_batch(batch: ImportBatch, job_id: str) -> bool:
    """Whether the batch still needs its import (False: already completed, a no-op, §4.8).

    Raises:
        JobCancelled: the user deleted the batch.
        InvalidParams: the batch has a status no import starts from.
    """
    if batch.status == BATCH_COMPLETED:
        return False
    if batch.status == BATCH_DELETED:
        raise JobCancelled(job_id)
    if batch.status not in (BATCH_CREATED, BATCH_FAILED):
        raise InvalidParams(f"import batch {batch.id} has unexpected status '{batch.status}'")
    return True


def complete_batch(cur: Cursor, batch: ImportBatch, stats_json: dict[str, Any]) -> None:
    """``created|failed → completed`` with its stats; a deleted batch cancels the job."""
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


def _number(value: Any) -> float | None:
    """A finite number from a number or numeric text, else None (never a made-up default)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def insert_import_trigger(
    cur: Cursor,
    settings: Settings,
    followup: FollowUp,
    *,
    trigger_type: str,
    job_id: str,
    org_id: str,
    rows_imported: int,
    extra: dict[str, Any] | None = None,
) -> bool:
    """An import's gated ``auto_model_trigger`` (§4.9), when rows were inserted or the org already
    has some; keyed ``auto_model_trigger:<trigger type>:<job id>``. True when it is queued (now
    or by an earlier attempt)."""
    if followup.job_type.name not in settings.followup_jobs:
        return False
    if rows_imported == 0:
        found = execute(cur, "import_org_has_transactions", {"org_id": org_id})
        if not found[0]["found"]:
            return False
    inserted = insert_followup(
        cur,
        settings,
        followup,
        org_id=org_id,
        object_id=job_id,
        params={
            "triggerType": trigger_type,
            "triggerSource": job_id,
            "rowsImported": rows_imported,
            **(extra or {}),
        },
        idempotency_key=f"{followup.job_type.name}:{trigger_type}:{job_id}",
    )
    return inserted is not None


def insert_trigger(
    cur: Cursor,
    settings: Settings,
    *,
    job_id: str,
    org_id: str,
    params: dict[str, Any],
    rows_imported: int,
) -> None:
    """The CSV import's trigger, with the cash and customers the mapping route passed."""
    customers = _number(params.get("initialCustomers"))
    insert_import_trigger(
        cur,
        settings,
        AUTO_MODEL_TRIGGER,
        trigger_type=JOB_TYPE.name,
        job_id=job_id,
        org_id=org_id,
        rows_imported=rows_imported,
        extra={
            "cashOnHand": _number(params.get("initialCash")),
            "startingCustomers": int(customers) if customers is not None else None,
        },
    )


def success_meta(
    *,
    rows_total: int,
    rows_imported: int,
    rows_duplicate: int,
    rows_skipped: int,
    errors: list[Any],
    amount_format: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The success entry (§5.4.6): the wizard reads snake_case keys, another screen camelCase.

    ``amount_format`` (the decimal convention the amounts were read with, issue 9) is added
    as it is.
    """
    return {
        "status": "completed",
        "progress": 100,
        "rows_imported": rows_imported,
        "rows_skipped": rows_skipped,
        "rows_duplicate": rows_duplicate,
        "rowsImported": rows_imported,
        "rowsSkipped": rows_skipped,
        "rowsDuplicate": rows_duplicate,
        "rowsTotal": rows_total,
        "errors": errors[:MAX_LOG_ERRORS],
        **(amount_format or {}),
    }
