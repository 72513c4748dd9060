"""Factories with defaults for the domain rows the job types read (each section has an owner).

Plain functions over a :class:`~app.db.Database`; every test database is a fresh clone of the
template, so nothing needs tearing down.
"""

from __future__ import annotations

import copy
from typing import Any

from app.client import JobHandle, submit
from app.db import Database, jsonb

# ---------------------------------------------------------------------------------------------
# Models, model runs, ledger, headcount, drivers, metric cube, Monte Carlo jobs
# (model_run and monte_carlo job tests)
# ---------------------------------------------------------------------------------------------

#: A small valid model: 12 months from 2025-01, every level given by the assumptions.
DEFAULT_ASSUMPTIONS: dict[str, Any] = {
    "initialCash": 500_000,
    "baselineRevenue": 40_000,
    "baselineExpenses": 55_000,
    "revenueGrowth": 0.04,
    "cogsPercentage": 0.25,
}
DEFAULT_METADATA: dict[str, Any] = {"startMonth": "2025-01", "forecastDuration": 12}


def insert_model(
    db: Database,
    org_id: str,
    *,
    assumptions: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    manual_inputs: dict[str, Any] | None = None,
    name: str = "Operating plan",
    version: int = 1,
) -> str:
    """A ``models`` row; returns its id."""
    model_json: dict[str, Any] = {
        "assumptions": copy.deepcopy(DEFAULT_ASSUMPTIONS if assumptions is None else assumptions),
        "metadata": copy.deepcopy(DEFAULT_METADATA if metadata is None else metadata),
    }
    if manual_inputs is not None:
        model_json["manualInputs"] = manual_inputs
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO models (org_id, name, model_json, version) VALUES (%s, %s, %s, %s)"
            " RETURNING id::text",
            (org_id, name, jsonb(model_json), version),
        )
        return str(cur.fetchone()["id"])


def insert_model_run(
    db: Database,
    org_id: str,
    model_id: str,
    *,
    run_type: str = "baseline",
    params_json: dict[str, Any] | None = None,
    status: str = "queued",
    summary_json: dict[str, Any] | None = None,
) -> str:
    """A ``model_runs`` row as the backend creates it; returns its id."""
    params = {"modelType": "prophet"} if params_json is None else params_json
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO model_runs (model_id, org_id, run_type, params_json, status, summary_json)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id::text",
            (
                model_id,
                org_id,
                run_type,
                jsonb(params),
                status,
                None if summary_json is None else jsonb(summary_json),
            ),
        )
        return str(cur.fetchone()["id"])


def insert_transactions(
    db: Database,
    org_id: str,
    rows: list[tuple[str, float, str | None]],
    *,
    currency: str = "USD",
    is_duplicate: bool = False,
) -> None:
    """``raw_transactions`` rows from ``(date, amount, category)`` tuples."""
    with db.transaction() as cur:
        for date, amount, category in rows:
            cur.execute(
                "INSERT INTO raw_transactions (org_id, date, amount, currency, category,"
                " is_duplicate) VALUES (%s, %s, %s, %s, %s, %s)",
                (org_id, date, amount, currency, category, is_duplicate),
            )


def insert_headcount_plan(
    db: Database,
    org_id: str,
    *,
    start_date: str,
    salary: float | None = 120_000,
    quantity: int = 1,
    status: str = "planned",
    end_date: str | None = None,
    ramp_months: int = 1,
) -> None:
    """One ``headcount_plans`` row."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO headcount_plans (org_id, name, role, quantity, salary, start_date,"
            " end_date, ramp_months, status) VALUES (%s, 'Hire', 'Engineer', %s, %s, %s, %s,"
            " %s, %s)",
            (org_id, quantity, salary, start_date, end_date, ramp_months, status),
        )


def insert_driver(
    db: Database,
    org_id: str,
    model_id: str,
    name: str,
    *,
    values: dict[str, float] | None = None,
    scenario: str = "Base",
    is_calculated: bool = False,
) -> str:
    """A ``drivers`` row with its ``driver_values`` in the named scenario (created if missing)."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT id FROM financial_scenarios WHERE model_id = %s AND name = %s",
            (model_id, scenario),
        )
        found = cur.fetchone()
        if found is None:
            cur.execute(
                "INSERT INTO financial_scenarios (id, org_id, model_id, name, is_default)"
                " VALUES (gen_random_uuid(), %s, %s, %s, %s) RETURNING id",
                (org_id, model_id, scenario, scenario == "Base"),
            )
            found = cur.fetchone()
        scenario_id = found["id"]
        cur.execute(
            "INSERT INTO drivers (id, org_id, model_id, name, type, is_calculated, updated_at)"
            " VALUES (gen_random_uuid(), %s, %s, %s, 'input', %s, now()) RETURNING id::text",
            (org_id, model_id, name, is_calculated),
        )
        driver_id = str(cur.fetchone()["id"])
        for month, value in (values or {}).items():
            cur.execute(
                "INSERT INTO driver_values (id, driver_id, scenario_id, month, value, updated_at)"
                " VALUES (gen_random_uuid(), %s, %s, %s, %s, now())",
                (driver_id, scenario_id, month, value),
            )
        return driver_id


def insert_cube_row(
    db: Database,
    org_id: str,
    model_id: str,
    *,
    metric_name: str = "revenue",
    month: str = "2019-01",
    value: float = 1.0,
    scenario_id: str | None = None,
    department_id: str | None = None,
) -> str:
    """One ``metric_cube`` row; returns its id."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO metric_cube (org_id, model_id, metric_name, month, value, scenario_id,"
            " department_id) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id::text",
            (org_id, model_id, metric_name, month, value, scenario_id, department_id),
        )
        return str(cur.fetchone()["id"])


def insert_monte_carlo_job(
    db: Database,
    org_id: str,
    model_run_id: str,
    *,
    num_simulations: int = 300,
    params_hash: str | None = "hash-1",
    status: str = "queued",
) -> str:
    """A ``monte_carlo_jobs`` row as the backend creates it; returns its id."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO monte_carlo_jobs (model_run_id, org_id, num_simulations, params_hash,"
            " status) VALUES (%s, %s, %s, %s, %s) RETURNING id::text",
            (model_run_id, org_id, num_simulations, params_hash, status),
        )
        return str(cur.fetchone()["id"])


def submit_model_run(
    db: Database,
    org_id: str,
    run_id: str,
    model_id: str,
    *,
    run_type: str = "baseline",
    **params: Any,
) -> JobHandle:
    """A ``model_run`` job inserted as the backend's run route does (object_id = the run)."""
    job_params = {
        "modelRunId": run_id,
        "modelId": model_id,
        "runType": run_type,
        "paramsJson": {"modelType": "prophet"},
        **params,
    }
    return submit(db, "model_run", job_params, org_id=org_id, object_id=run_id)


def submit_monte_carlo(
    db: Database,
    org_id: str,
    mc_id: str,
    run_id: str,
    model_id: str,
    *,
    num_simulations: int = 300,
    drivers: Any = None,
    **params: Any,
) -> JobHandle:
    """A ``monte_carlo`` job inserted as the backend does (object_id = the Monte Carlo row)."""
    job_params = {
        "monteCarloJobId": mc_id,
        "modelRunId": run_id,
        "modelId": model_id,
        "numSimulations": num_simulations,
        "drivers": {} if drivers is None else drivers,
        "overrides": {},
        "randomSeed": 42,
        "mode": "full",
        "paramsHash": "hash-1",
        **params,
    }
    return submit(db, "monte_carlo", job_params, org_id=org_id, object_id=mc_id)


# ---------------------------------------------------------------------------------------------
# Exports and CSV imports (export_* and csv_import job tests)
# ---------------------------------------------------------------------------------------------

#: ``exports.type`` → the job type the backend queues for it (contract §1.1).
EXPORT_JOB_TYPES = {
    "pdf": "export_pdf",
    "memo": "export_pdf",
    "pptx": "export_pptx",
    "csv": "export_csv",
}
#: The mapping the web UI's import wizard sends for the test files.
IMPORT_MAPPINGS = {
    "date": "Date",
    "amount": "Amount",
    "description": "Description",
    "category": "Category",
}


def insert_done_run(
    db: Database, org_id: str, summary_json: dict[str, Any] | None, *, status: str = "done"
) -> str:
    """A model and a model run in ``status`` with ``summary_json``; returns the run id."""
    model_id = insert_model(db, org_id)
    return insert_model_run(db, org_id, model_id, status=status, summary_json=summary_json)


def insert_done_monte_carlo(
    db: Database, org_id: str, model_run_id: str, percentiles_json: dict[str, Any]
) -> str:
    """A finished ``monte_carlo_jobs`` row of the run; returns its id."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO monte_carlo_jobs (model_run_id, org_id, status, percentiles_json,"
            " finished_at) VALUES (%s, %s, 'done', %s, now()) RETURNING id::text",
            (model_run_id, org_id, jsonb(percentiles_json)),
        )
        return str(cur.fetchone()["id"])


def insert_export(
    db: Database,
    org_id: str,
    model_run_id: str,
    *,
    type: str = "pdf",
    status: str = "queued",
    meta_json: dict[str, Any] | None = None,
    file_data: bytes | None = None,
) -> str:
    """An ``exports`` row as the backend's export route creates it; returns its id."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO exports (model_run_id, org_id, type, status, meta_json, file_data)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id::text",
            (
                model_run_id,
                org_id,
                type,
                status,
                None if meta_json is None else jsonb(meta_json),
                file_data,
            ),
        )
        return str(cur.fetchone()["id"])


def submit_export(
    db: Database,
    org_id: str,
    export_id: str,
    model_run_id: str,
    *,
    type: str = "pdf",
    **params: Any,
) -> JobHandle:
    """The export job the backend queues for an export (object_id = the export)."""
    job_params = {"exportId": export_id, "modelRunId": model_run_id, "type": type, **params}
    return submit(db, EXPORT_JOB_TYPES[type], job_params, org_id=org_id, object_id=export_id)


def insert_budget(db: Database, org_id: str, category: str, month: str, amount: float) -> None:
    """One ``budgets`` row."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO budgets (id, org_id, category, month, amount)"
            " VALUES (gen_random_uuid(), %s, %s, %s, %s)",
            (org_id, category, month, amount),
        )


def insert_import_batch(db: Database, org_id: str, *, status: str = "created") -> str:
    """A ``data_import_batches`` row as the backend's upload route creates it; returns its id."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO data_import_batches (org_id, source_type, source_ref, status)"
            " VALUES (%s, 'csv', 'upload.csv', %s) RETURNING id::text",
            (org_id, status),
        )
        return str(cur.fetchone()["id"])


def submit_csv_import(
    db: Database,
    org_id: str,
    *,
    batch_id: str | None,
    file_id: str,
    file_data: str | None = None,
    s3_key: str | None = None,
    mappings: dict[str, Any] | None = None,
    **params: Any,
) -> JobHandle:
    """A ``csv_import`` job as the backend's import route queues it (object_id = the file id)."""
    job_params: dict[str, Any] = {
        "uploadKey": f"uploads/{org_id}/{file_id}.csv",
        "importBatchId": batch_id,
        "mappings": IMPORT_MAPPINGS if mappings is None else mappings,
        "dateFormat": "YYYY-MM-DD",
        "currency": "USD",
        **params,
    }
    if file_data is not None:
        job_params["fileData"] = file_data
    if s3_key is not None:
        job_params["s3Key"] = s3_key
    return submit(db, "csv_import", job_params, org_id=org_id, object_id=file_id)


# --- shared by the job test modules: start the pipeline, read rows -----------------------------


def fetch_one(db: Any, sql: str, *args: Any) -> dict[str, Any]:
    """One row of ``sql`` as a dict (fails the test when there is none)."""
    with db.transaction() as cur:
        cur.execute(sql, args)
        row = cur.fetchone()
    assert row is not None, sql
    return dict(row)


def fetch_all(db: Any, sql: str, *args: Any) -> list[dict[str, Any]]:
    with db.transaction() as cur:
        cur.execute(sql, args)
        return [dict(r) for r in cur.fetchall()]


# --- contract key sets ----------------------------------------------------------------------

#: Every top-level ``summary_json`` key of §5.1.6 (``fullResult`` only when S3 is off).
SUMMARY_KEYS = {
    "revenue", "totalRevenue", "expenses", "totalExpenses", "opex", "netIncome", "ebitda",
    "ebitdaMargin", "grossMargin", "cashBalance", "burnRate", "monthlyBurn", "runwayMonths",
    "runway", "runwayFromStartMonths", "cashOutMonth", "mrr", "monthlyRevenue", "arr",
    "headcount", "initialCash", "revenueGrowth", "expenseGrowth", "churnRate", "activeCustomers",
    "customerCount", "cac", "ltv", "ltvCacRatio", "paybackPeriod", "grr", "nrr", "ruleOf40",
    "burnMultiple", "magicNumber", "kpis", "monthly", "statements", "assumptions",
    "assumptionsUsed", "warnings", "startMonth", "forecastMonths", "modelType", "modelVersion",
    "runType", "generatedAt", "metadata", "valuation", "lbo", "accretionDilution",
    "valuationSummary", "sensitivities", "currentPrice", "marketImplications", "varianceBridge",
}  # fmt: skip


# --- worker presence (what a live dramatiq process records; the bridge sizes its window on it) --


def register_worker(
    db: Any, threads: int, queues: list[str] | None = None, wid: str = "w1"
) -> None:
    db.run(
        "worker_presence_upsert",
        {
            "worker_id": wid,
            "hostname": "h",
            "pid": 1,
            "parent_pid": None,
            "queues": queues,
            "threads": threads,
            "lock_key": None,  # no liveness lock: a process of an earlier release (lease only)
            "draining": False,
        },
    )


# ---------------------------------------------------------------------------------------------
# Users, alert rules and the automation chain (auto_model_trigger, auto_model,
# scheduled_auto_model and alert_check job tests)
# ---------------------------------------------------------------------------------------------


def insert_user(db: Database, org_id: str | None = None, role: str | None = None) -> str:
    """A ``users`` row, with a role in ``org_id`` when given; returns its id."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO users (email) VALUES ('u-' || gen_random_uuid() || '@example.test')"
            " RETURNING id::text"
        )
        user = str(cur.fetchone()["id"])
        if org_id is not None and role is not None:
            cur.execute(
                "INSERT INTO user_org_roles (user_id, org_id, role) VALUES (%s, %s, %s)",
                (user, org_id, role),
            )
    return user


def insert_alert_rule(
    db: Database,
    org_id: str,
    *,
    metric: str = "runway_months",
    operator: str = "<",
    threshold: Any = 12,
    name: str = "Runway under a year",
    severity: str = "warning",
    enabled: bool = True,
    notify_email: bool = False,
    notify_slack: bool = False,
    slack_webhook: str | None = None,
    created_by_id: str | None = None,
) -> str:
    """An ``alert_rules`` row as the backend's alert routes create it; returns its id."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO alert_rules (org_id, name, metric, operator, threshold, enabled,"
            " notify_email, notify_slack, slack_webhook, created_by_id, severity)"
            " VALUES (%s, %s, %s, %s, %s::numeric, %s, %s, %s, %s, %s, %s) RETURNING id::text",
            (
                org_id,
                name,
                metric,
                operator,
                str(threshold),
                enabled,
                notify_email,
                notify_slack,
                slack_webhook,
                created_by_id,
                severity,
            ),
        )
        return str(cur.fetchone()["id"])


#: A finished baseline run's summary, with the keys alert rules read (§4.9).
ALERT_SUMMARY: dict[str, Any] = {
    "runwayFromStartMonths": 7.5,
    "runwayMonths": 3.25,
    "cashBalance": 120_000.0,
    "burnRate": 15_000.0,
    "monthlyBurn": 15_000.0,
    "revenueGrowth": 0.05,
    "expenseGrowth": 0.02,
    "netIncome": -90_000.0,
    "kpis": {"ltv": 4_200.0},
}


def submit_alert_check(
    db: Database,
    org_id: str,
    run_id: str,
    *,
    source: str = "model_run",
    created_by_user_id: str | None = None,
    **params: Any,
) -> JobHandle:
    """An ``alert_check`` job as the worker's follow-up inserts it (object_id = the run)."""
    handle = submit(
        db, "alert_check", {"source": source, **params}, org_id=org_id, object_id=run_id
    )
    if created_by_user_id is not None:
        set_job_creator(db, handle.id, created_by_user_id)
    return handle


def set_job_creator(db: Database, job_id: str, user_id: str) -> None:
    """What the backend's generic route sets: the user who inserted the job."""
    with db.transaction() as cur:
        cur.execute("UPDATE jobs SET created_by_user_id = %s WHERE id = %s", (user_id, job_id))


def requeue(db: Database, job_id: str) -> None:
    """The backend's admin requeue of a finished job (queued, attempts 0, lease cleared)."""
    with db.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = 'queued', attempts = 0, finished_at = NULL, worker_id = NULL,"
            " run_started_at = NULL, visibility_expires_at = NULL, next_run_at = NULL,"
            " last_error = NULL, cancel_requested = false, updated_at = now() WHERE id = %s",
            (job_id,),
        )


def completion_meta(
    db: Any, job_id: str, msg: str = "Job completed successfully"
) -> dict[str, Any]:
    """The meta of the job's last log entry named ``msg`` (the success entry by default)."""
    logs = fetch_one(db, "SELECT logs FROM jobs WHERE id = %s", job_id)["logs"]
    found = [e for e in logs if e["msg"] == msg]
    assert found, f"job {job_id} has no {msg!r} entry"
    return dict(found[-1].get("meta") or {})


# ---------------------------------------------------------------------------------------------
# Users, workbooks, investor exports and provenance (CONTRACT-2 §0.3, §5–§7 job tests)
# ---------------------------------------------------------------------------------------------


def with_creator(db: Database, job: JobHandle, user_id: str) -> JobHandle:
    """The job with ``created_by_user_id`` set, as the backend's routes set it to the caller."""
    set_job_creator(db, job.id, user_id)
    return job.refresh()


def xlsx_upload_key(org_id: str) -> str:
    """``uploads/<org>/<uuid>.xlsx``, as the backend's XLSX upload route names it."""
    import uuid

    return f"uploads/{org_id}/{uuid.uuid4()}.xlsx"


def submit_xlsx_preview(
    db: Database,
    org_id: str,
    *,
    upload_key: str,
    file_data: str | None = None,
    created_by: str | None = None,
    **params: Any,
) -> JobHandle:
    """An ``xlsx_preview`` job as the upload route queues it (no object_id)."""
    job_params: dict[str, Any] = {
        "uploadKey": upload_key,
        "s3Key": upload_key,
        "fileName": "ledger.xlsx",
        "orgId": org_id,
        **params,
    }
    if file_data is not None:
        job_params["fileData"] = file_data
    job = submit(db, "xlsx_preview", job_params, org_id=org_id)
    return with_creator(db, job, created_by) if created_by else job


def insert_xlsx_batch(
    db: Database, org_id: str, upload_key: str, *, status: str = "created"
) -> str:
    """The ``data_import_batches`` row the mapping route creates for a workbook."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO data_import_batches (org_id, source_type, source_ref, status)"
            " VALUES (%s, 'xlsx', %s, %s) RETURNING id::text",
            (org_id, upload_key, status),
        )
        return str(cur.fetchone()["id"])


#: The ``mappingJson.columnMappings`` of the XLSX tests' ledger (CONTRACT-2 §5.2 shape).
XLSX_COLUMN_MAPPINGS = {
    "date": {"csvColumn": "Date", "targetField": "date", "dataType": "date"},
    "amount": {"csvColumn": "Amount", "targetField": "amount", "dataType": "amount"},
    "description": {"csvColumn": "Description", "targetField": "description"},
    "category": {"csvColumn": "Category", "targetField": "category"},
}


def submit_xlsx_import(
    db: Database,
    org_id: str,
    *,
    upload_key: str,
    batch_id: str | None,
    mapping_json: dict[str, Any] | None = None,
    file_data: str | None = None,
    created_by: str | None = None,
    **params: Any,
) -> JobHandle:
    """An ``xlsx_import`` job as the mapping route queues it (no object_id, no s3Key)."""
    job_params: dict[str, Any] = {
        "uploadKey": upload_key,
        "mappingJson": {"columnMappings": XLSX_COLUMN_MAPPINGS}
        if mapping_json is None
        else mapping_json,
        "importBatchId": batch_id,
        "orgId": org_id,
        **params,
    }
    if file_data is not None:
        job_params["fileData"] = file_data
    job = submit(db, "xlsx_import", job_params, org_id=org_id)
    return with_creator(db, job, created_by) if created_by else job


def insert_department_plan(
    db: Database, org_id: str, department: str, *, quantity: int = 1, status: str = "planned"
) -> None:
    """One ``headcount_plans`` row in ``department``."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO headcount_plans (org_id, name, department, role, quantity, start_date,"
            " status) VALUES (%s, 'Hire', %s, 'Engineer', %s, '2025-01-01', %s)",
            (org_id, department, quantity, status),
        )


def submit_investor_export(
    db: Database, org_id: str, export_id: str, model_run_id: str, *, fmt: str = "pdf", **params: Any
) -> JobHandle:
    """The job ``createInvestorExport`` queues (object_id = the export, no creator)."""
    job_type = "investor_export_pptx" if fmt == "pptx" else "investor_export_pdf"
    job_params = {
        "exportId": export_id,
        "modelRunId": model_run_id,
        "type": fmt,
        "orgName": "ignored: the worker reads orgs.name",
        "includeMonteCarlo": True,
        "includeRecommendations": True,
        "directDownload": True,
        **params,
    }
    return submit(db, job_type, job_params, org_id=org_id, object_id=export_id, priority=70)


def insert_prompt(db: Database, org_id: str | None, **columns: Any) -> str:
    values = {
        "prompt_template": "Explain {metric}",
        "rendered_prompt": "Explain revenue",
        "response_text": "Revenue grew.",
        "provider": "gemini",
        "model_used": "gemini-pro",
        "tokens_used": 42,
        **columns,
    }
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO prompts (org_id, prompt_template, rendered_prompt, response_text,"
            " provider, model_used, tokens_used) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " RETURNING id::text",
            (
                org_id,
                values["prompt_template"],
                values["rendered_prompt"],
                values["response_text"],
                values["provider"],
                values["model_used"],
                values["tokens_used"],
            ),
        )
        return str(cur.fetchone()["id"])


def insert_provenance_entry(
    db: Database,
    org_id: str,
    model_run_id: str,
    *,
    cell_key: str = "2025-01:revenue",
    source_type: str = "txn",
    source_ref: Any = None,
    prompt_id: str | None = None,
    confidence_score: float | None = None,
) -> str:
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO provenance_entries (model_run_id, org_id, cell_key, source_type,"
            " source_ref, prompt_id, confidence_score) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " RETURNING id::text",
            (
                model_run_id,
                org_id,
                cell_key,
                source_type,
                None if source_ref is None else jsonb(source_ref),
                prompt_id,
                confidence_score,
            ),
        )
        return str(cur.fetchone()["id"])


def submit_provenance_export(
    db: Database, org_id: str, model_run_id: str, **params: Any
) -> JobHandle:
    """The job ``createExportJob`` queues (object_id = the run, requester in params)."""
    job_params = {
        "modelRunId": model_run_id,
        "format": "json",
        "includeTransactions": True,
        **params,
    }
    return submit(db, "provenance_export", job_params, org_id=org_id, object_id=model_run_id)
