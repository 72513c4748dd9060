"""The job lifecycle and result hook (contract §4.3–§4.6).

Before the actor runs: a fenced start takes the job from the bridge's dispatch marker, or the
message is skipped (the job was cancelled, reaped or re-dispatched meanwhile). After it runs:
exactly one fenced outcome — completed, retrying, dead_letter, cancelled, or released on
shutdown — committed with the domain rows in one transaction. A database outage does not
lose it: the outcome is written again until it lands (issue 12).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import dramatiq
import psycopg2
from dramatiq.middleware import SkipMessage

from app.db import Database, execute, is_connection_error, jsonb
from app.errors import JobCancelled, LeaseLost, WorkerShutdown
from app.job import DISPATCH_PREFIX, ClaimedJob
from app.jobcontext import ACTIVE, JobContext, bind, complete_on, peek
from app.jobtypes import REGISTRY, Transition
from app.logging_setup import log_event
from app.retry import Outcome, RetryDecision, classify
from app.settings import Settings

logger = logging.getLogger(__name__)

#: Set on a message whose dramatiq-pg row the completion already marked done (app.broker).
ACKED_OPTION = "finapilot_acked"
#: Deadlocks and serialization failures of the final transaction are retried this many times.
FINAL_TX_TRIES = 3
_RETRY_TX_SQLSTATES = frozenset({"40001", "40P01"})
#: While the database cannot be reached, the outcome is written again after 0.5, 1, 2, 4, 5, 5 … s.
OUTCOME_RETRY_FIRST_S = 0.5
OUTCOME_RETRY_MAX_S = 5.0


class JobLifecycle(dramatiq.Middleware):
    """Owns the ``jobs`` row of every message a worker thread processes."""

    #: ``throws`` marks the exceptions that are expected job outcomes (see actors/base.py);
    #: dramatiq's Retries middleware, which used to declare it, is not installed.
    actor_options = {"throws"}

    def __init__(self, db: Database, settings: Settings, worker_id: str) -> None:
        self.db = db
        self.settings = settings
        self.worker_id = worker_id
        self.policy = settings.retry_policy
        self._domain_refs = jsonb(REGISTRY.domain_refs())

    # -- start ---------------------------------------------------------------------------
    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        job_id = str(message.args[0]) if message.args else ""
        try:
            rows = self._start(job_id, message)
            state = None if rows else self.db.run("job_status", {"job_id": job_id})
        except Exception as exc:
            # dramatiq would run the actor anyway after a failed hook: skip the message; the
            # job keeps its dispatch marker and goes back after the lease (reaper_undelivered).
            log_event(
                logger,
                logging.ERROR,
                "job_start_failed",
                job_id=job_id,
                error=(str(exc).strip().splitlines() or [type(exc).__name__])[0][:200],
            )
            raise SkipMessage(f"job {job_id} could not be started") from None
        if not rows:
            log_event(
                logger,
                logging.INFO,
                "job_skipped",
                job_id=job_id,
                status=state[0]["status"] if state else "missing",
                reason="not-dispatched-to-this-message",
            )
            raise SkipMessage(f"job {job_id} is no longer dispatched to this message")
        job = ClaimedJob.from_row(rows[0])
        ctx = JobContext(
            job,
            db=self.db,
            settings=self.settings,
            worker_id=self.worker_id,
            message_id=message.message_id,
        )
        ACTIVE.add(ctx)
        bind(ctx)
        log_event(logger, logging.INFO, "job_started", **ctx.log_fields())

    def _start(self, job_id: str, message: dramatiq.Message) -> list[dict[str, Any]]:
        """The fenced start; while the database cannot be reached it is tried again, for up to
        a lease (the dispatch marker fences it: once the bridge has re-dispatched the job, the
        start finds nothing). After a lost answer the start may have landed, so a retry also
        accepts the row already ours (without a second "Job started" entry)."""
        params = {
            "job_id": job_id,
            "worker_id": self.worker_id,
            "dispatch_marker": DISPATCH_PREFIX + message.message_id,
            "lease_s": self.settings.lease_s,
            "max_entries": self.settings.log_max_entries,
            "domain_refs": self._domain_refs,
            "resume": False,
        }
        deadline = time.monotonic() + self.settings.lease_s
        delay_s = OUTCOME_RETRY_FIRST_S
        while True:
            try:
                return self.db.run("job_start", params)
            except Exception as exc:
                if not is_connection_error(exc) or time.monotonic() + delay_s > deadline:
                    raise
                if any(ctx.job.id == job_id for ctx in ACTIVE.snapshot()):
                    return []  # another thread runs it: never take it twice
                log_event(
                    logger, logging.WARNING, "job_start_retry", job_id=job_id, retry_in_s=delay_s
                )
                params["resume"] = True
                time.sleep(delay_s)
                delay_s = min(OUTCOME_RETRY_MAX_S, delay_s * 2)

    # -- outcome -------------------------------------------------------------------------
    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.Message,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        ctx = peek()
        if ctx is None:
            return
        try:
            self._finish_surviving_outages(ctx, exception)
            if ctx.acked:  # the outcome statement acked the message: the consumer only tidies up
                message.options[ACKED_OPTION] = True
        except Exception:
            # The row keeps its lease; the bridge recovers it when the lease expires.
            log_event(
                logger, logging.ERROR, "job_outcome_write_failed", exc_info=True, **ctx.log_fields()
            )
        finally:
            ACTIVE.remove(ctx)
            bind(None)

    def _finish_surviving_outages(self, ctx: JobContext, exception: BaseException | None) -> None:
        """Write the outcome; while the database cannot be reached, keep the job (it stays in
        ACTIVE, so heartbeats extend its lease as soon as the database is back) and try again
        with a backoff, until the outcome lands or the fence says the job is no longer ours."""
        delay_s = OUTCOME_RETRY_FIRST_S
        retries = 0
        while True:
            try:
                if retries and self._settled_meanwhile(ctx, retries):
                    return
                self._finish(ctx, exception)
                if retries:
                    log_event(
                        logger,
                        logging.WARNING,
                        "job_outcome_landed",
                        retries=retries,
                        **ctx.log_fields(),
                    )
                return
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                retries += 1
                log_event(
                    logger,
                    logging.WARNING,
                    "job_outcome_retry",
                    error=(str(exc).strip().splitlines() or [type(exc).__name__])[0][:200],
                    retry_in_s=delay_s,
                    retries=retries,
                    **ctx.log_fields(),
                )
                time.sleep(delay_s)
                delay_s = min(OUTCOME_RETRY_MAX_S, delay_s * 2)

    def _settled_meanwhile(self, ctx: JobContext, retries: int) -> bool:
        """After a lost connection: did the outcome land after all (the commit went through and
        only its answer was lost), or is the job no longer ours? Then nothing is written again."""
        rows = self.db.run("job_status", {"job_id": ctx.job.id})
        row = rows[0] if rows else None
        ours = bool(
            row and row["worker_id"] == ctx.worker_id and row["run_started_at"] == ctx.job.run_token
        )
        if row and ours and row["status"] == "running":
            return False
        if row and ours:  # completed and cancelled keep the run's worker id: our commit landed
            log_event(
                logger,
                logging.WARNING,
                "job_outcome_landed",
                status=row["status"],
                retries=retries,
                **ctx.log_fields(with_duration=True),
            )
            return True
        # Retrying/dead_letter clear the worker id: ours landed, or another owner moved it on.
        log_event(
            logger,
            logging.WARNING,
            "job_outcome_settled",
            status=row["status"] if row else "missing",
            retries=retries,
            **ctx.log_fields(),
        )
        self._after_lost_lease(ctx)
        return True

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        ctx = peek()
        if ctx is not None:
            ACTIVE.remove(ctx)
            bind(None)

    def _finish(self, ctx: JobContext, exception: BaseException | None) -> None:
        if exception is None and ctx.result is None:
            exception = RuntimeError("the actor returned without declaring success")
        if exception is None:
            try:
                self._complete(ctx)
                return
            except Exception as exc:
                if is_connection_error(exc):
                    raise  # the database is gone, not the job's fault: retried as it is
                exception = exc  # the finalizer failed: an ordinary failure
        if isinstance(exception, JobCancelled):
            self._cancel(ctx)
        elif isinstance(exception, LeaseLost):
            log_event(logger, logging.WARNING, "job_lease_lost", **ctx.log_fields())
            self._after_lost_lease(ctx)
        elif isinstance(exception, WorkerShutdown):
            self._release(ctx)
        else:
            self._fail(ctx, exception)

    def _complete(self, ctx: JobContext) -> None:
        assert ctx.result is not None
        if ctx.result.committed:  # the actor ran its own final transaction (commit_success)
            self._log_completed(ctx)
            return
        if ctx.result.finalize is None:
            # Nothing to write but the job row: one fenced statement (owned, not cancelled).
            # Zero rows: cancelled or lost; the full path below tells which.
            rows = self.db.run(
                "job_complete",
                {**ctx.fence(), "meta": jsonb(ctx.result.meta), "message_id": ctx.message_id},
            )
            if rows:
                ctx.acked = bool(rows[0]["acked"])
                self._log_completed(ctx)
                return
        for attempt in range(1, FINAL_TX_TRIES + 1):
            try:
                with self.db.transaction() as cur:
                    if ctx.result.finalize is not None:
                        # Lock first, so domain writes happen only for an owned, uncancelled job.
                        execute(cur, "job_lock_for_finish", {"job_id": ctx.job.id})
                        ctx.result.finalize(cur)
                    complete_on(cur, ctx, ctx.result.meta)
                self._log_completed(ctx)
                return
            except psycopg2.Error as exc:
                if exc.pgcode in _RETRY_TX_SQLSTATES and attempt < FINAL_TX_TRIES:
                    continue
                raise
            except JobCancelled:
                self._cancel(ctx)
                return
            except LeaseLost:
                log_event(
                    logger,
                    logging.WARNING,
                    "job_lease_lost",
                    at="final-transaction",
                    **ctx.log_fields(),
                )
                self._after_lost_lease(ctx)
                return

    @staticmethod
    def _log_completed(ctx: JobContext) -> None:
        log_event(logger, logging.INFO, "job_completed", **ctx.log_fields(with_duration=True))

    def _write_cancel(self, cur: Any, ctx: JobContext) -> bool:
        if not execute(cur, "job_cancel_running", ctx.fence()):
            return False
        self._domain(cur, ctx, Transition.FAIL, "Cancelled: cancelled by user")
        return True

    def _cancel(self, ctx: JobContext) -> None:
        with self.db.transaction() as cur:
            done = self._write_cancel(cur, ctx)
        if done:
            log_event(logger, logging.INFO, "job_cancelled", **ctx.log_fields(with_duration=True))
        else:
            self._after_lost_lease(ctx)

    def _release(self, ctx: JobContext) -> None:
        with self.db.transaction() as cur:
            done = execute(cur, "job_release_shutdown", ctx.fence())
            if done:
                self._domain(cur, ctx, Transition.RESET, None)
        log_event(
            logger,
            logging.WARNING,
            "job_released",
            reason="shutdown-timeout",
            released=bool(done),
            **ctx.log_fields(with_duration=True),
        )

    def decide_failure(self, job: ClaimedJob, retryable: bool) -> RetryDecision:
        """The retry decision for a failed attempt (the same one the reaper uses)."""
        spec = REGISTRY.get(job.job_type)
        policy = self.policy.for_type(spec.retry) if spec else self.policy
        return policy.decide(
            job_id=job.id,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            retryable=retryable,
        )

    def _fail(self, ctx: JobContext, exc: BaseException) -> None:
        failure = classify(exc)
        decision = self.decide_failure(ctx.job, failure.retryable)
        with self.db.transaction() as cur:
            rows = execute(
                cur,
                "job_fail",
                {
                    **ctx.fence(),
                    "status": decision.status.value,
                    "retryable": failure.retryable,
                    "last_error": failure.last_error,
                    "error_type": failure.error_type,
                    "delay_s": decision.delay_s,
                },
            )
            if rows:
                status = rows[0]["status"]
                transition = Transition.RESET if status == Outcome.RETRYING else Transition.FAIL
                self._domain(cur, ctx, transition, failure.last_error)
        if not rows:
            log_event(
                logger, logging.WARNING, "job_lease_lost", at="failure-write", **ctx.log_fields()
            )
            self._after_lost_lease(ctx)
            return
        log_event(
            logger,
            logging.WARNING,
            "job_failed",
            status=rows[0]["status"],
            error_type=failure.error_type,
            **ctx.log_fields(with_duration=True),
        )

    def _after_lost_lease(self, ctx: JobContext) -> None:
        """A fence failed. If the backend ended the job meanwhile, fail the domain row (§4.3)."""
        with self.db.transaction() as cur:
            rows = execute(cur, "job_status", {"job_id": ctx.job.id})
            if rows and rows[0]["status"] in ("cancelled", "failed"):
                self._domain(cur, ctx, Transition.FAIL, f"Cancelled: job {rows[0]['status']}")

    def _domain(self, cur: Any, ctx: JobContext, transition: Transition, error: str | None) -> None:
        job = ctx.job
        spec = REGISTRY.get(job.job_type)
        if spec is None:
            return
        spec.move_domain_row(
            cur,
            transition,
            job_id=job.id,
            org_id=job.org_id,
            object_id=job.object_id,
            domain_ref=job.domain_ref,
            last_error=error,
        )
