"""``alert_check`` (CONTRACT-2 §4): the org's alert rules against a finished run or simulation.

A thin adapter: resolve the run (and the Monte Carlo row) in the job's org, evaluate and record
in one final transaction (:func:`app.jobtypes.alert_check.check`), then send the webhooks of the
new notifications (off by default) after the commit.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from actors.base import job_actor
from app.errors import InvalidParams
from app.ids import parse_uuid
from app.jobcontext import JobContext, current_job, lock_owned
from app.jobtypes import alert_check as decl
from app.jobtypes import model_run, monte_carlo
from app.jobtypes.access import Role, require_role

#: ``params.source`` → whether the check reads a Monte Carlo result: the types that insert it.
SOURCES = {model_run.JOB_TYPE.name: False, monte_carlo.JOB_TYPE.name: True}
#: Legacy producers always name the source; a check without one evaluates the run.
DEFAULT_SOURCE = model_run.JOB_TYPE.name
#: Only an org admin may run a check by hand: it writes the alert history and sends webhooks.
ROLE = Role.ADMIN


def _skip(ctx: JobContext, reason: str, run_id: str, source: str) -> None:
    ctx.succeed({"skipped": True, "reason": reason, "modelRunId": run_id, "source": source})


def _source(params: dict[str, Any]) -> decl.Source:
    raw = params.get("source", DEFAULT_SOURCE)
    if not isinstance(raw, str) or raw not in SOURCES:
        raise InvalidParams(f"params.source must be one of {', '.join(SOURCES)}")
    mc_id = None
    if SOURCES[raw] and params.get("monteCarloJobId") not in (None, ""):
        mc_id = parse_uuid(params.get("monteCarloJobId"), "params.monteCarloJobId")
    return decl.Source(raw, mc_id)


@job_actor(decl.JOB_TYPE)
def alert_check(job_id: str) -> None:
    ctx = current_job()
    job = ctx.job
    source = _source(ctx.params)
    if job.object_id is None:
        raise InvalidParams("alert_check needs the model run as its object_id")
    with ctx.db.transaction() as cur:
        run = decl.load_run(cur, job.object_id, job.org_id)
        require_role(cur, dataclasses.replace(job, org_id=run.org_id), ROLE)
        simulation = decl.load_simulation(cur, run, source.mc_id) if source.mc_id else None
    if run.run_type not in ctx.settings.alert_run_types:
        _skip(ctx, f"run type {run.run_type[:40]} not evaluated", run.id, source.name)
        return
    if SOURCES[source.name] and simulation is None:
        _skip(ctx, "Monte Carlo result not found or not done", run.id, source.name)
        return
    if not SOURCES[source.name] and not run.done:
        _skip(ctx, "run not done", run.id, source.name)
        return
    ctx.progress(20, "Run loaded")

    with ctx.db.transaction() as cur:
        lock_owned(cur, ctx)  # domain writes only for a job this worker still owns
        outcome = decl.check(
            cur, ctx.settings, run=run, source=source, simulation=simulation, job_id=job.id
        )
        ctx.commit_success(cur, outcome.meta)
    if outcome.deliveries:
        decl.deliver_all(ctx.db, run.org_id, outcome.deliveries, ctx.settings, **ctx.log_fields())
