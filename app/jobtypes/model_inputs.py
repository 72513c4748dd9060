"""Load a model run's inputs from PostgreSQL into :class:`app.finance.inputs.ModelInputs`.

Shared by the ``model_run`` and ``monte_carlo`` actors (contract §5.1.1, §5.2.1). The ledger is
aggregated in SQL by month and category (never all rows, P22); every read is scoped to the org.
The finance engine resolves and computes; this module only reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from psycopg2.extras import RealDictCursor as Cursor

from app.db import execute
from app.errors import InvalidParams
from app.finance.inputs import DriverInput, HeadcountPlan, LedgerRow, ModelInputs

DEFAULT_SCENARIO_NAME = "Base"
#: What the loader reads (start-up check of the types that use it).
MODEL_INPUT_TABLES = {
    "models": ("id", "org_id", "model_json", "version", "created_at"),
    "raw_transactions": (
        "org_id",
        "date",
        "amount",
        "currency",
        "category",
        "imported_at",
        "import_batch_id",
        "is_duplicate",
    ),
    "headcount_plans": (
        "org_id quantity salary benefits_multiplier start_date end_date ramp_months status"
    ).split(),
    "drivers": ("id", "org_id", "model_id", "name", "type", "is_calculated"),
    "driver_formulas": ("id", "model_id", "driver_id", "expression"),
    "financial_scenarios": ("id", "model_id", "name", "is_default"),
    "driver_values": ("id", "driver_id", "scenario_id", "month", "value"),
}


@dataclass(frozen=True)
class ModelRow:
    """The ``models`` columns a run reads."""

    id: str
    org_id: str
    model_json: dict[str, Any]
    version: int
    created_month: str  # 'YYYY-MM' of created_at in UTC

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ModelRow:
        model_json = row["model_json"] if isinstance(row["model_json"], dict) else {}
        return cls(
            id=row["id"],
            org_id=row["org_id"],
            model_json=model_json,
            version=int(row["version"]),
            created_month=row["created_month"],
        )


def load_model(cur: Cursor, *, model_id: str, org_id: str) -> ModelRow | None:
    """The model ``model_id`` of ``org_id``, or None (``model_id`` must be a valid UUID)."""
    rows = execute(cur, "model_inputs_model", {"model_id": model_id, "org_id": org_id})
    return ModelRow.from_row(rows[0]) if rows else None


def load_model_inputs(
    cur: Cursor, *, model: ModelRow, params_json: object, run_type: str
) -> ModelInputs:
    """Everything the engine reads for one run of ``model`` with ``params_json``.

    Raises:
        InvalidParams: ``params_json.importBatchId`` or ``scenarioName`` has the wrong type.
    """
    params = dict(params_json) if isinstance(params_json, Mapping) else {}
    org_id = model.org_id
    ledger, currencies = load_ledger(cur, org_id, _import_batch_id(params))
    return ModelInputs(
        model_json=model.model_json,
        model_version=model.version,
        model_created_month=model.created_month,
        params_json=params,
        run_type=run_type,
        ledger=ledger,
        ledger_currencies=currencies,
        headcount_plans=_headcount(cur, org_id),
        drivers=_drivers(cur, model.id, org_id, _scenario_name(params)),
    )


def _import_batch_id(params: Mapping[str, Any]) -> str | None:
    raw = params.get("importBatchId")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise InvalidParams("params_json.importBatchId must be a string")
    return raw.strip()


def _scenario_name(params: Mapping[str, Any]) -> str:
    raw = params.get("scenarioName")
    if raw is None or raw == "":
        return DEFAULT_SCENARIO_NAME
    if not isinstance(raw, str):
        raise InvalidParams("params_json.scenarioName must be a string")
    return raw


def load_ledger(
    cur: Cursor, org_id: str, import_batch_id: str | None
) -> tuple[list[LedgerRow], list[str]]:
    """The org's non-duplicate ledger by month and category (optionally one import batch), and
    the currencies it holds."""
    rows = execute(
        cur, "model_inputs_ledger", {"org_id": org_id, "import_batch_id": import_batch_id}
    )
    currencies: set[str] = set()
    ledger = []
    for row in rows:
        currencies.update(c for c in row["currencies"] or () if c)
        ledger.append(
            LedgerRow(
                month=row["month"],
                category=row["category"],
                inflow=float(row["inflow"]),
                outflow=float(row["outflow"]),
                count=int(row["count"]),
                last_imported_at=row["last_imported_at"],
            )
        )
    return ledger, sorted(currencies)


def _headcount(cur: Cursor, org_id: str) -> list[HeadcountPlan]:
    return [
        HeadcountPlan(
            quantity=int(row["quantity"]),
            salary=None if row["salary"] is None else float(row["salary"]),
            benefits_multiplier=(
                None if row["benefits_multiplier"] is None else float(row["benefits_multiplier"])
            ),
            start_month=row["start_month"],
            end_month=row["end_month"],
            ramp_months=int(row["ramp_months"]),
        )
        for row in execute(cur, "model_inputs_headcount", {"org_id": org_id})
    ]


def _drivers(cur: Cursor, model_id: str, org_id: str, scenario_name: str) -> list[DriverInput]:
    found = execute(
        cur, "model_inputs_scenario", {"model_id": model_id, "scenario_name": scenario_name}
    )
    scenario_id = found[0]["id"] if found else None
    rows = execute(
        cur,
        "model_inputs_drivers",
        {"model_id": model_id, "org_id": org_id, "scenario_id": scenario_id},
    )
    return [
        DriverInput(
            name=row["name"],
            is_calculated=bool(row["is_calculated"]),
            has_formula=bool(row["has_formula"]),
            values=dict(row["values"] or {}),
        )
        for row in rows
    ]
