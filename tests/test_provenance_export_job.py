"""Provenance exports end to end: a job row inserted as ``createExportJob`` does → bridge → a real
``dramatiq`` worker → the zip on the moto S3 server and a presigned URL in the success entry
(CONTRACT-2 §7.7); with S3 off the job fails rather than report a package it dropped."""

from __future__ import annotations

import csv
import datetime
import io
import json
import urllib.request
import zipfile
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import (
    fetch_all,
    fetch_one,
    insert_done_run,
    insert_prompt,
    insert_provenance_entry,
    insert_user,
    submit_provenance_export,
)
from tests.fixtures_s3 import s3_client, s3_process_env
from tests.reports.sample_summary import build_summary


@pytest.fixture
def start(env: dict[str, str], spawn: Callable[..., Any]) -> Callable[..., None]:
    env["WORKER_JOB_TYPES"] = "provenance_export"

    def run(extra_env: dict[str, str] | None = None) -> None:
        spawn("worker", threads=2, extra_env=extra_env)
        spawn("bridge")

    return run


def _transaction(db, org: str, description: str, amount: float) -> str:
    return fetch_one(
        db,
        "INSERT INTO raw_transactions (org_id, source_id, date, amount, category, description)"
        " VALUES (%s, gen_random_uuid()::text, '2025-02-03', %s, 'Sales', %s) RETURNING id::text",
        org,
        amount,
        description,
    )["id"]


def test_the_package_holds_entries_the_cited_transactions_and_prompts_and_a_24h_link(
    db, make_org, start, s3_bucket
):
    org, other = make_org(), make_org("Other org")
    run = insert_done_run(db, org, build_summary())
    invoice = _transaction(db, org, "Invoice 1001", 1234.5)
    hostile = _transaction(db, org, '=HYPERLINK("http://x")', -20)
    listed = _transaction(db, org, "Listed", 7)
    foreign = _transaction(db, other, "Another org's row", 99)
    prompt = insert_prompt(db, org)
    shared_prompt = insert_prompt(db, None, response_text="shared")
    foreign_prompt = insert_prompt(db, other, response_text="FOREIGN-PROMPT")
    insert_provenance_entry(
        db, org, run, source_ref={"transaction_ids": [invoice, hostile, foreign], "count": 3},
        confidence_score=0,
    )  # fmt: skip
    insert_provenance_entry(db, org, run, cell_key="2025-02:revenue", source_ref=[listed, "junk"])
    insert_provenance_entry(db, org, run, cell_key="summary:arr", source_ref=[{"id": invoice}])
    insert_provenance_entry(db, org, run, source_type="prompt", prompt_id=prompt)
    insert_provenance_entry(db, org, run, source_type="prompt", prompt_id=shared_prompt)
    insert_provenance_entry(db, org, run, source_type="prompt", prompt_id=foreign_prompt)
    user = insert_user(db, org, "finance")
    job = submit_provenance_export(db, org, run, requestedBy=user)
    start(s3_process_env(s3_bucket))
    assert job.wait(timeout=90).status == "completed", job.last_error

    key = f"provenance-exports/{org}/{run}/{job.id}.zip"
    endpoint, bucket = s3_bucket
    stored = s3_client(endpoint).get_object(Bucket=bucket, Key=key)
    assert stored["ContentType"] == "application/zip"
    body = stored["Body"].read()
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == [
        "metadata.json",
        "prompts.json",
        "provenance.json",
        "transactions.csv",
    ]
    entries = json.loads(archive.read("provenance.json"))
    assert len(entries) == 6
    assert any(e["confidence_score"] == 0 for e in entries)  # 0 is kept, not null
    assert all(e["created_at"].endswith("Z") for e in entries)
    raw = archive.read("transactions.csv").decode()
    assert raw.startswith("id,date,amount,currency,category,description,source_id\r\n")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert {r["id"] for r in rows} == {invoice, hostile, listed}  # never another org's row
    by_id = {r["id"]: r for r in rows}
    assert by_id[invoice]["amount"] == "1234.5000"
    assert by_id[hostile]["description"].startswith("'=HYPERLINK")
    prompts = json.loads(archive.read("prompts.json"))
    assert {p["id"] for p in prompts} == {prompt, shared_prompt}
    metadata = json.loads(archive.read("metadata.json"))
    assert metadata["model_run_id"] == run and metadata["org_id"] == org
    assert (metadata["provenance_count"], metadata["transaction_count"]) == (6, 3)
    assert metadata["prompt_count"] == 2 and metadata["include_transactions"] is True

    logs = fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", job.id)["logs"]
    meta = next(e["meta"] for e in logs if e["msg"] == "Job completed successfully")
    assert meta["s3Key"] == meta["s3_key"] == key and meta["sizeBytes"] == len(body)
    assert (meta["provenanceCount"], meta["transactionCount"], meta["promptCount"]) == (6, 3, 2)
    assert meta["signedUrl"] == meta["signed_url"]
    query = parse_qs(urlsplit(meta["signedUrl"]).query)
    assert query["X-Amz-Expires"] == ["86400"]
    exported = datetime.datetime.fromisoformat(meta["exported_at"].replace("Z", "+00:00"))
    expires = datetime.datetime.fromisoformat(meta["signedUrlExpiresAt"].replace("Z", "+00:00"))
    assert (
        datetime.timedelta(hours=23, minutes=59)
        < expires - exported
        < datetime.timedelta(hours=24, minutes=1)
    )
    with urllib.request.urlopen(meta["signedUrl"], timeout=30) as response:  # loopback moto
        assert response.read() == body
    assert "FOREIGN-PROMPT" not in body.decode("latin-1")


def test_the_link_lifetime_is_a_setting(db, make_org, start, s3_bucket):
    org = make_org()
    run = insert_done_run(db, org, build_summary())
    job = submit_provenance_export(db, org, run, includeTransactions=False, format="pdf")
    start({**s3_process_env(s3_bucket), "PROVENANCE_URL_TTL_SECONDS": "600"})
    assert job.wait(timeout=90).status == "completed", job.last_error
    logs = fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", job.id)["logs"]
    meta = next(e["meta"] for e in logs if e["msg"] == "Job completed successfully")
    assert parse_qs(urlsplit(meta["signedUrl"]).query)["X-Amz-Expires"] == ["600"]
    assert meta["format"] == "pdf" and meta["provenanceCount"] == 0
    assert [e["msg"] for e in logs if e["level"] == "warn"] == [
        "PDF report not produced; JSON package only"
    ]


def test_with_s3_off_the_export_fails_at_once_instead_of_reporting_a_dropped_package(
    db, make_org, start
):
    org = make_org()
    run = insert_done_run(db, org, build_summary())
    job = submit_provenance_export(db, org, run)
    start()
    assert job.wait(timeout=60).status == "dead_letter"
    assert job.attempts == 1
    assert job.last_error == (
        "StorageUnavailable: provenance export needs S3 (no database column holds the package)"
    )
    assert fetch_all(db, "SELECT id FROM jobs WHERE id <> %s", job.id) == []
