"""What every finished computation of a model run writes besides its own rows: the billing rows
and the ``alert_check`` follow-up that evaluates the org's alert rules against the run."""

from __future__ import annotations

from typing import Any

import psycopg2.extras

from app.jobtypes import alert_check
from app.jobtypes.base import FollowUp, JobType
from app.jobtypes.billing import insert_billing
from app.jobtypes.followups import insert_followup
from app.settings import Settings

ALERT_CHECK = FollowUp(alert_check.JOB_TYPE, priority=80)


def record_run_outcome(
    cur: psycopg2.extras.RealDictCursor,
    settings: Settings,
    *,
    source: JobType,
    source_id: str,
    org_id: str,
    model_run_id: str,
    cpu_seconds: float,
    with_cost: bool,
    params: dict[str, Any] | None = None,
) -> None:
    """Billing (``<source>_cpu_seconds``, and the cost when asked) and the follow-up
    ``alert_check`` on ``model_run_id``, idempotent per source row (contract §4.9, §5.0)."""
    insert_billing(
        cur,
        settings,
        org_id=org_id,
        prefix=source.name,
        cpu_seconds=cpu_seconds,
        with_cost=with_cost,
    )
    insert_followup(
        cur,
        settings,
        ALERT_CHECK,
        org_id=org_id,
        object_id=model_run_id,
        params={"source": source.name, **(params or {})},
        idempotency_key=f"{ALERT_CHECK.job_type.name}:{source.name}:{source_id}",
    )
