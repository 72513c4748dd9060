"""Liveness from the database session (issue 12): one long-lived connection per worker process.

The connection holds a session-level advisory lock ``(LIVENESS_LOCK_CLASS, lock_key)``, and the
process's presence row (``dramatiq.finapilot_workers``) names the key. Only a live session can
hold it: when the process dies its socket closes and the server ends the session at once; when
its host vanishes without closing the socket, the keepalives and the user timeout set on the
session below make the server drop it within about 10 s. The bridge checks the locks every
second and gives back the jobs of a process whose lock is gone (``bridge/liveness.py``).

One lock per process, never per message: the advisory locks of the cluster stay bounded by the
number of worker processes (plus the bridge's dispatch lock).

The heartbeat middleware runs its statements on this connection and reconnects it as soon as it
breaks (:meth:`LivenessSession.wait` wakes when the server closes the session), taking the same
key again, or a new one while the old session still lingers on the server.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Mapping
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from app.db import connect_kwargs, execute
from app.settings import DatabaseUrl

logger = logging.getLogger(__name__)

#: The advisory lock class of worker liveness (the view dramatiq.finapilot_worker_liveness
#: names the same number).
LIVENESS_LOCK_CLASS = 7_240_003
#: Server-side settings of the session, so the server drops a dead peer within about 10 s:
#: keepalive probes after 2 s idle, every 1 s, 3 lost = dead; unacknowledged data for 9 s =
#: dead; a running statement checks its client every 2 s (PostgreSQL 14+). A server that
#: lacks a setting keeps its default for it.
SESSION_SETTINGS = (
    ("tcp_keepalives_idle", "2"),
    ("tcp_keepalives_interval", "1"),
    ("tcp_keepalives_count", "3"),
    ("tcp_user_timeout", "9000"),
    ("client_connection_check_interval", "2000"),
)
#: The longest a wait sleeps before it looks at the stop flag again.
WAIT_SLICE_S = 0.5


class LivenessLockTaken(RuntimeError):
    """No free lock key could be taken (another session holds every key tried)."""


class LivenessSession:
    """The worker process's long-lived connection and the lock it holds.

    Thread-safe: the heartbeat thread and the shutdown hooks share it.
    """

    def __init__(self, url: DatabaseUrl, application_name: str = "finapilot-liveness") -> None:
        kwargs = connect_kwargs(url, application_name)
        kwargs.update(keepalives_idle=2, keepalives_interval=1, keepalives_count=3)
        self._kwargs = kwargs
        self._conn: psycopg2.extensions.connection | None = None
        self._lock = threading.RLock()
        self.lock_key: int | None = None
        #: How many sessions this process has opened (1 = never reconnected).
        self.sessions = 0

    @property
    def connected(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.closed

    def ensure(self) -> bool:
        """Connect and take the lock if the session is gone; True when this call connected.

        Raises:
            psycopg2.Error: the database cannot be reached.
        """
        with self._lock:
            if self.connected:
                return False
            conn = psycopg2.connect(**self._kwargs)
            try:
                conn.autocommit = True
                with conn.cursor() as cur:
                    for name, value in SESSION_SETTINGS:
                        try:
                            cur.execute("SELECT set_config(%s, %s, false)", (name, value))
                        except psycopg2.Error:  # not a setting of this server version
                            pass
                self.lock_key = self._take_lock(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
            self.sessions += 1
            return True

    def _take_lock(self, conn: psycopg2.extensions.connection) -> int:
        key = self.lock_key
        for _ in range(3):
            if key is None:
                key = int(self._execute(conn, "worker_liveness_key", {})[0]["lock_key"])
            rows = self._execute(
                conn, "worker_liveness_lock", {"lock_class": LIVENESS_LOCK_CLASS, "lock_key": key}
            )
            if rows[0]["locked"]:
                return key
            key = None  # our previous session still holds it on the server, or a wrap-around
        raise LivenessLockTaken("no free liveness lock key")

    @staticmethod
    def _execute(
        conn: psycopg2.extensions.connection, name: str, params: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            return execute(cur, name, params)

    def run(self, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run a named statement on the session (autocommit).

        Raises:
            psycopg2.Error: the statement failed; a broken session is dropped (the next
                :meth:`ensure` reconnects).
        """
        with self._lock:
            conn = self._conn
            if conn is None or conn.closed:
                raise psycopg2.InterfaceError("the liveness session is not connected")
            try:
                return self._execute(conn, name, params)
            except psycopg2.Error:
                if conn.closed or (
                    conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN
                ):
                    self.drop()
                raise

    def wait(self, timeout_s: float, stop: threading.Event) -> None:
        """Sleep up to ``timeout_s``; return early when the server closes the session (so the
        caller reconnects at once) or ``stop`` is set."""
        deadline = time.monotonic() + timeout_s
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            conn = self._conn
            if remaining <= 0 or conn is None or conn.closed:
                return
            ready, _, _ = select.select([conn], [], [], min(remaining, WAIT_SLICE_S))
            if not ready:
                continue
            with self._lock:
                if self._conn is not conn or conn is None:
                    return
                try:
                    conn.poll()  # reads what arrived: a notice, or the end of the session
                    conn.notices.clear()
                except psycopg2.Error:
                    self.drop()
                    return

    def drop(self) -> None:
        """Forget a broken session (closing it ends it on the server: the lock goes)."""
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                except psycopg2.Error:
                    pass
                self._conn = None

    def close(self) -> None:
        self.drop()
