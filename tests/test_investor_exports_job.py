"""Investor exports end to end: a job row inserted as ``createInvestorExport`` does → bridge →
a real ``dramatiq`` worker → the export row, the file on the moto S3 server (or ``file_data``),
billing and the job's outcome (CONTRACT-2 §6). The documents are reopened with pypdf /
python-pptx and their text checked: every amount printed is one the data holds, and no fixed
claim appears."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from pptx import Presentation
from pypdf import PdfReader

from app.db import Database
from app.reports.money import Formatter
from tests.factories import (
    fetch_all,
    fetch_one,
    insert_department_plan,
    insert_done_monte_carlo,
    insert_done_run,
    insert_export,
    submit_investor_export,
)
from tests.fixtures_s3 import s3_client, s3_process_env
from tests.reports.conftest import pdf_text
from tests.reports.sample_summary import build_monte_carlo, build_summary

JOB_TYPES = "investor_export_pdf,investor_export_pptx"
USD = Formatter("USD")
MONEY = re.compile(r"-?\$[\d,]+\.\d{2}")
#: What the legacy documents printed as the company's figures (CONTRACT-2 §6.3, §6.4).
LEGACY_CLAIMS = ("3.2x", "114%", "82%", "78%", "NDR", "SOC2", "Series B", "EMEA", "QuickBooks",
                 "99.9", "12.4%", "V2 API", "robust unit economics", "Performance remains",
                 "Strictly Private", "efficiency ratio")  # fmt: skip
RECIPIENTS = ["cfo@example.com", "board@example.com", "investor@example.com"]
BOARD_META: dict[str, Any] = {
    "reportType": "board-report",
    "template": "board-deck",
    "reportTitle": "Q3 Board Report",
    "reportingPeriod": "Q3 2025",
    "aiContent": {
        "executiveSummary": "Enterprise pipeline doubled <b>this</b> quarter & churn fell.",
        "keyHighlights": ["Closed the Northwind deal"],
        "areasOfFocus": ["Collections"],
    },
    "budgetActualData": {
        "summary": {"budgetAccuracy": 91.5},
        "periods": [
            {
                "period": "2025-07",
                "budgetRevenue": 150000,
                "actualRevenue": 143210.55,
                "budgetExpenses": 190000,
                "actualExpenses": 181234.4,
                "variance": 2023.85,
                "variancePercent": 1.2,
            },  # fmt: skip
        ],
        "categories": [
            {
                "category": "Payroll",
                "budget": 120000,
                "actual": 123456.78,
                "variance": -3456.78,
                "variancePercent": -2.88,
                "status": "over",
            },  # fmt: skip
        ],
    },
    "distribution": {
        "method": "email",
        "recipients": RECIPIENTS,
        "subject": "Board pack SUBJECT-MARK",
        "message": "MESSAGE-MARK",
        "passwordProtect": False,
        "password": None,
    },
}


@pytest.fixture
def start(env: dict[str, str], spawn: Callable[..., Any]) -> Callable[..., None]:
    env["WORKER_JOB_TYPES"] = JOB_TYPES

    def run(extra_env: dict[str, str] | None = None) -> None:
        spawn("worker", threads=2, extra_env=extra_env)
        spawn("bridge")

    return run


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield float(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)


def _allowed_money(*sources: Any) -> set[str]:
    """Every number of the data sources as the documents print money, with the first-year sums
    of the monthly lines the KPI cards and statements show."""
    allowed = {USD.money(x) for source in sources for x in _numbers(source)}
    for source in sources:
        monthly = source.get("monthly") if isinstance(source, Mapping) else None
        if isinstance(monthly, Mapping):
            records = [monthly[k] for k in sorted(monthly)][:12]
            for key in records[0]:
                values = [r.get(key) for r in records]
                if all(isinstance(v, (int, float)) for v in values):
                    allowed.add(USD.money(sum(values)))
        statements = source.get("statements") if isinstance(source, Mapping) else None
        if isinstance(statements, Mapping):
            for block in statements.values():
                months = block.get("monthly", {}) if isinstance(block, Mapping) else {}
                records = [months[k] for k in sorted(months)][:12]
                for key in records[0] if records else []:
                    values = [r.get(key) for r in records]
                    if all(isinstance(v, (int, float)) for v in values):
                        allowed.add(USD.money(sum(values)))
    return allowed


def _check_text(text: str, allowed: set[str]) -> None:
    printed = set(MONEY.findall(text))
    assert printed, "no amount printed at all"
    assert printed <= allowed, sorted(printed - allowed)[:10]
    for claim in LEGACY_CLAIMS:
        assert claim not in text, claim
    for secret in ("SUBJECT-MARK", "MESSAGE-MARK", *RECIPIENTS):
        assert secret not in text


def _plans(db: Database, org: str) -> None:
    insert_department_plan(db, org, "Engineering", quantity=5, status="filled")
    insert_department_plan(db, org, "Engineering", quantity=2, status="hiring")
    insert_department_plan(db, org, "Sales", quantity=3, status="approved")
    insert_department_plan(db, org, "Sales", quantity=40, status="cancelled")


def test_investor_pdf_on_s3_prints_only_the_datas_numbers_and_says_distribution_was_not_done(
    db, make_org, start, s3_bucket
):
    org = make_org("Northwind <Labs> & Co")
    summary = build_summary()
    run = insert_done_run(db, org, summary)
    monte_carlo = build_monte_carlo(summary)
    insert_done_monte_carlo(db, org, run, monte_carlo)
    _plans(db, org)
    export = insert_export(db, org, run, type="pdf", meta_json=BOARD_META)
    job = submit_investor_export(db, org, export, run, fmt="pdf")
    start(s3_process_env(s3_bucket))
    assert job.wait(timeout=90).status == "completed", job.last_error

    key = f"exports/{org}/{export}/investor-memo.pdf"
    row = fetch_one(db, "SELECT status, s3_key, file_data FROM exports WHERE id = %s", export)
    assert (row["status"], row["s3_key"], row["file_data"]) == ("completed", key, None)
    endpoint, bucket = s3_bucket
    stored = s3_client(endpoint).get_object(Bucket=bucket, Key=key)
    assert stored["ContentType"] == "application/pdf"
    text = pdf_text(stored["Body"].read())

    assert "Q3 Board Report" in text and "Northwind <Labs> & Co" in text
    assert "Reporting period: Q3 2025" in text
    for value in ("totalRevenue", "netIncome", "cashBalance", "arr"):
        assert USD.money(summary[value]) in text, value
    assert "Cash at end of forecast (Dec 2027)" in text
    assert USD.money(monte_carlo["series"]["p5"][-1]) in text
    assert "$143,210.55" in text and "$123,456.78" in text  # budget vs actual, as given
    assert "Budget vs actual as computed when the report was requested" in text
    assert "Commentary provided with this report (not verified by FinaPilot)" in text
    assert "Enterprise pipeline doubled <b>this</b> quarter & churn fell." in text
    # Headcount as numbers: Engineering 5 hired + 2 planned, Sales 3 planned; cancelled not counted.
    assert re.search(r"Engineering\s+5\s+2\s+7", text) and re.search(r"Sales\s+0\s+3\s+3", text)
    assert "40" not in re.findall(r"\b\d+\b", text.split("Headcount plans by department")[1][:300])
    _check_text(text, _allowed_money(summary, monte_carlo, BOARD_META["budgetActualData"]))

    logs = fetch_one(db, "SELECT logs::text AS logs FROM jobs WHERE id = %s", job.id)["logs"]
    new_entries = logs.split("Job started", 1)[1]
    for secret in ("SUBJECT-MARK", "MESSAGE-MARK", *RECIPIENTS):
        assert secret not in new_entries
    entries = fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", job.id)["logs"]
    warn = [e for e in entries if e["level"] == "warn"]
    assert [e["msg"] for e in warn] == [
        "Distribution not performed (method=email, 3 recipients); the file is available for "
        "download"
    ]
    meta = next(e["meta"] for e in entries if e["msg"] == "Job completed successfully")
    assert meta["exportId"] == export and meta["s3Key"] == key and meta["format"] == "pdf"
    assert meta["distributionPerformed"] is False and meta["monteCarloIncluded"] is True
    assert meta["template"] == "board-deck" and "headcount" in meta["sections"]
    billing = {
        r["metric"]
        for r in fetch_all(db, "SELECT metric FROM billing_usage WHERE org_id = %s", org)
    }
    assert "export_cpu_seconds" in billing


def test_investor_deck_adds_budget_headcount_and_commentary_slides_with_no_empty_slide(
    db, make_org, start, s3_bucket
):
    org = make_org()
    summary = build_summary()
    run = insert_done_run(db, org, summary)
    _plans(db, org)
    export = insert_export(db, org, run, type="pptx", meta_json=BOARD_META)
    job = submit_investor_export(db, org, export, run, fmt="pptx", includeMonteCarlo=False)
    start(s3_process_env(s3_bucket))
    assert job.wait(timeout=90).status == "completed", job.last_error
    key = f"exports/{org}/{export}/investor-presentation.pptx"
    endpoint, bucket = s3_bucket
    deck = Presentation(
        io.BytesIO(s3_client(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read())
    )
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert titles[0] == "Q3 Board Report"
    assert {"Budget vs Actual", "Headcount Plans", "Commentary"} <= set(titles)
    assert "Monte Carlo Risk Analysis" not in titles
    texts = []
    for slide in deck.slides:
        shapes_text = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                shapes_text.append(shape.text_frame.text)
            if shape.has_table:
                shapes_text += [c.text for r in shape.table.rows for c in r.cells]
        body = [
            t
            for t in shapes_text
            if t.strip() and t != (slide.shapes.title.text if slide.shapes.title else None)
        ]
        assert body, "an empty slide"
        texts.append("\n".join(shapes_text))
    text = "\n".join(texts)
    _check_text(text, _allowed_money(summary, BOARD_META["budgetActualData"]))
    meta = next(
        e["meta"]
        for e in fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", job.id)["logs"]
        if e["msg"] == "Job completed successfully"
    )
    assert meta["slideCount"] == len(deck.slides) and meta["monteCarloIncluded"] is False


def test_a_password_encrypts_the_pdf_with_aes_and_a_pptx_password_fails_at_once(
    db, make_org, start
):
    org = make_org()
    summary = build_summary()
    run = insert_done_run(db, org, summary)
    protected = {
        "distribution": {"method": "link", "passwordProtect": True, "password": "s3cret-PW"}
    }
    pdf_export = insert_export(db, org, run, type="pdf", meta_json=protected)
    pptx_export = insert_export(db, org, run, type="pptx", meta_json=protected)
    pdf_job = submit_investor_export(db, org, pdf_export, run, fmt="pdf")
    pptx_job = submit_investor_export(db, org, pptx_export, run, fmt="pptx")
    start()
    assert pdf_job.wait(timeout=90).status == "completed", pdf_job.last_error
    data = bytes(
        fetch_one(db, "SELECT file_data FROM exports WHERE id = %s", pdf_export)["file_data"]
    )
    reader = PdfReader(io.BytesIO(data))
    assert reader.is_encrypted
    assert reader.decrypt("wrong") == 0
    assert reader.decrypt("s3cret-PW") != 0
    assert "/AESV3" in str(reader.trailer["/Encrypt"].get_object().get("/CF", {}))
    assert USD.money(summary["cashBalance"]) in "\n".join(p.extract_text() for p in reader.pages)

    assert pptx_job.wait(timeout=60).status == "dead_letter"
    assert pptx_job.last_error == (
        "InvalidParams: password protection is not supported for PPTX exports"
    )
    assert (
        fetch_one(db, "SELECT status FROM exports WHERE id = %s", pptx_export)["status"] == "failed"
    )
    logs = fetch_one(db, "SELECT logs::text AS t FROM jobs WHERE id = %s", pdf_job.id)["t"]
    assert "s3cret-PW" not in logs.split("Job started", 1)[1]


def test_sections_without_data_say_so_and_a_run_without_results_fails(db, make_org, start):
    org = make_org()
    run = insert_done_run(db, org, build_summary(customer_count=None, cac=None, churn_rate=None))
    export = insert_export(db, org, run, type="pdf")
    job = submit_investor_export(db, org, export, run, fmt="pdf")
    empty_run = insert_done_run(db, org, None, status="running")
    failing = insert_export(db, org, empty_run, type="pdf")
    failing_job = submit_investor_export(db, org, failing, empty_run, fmt="pdf")
    start()
    assert job.wait(timeout=90).status == "completed", job.last_error
    text = pdf_text(
        bytes(fetch_one(db, "SELECT file_data FROM exports WHERE id = %s", export)["file_data"])
    )
    assert "Investor Update" in text
    assert "The org has no active headcount plans." in text
    assert "No finished Monte Carlo simulation exists for this model run." in text
    assert "Budget vs actual" not in text and "Commentary provided" not in text
    assert failing_job.wait(timeout=60).status == "dead_letter"
    assert failing_job.last_error.startswith(f"NoResults: model run {empty_run} has no results")
    assert fetch_one(db, "SELECT status FROM exports WHERE id = %s", failing)["status"] == "failed"
