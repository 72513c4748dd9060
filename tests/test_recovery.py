"""Recovery in seconds, and finished work never redone (issue 12), with real processes: a
SIGKILLed worker, a PostgreSQL restart, a cut network and terminated sessions during the final
write, SIGTERM however it arrives, and the worker service's health check."""

from __future__ import annotations

import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg2
import pytest

from app.client import JobHandle, submit
from app.db import Database
from app.devtools.dev_schema import create_dev_database
from app.devtools.embedded import start_embedded
from app.settings import Settings
from tests.conftest import Proc, wait_for
from tests.tcp_proxy import TcpProxy

#: A lease far longer than any wait below: whatever gives a job back here is not the lease.
LONG_LEASE = {"JOB_VISIBILITY_TIMEOUT_SECONDS": "120", "WORKER_HEARTBEAT_SECONDS": "1"}
CRASH_PREFIXES = ("Worker lost; ", "Lease expired; ")


def _msgs(db: Database, job_id: str) -> list[str]:
    with db.transaction() as cur:
        cur.execute("SELECT logs FROM jobs WHERE id = %s", (job_id,))
        return [e["msg"] for e in cur.fetchone()["logs"]]


def _ran_once_and_completed_once(db: Database, handle: JobHandle) -> None:
    assert handle.refresh().status == "completed", handle
    msgs = _msgs(db, handle.id)
    assert msgs.count("Job started") == 1, msgs
    assert msgs.count("Job completed successfully") == 1, msgs
    assert not [m for m in msgs if m.startswith(CRASH_PREFIXES)], msgs
    assert handle.attempts == 0


def _worker_id(db: Database, job_id: str) -> str:
    with db.transaction() as cur:
        cur.execute("SELECT worker_id FROM jobs WHERE id = %s", (job_id,))
        return str(cur.fetchone()["worker_id"])


def _worker_pid(db: Database, job_id: str) -> int:
    return int(_worker_id(db, job_id).rsplit("-", 1)[1])


def _in_final_transaction(url: str) -> bool:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                "'finapilot-worker' AND state = 'idle in transaction' "
                "AND datname = current_database()"
            )
            return cur.fetchone()[0] > 0
    finally:
        conn.close()


def test_a_sigkilled_workers_job_starts_again_on_another_live_worker_and_completes_once(db, spawn):
    first = spawn("worker", threads=2, extra_env=LONG_LEASE)
    second = spawn("worker", threads=2, extra_env=LONG_LEASE)
    spawn("bridge", extra_env=LONG_LEASE)
    job = submit(db, "noop", {"sleepSeconds": 4})
    wait_for(lambda: job.refresh().status == "running" and job.progress > 0, timeout=30)
    owner_id = _worker_id(db, job.id)
    owner = _worker_pid(db, job.id)
    victim, survivor = (first, second) if owner in first.child_pids() else (second, first)
    victim.signal(signal.SIGKILL)  # the whole container: no shutdown, no last words
    job.wait(timeout=60)  # far below the 120 s lease: only the lost session can give it back
    assert job.status == "completed"
    assert job.attempts == 0  # the first crash is not the job's fault
    msgs = _msgs(db, job.id)
    assert msgs.count("Job started") == 2 and msgs.count("Job completed successfully") == 1
    # given back once, by its lost session (the lease had more than a minute to go)
    assert [m for m in msgs if m.startswith(CRASH_PREFIXES)] == [
        f"Worker lost; worker {owner_id} lost its database session"
    ]
    assert _worker_pid(db, job.id) in survivor.child_pids()


@pytest.fixture(scope="module")
def own_server() -> Iterator[tuple[str, object]]:
    """A PostgreSQL server of this module's own, to restart without disturbing other tests."""
    server = start_embedded(f"pg-restart-{os.getpid()}", settings=("max_connections=200",))
    url = create_dev_database(server.url, "restart_test")
    yield url, server
    server.stop()
    shutil.rmtree(server.pgdata, ignore_errors=True)


def _registered(url: str, n: int) -> bool:
    try:
        conn = psycopg2.connect(url)
    except psycopg2.Error:
        return False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM dramatiq.finapilot_workers")
            return cur.fetchone()[0] >= n
    finally:
        conn.close()


def test_a_postgres_restart_while_jobs_run_releases_none_and_reruns_none(own_server, spawn):
    url, server = own_server
    env = {"DATABASE_URL": url, **LONG_LEASE, "WORKER_RECONNECT_GRACE_SECONDS": "20"}
    worker = spawn("worker", threads=4, extra_env=env, wait_ready=False)
    bridge = spawn("bridge", extra_env=env, wait_ready=False)
    wait_for(lambda: _registered(url, 1), timeout=60)
    db = Database(Settings.from_env(env).database, max_connections=2, application_name="test")
    try:
        jobs = [submit(db, "noop", {"sleepSeconds": 8}) for _ in range(4)]
        wait_for(lambda: all(j.refresh().status == "running" for j in jobs), timeout=60)
        server.restart()  # fast shutdown: every session of every process is cut at once

        def all_done() -> bool:
            try:
                return all(j.refresh().done for j in jobs)
            except psycopg2.Error:  # this test's own connections were cut too
                return False

        wait_for(all_done, timeout=120, interval=0.5)
        for job in jobs:
            _ran_once_and_completed_once(db, job)
    finally:
        db.close()
    assert "heartbeat_restored" in worker.log()
    assert "worker_lost" not in bridge.log()


def _via_proxy(url: str, proxy: TcpProxy) -> str:
    port = urlsplit(url).port
    return url.replace(f":{port}/", f":{proxy.port}/", 1)


def test_a_cut_network_during_the_final_write_keeps_the_outcome_and_runs_the_job_once(
    db, spawn, database_url
):
    proxy = TcpProxy(urlsplit(database_url).port or 5432)
    proxy.start()
    try:
        env = {
            "DATABASE_URL": _via_proxy(database_url, proxy),
            **LONG_LEASE,
            "WORKER_RECONNECT_GRACE_SECONDS": "15",
        }
        worker = spawn("worker", threads=2, extra_env=env)
        spawn("bridge", extra_env=env)  # the database is unreachable for the bridge too
        job = submit(db, "noop", {"finalizeSleepSeconds": 3})
        wait_for(lambda: _in_final_transaction(database_url), timeout=30)
        proxy.cut()
        time.sleep(5)
        proxy.start()
        job.wait(timeout=90)
        _ran_once_and_completed_once(db, job)
        log = worker.log()
        assert "job_outcome_retry" in log and "job_outcome_failed" not in log
    finally:
        proxy.cut()


def test_terminated_worker_sessions_during_the_final_write_cost_no_rerun(db, spawn, database_url):
    worker = spawn("worker", threads=2, extra_env=LONG_LEASE)
    spawn("bridge", extra_env=LONG_LEASE)
    job = submit(db, "noop", {"finalizeSleepSeconds": 3})
    wait_for(lambda: _in_final_transaction(database_url), timeout=30)
    with db.transaction() as cur:  # every session of the worker, its liveness session too
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity "
            "WHERE datname = current_database() "
            "AND application_name IN ('finapilot-worker', 'finapilot-liveness')"
        )
        assert cur.fetchone()["n"] >= 2
    job.wait(timeout=60)
    _ran_once_and_completed_once(db, job)
    assert "job_outcome_retry" in worker.log()


@pytest.mark.parametrize(
    "how", ["to-the-process-group", "twice-to-the-process-group", "twice-to-the-main-process"]
)
def test_sigterm_however_it_arrives_exits_0_and_leaves_no_job_running(db, spawn, how):
    quick = submit(db, "noop", {"sleepSeconds": 1.5})
    slow = submit(db, "noop", {"sleepSeconds": 30})
    worker: Proc = spawn("worker", threads=2)  # graceful timeout 3 s (FAST_ENV)
    spawn("bridge")
    wait_for(lambda: quick.refresh().status == "running" and slow.refresh().status == "running")
    send = worker.signal if how.endswith("main-process") else worker.signal_group
    send(signal.SIGTERM)  # to the group: systemd, Heroku-style platforms, shell wrappers
    if how.startswith("twice"):
        time.sleep(0.5)
        send(signal.SIGTERM)
    assert worker.popen.wait(30) == 0
    assert quick.refresh().status == "completed"  # finished within the graceful timeout
    slow.refresh()
    assert slow.status == "retrying" and slow.attempts == 0  # released for another worker
    assert slow.last_error == "WorkerShutdown: released during shutdown"
    log = worker.log()
    assert "Killing worker process" not in log
    if how.startswith("twice"):  # (signals that arrive together may merge into one)
        assert "shutdown_signal_ignored" in log  # the later SIGTERM did not cut the jobs off


def _health(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)


def _worker_process_pid(db: Database, proc: Proc) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT pid FROM dramatiq.finapilot_workers")
        pids = {r["pid"] for r in cur.fetchall()}
    (pid,) = pids & set(proc.child_pids())
    return pid


def test_the_worker_services_health_check_follows_its_worker_processes(db, spawn):
    worker = spawn("worker", threads=2)
    status, body = wait_for(lambda: (r := _health(worker.metrics_port))[0] == 200 and r, 30)
    assert body.startswith("ok: 1 of 1 worker processes serving (2 threads)")
    pid = _worker_process_pid(db, worker)
    os.kill(pid, signal.SIGSTOP)  # hung: connected, yet no heartbeat
    try:
        status, body = wait_for(lambda: (r := _health(worker.metrics_port))[0] == 503 and r, 30)
        assert body.startswith("unhealthy: 0 of 1 worker processes serving")
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_for(lambda: _health(worker.metrics_port)[0] == 200, timeout=30)
