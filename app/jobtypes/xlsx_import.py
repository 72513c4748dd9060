"""``xlsx_import``: its declaration and database code (CONTRACT-2 §5.9).

The rows go through the CSV import's writer (:mod:`app.jobtypes.ledger_import`) and batch rules
(:mod:`app.jobtypes.csv_import`); this module adds the workbook's own bookkeeping: the
``excel_syncs`` row of the file, the mapping template check and the ``auto_model_trigger``
follow-up. Everything is written in the import's one final transaction.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import psycopg2.extras

from app.db import execute, jsonb
from app.errors import NotFound
from app.jobtypes import auto_model_trigger
from app.jobtypes.access import ACCESS_TABLES
from app.jobtypes.base import MINUTE_MS, QUEUE_DEFAULT, FollowUp, JobType, merge_columns
from app.jobtypes.csv_import import IMPORT_BATCH_DOMAIN, insert_import_trigger
from app.jobtypes.ledger_import import LEDGER_IMPORT_INDEXES, LEDGER_IMPORT_TABLES
from app.settings import Settings

Cursor: TypeAlias = psycopg2.extras.RealDictCursor

#: The legacy XLSX producer queued its trigger at the DB default priority, 50 (CONTRACT-2 §9).
AUTO_MODEL_TRIGGER = FollowUp(auto_model_trigger.JOB_TYPE, priority=50)
JOB_TYPE = JobType(
    name="xlsx_import",
    queue=QUEUE_DEFAULT,
    priority=50,
    summary="import the mapped sheets of an uploaded workbook into the ledger, atomically",
    domain=IMPORT_BATCH_DOMAIN,
    time_limit_ms=30 * MINUTE_MS,
    tables=merge_columns(
        LEDGER_IMPORT_TABLES,
        ACCESS_TABLES,
        {
            "data_import_batches": ("id", "org_id", "status", "stats_json"),
            "excel_syncs": (
                "id org_id file_name file_hash mapping_id status last_synced_at metadata "
                "created_at updated_at"
            ).split(),
            "excel_mappings": ("id", "org_id"),
        },
    ),
    unique_indexes=LEDGER_IMPORT_INDEXES,
    followups=(AUTO_MODEL_TRIGGER,),
)


def check_mapping(cur: Cursor, mapping_id: str, org_id: str) -> None:
    """``params.mappingId`` must be a mapping template of the org (it is stored on the sync).

    Raises:
        NotFound: no such template in the org.
    """
    if not execute(cur, "xlsx_mapping_get", {"mapping_id": mapping_id, "org_id": org_id}):
        raise NotFound(f"excel mapping {mapping_id} not found in org {org_id}")


def record_sync(
    cur: Cursor,
    *,
    org_id: str,
    file_hash: str,
    mapping_id: str | None,
    metadata: dict[str, Any],
) -> str:
    """The newest ``excel_syncs`` row of (org, file hash) becomes ``completed``, else a new one.

    Serialised per file by an advisory lock, so two imports of one file never both insert.
    """
    args = {"org_id": org_id, "file_hash": file_hash, "mapping_id": mapping_id}
    execute(cur, "xlsx_sync_lock", args)
    rows = execute(cur, "xlsx_sync_update", {**args, "metadata": jsonb(metadata)})
    if not rows:
        rows = execute(cur, "xlsx_sync_insert", {**args, "metadata": jsonb(metadata)})
    return str(rows[0]["id"])


def insert_trigger(
    cur: Cursor, settings: Settings, *, job_id: str, org_id: str, rows_imported: int
) -> bool:
    """``auto_model_trigger`` (gated) when rows were inserted or the org already has some."""
    return insert_import_trigger(
        cur,
        settings,
        AUTO_MODEL_TRIGGER,
        trigger_type=JOB_TYPE.name,
        job_id=job_id,
        org_id=org_id,
        rows_imported=rows_imported,
    )
