"""``xlsx_import``: its declaration (CONTRACT-2 §5).

Not implemented yet: the worker knows the type (queue, priority; others insert it) but never
claims it, so the legacy worker keeps running it.
"""

from __future__ import annotations

from app.jobtypes.base import QUEUE_DEFAULT, JobType

JOB_TYPE = JobType(
    name="xlsx_import",
    queue=QUEUE_DEFAULT,
    priority=50,
    summary="import the mapped sheets of an uploaded workbook into the ledger",
    implemented=False,
)
