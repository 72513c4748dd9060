"""The automation chain in the demo: a CSV import → its ``auto_model_trigger`` → the model's
baseline run → the run's ``alert_check`` → a notification, each job inserted by the one before.

A second org with no model: the trigger creates its default model (no invented numbers: the
cash comes with the import, revenue and expenses from the ledger), and one of its two alert
rules fires. The table shows each step's wait, run time and the moment it was done, counted
from the CSV import's insertion.
"""

from __future__ import annotations

import base64
from typing import Any

from app.client import JobHandle, submit
from app.db import Database, execute
from app.devtools import DEVTOOLS_SQL

CHAIN_ORG = "Demo Chain Co"
CHAIN_CASH = 180_000
#: A quarter of a small business that burns cash.
CHAIN_CSV = "Date,Description,Amount,Category\r\n" + "".join(
    f"2025-{m:02d}-05,Stripe payout,{18_000 + 500 * m}.00,Revenue\r\n"
    f"2025-{m:02d}-25,Payroll,-26000.00,Payroll\r\n"
    f"2025-{m:02d}-26,AWS,(2500.00),Hosting\r\n"
    for m in (1, 2, 3)
)
#: (name, metric, operator, threshold, severity): the first fires, the second does not.
CHAIN_RULES = (
    ("Runway under four years", "runway_months", "<", 48, "critical"),
    ("Cash below zero", "cash_balance", "<", 0, "warning"),
)
CHAIN_META = (
    "rowsImported",
    "runsCreated",
    "defaultModelCreated",
    "startMonth",
    "months",
    "rulesChecked",
    "rulesTriggered",
    "notificationsCreated",
)


def import_params(csv: str, batch: str, **extra: Any) -> dict[str, Any]:
    """A ``csv_import`` job's parameters as the backend's import route sets them (no S3)."""
    return {
        "importBatchId": batch,
        "fileData": base64.b64encode(csv.encode()).decode(),
        "mappings": {
            "date": "Date",
            "amount": "Amount",
            "description": "Description",
            "category": "Category",
        },
        "dateFormat": "YYYY-MM-DD",
        "currency": "USD",
        **extra,
    }


def seed_chain(db: Database) -> tuple[str, JobHandle]:
    """The chain's org, its rules and its CSV import job (as the backend inserts them)."""

    def one(cur: Any, block: str, **values: Any) -> str:
        return str(execute(cur, block, values, sql=DEVTOOLS_SQL)[0]["id"])

    with db.transaction() as cur:
        org = one(cur, "demo_org_insert", name=CHAIN_ORG, currency="USD")
        for name, metric, operator, threshold, severity in CHAIN_RULES:
            one(
                cur,
                "demo_rule_insert",
                org_id=org,
                name=name,
                metric=metric,
                operator=operator,
                threshold=threshold,
                severity=severity,
            )
        batch = one(cur, "demo_batch_insert", org_id=org)
    params = import_params(CHAIN_CSV, batch, initialCash=CHAIN_CASH)
    return org, submit(db, "csv_import", params, org_id=org, object_id=batch)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def chain_table(db: Database, org: str, first_job: str) -> str:
    """Each step of the chain, then the notifications it ended in."""
    keys = {"org_id": org, "first_job": first_job}
    with db.transaction() as cur:
        steps = execute(cur, "demo_chain_steps", keys, sql=DEVTOOLS_SQL)
        notes = execute(cur, "demo_chain_notifications", keys, sql=DEVTOOLS_SQL)
    lines = [
        f"▶ the automation chain ({CHAIN_ORG}): seconds since the CSV import was inserted",
        f"{'step':<19} {'status':<11} {'waited':>7} {'ran':>7} {'done at':>8}  result",
        "-" * 96,
    ]
    for step in steps:
        meta = (step["last_entry"] or {}).get("meta", {}) if step["status"] == "completed" else {}
        shown = ", ".join(f"{k}={meta[k]}" for k in CHAIN_META if meta.get(k) is not None)
        lines.append(
            f"{step['job_type']:<19} {step['status']:<11} {_seconds(step['waited']):>7} "
            f"{_seconds(step['ran']):>7} {_seconds(step['done_at']):>8}  "
            f"{(shown or step['last_error'] or '')[:60]}"
        )
    for note in notes:
        lines.append(
            f"{'notification':<19} {'created':<11} {'':>7} {'':>7} {_seconds(note['done_at']):>8}  "
            f"{note['title']}: {note['message']}"[:150]
        )
    return "\n".join(lines)
