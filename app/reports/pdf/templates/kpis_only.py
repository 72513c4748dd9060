"""What an unknown template name renders: the headline KPI cards under a generic title."""

from __future__ import annotations

from reportlab.platypus import Flowable

from app.reports.data import Needs
from app.reports.pdf.sections import headline_kpis
from app.reports.pdf.template import PdfTemplate, ReportContext


def build(ctx: ReportContext) -> list[Flowable]:
    """The eight headline KPI cards."""
    return headline_kpis(ctx, "Key metrics")


# Not selectable by name: the renderer falls back to it (with a warning) for unknown names.
TEMPLATE = PdfTemplate(
    name="kpis-only",
    title="Financial Model Export Report",
    needs=Needs(),
    build=build,
)
