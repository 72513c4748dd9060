"""dramatiq-pg 0.12's measured defects, each reproduced on the stock classes, then shown fixed
by :mod:`app.broker` (against real PostgreSQL)."""

from __future__ import annotations

import select
import threading

import dramatiq
import psycopg2
import psycopg2.pool
import pytest
from dramatiq_pg.broker import QUERIES as STOCK_QUERIES
from dramatiq_pg.broker import PostgresBroker, message_lock
from dramatiq_pg.utils import make_pool

from app.broker import HardenedPostgresBroker, pool_size
from app.worker import make_dramatiq_pool

QUEUE = "default"


def _message(i: int) -> dramatiq.Message:
    return dramatiq.Message(
        queue_name=QUEUE, actor_name="noop", args=(str(i),), kwargs={}, options={}
    )


def _advisory_locks(url: str) -> int:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def _consume(consumer, n: int) -> list:
    taken = []
    for _ in range(20 * n):
        proxy = next(consumer)
        if proxy is not None:
            taken.append(proxy)
        if len(taken) == n:
            return taken
    raise AssertionError(f"consumed only {len(taken)} of {n}")


@pytest.fixture
def stock_broker(database_url):
    broker = PostgresBroker(url=database_url, results=False)
    yield broker
    broker.pool.closeall()


@pytest.fixture
def hardened_broker(database_url, settings):
    broker = HardenedPostgresBroker(pool=make_dramatiq_pool(settings, 20), results=False)
    yield broker
    broker.pool.closeall()


@pytest.mark.parametrize("kind", ["stock", "hardened"])
def test_defect_a_advisory_locks_pile_up_while_the_consumer_stays_busy(
    kind, stock_broker, hardened_broker, database_url
):
    broker = stock_broker if kind == "stock" else hardened_broker
    for i in range(30):
        broker.enqueue(_message(i))
    consumer = broker.consume(QUEUE, prefetch=100, timeout=100)
    taken = _consume(consumer, 20)
    for proxy in taken:  # acked by worker threads; the consumer never goes idle meanwhile
        consumer.ack(proxy)
    held = _advisory_locks(database_url)
    consumer.close()
    if kind == "stock":
        assert held >= 20, "the stock consumer should hold one session lock per consumed message"
    else:
        assert held == 0


@pytest.mark.parametrize("kind", ["stock", "hardened"])
def test_defect_b_a_seq_scan_claim_takes_the_lock_once_per_pending_row(
    kind, database_url, stock_broker
):
    for i in range(200):
        stock_broker.enqueue(_message(i))
    conn = psycopg2.connect(database_url)
    with conn.cursor() as cur:
        cur.execute("ANALYZE dramatiq.queue")
        # The plan of the defect (the filter then tests the lock before message_id); small
        # analyzed tables get it on their own, forcing it makes the test deterministic.
        cur.execute("SET enable_indexscan = off; SET enable_bitmapscan = off")
        cur.execute("SELECT message_id::text FROM dramatiq.queue LIMIT 1")
        target = cur.fetchone()[0]
        key = message_lock(_message(0).copy(message_id=target))
        if kind == "stock":
            cur.execute(STOCK_QUERIES.CONSUME_ONE, (target, key))
        else:
            from app.broker import HARDENED_QUERIES

            cur.execute(HARDENED_QUERIES.CONSUME_ONE, ("worker-test-1", target))
        assert cur.rowcount == 1
        conn.commit()
        # Session advisory locks are re-entrant: count the levels one unlock at a time.
        levels = 0
        while True:
            cur.execute("SELECT pg_advisory_unlock(%s)", (key,))
            if not cur.fetchone()[0]:
                break
            levels += 1
        conn.commit()
    conn.close()
    if kind == "stock":
        assert levels > 100, "the lock was taken once per scanned row; one unlock leaks the rest"
    else:
        assert levels == 0


@pytest.mark.parametrize("kind", ["stock", "hardened"])
def test_defect_c_requeued_messages_are_announced(
    kind, stock_broker, hardened_broker, database_url
):
    broker = stock_broker if kind == "stock" else hardened_broker
    broker.enqueue(_message(1))
    consumer = broker.consume(QUEUE, prefetch=10, timeout=100)
    [proxy] = _consume(consumer, 1)
    listener = psycopg2.connect(database_url)
    listener.autocommit = True
    with listener.cursor() as cur:
        cur.execute(f'LISTEN "dramatiq.{QUEUE}.enqueue"')
    consumer.requeue([proxy._message])  # what a stopping worker does with prefetched messages
    ready, _, _ = select.select([listener], [], [], 1.0)
    listener.poll()
    got = [n.payload for n in listener.notifies]
    listener.close()
    consumer.close()
    if kind == "stock":
        assert got == [], "stock requeue is silent: other workers find it only by a random rescan"
    else:
        assert len(got) == 1 and proxy.message_id in got[0]


def _hold_and_burst(pool, held: int, burst: int) -> list[BaseException]:
    """Hold ``held`` connections (consumers), then ``burst`` threads each take one (acks)."""
    kept = [pool.getconn() for _ in range(held)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(burst)
    taken: list = []
    lock = threading.Lock()

    def ack() -> None:
        barrier.wait()
        try:
            conn = pool.getconn()
            with lock:
                taken.append(conn)
        except psycopg2.pool.PoolError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ack) for _ in range(burst)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for conn in kept + taken:
        pool.putconn(conn)
    return errors


def test_defect_d_the_default_pool_is_exhausted_above_twelve_threads(database_url, settings):
    threads, consumers = 13, 6  # 3 queues and their delay queues, each listen + consume
    stock = make_pool(database_url)  # dramatiq-pg's default: 16 connections
    try:
        assert _hold_and_burst(stock, 2 * consumers, threads), (
            "expected 'connection pool exhausted'"
        )
    finally:
        stock.closeall()
    sized = make_dramatiq_pool(settings, pool_size(threads, consumers))
    try:
        assert _hold_and_burst(sized, 2 * consumers, threads) == []
    finally:
        sized.closeall()
