"""Liveness from the database session (issue 12), in-process against real PostgreSQL: the lock a
worker process holds, the bridge's check and release, and the guards against false deaths."""

from __future__ import annotations

import itertools

import psycopg2
import pytest

from app.client import submit
from app.db import Database
from app.liveness import LIVENESS_LOCK_CLASS, LivenessSession
from bridge.liveness import LivenessTracker
from bridge.manager import BridgeManager, LivenessCheck
from tests.conftest import wait_for
from tests.factories import register_worker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _process(db_settings, worker_id: str) -> LivenessSession:
    """A worker process's session, lock taken and presence written (as its heartbeat does)."""
    session = LivenessSession(db_settings.database)
    session.ensure()
    session.run(
        "worker_presence_upsert",
        {
            "worker_id": worker_id,
            "hostname": "h",
            "pid": 4242,
            "parent_pid": 4241,
            "queues": None,
            "threads": 2,
            "lock_key": session.lock_key,
            "draining": False,
        },
    )
    return session


def _run_on(db: Database, job_id: str, worker_id: str) -> None:
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = 'running', worker_id = %s, run_started_at = now(), "
            "visibility_expires_at = now() + interval '1 hour' WHERE id = %s",
            (worker_id, job_id),
        )


def _row(db: Database, job_id: str) -> dict:
    with db.transaction() as cur:
        cur.execute("SELECT * FROM jobs WHERE id = %s", (job_id,))
        return cur.fetchone()


def _presence(db: Database) -> set[str]:
    with db.transaction() as cur:
        cur.execute("SELECT worker_id FROM dramatiq.finapilot_workers")
        return {r["worker_id"] for r in cur.fetchall()}


def _liveness_locks(db: Database) -> int:
    with db.transaction() as cur:
        cur.execute(
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (LIVENESS_LOCK_CLASS,),
        )
        return cur.fetchone()["n"]


def _gone(db: Database, session: LivenessSession) -> None:
    """Close the session and wait until the server has ended it (its backend exits
    asynchronously after the client goes)."""
    session.drop()
    wait_for(lambda: _liveness_locks(db) == 0, timeout=10, interval=0.02)


def test_a_worker_session_holds_one_lock_and_asks_the_server_to_drop_a_dead_peer_fast(db, settings):
    session = _process(settings, "w-live")
    try:
        assert _liveness_locks(db) == 1
        with session._conn.cursor() as cur:  # the server-side settings of this very session
            shown = {}
            for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_user_timeout"):
                cur.execute(f"SHOW {name}")
                shown[name] = cur.fetchone()[0]
        # probes after 2 s idle, every 1 s; unacknowledged data for 9 s: the peer is dead
        assert shown == {
            "tcp_keepalives_idle": "2",
            "tcp_keepalives_interval": "1",
            "tcp_user_timeout": "9000",
        }
        # Reconnecting takes the same key again: still one lock for the process.
        key = session.lock_key
        _gone(db, session)
        session.ensure()
        assert session.lock_key == key and session.sessions == 2
        assert _liveness_locks(db) == 1
    finally:
        session.close()
    wait_for(lambda: _liveness_locks(db) == 0, timeout=10, interval=0.02)  # gone with it


def test_a_new_session_takes_another_key_while_the_old_one_still_holds_its_lock(db, settings):
    session = _process(settings, "w-1")
    lingering = psycopg2.connect(settings.database.dsn)  # the old session, not yet dropped
    lingering.autocommit = True
    try:
        with lingering.cursor() as cur:
            _gone(db, session)
            cur.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (LIVENESS_LOCK_CLASS, session.lock_key)
            )
            assert cur.fetchone()[0]
        old_key = session.lock_key
        session.ensure()
        assert session.lock_key != old_key
    finally:
        lingering.close()
        session.close()


def _check_and_release(manager: BridgeManager, tracker: LivenessTracker, clock: FakeClock) -> list:
    released = []
    for _ in range(2):  # missing at two checks in a row
        dead = tracker.observe(manager.check_liveness())
        if dead:
            released.append(manager.release_lost(dead))
        clock.now += 1.0
    return released


def test_the_bridge_gives_back_at_once_the_jobs_of_a_process_whose_session_is_gone(db, settings):
    manager = BridgeManager(db, settings)
    clock = FakeClock()
    tracker = LivenessTracker(reconnect_grace_s=0, confirm_s=0.5, clock=clock)
    dead = _process(settings, "w-dead")
    alive = _process(settings, "w-alive")
    running = submit(db, "noop")
    _run_on(db, running.id, "w-dead")
    other = submit(db, "noop")
    _run_on(db, other.id, "w-alive")
    legacy = submit(db, "noop")
    _run_on(db, legacy.id, "w-legacy")
    register_worker(db, threads=2, wid="w-legacy")  # an earlier release: no lock, lease only
    taken = submit(db, "noop")  # consumed by the dead process but never started
    register_worker(db, threads=4, wid="w-window")
    manager.dispatch()
    with db.transaction() as cur:
        cur.execute(
            "UPDATE dramatiq.queue SET state = 'consumed', consumer = 'w-dead' "
            "WHERE message->'args'->>0 = %s",
            (taken.id,),
        )
    try:
        dead.close()  # the process dies: its session ends, its lock goes
        wait_for(lambda: _liveness_locks(db) == 1, timeout=10, interval=0.02)
        results = _check_and_release(manager, tracker, clock)
    finally:
        alive.close()

    assert [r.forgotten for r in results] == [["w-dead"]]
    row = _row(db, running.id)
    assert row["status"] == "retrying" and row["attempts"] == 0  # a first crash: not counted
    assert abs((row["next_run_at"] - row["updated_at"]).total_seconds()) < 0.05  # at once
    assert row["last_error"] == "WorkerLost: worker w-dead lost its database session"
    assert row["logs"][-1]["msg"] == "Worker lost; worker w-dead lost its database session"
    taken_row = _row(db, taken.id)
    assert taken_row["status"] == "retrying" and taken_row["attempts"] == 0
    with db.transaction() as cur:
        cur.execute(
            "SELECT state::text FROM dramatiq.queue WHERE message->'args'->>0 = %s", (taken.id,)
        )
        assert cur.fetchone()["state"] == "rejected"
    assert _row(db, other.id)["status"] == "running"  # its process holds its lock
    assert _row(db, legacy.id)["status"] == "running"  # no lock to judge by: the lease decides
    assert "w-dead" not in _presence(db) and {"w-alive", "w-legacy"} <= _presence(db)


def test_a_process_that_takes_its_lock_back_in_time_keeps_its_jobs(db, settings):
    manager = BridgeManager(db, settings)
    clock = FakeClock()
    tracker = LivenessTracker(reconnect_grace_s=0, confirm_s=0.5, clock=clock)
    session = _process(settings, "w-cut")
    job = submit(db, "noop")
    _run_on(db, job.id, "w-cut")
    try:
        _gone(db, session)  # its session was cut (pg_terminate_backend, a network blip)
        assert tracker.observe(manager.check_liveness()) == []  # first sighting: wait
        clock.now += 1.0
        confirmed = tracker.observe(manager.check_liveness())
        assert confirmed == ["w-cut"]
        session.ensure()  # …and it reconnects just before the release
        result = manager.release_lost(confirmed)  # re-checked in the release transaction
    finally:
        session.close()
    assert result.released == [] and result.forgotten == []
    assert _row(db, job.id)["status"] == "running"


@pytest.mark.parametrize("cause", ["bridge-reconnected", "server-restarted"])
def test_a_process_not_back_since_a_disruption_gets_the_grace(cause):
    clock = FakeClock()
    tracker = LivenessTracker(reconnect_grace_s=30, confirm_s=0.5, clock=clock)
    up_s = itertools.count(1000)
    if cause == "bridge-reconnected":
        tracker.disrupted()
    else:
        up_s = itertools.count(2)  # the server started 2 s ago: every session was dropped
    seen = []
    for _ in range(40):
        check = LivenessCheck(server_up_s=next(up_s), lost=("w1",), alive=("w2",))
        seen.append(tracker.observe(check))
        clock.now += 1.0
    assert seen[:28] == [[]] * 28  # the grace: a reconnecting worker keeps its jobs
    assert seen[-1] == ["w1"]  # still gone well after it: dead


def test_a_process_back_after_a_restart_that_dies_then_is_noticed_without_waiting_the_grace():
    clock = FakeClock()
    tracker = LivenessTracker(reconnect_grace_s=30, confirm_s=0.5, clock=clock)
    started = 5000.0

    def check(up: float, lost: tuple[str, ...], alive: tuple[str, ...]) -> list[str]:
        result = tracker.observe(LivenessCheck(up, lost, alive, server_started_s=started))
        clock.now += 1.0
        return result

    assert check(1, ("w1", "w2"), ()) == []  # just restarted: both reconnecting
    assert check(2, ("w2",), ("w1",)) == []  # w1 is back
    assert check(3, ("w1", "w2"), ()) == []  # w1 dies (first sighting); w2 still away
    assert check(4, ("w1", "w2"), ()) == ["w1"]  # w1 is dead; w2 still has its grace
    started = 6000.0  # another restart: everyone gets the grace again
    assert check(1, ("w1", "w2"), ()) == [] and check(2, ("w1", "w2"), ()) == []


def test_a_process_missing_once_is_not_dead():
    clock = FakeClock()
    tracker = LivenessTracker(reconnect_grace_s=0, confirm_s=0.5, clock=clock)
    assert tracker.observe(LivenessCheck(1000, ("w1", "w2"))) == []
    clock.now += 1.0
    assert tracker.observe(LivenessCheck(1001, ("w2",))) == ["w2"]  # w1 came back
    clock.now += 1.0
    assert tracker.observe(LivenessCheck(1002, ("w1",))) == []  # w1 missing again: new count
