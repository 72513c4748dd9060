"""Shared fixtures: real PostgreSQL (the embedded server when DATABASE_URL is unset), a template
database cloned per test, factories with defaults, and real ``dramatiq``/bridge processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from app.client import JobHandle, submit
from app.db import Database
from app.devtools.dev_schema import apply_dev_backend_schema
from app.devtools.embedded import free_port
from app.schema import ensure_worker_schema
from app.settings import Settings

pytest_plugins = ["tests.fixtures_s3"]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DB = "finapilot_test_template"
PYTHON = sys.executable
DRAMATIQ = str(Path(sys.executable).parent / "dramatiq")

#: Fast timings for tests: short leases and backoffs so recovery paths run in seconds.
FAST_ENV = {
    "WORKER_POLL_INTERVAL_SECONDS": "0.2",
    "JOB_VISIBILITY_TIMEOUT_SECONDS": "4",
    "WORKER_HEARTBEAT_SECONDS": "0.5",
    "WORKER_REAPER_INTERVAL_SECONDS": "0.5",
    "JOB_BASE_BACKOFF_SECONDS": "0.2",
    "JOB_MAX_BACKOFF_SECONDS": "1",
    "WORKER_GRACEFUL_SHUTDOWN_TIMEOUT": "3",
    "WORKER_PRESENCE_SECONDS": "5",
    "WORKER_RECONNECT_GRACE_SECONDS": "3",
    "BRIDGE_PURGE_INTERVAL_SECONDS": "2",
    "WORKER_FOLLOWUP_JOBS": "",
}


def _admin_url() -> tuple[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url, None
    from app.devtools.embedded import DATA_ROOT, start_embedded

    # One embedded server per test session (sessions may run side by side); folders left by
    # sessions that died are removed first.
    for stale in DATA_ROOT.glob("pg-test-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(stale, ignore_errors=True)
    server = start_embedded(
        f"pg-test-{os.getpid()}",
        settings=(
            "max_connections=400",
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
        ),
    )
    return server.url, server


def _db_url(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[str]:
    """An admin URL of a real server, with the template database ready."""
    url, server = _admin_url()
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS " + TEMPLATE_DB + " WITH (FORCE)")
        cur.execute("CREATE DATABASE " + TEMPLATE_DB)
    tconn = psycopg2.connect(_db_url(url, TEMPLATE_DB))
    apply_dev_backend_schema(tconn)
    tconn.close()
    settings = Settings.from_env({"DATABASE_URL": _db_url(url, TEMPLATE_DB)})
    tdb = Database(settings.database, max_connections=1, application_name="test-template")
    ensure_worker_schema(tdb)
    tdb.close()
    yield url
    conn.close()
    if server is not None:
        server.stop()
        shutil.rmtree(server.pgdata, ignore_errors=True)


@contextmanager
def _scratch_database(pg_admin: str, template: str) -> Iterator[str]:
    name = "t_" + uuid.uuid4().hex[:12]
    conn = psycopg2.connect(pg_admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield _db_url(pg_admin, name)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conn.close()


@pytest.fixture
def database_url(pg_admin: str) -> Iterator[str]:
    """A fresh database per test, cloned from the template."""
    with _scratch_database(pg_admin, TEMPLATE_DB) as url:
        yield url


@pytest.fixture
def empty_database(pg_admin: str) -> Iterator[str]:
    """A fresh database with no table at all (a developer's own, before ``dev-schema``)."""
    with _scratch_database(pg_admin, "template0") as url:
        yield url


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    """Environment for the processes under test (fast timings, noop claimed)."""
    return {
        "DATABASE_URL": database_url,
        "WORKER_JOB_TYPES": "noop",
        **FAST_ENV,
    }


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database, max_connections=8, application_name="test")
    yield database
    database.close()


@pytest.fixture
def make_org(db: Database) -> Callable[..., str]:
    def make(name: str = "Acme Corp", currency: str = "USD") -> str:
        with db.transaction() as cur:
            cur.execute(
                "INSERT INTO orgs (name, currency) VALUES (%s, %s) RETURNING id::text",
                (name, currency),
            )
            return str(cur.fetchone()["id"])

    return make


@pytest.fixture
def make_job(db: Database) -> Callable[..., JobHandle]:
    """Insert a job exactly as the backend does; defaults to a noop."""

    def make(job_type: str = "noop", params: dict[str, Any] | None = None, **kw: Any) -> JobHandle:
        return submit(db, job_type, params or {}, **kw)

    return make


@dataclass
class Proc:
    """A real child process (dramatiq or bridge) with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    metrics_port: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        """SIGKILL takes the whole process group (a dead container); other signals go to the main
        process only, as a platform sends them (see signal_group for the other way)."""
        if not self.alive():
            return
        if sig == signal.SIGKILL:
            os.killpg(self.popen.pid, sig)
        else:
            self.popen.send_signal(sig)

    def signal_group(self, sig: int) -> None:
        """``sig`` to every process of the group, as systemd or a shell wrapper sends it."""
        if self.alive():
            os.killpg(self.popen.pid, sig)

    def child_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.popen.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                return self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
        elif self.popen.returncode is not None:
            try:  # leftover children of a killed main process
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.popen.wait(5)


@pytest.fixture
def spawn(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Proc]]:
    """Start real processes: ``spawn("worker", threads=2)`` or ``spawn("bridge")``."""
    procs: list[Proc] = []

    def start(
        kind: str,
        *,
        threads: int = 4,
        processes: int = 1,
        queues: list[str] | None = None,
        extra_env: dict[str, str] | None = None,
        wait_ready: bool = True,
    ) -> Proc:
        port = free_port()
        penv = {**os.environ, **env, **(extra_env or {}), "PYTHONUNBUFFERED": "1"}
        if kind == "worker":
            prom_dir = tempfile.mkdtemp(dir=tmp_path)
            penv.update(
                {
                    "dramatiq_prom_port": str(port),
                    "dramatiq_prom_db": prom_dir,
                    "dramatiq_prom_lock": os.path.join(prom_dir, "lock"),
                }
            )
            cmd = [  # the production command (Procfile, render.yaml)
                PYTHON,
                "-m",
                "app.launcher",
                "--processes",
                str(processes),
                "--threads",
                str(threads),
                "--worker-shutdown-timeout",
                "10000",
            ]
            if queues:
                cmd += ["--queues", *queues]
        else:
            penv["BRIDGE_METRICS_PORT"] = str(port)
            cmd = [PYTHON, "-m", "bridge"]
        log_path = tmp_path / f"{kind}-{len(procs)}.log"
        popen = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=penv,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc = Proc(kind, popen, log_path, metrics_port=port)
        procs.append(proc)
        if wait_ready:
            _wait_ready(proc, env["DATABASE_URL"], processes)
        return proc

    yield start
    for proc in procs:
        proc.stop(timeout=10)


def _wait_ready(proc: Proc, url: str, processes: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise AssertionError(f"{proc.name} exited early:\n{proc.log()[-3000:]}")
        if proc.name == "bridge":
            if "Checking for stuck jobs" in proc.log():
                return
        else:
            conn = psycopg2.connect(url)
            try:
                with conn.cursor() as cur:
                    cur.execute(
                        "SELECT count(*) FROM dramatiq.finapilot_workers WHERE pid = ANY(%s)",
                        (proc.child_pids() or [proc.popen.pid],),
                    )
                    if cur.fetchone()[0] >= processes:
                        return
            finally:
                conn.close()
        time.sleep(0.1)
    raise AssertionError(f"{proc.name} not ready after {timeout}s:\n{proc.log()[-3000:]}")


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns a truthy value; fail with a clear message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture
def pipeline(spawn: Callable[..., Proc]) -> Callable[..., None]:
    """Start a worker (``pipeline(s3=(endpoint, bucket))`` stores to S3) and the bridge."""
    from tests.fixtures_s3 import s3_process_env

    def start(s3: tuple[str, str] | None = None) -> None:
        spawn("worker", threads=2, extra_env=s3_process_env(s3) if s3 else {})
        spawn("bridge")

    return start
