"""DEV/TEST ONLY: the backend's tables on an empty database (``dev_backend.sql``).

Called by the embedded default, the test fixtures and ``python -m app dev-schema`` (a developer's
own empty database), never by the bridge or the workers: in production the Node backend owns
these tables.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql as pgsql

from app.cli import CliError, print_json, run_guarded
from app.db import Database, execute
from app.devtools import DEVTOOLS_SQL
from app.schema import ensure_worker_schema
from app.settings import Settings, settings_or_exit

SCRIPT = "dev_backend.sql"
_CREATE_TABLE = re.compile(r"^CREATE TABLE (\w+)", re.MULTILINE)


def apply_dev_backend_schema(conn: psycopg2.extensions.connection) -> None:
    """Create the backend's tables (the dev copy) and commit."""
    with conn.cursor() as cur:
        cur.execute(DEVTOOLS_SQL.script(SCRIPT))
    conn.commit()


def dev_tables() -> list[str]:
    """The tables ``dev_backend.sql`` creates."""
    return _CREATE_TABLE.findall(DEVTOOLS_SQL.script(SCRIPT))


def install_dev_schema(db: Database) -> dict[str, Any]:
    """Put the dev copy of the backend's tables and the ``dramatiq`` schema on an empty database.

    Refuses (:class:`CliError`, nothing changed) when any of those tables already exists: this
    is for a developer's own empty database, never one a backend has migrated.
    """
    tables = dev_tables()
    conn = db.connect()
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            found = execute(cur, "dev_schema_existing_tables", {"tables": tables}, sql=DEVTOOLS_SQL)
            if found:
                names = ", ".join(r["table_name"] for r in found)
                raise CliError(
                    f"❌ Refusing: this database already has backend tables ({names}); "
                    "dev-schema only sets up an empty database"
                )
            cur.execute(DEVTOOLS_SQL.script(SCRIPT))
        conn.commit()
    finally:
        conn.close()
    ensure_worker_schema(db)
    return {"tables": tables, "dramatiqSchema": True}


def command(*, as_json: bool) -> int:
    """``python -m app dev-schema``: :func:`install_dev_schema` on ``DATABASE_URL``."""
    settings = settings_or_exit()
    db = Database(settings.database, max_connections=1, application_name="finapilot-dev-schema")

    def install() -> int:
        done = install_dev_schema(db)
        where = settings.database.redacted()
        if as_json:
            print_json({"database": where, **done}, sys.stdout)
        else:
            print(
                f"✅ Dev schema created on {where}: {len(done['tables'])} backend tables "
                "(a DEV copy) and the dramatiq schema"
            )
        return 0

    try:
        return run_guarded(install, settings.database)
    finally:
        db.close()


def create_dev_database(admin_url: str, name: str) -> str:
    """A new database ``name`` on ``admin_url``'s server with the dev backend tables and the
    worker's own schema (as every bridge and worker creates it at start); returns its URL."""
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        # CREATE DATABASE takes no parameters; the name is composed as an identifier.
        cur.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    admin.close()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    conn = psycopg2.connect(url)
    apply_dev_backend_schema(conn)
    conn.close()
    db = Database(
        Settings.from_env({"DATABASE_URL": url}).database,
        max_connections=1,
        application_name="dev-schema",
    )
    ensure_worker_schema(db)
    db.close()
    return url
