"""A job type that no live worker serves shows in the bridge's metrics and in ``jobs stats``,
and ``submit()`` of it warns; the bridge leaves those jobs alone (issue 9.9).

A real worker consumes only the ``default`` queue (``--queues default``), so ``noop`` jobs run
and ``monte_carlo`` jobs (queue ``montecarlo``) wait with nobody to run them.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.client import submit
from app.jobtypes import REGISTRY
from app.operator_cli import add_parser, run
from tests.conftest import wait_for

TWO_QUEUES = {"WORKER_JOB_TYPES": "noop,monte_carlo"}


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return env | TWO_QUEUES


def _unserved_gauge(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return {
        s.labels["job_type"]: s.value
        for family in text_string_to_metric_families(text)
        if family.name == "finapilot_jobs_unserved"
        for s in family.samples
    }


def _untouched(db, job_id: str) -> bool:
    """The row is as ``submit`` wrote it: queued, never claimed, no message, no new log line."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT status, attempts, worker_id, run_started_at, updated_at = created_at AS same, "
            "ARRAY(SELECT e ->> 'msg' FROM jsonb_array_elements(logs) e) AS msgs, "
            "(SELECT count(*) FROM dramatiq.queue m "
            " WHERE m.message::text LIKE '%%' || j.id::text || '%%') AS messages "
            "FROM jobs j WHERE id = %s",
            (job_id,),
        )
        row = dict(cur.fetchone())
    return row == {
        "status": "queued",
        "attempts": 0,
        "worker_id": None,
        "run_started_at": None,
        "same": True,
        "msgs": ["Job created", "Job parameters set"],
        "messages": 0,
    }


def _stats(settings) -> dict:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    assert run(parser.parse_args(["jobs", "stats", "--json"]), settings, out=out) == 0
    return json.loads(out.getvalue())


def _warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", None) == "job_type_unserved"]


def test_jobs_for_a_queue_no_live_worker_consumes_show_in_metrics_and_stats_untouched(
    db, settings, spawn, caplog
):
    caplog.set_level(logging.WARNING, logger="app.client")
    early = submit(db, "noop")  # before any worker: nobody serves the default queue either
    assert [r.fields["job_type"] for r in _warnings(caplog)] == ["noop"]
    assert "no live worker consumes queue 'default'" in _warnings(caplog)[0].fields["reason"]
    assert {r["job_type"]: r["waiting"] for r in _stats(settings)["unserved"]} == {
        "monte_carlo": 0,
        "noop": 1,
    }

    spawn("worker", threads=2, queues=["default"])
    bridge = spawn("bridge")
    caplog.clear()
    stranded = [submit(db, "monte_carlo", {"modelId": "m"}) for _ in range(3)]
    served = submit(db, "noop")
    assert [r.fields["job_id"] for r in _warnings(caplog)] == [h.id for h in stranded]
    assert early.wait(timeout=30).status == "completed"
    assert served.wait(timeout=30).status == "completed"

    def three_unserved() -> dict[str, float] | None:
        gauge = _unserved_gauge(bridge.metrics_port)
        return gauge if gauge.get("monte_carlo") == 3 else None

    gauge = wait_for(three_unserved, timeout=30)  # refreshed every 5 s
    assert "noop" not in gauge  # the default queue has a live worker
    stats = _stats(settings)
    assert [(r["job_type"], r["queue"], r["waiting"]) for r in stats["unserved"]] == [
        ("monte_carlo", "montecarlo", 3)
    ]
    assert "no live worker consumes queue 'montecarlo'" in stats["unserved"][0]["reason"]
    assert [w["queues"] for w in stats["liveWorkers"]] == [["default"]]
    assert all(_untouched(db, h.id) for h in stranded)


def test_stats_text_names_the_unserved_types_and_why(db, settings):
    submit(db, "noop")
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    assert run(parser.parse_args(["jobs", "stats"]), settings, out=out) == 0
    text = out.getvalue()
    assert "Live workers (seen in the last 5 s): 0 process(es), 0 thread(s)" in text
    assert "Job types no live worker serves" in text
    section = text.split("Job types no live worker serves")[1]
    line = next(x for x in section.splitlines() if x.startswith("noop "))
    assert line.split()[:3] == ["noop", "default", "1"]
    assert "no live worker consumes queue 'default'" in line


def test_submit_of_a_type_this_worker_does_not_implement_warns(db, caplog):
    # Any declared type not implemented yet (the types get implemented one issue at a time).
    unimplemented = next((t.name for t in REGISTRY if not t.implemented), None)
    if unimplemented is None:
        pytest.skip("every declared job type is implemented")
    caplog.set_level(logging.WARNING, logger="app.client")
    handle = submit(db, unimplemented, {})
    (warning,) = _warnings(caplog)
    assert warning.fields["job_id"] == handle.id
    assert "not implemented by this worker" in warning.fields["reason"]
    assert handle.refresh().status == "queued"  # inserted all the same
