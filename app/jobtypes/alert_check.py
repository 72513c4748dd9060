"""``alert_check``: its declaration and database code (CONTRACT-2 §4).

The rules are evaluated by :mod:`app.alerts.rules` (pure) inside one final transaction that
locks the org's enabled rules and writes, per rule that fires and was not notified for this run
and source before, a ``notifications`` row (``metadata.alertId`` …), ``last_triggered`` and the
``audit_logs`` row the UI's alert history reads. Webhooks (off by default) go out after the
commit (:func:`deliver_all`); their outcome is written back to the notification, and a delivery
failure never changes the job's outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from psycopg2.extras import RealDictCursor as Cursor

from app.alerts.rules import Hit, Rule, Skip, evaluate, metric_of
from app.alerts.webhook import (
    Target,
    WebhookPolicy,
    WebhookRejected,
    check_url,
    deliver,
)
from app.db import Database, execute, jsonb
from app.errors import InvalidAlertRule, NotFound
from app.jobtypes.access import ACCESS_TABLES
from app.jobtypes.base import QUEUE_DEFAULT, JobType, merge_columns
from app.jobtypes.result_meta import fit_lists
from app.logging_setup import log_event
from app.settings import Settings

logger = logging.getLogger(__name__)

JOB_TYPE = JobType(
    name="alert_check",
    queue=QUEUE_DEFAULT,
    priority=80,
    summary="evaluate the org's alert rules against a finished run; notify",
    tables=merge_columns(
        ACCESS_TABLES,
        {
            "alert_rules": (
                "id org_id name metric operator threshold enabled notify_email notify_slack "
                "slack_webhook last_triggered created_by_id severity created_at"
            ).split(),
            "notifications": (
                "id org_id user_id type title message category priority read metadata created_at"
            ).split(),
            "audit_logs": "org_id action object_type object_id meta_json created_at".split(),
            "model_runs": ("id", "org_id", "status", "run_type", "summary_json"),
            "monte_carlo_jobs": ("id", "org_id", "model_run_id", "status", "percentiles_json"),
        },
    ),
)

RUN_DONE = "done"
#: ``metadata.delivery`` values (CONTRACT-2 §4.9).
PENDING = "pending"
DISABLED = "disabled"
NOT_REQUESTED = "not_requested"
NO_WEBHOOK_URL = "rejected:no webhook URL"
SLACK = "slack"
EMAIL = "email"


@dataclass(frozen=True)
class AlertRun:
    """The ``model_runs`` row a check evaluates."""

    id: str
    org_id: str
    status: str
    run_type: str
    summary: dict[str, Any] | None

    @property
    def done(self) -> bool:
        return self.status == RUN_DONE and self.summary is not None


def load_run(cur: Cursor, run_id: str, org_id: str | None) -> AlertRun:
    """The run, in the job's org.

    Raises:
        NotFound: no such run (in that org).
    """
    rows = execute(cur, "alert_check_run", {"run_id": run_id, "org_id": org_id})
    if not rows:
        where = f" in org {org_id}" if org_id else ""
        raise NotFound(f"model run {run_id} not found{where}")
    row = rows[0]
    summary = row["summary_json"] if isinstance(row["summary_json"], dict) else None
    return AlertRun(row["id"], row["org_id"], str(row["status"]), str(row["run_type"]), summary)


def load_simulation(cur: Cursor, run: AlertRun, mc_id: str) -> dict[str, Any] | None:
    """The finished Monte Carlo result ``mc_id`` of the run, or None."""
    rows = execute(
        cur, "alert_check_simulation", {"mc_id": mc_id, "org_id": run.org_id, "run_id": run.id}
    )
    found = rows[0]["percentiles_json"] if rows else None
    return found if isinstance(found, dict) else None


@dataclass(frozen=True)
class Source:
    """What triggered the check: the producing job type and its Monte Carlo row, if any."""

    name: str
    mc_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    """A webhook to send after the commit, for one new notification."""

    notification_id: str
    rule_id: str
    target: Target
    text: str


@dataclass
class CheckOutcome:
    meta: dict[str, Any]
    deliveries: list[Delivery]


def _slack_state(rule: Rule, settings: Settings) -> tuple[str, Target | None]:
    """The slack delivery field, and the checked target when a webhook will be sent.

    Raises:
        InvalidAlertRule: webhooks are on and the rule's URL is one the policy refuses.
    """
    if not rule.notify_slack:
        return NOT_REQUESTED, None
    if not settings.alert_webhooks_enabled:
        return DISABLED, None
    if not (rule.slack_webhook or "").strip():
        return NO_WEBHOOK_URL, None
    try:
        return PENDING, check_url(rule.slack_webhook, webhook_policy(settings))
    except WebhookRejected as exc:
        raise InvalidAlertRule(
            f"alert rule {rule.id} has a webhook URL that is not allowed ({exc.reason})"
        ) from None


def webhook_policy(settings: Settings) -> WebhookPolicy:
    return WebhookPolicy(
        allowed_hosts=frozenset(settings.alert_webhook_allowed_hosts),
        timeout_s=settings.alert_webhook_timeout_s,
    )


def check(
    cur: Cursor,
    settings: Settings,
    *,
    run: AlertRun,
    source: Source,
    simulation: Mapping[str, Any] | None,
    job_id: str,
) -> CheckOutcome:
    """Lock and evaluate the org's enabled rules; write what fired (inside the final transaction).

    Raises:
        InvalidAlertRule: an enabled rule cannot be evaluated (nothing is written).
    """
    rows = execute(cur, "alert_check_rules_lock", {"org_id": run.org_id})
    rules = [Rule.from_row(row) for row in rows]
    for rule in rules:
        metric_of(rule)  # every enabled rule must be readable before anything is written
    slack = {rule.id: _slack_state(rule, settings) for rule in rules}
    triggered: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    deliveries: list[Delivery] = []
    for rule in rules:
        result = evaluate(rule, summary=run.summary, simulation=simulation)
        if result is None:
            continue
        if isinstance(result, Skip):
            skipped.append({"alertId": rule.id, "reason": result.reason})
            continue
        notification_id = _record(cur, result, run, source, job_id, slack[rule.id][0])
        triggered.append({**_brief(result), "notificationId": notification_id})
        target = slack[rule.id][1]
        if notification_id is not None and target is not None:
            deliveries.append(Delivery(notification_id, rule.id, target, _slack_message(result)))
    created = sum(1 for t in triggered if t["notificationId"] is not None)
    meta: dict[str, Any] = {
        "modelRunId": run.id,
        "source": source.name,
        **({"monteCarloJobId": source.mc_id} if source.mc_id else {}),
        "rulesChecked": len(rules),
        "rulesTriggered": len(triggered),
        "notificationsCreated": created,
        "triggered": triggered,
        "skipped": skipped,
        "alerts_checked": len(rules),
        "alerts_triggered": len(triggered),
    }
    return CheckOutcome(fit_lists(meta, ("triggered", "skipped")), deliveries)


def _brief(hit: Hit) -> dict[str, Any]:
    return {
        "alertId": hit.rule.id,
        "metric": hit.rule.metric.strip(),
        "value": None if hit.no_burn else round(hit.value, 4),
        "threshold": float(hit.rule.threshold),
        "operator": hit.rule.operator.strip(),
    }


def _record(
    cur: Cursor, hit: Hit, run: AlertRun, source: Source, job_id: str, slack: str
) -> str | None:
    """The notification, ``last_triggered`` and the audit row of a hit; None if already notified."""
    rule = hit.rule
    keys = {"org_id": run.org_id, "rule_id": rule.id, "run_id": run.id, "source": source.name}
    if execute(cur, "alert_check_notification_exists", {**keys, "mc_id": source.mc_id}):
        return None
    value = None if hit.no_burn else hit.value
    metadata: dict[str, Any] = {
        "alertId": rule.id,
        "alertName": rule.name,
        "metric": rule.metric.strip(),
        "valueKey": hit.value_key,
        "unit": hit.metric.unit.value,
        "value": value,
        "noBurn": hit.no_burn,
        "threshold": _decimal_json(rule.threshold),
        "operator": rule.operator.strip(),
        "severity": rule.severity,
        "source": source.name,
        "modelRunId": run.id,
        "runType": run.run_type,
        **({"monteCarloJobId": source.mc_id} if source.mc_id else {}),
        "jobId": job_id,
        "delivery": {EMAIL: DISABLED if _wants_email(rule) else NOT_REQUESTED, SLACK: slack},
    }
    notification_id = execute(
        cur,
        "alert_check_notification_insert",
        {
            "org_id": run.org_id,
            "user_id": rule.created_by_id,
            "title": hit.title,
            "message": hit.message,
            "priority": hit.priority,
            "metadata": jsonb(metadata),
        },
    )[0]["id"]
    execute(cur, "alert_check_rule_triggered", {"rule_id": rule.id, "org_id": run.org_id})
    audit = {
        "alertName": rule.name,
        "metric": rule.metric.strip(),
        "value": value,
        "actualValue": value,
        "noBurn": hit.no_burn,
        "threshold": _decimal_json(rule.threshold),
        "operator": rule.operator.strip(),
        "severity": rule.severity,
        "message": hit.message,
        "modelRunId": run.id,
        "source": source.name,
        "notificationId": notification_id,
    }
    execute(
        cur,
        "alert_check_audit_insert",
        {**keys, "meta": jsonb(audit), "notification_id": notification_id},
    )
    return str(notification_id)


def _wants_email(rule: Rule) -> bool:
    """E-mail is asked for by ``notify_email`` or a critical severity (as legacy and the
    backend's test route); this worker sends none, so it is recorded as ``disabled``."""
    return rule.notify_email or rule.critical


def _decimal_json(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def _slack_message(hit: Hit) -> str:
    rule = hit.rule
    return f"FinaPilot alert: {rule.name}\n{hit.message}\nSeverity: {rule.severity or 'warning'}"


def deliver_all(
    db: Database, org_id: str, deliveries: list[Delivery], settings: Settings, **log: Any
) -> dict[str, int]:
    """Send the webhooks of new notifications and record each outcome; never raises.

    A crash between the commit and here loses the delivery (at most once, documented).
    """
    counts: dict[str, int] = {}
    policy = webhook_policy(settings)
    for item in deliveries:
        try:
            outcome = deliver(item.target, item.text, policy)
        except Exception:  # a defect in delivery must not lose the committed notification
            outcome = "failed:internal"
        counts[outcome] = counts.get(outcome, 0) + 1
        log_event(
            logger,
            logging.INFO if outcome == "sent" else logging.WARNING,
            "alert_webhook_delivery",
            alert_id=item.rule_id,
            host=item.target.host,
            outcome=outcome,
            **log,
        )
        try:
            db.run(
                "alert_check_delivery_set",
                {
                    "notification_id": item.notification_id,
                    "org_id": org_id,
                    "channel": SLACK,
                    "outcome": outcome,
                },
            )
        except Exception:
            log_event(
                logger,
                logging.ERROR,
                "alert_delivery_status_not_written",
                alert_id=item.rule_id,
                **log,
            )
    return counts
