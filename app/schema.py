"""The worker's own schema (``dramatiq``), the dev/test copy of the backend tables, and the
startup check of the backend's schema (contract §2.3)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg2.extensions

from app.db import Database, execute, jsonb
from app.sql import script

logger = logging.getLogger(__name__)

#: Serialises schema creation between processes that start together.
SCHEMA_LOCK_KEY = 7_240_001

_JOBS_COLUMNS = (
    "id job_type org_id object_id status progress logs created_at updated_at priority queue "
    "attempts max_attempts last_error next_run_at worker_id run_started_at visibility_expires_at "
    "finished_at cancel_requested idempotency_key"
)
#: Every table and column the worker reads or writes (contract §2.3).
REQUIRED_COLUMNS: dict[str, Sequence[str]] = {
    "jobs": tuple(_JOBS_COLUMNS.split()),
    "orgs": ("id", "name", "currency"),
    "models": ("id", "org_id", "model_json", "version", "created_at"),
    "model_runs": (
        "id model_id org_id run_type params_json status result_s3 summary_json created_at "
        "finished_at"
    ).split(),
    "monte_carlo_jobs": (
        "id model_run_id org_id num_simulations params_hash status result_s3 percentiles_json "
        "sensitivity_json cpu_seconds_estimate cpu_seconds_actual finished_at"
    ).split(),
    "exports": "id model_run_id org_id type s3_key status file_data meta_json updated_at".split(),
    "raw_transactions": (
        "org_id source_id date amount currency category description raw_payload imported_at "
        "import_batch_id is_duplicate"
    ).split(),
    "data_import_batches": ("id", "org_id", "status", "stats_json"),
    "headcount_plans": (
        "org_id quantity salary benefits_multiplier start_date end_date ramp_months status"
    ).split(),
    "drivers": ("id", "org_id", "model_id", "name", "type", "is_calculated"),
    "driver_formulas": ("id", "model_id", "driver_id", "expression"),
    "financial_scenarios": ("id", "model_id", "name", "is_default"),
    "driver_values": ("id", "driver_id", "scenario_id", "month", "value"),
    "budgets": ("org_id", "category", "month", "amount"),
    "metric_cube": (
        "org_id model_id metric_name month value scenario_id geography_id product_id "
        "department_id segment_id channel_id custom_dim1_id custom_dim2_id is_calculated "
        "updated_at"
    ).split(),
    "billing_usage": ("org_id", "metric", "value", "bucket_time"),
}
REQUIRED_UNIQUE_INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("raw_transactions", ("org_id", "source_id")),
    ("jobs", ("idempotency_key",)),
)


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


def check_backend_schema(db: Database) -> SchemaReport:
    """Check once that every table and column the worker uses resolves through search_path."""
    required = [
        {"table_name": t, "column_name": c} for t, cols in REQUIRED_COLUMNS.items() for c in cols
    ]
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
        for table, columns in REQUIRED_UNIQUE_INDEXES:
            if table in missing_tables:
                continue
            row = execute(
                cur, "schema_unique_index", {"table_name": table, "columns": list(columns)}
            )
            if not row[0]["present"]:
                missing_indexes.append(f"{table}({', '.join(columns)})")
    return SchemaReport(tuple(missing_tables), tuple(missing_columns), tuple(missing_indexes))


def ensure_worker_schema(db: Database) -> None:
    """Create the ``dramatiq`` schema objects idempotently (safe to run from every process)."""
    with db.transaction() as cur:
        execute(cur, "schema_lock", {"lock_key": SCHEMA_LOCK_KEY})
        cur.execute(script("ddl/dramatiq_schema.sql"))


def apply_dev_backend_schema(conn: psycopg2.extensions.connection) -> None:
    """DEV/TEST ONLY: create the backend's tables on an empty database.

    Called by the embedded default and the test fixtures, never by the bridge or the workers.
    """
    with conn.cursor() as cur:
        cur.execute(script("ddl/dev_backend.sql"))
    conn.commit()


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
