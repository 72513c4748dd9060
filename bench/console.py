"""Console benchmark: page load times on 1,000,000 jobs, against naive queries in the same run.

Fills a jobs table as production grows it (``bench/console_data.py``: 30 days, full logs),
starts ``python -m app console`` (overview cache 1 s, so each overview sample is computed) and
times whole HTTP page loads, median of ``--samples``: the overview, the first and the 20th page
of the jobs list, and filtered lists. Each is printed beside its baseline measured in the same
run, the database time alone of the naive query a console would otherwise run: ``GROUP BY`` over
the table for the overview, ``ORDER BY created_at DESC LIMIT 50 OFFSET n`` for a list page. Then
the plans of the console's statements (how each reads ``jobs``). Never a timed test.

Usage: ``.venv/bin/python -m bench.console [--jobs 1000000] [--samples 5]``
"""

from __future__ import annotations

import argparse
import html
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg2
import requests

from app.devtools.embedded import PROJECT_ROOT, free_port
from bench.common import fresh_database
from bench.console_data import fill_jobs
from bench.console_plans import cases, explain, scans_of_jobs

TOKEN = "bench-" + "t" * 26
NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
LIST_COLUMNS = (
    "id, job_type, status, queue, priority, attempts, created_at, finished_at, last_error"
)
#: (label, query string of the console's jobs page, the naive query's WHERE)
LISTS = (
    ("jobs, newest", "", "true"),
    ("jobs, dead letters", "?status=dead_letter", "status = 'dead_letter'"),
    ("jobs, dead monte_carlo", "?status=dead_letter&type=monte_carlo",
     "status = 'dead_letter' AND job_type = 'monte_carlo'"),
    ("jobs, model_run", "?type=model_run", "job_type = 'model_run'"),
    ("jobs, busiest org", "?org={org}", "org_id = '{org}'"),
    ("jobs, error text", "?text=quarantined", "strpos(lower(last_error), 'quarantined') > 0"),
)  # fmt: skip
DEEP_PAGE = 20


def median_ms(fn: Callable[[], Any], samples: int, pause_s: float = 0.0) -> float:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(pause_s)
    return statistics.median(times)


def naive_ms(url: str, sql: str, samples: int) -> float:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:

            def run() -> None:
                cur.execute(sql)
                cur.fetchall()

            return median_ms(run, samples)
    finally:
        conn.close()


def start_console(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "WORKER_JOB_TYPES": "model_run,monte_carlo,export_pdf,export_pptx,export_csv,csv_import",
        "CONSOLE_TOKEN": TOKEN,
        "CONSOLE_HOST": "127.0.0.1",
        "CONSOLE_PORT": str(port),
        "CONSOLE_OVERVIEW_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "console"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).ok:
                return proc, base
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the console did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    url, drop = fresh_database("console")
    proc = None
    try:
        started = time.monotonic()
        fill_jobs(url, args.jobs)
        print(f"{args.jobs} jobs inserted and analyzed in {time.monotonic() - started:.0f} s")
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_size_pretty(pg_total_relation_size('jobs'))")
            print(f"jobs table with indexes: {cur.fetchone()[0]}")
            cur.execute("SELECT org_id FROM jobs GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
            org = cur.fetchone()[0]
        proc, base = start_console(url)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"

        def load(path: str) -> str:
            response = session.get(base + path, timeout=60)
            response.raise_for_status()
            return response.text

        rows = []
        overview = median_ms(lambda: load("/"), args.samples, pause_s=1.1)
        group_by = naive_ms(
            url, "SELECT job_type, status, count(*) FROM jobs GROUP BY 1, 2", args.samples
        )
        rows.append(("overview (computed each time)", overview, "GROUP BY type, status", group_by))
        for label, query, where in LISTS:
            query, where = query.format(org=org), where.format(org=org)
            first = median_ms(lambda q=query: load("/jobs" + q), args.samples)  # type: ignore[misc]
            naive = naive_ms(
                url,
                f"SELECT {LIST_COLUMNS} FROM jobs WHERE {where}"
                " ORDER BY created_at DESC, id DESC LIMIT 50",
                args.samples,
            )
            rows.append((f"{label}: page 1", first, "ORDER BY LIMIT 50", naive))
        # The 20th page: follow "Older" 19 times, then time that page's load.
        path = "/jobs?status=completed"
        for _ in range(DEEP_PAGE - 1):
            found = NEXT.search(load(path))
            assert found, "fewer pages than expected"
            path = html.unescape(found.group(1))
        deep = median_ms(lambda: load(path), args.samples)
        offset = naive_ms(
            url,
            f"SELECT {LIST_COLUMNS} FROM jobs WHERE status = 'completed'"
            f" ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET {50 * (DEEP_PAGE - 1)}",
            args.samples,
        )
        rows.append((f"jobs, completed: page {DEEP_PAGE}", deep, "LIMIT 50 OFFSET 950", offset))

        print(f"\nMedian of {args.samples}; console = a whole HTTP page load (query, rendering,")
        print(
            "transfer); baseline = the naive query's database time alone, same run, same table.\n"
        )
        print(
            f"{'page':36s} {'console':>9s}   {'baseline':24s} {'naive':>9s} {'naive/console':>14s}"
        )
        for label, ms, base_label, base_ms in rows:
            print(
                f"{label:36s} {ms:7.1f}ms   {base_label:24s} {base_ms:7.1f}ms {base_ms / ms:13.1f}x"
            )

        print("\nHow each console statement reads jobs (EXPLAIN, same table):")
        with conn.cursor() as cur:
            for label, (block, params) in cases(cur).items():
                scans = sorted(set(scans_of_jobs(explain(cur, block, params))))
                print(f"  {label:40s} {', '.join(scans) or '(does not read jobs)'}")
        conn.rollback()
        conn.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)
        drop()


if __name__ == "__main__":
    main()
