"""Render readiness: the blueprint, the Procfile, timeouts, the Python pin, pinned dependencies
and JSON logs (contract §7; ../shared/RENDER.md)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from app.settings import Settings
from tests.conftest import ROOT

CONTRACT_VARS = {
    "DATABASE_URL",
    "S3_BUCKET_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "WORKER_JOB_TYPES",
    "WORKER_CONCURRENCY",
    "WORKER_POLL_INTERVAL_SECONDS",
    "JOB_VISIBILITY_TIMEOUT_SECONDS",
    "WORKER_HEARTBEAT_SECONDS",
    "WORKER_REAPER_INTERVAL_SECONDS",
    "JOB_BASE_BACKOFF_SECONDS",
    "JOB_MAX_BACKOFF_SECONDS",
    "WORKER_GRACEFUL_SHUTDOWN_TIMEOUT",
    "WORKER_FOLLOWUP_JOBS",
    "WORKER_LOG_MAX_ENTRIES",
    "MONTECARLO_CHUNK_RAM_BYTES",
    "COMPUTE_COST_PER_HOUR",
    "LOG_LEVEL",
    "PYTHONUNBUFFERED",
}
SECRETS = {"DATABASE_URL", "S3_BUCKET_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


@pytest.fixture(scope="module")
def blueprint() -> dict:
    return yaml.safe_load((ROOT / "render.yaml").read_text())


def _env(blueprint: dict, service: dict) -> dict[str, dict]:
    env: dict[str, dict] = {}
    groups = {g["name"]: g for g in blueprint.get("envVarGroups", [])}
    for entry in service["envVars"]:
        if "fromGroup" in entry:
            env.update({v["key"]: v for v in groups[entry["fromGroup"]]["envVars"]})
        else:
            env[entry["key"]] = entry
    return env


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def _flag(command: str, name: str) -> str:
    words = shlex.split(command)
    return words[words.index(name) + 1]


def test_both_services_are_private_services_that_prometheus_can_scrape(blueprint):
    services = {s["name"]: s for s in blueprint["services"]}
    assert set(services) == {"finapilot-dramatiq", "finapilot-bridge", "finapilot-console"}
    for service in (services["finapilot-dramatiq"], services["finapilot-bridge"]):
        assert service["type"] == "pserv"  # a background worker cannot receive private traffic
        assert service["runtime"] == "python"
        assert service["buildCommand"] == "pip install -r requirements.txt"
        assert 1 <= service["maxShutdownDelaySeconds"] <= 300
        assert service["healthCheckPath"].startswith("/")
    assert _env(blueprint, services["finapilot-dramatiq"])["dramatiq_prom_port"]["value"] == "9191"
    assert _env(blueprint, services["finapilot-bridge"])["BRIDGE_METRICS_PORT"]["value"] == "9300"


def test_start_commands_match_the_procfile(blueprint):
    procfile = _procfile()
    services = {s["name"]: s for s in blueprint["services"]}
    assert services["finapilot-bridge"]["startCommand"] == procfile["bridge"]
    worker = services["finapilot-dramatiq"]["startCommand"]
    # our launcher around `dramatiq actors` (issue 12: signals, log format, timeouts checked)
    assert worker.startswith("python -m app.launcher ")
    assert procfile["worker"].startswith("python -m app.launcher ")
    assert _flag(worker, "--worker-shutdown-timeout") == _flag(
        procfile["worker"], "--worker-shutdown-timeout"
    )


def test_the_worker_service_threads_come_from_worker_concurrency(blueprint):
    services = {s["name"]: s for s in blueprint["services"]}
    for command in (services["finapilot-dramatiq"]["startCommand"], _procfile()["worker"]):
        words = shlex.split(command)
        assert "--threads" not in words and "-t" not in words  # the launcher's default is it
    assert _env(blueprint, services["finapilot-dramatiq"])["WORKER_CONCURRENCY"]["value"] == "4"


def test_the_worker_services_health_check_is_its_workers_not_the_exporter(blueprint):
    services = {s["name"]: s for s in blueprint["services"]}
    assert services["finapilot-dramatiq"]["healthCheckPath"] == "/healthz"
    assert services["finapilot-bridge"]["healthCheckPath"] == "/healthz"


def test_the_launcher_refuses_a_graceful_timeout_that_outlasts_dramatiqs(env):
    done = subprocess.run(
        [sys.executable, "-m", "app.launcher", "--worker-shutdown-timeout", "3000"],
        cwd=ROOT,
        env={**env, "WORKER_GRACEFUL_SHUTDOWN_TIMEOUT": "5"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(lines) == 1
    assert "WORKER_GRACEFUL_SHUTDOWN_TIMEOUT (5 s) must end before dramatiq's " in lines[0]
    assert "--worker-shutdown-timeout (3 s)" in lines[0]


def test_shutdown_timeouts_end_before_the_platform_kills(blueprint):
    services = {s["name"]: s for s in blueprint["services"]}
    worker = services["finapilot-dramatiq"]
    env = _env(blueprint, worker)
    dramatiq_s = int(_flag(worker["startCommand"], "--worker-shutdown-timeout")) / 1000
    graceful_s = float(env["WORKER_GRACEFUL_SHUTDOWN_TIMEOUT"]["value"])
    assert graceful_s < dramatiq_s < worker["maxShutdownDelaySeconds"]


def test_every_contract_variable_is_declared_and_secrets_are_not_committed(blueprint):
    for service in blueprint["services"]:
        env = _env(blueprint, service)
        assert CONTRACT_VARS <= set(env), CONTRACT_VARS - set(env)
        for key in SECRETS:
            assert env[key] == {"key": key, "sync": False}
        values = {k: str(v["value"]) for k, v in env.items() if "value" in v}
        Settings.from_env({**values, "DATABASE_URL": "postgresql://db/app"})  # validates


def test_the_blueprint_claims_every_type_the_worker_implements(blueprint):
    from app.jobtypes import REGISTRY

    for service in blueprint["services"]:
        env = _env(blueprint, service)
        claimed = str(env["WORKER_JOB_TYPES"]["value"]).split(",")
        assert claimed == list(REGISTRY.default_claimed)


def test_python_is_pinned_to_the_minor_version_the_tests_run_on(blueprint):
    # Any 3.11.x runs the suite (a fresh machine's 3.11.2 too); the deployment pins one patch.
    pinned = (ROOT / ".python-version").read_text().strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), pinned
    assert tuple(int(p) for p in pinned.split(".")[:2]) == sys.version_info[:2]
    for service in blueprint["services"]:
        assert _env(blueprint, service)["PYTHON_VERSION"]["value"] == pinned
    major, minor = sys.version_info[:2]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={major}.{minor},<{major}.{minor + 1}"


def test_every_runtime_dependency_is_pinned():
    for line in Path(ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[0-9][A-Za-z0-9.]*", line), line


def test_json_logs_are_one_object_per_line(env):
    bad = {**env, "LOG_FORMAT": "json", "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}
    proc = subprocess.run(
        [sys.executable, "-m", "bridge"],
        cwd=ROOT,
        env=bad,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert proc.returncode == 1 and lines
    assert {"ts", "level", "logger", "msg"} <= set(lines[0])
    assert lines[0]["msg"] == "🚀 FinaPilot Python Worker started"
    assert any(line["level"] == "ERROR" and "Failed to connect" in line["msg"] for line in lines)
