"""``scheduled_auto_model`` (CONTRACT-2 §3): the cron sweep that queues an ``auto_model_trigger``
for every org with new ledger data.

One short transaction per org, each fenced on the job row (still ``running``, owned by this
worker, not cancelled), so one org's bad data or a cancel loses nothing for the others. The
result lists the orgs triggered, skipped (and why) and failed (with the error kind).
"""

from __future__ import annotations

import logging
import time

from actors.base import job_actor
from app.db import execute
from app.errors import Forbidden, JobCancelled, LeaseLost, TransientError, WorkerShutdown
from app.jobcontext import JobContext, current_job, lock_owned
from app.jobtypes import scheduled_auto_model as decl
from app.jobtypes.access import Role, require_role
from app.logging_setup import log_event

logger = logging.getLogger(__name__)

PROGRESS_OPEN = 10.0
PROGRESS_SPAN = 85.0
PROGRESS_INTERVAL_S = 1.0
STOPS = (JobCancelled, LeaseLost, WorkerShutdown)


def _scope(ctx: JobContext) -> str | None:
    """The org to sweep: all of them for the cron's job, the job's org for a forged one.

    The cron route inserts sweeps without a user; a user's sweep can only come from the
    generic route, so it is limited to an org the user holds at least finance in.
    """
    job = ctx.job
    if job.created_by_user_id is None:
        return job.org_id
    if job.org_id is None:
        raise Forbidden("a sweep a user created must name an org the user is a finance of")
    with ctx.db.transaction() as cur:
        require_role(cur, job, Role.FINANCE)
    return job.org_id


def _sweep_one(ctx: JobContext, org_id: str) -> decl.OrgOutcome | None:
    """One org in one short transaction, fenced on the job row; None when it was cancelled."""
    with ctx.db.transaction() as cur:
        if lock_owned(cur, ctx)["cancel_requested"]:
            return None
        return decl.sweep_org(cur, ctx.settings, job_id=ctx.job.id, org_id=org_id)


def _stop_for_cancel(ctx: JobContext, sweep: decl.Sweep) -> None:
    ctx.request_cancel()
    # The entry is appended before the cancel is raised at this safe point (JobContext.log).
    ctx.log("Sweep stopped by a cancel; triggers already queued stay queued", sweep.counts())
    raise JobCancelled(ctx.job.id)


@job_actor(decl.JOB_TYPE)
def scheduled_auto_model(job_id: str) -> None:
    ctx = current_job()
    scope = _scope(ctx)
    with ctx.db.transaction() as cur:
        total = execute(cur, "scheduled_auto_model_org_count", {"org_id": scope})[0]["n"]
    sweep = decl.Sweep(total=total)
    ctx.progress(PROGRESS_OPEN, "Sweeping orgs")
    last_progress = time.monotonic()
    after: str | None = None
    while True:
        with ctx.db.transaction() as cur:
            page = execute(
                cur,
                "scheduled_auto_model_org_page",
                {"after": after, "org_id": scope, "limit": decl.ORG_PAGE},
            )
        if not page:
            break
        for row in page:
            org_id = row["id"]
            try:
                ctx.checkpoint()
            except JobCancelled:
                _stop_for_cancel(ctx, sweep)
            try:
                outcome = _sweep_one(ctx, org_id)
            except STOPS:
                raise
            except Exception as exc:  # this org only: rolled back, counted, the sweep goes on
                sweep.fail(org_id, exc)
                log_event(
                    logger,
                    logging.WARNING,
                    "sweep_org_failed",
                    org_id=org_id,
                    error=decl.error_kind(exc),
                    **ctx.log_fields(),
                )
                continue
            if outcome is None:
                _stop_for_cancel(ctx, sweep)
            else:
                sweep.record(org_id, outcome)
            if time.monotonic() - last_progress >= PROGRESS_INTERVAL_S:
                last_progress = time.monotonic()
                ctx.progress(PROGRESS_OPEN + PROGRESS_SPAN * sweep.processed / max(1, total))
        after = page[-1]["id"]
    if sweep.all_failed:
        raise TransientError(
            f"every org of the sweep failed ({sweep.processed}); "
            f"the first with {sweep.failed[0]['errorKind']}"
        )
    ctx.succeed(sweep.meta())
