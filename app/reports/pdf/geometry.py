"""Page geometry: A4 for every org except USD orgs, which get US Letter (issue 9)."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.units import inch

MARGIN_PT = 0.7 * inch
LETTER_CURRENCIES = frozenset({"USD"})


@dataclass(frozen=True)
class PageGeometry:
    """One page size and the width left between the margins."""

    name: str
    size: tuple[float, float]

    @property
    def width(self) -> float:
        return self.size[0]

    @property
    def height(self) -> float:
        return self.size[1]

    @property
    def content_width(self) -> float:
        """The page width less both margins."""
        return self.size[0] - 2 * MARGIN_PT


A4_PAGE = PageGeometry("A4", A4)
LETTER_PAGE = PageGeometry("Letter", letter)
#: The narrower content width: what fits on either page (for layouts made without a context).
COMMON_CONTENT_WIDTH_PT = min(A4_PAGE.content_width, LETTER_PAGE.content_width)


def page_for(currency: str | None) -> PageGeometry:
    """Letter for a USD org, A4 for every other currency."""
    code = (currency or "").strip().upper()
    return LETTER_PAGE if code in LETTER_CURRENCIES else A4_PAGE
