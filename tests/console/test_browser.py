"""The console in a real browser (Debian's headless Chromium, driven by Playwright), over real
processes: ``python -m app console``, the bridge and a dramatiq worker.

An on-call engineer opens the overview, filters the jobs to a failed simulation, opens it,
requeues it and watches it complete live, then sees its fan chart. Screenshots of each page are
kept in ``.artifacts/console/`` (git-ignored). Chromium comes from ``scripts/setup-browser``
(``scripts/test`` runs it); the test is skipped without it only outside CI.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from app.client import submit
from tests.conftest import ROOT
from tests.console.conftest import PASSWORD, USER
from tests.factories import insert_model, insert_model_run

CHROMIUM = os.environ.get("CONSOLE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / ".artifacts" / "console"
WAIT_MS = 60_000


def _chromium_or_skip() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup-browser must install it in CI")
    pytest.skip(f"{CHROMIUM} is missing: run scripts/setup-browser (apt-get install chromium)")


@pytest.fixture
def claim_simulations(env: dict[str, str]) -> None:
    env["WORKER_JOB_TYPES"] = "monte_carlo,noop"
    env["WORKER_FOLLOWUP_JOBS"] = ""


def test_an_operator_finds_a_failed_simulation_requeues_it_and_watches_it_complete(
    db, make_org, claim_simulations, pipeline, console_process
):
    _chromium_or_skip()
    # As production starts it: the session cookie is Secure (loopback counts as secure).
    console = console_process(
        CONSOLE_USER=USER, CONSOLE_PASSWORD=PASSWORD, CONSOLE_REFRESH_SECONDS="1"
    )
    base = console.url
    from playwright.sync_api import expect, sync_playwright

    org = make_org()
    model = insert_model(db, org)
    run = insert_model_run(db, org, model, status="done")
    mc_id = str(uuid.uuid4())  # the backend's row is not committed yet: the job fails NotFound
    job = submit(
        db,
        "monte_carlo",
        {"monteCarloJobId": mc_id, "modelRunId": run, "modelId": model, "numSimulations": 500,
         "drivers": [{"id": "revenue_growth", "mean": 6, "stdDev": 4}], "randomSeed": 7},
        org_id=org, object_id=mc_id, max_attempts=1,
    )  # fmt: skip
    pipeline()
    assert job.wait(60).status == "dead_letter", job.last_error
    with db.transaction() as cur:  # now the row exists: a requeue can succeed
        cur.execute(
            "INSERT INTO monte_carlo_jobs (id, model_run_id, org_id, num_simulations,"
            " params_hash) VALUES (%s, %s, %s, 500, 'h')",
            (mc_id, run, org),
        )

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="console-chromium-"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            http_credentials={"username": USER, "password": PASSWORD},
            viewport={"width": 1360, "height": 900},
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            page.goto(base + "/")
            expect(page.locator("h1")).to_have_text("Overview")
            expect(page.locator("table.matrix")).to_contain_text("monte_carlo")
            assert page.evaluate("typeof window.htmx") == "object"  # the live part's library
            page.screenshot(path=ARTIFACTS / "1-overview.png", full_page=True)

            page.get_by_role("link", name="Dead letters").click()
            expect(page.locator("table.groups")).to_contain_text("NotFound: Monte Carlo job <id>")
            page.screenshot(path=ARTIFACTS / "2-dead-letters.png", full_page=True)

            page.get_by_role("link", name="Jobs", exact=True).click()
            page.select_option("select[name=status]", "dead_letter")
            page.select_option("select[name=type]", "monte_carlo")
            page.get_by_role("button", name="Filter").click()
            rows = page.locator("table.jobs tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("NotFound: Monte Carlo job")
            page.screenshot(path=ARTIFACTS / "3-jobs-filtered.png", full_page=True)

            rows.first.locator("a").first.click()
            expect(page.locator("#live .badge").first).to_have_text("dead_letter")
            page.screenshot(path=ARTIFACTS / "4-job-dead-letter.png", full_page=True)

            page.get_by_role("button", name="Requeue").click()
            expect(page.locator("h1")).to_have_text("Requeue job")
            page.screenshot(path=ARTIFACTS / "5-confirm.png", full_page=True)
            page.get_by_role("button", name="Requeue").click()

            expect(page.locator(".flash")).to_contain_text(f"Job {job.id} requeued.")
            expect(page.locator("#live .badge").first).to_have_text("completed", timeout=WAIT_MS)
            expect(page.locator("svg polygon.band-90")).to_have_count(1, timeout=WAIT_MS)
            expect(page.locator("ol.timeline")).to_contain_text("Requeued by operator")
            expect(page.locator("ol.timeline")).to_contain_text('"by": "alice"')
            page.screenshot(path=ARTIFACTS / "6-job-completed.png", full_page=True)

            slow = submit(db, "noop", {"sleepSeconds": 8}, org_id=org)
            page.goto(f"{base}/jobs/{slow.id}")
            expect(page.locator("#live .badge").first).to_have_text("running", timeout=WAIT_MS)
            bar = page.locator("#live progress")
            first = float(bar.get_attribute("value") or 0)
            deadline = time.monotonic() + 30
            while float(bar.get_attribute("value") or 0) <= first:  # refreshed in place
                assert time.monotonic() < deadline, "the progress did not move on the page"
                page.wait_for_timeout(200)
            page.screenshot(path=ARTIFACTS / "7-job-running.png", full_page=True)
        finally:
            browser.close()
    assert job.refresh().status == "completed"
    assert problems == []  # no CSP violation, no script error
    assert console.stop() == 0, console.log()  # SIGTERM: a clean stop
