"""The baseline: stock dramatiq-pg with a no-op actor (run by ``dramatiq bench.bare_actors``)."""

from __future__ import annotations

import os

import dramatiq
from dramatiq.middleware import TimeLimit
from dramatiq_pg import PostgresBroker

broker = PostgresBroker(url=os.environ["DATABASE_URL"], results=False, middleware=[TimeLimit()])
dramatiq.set_broker(broker)


@dramatiq.actor(actor_name="noop", queue_name="default")
def noop(job_id: str) -> None:
    return None
