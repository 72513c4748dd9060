"""CSV import jobs end to end: a job row inserted as the backend does → bridge → a real
``dramatiq`` worker → ``raw_transactions``, the batch's ``stats_json``, the follow-up job and the
job's outcome (contract §5.4, §4.9)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from app.db import Database
from tests.conftest import wait_for
from tests.factories import insert_import_batch, submit_csv_import
from tests.fixtures_s3 import s3_client, s3_process_env

JOB_TYPES_UNDER_TEST = "export_pdf,export_pptx,export_csv,csv_import"
FOLLOWUP = "auto_model_trigger"
#: Two identical coffees on the same day, a refund, payroll, a bad date, a missing amount, a
#: blank line (counted nowhere) and a row whose category falls back to the default.
LEDGER = (
    "Date,Amount,Description,Category\r\n"
    "2024-03-15,-4.50,Coffee,Meals\r\n"
    "2024-03-15,-4.50,Coffee,Meals\r\n"
    '2024-03-16,"1,250.00",Customer payment,Sales\r\n'
    "2024-03-17,(9000.00),Payroll March,Payroll\r\n"
    "2024-02-30,-10.00,Impossible day,Meals\r\n"
    "2024-03-18,,No amount,Meals\r\n"
    ",,,\r\n"
    "2024-03-19,-20.00,Taxi,\r\n"
)
VALID_ROWS, SKIPPED_ROWS = 5, 2


@pytest.fixture
def start(env: dict[str, str], spawn: Callable[..., Any]) -> Callable[..., None]:
    """Start a worker that claims the job types under test, and a bridge."""
    env["WORKER_JOB_TYPES"] = JOB_TYPES_UNDER_TEST
    env["WORKER_FOLLOWUP_JOBS"] = FOLLOWUP

    def run(extra_env: dict[str, str] | None = None) -> None:
        spawn("worker", threads=2, extra_env=extra_env)
        spawn("bridge")

    return run


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _batch(db: Database, batch_id: str) -> dict[str, Any]:
    with db.transaction() as cur:
        cur.execute("SELECT status, stats_json FROM data_import_batches WHERE id = %s", (batch_id,))
        return dict(cur.fetchone())


def _transactions(db: Database, org_id: str) -> list[dict[str, Any]]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT source_id, date::text AS date, amount::float8 AS amount, currency, category,"
            " description, raw_payload, import_batch_id::text AS batch, is_duplicate"
            " FROM raw_transactions WHERE org_id = %s ORDER BY date, description, source_id",
            (org_id,),
        )
        return [dict(r) for r in cur.fetchall()]


def _followups(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT job_type, org_id::text AS org_id, object_id::text AS object_id, status,"
            " priority, queue, max_attempts, idempotency_key, logs FROM jobs"
            " WHERE job_type = %s ORDER BY created_at",
            (FOLLOWUP,),
        )
        return [dict(r) for r in cur.fetchall()]


def _success_meta(db: Database, job_id: str) -> dict[str, Any]:
    with db.transaction() as cur:
        cur.execute("SELECT logs FROM jobs WHERE id = %s", (job_id,))
        logs = cur.fetchone()["logs"]
    entries = [e for e in logs if e["msg"] == "Job completed successfully"]
    assert len(entries) == 1
    return dict(entries[0]["meta"])


def _fingerprint(
    org: str, date: str, amount: float, description: str, category: str, k: int = 0
) -> str:
    base = f"{org}|{date}|{amount}|{description}|{category}" + (f"|{k}" if k else "")
    return hashlib.sha256(base.encode()).hexdigest()


def test_base64_import_counts_exactly_keeps_same_day_twins_and_queues_one_followup(
    db, make_org, start
):
    org = make_org()
    batch = insert_import_batch(db, org)
    file_id = str(uuid.uuid4())
    job = submit_csv_import(
        db,
        org,
        batch_id=batch,
        file_id=file_id,
        file_data=b64(LEDGER),
        initialCash="250000",
        initialCustomers=42,
        defaultCategory="Misc",
    )
    start()
    assert job.wait(timeout=60).status == "completed", job.last_error

    rows = _transactions(db, org)
    assert len(rows) == VALID_ROWS
    assert {r["batch"] for r in rows} == {batch}
    assert not any(r["is_duplicate"] for r in rows)
    coffees = [r for r in rows if r["description"] == "Coffee"]
    assert [c["amount"] for c in coffees] == [-4.5, -4.5]  # identical twins both import (P25b)
    assert sorted(c["source_id"] for c in coffees) == sorted(
        [
            _fingerprint(org, "2024-03-15", -4.5, "Coffee", "Meals"),
            _fingerprint(org, "2024-03-15", -4.5, "Coffee", "Meals", 1),
        ]
    )
    by_description = {r["description"]: r for r in rows}
    assert by_description["Customer payment"]["amount"] == 1250.0
    assert by_description["Payroll March"]["amount"] == -9000.0
    assert by_description["Taxi"]["category"] == "Misc"
    assert by_description["Taxi"]["raw_payload"] == {
        "Date": "2024-03-19",
        "Amount": "-20.00",
        "Description": "Taxi",
        "Category": "",
    }
    assert {r["currency"] for r in rows} == {"USD"}

    state = _batch(db, batch)
    stats = state["stats_json"]
    assert state["status"] == "completed"
    assert (stats["rowsImported"], stats["rowsDuplicate"], stats["rowsSkipped"]) == (
        VALID_ROWS,
        0,
        SKIPPED_ROWS,
    )
    assert (
        stats["rowsTotal"]
        == stats["rowsImported"] + stats["rowsDuplicate"] + stats["rowsSkipped"]
        == VALID_ROWS + SKIPPED_ROWS
    )
    assert stats["errors"] == ["Row 5: invalid date '2024-02-30'", "Row 6: missing amount"]
    assert stats["warnings"] == [] and stats["dateOrder"] == "YMD"
    assert stats["completedAt"].endswith("Z")

    meta = _success_meta(db, job.id)
    assert meta["rows_imported"] == meta["rowsImported"] == VALID_ROWS
    assert meta["rows_skipped"] == meta["rowsSkipped"] == SKIPPED_ROWS
    assert meta["rows_duplicate"] == 0
    assert meta["status"] == "completed" and meta["progress"] == 100
    assert meta["errors"] == stats["errors"]

    followups = _followups(db)
    assert len(followups) == 1
    followup = followups[0]
    assert (followup["org_id"], followup["object_id"], followup["status"]) == (
        org,
        job.id,
        "queued",
    )
    assert (followup["priority"], followup["queue"], followup["max_attempts"]) == (45, "default", 5)
    assert followup["idempotency_key"] == f"auto_model_trigger:csv_import:{job.id}"
    assert [e["msg"] for e in followup["logs"]] == ["Job created", "Job parameters set"]
    assert followup["logs"][1]["meta"]["params"] == {
        "triggerType": "csv_import",
        "triggerSource": job.id,
        "rowsImported": VALID_ROWS,
        "cashOnHand": 250000.0,
        "startingCustomers": 42,
    }


def test_reimporting_the_same_file_imports_nothing_new_and_counts_duplicates(db, make_org, start):
    org = make_org()
    first_batch, second_batch = insert_import_batch(db, org), insert_import_batch(db, org)
    first = submit_csv_import(
        db, org, batch_id=first_batch, file_id=str(uuid.uuid4()), file_data=b64(LEDGER)
    )
    start()
    assert first.wait(timeout=60).status == "completed", first.last_error
    before = _transactions(db, org)
    second = submit_csv_import(
        db, org, batch_id=second_batch, file_id=str(uuid.uuid4()), file_data=b64(LEDGER)
    )
    assert second.wait(timeout=60).status == "completed", second.last_error
    assert _transactions(db, org) == before
    stats = _batch(db, second_batch)["stats_json"]
    assert (stats["rowsImported"], stats["rowsDuplicate"], stats["rowsSkipped"]) == (
        0,
        VALID_ROWS,
        SKIPPED_ROWS,
    )
    assert stats["rowsTotal"] == VALID_ROWS + SKIPPED_ROWS
    assert _success_meta(db, second.id)["rows_imported"] == 0
    # The org already has transactions, so the second import still triggers a model refresh.
    followups = _followups(db)
    assert [f["object_id"] for f in followups] == [first.id, second.id]
    assert followups[1]["logs"][1]["meta"]["params"]["rowsImported"] == 0


def test_import_streams_the_upload_named_by_s3_key(db, make_org, start, s3_bucket):
    endpoint, bucket = s3_bucket
    org = make_org()
    batch = insert_import_batch(db, org)
    file_id = str(uuid.uuid4())
    key = f"uploads/{org}/{file_id}.csv"
    text = LEDGER.replace("Coffee", "Tea") + "15/01/2024,99.99,Late entry,Sales\r\n"
    s3_client(endpoint).put_object(Bucket=bucket, Key=key, Body=text.encode())
    job = submit_csv_import(db, org, batch_id=batch, file_id=file_id, s3_key=key)
    start(s3_process_env((endpoint, bucket)))
    assert job.wait(timeout=60).status == "completed", job.last_error
    stats = _batch(db, batch)["stats_json"]
    assert stats["rowsImported"] == VALID_ROWS + 1
    assert stats["rowsTotal"] == VALID_ROWS + 1 + SKIPPED_ROWS
    assert stats["dateOrder"] == "DMY"  # 15/01/2024 fixes the order of the A/B/C dates
    descriptions = [r["description"] for r in _transactions(db, org)]
    assert descriptions.count("Tea") == 2 and "Late entry" in descriptions


def test_a_file_that_does_not_match_its_mapping_dead_letters_and_leaves_no_rows(
    db, make_org, start
):
    org = make_org()
    batch = insert_import_batch(db, org)
    job = submit_csv_import(
        db,
        org,
        batch_id=batch,
        file_id=str(uuid.uuid4()),
        file_data=b64(LEDGER),
        mappings={"date": "Date", "amount": "Value"},
    )
    start()
    job.wait(timeout=60)
    assert job.status == "dead_letter" and job.attempts == 1
    assert job.last_error.startswith(
        "InvalidFile: column 'Value' mapped to required field 'amount' is not in the CSV header"
    )
    state = _batch(db, batch)
    assert state["status"] == "failed"
    assert state["stats_json"]["error"] == job.last_error
    assert state["stats_json"]["rowsImported"] == 0
    assert state["stats_json"]["failedAt"].endswith("Z")
    assert _transactions(db, org) == []
    assert _followups(db) == []


def test_an_upload_that_is_nowhere_dead_letters_with_upload_missing(db, make_org, start):
    org = make_org()
    batch = insert_import_batch(db, org)
    file_id = str(uuid.uuid4())
    job = submit_csv_import(db, org, batch_id=batch, file_id=file_id)
    start()
    job.wait(timeout=60)
    assert job.status == "dead_letter"
    assert job.last_error == (
        "UploadMissing: the upload (params.uploadKey) not found (without S3 the backend keeps "
        "uploads in memory only; re-upload the file)"
    )
    assert file_id not in job.last_error  # the key is the user's input: never echoed
    assert _batch(db, batch)["status"] == "failed"


def test_cancel_during_a_large_import_rolls_back_every_row_and_fails_the_batch(db, make_org, start):
    org = make_org()
    batch = insert_import_batch(db, org)
    lines = ["Date,Amount,Description,Category"]
    lines += [
        f"{1 + i % 12:02d}/{1 + i % 28:02d}/2024,-{i % 997}.{i % 100:02d},Item {i},Cat{i % 9}"
        for i in range(300_000)
    ]
    job = submit_csv_import(
        db,
        org,
        batch_id=batch,
        file_id=str(uuid.uuid4()),
        file_data=b64("\r\n".join(lines) + "\r\n"),
        dateFormat="MM/DD/YYYY",
        decimalSeparator=".",  # both conventions given: one pass, inserting as it reads
    )
    start()

    def inserting() -> bool:
        with db.transaction() as cur:  # uncommitted rows already take space in the heap
            cur.execute("SELECT pg_relation_size('raw_transactions') AS heap_bytes")
            return job.refresh().status == "running" and cur.fetchone()["heap_bytes"] > 0

    wait_for(inserting, timeout=60, interval=0.05)
    assert job.cancel() == "running"
    job.wait(timeout=60)
    assert job.status == "cancelled"
    with db.transaction() as cur:
        cur.execute(
            "SELECT count(*) AS n, pg_relation_size('raw_transactions') AS heap_bytes"
            " FROM raw_transactions"
        )
        table = cur.fetchone()
    assert table["n"] == 0
    assert table["heap_bytes"] > 0  # rows were written, then rolled back with the attempt
    state = _batch(db, batch)
    assert state["status"] == "failed"
    assert state["stats_json"]["rowsImported"] == 0
    assert state["stats_json"]["error"].startswith("Cancelled")
    assert _followups(db) == []


def test_deleted_batch_cancels_and_completed_batch_is_a_noop(db, make_org, start):
    org = make_org()
    deleted, completed = (
        insert_import_batch(db, org, status="deleted"),
        insert_import_batch(db, org, status="completed"),
    )
    on_deleted = submit_csv_import(
        db, org, batch_id=deleted, file_id=str(uuid.uuid4()), file_data=b64(LEDGER)
    )
    on_completed = submit_csv_import(
        db, org, batch_id=completed, file_id=str(uuid.uuid4()), file_data=b64(LEDGER)
    )
    start()
    assert on_deleted.wait(timeout=60).status == "cancelled"
    assert on_completed.wait(timeout=60).status == "completed"
    assert _success_meta(db, on_completed.id) == {
        "noop": True,
        "reason": "import batch already completed",
    }
    assert _batch(db, deleted)["status"] == "deleted"
    assert _batch(db, completed) == {"status": "completed", "stats_json": None}
    assert _transactions(db, org) == []
    assert _followups(db) == []


def test_import_with_no_valid_rows_into_an_empty_org_queues_no_followup(db, make_org, start):
    org = make_org()
    batch = insert_import_batch(db, org)
    job = submit_csv_import(
        db,
        org,
        batch_id=batch,
        file_id=str(uuid.uuid4()),
        file_data=b64("Date,Amount,Description,Category\r\nsoon,1,x,y\r\n"),
    )
    start()
    assert job.wait(timeout=60).status == "completed", job.last_error
    stats = _batch(db, batch)["stats_json"]
    assert (stats["rowsTotal"], stats["rowsImported"], stats["rowsSkipped"]) == (1, 0, 1)
    assert _followups(db) == []


def test_import_without_a_batch_inserts_rows_with_no_batch_and_reports_in_the_log(
    db, make_org, start
):
    org = make_org()
    job = submit_csv_import(
        db, org, batch_id=None, file_id=str(uuid.uuid4()), file_data=b64(LEDGER)
    )
    start()
    assert job.wait(timeout=60).status == "completed", job.last_error
    rows = _transactions(db, org)
    assert len(rows) == VALID_ROWS
    assert {r["batch"] for r in rows} == {None}
    meta = _success_meta(db, job.id)
    assert (meta["rowsImported"], meta["rowsSkipped"], meta["rowsTotal"]) == (
        VALID_ROWS,
        SKIPPED_ROWS,
        VALID_ROWS + SKIPPED_ROWS,
    )


#: Issue 9's reproduction: a ;-delimited EUR file with DD.MM.YYYY dates and decimal commas.
EUR_LEDGER = (
    "Datum;Betrag;Beschreibung;Kategorie\r\n"
    "03.01.2024;-1.234,56;Miete;Rent\r\n"
    "05.01.2024;-12,50;Kaffee;Meals\r\n"
    "31.01.2024;10.000,00;Kunde;Sales\r\n"
    "01.02.2024;1,234,56;Tippfehler;Meals\r\n"
)
EUR_MAPPINGS = {
    "date": "Datum",
    "amount": "Betrag",
    "description": "Beschreibung",
    "category": "Kategorie",
}


def test_a_decimal_comma_file_stores_its_amounts_exactly_and_the_result_names_the_convention(
    db, make_org, start
):
    org = make_org(currency="EUR")
    batch = insert_import_batch(db, org)
    job = submit_csv_import(
        db,
        org,
        batch_id=batch,
        file_id=str(uuid.uuid4()),
        file_data=b64(EUR_LEDGER),
        mappings=EUR_MAPPINGS,
        dateFormat="DD.MM.YYYY",
        currency="EUR",
    )
    start()
    assert job.wait(timeout=60).status == "completed", job.last_error
    rows = _transactions(db, org)
    assert {r["description"]: (r["date"], r["amount"]) for r in rows} == {
        "Miete": ("2024-01-03", -1234.56),
        "Kaffee": ("2024-01-05", -12.5),
        "Kunde": ("2024-01-31", 10000.0),
    }
    assert {r["currency"] for r in rows} == {"EUR"}
    stats = _batch(db, batch)["stats_json"]
    assert stats["errors"] == ["Row 4: invalid amount '1,234,56'"]
    assert (stats["decimalSeparator"], stats["thousandsSeparator"]) == (",", ".")
    assert stats["decimalSeparatorSource"] == "inferred"
    meta = _success_meta(db, job.id)
    assert (meta["decimalSeparator"], meta["decimalSeparatorSource"]) == (",", "inferred")
    assert meta["rows_imported"] == 3 and meta["rows_skipped"] == 1


def test_an_ambiguous_amount_file_dead_letters_at_once_naming_a_row_and_both_readings(
    db, make_org, start
):
    org = make_org(currency="EUR")
    ambiguous = "Datum;Betrag\r\n03.01.2024;1.000\r\n04.01.2024;-2.500\r\n"

    def submit(batch: str, **params: Any) -> Any:
        return submit_csv_import(
            db,
            org,
            batch_id=batch,
            file_id=str(uuid.uuid4()),
            file_data=b64(ambiguous),
            mappings={"date": "Datum", "amount": "Betrag"},
            **params,
        )

    batch = insert_import_batch(db, org)
    job = submit(batch, defaultCategory="Do not echo me")
    start()
    job.wait(timeout=60)
    assert (job.status, job.attempts) == ("dead_letter", 1)
    assert job.last_error.startswith(
        "InvalidParams: amounts are ambiguous: row 1 reads as 1000 with a decimal comma or as 1 "
        "with a decimal point"
    )
    assert "Do not echo me" not in job.last_error
    state = _batch(db, batch)
    assert state["status"] == "failed" and state["stats_json"]["error"] == job.last_error
    assert _transactions(db, org) == []
    assert _followups(db) == []
    # The same file with the parameter imports: the user's answer settles it.
    retry_batch = insert_import_batch(db, org)
    answered = submit(retry_batch, decimalSeparator=",")
    assert answered.wait(timeout=60).status == "completed", answered.last_error
    assert sorted(r["amount"] for r in _transactions(db, org)) == [-2500.0, 1000.0]
    assert _batch(db, retry_batch)["stats_json"]["decimalSeparatorSource"] == "params"
