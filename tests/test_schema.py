"""The start-up check of the backend's schema and our own idempotent schema."""

from __future__ import annotations

import subprocess
import sys

from app.jobtypes import REGISTRY
from app.schema import check_backend_schema, ensure_worker_schema
from tests.conftest import ROOT


def test_a_complete_schema_passes_and_our_schema_is_idempotent(db):
    ensure_worker_schema(db)
    ensure_worker_schema(db)
    assert check_backend_schema(db, REGISTRY.default_claimed).ok


def test_every_gap_is_named_once_with_the_camel_case_spelling(db):
    with db.transaction() as cur:
        cur.execute('ALTER TABLE jobs RENAME COLUMN org_id TO "orgId"')
        cur.execute("ALTER TABLE exports DROP COLUMN file_data")
        cur.execute('DROP INDEX "raw_transactions_orgId_source_id_key"')
        cur.execute("DROP TABLE budgets")
    report = check_backend_schema(db, REGISTRY.default_claimed)
    assert not report.ok
    message = report.message()
    assert 'jobs.org_id (found "orgId")' in message
    assert "exports.file_data" in message
    assert "budgets (table)" in message
    assert "unique index on raw_transactions(org_id, source_id)" in message


def test_only_the_tables_of_the_claimed_types_are_required(db):
    with db.transaction() as cur:
        cur.execute("DROP TABLE budgets")
        cur.execute("ALTER TABLE data_import_batches DROP COLUMN stats_json")
    assert check_backend_schema(db, ("noop", "model_run")).ok
    exports = check_backend_schema(db, ("export_pdf",)).message()
    assert "budgets (table)" in exports and "data_import_batches" not in exports
    imports = check_backend_schema(db, ("csv_import",)).message()
    assert "data_import_batches.stats_json" in imports and "budgets" not in imports


def test_the_bridge_exits_1_naming_the_missing_columns(db, env):
    with db.transaction() as cur:
        cur.execute("ALTER TABLE jobs DROP COLUMN cancel_requested")
    proc = subprocess.run(
        [sys.executable, "-m", "bridge"],
        cwd=ROOT,
        env={**env, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "❌ Schema check failed: missing jobs.cancel_requested" in proc.stdout + proc.stderr


def test_the_bridge_exits_1_when_the_database_is_unreachable(env):
    bad = {**env, "DATABASE_URL": "postgresql://nobody:secretpw@127.0.0.1:1/x"}
    proc = subprocess.run(
        [sys.executable, "-m", "bridge"],
        cwd=ROOT,
        env=bad,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1
    assert "❌ Failed to connect to database" in out and "secretpw" not in out
    assert "Please check your DATABASE_URL environment variable" in out
