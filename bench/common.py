"""Shared helpers for the benchmarks: a database, real processes, bulk inserts, sampling."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import psycopg2

from app.devtools.dev_schema import create_dev_database
from app.devtools.embedded import PROJECT_ROOT, free_port, start_embedded

BIN = Path(sys.executable).parent


def fresh_database(tag: str) -> tuple[str, Callable[[], None]]:
    """A new database with the dev backend tables and the worker's schema, on DATABASE_URL's
    server or the embedded one."""
    admin = os.environ.get("DATABASE_URL")
    server = None
    if not admin:
        server = start_embedded("pg-bench", settings=("max_connections=400",))
        admin = server.url
    name = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
    url = create_dev_database(admin, name)
    conn = psycopg2.connect(admin)
    conn.autocommit = True

    def drop() -> None:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.close()

    return url, drop


class Procs:
    """Real child processes, stopped together."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logdir = Path(tempfile.mkdtemp(prefix="finapilot-bench-"))

    def start(self, cmd: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        log = (self.logdir / f"{name}-{len(self.procs)}.log").open("wb")
        popen = subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(popen)
        return popen

    def worker(
        self,
        module: str,
        env: dict[str, str],
        processes: int,
        threads: int,
        queues: tuple[str, ...] = ("default",),
    ) -> None:
        prom = tempfile.mkdtemp(dir=self.logdir)
        self.start(
            [
                str(BIN / "dramatiq"),
                module,
                "--processes",
                str(processes),
                "--threads",
                str(threads),
                "--queues",
                *queues,
            ],
            {**env, "dramatiq_prom_port": str(free_port()), "dramatiq_prom_db": prom},
            "worker",
        )

    def bridge(self, env: dict[str, str]) -> None:
        self.start(
            [sys.executable, "-m", "bridge"],
            {**env, "BRIDGE_METRICS_PORT": str(free_port())},
            "bridge",
        )

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        self.procs.clear()


def scalar(url: str, sql: str, params: Any = None) -> Any:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]
    finally:
        conn.close()


def wait_until(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval_s)
    raise TimeoutError(f"not done after {timeout_s}s")


#: The backend's row shape: params inside logs (contract §3.1).
INSERT_NOOPS = """
INSERT INTO jobs (job_type, status, priority, queue, logs)
SELECT 'noop', 'queued', 50, 'default',
       jsonb_build_array(
         jsonb_build_object('ts', '2026-01-01T00:00:00.000Z', 'level', 'info', 'msg', 'Job created',
                            'meta', jsonb_build_object('jobType', 'noop', 'queue', 'default',
                                                       'priority', 50)),
         jsonb_build_object('ts', '2026-01-01T00:00:00.000Z', 'level', 'info',
                            'msg', 'Job parameters set',
                            'meta', jsonb_build_object('params', jsonb_build_object('i', g))))
  FROM generate_series(1, %s) AS g
"""


def insert_noops(url: str, n: int) -> None:
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute(INSERT_NOOPS, (n,))
    conn.commit()
    conn.close()


# -- shared by the document benchmarks -------------------------------------------------------


@dataclass(frozen=True)
class FileSource:
    path: Path
    kind: str = "file"

    def open(self) -> tuple[BinaryIO, int]:
        return self.path.open("rb"), self.path.stat().st_size


def median_s(fn: Callable[[], Any], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM (Linux ``clear_refs`` 5); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def proc_status_bytes(field: str) -> int:
    """``VmRSS`` / ``VmHWM`` of this process, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)
