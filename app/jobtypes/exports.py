"""The export family's database code (contract §5.3): the export row and its :class:`ReportData`.

Shared by ``export_pdf``, ``export_pptx`` and ``export_csv`` (each declared in its own module
with :func:`export_job_type`). The renderers in :mod:`app.reports` are pure; this module reads
what they need, org-scoped:
the export, its model run (which must be ``done`` with a ``summary_json``: never placeholder
zeros, P23), the org, and, on demand, the ledger context, the budgets and the newest finished
Monte Carlo simulation of the run.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg2
import psycopg2.extras

from app.db import db_now, execute
from app.errors import InvalidParams, NoResults, NotFound
from app.ids import parse_uuid
from app.jobtypes.base import OBJECT_ID, QUEUE_EXPORTS, DomainRow, JobType, merge_columns
from app.jobtypes.billing import BILLING_TABLES
from app.reports.data import Needs, ReportData

LEDGER_MONTHS = 12
TOP_CATEGORY_MONTHS = 3
TOP_CATEGORY_LIMIT = 10
BUDGET_MONTHS = 6
MODEL_RUN_DONE = "done"
BILLING_PREFIX = "export"
EXPORT_PRIORITY = 70

EXPORT_DOMAIN = DomainRow(
    table="exports",
    ref=(OBJECT_ID, "exportId"),
    reset_sql="export_domain_reset",
    fail_sql="export_domain_fail",
    show_sql="export_domain_show",
)
EXPORT_TABLES = merge_columns(
    BILLING_TABLES,
    {
        "orgs": ("id", "name", "currency"),
        "exports": (
            "id model_run_id org_id type s3_key status file_data meta_json updated_at"
        ).split(),
        "model_runs": ("id", "org_id", "run_type", "status", "summary_json"),
        "monte_carlo_jobs": ("id", "model_run_id", "org_id", "status", "percentiles_json"),
        "raw_transactions": ("org_id", "date", "amount", "category", "is_duplicate"),
        "budgets": ("org_id", "category", "month", "amount"),
    },
)


def export_job_type(name: str, summary: str) -> JobType:
    """The declaration every export type shares: queue, priority, domain row, tables."""
    return JobType(
        name=name,
        queue=QUEUE_EXPORTS,
        priority=EXPORT_PRIORITY,
        summary=summary,
        domain=EXPORT_DOMAIN,
        tables=EXPORT_TABLES,
    )


class ExportStatus(StrEnum):
    """``exports.status`` values (contract §1.1)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True)
class ExportRow:
    """The ``exports`` row an export job drives."""

    id: str
    org_id: str
    model_run_id: str | None
    type: str
    status: str
    meta_json: Mapping[str, Any] | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ExportRow:
        meta = row["meta_json"]
        return cls(
            id=row["id"],
            org_id=row["org_id"],
            model_run_id=row["model_run_id"],
            type=str(row["type"]),
            status=str(row["status"]),
            meta_json=meta if isinstance(meta, Mapping) else None,
        )

    def template(self, params: Mapping[str, Any]) -> str:
        """``meta_json.template`` → ``params.template`` → ``executive-summary`` (§5.3.1)."""
        for source in (self.meta_json or {}, params):
            value = source.get("template")
            if isinstance(value, str) and value.strip():
                return value
        # Imported here: the renderer (reportlab) is loaded only by processes that render.
        from app.reports.pdf import DEFAULT_TEMPLATE

        return DEFAULT_TEMPLATE


def lock_export(
    cur: psycopg2.extras.RealDictCursor, *, export_id: str, org_id: str | None
) -> ExportRow:
    """The export row, locked until the caller's transaction ends.

    Raises:
        NotFound: no such export in the job's org.
    """
    rows = execute(cur, "export_lock", {"export_id": export_id, "org_id": org_id})
    if not rows:
        raise NotFound(f"export {export_id} not found" + (f" in org {org_id}" if org_id else ""))
    return ExportRow.from_row(rows[0])


def mark_processing(cur: psycopg2.extras.RealDictCursor, export: ExportRow) -> None:
    """Claim-time transition ``queued|processing → processing`` (§4.8)."""
    execute(cur, "export_mark_processing", {"export_id": export.id, "org_id": export.org_id})


def load_report_data(
    cur: psycopg2.extras.RealDictCursor,
    export: ExportRow,
    params: Mapping[str, Any],
    needs: Needs,
) -> ReportData:
    """Everything the export shows, read in the caller's (read-only) transaction.

    Raises:
        NoResults: the run is not ``done`` or has no ``summary_json``.
        NotFound: the run or the org does not exist in the export's org.
        InvalidParams: the export names no model run.
    """
    run_ref = export.model_run_id or params.get("modelRunId")
    if run_ref is None:
        raise InvalidParams(f"export {export.id} names no model run")
    run_id = parse_uuid(run_ref, "modelRunId")
    org = {"org_id": export.org_id}
    runs = execute(cur, "export_model_run_get", {**org, "model_run_id": run_id})
    if not runs:
        raise NotFound(f"model run {run_id} not found in org {export.org_id}")
    run = runs[0]
    summary = run["summary_json"]
    if run["status"] != MODEL_RUN_DONE or not isinstance(summary, Mapping):
        raise NoResults(f"model run {run_id} has no results (status={run['status']})")
    orgs = execute(cur, "export_org_get", org)
    if not orgs:
        raise NotFound(f"org {export.org_id} not found")
    now, _ = db_now(cur)
    ledger: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    if needs.ledger:
        ledger = execute(cur, "export_ledger_monthly", {**org, "months": LEDGER_MONTHS})
        categories = execute(
            cur,
            "export_ledger_top_expense_categories",
            {**org, "months": TOP_CATEGORY_MONTHS, "limit": TOP_CATEGORY_LIMIT},
        )
    budget_rows: list[dict[str, Any]] = []
    budget_categories: list[dict[str, Any]] = []
    if needs.budgets:
        budget_rows = execute(cur, "export_budget_months", {**org, "months": BUDGET_MONTHS})
        budget_categories = execute(
            cur, "export_budget_categories", {**org, "months": BUDGET_MONTHS}
        )
    monte_carlo = None
    if needs.monte_carlo:
        found = execute(cur, "export_monte_carlo_latest", {**org, "model_run_id": run_id})
        if found and isinstance(found[0]["percentiles_json"], Mapping):
            monte_carlo = found[0]["percentiles_json"]
    return ReportData(
        org_name=str(orgs[0]["name"]),
        currency=str(orgs[0]["currency"] or "USD"),
        model_run_id=run_id,
        run_type=str(run["run_type"]),
        summary=summary,
        generated_on=now.astimezone(datetime.UTC).date(),
        generated_at=now.astimezone(datetime.UTC),
        ledger_monthly=ledger,
        top_expense_categories=categories,
        budget_rows=budget_rows,
        budget_categories=budget_categories,
        monte_carlo=monte_carlo,
    )


def complete_export(
    cur: psycopg2.extras.RealDictCursor,
    export: ExportRow,
    *,
    s3_key: str | None,
    file_data: bytes | None,
) -> bool:
    """Write ``completed`` with exactly one of ``s3_key`` / ``file_data`` (P23).

    Returns:
        False when the export is no longer ``queued``/``processing`` (the user cancelled it).
    """
    if (s3_key is None) == (file_data is None):
        raise ValueError("an export is stored either on S3 or in file_data, never both")
    rows = execute(
        cur,
        "export_complete",
        {
            "export_id": export.id,
            "org_id": export.org_id,
            "s3_key": s3_key,
            "file_data": psycopg2.Binary(file_data) if file_data is not None else None,
        },
    )
    return bool(rows)
