"""The investor deck (CONTRACT-2 §6.9): the export deck from the same generator, plus, when their
data exists, a budget-vs-actual slide, a headcount slide and a labelled commentary slide.

No slide is empty: a slide whose data is missing is not added (the standard slides say "n/a"
for a missing number, as in every export).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from pptx import Presentation
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from app.reports.data import ReportData, fan_series
from app.reports.investor import BUDGET_HEADING, COMMENTARY_HEADING, HEADCOUNT_NOTE, InvestorContent
from app.reports.pptx_deck.layout import CONTENT_TOP, CONTENT_WIDTH, INK, MARGIN, WHITE, style
from app.reports.pptx_deck.render import render_pptx
from app.reports.pptx_deck.shapes import bullets, caption
from app.reports.pptx_deck.slides import Deck

TITLE_BUDGET = "Budget vs Actual"
TITLE_HEADCOUNT = "Headcount Plans"
TITLE_COMMENTARY = "Commentary"
ROW_HEIGHT = Inches(0.46)
TABLE_FONT_PT = 15
MAX_DEPARTMENT_ROWS = 8


def render_investor_pptx(
    data: ReportData, content: InvestorContent
) -> tuple[bytes, int, list[str]]:
    """The deck's bytes, its slide count and the names of its sections."""
    extra: list[tuple[str, Callable[[Deck], None]]] = []
    if not content.budget_actual.empty:
        extra.append(("budgetVsActual", lambda deck: _budget(deck, content)))
    if content.headcount:
        extra.append(("headcount", lambda deck: _headcount(deck, content)))
    if not content.commentary.empty:
        extra.append(("commentary", lambda deck: _commentary(deck, content)))
    monte_carlo = content.include_monte_carlo and fan_series(data.monte_carlo) is not None
    deck_bytes = render_pptx(
        data,
        include_monte_carlo=content.include_monte_carlo,
        title=content.title,
        subtitle=content.reporting_period or None,
        extra_slides=[add for _, add in extra],
    )
    sections = ["cover", "executiveSummary", "kpis", "revenueChart", "cashPosition"]
    sections += ["monteCarlo"] if monte_carlo else []
    sections += ["riskFlags", *(name for name, _ in extra), "statements"]
    slide_count = len(Presentation(io.BytesIO(deck_bytes)).slides)
    return deck_bytes, slide_count, sections


def _grid(
    slide: Any,
    rows: Sequence[Sequence[str]],
    weights: Sequence[float],
    top: int,
    *,
    total_row: bool = False,
) -> None:
    """A table whose first row is a header (and, with ``total_row``, the last row in bold);
    columns after the first are right-aligned."""
    width = CONTENT_WIDTH
    shape = slide.shapes.add_table(
        len(rows), len(weights), MARGIN, top, width, ROW_HEIGHT * len(rows)
    )
    grid = shape.table
    total = sum(weights)
    for c, weight in enumerate(weights):
        grid.columns[c].width = int(width * weight / total)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = grid.cell(r, c)
            cell.text = text
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            style(
                cell.text_frame.paragraphs[0],
                TABLE_FONT_PT,
                bold=r == 0 or (total_row and r == len(rows) - 1),
                color=WHITE if r == 0 else INK,
                align=PP_ALIGN.RIGHT if c > 0 else PP_ALIGN.LEFT,
            )


def _budget(deck: Deck, content: InvestorContent) -> None:
    f, budget = deck.fmt, content.budget_actual
    slide = deck.slide(TITLE_BUDGET)
    top = int(CONTENT_TOP)
    if budget.periods:
        rows = [["Period", "Budget revenue", "Actual revenue", "Budget expenses", "Actual expenses",
                 "Variance"]]  # fmt: skip
        for p in budget.periods:
            rows.append(
                [
                    str(p.get("period", ""))[:20],
                    f.money(p.get("budgetRevenue")),
                    f.money(p.get("actualRevenue")),
                    f.money(p.get("budgetExpenses")),
                    f.money(p.get("actualExpenses")),
                    f.money(p.get("variance")),
                ]
            )
        _grid(slide, rows, [1.0, 1.3, 1.3, 1.3, 1.3, 1.2], top)
        top += int(ROW_HEIGHT * (len(rows) + 1))
    if budget.categories and top < Inches(5.2):
        rows = [["Category", "Budget", "Actual", "Variance"]]
        room = int((Inches(6.4) - top) / ROW_HEIGHT) - 1
        for c in budget.categories[: max(1, room)]:
            rows.append(
                [
                    str(c.get("category", ""))[:40],
                    f.money(c.get("budget")),
                    f.money(c.get("actual")),
                    f.money(c.get("variance")),
                ]
            )
        _grid(slide, rows, [2.4, 1.3, 1.3, 1.3], top)
    caption(slide, BUDGET_HEADING + ".")


def _headcount(deck: Deck, content: InvestorContent) -> None:
    slide = deck.slide(TITLE_HEADCOUNT)
    rows = [["Department", "Hired (filled)", "Planned", "Total"]]
    shown, rest = content.headcount[:MAX_DEPARTMENT_ROWS], content.headcount[MAX_DEPARTMENT_ROWS:]
    rows += [
        [line.department, str(line.hired), str(line.planned), str(line.total)] for line in shown
    ]
    if rest:
        hired_rest = sum(line.hired for line in rest)
        planned_rest = sum(line.planned for line in rest)
        rows.append(
            [
                f"{len(rest)} other departments",
                str(hired_rest),
                str(planned_rest),
                str(hired_rest + planned_rest),
            ]  # fmt: skip
        )
    hired = sum(line.hired for line in content.headcount)
    planned = sum(line.planned for line in content.headcount)
    rows.append(["All departments", str(hired), str(planned), str(hired + planned)])
    _grid(slide, rows, [2.6, 1.2, 1.2, 1.0], CONTENT_TOP, total_row=True)
    caption(slide, HEADCOUNT_NOTE)


def _commentary(deck: Deck, content: InvestorContent) -> None:
    commentary = content.commentary
    slide = deck.slide(TITLE_COMMENTARY)
    lines: list[str] = []
    if commentary.executive_summary:
        lines.append(commentary.executive_summary[:600])
    lines += list(commentary.highlights[:4]) + list(commentary.areas_of_focus[:3])
    bullets(slide, lines, top=CONTENT_TOP + Inches(0.1), size=20)
    caption(slide, COMMENTARY_HEADING + ".")
