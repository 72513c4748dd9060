"""``auto_model`` end to end (CONTRACT-2 §2.9): the job the backend queues after creating a model →
bridge → dramatiq worker → assumptions from answers and the ledger, the driver grid, three
runs; and those runs, computed by ``model_run``, read what ``auto_model`` wrote (OPEN-1)."""

from __future__ import annotations

from typing import Any

import pytest

from app.client import JobHandle, submit
from app.db import Database, jsonb
from tests.factories import (
    completion_meta,
    fetch_all,
    fetch_one,
    insert_driver,
    insert_model,
    insert_transactions,
    insert_user,
    requeue,
    set_job_creator,
)

WAIT_S = 90
#: What the backend's createModel wrote before queuing the job (§2.1), template values included.
BACKEND_METADATA = {
    "industry": "saas",
    "modelType": "3-statement",
    "forecastDuration": 12,
    "startMonth": "2025-07",
    "dataSourceType": "csv",
}
LEDGER = [
    *[(f"2025-0{m}-10", 20_000.0 + 1_000 * m, "Subscriptions") for m in range(1, 7)],
    *[(f"2025-0{m}-20", -18_000.0, "Payroll") for m in range(1, 7)],
]
ANSWERS = {
    "triggerType": "model_creation",
    "dataSourceType": "csv",
    "businessType": "saas",
    "startingCustomers": 120,
    "cashOnHand": 400_000,
    "retentionRate": 96,
    "acquisitionEfficiency": {"caac": 900},
}


@pytest.fixture(autouse=True)
def _claim_auto_model(env: dict[str, str]) -> None:
    env["WORKER_JOB_TYPES"] = "auto_model"


def _model(db: Database, org: str, assumptions: dict[str, Any] | None = None) -> str:
    template = (
        {"revenueGrowth": 0.08, "custom": {"note": "kept"}} if assumptions is None else assumptions
    )
    return insert_model(db, org, assumptions=template, metadata=dict(BACKEND_METADATA), name="Plan")


def _submit(db: Database, org: str, model: str, **params: Any) -> JobHandle:
    return submit(db, "auto_model", {**ANSWERS, **params}, org_id=org, object_id=model)


def _counts(db: Database, model: str) -> dict[str, int]:
    row = fetch_one(
        db,
        "SELECT (SELECT count(*) FROM financial_scenarios WHERE model_id = %s) AS scenarios,"
        " (SELECT count(*) FROM drivers WHERE model_id = %s) AS drivers,"
        " (SELECT count(*) FROM driver_values v JOIN drivers d ON d.id = v.driver_id"
        "   WHERE d.model_id = %s) AS driver_values,"
        " (SELECT count(*) FROM model_runs WHERE model_id = %s) AS runs,"
        " (SELECT count(*) FROM jobs WHERE job_type = 'model_run'"
        "   AND object_id IN (SELECT id FROM model_runs WHERE model_id = %s)) AS jobs",
        *([model] * 5),
    )
    return {k: int(v) for k, v in row.items()}


def test_a_new_model_gets_assumptions_from_answers_and_ledger_a_driver_grid_and_three_runs(
    db, make_org, pipeline
):
    org = make_org()
    insert_transactions(db, org, LEDGER)
    model = _model(db, org)
    job = _submit(db, org, model)
    pipeline()
    assert job.wait(WAIT_S).status == "completed", job.last_error

    doc = fetch_one(db, "SELECT model_json FROM models WHERE id = %s", model)["model_json"]
    a = doc["assumptions"]
    assert a["revenue"]["baselineRevenue"] == pytest.approx(25_000)  # ledger, last 3 months
    assert a["revenue"]["customerCount"] == 120 and a["cash"]["initialCash"] == 400_000
    assert a["revenue"]["churnRate"] == pytest.approx(0.04)
    assert a["costs"]["baselineExpenses"] == pytest.approx(18_000)
    assert a["unitEconomics"] == {"cac": 900}
    assert a["custom"] == {"note": "kept"}  # other keys stay as the model has them
    # The template's flat growth would shadow the ledger's in a run: the twin agrees now.
    assert a["revenueGrowth"] == a["revenue"]["revenueGrowth"] != 0.08
    meta = doc["metadata"]
    assert meta["autoModelJobId"] == job.id and meta["transactionCount"] == 12
    assert meta["industry"] == "saas" and meta["startMonth"] == "2025-07"  # untouched
    sources = meta["assumptionSources"]
    assert sources["revenue.baselineRevenue"] == "ledger" and sources["cash.initialCash"] == "user"
    assert sources["costs.expenseGrowth"] == "default"

    scenario = fetch_one(
        db, "SELECT id::text, name, is_default FROM financial_scenarios WHERE model_id = %s", model
    )
    assert (scenario["name"], scenario["is_default"]) == ("Base", True)
    drivers = fetch_all(
        db,
        "SELECT d.name, d.type, d.category, d.unit, count(v.id) AS n, min(v.month) AS first,"
        " max(v.month) AS last, min(v.value)::float8 AS value FROM drivers d"
        " LEFT JOIN driver_values v ON v.driver_id = d.id WHERE d.model_id = %s"
        " GROUP BY 1, 2, 3, 4 ORDER BY 1",
        model,
    )
    assert [(d["name"], d["n"], d["first"], d["last"]) for d in drivers] == [
        ("Churn Rate", 36, "2025-07", "2028-06"),
        ("OpEx Growth", 36, "2025-07", "2028-06"),
        ("Revenue Growth", 36, "2025-07", "2028-06"),
        ("Tax Rate", 36, "2025-07", "2028-06"),
    ]
    assert {d["name"]: d["value"] for d in drivers}["Churn Rate"] == pytest.approx(0.04)

    runs = fetch_all(
        db,
        "SELECT id::text, run_type, status, params_json FROM model_runs WHERE model_id = %s"
        " ORDER BY params_json ->> 'scenarioKey'",
        model,
    )
    assert [(r["run_type"], r["params_json"]["scenarioKey"]) for r in runs] == [
        ("baseline", "baseline"),
        ("scenario", "conservative"),
        ("scenario", "optimistic"),
    ]
    growth = a["revenue"]["revenueGrowth"]
    optimistic = runs[2]["params_json"]
    assert optimistic["scenarioName"] == "Optimistic"
    assert optimistic["overrides"]["revenue"]["growth"] == pytest.approx(growth * 1.25)
    assert optimistic["sourceJobId"] == job.id and "assumptions" not in optimistic
    jobs = fetch_all(
        db,
        "SELECT object_id::text, priority, idempotency_key FROM jobs WHERE job_type = 'model_run'"
        " ORDER BY idempotency_key",
    )
    assert [j["idempotency_key"] for j in jobs] == [
        f"model_run:auto_model:{job.id}:{k}" for k in ("baseline", "conservative", "optimistic")
    ]
    assert {j["priority"] for j in jobs} == {50}
    result = completion_meta(db, job.id)
    assert result["runsCreated"] == 3 and result["missingInputs"] == []
    assert (result["driversCreated"], result["driverValuesCreated"]) == (4, 144)


def test_the_runs_auto_model_queues_compute_with_what_it_wrote(db, make_org, env, pipeline):
    env["WORKER_JOB_TYPES"] = "auto_model,model_run"
    org = make_org()
    model = _model(db, org, assumptions={})
    job = _submit(
        db,
        org,
        model,
        startingMrr=30_000,
        majorCosts={"payroll": 22_000, "infrastructure": 3_000},
        hiringPlan=[{"month": 3, "role": "Engineer", "salary": 96_000}],
    )
    pipeline()
    assert job.wait(WAIT_S).status == "completed", job.last_error
    run_jobs = [JobHandle(db, j) for j in completion_meta(db, job.id)["modelRunJobIds"]]
    assert len(run_jobs) == 3
    for handle in run_jobs:
        assert handle.wait(WAIT_S).status == "completed", handle.last_error
    base = fetch_one(
        db,
        "SELECT summary_json FROM model_runs WHERE model_id = %s AND run_type = 'baseline'",
        model,
    )["summary_json"]
    used = base["assumptionsUsed"]
    # Nested keys only: without the one-level flatten of OPEN-1 these would be missing or default.
    assert used["baseRevenue"] == {"value": 30_000, "source": "assumption"}
    assert used["baseExpenses"] == {"value": 25_000, "source": "assumption"}
    assert used["revenueGrowth"] == {"value": 0.12, "source": "assumption"}
    assert used["expenseGrowth"] == {"value": 0.05, "source": "assumption"}
    assert used["taxRate"] == {"value": 0.25, "source": "assumption"}
    assert used["customerCount"]["value"] == 120
    # costs.hiringPlan (nested) hires one engineer in the third forecast month.
    assert [base["monthly"][m]["headcount"] for m in ("2025-08", "2025-09")] == [0, 1]
    optimistic = fetch_one(
        db,
        "SELECT summary_json FROM model_runs WHERE model_id = %s"
        " AND params_json ->> 'scenarioKey' = 'optimistic'",
        model,
    )["summary_json"]
    assert optimistic["assumptionsUsed"]["revenueGrowth"] == {"value": 0.15, "source": "override"}


def test_running_it_again_creates_no_second_scenario_driver_value_run_or_job(
    db, make_org, pipeline
):
    org = make_org()
    insert_transactions(db, org, LEDGER)
    model = _model(db, org)
    job = _submit(db, org, model)
    pipeline()
    assert job.wait(WAIT_S).status == "completed"
    before = _counts(db, model)
    assert before == {"scenarios": 1, "drivers": 4, "driver_values": 144, "runs": 3, "jobs": 3}
    first = completion_meta(db, job.id)
    requeue(db, job.id)
    assert job.wait(WAIT_S).status == "completed"
    assert _counts(db, model) == before
    again = completion_meta(db, job.id)
    assert again["modelRunIds"] == first["modelRunIds"]
    assert (again["runsCreated"], again["driversCreated"], again["driverValuesCreated"]) == (
        0,
        0,
        0,
    )
    other = _submit(db, org, model)  # a second request for the same model
    assert other.wait(WAIT_S).status == "completed"
    assert completion_meta(db, other.id) == {
        "noop": True,
        "reason": f"model already initialised by job {job.id}",
    }
    assert _counts(db, model) == before


def test_without_initial_cash_no_run_is_queued_and_the_missing_inputs_are_listed(
    db, make_org, pipeline
):
    org = make_org()
    insert_transactions(db, org, LEDGER)
    model = _model(db, org, assumptions={"initialCash": 500_000})  # a template's, not the user's
    answers = {k: v for k, v in ANSWERS.items() if k != "cashOnHand"}
    job = submit(db, "auto_model", answers, org_id=org, object_id=model)
    pipeline()
    assert job.wait(WAIT_S).status == "completed", job.last_error
    meta = completion_meta(db, job.id)
    assert meta["missingInputs"] == ["cash.initialCash"] and meta["modelRunIds"] == []
    assert _counts(db, model)["runs"] == 0 and _counts(db, model)["drivers"] == 4
    logs = fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", job.id)["logs"]
    warn = [e for e in logs if e["level"] == "warn"]
    assert warn[0]["meta"] == {"missingInputs": ["cash.initialCash"]}
    doc = fetch_one(db, "SELECT model_json FROM models WHERE id = %s", model)["model_json"]
    assert "cash" not in doc["assumptions"]  # nothing of the worker's own invention


def test_a_users_driver_values_and_scenario_are_reused_never_overwritten(db, make_org, pipeline):
    org = make_org()
    insert_transactions(db, org, LEDGER)
    model = _model(db, org)
    insert_driver(db, org, model, "revenue growth", values={"2025-08": 0.5})  # the user's edit
    job = _submit(db, org, model)
    pipeline()
    assert job.wait(WAIT_S).status == "completed", job.last_error
    counts = _counts(db, model)
    assert counts["scenarios"] == 1 and counts["drivers"] == 4
    kept = fetch_one(
        db,
        "SELECT v.value::float8 AS value FROM driver_values v JOIN drivers d ON d.id = v.driver_id"
        " WHERE d.model_id = %s AND lower(d.name) = 'revenue growth' AND v.month = '2025-08'",
        model,
    )
    assert kept["value"] == 0.5
    assert completion_meta(db, job.id)["driverValuesCreated"] == 143


def test_a_finance_user_may_initialise_a_model_of_their_org_only(db, make_org, pipeline):
    org, other = make_org(), make_org()
    model = _model(db, org)
    finance = insert_user(db, org, "finance")
    viewer = insert_user(db, org, "viewer")
    outsider = insert_user(db, other, "admin")
    jobs = {}
    for name, user in (("finance", finance), ("viewer", viewer), ("outsider", outsider)):
        jobs[name] = _submit(db, org, model)
        set_job_creator(db, jobs[name].id, user)
    pipeline()
    assert jobs["viewer"].wait(WAIT_S).status == "dead_letter"
    assert jobs["viewer"].last_error == f"Forbidden: user is not a finance of org {org}"
    assert jobs["outsider"].wait(WAIT_S).status == "dead_letter"
    assert jobs["finance"].wait(WAIT_S).status == "completed", jobs["finance"].last_error


def test_a_model_whose_document_is_not_an_object_fails_as_an_invalid_model(db, make_org, pipeline):
    org = make_org()
    model = _model(db, org)
    with db.transaction() as cur:
        cur.execute("UPDATE models SET model_json = %s WHERE id = %s", (jsonb([1, 2]), model))
    job = _submit(db, org, model)
    pipeline()
    assert job.wait(WAIT_S).status == "dead_letter"
    assert job.last_error == f"InvalidModel: model {model} has a model_json that is not an object"
