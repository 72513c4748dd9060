"""``python -m app.launcher``: the dramatiq worker service, a small wrapper around dramatiq's CLI.

The Procfile's and render.yaml's worker command. It runs dramatiq's own command line in this
process (this process is dramatiq's main process), adding:

* ``--threads`` defaults to ``WORKER_CONCURRENCY``; ``--worker-shutdown-timeout`` defaults to
  ``WORKER_GRACEFUL_SHUTDOWN_TIMEOUT`` plus a margin, and when both are given the graceful
  timeout must end first (or running jobs would be cut off instead of released): one line and
  exit 1 otherwise, as for invalid settings and an unreachable database;
* dramatiq's own lines of the main process (booting, signals forwarded, a worker process that
  died) and of its forked processes go through our formatter (``LOG_FORMAT=json``: one JSON
  object a line), as the worker processes' lines already do;
* the processes of one instance share a ``WORKER_ID`` prefix (``worker-<host>-<main pid>-<epoch>``,
  each process adds ``-<pid>``);
* SIGUSR1 is ignored here: it is meant for the worker processes (release running jobs now,
  during a shutdown).

A second SIGTERM (a signal to the whole process group reaches each worker process twice) is
handled in the worker processes themselves (:mod:`app.middleware.shutdown`).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from app.logging_setup import configure_logging
from app.settings import Settings, default_worker_id, settings_or_exit

logger = logging.getLogger("app.launcher")

#: dramatiq's forced stop comes this long after our graceful timeout when not given.
SHUTDOWN_MARGIN_S = 10.0
ACTORS_MODULE = "actors"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m app.launcher",
        description="Run the dramatiq worker processes (dramatiq actors) with the settings' "
        "defaults; other options are passed to dramatiq.",
    )
    p.add_argument("--processes", "-p", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--threads", "-t", type=int, help="threads per process (WORKER_CONCURRENCY)")
    p.add_argument("--queues", "-Q", nargs="+", help="only these dramatiq queues")
    p.add_argument(
        "--worker-shutdown-timeout",
        type=int,
        help="ms dramatiq waits for running jobs at shutdown "
        "(default: WORKER_GRACEFUL_SHUTDOWN_TIMEOUT + 10 s)",
    )
    return p


def shutdown_timeout_problem(settings: Settings, timeout_ms: int) -> str | None:
    """Why the two shutdown timeouts do not fit (the graceful one must end first), or None."""
    if settings.graceful_shutdown_s < timeout_ms / 1000:
        return None
    return (
        f"WORKER_GRACEFUL_SHUTDOWN_TIMEOUT ({settings.graceful_shutdown_s:g} s) must end before "
        f"dramatiq's --worker-shutdown-timeout ({timeout_ms / 1000:g} s), or running jobs are cut "
        "off instead of released"
    )


def dramatiq_argv(args: argparse.Namespace, rest: list[str], settings: Settings) -> list[str]:
    threads = args.threads if args.threads is not None else settings.worker_concurrency
    timeout_ms = args.worker_shutdown_timeout
    if timeout_ms is None:
        timeout_ms = int((settings.graceful_shutdown_s + SHUTDOWN_MARGIN_S) * 1000)
    argv = [ACTORS_MODULE, "--processes", str(args.processes), "--threads", str(threads)]
    argv += ["--worker-shutdown-timeout", str(timeout_ms)]
    if args.queues:
        argv += ["--queues", *args.queues]
    return argv + rest


def _through_our_formatter(setup: Callable[..., Any], settings: Settings) -> Callable[..., Any]:
    """Wrap one of dramatiq's logging set-ups: its handlers (the pipes its main process reads,
    which keeps lines whole) get our formatter and level."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = setup(*args, **kwargs)
        configure_logging(settings)
        return result

    return wrapper


def main(argv: list[str] | None = None) -> int:
    args, rest = parser().parse_known_args(argv)
    configure_logging(None)
    os.environ.setdefault("WORKER_ID", default_worker_id())
    settings = settings_or_exit()
    configure_logging(settings)
    if args.worker_shutdown_timeout is not None:
        problem = shutdown_timeout_problem(settings, args.worker_shutdown_timeout)
        if problem:
            logger.error("❌ Invalid configuration: %s", problem)
            return 1
    from app.db import Database
    from app.startup import check_connection_or_exit

    db = Database(settings.database, max_connections=1, application_name="finapilot-launcher")
    check_connection_or_exit(db)
    db.close()

    from dramatiq import cli

    for name in ("setup_parent_logging", "setup_worker_logging", "setup_fork_logging"):
        setattr(cli, name, _through_our_formatter(getattr(cli, name), settings))
    # dramatiq installs its own handlers (pipes to this process); ours would bypass them.
    logging.getLogger().handlers.clear()
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    forwarded = dramatiq_argv(args, rest, settings)
    sys.argv = [sys.argv[0], *forwarded]  # what the worker processes read (threads, processes)
    return int(cli.main(cli.make_argument_parser().parse_args(forwarded)) or 0)


if __name__ == "__main__":
    sys.exit(main())
