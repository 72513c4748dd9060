"""Job types that no live worker serves: jobs waiting with nobody to run them.

A worker process is live while its presence row (``dramatiq.finapilot_workers``, written by its
heartbeat) was seen within ``WORKER_PRESENCE_SECONDS``; it serves the job types routed to the
queues it consumes (all queues when it names none). A type not implemented here is served by no
worker of ours (the legacy worker's, if any). Read only: nothing here touches a job row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from app.db import execute
from app.jobtypes import REGISTRY

#: The presence window when the caller has no settings (``Settings.worker_presence_s``).
DEFAULT_PRESENCE_S = 15.0


def live_workers(cur: Any, presence_s: float) -> list[dict[str, Any]]:
    """Worker processes seen within ``presence_s`` seconds, with their queues and threads."""
    return execute(cur, "serving_live_workers", {"presence_s": presence_s})


def unserved_reason(job_type: str, workers: Sequence[dict[str, Any]]) -> str | None:
    """Why no live worker runs ``job_type`` (None when one does)."""
    spec = REGISTRY.get(job_type)
    if spec is None:
        return f"job type {job_type!r} is not declared in app/jobtypes"
    if not spec.implemented:
        return f"job type {job_type!r} is not implemented by this worker"
    if any(w["queues"] is None or spec.queue in w["queues"] for w in workers):
        return None
    return f"no live worker consumes queue {spec.queue!r}"


def unserved_waiting(cur: Any, job_types: Iterable[str], presence_s: float) -> list[dict[str, Any]]:
    """Each of ``job_types`` that no live worker serves, with its waiting jobs (0 included):
    ``[{job_type, queue, waiting, oldest_created_at, reason}]`` ordered by type."""
    workers = live_workers(cur, presence_s)
    unserved = {t: why for t in job_types if (why := unserved_reason(t, workers))}
    if not unserved:
        return []
    counts = {
        r["job_type"]: r
        for r in execute(cur, "serving_waiting_by_type", {"types": sorted(unserved)})
    }
    return [
        {
            "job_type": name,
            "queue": spec.queue if (spec := REGISTRY.get(name)) else None,
            "waiting": int(counts[name]["waiting"]) if name in counts else 0,
            "oldest_created_at": counts[name]["oldest_created_at"] if name in counts else None,
            "reason": why,
        }
        for name, why in sorted(unserved.items())
    ]
