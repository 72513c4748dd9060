"""Child processes of the developer tools: a bridge and a dramatiq worker, and
``python -m app run`` (both against ``DATABASE_URL`` until Ctrl-C)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.devtools.embedded import DATA_ROOT, PROJECT_ROOT, free_port
from app.settings import Settings


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path


def start_children(env: dict[str, str], log_dir: Path, *, threads: int = 4) -> list[Child]:
    """A bridge and a dramatiq worker, each a subprocess logging to ``log_dir``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    prom_dir = log_dir / "prometheus"
    prom_dir.mkdir(exist_ok=True)
    base = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    specs: list[tuple[str, list[str], dict[str, str]]] = [
        (
            "worker",
            [
                str(bin_dir / "dramatiq"),
                "actors",
                "--processes",
                "1",
                "--threads",
                str(threads),
                "--worker-shutdown-timeout",
                "20000",
            ],
            {"dramatiq_prom_port": str(free_port()), "dramatiq_prom_db": str(prom_dir)},
        ),
        ("bridge", [sys.executable, "-m", "bridge"], {"BRIDGE_METRICS_PORT": str(free_port())}),
    ]
    children = []
    for name, cmd, extra in specs:
        log = log_dir / f"{name}.log"
        popen = subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            env={**base, **extra},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        children.append(Child(name, popen, log))
    return children


def stop_children(children: Sequence[Child], timeout_s: float = 30.0) -> None:
    for child in children:
        if child.popen.poll() is None:
            child.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for child in children:
        try:
            child.popen.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.popen.pid, signal.SIGKILL)


def run(threads: int) -> int:
    """Bridge and worker against ``DATABASE_URL`` until Ctrl-C (development convenience)."""
    settings = Settings.from_env()
    env = {"DATABASE_URL": os.environ["DATABASE_URL"]}
    children = start_children(env, DATA_ROOT / "run-logs", threads=threads)
    print(
        f"▶ bridge and worker running against {settings.database.redacted()}; Ctrl-C stops",
        flush=True,
    )
    try:
        while all(c.popen.poll() is None for c in children):
            time.sleep(1)
        print("▶ a child process exited; see .data/run-logs", flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_children(children)
