"""What the project's command lines share (``python -m app …``, ``python -m bridge …``).

* ``--json`` is accepted before and after a subcommand (:func:`add_json_flag`); JSON output keeps
  the time zone of every timestamp (:func:`to_json`).
* An ordinary mistake (no database, a wrong password, an unknown job id) is one line on stderr
  and a non-zero exit, never a traceback (:func:`run_guarded`, :class:`CliError`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import sys
import uuid
from collections.abc import Callable
from typing import Any, TextIO

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from app.settings import MAX_PORT, DatabaseUrl

#: Exit codes: the command could not do what was asked; the command line itself is wrong.
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_SCHEMA_HINT = "start the bridge or a worker once: they create the dramatiq schema"
_TABLES_HINT = (
    "is DATABASE_URL the backend's database? (an empty dev database: python -m app dev-schema)"
)


class CliError(Exception):
    """An ordinary mistake, reported as its message alone."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def add_json_flag(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``--json`` on a parser. Subcommands get it with no default of their own, so the flag
    given before the subcommand (on the ``top`` parser) is not reset by the subcommand."""
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="machine-readable output (JSON on stdout)",
    )


def port(text: str) -> int:
    """An argparse type: a TCP port number."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"a port is between 1 and {MAX_PORT}, not {value}")
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # timestamptz arrives with its offset; a naive value is a backend `timestamp` column,
        # which Prisma writes in UTC.
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)  # exact: money columns must not pass through a float
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return f"({len(value)} bytes)"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_json(value: Any) -> str:
    """JSON text; timestamps as ISO 8601 in UTC with a ``Z``, decimals as exact strings."""
    return json.dumps(value, default=_json_default, indent=2, ensure_ascii=False)


def print_json(value: Any, out: TextIO) -> None:
    print(to_json(value), file=out)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].strip()


def _where(url: DatabaseUrl) -> str:
    """``host:port/database as user`` from the URL (never its password)."""
    try:
        parts = psycopg2.extensions.parse_dsn(url.dsn)
    except psycopg2.Error:
        return url.redacted()
    host = parts.get("host", "the local socket")
    where = f"{host}:{parts['port']}" if "port" in parts else host
    if "dbname" in parts:
        where += f"/{parts['dbname']}"
    if "user" in parts:
        where += f" as {parts['user']}"
    return where


def database_error_line(exc: psycopg2.Error, url: DatabaseUrl | None) -> str:
    """One line for a database error: where it tried to connect and libpq's reason, or the
    server's message with a hint for the usual causes. libpq never prints the password."""
    reason = _first_line(exc)
    if isinstance(exc, psycopg2.OperationalError) and exc.pgcode is None:
        # 'connection to server at "h", port p failed: FATAL:  password authentication …'
        _, sep, tail = reason.partition(" failed: ")
        reason = (tail if sep else reason).removeprefix("FATAL:").strip()
        where = f" at {_where(url)}" if url else ""
        return f"❌ Cannot connect to the database{where}: {reason} (check DATABASE_URL)"
    if isinstance(exc, psycopg2.errors.InvalidSchemaName | psycopg2.errors.UndefinedFunction):
        return f"❌ Database error: {reason} ({_SCHEMA_HINT})"
    if isinstance(exc, psycopg2.errors.UndefinedTable):
        hint = _SCHEMA_HINT if "dramatiq." in reason else _TABLES_HINT
        return f"❌ Database error: {reason} ({hint})"
    return f"❌ Database error: {reason}"


def run_guarded(command: Callable[[], int], url: DatabaseUrl | None = None) -> int:
    """Run a command; ordinary failures become one line on stderr and an exit code."""
    try:
        return command()
    except CliError as exc:
        print(exc.message, file=sys.stderr)
        return exc.code
    except psycopg2.Error as exc:
        print(database_error_line(exc, url), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
