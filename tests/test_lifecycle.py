"""The lifecycle middleware in-process against real PostgreSQL: fencing, outcomes, logs."""

from __future__ import annotations

import json

import dramatiq
import pytest
from dramatiq.middleware import SkipMessage

from app.client import submit
from app.db import Database, jsonb
from app.errors import JobCancelled, LeaseLost
from app.jobcontext import current_job, peek
from app.middleware.lifecycle import JobLifecycle
from bridge.manager import BridgeManager
from tests.factories import register_worker


def _dispatch(db: Database, manager: BridgeManager, job_id: str) -> dramatiq.Message:
    register_worker(db, threads=10, wid="w")
    manager.dispatch()
    with db.transaction() as cur:
        cur.execute(
            "SELECT message FROM dramatiq.queue WHERE message->'args'->>0 = %s "
            "AND state = 'queued'",
            (job_id,),
        )
        doc = cur.fetchone()["message"]
    return dramatiq.Message(**doc)


def _row(db: Database, job_id: str) -> dict:
    with db.transaction() as cur:
        cur.execute("SELECT * FROM jobs WHERE id = %s", (job_id,))
        return cur.fetchone()


@pytest.fixture
def manager(db, settings):
    return BridgeManager(db, settings)


def test_a_stale_workers_completion_changes_nothing(db, settings, manager):
    job = submit(db, "noop")
    zombie = JobLifecycle(db, settings, "worker-zombie")
    owner = JobLifecycle(db, settings, "worker-owner")
    zombie.before_process_message(None, _dispatch(db, manager, job.id))
    zombie_ctx = current_job()
    # The zombie stops heartbeating: its lease expires, the reaper re-queues, another worker
    # runs it.
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET visibility_expires_at = now() - interval '1 s' WHERE id = %s",
            (job.id,),
        )
    manager.reap()
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET next_run_at = now() WHERE id = %s", (job.id,))
    message = _dispatch(db, manager, job.id)
    from app.jobcontext import bind

    bind(None)
    owner.before_process_message(None, message)
    owner_ctx = current_job()
    bind(zombie_ctx)
    with pytest.raises(LeaseLost):
        zombie_ctx.progress(50, "Computing forecast")
    zombie_ctx.succeed({"from": "zombie"})
    zombie.after_process_message(None, message, result=None)
    row = _row(db, job.id)
    assert row["status"] == "running" and row["worker_id"] == "worker-owner"
    assert all(e.get("meta", {}).get("from") != "zombie" for e in row["logs"])
    bind(owner_ctx)
    owner_ctx.succeed({"from": "owner"})
    owner.after_process_message(None, message, result=None)
    row = _row(db, job.id)
    assert row["status"] == "completed" and row["logs"][-1]["meta"] == {"from": "owner"}
    assert peek() is None


def test_a_message_whose_job_was_cancelled_meanwhile_is_skipped(db, settings, manager):
    job = submit(db, "noop")
    message = _dispatch(db, manager, job.id)
    with db.transaction() as cur:  # an admin force-fails the job before a worker takes it
        cur.execute("UPDATE jobs SET status = 'failed' WHERE id = %s", (job.id,))
    with pytest.raises(SkipMessage):
        JobLifecycle(db, settings, "w1").before_process_message(None, message)
    assert _row(db, job.id)["status"] == "failed"


def test_cancel_flag_seen_at_the_final_transaction_ends_cancelled(db, settings, manager):
    job = submit(db, "noop")
    message = _dispatch(db, manager, job.id)
    life = JobLifecycle(db, settings, "w1")
    life.before_process_message(None, message)
    submit_cancel = job.cancel()
    assert submit_cancel == "running"
    current_job().succeed({"done": True})
    life.after_process_message(None, message, result=None)
    row = _row(db, job.id)
    assert row["status"] == "cancelled" and row["finished_at"] is not None
    assert [e["msg"] for e in row["logs"]][-1] == "Job cancelled by user"


def test_progress_raises_at_the_safe_point_after_a_cancel(db, settings, manager):
    job = submit(db, "noop")
    message = _dispatch(db, manager, job.id)
    life = JobLifecycle(db, settings, "w1")
    life.before_process_message(None, message)
    ctx = current_job()
    ctx.progress(10, "Loading inputs")
    job.cancel()
    with pytest.raises(JobCancelled):
        ctx.progress(20, "Computing")
    life.after_process_message(None, message, exception=JobCancelled(job.id))
    assert _row(db, job.id)["status"] == "cancelled"


def test_unexpected_errors_retry_without_payload_or_traceback(db, settings, manager):
    job = submit(db, "noop", {"secret": "s3cr3t-value"})
    message = _dispatch(db, manager, job.id)
    life = JobLifecycle(db, settings, "w1")
    life.before_process_message(None, message)
    life.after_process_message(None, message, exception=KeyError("boom"))
    row = _row(db, job.id)
    assert row["status"] == "retrying" and row["attempts"] == 1
    assert row["last_error"] == "UnexpectedError: KeyError: 'boom'"
    assert "s3cr3t" not in json.dumps(row["logs"][2:])
    assert row["worker_id"] is None and row["visibility_expires_at"] is None


def test_logs_are_appended_never_replaced_and_the_params_entry_survives_the_cap(
    db, settings, manager
):
    job = submit(db, "noop", {"keep": "me"})
    message = _dispatch(db, manager, job.id)
    life = JobLifecycle(db, settings, "w1")
    life.before_process_message(None, message)
    ctx = current_job()
    for i in range(settings.log_max_entries + 20):
        ctx.log(f"milestone {i}")
    row = _row(db, job.id)
    logs = row["logs"]
    assert len(logs) == settings.log_max_entries
    assert logs[0]["msg"] == "Job created"
    assert logs[1]["meta"]["params"] == {"keep": "me"}
    assert logs[-1]["msg"] == f"milestone {settings.log_max_entries + 19}"
    assert all(e["ts"].endswith("Z") for e in logs)
    with pytest.raises(ValueError):
        ctx.log("bad", {"params": {}})
    life.after_process_message(None, message, exception=KeyError("x"))


def test_object_form_logs_are_converted_on_first_append_and_params_stay_reachable(
    db, settings, manager
):
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO jobs (job_type, logs) VALUES ('noop', %s) RETURNING id::text",
            (jsonb({"params": {"legacy": 1}, "error": "old", "status": "failed"}),),
        )
        job_id = cur.fetchone()["id"]
    message = _dispatch(db, manager, job_id)
    life = JobLifecycle(db, settings, "w1")
    life.before_process_message(None, message)
    assert current_job().params == {"legacy": 1}
    current_job().succeed({})
    life.after_process_message(None, message, result=None)
    logs = _row(db, job_id)["logs"]
    assert logs[0]["msg"] == "Legacy log object" and logs[0]["meta"]["params"] == {"legacy": 1}
    assert [e["msg"] for e in logs[1:]] == ["Job started", "Job completed successfully"]


@pytest.mark.parametrize(
    ("logs", "expected"),
    [
        (
            [
                {"msg": "Job created", "meta": {"jobType": "x"}},
                {"msg": "Job parameters set", "meta": {"params": {"a": 1}, "s3Key": "k"}},
                {"msg": "Job parameters set", "meta": {"params": {"a": 2}}},
            ],
            {"a": 2},
        ),
        ([{"msg": "Job queued", "params": {"b": 1}}, {"msg": "x", "meta": {}}], {"b": 1}),
        ([{"msg": "p", "meta": {"params": {"c": 1}}}, {"msg": "q", "params": {"c": 2}}], {"c": 1}),
        ({"params": {"d": 1}, "error": "e"}, {"d": 1}),
        ([{"msg": "no params"}], {}),
        (None, {}),
        ("a string", {}),
    ],
)
def test_params_are_found_where_the_contract_says(db, logs, expected):
    with db.transaction() as cur:
        cur.execute("SELECT dramatiq.finapilot_job_params(%s::jsonb) AS p", (jsonb(logs),))
        assert cur.fetchone()["p"] == expected
