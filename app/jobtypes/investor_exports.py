"""The investor export family's database code (CONTRACT-2 §6): declarations and headcount.

``investor_export_pdf`` and ``investor_export_pptx`` follow the export flow of C§5.3 (the
export row, its model run, org-scoped, never placeholder zeros) with the export family's code
(:mod:`app.jobtypes.exports`); they add the role check (§0.3) and the org's headcount plans.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import psycopg2.extras

from app.db import execute
from app.jobtypes.access import ACCESS_TABLES, Role
from app.jobtypes.base import JobType, merge_columns
from app.jobtypes.exports import EXPORT_TABLES, export_job_type

INVESTOR_TABLES = merge_columns(
    EXPORT_TABLES,
    ACCESS_TABLES,
    {"headcount_plans": ("org_id", "department", "quantity", "status")},
)
#: ``exports.meta_json.reportType`` of the board route, whose callers need only be viewers.
BOARD_REPORT = "board-report"


def investor_job_type(name: str, summary: str) -> JobType:
    """The export family's declaration (queue, priority, domain row) with the investor tables."""
    return dataclasses.replace(export_job_type(name, summary), tables=INVESTOR_TABLES)


def required_role(meta_json: Mapping[str, Any] | None) -> Role:
    """Board reports need a viewer, investor exports a finance user (CONTRACT-2 §6.9)."""
    report_type = (meta_json or {}).get("reportType")
    return Role.VIEWER if report_type == BOARD_REPORT else Role.FINANCE


def load_headcount(cur: psycopg2.extras.RealDictCursor, org_id: str) -> list[dict[str, Any]]:
    """``[{department, status, quantity}]`` of the org's plans that are not cancelled."""
    return execute(cur, "investor_headcount", {"org_id": org_id})
