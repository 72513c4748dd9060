"""dramatiq middleware of the worker, one concern per file.

* :class:`~app.middleware.lifecycle.JobLifecycle`: the fenced start and the one outcome of
  every message's ``jobs`` row (the result hook).
* :class:`~app.middleware.heartbeat.Heartbeat`: leases, cancel flags and worker presence.
* :class:`~app.middleware.shutdown.GracefulShutdown`: the bounded release on shutdown.

:func:`default_middleware` is the list every worker process installs, in order.
"""

from __future__ import annotations

import dramatiq
from dramatiq.middleware import Prometheus, TimeLimit

from app.db import Database
from app.middleware.heartbeat import Heartbeat
from app.middleware.lifecycle import ACKED_OPTION, JobLifecycle
from app.middleware.shutdown import GracefulShutdown
from app.settings import Settings

__all__ = [
    # the job's row
    "JobLifecycle",
    "ACKED_OPTION",
    # leases and presence
    "Heartbeat",
    # shutdown
    "GracefulShutdown",
    # the list a worker installs
    "default_middleware",
]


def default_middleware(
    db: Database,
    heartbeat_db: Database,
    settings: Settings,
    worker_id: str,
    *,
    with_prometheus: bool = True,
) -> list[dramatiq.Middleware]:
    """The worker's middleware, in order.

    dramatiq's Retries middleware is left out on purpose: retries go through the jobs table
    (``next_run_at``), never through dramatiq's delay queues.
    """
    middleware: list[dramatiq.Middleware] = [Prometheus()] if with_prometheus else []
    return middleware + [
        TimeLimit(),
        JobLifecycle(db, settings, worker_id),
        Heartbeat(heartbeat_db, settings, worker_id),
        GracefulShutdown(settings),
    ]
