"""``auto_model`` (CONTRACT-2 §2): a new model's starting assumptions from the user's answers and
the ledger, its driver grid and three initial runs.

A thin adapter: check the answers, the model and the creator's role, aggregate the ledger (in
SQL), generate the assumptions (pure), then write everything in one final transaction under
the model row's lock (:func:`app.jobtypes.auto_model.initialise`).
"""

from __future__ import annotations

import dataclasses
import logging

from actors.base import job_actor
from app.db import db_now
from app.finance.auto_answers import Answers
from app.finance.auto_assumptions import generate, start_month
from app.ids import parse_uuid
from app.jobcontext import NOOP_KEY, current_job, lock_owned
from app.jobtypes import auto_model as decl
from app.jobtypes.access import Role, require_role
from app.jobtypes.model_inputs import load_ledger
from app.logging_setup import log_event

logger = logging.getLogger(__name__)


@job_actor(decl.JOB_TYPE)
def auto_model(job_id: str) -> None:
    ctx = current_job()
    job, params = ctx.job, ctx.params
    answers = Answers.from_params(params)
    model_id = decl.model_id_of(job, params)
    batch = params.get("importBatchId")
    batch_id = None if batch in (None, "") else parse_uuid(batch, "params.importBatchId")
    with ctx.db.transaction() as cur:
        doc = decl.load_model(cur, model_id, job.org_id)
        require_role(cur, dataclasses.replace(job, org_id=doc.org_id), Role.FINANCE)
    reason = decl.noop_reason(doc, job.id)
    if reason is not None:
        ctx.succeed_noop(reason)
        return
    ctx.progress(5)

    with ctx.db.transaction() as cur:
        ledger, _ = load_ledger(cur, doc.org_id, batch_id)
    ctx.progress(30)
    start = start_month(doc.metadata, ledger, doc.created_month)
    generated = generate(answers, ledger, start)
    if generated.missing:
        ctx.log(
            "No runs queued: the model lacks required inputs",
            {"missingInputs": list(generated.missing)},
            level="warn",
        )
    ctx.progress(60)

    with ctx.db.transaction() as cur:
        lock_owned(cur, ctx)  # domain writes only for a job this worker still owns
        locked = decl.load_model(cur, doc.id, doc.org_id, lock=True)
        reason = decl.noop_reason(locked, job.id)
        if reason is not None:  # another job initialised it meanwhile
            ctx.commit_success(cur, {NOOP_KEY: True, "reason": reason})
            return
        _, now_iso = db_now(cur)
        meta = decl.initialise(
            cur,
            ctx.settings,
            job_id=job.id,
            doc=locked,
            generated=generated,
            params=params,
            start=start,
            now_iso=now_iso,
            warnings=list(answers.warnings),
        )
        ctx.commit_success(cur, meta)
    log_event(
        logger,
        logging.INFO,
        "auto_model_committed",
        runs_created=meta["runsCreated"],
        missing_inputs=len(meta["missingInputs"]),
        **ctx.log_fields(),
    )
