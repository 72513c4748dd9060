"""Actors whose job types are not implemented yet: they fail clearly, never invent a result."""

from __future__ import annotations

import dramatiq

from app.errors import PermanentError
from app.jobtypes import JOB_TYPES

PENDING: tuple[str, ...] = (
    "model_run", "monte_carlo", "export_pdf", "export_pptx", "export_csv", "csv_import",
)


def _placeholder(name: str) -> None:
    spec = JOB_TYPES[name]

    def run(job_id: str) -> None:
        raise PermanentError(f"job type {name} is not implemented yet")

    run.__name__ = name
    dramatiq.actor(actor_name=spec.actor_name, queue_name=spec.queue,
                   time_limit=spec.time_limit_ms)(run)


for _name in PENDING:
    _placeholder(_name)
