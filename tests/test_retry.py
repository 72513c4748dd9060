"""The one retry decision (app/retry.py): a table of cases, and the worker's failure path and the
reaper deciding the same for the same job and attempt numbers, on real PostgreSQL."""

from __future__ import annotations

import dramatiq
import pytest

from app.client import submit
from app.db import Database
from app.errors import TransientError
from app.jobcontext import bind, current_job
from app.middleware.lifecycle import JobLifecycle
from app.retry import Outcome, RetryDecision, RetryPolicy, jitter_fraction
from bridge.manager import BridgeManager
from tests.factories import register_worker

POLICY = RetryPolicy(base_backoff_s=30.0, max_backoff_s=3600.0, max_crashes=3)
JOB = "7b0c6c1e-2f1a-4a57-9b52-3f6d2a9e1c00"


def _delay(attempts_new: int) -> float:
    return min(3600.0, 30.0 * 2 ** (attempts_new - 1) + 30.0 * jitter_fraction(JOB, attempts_new))


@pytest.mark.parametrize(
    ("attempts", "max_attempts", "retryable", "crashes", "expected"),
    [
        (0, 5, True, 0, RetryDecision(Outcome.RETRYING, _delay(1))),
        (3, 5, True, 0, RetryDecision(Outcome.RETRYING, _delay(4))),
        (4, 5, True, 0, RetryDecision(Outcome.DEAD_LETTER)),
        (0, 1, True, 0, RetryDecision(Outcome.DEAD_LETTER)),
        (0, 5, False, 0, RetryDecision(Outcome.DEAD_LETTER)),
        (9, 20, True, 0, RetryDecision(Outcome.RETRYING, 3600.0)),
        # A first crash (the worker died under the job) is not the job's fault: back at once,
        # the attempt not counted, even when it was the job's last one.
        (0, 5, True, 1, RetryDecision(Outcome.RETRYING, 0.0, counts_attempt=False)),
        (4, 5, True, 1, RetryDecision(Outcome.RETRYING, 0.0, counts_attempt=False)),
        # Later crashes back off and count, as an ordinary failure; the quarantine still holds.
        (0, 5, True, 2, RetryDecision(Outcome.RETRYING, _delay(1))),
        (1, 5, True, 2, RetryDecision(Outcome.RETRYING, _delay(2))),
        (4, 5, True, 2, RetryDecision(Outcome.DEAD_LETTER)),
        (1, 5, True, 3, RetryDecision(Outcome.DEAD_LETTER, quarantined=True)),
    ],
)
def test_the_retry_decision_table(attempts, max_attempts, retryable, crashes, expected):
    decision = POLICY.decide(
        job_id=JOB,
        attempts=attempts,
        max_attempts=max_attempts,
        retryable=retryable,
        crashes=crashes,
    )
    assert decision == expected


def test_a_first_crash_is_quarantined_when_one_crash_is_the_limit():
    strict = RetryPolicy(base_backoff_s=30.0, max_backoff_s=3600.0, max_crashes=1)
    decision = strict.decide(job_id=JOB, attempts=0, max_attempts=5, retryable=True, crashes=1)
    assert decision == RetryDecision(Outcome.DEAD_LETTER, quarantined=True)


def test_jitter_is_fixed_by_job_and_attempt_and_spreads_jobs():
    assert jitter_fraction(JOB, 2) == jitter_fraction(JOB, 2)
    spread = {round(jitter_fraction(f"job-{i}", 1), 3) for i in range(50)}
    assert len(spread) > 40 and all(0 <= f < 1 for f in spread)


def _row(db: Database, job_id: str) -> dict:
    with db.transaction() as cur:
        cur.execute(
            "SELECT status, attempts, extract(epoch FROM next_run_at - updated_at)::float8 AS "
            "delay_s FROM jobs WHERE id = %s",
            (job_id,),
        )
        return cur.fetchone()


def _fail_through_the_worker(db: Database, settings, manager: BridgeManager, job_id: str) -> dict:
    register_worker(db, threads=4, wid="w")
    manager.dispatch()
    with db.transaction() as cur:
        cur.execute(
            "SELECT message FROM dramatiq.queue WHERE message->'args'->>0 = %s "
            "AND state = 'queued'",
            (job_id,),
        )
        message = dramatiq.Message(**cur.fetchone()["message"])
    life = JobLifecycle(db, settings, "worker-a")
    life.before_process_message(None, message)
    current_job()
    life.after_process_message(None, message, exception=TransientError("boom"))
    bind(None)
    return _row(db, job_id)


def _expire_through_the_reaper(db: Database, manager: BridgeManager, job_id: str) -> dict:
    """A second crash of the job (the first one is on its log): decided as a failure."""
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = 'running', worker_id = 'worker-b', "
            "run_started_at = now() - interval '1 hour', "
            "visibility_expires_at = now() - interval '1 second', "
            "logs = logs || jsonb_build_array(jsonb_build_object("
            "  'msg', 'Worker lost; worker worker-c lost its database session')) WHERE id = %s",
            (job_id,),
        )
    manager.reap()
    return _row(db, job_id)


def _set_attempts(db: Database, job_id: str, attempts: int) -> None:
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = 'queued', attempts = %s, next_run_at = NULL WHERE id = %s",
            (attempts, job_id),
        )


@pytest.mark.parametrize("attempts", [0, 2, 3, 4])
def test_worker_failure_and_reaper_decide_the_same_for_the_same_attempts(db, settings, attempts):
    """Same job, same attempt numbers: the same status and the same backoff (to the ms), for
    an ordinary failure and for a crash that is not the job's first."""
    settings = settings.replace(base_backoff_s=30.0, max_backoff_s=3600.0, max_crashes=10)
    manager = BridgeManager(db, settings)
    job = submit(db, "noop", max_attempts=5)

    _set_attempts(db, job.id, attempts)
    by_worker = _fail_through_the_worker(db, settings, manager, job.id)
    _set_attempts(db, job.id, attempts)
    by_reaper = _expire_through_the_reaper(db, manager, job.id)

    expected = settings.retry_policy.decide(
        job_id=job.id, attempts=attempts, max_attempts=5, retryable=True
    )
    for row in (by_worker, by_reaper):
        assert row["status"] == expected.status.value
        assert row["attempts"] == attempts + 1
        if expected.status is Outcome.RETRYING:
            assert row["delay_s"] == pytest.approx(expected.delay_s, abs=0.002)
        else:
            assert row["delay_s"] is None
