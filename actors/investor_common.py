"""The body both investor export actors share (CONTRACT-2 §6.9).

The export flow of C§5.3 (:func:`actors.export_common.claim_export` and
:func:`~actors.export_common.finish_export`: ``processing``, the final ``completed`` row with
exactly one of ``s3_key`` / ``file_data``, billing rows as for exports, OPEN-3), with the role
check, the headcount plans, the investor renderers, the password (AES-256 or the job fails)
and distribution, which this worker never performs (a warning says so).
"""

from __future__ import annotations

import time
from typing import Any

from actors.export_common import claim_export, finish_export
from app.errors import InvalidParams
from app.jobcontext import JobContext, current_job
from app.jobtypes.access import require_role
from app.jobtypes.exports import load_report_data
from app.jobtypes.investor_exports import load_headcount, required_role
from app.reports.data import Needs
from app.reports.investor import Distribution, InvestorContent
from app.reports.pdf.investor import render_investor_pdf
from app.reports.pdf.protect import encrypt_pdf
from app.reports.pptx_deck.investor import render_investor_pptx
from app.storage import export_download_name, investor_export_file

PPTX_PASSWORD = "password protection is not supported for PPTX exports"


def _flag(ctx: JobContext, name: str) -> bool:
    value = ctx.params.get(name)
    if value is None:
        return True
    if not isinstance(value, bool):
        raise InvalidParams(f"params.{name} must be true or false")
    return value


def _template(ctx: JobContext, meta_json: Any) -> str | None:
    for source in (meta_json or {}, ctx.params):
        value = source.get("template")
        if isinstance(value, str) and value.strip():
            return value
    return None


def run_investor_export(fmt: str) -> None:
    """The whole job for ``fmt`` (``pdf`` or ``pptx``)."""
    ctx = current_job()
    cpu_started_s = time.thread_time()
    include_monte_carlo = _flag(ctx, "includeMonteCarlo")
    export = claim_export(ctx, (fmt,))
    if export is None:
        return
    try:
        distribution = Distribution.parse(export.meta_json)
    except ValueError as exc:
        raise InvalidParams(str(exc)) from None
    if distribution.password is not None and fmt == "pptx":
        raise InvalidParams(PPTX_PASSWORD)
    with ctx.db.transaction() as cur:
        require_role(cur, ctx.job, required_role(export.meta_json))
        data = load_report_data(cur, export, ctx.params, Needs(monte_carlo=include_monte_carlo))
        headcount = load_headcount(cur, export.org_id)
    content = InvestorContent.build(
        export.meta_json,
        headcount,
        template=_template(ctx, export.meta_json),
        include_monte_carlo=include_monte_carlo,
    )
    ctx.progress(10, "Export data loaded")
    ctx.progress(30, f"Rendering {fmt.upper()}")
    meta: dict[str, Any] = {"format": fmt}
    if fmt == "pdf":
        document, sections = render_investor_pdf(data, content)
        if distribution.password is not None:
            document = encrypt_pdf(document, distribution.password)
    else:
        document, slide_count, sections = render_investor_pptx(data, content)
        meta["slideCount"] = slide_count
    ctx.progress(80, f"{fmt.upper()} rendered")
    warnings = [w for w in (distribution.warning,) if w]
    for warning in warnings:
        ctx.log(warning, level="warn")
    meta.update(
        {
            "sections": sections,
            "template": content.template,
            "monteCarloIncluded": "monteCarlo" in sections and data.monte_carlo is not None,
            "passwordProtected": distribution.password is not None,
            "distributionPerformed": False,
            "warnings": warnings,
        }
    )
    report = "investor-memo" if fmt == "pdf" else "investor-deck"
    finish_export(
        ctx,
        export,
        document,
        cpu_started_s=cpu_started_s,
        download_name=export_download_name(data.org_name, report, data.generated_on, fmt),
        file=investor_export_file(export.org_id, export.id, fmt),
        meta=meta,
    )
