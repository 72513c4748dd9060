"""What an actor sees of its job: parameters, fenced progress and logs, and safe points.

The lifecycle middleware creates a :class:`JobContext` when it takes ownership of a job and
binds it to the worker thread; actors get it with :func:`current_job`. Actors never write job
statuses: they call :meth:`JobContext.succeed` and the middleware commits the outcome.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.extras

from app.db import Database, execute, is_connection_error, jsonb
from app.errors import InvalidParams, JobCancelled, LeaseLost, WorkerShutdown
from app.job import ClaimedJob
from app.logging_setup import log_event
from app.settings import Settings

logger = logging.getLogger(__name__)

#: The success entry of a completion that found its work already done: ``{noop: true, reason}``.
NOOP_KEY = "noop"
#: Progress writes closer together than this are skipped (milestones always write).
PROGRESS_MIN_INTERVAL_S = 0.5

Finalizer = Callable[[psycopg2.extras.RealDictCursor], None]


@dataclass
class JobResult:
    """What an actor hands back on success.

    Attributes:
        meta: the success log entry's meta (a per-type result summary, never parameters).
        finalize: domain writes to run inside the final transaction, before the job row.
        committed: the actor already committed its own final transaction (commit_success).
    """

    meta: dict[str, Any] = field(default_factory=dict)
    finalize: Finalizer | None = None
    committed: bool = False


class JobContext:
    """One running job, as seen from its worker thread."""

    def __init__(
        self,
        job: ClaimedJob,
        *,
        db: Database,
        settings: Settings,
        worker_id: str,
        message_id: str | None = None,
    ) -> None:
        self.job = job
        self.message_id = message_id
        self.acked = False
        self.db = db
        self.settings = settings
        self.worker_id = worker_id
        self.result: JobResult | None = None
        self._cancel = threading.Event()
        self._lease_lost = threading.Event()
        self._release = threading.Event()
        self._last_progress_at = 0.0
        self._unreachable = False
        self._started_s = time.monotonic()
        if job.cancel_requested:
            self._cancel.set()

    def log_fields(self, *, with_duration: bool = False) -> dict[str, Any]:
        """The fields of every log line about this job (never its parameters)."""
        fields: dict[str, Any] = {
            "job_id": self.job.id,
            "job_type": self.job.job_type,
            "attempt": self.job.attempt,
        }
        if with_duration:
            fields["duration_ms"] = round((time.monotonic() - self._started_s) * 1000)
        return fields

    @property
    def params(self) -> dict[str, Any]:
        """The job parameters; unreadable ones are an input error at first use."""
        if self.job.params_error:
            raise InvalidParams(self.job.params_error)
        return self.job.params

    # Flags raised from other threads (heartbeat, shutdown timer).
    def request_cancel(self) -> None:
        self._cancel.set()

    def mark_lease_lost(self) -> None:
        self._lease_lost.set()

    def request_release(self) -> None:
        self._release.set()

    @property
    def lease_lost(self) -> bool:
        return self._lease_lost.is_set()

    def checkpoint(self) -> None:
        """A safe point: stop here if the job lost its lease, was cancelled or must be released."""
        if self._lease_lost.is_set():
            raise LeaseLost(self.job.id)
        if self._cancel.is_set():
            raise JobCancelled(self.job.id)
        if self._release.is_set():
            raise WorkerShutdown(self.job.id)

    def fence(self) -> dict[str, Any]:
        return {
            "job_id": self.job.id,
            "worker_id": self.worker_id,
            "run_token": self.job.run_token,
            "max_entries": self.settings.log_max_entries,
        }

    def _after_write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            self._lease_lost.set()
        elif rows[0]["cancel_requested"]:
            self._cancel.set()
        self.checkpoint()

    def progress(self, percent: float, milestone: str | None = None) -> None:
        """Report progress (0–100) and pass a safe point; ``milestone`` also appends a log entry.

        Raises:
            JobCancelled, LeaseLost, WorkerShutdown: the job must stop now.
        """
        self.checkpoint()
        percent = round(min(100.0, max(0.0, float(percent))), 2)
        now = time.monotonic()
        if milestone is None and now - self._last_progress_at < PROGRESS_MIN_INTERVAL_S:
            return
        self._last_progress_at = now
        rows = self._run_best_effort("job_progress", {**self.fence(), "progress": percent})
        if rows is not None:
            self._after_write(rows)
        if milestone is not None:
            self.log(milestone, {"status": "running", "progress": percent})

    def progress_in(self, cur: psycopg2.extras.RealDictCursor, percent: float) -> None:
        """A fenced progress write inside ``cur``'s transaction (a claim-time domain write that
        follows then commits only while this worker still owns the job); a safe point."""
        rows = execute(cur, "job_progress", {**self.fence(), "progress": percent})
        self._after_write(rows)

    def log(self, msg: str, meta: dict[str, Any] | None = None, *, level: str = "info") -> None:
        """Append one entry to ``jobs.logs`` (atomic, fenced, capped; never replaces)."""
        meta = meta or {}
        if "params" in meta:
            raise ValueError("a log entry must not carry a params key (it would shadow the job's)")
        rows = self._run_best_effort(
            "job_log_append", {**self.fence(), "level": level, "msg": msg, "meta": jsonb(meta)}
        )
        if rows is not None:
            self._after_write(rows)

    def _run_best_effort(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]] | None:
        """A progress or log write; None when the database cannot be reached. The work goes on
        meanwhile (issue 12): the outcome is fenced, and the next write that lands tells whether
        the job is still ours."""
        try:
            rows = self.db.run(name, params)
        except psycopg2.Error as exc:
            if not is_connection_error(exc):
                raise
            if not self._unreachable:
                self._unreachable = True
                log_event(
                    logger,
                    logging.WARNING,
                    "job_progress_skipped",
                    reason="database-unreachable",
                    **self.log_fields(),
                )
            return None
        self._unreachable = False
        return rows

    def succeed(
        self, meta: dict[str, Any] | None = None, finalize: Finalizer | None = None
    ) -> None:
        """Declare success; the middleware commits ``finalize`` and the job in one transaction."""
        self.result = JobResult(meta=meta or {}, finalize=finalize)

    def succeed_noop(self, reason: str) -> None:
        """Declare success without work: the domain row was already done (contract §4.8)."""
        self.result = JobResult(meta={NOOP_KEY: True, "reason": reason})

    def commit_success(self, cur: psycopg2.extras.RealDictCursor, meta: dict[str, Any]) -> None:
        """Complete the job on ``cur``, inside a transaction the actor opened and will commit.

        For jobs whose domain writes must share one transaction with the completion but take
        long (a CSV import): the job row is locked only here, at the end, so heartbeats keep
        running meanwhile. Raises LeaseLost or JobCancelled (the caller's transaction then rolls
        back, so none of its writes stay) exactly where the middleware's own final transaction
        would stop.
        """
        complete_on(cur, self, meta)
        self.result = JobResult(meta=meta, committed=True)


def lock_owned(cur: psycopg2.extras.RealDictCursor, ctx: JobContext) -> dict[str, Any]:
    """Lock the job row inside ``cur``'s transaction and check this worker still owns it.

    Returns:
        The locked row (``status``, ``worker_id``, ``run_started_at``, ``cancel_requested``).

    Raises:
        LeaseLost: the job is no longer running under this worker's lease.
    """
    rows = execute(cur, "job_lock_for_finish", {"job_id": ctx.job.id})
    row = rows[0] if rows else None
    if not (
        row
        and row["status"] == "running"
        and row["worker_id"] == ctx.worker_id
        and row["run_started_at"] == ctx.job.run_token
    ):
        ctx.mark_lease_lost()
        raise LeaseLost(ctx.job.id)
    return row


def complete_on(cur: psycopg2.extras.RealDictCursor, ctx: JobContext, meta: dict[str, Any]) -> None:
    """Lock the job row, check ownership and the cancel flag, write ``completed`` (§4.3)."""
    row = lock_owned(cur, ctx)
    if row["cancel_requested"]:
        ctx.request_cancel()
        raise JobCancelled(ctx.job.id)
    rows = execute(
        cur, "job_complete", {**ctx.fence(), "meta": jsonb(meta), "message_id": ctx.message_id}
    )
    if not rows:
        raise LeaseLost(ctx.job.id)
    ctx.acked = bool(rows[0]["acked"])


class ActiveJobs:
    """The jobs this process is running, shared with the heartbeat and shutdown threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, JobContext] = {}

    def add(self, ctx: JobContext) -> None:
        with self._lock:
            self._jobs[ctx.job.id] = ctx

    def remove(self, ctx: JobContext) -> None:
        with self._lock:
            if self._jobs.get(ctx.job.id) is ctx:
                del self._jobs[ctx.job.id]

    def snapshot(self) -> list[JobContext]:
        with self._lock:
            return list(self._jobs.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)


ACTIVE = ActiveJobs()
_local = threading.local()


def bind(ctx: JobContext | None) -> None:
    """Bind (or unbind with None) the job of the current worker thread."""
    _local.ctx = ctx


def current_job() -> JobContext:
    """The job the current worker thread runs; only valid inside an actor."""
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        raise RuntimeError("no job is bound to this thread (called outside an actor?)")
    return ctx


def peek() -> JobContext | None:
    return getattr(_local, "ctx", None)
