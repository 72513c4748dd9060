"""End to end through real processes: a row inserted as the backend does → bridge → dramatiq-pg
→ a real ``dramatiq`` worker → the lifecycle's outcome on the row."""

from __future__ import annotations

import signal
import time

from app.client import submit
from app.db import Database
from tests.conftest import wait_for


def _statuses(db: Database, ids: list[str]) -> dict[str, str]:
    with db.transaction() as cur:
        cur.execute("SELECT id::text, status FROM jobs WHERE id = ANY(%s::uuid[])", (ids,))
        return {r["id"]: r["status"] for r in cur.fetchall()}


def test_noop_jobs_complete_exactly_once_through_bridge_and_worker(db, spawn):
    handles = [submit(db, "noop", {"i": i}) for i in range(30)]
    spawn("worker", threads=4)
    spawn("bridge")
    for h in handles:
        assert h.wait(timeout=30).status == "completed"
    with db.transaction() as cur:
        cur.execute("SELECT logs, progress::float8 AS p, finished_at, worker_id FROM jobs")
        rows = cur.fetchall()
    for row in rows:
        msgs = [e["msg"] for e in row["logs"]]
        assert msgs.count("Job completed successfully") == 1
        assert msgs.count("Job started") == 1
        assert msgs[:2] == ["Job created", "Job parameters set"]
        assert row["p"] == 100 and row["finished_at"] is not None
        assert row["worker_id"].startswith("worker-")


def test_retry_with_backoff_then_success(db, spawn):
    handle = submit(db, "noop", {"failAttempts": 2})
    spawn("worker", threads=2)
    spawn("bridge")
    handle.wait(timeout=30)
    assert handle.status == "completed"
    assert handle.attempts == 2
    with db.transaction() as cur:
        cur.execute("SELECT logs, last_error FROM jobs WHERE id = %s", (handle.id,))
        row = cur.fetchone()
    errors = [e for e in row["logs"] if e["level"] == "error"]
    assert [e["meta"]["attempt"] for e in errors] == [1, 2]
    assert all(e["meta"]["retryable"] and "nextRunAt" in e["meta"] for e in errors)
    assert row["last_error"].startswith("TransientError: noop failing attempt 2")


def test_permanent_error_dead_letters_at_once(db, spawn):
    handle = submit(db, "noop", {"fail": "permanent"})
    spawn("worker", threads=2)
    spawn("bridge")
    handle.wait(timeout=30)
    assert handle.status == "dead_letter"
    assert handle.attempts == 1
    assert handle.last_error == "InvalidParams: noop was asked to fail permanently"


def test_exhausted_attempts_end_dead_letter(db, spawn):
    handle = submit(db, "noop", {"failAttempts": 99}, max_attempts=3)
    spawn("worker", threads=2)
    spawn("bridge")
    handle.wait(timeout=30)
    assert handle.status == "dead_letter"
    assert handle.attempts == 3


def test_cancel_of_a_running_job_ends_cancelled_not_completed(db, spawn):
    handle = submit(db, "noop", {"sleepSeconds": 20})
    spawn("worker", threads=2)
    spawn("bridge")
    wait_for(lambda: handle.refresh().status == "running" and handle.progress > 0, timeout=20)
    assert handle.cancel() == "running"
    handle.wait(timeout=15)
    assert handle.status == "cancelled"
    with db.transaction() as cur:
        cur.execute("SELECT logs FROM jobs WHERE id = %s", (handle.id,))
        msgs = [e["msg"] for e in cur.fetchone()["logs"]]
    assert "Job cancelled by user" in msgs and "Job completed successfully" not in msgs


def test_cancel_of_a_queued_job_ends_cancelled_and_never_runs(db, spawn):
    handle = submit(db, "noop")
    assert handle.cancel() == "cancelled"
    spawn("worker", threads=2)
    spawn("bridge")
    time.sleep(1.5)
    handle.refresh()
    assert handle.status == "cancelled"
    with db.transaction() as cur:
        cur.execute("SELECT logs FROM jobs WHERE id = %s", (handle.id,))
        msgs = [e["msg"] for e in cur.fetchone()["logs"]]
    assert "Job started" not in msgs


def test_the_job_of_a_sigkilled_worker_goes_back_at_once_and_completes_once(db, spawn):
    handle = submit(db, "noop", {"sleepSeconds": 3})
    victim = spawn("worker", threads=2)
    spawn("bridge")
    wait_for(lambda: handle.refresh().status == "running" and handle.progress > 0, timeout=20)
    victim.signal(signal.SIGKILL)
    victim.popen.wait(5)
    spawn("worker", threads=2)
    handle.wait(timeout=40)
    assert handle.status == "completed"
    assert handle.attempts == 0  # a first crash is not the job's fault (issue 12)
    with db.transaction() as cur:
        cur.execute("SELECT logs FROM jobs WHERE id = %s", (handle.id,))
        msgs = [e["msg"] for e in cur.fetchone()["logs"]]
    assert msgs.count("Job completed successfully") == 1
    assert msgs.count("Job started") == 2
    # released once: by its lost session (or, on a slow machine, by its short test lease)
    assert sum(m.startswith(("Worker lost; worker ", "Lease expired; worker ")) for m in msgs) == 1


def test_sigterm_mid_job_loses_nothing_and_releases_after_the_grace(db, spawn):
    quick = submit(db, "noop", {"sleepSeconds": 1})
    slow = submit(db, "noop", {"sleepSeconds": 12})
    first = spawn("worker", threads=2)
    spawn("bridge")
    wait_for(lambda: quick.refresh().status == "running" and slow.refresh().status == "running")
    first.signal(signal.SIGTERM)  # grace is 3 s in tests (WORKER_GRACEFUL_SHUTDOWN_TIMEOUT)
    assert first.popen.wait(20) == 0
    assert quick.refresh().status == "completed"  # finished within the grace
    slow.refresh()
    assert slow.status == "retrying" and slow.attempts == 0
    assert slow.last_error == "WorkerShutdown: released during shutdown"
    spawn("worker", threads=2)
    assert slow.wait(timeout=40).status == "completed"
    log = first.log()
    assert "Shutdown requested, waiting for 2 active jobs" in log
    assert "Worker shutdown complete" in log


def test_a_message_requeued_by_a_stopping_worker_is_taken_by_a_live_worker_within_seconds(
    db, spawn
):
    # One thread, prefetch 2: the second job waits in the stopping worker's memory.
    env = {"dramatiq_queue_prefetch": "2", "BRIDGE_WINDOW_PER_THREAD": "2"}
    running = submit(db, "noop", {"sleepSeconds": 6})
    waiting = submit(db, "noop", {"sleepSeconds": 0.1})
    stopping = spawn("worker", threads=1, extra_env=env)
    spawn("bridge", extra_env=env)
    wait_for(lambda: running.refresh().status == "running" and running.progress > 0)
    with db.transaction() as cur:
        cur.execute("SELECT count(*) AS n FROM dramatiq.queue WHERE state = 'consumed'")
        assert cur.fetchone()["n"] == 2  # both taken by the one-thread worker
    live = spawn("worker", threads=1, extra_env=env)
    stopping.signal(signal.SIGTERM)
    stopping.popen.wait(20)
    assert "messages_requeued count=1" in stopping.log()
    # Without the announced requeue a live consumer finds it only on a random rescan (minutes).
    waiting.wait(timeout=10)
    assert waiting.status == "completed"
    with db.transaction() as cur:
        cur.execute("SELECT worker_id FROM jobs WHERE id = %s", (waiting.id,))
        owner = cur.fetchone()["worker_id"]
    assert owner.endswith(f"-{live.child_pids()[0]}") or str(live.child_pids()[0]) in owner
    assert running.wait(timeout=30).status == "completed"  # released at the grace, rerun by `live`
