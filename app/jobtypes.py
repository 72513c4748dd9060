"""Job types: which dramatiq actor and queue run each ``job_type``, and its domain transitions.

Queue names and routes live here, in one place (contract §1.1).
"""

from __future__ import annotations

from dataclasses import dataclass

QUEUE_DEFAULT = "default"
QUEUE_EXPORTS = "exports"
QUEUE_MONTECARLO = "montecarlo"
QUEUES: tuple[str, ...] = (QUEUE_DEFAULT, QUEUE_EXPORTS, QUEUE_MONTECARLO)

MINUTE_MS = 60_000


@dataclass(frozen=True)
class JobType:
    """How one ``job_type`` runs.

    Attributes:
        name: the ``jobs.job_type`` value.
        queue: the dramatiq queue its messages go to.
        reset_sql: named statement that puts the domain row back on ``retrying`` (or None).
        fail_sql: named statement that fails the domain row on ``dead_letter``/``cancelled``.
        time_limit_ms: dramatiq's time limit for one attempt.
    """

    name: str
    queue: str
    reset_sql: str | None
    fail_sql: str | None
    time_limit_ms: int = 10 * MINUTE_MS

    @property
    def actor_name(self) -> str:
        return self.name


JOB_TYPES: dict[str, JobType] = {
    t.name: t
    for t in (
        JobType("model_run", QUEUE_DEFAULT, "domain_model_run_reset", "domain_model_run_fail"),
        JobType(
            "monte_carlo", QUEUE_MONTECARLO, "domain_monte_carlo_reset", "domain_monte_carlo_fail"
        ),
        JobType("export_pdf", QUEUE_EXPORTS, "domain_export_reset", "domain_export_fail"),
        JobType("export_pptx", QUEUE_EXPORTS, "domain_export_reset", "domain_export_fail"),
        JobType("export_csv", QUEUE_EXPORTS, "domain_export_reset", "domain_export_fail"),
        JobType("csv_import", QUEUE_DEFAULT, None, "domain_import_fail", 30 * MINUTE_MS),
        JobType("noop", QUEUE_DEFAULT, None, None, MINUTE_MS),
    )
}


def routes(job_types: tuple[str, ...]) -> list[dict[str, str]]:
    """The bridge's routing table for the claimed types: ``[{job_type, queue, actor}]``."""
    return [
        {"job_type": name, "queue": JOB_TYPES[name].queue, "actor": JOB_TYPES[name].actor_name}
        for name in job_types
    ]
