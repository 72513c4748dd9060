"""dramatiq middleware of the worker, one concern per file.

* :class:`~app.middleware.lifecycle.JobLifecycle`: the fenced start and the one outcome of
  every message's ``jobs`` row (the result hook).
* :class:`~app.middleware.heartbeat.Heartbeat`: leases, cancel flags, worker presence and the
  liveness session.
* :class:`~app.middleware.shutdown.GracefulShutdown`: signals, and the bounded release on
  shutdown.
* :class:`~app.middleware.health.WorkerPrometheus`: dramatiq's metrics, served with the
  instance's ``/healthz``.

:func:`default_middleware` is the list every worker process installs, in order.
"""

from __future__ import annotations

import dramatiq
from dramatiq.middleware import TimeLimit

from app.db import Database
from app.liveness import LivenessSession
from app.middleware.health import WorkerPrometheus
from app.middleware.heartbeat import Heartbeat
from app.middleware.lifecycle import ACKED_OPTION, JobLifecycle
from app.middleware.shutdown import GracefulShutdown
from app.settings import Settings

__all__ = [
    # the job's row
    "JobLifecycle",
    "ACKED_OPTION",
    # leases, presence and liveness
    "Heartbeat",
    # shutdown
    "GracefulShutdown",
    # metrics and health
    "WorkerPrometheus",
    # the list a worker installs
    "default_middleware",
]


def default_middleware(
    db: Database,
    session: LivenessSession,
    settings: Settings,
    worker_id: str,
    *,
    with_prometheus: bool = True,
) -> list[dramatiq.Middleware]:
    """The worker's middleware, in order.

    dramatiq's Retries middleware is left out on purpose: retries go through the jobs table
    (``next_run_at``), never through dramatiq's delay queues.
    """
    middleware: list[dramatiq.Middleware] = [WorkerPrometheus()] if with_prometheus else []
    return middleware + [
        TimeLimit(),
        JobLifecycle(db, settings, worker_id),
        Heartbeat(session, settings, worker_id),
        GracefulShutdown(settings),
    ]
