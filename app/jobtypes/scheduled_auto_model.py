"""``scheduled_auto_model``: its declaration and database code (CONTRACT-2 §3).

The cron sweep over the orgs (by id, in pages): one short transaction per org, fenced on the
job row, that queues an ``auto_model_trigger`` for an org with new ledger data. One org's
failure rolls back that org only; a cancel stops the sweep and keeps what it committed (B-28).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg2
from psycopg2.extras import RealDictCursor as Cursor

from app.db import execute
from app.errors import WorkerError
from app.jobtypes import auto_model_trigger
from app.jobtypes.access import ACCESS_TABLES
from app.jobtypes.base import QUEUE_DEFAULT, FollowUp, JobType, merge_columns
from app.jobtypes.followups import FOLLOWUP_TABLES, insert_followup
from app.jobtypes.result_meta import fit_lists
from app.settings import Settings

#: The triggers it queues are its purpose: never gated by WORKER_FOLLOWUP_JOBS (§0.3).
TRIGGER = FollowUp(auto_model_trigger.JOB_TYPE, priority=45, gated=False)
JOB_TYPE = JobType(
    name="scheduled_auto_model",
    queue=QUEUE_DEFAULT,
    priority=30,
    summary="the cron sweep: an auto_model_trigger for each org with new data",
    tables=merge_columns(
        ACCESS_TABLES,
        FOLLOWUP_TABLES,
        auto_model_trigger.JOB_TYPE.tables,
        {
            "orgs": ("id",),
            "models": ("id", "org_id", "created_at"),
            "model_runs": ("id", "org_id", "status", "run_type", "created_at"),
            "raw_transactions": ("org_id", "is_duplicate", "imported_at"),
        },
    ),
    followups=(TRIGGER,),
)

SCHEDULED = "scheduled"
ORG_PAGE = 200
MAX_ERRORED_ORGS = 20
ERROR_TEXT_CHARS = 200
TRIGGERED = "triggered"


@dataclass(frozen=True)
class OrgOutcome:
    """What the sweep did for one org: queued a trigger (its job id) or skipped it (why)."""

    trigger_job_id: str | None = None
    skipped: str | None = None


def sweep_org(cur: Cursor, settings: Settings, *, job_id: str, org_id: str) -> OrgOutcome:
    """The legacy trigger condition for one org and, when due, its trigger (one transaction)."""
    state = execute(cur, "scheduled_auto_model_org_state", {"org_id": org_id})[0]
    if not state["has_models"]:
        return OrgOutcome(skipped="no models")
    if any(run.active for run in auto_model_trigger.open_runs(cur, org_id)):
        return OrgOutcome(skipped="active run")
    if not state["due"]:
        if not state["has_data"]:
            return OrgOutcome(skipped="no transactions")
        return OrgOutcome(skipped="no new data since the last baseline run, or it is under 1 h old")
    trigger_job = insert_followup(
        cur,
        settings,
        TRIGGER,
        org_id=org_id,
        object_id=job_id,
        params={"triggerType": SCHEDULED, "triggerSource": job_id},
        idempotency_key=f"{TRIGGER.job_type.name}:{SCHEDULED}:{job_id}:{org_id}",
    )
    return OrgOutcome(trigger_job_id=trigger_job)


def error_kind(exc: BaseException) -> str:
    """An error's class for the result: the worker's kind, or the database error's class and
    SQLSTATE (a database message may quote data, so it is never kept)."""
    if isinstance(exc, WorkerError):
        return exc.kind
    if isinstance(exc, psycopg2.Error) and exc.pgcode:
        return f"{type(exc).__name__} ({exc.pgcode})"
    return type(exc).__name__


def error_text(exc: BaseException) -> str:
    """``{orgId, error}``'s error: the kind, and for the worker's own errors their message."""
    if isinstance(exc, WorkerError):
        return exc.last_error()[:ERROR_TEXT_CHARS]
    return error_kind(exc)[:ERROR_TEXT_CHARS]


@dataclass
class Sweep:
    """The sweep's tally; its :meth:`meta` is the success (or cancel) entry."""

    total: int
    processed: int = 0
    triggered: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    errored: list[dict[str, str]] = field(default_factory=list)

    def record(self, org_id: str, outcome: OrgOutcome) -> None:
        self.processed += 1
        if outcome.skipped is not None:
            self.skipped.append({"orgId": org_id, "reason": outcome.skipped})
        else:
            self.triggered.append(org_id)

    def fail(self, org_id: str, exc: BaseException) -> None:
        self.processed += 1
        self.failed.append({"orgId": org_id, "errorKind": error_kind(exc)})
        if len(self.errored) < MAX_ERRORED_ORGS:
            self.errored.append({"orgId": org_id, "error": error_text(exc)})

    @property
    def all_failed(self) -> bool:
        return self.processed > 0 and len(self.failed) == self.processed

    def counts(self) -> dict[str, int]:
        return {
            "processed": self.processed,
            "triggered": len(self.triggered),
            "skipped": len(self.skipped),
            "errors": len(self.failed),
        }

    def meta(self) -> dict[str, Any]:
        meta = {
            "status": "completed",
            "total_orgs": self.total,
            **self.counts(),
            "erroredOrgs": self.errored,
            "triggeredOrgs": self.triggered,
            "skippedOrgs": self.skipped,
            "failedOrgs": self.failed,
        }
        return fit_lists(meta, ("triggeredOrgs", "skippedOrgs", "failedOrgs", "erroredOrgs"))
