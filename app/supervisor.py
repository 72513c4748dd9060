"""``python -m app run``: a bridge and a worker service against ``DATABASE_URL``, supervised.

For one machine without a platform (a VM under systemd, a developer's laptop); production on
Render runs the two services of ``render.yaml`` instead.

* Each child runs in a session of its own, so Ctrl-C (SIGINT to the terminal's process group)
  and SIGTERM reach this supervisor only; it forwards one SIGTERM to each child and waits for
  them. The worker's running jobs finish within ``WORKER_GRACEFUL_SHUTDOWN_TIMEOUT`` or are
  released as ``retrying``: none is left ``running``. A second Ctrl-C releases them now
  (SIGUSR1 to the worker's processes); a third kills the children.
* A child that exits on its own is restarted with a backoff (1 s, doubling to 30 s; back to
  1 s once it has run for a minute), not a reason to stop everything.
* Logs are appended to ``<log dir>/bridge.log`` and ``worker.log`` (a second run keeps the
  first's); where they are, and the metrics and health endpoints, is printed at start.
* The worker runs ``WORKER_CONCURRENCY`` threads, through the same launcher as production
  (:mod:`app.launcher`), with dramatiq's shutdown timeout after the graceful one.
* Invalid settings or an unreachable database: one line, exit 1, before anything starts.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from app.settings import Settings, SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOG_DIR = PROJECT_ROOT / ".data" / "run-logs"
#: dramatiq's forced stop comes this long after the graceful timeout (app.launcher's default).
DRAMATIQ_MARGIN_S = 10.0
#: After dramatiq's forced stop, a child gets this long to exit before it is killed.
EXIT_MARGIN_S = 15.0
RESTART_FIRST_S = 1.0
RESTART_MAX_S = 30.0
#: A child that ran this long gets the first backoff again when it next exits.
HEALTHY_RUN_S = 60.0
POLL_S = 0.5


@dataclass
class ChildSpec:
    """How to start one child: its command, extra environment and log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    describe: str = ""


@dataclass
class Child:
    spec: ChildSpec
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff_s: float = RESTART_FIRST_S
    restart_at: float | None = None
    exit_codes: list[int] = field(default_factory=list)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


def child_specs(
    settings: Settings,
    base_env: dict[str, str],
    log_dir: Path,
    *,
    threads: int,
    bridge_port: int,
    worker_port: int,
) -> list[ChildSpec]:
    """A bridge and a worker service (one dramatiq process of ``threads`` threads)."""
    shutdown_ms = int((settings.graceful_shutdown_s + DRAMATIQ_MARGIN_S) * 1000)
    prom_dir = log_dir / "prometheus"
    python = sys.executable
    worker_env = {
        "dramatiq_prom_port": str(worker_port),
        "dramatiq_prom_db": str(prom_dir),
        "dramatiq_prom_lock": str(prom_dir / "lock"),
    }
    return [
        ChildSpec(
            "bridge",
            [python, "-m", "bridge"],
            {**base_env, "BRIDGE_METRICS_PORT": str(bridge_port)},
            log_dir / "bridge.log",
            f"metrics http://127.0.0.1:{bridge_port}/metrics, "
            f"health http://127.0.0.1:{bridge_port}/healthz",
        ),
        ChildSpec(
            "worker",
            [python, "-m", "app.launcher", "--processes", "1", "--threads", str(threads)]
            + ["--worker-shutdown-timeout", str(shutdown_ms)],
            {**base_env, **worker_env},
            log_dir / "worker.log",
            f"1 process × {threads} threads, metrics http://127.0.0.1:{worker_port}/metrics, "
            f"health http://127.0.0.1:{worker_port}/healthz",
        ),
    ]


class Supervisor:
    """Starts the children, restarts those that die, stops them all on request."""

    def __init__(self, specs: Sequence[ChildSpec], *, stop_timeout_s: float) -> None:
        self.children = [Child(spec) for spec in specs]
        self.stop_timeout_s = stop_timeout_s
        self._signals = 0

    def start(self) -> None:
        for child in self.children:
            self._start(child)

    def _start(self, child: Child) -> None:
        spec = child.spec
        spec.log.parent.mkdir(parents=True, exist_ok=True)
        if "dramatiq_prom_db" in spec.env:
            Path(spec.env["dramatiq_prom_db"]).mkdir(parents=True, exist_ok=True)
        with spec.log.open("ab") as log:  # appended: a second run keeps the first's lines
            child.popen = subprocess.Popen(
                spec.argv,
                cwd=PROJECT_ROOT,
                env={**os.environ, **spec.env, "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # signals reach it through us, once
            )
        child.started_at = time.monotonic()
        child.restart_at = None

    def poll(self) -> None:
        """Restart children that exited, each after its backoff."""
        now = time.monotonic()
        for child in self.children:
            if child.popen is None or child.alive():
                continue
            if child.restart_at is None:
                code = child.popen.returncode
                child.exit_codes.append(code)
                if now - child.started_at >= HEALTHY_RUN_S:
                    child.backoff_s = RESTART_FIRST_S
                child.restart_at = now + child.backoff_s
                _say(
                    f"{child.spec.name} exited with code {code}; restarting in "
                    f"{child.backoff_s:g} s (log: {child.spec.log})"
                )
                child.backoff_s = min(RESTART_MAX_S, child.backoff_s * 2)
            elif now >= child.restart_at:
                self._start(child)
                _say(f"{child.spec.name} restarted")

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals == 2:
            _say("releasing the running jobs now (Ctrl-C again kills)")
            self._signal_group("worker", signal.SIGUSR1)
        elif self._signals >= 3:
            _say("killing the children; jobs still running wait for their lease")
            for child in self.children:
                self._signal_group(child.spec.name, signal.SIGKILL)

    def _signal_group(self, name: str, sig: int) -> None:
        for child in self.children:
            if child.spec.name == name and child.alive():
                assert child.popen is not None
                try:
                    os.killpg(child.popen.pid, sig)
                except ProcessLookupError:
                    pass

    def stop(self) -> list[int | None]:
        """One SIGTERM to each child's main process, then wait; kill what outlives the timeout."""
        for child in self.children:
            if child.alive():
                assert child.popen is not None
                child.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        codes: list[int | None] = []
        for child in self.children:
            if child.popen is None:
                codes.append(None)
                continue
            try:
                codes.append(child.popen.wait(max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                self._signal_group(child.spec.name, signal.SIGKILL)
                codes.append(child.popen.wait())
        return codes

    def run(self) -> int:
        """Until SIGTERM or Ctrl-C; 0 when every child stopped cleanly."""
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGTERM, self.on_signal)
        self.start()
        while not self._signals:
            self.poll()
            time.sleep(POLL_S)
        _say(
            f"stopping: running jobs finish or are released within {self.stop_timeout_s:g} s "
            "(Ctrl-C again releases them now)"
        )
        codes = self.stop()
        pairs = zip(self.children, codes, strict=True)
        _say("stopped (" + ", ".join(f"{c.spec.name} exit {code}" for c, code in pairs) + ")")
        return 0 if all(code == 0 for code in codes) else 1


def _say(text: str) -> None:
    print(f"▶ {text}", flush=True)


def _fail(text: str) -> int:
    print(f"❌ {text}", file=sys.stderr, flush=True)
    return 1


def _port(env_value: str | None) -> int:
    """The configured port, else one free on this machine now."""
    if env_value:
        return int(env_value)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(threads: int | None = None, log_dir: Path | None = None) -> int:
    """``python -m app run``."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        return _fail(f"Invalid configuration: {exc}")
    import psycopg2

    from app.db import Database

    db = Database(settings.database, max_connections=1, application_name="finapilot-run")
    try:
        db.run("db_ping")
    except psycopg2.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return _fail(f"Failed to connect to database: {reason} (check DATABASE_URL)")
    finally:
        db.close()
    log_dir = log_dir or DEFAULT_LOG_DIR
    threads = threads or settings.worker_concurrency
    specs = child_specs(
        settings,
        {},
        log_dir,
        threads=threads,
        bridge_port=_port(os.environ.get("BRIDGE_METRICS_PORT")),
        worker_port=_port(os.environ.get("dramatiq_prom_port")),
    )
    _say(f"FinaPilot worker against {settings.database.redacted()}; Ctrl-C stops")
    for spec in specs:
        _say(f"{spec.name}: {spec.describe}, log {spec.log}")
    stop_timeout_s = settings.graceful_shutdown_s + DRAMATIQ_MARGIN_S + EXIT_MARGIN_S
    return Supervisor(specs, stop_timeout_s=stop_timeout_s).run()
