"""The console's statements and the plans PostgreSQL picks for them on a filled jobs table.

``plans(cur)`` EXPLAINs each statement the console's pages run, with the parameters a page
sends, and returns ``{name: plan}``; ``scans_of_jobs(plan)`` lists how each plan reads ``jobs``.
Used by ``bench/console.py`` (printed) and ``tests/console/test_plans.py`` (asserted).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from app.console.jobs_list import JobFilters
from app.db import jsonb
from app.jobtypes import QUEUES, REGISTRY
from app.sql import query

ENDED = ["completed", "dead_letter", "cancelled", "failed"]


def cases(cur: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{label: (block, params)}``: every statement of the console's pages."""
    cur.execute("SELECT id::text, org_id::text FROM jobs WHERE status = 'dead_letter' LIMIT 1")
    job_id, org_id = cur.fetchone()
    now = dt.datetime.now(dt.UTC)
    list_base = {**JobFilters().params(), "lo": None, "before_ts": None, "before_id": None,
                 "limit": 51}  # fmt: skip
    deep = {**list_base, "before_ts": now - dt.timedelta(days=20), "before_id": job_id}
    typed = {**list_base, "job_type": "model_run"}
    return {
        "overview: waiting and running": ("console_overview_active", {}),
        "overview: ended in 24 h, per minute": (
            "console_overview_ended",
            {
                "statuses": ENDED,
                "since": now - dt.timedelta(hours=24),
                "hour_ago": now - dt.timedelta(hours=1),
            },
        ),  # fmt: skip
        "overview: live workers": ("console_workers", {"presence_s": 15}),
        "overview: window": ("bridge_window", {"queues": list(QUEUES), "presence_s": 15}),
        "jobs: types present": ("console_job_types", {}),
        "jobs: newest, no filter": ("console_jobs_window", list_base),
        "jobs: page 20 days deep": ("console_jobs_window", deep),
        "jobs: dead letters": ("console_jobs_window", {**list_base, "statuses": ["dead_letter"]}),
        "jobs: model_run, a 15 min window": (
            "console_jobs_window",
            {**typed, "lo": now - dt.timedelta(minutes=15)},
        ),  # fmt: skip
        "jobs: window size": (
            "console_jobs_window_rows",
            {**list_base, "lo": now - dt.timedelta(minutes=15)},
        ),  # fmt: skip
        "jobs: oldest": ("console_jobs_oldest", list_base),
        "jobs: one org (narrow)": ("console_jobs_narrow", {**list_base, "org_id": org_id}),
        "jobs: dead monte_carlo (narrow)": (
            "console_jobs_narrow",
            {**list_base, "statuses": ["dead_letter"], "job_type": "monte_carlo"},
        ),
        "jobs: estimate": ("console_jobs_estimate", typed),
        "job: row and logs (ops_show)": (
            "ops_show",
            {"job_id": job_id, "domain_refs": jsonb(REGISTRY.domain_refs())},
        ),  # fmt: skip
        "dead letters: groups of 7 days": (
            "console_dead_groups",
            {"since": now - dt.timedelta(days=7)},
        ),  # fmt: skip
        "action: requeue (ops_retry)": ("ops_retry", {"job_ids": [job_id], "max_entries": 200}),
    }


def explain(cur: Any, block: str, params: dict[str, Any]) -> dict[str, Any]:
    """The plan of one named statement (EXPLAIN without ANALYZE: nothing runs or changes)."""
    statement = query(block)
    code = [line for line in statement.splitlines() if not line.lstrip().startswith("--")]
    if code and code[0].upper().startswith("EXPLAIN"):
        cur.execute(statement, params)
    else:
        cur.execute("EXPLAIN (FORMAT JSON) " + statement, params)
    row = cur.fetchone()
    value = row[0] if not isinstance(row, dict) else next(iter(row.values()))
    doc = json.loads(value) if isinstance(value, str) else value
    return doc[0]["Plan"]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def unbounded_index_scans(plan: dict[str, Any]) -> list[str]:
    """Index scans of ``jobs`` with no index condition and no LIMIT above them: they read the
    whole index (a scan under a LIMIT, as min() becomes, reads its first entries only)."""
    found = []

    def walk(node: dict[str, Any], limited: bool) -> None:
        limited = limited or node["Node Type"] == "Limit"
        if (
            node.get("Relation Name") == "jobs"
            and node["Node Type"] in ("Index Scan", "Index Only Scan")
            and not node.get("Index Cond")
            and not limited
        ):
            found.append(f"{node['Node Type']} {node.get('Index Name', '')}")
        for child in node.get("Plans", []):
            walk(child, limited and child.get("Parent Relationship") != "InitPlan")

    walk(plan, False)
    return found


def scans_of_jobs(plan: dict[str, Any]) -> list[str]:
    """How the plan reads ``jobs``: e.g. ``Index Scan jobs_status_priority_created_at_idx``."""
    found = []
    for node in nodes(plan):
        if node.get("Relation Name") != "jobs":
            continue
        if node["Node Type"] == "Bitmap Heap Scan":
            indexes = [
                n["Index Name"] for n in nodes(node) if n["Node Type"] == "Bitmap Index Scan"
            ]
            found.append(f"Bitmap Heap Scan {'+'.join(indexes)}")
        else:
            found.append(f"{node['Node Type']} {node.get('Index Name', '')}".strip())
    return found
