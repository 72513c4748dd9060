"""``noop``: a job that does nothing, for benchmarks and tests (claimed only when listed).

Parameters (all optional): ``sleepSeconds`` (sleep in steps, with progress and safe points),
``failAttempts`` (fail transiently while the attempt number is at most this), ``fail`` =
``"permanent"`` (fail with an input error), ``finalizeSleepSeconds`` (hold the final success
transaction open that long: how a long import's final transaction looks to the job row).
"""

from __future__ import annotations

import time

from actors.base import job_actor
from app.errors import InvalidParams, TransientError
from app.jobcontext import current_job
from app.jobtypes import noop as decl

STEP_S = 0.1


@job_actor(decl.JOB_TYPE)
def noop(job_id: str) -> None:
    ctx = current_job()
    params = ctx.params
    if params.get("fail") == "permanent":
        raise InvalidParams("noop was asked to fail permanently")
    fail_attempts = params.get("failAttempts", 0)
    if isinstance(fail_attempts, int) and ctx.job.attempt <= fail_attempts:
        raise TransientError(
            f"noop failing attempt {ctx.job.attempt} of {fail_attempts} on purpose"
        )
    sleep_s = _seconds(params, "sleepSeconds")
    finalize_s = _seconds(params, "finalizeSleepSeconds")
    started = time.monotonic()
    while time.monotonic() - started < sleep_s:
        time.sleep(min(STEP_S, sleep_s))
        ctx.progress(100 * (time.monotonic() - started) / sleep_s)
    meta = {"sleptSeconds": round(time.monotonic() - started, 3)}
    if finalize_s:
        ctx.succeed(meta, finalize=lambda cur: time.sleep(finalize_s))
    else:
        ctx.succeed(meta)


def _seconds(params: dict[str, object], key: str) -> float:
    value = params.get(key, 0) or 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
        raise InvalidParams(f"noop {key} must be a number of seconds from 0 to 3600")
    return float(value)
