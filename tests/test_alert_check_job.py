"""``alert_check`` end to end (CONTRACT-2 §4.9): a check inserted as the worker's follow-up does →
bridge → dramatiq worker → notifications, ``last_triggered`` and the alert history; and the
webhook gates with delivery on (a local listener records every connection attempt)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.db import Database
from tests.factories import (
    ALERT_SUMMARY,
    completion_meta,
    fetch_all,
    fetch_one,
    insert_alert_rule,
    insert_done_monte_carlo,
    insert_model,
    insert_model_run,
    insert_user,
    requeue,
    submit_alert_check,
)
from tests.listener import Listener, listen

WAIT_S = 60


@pytest.fixture(autouse=True)
def _claim_alert_checks(env: dict[str, str]) -> None:
    env["WORKER_JOB_TYPES"] = "alert_check"


def _done_run(db: Database, org: str, summary: dict[str, Any], run_type: str = "baseline") -> str:
    model = insert_model(db, org)
    return insert_model_run(db, org, model, run_type=run_type, status="done", summary_json=summary)


def _notifications(db: Database, org: str) -> list[dict[str, Any]]:
    return fetch_all(
        db,
        "SELECT id::text, user_id::text, type, title, message, category, priority, read, metadata"
        " FROM notifications WHERE org_id = %s ORDER BY created_at, id",
        org,
    )


def _history(db: Database, org: str) -> list[dict[str, Any]]:
    return fetch_all(
        db,
        "SELECT object_type, object_id::text, meta_json FROM audit_logs"
        " WHERE org_id = %s AND action = 'alert_triggered' ORDER BY created_at, id",
        org,
    )


def test_rules_that_fire_notify_their_creator_and_fill_the_alert_history(db, make_org, pipeline):
    org = make_org()
    owner = insert_user(db, org, "finance")
    run = _done_run(db, org, ALERT_SUMMARY)
    runway = insert_alert_rule(db, org, created_by_id=owner, severity="critical")
    growth = insert_alert_rule(
        db, org, metric="revenue_growth", operator=">=", threshold="5", name="Fast growth"
    )
    quiet = insert_alert_rule(db, org, metric="cash_balance", operator="<", threshold=0)
    insert_alert_rule(db, org, metric="net_income", operator="<", threshold=0, enabled=False)
    job = submit_alert_check(db, org, run)
    pipeline()
    assert job.wait(WAIT_S).status == "completed", job.last_error

    notes = {n["metadata"]["alertId"]: n for n in _notifications(db, org)}
    assert set(notes) == {runway, growth}
    critical = notes[runway]
    assert critical["title"] == "CRITICAL: Runway under a year"
    assert critical["message"] == "runway_months is 7.50 (< 12)"  # DECISION-3: from the start
    assert (critical["type"], critical["category"], critical["priority"]) == (
        "alert",
        "financial",
        "high",
    )
    assert critical["user_id"] == owner and critical["read"] is False
    meta = critical["metadata"]
    assert meta["valueKey"] == "runwayFromStartMonths" and meta["unit"] == "months"
    assert (meta["value"], meta["threshold"], meta["operator"]) == (7.5, 12, "<")
    assert (meta["modelRunId"], meta["source"], meta["jobId"]) == (run, "model_run", job.id)
    # E-mail is asked for by the critical severity but this worker sends none; webhooks are off.
    assert meta["delivery"] == {"email": "disabled", "slack": "not_requested"}
    assert notes[growth]["message"] == "revenue_growth is 5.00 (>= 5)"  # DECISION-4: percent
    assert notes[growth]["user_id"] is None and notes[growth]["priority"] == "medium"

    triggered = fetch_all(
        db, "SELECT id::text FROM alert_rules WHERE last_triggered IS NOT NULL AND org_id = %s", org
    )
    assert {r["id"] for r in triggered} == {runway, growth}
    history = {h["object_id"]: h for h in _history(db, org)}
    assert set(history) == {runway, growth}
    assert history[runway]["object_type"] == "alert_rule"
    assert history[runway]["meta_json"]["actualValue"] == 7.5
    assert history[runway]["meta_json"]["alertName"] == "Runway under a year"
    assert history[runway]["meta_json"]["message"] == "runway_months is 7.50 (< 12)"

    result = completion_meta(db, job.id)
    assert (result["rulesChecked"], result["rulesTriggered"], result["notificationsCreated"]) == (
        3,
        2,
        2,
    )
    assert (result["alerts_checked"], result["alerts_triggered"]) == (3, 2)
    assert quiet not in {t["alertId"] for t in result["triggered"]}


def test_running_a_check_again_or_twice_adds_no_notification_or_history_row(db, make_org, pipeline):
    org = make_org()
    run = _done_run(db, org, ALERT_SUMMARY)
    rule = insert_alert_rule(db, org)
    first = submit_alert_check(db, org, run)
    pipeline()
    assert first.wait(WAIT_S).status == "completed"
    stamp = fetch_one(db, "SELECT last_triggered FROM alert_rules WHERE id = %s", rule)
    requeue(db, first.id)  # a re-dispatch of the same job
    second = submit_alert_check(db, org, run)  # and the same request again
    assert first.wait(WAIT_S).status == "completed"
    assert second.wait(WAIT_S).status == "completed"
    assert len(_notifications(db, org)) == 1
    assert len(_history(db, org)) == 1
    again = fetch_one(db, "SELECT last_triggered FROM alert_rules WHERE id = %s", rule)
    assert again == stamp
    assert completion_meta(db, second.id)["notificationsCreated"] == 0
    assert completion_meta(db, second.id)["rulesTriggered"] == 1


def test_a_runway_without_burn_is_unlimited_never_999_months(db, make_org, pipeline):
    org = make_org()
    summary = {**ALERT_SUMMARY, "runwayFromStartMonths": 999, "burnRate": 0, "monthlyBurn": 0}
    run = _done_run(db, org, summary)
    short = insert_alert_rule(db, org, operator="<", threshold=1000, name="short")
    long = insert_alert_rule(db, org, operator=">", threshold=24, name="long")
    job = submit_alert_check(db, org, run)
    pipeline()
    assert job.wait(WAIT_S).status == "completed"
    notes = _notifications(db, org)
    assert [n["metadata"]["alertId"] for n in notes] == [long]
    assert notes[0]["message"] == "runway_months is unlimited: no burn (> 24)"
    assert notes[0]["metadata"]["noBurn"] is True and notes[0]["metadata"]["value"] is None
    assert short not in json.dumps(completion_meta(db, job.id)["triggered"])


def test_a_monte_carlo_check_reads_only_its_own_simulation_metrics(db, make_org, pipeline):
    org = make_org()
    run = _done_run(db, org, ALERT_SUMMARY)
    survival = {"survival_probability": {"overall": {"probabilitySurvivingFullPeriod": 0.62}}}
    mc = insert_done_monte_carlo(db, org, run, survival)
    odds = insert_alert_rule(
        db, org, metric="survival_probability", operator="<", threshold="0.8", name="Odds"
    )
    runway = insert_alert_rule(db, org)  # fires for the run's own check, not for the simulation
    job = submit_alert_check(db, org, run, source="monte_carlo", monteCarloJobId=mc)
    pipeline()
    assert job.wait(WAIT_S).status == "completed", job.last_error
    notes = _notifications(db, org)
    assert [n["metadata"]["alertId"] for n in notes] == [odds]
    assert notes[0]["message"] == "survival_probability is 0.6200 (< 0.8)"
    assert notes[0]["metadata"]["monteCarloJobId"] == mc
    skipped = {s["alertId"]: s["reason"] for s in completion_meta(db, job.id)["skipped"]}
    assert skipped == {runway: "metric evaluated on model run summaries only"}


def test_scenario_runs_and_unfinished_runs_are_not_evaluated(db, make_org, pipeline):
    org = make_org()
    insert_alert_rule(db, org)
    scenario = _done_run(db, org, ALERT_SUMMARY, run_type="scenario")
    model = insert_model(db, org)
    queued = insert_model_run(db, org, model)
    jobs = [submit_alert_check(db, org, scenario), submit_alert_check(db, org, queued)]
    pipeline()
    for job in jobs:
        assert job.wait(WAIT_S).status == "completed"
    assert completion_meta(db, jobs[0].id)["reason"] == "run type scenario not evaluated"
    assert completion_meta(db, jobs[1].id)["reason"] == "run not done"
    assert _notifications(db, org) == []


# --- webhooks, delivery on --------------------------------------------------------------------


@pytest.fixture
def https_listeners() -> Iterator[list[Listener]]:
    """Listeners on loopback port 443, where a delivery to localhost would connect."""
    found = []
    for host in ("127.0.0.1", "::1"):
        try:
            found.append(listen(host, 443))
        except OSError:
            continue
    if not found:
        pytest.skip("cannot listen on loopback port 443 here")
    yield found
    for item in found:
        item.close()


def test_a_webhook_to_an_allowed_host_at_a_loopback_address_is_refused_without_connecting(
    db, make_org, spawn, env, https_listeners
):
    org = make_org()
    run = _done_run(db, org, ALERT_SUMMARY)
    rule = insert_alert_rule(
        db, org, notify_slack=True, slack_webhook="https://localhost/services/T000/B000/secret"
    )
    job = submit_alert_check(db, org, run)
    webhooks = {"ALERT_WEBHOOKS_ENABLED": "true", "ALERT_WEBHOOK_ALLOWED_HOSTS": "localhost"}
    worker = spawn("worker", threads=2, extra_env=webhooks)
    spawn("bridge")
    assert job.wait(WAIT_S).status == "completed", job.last_error
    deadline = time.monotonic() + 10  # the delivery status is written just after the commit
    while time.monotonic() < deadline:
        slack = _notifications(db, org)[0]["metadata"]["delivery"]["slack"]
        if slack != "pending":
            break
        time.sleep(0.1)
    assert slack == "rejected:non-public address"
    assert _notifications(db, org)[0]["metadata"]["alertId"] == rule
    assert [c for listener in https_listeners for c in listener.connections] == []
    log = worker.log()
    assert "alert_webhook_delivery" in log and "localhost" in log
    assert "secret" not in log and "/services/" not in log


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:{port}/services/T/B/secret",
        "https://hooks.slack.com.evil.test/services/T/B/secret",
        "http://hooks.slack.com/services/T/B/secret",
        "https://user:pw@hooks.slack.com/services/T/B/secret",
        "https://10.0.0.7/services/T/B/secret",
    ],
)
def test_a_rule_whose_webhook_the_policy_refuses_fails_the_check_before_anything_is_written(
    db, make_org, spawn, url: str
):
    listener = listen("127.0.0.1")
    try:
        org = make_org()
        run = _done_run(db, org, ALERT_SUMMARY)
        webhook = url.format(port=listener.port)
        rule = insert_alert_rule(db, org, notify_slack=True, slack_webhook=webhook)
        job = submit_alert_check(db, org, run)
        worker = spawn("worker", threads=2, extra_env={"ALERT_WEBHOOKS_ENABLED": "true"})
        spawn("bridge")
        assert job.wait(WAIT_S).status == "dead_letter"
        assert job.attempts == 1
        assert job.last_error.startswith(
            f"InvalidAlertRule: alert rule {rule} has a webhook URL that is not allowed ("
        )
        assert "secret" not in job.last_error and "secret" not in worker.log()
        assert _notifications(db, org) == [] and _history(db, org) == []
        assert fetch_one(db, "SELECT last_triggered FROM alert_rules WHERE id = %s", rule) == {
            "last_triggered": None
        }
        assert listener.connections == []
    finally:
        listener.close()


def test_with_webhooks_off_a_slack_rule_is_recorded_disabled_and_nothing_is_sent(
    db, make_org, pipeline
):
    org = make_org()
    run = _done_run(db, org, ALERT_SUMMARY)
    insert_alert_rule(db, org, notify_slack=True, slack_webhook="https://127.0.0.1/services/x")
    job = submit_alert_check(db, org, run)
    pipeline()
    assert job.wait(WAIT_S).status == "completed"
    assert _notifications(db, org)[0]["metadata"]["delivery"]["slack"] == "disabled"
