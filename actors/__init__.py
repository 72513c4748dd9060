"""dramatiq actors, one thin actor per job type. Run with ``dramatiq actors``.

Importing this package builds the broker of the worker process: settings, logging, the hardened
dramatiq-pg broker with the job lifecycle middleware, and the start-up checks (exit 1 on a gap).
"""

from __future__ import annotations

import dramatiq

from app.broker import build_broker, settings_or_exit, threads_from_argv
from app.logs import configure_logging
from app.startup import announce, check_or_exit

#: dramatiq's own default for --threads, used when the command line does not say.
DRAMATIQ_DEFAULT_THREADS = 8

settings = settings_or_exit()
configure_logging(settings)
threads = threads_from_argv(DRAMATIQ_DEFAULT_THREADS)
broker, db, worker_id = build_broker(settings, threads=threads)
dramatiq.set_broker(broker)
announce(settings, worker_id=worker_id, concurrency=threads)
check_or_exit(db)

from actors import csv_import, exports, model_run, monte_carlo, noop  # noqa: E402,F401  (registers the actors)
