"""The operator CLI (python -m app jobs …) against real PostgreSQL."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from app.__main__ import main as app_main
from app.client import submit
from app.operator_cli import add_parser, run
from tests.conftest import ROOT


def _run(settings, *argv: str, answer: str = "n") -> tuple[int, str]:
    import argparse

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["jobs", *argv])
    out = io.StringIO()
    code = run(args, settings, out=out, ask=lambda q: answer)
    return code, out.getvalue()


def _set(db, job_id: str, **cols) -> None:
    sets = ", ".join(f"{k} = %({k})s" for k in cols)
    with db.transaction() as cur:
        cur.execute(f"UPDATE jobs SET {sets} WHERE id = %(id)s", {**cols, "id": job_id})


def test_stats_counts_jobs_by_type_queue_and_status_in_text_and_json(db, settings):
    for _ in range(3):
        submit(db, "noop")
    dead = submit(db, "noop")
    _set(db, dead.id, status="dead_letter")
    code, text = _run(settings, "stats")
    assert code == 0 and "Jobs by type, queue and status:" in text
    assert "noop" in text and "Oldest runnable job waiting" in text
    code, raw = _run(settings, "--json", "stats")
    doc = json.loads(raw)
    counts = {(r["job_type"], r["status"]): r["n"] for r in doc["jobs"]}
    assert counts == {("noop", "queued"): 3, ("noop", "dead_letter"): 1}
    assert doc["oldestDueSeconds"] >= 0


def test_show_prints_the_row_logs_and_hides_parameter_values(db, settings):
    job = submit(db, "noop", {"fileData": "U0VDUkVUIFBBWUxPQUQ=", "mappings": {"a": "b"}})
    code, text = _run(settings, "show", job.id)
    assert code == 0 and job.id in text and "Job parameters set" in text
    assert "U0VDUkVU" not in text and "(2 keys hidden)" in text
    code, raw = _run(settings, "--json", "show", job.id)
    assert json.loads(raw)["job"]["status"] == "queued"
    assert _run(settings, "show", "00000000-0000-0000-0000-000000000000")[0] == 1


def test_recent_and_stuck_list_what_an_operator_needs(db, settings):
    job = submit(db, "noop")
    _set(db, job.id, status="running", worker_id="worker-gone-1")
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET visibility_expires_at = now() - interval '5 min', "
            "run_started_at = now() - interval '6 min' WHERE id = %s",
            (job.id,),
        )
    code, text = _run(settings, "recent", "--limit", "5")
    assert code == 0 and job.id[:8] in text and "running" in text
    code, raw = _run(settings, "--json", "stuck")
    rows = json.loads(raw)
    assert [r["id"] for r in rows] == [job.id] and rows[0]["expired_for_s"] > 290


def test_retry_asks_first_and_requeues_like_the_backend_admin(db, settings):
    job = submit(db, "noop")
    _set(db, job.id, status="dead_letter", attempts=5, last_error="InvalidParams: x")
    code, text = _run(settings, "retry", job.id, answer="n")
    assert code == 1 and "aborted" in text
    assert job.refresh().status == "dead_letter"
    code, text = _run(settings, "retry", job.id, answer="y")
    assert code == 0
    job.refresh()
    assert (job.status, job.attempts, job.last_error) == ("queued", 0, None)


def test_requeue_dead_takes_only_the_type_and_window_asked(db, settings):
    recent_dead, old_dead, other = (submit(db, "noop") for _ in range(3))
    _set(db, recent_dead.id, status="dead_letter")
    _set(db, other.id, status="completed")
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET finished_at = now() WHERE id = %s", (recent_dead.id,))
        cur.execute(
            "UPDATE jobs SET status = 'dead_letter', finished_at = now() - interval '3 days' "
            "WHERE id = %s",
            (old_dead.id,),
        )
    code, _ = _run(settings, "requeue-dead", "--type", "noop", "--since", "1d", "--yes")
    assert code == 0
    assert recent_dead.refresh().status == "queued"
    assert old_dead.refresh().status == "dead_letter"
    assert other.refresh().status == "completed"


def test_cancel_ends_a_queued_job_and_flags_a_running_one(db, settings):
    queued, running = submit(db, "noop"), submit(db, "noop")
    _set(db, running.id, status="running", worker_id="w")
    assert _run(settings, "cancel", queued.id, "--yes")[0] == 0
    assert queued.refresh().status == "cancelled"
    code, text = _run(settings, "cancel", running.id, "--yes")
    assert code == 0 and "cancel requested" in text
    with db.transaction() as cur:
        cur.execute("SELECT cancel_requested FROM jobs WHERE id = %s", (running.id,))
        assert cur.fetchone()["cancel_requested"] is True


def test_purge_dry_run_counts_and_purge_deletes_finished_messages(db, settings):
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, mtime) VALUES "
            "(gen_random_uuid(), 'default', 'done', now() - interval '2 hours'), "
            "(gen_random_uuid(), 'default', 'queued', now() - interval '2 hours')"
        )
    code, text = _run(settings, "purge", "--dry-run")
    assert code == 0 and text.startswith("1 finished")
    assert _run(settings, "purge", "--yes")[0] == 0
    with db.transaction() as cur:
        cur.execute("SELECT state::text FROM dramatiq.queue")
        assert [r["state"] for r in cur.fetchall()] == ["queued"]


@pytest.mark.parametrize(
    "command", ["stats", "recent", "stuck", "show", "retry", "cancel", "requeue-dead", "purge"]
)
def test_every_command_has_clear_help(command):
    proc = subprocess.run(
        [sys.executable, "-m", "app", "jobs", command, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert f"app jobs {command}" in proc.stdout and "usage:" in proc.stdout


def test_destructive_commands_refuse_without_a_terminal_or_yes(db, env):
    dead = submit(db, "noop")
    _set(db, dead.id, status="dead_letter")
    proc = subprocess.run(
        [sys.executable, "-m", "app", "jobs", "retry", dead.id],
        cwd=ROOT,
        env=env | {"PATH": ""},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "refusing without a terminal: add --yes" in proc.stderr
    assert dead.refresh().status == "dead_letter"


def test_app_main_rejects_unknown_commands():
    with pytest.raises(SystemExit):
        app_main(["nope"])
