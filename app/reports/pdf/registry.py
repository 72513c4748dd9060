"""The templates by name, and the one rule that turns a requested name into a template."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from app.reports.data import Needs
from app.reports.pdf.template import PdfTemplate
from app.reports.pdf.templates import (
    BUDGET_VARIANCE,
    EXECUTIVE_SUMMARY,
    FINANCIAL_PERFORMANCE,
    GROWTH_METRICS,
    INVESTOR_UPDATE,
    KPI_DASHBOARD,
    KPIS_ONLY,
)

DEFAULT_TEMPLATE = EXECUTIVE_SUMMARY.name
FALLBACK_TEMPLATE = KPIS_ONLY
TEMPLATES: Mapping[str, PdfTemplate] = MappingProxyType(
    {
        template.name: template
        for template in (
            EXECUTIVE_SUMMARY,
            FINANCIAL_PERFORMANCE,
            KPI_DASHBOARD,
            INVESTOR_UPDATE,
            BUDGET_VARIANCE,
            GROWTH_METRICS,
        )
    }
)
TEMPLATE_TITLES: dict[str, str] = {name: template.title for name, template in TEMPLATES.items()}


def template_key(template: str) -> str:
    """The registry key of a requested name: trimmed, lower case, the default when empty."""
    return (template or DEFAULT_TEMPLATE).strip().lower() or DEFAULT_TEMPLATE


def find_template(template: str) -> PdfTemplate | None:
    """The template a requested name selects, or None for an unknown name."""
    return TEMPLATES.get(template_key(template))


def template_needs(template: str) -> Needs:
    """The optional data the PDF of ``template`` is rendered from.

    Args:
        template: the requested name, as :func:`~app.reports.pdf.render_pdf` takes it (any
            case and spacing; empty selects ``executive-summary``).

    Returns:
        The named template's :class:`~app.reports.data.Needs`; an unknown name gets those of
        the fallback it renders as.
    """
    return (find_template(template) or FALLBACK_TEMPLATE).needs
