"""``alert_check``: its declaration (CONTRACT-2 §4).

Not implemented yet: the worker knows the type (queue, priority; others insert it) but never
claims it, so the legacy worker keeps running it.
"""

from __future__ import annotations

from app.jobtypes.base import QUEUE_DEFAULT, JobType

JOB_TYPE = JobType(
    name="alert_check",
    queue=QUEUE_DEFAULT,
    priority=80,
    summary="evaluate the org's alert rules against a finished run; notify",
    implemented=False,
)
