"""``model_run``: its declaration and database code (contract §5.1).

The actor (``actors/model_run.py``) loads through here, calls the pure engine and hands
:func:`store_result` to the final transaction. Per-type database code lives under
``app/jobtypes`` and not beside the actor because importing ``actors`` builds the broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg2.extras import RealDictCursor as Cursor

from app.db import execute, jsonb
from app.errors import InvalidParams, NotFound, PermanentError
from app.ids import parse_uuid
from app.job import ClaimedJob
from app.jobtypes.base import OBJECT_ID, QUEUE_DEFAULT, DomainRow, JobType, merge_columns
from app.jobtypes.billing import BILLING_TABLES
from app.jobtypes.model_inputs import MODEL_INPUT_TABLES
from app.jobtypes.run_outcome import ALERT_CHECK, record_run_outcome
from app.settings import Settings

JOB_TYPE = JobType(
    name="model_run",
    queue=QUEUE_DEFAULT,
    priority=50,
    summary="forecast and three statements of one model run",
    domain=DomainRow(
        table="model_runs",
        ref=("modelRunId", OBJECT_ID),
        reset_sql="model_run_domain_reset",
        fail_sql="model_run_domain_fail",
        show_sql="model_run_domain_show",
    ),
    tables=merge_columns(
        MODEL_INPUT_TABLES,
        BILLING_TABLES,
        {
            "model_runs": (
                "id model_id org_id run_type params_json status result_s3 summary_json "
                "created_at finished_at"
            ).split(),
            "metric_cube": (
                "org_id model_id metric_name month value scenario_id geography_id product_id "
                "department_id segment_id channel_id custom_dim1_id custom_dim2_id "
                "is_calculated updated_at"
            ).split(),
        },
    ),
    followups=(ALERT_CHECK,),
)

DEFAULT_RUN_TYPE = "baseline"
BASELINE = "baseline"
RUN_DONE = "done"
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

    @property
    def done(self) -> bool:
        return self.status == RUN_DONE and self.has_summary


def resolve_run(cur: Cursor, job: ClaimedJob, params: dict[str, Any]) -> tuple[RunRow, bool]:
    """The job's run, or for an auto-model job its run found or created by ``sourceJobId``.

    Returns:
        The run and whether it was created now.

    Raises:
        InvalidParams: a malformed id in the parameters.
        NotFound: neither a run nor a model of the org matches.
    """
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


def start_run(cur: Cursor, run: RunRow) -> None:
    """Claim-time transition to ``running`` (§4.8).

    Raises:
        PermanentError: the run is in a state it cannot run from.
    """
    if not execute(cur, "model_run_start", {"run_id": run.id, "org_id": run.org_id}):
        raise PermanentError(f"model run {run.id} cannot run from status '{run.status}'")


def store_result(
    cur: Cursor,
    settings: Settings,
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
    if run.run_type == BASELINE:
        _replace_cube(cur, run, summary["monthly"])
    record_run_outcome(
        cur,
        settings,
        source=JOB_TYPE,
        source_id=run.id,
        org_id=run.org_id,
        model_run_id=run.id,
        cpu_seconds=cpu_seconds,
        with_cost=True,
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
