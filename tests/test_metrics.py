"""Both metrics endpoints scraped over HTTP and parsed with prometheus_client's parser; the
bridge's health command."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from app.client import submit
from tests.conftest import ROOT, wait_for


def _scrape(port: int) -> dict[str, list]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def test_bridge_and_dramatiq_metrics_parse_and_carry_no_tenant_labels(db, spawn, make_org):
    org = make_org("Tenant Secret Name")
    handles = [submit(db, "noop", org_id=org) for _ in range(5)]
    worker = spawn("worker", threads=2)
    bridge = spawn("bridge")
    for h in handles:
        h.wait(timeout=30)
    key = (("job_type", "noop"), ("queue", "default"), ("status", "completed"))

    def completed_scrape() -> dict[str, list] | None:
        m = _scrape(bridge.metrics_port)
        jobs = {tuple(sorted(s.labels.items())): s.value for s in m.get("finapilot_jobs", [])}
        return m if jobs.get(key) == 5 else None

    bridge_metrics = wait_for(completed_scrape, timeout=20)  # refreshed every 5 s
    for name in (
        "finapilot_oldest_due_job_age_seconds",
        "finapilot_bridge_claimed",
        "finapilot_bridge_window_size",
        "finapilot_postgres_advisory_locks",
        "finapilot_bridge_last_loop_timestamp_seconds",
        "finapilot_dramatiq_messages",
    ):
        assert name in bridge_metrics, name
    claimed = sum(
        s.value for s in bridge_metrics["finapilot_bridge_claimed"] if s.name.endswith("_total")
    )
    assert claimed == 5
    dramatiq_metrics = wait_for(lambda: _scrape(worker.metrics_port), timeout=15)
    processed = [s for s in dramatiq_metrics["dramatiq_messages"] if s.name.endswith("_total")]
    assert sum(s.value for s in processed) == 5
    assert {s.labels["actor_name"] for s in processed} == {"noop"}
    for samples in list(bridge_metrics.values()) + list(dramatiq_metrics.values()):
        for sample in samples:
            labels = " ".join(sample.labels.values())
            assert org not in labels and "Tenant" not in labels


def test_health_command_is_zero_with_a_live_bridge_and_non_zero_without(spawn, env):
    bridge = spawn("bridge")
    ok = subprocess.run(
        [sys.executable, "-m", "bridge", "health", "--port", str(bridge.metrics_port)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("ok")
    bridge.stop()
    down = subprocess.run(
        [sys.executable, "-m", "bridge", "health", "--port", str(bridge.metrics_port)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert down.returncode == 1 and "unhealthy" in down.stdout
