"""Follow-up jobs a type inserts in its final success transaction (C§4.9, CONTRACT-2 §0.3)."""

from __future__ import annotations

from typing import Any

import psycopg2.extras

from app.db import execute, jsonb
from app.jobtypes.base import FollowUp
from app.settings import Settings

#: The columns the follow-up insert needs besides the core's ``jobs`` check.
FOLLOWUP_TABLES = {"jobs": ("idempotency_key",)}


def insert_followup(
    cur: psycopg2.extras.RealDictCursor,
    settings: Settings,
    followup: FollowUp,
    *,
    org_id: str | None,
    object_id: str | None,
    params: dict[str, Any],
    idempotency_key: str,
    priority: int | None = None,
) -> bool:
    """Insert ``followup`` in the backend's format, idempotent per key; True if inserted.

    A gated follow-up is inserted only when its type is in ``WORKER_FOLLOWUP_JOBS``.
    """
    spec = followup.job_type
    if followup.gated and spec.name not in settings.followup_jobs:
        return False
    execute(
        cur,
        "followup_insert",
        {
            "job_type": spec.name,
            "org_id": org_id,
            "object_id": object_id,
            "params": jsonb(params),
            "priority": followup.priority if priority is None else priority,
            "queue": spec.queue,
            "idempotency_key": idempotency_key,
        },
    )
    return cur.rowcount == 1
