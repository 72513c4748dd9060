"""Backlog benchmark: 100,000 queued rows through the bridge and real workers.

Samples once a second, for at least 60 s of full-speed work: the rows of dramatiq-pg's table that
are not finished (queued/consumed) and in total, Postgres' advisory locks, and jobs completed.
Prints the maxima and the exact queries used, so the numbers can be checked by hand, and the
advisory-lock bound (issue 12): one liveness lock per worker process plus the dispatch lock.

Usage: ``.venv/bin/python -m bench.backlog [--jobs 100000] [--seconds 60]``
"""

from __future__ import annotations

import argparse
import time

from app.liveness import LIVENESS_LOCK_CLASS
from bench.common import Procs, fresh_database, insert_noops, scalar, wait_until

LOCKS_SQL = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
OPEN_MESSAGES_SQL = "SELECT count(*) FROM dramatiq.queue WHERE state IN ('queued', 'consumed')"
ALL_MESSAGES_SQL = "SELECT count(*) FROM dramatiq.queue"
DONE_SQL = "SELECT count(*) FROM jobs WHERE status = 'completed'"
LIVENESS_LOCKS_SQL = (
    f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = {LIVENESS_LOCK_CLASS}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    url, drop = fresh_database("backlog")
    procs = Procs()
    env = {
        "DATABASE_URL": url,
        "WORKER_JOB_TYPES": "noop",
        "WORKER_FOLLOWUP_JOBS": "",
        "LOG_LEVEL": "WARNING",
        "BRIDGE_PURGE_INTERVAL_SECONDS": "5",
        "BRIDGE_PURGE_AGE_SECONDS": "5",
    }
    try:
        insert_noops(url, args.jobs)
        print(
            f"{args.jobs} jobs queued; starting bridge + dramatiq --processes "
            f"{args.processes} --threads {args.threads}",
            flush=True,
        )
        procs.worker("actors", env, args.processes, args.threads)
        procs.bridge(env)
        wait_until(
            lambda: (
                scalar(url, "SELECT count(*) FROM dramatiq.finapilot_workers") >= args.processes
            ),
            60,
        )
        start = time.monotonic()
        peak_locks = peak_open = peak_rows = 0
        print(" t(s)  completed  open msgs  all msgs  advisory locks", flush=True)
        while True:
            elapsed = time.monotonic() - start
            done = scalar(url, DONE_SQL)
            locks, open_msgs, rows = (
                scalar(url, LOCKS_SQL),
                scalar(url, OPEN_MESSAGES_SQL),
                scalar(url, ALL_MESSAGES_SQL),
            )
            peak_locks, peak_open = max(peak_locks, locks), max(peak_open, open_msgs)
            peak_rows = max(peak_rows, rows)
            if int(elapsed) % 10 == 0:
                print(
                    f"{elapsed:5.0f} {done:10d} {open_msgs:10d} {rows:9d} {locks:15d}", flush=True
                )
            if done >= args.jobs and elapsed >= args.seconds:
                break
            if elapsed > 1800:  # bounded: never run unattended for more than half an hour
                break
            time.sleep(1.0)
        elapsed = time.monotonic() - start
        print(
            f"\ncompleted {scalar(url, DONE_SQL)} of {args.jobs} in {elapsed:.0f} s "
            f"({scalar(url, DONE_SQL) / elapsed:.0f} jobs/s)"
        )
        bound = args.processes + 1
        print(
            f"peak advisory locks          : {peak_locks}   ({LOCKS_SQL}); bound: "
            f"{args.processes} worker processes' liveness locks + the dispatch lock = {bound}: "
            + ("within" if peak_locks <= bound else "EXCEEDED")
        )
        print(f"liveness locks now           : {scalar(url, LIVENESS_LOCKS_SQL)}")
        print(f"peak unfinished dramatiq rows: {peak_open}   ({OPEN_MESSAGES_SQL})")
        print(
            f"peak dramatiq table rows     : {peak_rows}   ({ALL_MESSAGES_SQL}; purged every 5 s)"
        )
    finally:
        procs.stop()
        drop()


if __name__ == "__main__":
    main()
