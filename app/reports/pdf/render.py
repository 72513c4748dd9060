"""The PDF export (contract §5.3.1): pick the template, build its story, lay out the pages."""

from __future__ import annotations

from app.reports.data import ReportData
from app.reports.pdf.fonts import FontSet, resolve_fonts
from app.reports.pdf.page import build_document
from app.reports.pdf.registry import FALLBACK_TEMPLATE, find_template
from app.reports.pdf.template import ReportContext

UNKNOWN_TEMPLATE_WARNING = "unknown template; rendered KPIs only"


def render_pdf(
    data: ReportData, template: str, *, fonts: FontSet | None = None
) -> tuple[bytes, list[str]]:
    """Render the PDF export of ``template``.

    Args:
        data: the report inputs.
        template: ``exports.meta_json.template`` → ``params.template`` → ``executive-summary``.
        fonts: override the font choice (tests); by default :func:`resolve_fonts`.

    Returns:
        The PDF bytes and warnings for the job log (e.g. an unknown template).
    """
    ctx = ReportContext.create(data, fonts or resolve_fonts())
    warnings: list[str] = []
    chosen = find_template(template)
    if chosen is None:
        chosen = FALLBACK_TEMPLATE
        # The name itself is a parameter and is not copied into the job log (§3.1).
        warnings.append(UNKNOWN_TEMPLATE_WARNING)
    return build_document(ctx, chosen.title, chosen.build(ctx)), warnings
