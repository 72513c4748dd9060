"""Export jobs end to end: a job row inserted as the backend does → bridge → a real ``dramatiq``
worker → the export row, the stored file (S3 on a moto server, or ``file_data``), billing and the
job's outcome (contract §5.3)."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from pptx import Presentation
from pypdf import PdfReader

from app.db import Database
from app.reports.csv_export import render_csv
from app.reports.money import Formatter, month_label
from app.storage import export_key
from tests.factories import (
    insert_budget,
    insert_done_monte_carlo,
    insert_done_run,
    insert_export,
    insert_transactions,
    submit_export,
)
from tests.fixtures_s3 import s3_client, s3_process_env
from tests.reports.conftest import pdf_text
from tests.reports.sample_summary import build_monte_carlo, build_summary

EXPORT_JOB_TYPES = "export_pdf,export_pptx,export_csv"
ORG_NAME = "Northwind <Labs> & Co"
MONEY = Formatter("USD")
#: exports.type → (file name on S3, content type, first bytes of the file)
FILES = {
    "pdf": ("export.pdf", "application/pdf", b"%PDF"),
    "memo": ("export.pdf", "application/pdf", b"%PDF"),
    "pptx": (
        "investor-presentation.pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        b"PK",
    ),
    "csv": ("export.csv", "text/csv", b"Metric,Value\r\n"),
}


@pytest.fixture
def summary() -> dict[str, Any]:
    return build_summary()


@pytest.fixture
def start(env: dict[str, str], spawn: Callable[..., Any]) -> Callable[..., None]:
    """Start a worker that claims the export types, and a bridge."""
    env["WORKER_JOB_TYPES"] = EXPORT_JOB_TYPES

    def run(extra_env: dict[str, str] | None = None) -> None:
        spawn("worker", threads=2, extra_env=extra_env)
        spawn("bridge")

    return run


def _export(db: Database, export_id: str) -> dict[str, Any]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT status, s3_key, file_data, updated_at > created_at AS touched FROM exports"
            " WHERE id = %s",
            (export_id,),
        )
        row = dict(cur.fetchone())
    if row["file_data"] is not None:
        row["file_data"] = bytes(row["file_data"])
    return row


def _billing(db: Database, org_id: str) -> dict[str, list[float]]:
    with db.transaction() as cur:
        cur.execute(
            "SELECT metric, value::float8 AS value, bucket_time = date_trunc('hour', bucket_time)"
            " AS on_the_hour FROM billing_usage WHERE org_id = %s ORDER BY metric",
            (org_id,),
        )
        rows = cur.fetchall()
    assert all(r["on_the_hour"] for r in rows)
    metrics: dict[str, list[float]] = {}
    for r in rows:
        metrics.setdefault(r["metric"], []).append(r["value"])
    return metrics


def _logs(db: Database, job_id: str) -> list[dict[str, Any]]:
    with db.transaction() as cur:
        cur.execute("SELECT logs FROM jobs WHERE id = %s", (job_id,))
        return list(cur.fetchone()["logs"])


def _success_meta(db: Database, job_id: str) -> dict[str, Any]:
    entries = [e for e in _logs(db, job_id) if e["msg"] == "Job completed successfully"]
    assert len(entries) == 1
    return dict(entries[0]["meta"])


def test_each_export_type_lands_at_its_contract_key_on_s3_and_not_in_file_data(
    db, make_org, start, s3_bucket, summary
):
    org = make_org(ORG_NAME)
    run = insert_done_run(db, org, summary)
    insert_done_monte_carlo(db, org, run, build_monte_carlo(summary))
    exports = {kind: insert_export(db, org, run, type=kind) for kind in FILES}
    jobs = {kind: submit_export(db, org, exports[kind], run, type=kind) for kind in FILES}
    start(s3_process_env(s3_bucket))
    endpoint, bucket = s3_bucket
    client = s3_client(endpoint)
    for kind, job in jobs.items():
        assert job.wait(timeout=60).status == "completed", job.last_error
        file_name, content_type, magic = FILES[kind]
        key = f"exports/{org}/{exports[kind]}/{file_name}"
        assert export_key(org, exports[kind], kind) == key
        row = _export(db, exports[kind])
        assert row["status"] == "completed" and row["touched"]
        assert row["s3_key"] == key
        assert row["file_data"] is None
        stored = client.get_object(Bucket=bucket, Key=key)
        body = stored["Body"].read()
        assert body.startswith(magic)
        assert stored["ContentType"] == content_type
        assert _success_meta(db, job.id) == {
            "exportId": exports[kind],
            "s3Key": key,
            "fileSize": len(body),
        }
    deck = Presentation(
        io.BytesIO(
            client.get_object(
                Bucket=bucket, Key=f"exports/{org}/{exports['pptx']}/investor-presentation.pptx"
            )["Body"].read()
        )
    )
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert "Monte Carlo Risk Analysis" in titles  # the done simulation of the run was read


def test_s3_exports_name_their_download_and_documents_carry_real_metadata_and_the_org_page(
    db, make_org, start, s3_bucket, summary
):
    org = make_org("Müller & Söhne GmbH / Berlin", currency="EUR")
    run = insert_done_run(db, org, summary)
    exports = {kind: insert_export(db, org, run, type=kind) for kind in ("pdf", "pptx", "csv")}
    jobs = {
        kind: submit_export(db, org, exports[kind], run, type=kind, template="investor-update")
        for kind in exports
    }
    with db.transaction() as cur:
        cur.execute("SELECT clock_timestamp() AS t")
        before = cur.fetchone()["t"]
    start(s3_process_env(s3_bucket))
    endpoint, bucket = s3_bucket
    client = s3_client(endpoint)
    for job in jobs.values():
        assert job.wait(timeout=60).status == "completed", job.last_error
    with db.transaction() as cur:
        cur.execute("SELECT clock_timestamp() AS t")
        after = cur.fetchone()["t"]
    day = after.astimezone(datetime.UTC).date().isoformat()
    stored = {}
    for kind, (report, extension) in {
        "pdf": ("investor-update", "pdf"),
        "pptx": ("investor-update", "pptx"),
        "csv": ("financial-model", "csv"),
    }.items():
        got = client.get_object(Bucket=bucket, Key=export_key(org, exports[kind], kind))
        assert got["ContentDisposition"] == (
            f'attachment; filename="muller-sohne-gmbh-berlin_{report}_{day}.{extension}"'
        )
        stored[kind] = got["Body"].read()

    pdf = PdfReader(io.BytesIO(stored["pdf"]))
    assert pdf.metadata.author == "Müller & Söhne GmbH / Berlin"
    assert pdf.metadata.title == "Investor Update Report – Müller & Söhne GmbH / Berlin"
    created = pdf.metadata.creation_date
    assert before - datetime.timedelta(seconds=1) <= created <= after
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = pdf_text(stored["pdf"])
    assert re.search(r"(?<![\d.,])999(?![\d,])", text) is None and "No burn" in text
    deck = Presentation(io.BytesIO(stored["pptx"])).core_properties
    assert deck.author == "Müller & Söhne GmbH / Berlin"
    deck_created = deck.created.replace(tzinfo=datetime.UTC)
    assert before - datetime.timedelta(seconds=1) <= deck_created <= after
    assert stored["csv"].startswith(b"Metric,Value\r\ncurrency,EUR\r\n")
    assert b"runwayMonths,No burn\r\n" in stored["csv"]


def test_without_s3_each_export_keeps_its_bytes_in_file_data_and_bills_once(
    db, make_org, start, summary
):
    org = make_org(ORG_NAME)
    run = insert_done_run(db, org, summary)
    exports = {kind: insert_export(db, org, run, type=kind) for kind in FILES}
    jobs = {kind: submit_export(db, org, exports[kind], run, type=kind) for kind in FILES}
    start()
    for kind, job in jobs.items():
        assert job.wait(timeout=60).status == "completed", job.last_error
        row = _export(db, exports[kind])
        assert row["status"] == "completed"
        assert row["s3_key"] is None
        assert row["file_data"].startswith(FILES[kind][2])
        meta = _success_meta(db, job.id)
        assert meta == {"exportId": exports[kind], "s3Key": None, "fileSize": len(row["file_data"])}
    # The CSV is exactly the renderer's output for the stored summary.
    assert _export(db, exports["csv"])["file_data"] == render_csv(summary, currency="USD")
    billing = _billing(db, org)
    assert set(billing) <= {"export_cpu_seconds", "export_compute_cost"}
    assert len(billing["export_cpu_seconds"]) == len(FILES)
    assert all(v > 0 for v in billing["export_cpu_seconds"])
    assert len(billing.get("export_compute_cost", [])) <= len(FILES)
    assert all(v > 0 for v in billing.get("export_compute_cost", []))


def test_pdf_text_carries_the_org_run_and_kpis_of_the_summary(db, make_org, start, summary):
    org = make_org(ORG_NAME)
    run = insert_done_run(db, org, summary)
    export = insert_export(db, org, run, type="pdf")
    job = submit_export(db, org, export, run, type="pdf")
    start()
    assert job.wait(timeout=60).status == "completed", job.last_error
    text = pdf_text(_export(db, export)["file_data"])
    assert "Executive Summary Report" in text  # the default template
    assert ORG_NAME in text  # escaped, printed literally (P30)
    assert f"Model run {run[:8]}" in text
    assert "Generated by FinaPilot on" in text
    for key in ("totalRevenue", "totalExpenses", "netIncome", "cashBalance", "mrr"):
        assert MONEY.money(summary[key]) in text, key


def test_pdf_templates_read_the_ledger_and_the_budgets_of_the_org(db, make_org, start, summary):
    org = make_org("Ledger Org")
    other = make_org("Someone Else")
    run = insert_done_run(db, org, summary)
    with db.transaction() as cur:
        cur.execute("SELECT (now() AT TIME ZONE 'UTC')::date AS today")
        today = cur.fetchone()
    day = today["today"].isoformat()
    month = day[:7]
    insert_transactions(
        db,
        org,
        [
            (day, -1200.50, "Cloud hosting"),
            (day, -799.50, "cloud hosting"),
            (day, -300.00, "Travel"),
            (day, 5000.00, "Sales"),
            ("2001-01-15", -99999.0, "Ancient history"),  # outside every window
        ],
    )
    insert_transactions(db, other, [(day, -77777.0, "Other org spend")])
    insert_budget(db, org, "Cloud Hosting", month, 1500.0)
    insert_budget(db, org, "Travel", month, 500.0)
    performance = insert_export(db, org, run, meta_json={"template": "financial-performance"})
    variance = insert_export(db, org, run, type="memo", meta_json={"template": "budget-variance"})
    jobs = [
        submit_export(db, org, performance, run, template="kpi-dashboard"),  # meta_json wins
        submit_export(db, org, variance, run, type="memo"),
    ]
    start()
    for job in jobs:
        assert job.wait(timeout=60).status == "completed", job.last_error
    text = pdf_text(_export(db, performance)["file_data"])
    assert "Financial Performance Report" in text
    assert "Cloud hosting" in text and MONEY.money(1200.50) in text  # categories are exact text
    assert "Other org spend" not in text and "Ancient history" not in text
    assert MONEY.money(2300.00) in text  # this month's ledger expenses
    text = pdf_text(_export(db, variance)["file_data"])
    assert "Budget Variance Report" in text
    assert month_label(month) in text
    assert MONEY.money(2000.00) in text  # Σ budgets of the month
    assert MONEY.money(2300.00) in text  # Σ actual expenses of the month
    assert MONEY.money(300.00) in text  # variance = actual − budget
    assert "No budgets found" not in text


def test_unknown_template_renders_kpis_only_and_logs_a_warning(db, make_org, start, summary):
    org = make_org()
    run = insert_done_run(db, org, summary)
    export = insert_export(db, org, run, meta_json={"template": "board-deck"})
    job = submit_export(db, org, export, run)
    start()
    assert job.wait(timeout=60).status == "completed", job.last_error
    assert "Financial Model Export Report" in pdf_text(_export(db, export)["file_data"])
    warnings = [e for e in _logs(db, job.id) if e["level"] == "warn"]
    # The template name is a parameter: it is not copied into the log (§3.1).
    assert [e["msg"] for e in warnings] == ["unknown template; rendered KPIs only"]


def test_run_without_results_dead_letters_with_no_results_and_fails_the_export(db, make_org, start):
    org = make_org()
    run = insert_done_run(db, org, None, status="running")
    export = insert_export(db, org, run, type="csv")
    job = submit_export(db, org, export, run, type="csv")
    start()
    job.wait(timeout=60)
    assert job.status == "dead_letter"
    assert job.attempts == 1
    assert job.last_error == f"NoResults: model run {run} has no results (status=running)"
    row = _export(db, export)
    assert row["status"] == "failed"
    assert row["s3_key"] is None and row["file_data"] is None
    assert _billing(db, org) == {}


def test_export_failed_by_the_user_ends_the_job_cancelled_without_a_file(
    db, make_org, start, summary
):
    org = make_org()
    run = insert_done_run(db, org, summary)
    export = insert_export(db, org, run, status="failed")
    job = submit_export(db, org, export, run)
    start()
    assert job.wait(timeout=60).status == "cancelled"
    assert "Job cancelled by user" in [e["msg"] for e in _logs(db, job.id)]
    row = _export(db, export)
    assert row["status"] == "failed"
    assert row["file_data"] is None and row["s3_key"] is None
    assert _billing(db, org) == {}


def test_completed_export_is_a_noop_that_keeps_its_file(db, make_org, start, summary):
    org = make_org()
    run = insert_done_run(db, org, summary)
    export = insert_export(db, org, run, type="csv", status="completed", file_data=b"old,bytes")
    job = submit_export(db, org, export, run, type="csv")
    start()
    assert job.wait(timeout=60).status == "completed"
    assert _success_meta(db, job.id) == {"noop": True, "reason": "export already completed"}
    assert _export(db, export)["file_data"] == b"old,bytes"
    assert _billing(db, org) == {}


def test_export_of_another_org_or_with_a_malformed_id_dead_letters(db, make_org, start, summary):
    org, intruder = make_org("Owner"), make_org("Intruder")
    run = insert_done_run(db, org, summary)
    export = insert_export(db, org, run)
    foreign = submit_export(db, intruder, export, run)
    malformed = submit_export(db, org, export, run)
    with db.transaction() as cur:  # a legacy producer: no object_id, a malformed exportId
        cur.execute(
            "UPDATE jobs SET object_id = NULL, logs = jsonb_set(logs, '{1,meta,params,exportId}',"
            " '\"not-a-uuid\"') WHERE id = %s",
            (malformed.id,),
        )
    start()
    assert foreign.wait(timeout=60).status == "dead_letter"
    assert foreign.last_error == f"NotFound: export {export} not found in org {intruder}"
    assert malformed.wait(timeout=60).status == "dead_letter"
    assert malformed.last_error.startswith("InvalidParams: the export id")
    assert _export(db, export)["status"] == "queued"  # neither job touched the owner's export
