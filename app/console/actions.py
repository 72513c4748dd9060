"""What an operator can do from the console, each signed with who did it.

Requeue and cancel run the operator CLI's own statements (``ops_retry``, ``client_cancel``) and,
in the same transaction, write who did it into the job's log. Bulk requeues go in batches of
:data:`BATCH` rows, each its own short transaction, at most :data:`BULK_MAX` per request. Pausing
a job type or a queue is a row in ``dramatiq.finapilot_paused``, which the bridge's dispatch reads:
nothing new of it is dispatched until it is resumed; what already runs finishes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from app.console.config import ConsoleSettings
from app.db import Database, execute, jsonb
from app.logging_setup import log_event

logger = logging.getLogger(__name__)

BATCH = 500
BULK_MAX = 10_000
#: The message ops_retry writes (app/sql/ops.sql); the console signs that entry.
REQUEUED_MSG = "Requeued by operator"


class PauseKind(StrEnum):
    """What can be paused (``dramatiq.finapilot_paused.kind``)."""

    JOB_TYPE = "job_type"
    QUEUE = "queue"


class ConsoleActions:
    """The write side of the console; every method takes the actor's name."""

    def __init__(self, db: Database, settings: ConsoleSettings) -> None:
        self.db = db
        self.settings = settings

    @contextmanager
    def write(self) -> Iterator[Any]:
        with self.db.transaction() as cur:
            execute(cur, "console_write_limits", self.settings.limits)
            yield cur

    def retry(self, job_ids: list[str], actor: str) -> list[dict[str, Any]]:
        """The backend's admin requeue (queued, attempts 0) of the jobs that have ended or wait
        for a retry; returns the ones requeued."""
        with self.write() as cur:
            rows = execute(
                cur,
                "ops_retry",
                {"job_ids": job_ids, "max_entries": self.settings.base.log_max_entries},
            )
            if rows:
                execute(
                    cur,
                    "console_log_sign",
                    {"job_ids": [r["id"] for r in rows], "actor": actor, "msg": REQUEUED_MSG},
                )
        for row in rows:
            log_event(
                logger,
                logging.INFO,
                "console_requeued",
                job_id=row["id"],
                job_type=row["job_type"],
                by=actor,
            )
        return rows

    def cancel(self, job_id: str, actor: str) -> str | None:
        """Cancel as the backend's route does; returns the status after it, or None when the job
        had already ended."""
        with self.write() as cur:
            rows = execute(cur, "client_cancel", {"job_id": job_id})
            if not rows:
                return None
            status = str(rows[0]["status"])
            msg = (
                "Cancelled by operator" if status == "cancelled" else "Cancel requested by operator"
            )
            execute(
                cur,
                "console_log_action",
                {
                    "job_id": job_id,
                    "msg": msg,
                    "actor": actor,
                    "meta": jsonb({}),
                    "max_entries": self.settings.base.log_max_entries,
                },
            )
        log_event(logger, logging.INFO, "console_cancelled", job_id=job_id, status=status, by=actor)
        return status

    def requeue_group(self, job_type: str, pattern: str, since: dt.datetime, actor: str) -> int:
        """Requeue the dead letters of one type and error pattern that ended since ``since``."""
        params = {"job_type": job_type, "pattern": pattern, "since": since}
        return self._bulk(
            lambda cur: execute(cur, "console_dead_group_ids", {**params, "limit": BATCH}), actor
        )

    def requeue_dead_since(self, job_type: str, since: dt.datetime, actor: str) -> int:
        """The CLI's ``requeue-dead``: every dead letter of a type that ended since ``since``."""
        with self.write() as cur:
            ids = [
                r["id"]
                for r in execute(
                    cur, "ops_dead_since", {"job_type": job_type, "since": since, "org_id": None}
                )
            ]
        done = 0
        for start in range(0, min(len(ids), BULK_MAX), BATCH):
            done += len(self.retry(ids[start : start + BATCH], actor))
        return done

    def _bulk(self, next_ids: Any, actor: str) -> int:
        done = 0
        while done < BULK_MAX:
            with self.write() as cur:
                ids = [r["id"] for r in next_ids(cur)]
            if not ids:
                break
            requeued = self.retry(ids, actor)
            if not requeued:  # changed under us (requeued by someone else): stop, never spin
                break
            done += len(requeued)
        return done

    def pause(self, kind: PauseKind, name: str, actor: str) -> bool:
        """Stop the bridge dispatching this job type or queue; False if it already was."""
        with self.write() as cur:
            changed = bool(
                execute(cur, "console_pause", {"kind": kind.value, "name": name, "actor": actor})
            )
        log_event(logger, logging.WARNING, "console_paused", kind=kind.value, name=name, by=actor)
        return changed

    def resume(self, kind: PauseKind, name: str, actor: str) -> bool:
        """Let the bridge dispatch it again; False if it was not paused."""
        with self.write() as cur:
            changed = bool(execute(cur, "console_resume", {"kind": kind.value, "name": name}))
        log_event(logger, logging.WARNING, "console_resumed", kind=kind.value, name=name, by=actor)
        return changed
