"""Graceful shutdown whoever sends the signal (contract §4.10, issue 12).

On SIGTERM dramatiq stops taking messages and lets running ones finish. After
``WORKER_GRACEFUL_SHUTDOWN_TIMEOUT`` the jobs still running are asked to stop at their next safe
point; the lifecycle then releases them as ``retrying`` (attempts unchanged) for another worker.
Set the timeout below dramatiq's ``--worker-shutdown-timeout`` and the platform's grace (the
launcher, ``python -m app.launcher``, refuses to start otherwise).

dramatiq's worker process reads a second SIGTERM as "kill now" and exits at once, cutting
running jobs off. A second SIGTERM is common: a signal to the whole process group (systemd,
Heroku-style platforms, shell wrappers) reaches each worker process directly *and* through the
dramatiq main process, which forwards it. So the worker process's handler is wrapped here: the
first SIGTERM (or SIGHUP) starts the graceful shutdown, later ones are logged and ignored. Only
SIGKILL cuts work off. SIGUSR1 during a shutdown releases the running jobs now, without waiting
for the timeout (``python -m app run`` sends it on a second Ctrl-C).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import dramatiq

from app.jobcontext import ACTIVE
from app.logging_setup import log_event
from app.settings import Settings

logger = logging.getLogger(__name__)

#: The signals dramatiq's worker process stops on.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
#: Releases the running jobs at once during a shutdown.
RELEASE_NOW_SIGNAL = signal.SIGUSR1

Handler = Callable[[int, FrameType | None], Any]


class GracefulShutdown(dramatiq.Middleware):
    """Makes stop signals idempotent and starts the release timer at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._timer: threading.Timer | None = None
        self._signalled = False
        self._shutting_down = False

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        # dramatiq's worker process installed its handlers before importing the broker.
        for sig in STOP_SIGNALS:
            previous = signal.getsignal(sig)
            if callable(previous):
                signal.signal(sig, self._once(previous))
        signal.signal(RELEASE_NOW_SIGNAL, self._release_now)

    def _once(self, previous: Handler) -> Handler:
        def handler(signum: int, frame: FrameType | None) -> Any:
            if self._signalled:
                log_event(
                    logger,
                    logging.WARNING,
                    "shutdown_signal_ignored",
                    signal=signum,
                    reason="already shutting down; running jobs finish or are released",
                )
                return None
            self._signalled = True
            logger.info("🛑 Received signal %d, initiating graceful shutdown...", signum)
            return previous(signum, frame)

        return handler

    def _release_now(self, signum: int, frame: FrameType | None) -> None:
        if not self._shutting_down:
            log_event(logger, logging.INFO, "release_signal_ignored", reason="not shutting down")
            return
        # Not from the signal handler itself: the release takes locks the interrupted thread
        # may hold.
        threading.Thread(
            target=self._release_all,
            args=("release-signal",),
            name="finapilot-release",
            daemon=True,
        ).start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._shutting_down = True
        logger.info("🛑 Shutdown requested, waiting for %d active jobs...", len(ACTIVE))
        self._timer = threading.Timer(
            self.settings.graceful_shutdown_s, self._release_all, args=("shutdown-timeout",)
        )
        self._timer.daemon = True
        self._timer.start()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self._timer is not None:
            self._timer.cancel()
        logger.info("✅ Worker shutdown complete")

    def _release_all(self, reason: str) -> None:
        running = ACTIVE.snapshot()
        if running:
            log_event(
                logger, logging.WARNING, "shutdown_release", reason=reason, releasing=len(running)
            )
        for ctx in running:
            ctx.request_release()
