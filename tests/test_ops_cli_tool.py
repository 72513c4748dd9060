"""The command lines behave like one tool (issue 9.7): ``--json`` anywhere and on every command,
time zones in JSON, a description in every ``--help``, tables that fit 80 to 120 columns,
filters on the commands that list jobs, served by the backend's indexes."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import subprocess
import sys

import pytest

from app.__main__ import build_parser as app_parser
from app.cli import to_json
from app.client import submit
from app.operator_cli import JobFilter, add_parser, id_range, run
from app.sql import SQL
from bridge.__main__ import build_parser as bridge_parser
from tests.conftest import ROOT

LONG_ERROR = "InvalidParams: " + "the revenue driver must be a finite number in range; " * 6


def _run(settings, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    code = run(parser.parse_args(["jobs", *argv]), settings, out=out, ask=lambda q: "n")
    return code, out.getvalue()


def _cli(env, *argv: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    extra = {"COLUMNS": str(columns)} if columns else {}
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env={**os.environ, **env, **extra},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _set(db, job_id: str, **cols) -> None:
    sets = ", ".join(f"{k} = %({k})s" for k in cols)
    with db.transaction() as cur:
        cur.execute(f"UPDATE jobs SET {sets} WHERE id = %(id)s", {**cols, "id": job_id})


def _json_commands(db) -> list[tuple[list[str], str]]:
    """Every jobs command with its arguments, and a key its JSON document must have."""
    dead, waiting, other = (submit(db, "noop") for _ in range(3))
    _set(db, dead.id, status="dead_letter", finished_at=dt.datetime.now(dt.UTC))
    return [
        (["stats"], "unserved"),
        (["recent"], "id"),
        (["stuck"], ""),
        (["show", other.id[:8]], "job"),
        (["retry", dead.id, "--yes"], "requeued"),
        (["cancel", waiting.id, "--yes"], "status"),
        (["requeue-dead", "--type", "noop", "--since", "1h", "--yes"], "requeued"),
        (["purge", "--dry-run"], "finished"),
        (["purge", "--yes"], "deleted"),
    ]


@pytest.mark.parametrize("where", ["before", "after"])
def test_json_goes_before_or_after_every_jobs_command(db, settings, where):
    for argv, key in _json_commands(db):
        flags = ["--json", *argv] if where == "before" else [*argv, "--json"]
        code, raw = _run(settings, *flags)
        assert code == 0, (argv, raw)
        doc = json.loads(raw)
        if key and isinstance(doc, list):
            assert doc and key in doc[0], (argv, doc)
        elif key:
            assert key in doc, (argv, doc)


def test_cancel_and_purge_say_what_they_did_in_json(db, settings):
    queued, running = submit(db, "noop"), submit(db, "noop")
    _set(db, running.id, status="running", worker_id="w")
    assert json.loads(_run(settings, "cancel", queued.id, "--yes", "--json")[1]) == {
        "id": queued.id,
        "jobType": "noop",
        "status": "cancelled",
        "cancelRequested": False,
    }
    doc = json.loads(_run(settings, "cancel", running.id[:8], "--yes", "--json")[1])
    assert (doc["status"], doc["cancelRequested"]) == ("running", True)
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO dramatiq.queue (message_id, queue_name, state, mtime) VALUES "
            "(gen_random_uuid(), 'default', 'done', now() - interval '2 hours')"
        )
    assert json.loads(_run(settings, "purge", "--dry-run", "--json")[1]) == {
        "dryRun": True,
        "olderThanSeconds": 3600.0,
        "finished": 1,
    }
    doc = json.loads(_run(settings, "purge", "--yes", "--json")[1])
    assert (doc["dryRun"], doc["deleted"]) == (False, 1)


def test_bridge_commands_take_json_before_or_after(env, spawn):
    for argv in (["trigger", "status", "--json"], ["--json", "trigger", "status"]):
        proc = _cli(env, "-m", "bridge", *argv)
        assert proc.returncode == 0 and json.loads(proc.stdout) == {"trigger": "not installed"}
    proc = _cli(env, "-m", "bridge", "trigger", "install", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == {"trigger": "installed"}
    bridge = spawn("bridge")
    proc = _cli(env, "-m", "bridge", "health", "--port", str(bridge.metrics_port), "--json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0 and doc["healthy"] is True and doc["database"] == "ok"
    assert doc["bridge"].startswith("ok: last loop")
    bridge.stop()
    proc = _cli(env, "-m", "bridge", "--json", "health", "--port", str(bridge.metrics_port))
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1 and doc["healthy"] is False
    assert "no bridge answers" in doc["bridge"]


def test_bridge_run_json_logs_one_object_a_line(env):
    proc = _cli(
        env | {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}, "-m", "bridge", "run", "--json"
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert proc.returncode == 1 and lines[0]["msg"] == "🚀 FinaPilot Python Worker started"


def test_json_timestamps_carry_their_time_zone(db, settings):
    job = submit(db, "noop")
    with db.transaction() as cur:
        cur.execute("SELECT created_at FROM jobs WHERE id = %s", (job.id,))
        created = cur.fetchone()["created_at"]
    for argv in (["recent"], ["show", job.id]):
        doc = json.loads(_run(settings, "--json", *argv)[1])
        row = doc[0] if isinstance(doc, list) else doc["job"]
        assert row["created_at"].endswith("Z")
        parsed = dt.datetime.fromisoformat(row["created_at"])
        assert parsed.utcoffset() == dt.timedelta(0) and parsed == created
    # a backend `timestamp` column (no zone) is Prisma's UTC; a local time is converted
    naive = dt.datetime(2024, 3, 1, 9, 30)
    cet = dt.datetime(2024, 3, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert json.loads(to_json([naive, cet])) == ["2024-03-01T09:30:00Z"] * 2


def _all_parsers() -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        found[prefix] = parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(f"{prefix} {name}", child)

    walk("python -m app", app_parser())
    walk("python -m bridge", bridge_parser())
    return found


def test_every_command_and_subcommand_help_has_a_description():
    parsers = _all_parsers()
    assert {"python -m app jobs recent", "python -m app dev-schema", "python -m bridge health"} <= (
        set(parsers)
    )
    for name, parser in parsers.items():
        description = " ".join((parser.description or "").split())
        assert len(description) > 20, name
        assert description[:40] in " ".join(parser.format_help().split()), name


def test_recent_fits_an_80_to_120_column_terminal(db, env):
    long_type = submit(db, "investor_export_pptx")
    failed = submit(db, "noop")
    _set(db, failed.id, status="dead_letter", attempts=5, last_error=LONG_ERROR)
    running = submit(db, "noop")
    _set(db, running.id, status="running", progress=42, run_started_at=dt.datetime.now(dt.UTC))
    for width in (80, 100, 120):
        proc = _cli(env, "-m", "app", "jobs", "recent", columns=width)
        lines = proc.stdout.splitlines()
        assert proc.returncode == 0 and lines[0].startswith("id ")
        assert max(len(line) for line in lines) <= width, (width, proc.stdout)
        for job in (long_type, failed, running):
            assert any(line.startswith(job.id[:8] + " ") for line in lines[1:])
        assert "running 42%" in proc.stdout and "investor_export_pptx" in proc.stdout
        assert "Invalid" in proc.stdout and "…" in proc.stdout  # the error is cut, not wrapped


def test_recent_stats_and_stuck_take_type_status_org_and_since_filters(db, settings, make_org):
    acme, globex = make_org("Acme"), make_org("Globex")
    old = submit(db, "noop", org_id=acme)
    _set(db, old.id, created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    new_acme = submit(db, "noop", org_id=acme)
    dead_globex = submit(db, "noop", org_id=globex)
    _set(db, dead_globex.id, status="dead_letter")
    model = submit(db, "model_run", org_id=globex)

    def ids(*argv: str) -> set[str]:
        code, raw = _run(settings, "recent", "--json", *argv)
        assert code == 0
        return {r["id"] for r in json.loads(raw)}

    assert ids() == {old.id, new_acme.id, dead_globex.id, model.id}
    assert ids("--type", "model_run") == {model.id}
    assert ids("--type", "noop", "--type", "model_run") == ids("--type", "noop,model_run")
    assert ids("--status", "dead_letter") == {dead_globex.id}
    assert ids("--status", "queued,dead_letter", "--org", globex) == {dead_globex.id, model.id}
    assert ids("--org", acme) == {old.id, new_acme.id}
    assert ids("--org", acme, "--since", "1d") == {new_acme.id}
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    assert ids("--since", since, "--type", "noop") == {new_acme.id, dead_globex.id}
    stats = json.loads(_run(settings, "stats", "--json", "--org", globex)[1])
    assert {(r["job_type"], r["status"], r["n"]) for r in stats["jobs"]} == {
        ("model_run", "queued", 1),
        ("noop", "dead_letter", 1),
    }
    _set(db, new_acme.id, status="running", worker_id="gone")
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET visibility_expires_at = now() - interval '1 min' WHERE id = %s",
            (new_acme.id,),
        )
    stuck = json.loads(_run(settings, "stuck", "--json", "--org", acme)[1])
    assert [r["id"] for r in stuck] == [new_acme.id]
    assert json.loads(_run(settings, "stuck", "--json", "--org", globex)[1]) == []


@pytest.mark.parametrize(
    "argv", [["--type", "nope"], ["--status", "finished"], ["--org", "acme"], ["--since", "soon"]]
)
def test_a_bad_filter_value_is_refused_by_the_command_line(settings, argv):
    with pytest.raises(SystemExit) as exited:
        _run(settings, "recent", *argv)
    assert exited.value.code == 2


def _plan(db, name: str, params: dict) -> str:
    with db.transaction() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + SQL.query(name), params)
        return json.dumps(cur.fetchone()["QUERY PLAN"])


def test_the_filters_are_served_by_the_backend_indexes(db, make_org):
    crowd, few = make_org("Crowd"), make_org("Few")
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO jobs (job_type, org_id, status) SELECT 'noop', %s, 'completed' "
            "FROM generate_series(1, 20000)",
            (crowd,),
        )
        cur.execute(
            "INSERT INTO jobs (job_type, org_id, status) VALUES "
            "('model_run', %(few)s, 'dead_letter'), ('noop', %(few)s, 'queued')",
            {"few": few},
        )
        cur.execute("ANALYZE jobs")
    limit = {"limit": 20}
    by_org = JobFilter(org_id=few).params()
    assert "jobs_orgId_idx" in _plan(db, "ops_recent", by_org | limit)
    assert "jobs_orgId_idx" in _plan(db, "ops_counts", by_org)
    by_type = JobFilter(types=("model_run",)).params()
    assert "jobs_job_type_idx" in _plan(db, "ops_recent", by_type | limit)
    by_status = JobFilter(statuses=("dead_letter",)).params()
    assert "jobs_status" in _plan(db, "ops_recent", by_status | limit)
    low, high = id_range("abcdef12")
    assert "jobs_pkey" in _plan(db, "ops_job_by_id_prefix", {"low": low, "high": high})


def test_a_job_id_prefix_names_one_job_and_an_ambiguous_one_is_refused(db, settings):
    first, second = submit(db, "noop"), submit(db, "noop")
    twin_a, twin_b = "abcdef12-0000-4000-8000-000000000001", "abcdef12-0000-4000-8000-000000000002"
    with db.transaction() as cur:
        for job, twin in ((first, twin_a), (second, twin_b)):
            cur.execute("UPDATE jobs SET id = %s WHERE id = %s", (twin, job.id))
    code, raw = _run(settings, "show", "ABCDEF12-0000-4000-8000-000000000002", "--json")
    assert code == 0 and json.loads(raw)["job"]["id"] == twin_b
    assert _run(settings, "show", "abcdef12")[0] == 2  # two jobs start so
    assert _run(settings, "show", "abcdef12-0000-4000-8000-00000000000")[0] == 2
    third = submit(db, "noop")
    assert json.loads(_run(settings, "show", third.id[:8], "--json")[1])["job"]["id"] == third.id


def test_retry_and_cancel_refuse_jobs_in_the_wrong_state(db, settings):
    running, done = submit(db, "noop"), submit(db, "noop")
    _set(db, running.id, status="running", worker_id="w")
    _set(db, done.id, status="completed", finished_at=dt.datetime.now(dt.UTC))
    assert _run(settings, "retry", running.id, "--yes")[0] == 1
    assert running.refresh().status == "running"
    assert _run(settings, "cancel", done.id, "--yes")[0] == 1
    assert done.refresh().status == "completed"
