"""``provenance_export`` (CONTRACT-2 §7.7): the provenance package of a model run, on S3.

S3 is required: with S3 off the job fails at once (``StorageUnavailable``), so it never reports a
package it dropped. The package is uploaded before the final transaction; the success entry
carries its key and a presigned URL valid for ``PROVENANCE_URL_TTL_SECONDS`` (DECISION-6).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from actors.base import job_actor
from app.db import db_now
from app.errors import InvalidParams, StorageUnavailable
from app.ids import parse_uuid
from app.jobcontext import current_job
from app.jobtypes import provenance_export as decl
from app.logging_setup import log_event
from app.reports.provenance import (
    PDF_WARNING,
    build_package,
    iso_utc,
    prompt_ids,
    transaction_ids,
)
from app.storage import ZIP_CONTENT_TYPE, make_object_store, provenance_key

logger = logging.getLogger(__name__)

WORKER_VERSION = "finapilot-worker"
NO_S3 = "provenance export needs S3 (no database column holds the package)"


@job_actor(decl.JOB_TYPE)
def provenance_export(job_id: str) -> None:
    ctx = current_job()
    params, settings = ctx.params, ctx.settings
    store = make_object_store(settings.s3_bucket, settings.aws_region, settings.s3_endpoint_url)
    if store is None:
        raise StorageUnavailable(NO_S3)
    run_ref = params.get("modelRunId") or ctx.job.object_id
    if run_ref in (None, ""):
        raise InvalidParams("provenance_export needs params.modelRunId or the job's object_id")
    run_id = parse_uuid(run_ref, "params.modelRunId")
    include = params.get("includeTransactions", True)
    if not isinstance(include, bool):
        raise InvalidParams("params.includeTransactions must be true or false")
    fmt = "pdf" if params.get("format") == "pdf" else "json"
    with ctx.db.transaction() as cur:
        decl.check_access(cur, ctx.job, params)
        org_id = decl.load_run(cur, run_id, ctx.job.org_id)
        entries = decl.load_entries(cur, run_id, org_id)
    ctx.progress(10, "Provenance loaded")
    transactions: list[dict[str, Any]] = []
    if include:
        with ctx.db.transaction() as cur:
            transactions = decl.load_transactions(cur, transaction_ids(entries), org_id)
    ctx.progress(40)
    with ctx.db.transaction() as cur:
        prompts = decl.load_prompts(cur, prompt_ids(entries), org_id)
        now, exported_at = db_now(cur)
    ctx.progress(60)
    metadata = {
        "model_run_id": run_id,
        "org_id": org_id,
        "exported_at": exported_at,
        "format": fmt,
        "include_transactions": include,
        "provenance_count": len(entries),
        "transaction_count": len(transactions),
        "prompt_count": len(prompts),
        "worker_version": WORKER_VERSION,
    }
    package = build_package(entries, transactions, prompts, metadata)
    ctx.progress(80, "Package built")
    key = provenance_key(org_id, run_id, ctx.job.id)
    store.put_bytes(key, package, ZIP_CONTENT_TYPE)
    ttl_s = settings.provenance_url_ttl_s
    url = store.download_link(key, expires_s=ttl_s, file_name=f"provenance-{run_id}.zip")
    ctx.progress(90, "Package stored")
    if fmt == "pdf":
        ctx.log(PDF_WARNING, level="warn")
    expires = iso_utc(now.astimezone(datetime.UTC) + datetime.timedelta(seconds=ttl_s))
    log_event(
        logger,
        logging.INFO,
        "provenance_stored",
        bytes=len(package),
        entries=len(entries),
        transactions=len(transactions),
        prompts=len(prompts),
        **ctx.log_fields(),
    )
    ctx.succeed(
        {
            "modelRunId": run_id,
            "s3Key": key,
            "s3_key": key,
            "sizeBytes": len(package),
            "provenanceCount": len(entries),
            "transactionCount": len(transactions),
            "promptCount": len(prompts),
            "format": fmt,
            "exported_at": exported_at,
            "signedUrl": url,
            "signed_url": url,
            "signedUrlExpiresAt": expires,
            "warnings": [PDF_WARNING] if fmt == "pdf" else [],
        }
    )
