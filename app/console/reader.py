"""What the console's pages read: each in one read-only transaction with short timeouts.

The overview is computed at most once per ``CONSOLE_OVERVIEW_SECONDS`` (its refresh interval) for
everyone looking at it, so ten open tabs cost the database what one does.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app import messages, serving
from app.console.config import ConsoleSettings
from app.console.jobs_list import Cursor, JobFilters, JobsPage, JobsQuery
from app.db import Database, execute, jsonb
from app.job import JobStatus
from app.jobtypes import QUEUES, REGISTRY, JobType

#: Ended jobs are counted among those created in this window (the history is not scanned).
RECENT = dt.timedelta(hours=24)
#: The throughput chart covers the last hour of ends, among jobs created in this window.
THROUGHPUT_CREATED_WITHIN = dt.timedelta(hours=24)
ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value, JobStatus.RETRYING.value)
ENDED = (
    JobStatus.COMPLETED.value,
    JobStatus.DEAD_LETTER.value,
    JobStatus.CANCELLED.value,
    JobStatus.FAILED.value,
)


@dataclass(frozen=True)
class QueueState:
    queue: str
    waiting: int
    oldest_due_s: float | None
    threads: int
    window_size: int
    window_in_use: int
    paused_by: str | None


@dataclass(frozen=True)
class Unserved:
    """A job type with runnable jobs that nothing will run now, and why."""

    job_type: str
    queue: str
    waiting: int
    reason: str


@dataclass(frozen=True)
class Overview:
    at: dt.datetime
    job_types: list[str]
    counts: dict[tuple[str, str], int]
    throughput: list[dict[str, Any]]  # per minute: minute, completed, dead_letter, cancelled
    queues: list[QueueState]
    workers: list[dict[str, Any]]
    unserved: list[Unserved]
    paused: list[dict[str, Any]]


class ConsoleReader:
    """The read side of the console over a small pool."""

    def __init__(self, db: Database, settings: ConsoleSettings) -> None:
        self.db = db
        self.settings = settings
        self.base = settings.base
        self.domain_refs = jsonb(REGISTRY.domain_refs())
        self.jobs_query = JobsQuery()
        self._overview: tuple[float, Overview] | None = None
        self._overview_lock = threading.Lock()

    @contextmanager
    def read(self) -> Iterator[Any]:
        """A read-only transaction bounded by the console's statement and lock timeouts."""
        with self.db.transaction() as cur:
            execute(cur, "console_read_only", self.settings.limits)
            yield cur

    def healthy(self) -> bool:
        with self.read() as cur:
            return bool(execute(cur, "console_health")[0]["ok"])

    def can_act(self) -> bool:
        with self.read() as cur:
            return bool(execute(cur, "console_privileges")[0]["can_act"])

    def schema_ready(self) -> bool:
        with self.read() as cur:
            return bool(execute(cur, "console_schema_ready")[0]["ready"])

    # Overview ----------------------------------------------------------------------------

    def overview(self) -> Overview:
        with self._overview_lock:
            cached = self._overview
            if cached and time.monotonic() - cached[0] < self.settings.overview_refresh_s:
                return cached[1]
            fresh = self._compute_overview()
            self._overview = (time.monotonic(), fresh)
            return fresh

    def forget_overview(self) -> None:
        """After an action: the next overview shows its effect."""
        with self._overview_lock:
            self._overview = None

    def _compute_overview(self) -> Overview:
        now = dt.datetime.now(dt.UTC)
        with self.read() as cur:
            active = execute(cur, "console_overview_active")
            ended = execute(
                cur,
                "console_overview_ended",
                {
                    "statuses": list(ENDED),
                    "since": now - RECENT,
                    "hour_ago": now - dt.timedelta(hours=1),
                },
            )
            workers = execute(cur, "console_workers", {"presence_s": self.base.worker_presence_s})
            window = execute(
                cur,
                "bridge_window",
                {"queues": list(QUEUES), "presence_s": self.base.worker_presence_s},
            )
            paused = execute(cur, "console_paused")
        counts: dict[tuple[str, str], int] = {}
        for row in active + [r for r in ended if r["minute"] is None]:
            key = (row["job_type"], row["status"])
            counts[key] = counts.get(key, 0) + int(row["n"])
        waiting = _waiting(active)
        job_types = sorted({t for t, _ in counts} | set(self.base.job_types))
        return Overview(
            at=now,
            job_types=job_types,
            counts=counts,
            throughput=_per_minute([r for r in ended if r["minute"] is not None], now),
            queues=self._queues(waiting, window, paused, now),
            workers=workers,
            unserved=self._unserved(waiting, workers, paused),
            paused=paused,
        )

    def _queues(
        self,
        waiting: list[dict[str, Any]],
        window: list[dict[str, Any]],
        paused: list[dict[str, Any]],
        now: dt.datetime,
    ) -> list[QueueState]:
        paused_queues = {p["name"]: p["paused_by"] for p in paused if p["kind"] == "queue"}
        by_queue: dict[str, tuple[int, dt.datetime | None]] = {}
        for row in waiting:
            n, oldest = by_queue.get(row["queue"], (0, None))
            due = row["oldest_due"]
            by_queue[row["queue"]] = (n + int(row["due"]), min(oldest, due) if oldest else due)
        states = []
        capacity = {w["queue"]: w for w in window}
        for queue in sorted(set(by_queue) | set(capacity)):
            n, oldest = by_queue.get(queue, (0, None))
            win = capacity.get(queue, {"threads": 0, "outstanding": 0})
            states.append(
                QueueState(
                    queue=queue,
                    waiting=n,
                    oldest_due_s=max(0.0, (now - oldest).total_seconds()) if oldest else None,
                    threads=int(win["threads"]),
                    window_size=messages.window_size(self.base, int(win["threads"])),
                    window_in_use=int(win["outstanding"]),
                    paused_by=paused_queues.get(queue),
                )
            )
        return states

    def _unserved(
        self,
        waiting: list[dict[str, Any]],
        workers: list[dict[str, Any]],
        paused: list[dict[str, Any]],
    ) -> list[Unserved]:
        """Waiting job types nothing will run now: the bridge's reasons (app/serving.py), and
        those of this deployment (not claimed, paused)."""
        paused_by = {(p["kind"], p["name"]): p["paused_by"] for p in paused}
        found = []
        for row in sorted(waiting, key=lambda r: (r["job_type"], r["queue"])):
            job_type = row["job_type"]
            reason = serving.unserved_reason(job_type, workers)
            spec = REGISTRY.get(job_type)
            if reason is None and spec is not None:
                if job_type not in self.base.job_types:
                    reason = "not listed in WORKER_JOB_TYPES"
                elif ("job_type", job_type) in paused_by:
                    reason = f"paused by {paused_by[('job_type', job_type)]}"
                elif ("queue", spec.queue) in paused_by:
                    reason = f"queue {spec.queue} paused by {paused_by[('queue', spec.queue)]}"
            if reason:
                found.append(Unserved(job_type, row["queue"], int(row["due"]), reason))
        return found

    # Jobs ----------------------------------------------------------------------------------

    def jobs_page(self, filters: JobFilters, cursor: Cursor | None) -> JobsPage:
        with self.read() as cur:
            return self.jobs_query.page(cur, filters, cursor, dt.datetime.now(dt.UTC))

    def job_types_present(self) -> list[str]:
        with self.read() as cur:
            return [r["job_type"] for r in execute(cur, "console_job_types")]

    def job(self, job_id: str, *, domain: bool = True) -> dict[str, Any] | None:
        """The row with its logs (parameter values hidden, as ``jobs show``), the domain row
        (unless ``domain`` is False) and the result (Monte Carlo percentiles, an export's file)."""
        with self.read() as cur:
            job, spec = self._show(cur, job_id)
            if job is None:
                return None
            ref = job["domain_ref"]
            domain_rows: list[dict[str, Any]] = []
            if domain and spec and spec.domain and spec.domain.show_sql and ref:
                domain_rows = execute(cur, spec.domain.show_sql, {"ref": ref, "job_id": job_id})
            scope = {"ref": ref or "", "org_id": job["org_id"]}
            monte_carlo = None
            if spec and spec.domain and spec.domain.table == "monte_carlo_jobs" and ref:
                found = execute(cur, "console_monte_carlo_result", scope)
                monte_carlo = found[0] if found else None
            export = None
            if spec and spec.domain and spec.domain.table == "exports" and ref:
                found = execute(cur, "console_export_summary", scope)
                export = _export_summary(found[0]) if found else None
        return {"job": job, "domain": domain_rows, "simulation": monte_carlo, "export": export}

    def _show(self, cur: Any, job_id: str) -> tuple[dict[str, Any] | None, JobType | None]:
        """The CLI's ``ops_show`` row (logs with parameters hidden) and its type's declaration."""
        rows = execute(cur, "ops_show", {"job_id": job_id, "domain_refs": self.domain_refs})
        if not rows:
            return None, None
        return rows[0], REGISTRY.get(rows[0]["job_type"])

    def export_file(self, job_id: str) -> dict[str, Any] | None:
        """The export row of an export job, with its bytes or S3 key (org-scoped)."""
        with self.read() as cur:
            job, spec = self._show(cur, job_id)
            if job is None or not (
                spec and spec.domain and spec.domain.table == "exports" and job["domain_ref"]
            ):
                return None
            found = execute(
                cur, "console_export_file", {"ref": job["domain_ref"], "org_id": job["org_id"]}
            )
        return found[0] if found else None

    # Dead letters --------------------------------------------------------------------------

    def dead_groups(self, since: dt.datetime) -> list[dict[str, Any]]:
        with self.read() as cur:
            return execute(cur, "console_dead_groups", {"since": since})


def _waiting(active: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runnable jobs by type and queue: how many, and the moment the oldest became due."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row in active:
        if not row["due"]:
            continue
        key = (row["job_type"], row["queue"])
        seen = found.setdefault(
            key, {"job_type": key[0], "queue": key[1], "due": 0, "oldest_due": None}
        )
        seen["due"] += int(row["due"])
        oldest = seen["oldest_due"]
        seen["oldest_due"] = row["oldest_due"] if oldest is None else min(oldest, row["oldest_due"])
    return list(found.values())


def _per_minute(rows: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """Sixty minutes, oldest first, each with its counts by outcome (0 where none ended)."""
    start = (now - dt.timedelta(minutes=59)).replace(second=0, microsecond=0)
    minutes = [start + dt.timedelta(minutes=i) for i in range(60)]
    table = {m: {"minute": m, "completed": 0, "dead_letter": 0, "cancelled": 0} for m in minutes}
    for row in rows:
        minute = row["minute"].astimezone(dt.UTC)
        if minute in table:
            table[minute][row["status"]] = int(row["n"])
    return [table[m] for m in minutes]


def _export_summary(row: dict[str, Any]) -> dict[str, Any]:
    stored = row["in_s3"] or row["size"] is not None
    return {**row, "downloadable": row["status"] == "completed" and stored}
