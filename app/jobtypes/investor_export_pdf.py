"""``investor_export_pdf``: its declaration (CONTRACT-2 §6).

Not implemented yet: the worker knows the type (queue, priority; others insert it) but never
claims it, so the legacy worker keeps running it.
"""

from __future__ import annotations

from app.jobtypes.base import QUEUE_EXPORTS, JobType

JOB_TYPE = JobType(
    name="investor_export_pdf",
    queue=QUEUE_EXPORTS,
    priority=70,
    summary="a data-only investor report PDF of a model run",
    implemented=False,
)
