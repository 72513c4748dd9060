"""The one way an actor is declared: name, queue and time limit from its JobType, and the
outcomes the lifecycle expects (input errors, cancels, lost leases, shutdown releases) marked
as such, so dramatiq logs them in one line instead of an ERROR with a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq

from app.errors import JobCancelled, LeaseLost, WorkerError, WorkerShutdown
from app.jobtypes import JobType

EXPECTED_OUTCOMES = (WorkerError, JobCancelled, LeaseLost, WorkerShutdown)


def job_actor(spec: JobType) -> Callable[[Callable[..., Any]], Any]:
    return dramatiq.actor(
        actor_name=spec.actor_name,
        queue_name=spec.queue,
        time_limit=spec.time_limit_ms,
        throws=EXPECTED_OUTCOMES,
    )
