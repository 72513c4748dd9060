"""``auto_model``: its declaration (CONTRACT-2 §2).

Not implemented yet: the worker knows the type (queue, priority; others insert it) but never
claims it, so the legacy worker keeps running it.
"""

from __future__ import annotations

from app.jobtypes.base import QUEUE_DEFAULT, JobType

JOB_TYPE = JobType(
    name="auto_model",
    queue=QUEUE_DEFAULT,
    priority=60,
    summary="build a model's assumptions, scenarios and drivers from the ledger, then run it",
    implemented=False,
)
