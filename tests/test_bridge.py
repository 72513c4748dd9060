"""The bridge's statements against real PostgreSQL: claim order, SKIP LOCKED, the window bound,
foreign job types, the reaper and the purge."""

from __future__ import annotations

import select
import threading
from collections import Counter

import psycopg2
import pytest

from app import messages
from app.client import submit
from app.db import Database
from bridge.manager import BridgeManager
from tests.factories import register_worker


def _messages(db: Database) -> list[dict]:
    with db.transaction() as cur:
        cur.execute("SELECT queue_name, state::text, message FROM dramatiq.queue ORDER BY mtime")
        return cur.fetchall()


def _row(db: Database, job_id: str) -> dict:
    with db.transaction() as cur:
        cur.execute("SELECT * FROM jobs WHERE id = %s", (job_id,))
        return cur.fetchone()


@pytest.fixture
def manager(db, settings):
    return BridgeManager(db, settings.replace(window_per_thread=1.0))


def test_claim_takes_highest_priority_then_oldest_across_queues(db, manager):
    low = submit(db, "noop", priority=10)
    high_old = submit(db, "noop", priority=90)
    high_new = submit(db, "noop", priority=90)
    mid = submit(db, "noop", priority=50)
    register_worker(db, threads=3)
    result = manager.dispatch()
    assert result.dispatched == 3
    claimed = {m["message"]["args"][0] for m in _messages(db)}
    assert claimed == {high_old.id, high_new.id, mid.id}
    assert _row(db, low.id)["status"] == "queued"
    row = _row(db, high_old.id)
    assert row["status"] == "running" and row["worker_id"].startswith("dispatch:")
    assert row["attempts"] == 0 and row["progress"] == 0 and row["run_started_at"] is not None


def test_no_worker_capacity_means_nothing_is_dispatched(db, manager):
    submit(db, "noop")
    assert manager.dispatch().dispatched == 0
    assert _messages(db) == []


def test_window_bounds_outstanding_messages_to_worker_capacity(db, manager):
    for _ in range(50):
        submit(db, "noop")
    register_worker(db, threads=4)
    manager.dispatch()
    manager.dispatch()
    assert len(_messages(db)) == 4
    with db.transaction() as cur:  # two messages finish
        cur.execute(
            "UPDATE dramatiq.queue SET state = 'done' WHERE message_id IN "
            "(SELECT message_id FROM dramatiq.queue LIMIT 2)"
        )
    assert manager.dispatch().dispatched == 2
    states = Counter(m["state"] for m in _messages(db))
    assert states == {"queued": 4, "done": 2}


def test_two_concurrent_bridges_never_dispatch_a_job_twice(db, settings):
    for _ in range(300):
        submit(db, "noop")
    register_worker(db, threads=1000)
    managers = [BridgeManager(db, settings.replace(window_per_thread=0.05)) for _ in range(2)]
    errors: list[BaseException] = []

    def run(m: BridgeManager) -> None:
        try:
            for _ in range(40):
                m.dispatch()
                with db.transaction() as cur:  # consumers finish what was handed over
                    cur.execute("UPDATE dramatiq.queue SET state = 'done' WHERE state = 'queued'")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    per_job = Counter(m["message"]["args"][0] for m in _messages(db))
    assert len(per_job) == 300 and set(per_job.values()) == {1}


def test_a_row_locked_by_another_worker_is_skipped_not_waited_for(db, manager, database_url):
    locked = submit(db, "noop", priority=99)
    free = submit(db, "noop", priority=1)
    register_worker(db, threads=5)
    other = psycopg2.connect(database_url)  # e.g. the legacy worker holding the row
    with other.cursor() as cur:
        cur.execute("SELECT id FROM jobs WHERE id = %s FOR UPDATE", (locked.id,))
    try:
        result = manager.dispatch()
        assert result.dispatched == 1
        assert _row(db, free.id)["status"] == "running"
        assert _row(db, locked.id)["status"] == "queued"
    finally:
        other.rollback()
        other.close()


def test_jobs_not_due_cancelled_or_of_foreign_types_are_not_claimed(db, manager):
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO jobs (job_type, status) VALUES ('aicfo_chat', 'queued'), "
            "('xlsx_import', 'retrying'), ('model_run', 'queued')"
        )
        cur.execute(
            "INSERT INTO jobs (job_type, status, next_run_at) VALUES "
            "('noop', 'retrying', now() + interval '1 hour')"
        )
        cur.execute(
            "INSERT INTO jobs (job_type, status, cancel_requested) VALUES ('noop', 'queued', true)"
        )
        cur.execute(
            "INSERT INTO jobs (job_type, status, next_run_at, attempts) VALUES "
            "('noop', 'retrying', now() - interval '1 second', 2) RETURNING id::text"
        )
        due_retry = cur.fetchone()["id"]
    register_worker(db, threads=10)
    result = manager.dispatch()
    assert result.dispatched == 1
    assert [m["message"]["args"][0] for m in _messages(db)] == [due_retry]


def test_reaper_never_touches_foreign_job_types(db, manager):
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO jobs (job_type, status, worker_id, run_started_at, "
            "visibility_expires_at) VALUES ('xlsx_import', 'running', 'legacy-1', "
            "now() - interval '2 hours', now() - interval '1 hour') RETURNING id::text"
        )
        running = cur.fetchone()["id"]
        cur.execute(
            "INSERT INTO jobs (job_type, status, cancel_requested) VALUES "
            "('alert_check', 'queued', true) RETURNING id::text"
        )
        waiting = cur.fetchone()["id"]
    manager.reap()
    assert _row(db, running)["status"] == "running"
    assert _row(db, waiting)["status"] == "queued"


def _expire(db: Database, job_id: str, worker: str = "worker-dead-1") -> None:
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = 'running', worker_id = %s, run_started_at = now(), "
            "visibility_expires_at = now() - interval '1 second' WHERE id = %s",
            (worker, job_id),
        )


def test_a_first_lease_expiry_gives_the_job_back_at_once_without_counting_an_attempt(db, manager):
    job = submit(db, "noop")
    _expire(db, job.id)
    result = manager.reap()
    assert [r["job_id"] for r in result.released] == [job.id]
    row = _row(db, job.id)
    assert row["status"] == "retrying" and row["attempts"] == 0
    # no backoff: due the moment it was released
    assert abs((row["next_run_at"] - row["updated_at"]).total_seconds()) < 0.05
    assert row["last_error"] == "LeaseExpired: worker worker-dead-1 stopped heartbeating"
    assert row["worker_id"] is None
    assert row["logs"][-1]["msg"] == "Lease expired; worker worker-dead-1 stopped heartbeating"
    assert row["logs"][-1]["level"] == "warn"


def test_a_second_lease_expiry_counts_an_attempt_and_backs_off(db, manager, settings):
    job = submit(db, "noop")
    _expire(db, job.id, worker="worker-dead-1")
    manager.reap()
    _expire(db, job.id, worker="worker-dead-2")
    manager.reap()
    row = _row(db, job.id)
    assert row["status"] == "retrying" and row["attempts"] == 1
    delay = (row["next_run_at"] - row["updated_at"]).total_seconds()
    assert delay >= settings.base_backoff_s * 0.99
    assert row["last_error"] == "LeaseExpired: worker worker-dead-2 stopped heartbeating"


def test_a_job_that_keeps_killing_its_worker_is_quarantined(db, manager, settings):
    job = submit(db, "noop", max_attempts=50)
    for crash in range(settings.max_crashes):
        _expire(db, job.id, worker=f"worker-{crash}")
        manager.reap()
    row = _row(db, job.id)
    assert row["status"] == "dead_letter" and row["finished_at"] is not None
    assert row["last_error"].startswith(
        f"Quarantined: the job stopped its worker {settings.max_crashes} times"
    )
    # the first crash was not counted as an attempt; the later ones were
    assert row["attempts"] == settings.max_crashes - 1


def test_reaper_ends_jobs_cancelled_while_waiting(db, manager):
    job = submit(db, "noop")
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = 'retrying', cancel_requested = true WHERE id = %s", (job.id,)
        )
    manager.reap()
    row = _row(db, job.id)
    assert row["status"] == "cancelled" and row["finished_at"] is not None
    assert row["logs"][-1]["msg"] == "Job cancelled by user"


def test_reaper_redispatches_a_message_taken_by_a_consumer_that_died_before_starting(db, manager):
    job = submit(db, "noop")
    register_worker(db, threads=2)
    manager.dispatch()
    with db.transaction() as cur:  # consumed, then the consumer died; the lease ran out
        cur.execute("UPDATE dramatiq.queue SET state = 'consumed'")
        cur.execute("UPDATE jobs SET visibility_expires_at = now() - interval '1 second'")
    result = manager.reap()
    assert [r["job_id"] for r in result.undelivered] == [job.id]
    row = _row(db, job.id)
    assert row["status"] == "retrying" and row["attempts"] == 0 and row["next_run_at"] is not None
    assert [m["state"] for m in _messages(db)] == ["rejected"]
    assert manager.dispatch().dispatched == 1


def test_reaper_leaves_a_dispatched_job_whose_message_still_waits(db, manager):
    job = submit(db, "noop")
    register_worker(db, threads=2)
    manager.dispatch()
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET visibility_expires_at = now() - interval '1 second'")
    assert manager.reap().undelivered == []
    assert _row(db, job.id)["status"] == "running"


def test_purge_deletes_only_finished_messages_past_their_age(db, manager):
    for _ in range(3):
        submit(db, "noop")
    register_worker(db, threads=3)
    manager.dispatch()
    with db.transaction() as cur:
        cur.execute(
            "UPDATE dramatiq.queue SET state = 'done', mtime = now() - interval '1 hour' "
            "WHERE message_id IN (SELECT message_id FROM dramatiq.queue LIMIT 2)"
        )
    assert messages.purge_finished(db, age_s=60, dry_run=True) == 2
    assert manager.purge() == 2
    assert [m["state"] for m in _messages(db)] == ["queued"]


def test_a_worker_serving_only_exports_opens_no_window_for_other_queues(db, settings):
    manager = BridgeManager(db, settings.replace(job_types=("noop", "export_csv")))
    noop = submit(db, "noop")
    export = submit(db, "export_csv")
    register_worker(db, threads=2, queues=["exports"])  # dramatiq actors --queues exports
    result = manager.dispatch()
    assert result.dispatched == 1
    assert [m["queue_name"] for m in _messages(db)] == ["exports"]
    assert _row(db, export.id)["status"] == "running"
    assert _row(db, noop.id)["status"] == "queued"
    register_worker(db, threads=2, queues=["default"], wid="w2")
    assert manager.dispatch().dispatched == 1
    assert _row(db, noop.id)["status"] == "running"


def test_a_message_left_queued_is_announced_again_by_the_reaper(db, manager, database_url):
    job = submit(db, "noop")
    register_worker(db, threads=2)
    manager.dispatch()
    with db.transaction() as cur:  # its NOTIFY was missed (e.g. heard during a reconnect)
        cur.execute("UPDATE dramatiq.queue SET mtime = now() - interval '1 minute'")
    listener = psycopg2.connect(database_url)
    listener.autocommit = True
    with listener.cursor() as cur:
        cur.execute('LISTEN "dramatiq.default.enqueue"')
    assert manager.reap().renotified == 1
    select.select([listener], [], [], 2.0)
    listener.poll()
    payloads = [n.payload for n in listener.notifies]
    listener.close()
    assert len(payloads) == 1 and job.id in payloads[0]
