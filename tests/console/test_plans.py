"""The console reads through the backend's indexes: on a 1,000,000-row ``jobs`` table (analyzed,
as autovacuum leaves it) no statement a page runs reads the table sequentially or a whole index,
and each walks the index it was written for. Logs are left empty here: on a narrower table a
sequential scan looks cheaper to the planner, so this is the harder case. (``bench/console.py``
prints the same plans on full rows, with timings.)"""

from __future__ import annotations

import psycopg2
import pytest

from bench.console_data import fill_jobs
from bench.console_plans import cases, explain, scans_of_jobs, unbounded_index_scans

ROWS = 1_000_000
COMPOSITE = "jobs_status_priority_created_at_idx"
#: The index each statement must read jobs through (besides the loose scans of its pairs);
#: None: it does not read jobs at all.
EXPECTED: dict[str, str | None] = {
    "overview: window": None,
    "overview: waiting and running": "jobs_status_idx",
    "overview: ended in 24 h, per minute": COMPOSITE,
    "overview: live workers": "jobs_worker_id_idx",
    "jobs: types present": "jobs_job_type_idx",
    "jobs: newest, no filter": COMPOSITE,
    "jobs: page 20 days deep": COMPOSITE,
    "jobs: dead letters": COMPOSITE,
    "jobs: model_run, a 15 min window": COMPOSITE,
    "jobs: window size": COMPOSITE,
    "jobs: oldest": COMPOSITE,
    "jobs: one org (narrow)": "jobs_orgId_idx",
    "jobs: dead monte_carlo (narrow)": "jobs_job_type_idx",
    "jobs: estimate": "jobs_job_type_idx",
    "job: row and logs (ops_show)": "jobs_pkey",
    "dead letters: groups of 7 days": "jobs_status",
    "action: requeue (ops_retry)": "jobs_pkey",
}


@pytest.fixture
def million_jobs(database_url: str) -> str:
    fill_jobs(database_url, ROWS, full_logs=False)
    return database_url


def test_every_console_statement_reads_a_million_jobs_through_an_index(million_jobs):
    conn = psycopg2.connect(million_jobs)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM jobs")
            assert cur.fetchone()[0] == ROWS
            found = {
                label: explain(cur, block, params) for label, (block, params) in cases(cur).items()
            }
        conn.rollback()
    finally:
        conn.close()
    assert set(found) == set(EXPECTED)
    for label, plan in found.items():
        scans = scans_of_jobs(plan)
        if EXPECTED[label] is None:
            assert scans == [], (label, scans)
            continue
        assert not [s for s in scans if s.startswith("Seq Scan")], (label, scans)
        assert unbounded_index_scans(plan) == [], label
        assert any(str(EXPECTED[label]) in s for s in scans), (label, scans)
