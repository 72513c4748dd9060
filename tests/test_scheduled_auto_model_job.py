"""``scheduled_auto_model`` end to end (CONTRACT-2 §3.7): the cron's org-less sweep → bridge →
dramatiq worker → one ``auto_model_trigger`` per org with new data, one short transaction per
org: one org's failure or a cancel loses nothing for the others."""

from __future__ import annotations

from typing import Any

import pytest

from app.client import JobHandle, submit
from app.db import Database
from tests.conftest import wait_for
from tests.factories import (
    completion_meta,
    fetch_all,
    insert_model,
    insert_model_run,
    insert_transactions,
    insert_user,
    requeue,
    set_job_creator,
)

WAIT_S = 60


@pytest.fixture(autouse=True)
def _claim_sweeps(env: dict[str, str]) -> None:
    env["WORKER_JOB_TYPES"] = "scheduled_auto_model"


def _sweep(db: Database, **kw: Any) -> JobHandle:
    params = {"scheduledAt": "2026-05-01T00:00:00.000Z", "interval": "6_hours"}
    return submit(db, "scheduled_auto_model", params, **kw)


def _triggers(db: Database) -> list[dict[str, Any]]:
    return fetch_all(
        db,
        "SELECT org_id::text, object_id::text, priority, queue, status, idempotency_key, logs"
        " FROM jobs WHERE job_type = 'auto_model_trigger' ORDER BY org_id",
    )


def _org_with(db: Database, make_org, *, data: bool, model: bool, run_age: str | None) -> str:
    org = make_org()
    if model:
        model_id = insert_model(db, org)
        if run_age is not None:
            run = insert_model_run(db, org, model_id, status="done")
            with db.transaction() as cur:
                cur.execute(
                    "UPDATE model_runs SET created_at = now() - %s::interval WHERE id = %s",
                    (run_age, run),
                )
    if data:
        insert_transactions(db, org, [("2025-01-05", 1_000.0, "Revenue")])
    return org


def test_the_sweep_triggers_orgs_with_new_data_and_says_why_it_skipped_the_others(
    db, make_org, pipeline
):
    fresh = _org_with(db, make_org, data=True, model=True, run_age=None)
    stale_run = _org_with(db, make_org, data=True, model=True, run_age="3 hours")
    recent_run = _org_with(db, make_org, data=True, model=True, run_age="10 minutes")
    no_model = _org_with(db, make_org, data=True, model=False, run_age=None)
    no_data = _org_with(db, make_org, data=False, model=True, run_age=None)
    sweep = _sweep(db)
    pipeline()
    assert sweep.wait(WAIT_S).status == "completed", sweep.last_error

    triggers = _triggers(db)
    assert {t["org_id"] for t in triggers} == {fresh, stale_run}
    for trigger in triggers:
        assert (trigger["object_id"], trigger["priority"], trigger["queue"]) == (
            sweep.id,
            45,
            "default",
        )
        assert trigger["idempotency_key"] == (
            f"auto_model_trigger:scheduled:{sweep.id}:{trigger['org_id']}"
        )
        assert trigger["logs"][1]["meta"]["params"] == {
            "triggerType": "scheduled",
            "triggerSource": sweep.id,
        }
    meta = completion_meta(db, sweep.id)
    assert (meta["total_orgs"], meta["triggered"], meta["skipped"], meta["errors"]) == (5, 2, 3, 0)
    assert set(meta["triggeredOrgs"]) == {fresh, stale_run}
    reasons = {s["orgId"]: s["reason"] for s in meta["skippedOrgs"]}
    assert reasons[no_model] == "no models"
    assert reasons[no_data] == "no transactions"
    assert reasons[recent_run].startswith("no new data since the last baseline run")
    assert meta["failedOrgs"] == [] and meta["erroredOrgs"] == []


def test_an_org_with_a_live_run_is_skipped_an_orphaned_run_does_not_block(db, make_org, pipeline):
    busy = _org_with(db, make_org, data=True, model=True, run_age=None)
    orphan = _org_with(db, make_org, data=True, model=True, run_age=None)
    insert_model_run(db, busy, insert_model(db, busy))
    stale = insert_model_run(db, orphan, insert_model(db, orphan))
    with db.transaction() as cur:
        cur.execute(
            "UPDATE model_runs SET created_at = now() - interval '5 hours' WHERE id = %s", (stale,)
        )
    sweep = _sweep(db)
    pipeline()
    assert sweep.wait(WAIT_S).status == "completed"
    reasons = {s["orgId"]: s["reason"] for s in completion_meta(db, sweep.id)["skippedOrgs"]}
    assert reasons == {busy: "active run"}
    assert [t["org_id"] for t in _triggers(db)] == [orphan]


def _fail_trigger_inserts_for(db: Database, orgs: list[str] | None) -> None:
    """One org's bad data, simulated in the test database: its trigger insert raises."""
    condition = "true" if orgs is None else "NEW.org_id = ANY(%s::uuid[])"
    with db.transaction() as cur:
        cur.execute(
            "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'refused for the test: amount=123.45'; END $$"
        )
        cur.execute(
            "CREATE TRIGGER test_refuse BEFORE INSERT ON jobs FOR EACH ROW"
            f" WHEN (NEW.job_type = 'auto_model_trigger' AND {condition})"
            " EXECUTE FUNCTION test_refuse()",
            (orgs,) if orgs is not None else None,
        )


def test_one_orgs_failure_rolls_back_that_org_only_and_the_sweep_completes(db, make_org, pipeline):
    good = [_org_with(db, make_org, data=True, model=True, run_age=None) for _ in range(3)]
    bad = _org_with(db, make_org, data=True, model=True, run_age=None)
    _fail_trigger_inserts_for(db, [bad])
    sweep = _sweep(db)
    pipeline()
    assert sweep.wait(WAIT_S).status == "completed", sweep.last_error
    assert sorted(t["org_id"] for t in _triggers(db)) == sorted(good)
    meta = completion_meta(db, sweep.id)
    assert (meta["triggered"], meta["errors"]) == (3, 1)
    assert meta["failedOrgs"] == [{"orgId": bad, "errorKind": "RaiseException (P0001)"}]
    assert meta["erroredOrgs"] == [{"orgId": bad, "error": "RaiseException (P0001)"}]
    assert "123.45" not in str(meta)  # a database message may quote data: never kept


def test_a_sweep_where_every_org_fails_is_retried_as_a_systemic_problem(db, make_org, pipeline):
    for _ in range(2):
        _org_with(db, make_org, data=True, model=True, run_age=None)
    _fail_trigger_inserts_for(db, None)
    sweep = _sweep(db, max_attempts=2)
    pipeline()
    assert sweep.wait(WAIT_S).status == "dead_letter"
    assert sweep.attempts == 2
    assert sweep.last_error == (
        "TransientError: every org of the sweep failed (2); the first with RaiseException (P0001)"
    )


def test_a_retried_sweep_reinserts_only_missing_triggers(db, make_org, pipeline):
    orgs = [_org_with(db, make_org, data=True, model=True, run_age=None) for _ in range(3)]
    sweep = _sweep(db)
    pipeline()
    assert sweep.wait(WAIT_S).status == "completed"
    with db.transaction() as cur:  # one trigger was lost meanwhile; the others still wait
        cur.execute(
            "DELETE FROM jobs WHERE job_type = 'auto_model_trigger' AND org_id = %s", (orgs[0],)
        )
    requeue(db, sweep.id)
    assert sweep.wait(WAIT_S).status == "completed"
    assert sorted(t["org_id"] for t in _triggers(db)) == sorted(orgs)
    assert completion_meta(db, sweep.id)["triggered"] == 3


def test_a_forged_sweep_with_an_org_sweeps_that_org_only_and_needs_its_role(db, make_org, pipeline):
    mine = _org_with(db, make_org, data=True, model=True, run_age=None)
    other = _org_with(db, make_org, data=True, model=True, run_age=None)
    finance = insert_user(db, mine, "finance")
    viewer = insert_user(db, mine, "viewer")
    allowed = _sweep(db, org_id=mine)
    set_job_creator(db, allowed.id, finance)
    forbidden = _sweep(db, org_id=mine)
    set_job_creator(db, forbidden.id, viewer)
    everyone = _sweep(db)
    set_job_creator(db, everyone.id, finance)
    pipeline()
    assert allowed.wait(WAIT_S).status == "completed"
    assert completion_meta(db, allowed.id)["total_orgs"] == 1
    assert forbidden.wait(WAIT_S).status == "dead_letter"
    assert forbidden.last_error == f"Forbidden: user is not a finance of org {mine}"
    assert everyone.wait(WAIT_S).status == "dead_letter"
    assert everyone.last_error.startswith("Forbidden: a sweep a user created must name an org")
    assert [t["org_id"] for t in _triggers(db)] == [mine]
    assert other not in {t["org_id"] for t in _triggers(db)}


def test_a_cancel_mid_sweep_ends_cancelled_and_keeps_the_triggers_already_queued(
    db, make_org, spawn
):
    total = 1500
    with db.transaction() as cur:
        cur.execute(
            "WITH o AS (INSERT INTO orgs (name) SELECT 'sweep ' || g FROM generate_series(1, %s) g"
            " RETURNING id), m AS (INSERT INTO models (org_id, name, model_json)"
            " SELECT id, 'm', '{}' FROM o RETURNING org_id)"
            " INSERT INTO raw_transactions (org_id, date, amount) SELECT org_id, '2025-01-05', 10"
            " FROM m",
            (total,),
        )
    sweep = _sweep(db)
    spawn("worker", threads=2)
    spawn("bridge")
    wait_for(lambda: len(_triggers(db)) >= 20, timeout=WAIT_S, interval=0.05)
    assert sweep.cancel() == "running"
    assert sweep.wait(WAIT_S).status == "cancelled"
    queued = len(_triggers(db))
    assert 20 <= queued < total
    stopped = completion_meta(
        db, sweep.id, "Sweep stopped by a cancel; triggers already queued stay queued"
    )
    assert stopped["triggered"] == queued
    assert stopped["processed"] == stopped["triggered"] + stopped["skipped"] + stopped["errors"]
    assert all(t["status"] == "queued" for t in _triggers(db))
