"""Ordinary mistakes give one clear line and a non-zero exit, never a traceback (issue 9.6).

Every case runs the real command as a subprocess against real PostgreSQL: the session's server,
and for a wrong password a server of this module's own that asks for one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from app.devtools.embedded import free_port, start_embedded
from tests.conftest import ROOT

PASSWORD = "right-horse-battery"
WRONG_PASSWORD = "wrong-staple-4711"

JOBS = ["-m", "app", "jobs", "stats"]
TRIGGER = ["-m", "bridge", "trigger", "status"]
HEALTH = ["-m", "bridge", "health"]
DB_COMMANDS = {"jobs stats": JOBS, "bridge trigger": TRIGGER, "bridge health": HEALTH}


def _cli(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, list[str]]:
    """Run ``python <args>``; its exit code and its non-empty output lines (stdout + stderr)."""
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, "PYTHONUNBUFFERED": "1", **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text, text
    return proc.returncode, [line for line in text.splitlines() if line.strip()]


def _with(url: str, *, host: str | None = None, port: int | None = None, **parts: str) -> str:
    """``url`` with its host, port, user, password or database replaced."""
    split = urlsplit(url)
    user = parts.get("user", split.username or "")
    password = parts.get("password", split.password)
    netloc = f"{user}:{password}@" if password else f"{user}@"
    netloc += f"{host or split.hostname}:{port or split.port}"
    path = "/" + parts.get("database", split.path.lstrip("/"))
    return urlunsplit(split._replace(netloc=netloc, path=path))


@pytest.fixture(scope="module")
def password_url() -> Iterator[str]:
    """A server of its own that authenticates TCP clients by password (scram-sha-256)."""
    server = start_embedded(f"pg-test-auth-{os.getpid()}")
    try:
        conn = psycopg2.connect(server.url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("ALTER ROLE postgres PASSWORD %s", (PASSWORD,))
            cur.execute("SHOW hba_file")
            hba = cur.fetchone()[0]
            with open(hba, "w") as f:
                f.write("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
            cur.execute("SELECT pg_reload_conf()")
        conn.close()
        right = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{server.port}/postgres"
        psycopg2.connect(right).close()  # the right password is let in
        yield right
    finally:
        server.stop()
        shutil.rmtree(server.pgdata, ignore_errors=True)


def _bad_urls(database_url: str, password_url: str) -> dict[str, tuple[str, str]]:
    """Each wrong part of DATABASE_URL and the reason the message must give."""
    return {
        "host": (_with(database_url, host="127.0.0.2", port=free_port()), "Connection refused"),
        "port": (_with(database_url, port=free_port()), "Connection refused"),
        "user": (_with(database_url, user="nobody_here"), 'role "nobody_here" does not exist'),
        "database": (
            _with(database_url, database="no_such_db"),
            'database "no_such_db" does not exist',
        ),
        "password": (
            _with(password_url, password=WRONG_PASSWORD),
            'password authentication failed for user "postgres"',
        ),
    }


@pytest.mark.parametrize("command", sorted(DB_COMMANDS))
@pytest.mark.parametrize("wrong", ["host", "port", "user", "password", "database"])
def test_a_wrong_database_url_is_one_line_naming_what_failed(
    command, wrong, database_url, password_url
):
    url, reason = _bad_urls(database_url, password_url)[wrong]
    code, lines = _cli(DB_COMMANDS[command], {"DATABASE_URL": url})
    assert code != 0
    assert len(lines) == 1, lines
    assert "Cannot connect to the database at" in lines[0] and reason in lines[0]
    assert "check DATABASE_URL" in lines[0]
    assert WRONG_PASSWORD not in lines[0] and PASSWORD not in lines[0]


@pytest.mark.parametrize("command", sorted(DB_COMMANDS))
def test_no_database_url_is_one_line_and_exit_1(command):
    code, lines = _cli(DB_COMMANDS[command], {})
    assert code == 1
    assert lines == [
        "❌ Invalid configuration: DATABASE_URL is required (postgresql://user:pass@host/db)"
    ]


@pytest.mark.parametrize("command", ["show", "retry", "cancel"])
def test_an_unknown_job_id_is_one_line_and_exit_1(command, env):
    missing = str(uuid.uuid4())
    code, lines = _cli(["-m", "app", "jobs", command, missing, *_yes(command)], env)
    assert (code, lines) == (1, [f"❌ No job {missing}"])


@pytest.mark.parametrize("command", ["show", "retry", "cancel"])
@pytest.mark.parametrize("typed", ["not-a-job", "1234", "1a2b3c4d-zzzz", "'; DROP TABLE jobs; --"])
def test_a_malformed_job_id_is_one_line_and_exit_2(command, typed, env, db):
    code, lines = _cli(["-m", "app", "jobs", command, typed, *_yes(command)], env)
    assert code == 2
    assert len(lines) == 1 and f"{typed!r} is not a job id" in lines[0]
    assert db.run("db_ping")  # the jobs table is still there


def _yes(command: str) -> list[str]:
    return ["--yes"] if command in ("retry", "cancel") else []


@pytest.mark.parametrize("command", [JOBS, TRIGGER, ["-m", "bridge"]])
def test_an_invalid_log_level_is_one_line_and_exit_1(command, env):
    code, lines = _cli(command, env | {"LOG_LEVEL": "LOUD"})
    assert code == 1
    assert lines == [
        "❌ Invalid configuration: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, "
        "CRITICAL, got 'LOUD'"
    ]


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_metrics_port_out_of_range_is_one_line_and_exit_1(port, env):
    code, lines = _cli(["-m", "bridge"], env | {"BRIDGE_METRICS_PORT": port})
    assert code == 1
    assert len(lines) == 1 and "Invalid configuration: BRIDGE_METRICS_PORT must be" in lines[0]


def test_a_metrics_port_in_use_is_one_error_line_and_exit_1(env):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        code, lines = _cli(["-m", "bridge"], env | {"BRIDGE_METRICS_PORT": str(taken)})
    assert code == 1
    errors = [line for line in lines if "[ERROR]" in line]
    assert len(errors) == 1
    assert errors[0].endswith(
        f"[ERROR] ❌ Cannot serve metrics on port {taken}: Address already in use "
        "(BRIDGE_METRICS_PORT; 0 turns it off)"
    )
    assert not any("Worker shutdown complete" in line for line in lines)
