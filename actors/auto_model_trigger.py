"""``auto_model_trigger`` (CONTRACT-2 §1): after new data, queue a baseline run of every model of
the org (a default model without invented numbers when it has none).

A thin adapter: check the parameters, the org and the creator's role, then queue everything in
one final transaction (:func:`app.jobtypes.auto_model_trigger.trigger`).
"""

from __future__ import annotations

import dataclasses
import logging

from actors.base import job_actor
from app.db import db_now
from app.jobcontext import current_job, lock_owned
from app.jobtypes import auto_model_trigger as decl
from app.jobtypes.access import Role, require_role
from app.logging_setup import log_event

logger = logging.getLogger(__name__)


@job_actor(decl.JOB_TYPE)
def auto_model_trigger(job_id: str) -> None:
    ctx = current_job()
    request = decl.TriggerRequest.from_params(ctx.params)
    with ctx.db.transaction() as cur:
        org_id = decl.resolve_org(cur, ctx.job, ctx.params)
        require_role(cur, dataclasses.replace(ctx.job, org_id=org_id), Role.FINANCE)
    ctx.progress(10)

    with ctx.db.transaction() as cur:
        lock_owned(cur, ctx)  # domain writes only for a job this worker still owns
        _, now_iso = db_now(cur)
        meta = decl.trigger(
            cur, ctx.settings, job_id=ctx.job.id, org_id=org_id, request=request, now_iso=now_iso
        )
        ctx.commit_success(cur, meta)
    log_event(
        logger,
        logging.INFO,
        "auto_model_trigger_committed",
        runs_created=meta.get("runsCreated", 0),
        skipped=bool(meta.get("skipped")),
        **ctx.log_fields(),
    )
