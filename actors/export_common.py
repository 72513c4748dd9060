"""The body the export actors share (contract §5.3): load, render, store, finish.

``actors/export_pdf.py``, ``export_pptx.py`` and ``export_csv.py`` each declare one actor that
runs :func:`run_export` with its :class:`ExportKind`. They adapt the pure renderers of
:mod:`app.reports`: they move the export to ``processing``, read its
:class:`~app.reports.data.ReportData`, render, upload to S3 (or keep the bytes for
``exports.file_data`` when S3 is off, never both), and hand the final writes (export
``completed``, billing) to the lifecycle's final transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg2.extras

from app.errors import InvalidParams, JobCancelled
from app.ids import parse_uuid
from app.jobcontext import JobContext, current_job
from app.jobtypes.billing import insert_billing
from app.jobtypes.exports import (
    BILLING_PREFIX,
    ExportRow,
    ExportStatus,
    complete_export,
    load_report_data,
    lock_export,
    mark_processing,
)
from app.logging_setup import log_event
from app.reports.csv_export import render_csv
from app.reports.data import Needs, ReportData
from app.reports.pdf import FALLBACK_TEMPLATE, render_pdf, template_needs
from app.reports.pdf.registry import find_template
from app.reports.pptx_deck import render_pptx
from app.storage import (
    export_content_type,
    export_download_name,
    export_key,
    make_object_store,
)

logger = logging.getLogger(__name__)

#: ``render(data, ctx, export) -> (bytes, warnings for the job log)``
Renderer = Callable[[ReportData, JobContext, ExportRow], tuple[bytes, list[str]]]


@dataclass(frozen=True)
class ExportKind:
    """What one export job type renders.

    Attributes:
        label: a short name for milestones (``PDF``).
        export_types: the ``exports.type`` values this job type accepts.
        needs: the optional context the renderer reads (given the job's parameters).
        render: the pure renderer, adapted.
        report: the report's name in the download file name (``executive-summary``); by
            default the export type.
    """

    label: str
    export_types: tuple[str, ...]
    needs: Callable[[JobContext, ExportRow], Needs]
    render: Renderer
    report: Callable[[JobContext, ExportRow], str] | None = None

    def report_name(self, ctx: JobContext, export: ExportRow) -> str:
        """The report part of the download name."""
        return self.report(ctx, export) if self.report is not None else export.type


def _pdf_needs(ctx: JobContext, export: ExportRow) -> Needs:
    return template_needs(export.template(ctx.params))


def _render_pdf(data: ReportData, ctx: JobContext, export: ExportRow) -> tuple[bytes, list[str]]:
    return render_pdf(data, export.template(ctx.params))


def _pdf_report(ctx: JobContext, export: ExportRow) -> str:
    """The name of the template the PDF is rendered with (the fallback's for unknown names)."""
    return (find_template(export.template(ctx.params)) or FALLBACK_TEMPLATE).name


def _include_monte_carlo(ctx: JobContext) -> bool:
    value = ctx.params.get("includeMonteCarlo")
    if value is None:
        return True
    if not isinstance(value, bool):
        raise InvalidParams("params.includeMonteCarlo must be true or false")
    return value


def _render_pptx(data: ReportData, ctx: JobContext, export: ExportRow) -> tuple[bytes, list[str]]:
    return render_pptx(data, include_monte_carlo=_include_monte_carlo(ctx)), []


def _render_csv(data: ReportData, ctx: JobContext, export: ExportRow) -> tuple[bytes, list[str]]:
    return render_csv(data.summary, currency=data.currency), []


PDF_KIND = ExportKind("PDF", ("pdf", "memo"), _pdf_needs, _render_pdf, _pdf_report)
PPTX_KIND = ExportKind(
    "PPTX",
    ("pptx",),
    lambda ctx, _: Needs(monte_carlo=_include_monte_carlo(ctx)),
    _render_pptx,
    lambda ctx, _: "investor-update",
)
CSV_KIND = ExportKind(
    "CSV", ("csv",), lambda ctx, _: Needs(), _render_csv, lambda ctx, _: "financial-model"
)


def claim_export(ctx: JobContext, export_types: tuple[str, ...]) -> ExportRow | None:
    """The claim-time transition (§4.8): the locked export moves to ``processing``.

    Returns:
        The export, or None when it was already completed (the job then ends as a no-op).

    Raises:
        JobCancelled: the user cancelled the export (it is ``failed``).
        InvalidParams: an unexpected status, or a type this job type does not render.
    """
    export_id = parse_uuid(ctx.job.domain_ref, "the export id (object_id or params.exportId)")
    with ctx.db.transaction() as cur:
        export = lock_export(cur, export_id=export_id, org_id=ctx.job.org_id)
        if export.status == ExportStatus.COMPLETED:
            ctx.succeed_noop("export already completed")
            return None
        if export.status == ExportStatus.FAILED:
            raise JobCancelled(ctx.job.id)  # the user cancelled the export (§4.6, §4.8)
        if export.status not in (ExportStatus.QUEUED, ExportStatus.PROCESSING):
            raise InvalidParams(f"export {export.id} has unexpected status '{export.status[:40]}'")
        if export.type not in export_types:
            raise InvalidParams(
                f"export {export.id} has type '{export.type[:40]}', which "
                f"{ctx.job.job_type} does not render"
            )
        mark_processing(cur, export)
    return export


def finish_export(
    ctx: JobContext,
    export: ExportRow,
    content: bytes,
    *,
    cpu_started_s: float,
    download_name: str,
    file: tuple[str, str] | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    """Store the file (S3, or ``file_data`` when S3 is off, never both) and declare success;
    the export's ``completed`` row and the billing rows go in the final transaction.

    Args:
        download_name: the file name a browser saves it as (S3 ``Content-Disposition``).
        file: the S3 key and content type (default: the export's contract key, §5.0).
        meta: success-entry fields beside ``exportId``, ``s3Key`` and ``fileSize``.
    """
    store = make_object_store(
        ctx.settings.s3_bucket, ctx.settings.aws_region, ctx.settings.s3_endpoint_url
    )
    s3_key: str | None = None
    if store is not None:
        s3_key, content_type = file or (
            export_key(export.org_id, export.id, export.type),
            export_content_type(export.type),
        )
        store.put_bytes(s3_key, content, content_type, download_name=download_name)
    ctx.progress(90, "Export stored")
    log_event(
        logger,
        logging.INFO,
        "export_stored",
        export_id=export.id,
        type=export.type,
        bytes=len(content),
        storage="s3" if s3_key else "file_data",
        **ctx.log_fields(),
    )
    cpu_s = time.thread_time() - cpu_started_s

    def finalize(cur: psycopg2.extras.RealDictCursor) -> None:
        stored = complete_export(
            cur, export, s3_key=s3_key, file_data=None if s3_key is not None else content
        )
        if not stored:  # the export left queued/processing meanwhile: the user cancelled it
            raise JobCancelled(ctx.job.id)
        insert_billing(
            cur,
            ctx.settings,
            org_id=export.org_id,
            prefix=BILLING_PREFIX,
            cpu_seconds=cpu_s,
            with_cost=True,
        )

    result: dict[str, Any] = {"exportId": export.id, "s3Key": s3_key, "fileSize": len(content)}
    ctx.succeed({**result, **(meta or {})}, finalize=finalize)


def run_export(kind: ExportKind) -> None:
    """The whole job: claim-time transition, load, render, store, then declare success."""
    ctx = current_job()
    cpu_started_s = time.thread_time()
    export = claim_export(ctx, kind.export_types)
    if export is None:
        return
    with ctx.db.transaction() as cur:
        data = load_report_data(cur, export, ctx.params, kind.needs(ctx, export))
    ctx.progress(10, "Export data loaded")
    ctx.progress(30, f"Rendering {kind.label}")
    content, warnings = kind.render(data, ctx, export)
    for warning in warnings:
        ctx.log(warning, level="warn")
    ctx.progress(80, f"{kind.label} rendered")
    download_name = export_download_name(
        data.org_name, kind.report_name(ctx, export), data.generated_on, export.type
    )
    finish_export(ctx, export, content, cpu_started_s=cpu_started_s, download_name=download_name)
