"""The investor deck (contract §5.3.2) built with python-pptx, 16:9, native charts.

Every number on a slide comes from ``summary_json`` or ``percentiles_json``; there are no
benchmarks or claims of our own (P29). Slides, in order: cover, Executive Summary, Key
Performance Indicators, Revenue Trend, Cash Position & Runway, Monte Carlo Risk Analysis (only
with a simulation and ``include_monte_carlo``), Key Risks & Considerations, and a closing
first-year statements slide.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from app.reports.data import (
    CASH_FLOW_LINES,
    INCOME_STATEMENT_LINES,
    ReportData,
    clean_text,
    fan_series,
    first_cash_out,
    first_year_cash_flow,
    first_year_income_statement,
    first_year_months,
    monthly_series,
    num,
    survival_probability,
    warnings_of,
)
from app.reports.money import Formatter, month_label, short_month_label

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.6)
CONTENT_TOP = Inches(1.45)
LAYOUT_TITLE = 0
LAYOUT_TITLE_ONLY = 5
RUNWAY_FLAG_MONTHS = 6
MAX_LISTED_WARNINGS = 3

INK = RGBColor(0x1F, 0x29, 0x37)
MUTED = RGBColor(0x6B, 0x72, 0x80)
BRAND = RGBColor(0x1D, 0x4E, 0xD8)
CARD = RGBColor(0xF3, 0xF4, 0xF6)
REVENUE_COLOR = RGBColor(0x25, 0x63, 0xEB)
CASH_COLOR = RGBColor(0x05, 0x96, 0x69)
FAN_EDGE = RGBColor(0x93, 0xC5, 0xFD)

TITLE_COVER = "Investor Update"
TITLE_SUMMARY = "Executive Summary"
TITLE_KPIS = "Key Performance Indicators"
TITLE_REVENUE = "Revenue Trend"
TITLE_CASH = "Cash Position & Runway"
TITLE_MONTE_CARLO = "Monte Carlo Risk Analysis"
TITLE_RISKS = "Key Risks & Considerations"
TITLE_STATEMENTS = "Financial Statements (First 12 Months)"
NO_RISK_FLAGS = "No risk flags triggered by the model"


def render_pptx(data: ReportData, include_monte_carlo: bool = True) -> bytes:
    """Render the investor deck.

    Args:
        data: the report inputs.
        include_monte_carlo: ``params.includeMonteCarlo``; the Monte Carlo slide also needs a
            usable ``data.monte_carlo``.

    Returns:
        The ``.pptx`` bytes.
    """
    deck = _Deck(data)
    deck.cover()
    deck.executive_summary()
    deck.kpis()
    deck.revenue_trend()
    deck.cash_position()
    if include_monte_carlo and fan_series(data.monte_carlo) is not None:
        deck.monte_carlo()
    deck.risks()
    deck.statements()
    return deck.save()


def risk_flags(summary: Mapping[str, Any], fmt: Formatter) -> list[str]:
    """The rule-based risk flags of slide 7 (empty when no rule fires)."""
    flags: list[str] = []
    runway = num(summary.get("runwayMonths"))
    if runway is not None and runway < RUNWAY_FLAG_MONTHS:
        flags.append(
            f"Runway at the end of the forecast is {fmt.months(runway)}, "
            f"below {RUNWAY_FLAG_MONTHS} months."
        )
    net_income = num(summary.get("netIncome"))
    if net_income is not None and net_income < 0:
        flags.append(f"Net income over the first 12 months is negative: {fmt.money(net_income)}.")
    cash_out = first_cash_out(summary)
    if cash_out is not None:
        month, cash = cash_out
        flags.append(
            f"Cash falls to zero or below in {month_label(month)} (ending cash {fmt.money(cash)})."
        )
    revenue_growth = num(summary.get("revenueGrowth"))
    expense_growth = num(summary.get("expenseGrowth"))
    if (
        revenue_growth is not None
        and expense_growth is not None
        and expense_growth > revenue_growth
    ):
        flags.append(
            f"Expense growth ({fmt.percent(expense_growth)} per month) exceeds revenue growth "
            f"({fmt.percent(revenue_growth)} per month)."
        )
    warnings = warnings_of(summary)
    if warnings:
        listed = "; ".join(clean_text(w, 120) for w in warnings[:MAX_LISTED_WARNINGS])
        more = f" (and {len(warnings) - MAX_LISTED_WARNINGS} more)" if len(warnings) > 3 else ""
        flags.append(f"The model reported {len(warnings)} warning(s): {listed}{more}.")
    return flags


def _axis_format(prefix: str, values: Sequence[float | None]) -> str:
    """An Excel number format for a money axis, scaled to K or M."""
    present = [abs(v) for v in values if v is not None]
    peak = max(present) if present else 0.0
    quoted = '"' + prefix.replace('"', "") + '"'
    if peak >= 1e6:
        return quoted + '#,##0.0,,"M"'
    if peak >= 1e4:
        return quoted + '#,##0,"K"'
    return quoted + "#,##0"


class _Deck:
    """Builds slides onto one presentation."""

    def __init__(self, data: ReportData) -> None:
        self.data = data
        self.summary: Mapping[str, Any] = data.summary
        # Slides are text, not PDF glyphs: every currency symbol is available.
        self.fmt = Formatter(data.currency)
        self.prs = Presentation()
        self.prs.slide_width = SLIDE_WIDTH
        self.prs.slide_height = SLIDE_HEIGHT

    def save(self) -> bytes:
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()

    # ------------------------------------------------------------------ slides

    def cover(self) -> None:
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[LAYOUT_TITLE])
        title = slide.shapes.title
        title.left, title.top = MARGIN, Inches(2.2)
        title.width, title.height = SLIDE_WIDTH - 2 * MARGIN, Inches(1.4)
        title.text = TITLE_COVER
        _style(title.text_frame.paragraphs[0], 44, bold=True, color=INK)
        subtitle = slide.placeholders[1]
        subtitle.left, subtitle.top = MARGIN, Inches(3.7)
        subtitle.width, subtitle.height = SLIDE_WIDTH - 2 * MARGIN, Inches(1.4)
        frame = subtitle.text_frame
        frame.text = clean_text(self.data.org_name) or " "
        _style(frame.paragraphs[0], 24, color=INK)
        date_paragraph = frame.add_paragraph()
        date_paragraph.text = self.data.generated_on.strftime("%B %d, %Y")
        _style(date_paragraph, 18, color=MUTED)

    def executive_summary(self) -> None:
        s, f = self.summary, self.fmt
        slide = self._slide(TITLE_SUMMARY)
        months = first_year_months(s)
        end_month = self._last_month()
        period = f"{month_label(months[0])} – {month_label(months[-1])}" if months else ""
        bullets = [
            f"First-year revenue: {f.money(s.get('totalRevenue', s.get('revenue')))}"
            + (f" ({period})" if months else ""),
            f"First-year net income: {f.money(s.get('netIncome'))}",
            f"Ending cash{self._at(end_month)}: {f.money(s.get('cashBalance'))}",
            f"Monthly burn{self._at(end_month)}: {f.money(s.get('burnRate'))}",
            f"Runway{self._at(end_month)}: {f.months(s.get('runwayMonths'))}",
        ]
        self._bullets(slide, bullets, top=CONTENT_TOP + Inches(0.2), size=24)

    def kpis(self) -> None:
        s, f = self.summary, self.fmt
        slide = self._slide(TITLE_KPIS)
        cards = [
            ("Total Revenue", f.money(s.get("totalRevenue", s.get("revenue")))),
            ("Total Expenses", f.money(s.get("totalExpenses", s.get("expenses")))),
            ("Net Income", f.money(s.get("netIncome"))),
            ("Cash Balance", f.money(s.get("cashBalance"))),
            ("Monthly Burn", f.money(s.get("burnRate"))),
            ("Runway (months)", _runway_text(f, s.get("runwayMonths"))),
            ("MRR", f.money(s.get("mrr"))),
            ("ARR", f.money(s.get("arr"))),
            ("Gross Margin", f.percent(s.get("grossMargin"))),
        ]
        gap = Inches(0.25)
        width = int((SLIDE_WIDTH - 2 * MARGIN - 2 * gap) / 3)
        height = Inches(1.45)
        for index, (label, value) in enumerate(cards):
            row, col = divmod(index, 3)
            left = MARGIN + col * (width + gap)
            top = CONTENT_TOP + row * (height + gap)
            card = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height)
            card.fill.solid()
            card.fill.fore_color.rgb = CARD
            card.line.fill.background()
            card.shadow.inherit = False
            frame = card.text_frame
            frame.word_wrap = True
            frame.text = label
            _style(frame.paragraphs[0], 16, color=MUTED, align=PP_ALIGN.LEFT)
            value_paragraph = frame.add_paragraph()
            value_paragraph.text = value
            _style(
                value_paragraph,
                28 if len(value) <= 16 else 22,
                bold=True,
                color=INK,
                align=PP_ALIGN.LEFT,
            )
        note = (
            "Revenue, expenses and net income: first 12 forecast months. Cash, burn, runway, "
            "MRR and ARR: last forecast month."
        )
        self._caption(slide, note, top=CONTENT_TOP + 3 * height + 2 * gap + Inches(0.1))

    def revenue_trend(self) -> None:
        slide = self._slide(TITLE_REVENUE)
        months, revenue = monthly_series(self.summary, "revenue")
        self._line_chart(slide, months, [("Revenue", revenue, REVENUE_COLOR)])
        present = [(m, v) for m, v in zip(months, revenue, strict=True) if v is not None]
        if present:
            (m0, v0), (m1, v1) = present[0], present[-1]
            self._caption(
                slide,
                f"Monthly revenue: {self.fmt.money(v0)} in {month_label(m0)}, "
                f"{self.fmt.money(v1)} in {month_label(m1)}.",
            )

    def cash_position(self) -> None:
        s, f = self.summary, self.fmt
        slide = self._slide(TITLE_CASH)
        months, cash = monthly_series(s, "cashBalance")
        chart_width = Inches(8.4)
        self._line_chart(slide, months, [("Cash balance", cash, CASH_COLOR)], width=chart_width)
        cash_out = s.get("cashOutMonth")
        if isinstance(cash_out, str) and cash_out:
            cash_out_text = month_label(cash_out)
        elif months:
            cash_out_text = f"None within the {len(months)}-month forecast"
        else:
            cash_out_text = "n/a"
        end_month = self._last_month()
        lines = [
            (f"Ending cash{self._at(end_month)}", f.money(s.get("cashBalance"))),
            (f"Runway{self._at(end_month)}", f.months(s.get("runwayMonths"))),
            ("Runway from forecast start", f.months(s.get("runwayFromStartMonths"))),
            ("Cash-out month", cash_out_text),
        ]
        self._facts(slide, lines, left=MARGIN + chart_width + Inches(0.3))

    def monte_carlo(self) -> None:
        fan = fan_series(self.data.monte_carlo)
        if fan is None:
            return
        f = self.fmt
        slide = self._slide(TITLE_MONTE_CARLO)
        chart_width = Inches(8.4)
        self._line_chart(
            slide,
            fan.months,
            [
                ("P95", list(fan.p95), FAN_EDGE),
                ("P50 (median)", list(fan.p50), BRAND),
                ("P5", list(fan.p5), FAN_EDGE),
            ],
            width=chart_width,
            legend=True,
        )
        survival = survival_probability(self.data.monte_carlo)
        last = month_label(fan.months[-1])
        lines = [
            (f"P5 ending cash ({last})", f.money(fan.p5[-1])),
            (f"P50 ending cash ({last})", f.money(fan.p50[-1])),
            (f"P95 ending cash ({last})", f.money(fan.p95[-1])),
            ("Probability of surviving the full period", f.percent(survival)),
        ]
        self._facts(slide, lines, left=MARGIN + chart_width + Inches(0.3))

    def risks(self) -> None:
        slide = self._slide(TITLE_RISKS)
        flags = risk_flags(self.summary, self.fmt) or [NO_RISK_FLAGS]
        self._bullets(slide, flags, top=CONTENT_TOP + Inches(0.2), size=20)

    def statements(self) -> None:
        f = self.fmt
        slide = self._slide(TITLE_STATEMENTS)
        months = first_year_months(self.summary)
        period = f"{month_label(months[0])} – {month_label(months[-1])}" if months else "n/a"
        income = first_year_income_statement(self.summary)
        income_rows = [("Income statement", period)]
        for label, key in INCOME_STATEMENT_LINES:
            income_rows.append((label, f.money(income.get(key))))
            if key == "grossProfit":
                income_rows.append(("Gross margin", f.percent(income.get("grossMargin"))))
        cash_flow = first_year_cash_flow(self.summary)
        cash_rows = [("Cash flow", period)]
        cash_rows += [(label, f.money(cash_flow.get(key))) for label, key in CASH_FLOW_LINES]
        cash_rows.append(("Ending cash", f.money(cash_flow.get("endingCash"))))
        width = int((SLIDE_WIDTH - 2 * MARGIN - Inches(0.5)) / 2)
        bold = {"Gross profit", "EBITDA", "Net income", "Net cash flow", "Ending cash"}
        self._table(slide, income_rows, MARGIN, width, bold)
        self._table(slide, cash_rows, MARGIN + width + Inches(0.5), width, bold)

    # ------------------------------------------------------------------ helpers

    def _slide(self, title: str) -> Any:
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[LAYOUT_TITLE_ONLY])
        shape = slide.shapes.title
        shape.left, shape.top = MARGIN, Inches(0.35)
        shape.width, shape.height = SLIDE_WIDTH - 2 * MARGIN, Inches(0.9)
        shape.text = title
        _style(shape.text_frame.paragraphs[0], 32, bold=True, color=INK, align=PP_ALIGN.LEFT)
        bar = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE, MARGIN, Inches(1.22), Inches(1.2), Inches(0.06)
        )
        bar.fill.solid()
        bar.fill.fore_color.rgb = BRAND
        bar.line.fill.background()
        footer = clean_text(self.data.org_name, 80)
        box = slide.shapes.add_textbox(
            MARGIN, SLIDE_HEIGHT - Inches(0.45), SLIDE_WIDTH - 2 * MARGIN, Inches(0.3)
        )
        box.text_frame.word_wrap = True
        box.text_frame.text = f"{footer} · Model run {self.data.short_run_id}"
        _style(box.text_frame.paragraphs[0], 10, color=MUTED, align=PP_ALIGN.LEFT)
        return slide

    def _last_month(self) -> str | None:
        months, _ = monthly_series(self.summary, "revenue")
        return months[-1] if months else None

    @staticmethod
    def _at(month: str | None) -> str:
        return f" ({month_label(month)})" if month else ""

    def _bullets(self, slide: Any, lines: Sequence[str], *, top: int, size: int) -> None:
        box = slide.shapes.add_textbox(
            MARGIN, top, SLIDE_WIDTH - 2 * MARGIN, SLIDE_HEIGHT - top - Inches(0.8)
        )
        frame = box.text_frame
        frame.word_wrap = True
        for index, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            paragraph.text = f"•  {line}"
            paragraph.space_after = Pt(14)
            _style(paragraph, size, color=INK, align=PP_ALIGN.LEFT)

    def _caption(self, slide: Any, text: str, top: int | None = None) -> None:
        top = top if top is not None else SLIDE_HEIGHT - Inches(1.05)
        box = slide.shapes.add_textbox(MARGIN, top, SLIDE_WIDTH - 2 * MARGIN, Inches(0.45))
        box.text_frame.word_wrap = True
        box.text_frame.text = text
        _style(box.text_frame.paragraphs[0], 14, color=MUTED, align=PP_ALIGN.LEFT)

    def _facts(self, slide: Any, facts: Sequence[tuple[str, str]], *, left: int) -> None:
        box = slide.shapes.add_textbox(
            left, CONTENT_TOP + Inches(0.2), SLIDE_WIDTH - left - MARGIN, Inches(5.0)
        )
        frame = box.text_frame
        frame.word_wrap = True
        for index, (label, value) in enumerate(facts):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            paragraph.text = label
            _style(paragraph, 14, color=MUTED, align=PP_ALIGN.LEFT)
            value_paragraph = frame.add_paragraph()
            value_paragraph.text = value
            value_paragraph.space_after = Pt(14)
            _style(value_paragraph, 22, bold=True, color=INK, align=PP_ALIGN.LEFT)

    def _line_chart(
        self,
        slide: Any,
        months: Sequence[str],
        series: Sequence[tuple[str, Sequence[float | None], RGBColor]],
        *,
        width: int | None = None,
        legend: bool = False,
    ) -> None:
        if not months:
            self._caption(slide, "The model run has no monthly forecast.", top=CONTENT_TOP)
            return
        chart_data = CategoryChartData(number_format="#,##0.00")
        chart_data.categories = [short_month_label(m) for m in months]
        values: list[float | None] = []
        for name, points, _ in series:
            rounded = [round(v, 2) if v is not None else None for v in points]
            chart_data.add_series(name, rounded)
            values.extend(rounded)
        width = width if width is not None else SLIDE_WIDTH - 2 * MARGIN
        frame = slide.shapes.add_chart(
            XL_CHART_TYPE.LINE,
            MARGIN,
            CONTENT_TOP,
            width,
            SLIDE_HEIGHT - CONTENT_TOP - Inches(1.15),
            chart_data,
        )
        chart = frame.chart
        chart.has_title = False
        chart.has_legend = legend
        if legend:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
            chart.legend.font.size = Pt(12)
        chart.font.size = Pt(11)
        chart.font.color.rgb = MUTED
        value_axis = chart.value_axis
        value_axis.tick_labels.number_format = _axis_format(self.fmt.prefix, values)
        value_axis.tick_labels.number_format_is_linked = False
        value_axis.has_major_gridlines = True
        value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE5, 0xE7, 0xEB)
        value_axis.format.line.fill.background()
        category_axis = chart.category_axis
        category_axis.tick_labels.font.size = Pt(10)
        # Month labels stay under the plot even when cash goes negative.
        category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
        category_axis.format.line.color.rgb = RGBColor(0xD1, 0xD5, 0xDB)
        _skip_category_labels(category_axis, max(1, -(-len(months) // 12)))
        for plot_series, (_, _, color) in zip(chart.plots[0].series, series, strict=True):
            plot_series.smooth = False
            plot_series.format.line.color.rgb = color
            plot_series.format.line.width = Pt(1.5 if color == FAN_EDGE else 2.75)
            plot_series.marker.style = XL_MARKER_STYLE.NONE

    def _table(
        self,
        slide: Any,
        rows: Sequence[tuple[str, str]],
        left: int,
        width: int,
        bold: set[str],
    ) -> None:
        row_height = Inches(0.36)
        shape = slide.shapes.add_table(
            len(rows), 2, left, CONTENT_TOP, width, row_height * len(rows)
        )
        table = shape.table
        table.columns[0].width = int(width * 0.58)
        table.columns[1].width = width - int(width * 0.58)
        for r, (label, value) in enumerate(rows):
            for c, text in enumerate((label, value)):
                cell = table.cell(r, c)
                cell.text = text
                cell.margin_top = cell.margin_bottom = Inches(0.03)
                paragraph = cell.text_frame.paragraphs[0]
                _style(
                    paragraph,
                    13,
                    bold=r == 0 or label in bold,
                    color=RGBColor(0xFF, 0xFF, 0xFF) if r == 0 else INK,
                    align=PP_ALIGN.RIGHT if c == 1 else PP_ALIGN.LEFT,
                )


def _skip_category_labels(category_axis: Any, every: int) -> None:
    """Label (and tick) every ``every``-th month; python-pptx has no API for ``tickLblSkip``."""
    axis = category_axis._element
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        for old in axis.findall(qn(tag)):
            axis.remove(old)
    skips = [
        axis.makeelement(qn(tag), {"val": str(every)})
        for tag in ("c:tickLblSkip", "c:tickMarkSkip")
    ]
    anchor = axis.find(qn("c:noMultiLvlLbl"))
    if anchor is None:
        anchor = axis.find(qn("c:extLst"))
    for element in skips:
        if anchor is None:
            axis.append(element)
        else:
            anchor.addprevious(element)


def _runway_text(fmt: Formatter, value: Any) -> str:
    x = num(value)
    if x is None:
        return "n/a"
    return fmt.months(x).replace(" months", "")


def _style(
    paragraph: Any,
    size: int,
    *,
    bold: bool = False,
    color: RGBColor | None = None,
    align: Any = None,
) -> None:
    """Apply a font to every run of a paragraph."""
    if align is not None:
        paragraph.alignment = align
    runs = paragraph.runs or [paragraph.add_run()]
    for run in runs:
        run.font.size = Pt(size)
        run.font.bold = bold
        if color is not None:
            run.font.color.rgb = color
