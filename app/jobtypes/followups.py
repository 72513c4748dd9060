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
) -> str | None:
    """Insert ``followup`` in the backend's format, idempotent per key.

    A gated follow-up is inserted only when its type is in ``WORKER_FOLLOWUP_JOBS``.

    Returns:
        The id of the job holding ``idempotency_key`` (inserted now or by an earlier attempt),
        or None when the follow-up is gated off.
    """
    spec = followup.job_type
    if followup.gated and spec.name not in settings.followup_jobs:
        return None
    inserted = execute(
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
    if inserted:
        return str(inserted[0]["id"])
    existing = execute(cur, "followup_by_key", {"idempotency_key": idempotency_key})
    return str(existing[0]["id"]) if existing else None
