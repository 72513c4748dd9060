"""The dramatiq-pg table's upkeep, the window rule and the queue's health numbers, shared by the
bridge (every ``BRIDGE_PURGE_INTERVAL_SECONDS``), the operator CLI (``jobs purge``, ``jobs stats``)
and the console."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.db import Database, execute

if TYPE_CHECKING:
    from app.settings import Settings


def window_size(settings: Settings, threads: int) -> int:
    """Messages the bridge lets be outstanding for a queue served by ``threads`` live threads."""
    return min(settings.window_max, math.ceil(threads * settings.window_per_thread))


def purge_finished(db: Database, *, age_s: float, dry_run: bool = False) -> int:
    """Delete (or with ``dry_run`` count) finished messages older than ``age_s`` seconds."""
    params = {"age_s": age_s}
    if dry_run:
        return int(db.run("bridge_count_finished", params)[0]["n"])
    with db.transaction() as cur:
        execute(cur, "bridge_purge_finished", params)
        return int(cur.rowcount)


def oldest_due_s(cur: Any, job_types: Sequence[str]) -> float:
    """Age of the oldest runnable job of these types (0 when none waits)."""
    return float(execute(cur, "stats_oldest_due", {"types": list(job_types)})[0]["age_s"])


def message_counts(cur: Any) -> list[dict[str, Any]]:
    """dramatiq-pg rows by queue and state."""
    return execute(cur, "stats_dramatiq_queue")


def advisory_locks(cur: Any) -> int:
    return int(execute(cur, "stats_advisory_locks")[0]["n"])
