"""One row's cells to a parsed row or a row error, and row ids, without any file format."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from app.imports.dates import KIND_ABC, KIND_YEAR_FIRST
from app.imports.fingerprints import SourceIds
from app.imports.rows import ParsedRow, RowCells, RowError, RowParser, TransactionRow
from tests.imports.helpers import BATCH, ORG, fingerprint, options


def cells(
    date: str = "2024-01-15",
    amount: str = "-4.50",
    description: str = "Coffee",
    category: str = "Food",
    currency: str = "",
    type: str = "",
    source_id: str = "",
    payload: str = "{}",
) -> RowCells:
    return RowCells(date, amount, description, category, currency, type, source_id, payload)


def valid(parsed: ParsedRow | RowError) -> ParsedRow:
    assert isinstance(parsed, ParsedRow), parsed
    return parsed


def test_a_valid_row_is_parsed_with_the_file_defaults() -> None:
    parser = RowParser(options(currency="eur", defaultCategory="Misc"), "DMY")
    parsed = parser.parse(cells(date="03/02/2024", category="", payload='{"a":"b"}'), 1)
    assert parsed == ParsedRow(
        date=datetime.date(2024, 2, 3),
        amount=Decimal("-4.5000"),
        currency="EUR",
        category="Misc",
        description="Coffee",
        raw_payload='{"a":"b"}',
        explicit_id="",
        date_kind=KIND_ABC,
    )


def test_a_type_cell_sets_the_sign_and_a_currency_cell_needs_three_letters() -> None:
    parser = RowParser(options(), "MDY")
    debit = valid(parser.parse(cells(amount="10", type="Debit", currency="gbp"), 1))
    credit = valid(parser.parse(cells(amount="-10", type="credit", currency="pounds"), 2))
    assert (debit.amount, debit.currency) == (Decimal("-10.0000"), "GBP")
    assert (credit.amount, credit.currency) == (Decimal("10.0000"), "USD")
    assert debit.date_kind == KIND_YEAR_FIRST


@pytest.mark.parametrize(
    ("date", "amount", "message"),
    [
        ("", "", "Row 7: missing date"),
        ("2024-01-15", "", "Row 7: missing amount"),
        ("2024-02-30", "abc", "Row 7: invalid date '2024-02-30'"),
        ("2024-01-15", "1e20", "Row 7: amount out of range '1e20'"),
        ("2024-01-15", "abc", "Row 7: invalid amount 'abc'"),
        ("2024-01-15", "x" * 70, f"Row 7: invalid amount '{'x' * 60}…'"),
    ],
)
def test_the_first_problem_of_a_row_is_its_error(date: str, amount: str, message: str) -> None:
    parsed = RowParser(options(), "MDY").parse(cells(date=date, amount=amount), 7)
    assert isinstance(parsed, RowError)
    assert parsed.message == message


def test_ids_are_explicit_or_occurrence_indexed_fingerprints_across_batches() -> None:
    parser = RowParser(options(), "MDY")
    first = [valid(parser.parse(cells(), n)) for n in (1, 2)]
    second = [valid(parser.parse(cells(source_id="bank-7"), 3)), valid(parser.parse(cells(), 4))]
    ids = SourceIds(ORG, BATCH)
    rows = ids.rows(first) + ids.rows(second)
    assert [r.source_id for r in rows] == [
        fingerprint("2024-01-15", -4.5, "Coffee", "Food"),
        fingerprint("2024-01-15", -4.5, "Coffee", "Food", k=1),
        "bank-7",
        fingerprint("2024-01-15", -4.5, "Coffee", "Food", k=2),
    ]
    assert rows[0] == TransactionRow(
        ORG,
        BATCH,
        rows[0].source_id,
        datetime.date(2024, 1, 15),
        Decimal("-4.5000"),
        "USD",
        "Food",
        "Coffee",
        "{}",
        False,
    )
