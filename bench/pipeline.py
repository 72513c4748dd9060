"""Pipeline benchmark (issue: the pipeline). One run, same database server and worker settings:

1. no-op jobs/s through the whole pipeline: rows inserted as the backend does → bridge →
   dramatiq-pg → dramatiq worker → ``completed`` (measured from the insert's commit to the last
   completion);
2. the bare dramatiq-pg consume rate of the same number of no-op messages (stock broker, stock
   consumer, the same ``dramatiq`` processes/threads), and the ratio;
3. insert→start latency p50/p99 (``run_started_at − created_at``, both from the database clock)
   for jobs inserted one at a time, without and with the NOTIFY trigger.

Usage: ``.venv/bin/python -m bench.pipeline [--jobs 5000] [--processes 2] [--threads 8]``
"""

from __future__ import annotations

import argparse
import time

import psycopg2

from app.db import Database
from app.schema import set_notify_trigger
from app.settings import Settings
from bench.common import Procs, fresh_database, insert_noops, scalar, wait_until

ENQUEUE_BARE = """
WITH ins AS (
  INSERT INTO dramatiq.queue (queue_name, message_id, state, message)
  SELECT 'default', m.id, 'queued',
         jsonb_build_object('queue_name', 'default', 'actor_name', 'noop',
                            'args', jsonb_build_array(m.g::text), 'kwargs', '{}'::jsonb,
                            'options', '{}'::jsonb, 'message_id', m.id::text,
                            'message_timestamp', 0)
    FROM (SELECT g, gen_random_uuid() AS id FROM generate_series(1, %s) AS g) m
  RETURNING message
)
SELECT count(pg_notify('dramatiq.default.enqueue', message::text)) FROM ins
"""


def env_for(url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "WORKER_JOB_TYPES": "noop",
        "WORKER_FOLLOWUP_JOBS": "",
        "LOG_LEVEL": "WARNING",
    }


def pipeline_rate(n: int, processes: int, threads: int) -> float:
    url, drop = fresh_database("pipe")
    procs = Procs()
    try:
        procs.worker("actors", env_for(url), processes, threads)
        procs.bridge(env_for(url))
        wait_until(
            lambda: scalar(url, "SELECT count(*) FROM dramatiq.finapilot_workers") >= processes, 60
        )
        time.sleep(1.0)
        start = time.perf_counter()
        insert_noops(url, n)
        wait_until(
            lambda: scalar(url, "SELECT count(*) FROM jobs WHERE status = 'completed'") >= n,
            600,
            0.02,
        )
        elapsed = time.perf_counter() - start
        bad = scalar(url, "SELECT count(*) FROM jobs WHERE status <> 'completed'")
        assert bad == 0, f"{bad} jobs did not complete"
        return n / elapsed
    finally:
        procs.stop()
        drop()


def bare_rate(n: int, processes: int, threads: int) -> float:
    url, drop = fresh_database("bare")
    procs = Procs()
    try:
        procs.worker("bench.bare_actors", {"DATABASE_URL": url}, processes, threads)
        time.sleep(4.0)  # stock consumers have no readiness signal; give them time to LISTEN
        start = time.perf_counter()
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute(ENQUEUE_BARE, (n,))
        conn.commit()
        conn.close()
        wait_until(
            lambda: scalar(url, "SELECT count(*) FROM dramatiq.queue WHERE state = 'done'") >= n,
            600,
            0.02,
        )
        return n / (time.perf_counter() - start)
    finally:
        procs.stop()
        drop()


def latency(n: int, trigger: bool, threads: int) -> tuple[float, float]:
    url, drop = fresh_database("lat")
    procs = Procs()
    try:
        if trigger:
            db = Database(
                Settings.from_env({"DATABASE_URL": url}).database,
                max_connections=1,
                application_name="bench",
            )
            set_notify_trigger(db, install=True)
            db.close()
        procs.worker("actors", env_for(url), 1, threads)
        procs.bridge(env_for(url))
        wait_until(lambda: scalar(url, "SELECT count(*) FROM dramatiq.finapilot_workers") >= 1, 60)
        time.sleep(1.0)
        for _ in range(n):
            insert_noops(url, 1)
            time.sleep(0.03)
        wait_until(
            lambda: scalar(url, "SELECT count(*) FROM jobs WHERE status = 'completed'") >= n, 120
        )
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute(
                "SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY "
                "extract(epoch FROM (logs->2->>'ts')::timestamptz - created_at)) "
                "FROM jobs"
            )
            p50, p99 = cur.fetchone()[0]
        conn.close()
        return p50 * 1000, p99 * 1000
    finally:
        procs.stop()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--latency-jobs", type=int, default=200)
    args = parser.parse_args()
    print(
        f"no-op jobs: {args.jobs}; dramatiq --processes {args.processes} --threads {args.threads}",
        flush=True,
    )
    bare = bare_rate(args.jobs, args.processes, args.threads)
    print(f"bare dramatiq-pg consume rate : {bare:8.0f} msg/s", flush=True)
    pipe = pipeline_rate(args.jobs, args.processes, args.threads)
    print(f"whole pipeline (row→completed): {pipe:8.0f} jobs/s", flush=True)
    print(f"ratio pipeline / bare         : {pipe / bare:8.2f}  (target ≥ 0.80)", flush=True)
    for trigger in (False, True):
        p50, p99 = latency(args.latency_jobs, trigger, args.threads)
        label = "with trigger   " if trigger else "without trigger"
        print(
            f"insert→start latency {label}: p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
            + ("  (target p50 ≤ 25 ms)" if trigger else ""),
            flush=True,
        )


if __name__ == "__main__":
    main()
