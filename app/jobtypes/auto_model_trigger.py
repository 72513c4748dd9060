"""``auto_model_trigger``: its declaration (CONTRACT-2 §1).

Not implemented yet: the worker knows the type (queue, priority; others insert it) but never
claims it, so the legacy worker keeps running it.
"""

from __future__ import annotations

from app.jobtypes.base import QUEUE_DEFAULT, JobType

JOB_TYPE = JobType(
    name="auto_model_trigger",
    queue=QUEUE_DEFAULT,
    priority=45,
    summary="after an import: create the model runs of the org's auto model",
    implemented=False,
)
