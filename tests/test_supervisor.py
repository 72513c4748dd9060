"""``python -m app run`` as a real supervisor (issue 9.5, 9.6), run as a subprocess: it restarts a
child that dies, stops both on Ctrl-C leaving no job running, appends its logs, says where its
metrics and logs are, honours WORKER_CONCURRENCY, and fails in one line on a bad DATABASE_URL."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest

from app.client import submit
from tests.conftest import PYTHON, ROOT, wait_for


def _app_run(env: dict[str, str], log_dir: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-m", "app", "run", "--log-dir", str(log_dir)],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        stdout=out.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own terminal group: a Ctrl-C reaches it alone
    )


def _ctrl_c(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends to its foreground group


def _workers(url: str) -> list[tuple[int, int]]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT parent_pid, threads FROM dramatiq.finapilot_workers")
            return cur.fetchall()
    finally:
        conn.close()


def _owner(db, job_id: str) -> str | None:
    """The worker process running the job (once it has reported progress)."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT worker_id FROM jobs WHERE id = %s AND status = 'running' AND progress > 0 "
            "AND worker_id LIKE 'worker-%%'",
            (job_id,),
        )
        row = cur.fetchone()
    return row["worker_id"] if row else None


@pytest.fixture
def run_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "WORKER_CONCURRENCY": "3"}


def test_app_run_restarts_a_dead_child_and_ctrl_c_leaves_no_job_running(db, run_env, tmp_path):
    log_dir, out = tmp_path / "logs", tmp_path / "out.txt"
    url = run_env["DATABASE_URL"]
    proc = _app_run(run_env, log_dir, out)
    try:
        ((launcher, threads),) = wait_for(lambda: _workers(url), timeout=60)
        assert threads == 3  # WORKER_CONCURRENCY
        printed = out.read_text()
        assert f"log {log_dir / 'bridge.log'}" in printed
        assert f"log {log_dir / 'worker.log'}" in printed
        assert printed.count("metrics http://127.0.0.1:") == 2
        job = submit(db, "noop", {"sleepSeconds": 60})
        first_owner = wait_for(lambda: _owner(db, job.id), timeout=30)

        os.killpg(launcher, signal.SIGKILL)  # the worker service dies
        wait_for(lambda: [w for w in _workers(url) if w[0] != launcher], timeout=60)
        assert "worker exited with code -9; restarting in 1 s" in out.read_text()
        # its job was given back and runs again on the restarted worker
        wait_for(lambda: _owner(db, job.id) not in (None, first_owner), timeout=30)

        _ctrl_c(proc)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    job.refresh()
    assert job.status == "retrying"  # released at the graceful timeout (3 s here), not left
    assert job.last_error == "WorkerShutdown: released during shutdown"
    assert "stopped (bridge exit 0, worker exit 0)" in out.read_text()
    assert _workers(url) == []


def test_a_second_ctrl_c_releases_running_jobs_now_and_logs_are_appended(db, run_env, tmp_path):
    log_dir, out = tmp_path / "logs", tmp_path / "out.txt"
    url = run_env["DATABASE_URL"]
    for _ in range(2):
        patient = {**run_env, "WORKER_GRACEFUL_SHUTDOWN_TIMEOUT": "120"}
        proc = _app_run(patient, log_dir, out)
        try:
            wait_for(lambda: _workers(url), timeout=60)
            job = submit(db, "noop", {"sleepSeconds": 60})
            wait_for(lambda j=job: _owner(db, j.id), timeout=30)
            _ctrl_c(proc)
            time.sleep(1.0)
            started = time.monotonic()
            _ctrl_c(proc)  # don't wait 120 s: give the jobs back now
            assert proc.wait(60) == 0
            assert time.monotonic() - started < 60
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        job.refresh()
        assert job.status == "retrying" and job.attempts == 0
        assert "releasing the running jobs now" in out.read_text()
    for name in ("bridge.log", "worker.log"):  # the second run appended to the first's
        assert (log_dir / name).read_text().count("🚀 FinaPilot Python Worker started") == 2


def _bad_urls(database_url: str) -> dict[str, str]:
    parts = urlsplit(database_url)
    return {
        "no DATABASE_URL": "",
        "not a postgres URL": "mysql://db/app",
        "wrong port": database_url.replace(f":{parts.port}/", ":1/"),
        "wrong database": database_url.rsplit("/", 1)[0] + "/no_such_database",
        "wrong user": database_url.replace("postgres@", "nobody@"),
    }


@pytest.mark.parametrize(
    "case", ["no DATABASE_URL", "not a postgres URL", "wrong port", "wrong database", "wrong user"]
)
def test_app_run_with_a_bad_database_url_says_so_in_one_line(database_url, tmp_path, case):
    url = _bad_urls(database_url)[case]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if url:
        env["DATABASE_URL"] = url
    done = subprocess.run(
        [PYTHON, "-m", "app", "run", "--log-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 1
    assert len(lines) == 1 and lines[0].startswith("❌ "), lines
    assert "Traceback" not in done.stderr
    expected = {
        "no DATABASE_URL": "DATABASE_URL is required",
        "not a postgres URL": "must start with postgresql://",
        "wrong port": "Failed to connect to database",
        "wrong database": 'database "no_such_database" does not exist',
        "wrong user": 'role "nobody" does not exist',
    }[case]
    assert expected in lines[0]
    assert not (tmp_path / "bridge.log").exists()  # nothing was started
