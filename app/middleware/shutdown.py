"""Bounded graceful shutdown (contract §4.10).

On SIGTERM dramatiq stops taking messages and lets running ones finish. After
``WORKER_GRACEFUL_SHUTDOWN_TIMEOUT`` the jobs still running are asked to stop at their next safe
point; the lifecycle then releases them as ``retrying`` (attempts unchanged) for another worker.
Set the timeout below dramatiq's ``--worker-shutdown-timeout`` and the platform's grace.
"""

from __future__ import annotations

import logging
import threading

import dramatiq

from app.jobcontext import ACTIVE
from app.logging_setup import log_event
from app.settings import Settings

logger = logging.getLogger(__name__)


class GracefulShutdown(dramatiq.Middleware):
    """Starts the release timer when the worker begins to shut down."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._timer: threading.Timer | None = None

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        logger.info("🛑 Shutdown requested, waiting for %d active jobs...", len(ACTIVE))
        self._timer = threading.Timer(self.settings.graceful_shutdown_s, self._release_all)
        self._timer.daemon = True
        self._timer.start()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self._timer is not None:
            self._timer.cancel()
        logger.info("✅ Worker shutdown complete")

    def _release_all(self) -> None:
        running = ACTIVE.snapshot()
        if running:
            log_event(logger, logging.WARNING, "shutdown_timeout", releasing=len(running))
        for ctx in running:
            ctx.request_release()
