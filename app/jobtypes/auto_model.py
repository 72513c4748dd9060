"""``auto_model``: its declaration and database code (CONTRACT-2 §2).

Right after a model is created: its starting assumptions (:mod:`app.finance.auto_assumptions`,
pure), the driver grid of the default scenario and three initial runs, all in the final
transaction under the model row's lock. Every effect is found before it is made (the model's
``autoModelJobId`` marker, drivers by name, values ``ON CONFLICT``, runs by ``sourceJobId`` and
``scenarioKey``, jobs by key), so any number of attempts leaves one result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from psycopg2.extras import RealDictCursor as Cursor

from app.db import execute, jsonb
from app.errors import InvalidModel, InvalidParams, NotFound
from app.finance.auto_assumptions import Generated, flat_rate, merge
from app.finance.months import add_months
from app.ids import parse_uuid
from app.job import ClaimedJob
from app.jobtypes import model_run
from app.jobtypes.access import ACCESS_TABLES
from app.jobtypes.base import QUEUE_DEFAULT, FollowUp, JobType, merge_columns
from app.jobtypes.followups import FOLLOWUP_TABLES, insert_followup
from app.jobtypes.model_inputs import MODEL_INPUT_TABLES
from app.settings import Settings

#: The three initial runs are its purpose: never gated by WORKER_FOLLOWUP_JOBS (§0.3).
MODEL_RUN = FollowUp(model_run.JOB_TYPE, priority=50, gated=False)
JOB_TYPE = JobType(
    name="auto_model",
    queue=QUEUE_DEFAULT,
    priority=60,
    summary="build a model's assumptions, scenarios and drivers from the ledger, then run it",
    tables=merge_columns(
        ACCESS_TABLES,
        FOLLOWUP_TABLES,
        MODEL_INPUT_TABLES,
        {
            "models": ("id", "org_id", "name", "model_json", "version", "created_at"),
            "financial_scenarios": (
                "id org_id model_id name is_default created_at updated_at".split()
            ),
            "drivers": (
                "id org_id model_id name type category unit is_calculated created_at updated_at"
            ).split(),
            "driver_values": "driver_id scenario_id month value created_at updated_at".split(),
            "model_runs": "id model_id org_id run_type params_json status created_at".split(),
        },
    ),
    unique_indexes=(("driver_values", ("driver_id", "scenario_id", "month")),),
    followups=(MODEL_RUN,),
)

TRIGGER_TYPE = "model_creation"
DRIVER_MONTHS = 36
#: ``driver_values.value`` is ``numeric(20,4)``: a rate this large is no rate.
MAX_DRIVER_VALUE = 1e12
#: Job parameters not copied into the runs' params_json (the model and its big assumptions).
NOT_COPIED = frozenset({"assumptions", "modelId"})


@dataclass(frozen=True)
class DriverSpec:
    """One of the four legacy drivers (§2.4), fed by the assumption ``key`` (a fraction)."""

    name: str
    type: str
    category: str
    unit: str
    key: str


DRIVERS = (
    DriverSpec("Revenue Growth", "revenue", "Growth", "%", "revenueGrowth"),
    DriverSpec("Churn Rate", "revenue", "Retention", "%", "churnRate"),
    DriverSpec("OpEx Growth", "cost", "Operations", "%", "expenseGrowth"),
    DriverSpec("Tax Rate", "cost", "Finance", "%", "taxRate"),
)


@dataclass(frozen=True)
class ScenarioSpec:
    """An initial run: its key, run type and the growth multipliers of the scenario.

    The multipliers describe growth that is positive: a scenario moves a negative growth the
    same way (an optimistic case never grows slower than the baseline).
    """

    key: str
    run_type: str
    name: str | None = None
    revenue: float = 1.0
    expenses: float = 1.0

    def growth(self, g: float, eg: float) -> tuple[float, float]:
        return g + (self.revenue - 1) * abs(g), eg + (self.expenses - 1) * abs(eg)


BASELINE = ScenarioSpec("baseline", "baseline")
SCENARIOS = (
    BASELINE,
    ScenarioSpec("optimistic", "scenario", "Optimistic", 1.25, 0.9),
    ScenarioSpec("conservative", "scenario", "Conservative", 0.75, 1.15),
)


@dataclass(frozen=True)
class ModelDoc:
    """A ``models`` row with its document checked to be an object (metadata too)."""

    id: str
    org_id: str
    model_json: dict[str, Any]
    created_month: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ModelDoc:
        doc = row["model_json"]
        if not isinstance(doc, dict):
            raise InvalidModel(f"model {row['id']} has a model_json that is not an object")
        if not isinstance(doc.get("metadata", {}), dict):
            raise InvalidModel(f"model {row['id']} has a metadata that is not an object")
        return cls(row["id"], row["org_id"], doc, row["created_month"])

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.model_json.get("metadata") or {})

    @property
    def assumptions(self) -> dict[str, Any]:
        found = self.model_json.get("assumptions")
        return dict(found) if isinstance(found, dict) else {}

    def initialised_by(self) -> str | None:
        """The job that already initialised the model (``metadata.autoModelJobId``)."""
        marker = self.metadata.get("autoModelJobId")
        return str(marker) if marker not in (None, "") else None


def model_id_of(job: ClaimedJob, params: dict[str, Any]) -> str:
    """``object_id``, else ``params.modelId``.

    Raises:
        InvalidParams: neither is given, or the parameter is not a UUID.
    """
    if job.object_id is not None:
        return job.object_id
    if params.get("modelId") in (None, ""):
        raise InvalidParams("auto_model needs the model as object_id or params.modelId")
    return parse_uuid(params.get("modelId"), "params.modelId")


def load_model(cur: Cursor, model_id: str, org_id: str | None, *, lock: bool = False) -> ModelDoc:
    """The model in the job's org (locked for the final transaction when ``lock``).

    Raises:
        NotFound: no such model in the org. InvalidModel: its document is not an object.
    """
    block = "auto_model_model_lock" if lock else "auto_model_model"
    rows = execute(cur, block, {"model_id": model_id, "org_id": org_id})
    if not rows:
        where = f" in org {org_id}" if org_id else ""
        raise NotFound(f"model {model_id} not found{where}")
    return ModelDoc.from_row(rows[0])


def noop_reason(doc: ModelDoc, job_id: str) -> str | None:
    """Why the job has nothing to do: another job initialised the model already."""
    other = doc.initialised_by()
    if other is None or other == job_id:
        return None
    shown = other if len(other) <= 64 and other.replace("-", "").isalnum() else "another job"
    return f"model already initialised by job {shown}"


def initialise(
    cur: Cursor,
    settings: Settings,
    *,
    job_id: str,
    doc: ModelDoc,
    generated: Generated,
    params: dict[str, Any],
    start: str,
    now_iso: str,
    warnings: list[str],
) -> dict[str, Any]:
    """Every write of the job (inside the final transaction); returns the success meta."""
    assumptions, sources, merge_warnings = merge(doc.assumptions, generated)
    warnings = [*warnings, *merge_warnings]
    metadata = {
        **doc.metadata,
        "dataIngestedAt": now_iso,
        "transactionCount": generated.transaction_count,
        "autoModelJobId": job_id,
        "assumptionSources": sources,
    }
    model_json = {**doc.model_json, "assumptions": assumptions, "metadata": metadata}
    keys = {"model_id": doc.id, "org_id": doc.org_id}
    execute(cur, "auto_model_model_update", {**keys, "model_json": jsonb(model_json)})
    scenario_id, drivers_created, values_created = _driver_grid(
        cur, doc, assumptions, start, warnings
    )
    run_ids: list[str] = []
    job_ids: list[str] = []
    created = 0
    if not generated.missing:
        for spec in _scenarios(assumptions, warnings):
            run_params = _run_params(spec, assumptions, params, job_id)
            run_id, new = _run(cur, doc, spec, run_params, job_id)
            created += int(new)
            run_ids.append(run_id)
            run_job = insert_followup(
                cur,
                settings,
                MODEL_RUN,
                org_id=doc.org_id,
                object_id=run_id,
                params={
                    "modelRunId": run_id,
                    "modelId": doc.id,
                    "runType": spec.run_type,
                    "paramsJson": run_params,
                },
                idempotency_key=f"{MODEL_RUN.job_type.name}:{JOB_TYPE.name}:{job_id}:{spec.key}",
            )
            if run_job is not None:
                job_ids.append(run_job)
    return {
        "modelId": doc.id,
        "modelRunIds": run_ids,
        "modelRunJobIds": job_ids,
        "runsCreated": created,
        "scenarioId": scenario_id,
        "driversCreated": drivers_created,
        "driverValuesCreated": values_created,
        "assumptionSources": sources,
        "missingInputs": list(generated.missing),
        "warnings": warnings,
        "assumptionsGenerated": True,
    }


def _driver_grid(
    cur: Cursor, doc: ModelDoc, assumptions: dict[str, Any], start: str, warnings: list[str]
) -> tuple[str, int, int]:
    """The default scenario and the four drivers; values only where their rate is known."""
    keys = {"model_id": doc.id, "org_id": doc.org_id}
    found = execute(cur, "auto_model_scenario_find", keys)
    scenario_id = str((found or execute(cur, "auto_model_scenario_insert", keys))[0]["id"])
    months = [add_months(start, i) for i in range(DRIVER_MONTHS)]
    drivers_created = values_created = 0
    for spec in DRIVERS:
        rows = execute(cur, "auto_model_driver_find", {**keys, "name": spec.name})
        if not rows:
            rows = execute(
                cur,
                "auto_model_driver_insert",
                {
                    **keys,
                    "name": spec.name,
                    "type": spec.type,
                    "category": spec.category,
                    "unit": spec.unit,
                },
            )
            drivers_created += 1
        value = flat_rate(assumptions, spec.key)
        if value is None:
            continue
        if not math.isfinite(value) or abs(value) >= MAX_DRIVER_VALUE:
            warnings.append(f"assumptions.{spec.key} is out of range for a driver; no values")
            continue
        execute(
            cur,
            "auto_model_driver_values_insert",
            {
                "driver_id": rows[0]["id"],
                "scenario_id": scenario_id,
                "value": value,
                "months": months,
            },
        )
        values_created += cur.rowcount
    return scenario_id, drivers_created, values_created


def _scenarios(assumptions: dict[str, Any], warnings: list[str]) -> tuple[ScenarioSpec, ...]:
    """The baseline, and the two scenarios when both growth rates are known (never 0.10/0.05)."""
    if (
        flat_rate(assumptions, "revenueGrowth") is None
        or flat_rate(assumptions, "expenseGrowth") is None
    ):
        warnings.append("revenue or expense growth is unknown: no optimistic or conservative run")
        return (BASELINE,)
    return SCENARIOS


def _run_params(
    spec: ScenarioSpec, assumptions: dict[str, Any], params: dict[str, Any], job_id: str
) -> dict[str, Any]:
    run_params: dict[str, Any] = {k: v for k, v in params.items() if k not in NOT_COPIED}
    trigger = params.get("triggerType")
    run_params.update(
        autoGenerated=True,
        triggerType=trigger if isinstance(trigger, str) else TRIGGER_TYPE,
        sourceJobId=job_id,
        scenarioKey=spec.key,
    )
    if spec is not BASELINE:
        g = flat_rate(assumptions, "revenueGrowth")
        eg = flat_rate(assumptions, "expenseGrowth")
        assert g is not None and eg is not None  # _scenarios checked both
        growth, expense_growth = spec.growth(g, eg)
        run_params.update(
            scenarioType=spec.key,
            scenarioName=spec.name,
            overrides={"revenue": {"growth": growth}, "costs": {"growth": expense_growth}},
            scenarioDefinition={
                "revenueGrowthMultiplier": spec.revenue,
                "expenseGrowthMultiplier": spec.expenses,
            },
        )
    return run_params


def _run(
    cur: Cursor, doc: ModelDoc, spec: ScenarioSpec, run_params: dict[str, Any], job_id: str
) -> tuple[str, bool]:
    """The run of one scenario key: found (an earlier attempt), else created."""
    keys = {"model_id": doc.id, "org_id": doc.org_id}
    found = execute(
        cur, "auto_model_run_find", {**keys, "job_id": job_id, "scenario_key": spec.key}
    )
    if found:
        return str(found[0]["id"]), False
    rows = execute(
        cur,
        "auto_model_run_insert",
        {**keys, "run_type": spec.run_type, "params_json": jsonb(run_params)},
    )
    return str(rows[0]["id"]), True
