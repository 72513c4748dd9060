"""One dramatiq worker process: its broker, pools, middleware and identity.

``actors/__init__.py`` calls :func:`build_broker` when dramatiq imports the actors.
"""

from __future__ import annotations

import os
import re
import sys

import psycopg2.pool

from app.broker import HardenedPostgresBroker, pool_size
from app.db import Database, connect_kwargs
from app.jobtypes import REGISTRY
from app.liveness import LivenessSession
from app.middleware import default_middleware
from app.settings import Settings


def make_dramatiq_pool(
    settings: Settings, max_connections: int
) -> psycopg2.pool.ThreadedConnectionPool:
    """A psycopg2 pool for dramatiq-pg, on our URL and search_path."""
    kwargs = connect_kwargs(settings.database, "finapilot-dramatiq")
    pool = psycopg2.pool.ThreadedConnectionPool(0, max_connections, **kwargs)
    pool.minconn = max_connections  # dramatiq-pg's pool sanitizer walks this many
    return pool


def worker_process_id(settings: Settings) -> str:
    """WORKER_ID must be unique per process: dramatiq forks several processes per service.

    The id is kept when it already names this process (``…-<pid>`` or the default
    ``…-<pid>-<epoch>``), else ``-<pid>`` is added (a service's WORKER_ID, the launcher's
    instance prefix).
    """
    pid = os.getpid()
    if re.search(rf"-{pid}(-\d+)?$", settings.worker_id):
        return settings.worker_id
    return f"{settings.worker_id}-{pid}"


def build_broker(
    settings: Settings, *, threads: int, with_prometheus: bool = True
) -> tuple[HardenedPostgresBroker, Database, str]:
    """The broker of one worker process, with the job lifecycle middleware."""
    worker_id = worker_process_id(settings)
    # Each thread may hold a long transaction (a CSV import) and write progress beside it.
    db = Database(
        settings.database, max_connections=2 * threads + 2, application_name="finapilot-worker"
    )
    # The heartbeat runs on the process's liveness session, a connection of its own: busy
    # threads can never starve it (§4.3), and its lock tells the bridge the process lives.
    session = LivenessSession(settings.database)
    broker = HardenedPostgresBroker(
        pool=make_dramatiq_pool(settings, pool_size(threads, len(REGISTRY.queues))),
        results=False,
        consumer_id=worker_id,
        middleware=default_middleware(
            db, session, settings, worker_id, with_prometheus=with_prometheus
        ),
    )
    return broker, db, worker_id


def int_option(argv: list[str], long: str, short: str, default: int) -> int:
    """The value of ``--<long>``/``-<short>`` on a dramatiq command line (its processes and
    forks inherit argv), or ``default``."""
    for i, arg in enumerate(argv):
        if arg in (long, short) and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith(long + "="):
            return int(arg.split("=", 1)[1])
    return default


def threads_from_argv(default: int) -> int:
    """The ``--threads``/``-t`` value of this process's dramatiq command line."""
    return int_option(sys.argv, "--threads", "-t", default)
