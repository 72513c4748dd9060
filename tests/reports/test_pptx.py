"""The investor deck: slides, native charts and numbers, all from the data."""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.util import Inches

from app.reports.pptx_deck import NO_RISK_FLAGS, render_pptx
from tests.reports.conftest import USD, money_texts
from tests.reports.sample_summary import build_summary, make_report_data

TITLES_WITH_MC = [
    "Investor Update",
    "Executive Summary",
    "Key Performance Indicators",
    "Revenue Trend",
    "Cash Position & Runway",
    "Monte Carlo Risk Analysis",
    "Key Risks & Considerations",
    "Financial Statements (First 12 Months)",
]


def open_deck(data: bytes) -> Presentation:
    return Presentation(io.BytesIO(data))


def slide_text(slide: object) -> str:
    parts = []
    for shape in slide.shapes:  # type: ignore[attr-defined]
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            for row in shape.table.rows:
                parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_deck_is_16_9_with_the_contract_slides_in_order() -> None:
    deck = open_deck(render_pptx(make_report_data()))

    assert (deck.slide_width, deck.slide_height) == (Inches(13.333), Inches(7.5))
    assert [s.shapes.title.text for s in deck.slides] == TITLES_WITH_MC


def test_monte_carlo_slide_is_left_out_without_a_simulation_or_when_not_asked() -> None:
    expected = [t for t in TITLES_WITH_MC if t != "Monte Carlo Risk Analysis"]
    no_simulation = open_deck(render_pptx(make_report_data(monte_carlo=None)))
    not_asked = open_deck(render_pptx(make_report_data(), include_monte_carlo=False))

    assert [s.shapes.title.text for s in no_simulation.slides] == expected
    assert [s.shapes.title.text for s in not_asked.slides] == expected
    assert not_asked.slides[5].shapes.title.text == "Key Risks & Considerations"


def test_cover_shows_org_name_and_long_date() -> None:
    deck = open_deck(render_pptx(make_report_data(org_name="Acme <Labs> & Co")))
    text = slide_text(deck.slides[0])

    assert "Acme <Labs> & Co" in text
    assert "January 15, 2025" in text


def test_revenue_and_cash_slides_hold_native_charts_of_the_monthly_series() -> None:
    summary = build_summary()
    deck = open_deck(render_pptx(make_report_data(summary=summary)))
    months = list(summary["monthly"])

    for index, key in ((3, "revenue"), (4, "cashBalance")):
        charts = [s.chart for s in deck.slides[index].shapes if s.has_chart]
        assert len(charts) == 1
        plot = charts[0].plots[0]
        assert len(plot.categories) == len(months) == 36
        values = list(plot.series[0].values)
        assert values == [round(summary["monthly"][m][key], 2) for m in months]


def test_summary_and_kpi_slides_show_numbers_from_the_summary() -> None:
    summary = build_summary()
    deck = open_deck(render_pptx(make_report_data(summary=summary)))
    executive, kpis = slide_text(deck.slides[1]), slide_text(deck.slides[2])

    for value in money_texts(summary, "totalRevenue", "netIncome", "cashBalance"):
        assert value in executive
    money = ("totalRevenue", "totalExpenses", "netIncome", "cashBalance", "burnRate", "mrr", "arr")
    for value in [*money_texts(summary, *money), USD.percent(summary["grossMargin"])]:
        assert value in kpis


def test_missing_metrics_show_na_and_no_invented_benchmarks_appear() -> None:
    summary = build_summary()
    summary.update({"mrr": None, "arr": None, "grossMargin": None})
    deck = open_deck(render_pptx(make_report_data(summary=summary)))
    all_text = "\n".join(slide_text(s) for s in deck.slides)

    assert slide_text(deck.slides[2]).count("n/a") == 3
    for claim in ("LTV:CAC", "NDR", "114", "3.2x", "industry", "benchmark"):
        assert claim not in all_text


def test_monte_carlo_slide_shows_percentiles_and_survival() -> None:
    data = make_report_data()
    deck = open_deck(render_pptx(data))
    text = slide_text(deck.slides[5])
    series = data.monte_carlo["series"]  # type: ignore[index]

    assert USD.money(series["p5"][-1]) in text
    assert USD.money(series["p50"][-1]) in text
    assert USD.money(series["p95"][-1]) in text
    assert "87.00%" in text
    charts = [s.chart for s in deck.slides[5].shapes if s.has_chart]
    assert [s.name for s in charts[0].plots[0].series] == ["P95", "P50 (median)", "P5"]


def test_healthy_model_triggers_only_the_rules_that_hold() -> None:
    summary = build_summary(revenue_growth=0.06, base_opex=90_000)
    assert summary["netIncome"] > 0
    text = slide_text(open_deck(render_pptx(make_report_data(summary=summary))).slides[6])
    assert NO_RISK_FLAGS in text


def test_risk_slide_flags_runway_losses_cash_out_expense_growth_and_warnings() -> None:
    summary = build_summary(
        initial_cash=900_000, revenue_growth=0.01, expense_growth=0.015, warnings=["w1", "w2"]
    )
    deck = open_deck(render_pptx(make_report_data(summary=summary), include_monte_carlo=False))
    text = slide_text(deck.slides[5])

    assert "Runway at the end of the forecast is 0.00 months, below 6 months." in text
    assert (
        f"Net income over the first 12 months is negative: {USD.money(summary['netIncome'])}"
        in text
    )
    assert "Cash falls to zero or below in Nov 2025" in text
    assert "Expense growth (1.50% per month) exceeds revenue growth (1.00% per month)." in text
    assert "The model reported 2 warning(s): w1; w2." in text
    assert NO_RISK_FLAGS not in text


def test_statements_slide_has_first_year_income_statement_and_cash_flow_tables() -> None:
    summary = build_summary()
    deck = open_deck(render_pptx(make_report_data(summary=summary)))
    slide = deck.slides[-1]
    tables = [s.table for s in slide.shapes if s.has_table]

    assert len(tables) == 2
    income = {r.cells[0].text: r.cells[1].text for r in tables[0].rows}
    cash = {r.cells[0].text: r.cells[1].text for r in tables[1].rows}
    assert income["Income statement"] == "Jan 2025 – Dec 2025"
    assert income["Revenue"] == USD.money(summary["totalRevenue"])
    assert income["Net income"] == USD.money(summary["netIncome"])
    assert cash["Ending cash"] == USD.money(summary["monthly"]["2025-12"]["cashBalance"])


def test_control_characters_in_database_text_do_not_break_the_file() -> None:
    deck = open_deck(render_pptx(make_report_data(org_name="Acme\x00\x0b Co\ufffe")))
    assert "Acme Co" in slide_text(deck.slides[0])


def test_a_summary_without_numbers_renders_na_instead_of_failing() -> None:
    deck = open_deck(render_pptx(make_report_data(summary={}, monte_carlo=None)))
    kpis = slide_text(deck.slides[2])
    assert kpis.count("n/a") == 9
    assert "$0.00" not in "\n".join(slide_text(s) for s in deck.slides)
