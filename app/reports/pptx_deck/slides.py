"""The slides of the deck, in the order they are added."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pptx.presentation import Presentation
from pptx.util import Inches

from app.reports.data import (
    CASH_FLOW_LINES,
    INCOME_STATEMENT_LINES,
    ReportData,
    clean_text,
    fan_series,
    first_year_cash_flow,
    first_year_income_statement,
    first_year_months,
    lowest_cash,
    monthly_series,
    survival_probability,
)
from app.reports.money import NOT_AVAILABLE, Formatter, month_label, period_label
from app.reports.pptx_deck.charts import Series, line_chart
from app.reports.pptx_deck.layout import (
    BRAND,
    CASH_COLOR,
    CONTENT_TOP,
    CONTENT_WIDTH,
    FAN_EDGE,
    INK,
    LAYOUT_TITLE,
    MARGIN,
    MUTED,
    REVENUE_COLOR,
    SIDE_CHART_WIDTH,
    span,
    style,
)
from app.reports.pptx_deck.risks import NO_RISK_FLAGS, risk_flags
from app.reports.pptx_deck.shapes import bullets, caption, card, facts, table, titled_slide

TITLE_COVER = "Investor Update"
TITLE_SUMMARY = "Executive Summary"
TITLE_KPIS = "Key Performance Indicators"
TITLE_REVENUE = "Revenue Trend"
TITLE_CASH = "Cash Position & Runway"
TITLE_MONTE_CARLO = "Monte Carlo Risk Analysis"
TITLE_RISKS = "Key Risks & Considerations"
TITLE_STATEMENTS = "Financial Statements (First 12 Months)"
KPI_CARDS_PER_ROW = 3
FOOTER_ORG_CHARS = 80
BOLD_STATEMENT_LINES = {"Gross profit", "EBITDA", "Net income", "Net cash flow", "Ending cash"}


@dataclass(frozen=True)
class Deck:
    """The presentation being built, with the inputs and number formats of its slides."""

    data: ReportData
    fmt: Formatter
    prs: Presentation

    def slide(self, title: str) -> Any:
        """A new titled slide whose footer names the org and the model run."""
        footer = clean_text(self.data.org_name, FOOTER_ORG_CHARS)
        return titled_slide(self.prs, title, f"{footer} · Model run {self.data.short_run_id}")

    def last_month(self) -> str | None:
        """The last forecast month, if any."""
        months, _ = monthly_series(self.data.summary, "revenue")
        return months[-1] if months else None

    def chart(
        self,
        slide: Any,
        months: list[str],
        series: list[Series],
        *,
        width: int | None = None,
        legend: bool = False,
    ) -> None:
        """A line chart whose money axis carries the deck's currency."""
        line_chart(
            slide, months, series, currency_prefix=self.fmt.prefix, width=width, legend=legend
        )


def cover(deck: Deck, *, title: str | None = None, subtitle: str | None = None) -> None:
    """Title, org name, an optional subtitle line and the generation date."""
    slide = deck.prs.slides.add_slide(deck.prs.slide_layouts[LAYOUT_TITLE])
    title_shape = slide.shapes.title
    span(title_shape, Inches(2.2), Inches(1.4))
    title_shape.text = clean_text(title) if title else TITLE_COVER
    style(title_shape.text_frame.paragraphs[0], 44, bold=True, color=INK)
    body = slide.placeholders[1]
    span(body, Inches(3.7), Inches(1.4))
    frame = body.text_frame
    frame.text = clean_text(deck.data.org_name) or " "
    style(frame.paragraphs[0], 24, color=INK)
    if subtitle:
        line = frame.add_paragraph()
        line.text = clean_text(subtitle)
        style(line, 18, color=INK)
    date_paragraph = frame.add_paragraph()
    date_paragraph.text = deck.data.generated_on.strftime("%B %d, %Y")
    style(date_paragraph, 18, color=MUTED)


def executive_summary(deck: Deck) -> None:
    """First-year revenue and net income; cash, burn and runway at the end."""
    s, f = deck.data.summary, deck.fmt
    slide = deck.slide(TITLE_SUMMARY)
    months = first_year_months(s)
    end = _at(deck.last_month())
    low = lowest_cash(s)
    lines = [
        f"First-year revenue: {f.money(s.get('totalRevenue', s.get('revenue')))}"
        + (f" ({period_label(months)})" if months else ""),
        f"First-year net income: {f.money(s.get('netIncome'))}",
        f"Ending cash{end}: {f.money(s.get('cashBalance'))}",
        f"Lowest cash{_at(low[0] if low else None)}: {f.money(low[1] if low else None)}",
        f"Monthly burn{end}: {f.money(s.get('burnRate'))}",
        f"Runway{end}: {f.runway(s.get('runwayMonths'), s.get('burnRate'))}",
    ]
    bullets(slide, lines, top=CONTENT_TOP + Inches(0.2), size=24)


def kpis(deck: Deck) -> None:
    """Nine KPI cards, three a row, and a note on which period each one covers."""
    s, f = deck.data.summary, deck.fmt
    slide = deck.slide(TITLE_KPIS)
    cards = [
        ("Total Revenue", f.money(s.get("totalRevenue", s.get("revenue")))),
        ("Total Expenses", f.money(s.get("totalExpenses", s.get("expenses")))),
        ("Net Income", f.money(s.get("netIncome"))),
        ("Cash Balance", f.money(s.get("cashBalance"))),
        ("Monthly Burn", f.money(s.get("burnRate"))),
        (
            "Runway (months)",
            f.runway(s.get("runwayMonths"), s.get("burnRate")).replace(" months", ""),
        ),
        ("MRR", f.money(s.get("mrr"))),
        ("ARR", f.money(s.get("arr"))),
        ("Gross Margin", f.percent(s.get("grossMargin"))),
    ]
    gap = Inches(0.25)
    width = int((CONTENT_WIDTH - (KPI_CARDS_PER_ROW - 1) * gap) / KPI_CARDS_PER_ROW)
    height = Inches(1.45)
    for index, (label, value) in enumerate(cards):
        row, col = divmod(index, KPI_CARDS_PER_ROW)
        left = MARGIN + col * (width + gap)
        top = CONTENT_TOP + row * (height + gap)
        card(slide, label, value, left=left, top=top, width=width, height=height)
    note = (
        "Revenue, expenses and net income: first 12 forecast months. Cash, burn, runway, "
        "MRR and ARR: last forecast month."
    )
    caption(slide, note, top=CONTENT_TOP + 3 * height + 2 * gap + Inches(0.1))


def revenue_trend(deck: Deck) -> None:
    """Monthly revenue as a chart, and its first and last values."""
    slide = deck.slide(TITLE_REVENUE)
    months, revenue = monthly_series(deck.data.summary, "revenue")
    deck.chart(slide, months, [("Revenue", revenue, REVENUE_COLOR)])
    present = [(m, v) for m, v in zip(months, revenue, strict=True) if v is not None]
    if present:
        (m0, v0), (m1, v1) = present[0], present[-1]
        caption(
            slide,
            f"Monthly revenue: {deck.fmt.money(v0)} in {month_label(m0)}, "
            f"{deck.fmt.money(v1)} in {month_label(m1)}.",
        )


def cash_position(deck: Deck) -> None:
    """Monthly cash as a chart, beside ending cash, runway and the cash-out month."""
    s, f = deck.data.summary, deck.fmt
    slide = deck.slide(TITLE_CASH)
    months, cash = monthly_series(s, "cashBalance")
    deck.chart(slide, months, [("Cash balance", cash, CASH_COLOR)], width=SIDE_CHART_WIDTH)
    cash_out = s.get("cashOutMonth")
    if isinstance(cash_out, str) and cash_out:
        cash_out_text = month_label(cash_out)
    elif months:
        cash_out_text = f"None within the {len(months)}-month forecast"
    else:
        cash_out_text = NOT_AVAILABLE
    end = _at(deck.last_month())
    burn = s.get("burnRate")
    low = lowest_cash(s)
    pairs = [
        (f"Ending cash{end}", f.money(s.get("cashBalance"))),
        (f"Lowest cash{_at(low[0] if low else None)}", f.money(low[1] if low else None)),
        (f"Runway{end}", f.runway(s.get("runwayMonths"), burn)),
        ("Runway from forecast start", f.runway(s.get("runwayFromStartMonths"), burn)),
        ("Cash-out month", cash_out_text),
    ]
    facts(slide, pairs, left=MARGIN + SIDE_CHART_WIDTH + Inches(0.3))


def monte_carlo(deck: Deck) -> None:
    """The P5 / P50 / P95 ending-cash lines beside their last values and the survival odds."""
    fan = fan_series(deck.data.monte_carlo)
    if fan is None:
        return
    f = deck.fmt
    slide = deck.slide(TITLE_MONTE_CARLO)
    deck.chart(
        slide,
        fan.months,
        [
            ("P95", list(fan.p95), FAN_EDGE),
            ("P50 (median)", list(fan.p50), BRAND),
            ("P5", list(fan.p5), FAN_EDGE),
        ],
        width=SIDE_CHART_WIDTH,
        legend=True,
    )
    survival = survival_probability(deck.data.monte_carlo)
    last = month_label(fan.months[-1])
    pairs = [
        (f"P5 ending cash ({last})", f.money(fan.p5[-1])),
        (f"P50 ending cash ({last})", f.money(fan.p50[-1])),
        (f"P95 ending cash ({last})", f.money(fan.p95[-1])),
        ("Probability of surviving the full period", f.percent(survival)),
    ]
    facts(slide, pairs, left=MARGIN + SIDE_CHART_WIDTH + Inches(0.3))


def risks(deck: Deck) -> None:
    """The risk flags that fire, or a line saying none does."""
    slide = deck.slide(TITLE_RISKS)
    flags = risk_flags(deck.data.summary, deck.fmt) or [NO_RISK_FLAGS]
    bullets(slide, flags, top=CONTENT_TOP + Inches(0.2), size=20)


def statements(deck: Deck) -> None:
    """First-year income statement and cash flow, side by side."""
    s, f = deck.data.summary, deck.fmt
    slide = deck.slide(TITLE_STATEMENTS)
    period = period_label(first_year_months(s), NOT_AVAILABLE)
    income = first_year_income_statement(s)
    income_rows = [("Income statement", period)]
    for label, key in INCOME_STATEMENT_LINES:
        income_rows.append((label, f.money(income.get(key))))
        if key == "grossProfit":
            income_rows.append(("Gross margin", f.percent(income.get("grossMargin"))))
    cash_flow = first_year_cash_flow(s)
    cash_rows = [("Cash flow", period)]
    cash_rows += [(label, f.money(cash_flow.get(key))) for label, key in CASH_FLOW_LINES]
    cash_rows.append(("Ending cash", f.money(cash_flow.get("endingCash"))))
    width = int((CONTENT_WIDTH - Inches(0.5)) / 2)
    table(slide, income_rows, MARGIN, width, BOLD_STATEMENT_LINES)
    table(slide, cash_rows, MARGIN + width + Inches(0.5), width, BOLD_STATEMENT_LINES)


def _at(month: str | None) -> str:
    """`` (Mar 2027)`` for a month, nothing without one."""
    return f" ({month_label(month)})" if month else ""
