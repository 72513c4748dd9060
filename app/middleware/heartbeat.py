"""Heartbeat: one statement extends the lease of every job this process runs (contract §4.3).

It runs on its own thread and connection, so a long computation cannot starve it. A returned
``cancel_requested`` raises the job's cancel flag; a job id not returned has lost its lease.
The same tick records this process in ``dramatiq.finapilot_workers`` (its queues and threads),
from which the bridge derives its window.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

import dramatiq

from app.db import Database
from app.jobcontext import ACTIVE
from app.logging_setup import log_event
from app.settings import Settings

logger = logging.getLogger(__name__)


class Heartbeat(dramatiq.Middleware):
    """Lease extension, cancel flags and worker presence, every ``heartbeat_s``."""

    def __init__(self, db: Database, settings: Settings, worker_id: str) -> None:
        self.db = db
        self.settings = settings
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._presence: dict[str, object] | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        whitelist = worker.consumer_whitelist
        queues = sorted(whitelist) if whitelist else None
        self._presence = {
            "worker_id": self.worker_id,
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "queues": queues,
            "threads": worker.worker_threads,
        }
        self.beat()
        self._thread = threading.Thread(target=self._run, name="finapilot-heartbeat", daemon=True)
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Leave the bridge's capacity at once, so no new work is dispatched to this process;
        # leases keep being extended while running jobs finish.
        self._presence = None
        try:
            self.db.run("worker_presence_delete", {"worker_id": self.worker_id})
        except Exception:
            log_event(
                logger, logging.WARNING, "worker_presence_delete_failed", worker_id=self.worker_id
            )

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_s):
            try:
                self.beat()
            except Exception as exc:
                log_event(
                    logger,
                    logging.WARNING,
                    "heartbeat_failed",
                    worker_id=self.worker_id,
                    error=type(exc).__name__,
                )

    def beat(self) -> None:
        """One tick: presence, then the leases of the running jobs."""
        if self._presence is not None:
            self.db.run("worker_presence_upsert", self._presence)
        running = ACTIVE.snapshot()
        if not running:
            return
        rows = self.db.run(
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
