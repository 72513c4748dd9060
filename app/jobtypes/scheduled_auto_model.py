"""``scheduled_auto_model``: its declaration (CONTRACT-2 §3).

Not implemented yet: the worker knows the type (queue, priority; others insert it) but never
claims it, so the legacy worker keeps running it.
"""

from __future__ import annotations

from app.jobtypes.base import QUEUE_DEFAULT, JobType

JOB_TYPE = JobType(
    name="scheduled_auto_model",
    queue=QUEUE_DEFAULT,
    priority=30,
    summary="the cron sweep: an auto_model_trigger for each org with new data",
    implemented=False,
)
