"""Settings from the environment: parsing, validation messages, secrets hidden."""

from __future__ import annotations

import pytest

from app.jobtypes import REGISTRY
from app.settings import DatabaseUrl, Settings, SettingsError


def test_postgres_scheme_and_prisma_schema_parameter_are_handled():
    url = DatabaseUrl.parse("postgres://u:pw@db:5432/app?schema=tenant1&sslmode=require")
    assert url.dsn == "postgresql://u:pw@db:5432/app?sslmode=require"
    assert url.schema == "tenant1"


def test_password_never_appears_in_repr():
    s = Settings.from_env({"DATABASE_URL": "postgresql://u:hunter22@db/app"})
    assert "hunter22" not in repr(s) and "***" in repr(s)


def test_defaults_match_the_contract():
    s = Settings.from_env({"DATABASE_URL": "postgresql://db/app"})
    assert s.job_types == REGISTRY.default_claimed and "noop" not in s.job_types
    assert (s.worker_concurrency, s.poll_interval_s, s.lease_s, s.heartbeat_s) == (4, 0.5, 45, 10)
    assert (s.base_backoff_s, s.max_backoff_s, s.graceful_shutdown_s) == (30, 3600, 180)
    assert s.followup_jobs == ("auto_model_trigger", "alert_check")
    assert s.worker_id.startswith("worker-")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DATABASE_URL is required"),
        ({"DATABASE_URL": "mysql://x"}, "must start with postgresql://"),
        ({"WORKER_JOB_TYPES": "model_run,aicfo_chat"}, "unknown job types ['aicfo_chat']"),
        ({"WORKER_FOLLOWUP_JOBS": "alert_chek"}, "WORKER_FOLLOWUP_JOBS has ['alert_chek']"),
        ({"WORKER_CONCURRENCY": "four"}, "WORKER_CONCURRENCY must be a whole number"),
        ({"WORKER_CONCURRENCY": "0"}, "WORKER_CONCURRENCY must be >= 1"),
        ({"WORKER_HEARTBEAT_SECONDS": "20"}, "must be below JOB_VISIBILITY_TIMEOUT_SECONDS / 3"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json"),
    ],
)
def test_invalid_configuration_fails_with_a_clear_message(env, message):
    full = (
        {"DATABASE_URL": "postgresql://db/app", **env} if "DATABASE_URL" not in env and env else env
    )
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Settings.from_env(full)


def test_empty_followup_list_disables_followups():
    s = Settings.from_env({"DATABASE_URL": "postgresql://db/app", "WORKER_FOLLOWUP_JOBS": ""})
    assert s.followup_jobs == ()
