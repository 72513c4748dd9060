"""``noop``: a job that does nothing, for the project's benchmarks and tests (claimed only when
listed in ``WORKER_JOB_TYPES``; contract §1.1)."""

from __future__ import annotations

from app.jobtypes.base import MINUTE_MS, QUEUE_DEFAULT, JobType

JOB_TYPE = JobType(
    name="noop",
    queue=QUEUE_DEFAULT,
    priority=50,
    summary="does nothing (sleeps or fails on request); benchmarks and tests only",
    time_limit_ms=MINUTE_MS,
    test_only=True,
)
