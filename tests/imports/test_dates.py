"""Dates of a CSV import: dateFormat honoured both ways, per-file inference, bad dates."""

from __future__ import annotations

import datetime

import pytest

from app.errors import InvalidFile
from app.imports.dates import ACCEPTED_FORMATS, parse_date
from tests.imports.helpers import csv_text, parse

D = datetime.date


@pytest.mark.parametrize(
    ("date_format", "expected", "order"),
    [
        ("DD/MM/YYYY", D(2024, 2, 1), "DMY"),
        ("dd.mm.yyyy", D(2024, 2, 1), "DMY"),
        ("DD-MM-YYYY", D(2024, 2, 1), "DMY"),
        ("DD/MM/YY", D(2024, 2, 1), "DMY"),
        ("MM/DD/YYYY", D(2024, 1, 2), "MDY"),
        ("MM-DD-YYYY", D(2024, 1, 2), "MDY"),
        ("MM/DD/YY", D(2024, 1, 2), "MDY"),
    ],
)
def test_date_format_decides_the_order_of_ambiguous_dates(
    date_format: str, expected: datetime.date, order: str
) -> None:
    rows, stats = parse(csv_text("01/02/2024,1,a,b", "01-02-24,1,a,b"), dateFormat=date_format)
    assert [r.date for r in rows] == [expected, expected]
    assert stats.date_order == order
    assert stats.warnings == []


def test_an_explicit_day_first_format_reads_the_file_once_and_ignores_contrary_values() -> None:
    rows, stats = parse(csv_text("13/01/2024,1,a,b", "01/13/2024,1,a,b"), dateFormat="DD/MM/YYYY")
    assert [r.date for r in rows] == [D(2024, 1, 13)]
    assert stats.errors == ["Row 2: invalid date '01/13/2024'"]


def test_all_accepted_formats_are_listed() -> None:
    assert len(ACCEPTED_FORMATS) == 10


def test_day_first_is_inferred_when_some_first_part_exceeds_12() -> None:
    rows, stats = parse(csv_text("01/02/2024,1,a,b", "25/12/2024,1,a,b"))
    assert [r.date for r in rows] == [D(2024, 2, 1), D(2024, 12, 25)]
    assert stats.date_order == "DMY"
    assert stats.warnings == []


def test_month_first_is_inferred_when_some_second_part_exceeds_12() -> None:
    rows, stats = parse(csv_text("01/02/2024,1,a,b", "12/25/2024,1,a,b"))
    assert [r.date for r in rows] == [D(2024, 1, 2), D(2024, 12, 25)]
    assert stats.date_order == "MDY"


def test_contradicting_dates_make_the_order_ambiguous() -> None:
    with pytest.raises(InvalidFile, match="ambiguous date order"):
        parse(csv_text("25/12/2024,1,a,b", "12/25/2024,1,a,b"))


def test_undecidable_dates_are_read_month_first_with_a_warning() -> None:
    rows, stats = parse(csv_text("01/02/2024,1,a,b", "03/04/2024,1,a,b"))
    assert [r.date for r in rows] == [D(2024, 1, 2), D(2024, 3, 4)]
    assert stats.date_order == "MDY"
    assert stats.warnings == ["ambiguous dates read as MM/DD"]


def test_a_value_impossible_in_both_orders_does_not_decide_the_order() -> None:
    rows, stats = parse(csv_text("25/12/2024,1,a,b", "45/45/2024,1,a,b"))
    assert stats.date_order == "DMY"
    assert stats.errors == ["Row 2: invalid date '45/45/2024'"]


def test_unambiguous_forms_are_always_accepted_and_give_ymd() -> None:
    cells = [
        "2024-01-15",
        "2024/1/5",
        "2024.01.15",
        "20240115",
        "15 Jan 2024",
        "Jan 15, 2024",
        "15-Jan-2024",
        "15 January 24",
        "September 3 2024",
        "2024-01-15T10:30:00Z",
        "2024-01-15 10:30",
        "15 Jan 2024 10:30:59",
    ]
    rows, stats = parse(csv_text(*[f'"{c}",1,a,b' for c in cells]), dateFormat="DD/MM/YYYY")
    assert [r.date for r in rows] == [
        D(2024, 1, 15),
        D(2024, 1, 5),
        D(2024, 1, 15),
        D(2024, 1, 15),
        D(2024, 1, 15),
        D(2024, 1, 15),
        D(2024, 1, 15),
        D(2024, 1, 15),
        D(2024, 9, 3),
        D(2024, 1, 15),
        D(2024, 1, 15),
        D(2024, 1, 15),
    ]
    assert stats.date_order == "YMD"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("01/02/68", D(2068, 1, 2)), ("01/02/69", D(1969, 1, 2)), ("01/02/00", D(2000, 1, 2))],
)
def test_two_digit_years_pivot_at_69(cell: str, expected: datetime.date) -> None:
    assert parse_date(cell, "MDY").value == expected


@pytest.mark.parametrize(
    "cell",
    [
        "2024-02-30",
        "31/31/2024",
        "1899-12-31",
        "2101-01-01",
        "tomorrow",
        "15 Foo 2024",
        "2024-1-1-1",
        "1/2/024",
    ],
)
def test_invalid_dates_skip_the_row_with_the_cell_quoted(cell: str) -> None:
    rows, stats = parse(csv_text(f"{cell},1,a,b", "2024-01-15,1,a,b"), dateFormat="MM/DD/YYYY")
    assert len(rows) == 1
    assert stats.errors == [f"Row 1: invalid date '{cell}'"]
