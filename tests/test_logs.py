"""Logs a machine can read (issue 9.8): event names and job fields as JSON keys, dramatiq's own
lines (of its main process, its worker processes and its forks) through the same formatter,
durations in the text format."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from tests.conftest import wait_for


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_json_logs_carry_the_event_and_the_job_fields_as_keys(
    make_job: Callable[..., Any], spawn: Callable[..., Any]
) -> None:
    worker = spawn("worker", threads=2, extra_env={"LOG_FORMAT": "json"})
    spawn("bridge", extra_env={"LOG_FORMAT": "json"})
    ok = make_job(params={"sleepSeconds": 0.2})
    bad = make_job(params={"fail": "permanent"})
    ok.wait(timeout=60)
    bad.wait(timeout=60)

    def outcomes() -> list[dict[str, Any]] | None:
        found = [
            d
            for d in _json_lines(worker.log())
            if d.get("event") in ("job_completed", "job_failed")
        ]
        return found if len(found) >= 2 else None

    lines = wait_for(outcomes, timeout=30)
    done = next(d for d in lines if d["event"] == "job_completed")
    assert done["job_id"] == ok.id and done["job_type"] == "noop" and done["attempt"] == 1
    assert isinstance(done["duration_ms"], int) and done["duration_ms"] >= 200
    failed = next(d for d in lines if d["event"] == "job_failed")
    assert failed["job_id"] == bad.id and failed["error_type"] == "InvalidParams"
    assert failed["status"] == "dead_letter"
    started = [d for d in _json_lines(worker.log()) if d.get("event") == "job_started"]
    assert {d["job_id"] for d in started} == {ok.id, bad.id}
    # dramatiq's own lines in the worker process are JSON objects too.
    own = [d for d in _json_lines(worker.log()) if d["logger"].startswith("dramatiq")]
    assert own, worker.log()[-2000:]


def test_the_text_format_shows_a_completed_jobs_duration(
    make_job: Callable[..., Any], spawn: Callable[..., Any]
) -> None:
    worker = spawn("worker", threads=2)
    spawn("bridge")
    job = make_job(params={"sleepSeconds": 0.2})
    job.wait(timeout=60)
    line = wait_for(
        lambda: next(
            (ln for ln in worker.log().splitlines() if f"job_completed job_id={job.id}" in ln), None
        ),
        timeout=30,
    )
    match = re.search(r"duration_ms=(\d+)", line)
    assert match and int(match.group(1)) >= 200
    assert "job_type=noop" in line and "attempt=1" in line


def test_every_line_of_the_worker_service_is_json_including_dramatiqs_main_process(
    spawn: Callable[..., Any],
) -> None:
    worker = spawn("worker", threads=1, extra_env={"LOG_FORMAT": "json"})
    assert worker.stop() == 0
    text = worker.log()
    assert [line for line in text.splitlines() if line.strip() and not line.startswith("{")] == []
    lines = _json_lines(text)
    main = [d["msg"] for d in lines if d["logger"] == "dramatiq.MainProcess"]
    assert any("is booting up" in m for m in main), main
    assert any("Sending signal 'SIGTERM' to subprocesses" in m for m in main), main
    forks = [d for d in lines if d["logger"].startswith("dramatiq.ForkProcess")]
    assert forks and all(d["level"] in ("INFO", "DEBUG") for d in forks)
