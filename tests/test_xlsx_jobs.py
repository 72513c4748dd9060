"""XLSX preview and import end to end: a job row inserted as the backend does → bridge → a real
``dramatiq`` worker → the preview entry / ``raw_transactions``, the batch, ``excel_syncs``, the
follow-up (CONTRACT-2 §5), with the workbook on the moto S3 server or in ``fileData``."""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from app.db import Database
from tests.conftest import wait_for
from tests.factories import (
    fetch_all,
    fetch_one,
    insert_import_batch,
    insert_user,
    insert_xlsx_batch,
    submit_csv_import,
    submit_xlsx_import,
    submit_xlsx_preview,
    xlsx_upload_key,
)
from tests.fixtures_s3 import s3_client, s3_process_env
from tests.imports.xlsx_builder import LEDGER_HEADER, LEDGER_ROWS, F, workbook_bytes

JOB_TYPES = "xlsx_preview,xlsx_import,csv_import"
FOLLOWUP = "auto_model_trigger"
#: LEDGER_ROWS: 7 non-blank rows, of which a formula without cached value and a missing amount.
VALID_ROWS, SKIPPED_ROWS = 5, 2


@pytest.fixture
def start(env: dict[str, str], spawn: Callable[..., Any]) -> Callable[..., None]:
    env["WORKER_JOB_TYPES"] = JOB_TYPES
    env["WORKER_FOLLOWUP_JOBS"] = FOLLOWUP

    def run(extra_env: dict[str, str] | None = None) -> None:
        spawn("worker", threads=2, extra_env=extra_env)
        spawn("bridge")

    return run


def _ledger_workbook() -> bytes:
    return workbook_bytes(
        {
            "Ledger": [["ACME ledger export"], [], LEDGER_HEADER, *LEDGER_ROWS],
            "Summary": [["Total", F("SUM(Ledger!B4:B11)+RAND()", 12.5)]],
        }
    )


def _put(s3_bucket: tuple[str, str], key: str, data: bytes) -> None:
    endpoint, bucket = s3_bucket
    s3_client(endpoint).put_object(Bucket=bucket, Key=key, Body=data)


def _logs(db: Database, job_id: str) -> list[dict[str, Any]]:
    return list(fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", job_id)["logs"])


def _success_meta(db: Database, job_id: str) -> dict[str, Any]:
    entries = [e for e in _logs(db, job_id) if e["msg"] == "Job completed successfully"]
    assert len(entries) == 1
    return dict(entries[0]["meta"])


def test_preview_from_s3_shows_sheets_headers_cached_formula_values_and_keeps_every_entry(
    db, make_org, start, s3_bucket
):
    org = make_org()
    user = insert_user(db, org, "finance")
    key = xlsx_upload_key(org)
    data = _ledger_workbook()
    _put(s3_bucket, key, data)
    job = submit_xlsx_preview(
        db, org, upload_key=key, fileHash=hashlib.sha256(data).hexdigest(), created_by=user
    )
    entries_before = _logs(db, job.id)
    start(s3_process_env(s3_bucket))
    assert job.wait(timeout=90).status == "completed", job.last_error

    logs = _logs(db, job.id)
    assert logs[: len(entries_before)] == entries_before  # nothing replaced or dropped
    previews = [e for e in logs if "preview" in e]
    assert len(previews) == 1 and previews[0]["msg"] == "XLSX preview completed"
    preview = previews[0]["preview"]
    assert preview["file_hash"] == hashlib.sha256(data).hexdigest()
    ledger, summary = preview["sheets"]
    assert (ledger["name"], ledger["header_row"], ledger["headers"]) == (
        "Ledger",
        3,
        LEDGER_HEADER,
    )
    assert ledger["total_rows"] == 7 and preview["total_rows"] == 7
    first = ledger["rows"][0]
    assert first == {
        "row_index": 4,
        "data": {
            "Date": "2024-03-15",
            "Amount": -4.5,
            "Description": "Coffee",
            "Category": "Meals",
        },
    }
    payroll = next(r for r in ledger["rows"] if r["row_index"] == 7)["data"]["Amount"]
    assert payroll["value"] == -9000 and payroll["is_formula"] is True
    assert payroll["formula"] == "=-SUM(9000)" and payroll["cell_ref"] == "Ledger!B7"
    assert payroll["formula_hash"] == hashlib.sha256(b"=-SUM(9000)").hexdigest()[:16]
    uncalculated = next(r for r in ledger["rows"] if r["row_index"] == 8)["data"]["Amount"]
    assert uncalculated["value"] is None and uncalculated["missingCachedValue"] is True
    assert summary["formulas"][0]["references"] == {
        "external_references": [],
        "sheet_references": ["Ledger"],
        "volatile": True,
    }
    assert (preview["formulas_detected"], preview["volatile_formulas"]) == (3, 1)
    assert previews[0]["meta"] == {
        "sheets": 2,
        "totalRows": 7,
        "formulasDetected": 3,
        "volatileFormulas": 1,
        "previewRowsPerSheet": 100,
    }
    # The preview writes no domain table.
    assert fetch_one(db, "SELECT count(*) AS n FROM raw_transactions")["n"] == 0


def test_preview_without_s3_reads_file_data_and_without_it_fails_with_the_settled_message(
    db, make_org, start
):
    org = make_org()
    data = _ledger_workbook()
    with_data = submit_xlsx_preview(
        db, org, upload_key=xlsx_upload_key(org), file_data=base64.b64encode(data).decode()
    )
    without = submit_xlsx_preview(db, org, upload_key=xlsx_upload_key(org))
    start()
    assert with_data.wait(timeout=90).status == "completed", with_data.last_error
    assert without.wait(timeout=60).status == "dead_letter"
    assert without.attempts == 1
    assert without.last_error == (
        "InvalidParams: the workbook is not reachable: S3 is off and the job carries no fileData"
    )


def test_import_from_s3_counts_exactly_records_the_sync_and_queues_one_trigger(
    db, make_org, start, s3_bucket
):
    org = make_org()
    key = xlsx_upload_key(org)
    data = _ledger_workbook()
    _put(s3_bucket, key, data)
    batch = insert_xlsx_batch(db, org, key)
    job = submit_xlsx_import(db, org, upload_key=key, batch_id=batch)
    start(s3_process_env(s3_bucket))
    assert job.wait(timeout=90).status == "completed", job.last_error

    rows = fetch_all(
        db,
        "SELECT date::text AS date, amount::float8 AS amount, category, description, raw_payload,"
        " import_batch_id::text AS batch FROM raw_transactions WHERE org_id = %s"
        " ORDER BY date, description, source_id",
        org,
    )
    assert [(r["date"], r["amount"], r["description"]) for r in rows] == [
        ("2024-03-15", -4.5, "Coffee"),
        ("2024-03-15", -4.5, "Coffee"),  # same-day twins both import (occurrence index)
        ("2024-03-16", 1250.0, "Customer payment"),
        ("2024-03-17", -9000.0, "Payroll March"),  # the formula's cached value
        ("2024-03-20", 1200.5, "Text amount"),  # text amounts follow the CSV rules
    ]
    assert {r["batch"] for r in rows} == {batch}
    text_amount = next(r for r in rows if r["description"] == "Text amount")
    assert text_amount["category"] == "Uncategorized"
    payroll = next(r for r in rows if r["description"] == "Payroll March")["raw_payload"]
    assert payroll["_sheet"] == "Ledger" and payroll["_row"] == 7
    assert payroll["_formulas"]["Amount"]["cell_ref"] == "Ledger!B7"

    state = fetch_one(db, "SELECT status, stats_json FROM data_import_batches WHERE id = %s", batch)
    stats = state["stats_json"]
    assert state["status"] == "completed"
    assert (stats["rowsImported"], stats["rowsSkipped"], stats["rowsDuplicate"]) == (
        VALID_ROWS,
        SKIPPED_ROWS,
        0,
    )
    assert stats["rowsTotal"] == VALID_ROWS + SKIPPED_ROWS
    assert stats["transactionsCreated"] == VALID_ROWS
    assert stats["errors"] == [
        "Row 5 (Ledger!B8): formula without cached value",
        "Row 7 (Ledger!B10): missing amount",
    ]
    assert stats["sheets"] == ["Ledger"] and stats["formulasDetected"] == 2
    assert stats["completedAt"].endswith("Z")

    meta = _success_meta(db, job.id)
    assert meta["rows_imported"] == meta["rowsImported"] == meta["transactions_created"] == 5
    assert meta["rows_skipped"] == meta["rowsSkipped"] == SKIPPED_ROWS

    syncs = fetch_all(db, "SELECT * FROM excel_syncs WHERE org_id = %s", org)
    assert len(syncs) == 1
    sync = syncs[0]
    assert sync["status"] == "completed" and sync["last_synced_at"] is not None
    assert sync["file_hash"] == hashlib.sha256(data).hexdigest() and sync["file_name"] is None
    assert sync["metadata"]["transactions_created"] == VALID_ROWS
    assert sync["metadata"]["formula_mappings"][
        hashlib.sha256(b"=-SUM(9000)").hexdigest()[:16]
    ] == {"formula": "=-SUM(9000)", "cell_refs": ["Ledger!B7"], "cells": 1}

    triggers = fetch_all(
        db,
        "SELECT object_id::text AS object_id, priority, queue, idempotency_key, logs FROM jobs"
        " WHERE job_type = %s",
        FOLLOWUP,
    )
    assert len(triggers) == 1
    trigger = triggers[0]
    assert (trigger["object_id"], trigger["priority"], trigger["queue"]) == (job.id, 50, "default")
    assert trigger["idempotency_key"] == f"auto_model_trigger:xlsx_import:{job.id}"
    assert trigger["logs"][1]["meta"]["params"] == {
        "triggerType": "xlsx_import",
        "triggerSource": job.id,
        "rowsImported": VALID_ROWS,
    }

    # The same file again: nothing new, the sync row is updated, not duplicated.
    second_batch = insert_xlsx_batch(db, org, key)
    again = submit_xlsx_import(db, org, upload_key=key, batch_id=second_batch)
    assert again.wait(timeout=90).status == "completed", again.last_error
    second = fetch_one(db, "SELECT stats_json FROM data_import_batches WHERE id = %s", second_batch)
    assert second["stats_json"]["rowsImported"] == 0
    assert second["stats_json"]["rowsDuplicate"] == VALID_ROWS
    assert fetch_one(db, "SELECT count(*) AS n FROM raw_transactions")["n"] == VALID_ROWS
    assert fetch_one(db, "SELECT count(*) AS n FROM excel_syncs")["n"] == 1


def test_an_xlsx_row_and_a_csv_row_of_the_same_transaction_deduplicate(db, make_org, start):
    org = make_org()
    csv_text = (
        "Date,Amount,Description,Category\r\n2024-03-15,-4.50,Coffee,Meals\r\n"
        "2024-03-16,1250,Customer payment,Sales\r\n"
    )
    csv_job = submit_csv_import(
        db,
        org,
        batch_id=insert_import_batch(db, org),
        file_id="11111111-1111-4111-8111-111111111111",
        file_data=base64.b64encode(csv_text.encode()).decode(),
    )
    workbook = workbook_bytes(
        {
            "Sheet1": [
                LEDGER_HEADER,
                [datetime.date(2024, 3, 15), -4.5, "Coffee", "Meals"],
                [datetime.date(2024, 3, 16), 1250, "Customer payment", "Sales"],
                [datetime.date(2024, 3, 17), -80, "Train", "Travel"],
            ]
        }
    )
    key = xlsx_upload_key(org)
    batch = insert_xlsx_batch(db, org, key)
    start()
    assert csv_job.wait(timeout=60).status == "completed", csv_job.last_error
    xlsx_job = submit_xlsx_import(
        db,
        org,
        upload_key=key,
        batch_id=batch,
        file_data=base64.b64encode(workbook).decode(),
    )
    assert xlsx_job.wait(timeout=90).status == "completed", xlsx_job.last_error
    stats = fetch_one(db, "SELECT stats_json FROM data_import_batches WHERE id = %s", batch)[
        "stats_json"
    ]
    assert (stats["rowsImported"], stats["rowsDuplicate"]) == (1, 2)


def test_every_row_of_a_large_sheet_imports_and_serial_dates_use_the_1904_system(
    db, make_org, start
):
    org = make_org()
    rows: list[list[Any]] = [["Date", "Amount", "Memo"]]
    # 2,500 rows (the legacy cap was 1,000 per sheet); dates as plain serial numbers.
    rows += [[40_000 + n % 300, -(n + 1), f"Invoice {n}"] for n in range(2_500)]
    workbook = workbook_bytes({"Data": rows}, date1904=True)
    key = xlsx_upload_key(org)
    batch = insert_xlsx_batch(db, org, key)
    mapping = {"columnMappings": {"d": {"csvColumn": "date", "targetField": "date"},
                                  "a": {"csvColumn": "AMOUNT", "targetField": "amount"},
                                  "description": {"csvColumn": "Memo"}}}  # fmt: skip
    job = submit_xlsx_import(
        db,
        org,
        upload_key=key,
        batch_id=batch,
        mapping_json=mapping,
        file_data=base64.b64encode(workbook).decode(),
    )
    start()
    assert job.wait(timeout=120).status == "completed", job.last_error
    stats = fetch_one(db, "SELECT stats_json FROM data_import_batches WHERE id = %s", batch)[
        "stats_json"
    ]
    assert stats["rowsImported"] == 2_500 and stats["rowsSkipped"] == 0
    assert any("serial dates" in w for w in stats["warnings"])
    first = fetch_one(
        db, "SELECT date::text AS date FROM raw_transactions WHERE description = 'Invoice 0'"
    )
    # Serial 40000 in the 1904 system is 2013-07-07 (in the 1900 system it would be 2009-07-06).
    assert first["date"] == "2013-07-07"


def test_a_cancelled_import_leaves_no_rows_and_fails_its_batch(db, make_org, start):
    org = make_org()
    rows: list[list[Any]] = [["Date", "Amount"]]
    rows += [
        [datetime.date(2024, 1, 1) + datetime.timedelta(days=n % 365), -n] for n in range(30_000)
    ]
    key = xlsx_upload_key(org)
    batch = insert_xlsx_batch(db, org, key)
    job = submit_xlsx_import(
        db,
        org,
        upload_key=key,
        batch_id=batch,
        mapping_json={
            "columnMappings": {"date": {"csvColumn": "Date"}, "amount": {"csvColumn": "Amount"}}
        },
        file_data=base64.b64encode(workbook_bytes({"S": rows})).decode(),
    )
    start()
    wait_for(lambda: job.refresh().status == "running", timeout=60)
    job.cancel()
    assert job.wait(timeout=90).status == "cancelled"
    assert fetch_one(db, "SELECT count(*) AS n FROM raw_transactions")["n"] == 0
    state = fetch_one(db, "SELECT status, stats_json FROM data_import_batches WHERE id = %s", batch)
    assert state["status"] == "failed" and state["stats_json"]["rowsImported"] == 0
    assert fetch_one(db, "SELECT count(*) AS n FROM excel_syncs")["n"] == 0
