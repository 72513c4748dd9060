"""PDF exports (contract §5.3.1) with reportlab platypus.

Security (P30): every string that comes from the database is escaped before it reaches a
``Paragraph`` (the only markup parser here, see :mod:`.styles`); the renderer reads no URL and
no file except the fixed DejaVu font files of :mod:`.fonts`, and draws no images.

Layout: :mod:`.fonts` and :mod:`.styles` set the type; :mod:`.page` the page template (header,
footer, page numbers); :mod:`.charts` and :mod:`.tables` the widgets; :mod:`.sections` the
sections several templates share; :mod:`.templates` one module per report template, each a
:class:`PdfTemplate` that declares the data it needs; :mod:`.registry` finds them by name.
"""

from __future__ import annotations

from app.reports.pdf.fonts import FontSet, resolve_fonts
from app.reports.pdf.registry import (
    DEFAULT_TEMPLATE,
    FALLBACK_TEMPLATE,
    TEMPLATE_TITLES,
    TEMPLATES,
    template_needs,
)
from app.reports.pdf.render import render_pdf
from app.reports.pdf.template import PdfTemplate, ReportContext

__all__ = [
    # Rendering.
    "render_pdf",
    # Templates: what each one is called, titled and needs.
    "DEFAULT_TEMPLATE",
    "FALLBACK_TEMPLATE",
    "TEMPLATES",
    "TEMPLATE_TITLES",
    "PdfTemplate",
    "ReportContext",
    "template_needs",
    # Fonts.
    "FontSet",
    "resolve_fonts",
]
