"""The bridge's database calls, apart from its loop (dispatch, window, liveness, reaper, purge,
stats)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app import messages, serving
from app.db import Database, execute, jsonb
from app.jobtypes import REGISTRY, Transition
from app.logging_setup import log_event
from app.retry import Outcome, RetryDecision
from app.settings import Settings

logger = logging.getLogger(__name__)

#: Bridges take turns at dispatch under this transaction-level advisory lock.
DISPATCH_LOCK_KEY = 7_240_002
#: Rows the reaper handles per statement.
REAP_BATCH = 500
#: A message still queued this long after it was written is announced again.
RENOTIFY_AFTER_S = 5.0


@dataclass
class DispatchResult:
    dispatched: int = 0
    window_full: bool = False
    by_type: Counter[str] = field(default_factory=Counter)
    window: dict[str, tuple[int, int]] = field(default_factory=dict)  # queue -> (size, in use)


@dataclass
class ReapResult:
    released: list[dict[str, Any]] = field(default_factory=list)  # worker died
    undelivered: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    renotified: int = 0
    forgotten: list[str] = field(default_factory=list)  # presence rows of dead processes


@dataclass(frozen=True)
class LivenessCheck:
    """What one liveness statement saw."""

    server_up_s: float
    lost: tuple[str, ...]  # worker processes whose session lock is gone
    alive: tuple[str, ...] = ()  # those that hold it
    server_started_s: float = 0.0  # the server's start (Unix time): tells one restart from another


class BridgeManager:
    """Every statement the bridge runs, each in its own short transaction."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.routes = REGISTRY.routes(settings.job_types)
        self.queues = sorted({r["queue"] for r in self.routes})
        self.domain_refs = jsonb(REGISTRY.domain_refs())
        self.policy = settings.retry_policy

    def window_size(self, threads: int) -> int:
        """Messages allowed outstanding for a queue served by ``threads`` live worker threads."""
        return messages.window_size(self.settings, threads)

    def dispatch(self) -> DispatchResult:
        """Claim due rows into free window slots and hand them to dramatiq-pg, atomically."""
        result = DispatchResult()
        with self.db.transaction() as cur:
            if not execute(cur, "bridge_window_lock", {"lock_key": DISPATCH_LOCK_KEY})[0]["locked"]:
                result.window_full = True  # another bridge is dispatching right now
                return result
            slots = []
            for row in execute(
                cur,
                "bridge_window",
                {"queues": self.queues, "presence_s": self.settings.worker_presence_s},
            ):
                size = self.window_size(row["threads"])
                result.window[row["queue"]] = (size, row["outstanding"])
                free = size - row["outstanding"]
                # Coalesce: while work is in flight, wait until a quarter of the window is free.
                if free > 0 and (row["outstanding"] == 0 or free >= max(1, size // 4)):
                    slots.append({"queue": row["queue"], "n": free})
            if not slots:
                result.window_full = True
                return result
            execute(cur, "bridge_plan_settings")
            rows = execute(
                cur,
                "bridge_dispatch",
                {
                    "routes": jsonb(self.routes),
                    "slots": jsonb(slots),
                    "lease_s": self.settings.lease_s,
                },
            )
        result.dispatched = len(rows)
        result.by_type.update(r["job_type"] for r in rows)
        result.window_full = result.dispatched >= sum(s["n"] for s in slots)
        _log_rows(rows, logging.DEBUG, "job_dispatched")
        return result

    def check_liveness(self) -> LivenessCheck:
        """One cheap statement: the processes whose session lock is gone, and server uptime."""
        row = self.db.run("bridge_liveness_check")[0]
        return LivenessCheck(
            server_up_s=float(row["server_up_s"]),
            lost=tuple(row["lost"]),
            alive=tuple(row["alive"]),
            server_started_s=float(row["server_started_s"]),
        )

    def release_lost(self, workers: Sequence[str]) -> ReapResult:
        """Give back at once the jobs of worker processes found dead (their session is gone):
        running ones by the one retry decision, taken-but-not-started ones with attempts
        unchanged; then forget those processes. Each is re-checked in the transaction."""
        result = ReapResult()
        with self.db.transaction() as cur:
            self._recover(cur, result, lost=list(workers))
            forgotten = execute(cur, "bridge_forget_workers", {"workers": list(workers)})
            result.forgotten = [r["worker_id"] for r in forgotten]
        self._log_recovered(result)
        for worker in result.forgotten:
            log_event(logger, logging.WARNING, "worker_lost", worker_id=worker)
        return result

    def _recover(self, cur: Any, result: ReapResult, *, lost: list[str]) -> None:
        """Jobs of dead workers back to retrying (or dead_letter), lost hand-offs re-queued."""
        result.released = self._release_expired(cur, lost)
        for row in result.released:
            transition = Transition.RESET if row["status"] == "retrying" else Transition.FAIL
            self._domain(cur, row, transition)
        result.undelivered = execute(
            cur,
            "reaper_undelivered",
            {"types": list(self.settings.job_types), "limit": REAP_BATCH, "lost": lost},
        )
        stale = [r["job_id"] for r in result.released + result.undelivered]
        if stale:
            execute(cur, "reaper_reject_messages", {"job_ids": stale})

    def reap(self) -> ReapResult:
        """Recover jobs whose lease expired, re-dispatch lost hand-offs, end cancelled waiters."""
        s = self.settings
        types = list(s.job_types)
        result = ReapResult()
        with self.db.transaction() as cur:
            self._recover(cur, result, lost=[])
            result.cancelled = execute(
                cur,
                "reaper_cancel_waiting",
                {
                    "types": types,
                    "limit": REAP_BATCH,
                    "max_entries": s.log_max_entries,
                    "domain_refs": self.domain_refs,
                },
            )
            for row in result.cancelled:
                self._domain(cur, row, Transition.FAIL)
            result.renotified = execute(
                cur, "bridge_renotify_waiting", {"age_s": RENOTIFY_AFTER_S}
            )[0]["n"]
        self._log_recovered(result)
        _log_rows(result.cancelled, logging.INFO, "job_cancelled", at="waiting")
        return result

    @staticmethod
    def _log_recovered(result: ReapResult) -> None:
        for reason in ("session-lost", "lease-expired"):
            rows = [r for r in result.released if r["reason"] == reason]
            _log_rows(rows, logging.WARNING, "job_reaped", reason=reason)
        _log_rows(result.undelivered, logging.WARNING, "job_redispatch", reason="message-lost")

    def decide_expired(self, row: dict[str, Any]) -> RetryDecision:
        """The retry decision for a job whose worker died (the same one the worker uses)."""
        spec = REGISTRY.get(row["job_type"])
        policy = self.policy.for_type(spec.retry) if spec else self.policy
        return policy.decide(
            job_id=row["job_id"],
            attempts=row["attempts"],
            max_attempts=row["max_attempts"],
            retryable=True,
            crashes=row["crashes"],
        )

    def _release_expired(self, cur: Any, lost: list[str]) -> list[dict[str, Any]]:
        """Jobs of dead workers (``lost`` sessions, expired leases): select and lock, decide
        each in Python, write the decisions at once."""
        s = self.settings
        expired = execute(
            cur,
            "reaper_expired_select",
            {"types": list(s.job_types), "lease_s": s.lease_s, "limit": REAP_BATCH, "lost": lost},
        )
        if not expired:
            return []
        decisions = []
        reasons = {}
        for row in expired:
            decision = self.decide_expired(row)
            worker = row["old_worker"] or "?"
            if row["session_lost"]:
                kind, what = "WorkerLost", f"worker {worker} lost its database session"
                log_msg = f"Worker lost; {what}"
            else:
                kind, what = "LeaseExpired", f"worker {worker} stopped heartbeating"
                log_msg = f"Lease expired; {what}"
            if decision.quarantined:
                error = (
                    f"Quarantined: the job stopped its worker {row['crashes']} times "
                    f"(last: {worker}); not retried"
                )
            else:
                error = f"{kind}: {what}"
            reasons[row["job_id"]] = "session-lost" if row["session_lost"] else "lease-expired"
            decisions.append(
                {
                    "job_id": row["job_id"],
                    "status": decision.status.value,
                    "delay_s": decision.delay_s if decision.status is Outcome.RETRYING else 0,
                    "last_error": error,
                    "log_msg": log_msg,
                    "counts_attempt": decision.counts_attempt,
                }
            )
        released = execute(
            cur,
            "reaper_expired_apply",
            {
                "decisions": jsonb(decisions),
                "max_entries": s.log_max_entries,
                "domain_refs": self.domain_refs,
            },
        )
        for row in released:
            row["reason"] = reasons[row["job_id"]]
        return released

    @staticmethod
    def _domain(cur: Any, row: dict[str, Any], transition: Transition) -> None:
        spec = REGISTRY.get(row["job_type"])
        if spec is None:
            return
        spec.move_domain_row(
            cur,
            transition,
            job_id=row["job_id"],
            org_id=row["org_id"],
            object_id=row["object_id"],
            domain_ref=row["domain_ref"],
            last_error=row["last_error"],
        )

    def purge(self) -> int:
        """Delete finished dramatiq-pg messages older than ``BRIDGE_PURGE_AGE_SECONDS``."""
        return messages.purge_finished(self.db, age_s=self.settings.purge_age_s)

    def stats(self) -> dict[str, Any]:
        """Numbers for the metrics: jobs by status, oldest due age, dramatiq-pg rows, locks, and
        the waiting jobs of claimed types that no live worker serves (read only)."""
        types = {"types": list(self.settings.job_types)}
        with self.db.transaction() as cur:
            return {
                "jobs": execute(cur, "stats_jobs_by_status", types),
                "oldest_due_s": messages.oldest_due_s(cur, self.settings.job_types),
                "messages": messages.message_counts(cur),
                "advisory_locks": messages.advisory_locks(cur),
                "unserved": serving.unserved_waiting(
                    cur, self.settings.job_types, self.settings.worker_presence_s
                ),
            }


def _log_rows(rows: list[dict[str, Any]], level: int, event: str, **extra: Any) -> None:
    """One line per job row the bridge moved (its id, type, and status or queue)."""
    for row in rows:
        log_event(
            logger,
            level,
            event,
            job_id=row["job_id"],
            job_type=row["job_type"],
            status=row.get("status"),
            queue=row.get("queue_name"),
            **extra,
        )
