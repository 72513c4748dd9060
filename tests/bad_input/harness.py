"""The machinery of the bad-input corpus: cases, builders, the checks and the run.

Each ``tests/bad_input/cases_*.py`` module holds the cases of one group of job types (a tuple
``CASES``); ``tests/test_bad_input_corpus.py`` runs them all through one bridge and one worker.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg2 import sql as pgsql

from app.client import JobHandle, JobTimeout, submit
from app.db import Database
from app.jobtypes import REGISTRY
from tests.conftest import Proc
from tests.factories import (
    insert_model,
    insert_model_run,
    submit_model_run,
)

#: Every type the worker implements, noop included.
ALL_JOB_TYPES = ",".join(REGISTRY.claimable)
#: Production defaults, so that a failure path that inserted a follow-up would show up.
FOLLOWUP_JOBS = "auto_model_trigger,alert_check"
WORKER_THREADS = 4
#: The whole corpus must be terminal this long after the processes are ready.
CORPUS_DEADLINE_S = 60.0
HEALTH_WAIT_S = 30.0

#: Kinds of the error tree that a bad input may end with (contract §4.4, ``app/errors.py``).
PERMANENT_KINDS = (
    "InvalidParams",
    "NotFound",
    "InsufficientData",
    "ComputeError",
    "NoResults",
    "UploadMissing",
    "InvalidFile",
    "Forbidden",
    "InvalidJob",
    "InvalidModel",
    "InvalidAlertRule",
    # CONTRACT-2 §5–§7 (spreadsheets, investor exports, provenance)
    "UnsupportedFile",
    "UnsupportedFormat",
    "UploadMismatch",
    "MappingInvalid",
    "UnsupportedOption",
    "StorageUnavailable",
)
LAST_ERROR_RE = re.compile(r"^(?P<kind>[A-Z][A-Za-z]+): (?P<message>\S.*)$")
LAST_ERROR_MAX_CHARS = 500
#: New (non-parameter) log entries of one job, serialised: far below any echoed payload.
NEW_LOG_ENTRIES_MAX_BYTES = 16_384
STACK_TRACE_MARKERS = ("Traceback", 'File "', "\n")

# -- hostile values ---------------------------------------------------------------------------
MB = 1 << 20
HUGE_MARK = "HUGEPARAM"
HUGE_STRING = (HUGE_MARK + "-") * (MB // (len(HUGE_MARK) + 1))  # ~1 MB, marked everywhere
SQL_ID = "'; DROP TABLE jobs; --"
SQL_MARK = "DROP TABLE"
PATH_ID = "../../etc/passwd"
PATH_MARK = "etc/passwd"
SCRIPT = "<script>alert(document.cookie)</script>"
SCRIPT_MARK = "<script>"
FORMULA = "=cmd|' /C calc'!A0"
HOSTILE_ORG_NAME = "<b>Evil</b> & Co'; DROP TABLE orgs;--"
#: Inside the webhook URLs of the cases: a webhook URL carries a secret (CONTRACT-2 §0.3.7).
WEBHOOK_MARK = "HOOKSECRET"
#: Markers that must never reach the processes' stdout.
STDOUT_MARKERS = (HUGE_MARK, SQL_MARK, PATH_MARK, SCRIPT_MARK, FORMULA, "<b>Evil</b>", WEBHOOK_MARK)

DEEP_DEPTH = 5_000
#: JSON texts that ``json.dumps`` cannot produce, patched into the rows after insertion.
RAW_DEEP_LIST = "[" * DEEP_DEPTH + "]" * DEEP_DEPTH
RAW_INFINITY = "1" + "0" * 400 + ".5"  # a finite jsonb numeric; Python reads it as inf
RAW_HUGE_INT = "1" + "0" * 5_000  # over Python's 4300-digit int parsing limit
HUGE_INT = 10**400  # parses, but float() overflows

CSV_HEADER = "Date,Amount,Description,Category\r\n"

#: Columns a failed domain row may change (§4.8); everything else must stay as it was.
FAIL_COLUMNS = {
    "model_runs": {"status", "finished_at"},
    "monte_carlo_jobs": {"status", "finished_at"},
    "exports": {"status", "updated_at"},
    "data_import_batches": {"status", "stats_json"},
}
COMPLETE_COLUMNS = {
    "exports": {"status", "updated_at", "file_data", "s3_key"},
    "data_import_batches": {"status", "stats_json"},
    "models": {"model_json"},  # auto_model writes the assumptions (CONTRACT-2 §2.9)
    "alert_rules": {"last_triggered"},  # alert_check (§4.9); no status column
}
FAILED_STATUS = {
    "model_runs": "failed",
    "monte_carlo_jobs": "failed",
    "exports": "failed",
    "data_import_batches": "failed",
}
COMPLETED_STATUS = {"exports": "completed", "data_import_batches": "completed"}
#: Tables whose rows must not change except the case's job and domain row; (table, org column).
SNAPSHOT_TABLES = (
    ("orgs", "id"),
    ("models", "org_id"),
    ("model_runs", "org_id"),
    ("monte_carlo_jobs", "org_id"),
    ("exports", "org_id"),
    ("raw_transactions", "org_id"),
    ("data_import_batches", "org_id"),
    ("metric_cube", "org_id"),
    ("billing_usage", "org_id"),
    ("jobs", "org_id"),
    ("financial_scenarios", "org_id"),
    ("drivers", "org_id"),
    ("alert_rules", "org_id"),
    ("notifications", "org_id"),
    ("audit_logs", "org_id"),
    ("excel_syncs", "org_id"),
    ("provenance_entries", "org_id"),
)
#: Tables a positive control may add rows to, in its own org (the automation chain follows an
#: import or a run: its models, runs, drivers, notifications and audit rows).
POSITIVE_NEW_ROWS = {
    "raw_transactions",
    "billing_usage",
    "jobs",
    "models",
    "model_runs",
    "metric_cube",
    "financial_scenarios",
    "drivers",
    "notifications",
    "audit_logs",
    "excel_syncs",
}
#: The corpus worker runs with webhook delivery on, so the webhook gates are exercised; the
#: cases that reach them are all refused before any connection (only loopback is reachable).
CORPUS_ENV = {"ALERT_WEBHOOKS_ENABLED": "true"}


@dataclass
class Planted:
    """What a case put in the database."""

    job: JobHandle
    domain: tuple[str, str] | None = None  # (table, id) of the row the job drives
    data: dict[str, Any] = field(default_factory=dict)


class Builder:
    """Creates one case's rows; remembers which orgs belong to which case."""

    def __init__(self, db: Database, corpus: Corpus, case_id: str) -> None:
        self.db = db
        self.corpus = corpus
        self.case_id = case_id

    def org(self, name: str | None = None) -> str:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO orgs (name, currency) VALUES (%s, 'USD') RETURNING id::text",
                (name or f"corpus {self.case_id}",),
            )
            org = str(cur.fetchone()["id"])
        self.corpus.org_case[org] = self.case_id
        return org

    def raw(self, text: str) -> str:
        """A placeholder string that is replaced by the raw JSON ``text`` before the run."""
        placeholder = f"__RAW_{len(self.corpus.raw)}__"
        self.corpus.raw[placeholder] = text
        return placeholder


@dataclass
class Corpus:
    org_case: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)


Verify = Callable[[Database, Planted], list[str]]


@dataclass(frozen=True)
class Case:
    """One malformed job (``kinds`` set) or one positive control (``kinds`` empty)."""

    id: str
    build: Callable[[Builder], Planted]
    kinds: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    verify: Verify | None = None

    @property
    def positive(self) -> bool:
        return not self.kinds


def b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(raw).decode()


def new_id() -> str:
    return str(uuid.uuid4())


# -- model_run --------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Database helpers
# ---------------------------------------------------------------------------------------------

Snapshot = dict[str, dict[str, tuple[str, str | None]]]


def _apply_raw(db: Database, raw: dict[str, str]) -> None:
    """Replace each placeholder string by its raw JSON text, wherever a case put it."""
    targets = (("jobs", "logs"), ("models", "model_json"), ("model_runs", "params_json"))
    with db.transaction() as cur:
        for placeholder, text in raw.items():
            quoted = json.dumps(placeholder)
            for table, column in targets:
                cur.execute(
                    pgsql.SQL(
                        "UPDATE {t} SET {c} = replace({c}::text, %(ph)s, %(raw)s)::jsonb"
                        " WHERE strpos({c}::text, %(ph)s) > 0"
                    ).format(t=pgsql.Identifier(table), c=pgsql.Identifier(column)),
                    {"ph": quoted, "raw": text},
                )


def _snapshot(db: Database) -> Snapshot:
    """Per table: id → (md5 of the whole row, org id). Rows are never decoded in Python (some
    hold JSON that Python's parser refuses)."""
    out: Snapshot = {}
    with db.transaction() as cur:
        for table, org_column in SNAPSHOT_TABLES:
            cur.execute(
                pgsql.SQL(
                    "SELECT id::text AS id, md5(t::text) AS h, {o}::text AS org FROM {t} t"
                ).format(t=pgsql.Identifier(table), o=pgsql.Identifier(org_column))
            )
            out[table] = {r["id"]: (r["h"], r["org"]) for r in cur.fetchall()}
    return out


def _row(db: Database, table: str, row_id: str) -> dict[str, Any] | None:
    with db.transaction() as cur:
        cur.execute(
            pgsql.SQL("SELECT to_jsonb(t)::text AS j FROM {t} t WHERE id::text = %s").format(
                t=pgsql.Identifier(table)
            ),
            (row_id,),
        )
        found = cur.fetchone()
    return None if found is None else dict(json.loads(found["j"]))


def _job_row(db: Database, job_id: str) -> dict[str, Any]:
    """The job's columns, and its log entries other than the parameter entries (as text)."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT status, attempts, last_error, finished_at, worker_id, job_type,"
            "       (SELECT coalesce(jsonb_agg(e ORDER BY i), '[]'::jsonb)::text"
            "          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(logs) = 'array'"
            "                                         THEN logs ELSE '[]'::jsonb END)"
            "               WITH ORDINALITY AS t(e, i)"
            "         WHERE NOT (e ? 'params')"
            "           AND NOT (jsonb_typeof(e -> 'meta') = 'object' AND e -> 'meta' ? 'params')"
            "       ) AS new_entries"
            "  FROM jobs WHERE id = %s",
            (job_id,),
        )
        return dict(cur.fetchone())


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def _check_job(case: Case, job: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    last_error = job["last_error"] or ""
    entries_text = job["new_entries"]
    entries = json.loads(entries_text)
    expected = "completed" if case.positive else "dead_letter"
    if job["status"] != expected:
        # The outcome is wrong: the per-outcome checks below would only repeat it.
        problems.append(
            f"ended {job['status']} (attempts={job['attempts']}, "
            f"last_error={last_error[:300]!r}), expected {expected}"
        )
    elif case.positive:
        if job["attempts"] != 0:
            problems.append(f"completed after {job['attempts']} failed attempts")
    else:
        if job["attempts"] != 1:
            problems.append(f"attempts={job['attempts']}, expected 1 (a bad input is not retried)")
        match = LAST_ERROR_RE.match(last_error)
        if match is None:
            problems.append(f"last_error is not '<ErrorKind>: <message>': {last_error[:300]!r}")
        elif match["kind"] not in case.kinds:
            problems.append(f"last_error kind {match['kind']!r}, expected one of {case.kinds}")
        if len(last_error) > LAST_ERROR_MAX_CHARS:
            problems.append(f"last_error has {len(last_error)} characters (max 500)")
        if any(m in last_error for m in STACK_TRACE_MARKERS):
            problems.append("last_error carries a stack trace or several lines")
        for needle in case.mentions:
            if needle.lower() not in last_error.lower():
                problems.append(f"last_error does not mention {needle!r}: {last_error[:300]!r}")
        if job["finished_at"] is None or job["worker_id"] is not None:
            problems.append("dead_letter without finished_at, or still owned by a worker")
        failure_entries = [e for e in entries if e.get("level") == "error"]
        if not any(e.get("msg") == last_error for e in failure_entries):
            problems.append("no error log entry carries the last_error text")
    for marker in case.forbidden:
        if marker in last_error:
            problems.append(f"last_error echoes the parameter value ({marker!r})")
        if marker in entries_text:
            where = [e.get("msg", "")[:120] for e in entries if marker in json.dumps(e)]
            problems.append(f"a new log entry echoes the input ({marker!r}): {where}")
    if len(entries_text.encode()) > NEW_LOG_ENTRIES_MAX_BYTES:
        problems.append(f"new log entries hold {len(entries_text.encode())} bytes")
    if problems and last_error and job["status"] == expected:
        problems.append(f"observed last_error={last_error[:300]!r}")
    return problems


def _check_domain(
    db: Database, case: Case, planted: Planted, before: dict[str, Any] | None, job: dict[str, Any]
) -> list[str]:
    if planted.domain is None or before is None:
        return []
    table, row_id = planted.domain
    after = _row(db, table, row_id)
    if after is None:
        return [f"{table} row {row_id} disappeared"]
    if case.positive:
        want, allowed = COMPLETED_STATUS.get(table), COMPLETE_COLUMNS.get(table, set())
    else:
        want, allowed = FAILED_STATUS[table], FAIL_COLUMNS[table]
    problems: list[str] = []
    if want is not None and after["status"] != want:
        return [f"{table} row is {after['status']!r}, expected {want!r}"]
    changed = sorted(k for k in after if after[k] != before.get(k) and k not in allowed)
    if changed:
        problems.append(f"{table} row changed columns it must not: {changed}")
    if not case.positive and table in ("model_runs", "monte_carlo_jobs"):
        if after.get("finished_at") is None:
            problems.append(f"{table} row failed without finished_at")
    if not case.positive and table == "data_import_batches":
        stats = after.get("stats_json") or {}
        if stats.get("error") != job["last_error"] or stats.get("rowsImported") != 0:
            problems.append(f"batch stats_json is {json.dumps(stats)[:300]}")
    return problems


def _diff(
    before: Snapshot,
    after: Snapshot,
    cases: dict[str, tuple[Case, Planted]],
    org_case: dict[str, str],
) -> dict[str, list[str]]:
    """Rows changed outside each case's own job and domain row, attributed by org."""
    owned = {p.job.id for _, p in cases.values()}
    owned |= {p.domain[1] for _, p in cases.values() if p.domain}
    counts: dict[str, dict[tuple[str, str], list[str]]] = {}
    for table, _ in SNAPSHOT_TABLES:
        old, new = before[table], after[table]
        for row_id in sorted(set(old) | set(new)):
            if row_id in owned or old.get(row_id, ("", None))[0] == new.get(row_id, ("", None))[0]:
                continue
            org = (new.get(row_id) or old.get(row_id) or ("", None))[1]
            case_id = org_case.get(org or "", "(no corpus org)")
            what = "added" if row_id not in old else "deleted" if row_id not in new else "changed"
            if what == "added" and table in POSITIVE_NEW_ROWS and case_id in cases:
                if cases[case_id][0].positive:
                    continue
            counts.setdefault(case_id, {}).setdefault((table, what), []).append(row_id)
    return {
        case_id: [
            f"{len(ids)} {table} row(s) {what} (e.g. {ids[0]})"
            for (table, what), ids in sorted(by_table.items())
        ]
        for case_id, by_table in counts.items()
    }


def _wait_all(planted: dict[str, tuple[Case, Planted]], deadline: float) -> dict[str, str]:
    timeouts: dict[str, str] = {}
    for case_id, (_, p) in planted.items():
        try:
            p.job.wait(max(0.1, deadline - time.monotonic()))
        except JobTimeout:
            timeouts[case_id] = (
                f"not terminal after the corpus deadline: {p.job.status}, attempts="
                f"{p.job.attempts}, last_error={(p.job.last_error or '')[:300]!r}"
            )
    return timeouts


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def run_corpus(
    db: Database,
    env: dict[str, str],
    spawn: Callable[..., Proc],
    cases: Sequence[Case],
) -> None:
    """Plant every case, run them through one bridge and one worker, assert on the findings."""
    env["WORKER_JOB_TYPES"] = ALL_JOB_TYPES
    env["WORKER_FOLLOWUP_JOBS"] = FOLLOWUP_JOBS
    env.update(CORPUS_ENV)
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert sum(not c.positive for c in cases) >= 50

    corpus = Corpus()
    planted: dict[str, tuple[Case, Planted]] = {}
    for case in cases:
        planted[case.id] = (case, case.build(Builder(db, corpus, case.id)))
    _apply_raw(db, corpus.raw)
    domain_before = {
        cid: (_row(db, *p.domain) if p.domain else None) for cid, (_, p) in planted.items()
    }
    before = _snapshot(db)

    worker = spawn("worker", threads=WORKER_THREADS)
    bridge = spawn("bridge")
    started = time.monotonic()
    timeouts = _wait_all(planted, started + CORPUS_DEADLINE_S)
    corpus_s = time.monotonic() - started
    after = _snapshot(db)

    findings: dict[str, list[str]] = {cid: [] for cid in planted}
    for cid, message in timeouts.items():
        findings[cid].append(message)
    for cid, (case, p) in planted.items():
        job = _job_row(db, p.job.id)
        if cid not in timeouts:
            findings[cid] += _check_job(case, job)
        findings[cid] += _check_domain(db, case, p, domain_before[cid], job)
        if case.verify is not None and job["status"] == "completed":
            findings[cid] += case.verify(db, p)
    for cid, problems in _diff(before, after, planted, corpus.org_case).items():
        findings.setdefault(cid, []).extend(problems)

    # stdout of both processes: no payload, ever (§3.1, §7).
    for proc in (worker, bridge):
        lines = proc.log().splitlines()
        for marker in STDOUT_MARKERS:
            hits = [line for line in lines if marker in line]
            if hits:
                findings.setdefault(f"stdout of {proc.name}", []).append(
                    f"{len(hits)} line(s) contain {marker!r}, e.g. {hits[0][:200]!r}"
                )

    # The worker survived the corpus and still runs valid jobs.
    health: list[str] = []
    if not worker.alive() or not bridge.alive():
        health.append(f"worker alive={worker.alive()}, bridge alive={bridge.alive()}")
    else:
        org = Builder(db, corpus, "health").org()
        model = insert_model(db, org)
        run = insert_model_run(db, org, model)
        noop = submit(db, "noop", {}, org_id=org)
        model_run = submit_model_run(db, org, run, model)
        for name, handle in (("noop", noop), ("model_run", model_run)):
            try:
                handle.wait(HEALTH_WAIT_S)
            except JobTimeout:
                pass
            if handle.status != "completed":
                health.append(f"valid {name} ended {handle.status}: {handle.last_error!r}")
        if not worker.alive() or not worker.child_pids():
            health.append("the worker process (or its dramatiq child) died")
    if health:
        findings["worker health"] = health

    # Shown by pytest on failure: the outcome of every case, for the reader of the report.
    for cid, (_, p) in planted.items():
        p.job.refresh()
        print(f"{cid:60} {p.job.status:12} {p.job.attempts} {(p.job.last_error or '')[:160]}")
    report = {cid: problems for cid, problems in findings.items() if problems}
    lines = [f"{len(report)} of {len(cases)} cases failed (corpus took {corpus_s:.1f}s):"]
    for cid, problems in report.items():
        lines.append(f"- {cid}")
        lines.extend(f"    {p}" for p in problems)
    assert not report, "\n".join(lines)
