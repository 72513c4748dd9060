"""``auto_model_trigger`` end to end (CONTRACT-2 §1.9): a trigger inserted as the import follow-up
does → bridge → dramatiq worker → baseline runs of every model, their ``model_run`` jobs and the
audit rows, in one transaction; re-dispatches and concurrent triggers queue nothing twice."""

from __future__ import annotations

from typing import Any

import pytest

from app.client import JobHandle, submit
from app.db import Database
from tests.factories import (
    completion_meta,
    fetch_all,
    fetch_one,
    insert_model,
    insert_model_run,
    insert_transactions,
    requeue,
    submit_model_run,
)

WAIT_S = 60
LEDGER = [
    ("2025-01-05", 30_000.0, "Revenue"),
    ("2025-01-20", -25_000.0, "Payroll"),
    ("2025-02-05", 32_000.0, "Revenue"),
    ("2025-02-20", -26_000.0, "Payroll"),
]


@pytest.fixture(autouse=True)
def _claim_triggers(env: dict[str, str]) -> None:
    env["WORKER_JOB_TYPES"] = "auto_model_trigger"


def _trigger(db: Database, org: str, trigger_type: str = "csv_import", **params: Any) -> JobHandle:
    source = params.pop("triggerSource", "2b1e7a44-0000-4000-8000-000000000001")
    body = {"triggerType": trigger_type, "triggerSource": source, **params}
    return submit(db, "auto_model_trigger", body, org_id=org, object_id=source)


def _run_jobs(db: Database, org: str) -> list[dict[str, Any]]:
    return fetch_all(
        db,
        "SELECT id::text, object_id::text, priority, queue, status, attempts, max_attempts,"
        " idempotency_key, logs FROM jobs WHERE org_id = %s AND job_type = 'model_run'"
        " ORDER BY created_at, id",
        org,
    )


def _counts(db: Database, org: str) -> dict[str, int]:
    row = fetch_one(
        db,
        "SELECT (SELECT count(*) FROM models WHERE org_id = %s) AS models,"
        " (SELECT count(*) FROM model_runs WHERE org_id = %s) AS runs,"
        " (SELECT count(*) FROM jobs WHERE org_id = %s AND job_type = 'model_run') AS jobs,"
        " (SELECT count(*) FROM audit_logs WHERE org_id = %s) AS audits",
        org,
        org,
        org,
        org,
    )
    return {k: int(v) for k, v in row.items()}


def test_an_org_without_models_gets_a_default_model_with_only_the_users_numbers(
    db, make_org, pipeline
):
    org = make_org()
    insert_transactions(db, org, LEDGER)
    job = _trigger(db, org, cashOnHand=250_000.0, startingCustomers=40, rowsImported=4)
    pipeline()
    assert job.wait(WAIT_S).status == "completed", job.last_error

    model = fetch_one(
        db, "SELECT id::text, name, version, model_json FROM models WHERE org_id = %s", org
    )
    assert (model["name"], model["version"]) == ("Default Financial Model", 1)
    doc = model["model_json"]
    # N-1: no revenue, expense, growth or cash level of the worker's own invention.
    assert doc["assumptions"] == {
        "cash": {"initialCash": 250_000.0},
        "revenue": {"customerCount": 40},
    }
    assert "startMonth" not in doc["metadata"]
    assert doc["metadata"]["sourceJobId"] == job.id
    assert doc["metadata"]["assumptionSources"] == {
        "cash.initialCash": "user",
        "revenue.customerCount": "user",
    }

    run = fetch_one(
        db, "SELECT id::text, run_type, status, params_json FROM model_runs WHERE org_id = %s", org
    )
    assert (run["run_type"], run["status"]) == ("baseline", "queued")
    params = run["params_json"]
    assert params["sourceJobId"] == job.id and params["autoTriggered"] is True
    assert (params["triggerType"], params["cashOnHand"], params["startingCustomers"]) == (
        "csv_import",
        250_000.0,
        40,
    )
    [run_job] = _run_jobs(db, org)
    assert run_job["object_id"] == run["id"]
    assert (run_job["priority"], run_job["queue"], run_job["status"]) == (40, "default", "queued")
    assert (run_job["attempts"], run_job["max_attempts"]) == (0, 5)
    assert run_job["idempotency_key"] == f"model_run:auto_model_trigger:{job.id}:{model['id']}"
    assert [e["msg"] for e in run_job["logs"]] == ["Job created", "Job parameters set"]
    assert run_job["logs"][1]["meta"]["params"] == {
        "modelRunId": run["id"],
        "modelId": model["id"],
        "runType": "baseline",
        "autoTriggered": True,
        "triggerType": "csv_import",
        "triggerSource": "2b1e7a44-0000-4000-8000-000000000001",
    }
    audit = fetch_one(
        db,
        "SELECT action, object_type, object_id::text, meta_json FROM audit_logs WHERE org_id = %s",
        org,
    )
    assert (audit["action"], audit["object_type"], audit["object_id"]) == (
        "auto_model_triggered",
        "model_run",
        run["id"],
    )
    assert audit["meta_json"]["jobId"] == run_job["id"]
    meta = completion_meta(db, job.id)
    assert meta["runsCreated"] == 1 and meta["defaultModelCreated"] is True
    assert meta["modelRunIds"] == [run["id"]] and meta["modelRunJobIds"] == [run_job["id"]]


def test_every_model_gets_a_run_unless_a_live_run_is_open_and_stale_orphans_do_not_block(
    db, make_org, pipeline
):
    org = make_org()
    free = insert_model(db, org, name="free")
    busy = insert_model(db, org, name="busy")
    orphaned = insert_model(db, org, name="orphaned")
    live = insert_model_run(db, org, busy)  # queued just now: active
    stale = insert_model_run(db, org, orphaned, status="running")
    with db.transaction() as cur:
        cur.execute(
            "UPDATE model_runs SET created_at = now() - interval '3 hours' WHERE id = %s", (stale,)
        )
    job = _trigger(db, org, "connector_sync")
    pipeline()
    assert job.wait(WAIT_S).status == "completed", job.last_error
    meta = completion_meta(db, job.id)
    assert meta["skipped"] == [{"modelId": busy, "reason": "active_run", "modelRunId": live}]
    assert meta["runsCreated"] == 2
    assert any(stale in w and orphaned in w for w in meta["warnings"])
    queued_for = {j["logs"][1]["meta"]["params"]["modelId"] for j in _run_jobs(db, org)}
    assert queued_for == {free, orphaned}


def test_a_throttled_trigger_waits_an_hour_after_the_last_baseline_run_an_import_does_not(
    db, make_org, pipeline
):
    org = make_org()
    model = insert_model(db, org)
    insert_model_run(db, org, model, status="done")
    scheduled = _trigger(db, org, "scheduled")
    unknown = _trigger(db, org, "post_sync", triggerSource="2b1e7a44-0000-4000-8000-000000000002")
    pipeline()
    for job in (scheduled, unknown):
        assert job.wait(WAIT_S).status == "completed"
        meta = completion_meta(db, job.id)
        assert meta["skipped"] is True and meta["reason"] == "too_recent"
        assert 0 <= meta["hoursSince"] < 1
    assert _run_jobs(db, org) == []
    imported = _trigger(db, org, "csv_import", triggerSource="2b1e7a44-0000-4000-8000-000000000003")
    assert imported.wait(WAIT_S).status == "completed"
    assert completion_meta(db, imported.id)["runsCreated"] == 1


def test_a_redispatched_trigger_reuses_its_rows_and_queues_nothing_twice(db, make_org, pipeline):
    org = make_org()
    insert_model(db, org)
    insert_model(db, org, name="second")
    job = _trigger(db, org, "scheduled")
    pipeline()
    assert job.wait(WAIT_S).status == "completed"
    before = _counts(db, org)
    first = completion_meta(db, job.id)
    requeue(db, job.id)  # an admin requeue of the completed job, or the legacy worker taking it
    assert job.wait(WAIT_S).status == "completed"
    logs = fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", job.id)["logs"]
    again = [e["meta"] for e in logs if e["msg"] == "Job completed successfully"][-1]
    assert _counts(db, org) == before == {"models": 2, "runs": 2, "jobs": 2, "audits": 2}
    assert again["modelRunIds"] == first["modelRunIds"]
    assert again["modelRunJobIds"] == first["modelRunJobIds"]
    assert (again["runsCreated"], again["runsReused"]) == (0, 2)


def test_two_triggers_of_one_org_at_once_queue_one_run_per_model(db, make_org, spawn):
    org = make_org()
    insert_model(db, org)
    jobs = [
        _trigger(db, org, "csv_import", triggerSource=f"2b1e7a44-0000-4000-8000-00000000001{i}")
        for i in range(4)
    ]
    spawn("worker", threads=4)
    spawn("bridge")
    for job in jobs:
        assert job.wait(WAIT_S).status == "completed"
    assert _counts(db, org)["runs"] == 1
    assert sum(completion_meta(db, j.id)["runsCreated"] for j in jobs) == 1


def test_the_org_may_come_from_the_parameters_when_the_row_has_none(db, make_org, pipeline):
    org = make_org()
    insert_model(db, org)
    job = submit(db, "auto_model_trigger", {"triggerType": "xlsx_import", "org_id": org})
    pipeline()
    assert job.wait(WAIT_S).status == "completed", job.last_error
    assert _counts(db, org)["runs"] == 1


def test_queued_runs_compute_with_the_ledger_and_the_users_cash(db, make_org, env, pipeline):
    env["WORKER_JOB_TYPES"] = "auto_model_trigger,model_run"
    org = make_org()
    insert_transactions(db, org, LEDGER)
    job = _trigger(db, org, cashOnHand=100_000)
    pipeline()
    assert job.wait(WAIT_S).status == "completed"
    [run_job] = _run_jobs(db, org)
    handle = JobHandle(db, run_job["id"])
    assert handle.wait(WAIT_S).status == "completed", handle.last_error
    summary = fetch_one(db, "SELECT summary_json FROM model_runs WHERE org_id = %s", org)[
        "summary_json"
    ]
    used = summary["assumptionsUsed"]
    assert used["initialCash"] == {"value": 100_000, "source": "params"}
    assert used["baseRevenue"]["source"] == "ledger" and used["baseExpenses"]["source"] == "ledger"
    assert summary["startMonth"] == "2025-03"  # the month after the ledger, not today


def test_a_model_run_job_of_another_trigger_is_not_confused_with_this_ones(db, make_org, pipeline):
    """A run queued by the backend (its own job) blocks; the trigger reports it, queues none."""
    org = make_org()
    model = insert_model(db, org)
    run = insert_model_run(db, org, model)
    submit_model_run(db, org, run, model)
    job = _trigger(db, org)
    pipeline()
    assert job.wait(WAIT_S).status == "completed"
    assert completion_meta(db, job.id)["skipped"][0]["modelRunId"] == run
    assert len(_run_jobs(db, org)) == 1
