"""``xlsx_preview``: its declaration (CONTRACT-2 §5).

Not implemented yet: the worker knows the type (queue, priority; others insert it) but never
claims it, so the legacy worker keeps running it.
"""

from __future__ import annotations

from app.jobtypes.base import QUEUE_DEFAULT, JobType

JOB_TYPE = JobType(
    name="xlsx_preview",
    queue=QUEUE_DEFAULT,
    priority=60,
    summary="sheets, header rows and sample rows of an uploaded workbook",
    implemented=False,
)
