"""Start-up of the bridge and of every worker process: the operator's log lines (contract §7),
the job-type registration check, the connection test, the worker's own schema and the backend
schema check (exit 1 on a gap)."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterable
from pathlib import Path

import psycopg2

from app.db import Database
from app.jobtypes import REGISTRY, registration_gaps
from app.schema import check_backend_schema, ensure_worker_schema
from app.settings import Settings

logger = logging.getLogger(__name__)


def announce(settings: Settings, *, worker_id: str, concurrency: int) -> None:
    logger.info("🚀 FinaPilot Python Worker started")
    logger.info("📊 Polling interval: %s seconds", settings.poll_interval_s)
    logger.info("⚙️  Worker concurrency: %d", concurrency)
    logger.info("🆔 Worker ID: %s", worker_id)
    logger.info("🧾 Claimed job types: %s", ", ".join(settings.job_types))
    logger.info("🔗 Follow-up job types: %s", ", ".join(settings.followup_jobs) or "(none)")


def check_registration_or_exit(settings: Settings, actors: Iterable[str]) -> None:
    """In a worker process: every claimed type has its actor, every actor its declaration."""
    gaps = registration_gaps(REGISTRY, actors, claimed=settings.job_types)
    if gaps:
        logger.error("❌ Job type registration: %s", "; ".join(gaps))
        sys.exit(1)


def actor_modules_missing(job_types: Iterable[str]) -> list[str]:
    """In the bridge (which must not import ``actors``: that builds a broker): the claimed types
    whose ``actors/<type>.py`` module is missing."""
    spec = importlib.util.find_spec("actors")  # finds the package without importing it
    folders = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    return [
        f"job type {name!r} is declared but has no actor (actors/{name}.py)"
        for name in job_types
        if not any((folder / f"{name}.py").is_file() for folder in folders)
    ]


def check_actor_modules_or_exit(settings: Settings) -> None:
    gaps = actor_modules_missing(settings.job_types)
    if gaps:
        logger.error("❌ Job type registration: %s", "; ".join(gaps))
        sys.exit(1)


def check_connection_or_exit(db: Database) -> None:
    """Reach the database once; on failure say why in one line (no traceback) and exit 1."""
    try:
        db.run("db_ping")
    except psycopg2.Error as exc:
        # libpq's messages name the host and user, never the password.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        logger.error("❌ Failed to connect to database: %s", reason)
        logger.error("Please check your DATABASE_URL environment variable")
        sys.exit(1)


def check_or_exit(db: Database, settings: Settings) -> None:
    """Connect, create our own schema objects, verify the backend's tables; exit 1 on failure."""
    check_connection_or_exit(db)
    logger.info("✅ Database connection successful")
    report = check_backend_schema(db, settings.job_types)
    if report.jobs_missing:
        logger.error("❌ 'jobs' table does not exist in database!")
        sys.exit(1)
    if not report.ok:
        logger.error("❌ Schema check failed: %s", report.message())
        sys.exit(1)
    logger.info("✅ 'jobs' table verified")
    ensure_worker_schema(db)
