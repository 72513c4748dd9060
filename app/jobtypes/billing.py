"""Billing rows of the final success transaction (contract §5.0)."""

from __future__ import annotations

import psycopg2.extras

from app.db import execute
from app.settings import Settings

BILLING_TABLES = {"billing_usage": ("org_id", "metric", "value", "bucket_time")}
CPU_SECONDS_DECIMALS = 6
COST_DECIMALS = 8


def insert_billing(
    cur: psycopg2.extras.RealDictCursor,
    settings: Settings,
    *,
    org_id: str | None,
    prefix: str,
    cpu_seconds: float,
    with_cost: bool,
) -> None:
    """``<prefix>_cpu_seconds`` and, if asked and not 0, ``<prefix>_compute_cost``."""
    cpu = round(max(0.0, cpu_seconds), CPU_SECONDS_DECIMALS)
    execute(
        cur, "billing_insert", {"org_id": org_id, "metric": f"{prefix}_cpu_seconds", "value": cpu}
    )
    cost = round(cpu / 3600 * settings.compute_cost_per_hour, COST_DECIMALS)
    if with_cost and cost != 0:
        execute(
            cur,
            "billing_insert",
            {"org_id": org_id, "metric": f"{prefix}_compute_cost", "value": cost},
        )
