"""Moments are recorded when they happen (issue 9.2): a long final transaction records its end,
not its start, and ``updated_at`` never moves backwards. Real processes, real PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from app.db import Database
from tests.conftest import wait_for
from tests.factories import fetch_all, fetch_one, insert_import_batch, submit_csv_import

FINAL_TX_S = 3.0
WORK_S = 1.0


def _iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class UpdatedAtWatch:
    """Reads a job's ``updated_at`` while it runs; keeps the latest value seen."""

    def __init__(self, db: Database, job_id: str) -> None:
        self.db, self.job_id = db, job_id
        self.latest: dt.datetime | None = None
        self.went_back = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            row = fetch_one(self.db, "SELECT updated_at FROM jobs WHERE id = %s", self.job_id)
            seen = row["updated_at"]
            if self.latest is not None and seen < self.latest:
                self.went_back = True
            self.latest = seen if self.latest is None else max(self.latest, seen)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def test_a_long_final_transaction_records_when_it_finished_and_updated_at_only_moves_forward(
    db: Database, make_job: Callable[..., Any], pipeline: Callable[..., None]
) -> None:
    pipeline()
    job = make_job(params={"sleepSeconds": WORK_S, "finalizeSleepSeconds": FINAL_TX_S})
    watch = UpdatedAtWatch(db, job.id)
    job.wait(timeout=60)
    watch.stop()
    row = fetch_one(
        db,
        "SELECT status, run_started_at, finished_at, updated_at, logs FROM jobs WHERE id = %s",
        job.id,
    )
    assert row["status"] == "completed"
    # The recorded duration covers the work and the whole final transaction.
    took_s = (row["finished_at"] - row["run_started_at"]).total_seconds()
    assert took_s >= WORK_S + FINAL_TX_S - 0.2
    assert not watch.went_back and watch.latest is not None
    assert row["updated_at"] >= watch.latest
    assert row["updated_at"] >= row["finished_at"]
    completed = row["logs"][-1]
    assert completed["msg"] == "Job completed successfully"
    assert _iso(completed["ts"]) >= row["finished_at"] - dt.timedelta(milliseconds=1)
    log_times = [_iso(e["ts"]) for e in row["logs"] if "ts" in e]
    assert log_times == sorted(log_times)


def test_an_imports_rows_and_batch_are_stamped_when_written_not_when_the_attempt_began(
    db: Database, make_org: Callable[..., str], spawn: Callable[..., Any], env: dict[str, str]
) -> None:
    env["WORKER_JOB_TYPES"] = "csv_import"
    spawn("worker", threads=2)
    spawn("bridge")
    org = make_org()
    batch = insert_import_batch(db, org)
    rows = 60_000
    text = "Date,Amount,Description,Category\r\n" + "".join(
        f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},{-(i % 997) - 1}.25,Item {i},Cat {i % 7}\r\n"
        for i in range(rows)
    )
    job = submit_csv_import(
        db,
        org,
        batch_id=batch,
        file_id=str(batch),
        file_data=base64.b64encode(text.encode()).decode(),
    )
    watch = UpdatedAtWatch(db, job.id)
    wait_for(lambda: job.refresh().done, timeout=180)
    watch.stop()
    row = fetch_one(
        db, "SELECT status, run_started_at, finished_at, updated_at FROM jobs WHERE id = %s", job.id
    )
    assert row["status"] == "completed", job.last_error
    stats = fetch_one(db, "SELECT stats_json FROM data_import_batches WHERE id = %s", batch)
    completed_at = _iso(stats["stats_json"]["completedAt"])
    stamps = fetch_all(
        db,
        "SELECT min(imported_at) AS first, max(imported_at) AS last, count(*) AS n"
        " FROM raw_transactions WHERE import_batch_id = %s",
        batch,
    )[0]
    assert stamps["n"] == rows
    assert watch.latest is not None and not watch.went_back
    # Every moment is at or after the attempt began, and the end is after every progress write.
    assert row["run_started_at"] <= stamps["first"] <= stamps["last"] <= completed_at
    assert completed_at <= row["finished_at"] <= row["updated_at"]
    assert row["finished_at"] >= watch.latest
    assert row["updated_at"] >= watch.latest
