"""The retry decision, pure: classification and backoff (contract §4.4)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import dramatiq.middleware
import psycopg2

from app.db import is_transient
from app.errors import LAST_ERROR_MAX_CHARS, WorkerError


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


def backoff_s(
    attempts_new: int, base_s: float, max_s: float, rng: random.Random | None = None
) -> float:
    """``min(max, base * 2^(attempts_new - 1) + U(0, base))`` seconds.

    The reaper's SQL (``reaper_expired_leases``) applies the same formula to many rows at once.
    """
    draw = (rng or random).uniform(0.0, base_s)
    return min(max_s, base_s * 2 ** max(0, attempts_new - 1) + draw)
