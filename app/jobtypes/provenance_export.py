"""``provenance_export``: its declaration (CONTRACT-2 §7).

Not implemented yet: the worker knows the type (queue, priority; others insert it) but never
claims it, so the legacy worker keeps running it.
"""

from __future__ import annotations

from app.jobtypes.base import QUEUE_EXPORTS, JobType

JOB_TYPE = JobType(
    name="provenance_export",
    queue=QUEUE_EXPORTS,
    priority=60,
    summary="the provenance package of a model run (cells, sources, transactions)",
    implemented=False,
)
