"""``provenance_export``: its declaration and database code (CONTRACT-2 §7.7).

Reads only, all scoped to the job's org: the run, its provenance entries, the transactions and
prompts they cite. The package goes to S3 (no database column holds it); the job writes no
domain row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import psycopg2.extras

from app.db import execute
from app.errors import NotFound
from app.job import ClaimedJob
from app.jobtypes.access import ACCESS_TABLES, Role, require_role
from app.jobtypes.base import QUEUE_EXPORTS, JobType, merge_columns

JOB_TYPE = JobType(
    name="provenance_export",
    queue=QUEUE_EXPORTS,
    priority=60,
    summary="the provenance package of a model run (cells, sources, transactions, prompts) on S3",
    tables=merge_columns(
        ACCESS_TABLES,
        {
            "model_runs": ("id", "org_id"),
            "provenance_entries": (
                "id model_run_id org_id cell_key source_type source_ref prompt_id "
                "confidence_score created_at"
            ).split(),
            "prompts": (
                "id org_id prompt_template rendered_prompt response_text provider model_used "
                "tokens_used created_at"
            ).split(),
            "raw_transactions": (
                "id org_id date amount currency category description source_id".split()
            ),
        },
    ),
)


def check_access(
    cur: psycopg2.extras.RealDictCursor, job: ClaimedJob, params: Mapping[str, Any]
) -> None:
    """Finance or admin of the org: the job's creator, else ``params.requestedBy`` (the backend
    passes the caller there); a job naming neither is a system job (§0.3)."""
    requester = job.created_by_user_id
    if requester is None:
        raw = params.get("requestedBy")
        requester = str(raw)[:64] if raw not in (None, "") else None
    require_role(cur, dataclasses.replace(job, created_by_user_id=requester), Role.FINANCE)


def load_run(cur: psycopg2.extras.RealDictCursor, run_id: str, org_id: str | None) -> str:
    """The run's org (the job's, when it has one).

    Raises:
        NotFound: no such run in the org.
    """
    rows = execute(cur, "provenance_run_get", {"model_run_id": run_id, "org_id": org_id})
    if not rows:
        where = f" in org {org_id}" if org_id else ""
        raise NotFound(f"model run {run_id} not found{where}")
    return str(rows[0]["org_id"])


def load_entries(
    cur: psycopg2.extras.RealDictCursor, run_id: str, org_id: str
) -> list[dict[str, Any]]:
    return execute(cur, "provenance_entries_list", {"model_run_id": run_id, "org_id": org_id})


def load_transactions(
    cur: psycopg2.extras.RealDictCursor, ids: list[str], org_id: str
) -> list[dict[str, Any]]:
    return execute(cur, "provenance_transactions_list", {"ids": ids, "org_id": org_id})


def load_prompts(
    cur: psycopg2.extras.RealDictCursor, ids: list[str], org_id: str
) -> list[dict[str, Any]]:
    return execute(cur, "provenance_prompts_list", {"ids": ids, "org_id": org_id})
