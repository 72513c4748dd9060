"""``python -m app console``: the console as its own process (waitress, a pure-Python WSGI server:
one process, a few threads, no fork, so its connection pool is built once).

Start-up: settings (exit 1 without credentials), the connection, the backend's ``jobs`` columns,
the worker's own schema (created when this role may, else required), then serve until SIGTERM
(Render's stop signal), which lets requests in flight end.
"""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType
from typing import Any

import psycopg2
from waitress import create_server

from app.console.config import ConsoleSettings
from app.console.reader import ConsoleReader
from app.console.web import create_app
from app.db import Database
from app.logging_setup import configure_logging
from app.schema import check_backend_schema, ensure_worker_schema
from app.settings import SettingsError

logger = logging.getLogger(__name__)

APPLICATION_NAME = "finapilot-console"
#: Render's proxy terminates TLS and says so in X-Forwarded-Proto.
TRUSTED_PROXY_HEADERS = {"x-forwarded-proto"}


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # waitress ends its loop and lets its threads finish


def start_checks(db: Database, reader: ConsoleReader) -> str | None:
    """None when the console can serve, else why not (one line)."""
    try:
        db.run("db_ping")
    except psycopg2.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"cannot connect to the database: {reason}"
    report = check_backend_schema(db, ())
    if not report.ok:
        return f"schema check failed: {report.message()}"
    if not reader.schema_ready():
        try:
            ensure_worker_schema(db)
        except psycopg2.Error:
            return (
                "the worker's schema (dramatiq) is missing or older than this console, and this "
                "database role may not create it: start a bridge of this release first"
            )
    return None


def make_server(app: Any, settings: ConsoleSettings) -> Any:
    """The waitress server for ``app`` on the configured host and port (not started)."""
    return create_server(
        app,
        host=settings.host,
        port=settings.port,
        threads=settings.threads,
        ident="finapilot-console",
        trusted_proxy="*",
        trusted_proxy_headers=TRUSTED_PROXY_HEADERS,
        clear_untrusted_proxy_headers=True,
    )


def main() -> int:
    try:
        settings = ConsoleSettings.from_env()
    except SettingsError as exc:
        configure_logging(None)
        logger.error("❌ Invalid configuration: %s", exc)
        return 1
    configure_logging(settings.base)
    db = Database(
        settings.base.database, max_connections=settings.threads, application_name=APPLICATION_NAME
    )
    app = create_app(settings, db)
    reader: ConsoleReader = app.extensions["console"]["reader"]
    problem = start_checks(db, reader)
    if problem:
        logger.error("❌ Console not started: %s", problem)
        db.close()
        return 1
    mode = "read and act" if reader.can_act() else "read-only (this role may not change jobs)"
    server = make_server(app, settings)
    signal.signal(signal.SIGTERM, _stop)
    logger.info(
        "🖥️  FinaPilot console on http://%s:%s (%s; database %s)",
        settings.host,
        server.effective_port,
        mode,
        settings.base.database.redacted(),
    )
    try:
        server.run()
    finally:
        db.close()
    logger.info("✅ Console stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
