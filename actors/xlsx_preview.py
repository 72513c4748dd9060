"""``xlsx_preview`` (CONTRACT-2 §5.9): the sheets, headers, first rows and formulas of an upload.

Role check, then the bytes (S3 or ``fileData``) into a temporary file, the safety checks, one
read-only pass over every sheet, and the preview entry in the final transaction.
"""

from __future__ import annotations

import logging

import psycopg2.extras

from actors.base import job_actor
from app.errors import InvalidParams
from app.imports.xlsx.preview import build_preview
from app.jobcontext import current_job
from app.jobtypes import xlsx_preview as decl
from app.jobtypes.workbooks import check_access, fetch_upload, open_workbook
from app.logging_setup import log_event

logger = logging.getLogger(__name__)

PROGRESS_OPEN = 10.0
PROGRESS_SPAN = 80.0


@job_actor(decl.JOB_TYPE)
def xlsx_preview(job_id: str) -> None:
    ctx = current_job()
    settings = ctx.settings
    with ctx.db.transaction() as cur:
        check_access(cur, ctx.job)
    if ctx.job.org_id is None:
        raise InvalidParams("xlsx_preview needs the job's org_id")
    with fetch_upload(ctx.params, ctx.job.org_id, settings) as upload:
        ctx.progress(PROGRESS_OPEN, "Reading workbook")
        with open_workbook(upload, settings) as (book, scan, budget):
            preview = build_preview(
                book,
                file_hash=upload.sha256,
                rows_per_sheet=settings.xlsx_preview_rows,
                budget=budget,
                progress=lambda done, total: ctx.progress(
                    PROGRESS_OPEN + PROGRESS_SPAN * done / max(1, total)
                ),
                tick=ctx.checkpoint,
            )
    meta = preview.meta
    log_event(
        logger,
        logging.INFO,
        "xlsx_preview_built",
        source=upload.source,
        bytes=upload.size,
        cells_scanned=scan.cells,
        sheets=meta["sheets"],
        total_rows=meta["totalRows"],
        **ctx.log_fields(),
    )

    def finalize(cur: psycopg2.extras.RealDictCursor) -> None:
        decl.append_preview(cur, ctx, preview.document, meta)

    ctx.succeed(meta, finalize=finalize)
