"""The bridge's loop: wake on NOTIFY or after the poll interval, dispatch, reap, purge, measure.

It LISTENs on ``finapilot_jobs`` (sent by the optional trigger on ``jobs``) and on dramatiq-pg's
``dramatiq.<queue>.ack`` channels, so a finished message frees a window slot at once. Every
``BRIDGE_LIVENESS_INTERVAL_SECONDS`` it checks the worker processes' session locks and gives
back at once the jobs of a process that died (:mod:`bridge.liveness`). On any database error it
backs off and reconnects; a Postgres restart costs a few seconds, not jobs.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections import Counter

import psycopg2
import psycopg2.extensions
from psycopg2 import sql as pgsql

from app.db import Database, is_connection_error
from app.logging_setup import log_event
from app.settings import Settings
from bridge.liveness import LivenessTracker
from bridge.manager import BridgeManager, ReapResult
from bridge.metrics import BridgeMetrics

logger = logging.getLogger(__name__)

JOBS_CHANNEL = "finapilot_jobs"
STATS_INTERVAL_S = 5.0
#: After a wake-up by acks only, gather more acks this long so one dispatch fills many slots.
ACK_COALESCE_S = 0.01
MAX_ERROR_BACKOFF_S = 10.0


class BridgeLoop:
    """Runs until :meth:`stop` is called (SIGTERM/SIGINT)."""

    def __init__(self, db: Database, settings: Settings, metrics: BridgeMetrics) -> None:
        self.db = db
        self.settings = settings
        self.metrics = metrics
        self.manager = BridgeManager(db, settings)
        self.liveness: LivenessTracker | None = None
        if settings.liveness_interval_s > 0:
            self.liveness = LivenessTracker(
                reconnect_grace_s=settings.reconnect_grace_s,
                confirm_s=settings.liveness_interval_s / 2,
            )
        self._stopping = threading.Event()
        self._listen: psycopg2.extensions.connection | None = None
        self.last_ok = 0.0
        self.last_error: str | None = None

    def stop(self) -> None:
        self._stopping.set()

    def health(self) -> tuple[bool, str]:
        """Healthy when an iteration reached the database recently."""
        limit = max(30.0, 5 * self.settings.poll_interval_s, 3 * self.settings.reaper_interval_s)
        age = time.time() - self.last_ok if self.last_ok else float("inf")
        if age <= limit:
            return True, f"ok: last loop {age:.1f}s ago\n"
        return False, f"unhealthy: last successful loop {age:.1f}s ago ({self.last_error})\n"

    def startup_reap(self) -> None:
        logger.info("🔍 Checking for stuck jobs...")
        result = self.manager.reap()
        self._count_reaped(result)
        per_queue = Counter(
            (r.get("queue") or "default") for r in result.released + result.undelivered
        )
        for queue, n in sorted(per_queue.items()):
            logger.info("🔄 Released %d stuck jobs from queue '%s'", n, queue)

    def run(self) -> None:
        next_reap = time.monotonic() + self.settings.reaper_interval_s
        next_purge = time.monotonic()
        next_stats = time.monotonic()
        next_liveness = time.monotonic()
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                self._ensure_listening()
                now = time.monotonic()
                if self.liveness is not None and now >= next_liveness:
                    self._release_dead_workers(self.liveness)
                    next_liveness = now + self.settings.liveness_interval_s
                if now >= next_reap:
                    self._count_reaped(self.manager.reap())
                    next_reap = now + self.settings.reaper_interval_s
                if now >= next_purge:
                    purged = self.manager.purge()
                    if purged:
                        log_event(logger, logging.DEBUG, "bridge_purged", messages=purged)
                    next_purge = now + self.settings.purge_interval_s
                if now >= next_stats:
                    self.metrics.observe_stats(self.manager.stats())
                    next_stats = now + STATS_INTERVAL_S
                result = self.manager.dispatch()
                for job_type, n in result.by_type.items():
                    self.metrics.claimed.labels(job_type).inc(n)
                for queue, (size, used) in result.window.items():
                    self.metrics.window_size.labels(queue).set(size)
                    self.metrics.window_in_use.labels(queue).set(used + result.dispatched)
                self.last_ok = time.time()
                self.metrics.loop_ok.set(self.last_ok)
                backoff = 0.5
                self._wait(self.settings.poll_interval_s)
            except psycopg2.Error as exc:
                self.last_error = type(exc).__name__
                self.metrics.db_errors.inc()
                log_event(
                    logger,
                    logging.WARNING,
                    "bridge_db_error",
                    error=(str(exc).strip().splitlines() or [""])[0][:200],
                    retry_in_s=backoff,
                )
                if self.liveness is not None and is_connection_error(exc):
                    self.liveness.disrupted()
                self._drop_listen()
                self._stopping.wait(backoff)
                backoff = min(MAX_ERROR_BACKOFF_S, backoff * 2)
        self._drop_listen()

    def _release_dead_workers(self, liveness: LivenessTracker) -> None:
        dead = liveness.observe(self.manager.check_liveness())
        if dead:
            result = self.manager.release_lost(dead)
            self._count_reaped(result)
            self.metrics.workers_lost.inc(len(result.forgotten))

    def _count_reaped(self, result: ReapResult) -> None:
        for row in result.released:
            self.metrics.reaped.labels(row["job_type"], row["status"]).inc()
        for row in result.undelivered:
            self.metrics.reaped.labels(row["job_type"], "redispatched").inc()
        for row in result.cancelled:
            self.metrics.reaped.labels(row["job_type"], "cancelled").inc()

    def _ensure_listening(self) -> None:
        if self._listen is not None and not self._listen.closed:
            return
        conn = self.db.connect(autocommit=True)
        channels = [JOBS_CHANNEL] + [f"dramatiq.{q}.ack" for q in self.manager.queues]
        with conn.cursor() as cur:
            for channel in channels:
                # LISTEN takes no parameters; the channel is composed as a quoted identifier.
                cur.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(channel)))
        self._listen = conn

    def _drop_listen(self) -> None:
        if self._listen is not None:
            try:
                self._listen.close()
            except psycopg2.Error:
                pass
            self._listen = None

    def _wait(self, timeout_s: float) -> None:
        """Sleep until a NOTIFY arrives or ``timeout_s`` passes."""
        conn = self._listen
        if conn is None:
            self._stopping.wait(timeout_s)
            return
        if not conn.notifies:
            ready, _, _ = select.select([conn], [], [], timeout_s)
            if not ready:
                return
        conn.poll()
        new_jobs = any(n.channel == JOBS_CHANNEL for n in conn.notifies)
        conn.notifies.clear()
        if not new_jobs:
            self._stopping.wait(ACK_COALESCE_S)
            conn.poll()
            conn.notifies.clear()
