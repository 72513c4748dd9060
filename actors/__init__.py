"""dramatiq actors, one thin actor per job type. Run with ``dramatiq actors``.

Importing this package builds the broker of the worker process: settings, logging, the hardened
dramatiq-pg broker with the job lifecycle middleware, and the start-up checks (exit 1 on a gap).
Every module of this package is imported; each job type's actor is ``actors/<type>.py`` and must
match its declaration in ``app/jobtypes`` (both ways, checked here). Shared actor code lives in
modules that declare no actor (``base``, ``export_common``).
"""

from __future__ import annotations

import importlib
import pkgutil

import dramatiq

from app.logging_setup import configure_logging
from app.settings import settings_or_exit
from app.startup import announce, check_or_exit, check_registration_or_exit
from app.worker import build_broker, threads_from_argv

#: dramatiq's own default for --threads, used when the command line does not say.
DRAMATIQ_DEFAULT_THREADS = 8

settings = settings_or_exit()
configure_logging(settings)
threads = threads_from_argv(DRAMATIQ_DEFAULT_THREADS)
broker, db, worker_id = build_broker(settings, threads=threads)
dramatiq.set_broker(broker)
announce(settings, worker_id=worker_id, concurrency=threads)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")  # registers the actors
check_registration_or_exit(settings, broker.get_declared_actors())
check_or_exit(db, settings)
