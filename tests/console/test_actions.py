"""Actions over HTTP: each asks first (a confirmation page changes nothing), then does what the
CLI's statement does and writes who did it in the job's log; a read-only role gets none."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import psycopg2
import pytest

from app.sql import SQL_DIR
from bridge.manager import BridgeManager
from tests.console.test_jobs_list import insert_jobs
from tests.factories import fetch_all, fetch_one, register_worker


def _dead(db, job_id: str, error: str = "InvalidParams: nope") -> None:
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = 'dead_letter', attempts = 5, last_error = %s,"
            " finished_at = clock_timestamp() WHERE id = %s",
            (error, job_id),
        )


def _row(db, job_id: str) -> dict:
    return fetch_one(db, "SELECT * FROM jobs WHERE id = %s", job_id)


def test_retry_asks_first_then_requeues_and_signs_the_log_entry(db, console, make_job):
    job = make_job()
    _dead(db, job.id)
    alice = console.client()
    token = alice.csrf_token(f"/jobs/{job.id}")
    asked = alice.post("/actions/retry", {"job_id": job.id, "csrf_token": token})
    assert asked.status_code == 200 and f"Requeue job {job.id}?" in asked.text
    assert _row(db, job.id)["status"] == "dead_letter"  # asking changed nothing

    done = alice.act("/actions/retry", {"job_id": job.id}, page=f"/jobs/{job.id}")
    assert done.status_code == 303 and done.headers["Location"] == f"/jobs/{job.id}"
    row = _row(db, job.id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("queued", 0, None)
    entry = row["logs"][-1]
    assert entry["msg"] == "Requeued by operator" and entry["level"] == "warn"
    assert entry["meta"] == {"previousStatus": "dead_letter", "by": "alice", "via": "console"}
    assert f"Job {job.id} requeued." in alice.get(f"/jobs/{job.id}").text  # the flash message


def test_retry_of_a_job_that_has_not_ended_changes_nothing(db, console, make_job):
    job = make_job()
    response = console.client().act("/actions/retry", {"job_id": job.id}, page=f"/jobs/{job.id}")
    assert response.status_code == 303
    row = _row(db, job.id)
    assert row["status"] == "queued" and [e["msg"] for e in row["logs"]] == [
        "Job created",
        "Job parameters set",
    ]


def test_cancel_ends_a_waiting_job_and_flags_a_running_one_with_who_did_it(db, console, make_job):
    waiting, running = make_job(), make_job()
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET status = 'running', worker_id = 'w1' WHERE id = %s",
                    (running.id,))  # fmt: skip
    bob = console.client(user="carol", password=console.settings.credentials.token or "")
    bob.act("/actions/cancel", {"job_id": waiting.id}, page=f"/jobs/{waiting.id}")
    bob.act("/actions/cancel", {"job_id": running.id}, page=f"/jobs/{running.id}")
    row = _row(db, waiting.id)
    assert row["status"] == "cancelled" and row["finished_at"] is not None
    assert row["logs"][-1]["msg"] == "Cancelled by operator"
    assert row["logs"][-1]["meta"] == {"by": "carol (token)", "via": "console"}
    row = _row(db, running.id)
    assert row["status"] == "running" and row["cancel_requested"] is True
    assert row["logs"][-1]["msg"] == "Cancel requested by operator"


def test_a_dead_letter_group_is_requeued_and_nothing_else(db, console, make_org):
    org = make_org()
    base = {"org_id": org, "status": "dead_letter", "priority": 50, "queue": "default",
            "created_at": "2026-01-01T00:00:00Z"}  # fmt: skip
    insert_jobs(
        db,
        [
            {**base, "job_type": "noop", "last_error": f"NotFound: run {i}1a2b not found"}
            for i in range(4)
        ]
        + [{**base, "job_type": "noop", "last_error": "InvalidParams: other"}]
        + [{**base, "job_type": "model_run", "last_error": "NotFound: run 9 not found"}],
    )
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET finished_at = clock_timestamp()")
    alice = console.client()
    page = alice.get("/dead?since=24h").text
    assert "Requeue 4" in page
    response = alice.act(
        "/actions/requeue-group",
        {"job_type": "noop", "pattern": "NotFound: run #a#b not found", "since": "24h", "count": 4},
        page="/dead",
    )
    assert response.status_code == 303 and response.headers["Location"] == "/dead?since=24h"
    statuses = fetch_all(
        db,
        "SELECT job_type, last_error, status FROM jobs ORDER BY job_type, last_error NULLS FIRST",
    )
    queued = [s for s in statuses if s["status"] == "queued"]
    assert len(queued) == 4 and all(s["job_type"] == "noop" for s in queued)
    assert {(s["job_type"], s["last_error"]) for s in statuses if s["status"] == "dead_letter"} == {
        ("noop", "InvalidParams: other"),
        ("model_run", "NotFound: run 9 not found"),
    }
    signed = fetch_all(
        db, "SELECT logs -> -1 -> 'meta' ->> 'by' AS by FROM jobs WHERE status = 'queued'"
    )
    assert {s["by"] for s in signed} == {"alice"}


def test_requeue_dead_takes_the_type_and_window_asked_as_the_cli_does(db, console, make_job):
    old, recent, other = make_job(), make_job(), make_job("model_run")
    for job in (old, recent, other):
        _dead(db, job.id)
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET finished_at = now() - interval '3 days' WHERE id = %s",
                    (old.id,))  # fmt: skip
    console.client().act(
        "/actions/requeue-dead", {"job_type": "noop", "since": "24h"}, page="/dead"
    )
    assert [_row(db, j.id)["status"] for j in (old, recent, other)] == [
        "dead_letter",
        "queued",
        "dead_letter",
    ]


def test_pause_and_resume_are_recorded_with_who_and_the_bridge_obeys(
    db, console, settings, make_job
):
    alice = console.client()
    alice.act("/actions/pause", {"kind": "job_type", "name": "noop"})
    paused = fetch_all(db, "SELECT kind, name, paused_by FROM dramatiq.finapilot_paused")
    assert paused == [{"kind": "job_type", "name": "noop", "paused_by": "alice"}]
    overview = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", alice.get("/").text))
    assert re.search(r"Paused What Name By Since job type noop alice 20", overview), overview
    job = make_job()
    register_worker(db, threads=2)
    manager = BridgeManager(db, settings)
    assert manager.dispatch().dispatched == 0 and _row(db, job.id)["status"] == "queued"
    alice.act("/actions/resume", {"kind": "job_type", "name": "noop"})
    assert fetch_all(db, "SELECT * FROM dramatiq.finapilot_paused") == []
    assert manager.dispatch().dispatched == 1 and _row(db, job.id)["status"] == "running"


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "queue", "name": "no_such_queue"},
        {"kind": "everything", "name": "noop"},
        {"kind": "job_type", "name": "bad name!"},
    ],
)
def test_pausing_something_that_is_not_a_type_or_queue_is_refused(db, console, fields):
    alice = console.client()
    response = alice.post("/actions/pause", {**fields, "csrf_token": alice.csrf_token()})
    assert response.status_code == 400
    assert fetch_all(db, "SELECT * FROM dramatiq.finapilot_paused") == []


def test_a_read_only_role_with_the_documented_grants_reads_every_page_and_acts_on_nothing(
    db, database_url, env, serve_console, make_job
):
    job = make_job()
    _dead(db, job.id)
    grants = (Path(SQL_DIR) / "ddl" / "console_readonly_role.sql").read_text()
    role = "console_ro_" + re.sub(r"\W", "", database_url.rsplit("/", 1)[1])
    password = "read-only-password-123"
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP ROLE IF EXISTS {role}")
        cur.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        cur.execute(grants.replace("finapilot_console", role))
    try:
        base, _, name = database_url.rpartition("/")
        scheme, _, host = base.partition("://")
        host = host.split("@", 1)[-1]
        ro_url = f"{scheme}://{role}:{password}@{host}/{name}"
        console = serve_console({**env, "DATABASE_URL": ro_url})
        alice = console.client()
        for path in (
            "/",
            "/jobs",
            "/jobs?type=noop&status=dead_letter",
            f"/jobs/{job.id}",
            "/dead",
        ):
            response = alice.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            assert 'method="post"' not in response.text, path  # no action is offered
            assert "read-only" in response.text
        refused = alice.post(
            "/actions/retry", {"job_id": job.id, "csrf_token": alice.csrf_token("/jobs")}
        )
        assert refused.status_code == 403 and "may read but not change jobs" in refused.text
        with db.transaction() as cur:  # the role itself cannot write, whatever the console does
            cur.execute("SELECT has_table_privilege(%s, 'jobs', 'UPDATE') AS w", (role,))
            assert cur.fetchone()["w"] is False
        assert _row(db, job.id)["status"] == "dead_letter"
    finally:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            cur.execute(f"DROP OWNED BY {role}")
            cur.execute(f"DROP ROLE {role}")
        conn.close()


def test_a_bulk_requeue_stops_at_its_cap(db, console, make_org, monkeypatch):
    import app.console.actions as actions

    monkeypatch.setattr(actions, "BATCH", 2)
    monkeypatch.setattr(actions, "BULK_MAX", 4)
    org = make_org()
    insert_jobs(
        db,
        [
            {
                "job_type": "noop",
                "org_id": org,
                "status": "dead_letter",
                "priority": 50,
                "queue": "default",
                "created_at": "2026-01-01T00:00:00Z",
                "last_error": "X: y",
            }
            for _ in range(7)
        ],  # fmt: skip
    )
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET finished_at = clock_timestamp()")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    n = console.app.extensions["console"]["actions"].requeue_group("noop", "X: y", since, "alice")
    assert n == 4
    assert fetch_one(db, "SELECT count(*) AS n FROM jobs WHERE status = 'queued'")["n"] == 4
