"""The automation chain end to end, through a real bridge and a real dramatiq worker: a CSV import
→ its ``auto_model_trigger`` → the model's baseline run → the run's ``alert_check`` → a
notification, each step a job inserted by the one before it in its final transaction."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from app.client import JobHandle
from app.db import Database
from tests.conftest import wait_for
from tests.factories import (
    fetch_all,
    fetch_one,
    insert_alert_rule,
    insert_import_batch,
    insert_user,
    submit_csv_import,
)

WAIT_S = 90
CHAIN = "csv_import,auto_model_trigger,model_run,alert_check"
#: Three months of a small business that burns cash.
CSV = "Date,Amount,Description,Category\r\n" + "".join(
    f"2025-0{m}-05,{18_000 + 500 * m},Stripe payout,Revenue\r\n"
    f"2025-0{m}-25,-26000,Payroll,Payroll\r\n"
    f"2025-0{m}-26,(2500.00),AWS,Hosting\r\n"
    for m in (1, 2, 3)
)


def _job(db: Database, job_type: str, org: str) -> dict[str, Any] | None:
    rows = fetch_all(
        db,
        "SELECT id::text, object_id::text, status, idempotency_key, last_error FROM jobs"
        " WHERE job_type = %s AND org_id = %s",
        job_type,
        org,
    )
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def _done(db: Database, job_type: str, org: str) -> dict[str, Any]:
    found = wait_for(lambda: _job(db, job_type, org), timeout=WAIT_S)
    handle = JobHandle(db, found["id"])
    assert handle.wait(WAIT_S).status == "completed", (job_type, handle.last_error)
    return found


def test_a_csv_import_ends_in_a_notification_through_trigger_run_and_alert_check(
    db, make_org, env, pipeline
):
    env["WORKER_JOB_TYPES"] = CHAIN
    env["WORKER_FOLLOWUP_JOBS"] = "auto_model_trigger,alert_check"
    org = make_org()
    cfo = insert_user(db, org, "admin")
    rule = insert_alert_rule(
        db,
        org,
        metric="runway_months",
        operator="<",
        threshold=48,
        name="Runway under four years",
        created_by_id=cfo,
    )
    insert_alert_rule(db, org, metric="cash_balance", operator="<", threshold=0, name="Broke")
    batch = insert_import_batch(db, org)
    csv = submit_csv_import(
        db,
        org,
        batch_id=batch,
        file_id=str(uuid.uuid4()),
        file_data=base64.b64encode(CSV.encode()).decode(),
        initialCash=180_000,
    )
    pipeline()
    assert csv.wait(WAIT_S).status == "completed", csv.last_error

    trigger = _done(db, "auto_model_trigger", org)
    assert (trigger["object_id"], trigger["idempotency_key"]) == (
        csv.id,
        f"auto_model_trigger:csv_import:{csv.id}",
    )
    model = fetch_one(db, "SELECT id::text, name FROM models WHERE org_id = %s", org)
    assert model["name"] == "Default Financial Model"
    run_job = _done(db, "model_run", org)
    run = fetch_one(
        db, "SELECT id::text, status, summary_json FROM model_runs WHERE org_id = %s", org
    )
    assert run_job["object_id"] == run["id"] and run["status"] == "done"
    summary = run["summary_json"]
    assert summary["assumptionsUsed"]["initialCash"] == {"value": 180_000, "source": "params"}
    assert summary["assumptionsUsed"]["baseRevenue"]["source"] == "ledger"
    assert summary["startMonth"] == "2025-04"
    check = _done(db, "alert_check", org)
    assert (check["object_id"], check["idempotency_key"]) == (
        run["id"],
        f"alert_check:model_run:{run['id']}",
    )

    [note] = fetch_all(
        db,
        "SELECT user_id::text, title, message, metadata FROM notifications WHERE org_id = %s",
        org,
    )
    runway = summary["runwayFromStartMonths"]
    assert runway < 48
    assert note["user_id"] == cfo and note["title"] == "Runway under four years"
    assert note["message"] == f"runway_months is {runway:.2f} (< 48)"
    assert (note["metadata"]["alertId"], note["metadata"]["modelRunId"]) == (rule, run["id"])
    history = fetch_all(
        db,
        "SELECT object_id::text FROM audit_logs WHERE org_id = %s AND action = 'alert_triggered'",
        org,
    )
    assert history == [{"object_id": rule}]
    triggered = fetch_one(db, "SELECT last_triggered FROM alert_rules WHERE id = %s", rule)
    assert triggered["last_triggered"] is not None
    statuses = fetch_all(
        db, "SELECT job_type, status FROM jobs WHERE org_id = %s ORDER BY created_at", org
    )
    assert statuses == [
        {"job_type": t, "status": "completed"}
        for t in ("csv_import", "auto_model_trigger", "model_run", "alert_check")
    ]
