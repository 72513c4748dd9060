"""Bad-input cases of the automation chain (CONTRACT-2 §1–§4): ``auto_model_trigger``,
``auto_model``, ``scheduled_auto_model`` and ``alert_check``.

Missing rows, another org's objects, a user without the role, malformed and hostile parameters,
unreadable rules (unknown operators and metrics, NaN thresholds) and, with webhook delivery on,
webhook URLs at loopback, private or unlisted hosts: each ends ``dead_letter`` once with a clear
``last_error`` and changes nothing. The positive controls complete and keep hostile text literal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from app.client import submit
from app.db import Database, jsonb
from tests.bad_input.harness import (
    HUGE_INT,
    HUGE_MARK,
    HUGE_STRING,
    RAW_DEEP_LIST,
    RAW_INFINITY,
    SCRIPT,
    SCRIPT_MARK,
    SQL_ID,
    SQL_MARK,
    WEBHOOK_MARK,
    Builder,
    Case,
    Planted,
    Verify,
    new_id,
)
from tests.factories import (
    ALERT_SUMMARY,
    insert_alert_rule,
    insert_model,
    insert_model_run,
    insert_transactions,
    insert_user,
    set_job_creator,
    submit_alert_check,
)

IDS = ("InvalidParams", "NotFound")
#: Inside every webhook URL below: a URL carries a secret and must never be echoed.
URL_MARK = WEBHOOK_MARK
ANSWERS = {"triggerType": "model_creation", "businessType": "saas", "cashOnHand": 100_000}


def _user(b: Builder, org: str, role: str) -> str:
    return insert_user(b.db, org, role)


# -- auto_model_trigger -------------------------------------------------------------------------


def _trigger(params: Any, *, org: bool = True, role: str | None = None) -> Callable[..., Planted]:
    def build(b: Builder) -> Planted:
        org_id = b.org()
        insert_model(b.db, org_id)
        value = params(b) if callable(params) else params
        job = submit(b.db, "auto_model_trigger", value, org_id=org_id if org else None)
        if role is not None:
            set_job_creator(b.db, job.id, _user(b, org_id, role))
        return Planted(job, data={"org": org_id})

    return build


def _trigger_by_outsider(b: Builder) -> Planted:
    org, other = b.org(), b.org()
    insert_model(b.db, org)
    job = submit(b.db, "auto_model_trigger", {"triggerType": "manual"}, org_id=org)
    set_job_creator(b.db, job.id, _user(b, other, "admin"))
    return Planted(job)


def _verify_cash_ignored(db: Database, planted: Planted) -> list[str]:
    """The run was queued without the unusable cash, and the result says it was ignored."""
    with db.transaction() as cur:
        cur.execute("SELECT params_json FROM model_runs WHERE org_id = %s", (planted.data["org"],))
        runs = [r["params_json"] for r in cur.fetchall()]
        cur.execute("SELECT logs FROM jobs WHERE id = %s", (planted.job.id,))
        logs = cur.fetchone()["logs"]
    problems = []
    if len(runs) != 1 or "cashOnHand" in runs[0]:
        problems.append(f"runs queued: {json.dumps(runs)[:300]}")
    warnings = logs[-1].get("meta", {}).get("warnings", [])
    if "params.cashOnHand is not a usable positive number; ignored" not in warnings:
        problems.append(f"warnings {warnings!r}")
    return problems


# -- auto_model ---------------------------------------------------------------------------------


def _auto(
    *, model_json: Any = None, role: str | None = None, positive: bool = False, **params: Any
) -> Callable[[Builder], Planted]:
    """An org, a model and the job the backend queues after creating it; only a positive
    control names the model as its domain row (a failing job must change nothing at all)."""

    def build(b: Builder) -> Planted:
        org = b.org()
        model = insert_model(b.db, org)
        if model_json is not None:
            with b.db.transaction() as cur:
                cur.execute(
                    "UPDATE models SET model_json = %s WHERE id = %s", (jsonb(model_json), model)
                )
        value = {k: (v(b) if callable(v) else v) for k, v in {**ANSWERS, **params}.items()}
        job = submit(b.db, "auto_model", value, org_id=org, object_id=model)
        if role is not None:
            set_job_creator(b.db, job.id, _user(b, org, role))
        return Planted(job, ("models", model) if positive else None, {"model": model})

    return build


def _auto_params_only(params: dict[str, Any]) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        job = submit(b.db, "auto_model", {**ANSWERS, **params}, org_id=b.org(), object_id=None)
        return Planted(job)

    return build


def _auto_model_of_another_org(b: Builder) -> Planted:
    org, other = b.org(), b.org()
    model = insert_model(b.db, other)
    return Planted(submit(b.db, "auto_model", ANSWERS, org_id=org, object_id=model))


def _auto_by_outsider(b: Builder) -> Planted:
    org, other = b.org(), b.org()
    model = insert_model(b.db, org)
    job = submit(b.db, "auto_model", ANSWERS, org_id=org, object_id=model)
    set_job_creator(b.db, job.id, _user(b, other, "admin"))
    return Planted(job)


def _verify_auto_model_saas_defaults(db: Database, planted: Planted) -> list[str]:
    with db.transaction() as cur:
        cur.execute("SELECT model_json FROM models WHERE id = %s", (planted.data["model"],))
        doc = cur.fetchone()["model_json"]
    churn = doc["assumptions"].get("revenue", {}).get("churnRate")
    problems = [] if churn == 0.03 else [f"churn {churn!r}, expected the saas default 0.03"]
    if doc["metadata"].get("assumptionSources", {}).get("revenue.churnRate") != "default":
        problems.append("the churn default is not disclosed as a default")
    if SCRIPT_MARK in json.dumps(doc):
        problems.append("the hostile business type reached the model")
    return problems


# -- scheduled_auto_model -----------------------------------------------------------------------


def _sweep(*, role: str | None, with_org: bool) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        org = b.org()
        insert_model(b.db, org)
        insert_transactions(b.db, org, [("2025-01-05", 100.0, "Revenue")])
        job = submit(b.db, "scheduled_auto_model", {}, org_id=org if with_org else None)
        if role is not None:
            set_job_creator(b.db, job.id, _user(b, org, role))
        return Planted(job, data={"org": org})

    return build


def _verify_sweep_of_one_org(db: Database, planted: Planted) -> list[str]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT org_id::text AS org FROM jobs WHERE job_type = 'auto_model_trigger'"
            " AND object_id = %s",
            (planted.job.id,),
        )
        orgs = [r["org"] for r in cur.fetchall()]
    return [] if orgs == [planted.data["org"]] else [f"the sweep triggered orgs {orgs}"]


# -- alert_check --------------------------------------------------------------------------------


def _check(
    *, rule: dict[str, Any] | None = None, role: str | None = None, **params: Any
) -> Callable[[Builder], Planted]:
    """An org, a done baseline run and one enabled rule; the check the run's follow-up inserts."""

    def build(b: Builder) -> Planted:
        org = b.org()
        model = insert_model(b.db, org)
        run = insert_model_run(b.db, org, model, status="done", summary_json=ALERT_SUMMARY)
        rule_id = insert_alert_rule(b.db, org, **(rule or {}))
        value = {k: (v(b) if callable(v) else v) for k, v in params.items()}
        job = submit_alert_check(b.db, org, run, **value)
        if role is not None:
            set_job_creator(b.db, job.id, _user(b, org, role))
        return Planted(job, ("alert_rules", rule_id), {"org": org, "rule": rule_id})

    return build


def _check_raw(params: dict[str, Any], *, object_id: Any = "run") -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        org = b.org()
        model = insert_model(b.db, org)
        run = insert_model_run(b.db, org, model, status="done", summary_json=ALERT_SUMMARY)
        target = run if object_id == "run" else object_id
        return Planted(submit(b.db, "alert_check", params, org_id=org, object_id=target))

    return build


def _check_run_of_another_org(b: Builder) -> Planted:
    org, other = b.org(), b.org()
    model = insert_model(b.db, other)
    run = insert_model_run(b.db, other, model, status="done", summary_json=ALERT_SUMMARY)
    insert_alert_rule(b.db, other)
    return Planted(submit_alert_check(b.db, org, run))


def _verify_notification(title: str) -> Verify:
    def verify(db: Database, planted: Planted) -> list[str]:
        with db.transaction() as cur:
            cur.execute(
                "SELECT title, metadata FROM notifications WHERE org_id = %s",
                (planted.data["org"],),
            )
            rows = cur.fetchall()
        if len(rows) != 1:
            return [f"{len(rows)} notifications, expected 1"]
        problems = [] if rows[0]["title"] == title else [f"title {rows[0]['title']!r}"]
        if rows[0]["metadata"]["alertId"] != planted.data["rule"]:
            problems.append("the notification does not name its rule")
        return problems

    return verify


def _drop_domain(build: Callable[[Builder], Planted]) -> Callable[[Builder], Planted]:
    """For a failing check: nothing may change, the rule included (so it is not the domain)."""

    def wrapped(b: Builder) -> Planted:
        planted = build(b)
        return Planted(planted.job, data=planted.data)

    return wrapped


def _bad_rule(**rule: Any) -> Callable[[Builder], Planted]:
    return _drop_domain(_check(rule=rule))


def _webhook(url: str) -> Callable[[Builder], Planted]:
    """A Slack rule whose URL the policy refuses (webhook delivery is on in the corpus)."""
    return _bad_rule(notify_slack=True, slack_webhook=url)


NAN = "NaN"
HUGE_THRESHOLD = "9999999999999999.9999"

CASES: tuple[Case, ...] = (
    # auto_model_trigger
    Case(
        "auto_model_trigger/no-org",
        _trigger({"triggerType": "csv_import"}, org=False),
        ("InvalidJob",),
        ("without org",),
    ),
    Case(
        "auto_model_trigger/org-param-naming-no-org",
        _trigger({"triggerType": "manual", "orgId": new_id()}, org=False),
        ("InvalidJob",),
    ),
    Case(
        "auto_model_trigger/org-param-sql-injection",
        _trigger({"orgId": SQL_ID}, org=False),
        ("InvalidParams",),
        ("params.orgId",),
        forbidden=(SQL_MARK,),
    ),
    Case(
        "auto_model_trigger/viewer-created",
        _trigger({"triggerType": "manual"}, role="viewer"),
        ("Forbidden",),
        ("finance",),
    ),
    Case("auto_model_trigger/user-of-another-org", _trigger_by_outsider, ("Forbidden",)),
    Case(
        "auto_model_trigger/trigger-type-is-a-script",
        _trigger({"triggerType": SCRIPT}),
        ("InvalidParams",),
        ("triggerType",),
        forbidden=(SCRIPT_MARK,),
    ),
    Case(
        "auto_model_trigger/trigger-type-1mb-string",
        _trigger({"triggerType": HUGE_STRING}),
        ("InvalidParams",),
        forbidden=(HUGE_MARK,),
    ),
    Case(
        "auto_model_trigger/trigger-source-not-a-string",
        _trigger({"triggerType": "csv_import", "triggerSource": {"job": 1}}),
        ("InvalidParams",),
        ("triggerSource",),
    ),
    Case(
        "auto_model_trigger/params-nested-too-deeply",
        _trigger(lambda b: {"triggerType": "manual", "rowsImported": b.raw(RAW_DEEP_LIST)}),
        ("InvalidParams",),
    ),
    # auto_model
    Case("auto_model/missing-model", _auto_params_only({"modelId": new_id()}), ("NotFound",)),
    Case("auto_model/model-of-another-org", _auto_model_of_another_org, ("NotFound",)),
    Case(
        "auto_model/no-model-named",
        _auto_params_only({}),
        ("InvalidParams",),
        ("modelId",),
    ),
    Case(
        "auto_model/model-id-sql-injection",
        _auto_params_only({"modelId": SQL_ID}),
        IDS,
        forbidden=(SQL_MARK,),
    ),
    Case("auto_model/viewer-created", _auto(role="viewer"), ("Forbidden",), ("finance",)),
    Case("auto_model/user-of-another-org", _auto_by_outsider, ("Forbidden",)),
    Case(
        "auto_model/cash-nan",
        _auto(cashOnHand="NaN"),
        ("InvalidParams",),
        ("cashOnHand",),
    ),
    Case(
        "auto_model/cash-infinite",
        _auto(cashOnHand=lambda b: b.raw(RAW_INFINITY)),
        ("InvalidParams",),
        ("cashOnHand",),
    ),
    Case(
        "auto_model/starting-mrr-huge-integer",
        _auto(startingMrr=HUGE_INT),
        ("InvalidParams",),
        ("startingMrr",),
    ),
    Case(
        "auto_model/negative-starting-revenue",
        _auto(startingRevenue=-12_000),
        ("InvalidParams",),
        ("startingRevenue",),
    ),
    Case(
        "auto_model/customers-not-whole",
        _auto(startingCustomers=12.5),
        ("InvalidParams",),
        ("startingCustomers",),
    ),
    Case(
        "auto_model/retention-is-sql",
        _auto(retentionRate=SQL_ID),
        ("InvalidParams",),
        ("retentionRate",),
        forbidden=(SQL_MARK,),
    ),
    Case(
        "auto_model/major-costs-not-an-object",
        _auto(majorCosts="payroll=5000"),
        ("InvalidParams",),
        ("majorCosts",),
    ),
    Case(
        "auto_model/hiring-plan-1mb-string",
        _auto(hiringPlan=HUGE_STRING),
        ("InvalidParams",),
        ("hiringPlan",),
        forbidden=(HUGE_MARK,),
    ),
    Case(
        "auto_model/manual-assumptions-with-infinity",
        _auto(assumptions=lambda b: {"revenueGrowth": b.raw(RAW_INFINITY)}),
        ("InvalidParams",),
        ("assumptions",),
    ),
    Case(
        "auto_model/manual-assumptions-not-an-object",
        _auto(assumptions=[SCRIPT]),
        ("InvalidParams",),
        ("assumptions",),
        forbidden=(SCRIPT_MARK,),
    ),
    Case(
        "auto_model/import-batch-id-sql-injection",
        _auto(importBatchId=SQL_ID),
        ("InvalidParams",),
        forbidden=(SQL_MARK,),
    ),
    Case(
        "auto_model/model-json-not-an-object",
        _auto(model_json=[1, 2, 3]),
        ("InvalidModel",),
    ),
    Case(
        "auto_model/metadata-not-an-object",
        _auto(model_json={"assumptions": {}, "metadata": SCRIPT}),
        ("InvalidModel",),
        forbidden=(SCRIPT_MARK,),
    ),
    # scheduled_auto_model
    Case(
        "scheduled_auto_model/user-created-without-org",
        _sweep(role="admin", with_org=False),
        ("Forbidden",),
        ("must name an org",),
    ),
    Case(
        "scheduled_auto_model/viewer-created-for-an-org",
        _sweep(role="viewer", with_org=True),
        ("Forbidden",),
        ("finance",),
    ),
    # alert_check
    Case(
        "alert_check/missing-run",
        _check_raw({"source": "model_run"}, object_id=new_id()),
        ("NotFound",),
    ),
    Case("alert_check/run-of-another-org", _check_run_of_another_org, ("NotFound",)),
    Case(
        "alert_check/no-run-named",
        _check_raw({"source": "model_run"}, object_id=None),
        ("InvalidParams",),
        ("object_id",),
    ),
    Case(
        "alert_check/viewer-created",
        _drop_domain(_check(role="viewer")),
        ("Forbidden",),
        ("admin",),
    ),
    Case(
        "alert_check/finance-user-where-admin-is-needed",
        _drop_domain(_check(role="finance")),
        ("Forbidden",),
        ("admin",),
    ),
    Case(
        "alert_check/unknown-source",
        _check_raw({"source": "excel"}),
        ("InvalidParams",),
        ("source",),
    ),
    Case(
        "alert_check/source-1mb-string",
        _check_raw({"source": HUGE_STRING}),
        ("InvalidParams",),
        forbidden=(HUGE_MARK,),
    ),
    Case(
        "alert_check/monte-carlo-id-sql-injection",
        _check_raw({"source": "monte_carlo", "monteCarloJobId": SQL_ID}),
        ("InvalidParams",),
        forbidden=(SQL_MARK,),
    ),
    Case(
        "alert_check/unknown-operator",
        _bad_rule(operator="=>"),
        ("InvalidAlertRule",),
        ("unknown operator",),
    ),
    Case(
        "alert_check/operator-is-a-script",
        _bad_rule(operator=SCRIPT),
        ("InvalidAlertRule",),
        ("unknown operator",),
        forbidden=(SCRIPT_MARK,),
    ),
    Case(
        "alert_check/unknown-metric",
        _bad_rule(metric="ebitda_margin_pct"),
        ("InvalidAlertRule",),
        ("unknown metric",),
    ),
    Case(
        "alert_check/metric-sql-injection",
        _bad_rule(metric=SQL_ID),
        ("InvalidAlertRule",),
        ("unknown metric",),
        forbidden=(SQL_MARK,),
    ),
    Case(
        "alert_check/nan-threshold",
        _bad_rule(threshold=NAN),
        ("InvalidAlertRule",),
        ("not a finite number",),
    ),
    Case(
        "alert_check/webhook-to-loopback",
        _webhook("https://127.0.0.1/services/T/B/" + URL_MARK),
        ("InvalidAlertRule",),
        ("webhook URL that is not allowed",),
        forbidden=(URL_MARK,),
    ),
    Case(
        "alert_check/webhook-to-localhost",
        _webhook("https://localhost/services/T/B/" + URL_MARK),
        ("InvalidAlertRule",),
        ("webhook URL that is not allowed",),
        forbidden=(URL_MARK,),
    ),
    Case(
        "alert_check/webhook-to-private-range",
        _webhook("https://10.0.0.7/services/T/B/" + URL_MARK),
        ("InvalidAlertRule",),
        forbidden=(URL_MARK,),
    ),
    Case(
        "alert_check/webhook-to-cloud-metadata",
        _webhook("https://169.254.169.254/latest/meta-data/" + URL_MARK),
        ("InvalidAlertRule",),
        forbidden=(URL_MARK,),
    ),
    Case(
        "alert_check/webhook-to-ipv6-loopback",
        _webhook("https://[::1]/services/T/B/" + URL_MARK),
        ("InvalidAlertRule",),
        forbidden=(URL_MARK,),
    ),
    Case(
        "alert_check/webhook-host-not-allow-listed",
        _webhook("https://hooks.slack.com.evil.test/services/T/B/" + URL_MARK),
        ("InvalidAlertRule",),
        ("host not on ALERT_WEBHOOK_ALLOWED_HOSTS",),
        forbidden=(URL_MARK,),
    ),
    Case(
        "alert_check/webhook-with-userinfo-to-another-host",
        _webhook("https://hooks.slack.com@10.0.0.1/services/T/B/" + URL_MARK),
        ("InvalidAlertRule",),
        forbidden=(URL_MARK,),
    ),
    Case(
        "alert_check/webhook-over-plain-http",
        _webhook("http://hooks.slack.com/services/T/B/" + URL_MARK),
        ("InvalidAlertRule",),
        ("https",),
        forbidden=(URL_MARK,),
    ),
    # -- positive controls ---------------------------------------------------------------------
    Case(
        "auto_model_trigger/unusable-cash-is-ignored-with-a-warning",
        _trigger({"triggerType": "csv_import", "cashOnHand": SCRIPT}, org=True),
        verify=_verify_cash_ignored,
        forbidden=(SCRIPT_MARK,),
    ),
    Case(
        "auto_model/unknown-business-type-takes-the-saas-defaults",
        _auto(businessType=SCRIPT, positive=True),
        verify=_verify_auto_model_saas_defaults,
        forbidden=(SCRIPT_MARK,),
    ),
    Case(
        "scheduled_auto_model/a-system-sweep-naming-an-org-sweeps-that-org-only",
        _sweep(role=None, with_org=True),
        verify=_verify_sweep_of_one_org,
    ),
    Case(
        "alert_check/hostile-rule-name-is-stored-literally",
        _check(rule={"name": SCRIPT, "severity": "critical"}),
        verify=_verify_notification(f"CRITICAL: {SCRIPT}"),
        forbidden=(SCRIPT_MARK,),
    ),
    Case(
        "alert_check/the-largest-threshold-compares-exactly",
        _check(rule={"metric": "cash_balance", "operator": "<", "threshold": HUGE_THRESHOLD}),
        verify=_verify_notification("Runway under a year"),
    ),
)
