"""What the chaos run measures, read from the jobs' own logs after the run (no sampling delay):
for each SIGKILL, kill → the job running again on another worker and kill → the job completed;
for the database outage, the jobs it made run again.

Every ``Job started`` entry carries the worker and the moment (database clock, ms), so a job
killed twice is timed from each kill to the first start after it by another worker.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import Any

import psycopg2

TERMINAL = ("completed", "dead_letter", "cancelled", "failed")


def q(url: str, sql: str, params: Any = None) -> list[tuple]:
    conn = psycopg2.connect(url, connect_timeout=3)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.commit()
        conn.close()


def epoch(ts: str) -> float:
    """A log entry's ``ts`` (``YYYY-MM-DDTHH:MM:SS.mmmZ``) as Unix time."""
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


@dataclass
class Kill:
    """One fault: when (Unix time), what, and the jobs it hit."""

    at: float
    what: str
    worker_ids: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    sigkill: bool = False


def victims(url: str, pid: int) -> tuple[list[str], list[str]]:
    """The worker id of process ``pid`` and the jobs it holds: running ones, and those whose
    message it took but did not start yet."""
    ids = [
        r[0]
        for r in q(url, "SELECT worker_id FROM dramatiq.finapilot_workers WHERE pid = %s", (pid,))
    ]
    if not ids:
        return [], []
    rows = q(
        url,
        "SELECT j.id::text FROM jobs j WHERE j.status = 'running' AND (j.worker_id = ANY(%s) "
        " OR j.worker_id IN (SELECT 'dispatch:' || m.message_id::text FROM dramatiq.queue m "
        "                     WHERE m.state = 'consumed' AND m.consumer = ANY(%s)))",
        (ids, ids),
    )
    return ids, [r[0] for r in rows]


def logs_of(url: str, job_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    if not job_ids:
        return {}
    rows = q(url, "SELECT id::text, logs FROM jobs WHERE id = ANY(%s::uuid[])", (job_ids,))
    return {r[0]: (r[1] if isinstance(r[1], list) else []) for r in rows}


def _starts(logs: list[dict[str, Any]]) -> list[tuple[float, str]]:
    return [
        (epoch(e["ts"]), str((e.get("meta") or {}).get("workerId", "")))
        for e in logs
        if e.get("msg") == "Job started" and e.get("ts")
    ]


def _completed_at(logs: list[dict[str, Any]]) -> float | None:
    for e in logs:
        if e.get("msg") == "Job completed successfully" and e.get("ts"):
            return epoch(e["ts"])
    return None


CRASH_PREFIXES = ("Worker lost; ", "Lease expired; ")


@dataclass(frozen=True)
class JobTiming:
    """One killed job: seconds from the kill to its release (the bridge noticed), to its next
    start on another worker, and to its completion; and whether this was its first crash
    (a later crash backs off on purpose, issue 12)."""

    released_s: float | None
    again_s: float | None
    completed_s: float | None
    first_crash: bool


def kill_timings(kill: Kill, logs: dict[str, list[dict[str, Any]]]) -> list[JobTiming]:
    out = []
    for job_id in kill.jobs:
        entries = logs.get(job_id, [])
        crashes = [
            epoch(e["ts"])
            for e in entries
            if str(e.get("msg", "")).startswith(CRASH_PREFIXES) and e.get("ts")
        ]
        released = next((t - kill.at for t in crashes if t > kill.at), None)
        first = not [t for t in crashes if t <= kill.at]
        again = next(
            (t - kill.at for t, w in _starts(entries) if t > kill.at and w not in kill.worker_ids),
            None,
        )
        done = _completed_at(entries)
        if done is not None and done < kill.at:
            continue  # it finished between the look and the kill: the kill did not hit it
        out.append(
            JobTiming(
                released,
                again,
                None if done is None else done - kill.at,
                first,
            )
        )
    return out


def outage_reruns(running_at_start: list[str], at: float, url: str) -> list[str]:
    """Jobs running when the outage began that were started again after it began."""
    logs = logs_of(url, running_at_start)
    return sorted(j for j, entries in logs.items() if any(t > at for t, _ in _starts(entries)))


def p50_max(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"p50 {statistics.median(values):.1f} s, max {max(values):.1f} s (n={len(values)})"
