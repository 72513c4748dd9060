"""The worker's own schema (``dramatiq``), the optional NOTIFY trigger, and the start-up check
of the backend's schema (contract §2.3). The dev/test copy of the backend's tables is in
:mod:`app.devtools.dev_schema`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from app.db import Database, execute, jsonb
from app.jobtypes import REGISTRY
from app.sql import script

logger = logging.getLogger(__name__)

#: Serialises schema creation between processes that start together.
SCHEMA_LOCK_KEY = 7_240_001

_JOBS_COLUMNS = (
    "id job_type org_id object_id status progress logs created_at updated_at priority queue "
    "attempts max_attempts last_error next_run_at worker_id run_started_at visibility_expires_at "
    "finished_at cancel_requested idempotency_key created_by_user_id"
)
#: What the core reads and writes whatever the claimed types (contract §2.3); each job type
#: declares its own tables (app/jobtypes), checked when it is claimed.
CORE_COLUMNS: dict[str, Sequence[str]] = {"jobs": tuple(_JOBS_COLUMNS.split())}
CORE_UNIQUE_INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (("jobs", ("idempotency_key",)),)


@dataclass(frozen=True)
class SchemaReport:
    """What the startup check found missing."""

    missing_tables: tuple[str, ...]
    missing_columns: tuple[str, ...]  # "table.column (found "camel")" items
    missing_indexes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not (self.missing_tables or self.missing_columns or self.missing_indexes)

    @property
    def jobs_missing(self) -> bool:
        return "jobs" in self.missing_tables

    def message(self) -> str:
        """One line naming every gap."""
        gaps = [f"{t} (table)" for t in self.missing_tables]
        gaps += list(self.missing_columns)
        gaps += [f"unique index on {i}" for i in self.missing_indexes]
        return "missing " + ", ".join(gaps) + ": run the backend migrations"


def check_backend_schema(db: Database, job_types: Sequence[str]) -> SchemaReport:
    """Check once that every table and column the core and the claimed types use resolves
    through the search_path."""
    columns = REGISTRY.required_columns(job_types, CORE_COLUMNS)
    required = [{"table_name": t, "column_name": c} for t, cols in columns.items() for c in cols]
    with db.transaction() as cur:
        rows = execute(cur, "schema_columns", {"required": jsonb(required)})
        missing_tables = sorted({r["table_name"] for r in rows if not r["table_exists"]})
        missing_columns = [
            f"{r['table_name']}.{r['column_name']}"
            + (f' (found "{r["camel_case"]}")' if r["camel_case"] else "")
            for r in rows
            if r["table_exists"] and not r["column_exists"]
        ]
        missing_indexes = []
        for table, index_columns in REGISTRY.required_unique_indexes(
            job_types, CORE_UNIQUE_INDEXES
        ):
            if table in missing_tables:
                continue
            row = execute(
                cur, "schema_unique_index", {"table_name": table, "columns": list(index_columns)}
            )
            if not row[0]["present"]:
                missing_indexes.append(f"{table}({', '.join(index_columns)})")
    return SchemaReport(tuple(missing_tables), tuple(missing_columns), tuple(missing_indexes))


def ensure_worker_schema(db: Database) -> None:
    """Create the ``dramatiq`` schema objects idempotently (safe to run from every process)."""
    with db.transaction() as cur:
        execute(cur, "schema_lock", {"lock_key": SCHEMA_LOCK_KEY})
        cur.execute(script("ddl/dramatiq_schema.sql"))


def set_notify_trigger(db: Database, *, install: bool) -> None:
    """Install or remove the optional NOTIFY trigger on ``jobs`` (an explicit operator command)."""
    with db.transaction() as cur:
        execute(cur, "schema_lock", {"lock_key": SCHEMA_LOCK_KEY})
        if install:
            cur.execute(script("ddl/dramatiq_schema.sql"))
        name = "notify_trigger_install.sql" if install else "notify_trigger_remove.sql"
        cur.execute(script(f"ddl/{name}"))


def notify_trigger_installed(db: Database) -> bool:
    return bool(db.run("schema_trigger_installed")[0]["n"])
