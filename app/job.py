"""Job records read from the database (frozen dataclasses with ``from_row()``) and the
``jobs.status`` values as an Enum."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    """``jobs.status`` values (contract §4.1)."""

    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    COMPLETED = "completed"
    DEAD_LETTER = "dead_letter"
    CANCELLED = "cancelled"
    FAILED = "failed"
    DONE = "done"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {
        JobStatus.COMPLETED,
        JobStatus.DEAD_LETTER,
        JobStatus.CANCELLED,
        JobStatus.FAILED,
        JobStatus.DONE,
    }
)

DISPATCH_PREFIX = "dispatch:"


def decode_params(text: str | None) -> tuple[dict[str, Any], str | None]:
    """The job parameters, or ``({}, why)`` when the document cannot be read safely."""
    if not text:
        return {}, None
    try:
        value = json.loads(text)
    except RecursionError:
        return {}, "the job parameters are nested too deeply to read"
    except ValueError:
        return {}, "the job parameters hold a number too large to read"
    return (value if isinstance(value, dict) else {}), None


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker has taken ownership of (the row returned by ``job_start``)."""

    id: str
    job_type: str
    org_id: str | None
    object_id: str | None
    attempts: int
    max_attempts: int
    priority: int
    queue: str | None
    run_token: dt.datetime
    cancel_requested: bool
    domain_ref: str | None
    params: dict[str, Any] = field(repr=False)
    params_error: str | None = None
    #: The backend user who inserted the job; None for system jobs (CONTRACT-2 §0.3).
    created_by_user_id: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ClaimedJob:
        params, error = decode_params(row["params_text"])
        return cls(
            id=row["id"],
            job_type=row["job_type"],
            org_id=row["org_id"],
            object_id=row["object_id"],
            attempts=row["attempts"],
            max_attempts=row["max_attempts"],
            priority=row["priority"],
            queue=row["queue"],
            run_token=row["run_started_at"],
            cancel_requested=row["cancel_requested"],
            domain_ref=row["domain_ref"],
            params=params,
            params_error=error,
            created_by_user_id=row.get("created_by_user_id"),
        )

    @property
    def attempt(self) -> int:
        """1-based number of this attempt."""
        return self.attempts + 1
