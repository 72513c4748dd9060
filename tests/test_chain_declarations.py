"""The automation chain's declarations and settings: what each type claims, checks at start-up
(CONTRACT-2 Appendix A) and inserts, and the alert settings' validation."""

from __future__ import annotations

import pytest

from app.jobtypes import REGISTRY
from app.schema import check_backend_schema
from app.settings import Settings, SettingsError

CHAIN = ("auto_model_trigger", "auto_model", "scheduled_auto_model", "alert_check")
URL = "postgresql://db/app"
#: CONTRACT-2 Appendix A, per type (``jobs`` is the core's own check).
APPENDIX_A = {
    "auto_model_trigger": {
        "models": "id org_id name model_json version created_at",
        "model_runs": "id model_id org_id run_type params_json status created_at",
        "audit_logs": "org_id action object_type object_id meta_json created_at",
        "user_org_roles": "user_id org_id role",
    },
    "auto_model": {
        "models": "id org_id name model_json version created_at",
        "raw_transactions": "org_id date amount category is_duplicate import_batch_id",
        "financial_scenarios": "id org_id model_id name is_default created_at updated_at",
        "drivers": "id org_id model_id name type category unit is_calculated created_at updated_at",
        "driver_values": "driver_id scenario_id month value created_at updated_at",
        "model_runs": "id model_id org_id run_type params_json status created_at",
        "user_org_roles": "user_id org_id role",
    },
    "scheduled_auto_model": {
        "orgs": "id",
        "models": "id org_id created_at",
        "model_runs": "id org_id status run_type created_at",
        "raw_transactions": "org_id is_duplicate imported_at",
    },
    "alert_check": {
        "alert_rules": (
            "id org_id name metric operator threshold enabled notify_email notify_slack "
            "slack_webhook last_triggered created_by_id severity"
        ),
        "notifications": "id org_id user_id type title message category priority read metadata "
        "created_at",
        "audit_logs": "org_id action object_type object_id meta_json created_at",
        "model_runs": "id org_id status run_type summary_json",
        "monte_carlo_jobs": "id org_id model_run_id status percentiles_json",
        "user_org_roles": "user_id org_id role",
    },
}


def test_the_chain_is_claimed_by_default_and_inserts_its_runs_and_triggers_ungated():
    settings = Settings.from_env({"DATABASE_URL": URL})
    assert set(CHAIN) <= set(settings.job_types)
    assert settings.followup_jobs == ("auto_model_trigger", "alert_check")
    inserted = {t.name: {(f.job_type.name, f.gated) for f in t.followups} for t in REGISTRY}
    assert inserted["auto_model_trigger"] == {("model_run", False)}
    assert inserted["auto_model"] == {("model_run", False)}
    assert inserted["scheduled_auto_model"] == {("auto_model_trigger", False)}
    assert inserted["alert_check"] == set()
    priorities = {name: (REGISTRY[name].queue, REGISTRY[name].priority) for name in CHAIN}
    assert priorities == {
        "auto_model_trigger": ("default", 45),
        "auto_model": ("default", 60),
        "scheduled_auto_model": ("default", 30),
        "alert_check": ("default", 80),
    }


@pytest.mark.parametrize("job_type", CHAIN)
def test_each_type_checks_the_columns_of_appendix_a_at_start(job_type):
    declared = REGISTRY[job_type].tables
    for table, columns in APPENDIX_A[job_type].items():
        missing = set(columns.split()) - set(declared.get(table, ()))
        assert not missing, (job_type, table, missing)
    if REGISTRY[job_type].followups:  # its inserts need the key of ON CONFLICT
        assert "idempotency_key" in declared["jobs"]


def test_a_half_migrated_alert_table_or_a_missing_driver_value_index_stops_the_start(db):
    with db.transaction() as cur:
        cur.execute('ALTER TABLE alert_rules RENAME COLUMN org_id TO "orgId"')
        index = "driver_values_driverId_scenarioId_month_key"
        cur.execute(f'ALTER TABLE driver_values DROP CONSTRAINT "{index}"')
    message = check_backend_schema(db, CHAIN).message()
    assert 'alert_rules.org_id (found "orgId")' in message
    assert "unique index on driver_values(driver_id, scenario_id, month)" in message
    assert check_backend_schema(db, ("auto_model_trigger", "scheduled_auto_model")).ok


def test_alert_settings_default_to_no_outbound_traffic():
    s = Settings.from_env({"DATABASE_URL": URL})
    assert s.alert_webhooks_enabled is False
    assert s.alert_webhook_allowed_hosts == ("hooks.slack.com",)
    assert s.alert_webhook_timeout_s == 5.0 and s.alert_run_types == ("baseline",)


def test_alert_settings_are_parsed_and_normalised():
    s = Settings.from_env(
        {
            "DATABASE_URL": URL,
            "ALERT_WEBHOOKS_ENABLED": "true",
            "ALERT_WEBHOOK_ALLOWED_HOSTS": " Hooks.Slack.com. , alerts.example.com",
            "ALERT_WEBHOOK_TIMEOUT_SECONDS": "2.5",
            "ALERT_RUN_TYPES": "baseline,Scenario",
        }
    )
    assert s.alert_webhooks_enabled is True
    assert s.alert_webhook_allowed_hosts == ("hooks.slack.com", "alerts.example.com")
    assert s.alert_webhook_timeout_s == 2.5 and s.alert_run_types == ("baseline", "scenario")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALERT_WEBHOOKS_ENABLED": "maybe"}, "ALERT_WEBHOOKS_ENABLED must be true or false"),
        ({"ALERT_WEBHOOK_ALLOWED_HOSTS": "https://hooks.slack.com"}, "plain host names"),
        ({"ALERT_WEBHOOK_ALLOWED_HOSTS": "*.slack.com"}, "plain host names"),
        ({"ALERT_WEBHOOK_ALLOWED_HOSTS": "hooks.slack.com:443"}, "plain host names"),
        ({"ALERT_WEBHOOK_TIMEOUT_SECONDS": "0.1"}, "ALERT_WEBHOOK_TIMEOUT_SECONDS must be >= 0.5"),
        ({"ALERT_WEBHOOK_TIMEOUT_SECONDS": "120"}, "ALERT_WEBHOOK_TIMEOUT_SECONDS must be <= 30"),
        ({"ALERT_RUN_TYPES": "baseline,whatif"}, "ALERT_RUN_TYPES must list run types"),
        ({"ALERT_RUN_TYPES": ""}, "ALERT_RUN_TYPES must list run types"),
    ],
)
def test_invalid_alert_settings_are_refused_with_a_message_naming_them(env, message):
    with pytest.raises(SettingsError, match=message.replace("*", r"\*")):
        Settings.from_env({"DATABASE_URL": URL, **env})
