"""``auto_model_trigger``: its declaration and database code (CONTRACT-2 §1).

After new data arrives for an org (an import, the scheduled sweep, a connector sync), queue a
baseline run of every model of the org, creating a default model without any invented number
when the org has none. Everything happens in the job's final transaction, under an advisory lock
per org, so a failed attempt leaves nothing behind and two triggers of one org never both queue
runs for the same model. A re-dispatch of the same job reuses what it queued (``sourceJobId``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from psycopg2.extras import RealDictCursor as Cursor

from app.db import execute, jsonb
from app.errors import InvalidJob, InvalidParams
from app.finance.numeric import as_number
from app.ids import parse_uuid
from app.job import ClaimedJob
from app.jobtypes import model_run
from app.jobtypes.access import ACCESS_TABLES
from app.jobtypes.base import QUEUE_DEFAULT, FollowUp, JobType, merge_columns
from app.jobtypes.followups import FOLLOWUP_TABLES, insert_followup
from app.jobtypes.result_meta import fit_lists
from app.settings import Settings

#: The runs it queues are its purpose: never gated by WORKER_FOLLOWUP_JOBS (§0.3).
MODEL_RUN = FollowUp(model_run.JOB_TYPE, priority=40, gated=False)
JOB_TYPE = JobType(
    name="auto_model_trigger",
    queue=QUEUE_DEFAULT,
    priority=45,
    summary="after new data: queue a baseline run of every model of the org",
    tables=merge_columns(
        ACCESS_TABLES,
        FOLLOWUP_TABLES,
        {
            "orgs": ("id",),
            "models": ("id", "org_id", "name", "model_json", "version", "created_at"),
            "model_runs": ("id model_id org_id run_type params_json status created_at".split()),
            "audit_logs": (
                "org_id",
                "action",
                "object_type",
                "object_id",
                "meta_json",
                "created_at",
            ),
        },
    ),
    followups=(MODEL_RUN,),
)

#: Trigger types that are never throttled besides the import types that insert a trigger.
CONNECTOR_SYNC = "connector_sync"
MANUAL = "manual"
UNKNOWN_TRIGGER = "unknown"
THROTTLE_HOURS = 1.0
DEFAULT_MODEL_NAME = "Default Financial Model"
RUN_TYPE = "baseline"
#: Levels above this are not user input but a typo or an attack (numeric(20,4) holds < 1e16).
MAX_LEVEL = 1e15
MAX_CUSTOMERS = 1_000_000_000
_NAME_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def explicit_trigger_types() -> frozenset[str]:
    """Trigger types that are never throttled (§1.2): the types that insert this job as a
    follow-up of new data (imports), connector syncs and manual triggers."""
    from app.jobtypes import REGISTRY  # the registry imports this module

    producers = {
        spec.name
        for spec in REGISTRY
        if any(f.gated and f.job_type is JOB_TYPE for f in spec.followups)
    }
    return frozenset({*producers, CONNECTOR_SYNC, MANUAL})


@dataclass(frozen=True)
class TriggerRequest:
    """The parameters, checked: names must be short names; levels are optional user input."""

    trigger_type: str
    trigger_source: str | None
    cash_on_hand: float | None
    starting_customers: int | None
    warnings: tuple[str, ...] = field(default=())

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> TriggerRequest:
        """Raises: InvalidParams: a trigger type or source that is not a short name."""
        warnings: list[str] = []
        return cls(
            trigger_type=_name(params.get("triggerType"), "triggerType") or UNKNOWN_TRIGGER,
            trigger_source=_name(params.get("triggerSource"), "triggerSource"),
            cash_on_hand=_level(params.get("cashOnHand"), "cashOnHand", MAX_LEVEL, warnings),
            starting_customers=_customers(params.get("startingCustomers"), warnings),
            warnings=tuple(warnings),
        )


def _name(raw: object, key: str) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not _NAME_RE.match(raw):
        raise InvalidParams(f"params.{key} must be a short name (letters, digits, _ . : -)")
    return raw


def _level(raw: object, key: str, maximum: float, warnings: list[str]) -> float | None:
    """A level > 0 (0 or absent = not given); anything else is ignored with a warning (§1.9)."""
    if raw is None or raw == 0 or raw == "":
        return None
    number = as_number(raw)
    if number is None or number < 0 or number > maximum:
        warnings.append(f"params.{key} is not a usable positive number; ignored")
        return None
    return number if number > 0 else None


def _customers(raw: object, warnings: list[str]) -> int | None:
    number = _level(raw, "startingCustomers", MAX_CUSTOMERS, warnings)
    if number is None:
        return None
    if not number.is_integer():
        warnings.append("params.startingCustomers is not a whole number; ignored")
        return None
    return int(number)


def resolve_org(cur: Cursor, job: ClaimedJob, params: dict[str, Any]) -> str:
    """The job's org, else ``params.orgId``/``params.org_id`` when it names an existing org.

    Raises:
        InvalidParams: a malformed org id in the parameters.
        InvalidJob: no org at all.
    """
    if job.org_id is not None:
        return job.org_id
    for key in ("orgId", "org_id"):
        raw = params.get(key)
        if raw is None or raw == "":
            continue
        org_id = parse_uuid(raw, f"params.{key}")
        if execute(cur, "auto_model_trigger_org", {"org_id": org_id}):
            return org_id
    raise InvalidJob(f"{JOB_TYPE.name} without org")


@dataclass
class _Sweep:
    created: int = 0
    run_ids: list[str] = field(default_factory=list)
    job_ids: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def trigger(
    cur: Cursor,
    settings: Settings,
    *,
    job_id: str,
    org_id: str,
    request: TriggerRequest,
    now_iso: str,
) -> dict[str, Any]:
    """Queue the baseline runs (inside the final transaction); returns the success meta."""
    execute(cur, "auto_model_trigger_lock_org", {"org_id": org_id})
    models = execute(cur, "auto_model_trigger_models", {"org_id": org_id})
    model_ids = [str(row["id"]) for row in models]
    hours_since = _throttled(cur, request, org_id, model_ids, job_id)
    if hours_since is not None:
        return {
            "status": "completed",
            "skipped": True,
            "reason": "too_recent",
            "hoursSince": round(hours_since, 2),
            "runsCreated": 0,
            "modelRunIds": [],
        }
    default_model = None
    if not model_ids:
        default_model = _insert_default_model(cur, org_id, job_id, request, now_iso)
        model_ids = [default_model]
    sweep = _Sweep(warnings=list(request.warnings))
    for model_id in model_ids:
        _queue_run(cur, settings, sweep, model_id, org_id, job_id, request, now_iso)
    meta = {
        "status": "completed",
        "triggerType": request.trigger_type,
        "runsCreated": sweep.created,
        "runsReused": len(sweep.run_ids) - sweep.created,
        "modelRunIds": sweep.run_ids,
        "modelRunJobIds": sweep.job_ids,
        "skipped": sweep.skipped,
        "defaultModelCreated": default_model is not None,
        **({"defaultModelId": default_model} if default_model else {}),
        "warnings": sweep.warnings,
    }
    return fit_lists(meta, ("modelRunIds", "modelRunJobIds", "skipped", "warnings"))


def _throttled(
    cur: Cursor, request: TriggerRequest, org_id: str, model_ids: list[str], job_id: str
) -> float | None:
    """Hours since the org's newest baseline run when a throttled trigger must wait, else None.

    An explicit trigger is never throttled; nor is a re-dispatch of a job that queued runs.
    """
    if request.trigger_type in explicit_trigger_types():
        return None
    latest = execute(cur, "auto_model_trigger_latest_baseline", {"org_id": org_id})
    if not latest or latest[0]["hours_since"] >= THROTTLE_HOURS:
        return None
    if any(_run_of_job(cur, model_id, org_id, job_id) for model_id in model_ids):
        return None
    return float(latest[0]["hours_since"])


@dataclass(frozen=True)
class OpenRun:
    """A queued or running run; ``active`` when recent or a job still works on it (§1.9)."""

    id: str
    model_id: str
    active: bool


def open_runs(cur: Cursor, org_id: str, model_id: str | None = None) -> list[OpenRun]:
    """The open runs of a model, or of every model of the org (the sweep's test, §3.7)."""
    keys = {"org_id": org_id, "model_id": model_id, "run_job_type": MODEL_RUN.job_type.name}
    return [
        OpenRun(str(r["id"]), str(r["model_id"]), bool(r["active"]))
        for r in execute(cur, "auto_model_trigger_open_runs", keys)
    ]


def _run_of_job(cur: Cursor, model_id: str, org_id: str, job_id: str) -> str | None:
    keys = {"model_id": model_id, "org_id": org_id, "job_id": job_id}
    rows = execute(cur, "auto_model_trigger_run_of_job", keys)
    return str(rows[0]["id"]) if rows else None


def _insert_default_model(
    cur: Cursor, org_id: str, job_id: str, request: TriggerRequest, now_iso: str
) -> str:
    """The default model: only what the user gave, no level of its own invention (N-1)."""
    assumptions: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if request.cash_on_hand is not None:
        assumptions["cash"] = {"initialCash": request.cash_on_hand}
        sources["cash.initialCash"] = "user"
    if request.starting_customers is not None:
        assumptions["revenue"] = {"customerCount": request.starting_customers}
        sources["revenue.customerCount"] = "user"
    model_json = {
        "name": DEFAULT_MODEL_NAME,
        "version": 1,
        "assumptions": assumptions,
        # No startMonth: the run derives it from the ledger (contract §5.1.2).
        "metadata": {
            "createdBy": JOB_TYPE.name,
            "createdAt": now_iso,
            "sourceJobId": job_id,
            "assumptionSources": sources,
        },
    }
    rows = execute(
        cur, "auto_model_trigger_default_model", {"org_id": org_id, "model_json": jsonb(model_json)}
    )
    return str(rows[0]["id"])


def _queue_run(
    cur: Cursor,
    settings: Settings,
    sweep: _Sweep,
    model_id: str,
    org_id: str,
    job_id: str,
    request: TriggerRequest,
    now_iso: str,
) -> None:
    run_id = _run_of_job(cur, model_id, org_id, job_id)
    if run_id is None:
        runs = open_runs(cur, org_id, model_id)
        active = [run.id for run in runs if run.active]
        if active:
            skip = {"modelId": model_id, "reason": "active_run", "modelRunId": active[0]}
            sweep.skipped.append(skip)
            return
        for orphan in runs:
            sweep.warnings.append(
                f"model {model_id}: run {orphan.id} has been open for over 2 hours with no "
                "active job; it does not block a new run"
            )
        run_id = _insert_run(cur, model_id, org_id, job_id, request, now_iso)
        sweep.created += 1
    run_job = insert_followup(
        cur,
        settings,
        MODEL_RUN,
        org_id=org_id,
        object_id=run_id,
        params={
            "modelRunId": run_id,
            "modelId": model_id,
            "runType": RUN_TYPE,
            "autoTriggered": True,
            "triggerType": request.trigger_type,
            "triggerSource": request.trigger_source,
        },
        idempotency_key=f"{MODEL_RUN.job_type.name}:{JOB_TYPE.name}:{job_id}:{model_id}",
    )
    execute(
        cur,
        "auto_model_trigger_audit_insert",
        {
            "org_id": org_id,
            "run_id": run_id,
            # The audit object is the run; its type name is the run's own job type name.
            "object_type": MODEL_RUN.job_type.name,
            "meta": jsonb(
                {
                    "modelId": model_id,
                    "triggerType": request.trigger_type,
                    "triggerSource": request.trigger_source,
                    "jobId": run_job,
                }
            ),
        },
    )
    sweep.run_ids.append(run_id)
    if run_job is not None:
        sweep.job_ids.append(run_job)


def _insert_run(
    cur: Cursor, model_id: str, org_id: str, job_id: str, request: TriggerRequest, now_iso: str
) -> str:
    params_json: dict[str, Any] = {
        "autoTriggered": True,
        "triggerType": request.trigger_type,
        "triggerSource": request.trigger_source,
        "triggeredAt": now_iso,
        "sourceJobId": job_id,
    }
    if request.cash_on_hand is not None:
        params_json["cashOnHand"] = request.cash_on_hand
    if request.starting_customers is not None:
        params_json["startingCustomers"] = request.starting_customers
    rows = execute(
        cur,
        "auto_model_trigger_run_insert",
        {"model_id": model_id, "org_id": org_id, "params_json": jsonb(params_json)},
    )
    return str(rows[0]["id"])
