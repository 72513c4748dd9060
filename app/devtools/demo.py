"""``python -m app demo``: the whole system on one machine, with nothing to set up.

It starts the embedded PostgreSQL under ``.data/``, applies the DEV copy of the backend tables,
starts a bridge and a dramatiq worker as subprocesses, inserts sample jobs as the backend
would, shows their progress and prints a table of outcomes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extras
from psycopg2 import sql as pgsql

from app.client import JobHandle, submit
from app.db import Database, execute, jsonb
from app.devtools import DEVTOOLS_SQL
from app.devtools.demo_chain import chain_table, import_params, seed_chain
from app.devtools.dev_schema import apply_dev_backend_schema
from app.devtools.embedded import DATA_ROOT, free_port, start_embedded
from app.jobtypes import REGISTRY
from app.schema import ensure_worker_schema, set_notify_trigger
from app.settings import Settings
from app.supervisor import Supervisor, child_specs

DEMO_DB = "finapilot_demo"
DEMO_TIMEOUT_S = 180
#: Result figures worth a column in the outcome table, in this order.
SHOWN_META = (
    "startMonth",
    "months",
    "numSimulations",
    "cpuSeconds",
    "rowsImported",
    "rowsDuplicate",
    "rowsSkipped",
    "fileSize",
    "runsCreated",
    "rulesTriggered",
    "notificationsCreated",
    "noop",
)
#: The follow-ups the demo lets the worker insert: the automation chain runs end to end.
FOLLOWUP_JOBS = "auto_model_trigger,alert_check"
POLL_S = 0.5


def _prepare_embedded() -> str:
    server = start_embedded("pg")
    admin = psycopg2.connect(server.url)
    admin.autocommit = True
    with admin.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        exists = bool(execute(cur, "demo_database_exists", {"name": DEMO_DB}, sql=DEVTOOLS_SQL))
        if not exists:
            # CREATE DATABASE takes no parameters; the name is composed as an identifier.
            cur.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(DEMO_DB)))
    admin.close()
    url = server.url_for(DEMO_DB)
    if not exists:
        conn = psycopg2.connect(url)
        apply_dev_backend_schema(conn)  # DEV ONLY: the backend owns these tables in production
        conn.close()
    return url


DEMO_MODEL = {
    "assumptions": {
        "initialCash": 750000,
        "baselineRevenue": 42000,
        "baselineExpenses": 61000,
        "revenueGrowth": 0.06,
        "expenseGrowth": 0.02,
        "churnRate": 0.02,
        "customerCount": 120,
        "cac": 1800,
        "marketing": 9000,
    },
    "metadata": {"startMonth": "2026-01", "forecastDuration": 24},
}

SAMPLE_CSV = (
    "Date,Description,Amount,Category\r\n"
    '2025-10-03,Stripe payout,"$42,310.00",Revenue\r\n'
    "2025-10-05,AWS,(3120.55),Hosting\r\n"
    "2025-10-28,Payroll,-38500,Payroll\r\n"
    '2025-11-03,Stripe payout,"$44,050.00",Revenue\r\n'
    "2025-11-05,AWS,(3210.10),Hosting\r\n"
    "2025-11-28,Payroll,-38500,Payroll\r\n"
    "2025-11-28,Coffee,-4.50,Meals\r\n"
    "2025-11-28,Coffee,-4.50,Meals\r\n"
)


@dataclass
class DemoRows:
    """The rows one demo run inserted (a re-run inserts its own, in a new org)."""

    org: str
    run: str
    simulation: str
    exports: dict[str, str]


def seed(db: Database) -> tuple[list[tuple[str, JobHandle]], DemoRows]:
    """Insert an org, a model and its runs, exports and an upload, and their jobs, as the
    backend does. Returns the jobs in the order they were submitted, and the rows."""

    def one(cur: Any, block: str, **params: Any) -> str:
        return str(execute(cur, block, params, sql=DEVTOOLS_SQL)[0]["id"])

    with db.transaction() as cur:
        org = one(cur, "demo_org_insert", name="Demo Rocket Ltd", currency="USD")
        model = one(
            cur, "demo_model_insert", org_id=org, name="Plan 2026", model_json=jsonb(DEMO_MODEL)
        )
        run = one(cur, "demo_run_insert", model_id=model, org_id=org)
        simulation = one(
            cur, "demo_simulation_insert", run_id=run, org_id=org, n=5000, params_hash="demo"
        )
        exports = {}
        for kind in ("pdf", "pptx", "csv"):
            exports[kind] = one(
                cur,
                "demo_export_insert",
                run_id=run,
                org_id=org,
                type=kind,
                meta=jsonb({"template": "executive-summary"}),
            )
        batch = one(cur, "demo_batch_insert", org_id=org)
    jobs = [
        (
            "model_run",
            submit(
                db,
                "model_run",
                {"modelRunId": run, "modelId": model, "runType": "baseline"},
                org_id=org,
                object_id=run,
            ),
        ),
        (
            "csv_import",
            submit(
                db,
                "csv_import",
                import_params(SAMPLE_CSV, batch),
                org_id=org,
                object_id=batch,
            ),
        ),
    ]
    return jobs, DemoRows(org, run, simulation, exports)


def seed_followers(db: Database, rows: DemoRows) -> list[tuple[str, JobHandle]]:
    """Jobs that read the model run's results: submitted once the run is done."""
    mc = {"mc": rows.simulation, "run": rows.run, "org": rows.org}
    exports = [{"id": export_id, "type": kind} for kind, export_id in rows.exports.items()]
    jobs = [
        (
            "monte_carlo",
            submit(
                db,
                "monte_carlo",
                {
                    "monteCarloJobId": mc["mc"],
                    "modelRunId": mc["run"],
                    "numSimulations": 5000,
                    "randomSeed": 42,
                    "paramsHash": "demo",
                    "drivers": {
                        "revenue_growth": {"dist": "normal", "mean": 6, "stdDev": 3},
                        "churn_rate": {"dist": "triangular", "min": 1, "mode": 2, "max": 4},
                        "opex_variance": {"dist": "uniform", "min": -0.05, "max": 0.1},
                    },
                },
                org_id=mc["org"],
                object_id=mc["mc"],
            ),
        )
    ]
    for row in exports:
        job_type = {"pdf": "export_pdf", "pptx": "export_pptx", "csv": "export_csv"}[row["type"]]
        jobs.append(
            (
                job_type,
                submit(
                    db,
                    job_type,
                    {"exportId": row["id"], "modelRunId": mc["run"], "type": row["type"]},
                    org_id=mc["org"],
                    object_id=row["id"],
                ),
            )
        )
    return jobs


def _show(jobs: list[tuple[str, JobHandle]], seen: dict[str, tuple[str, float]]) -> None:
    for name, handle in jobs:
        handle.refresh()
        state = (handle.status, handle.progress)
        if seen.get(handle.id) != state:
            seen[handle.id] = state
            print(f"  {name:<19} {handle.status:<11} {handle.progress:6.1f}%", flush=True)


def _discover(db: Database, orgs: list[str], jobs: list[tuple[str, JobHandle]]) -> None:
    """Add the follow-ups the worker inserted in the demo's orgs (a parent inserts them in its
    final transaction, so once every job seen is done, no new one can appear)."""
    known = {h.id for _, h in jobs}
    with db.transaction() as cur:
        rows = execute(cur, "demo_org_jobs", {"orgs": orgs}, sql=DEVTOOLS_SQL)
    jobs.extend((r["job_type"], JobHandle(db, r["id"])) for r in rows if r["id"] not in known)


def _wait_all(
    db: Database,
    orgs: list[str],
    jobs: list[tuple[str, JobHandle]],
    seen: dict[str, tuple[str, float]],
    until: list[tuple[str, JobHandle]] | None = None,
) -> None:
    """Wait for ``until`` (default: every job of the orgs, follow-ups included) to end."""
    deadline = time.monotonic() + DEMO_TIMEOUT_S
    while time.monotonic() < deadline:
        _discover(db, orgs, jobs)
        _show(jobs, seen)
        if all(h.done for _, h in (until if until is not None else jobs)):
            _discover(db, orgs, jobs)
            if until is not None or all(h.done for _, h in jobs):
                return
        time.sleep(POLL_S)
    raise TimeoutError(f"jobs still running after {DEMO_TIMEOUT_S}s")


def _outcome(db: Database, job_id: str) -> dict[str, Any]:
    with db.transaction() as cur:
        return execute(cur, "demo_outcome", {"job_id": job_id}, sql=DEVTOOLS_SQL)[0]


def _outcome_table(db: Database, jobs: list[tuple[str, JobHandle]]) -> str:
    lines = [
        f"{'job type':<19} {'status':<11} {'attempts':>8} {'seconds':>8}  result / error",
        "-" * 96,
    ]
    for name, handle in jobs:
        row = _outcome(db, handle.id)
        detail = row["last_error"] or ""
        if row["status"] == "completed":
            meta = row["logs"][-1].get("meta", {})
            detail = ", ".join(f"{k}={meta[k]}" for k in SHOWN_META if meta.get(k) is not None)
        took = f"{row['took']:.2f}" if row["took"] is not None else "-"
        lines.append(
            f"{name:<19} {row['status']:<11} {row['attempts']:>8} {took:>8}  {detail[:60]}"
        )
    return "\n".join(lines)


def demo() -> int:
    """Run the sample jobs on the embedded default and print their outcomes."""
    print("▶ starting embedded PostgreSQL (.data/pg) …", flush=True)
    url = _prepare_embedded()
    settings = Settings.from_env({"DATABASE_URL": url})
    db = Database(settings.database, max_connections=4, application_name="finapilot-demo")
    ensure_worker_schema(db)
    set_notify_trigger(db, install=True)  # the demo opts in to NOTIFY wake-ups
    env = {
        "DATABASE_URL": url,
        "WORKER_JOB_TYPES": ",".join(REGISTRY.default_claimed),
        "WORKER_FOLLOWUP_JOBS": FOLLOWUP_JOBS,
        "WORKER_GRACEFUL_SHUTDOWN_TIMEOUT": "15",
    }
    log_dir = DATA_ROOT / "demo-logs"
    children = Supervisor(
        child_specs(
            Settings.from_env(env),
            env,
            log_dir,
            threads=4,
            bridge_port=free_port(),
            worker_port=free_port(),
        ),
        stop_timeout_s=30.0,
    )
    children.start()
    print(f"▶ bridge and dramatiq worker started (logs in {log_dir})", flush=True)
    seen: dict[str, tuple[str, float]] = {}
    try:
        jobs, rows = seed(db)
        chain_org, chain_import = seed_chain(db)
        jobs.append(("csv_import", chain_import))
        orgs = [rows.org, chain_org]
        print("▶ jobs inserted as the backend does; progress:", flush=True)
        _wait_all(db, orgs, jobs, seen, until=jobs[:1])
        jobs += seed_followers(db, rows)
        _wait_all(db, orgs, jobs, seen)
        print("\n" + _outcome_table(db, jobs), flush=True)
        print("\n" + chain_table(db, chain_org, chain_import.id), flush=True)
        failed = [h for _, h in jobs if h.status != "completed"]
        return 1 if failed else 0
    except KeyboardInterrupt:
        print("\n▶ interrupted; stopping …", flush=True)
        return 130
    finally:
        children.stop()
        db.close()
        start_embedded("pg").stop()
        print("▶ stopped bridge, worker and embedded PostgreSQL", flush=True)
