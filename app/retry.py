"""The retry decision, pure: classification, retrying vs dead_letter, and the backoff (§4.4, §4.5).

One decision for every place that ends an attempt: the worker's failure path
(``middleware/lifecycle.py``) and the bridge's recovery of jobs whose worker died, found by its
lost database session or by an expired lease (``bridge/manager.py``). SQL only writes the
status, the attempt count and ``next_run_at`` it is given.

A crash is not the job's fault the first time (issue 12, overruling §4.5's backoff for crashes):
the first time a job's worker dies under it, the job goes back at once and the attempt is not
counted (as a shutdown release); later crashes count an attempt and back off, and after
``WORKER_MAX_CRASHES`` the job is quarantined.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

import dramatiq.middleware
import psycopg2

from app.db import is_transient
from app.errors import LAST_ERROR_MAX_CHARS, WorkerError
from app.jobtypes.base import RetryOverrides

#: Jitter fraction resolution: the first 8 hex digits of a SHA-256.
_JITTER_DIGITS = 8


@dataclass(frozen=True)
class Failure:
    """How a failed attempt is written: ``last_error``, kind, and whether to retry."""

    last_error: str
    error_type: str
    retryable: bool


def classify(exc: BaseException) -> Failure:
    """Map an exception to a failure by explicit class or condition, never by guesswork.

    Our own errors carry their kind; database trouble and anything unexpected is transient.
    Messages of unexpected errors are cut to their first line: no stack traces, no payloads.
    """
    if isinstance(exc, WorkerError):
        return Failure(exc.last_error(), exc.kind, exc.retryable)
    if isinstance(exc, psycopg2.DataError):
        # SQLSTATE class 22 (a value that does not fit its column): deterministic, never passes.
        reason = (str(exc).strip().splitlines() or ["invalid value"])[0][:200]
        return Failure(f"InvalidData: {reason}", "InvalidData", False)
    if isinstance(exc, dramatiq.middleware.TimeLimitExceeded):
        return Failure("TimeLimit: the attempt exceeded its time limit", "TimeLimit", True)
    kind = "DatabaseError" if is_transient(exc) else "UnexpectedError"
    first_line = (str(exc).strip().splitlines() or [""])[0][:200]
    text = f"{kind}: {type(exc).__name__}" + (f": {first_line}" if first_line else "")
    return Failure(text[:LAST_ERROR_MAX_CHARS], kind, True)


class Outcome(StrEnum):
    """The two ends of a failed attempt (``jobs.status`` values)."""

    RETRYING = "retrying"
    DEAD_LETTER = "dead_letter"


@dataclass(frozen=True)
class RetryDecision:
    """What to write for a failed attempt.

    Attributes:
        status: ``retrying`` or ``dead_letter``.
        delay_s: seconds until ``next_run_at`` (0 when dead-lettered).
        quarantined: dead-lettered because the job keeps stopping its worker.
        counts_attempt: whether ``attempts`` goes up (not for a first crash).
    """

    status: Outcome
    delay_s: float = 0.0
    quarantined: bool = False
    counts_attempt: bool = True


def jitter_fraction(job_id: str, attempt: int) -> float:
    """A fraction in [0, 1) fixed by the job and the attempt number.

    It spreads the retries of jobs that failed together, and it is the same whichever path
    (worker or reaper) decides, so one job's backoff never depends on who noticed the failure.
    """
    digest = hashlib.sha256(f"{job_id}:{attempt}".encode()).hexdigest()[:_JITTER_DIGITS]
    return int(digest, 16) / 16**_JITTER_DIGITS


@dataclass(frozen=True)
class RetryPolicy:
    """The retry policy of the settings, with a job type's overrides applied by :meth:`for_type`.

    Attributes:
        base_backoff_s: ``JOB_BASE_BACKOFF_SECONDS``.
        max_backoff_s: ``JOB_MAX_BACKOFF_SECONDS``.
        max_crashes: ``WORKER_MAX_CRASHES``: crashes (lost sessions, lease expiries) after
            which a job is quarantined.
    """

    base_backoff_s: float
    max_backoff_s: float
    max_crashes: int

    def for_type(self, overrides: RetryOverrides) -> RetryPolicy:
        return RetryPolicy(
            overrides.base_backoff_s
            if overrides.base_backoff_s is not None
            else self.base_backoff_s,
            overrides.max_backoff_s if overrides.max_backoff_s is not None else self.max_backoff_s,
            self.max_crashes,
        )

    def backoff_s(self, job_id: str, attempts_new: int) -> float:
        """``min(max, base · 2^(attempts_new − 1) + jitter · base)`` seconds."""
        base = self.base_backoff_s
        jitter = jitter_fraction(job_id, attempts_new) * base
        return min(self.max_backoff_s, base * 2 ** max(0, attempts_new - 1) + jitter)

    def decide(
        self,
        *,
        job_id: str,
        attempts: int,
        max_attempts: int,
        retryable: bool,
        crashes: int = 0,
    ) -> RetryDecision:
        """The decision for an attempt that ended in failure.

        Args:
            job_id: the job (fixes its jitter).
            attempts: ``jobs.attempts`` before this attempt is counted.
            max_attempts: ``jobs.max_attempts``.
            retryable: whether the error may pass on a retry.
            crashes: for a job whose worker died (its session was lost or its lease
                expired), how many times the job has now stopped its worker, this one
                included; 0 for an ordinary failure.
        """
        attempts_new = attempts + 1
        if crashes and crashes >= self.max_crashes:
            return RetryDecision(Outcome.DEAD_LETTER, quarantined=True)
        if crashes == 1:
            # The first crash is not the job's fault: back at once, attempt not counted.
            return RetryDecision(Outcome.RETRYING, 0.0, counts_attempt=False)
        if not retryable or attempts_new >= max_attempts:
            return RetryDecision(Outcome.DEAD_LETTER)
        return RetryDecision(Outcome.RETRYING, self.backoff_s(job_id, attempts_new))
