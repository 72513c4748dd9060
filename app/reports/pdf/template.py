"""What a PDF report template is: the context it builds from, and its declaration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reportlab.platypus import Flowable

from app.reports.data import Needs, ReportData, first_year_months
from app.reports.money import Formatter
from app.reports.pdf.fonts import FontSet
from app.reports.pdf.geometry import PageGeometry, page_for
from app.reports.pdf.styles import Styles

FIRST_YEAR_FALLBACK_MONTHS = 12


@dataclass(frozen=True)
class ReportContext:
    """The inputs, fonts, number formats and styles of one report being built."""

    data: ReportData
    fonts: FontSet
    fmt: Formatter
    styles: Styles

    @classmethod
    def create(cls, data: ReportData, fonts: FontSet) -> ReportContext:
        """A context whose currency symbols fall back to codes where ``fonts`` lack glyphs."""
        return cls(
            data=data,
            fonts=fonts,
            fmt=Formatter(data.currency, fonts.missing_glyphs),
            styles=Styles.for_fonts(fonts),
        )

    @property
    def page(self) -> PageGeometry:
        """The page size of the org's currency (Letter for USD, else A4) and its widths."""
        return page_for(self.data.currency)

    @property
    def summary(self) -> Mapping[str, Any]:
        """``model_runs.summary_json``."""
        return self.data.summary

    def first_year_length(self) -> int:
        """``min(12, H)``: the months behind the "first year" totals (12 when unknown)."""
        return len(first_year_months(self.summary)) or FIRST_YEAR_FALLBACK_MONTHS


@dataclass(frozen=True)
class PdfTemplate:
    """One report template: its name, its title, the data it reads and its story.

    Attributes:
        name: the ``template`` value that selects it (lower case).
        title: the document title, printed in every page header.
        needs: the optional :class:`ReportData` inputs the export loader fetches for it.
        build: the flowables of the report body.
    """

    name: str
    title: str
    needs: Needs
    build: Callable[[ReportContext], list[Flowable]]
