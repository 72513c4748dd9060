"""Domain rows follow their job (contract §4.8): reset on ``retrying``, failed on a failure end."""

from __future__ import annotations

from enum import StrEnum

import psycopg2.extras

from app.db import execute
from app.jobtypes import JOB_TYPES


class Transition(StrEnum):
    RESET = "reset"  # the job goes back to retrying
    FAIL = "fail"  # the job ends dead_letter or cancelled


def apply_transition(
    cur: psycopg2.extras.RealDictCursor,
    transition: Transition,
    *,
    job_type: str,
    job_id: str,
    org_id: str | None,
    object_id: str | None,
    domain_ref: str | None,
    last_error: str | None,
) -> None:
    """Move the job's domain row, guarded by its expected state, inside the caller's transaction."""
    spec = JOB_TYPES.get(job_type)
    if spec is None or domain_ref is None:
        return
    name = spec.reset_sql if transition is Transition.RESET else spec.fail_sql
    if name is None:
        return
    execute(
        cur,
        name,
        {
            "job_id": job_id,
            "org_id": org_id,
            "object_id": object_id,
            "domain_ref": domain_ref,
            "last_error": last_error,
        },
    )
