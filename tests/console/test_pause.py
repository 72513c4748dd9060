"""Pausing a job type or a queue (``dramatiq.finapilot_paused``): the bridge's dispatch skips
it, everything else goes on, running jobs finish, and a resume dispatches what waited."""

from __future__ import annotations

import re
import time

import requests

from app.client import submit
from app.console.actions import PauseKind
from bridge.manager import BridgeManager
from tests.conftest import wait_for
from tests.factories import register_worker


def _status(db, job_id: str) -> str:
    with db.transaction() as cur:
        cur.execute("SELECT status FROM jobs WHERE id = %s", (job_id,))
        return str(cur.fetchone()["status"])


def _pause(db, kind: str, name: str) -> None:
    db.run("console_pause", {"kind": kind, "name": name, "actor": "test"})


def test_a_paused_job_type_is_not_dispatched_others_are_and_it_resumes(db, settings):
    manager = BridgeManager(db, settings.replace(job_types=("noop", "export_csv")))
    register_worker(db, threads=8)
    paused = submit(db, "noop")
    other = submit(db, "export_csv", {"exportId": "x"})
    _pause(db, PauseKind.JOB_TYPE, "noop")
    assert manager.dispatch().by_type == {"export_csv": 1}
    assert (_status(db, paused.id), _status(db, other.id)) == ("queued", "running")
    assert manager.dispatch().dispatched == 0 and _status(db, paused.id) == "queued"
    db.run("console_resume", {"kind": PauseKind.JOB_TYPE, "name": "noop"})
    assert manager.dispatch().by_type == {"noop": 1}
    assert _status(db, paused.id) == "running"


def test_a_paused_queue_holds_every_type_routed_to_it_including_retries(db, settings):
    manager = BridgeManager(db, settings.replace(job_types=("noop", "export_csv")))
    register_worker(db, threads=8)
    waiting = submit(db, "noop")
    retrying = submit(db, "noop")
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET status = 'retrying', attempts = 1 WHERE id = %s",
                    (retrying.id,))  # fmt: skip
    export = submit(db, "export_csv", {"exportId": "x"})
    _pause(db, PauseKind.QUEUE, "default")
    assert manager.dispatch().by_type == {"export_csv": 1}
    assert {_status(db, waiting.id), _status(db, retrying.id)} == {"queued", "retrying"}
    assert _status(db, export.id) == "running"
    db.run("console_resume", {"kind": PauseKind.QUEUE, "name": "default"})
    assert manager.dispatch().by_type == {"noop": 2}


def _bridge_loops(metrics_port: int) -> float:
    text = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    found = re.search(r"^finapilot_bridge_last_loop_timestamp_seconds (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_pausing_lets_a_running_job_finish_holds_new_ones_and_resuming_runs_them(
    db, spawn, console
):
    spawn("worker", threads=2)
    bridge = spawn("bridge")
    running = submit(db, "noop", {"sleepSeconds": 3})
    wait_for(lambda: _status(db, running.id) == "running", 30)
    alice = console.client()
    alice.act("/actions/pause", {"kind": "job_type", "name": "noop"})
    held = submit(db, "noop")
    assert running.wait(60).status == "completed"  # the job already running finished
    # The bridge has looped well past the insert of `held` and still not dispatched it.
    assert bridge.metrics_port is not None
    since = time.time()
    wait_for(lambda: _bridge_loops(bridge.metrics_port) > since + 1.0, 30)
    assert _status(db, held.id) == "queued"
    overview = alice.get("/").text
    assert "noop" in overview and "paused by alice" in overview
    alice.act("/actions/resume", {"kind": "job_type", "name": "noop"})
    assert held.wait(60).status == "completed"
