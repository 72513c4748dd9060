"""The console's pages against real PostgreSQL: what the overview, the job page (row, log
timeline, domain row, Monte Carlo fan chart, export download) and the dead letters show."""

from __future__ import annotations

import html
import re

import requests

from app.db import jsonb
from tests.console.test_jobs_list import insert_jobs
from tests.factories import insert_model, insert_model_run, insert_monte_carlo_job, register_worker
from tests.fixtures_s3 import s3_client


def _fail(db, job_id: str, error: str, *, status: str = "dead_letter") -> None:
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = %s, last_error = %s, attempts = 1,"
            " finished_at = clock_timestamp() WHERE id = %s",
            (status, error, job_id),
        )


def _text(response: requests.Response) -> str:
    """The page's visible text, one space between elements."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def test_the_overview_shows_counts_queues_window_workers_and_who_nobody_serves(
    db, console, make_job, make_org
):
    org = make_org()
    for _ in range(3):
        make_job(org_id=org)
    dead = make_job(org_id=org)
    _fail(db, dead.id, "InvalidParams: nope")
    make_job("model_run", org_id=org)  # not claimed here (WORKER_JOB_TYPES=noop)
    with db.transaction() as cur:  # a backend type this worker never runs (CONTRACT-2 §8)
        cur.execute(
            "INSERT INTO jobs (job_type, org_id, queue) VALUES ('excel_export', %s, 'default')",
            (org,),
        )
    register_worker(db, threads=3, queues=["default"], wid="worker-a-1")
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET status = 'running', worker_id = 'worker-a-1' WHERE id = %s",
                    (make_job(org_id=org).id,))  # fmt: skip

    page = console.client().get("/")
    assert page.status_code == 200
    text = _text(page)
    assert re.search(r"Waiting 5 Running 1 ", text), text[:400]
    assert "model_run default 1 not listed in WORKER_JOB_TYPES" in text
    assert "excel_export default 1 job type 'excel_export' is not declared in app/jobtypes" in text
    assert "worker-a-1 default 3 1" in text  # id, queues, threads, running
    # the default queue: 3 runnable noops + model_run + excel_export, 3 live threads, window 0 / 6
    assert re.search(r"default 5 \d+ s 3 0 / 6 Pause", text), text
    noop_row = re.search(r"noop ((?:\d+ ){7})Pause", text)
    assert noop_row and noop_row.group(1).split() == ["3", "1", "0", "0", "1", "0", "0"]
    live = console.client().get("/overview/live")
    assert live.status_code == 200 and 'hx-trigger="every 10s"' in live.text
    assert "<html" not in live.text  # a fragment


def test_the_job_page_shows_the_row_the_timeline_with_levels_and_hidden_parameters(
    db, console, make_job, make_org
):
    org = make_org()
    job = make_job(params={"password": "hunter2-do-not-show", "sleepSeconds": 1}, org_id=org)
    _fail(db, job.id, "InvalidParams: a parameter is out of range")
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET logs = dramatiq.finapilot_log_append(logs,"
            " dramatiq.finapilot_log_entry('error', 'Job failed', '{\"attempt\": 1}'), 200)"
            " WHERE id = %s",
            (job.id,),
        )
    page = console.client().get(f"/jobs/{job.id}")
    assert page.status_code == 200
    assert "hunter2-do-not-show" not in page.text and "sleepSeconds" not in page.text
    text = _text(page)
    assert "Job parameters set" in text and '{"params": "(2 keys hidden)"}' in text
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z error Job failed", text)
    assert 'class="lvl-error"' in page.text and 'class="lvl-info"' in page.text
    assert "InvalidParams: a parameter is out of range" in text
    assert f"org {org}" in text
    assert 'hx-trigger="every' not in page.text  # ended: nothing to refresh
    assert console.client().get("/jobs/00000000-0000-4000-8000-000000000000").status_code == 404
    assert console.client().get("/jobs/not-a-uuid").status_code == 404


def test_a_running_job_refreshes_its_state_row_and_log_until_it_has_ended(db, console, make_job):
    job = make_job()
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET status = 'running', progress = 42 WHERE id = %s", (job.id,))
    client = console.client()
    page = client.get(f"/jobs/{job.id}").text
    assert f'hx-get="/jobs/{job.id}/live"' in page and 'value="42"' in page
    live = client.get(f"/jobs/{job.id}/live")
    assert 'hx-trigger="every 3s"' in live.text and "42%" in live.text
    assert "<h2>Log</h2>" in live.text and "<html" not in live.text  # the body, not a page
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET status = 'completed', progress = 100 WHERE id = %s", (job.id,))
    ended = client.get(f"/jobs/{job.id}/live", headers={"HX-Request": "true"})
    assert "hx-trigger" not in ended.text and "100%" in ended.text  # the last refresh
    assert re.search(r"<th>status</th><td[^>]*>completed</td>", ended.text)
    assert ended.headers["HX-Refresh"] == "true"  # the page reloads once, domain row included
    assert 'id="job-log" hx-swap-oob="true"' in ended.text


def test_a_finished_simulation_is_drawn_as_a_fan_chart_of_its_percentiles(db, console, make_org):
    org = make_org()
    model = insert_model(db, org)
    run = insert_model_run(db, org, model, status="done")
    mc = insert_monte_carlo_job(db, org, run)
    months = ["2025-01", "2025-02", "2025-03", "2025-04"]
    series = {
        key: [base + 10_000 * m for m in range(4)]
        for key, base in zip(
            ("p5", "p10", "p25", "p50", "p75", "p90", "p95"),
            (-50_000, -20_000, 10_000, 40_000, 70_000, 100_000, 130_000),
            strict=True,
        )
    }
    doc = {
        "series": series,
        "percentiles_table": {"months": months},
        "survival_probability": {"overall": {"percentageSurvivingFullPeriod": 61.5}},
    }
    with db.transaction() as cur:
        cur.execute(
            "UPDATE monte_carlo_jobs SET status = 'done', percentiles_json = %s WHERE id = %s",
            (jsonb(doc), mc),
        )
    from app.client import submit

    job = submit(db, "monte_carlo", {"monteCarloJobId": mc}, org_id=org, object_id=mc)
    page = console.client().get(f"/jobs/{job.id}").text
    assert page.count("<polygon") == 3 and page.count("<polyline") == 1
    for css in ("band-90", "band-80", "band-50", "median", "zero-line"):
        assert f'class="{css}"' in page
    assert "2025-01" in page and "2025-04" in page and ">-50k<" in page and ">200k<" in page
    assert "61.5% of paths keep cash above zero" in page
    with db.transaction() as cur:  # a result missing a percentile is not drawn
        cur.execute(
            "UPDATE monte_carlo_jobs SET percentiles_json = percentiles_json #- '{series,p75}'"
            " WHERE id = %s",
            (mc,),
        )
    assert "No percentiles to draw" in console.client().get(f"/jobs/{job.id}").text


def _export_job(db, org: str, *, file_data: bytes | None, s3_key: str | None, kind: str = "csv"):
    from app.client import submit

    model = insert_model(db, org)
    run = insert_model_run(db, org, model, status="done")
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO exports (model_run_id, org_id, type, status, file_data, s3_key)"
            " VALUES (%s, %s, %s, 'completed', %s, %s) RETURNING id::text",
            (run, org, kind, file_data, s3_key),
        )
        export_id = cur.fetchone()["id"]
    job = submit(db, f"export_{kind}", {"exportId": export_id}, org_id=org, object_id=export_id)
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET status = 'completed' WHERE id = %s", (job.id,))
    return job, export_id


def test_an_export_kept_in_the_database_downloads_as_an_attachment(db, console, make_org):
    org = make_org()
    job, export_id = _export_job(db, org, file_data=b"month,revenue\n2025-01,10\n", s3_key=None)
    page = console.client().get(f"/jobs/{job.id}").text
    assert "25 bytes in the database" in page and f"/jobs/{job.id}/download" in page
    response = console.client().get(f"/jobs/{job.id}/download")
    assert response.status_code == 200 and response.content == b"month,revenue\n2025-01,10\n"
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == f"attachment; filename=export-{export_id}.csv"
    other_org = make_org("Other")
    foreign, _ = _export_job(db, other_org, file_data=b"x", s3_key=None)
    with db.transaction() as cur:  # a job naming another org's export gets nothing
        cur.execute("UPDATE jobs SET org_id = %s WHERE id = %s", (org, foreign.id))
    assert console.client().get(f"/jobs/{foreign.id}/download").status_code == 404


def test_an_export_in_s3_downloads_through_a_short_lived_presigned_link(
    db, env, serve_console, make_org, s3_bucket
):
    endpoint, bucket = s3_bucket
    org = make_org()
    key = f"exports/{org}/x/export.pdf"
    s3_client(endpoint).put_object(Bucket=bucket, Key=key, Body=b"%PDF-1.4 test")
    job, _ = _export_job(db, org, file_data=None, s3_key=key, kind="pdf")
    console = serve_console(
        env,
        S3_BUCKET_NAME=bucket,
        AWS_ENDPOINT_URL=endpoint,
        CONSOLE_LINK_SECONDS="30",
    )
    assert "in S3" in console.client().get(f"/jobs/{job.id}").text
    response = console.client().get(f"/jobs/{job.id}/download")
    assert response.status_code == 303
    link = response.headers["Location"]
    assert link.startswith(endpoint) and "X-Amz-Expires=30" in link and "Signature" in link
    fetched = requests.get(link, timeout=30)
    assert fetched.status_code == 200 and fetched.content == b"%PDF-1.4 test"
    assert "attachment" in fetched.headers["Content-Disposition"]


def test_dead_letters_are_grouped_by_type_and_error_with_ids_and_numbers_taken_out(
    db, console, make_org
):
    org = make_org()
    rows = []
    for error in (
        "NotFound: model run 0c7f1e7a-1111-4222-8333-123456789abc not found",
        "NotFound: model run 9d7f1e7a-2222-4222-8333-123456789abc not found",
        "NotFound: model run 1e7f1e7a-3333-4222-8333-123456789abc not found",
        "Quarantined: the job stopped its worker 3 times (last: w-12); not retried",
        "Quarantined: the job stopped its worker 4 times (last: w-7); not retried",
    ):
        rows.append({"job_type": "model_run", "org_id": org, "status": "dead_letter",
                     "priority": 50, "queue": "default", "created_at": "2026-01-01T00:00:00Z",
                     "last_error": error})  # fmt: skip
    rows.append({**rows[0], "job_type": "monte_carlo", "queue": "montecarlo"})
    insert_jobs(db, rows)
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET finished_at = clock_timestamp()")
    text = _text(console.client().get("/dead"))
    assert "model_run NotFound: model run <id> not found 3 " in text
    assert (
        "model_run Quarantined: the job stopped its worker # times (last: w-#); not retried 2 "
        in (text)
    )
    assert "monte_carlo NotFound: model run <id> not found 1 " in text
    assert "model_run 5 Requeue all 5" in text
    assert "No dead letters in the last 1h" not in text
