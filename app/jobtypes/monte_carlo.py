"""``monte_carlo``: its declaration and database code (contract §5.2).

Per-type database code lives under ``app/jobtypes`` and not beside the actor
(``actors/monte_carlo.py``) because importing ``actors`` builds the broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg2.extras import RealDictCursor as Cursor

from app.db import execute, jsonb
from app.errors import InvalidParams, NotFound, PermanentError
from app.ids import parse_uuid
from app.job import ClaimedJob
from app.jobtypes.base import (
    OBJECT_ID,
    QUEUE_MONTECARLO,
    DomainRow,
    JobType,
    merge_columns,
)
from app.jobtypes.billing import BILLING_TABLES
from app.jobtypes.model_inputs import MODEL_INPUT_TABLES
from app.jobtypes.run_outcome import ALERT_CHECK, record_run_outcome
from app.settings import Settings

JOB_TYPE = JobType(
    name="monte_carlo",
    queue=QUEUE_MONTECARLO,
    priority=30,
    summary="percentiles of ending cash over simulated paths",
    domain=DomainRow(
        table="monte_carlo_jobs",
        ref=(OBJECT_ID, "monteCarloJobId"),
        reset_sql="monte_carlo_domain_reset",
        fail_sql="monte_carlo_domain_fail",
        show_sql="monte_carlo_domain_show",
    ),
    tables=merge_columns(
        MODEL_INPUT_TABLES,
        BILLING_TABLES,
        {
            "model_runs": ("id", "model_id", "org_id", "run_type", "params_json"),
            "monte_carlo_jobs": (
                "id model_run_id org_id num_simulations params_hash status result_s3 "
                "percentiles_json sensitivity_json cpu_seconds_estimate cpu_seconds_actual "
                "finished_at"
            ).split(),
        },
    ),
    followups=(ALERT_CHECK,),
)

#: ``monte_carlo_jobs.num_simulations`` bounds (§5.2.1).
ROW_SIMULATIONS_MIN = 1
ROW_SIMULATIONS_MAX = 100_000
#: ``params.numSimulations`` bounds, when present (the backend's own range).
PARAM_SIMULATIONS_MIN = 100
PARAM_SIMULATIONS_MAX = 100_000
SIMULATION_DONE = "done"


@dataclass(frozen=True)
class MonteCarloRow:
    """The ``monte_carlo_jobs`` columns the job reads."""

    id: str
    model_run_id: str
    org_id: str
    num_simulations: int
    params_hash: str | None
    status: str
    has_result: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MonteCarloRow:
        return cls(
            id=row["id"],
            model_run_id=row["model_run_id"],
            org_id=row["org_id"],
            num_simulations=int(row["num_simulations"]),
            params_hash=row["params_hash"],
            status=row["status"],
            has_result=bool(row["has_result"]),
        )

    @property
    def done(self) -> bool:
        return self.status == SIMULATION_DONE and self.has_result


def load_row(cur: Cursor, job: ClaimedJob, params: dict[str, Any]) -> MonteCarloRow:
    """The job's ``monte_carlo_jobs`` row: ``object_id``, else ``params.monteCarloJobId``."""
    raw = job.object_id
    if raw is None:
        raw = parse_uuid(params.get("monteCarloJobId"), "params.monteCarloJobId")
    rows = execute(cur, "monte_carlo_load", {"mc_id": raw, "org_id": job.org_id})
    if not rows:
        raise NotFound(f"Monte Carlo job {raw} not found in the job's org")
    return MonteCarloRow.from_row(rows[0])


def start(cur: Cursor, mc: MonteCarloRow) -> None:
    """Claim-time transition to ``running`` (§4.8)."""
    if not execute(cur, "monte_carlo_start", {"mc_id": mc.id, "org_id": mc.org_id}):
        raise PermanentError(f"Monte Carlo job {mc.id} cannot run from status '{mc.status}'")


def load_run(cur: Cursor, mc: MonteCarloRow) -> dict[str, Any]:
    """The linked model run (its model and ``params_json``; never its summary)."""
    rows = execute(cur, "monte_carlo_run_load", {"run_id": mc.model_run_id, "org_id": mc.org_id})
    if not rows:
        raise NotFound(f"model run {mc.model_run_id} of Monte Carlo job {mc.id} not found")
    return rows[0]


def num_simulations(mc: MonteCarloRow, params: dict[str, Any]) -> int:
    """N from the row (1..100 000); ``params.numSimulations``, when present, must be 100..100 000.

    Raises:
        InvalidParams: either is out of range (the message never echoes parameter values).
    """
    n = mc.num_simulations
    if not ROW_SIMULATIONS_MIN <= n <= ROW_SIMULATIONS_MAX:
        raise InvalidParams(
            f"num_simulations of Monte Carlo job {mc.id} must be in "
            f"{ROW_SIMULATIONS_MIN}..{ROW_SIMULATIONS_MAX}"
        )
    raw = params.get("numSimulations")
    if raw is None:
        return n
    integral = isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer())
    if isinstance(raw, bool) or not integral:
        raise InvalidParams("numSimulations must be an integer")
    if not PARAM_SIMULATIONS_MIN <= raw <= PARAM_SIMULATIONS_MAX:
        raise InvalidParams(
            f"numSimulations must be in {PARAM_SIMULATIONS_MIN}..{PARAM_SIMULATIONS_MAX}"
        )
    return n


def store_result(
    cur: Cursor,
    settings: Settings,
    mc: MonteCarloRow,
    percentiles: dict[str, Any],
    sensitivity: list[dict[str, Any]],
    result_s3: str | None,
    cpu_seconds: float,
) -> None:
    """The domain writes of the final success transaction (§5.2.6)."""
    written = execute(
        cur,
        "monte_carlo_finish",
        {
            "mc_id": mc.id,
            "org_id": mc.org_id,
            "percentiles": jsonb(percentiles),
            "sensitivity": jsonb(sensitivity),
            "result_s3": result_s3,
            "cpu_seconds": cpu_seconds,
        },
    )
    if not written:
        raise PermanentError(f"Monte Carlo job {mc.id} is no longer running; result not stored")
    record_run_outcome(
        cur,
        settings,
        source=JOB_TYPE,
        source_id=mc.id,
        org_id=mc.org_id,
        model_run_id=mc.model_run_id,
        cpu_seconds=cpu_seconds,
        with_cost=False,
        params={"monteCarloJobId": mc.id},
    )
