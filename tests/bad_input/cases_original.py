"""Bad-input cases of the six original job types (contract §5) and ``noop``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.client import submit
from app.db import Database
from tests.bad_input.harness import (
    CSV_HEADER,
    FORMULA,
    HOSTILE_ORG_NAME,
    HUGE_INT,
    HUGE_MARK,
    HUGE_STRING,
    PATH_ID,
    PATH_MARK,
    RAW_DEEP_LIST,
    RAW_HUGE_INT,
    RAW_INFINITY,
    SCRIPT,
    SCRIPT_MARK,
    SQL_ID,
    SQL_MARK,
    Builder,
    Case,
    Planted,
    Verify,
    b64,
    new_id,
)
from tests.factories import (
    DEFAULT_ASSUMPTIONS,
    insert_done_run,
    insert_export,
    insert_import_batch,
    insert_model,
    insert_model_run,
    insert_monte_carlo_job,
    submit_csv_import,
    submit_export,
    submit_model_run,
    submit_monte_carlo,
)
from tests.reports.conftest import pdf_text
from tests.reports.sample_summary import build_summary


def _mr(
    b: Builder,
    *,
    assumptions: dict[str, Any] | None = None,
    params_json: dict[str, Any] | None = None,
    **job_params: Any,
) -> Planted:
    """An org, a model and a queued run; the job as the backend's run route queues it."""
    org = b.org()
    model = insert_model(b.db, org, assumptions=assumptions)
    run = insert_model_run(b.db, org, model, params_json=params_json)
    return Planted(submit_model_run(b.db, org, run, model, **job_params), ("model_runs", run))


def _mr_params(params: Any) -> Callable[[Builder], Planted]:
    """A model_run job whose only reference to a run is ``params`` (no object_id)."""

    def build(b: Builder) -> Planted:
        org = b.org()
        value = params(b) if callable(params) else params
        return Planted(submit(b.db, "model_run", value, org_id=org, object_id=None))

    return build


def _mr_assumptions(assumptions: Any) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        value = assumptions(b) if callable(assumptions) else assumptions
        return _mr(b, assumptions=value)

    return build


def _mr_without(*keys: str) -> dict[str, Any]:
    return {k: v for k, v in DEFAULT_ASSUMPTIONS.items() if k not in keys}


def _mr_horizon(horizon: Any) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        return _mr(b, params_json={"modelType": "prophet", "horizon": horizon})

    return build


def _mr_missing_run(b: Builder) -> Planted:
    org = b.org()
    run, model = new_id(), new_id()
    return Planted(submit_model_run(b.db, org, run, model))


def _mr_run_of_another_org(b: Builder) -> Planted:
    org, other = b.org(), b.org()
    model = insert_model(b.db, other)
    run = insert_model_run(b.db, other, model)
    return Planted(submit_model_run(b.db, org, run, model))


def _mr_model_of_another_org(b: Builder) -> Planted:
    """An auto-model job whose object_id is a model of another org (no run is created)."""
    org, other = b.org(), b.org()
    model = insert_model(b.db, other)
    params = {"modelId": model, "runType": "baseline", "autoTriggered": True}
    return Planted(submit(b.db, "model_run", params, org_id=org, object_id=model))


def _mr_malformed_id_with_a_valid_run(b: Builder) -> Planted:
    """``params.modelRunId`` is junk, but object_id is the org's queued run (the job's row)."""
    return _mr(b, modelRunId=SQL_ID)


def _mr_huge_finite_levels(b: Builder) -> Planted:
    big = {"initialCash": 1e200, "baselineRevenue": 1e200, "baselineExpenses": 1e200}
    return _mr(b, assumptions={**DEFAULT_ASSUMPTIONS, **big})


def _mr_levels_overflowing_to_infinity(b: Builder) -> Planted:
    huge = {"baselineRevenue": 1e308, "revenueGrowth": 1.0, "baselineExpenses": 1e308}
    return _mr(b, assumptions={**DEFAULT_ASSUMPTIONS, **huge})


# -- monte_carlo ------------------------------------------------------------------------------


def _mc(
    b: Builder,
    *,
    row_simulations: int = 300,
    assumptions: dict[str, Any] | None = None,
    **params: Any,
) -> Planted:
    """An org, a model, its baseline run and a queued simulation row; the backend's job."""
    org = b.org()
    model = insert_model(b.db, org, assumptions=assumptions)
    run = insert_model_run(b.db, org, model)
    mc = insert_monte_carlo_job(b.db, org, run, num_simulations=row_simulations)
    job = submit_monte_carlo(b.db, org, mc, run, model, **params)
    return Planted(job, ("monte_carlo_jobs", mc))


def _mc_with(**params: Any) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        resolved = {k: (v(b) if callable(v) else v) for k, v in params.items()}
        return _mc(b, **resolved)

    return build


def _mc_missing_row(b: Builder) -> Planted:
    org = b.org()
    model = insert_model(b.db, org)
    run = insert_model_run(b.db, org, model)
    return Planted(submit_monte_carlo(b.db, org, new_id(), run, model))


def _mc_row_of_another_org(b: Builder) -> Planted:
    org, other = b.org(), b.org()
    model = insert_model(b.db, other)
    run = insert_model_run(b.db, other, model)
    mc = insert_monte_carlo_job(b.db, other, run)
    return Planted(submit_monte_carlo(b.db, org, mc, run, model))


def _mc_params_only(params: dict[str, Any]) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        return Planted(submit(b.db, "monte_carlo", params, org_id=b.org(), object_id=None))

    return build


# -- exports ----------------------------------------------------------------------------------

SUMMARY = build_summary(months=12)


def _export(
    b: Builder,
    *,
    kind: str = "pdf",
    summary: dict[str, Any] | None = SUMMARY,
    run_status: str = "done",
    org_name: str | None = None,
    **params: Any,
) -> Planted:
    """An org, a run with ``summary`` and a queued export; the job the export route queues."""
    org = b.org(org_name)
    run = insert_done_run(b.db, org, summary, status=run_status)
    export = insert_export(b.db, org, run, type=kind)
    job = submit_export(b.db, org, export, run, type=kind, **params)
    return Planted(job, ("exports", export), {"export": export, "run": run})


def _export_with(**kw: Any) -> Callable[[Builder], Planted]:
    return lambda b: _export(b, **kw)


def _export_missing_row(b: Builder) -> Planted:
    org = b.org()
    run = insert_done_run(b.db, org, SUMMARY)
    return Planted(submit_export(b.db, org, new_id(), run))


def _export_of_another_org(b: Builder) -> Planted:
    org, other = b.org(), b.org()
    run = insert_done_run(b.db, other, SUMMARY)
    export = insert_export(b.db, other, run)
    return Planted(submit_export(b.db, org, export, run))


def _export_of_a_run_of_another_org(b: Builder) -> Planted:
    org, other = b.org(), b.org()
    run = insert_done_run(b.db, other, SUMMARY)
    export = insert_export(b.db, org, run)
    return Planted(submit_export(b.db, org, export, run), ("exports", export))


def _export_type_mismatch(b: Builder) -> Planted:
    """A ``csv`` export handed to ``export_pdf``."""
    org = b.org()
    run = insert_done_run(b.db, org, SUMMARY)
    export = insert_export(b.db, org, run, type="csv")
    params = {"exportId": export, "modelRunId": run, "type": "csv"}
    job = submit(b.db, "export_pdf", params, org_id=org, object_id=export)
    return Planted(job, ("exports", export))


def _export_params_only(params: dict[str, Any]) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        return Planted(submit(b.db, "export_pdf", params, org_id=b.org(), object_id=None))

    return build


def _verify_pdf(*needles: str) -> Verify:
    def verify(db: Database, planted: Planted) -> list[str]:
        with db.transaction() as cur:
            cur.execute(
                "SELECT status, s3_key, file_data FROM exports WHERE id = %s",
                (planted.data["export"],),
            )
            row = cur.fetchone()
        if row["status"] != "completed" or row["file_data"] is None or row["s3_key"]:
            return [f"export is {row['status']} with file_data={row['file_data'] is not None}"]
        text = pdf_text(bytes(row["file_data"]))
        return [f"PDF text lacks the literal {n!r}" for n in needles if n not in text]

    return verify


# -- csv_import -------------------------------------------------------------------------------


def _csv(
    b: Builder,
    content: str | bytes | None,
    *,
    batch: bool = True,
    file_data: str | None = None,
    **params: Any,
) -> Planted:
    """An org and a ``created`` batch; the job as the import route queues it."""
    org = b.org()
    batch_id = insert_import_batch(b.db, org) if batch else None
    data = file_data if file_data is not None else (None if content is None else b64(content))
    job = submit_csv_import(
        b.db, org, batch_id=batch_id, file_id=new_id(), file_data=data, **params
    )
    return Planted(job, ("data_import_batches", batch_id) if batch_id else None, {"org": org})


def _csv_with(content: str | bytes | None, **kw: Any) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        resolved = {k: (v(b) if callable(v) else v) for k, v in kw.items()}
        return _csv(b, content, **resolved)

    return build


def _csv_batch_of_another_org(b: Builder) -> Planted:
    org, other = b.org(), b.org()
    batch = insert_import_batch(b.db, other)
    data = b64(CSV_HEADER + "2024-03-01,-5.00,Coffee,Meals\r\n")
    return Planted(submit_csv_import(b.db, org, batch_id=batch, file_id=new_id(), file_data=data))


def _csv_params_only(params: dict[str, Any]) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        return Planted(submit(b.db, "csv_import", params, org_id=b.org(), object_id=new_id()))

    return build


def _verify_import(rows: Sequence[tuple[str, str, float]], *, skipped: int = 0) -> Verify:
    """The batch completed and exactly ``rows`` (description, category, amount) are stored."""

    def verify(db: Database, planted: Planted) -> list[str]:
        problems: list[str] = []
        with db.transaction() as cur:
            cur.execute(
                "SELECT description, category, amount::float8 AS amount FROM raw_transactions"
                " WHERE org_id = %s ORDER BY description",
                (planted.data["org"],),
            )
            stored = sorted((r["description"], r["category"], r["amount"]) for r in cur)
            cur.execute(
                "SELECT status, stats_json FROM data_import_batches WHERE id = %s",
                (planted.domain[1] if planted.domain else None,),
            )
            batch = cur.fetchone()
        if stored != sorted(rows):
            problems.append(f"stored rows {stored!r}, expected {sorted(rows)!r}")
        stats = (batch or {}).get("stats_json") or {}
        if batch is None or batch["status"] != "completed":
            problems.append(f"batch is {batch and batch['status']}")
        elif (stats.get("rowsImported"), stats.get("rowsSkipped")) != (len(rows), skipped):
            problems.append(
                f"stats rowsImported={stats.get('rowsImported')} rowsSkipped="
                f"{stats.get('rowsSkipped')}, expected {len(rows)} and {skipped}"
            )
        return problems

    return verify


def _noop(params: dict[str, Any]) -> Callable[[Builder], Planted]:
    def build(b: Builder) -> Planted:
        return Planted(submit(b.db, "noop", params, org_id=b.org()))

    return build


# -- the corpus -------------------------------------------------------------------------------

IDS = ("InvalidParams", "NotFound")
DATA = ("InsufficientData",)
#: A present value that is not a finite number in range (issue 9, item 4): never a fallback.
EXPLICIT = ("InvalidParams",)
BAD_FILE = ("InvalidFile",)
DRIVER = ("InvalidParams",)

CASES: tuple[Case, ...] = (
    # model_run: generic parameter shapes (no object_id: the parameters are all there is)
    Case("model_run/params-missing", _mr_params({}), IDS),
    Case("model_run/run-id-wrong-type-int", _mr_params({"modelRunId": 12345}), IDS),
    Case("model_run/run-id-wrong-type-list", _mr_params({"modelRunId": ["a", "b"]}), IDS),
    Case("model_run/run-id-nan-string", _mr_params({"modelRunId": "NaN"}), IDS),
    Case(
        "model_run/run-id-infinity",
        _mr_params(lambda b: {"modelRunId": b.raw(RAW_INFINITY)}),
        IDS,
    ),
    Case("model_run/run-id-huge-number", _mr_params({"modelRunId": HUGE_INT}), IDS),
    Case(
        "model_run/run-id-int-over-4300-digits",
        _mr_params(lambda b: {"modelRunId": b.raw(RAW_HUGE_INT)}),
        IDS,
    ),
    Case(
        "model_run/run-id-deeply-nested",
        _mr_params(lambda b: {"modelRunId": b.raw(RAW_DEEP_LIST)}),
        IDS,
    ),
    Case(
        "model_run/run-id-1mb-string",
        _mr_params({"modelRunId": HUGE_STRING}),
        IDS,
        forbidden=(HUGE_MARK,),
    ),
    Case(
        "model_run/run-id-sql-injection",
        _mr_params({"modelRunId": SQL_ID}),
        IDS,
        forbidden=(SQL_MARK,),
    ),
    Case(
        "model_run/run-id-path-traversal",
        _mr_params({"modelRunId": PATH_ID}),
        IDS,
        forbidden=(PATH_MARK,),
    ),
    # model_run: rows
    Case("model_run/missing-run", _mr_missing_run, ("NotFound",), ("not found",)),
    Case("model_run/run-of-another-org", _mr_run_of_another_org, ("NotFound",), ("not found",)),
    Case("model_run/model-of-another-org", _mr_model_of_another_org, ("NotFound",)),
    Case(
        "model_run/malformed-run-id-with-a-valid-object-id",
        _mr_malformed_id_with_a_valid_run,
        IDS,
        forbidden=(SQL_MARK,),
    ),
    # model_run: insufficient or non-numeric data
    Case(
        "model_run/no-initial-cash",
        _mr_assumptions(_mr_without("initialCash")),
        DATA,
        ("initial cash",),
    ),
    Case(
        "model_run/no-revenue-baseline",
        _mr_assumptions(_mr_without("baselineRevenue")),
        DATA,
        ("revenue baseline",),
    ),
    Case(
        "model_run/initial-cash-non-numeric",
        _mr_assumptions({**DEFAULT_ASSUMPTIONS, "initialCash": "lots of money"}),
        EXPLICIT,
        ("assumptions.initialCash",),
    ),
    Case(
        "model_run/initial-cash-nan-string",
        _mr_assumptions({**DEFAULT_ASSUMPTIONS, "initialCash": "NaN"}),
        EXPLICIT,
        ("assumptions.initialCash",),
    ),
    Case(
        "model_run/initial-cash-infinity",
        _mr_assumptions(lambda b: {**DEFAULT_ASSUMPTIONS, "initialCash": b.raw(RAW_INFINITY)}),
        EXPLICIT,
        ("assumptions.initialCash",),
    ),
    Case(
        "model_run/initial-cash-huge-integer",
        _mr_assumptions({**DEFAULT_ASSUMPTIONS, "initialCash": HUGE_INT}),
        EXPLICIT,
        ("assumptions.initialCash",),
    ),
    Case(
        "model_run/assumptions-is-a-string",
        _mr_assumptions("initialCash=500000"),
        DATA,
        ("initial cash",),
    ),
    Case(
        "model_run/revenue-baseline-is-an-object",
        _mr_assumptions({**_mr_without("baselineRevenue"), "mrr": {"amount": 40_000}}),
        DATA,
        ("revenue baseline",),
    ),
    Case(
        "model_run/churn-rate-out-of-range",
        _mr_assumptions({**DEFAULT_ASSUMPTIONS, "churnRate": 5}),
        ("InvalidParams",),
        ("churn",),
    ),
    Case(
        "model_run/levels-overflowing-to-infinity",
        _mr_levels_overflowing_to_infinity,
        ("ComputeError", "InvalidParams"),
    ),
    Case(
        "model_run/huge-finite-levels",
        _mr_huge_finite_levels,
        ("ComputeError", "InvalidParams"),
    ),
    Case(
        "model_run/scenario-name-not-a-string",
        lambda b: _mr(b, params_json={"modelType": "prophet", "scenarioName": {"x": 1}}),
        ("InvalidParams",),
        ("scenarioName",),
    ),
    # §5.1.2 clamps integer horizons to [3, 36] (so -5 or 10**9 are valid); it is silent on
    # values that are no horizon at all, which are invalid parameters here (§4.4).
    Case("model_run/horizon-nonsense-string", _mr_horizon("forever and ever"), ("InvalidParams",)),
    Case("model_run/horizon-nonsense-object", _mr_horizon({"months": 12}), ("InvalidParams",)),
    # monte_carlo
    Case("monte_carlo/params-missing", _mc_params_only({}), IDS),
    Case("monte_carlo/missing-row", _mc_missing_row, ("NotFound",), ("not found",)),
    Case("monte_carlo/row-of-another-org", _mc_row_of_another_org, ("NotFound",)),
    Case(
        "monte_carlo/row-id-sql-injection",
        _mc_params_only({"monteCarloJobId": SQL_ID}),
        IDS,
        forbidden=(SQL_MARK,),
    ),
    Case(
        "monte_carlo/num-simulations-0",
        _mc_with(num_simulations=0),
        ("InvalidParams",),
        ("numSimulations",),
    ),
    Case(
        "monte_carlo/num-simulations-50",
        _mc_with(num_simulations=50),
        ("InvalidParams",),
        ("numSimulations",),
    ),
    Case(
        "monte_carlo/num-simulations-1e9",
        _mc_with(num_simulations=10**9),
        ("InvalidParams",),
        ("numSimulations",),
    ),
    Case(
        "monte_carlo/num-simulations-abc",
        _mc_with(num_simulations="abc"),
        ("InvalidParams",),
        ("numSimulations",),
    ),
    Case(
        "monte_carlo/row-num-simulations-0",
        _mc_with(row_simulations=0),
        ("InvalidParams",),
        ("num_simulations",),
    ),
    Case(
        "monte_carlo/row-num-simulations-1e9",
        _mc_with(row_simulations=10**9),
        ("InvalidParams",),
        ("num_simulations",),
    ),
    Case(
        "monte_carlo/unknown-distribution",
        _mc_with(drivers={"revenue_growth": {"dist": "cauchy", "mean": 5, "stdDev": 1}}),
        DRIVER,
        ("revenue_growth",),
    ),
    Case(
        "monte_carlo/negative-std",
        _mc_with(drivers={"revenue_growth": {"dist": "normal", "mean": 5, "stdDev": -2}}),
        DRIVER,
        ("revenue_growth",),
    ),
    Case(
        "monte_carlo/min-greater-than-max",
        _mc_with(drivers={"churn_rate": {"dist": "uniform", "min": 10, "max": 2}}),
        DRIVER,
        ("churn_rate",),
    ),
    Case(
        "monte_carlo/nan-mean",
        _mc_with(drivers={"revenue_growth": {"mean": "NaN", "stdDev": 1}}),
        DRIVER,
        ("revenue_growth",),
    ),
    Case(
        "monte_carlo/infinite-mean",
        _mc_with(drivers=lambda b: {"revenue_growth": {"mean": b.raw(RAW_INFINITY), "std": 1}}),
        DRIVER,
        ("revenue_growth",),
    ),
    Case(
        "monte_carlo/huge-integer-std",
        _mc_with(drivers={"revenue_growth": {"mean": 5, "stdDev": HUGE_INT}}),
        DRIVER,
        ("revenue_growth",),
    ),
    Case(
        "monte_carlo/list-driver-without-mean",
        _mc_with(drivers=[{"id": "revenue_growth", "stdDev": 2, "distribution": "normal"}]),
        DRIVER,
        ("revenue_growth",),
    ),
    Case(
        "monte_carlo/driver-spec-is-a-string",
        _mc_with(drivers={"revenue_growth": "normal(5, 2)"}),
        DRIVER,
        ("revenue_growth",),
    ),
    Case(
        "monte_carlo/drivers-is-a-string",
        _mc_with(drivers="revenue_growth ~ N(5, 2)"),
        DRIVER,
        ("drivers",),
    ),
    Case(
        "monte_carlo/drivers-deeply-nested",
        _mc_with(drivers=lambda b: b.raw(RAW_DEEP_LIST)),
        DRIVER,
    ),
    Case(
        "monte_carlo/random-seed-is-an-object",
        _mc_with(randomSeed={"seed": 42}),
        ("InvalidParams",),
        ("randomSeed",),
    ),
    Case(
        "monte_carlo/model-without-initial-cash",
        _mc_with(assumptions=_mr_without("initialCash")),
        DATA,
        ("initial cash",),
    ),
    # exports
    Case("export/params-missing", _export_params_only({}), IDS),
    Case("export/missing-export-row", _export_missing_row, ("NotFound",), ("not found",)),
    Case(
        "export/run-without-results",
        _export_with(summary=None, run_status="queued"),
        ("NoResults",),
        ("no results",),
    ),
    Case(
        "export/done-run-without-summary",
        _export_with(summary=None),
        ("NoResults",),
        ("no results",),
    ),
    Case("export/export-of-another-org", _export_of_another_org, ("NotFound",), ("not found",)),
    Case(
        "export/export-of-a-run-of-another-org",
        _export_of_a_run_of_another_org,
        ("NotFound",),
        ("not found",),
    ),
    Case("export/export-type-mismatch", _export_type_mismatch, ("InvalidParams",)),
    Case(
        "export/export-id-sql-injection",
        _export_params_only({"exportId": SQL_ID}),
        IDS,
        forbidden=(SQL_MARK,),
    ),
    Case(
        "export/export-id-1mb-string",
        _export_params_only({"exportId": HUGE_STRING}),
        IDS,
        forbidden=(HUGE_MARK,),
    ),
    Case(
        "export/pptx-include-monte-carlo-not-a-bool",
        _export_with(kind="pptx", includeMonteCarlo="yes please"),
        ("InvalidParams",),
        ("includeMonteCarlo",),
    ),
    # csv_import
    Case("csv_import/params-missing", _csv_params_only({}), ("InvalidParams", "UploadMissing")),
    Case(
        "csv_import/missing-upload",
        _csv_with(None),
        ("UploadMissing",),
        ("re-upload",),
    ),
    Case(
        "csv_import/file-data-not-a-string",
        _csv_with(None, fileData=12345),
        ("InvalidParams",),
        ("fileData",),
    ),
    Case(
        "csv_import/invalid-base64",
        _csv_with(None, file_data="!!!not base64 at all!!!"),
        BAD_FILE,
        ("base64",),
    ),
    Case(
        "csv_import/file-data-1mb-junk-string",
        _csv_with(None, file_data=HUGE_STRING),
        BAD_FILE,
        ("base64",),
        forbidden=(HUGE_MARK,),
    ),
    Case("csv_import/empty-file", _csv_with(""), ("InvalidFile", "UploadMissing")),
    Case("csv_import/blank-lines-only", _csv_with("\r\n\r\n  \r\n"), BAD_FILE, ("empty",)),
    Case(
        "csv_import/wrong-mapping",
        _csv_with(
            CSV_HEADER + "2024-03-01,-5.00,Coffee,Meals\r\n",
            mappings={"date": "Date", "amount": "Total", "description": "Description"},
        ),
        BAD_FILE,
        ("amount",),
    ),
    Case(
        "csv_import/mappings-not-an-object",
        _csv_with(CSV_HEADER, mappings="Date,Amount"),
        ("InvalidParams",),
        ("mappings",),
    ),
    Case(
        "csv_import/mappings-deeply-nested",
        _csv_with(CSV_HEADER, mappings=lambda b: {"amount": b.raw(RAW_DEEP_LIST)}),
        ("InvalidParams",),
    ),
    Case(
        "csv_import/unknown-date-format",
        _csv_with(CSV_HEADER + "2024-03-01,-5.00,Coffee,Meals\r\n", dateFormat="QQ/QQ/QQQQ"),
        ("InvalidParams",),
        ("dateFormat",),
    ),
    Case(
        "csv_import/date-format-is-a-script",
        _csv_with(CSV_HEADER + "2024-03-01,-5.00,Coffee,Meals\r\n", dateFormat=SCRIPT),
        ("InvalidParams",),
        ("dateFormat",),
        forbidden=(SCRIPT_MARK,),
    ),
    Case(
        "csv_import/contradictory-date-order",
        _csv_with(CSV_HEADER + "13/01/2024,-5.00,Coffee,Meals\r\n01/13/2024,-6.00,Tea,Meals\r\n"),
        BAD_FILE,
        ("ambiguous",),
    ),
    Case(
        "csv_import/binary-garbage-nul-bytes",
        _csv_with(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256))),
        BAD_FILE,
        ("NUL",),
    ),
    Case(
        "csv_import/utf16-file",
        _csv_with(b"\xff\xfe" + CSV_HEADER.encode("utf-16-le")),
        BAD_FILE,
        ("UTF-16",),
    ),
    Case(
        "csv_import/mixed-encodings",
        _csv_with(CSV_HEADER.encode() + "2024-03-01,-5.00,Café,Meals\r\n".encode() + b"\xff\xfe"),
        BAD_FILE,
        ("UTF-8",),
    ),
    Case(
        "csv_import/currency-not-a-code",
        _csv_with(CSV_HEADER + "2024-03-01,-5.00,Coffee,Meals\r\n", currency="US DOLLARS"),
        ("InvalidParams",),
        ("currency",),
    ),
    Case("csv_import/batch-of-another-org", _csv_batch_of_another_org, ("NotFound",)),
    Case(
        "csv_import/batch-id-sql-injection",
        _csv_with(CSV_HEADER, batch=False, importBatchId=SQL_ID),
        IDS,
        forbidden=(SQL_MARK,),
    ),
    # noop (the project's own job type) with a wrongly typed parameter
    Case("noop/sleep-seconds-not-a-number", _noop({"sleepSeconds": "abc"}), ("InvalidParams",)),
    # -- positive controls: hostile but valid, so they complete and keep text literal --------
    # An unknown template renders KPIs only with a warning (§5.3.1), escaped (P30); the warning
    # must not copy the parameter (§3.1). Oversize amounts are skipped rows, not errors (§5.4.2).
    Case(
        "export/hostile-org-name-is-rendered-literally",
        _export_with(org_name=HOSTILE_ORG_NAME),
        verify=_verify_pdf(HOSTILE_ORG_NAME),
        forbidden=("<b>Evil</b>",),
    ),
    Case(
        "export/hostile-template-html-renders-kpis-only",
        _export_with(template=SCRIPT),
        verify=_verify_pdf("Financial Model Export Report"),
        forbidden=(SCRIPT_MARK,),
    ),
    Case(
        "export/hostile-template-sql-renders-kpis-only",
        _export_with(template="executive-summary'; DROP TABLE exports; --"),
        verify=_verify_pdf("Financial Model Export Report"),
        forbidden=(SQL_MARK,),
    ),
    Case(
        "csv_import/header-only-completes-with-0-rows",
        _csv_with(CSV_HEADER),
        verify=_verify_import([]),
    ),
    Case(
        "csv_import/formula-cells-are-imported-as-text",
        _csv_with(
            CSV_HEADER
            + f"2024-03-01,-5.00,{FORMULA},+SUM(A1:A9)\r\n"
            + '2024-03-02,-6.00,"=HYPERLINK(""http://x"")",@cmd\r\n'
        ),
        verify=_verify_import(
            [(FORMULA, "+SUM(A1:A9)", -5.0), ('=HYPERLINK("http://x")', "@cmd", -6.0)]
        ),
        forbidden=(FORMULA,),
    ),
    Case(
        "csv_import/sql-and-html-cells-are-stored-literally",
        _csv_with(
            CSV_HEADER
            + "2024-03-01,-5.00,'); DROP TABLE raw_transactions; --,Meals\r\n"
            + f"2024-03-02,-6.00,{SCRIPT},<img src=x onerror=alert(1)>\r\n"
        ),
        verify=_verify_import(
            [
                ("'); DROP TABLE raw_transactions; --", "Meals", -5.0),
                (SCRIPT, "<img src=x onerror=alert(1)>", -6.0),
            ]
        ),
        forbidden=(SQL_MARK, SCRIPT_MARK),
    ),
    Case(
        "csv_import/oversize-amounts-are-skipped",
        _csv_with(
            CSV_HEADER
            + "2024-03-01,10000000000000000,Too big,Sales\r\n"
            + "2024-03-02,-99999999999999999999999,Too small,Meals\r\n"
            + "2024-03-03,1e400,Exponent,Sales\r\n"
            + "2024-03-04,-5.00,Coffee,Meals\r\n"
        ),
        verify=_verify_import([("Coffee", "Meals", -5.0)], skipped=3),
    ),
    Case(
        "csv_import/amount-rounding-up-to-1e16-is-skipped",
        _csv_with(
            CSV_HEADER
            + "2024-03-01,9999999999999999.99999,Rounds up,Sales\r\n"
            + "2024-03-04,-5.00,Coffee,Meals\r\n"
        ),
        verify=_verify_import([("Coffee", "Meals", -5.0)], skipped=1),
    ),
)
