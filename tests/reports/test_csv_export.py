"""The CSV export: exact bytes (contract §5.3.3)."""

from __future__ import annotations

import csv
import io

from app.reports.csv_export import METRIC_KEYS, MONTH_KEYS, render_csv
from tests.reports.sample_summary import build_summary

SMALL_SUMMARY = {
    "revenue": 1500.5,
    "expenses": 1200,
    "netIncome": -25.125,
    "grossMargin": 0.8,
    "cashOutMonth": None,
    "headcount": 12,
    "startMonth": "2025-01",
    "forecastMonths": 2,
    "modelType": "3-statement",
    "generatedAt": "2025-01-15T09:30:00.000Z",
    "kpis": {"ltv": 1.0},
    "monthly": {
        "2025-02": {"revenue": 800.0, "cashBalance": -3.5, "headcount": 12, "source": "forecast"},
        "2025-01": {"revenue": 700.5, "cogs": 140.1, "headcount": 11, "source": "actual"},
    },
}


def test_small_summary_renders_exact_bytes() -> None:
    expected = (
        b"Metric,Value\r\n"
        b"revenue,1500.50\r\n"
        b"expenses,1200\r\n"
        b"netIncome,-25.12\r\n"
        b"grossMargin,0.80\r\n"
        b"ebitda,\r\nebitdaMargin,\r\ncashBalance,\r\nburnRate,\r\nrunwayMonths,\r\n"
        b"runwayFromStartMonths,\r\ncashOutMonth,\r\nmrr,\r\narr,\r\nopex,\r\n"
        b"headcount,12\r\n"
        b"activeCustomers,\r\nchurnRate,\r\ncac,\r\nltv,\r\nltvCacRatio,\r\npaybackPeriod,\r\n"
        b"nrr,\r\ngrr,\r\nruleOf40,\r\nburnMultiple,\r\nmagicNumber,\r\ninitialCash,\r\n"
        b"revenueGrowth,\r\nexpenseGrowth,\r\n"
        b"startMonth,2025-01\r\n"
        b"forecastMonths,2\r\n"
        b"modelType,3-statement\r\n"
        b"generatedAt,2025-01-15T09:30:00.000Z\r\n"
        b"\r\n"
        b"Month,revenue,cogs,grossProfit,opex,expenses,ebitda,netIncome,operatingCashFlow,"
        b"netCashFlow,cashBalance,burnRate,runwayMonths,headcount,source\r\n"
        b"2025-01,700.50,140.10,,,,,,,,,,,11,actual\r\n"
        b"2025-02,800.00,,,,,,,,,-3.50,,,12,forecast\r\n"
    )

    assert render_csv(SMALL_SUMMARY) == expected


def test_csv_has_no_bom_and_only_crlf_line_ends() -> None:
    data = render_csv(build_summary(months=36))
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\n" not in data.replace(b"\r\n", b"")
    sections = data.decode().split("\r\n\r\n")
    assert len(sections) == 2
    metric_rows = list(csv.reader(io.StringIO(sections[0])))
    month_rows = list(csv.reader(io.StringIO(sections[1])))
    assert [r[0] for r in metric_rows[1:]] == list(METRIC_KEYS)
    assert month_rows[0] == ["Month", *MONTH_KEYS]
    assert len(month_rows) == 1 + 36
    assert month_rows[1][0] == "2025-01" and month_rows[-1][0] == "2027-12"


def test_formula_like_text_is_guarded_but_numbers_are_never_altered() -> None:
    summary = {
        "modelType": '=HYPERLINK("http://evil","x")',
        "startMonth": "+1",
        "generatedAt": "@SUM(A1)",
        "cashOutMonth": "-2025",
        "netIncome": -5.5,
        "headcount": -3,
        "monthly": {"2025-01": {"source": "\tcmd", "netIncome": -1.0}},
    }
    rows = list(csv.reader(io.StringIO(render_csv(summary).decode())))
    values = {r[0]: r[1] for r in rows[1:34]}

    assert values["modelType"] == '\'=HYPERLINK("http://evil","x")'
    assert values["startMonth"] == "'+1"
    assert values["generatedAt"] == "'@SUM(A1)"
    assert values["cashOutMonth"] == "'-2025"
    assert values["netIncome"] == "-5.50"
    assert values["headcount"] == "-3"
    month = rows[-1]
    assert month[MONTH_KEYS.index("source") + 1] == "'\tcmd"
    assert month[MONTH_KEYS.index("netIncome") + 1] == "-1.00"


def test_nested_values_and_nulls_are_written_as_empty_cells_and_text_is_quoted() -> None:
    summary = {
        "revenue": {"nested": 1},
        "expenses": [1, 2],
        "modelType": 'model, "quoted"',
        "monthly": {"2025-01": {"source": None}},
    }
    text = render_csv(summary).decode()
    assert "revenue,\r\n" in text
    assert "expenses,\r\n" in text
    assert 'modelType,"model, ""quoted"""\r\n' in text
    assert "{" not in text and "[" not in text
