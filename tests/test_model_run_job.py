"""``model_run`` end to end: a row inserted as the backend does → bridge → dramatiq worker →
the ``model_run`` actor → ``model_runs``, ``metric_cube``, billing, follow-up and S3 (§5.1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from app.client import JobHandle, submit
from app.db import Database
from app.jobtypes.model_inputs import load_model, load_model_inputs
from app.storage import model_run_result_key
from tests.factories import (
    SUMMARY_KEYS,
    fetch_all,
    fetch_one,
    insert_cube_row,
    insert_driver,
    insert_headcount_plan,
    insert_model,
    insert_model_run,
    insert_transactions,
    submit_model_run,
)
from tests.fixtures_s3 import s3_client

WAIT_S = 60
RESULT_DOCUMENT_KEYS = {
    "modelRunId", "modelId", "orgId", "generatedAt", "startMonth", "horizonMonths",
    "assumptionsUsed", "warnings", "monthly", "statements", "kpis",
}  # fmt: skip
CUBE_METRICS = {
    "revenue", "cogs", "opex", "expenses", "netIncome", "cashBalance", "burnRate", "grossProfit",
}  # fmt: skip
WORKER_CUBE_SHAPE = (
    "scenario_id IS NULL AND geography_id IS NULL AND product_id IS NULL AND department_id IS NULL"
    " AND segment_id IS NULL AND channel_id IS NULL AND custom_dim1_id IS NULL"
    " AND custom_dim2_id IS NULL"
)


@pytest.fixture(autouse=True)
def _claim_model_jobs(env: dict[str, str]) -> None:
    env["WORKER_JOB_TYPES"] = "model_run,monte_carlo"
    env["WORKER_FOLLOWUP_JOBS"] = "alert_check"


def _run(db: Database, run_id: str) -> dict[str, Any]:
    return fetch_one(
        db,
        "SELECT status, summary_json, result_s3, finished_at, run_type, params_json, org_id::text"
        " FROM model_runs WHERE id = %s",
        run_id,
    )


def _logs(db: Database, job_id: str) -> list[dict[str, Any]]:
    return list(fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", job_id)["logs"])


def _completion_meta(db: Database, job_id: str) -> dict[str, Any]:
    done = [e for e in _logs(db, job_id) if e["msg"] == "Job completed successfully"]
    assert len(done) == 1
    return dict(done[0]["meta"])


def _billing(db: Database, org_id: str) -> dict[str, list[float]]:
    rows = fetch_all(
        db,
        "SELECT metric, value::float8 AS value FROM billing_usage WHERE org_id = %s"
        " ORDER BY metric",
        org_id,
    )
    out: dict[str, list[float]] = {}
    for row in rows:
        out.setdefault(row["metric"], []).append(row["value"])
    return out


def _worker_cube(db: Database, model_id: str) -> list[dict[str, Any]]:
    return fetch_all(
        db,
        "SELECT metric_name, month, value::float8 AS value, is_calculated FROM metric_cube"
        f" WHERE model_id = %s AND {WORKER_CUBE_SHAPE} AND metric_name = ANY(%s)"
        " ORDER BY month, metric_name",
        model_id,
        sorted(CUBE_METRICS),
    )


def _cube_snapshot(db: Database) -> list[dict[str, Any]]:
    return fetch_all(
        db, "SELECT id::text, metric_name, month, value, updated_at FROM metric_cube ORDER BY id"
    )


def _assert_statements_balance(summary: dict[str, Any]) -> None:
    statements = summary["statements"]
    assert statements["validation"]["passed"] is True
    balance = statements["balanceSheet"]["monthly"]
    cash_flow = statements["cashFlow"]["monthly"]
    months = list(summary["monthly"])
    assert list(balance) == months and list(cash_flow) == months
    previous_cash = summary["initialCash"]
    for month in months:
        bs, cf, m = balance[month], cash_flow[month], summary["monthly"][month]
        assert bs["totalAssets"] == pytest.approx(
            bs["totalLiabilities"] + bs["totalEquity"], abs=0.05
        )
        assert cf["netCashFlow"] == pytest.approx(
            cf["operatingCashFlow"] + cf["investingCashFlow"] + cf["financingCashFlow"], abs=0.05
        )
        assert cf["endingCash"] == pytest.approx(previous_cash + cf["netCashFlow"], abs=0.05)
        assert bs["cash"] == cf["endingCash"] == m["cashBalance"] == m["endingCash"]
        previous_cash = cf["endingCash"]
    assert summary["cashBalance"] == summary["monthly"][months[-1]]["cashBalance"]


def test_model_run_inserted_as_the_backend_does_completes_with_every_summary_key_and_balanced_statements(  # noqa: E501
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    other_org = make_org("Other Co")
    model = insert_model(
        db, org, assumptions={"initialCash": 750_000, "revenueGrowth": 0.03, "headcount": 12}
    )
    # Ledger: the three baseline months before 2025-01 (two revenue rows in one month), a
    # duplicate and another org's rows that must not count, and one EUR row.
    insert_transactions(
        db,
        org,
        [
            ("2024-10-05", 30_000, "Sales"),
            ("2024-10-20", -9_000, "AWS hosting"),
            ("2024-10-25", -21_000, "Payroll"),
            ("2024-11-05", 20_000, "Sales"),
            ("2024-11-06", 13_000, "Sales"),
            ("2024-11-20", -9_900, "AWS hosting"),
            ("2024-11-25", -21_000, "Payroll"),
            ("2024-12-05", 36_000, "Sales"),
            ("2024-12-20", -10_800, "AWS hosting"),
            ("2024-12-25", -21_000, "Payroll"),
        ],
    )
    insert_transactions(db, org, [("2024-12-28", 0.5, "Sales")], currency="EUR")
    insert_transactions(db, org, [("2024-12-05", 9_999_999, "Sales")], is_duplicate=True)
    insert_transactions(db, other_org, [("2024-12-05", 8_888_888, "Sales")])
    insert_headcount_plan(db, org, start_date="2025-03-01", salary=120_000, ramp_months=1)
    insert_headcount_plan(db, org, start_date="2025-03-01", salary=999_999, status="cancelled")
    insert_driver(db, org, model, "Revenue", values={"2025-06": 77_777})
    insert_driver(db, org, model, "opex", values={"2025-07": 1}, is_calculated=True)
    run = insert_model_run(db, org, model)
    handle = submit_model_run(db, org, run, model)

    pipeline()
    handle.wait(WAIT_S)

    assert handle.status == "completed", handle.last_error
    row = _run(db, run)
    summary = row["summary_json"]
    assert row["status"] == "done" and row["finished_at"] is not None
    assert row["result_s3"] is None
    assert set(summary) == SUMMARY_KEYS | {"fullResult"}
    assert "metrics" not in summary
    assert set(summary["fullResult"]) == RESULT_DOCUMENT_KEYS
    assert summary["fullResult"]["modelRunId"] == run
    assert summary["fullResult"]["monthly"] == summary["monthly"]
    assert list(summary["monthly"]) == [f"2025-{m:02d}" for m in range(1, 13)]
    _assert_statements_balance(summary)
    # The ledger was aggregated in SQL: mean revenue 33 000, without duplicates or other orgs.
    used = summary["assumptionsUsed"]
    assert used["baseRevenue"]["source"] == "ledger"
    assert used["baseRevenue"]["value"] == pytest.approx((30_000 + 33_000 + 36_000.5) / 3, abs=0.01)
    assert used["baseExpenses"]["value"] == pytest.approx((30_000 + 30_900 + 31_800) / 3, abs=0.01)
    assert any("currencies" in w and "EUR" in w and "USD" in w for w in summary["warnings"])
    assert "driver 'opex' is formula-based; formulas are not evaluated" in summary["warnings"]
    assert summary["monthly"]["2025-06"]["source"] == "driver"
    assert summary["monthly"]["2025-06"]["revenue"] == 77_777
    assert summary["monthly"]["2025-02"]["headcount"] == 12
    assert summary["monthly"]["2025-03"]["headcount"] == 13
    assert summary["monthly"]["2025-03"]["headcountCost"] == pytest.approx(120_000 * 1.3 / 12)
    assert summary["initialCash"] == 750_000

    assert _completion_meta(db, handle.id) == {
        "modelRunId": run,
        "months": 12,
        "startMonth": "2025-01",
        "resultS3": None,
    }
    job = fetch_one(
        db, "SELECT progress::float8 AS progress, logs FROM jobs WHERE id = %s", handle.id
    )
    assert job["progress"] == 100
    assert len(job["logs"]) <= 15
    billing = _billing(db, org)
    assert set(billing) == {"model_run_cpu_seconds", "model_run_compute_cost"}
    assert len(billing["model_run_cpu_seconds"]) == 1 and billing["model_run_cpu_seconds"][0] > 0
    assert billing["model_run_compute_cost"] == [
        pytest.approx(billing["model_run_cpu_seconds"][0] / 3600 * 0.10, abs=1e-8)
    ]
    followups = fetch_all(
        db,
        "SELECT job_type, object_id::text, org_id::text, status, priority, queue, logs"
        " FROM jobs WHERE idempotency_key = %s",
        f"alert_check:model_run:{run}",
    )
    assert len(followups) == 1
    followup = followups[0]
    assert (followup["job_type"], followup["object_id"], followup["org_id"]) == (
        "alert_check",
        run,
        org,
    )
    assert (followup["status"], followup["priority"], followup["queue"]) == (
        "queued",
        80,
        "default",
    )
    assert followup["logs"][-1]["meta"]["params"] == {"source": "model_run"}


def test_with_s3_the_result_goes_to_the_contract_key_and_summary_has_no_full_result(
    db: Database,
    make_org: Callable[..., str],
    pipeline: Callable[..., None],
    s3_bucket: tuple[str, str],
) -> None:
    org = make_org()
    model = insert_model(db, org)
    run = insert_model_run(db, org, model)
    handle = submit_model_run(db, org, run, model)

    pipeline(s3=s3_bucket)
    handle.wait(WAIT_S)

    assert handle.status == "completed", handle.last_error
    row = _run(db, run)
    key = model_run_result_key(org, run)
    assert key == f"model-runs/{org}/{run}/result.json"
    assert row["result_s3"] == key
    assert "fullResult" not in row["summary_json"]
    assert set(row["summary_json"]) == SUMMARY_KEYS
    endpoint, bucket = s3_bucket
    obj = s3_client(endpoint).get_object(Bucket=bucket, Key=key)
    assert obj["ContentType"] == "application/json"
    document = json.loads(obj["Body"].read())
    assert set(document) == RESULT_DOCUMENT_KEYS
    assert (document["modelRunId"], document["modelId"], document["orgId"]) == (run, model, org)
    assert document["monthly"] == row["summary_json"]["monthly"]
    assert _completion_meta(db, handle.id)["resultS3"] == key


def _requeue(db: Database, job_id: str) -> None:
    """The backend's admin requeue: queued, attempts 0, lease, error and cancel cleared."""
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = 'queued', attempts = 0, worker_id = NULL,"
            " run_started_at = NULL, visibility_expires_at = NULL, last_error = NULL,"
            " cancel_requested = false, finished_at = NULL, next_run_at = NULL,"
            " updated_at = now() WHERE id = %s",
            (job_id,),
        )


def test_an_auto_model_job_with_a_model_id_creates_exactly_one_run_even_when_it_runs_twice(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    model = insert_model(db, org)
    params = {
        "modelId": model,
        "runType": "baseline",
        "autoTriggered": True,
        "triggerType": "csv_import",
    }
    handle = submit(db, "model_run", params, org_id=org, object_id=model, priority=40)

    pipeline()
    handle.wait(WAIT_S)

    assert handle.status == "completed", handle.last_error
    runs = fetch_all(
        db,
        "SELECT id::text, status, run_type, params_json, org_id::text FROM model_runs"
        " WHERE model_id = %s",
        model,
    )
    assert len(runs) == 1
    run = runs[0]
    assert (run["status"], run["run_type"], run["org_id"]) == ("done", "baseline", org)
    assert run["params_json"] == {
        "autoTriggered": True,
        "triggerType": "csv_import",
        "sourceJobId": handle.id,
    }
    created = [e for e in _logs(db, handle.id) if e["msg"] == "Model run created"]
    assert [e["meta"] for e in created] == [{"modelRunId": run["id"]}]

    # The run failed meanwhile and an admin requeues the job: the same run is found and redone.
    with db.transaction() as cur:
        cur.execute("UPDATE model_runs SET status = 'failed' WHERE id = %s", (run["id"],))
    _requeue(db, handle.id)
    handle.wait(WAIT_S)

    assert handle.status == "completed", handle.last_error
    runs = fetch_all(db, "SELECT id::text, status FROM model_runs WHERE model_id = %s", model)
    assert runs == [{"id": run["id"], "status": "done"}]
    msgs = [e["msg"] for e in _logs(db, handle.id)]
    assert msgs.count("Model run created") == 1
    assert msgs.count("Job completed successfully") == 2
    followups = fetch_all(
        db, "SELECT id FROM jobs WHERE job_type = 'alert_check' AND object_id = %s", run["id"]
    )
    assert len(followups) == 1
    assert len(_billing(db, org)["model_run_cpu_seconds"]) == 2


def test_a_baseline_run_replaces_only_worker_owned_cube_rows_and_a_scenario_run_touches_none(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    model = insert_model(db, org)
    other_model = insert_model(db, org, name="Other model")
    stale = insert_cube_row(db, org, model, metric_name="revenue", month="2019-01")
    kept = [
        insert_cube_row(db, org, model, scenario_id="11111111-1111-1111-1111-111111111111"),
        insert_cube_row(db, org, model, department_id="22222222-2222-2222-2222-222222222222"),
        insert_cube_row(db, org, model, metric_name="arpu"),
        insert_cube_row(db, org, other_model, metric_name="revenue"),
    ]
    baseline = insert_model_run(db, org, model, run_type="baseline")
    scenario = insert_model_run(db, org, model, run_type="scenario")

    pipeline()
    first = submit_model_run(db, org, baseline, model).wait(WAIT_S)
    assert first.status == "completed", first.last_error

    ids = {r["id"] for r in _cube_snapshot(db)}
    assert stale not in ids
    assert set(kept) <= ids
    cube = _worker_cube(db, model)
    monthly = _run(db, baseline)["summary_json"]["monthly"]
    assert len(cube) == 12 * len(CUBE_METRICS)
    assert {r["metric_name"] for r in cube} == CUBE_METRICS
    for r in cube:
        assert r["value"] == pytest.approx(monthly[r["month"]][r["metric_name"]], abs=0.005)
        assert r["is_calculated"] is False

    before = _cube_snapshot(db)
    second = submit_model_run(db, org, scenario, model, run_type="scenario").wait(WAIT_S)
    assert second.status == "completed", second.last_error
    assert _run(db, scenario)["status"] == "done"
    assert _cube_snapshot(db) == before


def test_missing_initial_cash_dead_letters_with_insufficient_data_and_leaves_other_rows_alone(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    model = insert_model(
        db, org, assumptions={"baselineRevenue": 10_000, "baselineExpenses": 9_000}
    )
    run = insert_model_run(db, org, model)
    bystander_model = insert_model(db, org, name="Bystander")
    bystander_run = insert_model_run(db, org, bystander_model)
    insert_cube_row(db, org, model)
    cube_before = _cube_snapshot(db)
    handle = submit_model_run(db, org, run, model)

    pipeline()
    handle.wait(WAIT_S)

    assert handle.status == "dead_letter"
    assert handle.attempts == 1
    assert handle.last_error == "InsufficientData: no initial cash"
    row = _run(db, run)
    assert row["status"] == "failed" and row["finished_at"] is not None
    assert row["summary_json"] is None and row["result_s3"] is None
    assert _run(db, bystander_run)["status"] == "queued"
    assert _cube_snapshot(db) == cube_before
    assert _billing(db, org) == {}
    assert fetch_all(db, "SELECT id FROM jobs WHERE job_type = 'alert_check'") == []


def test_an_unusable_explicit_assumption_dead_letters_naming_it_while_an_absent_one_defaults(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    base = {"initialCash": 500_000, "baselineRevenue": 40_000, "baselineExpenses": 55_000}
    nan_model = insert_model(db, org, assumptions={**base, "revenueGrowth": "NaN"})
    nan_run = insert_model_run(db, org, nan_model)
    absurd_model = insert_model(db, org, assumptions={**base, "churnRate": 80})
    absurd_run = insert_model_run(db, org, absurd_model)
    absent_model = insert_model(db, org, assumptions=base)
    absent_run = insert_model_run(db, org, absent_model)
    nan_job = submit_model_run(db, org, nan_run, nan_model)
    absurd_job = submit_model_run(db, org, absurd_run, absurd_model)
    absent_job = submit_model_run(db, org, absent_run, absent_model)

    pipeline()
    for handle in (nan_job, absurd_job, absent_job):
        handle.wait(WAIT_S)

    assert (nan_job.status, nan_job.attempts) == ("dead_letter", 1)
    assert nan_job.last_error == "InvalidParams: assumptions.revenueGrowth must be a finite number"
    assert (absurd_job.status, absurd_job.attempts) == ("dead_letter", 1)
    assert absurd_job.last_error.startswith(
        "InvalidParams: assumptions.churnRate must be in [0, 1) (a monthly fraction"
    )
    for run in (nan_run, absurd_run):
        row = _run(db, run)
        assert row["status"] == "failed" and row["summary_json"] is None
    assert absent_job.status == "completed", absent_job.last_error
    used = _run(db, absent_run)["summary_json"]["assumptionsUsed"]
    assert used["revenueGrowth"] == {"value": 0.0, "source": "default"}


def test_a_run_of_another_org_or_a_malformed_run_id_dead_letters_and_touches_no_run(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    other_org = make_org("Other Co")
    other_model = insert_model(db, other_org)
    other_run = insert_model_run(db, other_org, other_model)
    foreign = submit_model_run(db, org, other_run, other_model)
    malformed = submit(
        db, "model_run", {"modelRunId": "not-a-uuid"}, org_id=org, object_id=other_run
    )

    pipeline()
    foreign.wait(WAIT_S)
    malformed.wait(WAIT_S)

    assert foreign.status == "dead_letter"
    assert foreign.last_error == (
        f"NotFound: model run {other_run} not found, and no model of the org matches"
    )
    assert malformed.status == "dead_letter"
    assert malformed.last_error == "InvalidParams: params.modelRunId is not a valid UUID"
    assert _run(db, other_run)["status"] == "queued"
    assert fetch_all(db, "SELECT id FROM model_runs WHERE org_id = %s", org) == []
    assert _billing(db, org) == {} and _billing(db, other_org) == {}


def test_a_run_already_done_completes_as_a_noop_without_rewriting_it(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    model = insert_model(db, org)
    run = insert_model_run(db, org, model, status="done", summary_json={"revenue": 1})
    handle: JobHandle = submit_model_run(db, org, run, model)

    pipeline()
    handle.wait(WAIT_S)

    assert handle.status == "completed", handle.last_error
    assert _completion_meta(db, handle.id) == {
        "noop": True,
        "reason": f"model run {run} is already done",
    }
    row = _run(db, run)
    assert (row["status"], row["summary_json"]) == ("done", {"revenue": 1})
    assert _billing(db, org) == {}


def test_the_input_loader_filters_by_import_batch_and_takes_the_named_scenario_else_the_default(
    db: Database, make_org: Callable[..., str]
) -> None:
    org = make_org()
    model = insert_model(db, org)
    driver = insert_driver(db, org, model, " Revenue ", values={"2025-06": 1})
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO financial_scenarios (id, org_id, model_id, name)"
            " VALUES (gen_random_uuid(), %s, %s, 'Upside') RETURNING id",
            (org, model),
        )
        upside = cur.fetchone()["id"]
        cur.execute(
            "INSERT INTO driver_values (id, driver_id, scenario_id, month, value, updated_at)"
            " VALUES (gen_random_uuid(), %s, %s, '2025-06', 2, now())",
            (driver, upside),
        )
        cur.execute(
            "INSERT INTO data_import_batches (org_id, source_type) VALUES (%s, 'csv')"
            " RETURNING id::text",
            (org,),
        )
        batch = cur.fetchone()["id"]
    insert_transactions(db, org, [("2024-12-01", 100, "Sales"), ("2024-12-02", -40, "Rent")])
    with db.transaction() as cur:
        cur.execute("UPDATE raw_transactions SET import_batch_id = %s WHERE amount = 100", (batch,))

    def load(params_json: dict[str, Any]) -> Any:
        with db.transaction() as cur:
            found = load_model(cur, model_id=model, org_id=org)
            assert found is not None
            return load_model_inputs(cur, model=found, params_json=params_json, run_type="baseline")

    upside_inputs = load({"scenarioName": "Upside", "importBatchId": batch})
    assert [(r.month, r.category, r.inflow, r.outflow, r.count) for r in upside_inputs.ledger] == [
        ("2024-12", "Sales", 100.0, 0.0, 1)
    ]
    assert [(d.name, d.values) for d in upside_inputs.drivers] == [(" Revenue ", {"2025-06": 2.0})]
    default_inputs = load({"scenarioName": "Missing", "importBatchId": "x'; DROP TABLE jobs; --"})
    assert default_inputs.ledger == []
    assert [d.values for d in default_inputs.drivers] == [{"2025-06": 1.0}]
    all_rows = load({})
    assert sorted((r.category, r.inflow, r.outflow) for r in all_rows.ledger) == [
        ("Rent", 0.0, 40.0),
        ("Sales", 100.0, 0.0),
    ]
    assert all_rows.ledger_currencies == ["USD"]
    created = fetch_one(
        db,
        "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS m FROM models WHERE id = %s",
        model,
    )
    assert all_rows.model_created_month == created["m"]
    with db.transaction() as cur:
        assert load_model(cur, model_id=model, org_id=make_org("Other Co")) is None
