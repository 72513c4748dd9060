"""``xlsx_preview``: its declaration and database code (CONTRACT-2 §5.9).

The preview writes no domain table: its result is one log entry with a top-level ``preview``
key (the import wizard reads it there), appended in the final transaction beside the standard
success entry; no entry is ever replaced or dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg2.extras

from app.db import execute, jsonb
from app.errors import LeaseLost
from app.jobtypes.access import ACCESS_TABLES
from app.jobtypes.base import QUEUE_DEFAULT, JobType

if TYPE_CHECKING:
    from app.jobcontext import JobContext

JOB_TYPE = JobType(
    name="xlsx_preview",
    queue=QUEUE_DEFAULT,
    priority=60,
    summary="sheets, header rows and sample rows of an uploaded workbook",
    tables=ACCESS_TABLES,
)


def append_preview(
    cur: psycopg2.extras.RealDictCursor,
    ctx: JobContext,
    preview: dict[str, Any],
    meta: dict[str, Any],
) -> None:
    """Append the ``XLSX preview completed`` entry (fenced, inside the final transaction)."""
    rows = execute(
        cur,
        "xlsx_preview_entry_append",
        {**ctx.fence(), "preview": jsonb(preview), "meta": jsonb(meta)},
    )
    if not rows:
        raise LeaseLost(ctx.job.id)
