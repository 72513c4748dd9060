"""dramatiq-pg 0.12, hardened (the worker process assembles it in :mod:`app.worker`).

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
import select
import threading
from collections.abc import Iterable
from typing import Any

import dramatiq
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

from app.logging_setup import log_event
from app.middleware.lifecycle import ACKED_OPTION

logger = logging.getLogger(__name__)

#: Connections each consumer holds besides the worker threads' (listen + consume).
CONNECTIONS_PER_QUEUE = 2
POOL_MARGIN = 2

HARDENED_QUERIES = QueryManager(
    dict(
        # No advisory lock: a row lock decides who takes a queued message. Every consumer of
        # the queue hears every NOTIFY; the losers skip the winner's lock instead of waiting
        # for it (the bridge re-announces any message left queued, so none is stranded).
        # The consumer (the worker process's id) is recorded: when that process dies before
        # starting the job, the bridge gives the job back at once (issue 12).
        CONSUME_ONE="""
            UPDATE {schema}.{tablename} q
               SET "state" = 'consumed', mtime = (NOW() AT TIME ZONE 'UTC'), consumer = %s
              FROM (SELECT message_id FROM {schema}.{tablename}
                     WHERE message_id = %s AND state = 'queued'
                     FOR UPDATE SKIP LOCKED) m
             WHERE q.message_id = m.message_id
        """,
        # Requeue on worker stop, announced like an enqueue so live consumers wake at once.
        REQUEUE="""
            WITH requeued AS (
              UPDATE {schema}.{tablename} SET state = 'queued', consumer = NULL
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

    def __init__(self, *, consumer_id: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.consumer_id = consumer_id
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
            curs.execute(HARDENED_QUERIES.CONSUME_ONE, (self.consumer_id, message.message_id))
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
        log_event(
            logger, logging.INFO, "messages_requeued", count=len(messages), queue=self.queue_name
        )


class HardenedPostgresBroker(PostgresBroker):
    """dramatiq-pg's broker with :class:`HardenedConsumer` (no results backend).

    It declares no delay queues: retries and schedules go through ``jobs.next_run_at``, never
    through dramatiq's delay queue, so a ``.DQ`` consumer would only hold two connections and
    wake on every NOTIFY for nothing.
    """

    def __init__(self, *, consumer_id: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.consumer_id = consumer_id

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
            pool=self.pool,
            queue_name=queue_name,
            prefetch=prefetch,
            timeout=timeout,
            consumer_id=self.consumer_id,
        )
