"""The real-job part of the chaos workload, and its once-only checks.

Each real job gets an org of its own, so "written once" can be checked per org: one billing set,
one completed export file, an import batch whose counted rows match the table.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import psycopg2

from app.finance import ModelInputs, build_model_run

MODEL_RUNS = 40
MONTE_CARLOS = 20
EXPORTS_PER_KIND = 10
IMPORTS = 10
IMPORT_ROWS = 400

MODEL_JSON = {
    "assumptions": {
        "initialCash": 900000,
        "baselineRevenue": 52000,
        "baselineExpenses": 70000,
        "revenueGrowth": 0.05,
        "expenseGrowth": 0.015,
        "churnRate": 0.02,
        "customerCount": 140,
        "cac": 1500,
        "marketing": 8000,
    },
    "metadata": {"startMonth": "2026-01", "forecastDuration": 36},
}


def _params_logs(job_type: str, params: dict[str, Any]) -> str:
    return json.dumps(
        [
            {
                "ts": "2026-01-01T00:00:00.000Z",
                "level": "info",
                "msg": "Job created",
                "meta": {"jobType": job_type},
            },
            {
                "ts": "2026-01-01T00:00:00.000Z",
                "level": "info",
                "msg": "Job parameters set",
                "meta": {"params": params},
            },
        ]
    )


def _one(cur: Any, sql: str, params: tuple) -> str:
    cur.execute(sql, params)
    return str(cur.fetchone()[0])


def _org_model_run(cur: Any, tag: str, done: bool) -> tuple[str, str, str]:
    org = _one(cur, "INSERT INTO orgs (name) VALUES (%s) RETURNING id", (f"chaos {tag}",))
    model = _one(
        cur,
        "INSERT INTO models (org_id, name, model_json) VALUES (%s, 'm', %s) RETURNING id",
        (org, json.dumps(MODEL_JSON)),
    )
    run = _one(
        cur,
        "INSERT INTO model_runs (model_id, org_id, run_type, params_json) "
        "VALUES (%s, %s, 'baseline', '{}') RETURNING id",
        (model, org),
    )
    if done:
        mi = ModelInputs(
            model_json=MODEL_JSON,
            model_version=1,
            model_created_month="2025-12",
            params_json={},
            run_type="baseline",
            ledger=[],
            ledger_currencies=[],
            headcount_plans=[],
            drivers=[],
        )
        result = build_model_run(
            mi,
            model_run_id=run,
            model_id=model,
            org_id=org,
            generated_at=dt.datetime.now(dt.UTC).isoformat(),
        )
        cur.execute(
            "UPDATE model_runs SET status = 'done', summary_json = %s, "
            "finished_at = now() WHERE id = %s",
            (json.dumps(result.summary), run),
        )
    return org, model, run


def _job(cur: Any, job_type: str, org: str, obj: str, params: dict[str, Any], queue: str) -> None:
    cur.execute(
        "INSERT INTO jobs (job_type, org_id, object_id, queue, logs) VALUES (%s, %s, %s, %s, %s)",
        (job_type, org, obj, queue, _params_logs(job_type, params)),
    )


def _csv(i: int) -> str:
    lines = ["Date,Description,Amount,Category"]
    for r in range(IMPORT_ROWS):
        amount = f"-{(r % 97) + 1}.{r % 100:02d}" if r % 3 else f"{1000 + r}.00"
        lines.append(
            f"2025-{(r % 12) + 1:02d}-{(r % 27) + 1:02d},item {i}-{r},{amount},"
            f"{'Hosting' if r % 3 == 1 else 'Revenue' if r % 3 == 0 else 'Office'}"
        )
    return "\r\n".join(lines) + "\r\n"


def seed_real(url: str) -> dict[str, int]:
    """Insert the real jobs (each in its own org). Returns counts per type."""
    counts: dict[str, int] = {}
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        for i in range(MODEL_RUNS):
            org, model, run = _org_model_run(cur, f"mr{i}", done=False)
            _job(cur, "model_run", org, run, {"modelRunId": run, "modelId": model}, "default")
        counts["model_run"] = MODEL_RUNS
        for i in range(MONTE_CARLOS):
            org, _, run = _org_model_run(cur, f"mc{i}", done=False)
            mc = _one(
                cur,
                "INSERT INTO monte_carlo_jobs (model_run_id, org_id, num_simulations, "
                "params_hash) VALUES (%s, %s, 20000, %s) RETURNING id",
                (run, org, f"h{i}"),
            )
            _job(
                cur,
                "monte_carlo",
                org,
                mc,
                {
                    "monteCarloJobId": mc,
                    "numSimulations": 20000,
                    "randomSeed": i,
                    "drivers": {
                        "revenue_growth": {"dist": "normal", "mean": 5, "stdDev": 2},
                        "churn_rate": {"dist": "uniform", "min": 1, "max": 3},
                    },
                },
                "montecarlo",
            )
        counts["monte_carlo"] = MONTE_CARLOS
        for kind, job_type in (
            ("pdf", "export_pdf"),
            ("pptx", "export_pptx"),
            ("csv", "export_csv"),
        ):
            for i in range(EXPORTS_PER_KIND):
                org, _, run = _org_model_run(cur, f"{kind}{i}", done=True)
                export = _one(
                    cur,
                    "INSERT INTO exports (model_run_id, org_id, type) "
                    "VALUES (%s, %s, %s) RETURNING id",
                    (run, org, kind),
                )
                _job(cur, job_type, org, export, {"exportId": export, "modelRunId": run}, "exports")
            counts[job_type] = EXPORTS_PER_KIND
        for i in range(IMPORTS):
            org = _one(cur, "INSERT INTO orgs (name) VALUES (%s) RETURNING id", (f"chaos imp{i}",))
            batch = _one(
                cur,
                "INSERT INTO data_import_batches (org_id, source_type) "
                "VALUES (%s, 'csv') RETURNING id",
                (org,),
            )
            data = base64.b64encode(_csv(i).encode()).decode()
            _job(
                cur,
                "csv_import",
                org,
                batch,
                {
                    "importBatchId": batch,
                    "fileData": data,
                    "dateFormat": "YYYY-MM-DD",
                    "mappings": {
                        "date": "Date",
                        "amount": "Amount",
                        "description": "Description",
                        "category": "Category",
                    },
                },
                "default",
            )
        counts["csv_import"] = IMPORTS
    conn.commit()
    conn.close()
    return counts


ONCE_CHECKS = {
    # billing rows per org and metric: one attempt's success writes one set
    "billing rows written twice": "SELECT count(*) FROM (SELECT org_id, metric FROM billing_usage "
    "GROUP BY 1, 2 HAVING count(*) > 1) x",
    # an import's counted rows are the rows in the table for its batch
    "import batches whose rows differ from their count": (
        "SELECT count(*) FROM data_import_batches b WHERE b.status = 'completed' AND "
        "(b.stats_json->>'rowsImported')::int <> (SELECT count(*) FROM raw_transactions t "
        "WHERE t.import_batch_id = b.id)"
    ),
    # exactly one storage for a completed export
    "completed exports with both or neither storage": (
        "SELECT count(*) FROM exports WHERE status = 'completed' AND "
        "((s3_key IS NULL) = (file_data IS NULL))"
    ),
    # a completed real job's domain row reached its success state
    "completed model_run jobs whose run is not done": (
        "SELECT count(*) FROM jobs j JOIN model_runs r ON r.id = j.object_id "
        "WHERE j.job_type = 'model_run' AND j.status = 'completed' AND r.status <> 'done'"
    ),
}


def side_effects_twice(url: str) -> int:
    """How many once-only checks failed (0 is the promise)."""
    conn = psycopg2.connect(url)
    bad = 0
    with conn.cursor() as cur:
        for label, sql in ONCE_CHECKS.items():
            cur.execute(sql)
            n = int(cur.fetchone()[0])
            if n:
                print(f"  ✗ {label}: {n}")
            bad += n
    conn.close()
    return bad
