"""``model_run``: forecast and three statements of one model run (contract §5.1).

A thin adapter: resolve the run (creating it for an auto-model job), load its inputs, call the
pure engine (:func:`app.finance.build_model_run`), upload the result document, and hand the
domain writes to the lifecycle's final transaction.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from psycopg2.extras import RealDictCursor as Cursor

from actors.base import job_actor
from app.db import execute, jsonb
from app.errors import InvalidParams, NotFound, PermanentError
from app.finalize import db_now, insert_billing, insert_followup
from app.finance import build_model_run
from app.ids import parse_uuid
from app.jobcontext import JobContext, current_job
from app.jobtypes import JOB_TYPES
from app.modelinputs import load_model, load_model_inputs
from app.storage import JSON_CONTENT_TYPE, make_object_store, model_run_result_key

logger = logging.getLogger(__name__)

SPEC = JOB_TYPES["model_run"]
DEFAULT_RUN_TYPE = "baseline"
#: Job parameters that describe the job, not the run: left out of a created run's params_json.
JOB_ONLY_PARAMS = frozenset({"modelId", "modelRunId", "runType", "paramsJson"})
#: The worker-owned metric_cube rows a baseline run replaces (§5.1.7), from summary ``monthly``.
CUBE_METRICS = (
    "revenue",
    "cogs",
    "opex",
    "expenses",
    "netIncome",
    "cashBalance",
    "burnRate",
    "grossProfit",
)
FOLLOWUP_JOB_TYPE = "alert_check"
FOLLOWUP_PRIORITY = 80


@dataclass(frozen=True)
class RunRow:
    """The ``model_runs`` columns the job reads."""

    id: str
    model_id: str
    org_id: str
    run_type: str
    params_json: dict[str, Any]
    status: str
    has_summary: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunRow:
        params = row["params_json"] if isinstance(row["params_json"], dict) else {}
        return cls(
            id=row["id"],
            model_id=row["model_id"],
            org_id=row["org_id"],
            run_type=row["run_type"],
            params_json=params,
            status=row["status"],
            has_summary=bool(row["has_summary"]),
        )


@job_actor(SPEC)
def model_run(job_id: str) -> None:
    ctx = current_job()
    cpu_started = time.thread_time()

    with ctx.db.transaction() as cur:
        ctx.progress_in(cur, 1)
        run, created = _resolve_run(ctx, cur)
        already_done = run.status == "done" and run.has_summary
        if not already_done and not execute(
            cur, "model_run_start", {"run_id": run.id, "org_id": run.org_id}
        ):
            raise PermanentError(f"model run {run.id} cannot run from status '{run.status}'")
    if already_done:
        ctx.succeed({"noop": True, "reason": f"model run {run.id} is already done"})
        return
    if created:
        logger.info("model_run_created job_id=%s model_run_id=%s", ctx.job.id, run.id)
        ctx.log("Model run created", {"modelRunId": run.id})

    with ctx.db.transaction() as cur:
        model = load_model(cur, model_id=run.model_id, org_id=run.org_id)
        if model is None:
            raise NotFound(f"model {run.model_id} of model run {run.id} not found")
        inputs = load_model_inputs(
            cur, model=model, params_json=run.params_json, run_type=run.run_type
        )
        _, generated_at = db_now(cur)
    ctx.progress(10, "Inputs loaded")

    def on_stage(stage: str) -> None:
        if stage == "statements":
            ctx.progress(40)
            ctx.progress(70, "Forecast and statements computed")
        else:
            ctx.checkpoint()

    result = build_model_run(
        inputs,
        model_run_id=run.id,
        model_id=run.model_id,
        org_id=run.org_id,
        generated_at=generated_at,
        on_stage=on_stage,
    )

    ctx.checkpoint()
    summary = result.summary
    store = make_object_store(
        ctx.settings.s3_bucket, ctx.settings.aws_region, ctx.settings.s3_endpoint_url
    )
    result_s3: str | None = None
    if store is not None:
        result_s3 = model_run_result_key(run.org_id, run.id)
        body = json.dumps(result.document, allow_nan=False, separators=(",", ":"))
        store.put_bytes(result_s3, body.encode("utf-8"), JSON_CONTENT_TYPE)
    else:
        summary = {**summary, "fullResult": result.document}
    ctx.progress(90, "Result uploaded" if result_s3 else "Result ready")
    cpu_seconds = time.thread_time() - cpu_started

    def finalize(cur: Cursor) -> None:
        _store(ctx, cur, run, summary, result_s3, cpu_seconds)

    ctx.succeed(
        {
            "modelRunId": run.id,
            "months": len(result.months),
            "startMonth": result.start_month,
            "resultS3": result_s3,
        },
        finalize=finalize,
    )


def _resolve_run(ctx: JobContext, cur: Cursor) -> tuple[RunRow, bool]:
    """The job's run, or for an auto-model job its run found or created by ``sourceJobId``.

    Returns:
        The run and whether it was created now.

    Raises:
        InvalidParams: a malformed id in the parameters.
        NotFound: neither a run nor a model of the org matches.
    """
    job, params = ctx.job, ctx.params
    raw_run_id = params.get("modelRunId")
    if raw_run_id is None or raw_run_id == "":
        run_id = job.object_id
    else:
        run_id = parse_uuid(raw_run_id, "params.modelRunId")
    if run_id is not None:
        rows = execute(cur, "model_run_load", {"run_id": run_id, "org_id": job.org_id})
        if rows:
            return RunRow.from_row(rows[0]), False

    model_org: str | None = None
    model_id: str | None = None
    for raw, what in ((job.object_id, "object_id"), (params.get("modelId"), "params.modelId")):
        if raw is None or raw == "":
            continue
        candidate = parse_uuid(raw, what)
        found = execute(cur, "model_run_find_model", {"model_id": candidate, "org_id": job.org_id})
        if found:
            model_id, model_org = found[0]["id"], found[0]["org_id"]
            break
    if model_id is None or model_org is None:
        raise NotFound(f"model run {run_id or '(none)'} not found, and no model of the org matches")

    execute(cur, "model_run_lock_source_job", {"job_id": job.id})
    keys = {"model_id": model_id, "org_id": model_org, "job_id": job.id}
    rows = execute(cur, "model_run_find_by_source_job", keys)
    if rows:
        return RunRow.from_row(rows[0]), False
    run_type = params.get("runType") or DEFAULT_RUN_TYPE
    if not isinstance(run_type, str):
        raise InvalidParams("params.runType must be a string")
    run_params = {k: v for k, v in params.items() if k not in JOB_ONLY_PARAMS}
    run_params["sourceJobId"] = job.id
    rows = execute(
        cur, "model_run_create", {**keys, "run_type": run_type, "params_json": jsonb(run_params)}
    )
    return RunRow.from_row(rows[0]), True


def _store(
    ctx: JobContext,
    cur: Cursor,
    run: RunRow,
    summary: dict[str, Any],
    result_s3: str | None,
    cpu_seconds: float,
) -> None:
    """The domain writes of the final success transaction (§5.1.7)."""
    keys = {"run_id": run.id, "org_id": run.org_id}
    if not execute(
        cur, "model_run_finish", {**keys, "summary": jsonb(summary), "result_s3": result_s3}
    ):
        raise PermanentError(f"model run {run.id} is no longer running; its result is not stored")
    if run.run_type == "baseline":
        _replace_cube(cur, run, summary["monthly"])
    insert_billing(
        cur,
        ctx.settings,
        org_id=run.org_id,
        prefix="model_run",
        cpu_seconds=cpu_seconds,
        with_cost=True,
    )
    insert_followup(
        cur,
        ctx.settings,
        job_type=FOLLOWUP_JOB_TYPE,
        org_id=run.org_id,
        object_id=run.id,
        params={"source": "model_run"},
        priority=FOLLOWUP_PRIORITY,
        idempotency_key=f"{FOLLOWUP_JOB_TYPE}:model_run:{run.id}",
    )


def _replace_cube(cur: Cursor, run: RunRow, monthly: dict[str, dict[str, Any]]) -> None:
    """Replace the worker-owned ``metric_cube`` rows of the model (baseline runs only)."""
    keys = {"org_id": run.org_id, "model_id": run.model_id}
    execute(cur, "model_run_cube_delete", {**keys, "metrics": list(CUBE_METRICS)})
    names: list[str] = []
    months: list[str] = []
    values: list[float] = []
    for month, record in monthly.items():
        for metric in CUBE_METRICS:
            names.append(metric)
            months.append(month)
            values.append(record[metric])
    execute(
        cur,
        "model_run_cube_insert",
        {**keys, "metric_names": names, "months": months, "values": values},
    )
