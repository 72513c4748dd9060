"""A stand-in actor for a job type not implemented yet: it fails clearly, never invents a result."""

from __future__ import annotations

import dramatiq

from app.errors import PermanentError
from app.jobtypes import JOB_TYPES


def placeholder(name: str) -> None:
    spec = JOB_TYPES[name]

    def run(job_id: str) -> None:
        raise PermanentError(f"job type {name} is not implemented yet")

    run.__name__ = name
    dramatiq.actor(
        actor_name=spec.actor_name, queue_name=spec.queue, time_limit=spec.time_limit_ms
    )(run)
