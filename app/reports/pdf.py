"""PDF exports (contract §5.3.1) with reportlab platypus.

Security (P30): every string that comes from the database is escaped before it reaches a
``Paragraph`` (the only markup parser here); the renderer reads no URL and no file except the
fixed DejaVu font files below, and draws no images.

Fonts: reportlab's built-in Helvetica has no ``₹`` glyph. When DejaVu Sans exists on the machine
(the Debian ``fonts-dejavu-core`` package) it is embedded and every currency symbol renders;
otherwise Helvetica is used and INR amounts fall back to the ``INR `` prefix.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.charts.utils import FillPairedData
from reportlab.graphics.shapes import Drawing, Line
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.reports.data import (
    CASH_FLOW_LINES,
    INCOME_STATEMENT_LINES,
    MAX_TEXT_CHARS,
    ReportData,
    clean_text,
    fan_series,
    first_year_cash_flow,
    first_year_income_statement,
    first_year_months,
    month_records,
    monthly_series,
    num,
    survival_probability,
    warnings_of,
)
from app.reports.money import NOT_AVAILABLE, Formatter, month_label, short_month_label

DEFAULT_TEMPLATE = "executive-summary"
FALLBACK_TITLE = "Financial Model Export Report"
TEMPLATE_TITLES: dict[str, str] = {
    "executive-summary": "Executive Summary Report",
    "financial-performance": "Financial Performance Report",
    "kpi-dashboard": "KPI Dashboard Report",
    "investor-update": "Investor Update Report",
    "budget-variance": "Budget Variance Report",
    "growth-metrics": "Growth Metrics Report",
}
FONT_CANDIDATES: tuple[tuple[str, str], ...] = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
)
HELVETICA_MISSING_GLYPHS = frozenset({"₹"})  # Helvetica (WinAnsi) has $ € £ ¥ but not ₹

PAGE_SIZE = letter
MARGIN_PT = 0.7 * inch
HEADER_HEIGHT_PT = 0.95 * inch
FOOTER_HEIGHT_PT = 0.5 * inch
CONTENT_WIDTH_PT = PAGE_SIZE[0] - 2 * MARGIN_PT
LEDGER_TREND_MONTHS = 6
MAX_LISTED_WARNINGS = 10

INK = colors.HexColor("#1F2937")
MUTED = colors.HexColor("#6B7280")
RULE = colors.HexColor("#D1D5DB")
BAND = colors.HexColor("#F3F4F6")
BRAND = colors.HexColor("#1D4ED8")
REVENUE_COLOR = colors.HexColor("#2563EB")
EXPENSE_COLOR = colors.HexColor("#DC2626")
CASH_COLOR = colors.HexColor("#059669")
FAN_COLOR = colors.HexColor("#BFDBFE")


@dataclass(frozen=True)
class FontSet:
    """Font names registered with reportlab, and the currency glyphs they lack."""

    regular: str
    bold: str
    missing_glyphs: frozenset[str]


@lru_cache(maxsize=4)
def resolve_fonts(candidates: tuple[tuple[str, str], ...] = FONT_CANDIDATES) -> FontSet:
    """Register the first complete (regular, bold) TTF pair found, else use Helvetica."""
    for regular_path, bold_path in candidates:
        if Path(regular_path).is_file() and Path(bold_path).is_file():
            pdfmetrics.registerFont(TTFont("FinaSans", regular_path))
            pdfmetrics.registerFont(TTFont("FinaSans-Bold", bold_path))
            return FontSet("FinaSans", "FinaSans-Bold", frozenset())
    return FontSet("Helvetica", "Helvetica-Bold", HELVETICA_MISSING_GLYPHS)


def esc(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """Database text made safe for ``Paragraph`` markup (``& < >`` escaped)."""
    return xml_escape(clean_text(value, limit))


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
    fonts = fonts or resolve_fonts()
    name = (template or DEFAULT_TEMPLATE).strip().lower() or DEFAULT_TEMPLATE
    warnings: list[str] = []
    title = TEMPLATE_TITLES.get(name)
    if title is None:
        title = FALLBACK_TITLE
        # The name itself is a parameter and is not copied into the job log (§3.1).
        warnings.append("unknown template; rendered KPIs only")
    report = _Report(data, fonts)
    builders: dict[str, Callable[[], list[Flowable]]] = {
        "executive-summary": report.executive_summary,
        "financial-performance": report.financial_performance,
        "kpi-dashboard": report.kpi_dashboard,
        "investor-update": report.investor_update,
        "budget-variance": report.budget_variance,
        "growth-metrics": report.growth_metrics,
    }
    story = builders.get(name, report.kpis_only)()
    return report.build(title, story), warnings


class _Report:
    """Builds the flowables of one report."""

    def __init__(self, data: ReportData, fonts: FontSet) -> None:
        self.data = data
        self.summary: Mapping[str, Any] = data.summary
        self.fonts = fonts
        self.fmt = Formatter(data.currency, fonts.missing_glyphs)
        base = ParagraphStyle(
            "body", fontName=fonts.regular, fontSize=9.5, leading=13, textColor=INK
        )
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=MUTED)
        self.h2 = ParagraphStyle(
            "h2",
            parent=base,
            fontName=fonts.bold,
            fontSize=12.5,
            leading=16,
            spaceBefore=10,
            spaceAfter=6,
            textColor=BRAND,
            alignment=TA_LEFT,
        )
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5)
        self.cell_bold = ParagraphStyle("cellb", parent=self.cell, fontName=fonts.bold)

    # ----------------------------------------------------------------- document

    def build(self, title: str, story: list[Flowable]) -> bytes:
        out = io.BytesIO()
        doc = SimpleDocTemplate(
            out,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN_PT,
            rightMargin=MARGIN_PT,
            topMargin=MARGIN_PT + HEADER_HEIGHT_PT,
            bottomMargin=MARGIN_PT + FOOTER_HEIGHT_PT * 0.6,
            title=title,
            author="FinaPilot",
            subject=f"Model run {self.data.short_run_id}",
            invariant=True,
        )
        date_text = self.data.generated_on.isoformat()
        org_name = clean_text(self.data.org_name)
        run_text = f"Model run {clean_text(self.data.short_run_id, 8)}"
        fonts = self.fonts

        def draw_header(canv: pdf_canvas.Canvas, _doc: Any) -> None:
            width, height = PAGE_SIZE
            top = height - MARGIN_PT
            canv.saveState()
            canv.setFillColor(BRAND)
            canv.rect(MARGIN_PT, top - 3, CONTENT_WIDTH_PT, 3, stroke=0, fill=1)
            canv.setFillColor(INK)
            canv.setFont(fonts.bold, 16)
            canv.drawString(MARGIN_PT, top - 24, title)
            canv.setFont(fonts.regular, 10)
            right_width = 150
            canv.drawString(
                MARGIN_PT,
                top - 40,
                _fit(org_name, fonts.regular, 10, CONTENT_WIDTH_PT - right_width - 10),
            )
            canv.setFillColor(MUTED)
            canv.setFont(fonts.regular, 8.5)
            canv.drawRightString(width - MARGIN_PT, top - 20, run_text)
            canv.drawRightString(width - MARGIN_PT, top - 32, f"Generated {date_text} (UTC)")
            canv.drawRightString(
                width - MARGIN_PT, top - 44, f"Currency: {clean_text(self.data.currency, 8)}"
            )
            canv.setStrokeColor(RULE)
            canv.setLineWidth(0.75)
            canv.line(MARGIN_PT, top - 54, width - MARGIN_PT, top - 54)
            canv.line(MARGIN_PT, MARGIN_PT + 14, width - MARGIN_PT, MARGIN_PT + 14)
            canv.setFont(fonts.regular, 8)
            canv.drawString(MARGIN_PT, MARGIN_PT, f"Generated by FinaPilot on {date_text}")
            canv.restoreState()

        doc.build(
            story,
            onFirstPage=draw_header,
            onLaterPages=draw_header,
            canvasmaker=_numbered_canvas(fonts.regular),
        )
        return out.getvalue()

    # ---------------------------------------------------------------- templates

    def executive_summary(self) -> list[Flowable]:
        s = self.summary
        story = self.kpi_section(
            f"Key metrics (first {self.first_year_length()} months; cash and burn at the "
            "horizon end)",
            [
                ("Total revenue", self.fmt.money(s.get("totalRevenue", s.get("revenue")))),
                ("Total expenses", self.fmt.money(s.get("totalExpenses", s.get("expenses")))),
                ("Net income", self.fmt.money(s.get("netIncome"))),
                ("Gross margin", self.fmt.percent(s.get("grossMargin"))),
                ("Cash balance", self.fmt.money(s.get("cashBalance"))),
                ("Monthly burn", self.fmt.money(s.get("burnRate"))),
                ("Runway", self.fmt.months(s.get("runwayMonths"))),
                ("MRR", self.fmt.money(s.get("mrr"))),
            ],
        )
        story += self.forecast_charts()
        story += self.ledger_trends("Recent monthly trends (ledger)")
        story += self.monte_carlo_section()
        story += self.forecast_table("Forecast by month")
        story += self.model_notes()
        return story

    def financial_performance(self) -> list[Flowable]:
        story = self.income_statement_section()
        story += self.cash_flow_section()
        story += self.top_categories_section()
        story += self.ledger_trends("Monthly performance (ledger)", with_margin=True)
        return story

    def kpi_dashboard(self) -> list[Flowable]:
        s, f = self.summary, self.fmt
        story = self.kpi_section(
            "Key performance indicators",
            [
                ("MRR", f.money(s.get("mrr"))),
                ("ARR", f.money(s.get("arr"))),
                ("Gross margin", f.percent(s.get("grossMargin"))),
                ("EBITDA margin", f.percent(s.get("ebitdaMargin"))),
                ("Monthly burn", f.money(s.get("burnRate"))),
                ("Runway", f.months(s.get("runwayMonths"))),
                ("LTV", f.money(_kpi(s, "ltv"))),
                ("CAC", f.money(_kpi(s, "cac"))),
                ("LTV / CAC", f.ratio(_kpi(s, "ltvCacRatio"))),
                ("CAC payback", _months_or_na(f, _kpi(s, "paybackPeriod"))),
                ("Churn (monthly)", f.percent(_kpi(s, "churnRate"))),
                ("Rule of 40", f.points(_kpi(s, "ruleOf40"))),
                ("Burn multiple", f.ratio(_kpi(s, "burnMultiple"))),
                ("Magic number", f.number(_kpi(s, "magicNumber"))),
            ],
        )
        story.append(
            Paragraph(
                "Values marked n/a need inputs the model does not have (for example customer "
                "count, churn, CAC or marketing spend).",
                self.small,
            )
        )
        story += self.forecast_charts()
        return story

    def investor_update(self) -> list[Flowable]:
        s, f = self.summary, self.fmt
        story = self.kpi_section(
            "Performance highlights",
            [
                (
                    f"Revenue (first {self.first_year_length()} mo.)",
                    f.money(s.get("totalRevenue", s.get("revenue"))),
                ),
                (f"Net income (first {self.first_year_length()} mo.)", f.money(s.get("netIncome"))),
                ("Gross margin", f.percent(s.get("grossMargin"))),
                ("MRR (horizon end)", f.money(s.get("mrr"))),
                ("ARR (horizon end)", f.money(s.get("arr"))),
                ("Cash (horizon end)", f.money(s.get("cashBalance"))),
                ("Burn (horizon end)", f.money(s.get("burnRate"))),
                ("Runway (horizon end)", f.months(s.get("runwayMonths"))),
            ],
        )
        story += self.runway_section()
        story += self.forecast_charts()
        story += self.monte_carlo_section()
        story += self.forecast_table("Forward outlook")
        story += self.model_notes()
        return story

    def budget_variance(self) -> list[Flowable]:
        rows = [r for r in self.data.budget_rows if isinstance(r, Mapping)]
        story: list[Flowable] = [Paragraph("Budget vs actual expenses by month", self.h2)]
        if not rows:
            story.append(
                Paragraph(
                    "No budgets found for this organisation. Actual expenses only.", self.body
                )
            )
            story += self.ledger_trends("Actual expenses (ledger)", expenses_only=True)
            return story
        f = self.fmt
        table: list[list[Any]] = [["Month", "Budget", "Actual", "Variance", "Variance %"]]
        total_budget = total_actual = 0.0
        for row in rows[-LEDGER_TREND_MONTHS:]:
            budget, actual = num(row.get("budget")), num(row.get("actual"))
            total_budget += budget or 0.0
            total_actual += actual or 0.0
            variance, pct = _variance(budget, actual)
            table.append(
                [
                    month_label(str(row.get("month", ""))),
                    f.money(budget),
                    f.money(actual),
                    f.money(variance),
                    f.percent(pct),
                ]
            )
        variance, pct = _variance(total_budget, total_actual)
        table.append(
            [
                "Total",
                f.money(total_budget),
                f.money(total_actual),
                f.money(variance),
                f.percent(pct),
            ]
        )
        story.append(self.table(table, [1.3, 1.3, 1.3, 1.3, 1.0], total_row=True))
        story.append(
            Paragraph(
                "Variance = actual − budget; a positive variance means spending above budget.",
                self.small,
            )
        )
        categories = [r for r in self.data.budget_categories if isinstance(r, Mapping)]
        if categories:

            def size(row: Mapping[str, Any]) -> float:
                v, _ = _variance(num(row.get("budget")), num(row.get("actual")))
                return abs(v) if v is not None else -1.0

            ranked = sorted(categories, key=size, reverse=True)[:10]
            cat_table: list[list[Any]] = [
                ["Category", "Budget", "Actual", "Variance", "Variance %"]
            ]
            for row in ranked:
                budget, actual = num(row.get("budget")), num(row.get("actual"))
                variance, pct = _variance(budget, actual)
                cat_table.append(
                    [
                        Paragraph(esc(row.get("category", "")), self.cell),
                        f.money(budget),
                        f.money(actual),
                        f.money(variance),
                        f.percent(pct),
                    ]
                )
            story.append(Paragraph("Largest category variances", self.h2))
            story.append(self.table(cat_table, [1.8, 1.2, 1.2, 1.2, 0.9]))
        return story

    def growth_metrics(self) -> list[Flowable]:
        s, f = self.summary, self.fmt
        story: list[Flowable] = [Paragraph("Month-over-month revenue growth (ledger)", self.h2)]
        ledger = [r for r in self.data.ledger_monthly if isinstance(r, Mapping)]
        if not ledger:
            story.append(Paragraph("No ledger transactions in the last 12 months.", self.body))
        else:
            table: list[list[Any]] = [["Month", "Revenue", "MoM growth"]]
            start = max(0, len(ledger) - LEDGER_TREND_MONTHS)
            for i in range(start, len(ledger)):
                revenue = num(ledger[i].get("revenue"))
                prev = num(ledger[i - 1].get("revenue")) if i > 0 else None
                growth = (revenue / prev - 1) if revenue is not None and prev else None
                table.append(
                    [
                        month_label(str(ledger[i].get("month", ""))),
                        f.money(revenue),
                        f.percent(growth),
                    ]
                )
            story.append(self.table(table, [1.5, 1.8, 1.4]))
        pairs = [
            ("Revenue growth (monthly)", f.percent(s.get("revenueGrowth"))),
            ("MRR (horizon end)", f.money(s.get("mrr"))),
            ("ARR (horizon end)", f.money(s.get("arr"))),
        ]
        optional = [
            ("Customers", s.get("customerCount", s.get("activeCustomers")), f.count),
            ("LTV", _kpi(s, "ltv"), f.money),
            ("CAC", _kpi(s, "cac"), f.money),
            ("LTV / CAC", _kpi(s, "ltvCacRatio"), f.ratio),
        ]
        missing = []
        for label, value, formatter in optional:
            if num(value) is None:
                missing.append(label)
            else:
                pairs.append((label, formatter(value)))
        story += self.kpi_section("Forecast growth metrics", pairs)
        if missing:
            story.append(
                Paragraph(f"Not available from the model inputs: {', '.join(missing)}.", self.small)
            )
        story += self.forecast_charts(cash=False)
        return story

    def kpis_only(self) -> list[Flowable]:
        s, f = self.summary, self.fmt
        return self.kpi_section(
            "Key metrics",
            [
                ("Total revenue", f.money(s.get("totalRevenue", s.get("revenue")))),
                ("Total expenses", f.money(s.get("totalExpenses", s.get("expenses")))),
                ("Net income", f.money(s.get("netIncome"))),
                ("Gross margin", f.percent(s.get("grossMargin"))),
                ("Cash balance", f.money(s.get("cashBalance"))),
                ("Monthly burn", f.money(s.get("burnRate"))),
                ("Runway", f.months(s.get("runwayMonths"))),
                ("MRR", f.money(s.get("mrr"))),
            ],
        )

    # ----------------------------------------------------------------- sections

    def first_year_length(self) -> int:
        """``min(12, H)``: the months behind the "first year" totals (12 when unknown)."""
        return len(first_year_months(self.summary)) or 12

    def kpi_section(self, heading: str, pairs: Sequence[tuple[str, str]]) -> list[Flowable]:
        per_row = 4
        col_width = CONTENT_WIDTH_PT / per_row
        value_width = col_width - 14
        cells: list[list[Any]] = []
        row: list[Any] = []
        for label, value in pairs:
            size = 13.0
            while size > 8 and pdfmetrics.stringWidth(value, self.fonts.bold, size) > value_width:
                size -= 0.5
            value_style = ParagraphStyle(
                "kpi", parent=self.cell_bold, fontSize=size, leading=size + 3
            )
            label_size = 8.0
            while (
                label_size > 6.5
                and pdfmetrics.stringWidth(label, self.fonts.regular, label_size) > value_width
            ):
                label_size -= 0.25
            label_style = ParagraphStyle(
                "kpil", parent=self.small, fontSize=label_size, leading=label_size + 2
            )
            row.append([Paragraph(esc(label), label_style), Paragraph(esc(value), value_style)])
            if len(row) == per_row:
                cells.append(row)
                row = []
        if row:
            cells.append(row + [""] * (per_row - len(row)))
        table = Table(cells, colWidths=[col_width] * per_row)
        commands: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 7),
            ("TOPPADDING", (0, 0), (-1, -1), 6),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ]
        for r, cells_row in enumerate(cells):
            for c, content in enumerate(cells_row):
                if content != "":
                    commands.append(("BACKGROUND", (c, r), (c, r), BAND))
                    commands.append(("LINEBEFORE", (c, r), (c, r), 2, BRAND))
        table.setStyle(TableStyle(commands))
        return [KeepTogether([Paragraph(esc(heading), self.h2), table])]

    def forecast_charts(self, cash: bool = True) -> list[Flowable]:
        months, revenue = monthly_series(self.summary, "revenue")
        _, expenses = monthly_series(self.summary, "expenses")
        story: list[Flowable] = []
        if months and any(v is not None for v in revenue):
            story.append(CondPageBreak(2.9 * inch))
            story.append(Paragraph("Revenue and expenses (forecast, monthly)", self.h2))
            story.append(
                self.line_chart(
                    months,
                    [("Revenue", revenue, REVENUE_COLOR), ("Expenses", expenses, EXPENSE_COLOR)],
                )
            )
        if cash:
            _, cash_values = monthly_series(self.summary, "cashBalance")
            if months and any(v is not None for v in cash_values):
                story.append(CondPageBreak(2.9 * inch))
                story.append(Paragraph("Cash balance (forecast, end of month)", self.h2))
                story.append(self.line_chart(months, [("Cash balance", cash_values, CASH_COLOR)]))
        return story

    def monte_carlo_section(self) -> list[Flowable]:
        fan = fan_series(self.data.monte_carlo)
        if fan is None:
            return []
        f = self.fmt
        meta = self.data.monte_carlo.get("meta") if self.data.monte_carlo else None
        n = num(meta.get("numSimulations")) if isinstance(meta, Mapping) else None
        survival = survival_probability(self.data.monte_carlo)
        heading = Paragraph("Monte Carlo: ending cash range (P5–P95, median)", self.h2)
        chart = self.line_chart(
            fan.months,
            [
                ("P5–P95 range", list(fan.p95), FAN_COLOR),
                ("_p5", list(fan.p5), FAN_COLOR),
                ("Median (P50)", list(fan.p50), BRAND),
            ],
            band=True,
        )
        last = fan.months[-1]
        lines = [
            f"{esc(month_label(last))}: P5 {esc(f.money(fan.p5[-1]))}, "
            f"median {esc(f.money(fan.p50[-1]))}, P95 {esc(f.money(fan.p95[-1]))}.",
            f"Probability of keeping cash above zero for the whole period: "
            f"{esc(f.percent(survival))}"
            + (f" ({esc(f.count(n))} simulations)." if n is not None else "."),
        ]
        return [
            CondPageBreak(3.3 * inch),
            heading,
            chart,
            Spacer(1, 4),
            *[Paragraph(text, self.body) for text in lines],
        ]

    def forecast_table(self, heading: str) -> list[Flowable]:
        records = month_records(self.summary.get("monthly"))
        if not records:
            return [
                Paragraph(esc(heading), self.h2),
                Paragraph("The model run has no monthly forecast.", self.body),
            ]
        f = self.fmt
        rows: list[list[Any]] = [["Month", "Revenue", "Expenses", "Net income", "Cash balance"]]
        for month, record in records:
            rows.append(
                [
                    month_label(month),
                    f.money(record.get("revenue")),
                    f.money(record.get("expenses")),
                    f.money(record.get("netIncome")),
                    f.money(record.get("cashBalance")),
                ]
            )
        return [
            CondPageBreak(2.0 * inch),
            Paragraph(esc(heading), self.h2),
            self.table(rows, [1.0, 1.3, 1.3, 1.3, 1.3]),
        ]

    def ledger_trends(
        self, heading: str, *, with_margin: bool = False, expenses_only: bool = False
    ) -> list[Flowable]:
        ledger = [r for r in self.data.ledger_monthly if isinstance(r, Mapping)]
        story: list[Flowable] = [Paragraph(esc(heading), self.h2)]
        if not ledger:
            story.append(Paragraph("No ledger transactions in the last 12 months.", self.body))
            return story
        f = self.fmt
        if expenses_only:
            header = ["Month", "Actual expenses"]
            widths = [1.5, 2.0]
        else:
            header = ["Month", "Revenue", "Expenses", "Net"] + (
                ["Net margin"] if with_margin else []
            )
            widths = [1.2, 1.4, 1.4, 1.4] + ([1.0] if with_margin else [])
        rows: list[list[Any]] = [header]
        for row in ledger[-LEDGER_TREND_MONTHS:]:
            revenue, expenses = num(row.get("revenue")), num(row.get("expenses"))
            month = month_label(str(row.get("month", "")))
            if expenses_only:
                rows.append([month, f.money(expenses)])
                continue
            net = revenue - expenses if revenue is not None and expenses is not None else None
            line = [month, f.money(revenue), f.money(expenses), f.money(net)]
            if with_margin:
                line.append(
                    f.percent(net / revenue) if net is not None and revenue else NOT_AVAILABLE
                )
            rows.append(line)
        story.append(self.table(rows, widths))
        return [KeepTogether(story)]

    def income_statement_section(self) -> list[Flowable]:
        months = first_year_months(self.summary)
        lines = first_year_income_statement(self.summary)
        period = (
            f"{month_label(months[0])} – {month_label(months[-1])}" if months else "first 12 months"
        )
        f = self.fmt
        revenue = lines.get("revenue")
        rows: list[list[Any]] = [["Line", f"First {len(months) or 12} months", "% of revenue"]]
        for label, key in INCOME_STATEMENT_LINES:
            value = lines.get(key)
            share = value / revenue if value is not None and revenue else None
            rows.append([label, f.money(value), f.percent(share)])
            if key == "grossProfit":
                rows.append(["Gross margin", "", f.percent(lines.get("grossMargin"))])
        bold_rows = [
            i for i, r in enumerate(rows) if r[0] in ("Gross profit", "EBITDA", "Net income")
        ]
        return [
            Paragraph(f"Profit and loss ({esc(period)})", self.h2),
            self.table(rows, [2.4, 1.8, 1.2], bold_rows=bold_rows),
        ]

    def cash_flow_section(self) -> list[Flowable]:
        months = first_year_months(self.summary)
        sums = first_year_cash_flow(self.summary)
        f = self.fmt
        rows: list[list[Any]] = [["Line", f"First {len(months) or 12} months"]]
        for label, key in CASH_FLOW_LINES:
            rows.append([label, f.money(sums.get(key))])
        end_label = f"Ending cash ({month_label(months[-1])})" if months else "Ending cash"
        rows.append([end_label, f.money(sums.get("endingCash"))])
        return [
            KeepTogether(
                [
                    Paragraph("Cash flow", self.h2),
                    self.table(rows, [2.4, 1.8], bold_rows=[len(rows) - 2, len(rows) - 1]),
                ]
            )
        ]

    def top_categories_section(self) -> list[Flowable]:
        categories = [r for r in self.data.top_expense_categories if isinstance(r, Mapping)][:10]
        story: list[Flowable] = [
            Paragraph("Top expense categories (ledger, last 3 months)", self.h2)
        ]
        if not categories:
            story.append(Paragraph("No expense transactions in the last 3 months.", self.body))
            return story
        total = sum(num(r.get("amount")) or 0.0 for r in categories)
        f = self.fmt
        rows: list[list[Any]] = [["Category", "Amount", "Transactions", "Share of top 10"]]
        for row in categories:
            amount = num(row.get("amount"))
            rows.append(
                [
                    Paragraph(esc(row.get("category", "")), self.cell),
                    f.money(amount),
                    f.count(row.get("count")),
                    f.percent(amount / total) if amount is not None and total else NOT_AVAILABLE,
                ]
            )
        story.append(self.table(rows, [2.2, 1.5, 1.0, 1.1]))
        return [KeepTogether(story)]

    def runway_section(self) -> list[Flowable]:
        s, f = self.summary, self.fmt
        months = [m for m, _ in month_records(s.get("monthly"))]
        cash_out = s.get("cashOutMonth")
        if isinstance(cash_out, str) and cash_out:
            cash_text = f"Cash is projected to reach zero in {esc(month_label(cash_out))}."
        elif months:
            cash_text = (
                f"Cash stays above zero through {esc(month_label(months[-1]))}, the end of the "
                f"{len(months)}-month forecast."
            )
        else:
            cash_text = "No monthly forecast is available."
        lines = [
            f"Runway at the horizon end: {esc(f.months(s.get('runwayMonths')))}.",
            f"Runway from the forecast start: {esc(f.months(s.get('runwayFromStartMonths')))}.",
            cash_text,
        ]
        heading = Paragraph("Runway and cash-out", self.h2)
        return [KeepTogether([heading, *(Paragraph(text, self.body) for text in lines)])]

    def model_notes(self) -> list[Flowable]:
        warnings = warnings_of(self.summary)
        if not warnings:
            return []
        story: list[Flowable] = [Paragraph("Model notes", self.h2)]
        for text in warnings[:MAX_LISTED_WARNINGS]:
            story.append(Paragraph("• " + esc(text, 300), self.small))
        if len(warnings) > MAX_LISTED_WARNINGS:
            story.append(
                Paragraph(f"… and {len(warnings) - MAX_LISTED_WARNINGS} more.", self.small)
            )
        return story

    # ------------------------------------------------------------------ widgets

    def table(
        self,
        rows: list[list[Any]],
        weights: Sequence[float],
        *,
        bold_rows: Sequence[int] = (),
        total_row: bool = False,
    ) -> Table:
        scale = CONTENT_WIDTH_PT / sum(weights) if sum(weights) > 4.5 else inch
        widths = [w * scale for w in weights]
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        commands: list[tuple[Any, ...]] = [
            ("FONT", (0, 0), (-1, -1), self.fonts.regular, 8.5),
            ("FONT", (0, 0), (-1, 0), self.fonts.bold, 8.5),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E5E7EB")),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LINEBELOW", (0, 0), (-1, 0), 0.75, MUTED),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ]
        for r in range(2, len(rows), 2):
            commands.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#F9FAFB")))
        for r in bold_rows:
            commands.append(("FONT", (0, r), (-1, r), self.fonts.bold, 8.5))
        if total_row:
            commands.append(("FONT", (0, -1), (-1, -1), self.fonts.bold, 8.5))
            commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.75, MUTED))
        table.setStyle(TableStyle(commands))
        return table

    def line_chart(
        self,
        months: Sequence[str],
        series: Sequence[tuple[str, Sequence[float | None], colors.Color]],
        *,
        band: bool = False,
        height: float = 2.1 * inch,
    ) -> Flowable:
        """A line chart over months; with ``band`` the first two series bound a filled range."""
        width = CONTENT_WIDTH_PT
        drawing = Drawing(width, height)
        plot = LinePlot()
        plot.x, plot.y = 62, 34
        plot.width, plot.height = width - 75, height - 56
        data: list[Any] = []
        all_values: list[float] = []
        for index, (_, values, _) in enumerate(series):
            points = [(float(i), float(v)) for i, v in enumerate(values) if v is not None]
            all_values.extend(p[1] for p in points)
            data.append(FillPairedData(points, 1) if band and index == 0 else points)
        if not all_values:
            return Spacer(1, 0)
        plot.data = data
        for index, (_, _, color) in enumerate(series):
            line = plot.lines[index]
            line.strokeColor = color
            line.strokeWidth = 0.6 if band and index < 2 else 1.8
            if band and index == 0:
                line.fillColor = color
        n = len(months)
        step = max(1, -(-n // 12))
        ticks = list(range(0, n, step))
        labels = [short_month_label(m) for m in months]
        x_axis = plot.xValueAxis
        x_axis.valueMin, x_axis.valueMax = 0, max(1, n - 1)
        x_axis.valueSteps = ticks
        x_axis.labelTextFormat = lambda v: labels[int(v)] if 0 <= int(v) < n else ""
        x_axis.labels.fontName = self.fonts.regular
        x_axis.labels.fontSize = 7
        x_axis.labels.fillColor = MUTED
        x_axis.strokeColor = RULE
        x_axis.tickDown = 3
        low, high = min(all_values), max(all_values)
        y_min, y_max, y_step = _nice_range(min(0.0, low), max(0.0, high))
        y_axis = plot.yValueAxis
        y_axis.valueMin, y_axis.valueMax, y_axis.valueStep = y_min, y_max, y_step
        y_axis.labelTextFormat = self.fmt.compact
        y_axis.labels.fontName = self.fonts.regular
        y_axis.labels.fontSize = 7
        y_axis.labels.fillColor = MUTED
        y_axis.strokeColor = RULE
        y_axis.visibleGrid = True
        y_axis.gridStrokeColor = colors.HexColor("#EEF0F3")
        y_axis.gridStrokeWidth = 0.5
        drawing.add(plot)
        if y_min < 0 < y_max:
            zero_y = plot.y + plot.height * (0 - y_min) / (y_max - y_min)
            drawing.add(
                Line(
                    plot.x, zero_y, plot.x + plot.width, zero_y, strokeColor=MUTED, strokeWidth=0.6
                )
            )
        visible = [(color, name) for name, _, color in series if not name.startswith("_")]
        if len(visible) > 1 or band:
            legend = Legend()
            legend.x, legend.y = plot.x, height - 6
            legend.alignment = "right"
            legend.columnMaximum = 1
            legend.deltax = 110
            legend.dx, legend.dy = 8, 8
            legend.fontName = self.fonts.regular
            legend.fontSize = 7.5
            legend.strokeWidth = 0
            legend.colorNamePairs = visible
            legend.boxAnchor = "nw"
            drawing.add(legend)
        return KeepTogether([drawing])


def _kpi(summary: Mapping[str, Any], key: str) -> Any:
    """A KPI from the top level, else from ``kpis``."""
    value = summary.get(key)
    if value is None and isinstance(summary.get("kpis"), Mapping):
        value = summary["kpis"].get(key)
    return value


def _months_or_na(fmt: Formatter, value: Any) -> str:
    x = num(value)
    return NOT_AVAILABLE if x is None else f"{fmt.number(x)} months"


def _variance(budget: float | None, actual: float | None) -> tuple[float | None, float | None]:
    if budget is None or actual is None:
        return None, None
    variance = actual - budget
    return variance, (variance / budget if budget else None)


def _nice_range(low: float, high: float, ticks: int = 5) -> tuple[float, float, float]:
    """Round axis bounds and a step of 1, 2, 2.5 or 5 × 10^k."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step * math.floor(low / step), step * math.ceil(high / step), step


def _fit(text: str, font: str, size: float, width: float) -> str:
    """Truncate ``text`` with an ellipsis so that it fits ``width`` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _numbered_canvas(font: str) -> type[pdf_canvas.Canvas]:
    """A canvas class that writes ``Page N of M`` once the page count is known."""

    class NumberedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                self.setFont(font, 8)
                self.setFillColor(MUTED)
                self.drawRightString(
                    PAGE_SIZE[0] - MARGIN_PT, MARGIN_PT, f"Page {self._pageNumber} of {total}"
                )
                super().showPage()
            super().save()

    return NumberedCanvas
