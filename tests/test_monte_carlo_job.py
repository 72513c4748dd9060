"""``monte_carlo`` end to end: a row inserted as the backend does → bridge → dramatiq worker →
the ``monte_carlo`` actor → ``monte_carlo_jobs``, billing, follow-up and S3 (§5.2)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from app.db import Database
from app.storage import montecarlo_result_key
from tests.conftest import wait_for
from tests.factories import (
    fetch_all,
    fetch_one,
    insert_model,
    insert_model_run,
    insert_monte_carlo_job,
    submit_model_run,
    submit_monte_carlo,
)
from tests.fixtures_s3 import s3_client

WAIT_S = 60
PERCENTILE_KEYS = ("p5", "p10", "p25", "p50", "p75", "p90", "p95")
DOCUMENT_KEYS = {
    "meta", "monthly", "series", "percentiles_table", "survival_probability",
    "confidence_intervals", "tornado_sensitivity", "distribution_definitions",
}  # fmt: skip
META_KEYS = {
    "numSimulations", "months", "generatedAt", "startMonth", "paramsHash", "randomSeed", "seed",
    "baseModelRunId", "drivers", "unusedDrivers", "percentScaledDrivers", "engineVersion",
}  # fmt: skip
SENSITIVITY_KEYS = {"driver", "correlation", "spearman_correlation", "abs_correlation", "p_value"}
SUCCESS_META_KEYS = {
    "monteCarloJobId", "numSimulations", "months", "resultS3", "cpuSeconds", "hasSensitivity",
    "sensitivityDrivers",
}  # fmt: skip
#: Web UI list form, rates in percent.
UI_DRIVERS = [
    {"id": "revenue_growth", "mean": 8, "stdDev": 3, "min": -10, "max": 30,
     "distribution": "normal"},
    {"id": "churn_rate", "mean": 2, "stdDev": 1, "min": 0, "max": 10, "distribution": "normal"},
    {"id": "cac", "mean": 500, "stdDev": 50, "distribution": "normal"},
]  # fmt: skip
#: Every engine input with a driver, for a slow-enough 100 000-path run.
BIG_DRIVERS = {
    "revenue_growth": {"dist": "lognormal", "mean": 5, "stdDev": 3},
    "churn_rate": {"dist": "gamma", "mean": 2, "stdDev": 1},
    "opex_variance": {"mean": 0, "std": 0.1},
    "cogs_percentage": {"dist": "beta", "alpha": 2, "beta": 5, "min": 0.1, "max": 0.4},
    "expense_growth": {"mean": 2, "std": 1},
    "ar_days": {"dist": "triangular", "min": 20, "max": 60, "mode": 30},
    "ap_days": {"dist": "uniform", "min": 10, "max": 40},
    "tax_rate": {"mean": 0.25, "std": 0.02},
    "capex_percentage": {"mean": 0.02, "std": 0.01},
}


@pytest.fixture(autouse=True)
def _claim_model_jobs(env: dict[str, str]) -> None:
    env["WORKER_JOB_TYPES"] = "model_run,monte_carlo"
    env["WORKER_FOLLOWUP_JOBS"] = "alert_check"


def _mc_row(db: Database, mc_id: str) -> dict[str, Any]:
    return fetch_one(
        db,
        "SELECT status, percentiles_json, sensitivity_json, result_s3, finished_at,"
        " cpu_seconds_estimate::float8 AS cpu_estimate, cpu_seconds_actual::float8 AS cpu_actual,"
        " confidence_level FROM monte_carlo_jobs WHERE id = %s",
        mc_id,
    )


def _logs(db: Database, job_id: str) -> list[dict[str, Any]]:
    return list(fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", job_id)["logs"])


def _completion_meta(db: Database, job_id: str) -> dict[str, Any]:
    done = [e for e in _logs(db, job_id) if e["msg"] == "Job completed successfully"]
    assert len(done) == 1
    return dict(done[0]["meta"])


def _billing(db: Database, org_id: str) -> list[tuple[str, float]]:
    rows = fetch_all(
        db,
        "SELECT metric, value::float8 AS value FROM billing_usage WHERE org_id = %s"
        " ORDER BY metric",
        org_id,
    )
    return [(r["metric"], r["value"]) for r in rows]


def _model_with_run(db: Database, org: str, **model: Any) -> tuple[str, str]:
    """A model and the empty ``done`` baseline run the backend links a simulation to."""
    model_id = insert_model(db, org, **model)
    return model_id, insert_model_run(db, org, model_id, status="done")


def test_a_monte_carlo_job_completes_with_the_contract_keys_sensitivity_billing_and_follow_up(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    model, run = _model_with_run(db, org)
    mc = insert_monte_carlo_job(db, org, run, num_simulations=400)
    handle = submit_monte_carlo(db, org, mc, run, model, num_simulations=400, drivers=UI_DRIVERS)

    pipeline()
    handle.wait(WAIT_S)

    assert handle.status == "completed", handle.last_error
    row = _mc_row(db, mc)
    assert row["status"] == "done" and row["finished_at"] is not None
    assert row["result_s3"] is None and row["confidence_level"] is None
    assert row["cpu_estimate"] == row["cpu_actual"] > 0
    doc = row["percentiles_json"]
    assert set(doc) == DOCUMENT_KEYS
    assert META_KEYS <= set(doc["meta"])
    meta = doc["meta"]
    assert (meta["numSimulations"], meta["months"], meta["startMonth"]) == (400, 12, "2025-01")
    assert (meta["baseModelRunId"], meta["paramsHash"], meta["randomSeed"]) == (run, "hash-1", 42)
    assert sorted(meta["drivers"]) == ["churn_rate", "revenue_growth"]
    assert meta["unusedDrivers"] == ["cac"]
    assert set(meta["percentScaledDrivers"]) == {"revenue_growth", "churn_rate"}
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    assert list(doc["monthly"]) == months
    assert doc["percentiles_table"]["months"] == months
    for key in PERCENTILE_KEYS:
        assert len(doc["series"][key]) == 12
    for values in doc["monthly"].values():
        ordered = [values[k] for k in PERCENTILE_KEYS]
        assert ordered == sorted(ordered)
    overall = doc["survival_probability"]["overall"]
    assert overall["totalSimulations"] == 400
    assert 0 <= overall["probabilitySurvivingFullPeriod"] <= 1
    sensitivity = row["sensitivity_json"]
    # jsonb keeps no key order, so the tornado's order lives in the sensitivity_json list.
    assert {s["driver"] for s in sensitivity} == set(doc["tornado_sensitivity"])
    strengths = [s["abs_correlation"] for s in sensitivity]
    assert strengths == sorted(strengths, reverse=True)
    assert {s["driver"] for s in sensitivity} == {"revenue_growth", "churn_rate"}
    for s in sensitivity:
        assert set(s) == SENSITIVITY_KEYS
        assert s["abs_correlation"] == pytest.approx(abs(s["correlation"]))
        assert 0 <= s["p_value"] <= 1

    success = _completion_meta(db, handle.id)
    assert set(success) == SUCCESS_META_KEYS
    assert (success["monteCarloJobId"], success["numSimulations"], success["months"]) == (
        mc,
        400,
        12,
    )
    assert success["resultS3"] is None and success["hasSensitivity"] is True
    assert success["sensitivityDrivers"] == [s["driver"] for s in sensitivity]
    assert success["cpuSeconds"] == pytest.approx(row["cpu_actual"])
    job = fetch_one(
        db, "SELECT progress::float8 AS progress, logs FROM jobs WHERE id = %s", handle.id
    )
    assert job["progress"] == 100 and len(job["logs"]) <= 15
    assert _billing(db, org) == [("monte_carlo_cpu_seconds", pytest.approx(row["cpu_actual"]))]
    followups = fetch_all(
        db,
        "SELECT job_type, object_id::text, status, priority, logs FROM jobs"
        " WHERE idempotency_key = %s",
        f"alert_check:monte_carlo:{mc}",
    )
    assert len(followups) == 1
    assert (followups[0]["job_type"], followups[0]["object_id"]) == ("alert_check", run)
    assert (followups[0]["status"], followups[0]["priority"]) == ("queued", 80)
    assert followups[0]["logs"][-1]["meta"]["params"] == {
        "source": "monte_carlo",
        "monteCarloJobId": mc,
    }


def test_with_s3_the_document_goes_to_the_contract_key_and_degenerate_drivers_match_the_run_cash(
    db: Database,
    make_org: Callable[..., str],
    pipeline: Callable[..., None],
    s3_bucket: tuple[str, str],
) -> None:
    org = make_org()
    model = insert_model(db, org)
    run = insert_model_run(db, org, model)
    mc = insert_monte_carlo_job(db, org, run, num_simulations=200, params_hash="abc123")
    # Every driver constant at its base value (the model's revenueGrowth 0.04, cogs 0.25).
    degenerate = {
        "revenue_growth": {"mean": 4, "stdDev": 0},
        "cogs_percentage": {"mean": 0.25, "std": 0, "unit": "ratio"},
    }
    run_job = submit_model_run(db, org, run, model)
    mc_job = submit_monte_carlo(db, org, mc, run, model, num_simulations=200, drivers=degenerate)

    pipeline(s3=s3_bucket)
    run_job.wait(WAIT_S)
    mc_job.wait(WAIT_S)

    assert run_job.status == "completed", run_job.last_error
    assert mc_job.status == "completed", mc_job.last_error
    row = _mc_row(db, mc)
    key = montecarlo_result_key(org, run, "abc123", 200)
    assert key == f"montecarlo/{org}/{run}/abc123-200.json"
    assert row["result_s3"] == key
    endpoint, bucket = s3_bucket
    obj = s3_client(endpoint).get_object(Bucket=bucket, Key=key)
    assert obj["ContentType"] == "application/json"
    assert json.loads(obj["Body"].read()) == row["percentiles_json"]
    assert _completion_meta(db, mc_job.id)["resultS3"] == key

    summary = fetch_one(db, "SELECT summary_json FROM model_runs WHERE id = %s", run)[
        "summary_json"
    ]
    cash = [summary["monthly"][m]["cashBalance"] for m in summary["monthly"]]
    for q in PERCENTILE_KEYS:
        assert row["percentiles_json"]["series"][q] == pytest.approx(cash, abs=0.01)


def test_invalid_params_or_a_foreign_row_dead_letter_naming_the_problem(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    other_org = make_org("Other Co")
    model, run = _model_with_run(db, org)
    cases = {
        "InvalidParams: numSimulations must be in 100..100000": {"num_simulations": 50},
        "InvalidParams: driver 'revenue_growth': unknown distribution 'weibull'": {
            "drivers": {"revenue_growth": {"dist": "weibull", "mean": 5}}
        },
        "InvalidParams: driver 'churn_rate': standard deviation must be >= 0": {
            "drivers": [{"id": "churn_rate", "mean": 2, "stdDev": -1}]
        },
    }
    jobs = {}
    for message, params in cases.items():
        mc = insert_monte_carlo_job(db, org, run)
        jobs[message] = (mc, submit_monte_carlo(db, org, mc, run, model, **params))
    other_model, other_run = _model_with_run(db, other_org)
    foreign_mc = insert_monte_carlo_job(db, other_org, other_run)
    foreign = submit_monte_carlo(db, org, foreign_mc, other_run, other_model)

    pipeline()

    for message, (mc, handle) in jobs.items():
        handle.wait(WAIT_S)
        assert (handle.status, handle.attempts, handle.last_error) == ("dead_letter", 1, message)
        row = _mc_row(db, mc)
        assert row["status"] == "failed" and row["finished_at"] is not None
        assert row["percentiles_json"] is None
    foreign.wait(WAIT_S)
    assert foreign.status == "dead_letter"
    assert (
        foreign.last_error == f"NotFound: Monte Carlo job {foreign_mc} not found in the job's org"
    )
    assert _mc_row(db, foreign_mc)["status"] == "queued"
    assert _billing(db, org) == [] and _billing(db, other_org) == []
    assert fetch_all(db, "SELECT id FROM jobs WHERE job_type = 'alert_check'") == []


def test_a_cancel_while_a_100k_path_simulation_runs_ends_cancelled_and_fails_the_row(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    model, run = _model_with_run(
        db, org, metadata={"startMonth": "2025-01", "forecastDuration": 36}
    )
    mc = insert_monte_carlo_job(db, org, run, num_simulations=100_000)
    handle = submit_monte_carlo(
        db, org, mc, run, model, num_simulations=100_000, drivers=BIG_DRIVERS
    )

    pipeline()
    wait_for(lambda: float(handle.refresh().progress) >= 10, timeout=WAIT_S, interval=0.02)
    cancelled_at = time.monotonic()
    assert handle.cancel() == "running"
    handle.wait(WAIT_S)

    assert handle.status == "cancelled", handle.last_error
    assert time.monotonic() - cancelled_at < 10
    row = _mc_row(db, mc)
    assert row["status"] == "failed" and row["finished_at"] is not None
    assert row["percentiles_json"] is None and row["result_s3"] is None
    msgs = [e["msg"] for e in _logs(db, handle.id)]
    assert "Simulating 100000 paths" in msgs
    assert "Job cancelled by user" in msgs and "Job completed successfully" not in msgs
    assert _billing(db, org) == []
    assert fetch_all(db, "SELECT id FROM jobs WHERE job_type = 'alert_check'") == []


def test_a_simulation_already_done_completes_as_a_noop_without_rewriting_it(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    model, run = _model_with_run(db, org)
    mc = insert_monte_carlo_job(db, org, run, status="done")
    with db.transaction() as cur:
        cur.execute(
            "UPDATE monte_carlo_jobs SET percentiles_json = '{\"kept\": true}' WHERE id = %s", (mc,)
        )
    handle = submit_monte_carlo(db, org, mc, run, model)

    pipeline()
    handle.wait(WAIT_S)

    assert handle.status == "completed", handle.last_error
    assert _completion_meta(db, handle.id) == {
        "noop": True,
        "reason": f"Monte Carlo job {mc} is already done",
    }
    assert _mc_row(db, mc)["percentiles_json"] == {"kept": True}
    assert _billing(db, org) == []


def _independent_month_12_cash(
    *, cash: float, revenue: float, expenses: float, cogs: float, growth: float, churn: float
) -> float:
    """§5.1.4–5.1.5 for a model without AR/AP, capex, PPE or debt, written out month by month
    (an independent check of the engine, default tax 25 % with loss carry-forward)."""
    opex = max(0.0, expenses - revenue * cogs)
    nol = 0.0
    for month in range(12):
        if month:
            revenue *= (1 + growth) * (1 - churn)
        ebt = revenue * (1 - cogs) - opex
        if ebt <= 0:
            nol, tax = nol - ebt, 0.0
        else:
            used = min(nol, ebt)
            nol, tax = nol - used, (ebt - used) * 0.25
        cash += ebt - tax
    return cash


def test_the_web_uis_small_churn_is_simulated_as_percent_and_the_units_read_are_listed(
    db: Database, make_org: Callable[..., str], pipeline: Callable[..., None]
) -> None:
    org = make_org()
    assumptions = {
        "initialCash": 1_500_000,
        "baselineRevenue": 100_000,
        "baselineExpenses": 55_000,
        "cogsPercentage": 0.3,
    }
    model, run = _model_with_run(db, org, assumptions=assumptions)
    mc = insert_monte_carlo_job(db, org, run, num_simulations=2_000)
    ui_drivers = [
        {"id": "revenue_growth", "mean": 5, "stdDev": 1, "distribution": "normal"},
        {"id": "churn_rate", "mean": 0.8, "stdDev": 0.2, "min": 0, "max": 5,
         "distribution": "normal"},
        {"id": "tax_rate", "mean": 0.25, "stdDev": 0, "unit": "ratio"},
    ]  # fmt: skip
    handle = submit_monte_carlo(db, org, mc, run, model, num_simulations=2_000, drivers=ui_drivers)

    pipeline()
    handle.wait(WAIT_S)

    assert handle.status == "completed", handle.last_error
    doc = _mc_row(db, mc)["percentiles_json"]
    median = doc["monthly"]["2025-12"]["p50"]
    expected = _independent_month_12_cash(
        cash=1_500_000, revenue=100_000, expenses=55_000, cogs=0.3, growth=0.05, churn=0.008
    )
    assert expected == pytest.approx(2.07e6, rel=0.01)
    assert median == pytest.approx(expected, rel=0.01)  # read as 80 %, it is about 1.28 M
    meta = doc["meta"]
    assert meta["driverUnits"] == {
        "churn_rate": {"unit": "percent", "source": "list form"},
        "revenue_growth": {"unit": "percent", "source": "list form"},
        "tax_rate": {"unit": "ratio", "source": "unit"},
    }
    assert sorted(meta["percentScaledDrivers"]) == ["churn_rate", "revenue_growth"]
