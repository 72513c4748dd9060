"""``model_run``: forecast and three statements of one model run (contract §5.1).

A thin adapter: resolve the run (creating it for an auto-model job), load its inputs, call the
pure engine (:func:`app.finance.build_model_run`), upload the result document, and hand the
domain writes to the lifecycle's final transaction.
"""

from __future__ import annotations

import json
import logging
import time

from psycopg2.extras import RealDictCursor as Cursor

from actors.base import job_actor
from app.db import db_now
from app.errors import NotFound
from app.finance import build_model_run
from app.jobcontext import current_job
from app.jobtypes import model_run as decl
from app.jobtypes.model_inputs import load_model, load_model_inputs
from app.logging_setup import log_event
from app.storage import JSON_CONTENT_TYPE, make_object_store, model_run_result_key

logger = logging.getLogger(__name__)


@job_actor(decl.JOB_TYPE)
def model_run(job_id: str) -> None:
    ctx = current_job()
    cpu_started = time.thread_time()

    with ctx.db.transaction() as cur:
        ctx.progress_in(cur, 1)
        run, created = decl.resolve_run(cur, ctx.job, ctx.params)
        if not run.done:
            decl.start_run(cur, run)
    if run.done:
        ctx.succeed_noop(f"model run {run.id} is already done")
        return
    if created:
        log_event(
            logger, logging.INFO, "model_run_created", model_run_id=run.id, **ctx.log_fields()
        )
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
        decl.store_result(cur, ctx.settings, run, summary, result_s3, cpu_seconds)

    ctx.succeed(
        {
            "modelRunId": run.id,
            "months": len(result.months),
            "startMonth": result.start_month,
            "resultS3": result_s3,
        },
        finalize=finalize,
    )
