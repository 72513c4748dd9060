"""``monte_carlo``: percentiles of ending cash over simulated paths (contract §5.2).

A thin adapter: load the ``monte_carlo_jobs`` row and its linked run's model inputs, call the
pure simulation (:func:`app.finance.run_monte_carlo`), upload the percentiles document, and hand
the domain writes to the lifecycle's final transaction.
"""

from __future__ import annotations

import json
import time

from psycopg2.extras import RealDictCursor as Cursor

from actors.base import job_actor
from app.db import db_now
from app.errors import NotFound
from app.finance import run_monte_carlo
from app.jobcontext import current_job
from app.jobtypes import monte_carlo as decl
from app.jobtypes.billing import CPU_SECONDS_DECIMALS
from app.jobtypes.model_inputs import load_model, load_model_inputs
from app.storage import JSON_CONTENT_TYPE, make_object_store, montecarlo_result_key

#: Progress across the simulation blocks (§5.2.6).
PROGRESS_SIMULATION_START = 10.0
PROGRESS_SIMULATION_END = 80.0


@job_actor(decl.JOB_TYPE)
def monte_carlo(job_id: str) -> None:
    ctx = current_job()
    cpu_started = time.thread_time()

    with ctx.db.transaction() as cur:
        ctx.progress_in(cur, 1)
        mc = decl.load_row(cur, ctx.job, ctx.params)
        if not mc.done:
            n = decl.num_simulations(mc, ctx.params)
            decl.start(cur, mc)
    if mc.done:
        ctx.succeed_noop(f"Monte Carlo job {mc.id} is already done")
        return

    with ctx.db.transaction() as cur:
        run = decl.load_run(cur, mc)
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
        decl.store_result(
            cur, ctx.settings, mc, result.percentiles, result.sensitivity, result_s3, cpu_seconds
        )

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
