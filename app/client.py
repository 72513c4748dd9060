"""The producer API, Celery-style, on the ``jobs`` table.

>>> handle = submit(db, job_type, {"modelRunId": run_id}, org_id=org, object_id=run_id)
>>> handle.wait(timeout=60).status
'completed'

``wait`` sleeps on LISTEN ``finapilot_job_events`` (every outcome write notifies it), with a
slow re-read as a safety net: it never busy-loops. ``submit`` of a type that no live worker
serves logs a warning (the job is inserted all the same and waits for one).
"""

from __future__ import annotations

import logging
import select
import time
from dataclasses import dataclass
from typing import Any

from psycopg2 import sql as pgsql

from app.db import Database, jsonb
from app.job import TERMINAL_STATUSES, JobStatus
from app.jobtypes import REGISTRY
from app.logging_setup import log_event
from app.serving import DEFAULT_PRESENCE_S, live_workers, unserved_reason

logger = logging.getLogger(__name__)

EVENTS_CHANNEL = "finapilot_job_events"
SAFETY_REREAD_S = 2.0


class JobTimeout(TimeoutError):
    """The job did not reach a terminal status in time."""


@dataclass
class JobHandle:
    """A submitted job: read its status, wait for its end, cancel it."""

    db: Database
    id: str
    job_type: str = ""
    status: str = JobStatus.QUEUED.value
    progress: float = 0.0
    attempts: int = 0
    last_error: str | None = None

    def refresh(self) -> JobHandle:
        rows = self.db.run("client_get", {"job_id": self.id})
        if not rows:
            raise LookupError(f"job {self.id} does not exist")
        row = rows[0]
        self.job_type = row["job_type"] or ""
        self.status, self.progress = row["status"], row["progress"]
        self.attempts, self.last_error = row["attempts"], row["last_error"]
        return self

    @property
    def done(self) -> bool:
        return JobStatus(self.status) in TERMINAL_STATUSES

    def wait(self, timeout: float = 60.0) -> JobHandle:
        """Block until the job is terminal; raise :class:`JobTimeout` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        conn = self.db.connect(autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(EVENTS_CHANNEL)))
            while not self.refresh().done:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise JobTimeout(f"job {self.id} is still {self.status} after {timeout}s")
                select.select([conn], [], [], min(left, SAFETY_REREAD_S))
                conn.poll()
                conn.notifies.clear()
            return self
        finally:
            conn.close()

    def cancel(self) -> str:
        """Cancel as the backend does; returns the status after the request."""
        rows = self.db.run("client_cancel", {"job_id": self.id})
        self.refresh()
        return rows[0]["status"] if rows else self.status


def submit(
    db: Database,
    job_type: str,
    params: dict[str, Any] | None = None,
    *,
    org_id: str | None = None,
    object_id: str | None = None,
    queue: str | None = None,
    priority: int | None = None,
    max_attempts: int = 5,
    idempotency_key: str | None = None,
    presence_s: float = DEFAULT_PRESENCE_S,
) -> JobHandle:
    """Insert a job row as the backend does; an existing ``idempotency_key`` returns that job.

    Queue and priority default to the type's declaration (the backend's defaults, §1.1). When no
    worker seen within ``presence_s`` seconds (``WORKER_PRESENCE_SECONDS``) serves the type, a
    ``job_type_unserved`` warning is logged: the job waits until one starts.
    """
    spec = REGISTRY.get(job_type)
    if spec is None:
        raise ValueError(f"unknown job type {job_type!r}; known: {', '.join(REGISTRY.names)}")
    row = db.run(
        "client_submit",
        {
            "job_type": job_type,
            "org_id": org_id,
            "object_id": object_id,
            "queue": queue or spec.queue,
            "priority": spec.priority if priority is None else priority,
            "params": jsonb(params or {}),
            "max_attempts": max_attempts,
            "idempotency_key": idempotency_key,
        },
    )
    if not row:
        row = db.run("client_by_idempotency_key", {"idempotency_key": idempotency_key})
    handle = JobHandle(db, row[0]["id"]).refresh()
    _warn_if_unserved(db, handle, presence_s)
    return handle


def _warn_if_unserved(db: Database, handle: JobHandle, presence_s: float) -> None:
    if handle.done:
        return  # an idempotent resubmit of a job that has already ended
    with db.transaction() as cur:
        reason = unserved_reason(handle.job_type, live_workers(cur, presence_s))
    if reason:
        log_event(
            logger,
            logging.WARNING,
            "job_type_unserved",
            job_id=handle.id,
            job_type=handle.job_type,
            reason=reason,
            hint="the job waits until a worker serving it starts",
        )
