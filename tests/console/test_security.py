"""Safe by default: credentials on every page and static file, CSRF and POST for actions, the
same-origin rule, security headers, and logs without query strings or tenant data."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys

import pytest

from app.console.auth import authenticate
from app.console.config import ConsoleSettings, Credentials
from app.settings import SettingsError
from tests.conftest import ROOT
from tests.console.conftest import PASSWORD, TOKEN, USER, console_env

PAGES = ["/", "/overview/live", "/jobs", "/jobs?status=dead_letter", "/dead"]
STATIC = ["/static/console.css", "/static/htmx-2.0.11.min.js", "/static/favicon.svg"]


def _job_paths(job_id: str) -> list[str]:
    return [f"/jobs/{job_id}", f"/jobs/{job_id}/live", f"/jobs/{job_id}/download"]


def test_the_console_process_refuses_to_start_without_credentials(env):
    bare = {k: v for k, v in os.environ.items() if not k.startswith("CONSOLE_")}
    proc = subprocess.run(
        [sys.executable, "-m", "app", "console"],
        cwd=ROOT,
        env={**bare, **env, "CONSOLE_PORT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "needs credentials: CONSOLE_TOKEN, or CONSOLE_USER and CONSOLE_PASSWORD" in (
        proc.stdout + proc.stderr
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"CONSOLE_TOKEN": "short"}, "CONSOLE_TOKEN must be at least 16 characters"),
        ({"CONSOLE_USER": "bob"}, "CONSOLE_USER and CONSOLE_PASSWORD are set together"),
        ({"CONSOLE_USER": "bob", "CONSOLE_PASSWORD": "pw"}, "CONSOLE_PASSWORD must be at least"),
        ({"CONSOLE_TOKEN": TOKEN, "CONSOLE_LINK_SECONDS": "86400"}, "at most 3600"),
    ],
)
def test_weak_or_half_configured_credentials_are_refused(env, extra, message):
    with pytest.raises(SettingsError, match=message):
        ConsoleSettings.from_env({**env, **extra})


def test_the_settings_never_show_the_secrets(env):
    settings = ConsoleSettings.from_env(console_env(env))
    shown = repr(settings)
    assert PASSWORD not in shown and TOKEN not in shown and settings.secret_key not in shown
    assert "alice" in shown


def test_a_token_a_user_password_pair_or_the_token_as_password_is_accepted():
    creds = Credentials(token=TOKEN, user=USER, password=PASSWORD)

    def basic(user: str, password: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    assert authenticate(f"Bearer {TOKEN}", creds) == "token"
    assert authenticate(basic(USER, PASSWORD), creds) == USER
    assert authenticate(basic("carol", TOKEN), creds) == "carol (token)"
    assert authenticate(basic("", TOKEN), creds) == "token"
    for bad in (
        f"Bearer {TOKEN}x",
        basic(USER, PASSWORD + "x"),
        basic("mallory", PASSWORD),
        basic(USER, ""),
        "Basic !!!not-base64",
        "Digest abc",
        "",
        None,
    ):
        assert authenticate(bad, creds) is None, bad
    pair_only = Credentials(user=USER, password=PASSWORD)
    assert authenticate(f"Bearer {TOKEN}", pair_only) is None


def test_every_page_static_file_and_action_needs_credentials_and_reveals_nothing(console, make_job):
    job = make_job()
    anonymous = console.anonymous()
    wrong = console.client(password="wrong-password-000000")
    paths = PAGES + _job_paths(job.id) + STATIC + ["/static/missing.js", "/no/such/page"]
    for client in (anonymous, wrong):
        for path in paths:
            response = client.get(path)
            assert response.status_code == 401, path
            assert response.text == "Authentication required.\n", path
            assert response.headers["WWW-Authenticate"].startswith('Basic realm="FinaPilot')
        for action in ("/actions/retry", "/actions/cancel", "/actions/pause"):
            response = client.post(action, {"job_id": job.id, "confirmed": "yes"})
            assert response.status_code == 401, action
    css = console.client().get("/static/console.css")
    assert css.status_code == 200 and "FinaPilot console" in css.text
    assert job.refresh().status == "queued"


def test_the_health_check_answers_without_credentials_and_says_nothing_else(console):
    response = console.anonymous().get("/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert console.anonymous().post("/healthz", {}).status_code == 401


def test_every_response_carries_the_security_headers(console, make_job):
    job = make_job()
    for client, path in [
        (console.anonymous(), "/"),
        (console.client(), "/"),
        (console.client(), f"/jobs/{job.id}"),
        (console.client(), "/static/console.css"),
        (console.client(), "/jobs?status=nonsense"),
    ]:
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, path
        assert "script-src 'self'" in csp and "unsafe" not in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Cache-Control" in headers
    page = console.client().get("/")
    assert page.headers["Cache-Control"] == "no-store"
    assert (
        "HttpOnly" in page.headers["Set-Cookie"] and "SameSite=Strict" in page.headers["Set-Cookie"]
    )
    assert "<script>" not in page.text and " style=" not in page.text  # nothing inline


def test_actions_need_post_and_a_csrf_token_of_the_same_session(console, make_job):
    job = make_job()
    alice = console.client()
    assert alice.get("/actions/cancel").status_code == 405
    fields = {"job_id": job.id, "confirmed": "yes"}
    assert alice.post("/actions/cancel", fields).status_code == 403  # no token
    assert alice.post("/actions/cancel", {**fields, "csrf_token": "forged"}).status_code == 403
    other = console.client()
    token_of_other_session = other.csrf_token()
    rejected = alice.post("/actions/cancel", {**fields, "csrf_token": token_of_other_session})
    assert rejected.status_code == 403 and "expired or did not come from this console" in (
        rejected.text
    )
    cross_site = alice.post(
        "/actions/cancel",
        {**fields, "csrf_token": alice.csrf_token()},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    opaque = alice.post(
        "/actions/cancel", {**fields, "csrf_token": alice.csrf_token()}, headers={"Origin": "null"}
    )
    assert opaque.status_code == 403
    assert job.refresh().status == "queued"
    done = alice.post("/actions/cancel", {**fields, "csrf_token": alice.csrf_token()})
    assert done.status_code == 303 and job.refresh().status == "cancelled"


def test_request_logs_hold_no_query_string_parameter_or_org_name(
    console, make_job, make_org, caplog
):
    org = make_org("Hooli Secret Holdings")
    job = make_job(params={"apiKey": "sk-live-000-very-secret"}, org_id=org)
    alice = console.client()
    caplog.set_level(logging.DEBUG)
    for path in (f"/jobs/{job.id}", f"/jobs?org={org}&text=needle-in-url", "/"):
        assert alice.get(path).status_code == 200
    alice.act("/actions/cancel", {"job_id": job.id}, page=f"/jobs/{job.id}")
    # Everything the server side logged (urllib3's lines are the test client's own).
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("urllib3"))
    assert "console_request" in text and f"path=/jobs/{job.id}" in text
    assert "needle-in-url" not in text and "text=" not in text
    assert "Hooli" not in text and "sk-live" not in text and "apiKey" not in text
    assert f"console_cancelled job_id={job.id} status=cancelled by=alice" in text
    detail = alice.get(f"/jobs/{job.id}").text
    assert "sk-live-000-very-secret" not in detail and "(1 keys hidden)" in detail
    assert "Hooli" not in detail
