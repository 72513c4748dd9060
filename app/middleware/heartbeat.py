"""Heartbeat: one statement extends the lease of every job this process runs (contract §4.3).

It runs on its own thread and on the process's liveness session (:mod:`app.liveness`: one
long-lived connection holding the lock that tells the bridge this process lives), so a long
computation cannot starve it. A returned ``cancel_requested`` raises the job's cancel flag; a
job id not returned has lost its lease. The same tick records this process in
``dramatiq.finapilot_workers`` (queues, threads, lock key), from which the bridge derives its
window. When the session breaks (a database restart, a network cut) the thread reconnects at
once and beats right away, so leases keep being extended as soon as the database is back.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import dramatiq

from app.jobcontext import ACTIVE
from app.liveness import LivenessSession
from app.logging_setup import log_event
from app.settings import Settings

logger = logging.getLogger(__name__)

#: While the database cannot be reached, the session is retried this often.
RECONNECT_INTERVAL_S = 0.5


class Heartbeat(dramatiq.Middleware):
    """Lease extension, cancel flags, presence and liveness, every ``heartbeat_s``."""

    def __init__(self, session: LivenessSession, settings: Settings, worker_id: str) -> None:
        self.session = session
        self.settings = settings
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._presence: dict[str, object] | None = None
        self._failing_since: float | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        whitelist = worker.consumer_whitelist
        queues = sorted(whitelist) if whitelist else None
        self._presence = {
            "worker_id": self.worker_id,
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "parent_pid": os.getppid(),
            "queues": queues,
            "threads": worker.worker_threads,
            "draining": False,
        }
        self.tick()
        self._thread = threading.Thread(target=self._run, name="finapilot-heartbeat", daemon=True)
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Leave the bridge's window at once (no new work for this process); the lock, the
        # presence row and the leases stay while running jobs finish.
        if self._presence is None:
            return
        self._presence["draining"] = True
        try:
            self._upsert_presence()
        except Exception:
            log_event(logger, logging.WARNING, "worker_drain_failed", worker_id=self.worker_id)

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.session.run("worker_presence_delete", {"worker_id": self.worker_id})
        except Exception:
            log_event(
                logger, logging.WARNING, "worker_presence_delete_failed", worker_id=self.worker_id
            )
        self.session.close()  # the session ends: its lock goes with it

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.tick():
                self.session.wait(self.settings.heartbeat_s, self._stop)
            else:
                self._stop.wait(RECONNECT_INTERVAL_S)

    def tick(self) -> bool:
        """Reconnect the session if needed, then beat; False when the database is unreachable."""
        try:
            if self.session.ensure():
                log_event(
                    logger,
                    logging.INFO if self.session.sessions == 1 else logging.WARNING,
                    "worker_session_connected",
                    worker_id=self.worker_id,
                    lock_key=self.session.lock_key,
                    reconnect=self.session.sessions > 1,
                )
            self.beat()
        except Exception as exc:
            if self._failing_since is None:
                self._failing_since = time.monotonic()
                log_event(
                    logger,
                    logging.WARNING,
                    "heartbeat_failed",
                    worker_id=self.worker_id,
                    error=type(exc).__name__,
                    running=len(ACTIVE),
                )
            return False
        if self._failing_since is not None:
            log_event(
                logger,
                logging.WARNING,
                "heartbeat_restored",
                worker_id=self.worker_id,
                after_s=round(time.monotonic() - self._failing_since, 1),
                running=len(ACTIVE),
            )
            self._failing_since = None
        return True

    def _upsert_presence(self) -> None:
        if self._presence is not None:
            self.session.run(
                "worker_presence_upsert", {**self._presence, "lock_key": self.session.lock_key}
            )

    def beat(self) -> None:
        """One tick: presence, then the leases of the running jobs."""
        self._upsert_presence()
        running = ACTIVE.snapshot()
        if not running:
            return
        rows = self.session.run(
            "job_heartbeat",
            {
                "job_ids": [ctx.job.id for ctx in running],
                "worker_id": self.worker_id,
                "lease_s": self.settings.lease_s,
            },
        )
        alive = {row["id"]: row["cancel_requested"] for row in rows}
        for ctx in running:
            if ctx.job.id not in alive:
                if ctx in ACTIVE.snapshot():
                    log_event(
                        logger,
                        logging.WARNING,
                        "job_lease_lost",
                        at="heartbeat",
                        **ctx.log_fields(),
                    )
                    ctx.mark_lease_lost()
            elif alive[ctx.job.id]:
                ctx.request_cancel()
