"""Chaos run: the pipeline's promises under faults (runnable on its own; minutes, not in CI).

A mixed workload (mostly no-op jobs with short sleeps, plus real model runs, simulations, exports
and CSV imports) runs through two bridges and two dramatiq instances (several processes and
threads each) while a driver:

* SIGKILLs a random dramatiq worker process every ~10 s (dramatiq's parent then restarts... no:
  dramatiq stops the whole instance when a child dies, so the driver restarts the instance, as
  Render would restart the service);
* SIGTERMs one instance mid-run (graceful shutdown, then restarts it);
* SIGKILLs one bridge (and restarts it);
* restarts PostgreSQL once (fast shutdown: every connection is cut).

At the end it checks and prints: every job in exactly one terminal status, none lost, none
completed twice (one success entry per job; one billing set per real job), the time from each
kill to the release of the killed jobs (the reaper putting them back; default settings: lease 45 s
+ reaper 10 s ≤ 60 s) and to their completion, advisory locks and dramatiq-pg table size over
time, and a verdict.

Usage: ``.venv/bin/python -m bench.chaos [--noops 5000] [--minutes 4]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from app.db import Database
from app.devtools.dev_schema import apply_dev_backend_schema
from app.devtools.embedded import start_embedded
from app.jobtypes import REGISTRY
from app.schema import ensure_worker_schema
from app.settings import Settings
from bench.common import BIN, PROJECT_ROOT, free_port

TERMINAL = ("completed", "dead_letter", "cancelled", "failed")
KILL_EVERY_S = 10.0


@dataclass
class Instance:
    """One dramatiq instance (a service): its command, env and current process."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    log: Any
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.popen = subprocess.Popen(
            self.cmd,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def children(self) -> list[int]:
        if self.popen is None:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.popen.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 90.0) -> None:
        if self.popen is None:
            return
        if self.alive():
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)  # leftovers of a killed parent
        except ProcessLookupError:
            pass


@dataclass
class Kill:
    at: float
    what: str
    pids: list[int]
    jobs: list[str] = field(default_factory=list)
    released_s: float | None = None
    finished_s: float | None = None


def _q(url: str, sql: str, params: Any = None) -> list[tuple]:
    conn = psycopg2.connect(url, connect_timeout=3)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def seed(url: str, noops: int, real: bool) -> dict[str, int]:
    """Insert the workload as the backend would. Returns counts per job type."""
    conn = psycopg2.connect(url)
    counts: dict[str, int] = {}
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO jobs (job_type, status, priority, queue, logs) "
            "SELECT 'noop', 'queued', 50, 'default', jsonb_build_array("
            "  jsonb_build_object('ts','2026-01-01T00:00:00.000Z','level','info',"
            "    'msg','Job created'),"
            "  jsonb_build_object('ts','2026-01-01T00:00:00.000Z','level','info',"
            "    'msg','Job parameters set','meta', jsonb_build_object('params',"
            "      jsonb_build_object('sleepSeconds', (g %% 5) * 0.25))))"
            " FROM generate_series(1, %s) g",
            (noops,),
        )
        counts["noop"] = noops
    conn.commit()
    conn.close()
    if real:
        from bench.chaos_workload import seed_real

        counts.update(seed_real(url))
    return counts


def monitor(
    url: str, stop: threading.Event, samples: list[tuple[float, int, int]], t0: float
) -> None:
    while not stop.is_set():
        try:
            ((locks,),) = _q(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            ((rows,),) = _q(url, "SELECT count(*) FROM dramatiq.queue")
            samples.append((time.monotonic() - t0, locks, rows))
        except psycopg2.Error:
            pass  # PostgreSQL is restarting
        stop.wait(2.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noops", type=int, default=5000)
    parser.add_argument("--minutes", type=float, default=4.0, help="chaos phase length")
    parser.add_argument("--no-real", action="store_true", help="no-op jobs only")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    server = start_embedded("pg-chaos", settings=("max_connections=300",))
    name = f"chaos_{int(time.time())}"
    admin = psycopg2.connect(server.url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    admin.close()
    url = server.url_for(name)
    conn = psycopg2.connect(url)
    apply_dev_backend_schema(conn)
    conn.close()
    db = Database(
        Settings.from_env({"DATABASE_URL": url}).database,
        max_connections=2,
        application_name="chaos",
    )
    ensure_worker_schema(db)
    types = ",".join((*REGISTRY.default_claimed, "noop"))
    base_env = {
        **os.environ,
        "DATABASE_URL": url,
        "WORKER_JOB_TYPES": types,
        "WORKER_FOLLOWUP_JOBS": "",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
        "WORKER_GRACEFUL_SHUTDOWN_TIMEOUT": "20",
    }
    logdir = PROJECT_ROOT / ".data" / "chaos-logs"
    logdir.mkdir(parents=True, exist_ok=True)
    instances = []
    for i in range(2):
        prom = logdir / f"prom-{i}"
        prom.mkdir(exist_ok=True)
        instances.append(
            Instance(
                f"dramatiq-{i}",
                [
                    str(BIN / "dramatiq"),
                    "actors",
                    "--processes",
                    "2",
                    "--threads",
                    "4",
                    "--worker-shutdown-timeout",
                    "30000",
                ],
                {
                    **base_env,
                    "dramatiq_prom_port": str(free_port()),
                    "dramatiq_prom_db": str(prom),
                    "WORKER_ID": f"chaos{i}",
                },
                (logdir / f"dramatiq-{i}.log").open("ab"),
            )
        )
    bridges = [
        Instance(
            f"bridge-{i}",
            [str(BIN / "python"), "-m", "bridge"],
            {**base_env, "BRIDGE_METRICS_PORT": str(free_port())},
            (logdir / f"bridge-{i}.log").open("ab"),
        )
        for i in range(2)
    ]

    counts = seed(url, args.noops, real=not args.no_real)
    total = sum(counts.values())
    print(
        f"workload: {total} jobs {json.dumps(counts)}; 2 bridges, 2 dramatiq instances × "
        "2 processes × 4 threads; default lease/heartbeat/reaper",
        flush=True,
    )
    for inst in instances + bridges:
        inst.start()
    t0 = time.monotonic()
    samples: list[tuple[float, int, int]] = []
    stop = threading.Event()
    threading.Thread(target=monitor, args=(url, stop, samples, t0), daemon=True).start()

    kills: list[Kill] = []
    phase_s = args.minutes * 60
    sigterm_at, bridge_kill_at, pg_restart_at = phase_s * 0.35, phase_s * 0.5, phase_s * 0.65
    done_sigterm = done_bridge = done_pg = False
    next_kill = KILL_EVERY_S
    while time.monotonic() - t0 < phase_s:
        now = time.monotonic() - t0
        if now >= next_kill:
            inst = rng.choice(instances)
            kids = inst.children()
            if kids:
                victim = rng.choice(kids)
                running = [
                    r[0]
                    for r in _q(
                        url,
                        "SELECT id::text FROM jobs WHERE status = 'running' AND worker_id LIKE %s",
                        (f"%-{victim}",),
                    )
                ]
                os.kill(victim, signal.SIGKILL)
                kills.append(Kill(now, f"SIGKILL {inst.name} process {victim}", [victim], running))
                inst.stop(signal.SIGTERM, timeout=60)  # dramatiq winds down the rest
                inst.start()  # the platform restarts the service
            next_kill = now + KILL_EVERY_S
        if not done_sigterm and now >= sigterm_at:
            inst = instances[0]
            kills.append(Kill(now, f"SIGTERM {inst.name}", inst.children()))
            inst.stop(signal.SIGTERM, timeout=60)
            inst.start()
            done_sigterm = True
        if not done_bridge and now >= bridge_kill_at:
            br = bridges[1]
            kills.append(Kill(now, "SIGKILL bridge-1", [br.popen.pid] if br.popen else []))
            br.stop(signal.SIGKILL)
            br.start()
            done_bridge = True
        if not done_pg and now >= pg_restart_at:
            kills.append(Kill(now, "restart PostgreSQL", []))
            server.restart()
            done_pg = True
        track(url, kills, t0)
        time.sleep(1.0)

    print("chaos phase over; waiting for every job to end …", flush=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        track(url, kills, t0)
        ((left,),) = _q(url, "SELECT count(*) FROM jobs WHERE status NOT IN %s", (TERMINAL,))
        if left == 0:
            break
        time.sleep(2.0)
    track(url, kills, t0)
    stop.set()
    verdict = report(url, counts, kills, samples)
    for inst in instances + bridges:
        inst.stop()
    db.close()
    server.stop()
    raise SystemExit(0 if verdict else 1)


def track(url: str, kills: list[Kill], t0: float) -> None:
    """Note when each kill's jobs were released (not running on the dead worker) and finished."""
    now = time.monotonic() - t0
    for kill in kills:
        if not kill.jobs or kill.finished_s is not None:
            continue
        try:
            rows = _q(
                url, "SELECT status, worker_id FROM jobs WHERE id = ANY(%s::uuid[])", (kill.jobs,)
            )
        except psycopg2.Error:
            return
        dead = tuple(f"-{p}" for p in kill.pids)
        on_dead = [r for r in rows if r[0] == "running" and r[1] and r[1].endswith(dead)]
        if not on_dead and kill.released_s is None:
            kill.released_s = now - kill.at
        if all(r[0] in TERMINAL for r in rows):
            kill.finished_s = now - kill.at


def report(
    url: str, counts: dict[str, int], kills: list[Kill], samples: list[tuple[float, int, int]]
) -> bool:
    by_status = dict(_q(url, "SELECT status, count(*) FROM jobs GROUP BY 1"))
    total = sum(counts.values())
    terminal = sum(v for k, v in by_status.items() if k in TERMINAL)
    lost = total - terminal
    ((twice,),) = _q(
        url,
        "SELECT count(*) FROM jobs WHERE (SELECT count(*) FROM "
        "jsonb_array_elements(logs) e WHERE e.value->>'msg' = "
        "'Job completed successfully') > 1",
    )
    ((no_success_entry,),) = _q(
        url,
        "SELECT count(*) FROM jobs WHERE status = 'completed' AND NOT "
        "EXISTS (SELECT 1 FROM jsonb_array_elements(logs) e WHERE "
        "e.value->>'msg' = 'Job completed successfully')",
    )
    from bench.chaos_workload import side_effects_twice

    dup_effects = side_effects_twice(url)
    print("\n=== chaos verdict")
    print(f"jobs: {total}; by status: {json.dumps(by_status)}")
    print(
        f"lost (not terminal): {lost}; completed twice: {twice}; completed without its entry: "
        f"{no_success_entry}; domain side effects written more than once: {dup_effects}"
    )
    print("faults:")
    worst_release = 0.0
    for k in kills:
        rel = "-" if k.released_s is None else f"{k.released_s:5.1f}s"
        fin = "-" if k.finished_s is None else f"{k.finished_s:5.1f}s"
        print(
            f"  t={k.at:6.1f}s {k.what:<40} jobs={len(k.jobs):3d} released after {rel} "
            f"finished after {fin}"
        )
        if k.jobs:
            worst_release = max(worst_release, k.released_s if k.released_s is not None else 1e9)
    peak_locks = max((s[1] for s in samples), default=0)
    peak_rows = max((s[2] for s in samples), default=0)
    print(f"max kill → release of its jobs: {worst_release:.1f} s (bound 60 s)")
    print(f"advisory locks: peak {peak_locks}; dramatiq-pg rows: peak {peak_rows}")
    print(
        "samples (t, advisory locks, dramatiq rows): "
        + ", ".join(f"({t:.0f},{a},{r})" for t, a, r in samples[:: max(1, len(samples) // 15)])
    )
    ok = (
        lost == 0
        and twice == 0
        and no_success_entry == 0
        and dup_effects == 0
        and worst_release <= 60.0
    )
    print("VERDICT:", "PASS" if ok else "FAIL")
    return ok


if __name__ == "__main__":
    main()
