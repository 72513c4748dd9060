"""Shared pieces of the final success transaction: billing rows and follow-up jobs."""

from __future__ import annotations

from typing import Any, TypeAlias

import psycopg2.extras

from app.db import execute, jsonb
from app.settings import Settings

Cursor: TypeAlias = psycopg2.extras.RealDictCursor


def insert_billing(
    cur: Cursor,
    settings: Settings,
    *,
    org_id: str | None,
    prefix: str,
    cpu_seconds: float,
    with_cost: bool,
) -> None:
    """``<prefix>_cpu_seconds`` and, if asked and not 0, ``<prefix>_compute_cost`` (§5.0)."""
    cpu = round(max(0.0, cpu_seconds), 6)
    execute(
        cur, "billing_insert", {"org_id": org_id, "metric": f"{prefix}_cpu_seconds", "value": cpu}
    )
    cost = round(cpu / 3600 * settings.compute_cost_per_hour, 8)
    if with_cost and cost != 0:
        execute(
            cur,
            "billing_insert",
            {"org_id": org_id, "metric": f"{prefix}_compute_cost", "value": cost},
        )


def insert_followup(
    cur: Cursor,
    settings: Settings,
    *,
    job_type: str,
    org_id: str | None,
    object_id: str | None,
    params: dict[str, Any],
    priority: int,
    idempotency_key: str,
) -> bool:
    """Insert a follow-up job if its type is enabled (WORKER_FOLLOWUP_JOBS); True if inserted."""
    if job_type not in settings.followup_jobs:
        return False
    execute(
        cur,
        "followup_insert",
        {
            "job_type": job_type,
            "org_id": org_id,
            "object_id": object_id,
            "params": jsonb(params),
            "priority": priority,
            "idempotency_key": idempotency_key,
        },
    )
    return cur.rowcount == 1


def db_now(cur: Cursor) -> tuple[Any, str]:
    """The database's ``now()`` and its ISO-8601 ``Z`` form."""
    row = execute(cur, "db_now")[0]
    return row["now"], row["iso"]
