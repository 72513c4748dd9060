"""dramatiq-pg 0.12, hardened, and the broker every worker process builds.

Measured defects of the stock broker, and what this module changes (tests/test_broker.py
reproduces each on the stock classes first):

(a) Each consumed message takes a *session* advisory lock that is released only when its
    consumer goes idle, so under sustained load locks pile up until the server's lock table is
    exhausted ("out of shared memory" on every connection of the cluster).
(b) The claim statement evaluates ``pg_try_advisory_lock()`` in its WHERE clause; planned as a
    sequential scan it takes the lock once per pending row but releases it once, leaking locks.
    Fix for both: consumption takes no advisory lock at all. A message is claimed by the row
    lock of ``UPDATE … WHERE state = 'queued'`` (a concurrent consumer re-checks the state after
    the first commits and updates nothing), and ``consumed`` messages are never re-taken: a
    crashed worker's job is recovered through the ``jobs`` table by the bridge's reaper, never
    by re-running its dramatiq message.
(c) Messages requeued when a worker stops are not announced, so live workers find them only by
    a random rescan (minutes). Fix: requeue sends the same NOTIFY as an enqueue.
(e) A consumer at its prefetch limit sleeps ``compute_backoff(misses)`` and never resets
    ``misses``, so soon every full moment costs a whole second. The bridge keeps consumers near
    that limit on purpose (its window is a small multiple of the threads), so this throttled
    the pipeline to ~30 jobs/s. Fix: wait on a condition that ack/nack signal.
(f) ``poll_for_notify`` first checks its LISTEN connection with ``conn.poll()``, which reads
    pending NOTIFYs off the socket into ``conn.notifies``; it then ``select()``s on the drained
    socket for the full timeout (1 s) before returning them. Under a steady stream of NOTIFYs a
    dispatched message waited up to a second. Fix: take buffered notifies before waiting.
(d) The default pool of 16 connections is exhausted above ~12 threads, leaving messages
    un-acked (psycopg2's pool raises instead of waiting). Fix: the pool is sized from the thread
    count and the queues (:func:`pool_size`).
"""

from __future__ import annotations

import logging
import os
import select
import sys
import threading
from collections.abc import Iterable
from typing import Any

import dramatiq
import psycopg2.pool
from dramatiq.middleware import Prometheus, TimeLimit
from dramatiq_pg.broker import QUERIES as STOCK_QUERIES
from dramatiq_pg.broker import PostgresBroker, PostgresConsumer
from dramatiq_pg.utils import (
    QueryManager,
    check_conn,
    getconn,
    raise_connection_error,
    tidy4json,
    transaction,
)
from psycopg2.extras import Json

from app.db import Database, connect_kwargs
from app.jobtypes import QUEUES
from app.middleware.lifecycle import ACKED_OPTION
from app.settings import Settings, SettingsError

logger = logging.getLogger(__name__)

#: Connections each consumer holds besides the worker threads' (listen + consume).
CONNECTIONS_PER_QUEUE = 2
POOL_MARGIN = 2

HARDENED_QUERIES = QueryManager(
    dict(
        # No advisory lock: a row lock decides who takes a queued message. Every consumer of
        # the queue hears every NOTIFY; the losers skip the winner's lock instead of waiting
        # for it (the bridge re-announces any message left queued, so none is stranded).
        CONSUME_ONE="""
            UPDATE {schema}.{tablename} q
               SET "state" = 'consumed', mtime = (NOW() AT TIME ZONE 'UTC')
              FROM (SELECT message_id FROM {schema}.{tablename}
                     WHERE message_id = %s AND state = 'queued'
                     FOR UPDATE SKIP LOCKED) m
             WHERE q.message_id = m.message_id
        """,
        # Requeue on worker stop, announced like an enqueue so live consumers wake at once.
        REQUEUE="""
            WITH requeued AS (
              UPDATE {schema}.{tablename} SET state = 'queued'
               WHERE message_id IN %s AND state = 'consumed'
              RETURNING queue_name, message_id, message
            )
            SELECT pg_notify('dramatiq.' || queue_name || '.enqueue',
                             CASE WHEN octet_length(message::text) >= 8000
                                  THEN jsonb_build_object('message_id', message_id)::text
                                  ELSE message::text END)
              FROM requeued
        """,
        # Only messages nobody holds: `consumed` ones belong to a live or a dead consumer, and
        # the jobs table (not this queue) recovers the dead one's job.
        FETCH_PENDING="""
            SELECT message::text FROM {schema}.{tablename}
             WHERE state = 'queued' AND queue_name = %s
        """,
    ),
    schema="dramatiq",
    prefix="",
)


def pool_size(threads: int, queues: int) -> int:
    """Connections one worker process needs: every thread acks, every consumer listens/consumes."""
    return threads + CONNECTIONS_PER_QUEUE * queues + POOL_MARGIN


class HardenedConsumer(PostgresConsumer):
    """A consumer without advisory locks that announces its requeues and wakes on acks."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._room = threading.Condition()

    def __next__(self) -> dramatiq.MessageProxy | None:
        # Only this thread adds to in_processing; acks only remove: the check cannot go stale.
        if len(self.in_processing) >= self.prefetch:
            with self._room:
                self._room.wait(timeout=self.timeout)
            return None
        return super().__next__()

    def poll_for_notify(self) -> None:
        conn = self.get_listen_conn()  # its health check may buffer notifies already
        if not conn.notifies:
            select.select([conn], [], [], self.timeout)
            check_conn(conn)
        self.notifies += conn.notifies[:]
        conn.notifies[:] = []

    def get_consume_conn(self) -> Any:
        # One statement per call on this connection: autocommit saves BEGIN/COMMIT round trips.
        conn = super().get_consume_conn()
        if not conn.autocommit:
            conn.autocommit = True
        return conn

    @raise_connection_error
    def ack(self, message: dramatiq.MessageProxy) -> None:
        if message.options.pop(ACKED_OPTION, False):
            # The job's completion statement acked it in the same transaction as the outcome.
            self._release(message)
            return
        # As dramatiq-pg's ack (state 'done' + the ack NOTIFY), in autocommit: one round trip.
        conn = getconn(self.pool)
        try:
            conn.autocommit = True
            with conn.cursor() as curs:
                curs.execute(
                    STOCK_QUERIES.ACK,
                    (
                        Json(tidy4json(message)),
                        message.message_id,
                        message.queue_name,
                        f"dramatiq.{message.queue_name}.ack",
                        message.message_id,
                    ),
                )
        finally:
            if not conn.closed:
                conn.autocommit = False
            self.pool.putconn(conn)
        self._release(message)

    def _release(self, message: dramatiq.MessageProxy) -> None:
        self.in_processing.discard(message.message_id)
        with self._room:
            self._room.notify()

    def nack(self, message: dramatiq.MessageProxy) -> None:
        super().nack(message)
        with self._room:
            self._room.notify()

    def consume_one(self, message: dramatiq.Message) -> bool:
        if message.message_id in self.in_processing:
            return False
        with transaction(self.get_consume_conn()) as curs:
            curs.execute(HARDENED_QUERIES.CONSUME_ONE, (message.message_id,))
            return curs.rowcount == 1

    def fetch_pending_notifies(self) -> list:
        from psycopg2.extensions import Notify

        conn = self.get_listen_conn()
        channel = f"dramatiq.{self.queue_name}.enqueue"
        with transaction(conn) as curs:
            curs.execute(HARDENED_QUERIES.FETCH_PENDING, (self.queue_name,))
            return [Notify(pid=0, channel=channel, payload=r[0]) for r in curs]

    def purge_locks(self) -> None:
        # Nothing was locked; just drop the bookkeeping the base class keeps.
        while not self.unlock_q.empty():
            self.unlock_q.get_nowait()
            self.unlock_q.task_done()

    def requeue(self, messages: Iterable[dramatiq.Message]) -> None:
        messages = list(messages)
        if not messages:
            return
        with transaction(self.get_consume_conn()) as curs:
            curs.execute(HARDENED_QUERIES.REQUEUE, (tuple(m.message_id for m in messages),))
        logger.info("messages_requeued count=%d queue=%s", len(messages), self.queue_name)


class HardenedPostgresBroker(PostgresBroker):
    """dramatiq-pg's broker with :class:`HardenedConsumer` (no results backend).

    It declares no delay queues: retries and schedules go through ``jobs.next_run_at``, never
    through dramatiq's delay queue, so a ``.DQ`` consumer would only hold two connections and
    wake on every NOTIFY for nothing.
    """

    def declare_queue(self, queue_name: str) -> None:
        if queue_name not in self.queues:
            self.emit_before("declare_queue", queue_name)
            self.queues[queue_name] = True
            self.emit_after("declare_queue", queue_name)

    def enqueue(self, message: dramatiq.Message, *, delay: int | None = None) -> dramatiq.Message:
        if delay:
            raise ValueError("delayed messages are not supported: use jobs.next_run_at")
        return super().enqueue(message)

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 30000) -> HardenedConsumer:
        return HardenedConsumer(
            pool=self.pool, queue_name=queue_name, prefetch=prefetch, timeout=timeout
        )


def make_dramatiq_pool(
    settings: Settings, max_connections: int
) -> psycopg2.pool.ThreadedConnectionPool:
    """A psycopg2 pool for dramatiq-pg, on our URL and search_path."""
    kwargs = connect_kwargs(settings.database, "finapilot-dramatiq")
    pool = psycopg2.pool.ThreadedConnectionPool(0, max_connections, **kwargs)
    pool.minconn = max_connections  # dramatiq-pg's pool sanitizer walks this many
    return pool


def worker_process_id(settings: Settings) -> str:
    """WORKER_ID must be unique per process: dramatiq forks several processes per service."""
    pid = str(os.getpid())
    return settings.worker_id if pid in settings.worker_id else f"{settings.worker_id}-{pid}"


def build_broker(
    settings: Settings, *, threads: int, with_prometheus: bool = True
) -> tuple[HardenedPostgresBroker, Database, str]:
    """The broker of one worker process, with the job lifecycle middleware."""
    from app.middleware.heartbeat import Heartbeat
    from app.middleware.lifecycle import JobLifecycle
    from app.middleware.shutdown import GracefulShutdown

    worker_id = worker_process_id(settings)
    # Each thread may hold a long transaction (a CSV import) and write progress beside it.
    db = Database(
        settings.database, max_connections=2 * threads + 2, application_name="finapilot-worker"
    )
    # The heartbeat has a connection of its own: busy threads can never starve it (§4.3).
    heartbeat_db = Database(
        settings.database, max_connections=1, application_name="finapilot-heartbeat"
    )
    # dramatiq's Retries middleware is left out on purpose: retries go through the jobs table.
    middleware: list[dramatiq.Middleware] = [TimeLimit()]
    if with_prometheus:
        middleware.insert(0, Prometheus())
    middleware += [
        JobLifecycle(db, settings, worker_id),
        Heartbeat(heartbeat_db, settings, worker_id),
        GracefulShutdown(settings),
    ]
    broker = HardenedPostgresBroker(
        pool=make_dramatiq_pool(settings, pool_size(threads, len(QUEUES))),
        results=False,
        middleware=middleware,
    )
    return broker, db, worker_id


def threads_from_argv(default: int) -> int:
    """The ``--threads``/``-t`` value of the dramatiq command line (its processes inherit argv)."""
    argv = sys.argv
    for i, arg in enumerate(argv):
        if arg in ("--threads", "-t") and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return default


def settings_or_exit() -> Settings:
    """Parse the settings, or log the problem and exit 1."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        logger.error("❌ Invalid configuration: %s", exc)
        sys.exit(1)
