"""The console as Render runs it: a web service with a health check, the Procfile's command, its
secrets generated or entered (never committed), the real process starting and stopping cleanly,
and the read-only role's grants covering every table a page reads."""

from __future__ import annotations

import re

import requests
import yaml

from app.console.config import ConsoleSettings
from app.jobtypes import REGISTRY
from app.sql import SQL_DIR
from tests.conftest import ROOT
from tests.console.conftest import TOKEN

SECRETS = {"DATABASE_URL", "S3_BUCKET_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def _service() -> tuple[dict, dict[str, dict]]:
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    service = next(s for s in blueprint["services"] if s["name"] == "finapilot-console")
    groups = {g["name"]: g for g in blueprint["envVarGroups"]}
    env: dict[str, dict] = {}
    for entry in service["envVars"]:
        if "fromGroup" in entry:
            env.update({v["key"]: v for v in groups[entry["fromGroup"]]["envVars"]})
        else:
            env[entry["key"]] = entry
    return service, env


def test_the_console_is_a_web_service_with_a_health_check_and_the_procfile_command():
    service, env = _service()
    assert service["type"] == "web" and service["runtime"] == "python"
    assert service["healthCheckPath"] == "/healthz"
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert service["startCommand"] == procfile["console"] == "python -m app console"
    for key in SECRETS:
        assert env[key] == {"key": key, "sync": False}
    assert env["CONSOLE_TOKEN"] == {"key": "CONSOLE_TOKEN", "generateValue": True}
    assert env["CONSOLE_SECRET_KEY"] == {"key": "CONSOLE_SECRET_KEY", "generateValue": True}
    values = {k: str(v["value"]) for k, v in env.items() if "value" in v}
    generated = {"CONSOLE_TOKEN": TOKEN, "CONSOLE_SECRET_KEY": "s" * 32, "PORT": "10000"}
    settings = ConsoleSettings.from_env(
        {**values, **generated, "DATABASE_URL": "postgresql://db/app"}
    )
    assert (settings.host, settings.port, settings.cookie_secure) == ("0.0.0.0", 10000, True)


def test_the_read_only_grants_cover_every_table_a_page_reads():
    grants = (SQL_DIR / "ddl" / "console_readonly_role.sql").read_text()
    granted = set()
    for match in re.finditer(r"GRANT SELECT ON ([^;]+?) TO", grants, re.S):
        granted |= {t.strip() for t in match.group(1).split(",")}
    shown = {t.domain.table for t in REGISTRY if t.domain and t.domain.show_sql}
    read = {"jobs", "monte_carlo_jobs", "exports", "dramatiq.queue", "dramatiq.finapilot_workers"}
    assert shown | read | {"dramatiq.finapilot_paused"} <= granted


def test_the_process_serves_with_credentials_and_stops_cleanly_on_sigterm(console_process):
    console = console_process(CONSOLE_TOKEN=TOKEN)
    assert "FinaPilot console on http://127.0.0.1:" in console.log()
    assert requests.get(console.url + "/healthz", timeout=10).text == "ok\n"
    assert requests.get(console.url + "/", timeout=10).status_code == 401
    page = requests.get(console.url + "/", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert page.status_code == 200 and "<h1>Overview</h1>" in page.text
    assert page.headers["Server"] == "finapilot-console"
    assert console.stop() == 0
    assert "Console stopped" in console.log() and TOKEN not in console.log()
