"""Database access: a small blocking connection pool and transactions over named SQL."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
import psycopg2.pool

from app.settings import DatabaseUrl
from app.sql import SQL, SqlFiles

logger = logging.getLogger(__name__)

#: SQLSTATEs of errors that pass: serialization, deadlock, lock not available, statement
#: timeout, admin shutdown, crash shutdown, cannot connect now.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03"})

psycopg2.extras.register_uuid()


def connect_kwargs(url: DatabaseUrl, application_name: str) -> dict[str, Any]:
    """libpq keyword arguments: the DSN, the search_path of ``?schema=`` and keepalives."""
    kwargs: dict[str, Any] = {
        "dsn": url.dsn,
        "application_name": application_name,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        # Data the server has not acknowledged for this long means it is gone (libpq ≥ 12).
        "tcp_user_timeout": 10_000,
        "connect_timeout": 10,
    }
    if url.schema:
        # Identifiers in options are quoted so that any schema name is taken literally.
        schema = url.schema.replace('"', '""')
        kwargs["options"] = f'-c search_path="{schema}",public'
    return kwargs


#: SQLSTATEs that mean the session is gone: admin shutdown, crash shutdown, cannot connect now
#: (class 08, connection exceptions, is matched by prefix).
CONNECTION_LOST_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def is_connection_error(exc: BaseException) -> bool:
    """True when the database could not be reached or the session was lost (not a statement
    error: a deadlock, a timeout or a lock conflict is the statement's, and has a SQLSTATE)."""
    if not isinstance(exc, psycopg2.Error):
        return False
    code = exc.pgcode
    if code is None:
        return isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError)
    return code in CONNECTION_LOST_SQLSTATES or code.startswith("08")


def is_transient(exc: BaseException) -> bool:
    """True for connection trouble and the SQLSTATEs that may pass on a retry."""
    if isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError):
        return True
    code = getattr(exc, "pgcode", None)
    return code in TRANSIENT_SQLSTATES


class Database:
    """A thread-safe pool that blocks when every connection is in use (never fails fast)."""

    def __init__(self, url: DatabaseUrl, *, max_connections: int, application_name: str) -> None:
        self.url = url
        self._kwargs = connect_kwargs(url, application_name)
        # Opened lazily (minconn 0 at creation), then kept: psycopg2 closes a returned connection
        # when the pool already holds `minconn`, so raise it to the maximum (else one new
        # connection per statement, the legacy worker's P11).
        self._pool = psycopg2.pool.ThreadedConnectionPool(0, max_connections, **self._kwargs)
        self._pool.minconn = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        # When one connection finds the session gone (a server restart, a network cut), the
        # idle ones made before are most likely dead too: they are replaced, not each tried.
        self._born: dict[int, float] = {}
        self._invalid_before = float("-inf")

    def connect(self, *, autocommit: bool = False) -> psycopg2.extensions.connection:
        """A dedicated connection outside the pool (LISTEN, long-lived loops)."""
        conn = psycopg2.connect(**self._kwargs)
        conn.autocommit = autocommit
        return conn

    @contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        """Borrow a pooled connection; a broken one is discarded, not returned."""
        self._slots.acquire()
        conn = None
        try:
            while True:
                conn = self._pool.getconn()
                if self._born.setdefault(id(conn), time.monotonic()) > self._invalid_before:
                    break
                self._born.pop(id(conn), None)
                self._pool.putconn(conn, close=True)
                conn = None
            yield conn
        except BaseException as exc:
            if is_connection_error(exc):
                self._invalid_before = time.monotonic()
            raise
        finally:
            if conn is not None:
                broken = bool(conn.closed) or (
                    conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN
                )
                if broken:
                    self._born.pop(id(conn), None)
                self._pool.putconn(conn, close=broken)
            self._slots.release()

    @contextmanager
    def transaction(self) -> Iterator[psycopg2.extras.RealDictCursor]:
        """One transaction on a pooled connection: commit on success, roll back on error."""
        with self.connection() as conn:
            try:
                with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                    yield cur
                conn.commit()
            except BaseException:
                if not conn.closed:
                    try:
                        conn.rollback()
                    except psycopg2.Error:
                        conn.close()
                raise

    def run(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one named statement on its own (autocommit: one round trip, not three)."""
        with self.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                    return execute(cur, name, params)
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def close(self) -> None:
        self._pool.closeall()


def execute(
    cur: psycopg2.extras.RealDictCursor,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    sql: SqlFiles = SQL,
) -> list[dict[str, Any]]:
    """Run the named statement of ``sql`` on ``cur``; return its rows as dicts ([] without a
    result)."""
    cur.execute(sql.query(name), params or {})
    if cur.description is None:
        return []
    return [dict(row) for row in cur.fetchall()]


def jsonb(value: Any) -> psycopg2.extras.Json:
    """Adapt a Python value as a JSON parameter."""
    return psycopg2.extras.Json(value)


def db_now(cur: psycopg2.extras.RealDictCursor) -> tuple[Any, str]:
    """The database's ``now()`` and its ISO-8601 ``Z`` form (worker timestamps use its clock)."""
    row = execute(cur, "db_now")[0]
    return row["now"], row["iso"]
