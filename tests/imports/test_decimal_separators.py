"""Decimal commas and points (issue 9, item 1): the parameter, per-file inference, the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

import pytest

from app.errors import InvalidFile, InvalidParams
from app.imports.amounts import AmountFormat, parse_amount
from app.imports.csv_reader import CsvImport
from app.imports.rows import RowError, RowParser
from app.imports.sources import BytesSource
from tests.imports.helpers import csv_text, options, parse
from tests.imports.test_rows import cells, valid

#: The reproduction of issue 9: a ;-delimited EUR file with DD.MM.YYYY dates.
EUR_FILE = (
    "Datum;Betrag;Beschreibung;Kategorie\r\n"
    "03.01.2024;-1.234,56;Miete;Rent\r\n"
    "05.01.2024;-12,50;Kaffee;Meals\r\n"
    "31.01.2024;10.000,00;Kunde;Sales\r\n"
)
EUR_MAPPINGS = {"date": "Datum", "amount": "Betrag", "description": "Beschreibung"}


@pytest.mark.parametrize(
    ("cell", "separator", "expected"),
    [
        ("1 234,56", ",", "1234.5600"),
        ("1\u00a0234,56", ",", "1234.5600"),
        ("1'234.56", ".", "1234.5600"),
        ("(1.234,56)", ",", "-1234.5600"),
        ("-1.234,56 €", ",", "-1234.5600"),
        ("€ 1.234,56", ",", "1234.5600"),
        ("-€1.234,56", ",", "-1234.5600"),
        ("12,34,567.89", ".", "1234567.8900"),
        ("1.234.567", ",", "1234567.0000"),
        (",5", ",", "0.5000"),
        ("1,234.56", ".", "1234.5600"),
    ],
)
def test_grouped_amounts_parse_under_their_convention(
    cell: str, separator: str, expected: str
) -> None:
    assert str(parse_amount(cell, separator)) == expected


@pytest.mark.parametrize("cell", ["1,234,56", "1.234.5", "12 34", "0,123,456", "1.234,56.7"])
@pytest.mark.parametrize("separator", [".", ","])
def test_malformed_groups_are_invalid_under_either_convention(cell: str, separator: str) -> None:
    assert parse_amount(cell, separator) is None


def test_the_issues_eur_file_is_read_with_a_decimal_comma_and_says_so() -> None:
    rows, stats = parse(EUR_FILE, mappings=EUR_MAPPINGS)
    assert [r.amount for r in rows] == [
        Decimal("-1234.5600"),
        Decimal("-12.5000"),
        Decimal("10000.0000"),
    ]
    assert stats.date_order == "DMY"
    doc = stats.stats_json(rows_imported=3, rows_duplicate=0)
    assert (doc["decimalSeparator"], doc["thousandsSeparator"]) == (",", ".")
    assert doc["decimalSeparatorSource"] == "inferred"
    assert doc["errors"] == []


def test_a_file_with_a_decimal_point_is_inferred_as_such_even_when_semicolon_delimited() -> None:
    text = "Date;Amount\r\n15/03/2024;1,234.50\r\n16/03/2024;-4.5\r\n"
    rows, stats = parse(text, mappings={"date": "Date", "amount": "Amount"})
    assert [r.amount for r in rows] == [Decimal("1234.5000"), Decimal("-4.5000")]
    assert stats.amount_format == AmountFormat(".", "inferred")


def test_one_decisive_amount_settles_the_ambiguous_ones_of_the_file() -> None:
    rows, stats = parse(csv_text('2024-01-15,"1,234",a,b', '2024-01-16,"7,50",c,d'))
    assert [r.amount for r in rows] == [Decimal("1.2340"), Decimal("7.5000")]
    assert stats.amount_format.decimal_separator == ","


def test_an_ambiguous_file_fails_naming_a_row_and_both_readings() -> None:
    text = csv_text("2024-01-15,100,a,b", '2024-01-16,"1,000",c,d', '2024-01-17,"2,500",e,f')
    with pytest.raises(InvalidParams) as info:
        parse(text, currency="EUR", defaultCategory="Secret category")
    message = info.value.last_error()
    assert message == (
        "InvalidParams: amounts are ambiguous: row 2 reads as 1 with a decimal comma or as 1000 "
        "with a decimal point, and no amount decides; set decimalSeparator to ',' or '.'"
    )
    assert "EUR" not in message and "Secret" not in message


def test_semicolons_and_day_first_dates_support_a_decimal_comma_but_never_prove_it() -> None:
    text = "Datum;Betrag\r\n03.01.2024;1.000\r\n15.01.2024;-2.500\r\n"
    with pytest.raises(InvalidParams) as info:
        parse(text, mappings={"date": "Datum", "amount": "Betrag"})
    message = info.value.message
    assert "row 1 reads as 1000 with a decimal comma or as 1 with a decimal point" in message
    assert "the ';' delimiter and day-first dates suggest a decimal comma" in message


def test_the_parameter_decides_an_ambiguous_file_and_malformed_cells_are_row_errors() -> None:
    text = csv_text(
        '2024-01-15,"1.000",a,b', '2024-01-16,"1,234,56",c,d', '2024-01-17,"1.234.5",e,f'
    )
    rows, stats = parse(text, decimalSeparator=",")
    assert [r.amount for r in rows] == [Decimal("1000.0000")]
    assert stats.errors == ["Row 2: invalid amount '1,234,56'", "Row 3: invalid amount '1.234.5'"]
    assert stats.amount_format == AmountFormat(",", "params")
    rows, stats = parse(text, decimalSeparator=".")
    assert [r.amount for r in rows] == [Decimal("1.0000")]
    assert stats.rows_skipped == 2


def test_malformed_amounts_are_row_errors_when_the_file_is_inferred_too() -> None:
    rows, stats = parse(csv_text('2024-01-15,"1,234,56",a,b', '2024-01-16,"-4.50",c,d'))
    assert [r.amount for r in rows] == [Decimal("-4.5000")]
    assert stats.errors == ["Row 1: invalid amount '1,234,56'"]


def test_a_file_mixing_both_conventions_is_invalid_and_names_one_row_of_each() -> None:
    text = csv_text('2024-01-15,"1.234,56",a,b', "2024-01-16,2,c,d", '2024-01-17,"1,234.56",e,f')
    with pytest.raises(InvalidFile, match="row 1 reads only with a decimal comma and row 3 only"):
        parse(text)


def test_amounts_that_read_the_same_either_way_report_the_supporting_evidence() -> None:
    _, stats = parse(csv_text("2024-01-15,100,a,b", "2024-01-16,-2 500,c,d"))
    assert stats.amount_format == AmountFormat(".", "either")
    german = "Datum;Betrag\r\n13.01.2024;100\r\n"
    _, stats = parse(german, mappings={"date": "Datum", "amount": "Betrag"})
    assert stats.amount_format == AmountFormat(",", "either")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"decimalSeparator": ","}, ","),
        ({"decimalSeparator": " . "}, "."),
        ({"thousandsSeparator": "."}, ","),
        ({"thousandsSeparator": ","}, "."),
        ({"thousandsSeparator": " "}, None),
        ({"decimalSeparator": ",", "thousandsSeparator": " "}, ","),
        ({"decimalSeparator": ""}, None),
        ({}, None),
    ],
)
def test_the_decimal_separator_parameter_and_the_thousands_separator_it_implies(
    params: dict[str, str], expected: str | None
) -> None:
    assert options(**params).decimal_separator == expected


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"decimalSeparator": ";"}, "decimalSeparator must be '.' or ','"),
        ({"decimalSeparator": 1}, "decimalSeparator must be '.' or ','"),
        ({"thousandsSeparator": "_"}, "thousandsSeparator must be"),
        ({"decimalSeparator": ",", "thousandsSeparator": ","}, "must differ"),
    ],
)
def test_a_malformed_separator_parameter_is_invalid_without_echoing_it(
    params: dict[str, object], match: str
) -> None:
    with pytest.raises(InvalidParams, match=match) as info:
        options(**params)
    assert "';'" not in info.value.message and "'_'" not in info.value.message


@dataclass
class CountingSource:
    """An in-memory upload that counts how often it is opened."""

    data: bytes
    opened: list[int] = field(default_factory=list)
    kind: str = "memory"

    def open(self) -> tuple[BinaryIO, int]:
        self.opened.append(1)
        return BytesSource(self.data).open()


def test_the_file_is_read_once_only_when_date_format_and_decimal_separator_are_given() -> None:
    data = EUR_FILE.encode()
    for params, passes in (
        ({"dateFormat": "DD.MM.YYYY", "decimalSeparator": ","}, 1),
        ({"dateFormat": "DD.MM.YYYY"}, 2),
        ({"decimalSeparator": ","}, 2),
    ):
        source = CountingSource(data)
        parser = CsvImport(source, options(mappings=EUR_MAPPINGS, **params))
        rows = [row for batch in parser.batches() for row in batch]
        assert [r.amount for r in rows][0] == Decimal("-1234.5600")
        assert len(source.opened) == passes


def test_the_row_parser_keeps_the_convention_it_is_given_whatever_the_file_format() -> None:
    comma = RowParser(options(), "DMY", ",")
    assert valid(comma.parse(cells(amount="-1.234,56"), 1)).amount == Decimal("-1234.5600")
    from_options = RowParser(options(decimalSeparator=","), "DMY")
    assert from_options.decimal_separator == ","
    point = RowParser(options(), "DMY")
    error = point.parse(cells(amount="-1.234,56"), 4)
    assert isinstance(error, RowError) and error.message == "Row 4: invalid amount '-1.234,56'"
