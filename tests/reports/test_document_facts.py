"""What a reader trusts in every document (issue 9, item 13): no 999 sentinel, the lowest cash
and its month, periods said, real metadata, the org's page size, the CSV's currency."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from pptx import Presentation
from pypdf import PdfReader

from app.reports.csv_export import render_csv
from app.reports.data import lowest_cash
from app.reports.pdf import TEMPLATE_TITLES, render_pdf
from app.reports.pptx_deck import render_pptx
from tests.reports.conftest import USD, pdf_text
from tests.reports.sample_summary import SAMPLE_ORG_NAME, build_summary, make_report_data

CREATED = datetime.datetime(2025, 1, 15, 9, 30, 5, tzinfo=datetime.UTC)
#: The sample run stops burning: the engine writes its 999 sentinel at the horizon end.
NO_BURN_SUMMARY = build_summary()
SENTINEL = re.compile(r"(?<![\d.,])999(?![\d,])")  # 999 as a number of its own


def _deck_text(data: bytes) -> str:
    deck = Presentation(io.BytesIO(data))
    parts = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts.extend(c.text for row in shape.table.rows for c in row.cells)
    return "\n".join(parts)


def test_the_sample_run_carries_the_engines_no_burn_sentinel() -> None:
    assert NO_BURN_SUMMARY["runwayMonths"] == 999 and NO_BURN_SUMMARY["burnRate"] == 0
    assert NO_BURN_SUMMARY["runwayFromStartMonths"] == 999


@pytest.mark.parametrize("template", [*sorted(TEMPLATE_TITLES), "unknown"])
def test_no_pdf_prints_the_999_sentinel_only_no_burn(template: str) -> None:
    text = pdf_text(render_pdf(make_report_data(summary=NO_BURN_SUMMARY), template)[0])
    assert SENTINEL.search(text) is None, SENTINEL.search(text)
    if template in ("executive-summary", "kpi-dashboard", "investor-update", "unknown"):
        assert "No burn" in text


def test_the_deck_and_the_csv_never_print_the_999_sentinel() -> None:
    data = make_report_data(summary=NO_BURN_SUMMARY)
    deck = _deck_text(render_pptx(data))
    assert SENTINEL.search(deck) is None and "No burn" in deck
    rows = list(csv.reader(io.StringIO(render_csv(NO_BURN_SUMMARY, currency="USD").decode())))
    metrics = {row[0]: row[1] for row in rows if len(row) == 2}
    assert metrics["runwayMonths"] == metrics["runwayFromStartMonths"] == "No burn"
    header, *month_rows = [row for row in rows if len(row) > 2]
    runway_column = [row[header.index("runwayMonths")] for row in month_rows]
    assert "999" not in runway_column and "999.00" not in runway_column
    assert runway_column[-1] == "No burn"
    assert all(re.fullmatch(r"-?\d+\.\d\d|No burn", cell) for cell in runway_column)


def test_the_summary_cards_show_the_lowest_cash_and_its_month_and_say_their_periods() -> None:
    summary = build_summary(initial_cash=900_000, revenue_growth=0.01)
    month, cash = lowest_cash(summary) or ("", 0.0)
    assert (month, cash) == min(
        ((m, r["cashBalance"]) for m, r in summary["monthly"].items()), key=lambda p: p[1]
    )
    text = pdf_text(render_pdf(make_report_data(summary=summary), "executive-summary")[0])
    assert f"Lowest cash ({month_label_of(month)})\n{USD.money(cash)}" in text
    for label in ("Total revenue (first 12 mo.)", "Net income (first 12 mo.)"):
        assert label in text
    assert "Cash balance (Dec 2027)" in text and "Runway (Dec 2027)" in text
    assert "MRR (Dec 2027)" in text
    deck = _deck_text(render_pptx(make_report_data(summary=summary)))
    assert f"Lowest cash ({month_label_of(month)}): {USD.money(cash)}" in deck


def month_label_of(key: str) -> str:
    from app.reports.money import month_label

    return month_label(key)


@pytest.mark.parametrize(
    ("currency", "size"),
    [("USD", (612.0, 792.0)), ("EUR", (595.28, 841.89)), ("GBP", (595.28, 841.89))],
)
def test_the_page_is_a4_except_for_usd_orgs_which_get_letter(
    currency: str, size: tuple[float, float]
) -> None:
    pdf, _ = render_pdf(make_report_data(currency=currency), "executive-summary")
    for page in PdfReader(io.BytesIO(pdf)).pages:
        box = page.mediabox
        assert (round(float(box.width), 2), round(float(box.height), 2)) == size


def test_pdf_metadata_carry_the_creation_time_the_org_as_author_and_a_title() -> None:
    pdf, _ = render_pdf(make_report_data(generated_at=CREATED), "investor-update")
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None
    assert info.author == SAMPLE_ORG_NAME
    assert info.title == f"Investor Update Report – {SAMPLE_ORG_NAME}"
    assert info.creator == "FinaPilot"
    assert info["/CreationDate"] == "D:20250115093005+00'00'"
    assert info["/ModDate"] == "D:20250115093005+00'00'"
    again, _ = render_pdf(make_report_data(generated_at=CREATED), "investor-update")
    assert again == pdf  # still deterministic for one input


def test_deck_properties_carry_the_creation_time_the_org_as_author_and_a_title() -> None:
    deck = Presentation(io.BytesIO(render_pptx(make_report_data(generated_at=CREATED))))
    props = deck.core_properties
    assert props.author == SAMPLE_ORG_NAME
    assert props.title == f"Investor Update – {SAMPLE_ORG_NAME}"
    assert props.created == props.modified == datetime.datetime(2025, 1, 15, 9, 30, 5)
    assert props.last_modified_by == "FinaPilot"


def test_the_csv_export_states_its_currency_first() -> None:
    lines = render_csv(NO_BURN_SUMMARY, currency="eur").decode().split("\r\n")
    assert lines[:2] == ["Metric,Value", "currency,EUR"]
    assert render_csv(NO_BURN_SUMMARY).decode().split("\r\n")[1].startswith("revenue,")
