"""``monte_carlo``: percentiles of ending cash over simulated paths (contract §5.2).

A thin adapter: load the ``monte_carlo_jobs`` row and its linked run's model inputs, call the
pure simulation (:func:`app.finance.run_monte_carlo`), upload the percentiles document, and hand
the domain writes to the lifecycle's final transaction.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from psycopg2.extras import RealDictCursor as Cursor

from actors.base import job_actor
from app.db import execute, jsonb
from app.errors import InvalidParams, NotFound, PermanentError
from app.finalize import db_now, insert_billing, insert_followup
from app.finance import run_monte_carlo
from app.ids import parse_uuid
from app.jobcontext import JobContext, current_job
from app.jobtypes import JOB_TYPES
from app.modelinputs import load_model, load_model_inputs
from app.storage import JSON_CONTENT_TYPE, make_object_store, montecarlo_result_key

SPEC = JOB_TYPES["monte_carlo"]
#: ``monte_carlo_jobs.num_simulations`` bounds (§5.2.1).
ROW_SIMULATIONS_MIN = 1
ROW_SIMULATIONS_MAX = 100_000
#: ``params.numSimulations`` bounds, when present (the backend's own range).
PARAM_SIMULATIONS_MIN = 100
PARAM_SIMULATIONS_MAX = 100_000
#: Progress across the simulation blocks (§5.2.6).
PROGRESS_SIMULATION_START = 10.0
PROGRESS_SIMULATION_END = 80.0
FOLLOWUP_JOB_TYPE = "alert_check"
FOLLOWUP_PRIORITY = 80
CPU_SECONDS_DECIMALS = 6


@dataclass(frozen=True)
class MonteCarloRow:
    """The ``monte_carlo_jobs`` columns the job reads."""

    id: str
    model_run_id: str
    org_id: str
    num_simulations: int
    params_hash: str | None
    status: str
    has_result: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MonteCarloRow:
        return cls(
            id=row["id"],
            model_run_id=row["model_run_id"],
            org_id=row["org_id"],
            num_simulations=int(row["num_simulations"]),
            params_hash=row["params_hash"],
            status=row["status"],
            has_result=bool(row["has_result"]),
        )


@job_actor(SPEC)
def monte_carlo(job_id: str) -> None:
    ctx = current_job()
    cpu_started = time.thread_time()

    with ctx.db.transaction() as cur:
        ctx.progress_in(cur, 1)
        mc = _load_row(ctx, cur)
        already_done = mc.status == "done" and mc.has_result
        if not already_done:
            n = _num_simulations(mc, ctx.params)
            keys = {"mc_id": mc.id, "org_id": mc.org_id}
            if not execute(cur, "monte_carlo_start", keys):
                raise PermanentError(
                    f"Monte Carlo job {mc.id} cannot run from status '{mc.status}'"
                )
    if already_done:
        ctx.succeed({"noop": True, "reason": f"Monte Carlo job {mc.id} is already done"})
        return

    with ctx.db.transaction() as cur:
        rows = execute(
            cur, "monte_carlo_run_load", {"run_id": mc.model_run_id, "org_id": mc.org_id}
        )
        if not rows:
            raise NotFound(f"model run {mc.model_run_id} of Monte Carlo job {mc.id} not found")
        run = rows[0]
        model = load_model(cur, model_id=run["model_id"], org_id=mc.org_id)
        if model is None:
            raise NotFound(f"model {run['model_id']} of model run {run['id']} not found")
        inputs = load_model_inputs(
            cur, model=model, params_json=run["params_json"], run_type=run["run_type"]
        )
        _, generated_at = db_now(cur)
    ctx.progress(5, "Inputs loaded")
    ctx.progress(PROGRESS_SIMULATION_START, f"Simulating {n} paths")

    def on_block(done: int, total: int) -> None:
        span = PROGRESS_SIMULATION_END - PROGRESS_SIMULATION_START
        ctx.progress(PROGRESS_SIMULATION_START + span * done / total)

    result = run_monte_carlo(
        inputs,
        ctx.params,
        num_simulations=n,
        params_hash=mc.params_hash,
        generated_at=generated_at,
        base_model_run_id=mc.model_run_id,
        chunk_ram_bytes=ctx.settings.montecarlo_chunk_ram_bytes,
        on_block=on_block,
    )
    ctx.progress(85, "Statistics computed")

    store = make_object_store(
        ctx.settings.s3_bucket, ctx.settings.aws_region, ctx.settings.s3_endpoint_url
    )
    result_s3: str | None = None
    if store is not None:
        # A row without params_hash still gets a stable key of its own.
        result_s3 = montecarlo_result_key(mc.org_id, mc.model_run_id, mc.params_hash or mc.id, n)
        body = json.dumps(result.percentiles, allow_nan=False, separators=(",", ":"))
        store.put_bytes(result_s3, body.encode("utf-8"), JSON_CONTENT_TYPE)
    ctx.progress(95, "Result uploaded" if result_s3 else "Result ready")
    cpu_seconds = round(time.thread_time() - cpu_started, CPU_SECONDS_DECIMALS)

    def finalize(cur: Cursor) -> None:
        _store(ctx, cur, mc, result.percentiles, result.sensitivity, result_s3, cpu_seconds)

    drivers = [row["driver"] for row in result.sensitivity]
    ctx.succeed(
        {
            "monteCarloJobId": mc.id,
            "numSimulations": n,
            "months": result.percentiles["meta"]["months"],
            "resultS3": result_s3,
            "cpuSeconds": cpu_seconds,
            "hasSensitivity": bool(drivers),
            "sensitivityDrivers": drivers,
        },
        finalize=finalize,
    )


def _load_row(ctx: JobContext, cur: Cursor) -> MonteCarloRow:
    """The job's ``monte_carlo_jobs`` row: ``object_id``, else ``params.monteCarloJobId``."""
    job = ctx.job
    raw = job.object_id
    if raw is None:
        raw = parse_uuid(ctx.params.get("monteCarloJobId"), "params.monteCarloJobId")
    rows = execute(cur, "monte_carlo_load", {"mc_id": raw, "org_id": job.org_id})
    if not rows:
        raise NotFound(f"Monte Carlo job {raw} not found in the job's org")
    return MonteCarloRow.from_row(rows[0])


def _num_simulations(mc: MonteCarloRow, params: dict[str, Any]) -> int:
    """N from the row (1..100 000); ``params.numSimulations``, when present, must be 100..100 000.

    Raises:
        InvalidParams: either is out of range (the message never echoes parameter values).
    """
    n = mc.num_simulations
    if not ROW_SIMULATIONS_MIN <= n <= ROW_SIMULATIONS_MAX:
        raise InvalidParams(
            f"num_simulations of Monte Carlo job {mc.id} must be in "
            f"{ROW_SIMULATIONS_MIN}..{ROW_SIMULATIONS_MAX}"
        )
    raw = params.get("numSimulations")
    if raw is None:
        return n
    integral = isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer())
    if isinstance(raw, bool) or not integral:
        raise InvalidParams("numSimulations must be an integer")
    if not PARAM_SIMULATIONS_MIN <= raw <= PARAM_SIMULATIONS_MAX:
        raise InvalidParams(
            f"numSimulations must be in {PARAM_SIMULATIONS_MIN}..{PARAM_SIMULATIONS_MAX}"
        )
    return n


def _store(
    ctx: JobContext,
    cur: Cursor,
    mc: MonteCarloRow,
    percentiles: dict[str, Any],
    sensitivity: list[dict[str, Any]],
    result_s3: str | None,
    cpu_seconds: float,
) -> None:
    """The domain writes of the final success transaction (§5.2.6)."""
    written = execute(
        cur,
        "monte_carlo_finish",
        {
            "mc_id": mc.id,
            "org_id": mc.org_id,
            "percentiles": jsonb(percentiles),
            "sensitivity": jsonb(sensitivity),
            "result_s3": result_s3,
            "cpu_seconds": cpu_seconds,
        },
    )
    if not written:
        raise PermanentError(f"Monte Carlo job {mc.id} is no longer running; result not stored")
    insert_billing(
        cur,
        ctx.settings,
        org_id=mc.org_id,
        prefix="monte_carlo",
        cpu_seconds=cpu_seconds,
        with_cost=False,
    )
    insert_followup(
        cur,
        ctx.settings,
        job_type=FOLLOWUP_JOB_TYPE,
        org_id=mc.org_id,
        object_id=mc.model_run_id,
        params={"source": "monte_carlo", "monteCarloJobId": mc.id},
        priority=FOLLOWUP_PRIORITY,
        idempotency_key=f"{FOLLOWUP_JOB_TYPE}:monte_carlo:{mc.id}",
    )
